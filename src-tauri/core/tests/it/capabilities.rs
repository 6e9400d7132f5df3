//! Every capability of the seed session managers, against a real SQLite file, real
//! processes, an injected clock and deterministic ids. Nothing here sleeps to pass time:
//! the clock is moved by hand.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Duration as Span;
use switchboard_core::*;

use crate::support::*;

fn idle_session_config() -> EngineConfig {
    EngineConfig { stop_grace: Duration::from_millis(300), ..Default::default() }
}

#[tokio::test]
async fn links_are_persisted_and_queryable() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let clock = ManualClock::new();
    let e = engine(dir.path(), clock, idle_session_config());
    let s = e.create(command(work.path(), "true", &[])).await.unwrap();
    e.set_task(&s.id, Some("task-1".into())).unwrap();
    e.set_mcp_session_id(&s.id, Some("mcp-9".into())).unwrap();
    e.set_agent_session_id(&s.id, Some("2b1c7c9e-5d0a-4c1e-9a57-1a2b3c4d5e6f".into())).unwrap();
    e.set_service_session_id(&s.id, Some("svc-3".into())).unwrap();
    let got = e.get(&s.id).unwrap();
    assert_eq!(got.task_id.as_deref(), Some("task-1"));
    assert_eq!(got.mcp_session_id.as_deref(), Some("mcp-9"));
    assert_eq!(e.find_by_agent_session_id("2b1c7c9e-5d0a-4c1e-9a57-1a2b3c4d5e6f").unwrap().unwrap().id, s.id);
    assert_eq!(e.find_by_service_session_id("svc-3").unwrap().unwrap().id, s.id);
    assert!(e.find_by_service_session_id("svc-4").unwrap().is_none());
    assert_eq!(e.list(&SessionFilter { task_id: Some("task-1".into()), ..Default::default() }).unwrap().len(), 1);
    // Clearing a link, and a bad value refused with nothing changed.
    assert_eq!(e.set_task(&s.id, None).unwrap().task_id, None);
    let err = e.set_mcp_session_id(&s.id, Some("-x".into())).unwrap_err();
    assert_eq!(err.field(), Some("mcp_session_id"));
    assert_eq!(e.get(&s.id).unwrap().mcp_session_id.as_deref(), Some("mcp-9"));
    assert_eq!(e.set_task("command_nope", None).unwrap_err().code(), "not_found");
}

#[tokio::test]
async fn activity_extends_the_ttl_and_the_sweeper_expires_idle_sessions() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let clock = ManualClock::new();
    let e = engine(dir.path(), clock.clone(), idle_session_config());
    let busy = e.create(command(work.path(), "sleep", &["60"])).await.unwrap();
    let idle = e.create(command(work.path(), "sleep", &["60"])).await.unwrap();
    assert_eq!(busy.expires_at - busy.created_at, Span::hours(1));
    // Only sessions waiting between turns can expire (a running one is never idle).
    for id in [&busy.id, &idle.id] {
        e.set_status(id, SessionStatus::Idle).unwrap();
    }

    clock.advance(Span::minutes(50));
    let touched = e.touch(&busy.id).unwrap();
    assert_eq!(touched.last_activity, busy.created_at + Span::minutes(50));
    assert_eq!(touched.expires_at, busy.created_at + Span::minutes(110));

    clock.advance(Span::minutes(11)); // idle: 61 min without activity; busy: 11 min
    let report = e.sweep().await.unwrap();
    assert_eq!(report.expired, vec![idle.id.clone()]);
    let expired = e.get(&idle.id).unwrap();
    assert_eq!(expired.status, SessionStatus::Expired);
    assert!(!switchboard_core::runner::group_alive(idle.pid.unwrap()), "its process was stopped");
    assert!(e.get(&busy.id).unwrap().status.is_live());
    // Touching a finished session changes nothing.
    assert_eq!(e.touch(&idle.id).unwrap(), expired);
    e.end(&busy.id).await.unwrap();
}

#[tokio::test]
async fn the_sweeper_runs_on_its_interval_and_stops_cleanly() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let clock = ManualClock::new();
    let e = engine(dir.path(), clock.clone(), EngineConfig { sweep_interval: Duration::from_millis(20), ..idle_session_config() });
    let s = e.create(command(work.path(), "sleep", &["60"])).await.unwrap();
    e.set_status(&s.id, SessionStatus::Idle).unwrap();
    let mut events = e.subscribe();
    let sweeper = e.start_sweeper();
    clock.advance(Span::hours(2));
    // Await the Expired event the sweeper causes (no fixed sleep).
    let expired = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(EngineEvent::SessionChanged { session }) = events.recv().await {
                if session.id == s.id && session.status == SessionStatus::Expired {
                    return session;
                }
            }
        }
    })
    .await
    .expect("the sweeper expired the session");
    assert_eq!(expired.status, SessionStatus::Expired);
    sweeper.stop().await; // returns only once its task has finished
    let late = e.create(command(work.path(), "sleep", &["60"])).await.unwrap();
    e.set_status(&late.id, SessionStatus::Idle).unwrap();
    clock.advance(Span::hours(2));
    tokio::time::sleep(Duration::from_millis(100)).await; // five intervals, were it still running
    assert!(e.get(&late.id).unwrap().status.is_live(), "a stopped sweeper sweeps no more");
    e.end(&late.id).await.unwrap();
}

#[tokio::test]
async fn retention_purges_old_finished_sessions_with_their_output_and_log() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let clock = ManualClock::new();
    let e = engine(dir.path(), clock.clone(), idle_session_config());
    let old = e.create(NewSession { task_id: Some("t".into()), ..command(work.path(), "echo", &["old"]) }).await.unwrap();
    wait_final(&e, &old.id).await;
    clock.advance(Span::days(29));
    let recent = e.create(command(work.path(), "echo", &["recent"])).await.unwrap();
    wait_final(&e, &recent.id).await;
    let mut events = e.subscribe();
    clock.advance(Span::days(2)); // old ended 31 days ago, recent 2 days ago
    let report = e.sweep().await.unwrap();
    assert_eq!(report.purged, vec![old.id.clone()]);
    assert!(e.find(&old.id).unwrap().is_none());
    assert!(e.task_log("t").unwrap().is_empty());
    assert!(e.find(&recent.id).unwrap().is_some());
    assert_eq!(events.recv().await.unwrap(), EngineEvent::SessionDeleted { id: old.id.clone() });
    // Retention 0 keeps everything forever.
    drop(e);
    let keep = engine(dir.path(), clock.clone(), EngineConfig { retention: Duration::ZERO, ..idle_session_config() });
    clock.advance(Span::days(3650));
    assert!(keep.sweep().await.unwrap().purged.is_empty());
    assert!(keep.find(&recent.id).unwrap().is_some());
}

#[tokio::test]
async fn usage_counters_metrics_and_the_task_log() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let clock = ManualClock::new();
    let e = engine(dir.path(), clock.clone(), idle_session_config());
    let a = e.create(NewSession { task_id: Some("T-1".into()), ..command(work.path(), "sleep", &["60"]) }).await.unwrap();
    let b = e.create(NewSession { task_id: Some("T-1".into()), ..command(work.path(), "sh", &["-c", "exit 2"]) }).await.unwrap();
    wait_final(&e, &b.id).await;
    e.log_task_event(&a.id, TaskEventKind::CommandSent, serde_json::json!({ "command": "fix the bug" })).unwrap();
    clock.advance(Span::seconds(3));
    e.log_task_event(&a.id, TaskEventKind::ResponseReceived, serde_json::json!({ "duration_ms": 3000, "length": 42 })).unwrap();
    let s = e.record_usage(&a.id, &Usage { messages: 2, turns: 1, input_tokens: 100, output_tokens: 40, cost_usd: 0.25 }).unwrap();
    e.record_usage(&a.id, &Usage { messages: 2, turns: 1, input_tokens: 10, output_tokens: 4, cost_usd: 0.5 }).unwrap();
    assert_eq!(s.last_response_at, Some(a.created_at + Span::seconds(3)));
    let a2 = e.get(&a.id).unwrap();
    assert_eq!((a2.message_count, a2.turns, a2.input_tokens, a2.output_tokens), (4, 2, 110, 44));
    assert!((a2.cost_usd - 0.75).abs() < 1e-9);
    assert_eq!(e.record_usage(&a.id, &Usage { cost_usd: f64::NAN, ..Default::default() }).unwrap_err().field(), Some("cost_usd"));

    clock.advance(Span::seconds(7));
    e.end(&a.id).await.unwrap();
    let log = e.task_log("T-1").unwrap();
    let kinds: Vec<(String, TaskEventKind)> = log.iter().map(|t| (t.session_id.clone(), t.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (a.id.clone(), TaskEventKind::Created),
            (b.id.clone(), TaskEventKind::Created),
            (b.id.clone(), TaskEventKind::Error),
            (a.id.clone(), TaskEventKind::CommandSent),
            (a.id.clone(), TaskEventKind::ResponseReceived),
            (a.id.clone(), TaskEventKind::Ended),
        ]
    );
    assert_eq!(log[4].detail["duration_ms"], 3000);
    assert_eq!(e.session_log(&b.id).unwrap().len(), 2);
    assert_eq!(e.tasks().unwrap(), vec![("T-1".to_string(), 2)]);

    let m = e.metrics().unwrap();
    assert_eq!((m.total, m.active, m.errors, m.total_created), (2, 0, 1, 2));
    assert_eq!(m.by_status.get("ended"), Some(&1));
    assert_eq!(m.by_agent.get("command"), Some(&2));
    assert_eq!((m.input_tokens, m.output_tokens), (110, 44));
    assert!((m.cost_usd - 0.75).abs() < 1e-9);
    // a lasted 10 s; b ended at once (0 s): the mean is 5 s.
    assert!((m.avg_duration_ms - 5000.0).abs() < 1.0, "{}", m.avg_duration_ms);
    e.delete(&b.id).await.unwrap();
    assert_eq!(e.metrics().unwrap().total_created, 2, "deleted sessions still count as created");
}

#[tokio::test]
async fn compaction_is_advised_by_the_seed_thresholds_and_moves_through_compacting() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let clock = ManualClock::new();
    let e = engine(dir.path(), clock.clone(), idle_session_config());
    let s = e.create(command(work.path(), "sleep", &["60"])).await.unwrap();
    e.record_usage(&s.id, &Usage { messages: 101, ..Default::default() }).unwrap();
    assert!(!e.compaction_advised(&s.id).unwrap(), "101 messages, young");
    clock.advance(Span::days(8));
    assert!(e.compaction_advised(&s.id).unwrap(), "101 messages, 8 days old");
    e.record_usage(&s.id, &Usage { messages: 400, ..Default::default() }).unwrap();

    let mut events = e.subscribe();
    let compacted = e.compact_with(&s.id, async { Ok(()) }).await.unwrap();
    assert_eq!(compacted.status, SessionStatus::Running);
    assert_eq!(compacted.message_count, 0);
    let mut seen = Vec::new();
    while let Ok(EngineEvent::SessionChanged { session }) = events.try_recv() {
        seen.push(session.status.name());
    }
    assert_eq!(seen, vec!["compacting", "running"]);

    let failed = e.compact_with(&s.id, async { Err("agent refused".to_string()) }).await.unwrap();
    assert_eq!(failed.status, SessionStatus::Error { message: "compaction failed: agent refused".into() });
    // Only a running or idle session can compact.
    let err = e.compact_with(&s.id, async { Ok(()) }).await.unwrap_err();
    assert_eq!(err.code(), "illegal_transition");
    e.end(&s.id).await.unwrap();
}

#[tokio::test]
async fn illegal_status_changes_are_refused_with_a_typed_error() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = engine(dir.path(), ManualClock::new(), idle_session_config());
    let s = e.create(command(work.path(), "true", &[])).await.unwrap();
    let done = wait_final(&e, &s.id).await;
    let err = e.set_status(&s.id, SessionStatus::Running).unwrap_err();
    assert!(matches!(&err, Error::IllegalTransition { from, to, .. } if from == "ended" && to == "running"), "{err}");
    assert_eq!(e.get(&s.id).unwrap(), done, "nothing changed");
    assert_eq!(e.set_status(&s.id, SessionStatus::Starting).unwrap().status, SessionStatus::Starting, "resume path");
}

#[tokio::test]
async fn projects_and_pairs() {
    let (dir, work, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = engine(dir.path(), ManualClock::new(), idle_session_config());
    for (name, path, field) in [
        ("bad name", work.path().to_str().unwrap(), "project"),
        ("x".repeat(65).as_str(), "/", "project"),
        ("ok", "relative", "path"),
        ("ok", "/no/such/dir", "path"),
    ] {
        assert_eq!(e.add_project(name, path).unwrap_err().field(), Some(field), "{name} {path}");
    }
    let api = e.add_project("api", work.path().to_str().unwrap()).unwrap();
    assert_eq!(api.path, work.path().canonicalize().unwrap().to_string_lossy());
    e.add_project("web_ui", other.path().to_str().unwrap()).unwrap();
    assert_eq!(e.projects().unwrap().iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), vec!["api", "web_ui"]);

    let template = command(std::path::Path::new("/"), "sleep", &["60"]);
    let first = e.get_or_create_pair("web_ui", "api", template.clone()).await.unwrap();
    assert_eq!(first.cwd, api.path, "the pair runs in the target project");
    assert_eq!(first.title, "web_ui → api");
    let again = e.get_or_create_pair("web_ui", "api", template.clone()).await.unwrap();
    assert_eq!(again.id, first.id, "the live pair session is reused");
    let reverse = e.get_or_create_pair("api", "web_ui", template.clone()).await.unwrap();
    assert_ne!(reverse.id, first.id);
    e.end(&first.id).await.unwrap();
    let fresh = e.get_or_create_pair("web_ui", "api", template.clone()).await.unwrap();
    assert_ne!(fresh.id, first.id, "an ended pair session is replaced");
    assert_eq!(e.get_or_create_pair("web_ui", "nope", template).await.unwrap_err().field(), Some("project"));
    e.end(&fresh.id).await.unwrap();
    e.end(&reverse.id).await.unwrap();
}

#[tokio::test]
async fn delete_removes_the_session_its_output_and_its_log() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = engine(dir.path(), ManualClock::new(), idle_session_config());
    let s = e.create(NewSession { task_id: Some("t".into()), ..command(work.path(), "sleep", &["60"]) }).await.unwrap();
    let pid = s.pid.unwrap();
    let mut events = e.subscribe();
    e.delete(&s.id).await.unwrap();
    assert!(!switchboard_core::runner::group_alive(pid), "a live session's process is stopped first");
    assert!(e.find(&s.id).unwrap().is_none());
    assert!(e.task_log("t").unwrap().is_empty());
    let store = Store::open(dir.path()).unwrap();
    assert!(store.read_output(&s.id, 0, 10).unwrap().is_empty());
    let mut deleted = false;
    while let Ok(ev) = events.try_recv() {
        deleted |= ev == EngineEvent::SessionDeleted { id: s.id.clone() };
    }
    assert!(deleted);
    assert_eq!(e.delete(&s.id).await.unwrap_err().code(), "not_found");
}

/// Subscribers joining at any moment of a fast stream see every entry exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_and_live_have_no_gap_and_no_duplicate_under_concurrent_writes() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = engine(dir.path(), ManualClock::new(), idle_session_config());
    let lines = 30_000u64;
    let s = e.create(command(work.path(), "seq", &["1", &lines.to_string()])).await.unwrap();
    let mut readers = Vec::new();
    for i in 0..6u64 {
        let e = e.clone();
        let id = s.id.clone();
        readers.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(i * 7)).await;
            let after = i * 500; // some start from the beginning, some mid-way
            let mut follower = e.follow_output(&id, after).unwrap();
            let mut seqs: Vec<u64> = Vec::new();
            while let Some(batch) = follower.next_batch(256).await.unwrap() {
                seqs.extend(batch.iter().map(|o| o.seq));
                if i % 2 == 1 {
                    // A slow consumer: it lags behind the live channel and must catch up from the store.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            (after, seqs)
        }));
    }
    let done = wait_final(&e, &s.id).await;
    assert_eq!(done.status, SessionStatus::Ended);
    let total = lines + 2; // "starting" + lines + "exited"
    for r in readers {
        let (after, seqs) = r.await.unwrap();
        let expected: Vec<u64> = ((after + 1)..=total).collect();
        assert_eq!(seqs.len(), expected.len(), "reader after {after}");
        assert!(seqs == expected, "reader after {after}: out of order or missing");
        assert_eq!(seqs.iter().collect::<HashSet<_>>().len(), seqs.len());
    }
    let all = e.output_tail(&s.id, 5).unwrap();
    assert_eq!(all.last().unwrap().seq, total);
    assert_eq!(all[all.len() - 2].payload, lines.to_string());
}

#[tokio::test]
async fn stored_output_is_capped_per_session_and_the_trim_recorded() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = engine(dir.path(), ManualClock::new(), EngineConfig { output_cap: 1000, ..idle_session_config() });
    let s = e.create(command(work.path(), "seq", &["1", "5000"])).await.unwrap();
    wait_final(&e, &s.id).await;
    e.flush_output();
    let s = e.get(&s.id).unwrap();
    assert!(s.output_trimmed_through > 0, "the trim is recorded on the session");
    let kept = e.output(&s.id, 0, 10_000).unwrap();
    assert!(kept.len() <= 1100, "at most the cap plus its margin: {}", kept.len());
    assert_eq!(kept.first().unwrap().seq, s.output_trimmed_through + 1, "the oldest were trimmed, contiguously");
    assert_eq!(kept.last().unwrap().payload, "exited with code 0");
}

#[tokio::test]
async fn a_slow_event_subscriber_is_told_it_lagged_and_never_blocks_the_engine() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = engine(dir.path(), ManualClock::new(), idle_session_config());
    let mut slow = e.subscribe();
    let s = e.create(command(work.path(), "sleep", &["60"])).await.unwrap();
    for i in 0..(switchboard_core::EVENT_BUFFER + 10) {
        e.set_task(&s.id, Some(format!("t{}", i % 2))).unwrap(); // each call changes it: one event each
    }
    match slow.recv().await {
        Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => assert!(n >= 10, "{n}"),
        other => panic!("expected a lag report, got {other:?}"),
    }
    e.end(&s.id).await.unwrap();
}

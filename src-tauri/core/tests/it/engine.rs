//! The engine against a real SQLite file and real child processes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use switchboard_core::*;
use uuid::Uuid;

struct FixedClock(DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Deterministic v7-shaped ids: 1, 2, 3, …
struct CountingIds(AtomicU64);
impl IdSource for CountingIds {
    fn uuid(&self) -> Uuid {
        Uuid::from_u128(self.0.fetch_add(1, Ordering::SeqCst) as u128 + 1)
    }
}

fn engine_in(dir: &std::path::Path, config: EngineConfig) -> Engine {
    let clock = Arc::new(FixedClock(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()));
    Engine::open_with(dir, config, clock, Arc::new(CountingIds(AtomicU64::new(0)))).expect("engine")
}

fn command(cwd: &std::path::Path, program: &str, args: &[&str]) -> NewSession {
    NewSession {
        agent: Some(AgentKind::Command),
        cwd: cwd.to_string_lossy().into(),
        config: SessionConfig { program: Some(program.into()), args: args.iter().map(|s| s.to_string()).collect(), ..Default::default() },
        ..Default::default()
    }
}

async fn wait_final(engine: &Engine, id: &str) -> Session {
    for _ in 0..500 {
        let s = engine.get(id).expect("get");
        if !s.status.is_live() {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("session {id} did not finish");
}

#[tokio::test]
async fn a_command_runs_its_output_is_stored_and_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let engine = engine_in(dir.path(), EngineConfig::default());
    let s = engine.create(command(work.path(), "sh", &["-c", "echo one; echo two >&2; printf 'no newline'"])).await.unwrap();
    assert_eq!(s.id, format!("command_{}", Uuid::from_u128(1).simple()));
    assert_eq!(s.title, "sh -c echo one; echo two >&2; printf 'no newline'");
    assert_eq!(s.cwd, work.path().canonicalize().unwrap().to_string_lossy());
    let done = wait_final(&engine, &s.id).await;
    assert_eq!(done.status, SessionStatus::Ended);
    assert_eq!(done.exit_code, Some(0));
    let out = engine.output(&s.id, 0, 100).unwrap();
    let lines: Vec<(Stream, &str)> = out.iter().map(|e| (e.stream, e.payload.as_str())).collect();
    assert!(lines.contains(&(Stream::Stdout, "one")), "{lines:?}");
    assert!(lines.contains(&(Stream::Stderr, "two")), "{lines:?}");
    assert!(lines.contains(&(Stream::Stdout, "no newline")), "{lines:?}");
    assert_eq!(out.last().unwrap().payload, "exited with code 0");
    let seqs: Vec<u64> = out.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "seq strictly increasing without gaps");
}

#[tokio::test]
async fn a_failing_command_and_a_missing_program_become_errors_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let engine = engine_in(dir.path(), EngineConfig::default());
    let s = engine.create(command(work.path(), "sh", &["-c", "exit 3"])).await.unwrap();
    let done = wait_final(&engine, &s.id).await;
    assert_eq!(done.status, SessionStatus::Error { message: "the process exited with code 3".into() });
    assert_eq!(done.last_error.as_deref(), Some("the process exited with code 3"));

    let s = engine.create(command(work.path(), "no-such-program-here", &[])).await.unwrap();
    match &s.status {
        SessionStatus::Error { message } => assert!(message.contains("no such program"), "{message}"),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn end_stops_the_whole_process_group_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let engine = engine_in(dir.path(), EngineConfig { stop_grace: Duration::from_millis(300), ..Default::default() });
    // A child that ignores SIGTERM, with a grandchild that ignores it too.
    let s = engine.create(command(work.path(), "sh", &["-c", "trap '' TERM; sleep 60 & trap '' TERM; echo ready; wait"])).await.unwrap();
    let pid = s.pid.expect("pid") as i32;
    let ended = engine.end(&s.id).await.unwrap();
    assert_eq!(ended.status, SessionStatus::Ended);
    assert!(ended.ended_at.is_some());
    assert!(ended.pid.is_none());
    // Nothing of the group is left.
    assert!(!switchboard_core::runner::group_alive(pid as u32), "process group {pid} still alive");
    // The person's End is a normal outcome: said so, the exit code kept in the record.
    let out = engine.output(&s.id, 0, 100).unwrap();
    assert_eq!(out.last().unwrap().payload, "Ended by you");
    let again = engine.end(&s.id).await.unwrap();
    assert_eq!(again, engine.get(&s.id).unwrap());
    // History is kept.
    assert!(!engine.output(&s.id, 0, 100).unwrap().is_empty());
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let engine = engine_in(dir.path(), EngineConfig::default());
    let cases: Vec<(NewSession, &str)> = vec![
        (command(std::path::Path::new("relative/dir"), "true", &[]), "cwd"),
        (command(std::path::Path::new("/no/such/dir"), "true", &[]), "cwd"),
        (command(work.path(), "  ", &[]), "program"),
        (NewSession { task_id: Some("--evil".into()), ..command(work.path(), "true", &[]) }, "task_id"),
        (NewSession { task_id: Some("a b".into()), ..command(work.path(), "true", &[]) }, "task_id"),
        (NewSession { title: Some("x".repeat(201)), ..command(work.path(), "true", &[]) }, "title"),
        (NewSession { agent: Some(AgentKind::Codex), ..command(work.path(), "true", &[]) }, "agent"),
    ];
    for (req, field) in cases {
        let err = engine.create(req).await.expect_err(field);
        assert_eq!(err.code(), "invalid_input");
        assert_eq!(err.field(), Some(field), "{err}");
    }
    assert!(engine.list(&SessionFilter::default()).unwrap().is_empty());
    let err = engine.get("command_missing").unwrap_err();
    assert_eq!(err.to_string(), "session 'command_missing' not found");
    assert!(engine.find("command_missing").unwrap().is_none());
}

#[tokio::test]
async fn the_live_session_limit_is_enforced_with_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let engine = engine_in(dir.path(), EngineConfig { max_live_sessions: 2, stop_grace: Duration::from_millis(200), ..Default::default() });
    let a = engine.create(command(work.path(), "sleep", &["30"])).await.unwrap();
    let b = engine.create(command(work.path(), "sleep", &["30"])).await.unwrap();
    let err = engine.create(command(work.path(), "sleep", &["30"])).await.unwrap_err();
    assert!(matches!(err, Error::LimitReached { limit: 2 }), "{err}");
    assert!(err.to_string().contains("at most 2 live sessions"));
    engine.end(&a.id).await.unwrap();
    let c = engine.create(command(work.path(), "sleep", &["30"])).await.unwrap();
    engine.end(&b.id).await.unwrap();
    engine.end(&c.id).await.unwrap();
}

#[tokio::test]
async fn after_a_crash_leftover_processes_are_stopped_and_sessions_become_interrupted() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (orphan_id, gone_id);
    {
        let engine = engine_in(dir.path(), EngineConfig::default());
        orphan_id = engine.create(command(work.path(), "sleep", &["30"])).await.unwrap().id;
        gone_id = engine.create(command(work.path(), "sleep", &["30"])).await.unwrap().id;
        engine.shutdown().await;
    }
    // Recreate what a crash leaves behind: both rows still "running", one with its process
    // group alive (started by a Switchboard that no longer exists), one whose process is gone.
    let store = Store::open(dir.path()).unwrap();
    let mut orphan = std::process::Command::new("sh").args(["-c", "sleep 60 & wait"]).process_group(0).spawn().unwrap();
    let pid = orphan.id();
    let start = switchboard_core::runner::process_start_time(pid);
    assert!(start.is_some());
    let dead_owner = 0x3fff_fff0; // no such pid
    for (id, pid) in [(&orphan_id, pid), (&gone_id, 0x3fff_fff1)] {
        let mut s = store.get_session(id).unwrap().unwrap();
        s.status = SessionStatus::Running;
        s.pid = Some(pid);
        assert!(store.update_session(&s).unwrap());
        let process = switchboard_core::procid::ProcessId { pid, start, boot: switchboard_core::procid::boot_id() };
        let owner = switchboard_core::procid::ProcessId { pid: dead_owner, start: Some(1), boot: switchboard_core::procid::boot_id() };
        store.set_process(id, &process, &owner).unwrap();
    }
    drop(store);

    let engine = engine_in(dir.path(), EngineConfig { stop_grace: Duration::from_millis(300), ..Default::default() });
    let changed = engine.reconcile().await.unwrap();
    assert_eq!(changed.len(), 2);
    for id in [&orphan_id, &gone_id] {
        let s = engine.get(id).unwrap();
        assert_eq!(s.status, SessionStatus::Interrupted, "{id}");
        assert!(s.pid.is_none());
    }
    let status = orphan.wait().unwrap();
    assert!(!status.success(), "the leftover process was stopped by a signal");
    assert!(!switchboard_core::runner::group_alive(pid), "group gone");
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let engine = engine_in(dir.path(), EngineConfig::default());
    let mut ids = Vec::new();
    for (i, task) in ["t1", "t2", "t1"].iter().enumerate() {
        let s = engine
            .create(NewSession {
                task_id: Some(task.to_string()),
                title: Some(format!("job {i} alpha")),
                ..command(work.path(), "true", &[])
            })
            .await
            .unwrap();
        ids.push(s.id);
    }
    for id in &ids {
        wait_final(&engine, id).await;
    }
    let all = engine.list(&SessionFilter::default()).unwrap();
    assert_eq!(all.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), ids.iter().rev().cloned().collect::<Vec<_>>());
    let t1 = engine.list(&SessionFilter { task_id: Some("t1".into()), ..Default::default() }).unwrap();
    assert_eq!(t1.len(), 2);
    let page = engine.list(&SessionFilter { limit: Some(1), offset: 1, ..Default::default() }).unwrap();
    assert_eq!(page[0].id, ids[1]);
    let found = engine.list(&SessionFilter { search: Some("JOB 2".into()), ..Default::default() }).unwrap();
    assert_eq!(found.len(), 1);
    let err = engine.list(&SessionFilter { statuses: vec!["bogus".into()], ..Default::default() }).unwrap_err();
    assert_eq!(err.field(), Some("status"));
}

#[test]
fn the_status_machine_refuses_illegal_moves() {
    use SessionStatus::*;
    let err = Error { message: "x".into() };
    assert!(Starting.can_become(&Running));
    assert!(Running.can_become(&Idle) && Idle.can_become(&Running) && Running.can_become(&WaitingInput));
    assert!(Running.can_become(&Compacting) && Compacting.can_become(&Running));
    for fin in [Ended, err.clone(), Expired, Interrupted] {
        assert!(Running.can_become(&fin));
        assert!(!fin.can_become(&Running), "{fin:?} -> running");
        assert!(fin.can_become(&Starting), "{fin:?} resumes");
    }
    assert!(!Ended.can_become(&Expired));
    assert!(!Idle.can_become(&Starting));
    assert!(!Starting.can_become(&Compacting));
}

//! Faults and hostile input against the engine: a real SQLite file, real child processes.
//! Each test names the reliability item it guards; each failed on the engine before the fix.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chrono::Duration as Span;
use switchboard_core::*;

use crate::support::*;

/// Whether a pid names a running process (zombies are dead, only not reaped).
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rfind(')').and_then(|i| stat[i + 1..].split_whitespace().next()).is_some_and(|s| s != "Z" && s != "X"),
        Err(_) => false,
    }
}

async fn wait_for<T>(secs: u64, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "condition not met within {secs} s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn raw(dir: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(dir.join("switchboard.db")).expect("open raw");
    c.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
    c
}

// Item 1: output, a running turn and a pending question are activity; only idleness expires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_working_session_is_never_expired_and_output_restarts_the_idle_clock() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let engine = engine(dir.path(), clock.clone(), EngineConfig::default());
    let busy = engine.create(command(work.path(), "sh", &["-c", "while :; do echo tick; sleep 0.05; done"])).await.unwrap();
    let asking = engine.create(command(work.path(), "sleep", &["1000"])).await.unwrap();
    engine.set_status(&asking.id, SessionStatus::WaitingInput).unwrap();
    let idle = engine.create(command(work.path(), "sleep", &["1000"])).await.unwrap();
    engine.set_status(&idle.id, SessionStatus::Idle).unwrap();
    let idle_pid = engine.get(&idle.id).unwrap().pid.expect("pid");

    clock.advance(Span::hours(2));
    let report = engine.sweep().await.unwrap();
    assert_eq!(report.expired, vec![idle.id.clone()], "only the idle session expires");
    assert_eq!(engine.get(&busy.id).unwrap().status, SessionStatus::Running);
    assert_eq!(engine.get(&asking.id).unwrap().status, SessionStatus::WaitingInput);
    assert_eq!(engine.get(&idle.id).unwrap().status, SessionStatus::Expired);
    assert!(!running(idle_pid), "the expired session's process is stopped");

    // The ticks after the clock moved are activity: the TTL starts over from now.
    let now = clock.now();
    let s = wait_until(&engine, &busy.id, 10, |s| s.last_activity == now).await;
    assert_eq!(s.expires_at, now + Span::hours(1));
    for id in [&busy.id, &asking.id] {
        engine.end(id).await.unwrap();
    }
}

// Item 1: a resume without a prompt starts the idle clock over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_without_a_prompt_restarts_the_idle_clock() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let bin = fake_claude(work.path(), &result_line("3", "0.01"));
    let clock = ManualClock::new();
    let engine = claude_engine_with(dir.path(), &bin, clock.clone(), EngineConfig::default());
    let s = engine.create(claude_request(work.path(), None)).await.unwrap();
    assert_eq!(s.status, SessionStatus::Idle);
    engine.end(&s.id).await.unwrap();
    clock.advance(Span::hours(5));
    let resumed = engine.resume(&s.id, None).await.unwrap();
    assert_eq!(resumed.status, SessionStatus::Idle);
    assert_eq!(resumed.expires_at, clock.now() + Span::hours(1));
    assert!(engine.sweep().await.unwrap().expired.is_empty(), "a session resumed a moment ago is not idle past its TTL");
    engine.end(&s.id).await.unwrap();
}

// Item 3: a read-modify-write is atomic across processes (two stores on one file).
#[test]
fn two_processes_changing_one_session_never_resurrect_an_ended_one() {
    let dir = tempfile::tempdir().unwrap();
    let a = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let b = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let store = Store::open(dir.path()).unwrap();
    let now = chrono::Utc::now();
    let ids: Vec<String> = (0..40).map(|i| format!("command_{:032x}", i + 1)).collect();
    let sessions: Vec<Session> = ids
        .iter()
        .map(|id| Session {
            status: SessionStatus::Running,
            expires_at: now + Span::hours(1),
            ..Session::new(id.clone(), AgentKind::Command, "race".into(), "/".into(), SessionConfig::default(), now)
        })
        .collect();
    store.insert_sessions(&sessions).unwrap();
    for id in &ids {
        let barrier = Arc::new(Barrier::new(2));
        let (a, b2, idc, bar) = (a.clone(), b.clone(), id.clone(), barrier.clone());
        // One process toggles the session between turns; the other ends it meanwhile.
        let toggler = std::thread::spawn(move || {
            bar.wait();
            for i in 0..60 {
                let _ = a.set_status(&idc, if i % 2 == 0 { SessionStatus::Idle } else { SessionStatus::Running });
            }
        });
        let idc = id.clone();
        let ender = std::thread::spawn(move || {
            barrier.wait();
            std::thread::sleep(Duration::from_micros(300));
            b2.set_status(&idc, SessionStatus::Ended).unwrap();
        });
        toggler.join().unwrap();
        ender.join().unwrap();
        assert_eq!(b.get(id).unwrap().status, SessionStatus::Ended, "an ended session was written over by a stale read");
    }
}

// Item 7: the live-session limit holds when several processes create at once.
#[test]
fn the_live_limit_holds_under_concurrent_creates_from_several_processes() {
    let work = tempfile::tempdir().unwrap();
    for round in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let config = EngineConfig { max_live_sessions: 2, ..Default::default() };
        let barrier = Arc::new(Barrier::new(6));
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let (dir, cwd, barrier, config) = (dir.path().to_path_buf(), work.path().to_path_buf(), barrier.clone(), config.clone());
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(async move {
                        let engine = Engine::open(&dir, config).unwrap();
                        barrier.wait();
                        // Not ended here: an end would make room for the next create.
                        engine.create(command(&cwd, "sleep", &["30"])).await.map(drop).map_err(|e| e.code())
                    })
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert!(ok <= 2, "round {round}: {ok} sessions were created past a limit of 2: {results:?}");
        assert!(results.iter().all(|r| r.is_ok() || *r == Err("limit_reached")), "{results:?}");
    }
}

// Item 8: a seq past i64::MAX is an empty page, not a negative seq or a panic.
#[tokio::test]
async fn an_after_seq_past_i64_max_is_an_empty_page() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let engine = engine(dir.path(), ManualClock::new(), EngineConfig::default());
    let s = engine.create(command(work.path(), "echo", &["hi"])).await.unwrap();
    wait_final(&engine, &s.id).await;
    assert!(!engine.output(&s.id, 0, 10).unwrap().is_empty());
    for after in [1u64 << 63, u64::MAX] {
        assert!(engine.output(&s.id, after, 10).unwrap().is_empty(), "after {after}");
    }
}

// Item 6: agent-reported numbers saturate; a bogus cost is clamped, never infinite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_numbers_saturate_and_a_bogus_cost_is_clamped() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let bin = fake_claude(work.path(), &result_line("18446744073709551615", "1e308"));
    let engine = claude_engine_with(dir.path(), &bin, ManualClock::new(), EngineConfig::default());
    let s = engine.create(claude_request(work.path(), None)).await.unwrap();
    for _ in 0..2 {
        let r = engine.send(&s.id, "count", Duration::from_secs(20)).await.unwrap();
        assert!(r.success, "{r:?}");
    }
    let s = engine.get(&s.id).unwrap();
    assert_eq!(s.status, SessionStatus::Idle);
    assert_eq!(s.input_tokens, i64::MAX as u64, "saturated at the largest count SQLite holds");
    assert!(s.cost_usd.is_finite() && s.cost_usd <= switchboard_core::MAX_TOTAL_COST_USD, "{}", s.cost_usd);
    let m = engine.metrics().unwrap();
    assert!(m.cost_usd.is_finite());
    let bad = Usage { cost_usd: f64::NAN, ..Default::default() };
    assert_eq!(engine.record_usage(&s.id, &bad).unwrap_err().code(), "invalid_input");
    engine.end(&s.id).await.unwrap();
}

// Item 12: a protocol line over the cap fails the turn; nothing waits forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_over_the_cap_fails_the_turn_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let bin = fake_claude(work.path(), "head -c 9437184 /dev/zero | tr '\\0' a; echo");
    let engine = claude_engine_with(dir.path(), &bin, ManualClock::new(), EngineConfig::default());
    let s = engine.create(claude_request(work.path(), None)).await.unwrap();
    let pid = engine.get(&s.id).unwrap().pid.expect("pid");
    let r = engine.send(&s.id, "print a lot", Duration::from_secs(30)).await.unwrap();
    assert!(!r.success);
    assert!(r.error.as_deref().unwrap_or("").contains("over 8 MiB"), "{r:?}");
    let done = wait_final(&engine, &s.id).await;
    assert!(matches!(&done.status, SessionStatus::Error { message } if message.contains("over 8 MiB")), "{:?}", done.status);
    wait_for(10, || (!running(pid)).then_some(())).await;
}

// Item 4: a row with a final status but a process still recorded (a crash between writing
// the status and stopping the process) is reconciled: the process is stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_stops_a_process_left_under_a_final_status() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let engine = engine(dir.path(), ManualClock::new(), EngineConfig::default());
    let s = engine.create(command(work.path(), "true", &[])).await.unwrap();
    wait_final(&engine, &s.id).await;
    // What a crashed Switchboard leaves: its agent in its own group, still running.
    let mut leftover = std::process::Command::new("sleep").arg("1000").process_group(0).spawn().unwrap();
    let pid = leftover.id();
    let dead_owner = {
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    };
    let start = switchboard_core::procid::start_time(pid).unwrap() as i64;
    raw(dir.path())
        .execute(
            "UPDATE sessions SET status = 'ended', pid = ?2, proc_start = ?3, proc_boot = ?4, owner_pid = ?5, owner_start = 1 WHERE id = ?1",
            rusqlite::params![s.id, pid, start, switchboard_core::procid::boot_id(), dead_owner],
        )
        .unwrap();
    engine.reconcile().await.unwrap();
    let status = leftover.wait().unwrap();
    assert!(std::os::unix::process::ExitStatusExt::signal(&status).is_some(), "the leftover was stopped: {status:?}");
    assert_eq!(engine.get(&s.id).unwrap().pid, None);
    assert_eq!(engine.get(&s.id).unwrap().status, SessionStatus::Ended);
}

// Item 5: one corrupt row is reported and skipped; the list and the sweep go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_corrupt_row_hides_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let engine = engine(dir.path(), clock.clone(), EngineConfig::default());
    let mut ids = Vec::new();
    for _ in 0..4 {
        let s = engine.create(command(work.path(), "sleep", &["1000"])).await.unwrap();
        engine.set_status(&s.id, SessionStatus::Idle).unwrap();
        ids.push(s.id);
    }
    let db = raw(dir.path());
    db.execute("UPDATE sessions SET status = 'paused_in_v9' WHERE id = ?1", [&ids[0]]).unwrap();
    db.execute("UPDATE sessions SET title = CAST(x'c328ff41' AS TEXT) WHERE id = ?1", [&ids[1]]).unwrap();
    db.execute("UPDATE sessions SET config = '{not json' WHERE id = ?1", [&ids[2]]).unwrap();
    let listed = engine.list(&SessionFilter::default()).unwrap();
    assert_eq!(listed.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), vec![ids[3].clone()]);
    let corrupt: Vec<String> = engine.corrupt_sessions().into_iter().map(|(id, _)| id).collect();
    for id in &ids[..3] {
        assert!(corrupt.contains(id), "{id} reported: {corrupt:?}");
    }
    assert_eq!(engine.get(&ids[0]).unwrap_err().code(), "storage");
    // The sweep passes the bad rows and still expires the good one.
    clock.advance(Span::hours(2));
    let report = engine.sweep().await.unwrap();
    assert_eq!(report.expired, vec![ids[3].clone()]);
    assert_eq!(engine.metrics().unwrap().total, 4, "nothing was deleted");
    // Leave no process behind: stop the bad rows' processes through a repaired row.
    db.execute("UPDATE sessions SET status = 'running', title = 't', config = '{}' WHERE id IN (?1, ?2, ?3)", [&ids[0], &ids[1], &ids[2]])
        .unwrap();
    for id in &ids[..3] {
        engine.end(id).await.unwrap();
    }
}

// A truncated database, or one from a newer Switchboard: a clear error, the file untouched.
#[tokio::test]
async fn a_truncated_or_newer_database_is_a_clear_error_and_is_left_alone() {
    let work = tempfile::tempdir().unwrap();
    for case in ["truncated", "newer"] {
        let dir = tempfile::tempdir().unwrap();
        {
            let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
            let s = engine.create(command(work.path(), "true", &[])).await.unwrap();
            wait_final(&engine, &s.id).await;
        }
        let db = dir.path().join("switchboard.db");
        if case == "newer" {
            raw(dir.path()).pragma_update(None, "user_version", 99).unwrap();
        } else {
            for f in ["switchboard.db-wal", "switchboard.db-shm"] {
                let _ = std::fs::remove_file(dir.path().join(f));
            }
            let f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
            f.set_len(1000).unwrap();
        }
        let before = std::fs::read(&db).unwrap();
        let err = match Engine::open(dir.path(), EngineConfig::default()) {
            Err(e) => e.to_string(),
            Ok(e) => e.list(&SessionFilter::default()).map(|_| "opened".to_string()).unwrap_or_else(|e| e.to_string()),
        };
        let expected = if case == "newer" { "newer Switchboard" } else { "was cut short" };
        assert!(err.contains(expected) && err.contains("switchboard.db"), "{case}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
        assert_eq!(std::fs::read(&db).unwrap(), before, "{case}: the file was left as it was");
    }
}

// Item 2: a full disk fails the session with "disk full" and stops its agent; what was
// stored stays readable, with no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_the_session_stops_the_agent_and_keeps_what_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let config = EngineConfig { max_db_pages: Some(120), ..Default::default() };
    let engine = engine(dir.path(), ManualClock::new(), config);
    let line = "x".repeat(200);
    // 300 lines that fit, a pause (they are committed), then a flood that fills the cap.
    let script = format!(
        "i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo \"$i {line}\"; done; sleep 0.5; while :; do i=$((i+1)); echo \"$i {line}\"; done"
    );
    let s = engine.create(command(work.path(), "sh", &["-c", &script])).await.unwrap();
    let pid = engine.get(&s.id).unwrap().pid.unwrap();
    let done = wait_until(&engine, &s.id, 30, |s| !s.status.is_live()).await;
    assert!(matches!(&done.status, SessionStatus::Error { message } if message.starts_with("disk full")), "{:?}", done.status);
    wait_for(10, || (!running(pid)).then_some(())).await;
    // What is read is what was stored, plus what the writer still holds in memory to
    // retry (the disk may free up): the window shows all the agent printed.
    wait_until(&engine, &s.id, 10, |s| s.pid.is_none()).await;
    let stored = engine.output(&s.id, 0, 100_000).unwrap();
    assert!(stored.len() > 300, "output from before the disk filled is kept: {}", stored.len());
    let seqs: Vec<u64> = stored.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "no gap in what was stored");
    assert!(engine.session_log(&s.id).unwrap().iter().any(|e| e.kind == TaskEventKind::Error), "the failure is in the task log");
    drop(engine);
    // Another process without the cap reads what reached the disk: the same entries, from
    // the first on, with no gap, and at least those from before the disk filled.
    let again = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let reread = again.output(&s.id, 0, 100_000).unwrap();
    assert!(reread.len() > 300 && reread.len() <= stored.len(), "{} of {}", reread.len(), stored.len());
    assert_eq!(
        reread.iter().map(|e| &e.payload).collect::<Vec<_>>(),
        stored[..reread.len()].iter().map(|e| &e.payload).collect::<Vec<_>>()
    );
}

// Item 2: another process holding the write lock past the busy timeout loses no output
// and no exit: both are written once it lets go.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_lock_held_past_the_busy_timeout_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let engine = engine(dir.path(), ManualClock::new(), EngineConfig::default());
    let s = engine
        .create(command(work.path(), "sh", &["-c", "i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo \"line $i\"; sleep 0.01; done"]))
        .await
        .unwrap();
    let db = dir.path().to_path_buf();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let c = raw(&db);
        c.execute_batch("BEGIN IMMEDIATE").unwrap();
        locked_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_secs(7)); // past the 5 s busy timeout
        c.execute_batch("COMMIT").unwrap();
    });
    locked_rx.recv().unwrap();
    let done = wait_until(&engine, &s.id, 40, |s| !s.status.is_live()).await;
    holder.join().unwrap();
    assert_eq!(done.status, SessionStatus::Ended);
    engine.flush_output();
    let lines: Vec<String> =
        engine.output(&s.id, 0, 1000).unwrap().into_iter().filter(|e| e.stream == Stream::Stdout).map(|e| e.payload).collect();
    assert_eq!(lines, (1..=300).map(|i| format!("line {i}")).collect::<Vec<_>>());
}

// Item 14: quitting stops hung agents all at once, not one grace period each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_hung_agents_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let config = EngineConfig { stop_grace: Duration::from_secs(1), ..Default::default() };
    let engine = engine(dir.path(), ManualClock::new(), config);
    let mut sessions = Vec::new();
    for _ in 0..8 {
        let s = engine.create(command(work.path(), "sh", &["-c", "trap '' TERM; echo ready; while :; do sleep 0.2; done"])).await.unwrap();
        sessions.push(s);
    }
    for s in &sessions {
        wait_for(10, || engine.output(&s.id, 0, 10).unwrap().iter().any(|e| e.payload == "ready").then_some(())).await;
    }
    let pids: Vec<u32> = sessions.iter().map(|s| engine.get(&s.id).unwrap().pid.unwrap()).collect();
    let started = Instant::now();
    engine.shutdown().await;
    let took = started.elapsed();
    println!("shutdown of 8 agents that ignore SIGTERM (grace 1 s): {took:?}");
    assert!(took < Duration::from_secs(4), "8 agents × 1 s grace one after another would take 8 s; took {took:?}");
    for (s, pid) in sessions.iter().zip(pids) {
        assert_eq!(engine.get(&s.id).unwrap().status, SessionStatus::Interrupted);
        assert!(!running(pid));
    }
}

// Fault injection: kill -9 of the process that runs five streaming sessions. The next
// process to open the store shows all five Interrupted with no agent left; output lost
// per session is at most what was in flight (measured and printed).
#[test]
fn kill_9_of_a_process_running_five_streaming_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(exe)
        .args(["--exact", "faults::child_runs_five_streaming_sessions", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR_ENV, dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let pids: Vec<u32> = loop {
        let line = lines.next().expect("the child said READY").unwrap();
        // The harness prints the test's name on the same line, before it.
        if let Some(at) = line.find("READY ") {
            break line[at + 6..].trim().split(',').map(|p| p.parse().unwrap()).collect();
        }
    };
    assert_eq!(pids.len(), 5);
    std::thread::sleep(Duration::from_millis(1500)); // let them stream
    let killed_at = chrono::Utc::now().timestamp_millis() as f64;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGKILL).unwrap();
    child.wait().unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
        let settled = engine.reconcile().await.unwrap();
        assert_eq!(settled.len(), 5, "{settled:?}");
        for pid in &pids {
            wait_for(10, || (!running(*pid)).then_some(())).await;
        }
        let mut lost = Vec::new();
        for s in engine.list(&SessionFilter::default()).unwrap() {
            assert_eq!(s.status, SessionStatus::Interrupted, "{}", s.id);
            assert_eq!(s.pid, None);
            let tail = engine.output_tail(&s.id, 5).unwrap();
            let last_ts =
                tail.iter().rev().find_map(|e| e.payload.strip_prefix("ts ").and_then(|t| t.parse::<f64>().ok())).expect("stored ticks");
            lost.push(killed_at - last_ts);
        }
        println!("kill -9: output lost per session (ms before the kill not stored): {lost:.0?}; the agents print one line per 5 ms");
        // The writer commits every 20 ms; with scheduling on a loaded machine, allow 0.5 s.
        assert!(lost.iter().all(|ms| *ms < 500.0), "{lost:?}");
    });
}

const CHILD_DIR_ENV: &str = "SWITCHBOARD_TEST_FAULT_CHILD_DIR";

/// The victim of `kill_9_of_a_process_running_five_streaming_sessions` (does nothing
/// unless that test started it).
#[test]
fn child_runs_five_streaming_sessions() {
    let Some(dir) = std::env::var_os(CHILD_DIR_ENV) else { return };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let engine = Engine::open(Path::new(&dir), EngineConfig::default()).unwrap();
        let agent = repo_root().join("tests/fake-agent/agent.mjs");
        let mut pids = Vec::new();
        for _ in 0..5 {
            let req = NewSession {
                agent: Some(AgentKind::Command),
                cwd: "/".into(),
                config: SessionConfig {
                    program: Some("node".into()),
                    args: vec![agent.to_string_lossy().into(), "timestamps".into(), "1000000".into(), "--interval-ms".into(), "5".into()],
                    ..Default::default()
                },
                ..Default::default()
            };
            let s = engine.create(req).await.unwrap();
            pids.push(engine.get(&s.id).unwrap().pid.unwrap());
        }
        println!("READY {}", pids.iter().map(u32::to_string).collect::<Vec<_>>().join(","));
        std::future::pending::<()>().await;
    });
}

// Soak: create → stream → end, many times. Open files, threads, zombies and memory stay
// flat; the metrics add up exactly. SWITCHBOARD_SOAK_CYCLES sets the count (make soak: 1000).
// It runs in a process of its own: the other tests' files and threads would blur the counts.
#[test]
fn soak_create_stream_end_cycles_leave_nothing_behind() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "faults::soak_child", "--nocapture", "--test-threads=1"])
        .env(SOAK_CHILD_ENV, "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines().filter(|l| l.contains("soak:") || l.contains("panicked") || l.contains("grew") || l.contains("left")) {
        println!("{line}");
    }
    assert!(out.status.success(), "the soak failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("soak:"), "{text}");
}

const SOAK_CHILD_ENV: &str = "SWITCHBOARD_TEST_SOAK_CHILD";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_child() {
    if std::env::var_os(SOAK_CHILD_ENV).is_none() {
        return;
    }
    let cycles: usize = std::env::var("SWITCHBOARD_SOAK_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(150);
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let engine = engine(dir.path(), ManualClock::new(), EngineConfig::default());
    let mut first = None;
    let started = Instant::now();
    for i in 0..cycles {
        let s = engine
            .create(command(work.path(), "sh", &["-c", "for i in 1 2 3 4 5 6 7 8 9 10; do echo \"line $i\"; done; exec sleep 30"]))
            .await
            .unwrap();
        wait_for(10, || engine.output(&s.id, 0, 20).unwrap().iter().any(|e| e.payload == "line 10").then_some(())).await;
        let ended = engine.end(&s.id).await.unwrap();
        assert_eq!(ended.status, SessionStatus::Ended);
        if i == 9 {
            first = Some(resources());
        }
    }
    let last = resources();
    let first = first.unwrap_or(last);
    println!(
        "soak: {cycles} cycles in {:?}; first (after 10) vs last: fds {} → {}, threads {} → {}, zombies {} → {}, RSS {} → {} KiB",
        started.elapsed(),
        first.fds,
        last.fds,
        first.threads,
        last.threads,
        first.zombies,
        last.zombies,
        first.rss_kib,
        last.rss_kib
    );
    assert!(last.fds <= first.fds + 4, "open files grew: {} → {}", first.fds, last.fds);
    assert!(last.threads <= first.threads + 4, "threads grew: {} → {}", first.threads, last.threads);
    assert_eq!(last.zombies, 0, "children left unreaped");
    assert!(last.rss_kib <= first.rss_kib + first.rss_kib / 2 + 16 * 1024, "memory grew: {} → {} KiB", first.rss_kib, last.rss_kib);
    let m = engine.metrics().unwrap();
    assert_eq!((m.total, m.total_created, m.active), (cycles as u64, cycles as u64, 0));
    assert_eq!(m.by_status.get("ended"), Some(&(cycles as u64)));
}

#[derive(Clone, Copy)]
struct Resources {
    fds: usize,
    threads: usize,
    zombies: usize,
    rss_kib: u64,
}

fn resources() -> Resources {
    let me = std::process::id();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok()).unwrap_or(0)
    };
    let zombies = std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
                .filter(|stat| {
                    let Some(i) = stat.rfind(')') else { return false };
                    let mut f = stat[i + 1..].split_whitespace();
                    let state = f.next();
                    let ppid = f.next().and_then(|p| p.parse::<u32>().ok());
                    state == Some("Z") && ppid == Some(me)
                })
                .count()
        })
        .unwrap_or(0);
    Resources {
        fds: std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0),
        threads: field("Threads:") as usize,
        zombies,
        rss_kib: field("VmRSS:"),
    }
}

// Item 9: a resume first makes sure no earlier process of the session is alive (two
// processes must never write one conversation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_stops_an_earlier_process_of_the_session_first() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let bin = fake_claude(work.path(), &result_line("3", "0.01"));
    let engine = claude_engine_with(dir.path(), &bin, ManualClock::new(), EngineConfig::default());
    let s = engine.create(claude_request(work.path(), None)).await.unwrap();
    engine.end(&s.id).await.unwrap();
    // A `switchboard run` killed with -9 left its agent behind, recorded on the row.
    let mut leftover = std::process::Command::new("sleep").arg("1000").process_group(0).spawn().unwrap();
    let pid = leftover.id();
    let start = switchboard_core::procid::start_time(pid).unwrap() as i64;
    raw(dir.path())
        .execute(
            "UPDATE sessions SET status = 'interrupted', pid = ?2, proc_start = ?3, proc_boot = ?4, owner_pid = 1, owner_start = 1 WHERE id = ?1",
            rusqlite::params![s.id, pid, start, switchboard_core::procid::boot_id()],
        )
        .unwrap();
    let r = engine.send(&s.id, "go on", Duration::from_secs(20)).await.unwrap();
    assert!(r.success, "{r:?}");
    let status = leftover.wait().unwrap();
    assert!(std::os::unix::process::ExitStatusExt::signal(&status).is_some(), "the earlier process was stopped: {status:?}");
    engine.end(&s.id).await.unwrap();
}

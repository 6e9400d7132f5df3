//! The process runner through the engine, with our fake agent (tests/fake-agent) playing
//! every kind of misbehaving program. After each, nothing of its process group is left.

mod support;

use std::time::Duration;

use switchboard_core::*;
use support::*;

fn agent(work: &std::path::Path, args: &[&str]) -> NewSession {
    let script = repo_root().join("tests/fake-agent/agent.mjs");
    let mut all = vec![script.to_str().unwrap()];
    all.extend_from_slice(args);
    command(work, "node", &all)
}

fn fast_engine(dir: &std::path::Path) -> Engine {
    engine(dir, ManualClock::new(), EngineConfig { stop_grace: Duration::from_millis(500), ..Default::default() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_output_is_kept_lossily_and_breaks_nothing() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = fast_engine(dir.path());
    let s = e.create(agent(work.path(), &["garbage"])).await.unwrap();
    let done = wait_final(&e, &s.id).await;
    assert_eq!(done.status, SessionStatus::Ended);
    let out = e.output(&s.id, 0, 1000).unwrap();
    assert!(out.iter().any(|o| o.payload.contains('\u{FFFD}')), "invalid UTF-8 became U+FFFD");
    assert!(out.iter().all(|o| !o.payload.ends_with('\r')), "CRLF line endings are trimmed");
    // Everything is readable back as views (nothing panics on odd bytes).
    for o in &out {
        let _ = EntryView::of(o);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_long_line_is_cut_with_a_marker_and_what_follows_is_kept() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = fast_engine(dir.path());
    let total = switchboard_core::runner::MAX_LINE_BYTES + 3 * 1024 * 1024;
    let s = e.create(agent(work.path(), &["huge-line", &total.to_string()])).await.unwrap();
    wait_final(&e, &s.id).await;
    let out = e.output(&s.id, 0, 100).unwrap();
    let big = out.iter().find(|o| o.payload.starts_with("aaaa")).expect("the long line");
    assert!(big.payload.len() < switchboard_core::runner::MAX_LINE_BYTES + 200);
    assert!(big.payload.ends_with(&format!("… [{} more bytes of this line were cut]", 3 * 1024 * 1024)), "{}", &big.payload[big.payload.len() - 80..]);
    assert!(out.iter().any(|o| o.payload == "after"), "the next line is intact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_program_and_one_that_ignores_sigterm_with_a_grandchild_are_stopped() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = fast_engine(dir.path());
    for scenario in ["hang", "ignore-term"] {
        let s = e.create(agent(work.path(), &[scenario])).await.unwrap();
        let pid = s.pid.unwrap();
        // Wait until it is ready (for ignore-term: its handler and grandchild are in place).
        let want = if scenario == "hang" { "hanging" } else { "ready" };
        let mut ready = false;
        for _ in 0..400 {
            if e.output(&s.id, 0, 100).unwrap().iter().any(|o| o.payload == want) {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(ready, "{scenario} never got ready");
        let ended = e.end(&s.id).await.unwrap();
        assert_eq!(ended.status, SessionStatus::Ended);
        assert!(!switchboard_core::runner::group_alive(pid), "{scenario}: the group (grandchild included) is gone");
        let exit = wait_until(&e, &s.id, 10, |s| s.exit_code.is_some() || s.pid.is_none()).await;
        assert!(exit.pid.is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_is_an_error_with_the_exit_code_and_100k_lines_are_all_stored_in_order() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = fast_engine(dir.path());
    let s = e.create(agent(work.path(), &["crash"])).await.unwrap();
    let done = wait_final(&e, &s.id).await;
    assert_eq!(done.status, SessionStatus::Error { message: "the process exited with code 3".into() });
    assert!(e.output(&s.id, 0, 100).unwrap().iter().any(|o| o.stream == Stream::Stderr && o.payload == "boom"));

    let s = e.create(agent(work.path(), &["lines", "100000"])).await.unwrap();
    let done = wait_final(&e, &s.id).await;
    assert_eq!(done.status, SessionStatus::Ended);
    let mut after = 0;
    let mut n = 0u64;
    loop {
        let page = e.output(&s.id, after, 10_000).unwrap();
        let Some(last) = page.last() else { break };
        for o in page.iter().filter(|o| o.stream == Stream::Stdout) {
            n += 1;
            assert_eq!(o.payload, format!("line {n}"));
        }
        after = last.seq;
    }
    assert_eq!(n, 100_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_and_folder_reach_the_program() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = fast_engine(dir.path());
    let mut req = agent(work.path(), &["env", "SB_TEST_VALUE"]);
    req.config.env.insert("SB_TEST_VALUE".into(), "from the session".into());
    let s = e.create(req).await.unwrap();
    wait_final(&e, &s.id).await;
    let lines: Vec<String> = e.output(&s.id, 0, 100).unwrap().into_iter().map(|o| o.payload).collect();
    assert!(lines.contains(&"from the session".to_string()), "{lines:?}");
    assert!(lines.contains(&format!("cwd {}", work.path().canonicalize().unwrap().display())), "{lines:?}");
    let bad = e.create(command(std::path::Path::new("/nonexistent/folder"), "true", &[])).await.unwrap_err();
    assert_eq!(bad.field(), Some("cwd"));
}

#[tokio::test]
async fn settings_are_validated_and_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let e = fast_engine(dir.path());
    assert_eq!(e.settings().unwrap(), Settings::default());
    let mut s = Settings { max_live_sessions: 0, ..Default::default() };
    assert_eq!(e.save_settings(&s).unwrap_err().field(), Some("max_live_sessions"));
    s.max_live_sessions = 12;
    s.agent_paths.claude = Some("relative/claude".into());
    assert_eq!(e.save_settings(&s).unwrap_err().field(), Some("agent_paths.claude"));
    s.agent_paths.claude = Some("/opt/claude/bin/claude".into());
    e.save_settings(&s).unwrap();
    drop(e);
    let again = fast_engine(dir.path());
    assert_eq!(again.settings().unwrap(), s);
    let info = again.agent_info(AgentKind::Claude);
    assert_eq!(info.path.as_deref(), Some("/opt/claude/bin/claude"));
    assert_eq!(info.source.as_deref(), Some("setting"));
    assert!(!info.installed);
}

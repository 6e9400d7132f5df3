//! The real Claude Code CLI (pinned, from npm) driven through the engine, against our fake
//! Anthropic API on 127.0.0.1. Fully offline. After each scenario no process of the
//! session's group is left, and what the engine recorded matches what the CLI reported.

use std::time::Duration;

use serde_json::Value;
use switchboard_core::*;

use crate::support::*;

struct Fixture {
    api: FakeApi,
    _dir: tempfile::TempDir,
    work: tempfile::TempDir,
    home: tempfile::TempDir,
    engine: Engine,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let engine = claude_engine(dir.path(), EngineConfig { stop_grace: Duration::from_secs(2), ..Default::default() });
    Fixture { api: FakeApi::start(), _dir: dir, work: tempfile::tempdir().unwrap(), home: tempfile::tempdir().unwrap(), engine }
}

impl Fixture {
    fn request(&self, prompt: Option<&str>) -> NewSession {
        claude_session(&self.api, self.work.path(), self.home.path(), prompt)
    }

    /// The `result` lines the CLI printed, parsed.
    fn results(&self, id: &str) -> Vec<Value> {
        result_lines(&self.engine, id)
    }

    fn views(&self, id: &str) -> Vec<EntryView> {
        self.engine.output(id, 0, 10_000).unwrap().iter().map(EntryView::of).collect()
    }

    /// Counters equal the sums of what the CLI reported (cost: its running total).
    fn assert_counters_match(&self, s: &Session) {
        let results = self.results(&s.id);
        let tokens_in: u64 = results
            .iter()
            .map(|r| {
                ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"]
                    .iter()
                    .map(|k| r["usage"][k].as_u64().unwrap_or(0))
                    .sum::<u64>()
            })
            .sum();
        let tokens_out: u64 = results.iter().map(|r| r["usage"]["output_tokens"].as_u64().unwrap_or(0)).sum();
        let turns: u64 = results.iter().map(|r| r["num_turns"].as_u64().unwrap_or(0)).sum();
        let cost = results.iter().filter_map(|r| r["total_cost_usd"].as_f64()).fold(0.0, f64::max);
        assert_eq!((s.input_tokens, s.output_tokens, s.turns), (tokens_in, tokens_out, turns));
        assert!((s.cost_usd - cost).abs() < 1e-9, "cost {} vs reported {cost}", s.cost_usd);
        for r in &results {
            assert_eq!(r["session_id"].as_str(), s.agent_session_id.as_deref(), "the CLI used our session id");
        }
    }

    async fn assert_no_process_left(&self, pid: Option<u32>) {
        if let Some(pid) = pid {
            for _ in 0..200 {
                if !switchboard_core::runner::group_alive(pid) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            panic!("process group {pid} is still alive");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_reply_then_a_follow_up_on_the_same_process() {
    let f = fixture();
    let s = f.engine.create(f.request(Some("Say hello"))).await.unwrap();
    assert_eq!(s.agent, AgentKind::Claude);
    assert_eq!(s.status, SessionStatus::Running);
    let pid = s.pid;
    let idle = wait_until(&f.engine, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    assert!(f.views(&s.id).iter().any(|v| matches!(v, EntryView::AssistantText { text } if text == "Hello from the fake API.")));
    assert!(f.views(&s.id).iter().any(|v| matches!(v, EntryView::SystemInit { .. })));
    f.assert_counters_match(&idle);
    assert!(idle.cost_usd > 0.0 && idle.output_tokens > 0 && idle.turns == 1);

    let answer = f.engine.send(&s.id, "And again", Duration::from_secs(60)).await.unwrap();
    assert!(answer.success, "{answer:?}");
    assert_eq!(answer.output.as_deref(), Some("Hello from the fake API."));
    assert_eq!(answer.session.pid, pid, "the follow-up went to the same process");
    let s2 = f.engine.get(&s.id).unwrap();
    assert_eq!(s2.turns, 2);
    f.assert_counters_match(&s2);
    let log: Vec<TaskEventKind> = f.engine.session_log(&s.id).unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(
        log,
        vec![
            TaskEventKind::Created,
            TaskEventKind::CommandSent,
            TaskEventKind::ResponseReceived,
            TaskEventKind::CommandSent,
            TaskEventKind::ResponseReceived
        ]
    );

    let ended = f.engine.end(&s.id).await.unwrap();
    assert_eq!(ended.status, SessionStatus::Ended);
    f.assert_no_process_left(pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bash_tool_use_and_its_result() {
    let f = fixture();
    let mut req = f.request(Some("[[tool:bash echo fake-tool-$((40+2))]]"));
    req.config.permission_mode = PermissionMode::BypassPermissions;
    let s = f.engine.create(req).await.unwrap();
    let idle = wait_until(&f.engine, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    let views = f.views(&s.id);
    let tool = views
        .iter()
        .find_map(|v| match v {
            EntryView::ToolUse { name, input, .. } => Some((name.clone(), input.clone())),
            _ => None,
        })
        .expect("tool_use");
    assert_eq!(tool.0, "Bash");
    assert_eq!(tool.1["command"], "echo fake-tool-$((40+2))");
    assert!(views.iter().any(|v| matches!(v, EntryView::ToolResult { content, is_error: false, .. } if content == "fake-tool-42")));
    assert!(views.iter().any(|v| matches!(v, EntryView::AssistantText { text } if text == "Tool said: fake-tool-42")));
    f.assert_counters_match(&idle);
    f.engine.end(&s.id).await.unwrap();
    f.assert_no_process_left(idle.pid).await;
}

/// Live typing (issue 14): a slow reply (20 deltas 100 ms apart) reaches a live follower
/// as partial text while it is written, before the turn's result; the store keeps the one
/// final assistant message and no delta.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reply_is_typed_live_and_stored_once() {
    let f = fixture();
    let s = f.engine.create(f.request(Some("[[slow 20]]"))).await.unwrap();
    let typing = watch_typing(&f.engine, &s.id, 0, 60).await;
    let full = (1..=20).map(|i| format!("chunk {i}")).collect::<Vec<_>>().join(" ") + ".";
    assert!(typing.before_final.starts_with("chunk 1 chunk 2 "), "partial text before the final message: {typing:?}");
    assert!(
        typing.first.starts_with("chunk 1") && typing.first.len() < full.len() / 2,
        "the text was first seen in part, not whole: {typing:?}"
    );
    assert!(typing.updates >= 4, "the text grew in several updates: {typing:?}");
    assert!(full.starts_with(&typing.before_final), "{typing:?}");
    let final_seq = typing.final_seq.expect("the final assistant entry");
    assert!(typing.done_through.is_some_and(|d| d >= final_seq), "the partial text is replaced by the final entry: {typing:?}");

    wait_until(&f.engine, &s.id, 30, |s| s.status == SessionStatus::Idle).await;
    f.engine.flush_output();
    let stored = f.engine.output(&s.id, 0, 10_000).unwrap();
    let texts: Vec<_> = stored.iter().filter(|e| e.kind == "assistant_text").map(EntryView::of).collect();
    assert_eq!(texts, [EntryView::AssistantText { text: full }], "one assistant row, the whole message");
    assert!(stored.iter().all(|e| e.kind != "stream_event" && !e.payload.contains("text_delta")), "no delta is stored");
    assert!(stored.len() < 20, "{} rows for a 20-delta reply", stored.len());
    let ended = f.engine.end(&s.id).await.unwrap();
    f.assert_no_process_left(ended.pid.or(s.pid)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_mid_stream_keeps_the_process_usable() {
    let f = fixture();
    let s = f.engine.create(f.request(Some("[[slow 60]]"))).await.unwrap();
    // Wait until the slow turn is streaming (its request reached the API), then interrupt.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    f.engine.interrupt(&s.id).await.unwrap();
    let idle = wait_until(&f.engine, &s.id, 30, |s| s.status == SessionStatus::Idle).await;
    let last = f.results(&s.id).pop().expect("a result");
    assert_eq!(last["subtype"], "error_during_execution");
    let next = f.engine.send(&s.id, "still there?", Duration::from_secs(60)).await.unwrap();
    assert!(next.success, "{next:?}");
    assert_eq!(next.session.pid, idle.pid);
    f.engine.end(&s.id).await.unwrap();
    f.assert_no_process_left(idle.pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_while_streaming_leaves_no_process_and_resume_continues() {
    let f = fixture();
    let s = f.engine.create(f.request(Some("[[slow 200]]"))).await.unwrap();
    let pid = s.pid;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let ended = f.engine.end(&s.id).await.unwrap();
    assert_eq!(ended.status, SessionStatus::Ended);
    f.assert_no_process_left(pid).await;

    // Resume: the same Claude conversation (same agent session id), a new process.
    let answer = f.engine.send(&s.id, "Say hello after the resume", Duration::from_secs(60)).await.unwrap();
    assert!(answer.success, "{answer:?}");
    assert_eq!(answer.session.agent_session_id, s.agent_session_id);
    assert_ne!(answer.session.pid, pid);
    let launch = answer.session.launch_command.clone().unwrap();
    assert!(launch.contains(&format!("--resume={}", s.agent_session_id.as_deref().unwrap())), "{launch}");
    f.engine.end(&s.id).await.unwrap();
    f.assert_no_process_left(answer.session.pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_turns_reached_is_reported_and_the_session_stays_usable() {
    let f = fixture();
    let mut req = f.request(Some("[[loop]]"));
    req.config.max_turns = Some(2);
    req.config.permission_mode = PermissionMode::BypassPermissions;
    let s = f.engine.create(req).await.unwrap();
    let idle = wait_until(&f.engine, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    assert_eq!(f.results(&s.id).pop().unwrap()["subtype"], "error_max_turns");
    assert_eq!(idle.last_error.as_deref(), Some("Reached maximum number of turns (2)"));
    f.assert_counters_match(&idle);
    f.engine.end(&s.id).await.unwrap();
    f.assert_no_process_left(idle.pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_529_and_401_become_error_status_with_the_message() {
    let f = fixture();
    for (status, needle) in [(529, "529 Overloaded"), (401, "Invalid API key")] {
        let s = f.engine.create(f.request(Some(&format!("[[error {status}]]")))).await.unwrap();
        let failed = wait_until(&f.engine, &s.id, 60, |s| !s.status.is_live()).await;
        match &failed.status {
            SessionStatus::Error { message } => assert!(message.contains(needle), "{status}: {message}"),
            other => panic!("{status}: expected an error, got {other:?}"),
        }
        assert_eq!(f.results(&s.id).pop().unwrap()["api_error_status"], status);
        f.assert_no_process_left(s.pid).await;
        let log = f.engine.session_log(&s.id).unwrap();
        assert!(log.iter().any(|e| e.kind == TaskEventKind::Error && e.detail["api_error_status"] == status));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mid_stream_disconnect_becomes_a_clear_error() {
    let f = fixture();
    let s = f.engine.create(f.request(Some("[[disconnect]]"))).await.unwrap();
    let failed = wait_until(&f.engine, &s.id, 90, |s| !s.status.is_live()).await;
    match &failed.status {
        SessionStatus::Error { message } => assert!(message.contains("Unable to connect") || message.contains("ECONNRESET"), "{message}"),
        other => panic!("expected an error, got {other:?}"),
    }
    f.assert_no_process_left(s.pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_binary_and_a_bad_folder_are_refused_clearly() {
    let f = fixture();
    f.engine.set_agent_paths(switchboard_core::agents::AgentPaths { claude: Some("/no/such/claude".into()), ..Default::default() });
    let err = f.engine.create(f.request(Some("hi"))).await.unwrap_err();
    assert_eq!(err.field(), Some("agent"));
    assert!(err.to_string().contains("/no/such/claude"), "{err}");
    let info = f.engine.agent_info(AgentKind::Claude);
    assert!(!info.installed);
    assert_eq!(info.install_hint, "npm install -g @anthropic-ai/claude-code");
    f.engine.set_agent_paths(switchboard_core::agents::AgentPaths {
        claude: Some(claude_bin().to_string_lossy().into()),
        ..Default::default()
    });
    let mut req = f.request(Some("hi"));
    req.cwd = "/no/such/folder".into();
    assert_eq!(f.engine.create(req).await.unwrap_err().field(), Some("cwd"));
    let mut req = f.request(Some("hi"));
    req.config.model = Some("--dangerously-skip-permissions".into());
    assert_eq!(f.engine.create(req).await.unwrap_err().field(), Some("model"), "a value that looks like a flag is refused");
    assert!(f.engine.list(&SessionFilter::default()).unwrap().is_empty(), "nothing half-written");
}

/// Quitting the app with agents running: each is stopped, marked Interrupted, and after a
/// restart its conversation resumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quit_with_running_sessions_then_resume_after_restart() {
    let f = fixture();
    let dir = f._dir.path().to_path_buf();
    let s = f.engine.create(f.request(Some("[[slow 300]]"))).await.unwrap();
    let idle_one = f.engine.create(f.request(Some("Say hello"))).await.unwrap();
    wait_until(&f.engine, &idle_one.id, 60, |s| s.status == SessionStatus::Idle).await;
    f.engine.shutdown().await;
    for id in [&s.id, &idle_one.id] {
        let after = f.engine.get(id).unwrap();
        assert_eq!(after.status, SessionStatus::Interrupted, "{id}");
    }
    f.assert_no_process_left(s.pid).await;
    f.assert_no_process_left(idle_one.pid).await;
    drop(f.engine);

    let restarted = claude_engine(&dir, EngineConfig::default());
    assert!(restarted.reconcile().await.unwrap().is_empty(), "nothing left to reconcile after a clean quit");
    let answer = restarted.send(&idle_one.id, "Say hello again", Duration::from_secs(60)).await.unwrap();
    assert!(answer.success, "{answer:?}");
    assert_eq!(answer.session.agent_session_id, idle_one.agent_session_id, "the same conversation");
    assert_eq!(answer.session.turns, 2);
    restarted.end(&idle_one.id).await.unwrap();
}

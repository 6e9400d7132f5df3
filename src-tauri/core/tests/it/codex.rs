//! The real Codex CLI (pinned, from npm) driven through the engine, against our stand-in for
//! the OpenAI Responses API on 127.0.0.1 (tests/fake-api/server.mjs). Fully offline.

use std::time::Duration;

use crate::support::*;
use switchboard_core::*;

fn no_raw(views: &[EntryView]) {
    assert!(!views.iter().any(|v| matches!(v, EntryView::Raw { .. })), "every line understood: {views:#?}");
}

/// Item 2: a folder that is not a git repository (every temp folder) works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_answers_in_a_folder_that_is_not_a_git_repository() {
    let f = AgentFixture::codex();
    assert!(!f.work.path().join(".git").exists());
    let s = f.run("say hi", PermissionMode::Default).await;
    assert_eq!(s.status, SessionStatus::Idle, "{:?} {:?}", s.last_error, f.views(&s.id));
    assert_eq!(f.texts(&s.id), ["FAKE-OK: say hi"]);
    let views = f.views(&s.id);
    no_raw(&views);
    // Codex's warning for a model it has no metadata for is a notice, not raw JSON (item 5).
    assert!(views.iter().any(|v| matches!(v, EntryView::Lifecycle { text } if text.starts_with("Codex: Model metadata"))), "{views:#?}");
    assert_eq!((s.input_tokens, s.output_tokens, s.turns), (11, 7, 1));
}

/// Item 1: Codex prints `error "Reconnecting... 1/5"` while it retries a dropped stream, then
/// finishes: a retry shown, the answer kept, the session not stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_stream_is_a_retry_and_the_turn_finishes() {
    let f = AgentFixture::codex();
    let s = f.run("[[flaky 1]] then answer", PermissionMode::Default).await;
    assert_eq!(s.status, SessionStatus::Idle, "{:?}", s.last_error);
    assert_eq!(f.texts(&s.id), ["FAKE-OK: [[flaky 1]] then answer"]);
    let views = f.views(&s.id);
    assert!(
        views.iter().any(|v| matches!(v, EntryView::ApiRetry { attempt: 1, max_retries: 5, error: Some(e) } if e.contains("stream"))),
        "{views:#?}"
    );
    no_raw(&views);
    let answer = f.engine.send(&s.id, "[[flaky 2]] again", Duration::from_secs(60)).await.unwrap();
    assert!(answer.success, "{answer:?}");
    assert_eq!(answer.output.as_deref(), Some("FAKE-OK: [[flaky 2]] again"));
}

/// Item 5: reasoning is not the answer; the command and its output are a tool call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_with_its_output_and_reasoning_kept_apart_from_the_answer() {
    let f = AgentFixture::codex();
    let s = f.engine.create(f.request("[[tool:bash echo tool-$((40+2))]]", PermissionMode::Default)).await.unwrap();
    let done = wait_until(&f.engine, &s.id, 60, |s| s.status != SessionStatus::Running && s.status != SessionStatus::Starting).await;
    assert_eq!(done.status, SessionStatus::Idle, "{:?}", done.last_error);
    let views = f.views(&s.id);
    no_raw(&views);
    assert!(views.iter().any(|v| matches!(v, EntryView::ToolUse { name, input, .. } if name == "shell" && input["command"].as_str().is_some_and(|c| c.contains("echo tool-")))));
    assert!(
        views.iter().any(|v| matches!(v, EntryView::ToolResult { content, is_error: false, .. } if content.contains("tool-42"))),
        "{views:#?}"
    );
    assert!(views
        .iter()
        .any(|v| matches!(v, EntryView::Lifecycle { text } if text.starts_with("Reasoning: ") && text.contains("fake plan"))));
    let texts = f.texts(&s.id);
    assert_eq!(texts.len(), 1, "only the answer is assistant text: {texts:?}");
    assert!(texts[0].starts_with("TOOL-DONE: ") && texts[0].contains("tool-42"), "{texts:?}");
    // `send`'s answer is the answer, without the reasoning.
    let answer = f.engine.send(&s.id, "[[tool:bash echo again]]", Duration::from_secs(60)).await.unwrap();
    let out = answer.output.unwrap_or_default();
    assert!(out.starts_with("TOOL-DONE: ") && !out.contains("fake plan"), "{out}");
}

/// Item 3: the permission mode decides Codex's sandbox: plan is read-only, the others write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_follows_the_permission_mode() {
    for (mode, writes) in [
        (PermissionMode::Plan, false),
        (PermissionMode::Default, true),
        (PermissionMode::AcceptEdits, true),
        (PermissionMode::BypassPermissions, true),
    ] {
        let f = AgentFixture::codex();
        let s = f.run("[[tool:write fake-written.txt hello]]", mode).await;
        assert_eq!(s.status, SessionStatus::Idle, "{mode:?}: {:?}", s.last_error);
        let file = f.work.path().join("fake-written.txt");
        assert_eq!(file.exists(), writes, "{mode:?}: {:?}", f.texts(&s.id));
        if writes {
            assert_eq!(std::fs::read_to_string(&file).unwrap(), "hello");
        } else {
            assert!(f.texts(&s.id).iter().any(|t| t.contains("Read-only file system")), "{mode:?}: {:?}", f.texts(&s.id));
        }
    }
}

/// Item 4: Codex reports the thread's running total; a resumed turn counts only its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_counts_each_turns_tokens_once() {
    let f = AgentFixture::codex();
    let s = f.run("say hi", PermissionMode::Default).await;
    assert_eq!((s.input_tokens, s.output_tokens), (11, 7));
    let thread = s.agent_session_id.clone().expect("thread id");
    let answer = f.engine.send(&s.id, "second turn", Duration::from_secs(60)).await.unwrap();
    assert!(answer.success, "{answer:?}");
    assert_eq!(answer.output.as_deref(), Some("FAKE-OK: second turn"));
    assert_eq!(answer.session.agent_session_id.as_deref(), Some(thread.as_str()), "the same thread");
    assert!(answer.session.launch_command.as_deref().unwrap_or_default().contains(&format!("exec resume {thread}")));
    assert_eq!((answer.session.input_tokens, answer.session.output_tokens, answer.session.turns), (22, 14, 2));
}

/// An API error Codex does not retry fails the turn with the API's own message; an empty
/// reply is a turn with no text, not a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_api_error_shows_its_message_and_an_empty_reply_is_no_error() {
    let f = AgentFixture::codex();
    let s = f.run("[[error 400]] please", PermissionMode::Default).await;
    match &s.status {
        SessionStatus::Error { message } => assert_eq!(message, "Invalid request (fake API)."),
        other => panic!("{other:?}"),
    }
    let s = f.run("[[empty]] please", PermissionMode::Default).await;
    assert_eq!(s.status, SessionStatus::Idle, "{:?}", s.last_error);
    assert!(f.texts(&s.id).is_empty());
}

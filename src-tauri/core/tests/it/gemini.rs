//! The real Gemini CLI (pinned, from npm) driven through the engine, against our stand-in for
//! the Gemini API on 127.0.0.1 (tests/fake-api/server.mjs). Fully offline.

use std::time::Duration;

use crate::support::*;
use switchboard_core::*;

fn error_of(s: &Session) -> String {
    match &s.status {
        SessionStatus::Error { message } => message.clone(),
        other => panic!("not an error: {other:?}"),
    }
}

/// Items 6 and 7: in a folder never trusted, the answer (sent only as deltas) is shown and is
/// `send`'s answer. Item 9: the model is the one that answered, not "auto".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_is_shown_and_sent_back_in_an_untrusted_folder() {
    let f = AgentFixture::gemini();
    let s = f.run("say hi", PermissionMode::Default).await;
    assert_eq!(s.status, SessionStatus::Idle, "{:?} {:#?}", s.last_error, f.views(&s.id));
    assert_eq!(s.exit_code, Some(0));
    assert_eq!(f.texts(&s.id).concat(), "FAKE-OK: say hi");
    let views = f.views(&s.id);
    assert_eq!(views.iter().filter(|v| matches!(v, EntryView::AssistantText { .. })).count(), 1, "its pieces are one message");
    assert!(!views.iter().any(|v| matches!(v, EntryView::Raw { .. })), "{views:#?}");
    // The model: what the API was asked for with tools (the turn's model), never "auto".
    let model = f.api.requests().iter().rev().find(|r| r["tools"] == true).and_then(|r| r["model"].as_str().map(String::from)).unwrap();
    let shown: Vec<serde_json::Value> = views
        .iter()
        .filter(|v| matches!(v, EntryView::SystemInit { .. } | EntryView::TurnResult { .. }))
        .map(|v| serde_json::to_value(v).unwrap()["model"].clone())
        .collect();
    assert_eq!(shown, [serde_json::Value::Null, serde_json::Value::String(model)], "init says auto; the result says which");

    let answer = f.engine.send(&s.id, "second turn", Duration::from_secs(60)).await.unwrap();
    assert!(answer.success, "{answer:?}");
    assert_eq!(answer.output.as_deref(), Some("FAKE-OK: second turn"));
    assert_eq!(answer.session.agent_session_id, s.agent_session_id, "the same Gemini session");
    assert!(answer.session.launch_command.as_deref().unwrap_or_default().contains("--resume="));
    // Each result reports its own turn: the counters are their sum.
    let results = f.results(&s.id);
    let sum = |k: &str| results.iter().map(|r| r["stats"][k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(
        (answer.session.input_tokens, answer.session.output_tokens, answer.session.turns),
        (sum("input_tokens"), sum("output_tokens"), 2)
    );
}

/// Item 8: each permission mode as Gemini's approval mode. Item 9: a tool result without
/// output shows its status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_follow_the_permission_mode() {
    // Default: only read-only tools (the stand-in lists the folder instead of running a command).
    let f = AgentFixture::gemini();
    // (Listing an empty folder has an output; a folder with a file has none.)
    std::fs::write(f.work.path().join("a.txt"), "hello\n").unwrap();
    let s = f.run("[[tool:bash echo tool-ran]]", PermissionMode::Default).await;
    assert_eq!(s.status, SessionStatus::Idle, "{:?}", s.last_error);
    let views = f.views(&s.id);
    assert!(views.iter().any(|v| matches!(v, EntryView::ToolUse { name, .. } if name == "list_directory")), "{views:#?}");
    assert!(
        views.iter().any(|v| matches!(v, EntryView::ToolResult { content, is_error: false, .. } if content == "(success)")),
        "{views:#?}"
    );
    // Bypass: the shell runs.
    let s = f.run("[[tool:bash echo tool-ran]]", PermissionMode::BypassPermissions).await;
    let views = f.views(&s.id);
    assert!(
        views.iter().any(|v| matches!(v, EntryView::ToolResult { content, is_error: false, .. } if content == "tool-ran")),
        "{views:#?}"
    );
    // acceptEdits writes; plan and default do not.
    for (mode, writes) in [(PermissionMode::AcceptEdits, true), (PermissionMode::Plan, false), (PermissionMode::Default, false)] {
        let file = f.work.path().join("fake-written.txt");
        let _ = std::fs::remove_file(&file);
        let s = f.run("[[tool:write fake-written.txt hello]]", mode).await;
        assert_eq!(s.status, SessionStatus::Idle, "{mode:?}: {:?}", s.last_error);
        assert_eq!(file.exists(), writes, "{mode:?}: {:#?}", f.views(&s.id));
        if writes {
            assert_eq!(std::fs::read_to_string(&file).unwrap(), "hello");
        }
    }
}

/// Item 9: an `error` event's message is the failure's reason (an empty model reply).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_reply_fails_with_the_clis_reason() {
    let f = AgentFixture::gemini();
    let s = f.run("[[empty]] please", PermissionMode::Default).await;
    assert!(error_of(&s).contains("empty response"), "{:?}", s.status);
    assert!(f.views(&s.id).iter().any(|v| matches!(v, EntryView::Lifecycle { text } if text.contains("empty response"))));
}

/// A hard API error is shown with the API's message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_api_error_shows_its_message() {
    let f = AgentFixture::gemini();
    let s = f.run("[[error 400]] please", PermissionMode::Default).await;
    assert!(error_of(&s).contains("fake error 400"), "{:?}", s.status);
}

/// Item 10: the CLI retries a 500 (told only on stderr): "retrying" is shown, and the turn
/// recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_api_error_is_shown_and_the_turn_recovers() {
    let f = AgentFixture::gemini();
    let s = f.run("[[flaky 1 500]] then answer", PermissionMode::Default).await;
    assert_eq!(s.status, SessionStatus::Idle, "{:?}", s.last_error);
    let views = f.views(&s.id);
    assert!(
        views.iter().any(|v| matches!(v, EntryView::ApiRetry { attempt: 1, max_retries: 10, error: Some(e) } if e.contains("500"))),
        "{views:#?}"
    );
    assert_eq!(f.texts(&s.id).concat(), "FAKE-OK: [[flaky 1 500]] then answer");
}

/// Live typing (issue 14): Gemini's answer pieces reach a live follower while the message is
/// written (not only once it is joined); the store keeps the joined message only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_is_typed_live_while_its_pieces_come() {
    let f = AgentFixture::gemini();
    let s = f.engine.create(f.request("[[slow 20]]", PermissionMode::Default)).await.unwrap();
    let typing = watch_typing(&f.engine, &s.id, 0, 90).await;
    let full = (1..=20).map(|i| format!("chunk {i}")).collect::<Vec<_>>().join(" ") + ".";
    assert!(typing.before_final.starts_with("chunk 1 "), "partial text before the joined message: {typing:?}");
    assert!(
        typing.first.starts_with("chunk 1") && typing.first.len() < full.len() / 2,
        "the text was first seen in part, not whole: {typing:?}"
    );
    assert!(typing.done_through >= typing.final_seq && typing.final_seq.is_some(), "{typing:?}");
    let done = wait_until(&f.engine, &s.id, 30, |s| !matches!(s.status, SessionStatus::Starting | SessionStatus::Running)).await;
    assert_eq!(done.status, SessionStatus::Idle, "{done:?}");
    assert_eq!(f.texts(&s.id).concat(), full);
    assert_eq!(f.views(&s.id).iter().filter(|v| matches!(v, EntryView::AssistantText { .. })).count(), 1);
}

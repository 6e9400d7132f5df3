//! Codex and Gemini output, as the real CLIs printed it (tests/fixtures/*.jsonl, recorded by
//! tests/recordings.rs: scripts/record-agents), through their adapters and into the same
//! normalized views as Claude's.

use switchboard_core::agents::{adapter, Signal};
use switchboard_core::*;

use crate::support::repo_root;

fn run(agent: AgentKind, file: &str) -> (Vec<EntryView>, Vec<Signal>) {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures").join(file)).unwrap();
    let a = adapter(agent);
    let mut views = Vec::new();
    let mut signals = Vec::new();
    let mut pieces = String::new();
    let view = |kind: &str, payload: String| {
        EntryView::of(&OutputEntry {
            session_id: "s".into(),
            seq: 1,
            ts: chrono::Utc::now(),
            stream: Stream::Stdout,
            kind: kind.into(),
            payload,
        })
    };
    for line in text.lines() {
        let parsed = a.parse(line);
        // As the engine does: a streamed message's pieces are joined into one.
        if parsed.kind == agents::PIECE {
            pieces.push_str(serde_json::from_str::<serde_json::Value>(line).unwrap()["content"].as_str().unwrap());
            continue;
        }
        if !pieces.is_empty() {
            views.push(view("assistant_text", agents::piece_line(&std::mem::take(&mut pieces))));
        }
        if parsed.store {
            views.push(view(parsed.kind, line.into()));
        }
        signals.extend(parsed.signal);
    }
    (views, signals)
}

fn ends(signals: &[Signal]) -> Vec<&agents::TurnEnd> {
    signals
        .iter()
        .filter_map(|s| match s {
            Signal::TurnEnd(t) => Some(t),
            _ => None,
        })
        .collect()
}

fn texts(views: &[EntryView]) -> String {
    views
        .iter()
        .filter_map(|v| match v {
            EntryView::AssistantText { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn codex_recordings_are_normalized() {
    let (views, signals) = run(AgentKind::Codex, "codex-reply.jsonl");
    assert!(matches!(&signals[0], Signal::Init { agent_session_id: Some(t), .. } if !t.is_empty()));
    assert_eq!(
        ends(&signals).iter().map(|t| (t.is_error, t.input_tokens, t.output_tokens, t.usage_is_cumulative)).collect::<Vec<_>>(),
        [(false, 11, 7, true)]
    );
    assert_eq!(texts(&views), "FAKE-OK: say hi");
    assert!(
        views.iter().any(|v| matches!(v, EntryView::Lifecycle { text } if text.starts_with("Codex: Model metadata"))),
        "a warning is a notice"
    );
    assert!(!views.iter().any(|v| matches!(v, EntryView::Raw { .. })), "every line understood: {views:?}");

    let (views, signals) = run(AgentKind::Codex, "codex-tool.jsonl");
    assert!(views.iter().any(|v| matches!(v, EntryView::ToolUse { name, input, .. } if name == "shell" && input["command"].as_str().is_some_and(|c| c.contains("echo tool-ran")))));
    assert!(views.iter().any(|v| matches!(v, EntryView::ToolResult { content, is_error: false, .. } if content.contains("tool-ran"))));
    assert!(
        views.iter().any(|v| matches!(v, EntryView::Lifecycle { text } if text.starts_with("Reasoning: "))),
        "reasoning is not the answer"
    );
    assert!(texts(&views).starts_with("TOOL-DONE: "), "{views:?}");
    assert_eq!(ends(&signals).len(), 1);

    // A plan session's write: the read-only sandbox refuses it.
    let (views, _) = run(AgentKind::Codex, "codex-write-plan.jsonl");
    assert!(texts(&views).contains("Read-only file system"), "{views:?}");

    // Reconnecting is a retry, not the turn's end.
    let (views, signals) = run(AgentKind::Codex, "codex-reconnect.jsonl");
    assert!(views.iter().any(|v| matches!(v, EntryView::ApiRetry { attempt: 1, max_retries: 5, .. })), "{views:?}");
    assert_eq!(ends(&signals).iter().map(|t| t.is_error).collect::<Vec<_>>(), [false]);

    // The resumed turn reports the thread's total (both turns).
    let (_, signals) = run(AgentKind::Codex, "codex-resume.jsonl");
    assert_eq!(ends(&signals).iter().map(|t| (t.input_tokens, t.output_tokens)).collect::<Vec<_>>(), [(22, 14)]);

    let (_, signals) = run(AgentKind::Codex, "codex-error.jsonl");
    let ends = ends(&signals);
    assert_eq!(ends.len(), 1, "only turn.failed ends the turn");
    assert!(ends[0].is_error);
    assert_eq!(ends[0].error_message(), "Invalid request (fake API).");
}

#[test]
fn gemini_recordings_are_normalized() {
    let (views, signals) = run(AgentKind::Gemini, "gemini-reply.jsonl");
    assert!(matches!(&signals[0], Signal::Init { agent_session_id: Some(_), model: None }), "\"auto\" is no model: {:?}", signals[0]);
    assert_eq!(texts(&views), "FAKE-OK: say hi", "the deltas are the answer");
    assert_eq!(views.iter().filter(|v| matches!(v, EntryView::AssistantText { .. })).count(), 1, "one message");
    let t = ends(&signals)[0].clone();
    assert_eq!((t.is_error, t.input_tokens, t.output_tokens), (false, 26, 10));
    let model = views.iter().find_map(|v| match v {
        EntryView::TurnResult { model, .. } => model.clone(),
        _ => None,
    });
    assert!(model.is_some_and(|m| m != "auto" && !m.contains("lite")), "the model that answered");
    assert!(!views.iter().any(|v| matches!(v, EntryView::UserText { .. })), "the prompt's echo is not kept twice");
    assert!(!views.iter().any(|v| matches!(v, EntryView::Raw { .. })), "every line understood: {views:?}");

    let (views, _) = run(AgentKind::Gemini, "gemini-tool.jsonl");
    assert!(views.iter().any(|v| matches!(v, EntryView::ToolUse { name, .. } if name == "list_directory")));
    assert!(
        views.iter().any(|v| matches!(v, EntryView::ToolResult { content, is_error: false, .. } if content == "(success)")),
        "{views:?}"
    );
    let (views, _) = run(AgentKind::Gemini, "gemini-tool-yolo.jsonl");
    assert!(views.iter().any(|v| matches!(v, EntryView::ToolUse { name, .. } if name == "run_shell_command")));
    assert!(
        views.iter().any(|v| matches!(v, EntryView::ToolResult { content, is_error: false, .. } if content == "tool-ran")),
        "{views:?}"
    );

    let (_, signals) = run(AgentKind::Gemini, "gemini-empty-reply.jsonl");
    assert!(matches!(signals.iter().find(|s| matches!(s, Signal::Error(_))), Some(Signal::Error(m)) if m.contains("empty response")));
    assert!(ends(&signals)[0].is_error);

    let (_, signals) = run(AgentKind::Gemini, "gemini-error.jsonl");
    assert!(ends(&signals)[0].error_message().contains("fake error 400"));

    // Retries are told on stderr.
    let stderr = std::fs::read_to_string(repo_root().join("tests/fixtures/gemini-retry.stderr.txt")).unwrap();
    let (kind, payload) = adapter(AgentKind::Gemini).parse_stderr(stderr.lines().next().unwrap()).expect("a retry");
    let entry = OutputEntry { session_id: "s".into(), seq: 1, ts: chrono::Utc::now(), stream: Stream::Stdout, kind: kind.into(), payload };
    assert!(matches!(EntryView::of(&entry), EntryView::ApiRetry { attempt: 1, max_retries: 10, error: Some(e) } if e.contains("500")));
    let (views, _) = run(AgentKind::Gemini, "gemini-retry.jsonl");
    assert!(texts(&views).starts_with("FAKE-OK"));
}

#[test]
fn one_shot_agents_get_the_prompt_on_stdin_never_as_an_argument() {
    let mut s = test_session(AgentKind::Codex);
    let l = adapter(AgentKind::Codex).launch(&s, std::path::Path::new("/usr/bin/codex"), false, Some("--help me")).unwrap();
    assert_eq!(l.args.last().map(String::as_str), Some("-"), "codex reads the prompt from stdin: {:?}", l.args);
    assert_eq!(l.stdin_data.as_deref(), Some("--help me"), "a prompt that looks like a flag stays a prompt");
    assert!(!l.args.iter().any(|a| a.contains("help me")));
    s.agent_session_id = Some("0199a213".into());
    let l = adapter(AgentKind::Codex).launch(&s, std::path::Path::new("/usr/bin/codex"), true, Some("again")).unwrap();
    assert_eq!(&l.args[..3], &["exec", "resume", "0199a213"]);
    let g = adapter(AgentKind::Gemini)
        .launch(&test_session(AgentKind::Gemini), std::path::Path::new("/usr/bin/gemini"), false, Some("-x"))
        .unwrap();
    assert_eq!(g.stdin_data.as_deref(), Some("-x"));
    assert!(!g.args.iter().any(|a| a.contains("-x")), "{:?}", g.args);
    assert!(adapter(AgentKind::Gemini).launch(&test_session(AgentKind::Gemini), std::path::Path::new("/g"), false, None).is_err());
}

fn test_session(agent: AgentKind) -> Session {
    let now = chrono::Utc::now();
    Session { ..Session::new("x".into(), agent, "t".into(), "/tmp".into(), SessionConfig::default(), now) }
}

//! Codex and Gemini output, from recorded fixtures (tests/fixtures/*.jsonl), through their
//! adapters and into the same normalized views as Claude's.

use switchboard_core::agents::{adapter, Signal};
use switchboard_core::*;

use crate::support::repo_root;

fn run(agent: AgentKind, file: &str) -> (Vec<EntryView>, Vec<Signal>) {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures").join(file)).unwrap();
    let a = adapter(agent);
    let mut views = Vec::new();
    let mut signals = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let parsed = a.parse(line);
        if parsed.store {
            let entry = OutputEntry {
                session_id: "s".into(),
                seq: i as u64 + 1,
                ts: chrono::Utc::now(),
                stream: Stream::Stdout,
                kind: parsed.kind.into(),
                payload: line.into(),
            };
            views.push(EntryView::of(&entry));
        }
        signals.extend(parsed.signal);
    }
    (views, signals)
}

#[test]
fn codex_exec_json_is_normalized() {
    let (views, signals) = run(AgentKind::Codex, "codex-exec.jsonl");
    assert!(matches!(&signals[0], Signal::Init { agent_session_id: Some(t), .. } if t == "0199a213-81c0-7800-8aa1-bbab2a035a53"));
    match signals.last().unwrap() {
        Signal::TurnEnd(t) => assert_eq!((t.is_error, t.input_tokens, t.output_tokens), (false, 24763, 122)),
        other => panic!("{other:?}"),
    }
    assert!(views
        .iter()
        .any(|v| matches!(v, EntryView::ToolUse { name, input, .. } if name == "shell" && input["command"] == "bash -lc ls tests")));
    assert!(views.iter().any(|v| matches!(v, EntryView::ToolResult { content, is_error: false, .. } if content.contains("e2e\nit"))));
    assert!(views.iter().any(|v| matches!(v, EntryView::ToolResult { is_error: true, .. })), "a failed command is an error");
    assert!(views.iter().any(|v| matches!(v, EntryView::AssistantText { text } if text.contains("tests/it"))));
    assert!(!views.iter().any(|v| matches!(v, EntryView::Raw { .. })), "every line understood: {views:?}");

    let (_, signals) = run(AgentKind::Codex, "codex-failed.jsonl");
    let ends: Vec<_> = signals
        .iter()
        .filter_map(|s| match s {
            Signal::TurnEnd(t) => Some(t),
            _ => None,
        })
        .collect();
    assert!(ends.iter().all(|t| t.is_error));
    assert!(ends[0].error_message().contains("401 Unauthorized"));
}

#[test]
fn gemini_stream_json_is_normalized() {
    let (views, signals) = run(AgentKind::Gemini, "gemini-stream.jsonl");
    assert!(matches!(&signals[0], Signal::Init { agent_session_id: Some(_), model: Some(m) } if m == "gemini-2.5-pro"));
    match signals.last().unwrap() {
        Signal::TurnEnd(t) => assert_eq!((t.is_error, t.input_tokens, t.output_tokens), (false, 8950, 170)),
        other => panic!("{other:?}"),
    }
    let texts: Vec<&str> = views
        .iter()
        .filter_map(|v| match v {
            EntryView::AssistantText { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, vec!["The tests are in `tests/e2e` and `tests/it`."], "deltas are live-only; the whole message is kept once");
    assert!(views.iter().any(|v| matches!(v, EntryView::ToolUse { name, .. } if name == "run_shell_command")));
    assert!(views.iter().any(|v| matches!(v, EntryView::ToolResult { content, is_error: false, .. } if content == "e2e\nit")));
    assert!(views.iter().any(|v| matches!(v, EntryView::UserText { text } if text == "List the test folders")));
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
    Session {
        id: "x".into(),
        agent,
        title: "t".into(),
        cwd: "/tmp".into(),
        status: SessionStatus::Starting,
        task_id: None,
        mcp_session_id: None,
        agent_session_id: None,
        service_session_id: None,
        config: SessionConfig::default(),
        created_at: now,
        last_activity: now,
        expires_at: now,
        ended_at: None,
        message_count: 0,
        turns: 0,
        input_tokens: 0,
        output_tokens: 0,
        cost_usd: 0.0,
        last_error: None,
        pid: None,
        exit_code: None,
        last_response_at: None,
        launch_command: None,
        output_trimmed_through: 0,
    }
}

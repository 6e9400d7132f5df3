//! Claude Code, driven in stream-json mode:
//! `claude -p --output-format stream-json --verbose --input-format stream-json
//!  --include-partial-messages --session-id <uuid> | --resume <uuid>` with stdin kept open for follow-ups.
//! The protocol as seen on the real CLI is in tests/fake-api/README.md.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{option_value, str_of, u64_of, Adapter, Parsed, Signal, TurnEnd};
use crate::error::{Error, Result};
use crate::model::{AgentKind, PermissionMode, Session};
use crate::runner::{ArgFile, Launch};
use crate::view::EntryView;

/// The seed 003 default when a session does not set `max_turns`.
pub const DEFAULT_MAX_TURNS: u32 = 10;

/// Claude Code, driven headless over stream-json on stdin and stdout.
pub struct Claude;

impl Adapter for Claude {
    fn kind(&self) -> AgentKind {
        AgentKind::Claude
    }

    fn launch(&self, session: &Session, program: &Path, resume: bool, _prompt: Option<&str>) -> Result<Launch> {
        let c = &session.config;
        let id = session
            .agent_session_id
            .as_deref()
            .ok_or_else(|| Error::invalid("agent_session_id", "a Claude session needs its session id"))?;
        let mut args: Vec<String> = [
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--input-format",
            "stream-json",
            // `stream_event` lines with the API's deltas: live typing (see `text_delta`).
            "--include-partial-messages",
        ]
        .map(String::from)
        .to_vec();
        // `--flag=value` forms: a value can never be read as a flag of its own.
        args.push(if resume { format!("--resume={id}") } else { format!("--session-id={id}") });
        if let Some(model) = c.model.as_deref().filter(|m| !m.is_empty()) {
            args.push(format!("--model={}", option_value("model", model)?));
        }
        args.push(format!("--permission-mode={}", c.permission_mode.as_str()));
        args.push(format!("--max-turns={}", c.max_turns.unwrap_or(DEFAULT_MAX_TURNS)));
        if asks_permissions(session) {
            // Tool permissions come to us as control requests on stdout (see `handshake`).
            args.push("--permission-prompt-tool=stdio".into());
        }
        // Through a private file (`--append-system-prompt-file`, which the CLI has though its
        // help hides it): on the command line the prompt would be readable by every local
        // user and fail over 128 KiB (E2BIG).
        let mut arg_file = None;
        if let Some(prompt) = c.append_system_prompt.as_deref().filter(|p| !p.is_empty()) {
            if prompt.contains('\0') {
                return Err(Error::invalid("append_system_prompt", "the system prompt cannot contain NUL bytes"));
            }
            arg_file = Some(ArgFile { flag: "--append-system-prompt-file".into(), contents: prompt.to_string() });
        }
        Ok(Launch {
            program: program.to_path_buf(),
            args,
            cwd: PathBuf::from(&session.cwd),
            env: c.env.clone(),
            stdin: true,
            arg_file,
            ..Default::default()
        })
    }

    fn interactive(&self) -> bool {
        true
    }

    fn handshake(&self, session: &Session) -> Vec<String> {
        if !asks_permissions(session) {
            return Vec::new();
        }
        vec![json!({ "type": "control_request", "request_id": format!("init-{}", session.id), "request": { "subtype": "initialize" } })
            .to_string()]
    }

    fn permission_answer(&self, request_id: &str, decision: &crate::model::PermissionDecision, input: &Value) -> Option<String> {
        use crate::model::PermissionDecision::*;
        let response = match decision {
            Allow { updated_input, .. } => {
                json!({ "behavior": "allow", "updatedInput": updated_input.clone().unwrap_or_else(|| input.clone()) })
            }
            Deny { message } => json!({ "behavior": "deny", "message": message }),
            Cancelled { reason } => json!({ "behavior": "deny", "message": reason, "interrupt": true }),
        };
        Some(
            json!({ "type": "control_response", "response": { "subtype": "success", "request_id": request_id, "response": response } })
                .to_string(),
        )
    }

    fn user_message(&self, text: &str) -> Option<String> {
        Some(json!({ "type": "user", "message": { "role": "user", "content": text } }).to_string())
    }

    fn interrupt_message(&self, request_id: &str) -> Option<String> {
        Some(json!({ "type": "control_request", "request_id": request_id, "request": { "subtype": "interrupt" } }).to_string())
    }

    fn parse(&self, line: &str) -> Parsed {
        let Ok(v) = serde_json::from_str::<Value>(line) else { return Parsed::stored("raw") };
        match (str_of(&v, "type"), str_of(&v, "subtype")) {
            (Some("system"), Some("init")) => Parsed::with(
                "system_init",
                Signal::Init { agent_session_id: str_of(&v, "session_id").map(String::from), model: str_of(&v, "model").map(String::from) },
            ),
            (Some("system"), Some("api_retry")) => Parsed::stored("api_retry"),
            (Some("system"), _) => Parsed::skipped("system"),
            (Some("assistant"), _) => Parsed::stored(message_kind(true, &v)),
            (Some("user"), _) => Parsed::stored(message_kind(false, &v)),
            (Some("result"), _) => Parsed::with("result", Signal::TurnEnd(turn_end(&v))),
            (Some("control_request"), _) if v.pointer("/request/subtype").and_then(Value::as_str) == Some("can_use_tool") => {
                let req = v.get("request").cloned().unwrap_or(Value::Null);
                Parsed {
                    kind: "permission_request",
                    store: true,
                    signal: Some(Signal::PermissionRequest {
                        request_id: str_of(&v, "request_id").unwrap_or_default().to_string(),
                        tool_name: str_of(&req, "tool_name").unwrap_or("unknown").to_string(),
                        input: req.get("input").cloned().unwrap_or(Value::Null),
                        description: str_of(&req, "description").map(String::from),
                    }),
                }
            }
            (Some("control_response"), _) => match v.pointer("/response/request_id").and_then(Value::as_str) {
                Some(id) => Parsed { kind: "control", store: false, signal: Some(Signal::ControlResponse { request_id: id.to_string() }) },
                None => Parsed::skipped("control"),
            },
            // Live typing (`--include-partial-messages`): text deltas are shown as they come,
            // not stored (the final assistant line is).
            (Some("stream_event"), _) => match text_delta(&v) {
                Some(signal) => Parsed { kind: "stream_event", store: false, signal: Some(signal) },
                None => Parsed::skipped("stream_event"),
            },
            _ => Parsed::stored("raw"),
        }
    }

    fn install_hint(&self) -> &'static str {
        "npm install -g @anthropic-ai/claude-code"
    }

    fn binary_names(&self) -> &'static [&'static str] {
        &["claude"]
    }
}

/// A `stream_event` carrying a `text_delta`, as partial text keyed by its content block
/// (and the subagent's tool call, whose messages stream too).
fn text_delta(v: &Value) -> Option<Signal> {
    let event = v.get("event")?;
    if str_of(event, "type") != Some("content_block_delta") || event.pointer("/delta/type").and_then(Value::as_str) != Some("text_delta") {
        return None;
    }
    let text = event.pointer("/delta/text").and_then(Value::as_str)?;
    let index = event.get("index").and_then(Value::as_u64).unwrap_or(0);
    let parent = str_of(v, "parent_tool_use_id").unwrap_or("");
    Some(Signal::Partial { key: format!("claude:{parent}:{index}"), text: text.to_string() })
}

/// The stored kind of an `assistant` (or `user`) line: `tool_use` / `assistant_text`
/// (`tool_result` / `user_text`). Imported transcripts (external/) are stored by it too.
pub(crate) fn message_kind(assistant: bool, v: &Value) -> &'static str {
    let blocks = v.pointer("/message/content").and_then(Value::as_array);
    kind_by_blocks(assistant, |ty| blocks.is_some_and(|b| b.iter().any(|b| str_of(b, "type") == Some(ty))))
}

/// [`message_kind`]'s rule, given whether the message's content has a block of a type.
pub(crate) fn kind_by_blocks(assistant: bool, has: impl Fn(&str) -> bool) -> &'static str {
    match assistant {
        true if has("tool_use") => "tool_use",
        true => "assistant_text",
        false if has("tool_result") => "tool_result",
        false => "user_text",
    }
}

/// Permission prompts go to Switchboard unless the session bypasses permissions.
fn asks_permissions(session: &Session) -> bool {
    session.config.permission_mode != PermissionMode::BypassPermissions
}

fn turn_end(v: &Value) -> TurnEnd {
    let usage = v.get("usage").cloned().unwrap_or(Value::Null);
    TurnEnd {
        subtype: str_of(v, "subtype").unwrap_or("unknown").to_string(),
        is_error: v.get("is_error").and_then(Value::as_bool).unwrap_or(false),
        num_turns: u64_of(v, "num_turns"),
        // Agent-reported numbers saturate: a bogus count near u64::MAX must not overflow.
        input_tokens: u64_of(&usage, "input_tokens")
            .saturating_add(u64_of(&usage, "cache_creation_input_tokens"))
            .saturating_add(u64_of(&usage, "cache_read_input_tokens")),
        output_tokens: u64_of(&usage, "output_tokens"),
        cost_usd: v.get("total_cost_usd").and_then(Value::as_f64).unwrap_or(0.0),
        cost_is_cumulative: true,
        usage_is_cumulative: false,
        text: str_of(v, "result").map(String::from),
        errors: v
            .get("errors")
            .and_then(Value::as_array)
            .map(|e| e.iter().filter_map(Value::as_str).filter(|s| !s.starts_with("[ede_diagnostic]")).map(String::from).collect())
            .unwrap_or_default(),
        api_error_status: v.get("api_error_status").and_then(Value::as_u64).map(|s| s as u32),
    }
}

/// Reads a stored Claude line; None when the line is not Claude's.
pub(super) fn view(kind: &str, v: &Value) -> Option<EntryView> {
    if kind == "permission_request" {
        let req = v.get("request")?;
        return Some(EntryView::PermissionAsked {
            request_id: str_of(v, "request_id").unwrap_or_default().to_string(),
            tool_name: str_of(req, "tool_name").unwrap_or_default().to_string(),
            input: req.get("input").cloned().unwrap_or(Value::Null),
            description: str_of(req, "description").map(String::from),
        });
    }
    // Claude's lines all carry a session_id and a type; results also carry a subtype.
    // (Gemini's `init` carries a session_id too.)
    v.get("session_id")?;
    if str_of(v, "type") == Some("init") {
        return None;
    }
    let texts = |blocks: &[Value], ty: &str| -> String {
        blocks.iter().filter(|b| str_of(b, "type") == Some(ty)).filter_map(|b| str_of(b, "text")).collect::<Vec<_>>().join("\n")
    };
    let blocks = v.pointer("/message/content").and_then(Value::as_array).cloned().unwrap_or_default();
    Some(match kind {
        "system_init" => EntryView::SystemInit {
            model: str_of(v, "model").map(String::from),
            agent_session_id: str_of(v, "session_id").map(String::from),
            cwd: str_of(v, "cwd").map(String::from),
            permission_mode: str_of(v, "permissionMode").map(String::from),
        },
        "assistant_text" => EntryView::AssistantText { text: texts(&blocks, "text") },
        "tool_use" => {
            let b = blocks.iter().find(|b| str_of(b, "type") == Some("tool_use"))?;
            EntryView::ToolUse {
                id: str_of(b, "id").unwrap_or_default().to_string(),
                name: str_of(b, "name").unwrap_or_default().to_string(),
                input: b.get("input").cloned().unwrap_or(Value::Null),
            }
        }
        "tool_result" => {
            let b = blocks.iter().find(|b| str_of(b, "type") == Some("tool_result"))?;
            EntryView::ToolResult {
                tool_use_id: str_of(b, "tool_use_id").unwrap_or_default().to_string(),
                content: content_text(b.get("content")),
                is_error: b.get("is_error").and_then(Value::as_bool).unwrap_or(false),
            }
        }
        "user_text" => match v.pointer("/message/content") {
            Some(Value::String(s)) => EntryView::UserText { text: s.clone() },
            _ => EntryView::UserText { text: texts(&blocks, "text") },
        },
        "result" => {
            let t = turn_end(v);
            EntryView::TurnResult {
                subtype: t.subtype,
                is_error: t.is_error,
                num_turns: t.num_turns,
                duration_ms: u64_of(v, "duration_ms"),
                cost_usd: t.cost_usd,
                input_tokens: t.input_tokens,
                output_tokens: t.output_tokens,
                text: t.text,
                errors: t.errors,
                api_error_status: t.api_error_status,
                model: None,
            }
        }
        "api_retry" => EntryView::ApiRetry {
            attempt: u64_of(v, "attempt"),
            max_retries: u64_of(v, "max_retries"),
            error: str_of(v, "error").map(String::from),
        },
        _ => return None,
    })
}

/// A tool_result's content: a string, or a list of text blocks.
fn content_text(c: Option<&Value>) -> String {
    match c {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items.iter().filter_map(|i| str_of(i, "text")).collect::<Vec<_>>().join("\n"),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

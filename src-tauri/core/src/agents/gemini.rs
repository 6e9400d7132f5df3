//! Google's Gemini CLI: `gemini --output-format stream-json` with the prompt on stdin, one
//! process per turn. Its JSONL events: init (session_id, model), message (role, content, delta),
//! tool_use (tool_name, tool_id, parameters), tool_result (tool_id, status, output),
//! error, result (status, stats).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{option_value, str_of, u64_of, Adapter, Parsed, Signal, TurnEnd};
use crate::error::{Error, Result};
use crate::model::{AgentKind, PermissionMode, Session};
use crate::runner::Launch;
use crate::view::EntryView;

pub struct Gemini;

impl Adapter for Gemini {
    fn kind(&self) -> AgentKind {
        AgentKind::Gemini
    }

    fn launch(&self, session: &Session, program: &Path, resume: bool, prompt: Option<&str>) -> Result<Launch> {
        let prompt =
            prompt.filter(|p| !p.trim().is_empty()).ok_or_else(|| Error::invalid("prompt", "Gemini needs a prompt to start a turn"))?;
        let mut args = vec!["--output-format=stream-json".to_string()];
        if resume {
            if let Some(id) = session.agent_session_id.as_deref() {
                args.push(format!("--resume={}", option_value("agent_session_id", id)?));
            }
        }
        if let Some(model) = session.config.model.as_deref().filter(|m| !m.is_empty()) {
            args.push(format!("--model={}", option_value("model", model)?));
        }
        if session.config.permission_mode == PermissionMode::BypassPermissions {
            args.push("--yolo".into());
        }
        // No `--prompt`: with stdin not a terminal, Gemini runs non-interactively on what it
        // reads there. On the command line the prompt would be readable by every local user
        // and fail over 128 KiB (E2BIG).
        Ok(Launch {
            program: program.to_path_buf(),
            args,
            cwd: PathBuf::from(&session.cwd),
            env: session.config.env.clone(),
            stdin_data: Some(prompt.to_string()),
            ..Default::default()
        })
    }

    fn parse(&self, line: &str) -> Parsed {
        let Ok(v) = serde_json::from_str::<Value>(line) else { return Parsed::stored("raw") };
        match str_of(&v, "type") {
            Some("init") => Parsed::with(
                "system_init",
                Signal::Init { agent_session_id: str_of(&v, "session_id").map(String::from), model: str_of(&v, "model").map(String::from) },
            ),
            // Streaming pieces of the assistant's answer are live-only; whole messages are kept.
            Some("message") if v.get("delta").and_then(Value::as_bool) == Some(true) => Parsed::skipped("delta"),
            Some("message") if str_of(&v, "role") == Some("user") => Parsed::stored("user_text"),
            Some("message") => Parsed::stored("assistant_text"),
            Some("tool_use") => Parsed::stored("tool_use"),
            Some("tool_result") => Parsed::stored("tool_result"),
            Some("result") => {
                let stats = v.get("stats").cloned().unwrap_or(Value::Null);
                let failed = str_of(&v, "status").is_some_and(|s| s != "success");
                Parsed::with(
                    "result",
                    Signal::TurnEnd(TurnEnd {
                        subtype: str_of(&v, "status").unwrap_or("success").to_string(),
                        is_error: failed,
                        num_turns: 1,
                        input_tokens: u64_of(&stats, "input_tokens"),
                        output_tokens: u64_of(&stats, "output_tokens"),
                        text: v.pointer("/error/message").and_then(Value::as_str).map(String::from),
                        ..Default::default()
                    }),
                )
            }
            Some("error") => Parsed::stored("raw"),
            _ => Parsed::stored("raw"),
        }
    }

    fn install_hint(&self) -> &'static str {
        "npm install -g @google/gemini-cli"
    }

    fn binary_names(&self) -> &'static [&'static str] {
        &["gemini"]
    }
}

pub(super) fn view(kind: &str, v: &Value) -> Option<EntryView> {
    let ty = str_of(v, "type")?;
    if !matches!(ty, "init" | "message" | "tool_use" | "tool_result" | "result" | "error") {
        return None;
    }
    Some(match kind {
        "system_init" => EntryView::SystemInit {
            model: str_of(v, "model").map(String::from),
            agent_session_id: str_of(v, "session_id").map(String::from),
            cwd: None,
            permission_mode: None,
        },
        "assistant_text" => EntryView::AssistantText { text: str_of(v, "content").unwrap_or_default().to_string() },
        "user_text" => EntryView::UserText { text: str_of(v, "content").unwrap_or_default().to_string() },
        "tool_use" => EntryView::ToolUse {
            id: str_of(v, "tool_id").unwrap_or_default().to_string(),
            name: str_of(v, "tool_name").unwrap_or_default().to_string(),
            input: v.get("parameters").cloned().unwrap_or(Value::Null),
        },
        "tool_result" => EntryView::ToolResult {
            tool_use_id: str_of(v, "tool_id").unwrap_or_default().to_string(),
            content: match v.get("output") {
                Some(Value::String(s)) => s.clone(),
                Some(o) => o.to_string(),
                None => v.pointer("/error/message").and_then(Value::as_str).unwrap_or_default().to_string(),
            },
            is_error: str_of(v, "status").is_some_and(|s| s != "success"),
        },
        "result" => {
            let stats = v.get("stats").cloned().unwrap_or(Value::Null);
            EntryView::TurnResult {
                subtype: str_of(v, "status").unwrap_or("success").to_string(),
                is_error: str_of(v, "status").is_some_and(|s| s != "success"),
                num_turns: 1,
                duration_ms: u64_of(&stats, "duration_ms"),
                cost_usd: 0.0,
                input_tokens: u64_of(&stats, "input_tokens"),
                output_tokens: u64_of(&stats, "output_tokens"),
                text: v.pointer("/error/message").and_then(Value::as_str).map(String::from),
                errors: vec![],
                api_error_status: None,
            }
        }
        _ => return None,
    })
}

//! Google's Gemini CLI: `gemini --output-format stream-json` with the prompt on stdin, one
//! process per turn. Its JSONL events: init (session_id, model: "auto" when it routes), message
//! (role, content; the answer comes only as `delta` pieces), tool_use (tool_name, tool_id,
//! parameters), tool_result (tool_id, status, output when there is one), error (severity,
//! message), result (status, error, stats with the models really used). API retries are told
//! only on stderr ("Attempt 1 failed … Retrying …").

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{option_value, str_of, u64_of, Adapter, Parsed, Signal, TurnEnd};
use crate::error::{Error, Result};
use crate::model::{AgentKind, PermissionMode, Session};
use crate::runner::Launch;
use crate::view::EntryView;

/// Google's Gemini CLI, one headless process per turn (stream-json on stdout).
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
        // Switchboard's sessions run where the user chose: the folder is trusted (else the
        // CLI exits 55, saying so only on stderr).
        args.push("--skip-trust".into());
        // Headless Gemini cannot ask: in `default` it offers no shell or edit tools at all.
        match session.config.permission_mode {
            PermissionMode::Default => {}
            PermissionMode::AcceptEdits => args.push("--approval-mode=auto_edit".into()),
            PermissionMode::Plan => args.push("--approval-mode=plan".into()),
            PermissionMode::BypassPermissions => args.push("--approval-mode=yolo".into()),
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
                Signal::Init { agent_session_id: str_of(&v, "session_id").map(String::from), model: known_model(str_of(&v, "model")) },
            ),
            // The answer comes only in pieces: the engine joins them into one message.
            Some("message") if v.get("delta").and_then(Value::as_bool) == Some(true) && str_of(&v, "role") != Some("user") => {
                Parsed::skipped(super::PIECE)
            }
            // The prompt echoed: Switchboard keeps the user's words itself.
            Some("message") if str_of(&v, "role") == Some("user") => Parsed::skipped("user_text"),
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
            Some("error") => match str_of(&v, "message") {
                Some(m) if str_of(&v, "severity") != Some("warning") => Parsed::with("notice", Signal::Error(m.to_string())),
                _ => Parsed::stored("notice"),
            },
            _ => Parsed::stored("raw"),
        }
    }

    fn parse_stderr(&self, line: &str) -> Option<(&'static str, String)> {
        // "Attempt 1 failed with status 500. Retrying with backoff... _ApiError: {…}"
        // "Attempt 2 failed: fake error 429. Retrying after 5461ms..."
        let rest = line.strip_prefix("Attempt ")?;
        let (attempt, rest) = rest.split_once(' ')?;
        let attempt: u64 = attempt.parse().ok()?;
        let reason = rest.strip_prefix("failed")?.split(". Retrying").next().filter(|_| rest.contains("Retrying"))?;
        let reason = reason.trim_start_matches(':').trim();
        let payload = serde_json::json!({ "type": "retry", "attempt": attempt, "max_retries": MAX_ATTEMPTS, "error": reason });
        Some(("api_retry", payload.to_string()))
    }

    fn install_hint(&self) -> &'static str {
        "npm install -g @google/gemini-cli"
    }

    fn binary_names(&self) -> &'static [&'static str] {
        &["gemini"]
    }
}

/// How many times the CLI tries an API call (its `DEFAULT_MAX_ATTEMPTS`).
const MAX_ATTEMPTS: u64 = 10;

/// "auto" is not a model: the CLI routes each request to one (see [`model_used`]).
fn known_model(model: Option<&str>) -> Option<String> {
    model.filter(|m| !m.is_empty() && *m != "auto").map(String::from)
}

/// The model that did the turn's work, from `stats.models` (besides the small model that
/// routes, when the model is "auto"): the one with the most tokens, the later on a tie.
fn model_used(v: &Value) -> Option<String> {
    let models = v.pointer("/stats/models")?.as_object()?;
    models
        .iter()
        .fold(None::<(&String, u64)>, |best, (name, m)| {
            let n = u64_of(m, "total_tokens");
            match best {
                Some((_, b)) if b > n => best,
                _ => Some((name, n)),
            }
        })
        .map(|(name, _)| name.clone())
}

pub(super) fn view(kind: &str, v: &Value) -> Option<EntryView> {
    let ty = str_of(v, "type")?;
    if !matches!(ty, "init" | "message" | "tool_use" | "tool_result" | "result" | "error" | "retry") {
        return None;
    }
    Some(match kind {
        "system_init" => EntryView::SystemInit {
            model: known_model(str_of(v, "model")),
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
                // The read-only tools print nothing back: say how the call went.
                None => v
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .map(String::from)
                    .unwrap_or_else(|| format!("({})", str_of(v, "status").unwrap_or("done"))),
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
                model: model_used(v),
            }
        }
        "notice" => EntryView::Lifecycle { text: format!("Gemini CLI: {}", str_of(v, "message").unwrap_or_default()) },
        "api_retry" => EntryView::ApiRetry {
            attempt: u64_of(v, "attempt"),
            max_retries: u64_of(v, "max_retries"),
            error: str_of(v, "error").map(String::from),
        },
        _ => return None,
    })
}

//! OpenAI Codex CLI: `codex exec --json -` with the prompt on stdin, one process per turn;
//! a follow-up resumes the thread with `codex exec resume THREAD_ID --json -`. Its JSONL events:
//! thread.started, turn.started, item.started/updated/completed (agent_message,
//! reasoning, command_execution, file_change, error = a warning, …), turn.completed (usage:
//! the thread's running total), turn.failed, and `error` lines, which are notices while Codex
//! retries ("Reconnecting... 1/5 (…)"): only turn.failed (or the exit) fails a turn.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{option_value, str_of, u64_of, Adapter, Parsed, Signal, TurnEnd};
use crate::error::{Error, Result};
use crate::model::{AgentKind, PermissionMode, Session};
use crate::runner::Launch;
use crate::view::EntryView;

/// OpenAI's Codex CLI, one `codex exec` process per turn (JSON events on stdout).
pub struct Codex;

impl Adapter for Codex {
    fn kind(&self) -> AgentKind {
        AgentKind::Codex
    }

    fn launch(&self, session: &Session, program: &Path, resume: bool, prompt: Option<&str>) -> Result<Launch> {
        let prompt =
            prompt.filter(|p| !p.trim().is_empty()).ok_or_else(|| Error::invalid("prompt", "Codex needs a prompt to start a turn"))?;
        let mut args = vec!["exec".to_string()];
        if resume {
            let thread = session
                .agent_session_id
                .as_deref()
                .ok_or_else(|| Error::invalid("agent_session_id", "nothing to resume: Codex never reported a thread id"))?;
            args.push("resume".into());
            args.push(option_value("agent_session_id", thread)?);
        }
        args.push("--json".into());
        // Any folder, not only a git repository's (else Codex exits: "Not inside a trusted
        // directory and --skip-git-repo-check was not specified").
        args.push("--skip-git-repo-check".into());
        // The permission mode as Codex's sandbox; `exec` never asks, so approvals are off.
        // Given as `-c` settings: `exec resume` takes no `--sandbox`.
        match session.config.permission_mode {
            PermissionMode::BypassPermissions => args.push("--dangerously-bypass-approvals-and-sandbox".into()),
            mode => {
                let sandbox = if mode == PermissionMode::Plan { "read-only" } else { "workspace-write" };
                args.push(format!("--config=sandbox_mode=\"{sandbox}\""));
                args.push("--config=approval_policy=\"never\"".into());
            }
        }
        if let Some(model) = session.config.model.as_deref().filter(|m| !m.is_empty()) {
            args.push(format!("--model={}", option_value("model", model)?));
        }
        // The prompt argument `-`: `codex exec` reads the prompt from stdin. On the command
        // line it would be readable by every local user and fail over 128 KiB (E2BIG).
        args.push("-".into());
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
            Some("thread.started") => {
                Parsed::with("system_init", Signal::Init { agent_session_id: str_of(&v, "thread_id").map(String::from), model: None })
            }
            Some("item.completed") => match v.pointer("/item/type").and_then(Value::as_str) {
                Some("agent_message") => Parsed::stored("assistant_text"),
                // Its thinking, not its answer.
                Some("reasoning") => Parsed::stored("reasoning"),
                // A warning ("Model metadata … not found"): a notice.
                Some("error") => Parsed::stored("notice"),
                Some("command_execution") | Some("file_change") | Some("mcp_tool_call") | Some("web_search") => {
                    Parsed::stored("tool_result")
                }
                _ => Parsed::stored("raw"),
            },
            Some("item.started") if v.pointer("/item/type").and_then(Value::as_str) == Some("command_execution") => {
                Parsed::stored("tool_use")
            }
            Some("item.started") | Some("item.updated") | Some("turn.started") => Parsed::skipped("progress"),
            Some("turn.completed") => {
                let usage = v.get("usage").cloned().unwrap_or(Value::Null);
                Parsed::with(
                    "result",
                    Signal::TurnEnd(TurnEnd {
                        subtype: "success".into(),
                        num_turns: 1,
                        input_tokens: u64_of(&usage, "input_tokens"),
                        output_tokens: u64_of(&usage, "output_tokens"),
                        // The thread's total so far, this turn included: after a resume the
                        // earlier turns are in it again.
                        usage_is_cumulative: true,
                        ..Default::default()
                    }),
                )
            }
            // Codex retrying ("Reconnecting... 2/5 (…)") or saying why it is about to give up:
            // the turn goes on until turn.failed or turn.completed.
            Some("error") if retry_of(str_of(&v, "message").unwrap_or_default()).is_some() => Parsed::stored("api_retry"),
            Some("error") => Parsed::stored("notice"),
            Some("turn.failed") => {
                let message = error_text(v.pointer("/error/message").and_then(Value::as_str).unwrap_or("Codex reported an error"));
                Parsed::with(
                    "result",
                    Signal::TurnEnd(TurnEnd {
                        subtype: "error".into(),
                        is_error: true,
                        num_turns: 1,
                        text: Some(message),
                        ..Default::default()
                    }),
                )
            }
            _ => Parsed::stored("raw"),
        }
    }

    fn install_hint(&self) -> &'static str {
        "npm install -g @openai/codex"
    }

    fn binary_names(&self) -> &'static [&'static str] {
        &["codex"]
    }
}

pub(super) fn view(kind: &str, v: &Value) -> Option<EntryView> {
    let ty = str_of(v, "type")?;
    if !(ty.starts_with("thread.") || ty.starts_with("item.") || ty.starts_with("turn.") || ty == "error") {
        return None;
    }
    let item = v.get("item").cloned().unwrap_or(Value::Null);
    Some(match (kind, ty) {
        ("system_init", _) => EntryView::SystemInit {
            model: None,
            agent_session_id: str_of(v, "thread_id").map(String::from),
            cwd: None,
            permission_mode: None,
        },
        ("assistant_text", _) => EntryView::AssistantText { text: str_of(&item, "text").unwrap_or_default().to_string() },
        ("reasoning", _) => EntryView::Lifecycle { text: format!("Reasoning: {}", str_of(&item, "text").unwrap_or_default()) },
        ("notice", _) => EntryView::Lifecycle {
            text: format!("Codex: {}", error_text(str_of(&item, "message").or_else(|| str_of(v, "message")).unwrap_or_default())),
        },
        ("api_retry", _) => {
            let (attempt, max_retries, error) = retry_of(str_of(v, "message").unwrap_or_default())?;
            EntryView::ApiRetry { attempt, max_retries, error }
        }
        ("tool_use", _) => EntryView::ToolUse {
            id: str_of(&item, "id").unwrap_or_default().to_string(),
            name: "shell".into(),
            input: serde_json::json!({ "command": str_of(&item, "command") }),
        },
        ("tool_result", _) => EntryView::ToolResult {
            tool_use_id: str_of(&item, "id").unwrap_or_default().to_string(),
            content: match str_of(&item, "type") {
                Some("command_execution") => format!(
                    "$ {}\n{}",
                    str_of(&item, "command").unwrap_or_default(),
                    str_of(&item, "aggregated_output").unwrap_or_default()
                ),
                _ => item.to_string(),
            },
            is_error: item.get("exit_code").and_then(Value::as_i64).is_some_and(|c| c != 0) || str_of(&item, "status") == Some("failed"),
        },
        ("result", "turn.completed") => {
            let usage = v.get("usage").cloned().unwrap_or(Value::Null);
            EntryView::TurnResult {
                subtype: "success".into(),
                is_error: false,
                num_turns: 1,
                duration_ms: 0,
                cost_usd: 0.0,
                input_tokens: u64_of(&usage, "input_tokens"),
                output_tokens: u64_of(&usage, "output_tokens"),
                text: None,
                errors: vec![],
                api_error_status: None,
                model: None,
            }
        }
        ("result", _) => EntryView::TurnResult {
            subtype: "error".into(),
            is_error: true,
            num_turns: 1,
            duration_ms: 0,
            cost_usd: 0.0,
            input_tokens: 0,
            output_tokens: 0,
            text: v.pointer("/error/message").and_then(Value::as_str).or_else(|| str_of(v, "message")).map(error_text),
            errors: vec![],
            api_error_status: None,
            model: None,
        },
        _ => return None,
    })
}

/// "Reconnecting... 2/5 (stream disconnected …)" as (2, 5, the reason).
fn retry_of(message: &str) -> Option<(u64, u64, Option<String>)> {
    let rest = message.strip_prefix("Reconnecting...")?.trim_start();
    let (count, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    let (attempt, max) = count.split_once('/')?;
    let reason = reason.trim().trim_start_matches('(').trim_end_matches(')').trim();
    Some((attempt.parse().ok()?, max.parse().ok()?, (!reason.is_empty()).then(|| reason.to_string())))
}

/// Codex passes an API's error body on as its message: the body's own message when it is one.
fn error_text(message: &str) -> String {
    serde_json::from_str::<Value>(message)
        .ok()
        .and_then(|v| v.pointer("/error/message").and_then(Value::as_str).map(String::from))
        .unwrap_or_else(|| message.to_string())
}

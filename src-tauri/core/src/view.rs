//! What the UI and the CLI show of an output entry: the stored entry (for agents, the raw
//! line the agent printed, kept verbatim) read into a typed, agent-independent view.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::model::{OutputEntry, Stream};

/// One output entry as shown: its place (`seq`), time, stream, and what it says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OutputItem {
    #[ts(type = "number")]
    pub seq: u64,
    #[ts(type = "string")]
    pub ts: DateTime<Utc>,
    pub stream: Stream,
    pub view: EntryView,
}

/// The normalized meaning of an entry, whatever agent printed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryView {
    /// The agent started a turn: its model, own session id and folder.
    SystemInit { model: Option<String>, agent_session_id: Option<String>, cwd: Option<String>, permission_mode: Option<String> },
    /// What the user sent (a prompt or follow-up).
    UserText { text: String },
    /// Assistant prose (Markdown).
    AssistantText { text: String },
    /// The agent calls a tool.
    ToolUse {
        id: String,
        name: String,
        #[ts(type = "unknown")]
        input: Value,
    },
    /// A tool's answer; `is_error` for failures and denials.
    ToolResult { tool_use_id: String, content: String, is_error: bool },
    /// The end of a turn with its usage.
    TurnResult {
        subtype: String,
        is_error: bool,
        #[ts(type = "number")]
        num_turns: u64,
        #[ts(type = "number")]
        duration_ms: u64,
        /// Cost of the whole agent process so far, as the agent reports it.
        cost_usd: f64,
        #[ts(type = "number")]
        input_tokens: u64,
        #[ts(type = "number")]
        output_tokens: u64,
        text: Option<String>,
        errors: Vec<String>,
        #[ts(type = "number | null")]
        api_error_status: Option<u32>,
        /// The model that did the turn, when the agent says so there (Gemini routes "auto").
        model: Option<String>,
    },
    /// The agent retries an API call.
    ApiRetry {
        #[ts(type = "number")]
        attempt: u64,
        #[ts(type = "number")]
        max_retries: u64,
        error: Option<String>,
    },
    /// The agent asked to use a tool and waits for an answer (see the session's permission requests).
    PermissionAsked {
        request_id: String,
        tool_name: String,
        #[ts(type = "unknown")]
        input: Value,
        description: Option<String>,
    },
    /// A plain output line (the `command` agent, or an agent's line we do not know).
    Line { text: String },
    /// A line on stderr.
    Stderr { text: String },
    /// Written by Switchboard: started, exited, stopped, errors.
    Lifecycle { text: String },
    /// A JSON line of a kind we do not show specially; the raw text.
    Raw { text: String },
}

impl OutputItem {
    pub fn from_entry(e: &OutputEntry) -> OutputItem {
        OutputItem { seq: e.seq, ts: e.ts, stream: e.stream, view: EntryView::of(e) }
    }
}

/// The stored kind of a prompt the user sent (its payload is the text as sent).
pub const USER_PROMPT_KIND: &str = "user_prompt";

impl EntryView {
    /// Reads a stored entry. Never fails: what cannot be read is shown raw.
    pub fn of(e: &OutputEntry) -> EntryView {
        match (e.stream, e.kind.as_str()) {
            (Stream::System, USER_PROMPT_KIND) => EntryView::UserText { text: e.payload.clone() },
            (Stream::System, _) => EntryView::Lifecycle { text: e.payload.clone() },
            (Stream::Stderr, _) => EntryView::Stderr { text: e.payload.clone() },
            (_, "line") => EntryView::Line { text: e.payload.clone() },
            _ => match serde_json::from_str::<Value>(&e.payload) {
                Ok(v) => crate::agents::view_of(&e.kind, &v).unwrap_or_else(|| EntryView::Raw { text: e.payload.clone() }),
                Err(_) => EntryView::Raw { text: e.payload.clone() },
            },
        }
    }
}

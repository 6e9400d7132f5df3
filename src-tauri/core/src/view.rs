//! What the UI and the CLI show of an output entry: the stored entry (for agents, the raw
//! line the agent printed, kept verbatim) read into a typed, agent-independent view.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::model::Stream;

/// One output entry as shown: its place (`seq`), time, stream, and what it says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OutputItem {
    /// The entry's place in the session's output (`OutputEntry::seq`): strictly increasing; the UI pages and resumes by it.
    #[ts(type = "number")]
    pub seq: u64,
    /// When Switchboard read the line (UTC).
    #[ts(type = "string")]
    pub ts: DateTime<Utc>,
    /// Which stream it came from.
    pub stream: Stream,
    /// What it says, read per agent.
    pub view: EntryView,
    /// Set when this is a preview of a large entry (see `output::budget`): the entry's full
    /// length in bytes; its whole text comes from `read_full_entry`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub full_bytes: Option<u64>,
}

/// The normalized meaning of an entry, whatever agent printed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryView {
    /// The agent started a turn: its model, own session id and folder.
    SystemInit {
        /// The model the agent runs (e.g. `claude-opus-4-…`); None when it does not say.
        model: Option<String>,
        /// The agent's own session id (what a resume passes back); None when it does not say.
        agent_session_id: Option<String>,
        /// The folder the agent reports working in; Claude only.
        cwd: Option<String>,
        /// The permission mode the agent reports (`default`, `acceptEdits`, …); Claude only.
        permission_mode: Option<String>,
    },
    /// What the user sent (a prompt or follow-up).
    UserText {
        /// The text as sent.
        text: String,
    },
    /// Assistant prose (Markdown).
    AssistantText {
        /// The prose, Markdown as the agent wrote it.
        text: String,
    },
    /// The agent calls a tool.
    ToolUse {
        /// The agent's id for this call; the matching `ToolResult` carries it as `tool_use_id`.
        id: String,
        /// The tool's name as the agent gives it (`Bash`, `Read`, `mcp__…`).
        name: String,
        /// The tool's input as the agent sent it (JSON).
        #[ts(type = "unknown")]
        input: Value,
    },
    /// A tool's answer; `is_error` for failures and denials.
    ToolResult {
        /// The `id` of the `ToolUse` this answers.
        tool_use_id: String,
        /// What the tool returned, as text (a list of text blocks joined by line breaks).
        content: String,
        /// Whether the tool failed or the use was denied.
        is_error: bool,
    },
    /// The end of a turn with its usage.
    TurnResult {
        /// How the turn ended, in the agent's words: `success`, `error_max_turns`,
        /// `error_during_execution` (interrupted), … (`unknown` when absent).
        subtype: String,
        /// Whether the agent reported the turn as failed.
        is_error: bool,
        /// Agent turns in this result (Claude's `num_turns`; 1 for Codex and Gemini).
        #[ts(type = "number")]
        num_turns: u64,
        /// How long the turn took, in ms, as the agent reports it (0 when it does not).
        #[ts(type = "number")]
        duration_ms: u64,
        /// Cost of the whole agent process so far, as the agent reports it.
        cost_usd: f64,
        /// Input tokens of the turn (for Claude, cache reads and writes included).
        #[ts(type = "number")]
        input_tokens: u64,
        /// Output tokens of the turn.
        #[ts(type = "number")]
        output_tokens: u64,
        /// The turn's final answer, or for a failed turn its error message; None when absent.
        text: Option<String>,
        /// Error messages the agent listed with the result (Claude's `errors`); often empty.
        errors: Vec<String>,
        /// The HTTP status of a failed API call behind the turn (e.g. 429, 529); None when there was none.
        #[ts(type = "number | null")]
        api_error_status: Option<u32>,
        /// The model that did the turn, when the agent says so there (Gemini routes "auto").
        model: Option<String>,
    },
    /// The agent retries an API call.
    ApiRetry {
        /// Which retry this is, from 1.
        #[ts(type = "number")]
        attempt: u64,
        /// The most retries the agent will make.
        #[ts(type = "number")]
        max_retries: u64,
        /// The error that caused the retry, as the agent reports it.
        error: Option<String>,
    },
    /// The agent asked to use a tool and waits for an answer (see the session's permission requests).
    PermissionAsked {
        /// The agent's id for the request; a decision must carry it back.
        request_id: String,
        /// The tool it wants to use.
        tool_name: String,
        /// The tool's input (JSON).
        #[ts(type = "unknown")]
        input: Value,
        /// The agent's short description (e.g. the file name for Write); None when it gave none.
        description: Option<String>,
    },
    /// A plain output line (the `command` agent, or an agent's line we do not know).
    Line {
        /// The line as printed, without its line break.
        text: String,
    },
    /// A line on stderr.
    Stderr {
        /// The line as printed, without its line break.
        text: String,
    },
    /// Written by Switchboard: started, exited, stopped, errors.
    Lifecycle {
        /// Switchboard's note for people ("exited with code 0", …).
        text: String,
    },
    /// A JSON line of a kind we do not show specially; the raw text.
    Raw {
        /// The line as the agent printed it.
        text: String,
    },
}

/// The stored kind of a prompt the user sent (its payload is the text as sent).
pub const USER_PROMPT_KIND: &str = "user_prompt";

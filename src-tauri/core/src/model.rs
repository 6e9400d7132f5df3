//! The records Switchboard keeps: sessions, their status, output entries and task events.
//!
//! These types cross every boundary (SQLite rows, IPC, the CLI's JSON, the generated
//! TypeScript in `ui/src/lib/bindings/`), so their serde names are the public vocabulary:
//! snake_case fields, lowercase agent names, a status tagged by `state`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};

/// Which agent drives a session. The lowercase name is also the id prefix (`claude_…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    Claude,
    Codex,
    Gemini,
    /// Any program with arguments; its stdout/stderr lines are the output.
    Command,
}

impl AgentKind {
    pub const ALL: [AgentKind; 4] = [AgentKind::Claude, AgentKind::Codex, AgentKind::Gemini, AgentKind::Command];

    pub fn as_str(self) -> &'static str {
        match self {
            AgentKind::Claude => "claude",
            AgentKind::Codex => "codex",
            AgentKind::Gemini => "gemini",
            AgentKind::Command => "command",
        }
    }
}

impl fmt::Display for AgentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AgentKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        AgentKind::ALL.into_iter().find(|a| a.as_str() == s).ok_or_else(|| {
            Error::invalid(
                "agent",
                format!(
                    "unknown agent '{}' (expected claude, codex, gemini or command)",
                    crate::error::shorten(s, crate::error::MAX_VALUE_IN_ERROR)
                ),
            )
        })
    }
}

/// Where a session is in its life. A state machine: see [`SessionStatus::can_become`].
///
/// Live states (a process may be attached): Starting, Running, Idle, WaitingInput, Compacting.
/// Final states: Ended, Error, Expired, Interrupted — a final session can be resumed
/// (it becomes Starting again) when its agent supports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SessionStatus {
    Starting,
    Running,
    Idle,
    WaitingInput,
    /// A Running sub-state: the agent is compacting its context.
    Compacting,
    Ended,
    Error {
        message: String,
    },
    Expired,
    /// The app stopped or crashed while the session was live; resumable.
    Interrupted,
}

impl SessionStatus {
    /// The name stored in SQLite and used by filters (`--status running`).
    pub fn name(&self) -> &'static str {
        match self {
            SessionStatus::Starting => "starting",
            SessionStatus::Running => "running",
            SessionStatus::Idle => "idle",
            SessionStatus::WaitingInput => "waiting_input",
            SessionStatus::Compacting => "compacting",
            SessionStatus::Ended => "ended",
            SessionStatus::Error { .. } => "error",
            SessionStatus::Expired => "expired",
            SessionStatus::Interrupted => "interrupted",
        }
    }

    pub const NAMES: [&'static str; 9] =
        ["starting", "running", "idle", "waiting_input", "compacting", "ended", "error", "expired", "interrupted"];

    pub const LIVE_NAMES: [&'static str; 5] = ["starting", "running", "idle", "waiting_input", "compacting"];

    /// Rebuilds a status from its stored name and the stored error message.
    pub fn from_parts(name: &str, message: Option<String>) -> Result<Self> {
        Ok(match name {
            "starting" => SessionStatus::Starting,
            "running" => SessionStatus::Running,
            "idle" => SessionStatus::Idle,
            "waiting_input" => SessionStatus::WaitingInput,
            "compacting" => SessionStatus::Compacting,
            "ended" => SessionStatus::Ended,
            "error" => SessionStatus::Error { message: message.unwrap_or_default() },
            "expired" => SessionStatus::Expired,
            "interrupted" => SessionStatus::Interrupted,
            other => {
                let other = crate::error::shorten(other, crate::error::MAX_VALUE_IN_ERROR);
                return Err(Error::invalid("status", format!("unknown status '{other}' (expected one of {})", Self::NAMES.join(", "))));
            }
        })
    }

    pub fn is_live(&self) -> bool {
        matches!(
            self,
            SessionStatus::Starting
                | SessionStatus::Running
                | SessionStatus::Idle
                | SessionStatus::WaitingInput
                | SessionStatus::Compacting
        )
    }

    /// Whether the state machine allows moving from `self` to `next`.
    ///
    /// Live states move freely among themselves (a turn starts, ends, asks for input) and
    /// may end in any final state. Final states only leave through a resume (→ Starting).
    /// Staying in the same state is allowed (an idempotent update), except into Starting.
    pub fn can_become(&self, next: &SessionStatus) -> bool {
        use SessionStatus::*;
        if self.name() == next.name() {
            return !matches!(next, Starting);
        }
        match (self, next) {
            (Starting, Running | Idle | WaitingInput) => true,
            (Running | Idle | WaitingInput | Compacting, Running | Idle | WaitingInput | Compacting) => true,
            (s, Ended | Error { .. } | Expired | Interrupted) if s.is_live() => true,
            (Ended | Error { .. } | Expired | Interrupted, Starting) => true,
            _ => false,
        }
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionStatus::Error { message } => write!(f, "error: {message}"),
            s => f.write_str(s.name()),
        }
    }
}

/// Claude Code's `--permission-mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PermissionMode {
    #[default]
    Default,
    AcceptEdits,
    BypassPermissions,
    Plan,
}

/// Per-session options, kept as given so a resume starts the agent the same way.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct SessionConfig {
    /// For the `command` agent: the program to run (looked up on PATH when not absolute).
    pub program: Option<String>,
    /// For the `command` agent: its arguments, passed as a vector, never through a shell.
    pub args: Vec<String>,
    /// The first prompt, sent when the session starts.
    pub prompt: Option<String>,
    pub model: Option<String>,
    pub permission_mode: PermissionMode,
    #[ts(type = "number | null")]
    pub max_turns: Option<u32>,
    pub append_system_prompt: Option<String>,
    /// Added to the inherited environment of the agent process.
    pub env: BTreeMap<String, String>,
    /// Free-form data a caller wants kept with the session.
    #[ts(type = "unknown")]
    pub metadata: serde_json::Value,
}

/// What every boundary (IPC replies and events, the CLI's output) shows in place of an
/// environment value. Storage keeps the real values: a resume needs them.
pub const REDACTED: &str = "<redacted>";

impl SessionConfig {
    /// This config as it may be shown or sent out: environment names kept, values replaced
    /// by [`REDACTED`] (they are often API keys).
    pub fn redacted(&self) -> SessionConfig {
        SessionConfig { env: self.env.keys().map(|k| (k.clone(), REDACTED.to_string())).collect(), ..self.clone() }
    }
}

/// A session: one agent conversation or command run, live or finished. Stored in SQLite.
///
/// Its serde form is also the stored form of `config` and holds environment values: send or
/// print [`Session::redacted`] instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Session {
    /// Agent prefix + UUIDv7, e.g. `claude_01933b…`: unique and sortable by creation time.
    pub id: String,
    pub agent: AgentKind,
    pub title: String,
    /// Absolute, canonical, existing directory the agent runs in.
    pub cwd: String,
    pub status: SessionStatus,
    pub task_id: Option<String>,
    pub mcp_session_id: Option<String>,
    /// The agent's own session id (Claude's `--session-id`), used to resume.
    pub agent_session_id: Option<String>,
    /// An external service's id for this session (seed 004's serviceSessionId).
    pub service_session_id: Option<String>,
    pub config: SessionConfig,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub last_activity: DateTime<Utc>,
    #[ts(type = "string")]
    pub expires_at: DateTime<Utc>,
    #[ts(type = "string | null")]
    pub ended_at: Option<DateTime<Utc>>,
    #[ts(type = "number")]
    pub message_count: u64,
    #[ts(type = "number")]
    pub turns: u64,
    #[ts(type = "number")]
    pub input_tokens: u64,
    #[ts(type = "number")]
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub last_error: Option<String>,
    #[ts(type = "number | null")]
    pub pid: Option<u32>,
    #[ts(type = "number | null")]
    pub exit_code: Option<i32>,
    /// When the agent last finished a response (seed 002 lastResponseAt).
    #[ts(type = "string | null")]
    pub last_response_at: Option<DateTime<Utc>>,
    /// The command line the agent was started with, for debugging (seed 002 debug info).
    pub launch_command: Option<String>,
    /// Stored output up to this seq was trimmed by the per-session cap (0: none).
    #[ts(type = "number")]
    pub output_trimmed_through: u64,
}

impl Session {
    /// The session as it may cross IPC or reach a terminal: see [`SessionConfig::redacted`].
    pub fn redacted(&self) -> Session {
        Session { config: self.config.redacted(), ..self.clone() }
    }

    /// Whether compacting is advised: more than `max_messages` messages, or more than
    /// `old_messages` and older than `old_age` (seed 002's shouldCompactSession).
    pub fn compaction_advised(&self, now: DateTime<Utc>, policy: &CompactionPolicy) -> bool {
        self.message_count > policy.max_messages || (self.message_count > policy.old_messages && now - self.created_at > policy.old_age)
    }
}

/// When compaction is advised. Defaults from seed 002: 500 messages, or 100 and 7 days.
#[derive(Debug, Clone, PartialEq)]
pub struct CompactionPolicy {
    pub max_messages: u64,
    pub old_messages: u64,
    pub old_age: chrono::Duration,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        CompactionPolicy { max_messages: 500, old_messages: 100, old_age: chrono::Duration::days(7) }
    }
}

/// Usage an agent reports for a turn; added to the session's counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Usage {
    #[ts(type = "number")]
    pub messages: u64,
    #[ts(type = "number")]
    pub turns: u64,
    #[ts(type = "number")]
    pub input_tokens: u64,
    #[ts(type = "number")]
    pub output_tokens: u64,
    pub cost_usd: f64,
}

/// What happened to a task (seed 001's task logger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TaskEventKind {
    Created,
    CommandSent,
    ResponseReceived,
    Error,
    Ended,
}

impl TaskEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskEventKind::Created => "created",
            TaskEventKind::CommandSent => "command_sent",
            TaskEventKind::ResponseReceived => "response_received",
            TaskEventKind::Error => "error",
            TaskEventKind::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Created, Self::CommandSent, Self::ResponseReceived, Self::Error, Self::Ended].into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry of the task log. `detail` is JSON: e.g. `{"duration_ms": 1200, "length": 512}`
/// for a response, `{"message": "..."}` for an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TaskEvent {
    #[ts(type = "number")]
    pub id: i64,
    pub task_id: Option<String>,
    pub session_id: String,
    #[ts(type = "string")]
    pub ts: DateTime<Utc>,
    pub kind: TaskEventKind,
    #[ts(type = "unknown")]
    pub detail: serde_json::Value,
}

/// Totals over all sessions, computed by SQL (seeds 000, 003, 004).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Metrics {
    /// Sessions stored now.
    #[ts(type = "number")]
    pub total: u64,
    /// Sessions in a live state.
    #[ts(type = "number")]
    pub active: u64,
    #[ts(type = "Record<string, number>")]
    pub by_status: BTreeMap<String, u64>,
    #[ts(type = "Record<string, number>")]
    pub by_agent: BTreeMap<String, u64>,
    /// Sessions in the error state.
    #[ts(type = "number")]
    pub errors: u64,
    /// Mean of (ended_at - created_at) over finished sessions, 0 when there is none.
    pub avg_duration_ms: f64,
    /// Sessions ever created, deleted ones included.
    #[ts(type = "number")]
    pub total_created: u64,
    #[ts(type = "number")]
    pub input_tokens: u64,
    #[ts(type = "number")]
    pub output_tokens: u64,
    pub cost_usd: f64,
}

/// A named project: a folder that pair sessions run in (seed 002's teams).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Project {
    pub name: String,
    pub path: String,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
}

/// What a caller gives to start a session. Everything but `agent` and `cwd` is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NewSession {
    pub agent: Option<AgentKind>,
    pub cwd: String,
    pub title: Option<String>,
    pub task_id: Option<String>,
    pub mcp_session_id: Option<String>,
    pub service_session_id: Option<String>,
    pub config: SessionConfig,
}

/// Which sessions a list asks for. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct SessionFilter {
    /// Status names (`running`, `error`, …); any of them matches.
    pub statuses: Vec<String>,
    pub agent: Option<AgentKind>,
    pub task_id: Option<String>,
    /// Case-insensitive substring of the title or the folder.
    pub search: Option<String>,
    pub sort: SessionSort,
    #[ts(type = "number | null")]
    pub limit: Option<u32>,
    #[ts(type = "number")]
    pub offset: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SessionSort {
    /// Newest first.
    #[default]
    Created,
    /// Most recently active first.
    LastActivity,
}

/// Which stream an output entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
    /// Written by Switchboard itself (lifecycle notes: started, exited, stopped).
    System,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
            Stream::System => "system",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "stdout" => Stream::Stdout,
            "stderr" => Stream::Stderr,
            _ => Stream::System,
        }
    }
}

/// One line of a session's output, normalized. `seq` is strictly increasing per session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OutputEntry {
    pub session_id: String,
    #[ts(type = "number")]
    pub seq: u64,
    #[ts(type = "string")]
    pub ts: DateTime<Utc>,
    pub stream: Stream,
    /// The normalized kind: `line`, `lifecycle`, `assistant_text`, `tool_use`, …
    pub kind: String,
    pub payload: String,
}

/// A change in the engine, pushed to every subscriber (the window, the tray, the CLI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
// Not boxed: SessionChanged, the largest variant, is also by far the most frequent one.
#[allow(clippy::large_enum_variant)]
pub enum EngineEvent {
    SessionChanged {
        session: Session,
    },
    SessionDeleted {
        id: String,
    },
    /// A tool permission was asked for, answered or cancelled.
    PermissionChanged {
        request: PermissionRequest,
    },
}

/// A tool use the agent asks the user to approve (Claude's `can_use_tool`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PermissionRequest {
    pub session_id: String,
    /// The agent's id for this request; answers must carry it back.
    pub request_id: String,
    pub tool_name: String,
    #[ts(type = "unknown")]
    pub input: serde_json::Value,
    /// The agent's short description (e.g. the file name for Write).
    pub description: Option<String>,
    /// A one-line summary for people: "wants to run: npm test".
    pub gist: String,
    #[ts(type = "string")]
    pub asked_at: DateTime<Utc>,
    /// None while pending.
    pub decision: Option<PermissionDecision>,
    #[ts(type = "string | null")]
    pub decided_at: Option<DateTime<Utc>>,
    /// The "Allow for this session" rule offered for this request (the person may edit it
    /// before saving); None when there is nothing sensible to offer. Derived from the tool
    /// and input, not stored.
    #[serde(default)]
    pub proposed_rule: Option<crate::permission_rules::RuleScope>,
}

/// How a permission request was settled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "behavior", rename_all = "snake_case")]
pub enum PermissionDecision {
    /// Allowed, possibly with an edited input. `always` also saves a rule that answers
    /// matching later requests of this agent process: `rule`, or when it is absent the
    /// request's `proposed_rule`. A stored decision carries the rule that was saved.
    Allow {
        #[ts(type = "unknown")]
        updated_input: Option<serde_json::Value>,
        always: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        rule: Option<crate::permission_rules::RuleScope>,
    },
    Deny {
        message: String,
    },
    /// Nobody answered: the turn was interrupted, the session ended, or it timed out.
    Cancelled {
        reason: String,
    },
}

/// Usage of the sessions created on one day (UTC), for the metrics charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DayUsage {
    /// `YYYY-MM-DD`
    pub day: String,
    #[ts(type = "number")]
    pub sessions: u64,
    #[ts(type = "number")]
    pub input_tokens: u64,
    #[ts(type = "number")]
    pub output_tokens: u64,
    pub cost_usd: f64,
}

/// A task id with its sessions' counts and totals, for the tasks view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TaskSummary {
    pub task_id: String,
    #[ts(type = "number")]
    pub sessions: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_keeps_environment_names_and_hides_values() {
        let config = SessionConfig {
            env: [("ANTHROPIC_API_KEY".to_string(), "sk-secret".to_string())].into_iter().collect(),
            model: Some("opus".into()),
            ..Default::default()
        };
        let shown = config.redacted();
        assert_eq!(shown.env.get("ANTHROPIC_API_KEY").map(String::as_str), Some(REDACTED));
        assert_eq!(shown.model.as_deref(), Some("opus"), "the rest is unchanged");
        assert!(!serde_json::to_string(&shown).unwrap_or_default().contains("sk-secret"));
        assert_eq!(config.env["ANTHROPIC_API_KEY"], "sk-secret", "the original keeps its value");
    }
}

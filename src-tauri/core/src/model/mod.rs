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

mod permission;
mod status;

pub use self::permission::{Decider, PermissionDecision, PermissionRequest};
pub use self::status::SessionStatus;

/// Which agent drives a session. The lowercase name is also the id prefix (`claude_…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    /// Claude Code (`claude`), driven over stream-JSON; resumable by its session id.
    Claude,
    /// OpenAI's Codex CLI (`codex`).
    Codex,
    /// Google's Gemini CLI (`gemini`).
    Gemini,
    /// Any program with arguments; its stdout/stderr lines are the output.
    Command,
}

impl AgentKind {
    /// Every agent, in the order the UI and `--help` list them.
    pub const ALL: [AgentKind; 4] = [AgentKind::Claude, AgentKind::Codex, AgentKind::Gemini, AgentKind::Command];

    /// The lowercase name: the serde form, the id prefix and the CLI's `--agent` value.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentKind::Claude => "claude",
            AgentKind::Codex => "codex",
            AgentKind::Gemini => "gemini",
            AgentKind::Command => "command",
        }
    }

    /// What the UI calls this agent ("Gemini CLI").
    pub fn label(self) -> &'static str {
        match self {
            AgentKind::Claude => "Claude Code",
            AgentKind::Codex => "Codex",
            AgentKind::Gemini => "Gemini CLI",
            AgentKind::Command => "Command",
        }
    }

    /// Whether a finished session of this agent can be continued (a command cannot: it is
    /// a process, not a conversation).
    pub fn can_resume(self) -> bool {
        self != AgentKind::Command
    }

    /// Whether the conversation can be compacted (`/compact`: Claude Code only).
    pub fn can_compact(self) -> bool {
        self == AgentKind::Claude
    }

    /// The above in one record, for the UI (generated into `ui/src/lib/contract.ts`).
    pub fn profile(self) -> AgentProfile {
        AgentProfile { agent: self, label: self.label().into(), can_resume: self.can_resume(), can_compact: self.can_compact() }
    }
}

/// What the UI shows and offers for an agent, whether or not it is installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AgentProfile {
    /// The agent.
    pub agent: AgentKind,
    /// Its name for people: "Claude Code", "Codex", "Gemini CLI", "Command".
    pub label: String,
    /// Whether a finished session of it can be continued (its conversation resumed).
    pub can_resume: bool,
    /// Whether its context can be compacted from Switchboard.
    pub can_compact: bool,
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

/// Claude Code's `--permission-mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PermissionMode {
    /// Asks before edits and commands (Claude's own default).
    #[default]
    Default,
    /// Accepts file edits without asking; still asks before other tools.
    AcceptEdits,
    /// Never asks: every tool use is allowed. Only for trusted folders.
    BypassPermissions,
    /// Plans without touching files or running commands.
    Plan,
}

/// How a Claude session runs its agent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    /// `claude -p` over stream-JSON, driven by Switchboard (since 2026-06-15 billed to
    /// subscribers' separate Agent SDK credit). What every session stored before modes
    /// existed is.
    #[default]
    Headless,
    /// The interactive `claude` CLI in a pseudo-terminal that Switchboard hosts (the
    /// user's own plan); the window shows its screen (see `terminal/`).
    Terminal,
}

impl RunMode {
    /// The lowercase name: the serde form and the CLI's `--mode` value.
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Headless => "headless",
            RunMode::Terminal => "terminal",
        }
    }
}

impl FromStr for RunMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "headless" => Ok(RunMode::Headless),
            "terminal" => Ok(RunMode::Terminal),
            other => Err(Error::invalid(
                "mode",
                format!(
                    "unknown mode '{}' (expected terminal or headless)",
                    crate::error::shorten(other, crate::error::MAX_VALUE_IN_ERROR)
                ),
            )),
        }
    }
}

impl PermissionMode {
    /// Claude Code's name for it (`--permission-mode=<this>`).
    pub fn as_str(self) -> &'static str {
        match self {
            PermissionMode::Default => "default",
            PermissionMode::AcceptEdits => "acceptEdits",
            PermissionMode::BypassPermissions => "bypassPermissions",
            PermissionMode::Plan => "plan",
        }
    }
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
    /// The agent's model name as the agent takes it (`--model`, e.g. `opus`); None: the agent's default.
    /// At most 200 characters, no control characters.
    pub model: Option<String>,
    /// Claude only: whether and how it asks before using tools.
    pub permission_mode: PermissionMode,
    /// Claude only: stop after this many agent turns (`--max-turns`); at least 1, None: no limit.
    #[ts(type = "number | null")]
    pub max_turns: Option<u32>,
    /// Claude only: text appended to its system prompt (`--append-system-prompt`), under 128 KiB.
    pub append_system_prompt: Option<String>,
    /// Added to the inherited environment of the agent process.
    pub env: BTreeMap<String, String>,
    /// Free-form data a caller wants kept with the session.
    #[ts(type = "unknown")]
    pub metadata: serde_json::Value,
    /// Claude only: headless (`claude -p`) or the interactive CLI in a terminal. Stored
    /// configs from before modes read as Headless.
    pub mode: RunMode,
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
    /// Which agent runs it; fixed for the session's life.
    pub agent: AgentKind,
    /// Shown in lists: the caller's, trimmed, at most [`MAX_TITLE_CHARS`](crate::MAX_TITLE_CHARS) characters, or made
    /// from the first line of the prompt (or the command line, or "<agent> in <folder>").
    pub title: String,
    /// Absolute, canonical, existing directory the agent runs in.
    pub cwd: String,
    /// Where the session is in its life; changed only through the moves [`SessionStatus::can_become`] allows.
    pub status: SessionStatus,
    /// The caller's task this session works for (seed 001's task logger); groups sessions and
    /// their task events. Letters, digits, `.`, `_`, `:`, `-`; None: no task.
    pub task_id: Option<String>,
    /// The MCP client session that started this one, kept for that caller to find it again.
    /// Same shape as `task_id`; None when not given.
    pub mcp_session_id: Option<String>,
    /// The agent's own session id (Claude's `--session-id`), used to resume.
    pub agent_session_id: Option<String>,
    /// An external service's id for this session (seed 004's serviceSessionId).
    pub service_session_id: Option<String>,
    /// The options it was started with, environment values included (see [`Session::redacted`]).
    pub config: SessionConfig,
    /// When it was created (UTC; serialized as RFC 3339, stored as Unix ms).
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    /// The last activity: start, a message sent, output, a turn's usage. Set only while live.
    #[ts(type = "string")]
    pub last_activity: DateTime<Utc>,
    /// When a live session idles out: `last_activity` + the idle TTL
    /// ([`EngineConfig::idle_ttl`](crate::EngineConfig::idle_ttl)); the sweeper expires Idle and Starting sessions past it.
    #[ts(type = "string")]
    pub expires_at: DateTime<Utc>,
    /// When it reached a final state; None while live (a resume clears it).
    #[ts(type = "string | null")]
    pub ended_at: Option<DateTime<Utc>>,
    /// Messages exchanged with the agent: +1 for each message sent and +1 for each turn result.
    /// Reset to 0 by a compaction; drives [`Session::compaction_advised`].
    #[ts(type = "number")]
    pub message_count: u64,
    /// Agent turns, as the agent reports them in its turn results (Claude's `num_turns`), summed.
    #[ts(type = "number")]
    pub turns: u64,
    /// Tokens the agent reported as input, summed over the session's turns (for Claude, cache
    /// reads and writes included).
    #[ts(type = "number")]
    pub input_tokens: u64,
    /// Tokens the agent reported as output, summed over the session's turns.
    #[ts(type = "number")]
    pub output_tokens: u64,
    /// Cost in US dollars the agent reported, summed over the session's turns; each turn is clamped
    /// to [`MAX_TURN_COST_USD`](crate::MAX_TURN_COST_USD), the sum to [`MAX_TOTAL_COST_USD`](crate::MAX_TOTAL_COST_USD).
    pub cost_usd: f64,
    /// The latest failure or warning shown with the session (a failed start, a turn that hit
    /// `max_turns`, a storage failure); kept after the session ends. None: nothing went wrong.
    pub last_error: Option<String>,
    /// The OS process id of the running agent; None before it starts and after it exits.
    /// Kept after a crash of the app so the next sweep can find and stop the leftover process.
    #[ts(type = "number | null")]
    pub pid: Option<u32>,
    /// The agent process's exit code; None while it runs, or when a signal ended it.
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
    /// Who started it: Switchboard, or Claude Code in a terminal (imported from its transcript).
    /// Fixed for the session's life.
    #[serde(default)]
    pub origin: SessionOrigin,
}

/// Where a session was started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum SessionOrigin {
    /// Started by Switchboard, which runs (or ran) its agent process.
    #[default]
    Switchboard,
    /// Started outside Switchboard (Claude Code in a terminal) and imported from its
    /// transcript under `~/.claude/projects`; Switchboard only reads it and never stops
    /// its process.
    Terminal,
}

impl SessionOrigin {
    /// The lowercase name: the serde form, the stored value and the CLI's `--origin` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionOrigin::Switchboard => "switchboard",
            SessionOrigin::Terminal => "terminal",
        }
    }
}

impl FromStr for SessionOrigin {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "switchboard" => Ok(SessionOrigin::Switchboard),
            "terminal" => Ok(SessionOrigin::Terminal),
            other => Err(Error::invalid(
                "origin",
                format!(
                    "unknown origin '{}' (expected switchboard or terminal)",
                    crate::error::shorten(other, crate::error::MAX_VALUE_IN_ERROR)
                ),
            )),
        }
    }
}

impl Session {
    /// A new session as it is before its process starts: Starting, nothing counted, no
    /// process, no links, created (and last active, and expiring) at `now`. The engine and
    /// test fixtures set what differs with struct update syntax.
    pub fn new(id: String, agent: AgentKind, title: String, cwd: String, config: SessionConfig, now: DateTime<Utc>) -> Session {
        Session {
            id,
            agent,
            title,
            cwd,
            status: SessionStatus::Starting,
            task_id: None,
            mcp_session_id: None,
            agent_session_id: None,
            service_session_id: None,
            config,
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
            origin: Default::default(),
        }
    }

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
    /// Compaction is advised past this many messages, whatever the session's age (default 500).
    pub max_messages: u64,
    /// Compaction is advised past this many messages when the session is also older than `old_age` (default 100).
    pub old_messages: u64,
    /// The age (since `created_at`) from which `old_messages` applies (default 7 days).
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
    /// Messages this report adds to `Session::message_count` (1 for a turn result).
    #[ts(type = "number")]
    pub messages: u64,
    /// Agent turns this report adds (Claude's `num_turns`).
    #[ts(type = "number")]
    pub turns: u64,
    /// Input tokens used by the turn.
    #[ts(type = "number")]
    pub input_tokens: u64,
    /// Output tokens used by the turn.
    #[ts(type = "number")]
    pub output_tokens: u64,
    /// Cost of the turn in US dollars; must be finite and non-negative, clamped to
    /// [`MAX_TURN_COST_USD`](crate::MAX_TURN_COST_USD).
    pub cost_usd: f64,
}

/// What happened to a task (seed 001's task logger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TaskEventKind {
    /// The session was created (`detail`: agent, cwd, title, …).
    Created,
    /// A message was sent to the agent (`detail`: `command`, `length`).
    CommandSent,
    /// The agent finished a turn (`detail`: `duration_ms`, `length`, …).
    ResponseReceived,
    /// A turn or the session failed (`detail`: `message`).
    Error,
    /// The session ended (stopped, exited or expired).
    Ended,
    /// A checkpoint of the session's worktree was taken (`detail`: `n`, `label`, `commit`),
    /// or the worktree was restored to one (`detail`: `restored`, and the `n` taken first).
    Checkpoint,
    /// The session's work was landed on its base, or refused for conflicts (`detail`:
    /// `method`, `landed`, `conflicts`, `commit`, `message`).
    Landed,
}

impl TaskEventKind {
    /// The snake_case name stored in SQLite and sent over IPC.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskEventKind::Created => "created",
            TaskEventKind::CommandSent => "command_sent",
            TaskEventKind::ResponseReceived => "response_received",
            TaskEventKind::Error => "error",
            TaskEventKind::Ended => "ended",
            TaskEventKind::Checkpoint => "checkpoint",
            TaskEventKind::Landed => "landed",
        }
    }

    /// The kind with this stored name; None for an unknown name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Created, Self::CommandSent, Self::ResponseReceived, Self::Error, Self::Ended, Self::Checkpoint, Self::Landed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One entry of the task log. `detail` is JSON: e.g. `{"duration_ms": 1200, "length": 512}`
/// for a response, `{"message": "..."}` for an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TaskEvent {
    /// SQLite row id: increasing, so events sort in insertion order.
    #[ts(type = "number")]
    pub id: i64,
    /// The session's task when the event was written; None when it had none.
    pub task_id: Option<String>,
    /// The session the event is about.
    pub session_id: String,
    /// When it happened (UTC).
    #[ts(type = "string")]
    pub ts: DateTime<Utc>,
    /// What happened.
    pub kind: TaskEventKind,
    /// Kind-specific JSON (see the type's doc).
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
    /// Count of stored sessions per status name (`running`, `error`, …); absent names count 0.
    #[ts(type = "Record<string, number>")]
    pub by_status: BTreeMap<String, u64>,
    /// Count of stored sessions per agent name (`claude`, …); absent names count 0.
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
    /// Input tokens, summed over the stored sessions.
    #[ts(type = "number")]
    pub input_tokens: u64,
    /// Output tokens, summed over the stored sessions.
    #[ts(type = "number")]
    pub output_tokens: u64,
    /// Cost in US dollars, summed over the stored sessions.
    pub cost_usd: f64,
}

/// A named project: a folder that pair sessions run in (seed 002's teams).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Project {
    /// Unique name, `[A-Za-z0-9_-]{1,64}`; adding an existing name moves it to the new path.
    pub name: String,
    /// Absolute, canonical, existing directory the project's sessions run in.
    pub path: String,
    /// When it was first added (UTC).
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
}

/// What a caller gives to start a session. Everything but `agent` and `cwd` is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NewSession {
    /// Which agent to run; None is refused (the field is optional only so the JSON can omit it).
    pub agent: Option<AgentKind>,
    /// The folder to run in: absolute and existing; stored canonical.
    pub cwd: String,
    /// The title to show; None or blank: one is made from the prompt (see [`Session::title`]).
    pub title: Option<String>,
    /// Links the session to a caller's task: see [`Session::task_id`].
    pub task_id: Option<String>,
    /// See [`Session::mcp_session_id`].
    pub mcp_session_id: Option<String>,
    /// See [`Session::service_session_id`].
    pub service_session_id: Option<String>,
    /// How to start the agent: program, prompt, model, environment, ….
    pub config: SessionConfig,
    /// Run the agent in a git worktree of its own (a new branch from a base): see
    /// [`crate::workspace`]. None: in `cwd` itself, as always. The default of the app's form
    /// and of `switchboard run` is on when `cwd` is in a git repository; the engine itself
    /// never decides for the caller. Asked for outside a repository, it is refused.
    pub worktree: Option<crate::workspace::WorktreeRequest>,
}

/// Which sessions a list asks for. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct SessionFilter {
    /// Status names (`running`, `error`, …); any of them matches.
    pub statuses: Vec<String>,
    /// Only sessions of this agent.
    pub agent: Option<AgentKind>,
    /// Only sessions linked to this task.
    pub task_id: Option<String>,
    /// Only sessions started this way (Switchboard's own, or imported terminal sessions).
    pub origin: Option<SessionOrigin>,
    /// Case-insensitive substring of the title or the folder.
    pub search: Option<String>,
    /// The order of the list; both orders are newest first.
    pub sort: SessionSort,
    /// Page size; None: the store's [`MAX_PAGE`](crate::MAX_PAGE), which also caps it.
    #[ts(type = "number | null")]
    pub limit: Option<u32>,
    /// Sessions to skip before the page, for paging.
    #[ts(type = "number")]
    pub offset: u32,
}

/// The order of a session list.
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
    /// What the process printed on standard output.
    Stdout,
    /// What the process printed on standard error.
    Stderr,
    /// Written by Switchboard itself (lifecycle notes: started, exited, stopped).
    System,
}

impl Stream {
    /// The snake_case name stored in SQLite.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
            Stream::System => "system",
        }
    }
    /// The stream with this stored name; an unknown name reads as System.
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
    /// The session that printed it.
    pub session_id: String,
    /// The entry's place in the session's output: 1, 2, 3, … with no reuse; the UI pages and resumes by it.
    #[ts(type = "number")]
    pub seq: u64,
    /// When Switchboard read it (UTC).
    #[ts(type = "string")]
    pub ts: DateTime<Utc>,
    /// Where it came from.
    pub stream: Stream,
    /// The normalized kind: `line`, `lifecycle`, `assistant_text`, `tool_use`, …
    pub kind: String,
    /// The line as printed (for agents, the raw JSON line, verbatim) or Switchboard's note.
    pub payload: String,
}

/// A change in the engine, pushed to every subscriber (the window, the tray, the CLI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
// Not boxed: SessionChanged, the largest variant, is also by far the most frequent one.
#[allow(clippy::large_enum_variant)]
pub enum EngineEvent {
    /// A session was created or changed (any field); carries it as it is now.
    SessionChanged {
        /// The session after the change.
        session: Session,
    },
    /// A session was deleted (by the user or by retention); its output, task events and permission
    /// requests went with it.
    SessionDeleted {
        /// The deleted session's id.
        id: String,
    },
    /// A tool permission was asked for, answered or cancelled.
    PermissionChanged {
        /// The request as it is now: pending (`decision` None) or settled.
        request: PermissionRequest,
    },
    /// A session's worktree changed: files changed (measured after a turn or when read), a
    /// checkpoint was taken or restored.
    WorkspaceChanged {
        /// The worktree's record as it is now, with its latest stats.
        workspace: crate::workspace::Workspace,
    },
}

/// Usage of the sessions created on one day (UTC), for the metrics charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DayUsage {
    /// `YYYY-MM-DD`
    pub day: String,
    /// Sessions created that day.
    #[ts(type = "number")]
    pub sessions: u64,
    /// Input tokens of those sessions, summed.
    #[ts(type = "number")]
    pub input_tokens: u64,
    /// Output tokens of those sessions, summed.
    #[ts(type = "number")]
    pub output_tokens: u64,
    /// Cost in US dollars of those sessions, summed.
    pub cost_usd: f64,
}

/// A task id with its sessions' counts and totals, for the tasks view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TaskSummary {
    /// The caller's task id, as given in [`Session::task_id`].
    pub task_id: String,
    /// Sessions linked to this task.
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

//! Agent adapters: how to start each agent, talk to it, and read what it prints.
//! One trait, one file per agent.

mod claude;
mod codex;
mod command;
mod discover;
mod gemini;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::error::Result;
use crate::model::{AgentKind, OutputEntry, Session, Stream};
use crate::runner::Launch;
use crate::view::{EntryView, OutputItem, USER_PROMPT_KIND};

pub(crate) use claude::kind_by_blocks;
pub use claude::Claude;
pub use codex::Codex;
pub use command::Command;
pub use discover::{find_binary, AgentInfo};
pub(crate) use discover::{find_program, is_executable};
pub use gemini::Gemini;

/// What a line tells the engine about the session, beyond being output.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// A turn started; the agent's own session id when it says it.
    Init {
        /// The agent's own conversation id (Claude's `session_id`), for resuming it.
        agent_session_id: Option<String>,
        /// The model the agent says it uses.
        model: Option<String>,
    },
    /// A turn ended.
    TurnEnd(TurnEnd),
    /// The agent answered one of our control requests (e.g. an interrupt).
    ControlResponse {
        /// The id our request carried.
        request_id: String,
    },
    /// The agent asks to use a tool and waits for the answer.
    PermissionRequest {
        /// The agent's id for the request; the answer must carry it back.
        request_id: String,
        /// The tool it wants to use (`Bash`, `Write`…).
        tool_name: String,
        /// The tool's input as the agent sent it.
        input: Value,
        /// The agent's own short description, when it gives one.
        description: Option<String>,
    },
    /// The agent reported an error on its own line (Gemini's `error` event); the turn's end
    /// may come without a reason, and then this is it.
    Error(String),
    /// More text of a message the agent is still writing (a streaming delta): shown live,
    /// never stored; the stored line that follows (the whole message) replaces it. A new
    /// `key` is a new message.
    Partial {
        /// Which message (content block) the text belongs to.
        key: String,
        /// The text that follows what came before for `key`.
        text: String,
    },
}

/// The end of a turn as the agent reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnEnd {
    /// The agent's word for how it ended (`success`, `error_max_turns`,
    /// `error_during_execution`…).
    pub subtype: String,
    /// The agent counts the turn as failed.
    pub is_error: bool,
    /// Model round trips the turn took, as the agent reports them (Claude's `num_turns`).
    pub num_turns: u64,
    /// Input tokens the turn used, cache reads and writes included.
    pub input_tokens: u64,
    /// Output tokens the turn used.
    pub output_tokens: u64,
    /// What the agent reports as cost; see `cost_is_cumulative`.
    pub cost_usd: f64,
    /// Claude reports the total of the whole process so far, not the turn's own cost.
    pub cost_is_cumulative: bool,
    /// Codex reports the tokens of the whole thread so far (earlier processes' turns too),
    /// not the turn's own.
    pub usage_is_cumulative: bool,
    /// The turn's final answer (Claude's `result`), when the agent gives one.
    pub text: Option<String>,
    /// Error messages the agent listed with the end.
    pub errors: Vec<String>,
    /// The HTTP status of the API error that ended the turn, when one did.
    pub api_error_status: Option<u32>,
}

impl TurnEnd {
    /// The message to show when the turn failed.
    pub fn error_message(&self) -> String {
        if let Some(t) = self.text.as_deref().filter(|t| !t.is_empty()) {
            return t.to_string();
        }
        if !self.errors.is_empty() {
            return self.errors.join("; ");
        }
        format!("the turn ended with {}", self.subtype)
    }
}

/// The kind of a piece of a streamed assistant message (Gemini's `delta`): not stored as it
/// is; the engine joins a message's pieces and keeps the whole (see [`piece_line`]).
pub const PIECE: &str = "assistant_piece";

/// The assistant message that `pieces` of a streamed one make, as a stored line (in the
/// shape of Gemini's whole messages).
pub fn piece_line(pieces: &str) -> String {
    serde_json::json!({ "type": "message", "role": "assistant", "content": pieces, "joined": true }).to_string()
}

/// One stdout line, classified.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The normalized kind to store the line under (`assistant_text`, `tool_use`, …).
    pub kind: &'static str,
    /// Whether to store it. Streaming deltas and control chatter are not stored.
    pub store: bool,
    /// What the line tells the engine beyond being output.
    pub signal: Option<Signal>,
}

impl Parsed {
    /// A line stored under `kind` that tells nothing more.
    pub fn stored(kind: &'static str) -> Parsed {
        Parsed { kind, store: true, signal: None }
    }
    /// A line stored under `kind` that also carries `signal`.
    pub fn with(kind: &'static str, signal: Signal) -> Parsed {
        Parsed { kind, store: true, signal: Some(signal) }
    }
    /// A line not stored (a streaming delta, control chatter).
    pub fn skipped(kind: &'static str) -> Parsed {
        Parsed { kind, store: false, signal: None }
    }
}

/// An agent: its command line, its stdin protocol and its output format.
pub trait Adapter: Send + Sync + 'static {
    /// Which agent this adapter drives.
    fn kind(&self) -> AgentKind;

    /// The command line for `session`, run by `program`; `resume` continues the agent's
    /// own session (`agent_session_id`). `prompt` is the message that starts the turn, for
    /// one-shot agents, which get it in [`Launch::stdin_data`] (interactive ones get it as a
    /// stdin message later). Prompts are never put on the command line.
    fn launch(&self, session: &Session, program: &Path, resume: bool, prompt: Option<&str>) -> Result<Launch>;

    /// Whether the process keeps reading follow-up messages on stdin.
    fn interactive(&self) -> bool {
        false
    }

    /// A user message as a stdin line, for interactive agents.
    fn user_message(&self, _text: &str) -> Option<String> {
        None
    }

    /// An interrupt of the current turn as a stdin line, when the agent has one.
    fn interrupt_message(&self, _request_id: &str) -> Option<String> {
        None
    }

    /// Classifies one stdout line.
    fn parse(&self, line: &str) -> Parsed;

    /// What a stderr line means beyond being kept as it is, when it means something: the
    /// kind and (JSON) payload of an extra entry, e.g. an API retry Gemini reports only there.
    fn parse_stderr(&self, _line: &str) -> Option<(&'static str, String)> {
        None
    }

    /// Stdin lines to send right after start, before any message (e.g. Claude's
    /// `initialize` control request that enables permission prompts over stdio).
    fn handshake(&self, _session: &Session) -> Vec<String> {
        Vec::new()
    }

    /// The answer to a permission request as a stdin line, when the agent asks for them.
    fn permission_answer(&self, _request_id: &str, _decision: &crate::model::PermissionDecision, _input: &Value) -> Option<String> {
        None
    }

    /// How a user installs it, for the "not installed" state.
    fn install_hint(&self) -> &'static str;

    /// The binary's names, in the order they are looked for on PATH.
    fn binary_names(&self) -> &'static [&'static str];
}

/// The adapter for an agent kind.
pub fn adapter(kind: AgentKind) -> &'static dyn Adapter {
    match kind {
        AgentKind::Claude => &Claude,
        AgentKind::Codex => &Codex,
        AgentKind::Gemini => &Gemini,
        AgentKind::Command => &Command,
    }
}

/// Reads a stored agent line into a view. Each agent's format is tried in turn; the first
/// that recognises the line's shape wins.
pub fn view_of(kind: &str, v: &Value) -> Option<EntryView> {
    claude::view(kind, v).or_else(|| codex::view(kind, v)).or_else(|| gemini::view(kind, v))
}

/// A user value that will be passed to an agent as an option's value: refused when it
/// could be taken for a flag.
pub(crate) fn option_value(field: &'static str, value: &str) -> Result<String> {
    if value.starts_with('-') {
        return Err(crate::Error::invalid(field, format!("{} cannot start with '-': '{value}'", field.replace('_', " "))));
    }
    if value.contains('\0') {
        return Err(crate::Error::invalid(field, format!("{} cannot contain NUL bytes", field.replace('_', " "))));
    }
    Ok(value.to_string())
}

/// A string field of a JSON object.
pub(crate) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

pub(crate) fn u64_of(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// Settings for finding agent binaries; part of the app's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct AgentPaths {
    /// The `claude` binary to run; None: found on PATH and in the usual install folders.
    pub claude: Option<String>,
    /// The `codex` binary to run; None: found.
    pub codex: Option<String>,
    /// The `gemini` binary to run; None: found.
    pub gemini: Option<String>,
}

// How stored entries read: here, beside the adapters that know each agent's kinds, so that
// `view` (the types) does not depend on the agents.

impl OutputItem {
    /// A stored entry as the window and the CLI show it.
    pub fn from_entry(e: &OutputEntry) -> OutputItem {
        OutputItem { seq: e.seq, ts: e.ts, stream: e.stream, view: EntryView::of(e) }
    }
}

impl EntryView {
    /// Reads a stored entry. Never fails: what cannot be read is shown raw.
    pub fn of(e: &OutputEntry) -> EntryView {
        match (e.stream, e.kind.as_str()) {
            (Stream::System, USER_PROMPT_KIND) => EntryView::UserText { text: e.payload.clone() },
            (Stream::System, _) => EntryView::Lifecycle { text: e.payload.clone() },
            (Stream::Stderr, _) => EntryView::Stderr { text: e.payload.clone() },
            (_, "line") => EntryView::Line { text: e.payload.clone() },
            _ => match serde_json::from_str::<Value>(&e.payload) {
                Ok(v) => view_of(&e.kind, &v).unwrap_or_else(|| EntryView::Raw { text: e.payload.clone() }),
                Err(_) => EntryView::Raw { text: e.payload.clone() },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SessionConfig;

    /// Over the kernel's limit for one argument (MAX_ARG_STRLEN, 128 KiB): on a command line
    /// such a prompt would not even start (E2BIG).
    const BIG_PROMPT_BYTES: usize = 200 * 1024;

    const SECRET: &str = "the secret plan, line ";

    fn big_prompt() -> String {
        let mut p = String::with_capacity(BIG_PROMPT_BYTES + 64);
        let mut i = 0;
        while p.len() < BIG_PROMPT_BYTES {
            p.push_str(&format!("{SECRET}{i}\n"));
            i += 1;
        }
        p
    }

    fn session(agent: AgentKind, config: SessionConfig) -> Session {
        let now = chrono::Utc::now();
        Session {
            agent_session_id: Some("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into()),
            ..Session::new(format!("{agent}_test"), agent, "test".into(), "/tmp".into(), config, now)
        }
    }

    /// No word of the prompt in the arguments, the display (logs, `launch_command`) or Debug.
    fn assert_hidden(launch: &Launch) {
        assert!(launch.args.iter().all(|a| !a.contains(SECRET)), "the prompt is on the command line");
        assert!(launch.args.iter().all(|a| a.len() < 128 * 1024), "an argument over 128 KiB fails with E2BIG");
        assert!(
            !launch.display().contains(SECRET),
            "the prompt is in the display: {}",
            &launch.display()[..200.min(launch.display().len())]
        );
        assert!(!format!("{launch:?}").contains(SECRET), "the prompt is in the Debug output");
    }

    #[test]
    fn codex_and_gemini_get_a_200_kib_prompt_on_stdin_never_on_the_command_line() {
        let prompt = big_prompt();
        for kind in [AgentKind::Codex, AgentKind::Gemini] {
            for resume in [false, true] {
                let s = session(kind, SessionConfig { model: Some("m1".into()), ..Default::default() });
                let launch = adapter(kind).launch(&s, Path::new("/usr/bin/agent"), resume, Some(&prompt)).expect("launch");
                assert_hidden(&launch);
                assert_eq!(launch.stdin_data.as_deref(), Some(prompt.as_str()), "{kind} resume={resume}");
                assert!(!launch.stdin, "stdin is closed after the prompt");
                assert!(
                    launch.display().ends_with(&format!("<prompt on stdin: {} chars>", prompt.chars().count())),
                    "{}",
                    launch.display()
                );
            }
        }
        let s = session(AgentKind::Codex, SessionConfig::default());
        let launch = adapter(AgentKind::Codex).launch(&s, Path::new("codex"), true, Some("go on")).expect("launch");
        assert_eq!(
            launch.args,
            [
                "exec",
                "resume",
                "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
                "--json",
                "--skip-git-repo-check",
                "--config=sandbox_mode=\"workspace-write\"",
                "--config=approval_policy=\"never\"",
                "-"
            ],
            "`-`: the prompt is read from stdin"
        );
        let launch = adapter(AgentKind::Gemini).launch(&s, Path::new("gemini"), false, Some("go on")).expect("launch");
        assert_eq!(launch.args, ["--output-format=stream-json", "--skip-trust"], "no prompt argument: Gemini reads stdin");
    }

    #[test]
    fn claudes_200_kib_appended_system_prompt_goes_through_a_private_file() {
        let prompt = big_prompt();
        let s = session(AgentKind::Claude, SessionConfig { append_system_prompt: Some(prompt.clone()), ..Default::default() });
        let launch = adapter(AgentKind::Claude).launch(&s, Path::new("claude"), false, None).expect("launch");
        assert_hidden(&launch);
        let file = launch.arg_file.as_ref().expect("an argument file");
        assert_eq!(file.flag, "--append-system-prompt-file");
        assert_eq!(file.contents, prompt);
        assert!(launch.args.iter().all(|a| !a.starts_with("--append-system-prompt")), "{:?}", launch.args);
        assert!(launch.display().contains(&format!("--append-system-prompt-file=<file: {} chars>", prompt.chars().count())));
    }
}

//! Terminal mode: the real interactive `claude` CLI in a pseudo-terminal that Switchboard
//! hosts, on the user's own plan (headless `claude -p` is billed to the separate Agent SDK
//! credit).
//!
//! A terminal session is an ordinary session row (agent Claude, `config.mode` Terminal)
//! with an ordinary process record: the engine's start, End, resume, reconcile and sweep
//! treat its process as any other (`Proc` with a [`Pty`](pty::Pty) attached). What differs:
//! - the program runs in a PTY ([`pty`]): its screen is kept in a bounded ring, saved to
//!   `<data dir>/terminals/<session id>.screen` ([`screen`]) and fed to attached viewers;
//! - input is keystrokes: a sent prompt is pasted (bracketed paste, then Enter), an
//!   interrupt is Esc, a stop types `/exit` before any signal;
//! - status, turns, tokens and approvals come from Claude Code's hooks and transcript,
//!   wired by [`hooks`] (the start only passes on its arguments and environment).

pub mod hooks;
pub mod local;
pub(crate) mod pty;
pub(crate) mod screen;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tracing::{info, instrument, warn};
use ts_rs::TS;

use self::pty::{Key, Pty};
pub use self::pty::{INPUT_QUEUE, MAX_INPUT_BYTES, READY_WAIT, SCREEN_SAVE_INTERVAL, SUBMIT_PAUSE};
pub use self::screen::{TerminalViewer, DEFAULT_COLS, DEFAULT_ROWS, MAX_VIEWERS, READ_CHUNK, RESET, SCREEN_BYTES, VIEWER_QUEUE};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{RunMode, Session, SessionStatus, Stream, TaskEventKind};
use crate::runner::{ArgFile, Launch};

/// What a viewer shows on attaching to a terminal session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TerminalView {
    /// The terminal's width in columns.
    pub cols: u16,
    /// Its height in rows.
    pub rows: u16,
    /// The recent screen: the last bytes the program wrote (at most [`SCREEN_BYTES`]),
    /// base64; written to a fresh terminal it draws what the program showed.
    pub data_b64: String,
    /// Whether the program runs in this Switchboard process (input and resize work and
    /// more output follows); false for a finished session or one another process hosts.
    pub live: bool,
    /// This viewer's id while `live` (give it to [`Engine::terminal_detach`] when it stops
    /// watching); null otherwise.
    pub viewer: Option<u32>,
}

/// What a live viewer receives after the [`TerminalView`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TerminalChunk {
    /// More output, base64. After a viewer fell behind it starts with a reset ([`RESET`])
    /// followed by the whole screen.
    Data {
        /// The bytes, base64.
        data_b64: String,
    },
    /// The program exited (with this code; null when a signal ended it). Nothing follows.
    Ended {
        /// Its exit code.
        code: Option<i32>,
    },
}

/// The narrowest and widest, shortest and tallest terminal accepted.
pub const COLS_RANGE: std::ops::RangeInclusive<u16> = 2..=1000;
/// See [`COLS_RANGE`].
pub const ROWS_RANGE: std::ops::RangeInclusive<u16> = 1..=500;

/// Bracketed paste: how a prompt is typed so that its newlines stay in the prompt.
const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";

/// Esc: the CLI's interrupt of a running turn (the process stays).
const ESC: &[u8] = b"\x1b";

impl Engine {
    /// Where a session's screen is saved.
    pub fn screen_path(&self, id: &str) -> PathBuf {
        self.data_dir().join("terminals").join(format!("{id}.screen"))
    }

    /// The terminal of a session whose program runs in this process.
    pub(crate) fn pty_of(&self, id: &str) -> Option<Arc<Pty>> {
        self.procs().get(id).and_then(|p| p.terminal.clone())
    }

    /// Starts (or with `resume`, resumes) a terminal session's `claude` in a new PTY;
    /// `prompt` is its first prompt (an argument). A start failure becomes the session's
    /// Error status, as for any agent.
    #[instrument(skip_all, fields(session = %session.id, resume))]
    pub(crate) async fn start_terminal(&self, session: &Session, program: &Path, resume: bool, prompt: Option<String>) -> Result<Session> {
        let id = session.id.as_str();
        let wiring = hooks::wiring(self, session);
        let launch = launch(session, program, resume, wiring)?;
        let prompt = prompt.filter(|p| !p.trim().is_empty());
        let launch_command = match &prompt {
            Some(p) => format!("{} -- <prompt: {} chars>", launch.display(), p.chars().count()),
            None => launch.display(),
        };
        self.inner.output.open(id)?;
        self.record_output(id, Stream::System, "lifecycle", format!("{}: {launch_command}", if resume { "resuming" } else { "starting" }));
        let sink = crate::engine::SessionSink::start(self.clone(), id, session.agent)
            .map_err(|e| Error::io("cannot start the session's thread", e))?;
        let screen = screen::Screen::open(self.screen_path(id), SCREEN_BYTES);
        let (handle, pty) = match pty::spawn(&launch, prompt.as_deref(), screen, sink.clone()) {
            Ok(started) => started,
            Err(e) => return self.start_failed(id, crate::engine::spawn_message(&launch, &e)),
        };
        let pid = handle.pid();
        self.procs().insert(id.to_string(), crate::engine::Proc::new(handle, sink, true).with_terminal(pty));
        self.inner.store.set_process(id, &crate::procid::ProcessId::of(pid), &self.inner.me)?;
        let now = self.inner.clock.now();
        let ttl = self.ttl();
        let first = prompt.clone();
        let session = self.change_session(id, |s| {
            s.launch_command = Some(launch_command);
            // A quick exit may already have moved the session on.
            if !matches!(s.status, SessionStatus::Starting | SessionStatus::Idle) {
                return Ok(None);
            }
            s.pid = Some(pid);
            s.last_activity = now;
            s.expires_at = now + ttl;
            let Some(text) = first else {
                s.move_to(SessionStatus::Idle)?;
                return Ok(None);
            };
            s.move_to(SessionStatus::Running)?;
            s.message_count = s.message_count.saturating_add(1);
            Ok(Some((TaskEventKind::CommandSent, serde_json::json!({ "command": text, "length": text.len() }))))
        })?;
        if !session.status.is_live() {
            self.procs().remove(id);
        }
        info!(pid, "terminal session started");
        Ok(session)
    }

    /// What a viewer of a terminal session shows: its recent screen, and — while its
    /// program runs in this process — a feed of what follows (None otherwise: a finished
    /// session, or one hosted by another Switchboard process, whose saved screen is at
    /// most [`SCREEN_SAVE_INTERVAL`] old).
    pub fn terminal_attach(&self, id: &str) -> Result<(TerminalView, Option<TerminalViewer>)> {
        self.terminal_session(id)?;
        Ok(match self.pty_of(id) {
            Some(pty) => pty.screen.attach(true),
            None => screen::Screen::open(self.screen_path(id), SCREEN_BYTES).attach(false),
        })
    }

    /// Stops feeding the viewer `viewer` of session `id` (its window closed or went to
    /// another session): its feed ends after what is queued. A viewer already gone (the
    /// session ended, or it was dropped for newer ones) is no error.
    pub fn terminal_detach(&self, id: &str, viewer: u32) -> Result<()> {
        self.terminal_session(id)?;
        if let Some(pty) = self.pty_of(id) {
            pty.screen.detach(viewer);
        }
        Ok(())
    }

    /// How many viewers are attached to the terminal session `id` in this process (0 when
    /// its program does not run here).
    pub fn terminal_viewers(&self, id: &str) -> usize {
        self.pty_of(id).map_or(0, |pty| pty.screen.viewers())
    }

    /// Types `bytes` into a live terminal session, in order with earlier input. Refused
    /// when its program does not run in this process, has stopped reading its input, or
    /// more than [`MAX_INPUT_BYTES`] come at once.
    pub fn terminal_input(&self, id: &str, bytes: &[u8]) -> Result<()> {
        let pty = self.live_pty(id)?;
        pty.type_keys(vec![Key::Bytes(bytes.to_vec())]).map_err(|e| input_error(&e))?;
        // Someone at the keyboard: the idle TTL starts over (written at most once a minute),
        // so a terminal used only by typing into it does not expire under its user.
        self.agent_active(id);
        Ok(())
    }

    /// Resizes a live terminal session (the program redraws for the new size; the size
    /// is kept with its screen). Columns in [`COLS_RANGE`], rows in [`ROWS_RANGE`].
    pub fn terminal_resize(&self, id: &str, cols: u16, rows: u16) -> Result<()> {
        if !COLS_RANGE.contains(&cols) || !ROWS_RANGE.contains(&rows) {
            return Err(Error::invalid(
                "size",
                format!(
                    "a terminal must be {}–{} columns by {}–{} rows, not {cols}×{rows}",
                    COLS_RANGE.start(),
                    COLS_RANGE.end(),
                    ROWS_RANGE.start(),
                    ROWS_RANGE.end()
                ),
            ));
        }
        self.live_pty(id)?.resize(cols, rows).map_err(|e| Error::io("resizing the terminal", e))
    }

    /// The session `id`, refused when it is not a terminal session.
    fn terminal_session(&self, id: &str) -> Result<Session> {
        let session = self.get(id)?;
        if session.config.mode != RunMode::Terminal {
            return Err(Error::invalid("mode", "this session is not a terminal session"));
        }
        Ok(session)
    }

    fn live_pty(&self, id: &str) -> Result<Arc<Pty>> {
        self.terminal_session(id)?;
        self.pty_of(id).ok_or_else(|| match self.foreign_owner(id) {
            Ok(Some(owner)) => Error::invalid(
                "status",
                format!("the terminal runs in another Switchboard process (pid {owner}); type there, or end it and resume it here"),
            ),
            _ => Error::invalid("status", "the terminal is not running; resume the session first"),
        })
    }

    /// Types a prompt into a live terminal session: a bracketed paste, a pause, Enter;
    /// the task log's "command sent". The CLI queues it when a turn runs. Status and turns
    /// follow from the hooks.
    pub(crate) fn type_prompt(&self, id: &str, pty: &Pty, text: &str) -> Result<()> {
        // The paste's end marker inside the text would end the paste early and type the
        // rest as keys.
        let clean = text.replace("\x1b[201~", "");
        let mut paste = PASTE_START.to_vec();
        paste.extend_from_slice(clean.as_bytes());
        paste.extend_from_slice(PASTE_END);
        pty.type_keys(pty::submit(paste)).map_err(|e| input_error(&e))?;
        self.command_sent(id, text, false)
    }

    /// Interrupts a live terminal session's turn: Esc, as a person would press it. The
    /// process stays; the hooks and transcript tell when the turn stopped.
    pub(crate) fn interrupt_terminal(&self, id: &str, pty: &Pty) -> Result<()> {
        self.cancel_permissions(id, "the user interrupted the turn")?;
        pty.type_keys(vec![Key::Bytes(ESC.to_vec())]).map_err(|e| input_error(&e))?;
        self.record_output(id, Stream::System, "lifecycle", "interrupt requested".into());
        Ok(())
    }

    /// Removes a deleted session's saved screen (a missing file is fine).
    pub(crate) fn forget_screen(&self, id: &str) {
        if let Err(e) = std::fs::remove_file(self.screen_path(id)) {
            if e.kind() != std::io::ErrorKind::NotFound {
                warn!(session = %id, error = %e, "could not remove the saved terminal screen");
            }
        }
    }
}

fn input_error(e: &std::io::Error) -> Error {
    Error::Spawn { program: "claude".into(), message: format!("could not type into the terminal: {e}") }
}

/// The interactive command line: `claude --session-id=<id>` (or `--resume=<id>`), the
/// session's model, permission mode and system-prompt addition as headless maps them
/// (interactive Claude has no `--max-turns`), then the hooks' arguments. The first prompt
/// is passed by the spawn after all of them, as `-- <prompt>` (so a prompt starting with
/// '-' is not read as an option).
fn launch(session: &Session, program: &Path, resume: bool, wiring: hooks::HookWiring) -> Result<Launch> {
    let c = &session.config;
    let id =
        session.agent_session_id.as_deref().ok_or_else(|| Error::invalid("agent_session_id", "a Claude session needs its session id"))?;
    let mut args = vec![if resume { format!("--resume={id}") } else { format!("--session-id={id}") }];
    if let Some(model) = c.model.as_deref().filter(|m| !m.is_empty()) {
        args.push(format!("--model={}", crate::agents::option_value("model", model)?));
    }
    args.push(format!("--permission-mode={}", c.permission_mode.as_str()));
    // Through a private file, as headless does: not readable by other users in /proc.
    let arg_file = c
        .append_system_prompt
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(|p| ArgFile { flag: "--append-system-prompt-file".into(), contents: p.to_string() });
    args.extend(wiring.args);
    let mut env = c.env.clone();
    env.extend(wiring.env);
    Ok(Launch { program: program.to_path_buf(), args, cwd: PathBuf::from(&session.cwd), env, arg_file, ..Default::default() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AgentKind, PermissionMode, SessionConfig};

    fn session(config: SessionConfig) -> Session {
        let mut s = Session::new("claude_1".into(), AgentKind::Claude, "t".into(), "/work".into(), config, chrono::Utc::now());
        s.agent_session_id = Some("0190-abc".into());
        s
    }

    #[test]
    fn the_interactive_command_line_maps_the_session_and_adds_the_hooks() {
        let config = SessionConfig {
            model: Some("opus".into()),
            permission_mode: PermissionMode::AcceptEdits,
            append_system_prompt: Some("be brief".into()),
            max_turns: Some(3),
            env: [("A".to_string(), "1".to_string())].into(),
            mode: RunMode::Terminal,
            ..Default::default()
        };
        let wiring = hooks::HookWiring { args: vec!["--settings=/x.json".into()], env: vec![("HOOK".into(), "s".into())] };
        let l = launch(&session(config.clone()), Path::new("/bin/claude"), false, wiring.clone()).unwrap();
        assert_eq!(l.args, ["--session-id=0190-abc", "--model=opus", "--permission-mode=acceptEdits", "--settings=/x.json"]);
        assert_eq!(l.arg_file.as_ref().map(|f| (f.flag.as_str(), f.contents.as_str())), Some(("--append-system-prompt-file", "be brief")));
        assert_eq!((l.env.get("A").map(String::as_str), l.env.get("HOOK").map(String::as_str)), (Some("1"), Some("s")));
        assert!(!l.args.iter().any(|a| a.starts_with("--max-turns") || a == "-p"), "interactive: no -p, no --max-turns");
        assert_eq!(l.cwd, PathBuf::from("/work"));
        let resumed = launch(&session(config), Path::new("/bin/claude"), true, wiring).unwrap();
        assert_eq!(resumed.args[0], "--resume=0190-abc");
        let bad = SessionConfig { model: Some("-x".into()), ..Default::default() };
        assert!(launch(&session(bad), Path::new("/bin/claude"), false, Default::default()).is_err(), "a model cannot be a flag");
    }
}

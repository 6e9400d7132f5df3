//! The user's settings, stored in SQLite as one JSON document (missing fields take their
//! defaults, so older documents keep working).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agents::AgentPaths;
use crate::error::{Error, Result};

/// The user's settings, edited in the app's settings page; [`Settings::validate`] bounds
/// each field, and [`EngineConfig::apply`](crate::EngineConfig::apply) turns the limits into engine policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Settings {
    /// Explicit agent binaries; empty means "find it".
    pub agent_paths: AgentPaths,
    /// At most this many sessions may be live at once: 1..=10000, default 100; applies from the next start.
    #[ts(type = "number")]
    pub max_live_sessions: u32,
    /// Idle sessions expire after this many minutes without activity.
    #[ts(type = "number")]
    pub idle_ttl_minutes: u32,
    /// The most output one session keeps stored, in MiB as printed (before compression); its
    /// oldest output is trimmed past it. 0: no limit. Default [`DEFAULT_SESSION_OUTPUT_MIB`].
    pub session_output_mib: u32,
    /// Finished sessions are deleted after this many days; 0 keeps them forever.
    #[ts(type = "number")]
    pub retention_days: u32,
    /// Closing the window hides it to the tray instead of quitting.
    pub close_to_tray: bool,
    /// Desktop notifications when a session finishes a turn, fails or waits for you.
    pub notifications: bool,
    /// Start Switchboard when you log in.
    pub autostart: bool,
    /// The user was told once that closing the window keeps Switchboard in the tray.
    pub tray_hint_shown: bool,
    /// Import Claude Code sessions started in a terminal and follow them live (the app, from
    /// its start); `~/.claude` is only read.
    pub watch_terminal_sessions: bool,
    /// Which terminal sessions: Claude's folder, folders to include or exclude, how far back.
    pub terminal_sessions: crate::external::ImportOptions,
    /// Seconds a terminal session's permission question waits for an answer from the app,
    /// tray or CLI before it is left to the terminal alone (1..=3600, default 120).
    #[ts(type = "number")]
    pub terminal_approval_hold_secs: u32,
    /// "Open in… Editor": the editor's argument vector, the folder appended; empty: `$VISUAL`,
    /// `$EDITOR`, else the desktop's default (`xdg-open`).
    pub open_editor: Vec<String>,
    /// "Open in… Terminal": the terminal's argument vector, started in the folder; empty: the
    /// first found of x-terminal-emulator, gnome-terminal, konsole, … xterm.
    pub open_terminal: Vec<String>,
    /// The mode the New-session form starts with for Claude: the interactive CLI in a
    /// terminal (the user's plan) or headless.
    pub default_mode: crate::model::RunMode,
}

/// The default of [`Settings::session_output_mib`]: 2 GiB as printed (about 0.5 GiB on disk,
/// compressed). Far above what an agent session stores — the stored-entry cap of 1,000,000
/// entries of a realistic agent stream is well under 1 GiB, most sessions hold a few MiB — so
/// it never trims one; it bounds a runaway command printing huge lines, which the entry cap
/// alone lets grow to a terabyte (a million 1 MiB lines). Not unlimited for that reason.
pub const DEFAULT_SESSION_OUTPUT_MIB: u32 = 2048;
/// The largest [`Settings::session_output_mib`]: 1 TiB.
pub const MAX_SESSION_OUTPUT_MIB: u32 = 1024 * 1024;

/// The default of [`Settings::terminal_approval_hold_secs`].
pub const DEFAULT_APPROVAL_HOLD_SECS: u32 = 120;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            agent_paths: AgentPaths::default(),
            max_live_sessions: 100,
            idle_ttl_minutes: 60,
            session_output_mib: DEFAULT_SESSION_OUTPUT_MIB,
            retention_days: 30,
            close_to_tray: true,
            notifications: true,
            autostart: false,
            tray_hint_shown: false,
            watch_terminal_sessions: true,
            terminal_sessions: Default::default(),
            terminal_approval_hold_secs: DEFAULT_APPROVAL_HOLD_SECS,
            open_editor: Vec::new(),
            open_terminal: Vec::new(),
            default_mode: Default::default(),
        }
    }
}

impl Settings {
    /// Refuses values that make no sense, naming the field.
    pub fn validate(&self) -> Result<()> {
        if !(1..=10_000).contains(&self.max_live_sessions) {
            return Err(Error::invalid("max_live_sessions", "the live session limit must be between 1 and 10000"));
        }
        if !(1..=60 * 24 * 30).contains(&self.idle_ttl_minutes) {
            return Err(Error::invalid("idle_ttl_minutes", "the idle timeout must be between 1 minute and 30 days"));
        }
        if self.session_output_mib > MAX_SESSION_OUTPUT_MIB {
            return Err(Error::invalid("session_output_mib", "the stored output per session must be at most 1048576 MiB (0: no limit)"));
        }
        if self.retention_days > 36_500 {
            return Err(Error::invalid("retention_days", "the retention must be at most 36500 days (0 keeps forever)"));
        }
        for (field, p) in [
            ("agent_paths.claude", &self.agent_paths.claude),
            ("agent_paths.codex", &self.agent_paths.codex),
            ("agent_paths.gemini", &self.agent_paths.gemini),
        ] {
            if let Some(p) = p.as_deref().filter(|p| !p.trim().is_empty()) {
                if !std::path::Path::new(p.trim()).is_absolute() {
                    return Err(Error::invalid(field, format!("'{p}' must be an absolute path (or empty to find it)")));
                }
            }
        }
        if !(1..=3_600).contains(&self.terminal_approval_hold_secs) {
            return Err(Error::invalid("terminal_approval_hold_secs", "the approval hold must be between 1 second and 1 hour"));
        }
        if self.terminal_sessions.since_days > 36_500 {
            return Err(Error::invalid("terminal_sessions.since_days", "how far back to import must be at most 36500 days (0: all)"));
        }
        if let Some(d) = self.terminal_sessions.claude_dir.as_deref().filter(|d| !d.trim().is_empty()) {
            if !std::path::Path::new(d.trim()).is_absolute() {
                return Err(Error::invalid(
                    "terminal_sessions.claude_dir",
                    format!("'{d}' must be an absolute folder (or empty for ~/.claude)"),
                ));
            }
        }
        for f in self.terminal_sessions.include.iter().chain(&self.terminal_sessions.exclude) {
            if !std::path::Path::new(f.trim()).is_absolute() {
                return Err(Error::invalid("terminal_sessions", format!("'{f}' must be an absolute folder")));
            }
        }
        for (field, argv) in [("open_editor", &self.open_editor), ("open_terminal", &self.open_terminal)] {
            if argv.first().is_some_and(|p| p.trim().is_empty()) || argv.len() > 64 || argv.iter().any(|a| a.contains('\0')) {
                return Err(Error::invalid(field, "the command must start with a program (at most 64 arguments, no NUL)"));
            }
        }
        Ok(())
    }
}

impl Settings {
    /// [`Settings::session_output_mib`] in bytes (0: no limit).
    pub fn session_output_bytes(&self) -> u64 {
        self.session_output_mib as u64 * 1024 * 1024
    }
}

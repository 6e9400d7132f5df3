//! Claude Code sessions started outside Switchboard (in a terminal): imported from the
//! transcripts Claude Code keeps under `~/.claude/projects/<encoded cwd>/<session id>.jsonl`
//! and followed live while they grow.
//!
//! Switchboard only reads that folder: nothing here writes, moves or deletes a file in it.
//! Each transcript becomes one session with origin `terminal`; its lines become output
//! entries like those of the sessions Switchboard runs (transcript.rs). A transcript is
//! read incrementally (import.rs): the `transcripts` table remembers each file's identity
//! and how far it was read, so a pass reads only what was appended, a half-written last
//! line waits for the next pass, and a transcript Claude Code deletes keeps its session.
//! The transcripts of sessions Switchboard runs itself are recognised (by their session
//! id) and never imported twice.

mod fields;
mod import;
mod procs;
mod resume;
pub(crate) mod tail;
pub(crate) mod transcript;
mod watch;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use self::import::{discover, MAX_LINE_BYTES, PASS_BYTES, PASS_LINES};
pub use self::procs::{running_claude, ClaudeProcess};
pub(crate) use self::resume::FOLLOW_ONLY;
pub use self::watch::{TerminalWatch, PROCESS_POLL, SETTLE};
use crate::engine::Engine;
use crate::error::Result;

/// Claude Code's config folder: `dir` when given, else `$CLAUDE_CONFIG_DIR`, else
/// `~/.claude`. None when there is no home folder to look in.
pub fn claude_dir(dir: Option<&Path>) -> Option<PathBuf> {
    if let Some(d) = dir {
        return Some(d.to_path_buf());
    }
    if let Some(d) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    dirs::home_dir().map(|h| h.join(".claude"))
}

/// A folder as Claude Code names its project folder: every character that is not an
/// ASCII letter or digit becomes `-` (`/home/me/app` → `-home-me-app`).
pub fn encode_folder(folder: &str) -> String {
    folder.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}

/// Which transcripts to import and follow (the "Terminal sessions" settings).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct ImportOptions {
    /// Claude Code's config folder; None: `$CLAUDE_CONFIG_DIR`, else `~/.claude`.
    pub claude_dir: Option<String>,
    /// Only sessions in these folders (and below); empty: all.
    pub include: Vec<String>,
    /// Never sessions in these folders (and below).
    pub exclude: Vec<String>,
    /// Only transcripts changed in the last this many days; 0: all.
    #[ts(type = "number")]
    pub since_days: u32,
}

impl ImportOptions {
    /// The `projects` folder these options read.
    pub fn projects_dir(&self) -> Option<PathBuf> {
        claude_dir(self.claude_dir.as_deref().filter(|d| !d.trim().is_empty()).map(Path::new)).map(|d| d.join("projects"))
    }
}

/// What an import did, in counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportReport {
    /// Transcript files found.
    #[ts(type = "number")]
    pub transcripts: u64,
    /// Sessions created for transcripts seen for the first time.
    #[ts(type = "number")]
    pub sessions_new: u64,
    /// Known sessions that got new lines.
    #[ts(type = "number")]
    pub sessions_updated: u64,
    /// Lines stored.
    #[ts(type = "number")]
    pub lines: u64,
    /// Of those, lines kept raw (not JSON, or of a kind not known to Switchboard).
    #[ts(type = "number")]
    pub raw_lines: u64,
    /// Transcripts of sessions Switchboard runs itself, left alone.
    #[ts(type = "number")]
    pub managed: u64,
    /// Files that could not be read, with why.
    pub failed: Vec<String>,
}

impl ImportReport {
    fn add(&mut self, o: &import::FileOutcome) {
        if o.managed {
            self.managed += 1;
        } else if o.new_session {
            self.sessions_new += 1;
        } else if o.lines > 0 {
            self.sessions_updated += 1;
        }
        self.lines += o.lines;
        self.raw_lines += o.raw;
    }
}

impl Engine {
    /// Lists every Claude Code transcript `options` select that is new as a session with
    /// its exact counts (turns, tokens, title, times), without storing its lines yet: the
    /// first phase of [`Engine::import_terminal_sessions`], a plain read of each file.
    /// Blocks on files and SQLite: call it off the async runtime.
    pub fn list_terminal_sessions(&self, options: &ImportOptions) -> Result<ImportReport> {
        let Some(projects) = options.projects_dir() else {
            return Ok(ImportReport::default());
        };
        Ok(import::count_all(self, &projects, options).1)
    }

    /// Imports every Claude Code transcript `options` select: new ones are listed first
    /// with their counts (all of them, see [`Engine::list_terminal_sessions`]), then their
    /// lines stored; known ones are read from where the last pass stopped. Blocks on files
    /// and SQLite: call it off the async runtime. A file that fails is listed in the
    /// report; the others go on.
    pub fn import_terminal_sessions(&self, options: &ImportOptions) -> Result<ImportReport> {
        let Some(projects) = options.projects_dir() else {
            return Ok(ImportReport::default());
        };
        Ok(import::import_all(self, &projects, options))
    }
}

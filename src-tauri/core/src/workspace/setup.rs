//! Per-repository worktree setup: files copied from the main checkout into each new
//! worktree (`.env`, `.env.local`, `.claude/settings.local.json`: ignored files a checkout
//! does not bring), and a command run in the worktree before the agent starts.
//!
//! Stored in the settings table under `repo:<repository root>`; edited in the app's
//! Settings and with `switchboard repo-setup`.

use std::path::{Component, Path};
use std::process::Stdio;
use std::time::Duration;

use process_wrap::tokio::{KillOnDrop, ProcessGroup, TokioCommandWrap};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;
use ts_rs::TS;

use crate::error::{Error, Result};

/// How long a setup command may run (an `npm install` in a large project takes minutes).
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The most of a setup command's output kept (its tail is shown when it fails).
const MAX_SETUP_OUTPUT: usize = 256 * 1024;

/// At most this many files are copied per worktree (a `**` that matches `node_modules`
/// must not copy a hundred thousand files).
pub const MAX_COPIED_FILES: usize = 1_000;

/// What a repository's new worktrees get before the agent starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct RepoSetup {
    /// Files or globs relative to the repository's top folder (`.env`, `.env.*`,
    /// `config/*.local.json`), copied into the same place in each new worktree when there
    /// is no file there yet.
    pub copy_files: Vec<String>,
    /// Run with `sh -c` in the new worktree (the folder the agent starts in) before the
    /// agent; a non-zero exit fails the session's creation and removes the worktree.
    pub setup_command: Option<String>,
    /// Where this repository's new worktrees go (`<folder>/<branch>`): an absolute path, or
    /// one relative to the repository's top folder (`../app-worktrees`). None: under the
    /// data directory (`worktrees/<repo>-<hash>/<branch>`), outside the repository.
    pub worktree_dir: Option<String>,
}

impl RepoSetup {
    /// Refuses patterns that would reach outside the repository, and an empty command.
    pub fn validate(&self) -> Result<()> {
        for p in &self.copy_files {
            let path = Path::new(p.trim());
            if p.trim().is_empty() || path.is_absolute() || path.components().any(|c| matches!(c, Component::ParentDir)) {
                return Err(Error::invalid(
                    "copy_files",
                    format!("'{}' must be a path or glob inside the repository (relative, no '..')", crate::error::shorten(p, 200)),
                ));
            }
        }
        if self.setup_command.as_deref().is_some_and(|c| c.trim().is_empty()) {
            return Err(Error::invalid("setup_command", "the setup command is empty (leave it out instead)"));
        }
        if let Some(d) = self.worktree_dir.as_deref() {
            if d.trim().is_empty() || d.starts_with('~') || d.contains('\0') {
                return Err(Error::invalid(
                    "worktree_dir",
                    "the worktree folder must be an absolute path or one relative to the repository (no '~')",
                ));
            }
        }
        Ok(())
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.copy_files.is_empty() && self.setup_command.is_none() && self.worktree_dir.is_none()
    }

    /// The folder new worktrees of the repository at `root` go into, when one is set.
    pub fn location(&self, root: &Path) -> Option<std::path::PathBuf> {
        self.worktree_dir.as_deref().map(|d| root.join(d.trim()))
    }
}

/// Copies the files matching `patterns` from `root` (the main checkout) to the same
/// relative paths in `worktree`, skipping those already there. Returns what was copied.
pub(crate) fn copy_files(root: &Path, worktree: &Path, patterns: &[String]) -> Result<Vec<String>> {
    let options = glob::MatchOptions { case_sensitive: true, require_literal_separator: true, require_literal_leading_dot: false };
    let mut copied = Vec::new();
    for pattern in patterns {
        // The root literally (its name may hold `[`), the pattern as a glob.
        let full = format!("{}/{}", glob::Pattern::escape(&root.to_string_lossy()), pattern.trim());
        let matches = glob::glob_with(&full, options)
            .map_err(|e| Error::invalid("copy_files", format!("'{}' is not a valid glob: {e}", crate::error::shorten(pattern, 200))))?;
        for m in matches.flatten() {
            let Ok(rel) = m.strip_prefix(root) else { continue };
            if !m.is_file() || rel.components().any(|c| c.as_os_str() == ".git") {
                continue;
            }
            let to = worktree.join(rel);
            if to.exists() {
                continue;
            }
            if copied.len() >= MAX_COPIED_FILES {
                return Err(Error::invalid("copy_files", format!("more than {MAX_COPIED_FILES} files match; narrow the patterns")));
            }
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
            }
            std::fs::copy(&m, &to).map_err(|e| Error::io(format!("cannot copy {} into the worktree", rel.display()), e))?;
            copied.push(rel.to_string_lossy().into_owned());
        }
    }
    copied.sort();
    Ok(copied)
}

/// What a setup command did.
pub(crate) struct SetupRun {
    pub(crate) success: bool,
    /// Its exit, for a person: `exited with 1`, `timed out after 900 s`.
    pub(crate) outcome: String,
    /// stdout and stderr interleaved as they came (bounded).
    pub(crate) output: String,
}

/// Runs `command` with `sh -c` in `dir`, in its own process group (killed with it on timeout).
pub(crate) async fn run_command(dir: &Path, command: &str, timeout: Duration) -> Result<SetupRun> {
    let mut cmd = tokio::process::Command::new("sh");
    // stderr into stdout's pipe: one stream in the order it was written.
    let (reader, writer) = std::io::pipe().map_err(|e| Error::io("cannot create a pipe for the setup command", e))?;
    let writer2 = writer.try_clone().map_err(|e| Error::io("cannot create a pipe for the setup command", e))?;
    cmd.arg("-c").arg(command).current_dir(dir).stdin(Stdio::null()).stdout(writer).stderr(writer2);
    let mut child = TokioCommandWrap::from(cmd)
        .wrap(ProcessGroup::leader())
        .wrap(KillOnDrop)
        .spawn()
        .map_err(|e| Error::io("cannot start the setup command with sh", e))?;
    let reader = tokio::fs::File::from_std(std::fs::File::from(std::os::fd::OwnedFd::from(reader)));
    let run = async {
        let mut buf = Vec::new();
        reader.take(MAX_SETUP_OUTPUT as u64).read_to_end(&mut buf).await?;
        let status = Box::into_pin(child.wait()).await?;
        Ok::<_, std::io::Error>((status, buf))
    };
    // The parent's copies of the pipe's write end are gone with `cmd` (moved into the child):
    // the read ends when the command and everything it started have closed theirs.
    Ok(match tokio::time::timeout(timeout, run).await {
        Ok(Ok((status, buf))) => SetupRun {
            success: status.success(),
            outcome: match status.code() {
                Some(c) => format!("exited with {c}"),
                None => "was killed by a signal".into(),
            },
            output: String::from_utf8_lossy(&buf).into_owned(),
        },
        Ok(Err(e)) => return Err(Error::io("the setup command failed", e)),
        Err(_) => SetupRun { success: false, outcome: format!("timed out after {} s", timeout.as_secs()), output: String::new() },
    })
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

//! Workspaces: a git worktree of its own per session, what the session changed in it, and
//! checkpoints of it after every turn.
//!
//! A session started with a [`WorktreeRequest`] in a folder inside a git repository gets a
//! new branch checked out in a new worktree under the data directory
//! (`worktrees/<repo>-<hash>/<branch>`), and its agent runs there: two sessions in one
//! repository no longer write into the same files, and the user's checkout (and their
//! editor's file watcher) stays as it was. The record ([`Workspace`]) is its own table;
//! the session's `cwd` is the folder in the worktree the agent runs in.
//!
//! Everything here runs the system git (see `git.rs` for why). Nothing here touches the
//! user's branch, index or stash: the state of a worktree is read through a temporary index
//! (`snapshot`), which is also what a checkpoint commits.

mod changes;
mod checkpoint;
mod git;
mod land;
mod setup;
mod worktree;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub(crate) use self::changes::{changes, compare, diff_text};
pub use self::changes::{MAX_FILES_LISTED, MAX_FILE_DIFF_BYTES};
pub(crate) use self::checkpoint::{checkpoint, checkpoints, restore};
pub use self::git::{GIT_TIMEOUT, MAX_GIT_OUTPUT};
pub(crate) use self::land::{commit, land, removal_check};
pub use self::land::{LandMethod, LandOutcome, RemovalCheck, MIN_GIT_FOR_LANDING};
pub(crate) use self::setup::{copy_files, run_command, tail};
pub use self::setup::{RepoSetup, MAX_COPIED_FILES, SETUP_TIMEOUT};
pub(crate) use self::worktree::{create, describe_orphan, remove, remove_orphan, worktree_folders, worktrees_under};
pub use self::worktree::{probe, valid_branch_name, OrphanWorktree};

/// What a new session asks of its own worktree. Both fields are optional: a request with
/// neither takes the repository's current branch as the base and makes up a branch name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct WorktreeRequest {
    /// The branch (or any commit-ish) the new branch starts from; None: the branch the
    /// folder's checkout is on (its commit when detached).
    pub base: Option<String>,
    /// The new branch's name, a valid git branch name that does not exist yet; None:
    /// `switchboard/<slug of the title>-<short id>`.
    pub branch: Option<String>,
}

/// A session's own worktree, as stored (one row per session that has one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Workspace {
    /// The session that works in it.
    pub session_id: String,
    /// The top folder of the checkout the session was started from (the user's own).
    pub repo_root: String,
    /// The base as given or defaulted (a branch name, or a commit id when detached).
    pub base: String,
    /// The commit the branch was created at.
    pub base_commit: String,
    /// The session's own branch.
    pub branch: String,
    /// The worktree's top folder (the session's `cwd` is in it).
    pub path: String,
    /// When it was created (UTC).
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    /// What the session had changed when last measured (after its last turn, or when its
    /// changes were last read); None before the first measure.
    pub stats: Option<ChangeStats>,
}

/// Counts of a session's changes against the merge-base with its base.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChangeStats {
    /// Files added, changed, deleted or renamed.
    pub files: u32,
    /// Lines added (text files only).
    #[ts(type = "number")]
    pub added: u64,
    /// Lines removed (text files only).
    #[ts(type = "number")]
    pub removed: u64,
    /// Commits on the base that the session's branch does not have ("behind base by N"):
    /// a landing will need a merge, squash or rebase, not a fast-forward.
    #[serde(default)]
    pub behind: u32,
}

/// How a file differs from the merge-base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// New since the merge-base (untracked files included).
    Added,
    /// Its content changed.
    Modified,
    /// Gone from the worktree.
    Deleted,
    /// Moved (git's rename detection); `old_path` says from where.
    Renamed,
    /// Its type changed (a file became a symlink, …).
    TypeChanged,
}

/// One changed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FileChange {
    /// Its path in the worktree, relative to the worktree's top folder (`/`-separated).
    pub path: String,
    /// For a rename: where it was.
    pub old_path: Option<String>,
    /// How it differs.
    pub status: FileStatus,
    /// Lines added; 0 for a binary file.
    #[ts(type = "number")]
    pub added: u64,
    /// Lines removed; 0 for a binary file.
    #[ts(type = "number")]
    pub removed: u64,
    /// git sees it as binary: summarised, never rendered.
    pub binary: bool,
}

/// What a session changed: every file that differs between the merge-base of its branch
/// with its base and the worktree as it is now — committed, uncommitted and untracked
/// alike (ignored files excluded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Changes {
    /// The session's branch.
    pub branch: String,
    /// The branch (or commit) it was started from.
    pub base: String,
    /// The merge-base commit the changes are counted from (the `from` of [`diff_text`]).
    pub merge_base: String,
    /// The tree of the worktree as it was read (the `to` of [`diff_text`]).
    pub tree: String,
    /// The files, by path; at most [`MAX_FILES_LISTED`].
    pub files: Vec<FileChange>,
    /// Whether more files changed than are listed.
    pub files_cut: bool,
    /// The totals: files changed, lines added and removed.
    pub stats: ChangeStats,
}

/// The files that differ between any two states of a session's worktree (two checkpoints,
/// the merge-base and a checkpoint, a checkpoint and the worktree now): what the Changes tab
/// lists when asked to compare them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Comparison {
    /// The older state (a tree or commit id): the `from` of [`diff_text`].
    pub from: String,
    /// The newer state: the `to` of [`diff_text`].
    pub to: String,
    /// The files, by path; at most [`MAX_FILES_LISTED`].
    pub files: Vec<FileChange>,
    /// Whether more files differ than are listed.
    pub files_cut: bool,
    /// Files and lines added and removed between the two (`behind` is 0: not a branch).
    pub stats: ChangeStats,
}

/// A unified diff as git prints it, possibly cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FileDiff {
    /// The file it is about; None for the whole change.
    pub path: Option<String>,
    /// `git diff` output (UTF-8, invalid bytes replaced).
    pub text: String,
    /// Whether it was longer than [`MAX_FILE_DIFF_BYTES`] and cut there.
    pub cut: bool,
}

/// A recorded state of a session's worktree: a commit under `refs/switchboard/<session>/<n>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Checkpoint {
    /// 1, 2, 3, … in the order they were taken.
    pub n: u32,
    /// The checkpoint's commit (its parent is the branch's commit at the time).
    pub commit: String,
    /// The commit's tree: the worktree's files (a `from`/`to` for a diff).
    pub tree: String,
    /// Why it was taken: `after turn 3`, `before restoring checkpoint 1`, ….
    pub label: String,
    /// When it was taken.
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
}

/// What [`probe`] finds about a folder: whether it is in a git repository, and its branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RepoInfo {
    /// The checkout's top folder.
    pub root: String,
    /// The branch it is on; None when detached.
    pub branch: Option<String>,
}

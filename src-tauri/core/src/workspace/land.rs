//! Landing a session's work: committing it in its worktree, merging it into its base
//! (fast-forward, merge commit or squash) and rebasing it onto its base.
//!
//! Nothing is written before git has said the whole operation will go through:
//! - conflicts are found with `git merge-tree --write-tree` (git ≥ 2.40 for `--merge-base`,
//!   used by the rebase check), which merges in the object store only — no checkout, no
//!   index, no ref moves; a conflict is returned with its files and both checkouts are as
//!   they were;
//! - a merge or squash builds its commit as an object (`commit-tree`) and then moves the
//!   base in one step: `git merge --ff-only <commit>` in the checkout that has the base
//!   checked out (git refuses, before writing, to overwrite an untracked file), or a
//!   compare-and-swap `update-ref` when no checkout has it;
//! - a checkout of the base with uncommitted changes to tracked files is refused with the
//!   reason, and so is a session worktree with uncommitted work (commit it first).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::git::Git;
use super::Workspace;
use crate::error::{Error, Result};

/// The oldest git whose `merge-tree` can check a merge and each step of a rebase without
/// writing anything (`--write-tree` came in 2.38, `--merge-base` in 2.40).
pub const MIN_GIT_FOR_LANDING: (u32, u32) = (2, 40);

/// How a session's branch is landed on its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LandMethod {
    /// The base moves to the branch's tip; refused when the base has moved on since.
    FastForward,
    /// A merge commit on the base with the branch as its second parent.
    Merge,
    /// One commit on the base with all the branch's changes; the session's branch is then
    /// moved to that commit, so the session goes on from what was landed.
    Squash,
    /// The branch's commits replayed onto the base's tip (the base does not move).
    Rebase,
}

/// What a landing did, or the conflicts that stopped it before anything was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LandOutcome {
    /// How it was (to be) landed.
    pub method: LandMethod,
    /// Whether it was done; false: `conflicts` says why and nothing changed anywhere.
    pub landed: bool,
    /// The files that conflict (empty when landed).
    pub conflicts: Vec<String>,
    /// For a person: what happened, or which step conflicts.
    pub message: String,
    /// The base's new tip (merge, squash, fast-forward) or the branch's (rebase).
    pub commit: Option<String>,
}

/// What would be lost by removing a session's worktree and branch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RemovalCheck {
    /// Whether the worktree's folder still exists.
    pub exists: bool,
    /// Commits on the branch that its base does not have.
    pub unmerged_commits: u32,
    /// Files changed, added or deleted in the worktree and not committed (untracked included).
    pub uncommitted_files: u32,
}

/// The `git --version` as (major, minor).
pub(crate) async fn git_version(dir: &Path) -> Result<(u32, u32)> {
    let v = Git::new(dir).arg("--version").line().await?;
    let nums: Vec<u32> = v
        .split_whitespace()
        .nth(2)
        .unwrap_or("")
        .split('.')
        .take(2)
        .map(|n| n.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0))
        .collect();
    Ok((nums.first().copied().unwrap_or(0), nums.get(1).copied().unwrap_or(0)))
}

async fn require_landing_git(dir: &Path) -> Result<()> {
    let v = git_version(dir).await?;
    if v < MIN_GIT_FOR_LANDING {
        return Err(Error::invalid(
            "land",
            format!(
                "git {}.{} cannot check for conflicts without writing; git {}.{} or newer is needed to land from Switchboard",
                v.0, v.1, MIN_GIT_FOR_LANDING.0, MIN_GIT_FOR_LANDING.1
            ),
        ));
    }
    Ok(())
}

/// The paths `git status` lists in `dir` (tracked changes, and untracked files when `untracked`).
pub(crate) async fn dirty_files(dir: &Path, untracked: bool) -> Result<Vec<String>> {
    let out = Git::new(dir)
        .args(["status", "--porcelain=v1", "-z", if untracked { "--untracked-files=all" } else { "--untracked-files=no" }])
        .run()
        .await?;
    let mut files = Vec::new();
    let mut parts = out.split(|b| *b == 0).filter(|p| !p.is_empty());
    while let Some(entry) = parts.next() {
        let entry = String::from_utf8_lossy(entry);
        if entry.len() < 4 {
            continue;
        }
        if entry.starts_with('R') || entry.starts_with('C') {
            let _from = parts.next();
        }
        files.push(entry[3..].to_string());
    }
    Ok(files)
}

fn listed(files: &[String]) -> String {
    let mut s = files.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if files.len() > 5 {
        s.push_str(&format!(" and {} more", files.len() - 5));
    }
    s
}

/// Commits everything in the session's worktree (tracked, untracked; ignored files
/// excluded) on its branch with `message`, as the user (their identity and hooks apply).
pub(crate) async fn commit(w: &Workspace, message: &str) -> Result<String> {
    let wt = Path::new(&w.path);
    let message = message.trim();
    if message.is_empty() {
        return Err(Error::invalid("message", "the commit message is empty"));
    }
    if dirty_files(wt, true).await?.is_empty() {
        return Err(Error::invalid("message", "nothing to commit: the worktree has no uncommitted changes"));
    }
    Git::new(wt).args(["add", "--all", "--", ":/"]).run().await?;
    Git::new(wt).args(["commit", "--quiet", "-m", message]).run().await?;
    Git::new(wt).args(["rev-parse", "--verify", "HEAD"]).line().await
}

/// The checkout (worktree folder) that has `refs/heads/<branch>` checked out, if any.
async fn checkout_of(root: &Path, branch: &str) -> Result<Option<PathBuf>> {
    let out = Git::new(root).args(["worktree", "list", "--porcelain", "-z"]).run().await?;
    let mut path: Option<PathBuf> = None;
    let want = format!("branch refs/heads/{branch}");
    for field in out.split(|b| *b == 0) {
        let field = String::from_utf8_lossy(field);
        if let Some(p) = field.strip_prefix("worktree ") {
            path = Some(PathBuf::from(p));
        } else if field == want {
            return Ok(path);
        }
    }
    Ok(None)
}

async fn rev(dir: &Path, what: &str) -> Result<String> {
    Git::new(dir).args(["rev-parse", "--verify", "--quiet", "--end-of-options"]).arg(format!("{what}^{{commit}}")).line().await
}

/// `git merge-tree --write-tree`: Ok(tree) when clean, Err(conflicting files) when not.
async fn merge_tree(dir: &Path, merge_base: Option<&str>, ours: &str, theirs: &str) -> Result<std::result::Result<String, Vec<String>>> {
    let mut git = Git::new(dir).args(["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z"]);
    if let Some(b) = merge_base {
        git = git.arg(format!("--merge-base={b}"));
    }
    let out = git.args([ours, theirs]).output().await?;
    let mut parts = out.stdout.split(|b| *b == 0).map(|p| String::from_utf8_lossy(p).into_owned());
    let tree = parts.next().unwrap_or_default();
    match out.code {
        Some(0) => Ok(Ok(tree)),
        Some(1) => {
            let mut files: Vec<String> = parts.take_while(|p| !p.is_empty()).collect();
            files.dedup();
            Ok(Err(files))
        }
        _ => Err(Error::Git { command: "git merge-tree".into(), message: out.stderr }),
    }
}

/// The base as a branch of the repository, or why it cannot be landed on.
async fn base_branch(w: &Workspace) -> Result<String> {
    let root = Path::new(&w.repo_root);
    let ok = Git::new(root).args(["show-ref", "--verify", "--quiet"]).arg(format!("refs/heads/{}", w.base)).output().await?;
    if !ok.success {
        return Err(Error::invalid(
            "land",
            format!("the base '{}' is not a branch (a commit, or a branch deleted since): there is nothing to merge into", w.base),
        ));
    }
    Ok(w.base.clone())
}

async fn require_clean_worktree(w: &Workspace) -> Result<()> {
    let dirty = dirty_files(Path::new(&w.path), true).await?;
    if !dirty.is_empty() {
        return Err(Error::invalid(
            "land",
            format!("the session's worktree has uncommitted changes ({}): commit them first; nothing was changed", listed(&dirty)),
        ));
    }
    Ok(())
}

/// Lands the session's branch on its base with `method` (see the module's doc for what is
/// checked before anything is written). `message` is the merge or squash commit's message.
pub(crate) async fn land(w: &Workspace, method: LandMethod, message: Option<&str>) -> Result<LandOutcome> {
    let wt = Path::new(&w.path);
    let root = Path::new(&w.repo_root);
    require_landing_git(root).await?;
    let base = base_branch(w).await?;
    require_clean_worktree(w).await?;
    let base_tip = rev(root, &format!("refs/heads/{base}")).await?;
    let tip = rev(wt, "HEAD").await?;
    let ahead: u32 = Git::new(root).args(["rev-list", "--count", &format!("{base_tip}..{tip}")]).line().await?.parse().unwrap_or(0);
    if ahead == 0 {
        return Err(Error::invalid(
            "land",
            format!("nothing to land: {} has no commit that {base} lacks (commit the work first)", w.branch),
        ));
    }
    if method == LandMethod::Rebase {
        return rebase(w, &base, &base_tip).await;
    }
    // Where the base is checked out (usually the user's main checkout): it must be clean.
    let checkout = checkout_of(root, &base).await?;
    if let Some(c) = &checkout {
        let dirty = dirty_files(c, false).await?;
        if !dirty.is_empty() {
            return Err(Error::invalid(
                "land",
                format!(
                    "{} (on {base}) has uncommitted changes ({}): commit or stash them there first; nothing was changed",
                    c.display(),
                    listed(&dirty)
                ),
            ));
        }
    }
    let fast_forward = Git::new(root).args(["merge-base", "--is-ancestor", &base_tip, &tip]).output().await?.success;
    let title = message.map(str::trim).filter(|m| !m.is_empty());
    let new_tip = match method {
        LandMethod::FastForward if !fast_forward => {
            return Err(Error::invalid(
                "land",
                format!(
                    "{base} has moved on since {} was started: a fast-forward is not possible; merge, squash or rebase first",
                    w.branch
                ),
            ))
        }
        LandMethod::FastForward => tip.clone(),
        _ => {
            let tree = match merge_tree(root, None, &base_tip, &tip).await? {
                Ok(tree) => tree,
                Err(files) => {
                    return Ok(LandOutcome {
                        method,
                        landed: false,
                        message: format!("{} conflicts with {base} in {} file(s); nothing was changed", w.branch, files.len()),
                        conflicts: files,
                        commit: None,
                    })
                }
            };
            let (default, parents) = if method == LandMethod::Squash {
                (format!("{} (squashed)", w.branch), vec![base_tip.clone()])
            } else {
                (format!("Merge branch '{}'", w.branch), vec![base_tip.clone(), tip.clone()])
            };
            let mut git = Git::new(root).args(["commit-tree", &tree, "-m", title.unwrap_or(&default)]);
            for p in &parents {
                git = git.args(["-p", p]);
            }
            git.line().await?
        }
    };
    match &checkout {
        Some(c) => {
            Git::new(c).args(["merge", "--ff-only", "--quiet", &new_tip]).run().await?;
        }
        None => {
            Git::new(root)
                .args(["update-ref", "-m", "switchboard: land"])
                .arg(format!("refs/heads/{base}"))
                .args([&new_tip, &base_tip])
                .run()
                .await?;
        }
    }
    if method == LandMethod::Squash {
        // The session goes on from what was landed (its branch then has nothing unmerged).
        if let Err(e) = Git::new(wt).args(["reset", "--keep", "--quiet", &new_tip]).run().await {
            tracing::warn!(session = %w.session_id, error = %e, "could not move the session's branch to the squash commit");
        }
    }
    let how = match method {
        LandMethod::FastForward => "fast-forwarded",
        LandMethod::Merge => "merged",
        LandMethod::Squash => "squashed",
        LandMethod::Rebase => "rebased",
    };
    Ok(LandOutcome {
        method,
        landed: true,
        conflicts: Vec::new(),
        message: format!("{} {how} into {base} ({ahead} commit(s)); {base} is at {}", w.branch, &new_tip[..12.min(new_tip.len())]),
        commit: Some(new_tip),
    })
}

/// Replays each of the branch's commits onto the base in the object store first; only
/// when every step is clean does `git rebase` run in the worktree.
async fn rebase(w: &Workspace, base: &str, base_tip: &str) -> Result<LandOutcome> {
    let wt = Path::new(&w.path);
    let list = Git::new(wt).args(["rev-list", "--reverse", "--no-merges", &format!("{base_tip}..HEAD")]).run().await?;
    let mut onto = base_tip.to_string();
    let now = chrono::Utc::now();
    for c in String::from_utf8_lossy(&list).lines() {
        let Ok(parent) = rev(wt, &format!("{c}^")).await else { continue };
        match merge_tree(wt, Some(&parent), &onto, c).await? {
            Ok(tree) => {
                onto = Git::new(wt)
                    .committed_by_switchboard(now)
                    .args(["commit-tree", &tree, "-p", &onto, "-m", "switchboard rebase check"])
                    .line()
                    .await?;
            }
            Err(files) => {
                let subject = Git::new(wt).args(["log", "-1", "--format=%s", c]).line().await.unwrap_or_default();
                return Ok(LandOutcome {
                    method: LandMethod::Rebase,
                    landed: false,
                    message: format!(
                        "commit {} ({subject}) conflicts with {base} in {} file(s); nothing was changed",
                        &c[..12.min(c.len())],
                        files.len()
                    ),
                    conflicts: files,
                    commit: None,
                });
            }
        }
    }
    let out = Git::new(wt).args(["rebase", "--quiet", "--no-autostash", base_tip]).output().await?;
    if !out.success {
        let _ = Git::new(wt).args(["rebase", "--abort"]).output().await;
        return Err(Error::Git { command: "git rebase".into(), message: format!("{} (aborted; nothing was changed)", out.stderr) });
    }
    let tip = rev(wt, "HEAD").await?;
    Ok(LandOutcome {
        method: LandMethod::Rebase,
        landed: true,
        conflicts: Vec::new(),
        message: format!("{} rebased onto {base}; it is at {}", w.branch, &tip[..12.min(tip.len())]),
        commit: Some(tip),
    })
}

/// What removing the session's worktree and branch would lose.
pub(crate) async fn removal_check(w: &Workspace) -> Result<RemovalCheck> {
    let wt = Path::new(&w.path);
    if !wt.is_dir() {
        return Ok(RemovalCheck::default());
    }
    let root = Path::new(&w.repo_root);
    let base = match rev(root, &w.base).await {
        Ok(b) => b,
        Err(_) => w.base_commit.clone(),
    };
    let unmerged = Git::new(wt).args(["rev-list", "--count", &format!("{base}..HEAD")]).line().await?.parse().unwrap_or(0);
    let uncommitted = dirty_files(wt, true).await?.len().min(u32::MAX as usize) as u32;
    Ok(RemovalCheck { exists: true, unmerged_commits: unmerged, uncommitted_files: uncommitted })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_listed_five_at_most() {
        let files: Vec<String> = (1..=7).map(|i| format!("f{i}")).collect();
        assert_eq!(listed(&files[..2]), "f1, f2");
        assert_eq!(listed(&files), "f1, f2, f3, f4, f5 and 2 more");
    }
}

//! Checkpoints: the worktree's full state after each turn (tracked and untracked files,
//! ignored ones excluded) as a commit under `refs/switchboard/<session>/<n>`, and putting
//! the worktree back to one.
//!
//! Made without touching the branch, the index or the stash: the tree comes from a
//! temporary index (`snapshot`), the commit from `git commit-tree` (which moves nothing),
//! and only the private ref is written (`git update-ref`). The refs live in the repository
//! the worktree belongs to, so they outlive the worktree until the session is cleaned up.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::changes::snapshot;
use super::git::Git;
use super::{Checkpoint, Workspace};
use crate::error::{Error, Result};

fn prefix(session_id: &str) -> String {
    format!("refs/switchboard/{session_id}/")
}

/// Records the worktree's state now as the next checkpoint, labelled `label`.
pub(crate) async fn checkpoint(w: &Workspace, label: &str, now: DateTime<Utc>) -> Result<Checkpoint> {
    let wt = Path::new(&w.path);
    let (tree, _index) = snapshot(wt).await?;
    commit(w, &tree, label, now).await
}

async fn commit(w: &Workspace, tree: &str, label: &str, now: DateTime<Utc>) -> Result<Checkpoint> {
    let wt = Path::new(&w.path);
    let n = checkpoints(w).await?.last().map(|c| c.n + 1).unwrap_or(1);
    let head = Git::new(wt).args(["rev-parse", "--verify", "HEAD"]).line().await?;
    let message = format!("switchboard checkpoint {n}: {label}");
    let commit = Git::new(wt).committed_by_switchboard(now).args(["commit-tree", tree, "-p", &head, "-m", &message]).line().await?;
    // Created only if absent: two checkpoints racing for one number do not overwrite each other.
    let zero = "0".repeat(commit.len());
    Git::new(wt)
        .args(["update-ref", "-m", "switchboard checkpoint"])
        .arg(format!("{}{n}", prefix(&w.session_id)))
        .args([&commit, &zero])
        .run()
        .await?;
    Ok(Checkpoint { n, commit, tree: tree.to_string(), label: label.to_string(), at: now })
}

/// The session's checkpoints, oldest first.
pub(crate) async fn checkpoints(w: &Workspace) -> Result<Vec<Checkpoint>> {
    let wt = Path::new(&w.path);
    let out = Git::new(wt)
        .args(["for-each-ref", "--format=%(refname)%00%(objectname)%00%(tree)%00%(committerdate:unix)%00%(contents:subject)"])
        .arg(prefix(&w.session_id))
        .run()
        .await?;
    let mut list = Vec::new();
    for line in String::from_utf8_lossy(&out).lines() {
        let f: Vec<&str> = line.split('\0').collect();
        let [name, commit, tree, at, subject] = f[..] else { continue };
        let Some(n) = name.rsplit('/').next().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let label = subject.split_once(": ").map(|(_, l)| l).unwrap_or(subject).to_string();
        let at = at.parse::<i64>().ok().and_then(|s| DateTime::from_timestamp(s, 0)).unwrap_or_default();
        list.push(Checkpoint { n, commit: commit.into(), tree: tree.into(), label, at });
    }
    list.sort_by_key(|c| c.n);
    Ok(list)
}

/// Puts the worktree's files back as they were at checkpoint `n`, after checkpointing the
/// state it replaces (so a restore can be undone by restoring that one). The branch, HEAD
/// and the checkout's index are not moved: what differs from them afterwards shows as
/// uncommitted changes. Ignored files are left alone. Returns the checkpoint taken first.
pub(crate) async fn restore(w: &Workspace, n: u32, now: DateTime<Utc>) -> Result<Checkpoint> {
    let wt = Path::new(&w.path);
    let target = checkpoints(w)
        .await?
        .into_iter()
        .find(|c| c.n == n)
        .ok_or_else(|| Error::invalid("checkpoint", format!("session {} has no checkpoint {n}", w.session_id)))?;
    // The temporary index holds exactly the current files (with fresh stat data), so the
    // two-tree read-tree below is a clean switch: it writes what differs, removes what the
    // target lacks, and refuses nothing.
    let (current, index) = snapshot(wt).await?;
    let before = commit(w, &current, &format!("before restoring checkpoint {n}"), now).await?;
    let index = index.path().join("index");
    Git::new(wt).index(&index).args(["read-tree", "-m", "-u", &current, &target.tree]).run().await?;
    Ok(before)
}

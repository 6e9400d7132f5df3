//! Creating and removing a session's worktree.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::git::Git;
use super::{RepoInfo, Workspace, WorktreeRequest};
use crate::error::{Error, Result};

/// The folder under the data directory that holds every session's worktree.
pub const WORKTREES_DIR: &str = "worktrees";

/// The longest branch name accepted (git allows more; a path component per `/` must stay
/// under the filesystem's 255 bytes, and nobody reads a longer one).
const MAX_BRANCH_CHARS: usize = 200;

/// Whether `dir` is inside a git work tree, and which branch that is on. Not a repository,
/// or no git installed: None — the folder is used as it is, as before worktrees existed.
pub async fn probe(dir: &Path) -> Result<Option<RepoInfo>> {
    let top = match Git::new(dir).args(["rev-parse", "--show-toplevel"]).output().await {
        Ok(out) if out.success => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        Ok(_) => return Ok(None),
        // git could not be started there: it is not installed, or the folder cannot be
        // entered (then creating the session says so, in the folder's own words).
        Err(e) => {
            tracing::debug!(error = %e, dir = %dir.display(), "no git repository probed");
            return Ok(None);
        }
    };
    if top.is_empty() {
        return Ok(None); // inside a .git folder, or a bare repository: no work tree
    }
    let branch = Git::new(dir).args(["symbolic-ref", "--quiet", "--short", "HEAD"]).output().await?;
    let branch = branch.success.then(|| String::from_utf8_lossy(&branch.stdout).trim().to_string()).filter(|b| !b.is_empty());
    Ok(Some(RepoInfo { root: top, branch }))
}

/// `name` if git accepts it as a new branch's name (`git check-ref-format --branch`), else
/// an `InvalidInput` error on the field `worktree.branch` saying why.
pub async fn valid_branch_name(dir: &Path, name: &str) -> Result<String> {
    let shown = crate::error::shorten(name, crate::error::MAX_VALUE_IN_ERROR);
    let bad = |why: &str| Error::invalid("worktree.branch", format!("'{shown}' is not a valid branch name: {why}"));
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("worktree.branch", "the branch name is empty"));
    }
    if name.chars().count() > MAX_BRANCH_CHARS {
        return Err(bad(&format!("longer than {MAX_BRANCH_CHARS} characters")));
    }
    // A leading '-' would be read as an option by the git calls that take the name; `@{`
    // is expanded by `check-ref-format --branch` (`@{-1}`: the previous branch).
    if name.starts_with('-') || name.contains("@{") || name.chars().any(char::is_control) {
        return Err(bad("it cannot start with '-' or contain '@{' or control characters"));
    }
    let out = Git::new(dir).args(["check-ref-format", "--branch", name]).output().await?;
    if !out.success {
        return Err(bad("git refuses it (no spaces, '..', '~', '^', ':', '?', '*', '[', '\\', nor a part ending in '.lock')"));
    }
    Ok(name.to_string())
}

/// A worktree created for a session that is not stored yet, and the folder its agent runs in.
pub(crate) struct Planned {
    pub(crate) workspace: Workspace,
    pub(crate) cwd: PathBuf,
}

/// Creates the branch and its worktree for session `session_id` started in `cwd` (a
/// canonical folder inside a git work tree): `git worktree add -b <branch> <path> <base>`.
/// Bad input (not a repository, an unknown base, an invalid or existing branch) is an
/// `InvalidInput` error and nothing is created. `reserve` is told the folder just before
/// git creates it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn create(
    data_dir: &Path,
    cwd: &Path,
    session_id: &str,
    title: &str,
    req: WorktreeRequest,
    location: Option<&Path>,
    now: DateTime<Utc>,
    reserve: impl FnOnce(&Path),
) -> Result<Planned> {
    let Some(repo) = probe(cwd).await? else {
        return Err(Error::invalid(
            "worktree",
            format!(
                "'{}' is not in a git repository; start it without its own worktree",
                crate::error::shorten(&cwd.to_string_lossy(), 200)
            ),
        ));
    };
    let root = PathBuf::from(&repo.root);
    // Where in the checkout the session was started: the agent starts at the same place in its worktree.
    let prefix = Git::new(cwd).args(["rev-parse", "--show-prefix"]).line().await?;
    let base = match req.base.map(|b| b.trim().to_string()).filter(|b| !b.is_empty()) {
        Some(b) => b,
        None => match &repo.branch {
            Some(b) => b.clone(),
            None => Git::new(&root).args(["rev-parse", "--verify", "HEAD"]).line().await.map_err(|_| {
                Error::invalid("worktree.base", "the repository has no commit yet; commit once before starting a session in a worktree")
            })?,
        },
    };
    if base.starts_with('-') || base.chars().any(char::is_control) {
        return Err(Error::invalid("worktree.base", "the base cannot start with '-' or contain control characters"));
    }
    let base_commit = Git::new(&root)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{base}^{{commit}}"))
        .line()
        .await
        .map_err(|_| {
            Error::invalid("worktree.base", format!("no branch or commit '{}' in {}", crate::error::shorten(&base, 100), repo.root))
        })?;
    let branch = match req.branch.filter(|b| !b.trim().is_empty()) {
        Some(b) => valid_branch_name(&root, &b).await?,
        None => valid_branch_name(&root, &default_branch(title, session_id)).await?,
    };
    let exists = Git::new(&root).args(["show-ref", "--verify", "--quiet"]).arg(format!("refs/heads/{branch}")).output().await?;
    if exists.success {
        return Err(Error::invalid("worktree.branch", format!("a branch named '{branch}' already exists; choose another name")));
    }
    let path = match location {
        Some(dir) => dir.join(&branch),
        None => data_dir.join(WORKTREES_DIR).join(repo_folder(&root)).join(&branch),
    };
    if path.exists() {
        return Err(Error::invalid("worktree.branch", format!("{} already exists; choose another branch name", path.display())));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
    }
    reserve(&path);
    // The user's hooks (post-checkout) and filters (LFS) run here, as for their own checkouts.
    Git::new(&root).args(["worktree", "add", "--quiet", "-b", &branch]).arg(&path).arg(&base_commit).run().await?;
    // Canonical, as every session's cwd is (the data dir may be reached through a symlink).
    let path = path.canonicalize().map_err(|e| Error::io(format!("cannot read the new worktree {}", path.display()), e))?;
    let prefix = prefix.trim_end_matches('/');
    let cwd = if prefix.is_empty() { path.clone() } else { path.join(prefix) };
    let workspace = Workspace {
        session_id: session_id.to_string(),
        repo_root: repo.root,
        base,
        base_commit,
        branch,
        path: path.to_string_lossy().into_owned(),
        created_at: now,
        stats: None,
    };
    Ok(Planned { workspace, cwd })
}

/// Removes a worktree, its branch and its checkpoints (a session that could not be stored
/// after all, or a deleted session whose user asked for it). Best effort: what fails is logged.
pub(crate) async fn remove(w: &Workspace) {
    let root = Path::new(&w.repo_root);
    if let Err(e) = Git::new(root).args(["worktree", "remove", "--force"]).arg(&w.path).run().await {
        tracing::warn!(session = %w.session_id, error = %e, "could not remove the worktree");
        // Ours (under the data dir) and git could not: its repository may be gone.
        let _ = std::fs::remove_dir_all(&w.path);
    }
    if let Err(e) = Git::new(root).args(["branch", "-D", "--end-of-options", &w.branch]).run().await {
        tracing::warn!(session = %w.session_id, error = %e, "could not delete the branch");
    }
    remove_refs(root, &w.session_id).await;
}

/// Deletes the session's checkpoint refs (`refs/switchboard/<session>/*`).
async fn remove_refs(root: &Path, session_id: &str) {
    let Ok(out) = Git::new(root).args(["for-each-ref", "--format=%(refname)"]).arg(format!("refs/switchboard/{session_id}/")).run().await
    else {
        return;
    };
    for name in String::from_utf8_lossy(&out).lines().filter(|l| !l.is_empty()) {
        if let Err(e) = Git::new(root).args(["update-ref", "-d", name]).run().await {
            tracing::warn!(session = %session_id, error = %e, "could not delete a checkpoint ref");
        }
    }
}

/// A worktree under the data directory that no stored session works in: left by a deleted
/// session whose worktree was kept, or by a crash between its creation and the session's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OrphanWorktree {
    /// Its top folder.
    pub path: String,
    /// The checkout it belongs to; None when that repository is gone.
    pub repo_root: Option<String>,
    /// The branch checked out in it (None: detached, or unreadable).
    pub branch: Option<String>,
    /// Uncommitted files in it (untracked included): lost if it is removed.
    pub uncommitted_files: u32,
}

/// Every worktree folder under `<data dir>/worktrees` (a folder with a `.git` file), sorted.
pub(crate) fn worktree_folders(data_dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: u32, found: &mut Vec<PathBuf>) {
        if dir.join(".git").exists() {
            found.push(dir.to_path_buf());
            return;
        }
        if depth == 0 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&e.path(), depth - 1, found);
            }
        }
    }
    let mut found = Vec::new();
    // worktrees/<repo>/<branch with up to a dozen '/'>.
    walk(&data_dir.join(WORKTREES_DIR), 16, &mut found);
    found.sort();
    found
}

/// The linked worktrees of the repository at `root` whose folders are under `dir` (never
/// the main checkout: git lists it first).
pub(crate) async fn worktrees_under(root: &Path, dir: &Path) -> Vec<PathBuf> {
    let Ok(dir) = dir.canonicalize() else { return Vec::new() };
    let Ok(out) = Git::new(root).args(["worktree", "list", "--porcelain", "-z"]).run().await else { return Vec::new() };
    let mut found: Vec<PathBuf> = out
        .split(|b| *b == 0)
        .filter_map(|f| String::from_utf8_lossy(f).strip_prefix("worktree ").map(PathBuf::from))
        .skip(1)
        .filter(|p| p.starts_with(&dir) && p != &dir && p != root)
        .collect();
    found.sort();
    found
}

/// What is known of a worktree folder found on disk.
pub(crate) async fn describe_orphan(path: &Path) -> OrphanWorktree {
    let common = Git::new(path).args(["rev-parse", "--path-format=absolute", "--git-common-dir"]).line().await.ok();
    let repo_root = common.map(PathBuf::from).map(|c| if c.ends_with(".git") { c.parent().map(Path::to_path_buf).unwrap_or(c) } else { c });
    let branch = match repo_root {
        Some(_) => Git::new(path).args(["symbolic-ref", "--quiet", "--short", "HEAD"]).line().await.ok().filter(|b| !b.is_empty()),
        None => None,
    };
    let uncommitted = match repo_root {
        Some(_) => super::land::dirty_files(path, true).await.map(|f| f.len()).unwrap_or(0),
        None => 0,
    };
    OrphanWorktree {
        path: path.to_string_lossy().into_owned(),
        repo_root: repo_root.map(|r| r.to_string_lossy().into_owned()),
        branch,
        uncommitted_files: uncommitted.min(u32::MAX as usize) as u32,
    }
}

/// Removes an orphaned worktree folder (its branch is kept: its commits may be all that is
/// left of the work; `git branch -D` it when it is not wanted).
pub(crate) async fn remove_orphan(o: &OrphanWorktree) -> Result<()> {
    let removed = match &o.repo_root {
        Some(root) => Git::new(Path::new(root)).args(["worktree", "remove", "--force"]).arg(&o.path).run().await,
        None => Err(Error::invalid("path", "no repository")),
    };
    if let Err(e) = removed {
        tracing::info!(path = %o.path, error = %e, "git could not remove the worktree; removing its folder");
        std::fs::remove_dir_all(&o.path).map_err(|e| Error::io(format!("cannot remove {}", o.path), e))?;
        if let Some(root) = &o.repo_root {
            let _ = Git::new(Path::new(root)).args(["worktree", "prune"]).output().await;
        }
    }
    Ok(())
}

/// `switchboard/<slug of the title>-<last 6 characters of the id>`.
fn default_branch(title: &str, session_id: &str) -> String {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_matches('-');
    let short: String = session_id.chars().rev().take(6).collect::<Vec<_>>().into_iter().rev().collect();
    if slug.is_empty() {
        format!("switchboard/{short}")
    } else {
        format!("switchboard/{slug}-{short}")
    }
}

/// `<repo folder name>-<hash of its path>`: readable, and two repositories with one name apart.
fn repo_folder(root: &Path) -> String {
    // FNV-1a over the path's bytes: stable across versions and platforms (std's hasher is not).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in root.as_os_str().as_encoded_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let name: String = root
        .file_name()
        .map(|n| n.to_string_lossy().chars().map(|c| if c.is_alphanumeric() || "._-".contains(c) { c } else { '-' }).collect())
        .unwrap_or_else(|| "repo".into());
    format!("{name}-{:08x}", (h >> 32) as u32 ^ h as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_branch_names_are_slugs_with_the_ids_end() {
        assert_eq!(default_branch("Fix the Login page!", "claude_0123456789abcdef"), "switchboard/fix-the-login-page-abcdef");
        assert_eq!(default_branch("   ", "command_42"), "switchboard/and_42");
        assert!(default_branch(&"x".repeat(500), "c_1").len() < 70);
    }

    #[test]
    fn repo_folders_keep_the_name_and_tell_paths_apart() {
        let a = repo_folder(Path::new("/home/u/app"));
        let b = repo_folder(Path::new("/srv/app"));
        assert!(a.starts_with("app-") && b.starts_with("app-") && a != b);
        assert_eq!(a, repo_folder(Path::new("/home/u/app")), "stable");
    }
}

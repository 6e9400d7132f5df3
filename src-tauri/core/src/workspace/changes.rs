//! What a session changed: the worktree as it is (read into a tree through a temporary
//! index), against the merge-base of its branch with its base.

use std::path::Path;

use super::git::Git;
use super::{ChangeStats, Changes, Comparison, FileChange, FileDiff, FileStatus, Workspace};
use crate::error::{Error, Result};

/// The most files one [`Changes`] lists (the counts cover them all): a generated tree of
/// 100 000 files must not become a 100 000-row reply.
pub const MAX_FILES_LISTED: usize = 5_000;

/// The longest diff text returned for one call; past it the text is cut and says so. The
/// UI renders it line by line; more than this is not read by anyone.
pub const MAX_FILE_DIFF_BYTES: usize = 4 * 1024 * 1024;

/// The worktree's state as a tree object: tracked and untracked files, ignored ones
/// excluded, read through a temporary index so the checkout's own index is never touched.
/// The temporary index starts as a copy of the real one, so `git add -A` only hashes files
/// whose stat changed. Returns the tree id and the temporary index (kept for a restore).
pub(crate) async fn snapshot(worktree: &Path) -> Result<(String, tempfile::TempDir)> {
    let tmp =
        tempfile::Builder::new().prefix("switchboard-index-").tempdir().map_err(|e| Error::io("cannot create a temporary index", e))?;
    let index = tmp.path().join("index");
    let real = Git::new(worktree).args(["rev-parse", "--path-format=absolute", "--git-path", "index"]).line().await?;
    if Path::new(&real).exists() {
        std::fs::copy(&real, &index).map_err(|e| Error::io("cannot copy the index", e))?;
    }
    Git::new(worktree).index(&index).args(["add", "--all", "--", ":/"]).run().await?;
    let tree = Git::new(worktree).index(&index).args(["write-tree"]).line().await?;
    Ok((tree, tmp))
}

/// The merge-base of the worktree's HEAD with the workspace's base (the base's commit at
/// creation when the base is gone or unrelated now).
pub(crate) async fn merge_base(w: &Workspace) -> Result<String> {
    let wt = Path::new(&w.path);
    let out = Git::new(wt).args(["merge-base", "HEAD", "--end-of-options", &w.base]).output().await?;
    let found = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok(if out.success && !found.is_empty() { found } else { w.base_commit.clone() })
}

/// How many commits the base has that the worktree's HEAD lacks (0 when the base is gone).
pub(crate) async fn behind(w: &Workspace) -> u32 {
    let wt = Path::new(&w.path);
    match Git::new(wt).args(["rev-list", "--count", "--end-of-options"]).arg(format!("HEAD..{}", w.base)).line().await {
        Ok(n) => n.parse().unwrap_or(0),
        Err(_) => 0,
    }
}

/// Every file that differs between the merge-base and the worktree now, with line counts.
pub(crate) async fn changes(w: &Workspace) -> Result<Changes> {
    let wt = Path::new(&w.path);
    let base = merge_base(w).await?;
    let (tree, _index) = snapshot(wt).await?;
    let (files, files_cut, mut stats) = between(wt, &base, &tree).await?;
    stats.behind = behind(w).await;
    Ok(Changes { branch: w.branch.clone(), base: w.base.clone(), merge_base: base, tree, files, files_cut, stats })
}

/// The files that differ between two trees (or commits), listed up to [`MAX_FILES_LISTED`].
pub(crate) async fn between(wt: &Path, from: &str, to: &str) -> Result<(Vec<FileChange>, bool, ChangeStats)> {
    let status = Git::new(wt).args(["diff", "--no-ext-diff", "--name-status", "-z", "-M", from, to, "--"]).run().await?;
    let numstat = Git::new(wt).args(["diff", "--no-ext-diff", "--numstat", "-z", "-M", from, to, "--"]).run().await?;
    let mut files = parse_name_status(&status);
    let counts = parse_numstat(&numstat);
    let mut stats = ChangeStats { files: files.len().min(u32::MAX as usize) as u32, ..Default::default() };
    for f in &mut files {
        if let Some(&(added, removed)) = counts.get(&f.path) {
            match (added, removed) {
                (Some(a), Some(r)) => {
                    f.added = a;
                    f.removed = r;
                    stats.added += a;
                    stats.removed += r;
                }
                _ => f.binary = true,
            }
        }
    }
    let cut = files.len() > MAX_FILES_LISTED;
    files.truncate(MAX_FILES_LISTED);
    Ok((files, cut, stats))
}

/// The files that differ between two trees or commits of the worktree's repository (ids
/// from [`changes`] or the checkpoints), with line counts.
pub(crate) async fn compare(wt: &Path, from: &str, to: &str) -> Result<Comparison> {
    require_object_ids(from, to)?;
    let (files, files_cut, stats) = between(wt, from, to).await?;
    Ok(Comparison { from: from.to_string(), to: to.to_string(), files, files_cut, stats })
}

fn require_object_ids(from: &str, to: &str) -> Result<()> {
    for (field, v) in [("from", from), ("to", to)] {
        if !is_object_id(v) {
            return Err(Error::invalid(field, format!("'{}' is not a git object id", crate::error::shorten(v, 80))));
        }
    }
    Ok(())
}

/// `git diff <from> <to> [-- <path>]` as text, cut at [`MAX_FILE_DIFF_BYTES`].
pub(crate) async fn diff_text(wt: &Path, from: &str, to: &str, path: Option<&str>) -> Result<FileDiff> {
    require_object_ids(from, to)?;
    let mut git = Git::new(wt).args(["diff", "--no-ext-diff", "--no-color", "-M", from, to, "--"]);
    if let Some(p) = path {
        if p.is_empty() || p.starts_with('/') || p.split('/').any(|c| c == "..") || p.contains('\0') {
            return Err(Error::invalid("path", "the path must be relative to the worktree"));
        }
        // Literal: a path is a path, never a pathspec pattern (`*`, `:(glob)`).
        git = git.arg(format!(":(literal){p}"));
    }
    let out = git.output().await?;
    if !out.success {
        return Err(Error::Git { command: "git diff".into(), message: out.stderr });
    }
    let cut = out.cut || out.stdout.len() > MAX_FILE_DIFF_BYTES;
    let mut bytes = out.stdout;
    bytes.truncate(MAX_FILE_DIFF_BYTES);
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if cut {
        // Whole lines only: a cut line could look like another hunk header.
        if let Some(end) = text.rfind('\n') {
            text.truncate(end + 1);
        }
    }
    Ok(FileDiff { path: path.map(String::from), text, cut })
}

fn is_object_id(v: &str) -> bool {
    (v.len() == 40 || v.len() == 64) && v.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// `--name-status -z`: `S\0path\0`, or `Rnn\0old\0new\0` for renames and copies.
fn parse_name_status(out: &[u8]) -> Vec<FileChange> {
    let mut parts = out.split(|b| *b == 0).map(|p| String::from_utf8_lossy(p).into_owned());
    let mut files = Vec::new();
    while let Some(code) = parts.next() {
        let Some(kind) = code.chars().next() else { continue };
        let (status, old_path) = match kind {
            'R' | 'C' => (FileStatus::Renamed, parts.next()),
            'A' => (FileStatus::Added, None),
            'D' => (FileStatus::Deleted, None),
            'T' => (FileStatus::TypeChanged, None),
            _ => (FileStatus::Modified, None),
        };
        let Some(path) = parts.next() else { break };
        let status = if kind == 'C' { FileStatus::Added } else { status };
        files.push(FileChange { path, old_path, status, added: 0, removed: 0, binary: false });
    }
    files
}

/// `--numstat -z`: `added\tremoved\tpath\0`, or `added\tremoved\t\0old\0new\0` for
/// renames; `-\t-` for binary files (None, None). Keyed by the (new) path.
fn parse_numstat(out: &[u8]) -> std::collections::HashMap<String, (Option<u64>, Option<u64>)> {
    let mut parts = out.split(|b| *b == 0).map(|p| String::from_utf8_lossy(p).into_owned());
    let mut map = std::collections::HashMap::new();
    while let Some(head) = parts.next() {
        let mut cols = head.splitn(3, '\t');
        let (Some(a), Some(r), Some(path)) = (cols.next(), cols.next(), cols.next()) else { continue };
        let path = if path.is_empty() {
            let _old = parts.next();
            match parts.next() {
                Some(p) => p,
                None => break,
            }
        } else {
            path.to_string()
        };
        map.insert(path, (a.parse().ok(), r.parse().ok()));
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_status_and_numstat_are_read_with_renames_and_binaries() {
        let status = b"M\0src/a.rs\0R087\0old name.txt\0new name.txt\0A\0img.png\0D\0gone\0";
        let files = parse_name_status(status);
        assert_eq!(files.len(), 4);
        assert_eq!(
            (files[1].path.as_str(), files[1].old_path.as_deref(), files[1].status),
            ("new name.txt", Some("old name.txt"), FileStatus::Renamed)
        );
        let numstat = b"3\t1\tsrc/a.rs\x001\t1\t\0old name.txt\0new name.txt\0-\t-\timg.png\x000\t2\tgone\0";
        let counts = parse_numstat(numstat);
        assert_eq!(counts["src/a.rs"], (Some(3), Some(1)));
        assert_eq!(counts["new name.txt"], (Some(1), Some(1)));
        assert_eq!(counts["img.png"], (None, None));
        assert_eq!(counts["gone"], (Some(0), Some(2)));
    }

    #[test]
    fn only_full_lowercase_object_ids_are_taken() {
        assert!(is_object_id(&"a".repeat(40)));
        assert!(!is_object_id("HEAD"));
        assert!(!is_object_id(&format!("--{}", "a".repeat(38))));
        assert!(!is_object_id(&"A".repeat(40)));
    }
}

//! Workspace rows: a session's own git worktree (see `crate::workspace`), and the last
//! measure of what the session changed in it.

use super::*;
use crate::workspace::{ChangeStats, Workspace};

const COLUMNS: &str =
    "session_id, repo_root, base, base_commit, branch, path, created_at, files_changed, lines_added, lines_removed, behind_base";

pub(super) fn insert_workspace_in(conn: &Connection, w: &Workspace) -> Result<()> {
    conn.execute(
        &format!("INSERT INTO workspaces ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
        params![
            w.session_id,
            w.repo_root,
            w.base,
            w.base_commit,
            w.branch,
            w.path,
            w.created_at.timestamp_millis(),
            w.stats.map(|s| s.files as i64),
            w.stats.map(|s| sql_int(s.added)),
            w.stats.map(|s| sql_int(s.removed)),
            w.stats.map(|s| s.behind as i64),
        ],
    )?;
    Ok(())
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Workspace> {
    let files: Option<i64> = r.get(7)?;
    let count = |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64) };
    Ok(Workspace {
        session_id: r.get(0)?,
        repo_root: r.get(1)?,
        base: r.get(2)?,
        base_commit: r.get(3)?,
        branch: r.get(4)?,
        path: r.get(5)?,
        created_at: ts_from_ms(r.get(6)?),
        stats: match files {
            Some(f) => Some(ChangeStats {
                files: f.clamp(0, u32::MAX as i64) as u32,
                added: count(8)?,
                removed: count(9)?,
                behind: count(10)?.min(u32::MAX as u64) as u32,
            }),
            None => None,
        },
    })
}

impl Store {
    /// The worktree of a session, if it has one.
    pub fn workspace(&self, session_id: &str) -> Result<Option<Workspace>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM workspaces WHERE session_id = ?1"))?;
        Ok(stmt.query_row([session_id], from_row).optional()?)
    }

    /// Every stored worktree, newest first, at most [`MAX_PAGE`].
    pub fn workspaces(&self) -> Result<Vec<Workspace>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM workspaces ORDER BY created_at DESC LIMIT {MAX_PAGE}"))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records the latest measure of a session's changes. Returns the updated row, or None
    /// when the session (and so its worktree record) is gone.
    pub fn set_workspace_stats(&self, session_id: &str, stats: ChangeStats) -> Result<Option<Workspace>> {
        self.immediate(|tx| {
            tx.execute(
                "UPDATE workspaces SET files_changed = ?2, lines_added = ?3, lines_removed = ?4, behind_base = ?5 WHERE session_id = ?1",
                params![session_id, stats.files as i64, sql_int(stats.added), sql_int(stats.removed), stats.behind as i64],
            )?;
            let mut stmt = tx.prepare_cached(&format!("SELECT {COLUMNS} FROM workspaces WHERE session_id = ?1"))?;
            Ok(stmt.query_row([session_id], from_row).optional()?)
        })
    }

    /// Every stored worktree's path (all of them, for finding the orphaned ones on disk).
    pub fn all_workspace_paths(&self) -> Result<Vec<String>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached("SELECT path FROM workspaces")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

//! Settings, projects, and the pairs of sessions made by `get_or_create_pair`.

use super::*;

impl Store {
    /// Adds a project, or moves an existing name to `p.path`; true when a row was written.
    pub fn insert_project(&self, p: &Project) -> Result<bool> {
        let n = self.writer().execute(
            "INSERT INTO projects (name, path, created_at) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET path = excluded.path",
            params![p.name, p.path, p.created_at.timestamp_millis()],
        )?;
        Ok(n == 1)
    }

    /// The project with this name, or None.
    pub fn get_project(&self, name: &str) -> Result<Option<Project>> {
        let conn = self.reader();
        Ok(conn
            .query_row("SELECT name, path, created_at FROM projects WHERE name = ?1", [name], |r| {
                Ok(Project { name: r.get(0)?, path: r.get(1)?, created_at: ts_from_ms(r.get(2)?) })
            })
            .optional()?)
    }

    /// Every project, by name.
    pub fn list_projects(&self) -> Result<Vec<Project>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached("SELECT name, path, created_at FROM projects ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok(Project { name: r.get(0)?, path: r.get(1)?, created_at: ts_from_ms(r.get(2)?) }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The session recorded for a project pair, if any.
    pub fn pair_session(&self, from: &str, to: &str) -> Result<Option<String>> {
        let conn = self.reader();
        Ok(conn
            .query_row("SELECT session_id FROM pairs WHERE from_project = ?1 AND to_project = ?2", [from, to], |r| r.get(0))
            .optional()?)
    }

    /// Records `session_id` as the session for the pair `from → to`, replacing an earlier one.
    pub fn set_pair_session(&self, from: &str, to: &str, session_id: &str, now: DateTime<Utc>) -> Result<()> {
        self.writer().execute(
            "INSERT INTO pairs (from_project, to_project, session_id, created_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT(from_project, to_project) DO UPDATE SET session_id = excluded.session_id, created_at = excluded.created_at",
            params![from, to, session_id, now.timestamp_millis()],
        )?;
        Ok(())
    }

    /// The stored settings, or the defaults.
    pub fn settings(&self) -> Result<crate::settings::Settings> {
        let conn = self.reader();
        let v: Option<String> = conn.query_row("SELECT value FROM settings WHERE name = 'app'", [], |r| r.get(0)).optional()?;
        match v {
            Some(json) => serde_json::from_str(&json).map_err(|e| Error::Corrupt(format!("settings: {e}"))),
            None => Ok(crate::settings::Settings::default()),
        }
    }

    /// Stores the settings as one JSON document, replacing the previous one (no validation here:
    /// see [`Settings::validate`](crate::Settings::validate)).
    pub fn save_settings(&self, s: &crate::settings::Settings) -> Result<()> {
        let json = serde_json::to_string(s).map_err(|e| Error::Corrupt(format!("settings: {e}")))?;
        self.writer().execute(
            "INSERT INTO settings (name, value) VALUES ('app', ?1) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            [json],
        )?;
        Ok(())
    }

    /// A repository's worktree setup (by its top folder), or the default (nothing to do).
    pub fn repo_setup(&self, repo_root: &str) -> Result<crate::workspace::RepoSetup> {
        let conn = self.reader();
        let v: Option<String> =
            conn.query_row("SELECT value FROM settings WHERE name = ?1", [format!("repo:{repo_root}")], |r| r.get(0)).optional()?;
        match v {
            Some(json) => serde_json::from_str(&json).map_err(|e| Error::Corrupt(format!("repository settings: {e}"))),
            None => Ok(Default::default()),
        }
    }

    /// Stores a repository's worktree setup (an empty one removes the entry).
    pub fn save_repo_setup(&self, repo_root: &str, setup: &crate::workspace::RepoSetup) -> Result<()> {
        let name = format!("repo:{repo_root}");
        if setup.is_empty() {
            self.writer().execute("DELETE FROM settings WHERE name = ?1", [name])?;
            return Ok(());
        }
        let json = serde_json::to_string(setup).map_err(|e| Error::Corrupt(format!("repository settings: {e}")))?;
        self.writer().execute(
            "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            [name, json],
        )?;
        Ok(())
    }

    /// Every repository's stored worktree setup, with its top folder.
    pub fn repo_setups(&self) -> Result<Vec<(String, crate::workspace::RepoSetup)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached("SELECT name, value FROM settings WHERE name LIKE 'repo:%' ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut list = Vec::new();
        for row in rows {
            let (name, json) = row?;
            let setup = serde_json::from_str(&json).map_err(|e| Error::Corrupt(format!("repository settings: {e}")))?;
            list.push((name.trim_start_matches("repo:").to_string(), setup));
        }
        Ok(list)
    }
}

//! Session rows: insert (with the live-session limit), update, read, list, find, and the
//! record of which process runs each session. Where a session's row is written.

use super::*;

pub(super) const SESSION_COLUMNS: &str = "id, agent, title, cwd, status, status_message, task_id, mcp_session_id, \
    agent_session_id, service_session_id, config, created_at, last_activity, expires_at, ended_at, \
    message_count, turns, input_tokens, output_tokens, cost_usd, last_error, pid, exit_code, \
    last_response_at, launch_command, output_trimmed_through, origin";

/// Unreadable rows remembered for the report; more are logged but not kept.
pub(super) const MAX_CORRUPT_REPORTED: usize = 1_000;

impl Store {
    /// Inserts a new session owned by `owner`, counts it in `total_created`, and — with
    /// `live_limit` — refuses it when that many sessions are already live, all in one
    /// immediate transaction, so concurrent creates (in any process) cannot both pass.
    pub fn insert_session_owned(&self, s: &Session, owner: &ProcessId, live_limit: Option<u32>) -> Result<()> {
        self.insert_session_with(s, owner, live_limit, None)
    }

    /// [`Store::insert_session_owned`], with the session's worktree record in the same
    /// transaction: a session never exists without the record of the worktree it runs in.
    pub fn insert_session_with(
        &self,
        s: &Session,
        owner: &ProcessId,
        live_limit: Option<u32>,
        workspace: Option<&crate::workspace::Workspace>,
    ) -> Result<()> {
        self.immediate(|tx| {
            if let Some(limit) = live_limit {
                let live: i64 = tx.query_row(
                    &format!("SELECT count(*) FROM sessions WHERE status IN ({}) AND origin = 'switchboard'", live_statuses()),
                    [],
                    |r| r.get(0),
                )?;
                if live >= limit as i64 {
                    return Err(Error::LimitReached { limit });
                }
            }
            insert_session_in(tx, s)?;
            tx.execute(
                "UPDATE sessions SET owner_pid = ?2, owner_start = ?3, proc_boot = ?4 WHERE id = ?1",
                params![s.id, owner.pid as i64, owner.start.map(|v| v as i64), owner.boot],
            )?;
            if let Some(w) = workspace {
                super::workspaces::insert_workspace_in(tx, w)?;
            }
            Ok(())
        })
    }

    /// Writes every field of an existing session. Returns false when it no longer exists.
    pub fn update_session(&self, s: &Session) -> Result<bool> {
        self.immediate(|tx| update_session_in(tx, s))
    }

    /// The stored session, or None when there is no session with this id.
    pub fn get_session(&self, id: &str) -> Result<Option<Session>> {
        get_session_in(&self.reader(), id)
    }

    /// Sessions matching `filter`, sorted, one page at a time.
    ///
    /// With a status filter, each status is read from its own (status, sort key) index
    /// range, at most `offset + limit` rows each, and the ranges merged: the first pages
    /// cost the same with 100 sessions or 100 000.
    pub fn list_sessions(&self, filter: &SessionFilter) -> Result<Vec<Session>> {
        for s in &filter.statuses {
            SessionStatus::from_parts(s, None)?;
        }
        let mut cond = String::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(agent) = filter.agent {
            cond.push_str(" AND agent = ?");
            args.push(agent.as_str().to_string().into());
        }
        if let Some(origin) = filter.origin {
            cond.push_str(" AND origin = ?");
            args.push(origin.as_str().to_string().into());
        }
        if let Some(task) = &filter.task_id {
            cond.push_str(" AND task_id = ?");
            args.push(task.clone().into());
        }
        if let Some(q) = filter.search.as_deref().filter(|q| !q.trim().is_empty()) {
            cond.push_str(" AND (instr(lower(title), lower(?)) > 0 OR instr(lower(cwd), lower(?)) > 0)");
            args.push(q.trim().to_string().into());
            args.push(q.trim().to_string().into());
        }
        let order = match filter.sort {
            SessionSort::Created => "created_at DESC, id DESC",
            SessionSort::LastActivity => "last_activity DESC, id DESC",
        };
        let limit = filter.limit.unwrap_or(MAX_PAGE).min(MAX_PAGE) as u64;
        let offset = filter.offset as u64;
        let mut statuses: Vec<&String> = filter.statuses.iter().collect();
        statuses.sort();
        statuses.dedup();
        let (sql, all_args) = if statuses.is_empty() {
            (format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE 1 = 1{cond} ORDER BY {order} LIMIT {limit} OFFSET {offset}"), args)
        } else {
            let mut parts = Vec::new();
            let mut all = Vec::new();
            for st in statuses {
                parts.push(format!(
                    "SELECT * FROM (SELECT {SESSION_COLUMNS} FROM sessions WHERE status = ?{cond} ORDER BY {order} LIMIT {})",
                    offset + limit
                ));
                all.push(rusqlite::types::Value::from(st.clone()));
                all.extend(args.iter().cloned());
            }
            (format!("{} ORDER BY {order} LIMIT {limit} OFFSET {offset}", parts.join(" UNION ALL ")), all)
        };
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(all_args), |r| Ok((row_id(r), session_from_row(r)?)))?;
        let mut sessions = Vec::new();
        for row in rows {
            // One unreadable row (an unknown status after a downgrade, bad UTF-8 written
            // by another tool) is reported and skipped; it never hides the others.
            match row? {
                (_, Ok(s)) => sessions.push(s),
                (id, Err(e)) => self.note_corrupt(&id, &e),
            }
        }
        Ok(sessions)
    }

    fn note_corrupt(&self, id: &str, e: &Error) {
        let mut corrupt = self.corrupt.lock().unwrap_or_else(|e| e.into_inner());
        if !corrupt.contains_key(id) {
            tracing::error!(session = %id, error = %e, "a stored session cannot be read; it is left out of lists and sweeps");
        }
        if corrupt.len() < MAX_CORRUPT_REPORTED || corrupt.contains_key(id) {
            corrupt.insert(id.to_string(), e.to_string());
        }
    }

    /// Sessions found unreadable so far (id → why), for the UI and the CLI to report.
    pub fn corrupt_sessions(&self) -> Vec<(String, String)> {
        self.corrupt.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Inserts many sessions in one transaction (imports, tests at volume).
    pub fn insert_sessions(&self, sessions: &[Session]) -> Result<()> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(&format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)"))?;
            for s in sessions {
                stmt.execute(params_from_iter(session_params(s)?))?;
            }
            tx.execute(
                "INSERT INTO counters (name, value) VALUES ('total_created', ?1) \
                 ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                [sessions.len() as i64],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records which process runs a session and which Switchboard process owns it.
    pub fn set_process(&self, id: &str, process: &ProcessId, owner: &ProcessId) -> Result<()> {
        self.immediate(|tx| {
            tx.execute(
                "UPDATE sessions SET pid = ?2, proc_start = ?3, proc_boot = ?4, owner_pid = ?5, owner_start = ?6 WHERE id = ?1",
                params![
                    id,
                    process.pid as i64,
                    process.start.map(|v| v as i64),
                    process.boot,
                    owner.pid as i64,
                    owner.start.map(|v| v as i64)
                ],
            )?;
            Ok(())
        })
    }

    /// Makes `owner` the Switchboard process responsible for a session (a resume).
    pub fn set_owner(&self, id: &str, owner: &ProcessId) -> Result<()> {
        self.immediate(|tx| {
            tx.execute(
                "UPDATE sessions SET owner_pid = ?2, owner_start = ?3, proc_boot = ?4 WHERE id = ?1",
                params![id, owner.pid as i64, owner.start.map(|v| v as i64), owner.boot],
            )?;
            Ok(())
        })
    }

    /// Forgets a session's process (it is gone).
    pub fn clear_process(&self, id: &str) -> Result<()> {
        self.immediate(|tx| {
            tx.execute("UPDATE sessions SET pid = NULL WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    /// The process recorded for a session and its owner.
    pub fn process_of(&self, id: &str) -> Result<ProcessRecord> {
        let conn = self.reader();
        let row = conn
            .query_row("SELECT pid, proc_start, proc_boot, owner_pid, owner_start FROM sessions WHERE id = ?1", [id], |r| {
                let boot: Option<String> = r.get(2)?;
                let pid = r.get::<_, Option<i64>>(0)?.and_then(|p| u32::try_from(p).ok());
                let owner = r.get::<_, Option<i64>>(3)?.and_then(|p| u32::try_from(p).ok());
                Ok(ProcessRecord {
                    process: pid.map(|pid| ProcessId {
                        pid,
                        start: r.get::<_, Option<i64>>(1).ok().flatten().map(|v| v as u64),
                        boot: boot.clone(),
                    }),
                    owner: owner.map(|pid| ProcessId { pid, start: r.get::<_, Option<i64>>(4).ok().flatten().map(|v| v as u64), boot }),
                })
            })
            .optional()?;
        Ok(row.unwrap_or_default())
    }

    /// Ids of sessions that are live or still have a process recorded — what start-up
    /// reconciliation looks at (a final status written before the process was stopped,
    /// then a crash, leaves such a row).
    pub fn sessions_to_reconcile(&self) -> Result<Vec<String>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT id FROM sessions WHERE status IN ({}) AND origin = 'switchboard' \
             UNION SELECT id FROM sessions WHERE pid IS NOT NULL AND origin = 'switchboard'",
            live_statuses()
        ))?;
        let rows = stmt.query_map([], |r| Ok(row_id(r)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The session whose `column` (agent_session_id or service_session_id) equals `value`.
    pub fn find_session_by(&self, column: LinkColumn, value: &str) -> Result<Option<Session>> {
        let conn = self.reader();
        let col = match column {
            LinkColumn::AgentSession => "agent_session_id",
            LinkColumn::ServiceSession => "service_session_id",
        };
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE {col} = ?1 ORDER BY created_at DESC LIMIT 1"))?;
        stmt.query_row([value], session_from_row).optional()?.transpose()
    }

    /// Ids of idle sessions whose `expires_at` is before `now`. Only Idle (and a Starting
    /// that never got going) can expire: a running turn, a pending question or a
    /// compaction is activity, never idleness.
    pub fn expired_live(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached("SELECT id FROM sessions WHERE status IN ('idle', 'starting') AND expires_at < ?1 AND origin = 'switchboard' ORDER BY expires_at")?;
        let rows = stmt.query_map([now.timestamp_millis()], |r| Ok(row_id(r)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ids of finished sessions that ended before `cutoff`, at most `limit`.
    pub fn ended_before(&self, cutoff: DateTime<Utc>, limit: u32) -> Result<Vec<String>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT id FROM sessions WHERE ended_at IS NOT NULL AND ended_at < ?1 AND status NOT IN ({}) AND origin = 'switchboard' LIMIT {limit}",
            live_statuses()
        ))?;
        let rows = stmt.query_map([cutoff.timestamp_millis()], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Folders sessions were started in, most recent first.
    pub fn recent_folders(&self, limit: u32) -> Result<Vec<String>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT cwd FROM (SELECT cwd, created_at FROM sessions ORDER BY created_at DESC LIMIT 2000) GROUP BY cwd ORDER BY max(created_at) DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many sessions are in each status, by status name.
    pub fn status_counts(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached("SELECT status, count(*) FROM sessions GROUP BY status")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Removes a session and its output. Returns false when there was no such session.
    pub fn delete_session(&self, id: &str) -> Result<bool> {
        // Output first, a slice per transaction: a session with a million entries must not
        // hold the write lock for seconds (the output writer and status changes go on in
        // between). A crash half-way leaves the session with part of its output: deleting
        // it again finishes the job.
        while self.delete_output_slice(id, DELETE_SLICE)? > 0 {}
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        super::output::delete_output_in(&tx, id, 0, u64::MAX)?;
        tx.execute("DELETE FROM output_sessions WHERE session_id = ?1", [id])?;
        tx.execute("DELETE FROM task_events WHERE session_id = ?1", [id])?;
        tx.execute("DELETE FROM pairs WHERE session_id = ?1", [id])?;
        tx.execute("DELETE FROM permission_requests WHERE session_id = ?1", [id])?;
        tx.execute("DELETE FROM permission_rules WHERE session_id = ?1", [id])?;
        tx.execute("DELETE FROM workspaces WHERE session_id = ?1", [id])?;
        // A deleted terminal session stays deleted: its transcript is not imported again.
        tx.execute("UPDATE transcripts SET managed = 1 WHERE session_id = ?1", [id])?;
        let n = tx.execute("DELETE FROM sessions WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(n == 1)
    }

    /// Deletes the oldest `slice` output entries of a session; returns how many went.
    fn delete_output_slice(&self, id: &str, slice: u64) -> Result<usize> {
        let conn = self.writer();
        match super::output::first_seq_in(&conn, id)? {
            Some(first) => super::output::delete_output_in(&conn, id, first, first.saturating_add(slice - 1)),
            None => Ok(0),
        }
    }

    /// Sessions ever created through this store (kept when sessions are deleted).
    pub fn total_created(&self) -> Result<u64> {
        let conn = self.reader();
        let n: Option<i64> = conn.query_row("SELECT value FROM counters WHERE name = 'total_created'", [], |r| r.get(0)).optional()?;
        Ok(n.unwrap_or(0) as u64)
    }
}

/// The live status names as an SQL list (`'starting', 'running', …`). They are our own
/// constants, so they are inlined rather than bound one parameter each.
pub(super) fn live_statuses() -> String {
    SessionStatus::LIVE_NAMES.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
}

/// Which external id [`Store::find_session_by`] looks up.
#[derive(Debug, Clone, Copy)]
pub enum LinkColumn {
    /// `agent_session_id`: the agent's own id (Claude's `--session-id`).
    AgentSession,
    /// `service_session_id`: an external service's id (seed 004).
    ServiceSession,
}

/// The record of who runs a session's process (see [`Store::process_of`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessRecord {
    /// The agent process last recorded for the session; None when none was started or it was cleared after an exit.
    pub process: Option<ProcessId>,
    /// The Switchboard process that runs (or last ran) the session: only it may stop the process
    /// while it is alive; a dead owner's processes are leftovers the sweep stops.
    pub owner: Option<ProcessId>,
}

pub(super) fn insert_session_in(conn: &Connection, s: &Session) -> Result<()> {
    conn.execute(
        &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)"),
        params_from_iter(session_params(s)?),
    )?;
    conn.execute(
        "INSERT INTO counters (name, value) VALUES ('total_created', 1) \
         ON CONFLICT(name) DO UPDATE SET value = value + 1",
        [],
    )?;
    Ok(())
}

/// Writes every field of an existing session (not the trim mark: only the output writer
/// moves it). Returns false when it no longer exists.
pub(crate) fn update_session_in(conn: &Connection, s: &Session) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "UPDATE sessions SET agent = ?2, title = ?3, cwd = ?4, status = ?5, status_message = ?6, task_id = ?7, \
         mcp_session_id = ?8, agent_session_id = ?9, service_session_id = ?10, config = ?11, created_at = ?12, \
         last_activity = ?13, expires_at = ?14, ended_at = ?15, message_count = ?16, turns = ?17, \
         input_tokens = ?18, output_tokens = ?19, cost_usd = ?20, last_error = ?21, pid = ?22, exit_code = ?23, \
         last_response_at = ?24, launch_command = ?25 \
         WHERE id = ?1",
    )?;
    let n = stmt.execute(params_from_iter(session_params(s)?.into_iter().take(25)))?;
    Ok(n == 1)
}

pub(crate) fn get_session_in(conn: &Connection, id: &str) -> Result<Option<Session>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1"))?;
    stmt.query_row([id], session_from_row).optional()?.transpose()
}

/// A row's id for reports, even when it is not valid UTF-8.
pub(super) fn row_id(r: &Row<'_>) -> String {
    match r.get_ref(0) {
        Ok(rusqlite::types::ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned(),
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("<unreadable id: {e}>"),
    }
}

pub(super) fn session_params(s: &Session) -> Result<Vec<rusqlite::types::Value>> {
    use rusqlite::types::Value;
    let opt = |v: &Option<String>| v.clone().map(Value::from).unwrap_or(Value::Null);
    let config = serde_json::to_string(&s.config).map_err(|e| Error::Corrupt(format!("session config: {e}")))?;
    let status_message = match &s.status {
        SessionStatus::Error { message } => Value::from(message.clone()),
        _ => Value::Null,
    };
    Ok(vec![
        s.id.clone().into(),
        s.agent.as_str().to_string().into(),
        s.title.clone().into(),
        s.cwd.clone().into(),
        s.status.name().to_string().into(),
        status_message,
        opt(&s.task_id),
        opt(&s.mcp_session_id),
        opt(&s.agent_session_id),
        opt(&s.service_session_id),
        config.into(),
        s.created_at.timestamp_millis().into(),
        s.last_activity.timestamp_millis().into(),
        s.expires_at.timestamp_millis().into(),
        s.ended_at.map(|t| Value::from(t.timestamp_millis())).unwrap_or(Value::Null),
        sql_int(s.message_count).into(),
        sql_int(s.turns).into(),
        sql_int(s.input_tokens).into(),
        sql_int(s.output_tokens).into(),
        s.cost_usd.into(),
        opt(&s.last_error),
        s.pid.map(|p| Value::from(p as i64)).unwrap_or(Value::Null),
        s.exit_code.map(|c| Value::from(c as i64)).unwrap_or(Value::Null),
        s.last_response_at.map(|t| Value::from(t.timestamp_millis())).unwrap_or(Value::Null),
        opt(&s.launch_command),
        sql_int(s.output_trimmed_through).into(),
        s.origin.as_str().to_string().into(),
    ])
}

/// Maps a row to a session. The outer `rusqlite::Result` is SQLite's; the inner one reports
/// values SQLite holds but the model cannot accept (an unknown agent, unparsable config).
pub(super) fn session_from_row(r: &Row<'_>) -> rusqlite::Result<Result<Session>> {
    let build = || -> Result<Session> {
        let corrupt = |what: &str, e: rusqlite::Error| Error::Corrupt(format!("{what}: {e}"));
        let agent: String = r.get(1).map_err(|e| corrupt("agent", e))?;
        let status: String = r.get(4).map_err(|e| corrupt("status", e))?;
        let config: String = r.get(10).map_err(|e| corrupt("config", e))?;
        let count = |i: usize| -> Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
        let cost: f64 = r.get(19)?;
        Ok(Session {
            id: r.get(0)?,
            agent: agent.parse::<AgentKind>().map_err(|_| Error::Corrupt(format!("unknown agent '{agent}'")))?,
            title: r.get(2)?,
            cwd: r.get(3)?,
            status: SessionStatus::from_parts(&status, r.get(5)?).map_err(|_| Error::Corrupt(format!("unknown status '{status}'")))?,
            task_id: r.get(6)?,
            mcp_session_id: r.get(7)?,
            agent_session_id: r.get(8)?,
            service_session_id: r.get(9)?,
            config: serde_json::from_str::<SessionConfig>(&config).map_err(|e| Error::Corrupt(format!("session config: {e}")))?,
            created_at: ts_from_ms(r.get(11)?),
            last_activity: ts_from_ms(r.get(12)?),
            expires_at: ts_from_ms(r.get(13)?),
            ended_at: r.get::<_, Option<i64>>(14)?.map(ts_from_ms),
            message_count: count(15)?,
            turns: count(16)?,
            input_tokens: count(17)?,
            output_tokens: count(18)?,
            cost_usd: if cost.is_finite() { cost.max(0.0) } else { 0.0 },
            last_error: r.get(20)?,
            pid: r.get::<_, Option<i64>>(21)?.map(|p| p as u32),
            exit_code: r.get::<_, Option<i64>>(22)?.map(|c| c as i32),
            last_response_at: r.get::<_, Option<i64>>(23)?.map(ts_from_ms),
            launch_command: r.get(24)?,
            output_trimmed_through: count(25)?,
            origin: {
                let origin: String = r.get(26)?;
                origin.parse().map_err(|_| Error::Corrupt(format!("unknown origin '{origin}'")))?
            },
        })
    };
    Ok(build())
}

/// Output entries deleted per transaction when a session is deleted.
const DELETE_SLICE: u64 = 20_000;

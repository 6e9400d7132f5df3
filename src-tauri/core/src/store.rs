//! SQLite persistence: the one source of truth for sessions, their output and task events.
//!
//! One connection writes, one reads (WAL lets them run side by side). Schema changes are
//! forward-only migrations in [`MIGRATIONS`]; never edit a shipped one, add the next.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension, Row};
use rusqlite_migration::{Migrations, M};

use crate::error::{Error, Result};
use crate::model::{
    AgentKind, Metrics, OutputEntry, Project, Session, SessionConfig, SessionFilter, SessionSort, SessionStatus, Stream, TaskEvent,
    TaskEventKind,
};
use crate::paths;
use crate::procid::ProcessId;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "switchboard.db";

/// The most rows one list call returns, whatever the caller asks: a page, not a dump.
pub const MAX_PAGE: u32 = 10_000;

/// The most "Allow for this session" rules one session keeps: every tool request is checked
/// against all of them, and a person has to be able to read the list.
pub const MAX_RULES: u32 = 100;

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        r#"
CREATE TABLE sessions (
    id                 TEXT PRIMARY KEY NOT NULL,
    agent              TEXT NOT NULL,
    title              TEXT NOT NULL,
    cwd                TEXT NOT NULL,
    status             TEXT NOT NULL,
    status_message     TEXT,
    task_id            TEXT,
    mcp_session_id     TEXT,
    agent_session_id   TEXT,
    service_session_id TEXT,
    config             TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    last_activity      INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    ended_at           INTEGER,
    message_count      INTEGER NOT NULL DEFAULT 0,
    turns              INTEGER NOT NULL DEFAULT 0,
    input_tokens       INTEGER NOT NULL DEFAULT 0,
    output_tokens      INTEGER NOT NULL DEFAULT 0,
    cost_usd           REAL NOT NULL DEFAULT 0,
    last_error         TEXT,
    pid                INTEGER,
    exit_code          INTEGER,
    -- Identity of the running process for reconciliation after a crash: its start time
    -- (clock ticks since boot, from /proc) guards against pid reuse; owner_pid is the
    -- Switchboard process that started it.
    proc_start         INTEGER,
    owner_pid          INTEGER
) STRICT;
CREATE INDEX sessions_created ON sessions(created_at DESC, id DESC);
CREATE INDEX sessions_activity ON sessions(last_activity DESC);
CREATE INDEX sessions_status ON sessions(status, created_at DESC);
CREATE INDEX sessions_agent ON sessions(agent, created_at DESC);
CREATE INDEX sessions_task ON sessions(task_id, created_at DESC) WHERE task_id IS NOT NULL;
CREATE INDEX sessions_agent_session ON sessions(agent_session_id) WHERE agent_session_id IS NOT NULL;
CREATE INDEX sessions_service_session ON sessions(service_session_id) WHERE service_session_id IS NOT NULL;

CREATE TABLE output (
    session_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    ts         INTEGER NOT NULL,
    stream     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) STRICT;
"#,
    ),
    M::up(
        r#"
-- Usage and debug info (seeds 002, 003), and the stored-output trim mark.
ALTER TABLE sessions ADD COLUMN last_response_at INTEGER;
ALTER TABLE sessions ADD COLUMN launch_command TEXT;
ALTER TABLE sessions ADD COLUMN output_trimmed_through INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_ended ON sessions(ended_at) WHERE ended_at IS NOT NULL;

-- The task log (seed 001): what happened to a task, in time order.
CREATE TABLE task_events (
    id         INTEGER PRIMARY KEY,
    task_id    TEXT,
    session_id TEXT NOT NULL,
    ts         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL
) STRICT;
CREATE INDEX task_events_task ON task_events(task_id, ts, id) WHERE task_id IS NOT NULL;
CREATE INDEX task_events_session ON task_events(session_id, ts, id);

-- Named projects and the session kept for each project pair (seed 002).
CREATE TABLE projects (
    name       TEXT PRIMARY KEY NOT NULL,
    path       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE pairs (
    from_project TEXT NOT NULL,
    to_project   TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (from_project, to_project)
) STRICT;

-- The first page of a status-filtered list sorted by activity reads one index range per status.
CREATE INDEX sessions_status_activity ON sessions(status, last_activity DESC);

-- Metrics totals per (status, agent), kept by triggers in the same transaction as every
-- change to sessions: metrics read a handful of rows instead of scanning all sessions,
-- and SQLite stays the one source of truth (no cache that could disagree).
CREATE TABLE session_totals (
    status        TEXT NOT NULL,
    agent         TEXT NOT NULL,
    n             INTEGER NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd      REAL NOT NULL,
    ended_n       INTEGER NOT NULL,
    ended_ms      INTEGER NOT NULL,
    PRIMARY KEY (status, agent)
) STRICT, WITHOUT ROWID;
INSERT INTO session_totals
    SELECT status, agent, count(*), sum(input_tokens), sum(output_tokens), sum(cost_usd),
           count(ended_at), coalesce(sum(ended_at - created_at), 0)
    FROM sessions GROUP BY status, agent;
CREATE TRIGGER session_totals_add AFTER INSERT ON sessions BEGIN
    INSERT INTO session_totals VALUES (NEW.status, NEW.agent, 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_usd,
        NEW.ended_at IS NOT NULL, coalesce(NEW.ended_at - NEW.created_at, 0))
    ON CONFLICT (status, agent) DO UPDATE SET n = n + 1, input_tokens = input_tokens + excluded.input_tokens,
        output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd,
        ended_n = ended_n + excluded.ended_n, ended_ms = ended_ms + excluded.ended_ms;
END;
CREATE TRIGGER session_totals_remove AFTER DELETE ON sessions BEGIN
    UPDATE session_totals SET n = n - 1, input_tokens = input_tokens - OLD.input_tokens,
        output_tokens = output_tokens - OLD.output_tokens, cost_usd = cost_usd - OLD.cost_usd,
        ended_n = ended_n - (OLD.ended_at IS NOT NULL), ended_ms = ended_ms - coalesce(OLD.ended_at - OLD.created_at, 0)
    WHERE status = OLD.status AND agent = OLD.agent;
END;
CREATE TRIGGER session_totals_change AFTER UPDATE OF status, agent, input_tokens, output_tokens, cost_usd, ended_at, created_at ON sessions BEGIN
    UPDATE session_totals SET n = n - 1, input_tokens = input_tokens - OLD.input_tokens,
        output_tokens = output_tokens - OLD.output_tokens, cost_usd = cost_usd - OLD.cost_usd,
        ended_n = ended_n - (OLD.ended_at IS NOT NULL), ended_ms = ended_ms - coalesce(OLD.ended_at - OLD.created_at, 0)
    WHERE status = OLD.status AND agent = OLD.agent;
    INSERT INTO session_totals VALUES (NEW.status, NEW.agent, 1, NEW.input_tokens, NEW.output_tokens, NEW.cost_usd,
        NEW.ended_at IS NOT NULL, coalesce(NEW.ended_at - NEW.created_at, 0))
    ON CONFLICT (status, agent) DO UPDATE SET n = n + 1, input_tokens = input_tokens + excluded.input_tokens,
        output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd,
        ended_n = ended_n + excluded.ended_n, ended_ms = ended_ms + excluded.ended_ms;
END;
"#,
    ),
    M::up(
        r#"
-- Settings (one JSON document per name); recent folders read by cwd.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_cwd_created ON sessions(cwd, created_at DESC);
"#,
    ),
    M::up(
        r#"
-- Tool permissions the agent asked for (Claude's can_use_tool) and their answers; a
-- decision may be written by another Switchboard process than the one running the agent.
CREATE TABLE permission_requests (
    session_id  TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    tool_name   TEXT NOT NULL,
    input       TEXT NOT NULL,
    description TEXT,
    gist        TEXT NOT NULL,
    asked_at    INTEGER NOT NULL,
    decision    TEXT,
    decided_at  INTEGER,
    answered    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, request_id)
) STRICT;
CREATE INDEX permission_requests_pending ON permission_requests(asked_at) WHERE decided_at IS NULL;
-- Tools allowed for the rest of a session ("Allow this tool for the session").
CREATE TABLE session_tool_rules (
    session_id TEXT NOT NULL,
    tool_name  TEXT NOT NULL,
    PRIMARY KEY (session_id, tool_name)
) STRICT;
"#,
    ),
    M::up(
        r#"
-- The full identity of a session's process and of the Switchboard process that owns it, so
-- that any Switchboard process opening the store can tell a live owner from a dead one
-- across pid reuse and reboots (see procid.rs). owner_pid is now set from the insert on.
ALTER TABLE sessions ADD COLUMN proc_boot TEXT;
ALTER TABLE sessions ADD COLUMN owner_start INTEGER;
-- Reconciliation reads every row that still has a process recorded, whatever its status.
CREATE INDEX sessions_with_process ON sessions(pid) WHERE pid IS NOT NULL;
"#,
    ),
    M::up(
        r#"
-- "Allow for this session" rules scoped to a tool AND a command prefix or a path glob
-- (permission_rules.rs), and to the agent process they were saved for (its pid and start
-- time, as in sessions.pid/proc_start): a resumed or restarted agent starts with none.
CREATE TABLE permission_rules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    tool_name  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    request_id TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    proc_start INTEGER,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX permission_rules_session ON permission_rules(session_id);
-- Whole-tool rules that outlived their agent were the bug these replace: not carried over.
DROP TABLE session_tool_rules;
"#,
    ),
];

/// How many times a write that found the database locked (another process held it past
/// the busy timeout) is tried again before the error is returned. With the 5 s busy
/// timeout this waits out a lock held for about half a minute.
pub const BUSY_RETRIES: u32 = 5;

/// The busy timeout of every connection: how long one statement waits for another
/// process's lock before SQLite gives up.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The largest count SQLite's INTEGER holds; counters saturate here.
const SQL_INT_MAX: u64 = i64::MAX as u64;

const SESSION_COLUMNS: &str = "id, agent, title, cwd, status, status_message, task_id, mcp_session_id, \
    agent_session_id, service_session_id, config, created_at, last_activity, expires_at, ended_at, \
    message_count, turns, input_tokens, output_tokens, cost_usd, last_error, pid, exit_code, \
    last_response_at, launch_command, output_trimmed_through";

/// The SQLite store. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Store {
    path: PathBuf,
    write: Mutex<Connection>,
    read: Mutex<Connection>,
    /// Rows found unreadable (id → reason), reported instead of failing whole lists.
    corrupt: Mutex<std::collections::BTreeMap<String, String>>,
}

/// Unreadable rows remembered for the report; more are logged but not kept.
const MAX_CORRUPT_REPORTED: usize = 1_000;

impl Store {
    /// Opens (creating if needed) the database in `data_dir`, which is created 0700; the
    /// file is made 0600. Runs pending migrations.
    pub fn open(data_dir: &Path) -> Result<Store> {
        Store::open_with(data_dir, None)
    }

    /// [`Store::open`], with the database capped at `max_pages` pages (SQLite's
    /// `max_page_count`): past it, writes fail as on a full disk.
    pub fn open_with(data_dir: &Path, max_pages: Option<u64>) -> Result<Store> {
        paths::ensure_private_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        check_not_truncated(&path)?;
        // Switchboard processes opening one data dir at the same moment (the app and CLIs)
        // take turns until the database is set up: switching to WAL and migrating are not
        // things SQLite lets two connections do at once (the loser gets SQLITE_BUSY without
        // waiting), and the same migration must not be applied twice.
        let lock = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .mode(0o600)
                .open(data_dir.join("migrate.lock"))
                .map_err(|e| Error::io("cannot open the migration lock", e))?
        };
        lock.lock().map_err(|e| Error::io("cannot take the migration lock", e))?;
        let mut write = Connection::open(&path)?;
        paths::make_private_file(&path)?;
        write.busy_timeout(BUSY_TIMEOUT)?;
        write.pragma_update(None, "journal_mode", "WAL").map_err(|e| not_a_database(&path, e))?;
        write.pragma_update(None, "synchronous", "NORMAL")?;
        write.pragma_update(None, "foreign_keys", "ON")?;
        let known = MIGRATIONS.len();
        let found: usize =
            write.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).map_err(|e| not_a_database(&path, e))?.max(0) as usize;
        if found > known {
            return Err(Error::Corrupt(format!(
                "{} was written by a newer Switchboard (schema {found}; this one knows up to {known}); use the newer version, or another --data-dir",
                path.display()
            )));
        }
        Migrations::from_slice(MIGRATIONS).to_latest(&mut write)?;
        drop(lock);
        if let Some(pages) = max_pages {
            write.pragma_update(None, "max_page_count", pages as i64)?;
        }
        let read = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        read.busy_timeout(BUSY_TIMEOUT)?;
        Ok(Store { path, write: Mutex::new(write), read: Mutex::new(read), corrupt: Mutex::new(Default::default()) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection itself intact; go on with it.
        self.write.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.read.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction on the write connection: the write lock
    /// is taken before anything is read, so a read-modify-write is atomic across every
    /// Switchboard process on this database, not only within this one. A database locked
    /// by another process past the busy timeout is tried again ([`BUSY_RETRIES`]).
    pub fn immediate<T>(&self, mut f: impl FnMut(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut attempt = 0;
        loop {
            let result = (|| {
                let mut conn = self.writer();
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            })();
            match result {
                Err(e) if is_busy(&e) && attempt < BUSY_RETRIES => {
                    attempt += 1;
                    tracing::warn!(attempt, "the database is locked by another process; trying again");
                }
                other => return other,
            }
        }
    }

    /// Inserts a new session owned by `owner`, counts it in `total_created`, and — with
    /// `live_limit` — refuses it when that many sessions are already live, all in one
    /// immediate transaction, so concurrent creates (in any process) cannot both pass.
    pub fn insert_session_owned(&self, s: &Session, owner: &ProcessId, live_limit: Option<u32>) -> Result<()> {
        self.immediate(|tx| {
            if let Some(limit) = live_limit {
                let live: i64 =
                    tx.query_row(&format!("SELECT count(*) FROM sessions WHERE status IN ({})", live_statuses()), [], |r| r.get(0))?;
                if live >= limit as i64 {
                    return Err(Error::LimitReached { limit });
                }
            }
            insert_session_in(tx, s)?;
            tx.execute(
                "UPDATE sessions SET owner_pid = ?2, owner_start = ?3, proc_boot = ?4 WHERE id = ?1",
                params![s.id, owner.pid as i64, owner.start.map(|v| v as i64), owner.boot],
            )?;
            Ok(())
        })
    }

    /// Writes every field of an existing session. Returns false when it no longer exists.
    pub fn update_session(&self, s: &Session) -> Result<bool> {
        self.immediate(|tx| update_session_in(tx, s))
    }

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
            let mut stmt = tx.prepare_cached(&format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)"))?;
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
            "SELECT id FROM sessions WHERE status IN ({}) UNION SELECT id FROM sessions WHERE pid IS NOT NULL",
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
            conn.prepare_cached("SELECT id FROM sessions WHERE status IN ('idle', 'starting') AND expires_at < ?1 ORDER BY expires_at")?;
        let rows = stmt.query_map([now.timestamp_millis()], |r| Ok(row_id(r)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ids of finished sessions that ended before `cutoff`, at most `limit`.
    pub fn ended_before(&self, cutoff: DateTime<Utc>, limit: u32) -> Result<Vec<String>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT id FROM sessions WHERE ended_at IS NOT NULL AND ended_at < ?1 AND status NOT IN ({}) LIMIT {limit}",
            live_statuses()
        ))?;
        let rows = stmt.query_map([cutoff.timestamp_millis()], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn insert_task_event(
        &self,
        task_id: Option<&str>,
        session_id: &str,
        ts: DateTime<Utc>,
        kind: TaskEventKind,
        detail: &serde_json::Value,
    ) -> Result<TaskEvent> {
        self.immediate(|tx| insert_task_event_in(tx, task_id, session_id, ts, kind, detail))
    }

    /// A task's log (`by_task`) or a session's, in time order.
    pub fn task_events(&self, key: TaskEventKey<'_>, limit: u32) -> Result<Vec<TaskEvent>> {
        let conn = self.reader();
        let (sql, value) = match key {
            TaskEventKey::Task(t) => {
                ("SELECT id, task_id, session_id, ts, kind, detail FROM task_events WHERE task_id = ?1 ORDER BY ts, id LIMIT ?2", t)
            }
            TaskEventKey::Session(s) => {
                ("SELECT id, task_id, session_id, ts, kind, detail FROM task_events WHERE session_id = ?1 ORDER BY ts, id LIMIT ?2", s)
            }
        };
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![value, limit.min(MAX_PAGE)], |r| {
            let kind: String = r.get(4)?;
            let detail: String = r.get(5)?;
            Ok(TaskEvent {
                id: r.get(0)?,
                task_id: r.get(1)?,
                session_id: r.get(2)?,
                ts: ts_from_ms(r.get(3)?),
                kind: TaskEventKind::parse(&kind).unwrap_or(TaskEventKind::Error),
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Task ids with their session counts, most recently used first.
    pub fn tasks(&self, limit: u32) -> Result<Vec<(String, u64)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT task_id, count(*) FROM sessions WHERE task_id IS NOT NULL GROUP BY task_id ORDER BY max(created_at) DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit.min(MAX_PAGE)], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Totals over all sessions, from the trigger-maintained `session_totals` (a few rows).
    pub fn metrics(&self) -> Result<Metrics> {
        let conn = self.reader();
        let mut m = Metrics::default();
        let (mut ended_n, mut ended_ms) = (0i64, 0i64);
        {
            let mut stmt = conn.prepare_cached(
                "SELECT status, agent, n, input_tokens, output_tokens, cost_usd, ended_n, ended_ms FROM session_totals WHERE n > 0",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let status: String = r.get(0)?;
                let agent: String = r.get(1)?;
                let n = r.get::<_, i64>(2)? as u64;
                m.total += n;
                if SessionStatus::LIVE_NAMES.contains(&status.as_str()) {
                    m.active += n;
                }
                if status == "error" {
                    m.errors += n;
                }
                *m.by_status.entry(status).or_default() += n;
                *m.by_agent.entry(agent).or_default() += n;
                m.input_tokens += r.get::<_, i64>(3)? as u64;
                m.output_tokens += r.get::<_, i64>(4)? as u64;
                m.cost_usd += r.get::<_, f64>(5)?;
                ended_n += r.get::<_, i64>(6)?;
                ended_ms += r.get::<_, i64>(7)?;
            }
        }
        // Sums of floats added and taken away drift by ulps; keep the figure to a micro-dollar.
        m.cost_usd = (m.cost_usd.max(0.0) * 1e6).round() / 1e6;
        m.avg_duration_ms = if ended_n > 0 { ended_ms as f64 / ended_n as f64 } else { 0.0 };
        drop(conn);
        m.total_created = self.total_created()?;
        Ok(m)
    }

    pub fn insert_project(&self, p: &Project) -> Result<bool> {
        let n = self.writer().execute(
            "INSERT INTO projects (name, path, created_at) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET path = excluded.path",
            params![p.name, p.path, p.created_at.timestamp_millis()],
        )?;
        Ok(n == 1)
    }

    pub fn get_project(&self, name: &str) -> Result<Option<Project>> {
        let conn = self.reader();
        Ok(conn
            .query_row("SELECT name, path, created_at FROM projects WHERE name = ?1", [name], |r| {
                Ok(Project { name: r.get(0)?, path: r.get(1)?, created_at: ts_from_ms(r.get(2)?) })
            })
            .optional()?)
    }

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

    pub fn set_pair_session(&self, from: &str, to: &str, session_id: &str, now: DateTime<Utc>) -> Result<()> {
        self.writer().execute(
            "INSERT INTO pairs (from_project, to_project, session_id, created_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT(from_project, to_project) DO UPDATE SET session_id = excluded.session_id, created_at = excluded.created_at",
            params![from, to, session_id, now.timestamp_millis()],
        )?;
        Ok(())
    }

    /// Records a new request; false (and nothing changed) when the session already has a
    /// request with this id: a repeated id never resets a decision or its delivery.
    pub fn insert_permission(&self, p: &crate::model::PermissionRequest) -> Result<bool> {
        let n = self.writer().execute(
            "INSERT INTO permission_requests (session_id, request_id, tool_name, input, description, gist, asked_at, decision, decided_at, answered) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0) ON CONFLICT (session_id, request_id) DO NOTHING",
            params![
                p.session_id, p.request_id, p.tool_name, p.input.to_string(), p.description, p.gist, p.asked_at.timestamp_millis(),
                p.decision.as_ref().map(|d| serde_json::to_string(d).unwrap_or_default()), p.decided_at.map(|t| t.timestamp_millis())
            ],
        )?;
        Ok(n == 1)
    }

    /// Records a decision on a pending request; false when it was already decided (or unknown).
    pub fn decide_permission(
        &self,
        session_id: &str,
        request_id: &str,
        decision: &crate::model::PermissionDecision,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let json = serde_json::to_string(decision).map_err(|e| Error::Corrupt(e.to_string()))?;
        let n = self.writer().execute(
            "UPDATE permission_requests SET decision = ?3, decided_at = ?4 WHERE session_id = ?1 AND request_id = ?2 AND decided_at IS NULL",
            params![session_id, request_id, json, at.timestamp_millis()],
        )?;
        Ok(n == 1)
    }

    /// Claims the delivery of a decided request: true for exactly one caller, the one that
    /// then writes the answer to the agent; false when it is undecided or already claimed.
    pub fn claim_permission_delivery(&self, session_id: &str, request_id: &str) -> Result<bool> {
        let n = self.writer().execute(
            "UPDATE permission_requests SET answered = 1 WHERE session_id = ?1 AND request_id = ?2 AND decided_at IS NOT NULL AND answered = 0",
            params![session_id, request_id],
        )?;
        Ok(n == 1)
    }

    pub fn permission(&self, session_id: &str, request_id: &str) -> Result<Option<(crate::model::PermissionRequest, bool)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {PERMISSION_COLUMNS}, answered FROM permission_requests WHERE session_id = ?1 AND request_id = ?2"
        ))?;
        Ok(stmt.query_row([session_id, request_id], |r| Ok((permission_from_row(r)?, r.get::<_, i64>(9)? != 0))).optional()?)
    }

    /// Requests still waiting for a decision, oldest first (one session's, or all).
    pub fn pending_permissions(&self, session_id: Option<&str>) -> Result<Vec<crate::model::PermissionRequest>> {
        let conn = self.reader();
        let sql = format!(
            "SELECT {PERMISSION_COLUMNS} FROM permission_requests WHERE decided_at IS NULL{} ORDER BY asked_at, request_id LIMIT {MAX_PAGE}",
            if session_id.is_some() { " AND session_id = ?1" } else { "" }
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = match session_id {
            Some(id) => stmt.query_map([id], permission_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?,
            None => stmt.query_map([], permission_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?,
        };
        Ok(rows)
    }

    /// Saves a rule for the agent process `(pid, proc_start)` and drops the session's rules
    /// of any other (finished) process, in one transaction. Refuses past [`MAX_RULES`].
    pub fn add_permission_rule(
        &self,
        session_id: &str,
        tool_name: &str,
        scope: &crate::permission_rules::RuleScope,
        request_id: &str,
        process: (u32, Option<u64>),
        at: DateTime<Utc>,
    ) -> Result<crate::permission_rules::PermissionRule> {
        let json = serde_json::to_string(scope).map_err(|e| Error::Corrupt(e.to_string()))?;
        let (pid, start) = (process.0 as i64, process.1.map(|v| v as i64));
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM permission_rules WHERE session_id = ?1 AND NOT (pid = ?2 AND proc_start IS ?3)",
            params![session_id, pid, start],
        )?;
        let n: i64 = tx.query_row("SELECT count(*) FROM permission_rules WHERE session_id = ?1", [session_id], |r| r.get(0))?;
        if n >= MAX_RULES as i64 {
            return Err(Error::invalid("rule", format!("a session keeps at most {MAX_RULES} rules; revoke some first")));
        }
        tx.execute(
            "INSERT INTO permission_rules (session_id, tool_name, scope, request_id, pid, proc_start, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![session_id, tool_name, json, request_id, pid, start, at.timestamp_millis()],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(crate::permission_rules::PermissionRule {
            id,
            session_id: session_id.to_string(),
            tool_name: tool_name.to_string(),
            label: crate::permission_rules::label(tool_name, scope),
            scope: scope.clone(),
            request_id: request_id.to_string(),
            created_at: ts_from_ms(at.timestamp_millis()),
        })
    }

    /// The rules saved for the agent process `(pid, proc_start)` of a session, oldest first.
    pub fn permission_rules(&self, session_id: &str, process: (u32, Option<u64>)) -> Result<Vec<crate::permission_rules::PermissionRule>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT id, session_id, tool_name, scope, request_id, created_at FROM permission_rules \
             WHERE session_id = ?1 AND pid = ?2 AND proc_start IS ?3 ORDER BY id LIMIT {MAX_RULES}"
        ))?;
        let rows = stmt.query_map(params![session_id, process.0 as i64, process.1.map(|v| v as i64)], |r| {
            let tool_name: String = r.get(2)?;
            let scope: String = r.get(3)?;
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, tool_name, scope, r.get::<_, String>(4)?, r.get::<_, i64>(5)?))
        })?;
        let mut rules = Vec::new();
        for row in rows {
            let (id, session_id, tool_name, scope, request_id, created_at) = row?;
            // A scope this version cannot read allows nothing: skip it rather than fail.
            let Ok(scope) = serde_json::from_str::<crate::permission_rules::RuleScope>(&scope) else { continue };
            rules.push(crate::permission_rules::PermissionRule {
                id,
                session_id,
                label: crate::permission_rules::label(&tool_name, &scope),
                tool_name,
                scope,
                request_id,
                created_at: ts_from_ms(created_at),
            });
        }
        Ok(rules)
    }

    /// Deletes one rule of a session; false when there was no such rule.
    pub fn revoke_permission_rule(&self, session_id: &str, rule_id: i64) -> Result<bool> {
        let n = self.writer().execute("DELETE FROM permission_rules WHERE session_id = ?1 AND id = ?2", params![session_id, rule_id])?;
        Ok(n == 1)
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

    pub fn save_settings(&self, s: &crate::settings::Settings) -> Result<()> {
        let json = serde_json::to_string(s).map_err(|e| Error::Corrupt(format!("settings: {e}")))?;
        self.writer().execute(
            "INSERT INTO settings (name, value) VALUES ('app', ?1) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            [json],
        )?;
        Ok(())
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

    /// Tokens and cost per day (UTC) of sessions created in the last `days` days.
    pub fn usage_by_day(&self, since: DateTime<Utc>) -> Result<Vec<crate::model::DayUsage>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT date(created_at / 1000, 'unixepoch') AS day, count(*), sum(input_tokens), sum(output_tokens), sum(cost_usd) \
             FROM sessions WHERE created_at >= ?1 GROUP BY day ORDER BY day",
        )?;
        let rows = stmt.query_map([since.timestamp_millis()], |r| {
            Ok(crate::model::DayUsage {
                day: r.get(0)?,
                sessions: r.get::<_, i64>(1)? as u64,
                input_tokens: r.get::<_, i64>(2)? as u64,
                output_tokens: r.get::<_, i64>(3)? as u64,
                cost_usd: r.get(4)?,
            })
        })?;
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
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM output WHERE session_id = ?1", [id])?;
        tx.execute("DELETE FROM task_events WHERE session_id = ?1", [id])?;
        tx.execute("DELETE FROM pairs WHERE session_id = ?1", [id])?;
        tx.execute("DELETE FROM permission_requests WHERE session_id = ?1", [id])?;
        tx.execute("DELETE FROM permission_rules WHERE session_id = ?1", [id])?;
        let n = tx.execute("DELETE FROM sessions WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(n == 1)
    }

    /// Appends output entries in one transaction. Seqs must be new for their session.
    pub fn append_output(&self, entries: &[OutputEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        {
            let mut stmt =
                tx.prepare_cached("INSERT INTO output (session_id, seq, ts, stream, kind, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            for e in entries {
                stmt.execute(params![e.session_id, e.seq as i64, e.ts.timestamp_millis(), e.stream.as_str(), e.kind, e.payload])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Entries with `after < seq < before`, oldest first, at most `limit`.
    pub fn read_output_range(&self, session_id: &str, after: u64, before: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT session_id, seq, ts, stream, kind, payload FROM output \
             WHERE session_id = ?1 AND seq > ?2 AND seq < ?3 ORDER BY seq LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![session_id, sql_int(after), sql_int(before), limit.min(MAX_PAGE)], output_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The last `limit` entries of a session, oldest first (the tail a viewer opens on).
    pub fn tail_output(&self, session_id: &str, limit: u32) -> Result<Vec<OutputEntry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT session_id, seq, ts, stream, kind, payload FROM output \
             WHERE session_id = ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let mut rows: Vec<OutputEntry> =
            stmt.query_map(params![session_id, limit.min(MAX_PAGE)], output_from_row)?.collect::<rusqlite::Result<_>>()?;
        rows.reverse();
        Ok(rows)
    }

    /// Seqs up to this were trimmed by the output cap (0: nothing trimmed).
    pub fn output_trimmed_through(&self, session_id: &str) -> Result<u64> {
        // Asked by the writer for every session of every batch: keep the statement compiled.
        let conn = self.writer();
        let mut stmt = conn.prepare_cached("SELECT output_trimmed_through FROM sessions WHERE id = ?1")?;
        let n: Option<i64> = stmt.query_row([session_id], |r| r.get(0)).optional()?;
        Ok(n.unwrap_or(0) as u64)
    }

    /// Deletes a session's entries with `seq <= through` and records the trim.
    pub fn trim_output(&self, session_id: &str, through: u64) -> Result<usize> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let n = tx.execute("DELETE FROM output WHERE session_id = ?1 AND seq <= ?2", params![session_id, through as i64])?;
        tx.execute(
            "UPDATE sessions SET output_trimmed_through = max(output_trimmed_through, ?2) WHERE id = ?1",
            params![session_id, through as i64],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// The highest stored seq of a session's output, 0 when there is none.
    pub fn last_seq(&self, session_id: &str) -> Result<u64> {
        let conn = self.writer();
        let n: Option<i64> = conn.query_row("SELECT max(seq) FROM output WHERE session_id = ?1", [session_id], |r| r.get(0))?;
        Ok(n.unwrap_or(0) as u64)
    }

    /// Output entries with `seq > after`, oldest first, at most `limit`.
    pub fn read_output(&self, session_id: &str, after: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT session_id, seq, ts, stream, kind, payload FROM output \
             WHERE session_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![session_id, sql_int(after), limit.min(MAX_PAGE)], output_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
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
fn live_statuses() -> String {
    SessionStatus::LIVE_NAMES.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
}

const PERMISSION_COLUMNS: &str = "session_id, request_id, tool_name, input, description, gist, asked_at, decision, decided_at";

fn permission_from_row(r: &Row<'_>) -> rusqlite::Result<crate::model::PermissionRequest> {
    let input: String = r.get(3)?;
    let decision: Option<String> = r.get(7)?;
    let tool_name: String = r.get(2)?;
    let input_value = serde_json::from_str(&input).unwrap_or(serde_json::Value::String(input));
    Ok(crate::model::PermissionRequest {
        session_id: r.get(0)?,
        request_id: r.get(1)?,
        proposed_rule: crate::permission_rules::propose(&tool_name, &input_value),
        tool_name,
        input: input_value,
        description: r.get(4)?,
        gist: r.get(5)?,
        asked_at: ts_from_ms(r.get(6)?),
        decision: decision.and_then(|d| serde_json::from_str(&d).ok()),
        decided_at: r.get::<_, Option<i64>>(8)?.map(ts_from_ms),
    })
}

/// Which external id [`Store::find_session_by`] looks up.
#[derive(Debug, Clone, Copy)]
pub enum LinkColumn {
    AgentSession,
    ServiceSession,
}

/// Whose task log [`Store::task_events`] reads.
#[derive(Debug, Clone, Copy)]
pub enum TaskEventKey<'a> {
    Task(&'a str),
    Session(&'a str),
}

/// A u64 as SQLite's signed INTEGER, saturating at `i64::MAX` (a seq or counter past it
/// would otherwise wrap negative).
pub(crate) fn sql_int(v: u64) -> i64 {
    v.min(SQL_INT_MAX) as i64
}

/// Whether an error is another process holding the database past the busy timeout.
pub fn is_busy(e: &Error) -> bool {
    matches!(e, Error::Sqlite(rusqlite::Error::SqliteFailure(f, _)) if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// Whether an error is the disk (or the database's size cap) being full.
pub fn is_full(e: &Error) -> bool {
    matches!(e, Error::Sqlite(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::DiskFull)
}

/// A file that SQLite cannot open as our database (truncated, damaged, not SQLite): say
/// which file and that nothing was changed. A locked database keeps its own error.
fn not_a_database(path: &Path, e: rusqlite::Error) -> Error {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if !matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
        {
            Error::Corrupt(format!(
                "{} is not a readable Switchboard database ({e}); it was left as it is — move it away to start afresh",
                path.display()
            ))
        }
        _ => Error::Sqlite(e),
    }
}

/// Refuses a database file shorter than its own header says (cut off by a full disk, a
/// bad copy): SQLite would read the missing pages as empty and show no sessions, and the
/// next write could make the loss permanent. Reads 100 bytes; a missing or empty file is
/// a new database.
fn check_not_truncated(path: &Path) -> Result<()> {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else { return Ok(()) };
    let len = file.metadata().map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?.len();
    if len == 0 {
        return Ok(());
    }
    let mut header = [0u8; 100];
    let damaged =
        |why: String| Error::Corrupt(format!("{} is damaged ({why}); it was left as it is — move it away to start afresh", path.display()));
    if file.read_exact(&mut header).is_err() {
        return Err(damaged(format!("only {len} bytes, shorter than a database header")));
    }
    if &header[..16] != b"SQLite format 3\0" {
        return Err(damaged("not an SQLite database".into()));
    }
    let be32 = |at: usize| u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]) as u64;
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => n as u64,
    };
    // The page count in the header is valid when its "valid-for" number matches the
    // change counter (SQLite's file format, section 1.3.7).
    let pages = be32(28);
    if be32(92) == be32(24) && pages > 0 && len < pages * page_size {
        return Err(damaged(format!("{len} bytes where its header says {} — the file was cut short", pages * page_size)));
    }
    Ok(())
}

/// The record of who runs a session's process (see [`Store::process_of`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessRecord {
    pub process: Option<ProcessId>,
    pub owner: Option<ProcessId>,
}

fn insert_session_in(conn: &Connection, s: &Session) -> Result<()> {
    conn.execute(
        &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)"),
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

pub(crate) fn insert_task_event_in(
    conn: &Connection,
    task_id: Option<&str>,
    session_id: &str,
    ts: DateTime<Utc>,
    kind: TaskEventKind,
    detail: &serde_json::Value,
) -> Result<TaskEvent> {
    let mut stmt = conn.prepare_cached("INSERT INTO task_events (task_id, session_id, ts, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    stmt.execute(params![task_id, session_id, ts.timestamp_millis(), kind.as_str(), detail.to_string()])?;
    Ok(TaskEvent {
        id: conn.last_insert_rowid(),
        task_id: task_id.map(str::to_string),
        session_id: session_id.to_string(),
        ts,
        kind,
        detail: detail.clone(),
    })
}

/// A row's id for reports, even when it is not valid UTF-8.
fn row_id(r: &Row<'_>) -> String {
    match r.get_ref(0) {
        Ok(rusqlite::types::ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned(),
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("<unreadable id: {e}>"),
    }
}

fn session_params(s: &Session) -> Result<Vec<rusqlite::types::Value>> {
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
    ])
}

fn output_from_row(r: &Row<'_>) -> rusqlite::Result<OutputEntry> {
    Ok(OutputEntry {
        session_id: r.get(0)?,
        seq: r.get::<_, i64>(1)? as u64,
        ts: ts_from_ms(r.get(2)?),
        stream: Stream::parse(&r.get::<_, String>(3)?),
        kind: r.get(4)?,
        payload: r.get(5)?,
    })
}

pub(crate) fn ts_from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Maps a row to a session. The outer `rusqlite::Result` is SQLite's; the inner one reports
/// values SQLite holds but the model cannot accept (an unknown agent, unparsable config).
fn session_from_row(r: &Row<'_>) -> rusqlite::Result<Result<Session>> {
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
        })
    };
    Ok(build())
}

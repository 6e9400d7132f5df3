//! The schema, as forward-only migrations: never edit a shipped one, add the next.

use super::*;

pub(super) const MIGRATIONS: &[M<'static>] = &[
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
    M::up(
        r#"
-- Migration 7 (issue 18, workspaces): a session's own git worktree. One row per session
-- that has one; the session's cwd is inside `path`. The stats are the last measure of
-- its changes (after a turn, or when read), for the sessions list: NULL until measured.
CREATE TABLE workspaces (
    session_id    TEXT PRIMARY KEY NOT NULL,
    repo_root     TEXT NOT NULL,
    base          TEXT NOT NULL,
    base_commit   TEXT NOT NULL,
    branch        TEXT NOT NULL,
    path          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    files_changed INTEGER,
    lines_added   INTEGER,
    lines_removed INTEGER
) STRICT;
CREATE INDEX workspaces_repo ON workspaces(repo_root);
"#,
    ),
    M::up(
        r#"
-- Migration 8 (issue 14): who settled a permission request and where ('app', 'cli', 'rule', 'timeout'; model::Decider);
-- NULL while pending, for cancellations, and for requests decided before it was recorded.
ALTER TABLE permission_requests ADD COLUMN decided_by TEXT;
"#,
    ),
    M::up(
        r#"
-- Migration 9 (issue 16): sessions started outside Switchboard (Claude Code in a terminal), imported from their
-- transcripts (external/). Their processes are not ours: reconciliation, expiry and
-- retention leave them alone.
ALTER TABLE sessions ADD COLUMN origin TEXT NOT NULL DEFAULT 'switchboard';
CREATE INDEX sessions_origin ON sessions(origin, created_at DESC);
-- Each transcript file read so far: its identity (device and inode, so a replaced file is
-- told from an appended one), how far its lines are stored (offset: the start of the first
-- line not stored) and counted into its session (counted ≥ offset: a first import lists
-- every session with its counts first, then stores the lines), the session they went to,
-- and what the next pass must carry on with (JSON; see external/transcript.rs). managed = 1: never imported (again) — the transcript
-- of a session Switchboard runs itself, or of an imported session the user deleted.
CREATE TABLE transcripts (
    path       TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL,
    dev        INTEGER NOT NULL,
    inode      INTEGER NOT NULL,
    offset     INTEGER NOT NULL,
    counted    INTEGER NOT NULL DEFAULT 0,
    carry      TEXT NOT NULL,
    managed    INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX transcripts_session ON transcripts(session_id);
"#,
    ),
    M::up(
        r#"
-- Migration 10 (issue 18): how many commits the session's base has that its branch lacks, when
-- last measured (with the other stats); NULL until measured.
ALTER TABLE workspaces ADD COLUMN behind_base INTEGER;
"#,
    ),
    M::up(
        r#"
-- Migration 11 (issue 19, output store v2): output payloads zstd-compressed (store/codec.rs), in a
-- rowid table with a unique (session, seq) index (docs/BENCHMARKS.md, finding E: the WITHOUT
-- ROWID table cost 1.6 × the raw bytes) and an integer session key instead of the text id in
-- every row. The old `output` table is emptied into `entries` by Store::convert_legacy_output,
-- in batches that each commit on their own; until then reads see both tables.
CREATE TABLE output_sessions (
    key        INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL UNIQUE
) STRICT;
-- zstd dictionaries, one per agent kind, trained from that kind's first output; never changed.
CREATE TABLE output_dicts (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    dict       BLOB NOT NULL
) STRICT;
-- len: the payload's length as printed; dict: NULL = payload stored as printed, 0 = a zstd
-- frame, n = a zstd frame made with output_dicts n.
CREATE TABLE entries (
    id      INTEGER PRIMARY KEY,
    key     INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    ts      INTEGER NOT NULL,
    stream  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    len     INTEGER NOT NULL,
    dict    INTEGER,
    payload BLOB NOT NULL
) STRICT;
CREATE UNIQUE INDEX entries_seq ON entries(key, seq);
"#,
    ),
    M::up(
        r#"
-- Migration 12 (issue 19): full-text search over output. Contentless (the text is in
-- entries, compressed): the index holds only the words, by entries.id. Filled by the
-- background indexer past counters.search_indexed_through; rows leave it with their entry.
CREATE VIRTUAL TABLE entries_fts USING fts5(text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
    DELETE FROM entries_fts WHERE rowid = OLD.id;
END;
"#,
    ),
    M::up(
        r#"
-- Migration 13 (issue 19): each session's stored output in bytes (the payloads' length as
-- printed, before compression), for the per-session budget (Settings::session_output_mib).
-- Added to by the one writer of entries (store/output.rs, once per session per batch) and
-- taken from by this trigger whenever entries go (trims, deletions, retention).
ALTER TABLE output_sessions ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
UPDATE output_sessions SET bytes = coalesce((SELECT sum(len) FROM entries WHERE entries.key = output_sessions.key), 0);
CREATE TRIGGER entries_bytes_delete AFTER DELETE ON entries BEGIN
    UPDATE output_sessions SET bytes = bytes - OLD.len WHERE key = OLD.key;
END;
"#,
    ),
];

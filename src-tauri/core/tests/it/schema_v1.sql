-- The first schema of Switchboard's store (migration 1 of src-tauri/core/src/store.rs, as shipped),
-- frozen here for the migration test (tests/it/migrations.rs): never edit it.
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

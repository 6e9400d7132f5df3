//! Upgrades: a data directory written by the first schema (migration 1 only, frozen in
//! `schema_v1.sql`) opens with today's code, goes through every migration, and keeps its
//! data — read back through the public API only.

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, Connection};
use switchboard_core::*;

use crate::support::*;

/// The first schema, exactly as it shipped.
const SCHEMA_V1: &str = include_str!("schema_v1.sql");

/// A pid above any kernel's pid_max: never a running process.
const DEAD_PID: i64 = 999_999_999;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, h, m, 0).unwrap()
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A database as the first version of Switchboard left it: three sessions (ended, failed,
/// and one still running whose Switchboard process is gone), output, the created counter.
fn write_v1(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let conn = Connection::open(dir.join(switchboard_core::DB_FILE)).unwrap();
    conn.execute_batch(SCHEMA_V1).unwrap();
    // rusqlite_migration counts the migrations applied in user_version.
    conn.pragma_update(None, "user_version", 1).unwrap();
    let insert = "INSERT INTO sessions (id, agent, title, cwd, status, status_message, task_id, agent_session_id, config, \
        created_at, last_activity, expires_at, ended_at, message_count, turns, input_tokens, output_tokens, cost_usd, \
        last_error, pid, exit_code, proc_start, owner_pid) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)";
    conn.execute(
        insert,
        params![
            "command_ended",
            "command",
            "List the files",
            "/home/dev/project",
            "ended",
            None::<String>,
            None::<String>,
            None::<String>,
            r#"{"program":"ls","args":["-la"],"env":{"LANG":"C"}}"#,
            ms(at(10, 0)),
            ms(at(10, 5)),
            ms(at(11, 0)),
            ms(at(10, 6)),
            2,
            1,
            0,
            0,
            0.0,
            None::<String>,
            None::<i64>,
            0,
            None::<i64>,
            None::<i64>,
        ],
    )
    .unwrap();
    conn.execute(
        insert,
        params![
            "claude_failed",
            "claude",
            "Fix the flaky test",
            "/home/dev/other",
            "error",
            "the process exited with code 1",
            "task-7",
            "0b7e2a52-5d6c-4a4e-9b1e-6f0f4c1d2e3a",
            r#"{"prompt":"Fix the flaky test","model":"sonnet","permission_mode":"plan","max_turns":3}"#,
            ms(at(9, 0)),
            ms(at(9, 30)),
            ms(at(10, 0)),
            ms(at(9, 31)),
            6,
            3,
            12_000,
            800,
            0.25,
            "exit code 1",
            None::<i64>,
            1,
            None::<i64>,
            None::<i64>,
        ],
    )
    .unwrap();
    conn.execute(
        insert,
        params![
            "command_running",
            "command",
            "Watch the build",
            "/home/dev/project",
            "running",
            None::<String>,
            "task-7",
            None::<String>,
            r#"{"program":"sh","args":["-c","make watch"]}"#,
            ms(at(11, 0)),
            ms(at(11, 1)),
            ms(at(12, 0)),
            None::<i64>,
            0,
            0,
            0,
            0,
            0.0,
            None::<String>,
            DEAD_PID,
            None::<i64>,
            12_345,
            DEAD_PID,
        ],
    )
    .unwrap();
    let out = "INSERT INTO output (session_id, seq, ts, stream, kind, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    for (seq, stream, kind, payload) in [
        (1, "system", "lifecycle", "started ls -la"),
        (2, "stdout", "line", "total 8"),
        (3, "stderr", "line", "ls: a warning"),
        (4, "system", "lifecycle", "exited with code 0"),
    ] {
        conn.execute(out, params!["command_ended", seq, ms(at(10, seq as u32)), stream, kind, payload]).unwrap();
    }
    conn.execute(out, params!["claude_failed", 1, ms(at(9, 1)), "stdout", "assistant_text", "Looking at the test…"]).unwrap();
    conn.execute("INSERT INTO counters (name, value) VALUES ('total_created', 5)", []).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_schema_database_upgrades_with_its_data_intact() {
    let dir = tempfile::tempdir().unwrap();
    write_v1(dir.path());
    let engine = engine(dir.path(), ManualClock::new(), EngineConfig::default());

    // Sessions, with what the first schema had and defaults for the columns added since.
    let a = engine.get("command_ended").unwrap();
    assert_eq!((a.agent, a.title.as_str(), a.cwd.as_str()), (AgentKind::Command, "List the files", "/home/dev/project"));
    assert_eq!(a.status, SessionStatus::Ended);
    assert_eq!(a.config.program.as_deref(), Some("ls"));
    assert_eq!(a.config.args, ["-la"]);
    assert_eq!(a.config.env.get("LANG").map(String::as_str), Some("C"));
    assert_eq!((a.created_at, a.last_activity, a.expires_at, a.ended_at), (at(10, 0), at(10, 5), at(11, 0), Some(at(10, 6))));
    assert_eq!((a.message_count, a.turns, a.exit_code), (2, 1, Some(0)));
    assert_eq!((a.last_response_at, a.launch_command.as_deref(), a.output_trimmed_through), (None, None, 0));

    let b = engine.get("claude_failed").unwrap();
    assert_eq!(b.agent, AgentKind::Claude);
    assert_eq!(b.status, SessionStatus::Error { message: "the process exited with code 1".into() });
    assert_eq!(b.task_id.as_deref(), Some("task-7"));
    assert_eq!((b.input_tokens, b.output_tokens, b.cost_usd), (12_000, 800, 0.25));
    assert_eq!(b.last_error.as_deref(), Some("exit code 1"));
    assert_eq!(
        (b.config.prompt.as_deref(), b.config.model.as_deref(), b.config.max_turns),
        (Some("Fix the flaky test"), Some("sonnet"), Some(3))
    );
    assert_eq!(b.config.permission_mode, PermissionMode::Plan);
    let by_agent_id = engine.find_by_agent_session_id("0b7e2a52-5d6c-4a4e-9b1e-6f0f4c1d2e3a").unwrap();
    assert_eq!(by_agent_id.map(|s| s.id).as_deref(), Some("claude_failed"));
    assert!(engine.corrupt_sessions().is_empty(), "{:?}", engine.corrupt_sessions());

    // Lists and the totals that migration 2 computed from the existing rows.
    let all = engine.list(&SessionFilter::default()).unwrap();
    assert_eq!(all.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["command_running", "command_ended", "claude_failed"]);
    let ended = engine.list(&SessionFilter { statuses: vec!["ended".into()], ..Default::default() }).unwrap();
    assert_eq!(ended.len(), 1);
    let m = engine.metrics().unwrap();
    assert_eq!((m.total, m.active, m.errors, m.total_created), (3, 1, 1, 5));
    assert_eq!((m.input_tokens, m.output_tokens), (12_000, 800));
    assert_eq!(m.by_agent.get("command"), Some(&2));
    assert_eq!(engine.tasks().unwrap(), [("task-7".to_string(), 2)]);

    // Output, in order, every stream.
    let out = engine.output("command_ended", 0, 100).unwrap();
    let got: Vec<_> = out.iter().map(|e| (e.seq, e.stream, e.kind.as_str(), e.payload.as_str())).collect();
    assert_eq!(
        got,
        [
            (1, Stream::System, "lifecycle", "started ls -la"),
            (2, Stream::Stdout, "line", "total 8"),
            (3, Stream::Stderr, "line", "ls: a warning"),
            (4, Stream::System, "lifecycle", "exited with code 0"),
        ]
    );
    assert_eq!(out[1].ts, at(10, 2));
    assert_eq!(
        engine.output_tail("claude_failed", 10).unwrap().iter().map(|e| e.payload.as_str()).collect::<Vec<_>>(),
        ["Looking at the test…"]
    );

    // The running session whose Switchboard is gone (an identity without the columns added
    // in migration 5) is reconciled as after any crash, and that is logged in the task log
    // that migration 2 created.
    let changed = engine.reconcile().await.unwrap();
    assert_eq!(changed.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["command_running"]);
    let c = engine.get("command_running").unwrap();
    assert_eq!((c.status.clone(), c.pid), (SessionStatus::Interrupted, None));
    let log = engine.session_log("command_running").unwrap();
    assert_eq!(log.iter().map(|e| e.kind).collect::<Vec<_>>(), [TaskEventKind::Ended]);
    assert_eq!(log[0].detail["status"], "interrupted");
    assert_eq!(engine.task_log("task-7").unwrap().len(), 1);
    assert!(engine.session_log("command_ended").unwrap().is_empty());

    // The upgraded rows take part in everything new: the trigger-kept totals follow a
    // status change and a delete; task events and settings are written and read back.
    assert_eq!(engine.metrics().unwrap().active, 0);
    engine.log_task_event("command_ended", TaskEventKind::ResponseReceived, serde_json::json!({ "note": "after the upgrade" })).unwrap();
    assert_eq!(engine.session_log("command_ended").unwrap()[0].detail["note"], "after the upgrade");
    engine.delete("claude_failed").await.unwrap();
    let m = engine.metrics().unwrap();
    assert_eq!((m.total, m.errors, m.input_tokens, m.total_created), (2, 0, 0, 5));
    assert_eq!(engine.settings().unwrap(), Settings::default());
    drop(engine);

    // Opening it again is a no-op upgrade: everything is still there.
    let engine = crate::support::engine(dir.path(), ManualClock::new(), EngineConfig::default());
    assert_eq!(engine.list(&SessionFilter::default()).unwrap().len(), 2);
    assert_eq!(engine.output("command_ended", 0, 100).unwrap().len(), 4);
    assert_eq!(engine.session_log("command_running").unwrap().len(), 1);
}

//! Bad input, through IPC (mock runtime) and the real CLI: empty, huge (1 MiB), control
//! characters, flag-like, path traversal and SQL-looking values in every field of a new
//! session, invalid and huge ids for every command taking one, repeated end/rm, a 10 MiB
//! message, 10,000 environment variables.
//!
//! Each case names the error it must get (code and field) and then checks that nothing was
//! half-written: no session row, the created-sessions counter unchanged, no process running.
//! Values that are merely odd (an SQL-looking title, `-rf` as an argument) are accepted and
//! must come back byte for byte.

use serde_json::{json, Value};
use switchboard_core::{Engine, EngineConfig, Metrics};
use tauri::Manager;

use crate::ipc::{app_with, invoke};
use crate::support::{bin, temp_dir};

const MIB: usize = 1024 * 1024;

fn huge() -> String {
    "a".repeat(MIB)
}

const CONTROL: &str = "x\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\r\n\u{9b}";
const SQL: &str = "'; DROP TABLE sessions; --";

/// A create request: the smallest valid one (`true` in `work`), with `change` applied.
fn request(work: &str, change: impl FnOnce(&mut Value)) -> Value {
    let mut r = json!({ "agent": "command", "cwd": work, "config": { "program": "true" } });
    change(&mut r);
    r
}

/// Every bad create request, and the (code, field) it must fail with.
fn bad_creates(work: &str) -> Vec<(&'static str, Value, &'static str, &'static str)> {
    let set = |path: &'static [&'static str], v: Value| {
        request(work, move |r| {
            let mut at = r;
            for k in &path[..path.len() - 1] {
                at = &mut at[*k];
            }
            at[path[path.len() - 1]] = v;
        })
    };
    let cwd: &'static [&'static str] = &["cwd"];
    let title: &'static [&'static str] = &["title"];
    let task: &'static [&'static str] = &["task_id"];
    let mcp: &'static [&'static str] = &["mcp_session_id"];
    let service: &'static [&'static str] = &["service_session_id"];
    let model: &'static [&'static str] = &["config", "model"];
    let program: &'static [&'static str] = &["config", "program"];
    let args: &'static [&'static str] = &["config", "args"];
    let env: &'static [&'static str] = &["config", "env"];
    let turns: &'static [&'static str] = &["config", "max_turns"];
    let mode: &'static [&'static str] = &["config", "permission_mode"];
    let agent: &'static [&'static str] = &["agent"];
    let system: &'static [&'static str] = &["config", "append_system_prompt"];
    let ten_thousand: serde_json::Map<String, Value> = (0..10_000).map(|i| (format!("VAR_{i}"), json!("v"))).collect();
    let e = "invalid_input";
    vec![
        ("cwd empty", set(cwd, json!("")), e, "cwd"),
        ("cwd blank", set(cwd, json!("   ")), e, "cwd"),
        ("cwd 1 MiB", set(cwd, json!(format!("/{}", huge()))), e, "cwd"),
        ("cwd control characters", set(cwd, json!(format!("/tmp/{CONTROL}"))), e, "cwd"),
        ("cwd --help", set(cwd, json!("--help")), e, "cwd"),
        ("cwd -rf", set(cwd, json!("-rf")), e, "cwd"),
        ("cwd ../../etc", set(cwd, json!("../../etc")), e, "cwd"),
        ("cwd SQL", set(cwd, json!(SQL)), e, "cwd"),
        ("cwd a file", set(cwd, json!("/etc/passwd")), e, "cwd"),
        ("cwd a number", set(cwd, json!(5)), e, "cwd"),
        ("title 1 MiB", set(title, json!(huge())), e, "title"),
        ("task id 1 MiB", set(task, json!(huge())), e, "task_id"),
        ("task id control characters", set(task, json!(CONTROL)), e, "task_id"),
        ("task id --help", set(task, json!("--help")), e, "task_id"),
        ("task id -rf", set(task, json!("-rf")), e, "task_id"),
        ("task id ../../etc", set(task, json!("../../etc")), e, "task_id"),
        ("task id SQL", set(task, json!(SQL)), e, "task_id"),
        ("mcp session id SQL", set(mcp, json!(SQL)), e, "mcp_session_id"),
        ("service session id 1 MiB", set(service, json!(huge())), e, "service_session_id"),
        ("model 1 MiB", set(model, json!(huge())), e, "model"),
        ("model control characters", set(model, json!(CONTROL)), e, "model"),
        ("model --help", set(model, json!("--help")), e, "model"),
        ("model -rf", set(model, json!("-rf")), e, "model"),
        ("program empty", set(program, json!("")), e, "program"),
        ("program blank", set(program, json!("  ")), e, "program"),
        ("program missing", set(program, Value::Null), e, "program"),
        ("program 1 MiB", set(program, json!(huge())), e, "program"),
        ("program control characters", set(program, json!(CONTROL)), e, "program"),
        ("program --help", set(program, json!("--help")), e, "program"),
        ("program -rf", set(program, json!("-rf")), e, "program"),
        ("program NUL", set(program, json!("tr\0ue")), e, "program"),
        ("args NUL", set(args, json!(["a\0b"])), e, "args"),
        ("args 1 MiB", set(args, json!([huge()])), e, "args"),
        ("args 5,000", set(args, json!(vec!["a"; 5000])), e, "args"),
        ("args not a list", set(args, json!("-rf")), e, "args"),
        ("env name empty", set(env, json!({ "": "v" })), e, "env"),
        ("env name with =", set(env, json!({ "A=B": "v" })), e, "env"),
        ("env name control characters", set(env, json!({ CONTROL: "v" })), e, "env"),
        ("env name with a space", set(env, json!({ "A B": "v" })), e, "env"),
        ("env name 1 MiB", set(env, json!({ huge(): "v" })), e, "env"),
        ("env value 1 MiB", set(env, json!({ "BIG": huge() })), e, "env"),
        ("env value NUL", set(env, json!({ "A": "x\0y" })), e, "env"),
        ("env 10,000 variables", set(env, Value::Object(ten_thousand)), e, "env"),
        ("env not an object", set(env, json!(["A=1"])), e, "env"),
        ("max turns 0", set(turns, json!(0)), e, "max_turns"),
        ("max turns -1", set(turns, json!(-1)), e, "max_turns"),
        ("max turns huge", set(turns, json!(1u64 << 40)), e, "max_turns"),
        ("permission mode --help", set(mode, json!("--help")), e, "permission_mode"),
        ("permission mode SQL", set(mode, json!(SQL)), e, "permission_mode"),
        ("permission mode empty", set(mode, json!("")), e, "permission_mode"),
        ("agent unknown", set(agent, json!("robot")), e, "agent"),
        ("agent --help", set(agent, json!("--help")), e, "agent"),
        ("agent 1 MiB", set(agent, json!(huge())), e, "agent"),
        ("system prompt 1 MiB", set(system, json!(huge())), e, "append_system_prompt"),
    ]
}

/// Odd values that are fine: stored and returned exactly, never interpreted.
fn odd_but_valid(work: &str) -> Vec<(&'static str, Value, &'static [&'static str], Value)> {
    vec![
        ("title SQL", request(work, |r| r["title"] = json!(SQL)), &["title"], json!(SQL)),
        ("title --help", request(work, |r| r["title"] = json!("--help")), &["title"], json!("--help")),
        ("title with an escape", request(work, |r| r["title"] = json!("a\u{1b}[31mb")), &["title"], json!("a\u{1b}[31mb")),
        (
            "flag-like and SQL arguments",
            request(work, |r| r["config"]["args"] = json!(["--help", "-rf", "../../etc", SQL, CONTROL])),
            &["config", "args"],
            json!(["--help", "-rf", "../../etc", SQL, CONTROL]),
        ),
        ("model ../../etc", request(work, |r| r["config"]["model"] = json!("../../etc")), &["config", "model"], json!("../../etc")),
        ("env value SQL", request(work, |r| r["config"]["env"] = json!({ "NOTE": SQL })), &["config", "env", "NOTE"], json!("<redacted>")),
    ]
}

fn engine_of(app: &tauri::App<tauri::test::MockRuntime>) -> Engine {
    app.state::<Engine>().inner().clone()
}

fn metrics(engine: &Engine) -> Metrics {
    engine.metrics().expect("metrics")
}

/// The error is `{code, message, field}`, its message one short line without control characters.
fn assert_clean_error(case: &str, err: &Value, code: &str, field: &str) {
    assert_eq!(err["code"], code, "{case}: {err}");
    assert_eq!(err["field"], field, "{case}: {err}");
    let message = err["message"].as_str().unwrap_or_else(|| panic!("{case}: no message: {err}"));
    assert!(!message.is_empty() && message.chars().count() <= 400, "{case}: {} chars: {message}", message.chars().count());
    assert!(!message.chars().any(char::is_control), "{case}: control characters in {message:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_create_requests_over_ipc_are_refused_with_their_field_and_write_nothing() {
    let (dir, work) = (temp_dir(), temp_dir());
    let work_s = work.path().to_string_lossy().into_owned();
    let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
    let (app, window) = app_with(engine);
    let engine = engine_of(&app);
    let cases = bad_creates(&work_s);
    assert!(cases.len() >= 40, "{} cases", cases.len());
    for (case, req, code, field) in &cases {
        let before = metrics(&engine);
        let err = invoke(&window, "create_session", json!({ "request": req })).expect_err(case);
        assert_clean_error(case, &err, code, field);
        let after = metrics(&engine);
        assert_eq!((after.total, after.total_created), (before.total, before.total_created), "{case}: a row was written");
        assert_eq!(engine.live_processes(), 0, "{case}: a process was started");
    }
    assert_eq!(invoke(&window, "list_sessions", json!({})).expect("list"), json!([]));
    assert!(engine.tasks().expect("tasks").is_empty(), "no task log entries either");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_but_valid_values_are_stored_exactly_and_never_interpreted() {
    let (dir, work) = (temp_dir(), temp_dir());
    let work_s = work.path().to_string_lossy().into_owned();
    let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
    let (app, window) = app_with(engine);
    let engine = engine_of(&app);
    for (n, (case, req, path, expected)) in odd_but_valid(&work_s).into_iter().enumerate() {
        let created = invoke(&window, "create_session", json!({ "request": req })).unwrap_or_else(|e| panic!("{case}: {e}"));
        let id = created["id"].as_str().expect("id").to_string();
        let got = invoke(&window, "get_session", json!({ "id": id })).expect("get");
        let mut at = &got;
        for k in path {
            at = &at[*k];
        }
        assert_eq!(at, &expected, "{case}");
        invoke(&window, "end_session", json!({ "id": id })).expect("end");
        assert_eq!(metrics(&engine).total as usize, n + 1, "{case}: the sessions table is intact");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ids_repeated_end_and_rm_and_huge_messages_over_ipc() {
    let (dir, work) = (temp_dir(), temp_dir());
    let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
    let (app, window) = app_with(engine);
    let engine = engine_of(&app);
    let created = invoke(&window, "create_session", json!({ "request": request(&work.path().to_string_lossy(), |_| {}) })).expect("create");
    let id = created["id"].as_str().expect("id").to_string();
    let huge_id = "c".repeat(MIB);
    let ids: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("1 MiB", huge_id.clone()),
        ("control characters", CONTROL.to_string()),
        ("--help", "--help".into()),
        ("-rf", "-rf".into()),
        ("../../etc", "../../etc".into()),
        ("SQL", SQL.into()),
        ("SQL wildcard", "%".into()),
        ("a well-formed id of no session", "command_0193a1b2c3d4e5f60718293a4b5c6d7e".into()),
    ];
    for (what, bad) in &ids {
        for (cmd, body) in [
            ("get_session", json!({ "id": bad })),
            ("end_session", json!({ "id": bad })),
            ("delete_session", json!({ "id": bad, "removeWorktree": false })),
            ("send_message", json!({ "id": bad, "text": "hello" })),
            ("resume_session", json!({ "id": bad, "prompt": null })),
            ("interrupt_session", json!({ "id": bad })),
            ("set_task", json!({ "id": bad, "taskId": "t" })),
        ] {
            let case = format!("{cmd} with id {what}");
            let err = invoke(&window, cmd, body).expect_err(&case);
            assert_eq!(err["code"], "not_found", "{case}: {err}");
            let message = err["message"].as_str().expect("message");
            assert!(message.chars().count() < 120 && !message.chars().any(char::is_control), "{case}: {message:?}");
        }
    }
    assert_eq!(metrics(&engine).total, 1, "the one real session is still there, and only it");

    // A 10 MiB message: to no session, and to a command session (which takes none).
    let ten_mib = "m".repeat(10 * MIB);
    // Over the 1 MiB message limit: refused for its size before anything else is looked at.
    let err = invoke(&window, "send_message", json!({ "id": "command_nope", "text": ten_mib })).expect_err("no session");
    assert_clean_error("10 MiB to no session", &err, "invalid_input", "text");
    let err = invoke(&window, "send_message", json!({ "id": id, "text": ten_mib })).expect_err("command session");
    assert_clean_error("10 MiB to a command session", &err, "invalid_input", "text");
    let err = invoke(&window, "send_message", json!({ "id": id, "text": "m".repeat(1000) })).expect_err("command session");
    assert_clean_error("a message to a command session", &err, "invalid_input", "agent");
    let err = invoke(&window, "send_message", json!({ "id": id, "text": "  " })).expect_err("blank");
    assert_clean_error("a blank message", &err, "invalid_input", "text");
    assert_eq!(
        engine.session_log(&id).expect("log").iter().filter(|e| e.kind.as_str() == "command_sent").count(),
        0,
        "nothing was logged as sent"
    );

    // end twice: the same answer; rm twice: the second is not_found; then the row is gone.
    let first = invoke(&window, "end_session", json!({ "id": id })).expect("end");
    let second = invoke(&window, "end_session", json!({ "id": id })).expect("end again");
    assert_eq!(first["status"], second["status"]);
    assert_eq!(first["ended_at"], second["ended_at"], "ending an ended session changes nothing");
    invoke(&window, "delete_session", json!({ "id": id, "removeWorktree": false })).expect("rm");
    let err = invoke(&window, "delete_session", json!({ "id": id, "removeWorktree": false })).expect_err("rm again");
    assert_eq!(err["code"], "not_found");
    assert_eq!(invoke(&window, "get_session", json!({ "id": id })).expect_err("gone")["code"], "not_found");
    assert_eq!(metrics(&engine).total, 0);
    assert_eq!(engine.live_processes(), 0);
}

fn sb(data: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new(bin());
    c.arg("--data-dir").arg(data).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    c
}

fn count_sessions(data: &std::path::Path) -> usize {
    let out = sb(data).args(["ls", "--json"]).output().expect("ls");
    serde_json::from_slice::<Value>(&out.stdout).ok().and_then(|v| v.as_array().map(Vec::len)).expect("ls --json")
}

/// The same kinds of values through the CLI's flags and positionals: exit code 2 (bad
/// value) or 1 (no such session), one short line on stderr naming the problem, nothing on
/// stdout that looks like success, no session row.
#[test]
fn bad_values_through_the_cli_are_refused_with_one_clear_line() {
    let (dir, work) = (temp_dir(), temp_dir());
    let w = work.path().to_string_lossy().into_owned();
    assert_eq!(count_sessions(dir.path()), 0);
    // A process argument is at most 128 KiB (the kernel's MAX_ARG_STRLEN): the CLI's huge
    // values are 100,000 characters. (1 MiB values go through IPC above.)
    let h = "a".repeat(100_000);
    let control = CONTROL.to_string();
    let run = |extra: &[&str], words: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["run", "--agent", "command", "--cwd", w.as_str()].iter().map(|s| s.to_string()).collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v.push("--".into());
        v.extend(words.iter().map(|s| s.to_string()));
        v
    };
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    // A relative path that climbs to / and names a file, however deep the clone is.
    let depth = std::env::current_dir().expect("cwd").components().count() - 1;
    let passwd = format!("{}etc/passwd", "../".repeat(depth + 1));
    let cases: Vec<(&str, Vec<String>, i32, &str)> = vec![
        ("run: agent unknown", own(&["run", "--agent", "robot", "--", "true"]), 2, "unknown agent 'robot'"),
        ("run: agent 100k", own(&["run", "--agent", &h, "--", "true"]), 2, "…(100000 chars)"),
        ("run: cwd blank", own(&["run", "--agent", "command", "--cwd", " ", "--", "true"]), 2, "The folder is required."),
        ("run: cwd -rf", own(&["run", "--agent", "command", "--cwd=-rf", "--", "true"]), 2, "-rf' does not exist"),
        (
            "run: cwd missing",
            own(&["run", "--agent", "command", "--cwd", "/no/such/dir", "--", "true"]),
            2,
            "The folder '/no/such/dir' does not exist.",
        ),
        ("run: cwd ../../etc/passwd", own(&["run", "--agent", "command", "--cwd", &passwd, "--", "true"]), 2, "is a file, not a folder"),
        ("run: cwd SQL", own(&["run", "--agent", "command", "--cwd", SQL, "--", "true"]), 2, "does not exist"),
        ("run: title 100k", run(&["--title", &h], &["true"]), 2, "title is longer"),
        ("run: task control characters", run(&["--task", &control], &["true"]), 2, "task id"),
        ("run: task SQL", run(&["--task", SQL], &["true"]), 2, "task id"),
        ("run: task ../../etc", run(&["--task", "../../etc"], &["true"]), 2, "task id"),
        ("run: model --help", run(&["--model=--help"], &["true"]), 2, "model cannot start with '-'"),
        ("run: model 100k", run(&["--model", &h], &["true"]), 2, "model"),
        ("run: max turns 0", run(&["--max-turns", "0"], &["true"]), 2, "max turns must be at least 1"),
        ("run: permission mode SQL", run(&["--permission-mode", SQL], &["true"]), 2, "unknown permission mode"),
        ("run: permission mode 100k", run(&["--permission-mode", &h], &["true"]), 2, "…(100000 chars)"),
        ("run: program --help", run(&[], &["--help"]), 2, "cannot start with '-'"),
        ("run: program -rf", run(&[], &["-rf", "/"]), 2, "cannot start with '-'"),
        ("run: program control characters", run(&[], &[&control]), 2, "control characters"),
        ("run: program empty", run(&[], &[""]), 2, "the program to run is required"),
        ("show: empty id", own(&["show", ""]), 1, "session '' not found"),
        ("show: 100k id", own(&["show", &h]), 1, "…(100000 chars)' not found"),
        ("show: control id", own(&["show", &control]), 1, "not found"),
        ("show: SQL id", own(&["show", SQL]), 1, "not found"),
        ("show: ../../etc", own(&["show", "../../etc"]), 1, "not found"),
        ("end: 100k id", own(&["end", &h]), 1, "not found"),
        ("rm: SQL id", own(&["rm", SQL]), 1, "not found"),
        ("rm: %", own(&["rm", "%"]), 1, "not found"),
        ("send: 100k id", own(&["send", &h, "hello"]), 1, "not found"),
        ("ls: status SQL", own(&["ls", "--status", SQL]), 2, "unknown status"),
        ("task: 100k", own(&["task", &h]), 0, ""),
    ];
    for (case, args, code, says) in &cases {
        let out = sb(dir.path()).args(args).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(*code), "{case}: {stderr}");
        if *code != 0 {
            assert_eq!(stderr.lines().count(), 1, "{case}: one line: {stderr}");
            assert!(stderr.starts_with("switchboard: ") && stderr.contains(says), "{case}: {stderr}");
            assert!(stderr.chars().count() < 400, "{case}: {} chars", stderr.chars().count());
            assert!(!stderr.trim_end().chars().any(char::is_control), "{case}: {stderr:?}");
            assert!(out.stdout.is_empty(), "{case}: stdout {:?}", String::from_utf8_lossy(&out.stdout));
        }
        assert_eq!(count_sessions(dir.path()), 0, "{case}: a session was written");
    }
}

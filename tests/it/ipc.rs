//! Every command invoked through Tauri's IPC layer on the mock runtime, errors included.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use switchboard::app;
use switchboard_core::{Engine, EngineConfig};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Listener, Manager, WebviewWindow, WebviewWindowBuilder};

use crate::support::{temp_dir, wait_for};

pub(crate) fn app_with(engine: Engine) -> (tauri::App<tauri::test::MockRuntime>, WebviewWindow<tauri::test::MockRuntime>) {
    let mut app = app::build(mock_builder(), engine, app::Options { tray: false }).build(mock_context(noop_assets())).expect("mock app");
    // Setup (which starts the event bridge) runs on the first iteration of the event loop;
    // one iteration, not a loop, so the busy-loop deprecation does not apply.
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("window");
    (app, window)
}

pub(crate) fn invoke(window: &WebviewWindow<tauri::test::MockRuntime>, cmd: &str, body: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().expect("json body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_create_list_end_and_emit_events() {
    let dir = temp_dir();
    let work = temp_dir();
    let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
    let (app, window) = app_with(engine);

    let events: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = events.clone();
    app.listen_any(app::SESSION_CHANGED, move |e| {
        sink.lock().unwrap().push(serde_json::from_str(e.payload()).expect("event json"));
    });

    assert_eq!(invoke(&window, "list_sessions", json!({ "filter": null })).expect("list"), json!([]));

    let created = invoke(
        &window,
        "create_session",
        json!({ "request": {
            "agent": "command", "cwd": work.path(), "title": "sleeper",
            "config": { "program": "sleep", "args": ["30"] }
        }}),
    )
    .expect("create");
    let id = created["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("command_"), "{id}");
    assert_eq!(created["status"]["state"], "running");
    assert_eq!(created["title"], "sleeper");

    let listed = invoke(&window, "list_sessions", json!({ "filter": { "statuses": ["running"] } })).expect("list");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["id"], id.as_str());

    let ended = invoke(&window, "end_session", json!({ "id": id })).expect("end");
    assert_eq!(ended["status"]["state"], "ended");
    assert!(ended["ended_at"].is_string());

    // The UI hears about every step: starting, running, ended.
    let states = wait_for(Duration::from_secs(5), || {
        let states: Vec<String> = events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["session"]["id"] == id.as_str())
            .map(|e| e["session"]["status"]["state"].as_str().unwrap_or("").to_string())
            .collect();
        states.contains(&"ended".to_string()).then_some(states)
    })
    .await;
    assert_eq!(states.first().map(String::as_str), Some("starting"));
    assert!(states.contains(&"running".to_string()), "{states:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_errors_cross_ipc_as_code_and_message() {
    let dir = temp_dir();
    let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
    let (_app, window) = app_with(engine);

    let err = invoke(&window, "end_session", json!({ "id": "command_nope" })).expect_err("unknown id");
    assert_eq!(err["code"], "not_found");
    assert_eq!(err["message"], "session 'command_nope' not found");

    let err = invoke(
        &window,
        "create_session",
        json!({ "request": { "agent": "command", "cwd": "/definitely/not/here", "config": { "program": "true" } } }),
    )
    .expect_err("bad cwd");
    assert_eq!(err["code"], "invalid_input");
    assert_eq!(err["field"], "cwd");
    assert_eq!(err["message"], "The folder '/definitely/not/here' does not exist.");

    let err = invoke(&window, "create_session", json!({ "request": { "cwd": "/", "config": {} } })).expect_err("no program");
    assert_eq!(err["field"], "program");

    // Nothing was half-written by the failed calls.
    assert_eq!(invoke(&window, "list_sessions", json!({})).expect("list"), json!([]));
}

/// The tray menu's items, driven on the mock runtime: each does what it says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_menu_items_open_sessions_start_new_ones_and_mute() {
    use std::sync::atomic::Ordering;
    use switchboard::tray::{self, TrayState};
    use tauri::Manager;
    let dir = temp_dir();
    let work = temp_dir();
    let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
    let (app, window) = app_with(engine);
    let created =
        invoke(&window, "create_session", json!({ "request": { "cwd": work.path(), "config": { "program": "sleep", "args": ["30"] } } }))
            .expect("create");
    let id = created["id"].as_str().unwrap().to_string();

    let heard: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    for name in [tray::OPEN_SESSION, tray::NEW_SESSION] {
        let sink = heard.clone();
        app.listen_any(name, move |e| sink.lock().unwrap().push((name.to_string(), serde_json::from_str(e.payload()).unwrap())));
    }
    // The model behind the menu lists the running session.
    let model = tray::model(&app.state::<Engine>(), false);
    assert_eq!(model.summary, "1 running");
    assert_eq!(model.items[0].id, format!("open:{id}"));

    tray::handle_menu(app.handle(), &model.items[0].id);
    tray::handle_menu(app.handle(), "new");
    let got = wait_for(Duration::from_secs(5), || {
        let h = heard.lock().unwrap();
        (h.len() >= 2).then(|| h.clone())
    })
    .await;
    assert!(got.contains(&(tray::OPEN_SESSION.to_string(), json!({ "id": id }))), "{got:?}");
    assert!(got.iter().any(|(n, _)| n == tray::NEW_SESSION));

    let state = app.state::<TrayState>();
    assert!(!state.muted.load(Ordering::Relaxed));
    tray::handle_menu(app.handle(), "mute");
    assert!(state.muted.load(Ordering::Relaxed), "Mute notifications toggles on");
    assert!(tray::model(&app.state::<Engine>(), true).tooltip.ends_with("(notifications muted)"));
    tray::handle_menu(app.handle(), "mute");
    assert!(!state.muted.load(Ordering::Relaxed), "and off again");

    // Show/Hide says what it will do next, right after each change of the window.
    tray::window_visibility_changed(app.handle(), true);
    assert_eq!(tray::current_toggle_label(app.handle()), Some("Hide window"));
    tray::handle_menu(app.handle(), "toggle-window");
    assert_eq!(tray::current_toggle_label(app.handle()), Some("Show window"), "relabelled once hidden");
    tray::handle_menu(app.handle(), "toggle-window");
    assert_eq!(tray::current_toggle_label(app.handle()), Some("Hide window"), "and once shown again");
    invoke(&window, "end_session", json!({ "id": id })).expect("end");
}

/// Environment values (API keys) never reach the page: create/get/list replies and the
/// `session-changed` events carry the name with a redacted value; the store keeps the real
/// value, so the agent gets it again when the session is resumed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_values_never_cross_ipc_but_reach_the_agent_after_a_resume() {
    use std::os::unix::fs::PermissionsExt;
    const SECRET: &str = "sk-live-s3cr3t-value";
    let (dir, work, bin) = (temp_dir(), temp_dir(), temp_dir());
    // A stand-in "claude" (resumable) that prints the variable and exits, whatever its arguments.
    let fake_claude = bin.path().join("claude");
    std::fs::write(&fake_claude, format!("#!/bin/sh\nexec node '{}' env API_TOKEN\n", crate::support::fake_agent())).expect("write");
    std::fs::set_permissions(&fake_claude, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
    engine
        .set_agent_paths(switchboard_core::agents::AgentPaths { claude: Some(fake_claude.to_string_lossy().into()), ..Default::default() });
    let (app, window) = app_with(engine);
    let events: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = events.clone();
    app.listen_any(app::SESSION_CHANGED, move |e| sink.lock().unwrap().push(e.payload().to_string()));

    let created = invoke(
        &window,
        "create_session",
        json!({ "request": { "agent": "claude", "cwd": work.path(), "config": { "env": { "API_TOKEN": SECRET } } } }),
    )
    .expect("create");
    let id = created["id"].as_str().expect("id").to_string();
    let got = invoke(&window, "get_session", json!({ "id": id })).expect("get");
    let listed = invoke(&window, "list_sessions", json!({})).expect("list");
    for (what, reply) in [("create", &created), ("get", &got), ("list", &listed[0])] {
        assert_eq!(reply["config"]["env"]["API_TOKEN"], "<redacted>", "{what}");
        assert!(!reply.to_string().contains(SECRET), "{what}: {reply}");
    }

    let output_lines = |window: &WebviewWindow<tauri::test::MockRuntime>| -> usize {
        let items = invoke(window, "read_output", json!({ "id": id, "afterSeq": 0, "limit": 1000 })).expect("output");
        items.as_array().map(|a| a.iter().filter(|i| i.to_string().contains(SECRET)).count()).unwrap_or(0)
    };
    // The agent printed the real value: it got it from the store.
    wait_for(Duration::from_secs(10), || (output_lines(&window) >= 1).then_some(())).await;
    wait_for(Duration::from_secs(10), || {
        let s = invoke(&window, "get_session", json!({ "id": id })).ok()?;
        (s["status"]["state"] != "starting" && s["status"]["state"] != "running" && s["status"]["state"] != "idle").then_some(())
    })
    .await;
    let resumed = invoke(&window, "resume_session", json!({ "id": id, "prompt": null })).expect("resume");
    assert!(!resumed.to_string().contains(SECRET));
    wait_for(Duration::from_secs(10), || (output_lines(&window) >= 2).then_some(())).await;

    let events = events.lock().unwrap().clone();
    assert!(events.len() >= 3, "{events:?}");
    for e in &events {
        assert!(!e.contains(SECRET), "an event carried the value: {e}");
    }
    assert!(events.iter().any(|e| e.contains("API_TOKEN")), "the name is there");
}

/// What one command's case expects.
enum Expect {
    /// Succeeds, with a reply of the registered result type.
    Ok,
    /// Rejects with this code (a well-formed `{code, message}`, not Tauri's "invalid args").
    Err(switchboard_core::ErrorCode),
    /// Not invoked on the mock runtime, and why; covered by the test named there.
    Elsewhere(&'static str),
}

/// An engine on `dir` whose terminal sessions run a stand-in "claude" (in `bin`) that waits.
fn engine_with_waiting_claude(dir: &tempfile::TempDir, bin: &tempfile::TempDir) -> Engine {
    let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
    let claude = bin.path().join("claude");
    std::fs::write(&claude, "#!/bin/sh\nexec sleep 30\n").expect("stand-in");
    std::fs::set_permissions(&claude, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    engine.set_agent_paths(switchboard_core::agents::AgentPaths { claude: Some(claude.to_string_lossy().into()), ..Default::default() });
    engine
}

/// Every command of the registration (`switchboard::contract`) is invoked here through
/// Tauri's IPC with the registered argument names and types (built by `contract::args`),
/// and its reply is read back as the registered result type. The cases are checked
/// against the registration: a command added without a case fails this test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registered_command_answers_with_its_registered_types() {
    use switchboard::contract::{self, args, Channel};
    use switchboard_core::workspace::{LandMethod, RepoSetup};
    use switchboard_core::{ErrorCode, NewSession, PermissionDecision, SessionFilter};
    let (dir, work, bin) = (temp_dir(), temp_dir(), temp_dir());
    let engine = engine_with_waiting_claude(&dir, &bin);
    let (_app, window) = app_with(engine);

    let new = |title: &str| -> NewSession {
        serde_json::from_value(json!({ "agent": "command", "cwd": work.path(), "title": title,
            "config": { "program": "sleep", "args": ["30"] } }))
        .expect("new session")
    };
    let call = |inv: &contract::Invocation| invoke(&window, inv.command, inv.args.clone());
    let created = call(&args::create_session(new("first"))).expect("create");
    let id = created["id"].as_str().expect("id").to_string();
    let mut settings: switchboard_core::Settings =
        serde_json::from_value(call(&args::get_settings()).expect("settings")).expect("Settings");
    // Open in… a terminal that is not there: refused with the reason, nothing started.
    settings.open_terminal = vec!["/nowhere/terminal".into()];
    let sub = call(&args::subscribe_output(id.clone(), 0, Channel::new(7))).expect("subscribe");
    let terminal: NewSession =
        serde_json::from_value(json!({ "agent": "claude", "cwd": work.path(), "config": { "mode": "terminal" } })).expect("new");
    let term = call(&args::create_session(terminal)).expect("create a terminal session")["id"].as_str().expect("id").to_string();

    let cases: Vec<(contract::Invocation, Expect)> = vec![
        (args::create_session(new("second")), Expect::Ok),
        (args::list_sessions(Some(SessionFilter::default())), Expect::Ok),
        (args::get_session(id.clone()), Expect::Ok),
        (args::set_task(id.clone(), Some("T-1".into())), Expect::Ok),
        (args::compaction_advised(id.clone()), Expect::Ok),
        (args::read_output(id.clone(), 0, 100), Expect::Ok),
        (args::output_tail(id.clone(), 100), Expect::Ok),
        (args::read_output_around(id.clone(), 1, 10, 10), Expect::Ok),
        (args::read_output_around("claude_nope".into(), 1, 10, 10), Expect::Err(ErrorCode::NotFound)),
        (args::search("sleep".into(), None, 10), Expect::Ok),
        (args::read_full_entry(id.clone(), 1), Expect::Ok),
        (args::read_full_entry(id.clone(), 999_999), Expect::Err(ErrorCode::NotFound)),
        (args::search(" ".into(), None, 10), Expect::Err(ErrorCode::InvalidInput)),
        (args::subscribe_output(id.clone(), 0, Channel::new(8)), Expect::Ok),
        (args::unsubscribe_output(sub.as_u64().expect("subscription id")), Expect::Ok),
        (args::metrics(), Expect::Ok),
        (args::usage_by_day(7), Expect::Ok),
        (args::tasks(), Expect::Ok),
        (args::task_log("T-1".into()), Expect::Ok),
        (args::session_log(id.clone()), Expect::Ok),
        (args::agents(), Expect::Ok),
        (args::get_settings(), Expect::Ok),
        (args::save_settings(settings), Expect::Ok),
        (args::recent_folders(), Expect::Ok),
        (args::check_folder("/".into()), Expect::Ok),
        (args::app_info(), Expect::Ok),
        (args::pending_permissions(None), Expect::Ok),
        (
            args::decide_permission(id.clone(), "r-none".into(), PermissionDecision::Deny { message: "no".into() }),
            Expect::Err(ErrorCode::InvalidInput),
        ),
        (args::permission_rules(id.clone()), Expect::Ok),
        (args::revoke_permission_rule(id.clone(), 999), Expect::Err(ErrorCode::InvalidInput)),
        (args::set_focused_session(Some(id.clone())), Expect::Ok),
        (args::send_message(id.clone(), "hello".into()), Expect::Err(ErrorCode::InvalidInput)),
        (args::compact_session(id.clone()), Expect::Err(ErrorCode::InvalidInput)),
        (args::interrupt_session(id.clone()), Expect::Ok),
        (args::end_session(id.clone()), Expect::Ok),
        (args::resume_session(id.clone(), None), Expect::Err(ErrorCode::InvalidInput)),
        // A session in a folder outside git: no worktree, nothing to compare (the
        // workspaces:: tests cover sessions with one).
        (args::probe_repository(work.path().to_string_lossy().into_owned()), Expect::Ok),
        (args::list_workspaces(), Expect::Ok),
        (args::session_changes(id.clone()), Expect::Err(ErrorCode::InvalidInput)),
        (args::session_diff(id.clone(), "a".repeat(40), "b".repeat(40), None), Expect::Err(ErrorCode::InvalidInput)),
        (args::session_compare(id.clone(), "a".repeat(40), "b".repeat(40)), Expect::Err(ErrorCode::InvalidInput)),
        (args::open_session_in(id.clone(), switchboard_core::open::OpenIn::Terminal), Expect::Err(ErrorCode::InvalidInput)),
        (args::session_checkpoints(id.clone()), Expect::Ok),
        (args::restore_checkpoint(id.clone(), 1), Expect::Err(ErrorCode::InvalidInput)),
        (args::commit_work(id.clone(), "m".into()), Expect::Err(ErrorCode::InvalidInput)),
        (args::land_session(id.clone(), LandMethod::Merge, None), Expect::Err(ErrorCode::InvalidInput)),
        (args::removal_check(id.clone()), Expect::Ok),
        (args::orphan_worktrees(), Expect::Ok),
        (args::remove_orphan_worktrees(vec!["/nowhere".into()]), Expect::Err(ErrorCode::InvalidInput)),
        (args::get_repo_setup(work.path().to_string_lossy().into_owned()), Expect::Ok),
        (
            args::save_repo_setup(work.path().to_string_lossy().into_owned(), RepoSetup::default()),
            Expect::Err(ErrorCode::InvalidInput),
        ),
        (args::terminal_attach(term.clone(), Channel::new(9)), Expect::Ok),
        (args::terminal_detach(term.clone(), 9999), Expect::Ok),
        (args::terminal_detach(id.clone(), 1), Expect::Err(ErrorCode::InvalidInput)),
        (args::terminal_input(term.clone(), "aGk=".into()), Expect::Ok),
        (args::terminal_input(term.clone(), "not base64!".into()), Expect::Err(ErrorCode::InvalidInput)),
        (args::terminal_resize(term.clone(), 100, 30), Expect::Ok),
        (args::terminal_resize(term.clone(), 0, 30), Expect::Err(ErrorCode::InvalidInput)),
        (args::terminal_attach(id.clone(), Channel::new(10)), Expect::Err(ErrorCode::InvalidInput)),
        (args::end_session(term.clone()), Expect::Ok),
        (args::delete_session(id.clone(), false), Expect::Ok),
        (args::get_session(id.clone()), Expect::Err(ErrorCode::NotFound)),
        (args::quit_app(), Expect::Elsewhere("not on the mock runtime: it cannot exit (MockRuntime::request_exit is unimplemented!); quit_plan is unit-tested in tray_model.rs")),
    ];

    let covered: std::collections::BTreeSet<&str> = cases.iter().map(|(inv, _)| inv.command).collect();
    let registered: std::collections::BTreeSet<&str> = contract::COMMANDS.iter().copied().collect();
    let missing: Vec<_> = registered.difference(&covered).collect();
    assert!(missing.is_empty(), "commands without a case here: {missing:?}");

    let mut failures = Vec::new();
    for (inv, expect) in &cases {
        let got = match expect {
            Expect::Elsewhere(why) => {
                assert!(!why.is_empty(), "{}: say where it is tested", inv.command);
                continue;
            }
            _ => call(inv),
        };
        match (expect, got) {
            (Expect::Ok, Ok(reply)) => {
                if let Err(e) = (inv.check_result)(reply.clone()) {
                    failures.push(format!("{}: the reply is not the registered type ({e}): {reply}", inv.command));
                }
            }
            (Expect::Err(code), Err(err)) if err["code"] == json!(code) && err["message"].is_string() => {}
            (_, got) => failures.push(format!("{}({}): got {got:?}", inv.command, inv.args)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A page that stops showing a terminal detaches its viewer: the backend stops feeding it,
/// so opening a terminal session again and again does not pile up viewers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detached_terminal_viewer_is_no_longer_fed() {
    use switchboard::contract::{args, Channel};
    let (dir, work, bin) = (temp_dir(), temp_dir(), temp_dir());
    let engine = engine_with_waiting_claude(&dir, &bin);
    let (app, window) = app_with(engine);
    let engine = app.state::<Engine>();
    let call = |inv: switchboard::contract::Invocation| invoke(&window, inv.command, inv.args);
    let new: switchboard_core::NewSession =
        serde_json::from_value(json!({ "agent": "claude", "cwd": work.path(), "config": { "mode": "terminal" } })).expect("new");
    let id = call(args::create_session(new)).expect("create")["id"].as_str().expect("id").to_string();

    let first = call(args::terminal_attach(id.clone(), Channel::new(21))).expect("attach");
    let second = call(args::terminal_attach(id.clone(), Channel::new(22))).expect("attach again");
    assert_eq!((first["live"].clone(), second["live"].clone()), (json!(true), json!(true)));
    let (a, b) = (first["viewer"].as_u64().expect("a viewer id"), second["viewer"].as_u64().expect("a viewer id"));
    assert_ne!(a, b, "each attach is its own viewer");
    assert_eq!(engine.terminal_viewers(&id), 2);

    call(args::terminal_detach(id.clone(), a as u32)).expect("detach");
    assert_eq!(engine.terminal_viewers(&id), 1, "the detached viewer is gone, the other stays");
    // Twice, or after it was dropped: nothing to do, no error; the other viewer stays.
    call(args::terminal_detach(id.clone(), a as u32)).expect("detach again");
    assert_eq!(engine.terminal_viewers(&id), 1);
    call(args::terminal_detach(id.clone(), b as u32)).expect("detach the other");
    assert_eq!(engine.terminal_viewers(&id), 0);
    call(args::end_session(id.clone())).expect("end");
}

/// A transcript as Claude Code writes it, in `claude/projects/<folder>/<id>.jsonl`.
fn write_transcript(claude: &std::path::Path, id: &str, prompt: &str) {
    let folder = claude.join("projects").join(switchboard_core::encode_folder("/home/me/app"));
    std::fs::create_dir_all(&folder).expect("folder");
    let line = json!({ "type": "user", "cwd": "/home/me/app", "sessionId": id, "timestamp": "2026-03-01T10:00:00Z",
        "message": { "role": "user", "content": prompt } });
    std::fs::write(folder.join(format!("{id}.jsonl")), format!("{line}\n")).expect("transcript");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminal_session_settings_apply_at_once_without_a_restart() {
    let (dir, first, second) = (temp_dir(), temp_dir(), temp_dir());
    write_transcript(first.path(), "first-session", "from the first folder");
    write_transcript(second.path(), "second-session", "from the second folder");
    let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
    let (app, window) = app_with(engine.clone());
    let terminal_titles = || -> Vec<String> {
        let listed = invoke(&window, "list_sessions", json!({ "filter": { "origin": "terminal" } })).expect("list");
        let mut titles: Vec<String> =
            listed.as_array().expect("array").iter().map(|s| s["title"].as_str().unwrap_or("").to_string()).collect();
        titles.sort();
        titles
    };
    // Launch: following the first folder.
    let mut settings = engine.settings().expect("settings");
    settings.terminal_sessions.claude_dir = Some(first.path().to_string_lossy().into_owned());
    engine.save_settings(&settings).expect("save");
    app.state::<switchboard::terminal_follow::TerminalFollow>().start(&engine, &settings);
    wait_for(Duration::from_secs(10), || (terminal_titles() == ["from the first folder"]).then_some(())).await;

    // Settings → Claude Code folder: the second folder is read at once.
    settings.terminal_sessions.claude_dir = Some(second.path().to_string_lossy().into_owned());
    invoke(&window, "save_settings", json!({ "settings": settings })).expect("save_settings");
    wait_for(Duration::from_secs(10), || (terminal_titles().len() == 2).then_some(())).await;
    assert_eq!(terminal_titles(), ["from the first folder", "from the second folder"]);

    // Switched off: a new transcript is no longer imported.
    settings.watch_terminal_sessions = false;
    invoke(&window, "save_settings", json!({ "settings": settings })).expect("save_settings");
    tokio::time::sleep(Duration::from_millis(500)).await;
    write_transcript(second.path(), "third-session", "after switching off");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(terminal_titles().len(), 2, "nothing followed once switched off");
    app.state::<switchboard::terminal_follow::TerminalFollow>().stop();
}

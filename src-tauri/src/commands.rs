//! `#[tauri::command]`s: each parses its arguments, calls the engine and maps the error.
//! Live output goes over a `tauri::ipc::Channel` per subscription, batched.
//! Every session sent to the page is [`Session::redacted`]: the page sees environment
//! names, never their values (API keys); it never needs them, the engine keeps them.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use switchboard_core::agents::AgentInfo;
use switchboard_core::open::OpenIn;
use switchboard_core::workspace::{
    Changes, Checkpoint, Comparison, FileDiff, LandMethod, LandOutcome, OrphanWorktree, RemovalCheck, RepoInfo, RepoSetup, Workspace,
};
use switchboard_core::{
    AgentKind, Engine, ErrorCode, Metrics, NewSession, OutputItem, PartialUpdate, PermissionDecision, PermissionRequest, PermissionRule,
    Session, SessionFilter, Settings, TaskEvent, TerminalChunk, TerminalView,
};
use switchboard_core::{DayUsage, SearchFilter, SearchHit, TaskSummary};
use tauri::ipc::Channel;
use tauri::{Manager, State};
use tracing::{instrument, warn};
use ts_rs::TS;

use crate::ipc::{IpcError, IpcResult};

/// Output is sent to the UI at most this often per subscription (~40 frames a second):
/// often enough to look live, rarely enough that a flood costs one message per frame.
pub const OUTPUT_BATCH_INTERVAL: Duration = Duration::from_millis(25);

/// Items per channel message at most; a backlog goes out in several messages.
pub const OUTPUT_BATCH_MAX: usize = 2_000;

/// Open output subscriptions at most (one per open session view is typical); the oldest
/// is dropped past this.
pub const MAX_SUBSCRIPTIONS: usize = 64;

/// What a subscription's channel carries.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputMessage {
    /// Entries in seq order, none seen before on this subscription, and what changed in
    /// the text the agent is still writing (live typing; null: nothing). The partial text
    /// is applied after the items, in the same message: a final entry and the end of its
    /// partial text never reach the page apart.
    Items { items: Vec<OutputItem>, partial: Option<PartialUpdate> },
    /// The session's output ended (its process exited); nothing more will come.
    End,
    /// The subscription failed; the message says why.
    Error { message: String },
}

/// Facts about the running app for the settings view.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub log_dir: String,
    /// The app's own executable (also the `switchboard` CLI).
    pub exe: String,
    /// How to call the CLI from a terminal: `switchboard` when that name on PATH is this
    /// executable, else the executable's full path.
    pub cli: String,
}

/// Live output subscriptions, by id.
#[derive(Default)]
pub struct Subscriptions {
    next: Mutex<u64>,
    tasks: Mutex<Vec<(u64, tauri::async_runtime::JoinHandle<()>)>>,
}

#[tauri::command]
#[instrument(skip_all)]
pub async fn list_sessions(engine: State<'_, Engine>, filter: Option<SessionFilter>) -> IpcResult<Vec<Session>> {
    Ok(engine.list(&filter.unwrap_or_default())?.iter().map(Session::redacted).collect())
}

#[tauri::command]
#[instrument(skip(engine))]
pub async fn get_session(engine: State<'_, Engine>, id: String) -> IpcResult<Session> {
    Ok(engine.get(&id)?.redacted())
}

#[tauri::command]
#[instrument(skip_all)]
pub async fn create_session(engine: State<'_, Engine>, request: serde_json::Value) -> IpcResult<Session> {
    let request = parse_new_session(request)?;
    Ok(engine.create(request).await?.redacted())
}

/// The request of `create_session`, read here rather than by Tauri so that a value of the
/// wrong type or an unknown name (`"permission_mode": "--help"`) is rejected like every
/// other bad input: `{code: "invalid_input", message, field}` naming the field, instead of
/// Tauri's bare string.
pub fn parse_new_session(request: serde_json::Value) -> IpcResult<NewSession> {
    let error = match serde_json::from_value::<NewSession>(request.clone()) {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    // Which field: the first one that fails on its own (config's fields one level down).
    let fails = |v: serde_json::Value| serde_json::from_value::<NewSession>(v).is_err();
    let mut field = None;
    if let Some(obj) = request.as_object() {
        'find: for (k, v) in obj {
            if let (Some(config), "config") = (v.as_object(), k.as_str()) {
                for (ck, cv) in config {
                    if fails(serde_json::json!({ "config": { ck: cv } })) {
                        field = Some(ck.clone());
                        break 'find;
                    }
                }
            }
            if fails(serde_json::json!({ k: v })) {
                field = Some(k.clone());
                break;
            }
        }
    }
    let field = field.map(|f| switchboard_core::error::shorten(&f, switchboard_core::error::MAX_VALUE_IN_ERROR));
    let message = switchboard_core::error::shorten(&error.to_string(), 300);
    Err(IpcError {
        code: ErrorCode::InvalidInput,
        message: match &field {
            Some(f) => format!("invalid {f}: {message}"),
            None => format!("invalid request: {message}"),
        },
        field,
    })
}

#[tauri::command]
#[instrument(skip(engine))]
pub async fn end_session(engine: State<'_, Engine>, id: String) -> IpcResult<Session> {
    Ok(engine.end(&id).await?.redacted())
}

#[tauri::command]
#[instrument(skip(engine))]
pub async fn delete_session(engine: State<'_, Engine>, id: String, remove_worktree: bool) -> IpcResult<()> {
    Ok(engine.delete_with_worktree(&id, remove_worktree).await?)
}

/// Sends a message (resuming the session if needed) and returns at once; the turn's
/// output and status changes arrive as output items and events.
#[tauri::command]
#[instrument(skip(engine, text))]
pub async fn send_message(engine: State<'_, Engine>, id: String, text: String) -> IpcResult<Session> {
    let _turn = engine.post(&id, &text).await?;
    Ok(engine.get(&id)?.redacted())
}

#[tauri::command]
#[instrument(skip(engine))]
pub async fn interrupt_session(engine: State<'_, Engine>, id: String) -> IpcResult<Session> {
    Ok(engine.interrupt(&id).await?.redacted())
}

#[tauri::command]
#[instrument(skip(engine, prompt))]
pub async fn resume_session(engine: State<'_, Engine>, id: String, prompt: Option<String>) -> IpcResult<Session> {
    Ok(engine.resume(&id, prompt.filter(|p| !p.trim().is_empty())).await?.redacted())
}

#[tauri::command]
#[instrument(skip(engine))]
pub async fn set_task(engine: State<'_, Engine>, id: String, task_id: Option<String>) -> IpcResult<Session> {
    Ok(off_runtime(&engine, move |e| e.set_task(&id, task_id)).await?.redacted())
}

/// Runs a synchronous engine call that writes to the store on a blocking thread: a write
/// may wait out the busy timeout while another process holds the database's lock, and
/// must not park an async worker (the window's other commands) meanwhile.
async fn off_runtime<T: Send + 'static>(
    engine: &Engine,
    call: impl FnOnce(&Engine) -> switchboard_core::Result<T> + Send + 'static,
) -> IpcResult<T> {
    let engine = engine.clone();
    match tauri::async_runtime::spawn_blocking(move || call(&engine)).await {
        Ok(result) => Ok(result?),
        Err(e) => Err(IpcError { code: ErrorCode::Internal, message: format!("the command failed: {e}"), field: None }),
    }
}

#[tauri::command]
#[instrument(skip(engine))]
pub async fn compaction_advised(engine: State<'_, Engine>, id: String) -> IpcResult<bool> {
    Ok(engine.compaction_advised(&id)?)
}

/// Compacts a Claude session: `/compact` as a message, with the session Compacting meanwhile.
#[tauri::command]
#[instrument(skip(engine))]
pub async fn compact_session(engine: State<'_, Engine>, id: String) -> IpcResult<Session> {
    let session = engine.get(&id)?;
    if !session.agent.can_compact() {
        return Err(IpcError {
            code: ErrorCode::InvalidInput,
            message: format!("{} sessions cannot be compacted", session.agent),
            field: None,
        });
    }
    let e = engine.inner().clone();
    let turn = e.post(&id, "/compact").await?;
    Ok(engine
        .compact_with(&id, async move {
            match tokio::time::timeout(Duration::from_secs(600), turn).await {
                Ok(Ok(Ok(_))) => Ok(()),
                Ok(Ok(Err(e))) => Err(e),
                Ok(Err(_)) => Err("the session went away".into()),
                Err(_) => Err("no answer within 10 minutes".into()),
            }
        })
        .await?
        .redacted())
}

/// History: entries after `after_seq`, oldest first.
#[tauri::command]
pub async fn read_output(engine: State<'_, Engine>, id: String, after_seq: u64, limit: u32) -> IpcResult<Vec<OutputItem>> {
    Ok(switchboard_core::newest_page(&engine.output(&id, after_seq, limit)?))
}

/// Full-text search over stored output, newest hit first.
#[tauri::command]
pub async fn search(engine: State<'_, Engine>, query: String, filter: Option<SearchFilter>, limit: u32) -> IpcResult<Vec<SearchHit>> {
    Ok(engine.search(&query, &filter.unwrap_or_default(), limit)?)
}

/// The last `limit` entries, oldest first: what a session view opens on.
#[tauri::command]
pub async fn output_tail(engine: State<'_, Engine>, id: String, limit: u32) -> IpcResult<Vec<OutputItem>> {
    Ok(switchboard_core::newest_page(&engine.output_tail(&id, limit)?))
}

/// A page around entry `seq` (a search hit), within one message's byte budget, the entry in the middle.
#[tauri::command]
pub async fn read_output_around(engine: State<'_, Engine>, id: String, seq: u64, before: u32, after: u32) -> IpcResult<Vec<OutputItem>> {
    Ok(switchboard_core::page_around(&engine.output_around(&id, seq, before, after)?, seq))
}

/// One entry whole: the full text of an entry sent as a preview (`full_bytes` set).
#[tauri::command]
pub async fn read_full_entry(engine: State<'_, Engine>, id: String, seq: u64) -> IpcResult<OutputItem> {
    Ok(OutputItem::from_entry(&engine.output_entry(&id, seq)?))
}

/// Follows a session's output from `after_seq` on: backfill first, then live, in batches,
/// no gap and no duplicate. Returns the subscription id for `unsubscribe_output`.
#[tauri::command]
#[instrument(skip(engine, subs, channel))]
pub async fn subscribe_output(
    engine: State<'_, Engine>,
    subs: State<'_, Subscriptions>,
    id: String,
    after_seq: u64,
    channel: Channel<OutputMessage>,
) -> IpcResult<u64> {
    let mut follower = engine.follow_output(&id, after_seq)?;
    let sub_id = {
        let mut n = subs.next.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        *n
    };
    let task = tauri::async_runtime::spawn(async move {
        loop {
            // However many deltas came since the last message, the partial text is one
            // update in it: a 10 000-delta reply costs a message per batch interval.
            match follower.next_update(OUTPUT_BATCH_MAX).await {
                Ok(Some(update)) => {
                    // At most OUTPUT_BATCH_MAX entries and MESSAGE_BYTES per message (large
                    // entries as previews); the partial text goes with the last one.
                    let mut pages = switchboard_core::message_pages(&update.entries, OUTPUT_BATCH_MAX);
                    let last = pages.pop().unwrap_or_default();
                    let sent = pages.into_iter().all(|items| channel.send(OutputMessage::Items { items, partial: None }).is_ok())
                        && channel.send(OutputMessage::Items { items: last, partial: update.partial }).is_ok();
                    if !sent {
                        break; // the page went away
                    }
                }
                Ok(None) => {
                    let _ = channel.send(OutputMessage::End);
                    break;
                }
                Err(e) => {
                    warn!(error = %e, "output subscription failed");
                    let _ = channel.send(OutputMessage::Error { message: e.to_string() });
                    break;
                }
            }
            tokio::time::sleep(OUTPUT_BATCH_INTERVAL).await;
        }
    });
    let mut tasks = subs.tasks.lock().unwrap_or_else(|e| e.into_inner());
    tasks.retain(|(_, t)| !t.inner().is_finished());
    if tasks.len() >= MAX_SUBSCRIPTIONS {
        let (_, oldest) = tasks.remove(0);
        oldest.abort();
    }
    tasks.push((sub_id, task));
    Ok(sub_id)
}

#[tauri::command]
pub async fn unsubscribe_output(subs: State<'_, Subscriptions>, subscription: u64) -> IpcResult<()> {
    let mut tasks = subs.tasks.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(i) = tasks.iter().position(|(id, _)| *id == subscription) {
        tasks.remove(i).1.abort();
    }
    Ok(())
}

#[tauri::command]
pub async fn metrics(engine: State<'_, Engine>) -> IpcResult<Metrics> {
    Ok(engine.metrics()?)
}

#[tauri::command]
pub async fn usage_by_day(engine: State<'_, Engine>, days: u32) -> IpcResult<Vec<DayUsage>> {
    Ok(engine.usage_by_day(days)?)
}

#[tauri::command]
pub async fn tasks(engine: State<'_, Engine>) -> IpcResult<Vec<TaskSummary>> {
    Ok(engine.tasks()?.into_iter().map(|(task_id, sessions)| TaskSummary { task_id, sessions }).collect())
}

#[tauri::command]
pub async fn task_log(engine: State<'_, Engine>, task_id: String) -> IpcResult<Vec<TaskEvent>> {
    Ok(engine.task_log(&task_id)?)
}

#[tauri::command]
pub async fn session_log(engine: State<'_, Engine>, id: String) -> IpcResult<Vec<TaskEvent>> {
    Ok(engine.session_log(&id)?)
}

/// Each agent: installed or not, where, and how to install it.
#[tauri::command]
pub async fn agents(engine: State<'_, Engine>) -> IpcResult<Vec<AgentInfo>> {
    let engine = engine.inner().clone();
    // Looking for binaries may run a login shell once: keep it off the async threads.
    tauri::async_runtime::spawn_blocking(move || AgentKind::ALL.iter().map(|a| engine.agent_info(*a)).collect())
        .await
        .map_err(|e| IpcError { code: ErrorCode::Internal, message: e.to_string(), field: None })
}

#[tauri::command]
pub async fn get_settings(engine: State<'_, Engine>) -> IpcResult<Settings> {
    Ok(engine.settings()?)
}

#[tauri::command]
pub async fn save_settings<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    engine: State<'_, Engine>,
    settings: Settings,
) -> IpcResult<Settings> {
    let saved = settings.clone();
    off_runtime(&engine, move |e| e.save_settings(&saved)).await?;
    // Start at login: the autostart plugin (absent in tests) follows the setting.
    if let Some(autostart) = app.try_state::<tauri_plugin_autostart::AutoLaunchManager>() {
        let result = if settings.autostart { autostart.enable() } else { autostart.disable() };
        if let Err(e) = result {
            return Err(IpcError {
                code: ErrorCode::System,
                message: format!("could not change start at login: {e}"),
                field: Some("autostart".into()),
            });
        }
    }
    let now = engine.settings()?;
    // Terminal sessions follow the new settings at once.
    if let Some(follow) = app.try_state::<crate::terminal_follow::TerminalFollow>() {
        follow.settings_changed(&engine, &now);
    }
    Ok(now)
}

#[tauri::command]
pub async fn recent_folders(engine: State<'_, Engine>) -> IpcResult<Vec<String>> {
    Ok(engine.recent_folders(12)?)
}

#[tauri::command]
pub async fn check_folder(engine: State<'_, Engine>, path: String) -> IpcResult<()> {
    Ok(engine.check_folder(&path)?)
}

#[tauri::command]
pub async fn app_info(engine: State<'_, Engine>) -> IpcResult<AppInfo> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        data_dir: engine.data_dir().to_string_lossy().into_owned(),
        log_dir: engine.data_dir().join("logs").to_string_lossy().into_owned(),
        exe: std::env::current_exe().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default(),
        cli: cli_command(),
    })
}

/// `switchboard` when that name on PATH is this executable; else the executable's full path.
fn cli_command() -> String {
    // An AppImage runs from a temporary mount: the file to call is the AppImage itself.
    if let Some(image) = std::env::var_os("APPIMAGE").filter(|p| !p.is_empty()) {
        return image.to_string_lossy().into_owned();
    }
    let Ok(exe) = std::env::current_exe() else { return "switchboard".to_string() };
    let exe = exe.canonicalize().unwrap_or(exe);
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join("switchboard").canonicalize().is_ok_and(|p| p == exe)));
    if on_path {
        "switchboard".to_string()
    } else {
        exe.to_string_lossy().into_owned()
    }
}

/// Permission requests waiting for an answer: one session's (`id`), or all.
#[tauri::command]
pub async fn pending_permissions(engine: State<'_, Engine>, id: Option<String>) -> IpcResult<Vec<PermissionRequest>> {
    Ok(engine.pending_permissions(id.as_deref())?)
}

/// Answers a permission request: allow (maybe with an edited input, maybe saving a rule
/// for later matching requests of this agent process) or deny with a message.
#[tauri::command]
#[instrument(skip(engine, decision))]
pub async fn decide_permission(
    engine: State<'_, Engine>,
    id: String,
    request_id: String,
    decision: PermissionDecision,
) -> IpcResult<PermissionRequest> {
    off_runtime(&engine, move |e| e.decide(&id, &request_id, decision, switchboard_core::Decider::App)).await
}

/// The "Allow for this session" rules in force for a session's running agent process.
#[tauri::command]
#[instrument(skip(engine))]
pub async fn permission_rules(engine: State<'_, Engine>, id: String) -> IpcResult<Vec<PermissionRule>> {
    Ok(engine.permission_rules(&id)?)
}

/// Revokes one rule of a session: requests it would have allowed are asked again.
#[tauri::command]
#[instrument(skip(engine))]
pub async fn revoke_permission_rule(engine: State<'_, Engine>, id: String, rule_id: i64) -> IpcResult<()> {
    off_runtime(&engine, move |e| e.revoke_permission_rule(&id, rule_id)).await
}

/// The session open in the window (None: none), so its own changes do not notify.
#[tauri::command]
pub async fn set_focused_session(watch: State<'_, crate::notify::Watch>, id: Option<String>) -> IpcResult<()> {
    *watch.focused.lock().unwrap_or_else(|e| e.into_inner()) = id;
    Ok(())
}

/// Quit from the UI: asks first when agents are running (see the tray's Quit).
#[tauri::command]
pub async fn quit_app<R: tauri::Runtime>(app: tauri::AppHandle<R>) -> IpcResult<()> {
    crate::tray::request_quit(&app);
    Ok(())
}

#[tauri::command]
pub async fn probe_repository(cwd: String) -> IpcResult<Option<RepoInfo>> {
    let dir = std::path::PathBuf::from(cwd.trim());
    if !dir.is_absolute() || !dir.is_dir() {
        return Ok(None);
    }
    Ok(switchboard_core::workspace::probe(&dir).await?)
}

#[tauri::command]
pub async fn list_workspaces(engine: State<'_, Engine>) -> IpcResult<Vec<Workspace>> {
    Ok(engine.workspaces()?)
}

#[tauri::command]
pub async fn session_changes(engine: State<'_, Engine>, id: String) -> IpcResult<Changes> {
    Ok(engine.changes(&id).await?)
}

#[tauri::command]
pub async fn session_diff(engine: State<'_, Engine>, id: String, from: String, to: String, path: Option<String>) -> IpcResult<FileDiff> {
    Ok(engine.diff(&id, &from, &to, path.as_deref()).await?)
}

#[tauri::command]
pub async fn session_compare(engine: State<'_, Engine>, id: String, from: String, to: String) -> IpcResult<Comparison> {
    Ok(engine.compare(&id, &from, &to).await?)
}

#[tauri::command]
pub async fn open_session_in(engine: State<'_, Engine>, id: String, target: OpenIn) -> IpcResult<String> {
    Ok(engine.open_in(&id, target).await?)
}

#[tauri::command]
pub async fn session_checkpoints(engine: State<'_, Engine>, id: String) -> IpcResult<Vec<Checkpoint>> {
    Ok(engine.checkpoints(&id).await?)
}

#[tauri::command]
pub async fn restore_checkpoint(engine: State<'_, Engine>, id: String, n: u32) -> IpcResult<Checkpoint> {
    Ok(engine.restore_checkpoint(&id, n).await?)
}

#[tauri::command]
pub async fn commit_work(engine: State<'_, Engine>, id: String, message: String) -> IpcResult<String> {
    Ok(engine.commit_work(&id, &message).await?)
}

#[tauri::command]
pub async fn land_session(engine: State<'_, Engine>, id: String, method: LandMethod, message: Option<String>) -> IpcResult<LandOutcome> {
    Ok(engine.land(&id, method, message.as_deref()).await?)
}

#[tauri::command]
pub async fn removal_check(engine: State<'_, Engine>, id: String) -> IpcResult<Option<RemovalCheck>> {
    Ok(engine.removal_check(&id).await?)
}

#[tauri::command]
pub async fn orphan_worktrees(engine: State<'_, Engine>) -> IpcResult<Vec<OrphanWorktree>> {
    Ok(engine.orphan_worktrees().await?)
}

#[tauri::command]
pub async fn remove_orphan_worktrees(engine: State<'_, Engine>, paths: Vec<String>) -> IpcResult<Vec<String>> {
    Ok(engine.remove_orphan_worktrees(&paths).await?)
}

#[tauri::command]
pub async fn get_repo_setup(engine: State<'_, Engine>, cwd: String) -> IpcResult<Option<RepoSetup>> {
    Ok(engine.repo_setup(cwd.trim()).await?.map(|(_, setup)| setup))
}

#[tauri::command]
pub async fn save_repo_setup(engine: State<'_, Engine>, cwd: String, setup: RepoSetup) -> IpcResult<RepoSetup> {
    Ok(engine.save_repo_setup(cwd.trim(), setup).await?)
}

/// A terminal session's recent screen, and its live output on `on_data` while it runs here.
#[tauri::command]
#[instrument(skip(engine, on_data))]
pub async fn terminal_attach(engine: State<'_, Engine>, id: String, on_data: Channel<TerminalChunk>) -> IpcResult<TerminalView> {
    let (view, viewer) = engine.terminal_attach(&id)?;
    if let Some(mut viewer) = viewer {
        // Ends with the program (after `ended`), at `terminal_detach`, or at the first send
        // after the page went away.
        tauri::async_runtime::spawn(async move {
            while let Some(chunk) = viewer.next().await {
                if on_data.send(chunk).is_err() {
                    break;
                }
            }
        });
    }
    Ok(view)
}

#[tauri::command]
pub async fn terminal_detach(engine: State<'_, Engine>, id: String, viewer: u32) -> IpcResult<()> {
    Ok(engine.terminal_detach(&id, viewer)?)
}

#[tauri::command]
pub async fn terminal_input(engine: State<'_, Engine>, id: String, data_b64: String) -> IpcResult<()> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data_b64.as_bytes())
        .map_err(|e| switchboard_core::Error::invalid("data_b64", format!("the input is not base64: {e}")))?;
    Ok(engine.terminal_input(&id, &bytes)?)
}

#[tauri::command]
pub async fn terminal_resize(engine: State<'_, Engine>, id: String, cols: u16, rows: u16) -> IpcResult<()> {
    Ok(engine.terminal_resize(&id, cols, rows)?)
}

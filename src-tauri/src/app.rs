//! The Tauri app: state, commands, the event bridge and the tray. Generic over the runtime
//! so that tests build it with `tauri::test::mock_builder()`.

use serde_json::json;
use switchboard_core::{Engine, EngineEvent};
use tauri::{Builder, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;
use tracing::warn;

use crate::{commands, notify, tray};

/// App event carrying `{ session }` after any change to a session.
pub const SESSION_CHANGED: &str = "session-changed";
/// App event carrying `{ id }` after a session was deleted.
pub const SESSION_DELETED: &str = "session-deleted";
/// App event carrying `{ request }` when a tool permission is asked for, answered or cancelled.
pub const PERMISSION_CHANGED: &str = "permission-changed";
/// App event sent when the UI missed events (it fell behind): re-read the list.
pub const SESSIONS_RESYNC: &str = "sessions-resync";

/// What differs between the real app and a test build.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Show a tray icon (needs a real desktop session).
    pub tray: bool,
}

/// Registers Switchboard's state, commands and event bridge on `builder`.
pub fn build<R: Runtime>(builder: Builder<R>, engine: Engine, options: Options) -> Builder<R> {
    builder
        .manage(engine)
        .manage(notify::Watch::default())
        .manage(tray::TrayState::default())
        .manage(commands::Subscriptions::default())
        .invoke_handler(tauri::generate_handler![
            commands::list_sessions,
            commands::get_session,
            commands::create_session,
            commands::end_session,
            commands::delete_session,
            commands::send_message,
            commands::interrupt_session,
            commands::resume_session,
            commands::set_task,
            commands::compaction_advised,
            commands::compact_session,
            commands::read_output,
            commands::output_tail,
            commands::subscribe_output,
            commands::unsubscribe_output,
            commands::metrics,
            commands::usage_by_day,
            commands::tasks,
            commands::task_log,
            commands::session_log,
            commands::agents,
            commands::get_settings,
            commands::save_settings,
            commands::recent_folders,
            commands::app_info,
            commands::pending_permissions,
            commands::decide_permission,
            commands::permission_rules,
            commands::revoke_permission_rule,
            commands::set_focused_session,
            commands::quit_app
        ])
        .setup(move |app| {
            if options.tray {
                tray::create(app.handle())?;
            }
            spawn_event_bridge(app.handle().clone());
            Ok(())
        })
}

/// Forwards engine events to the windows as app events, raises notifications, and keeps
/// the tray current (debounced: a burst of changes rebuilds the menu once).
fn spawn_event_bridge<R: Runtime>(app: tauri::AppHandle<R>) {
    let engine = app.state::<Engine>().inner().clone();
    let mut events = engine.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut tray_due: Option<tokio::time::Instant> = None;
        loop {
            let next = match tray_due {
                Some(due) => tokio::select! {
                    ev = events.recv() => Some(ev),
                    _ = tokio::time::sleep_until(due) => None,
                },
                None => Some(events.recv().await),
            };
            let Some(ev) = next else {
                tray_due = None;
                tray::refresh(&app);
                continue;
            };
            let sent = match ev {
                Ok(EngineEvent::SessionChanged { session }) => {
                    notify::session_changed(&app, &session);
                    app.emit(SESSION_CHANGED, json!({ "session": session }))
                }
                Ok(EngineEvent::SessionDeleted { id }) => app.emit(SESSION_DELETED, json!({ "id": id })),
                Ok(EngineEvent::PermissionChanged { request }) => {
                    notify::permission_changed(&app, &request);
                    app.emit(PERMISSION_CHANGED, json!({ "request": request }))
                }
                Err(RecvError::Lagged(missed)) => {
                    warn!(missed, "the UI fell behind on engine events; asking it to re-read");
                    app.emit(SESSIONS_RESYNC, json!({ "missed": missed }))
                }
                Err(RecvError::Closed) => break,
            };
            if let Err(e) = sent {
                warn!(error = %e, "could not emit an event to the UI");
            }
            tray_due.get_or_insert_with(|| tokio::time::Instant::now() + TRAY_DEBOUNCE);
        }
    });
}

/// Engine changes within this window update the tray once.
const TRAY_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(150);

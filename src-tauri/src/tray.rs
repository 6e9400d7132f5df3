//! The tray icon and its menu. The menu is always there (Linux tray hosts do not deliver a
//! plain click); it is rebuilt from [`TrayModel`] after engine events, debounced.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use serde_json::json;
use switchboard_core::{Engine, SessionFilter, SessionSort, SessionStatus};
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tracing::warn;

use crate::tray_model::{quit_plan, QuitPlan, TrayIcon, TrayModel};

const TRAY_ID: &str = "main";

/// App event: open this session in the window (`{ id }`).
pub const OPEN_SESSION: &str = "open-session";
/// App event: open the New-session form.
pub const NEW_SESSION: &str = "new-session";

/// Tray and notification state of the running app.
#[derive(Default)]
pub struct TrayState {
    pub muted: AtomicBool,
    /// The model the menu was last built from (rebuilt only when it changes).
    last: Mutex<Option<TrayModel>>,
}

/// The tray model from the store: live sessions by activity, and recent failures.
pub fn model(engine: &Engine, muted: bool) -> TrayModel {
    let live = engine
        .list(&SessionFilter {
            statuses: SessionStatus::LIVE_NAMES.iter().map(|s| s.to_string()).collect(),
            sort: SessionSort::LastActivity,
            limit: Some(200),
            ..Default::default()
        })
        .unwrap_or_default();
    let failed = engine
        .list(&SessionFilter { statuses: vec!["error".into()], sort: SessionSort::LastActivity, limit: Some(50), ..Default::default() })
        .unwrap_or_default();
    TrayModel::build(&live, &failed, muted, chrono::Utc::now())
}

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let menu = Menu::new(app)?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(TrayIcon::Idle)?)
        .tooltip("Switchboard")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| handle_menu(app, event.id().as_ref()))
        .build(app)?;
    refresh(app);
    Ok(())
}

fn icon(kind: TrayIcon) -> tauri::Result<Image<'static>> {
    Image::from_bytes(match kind {
        TrayIcon::Idle => include_bytes!("../../icons/tray-idle.png"),
        TrayIcon::Running => include_bytes!("../../icons/tray-running.png"),
        TrayIcon::Attention => include_bytes!("../../icons/tray-attention.png"),
    })
}

/// Rebuilds the menu, icon and tooltip when the model changed.
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let (Some(engine), Some(state)) = (app.try_state::<Engine>(), app.try_state::<TrayState>()) else { return };
    let m = model(&engine, state.muted.load(Ordering::Relaxed));
    {
        let mut last = state.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.as_ref() == Some(&m) {
            return;
        }
        *last = Some(m.clone());
    }
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    let result = (|| -> tauri::Result<()> {
        let menu = build_menu(app, &m)?;
        tray.set_menu(Some(menu))?;
        tray.set_icon(Some(icon(m.icon)?))?;
        tray.set_tooltip(Some(&m.tooltip))?;
        Ok(())
    })();
    if let Err(e) = result {
        warn!(error = %e, "could not update the tray");
    }
}

fn build_menu<R: Runtime>(app: &AppHandle<R>, m: &TrayModel) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    menu.append(&MenuItem::with_id(app, "summary", &m.summary, false, None::<&str>)?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    for item in &m.items {
        menu.append(&MenuItem::with_id(app, &item.id, &item.label, true, None::<&str>)?)?;
    }
    if !m.items.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
    }
    menu.append(&MenuItem::with_id(app, "new", "New session…", true, None::<&str>)?)?;
    menu.append(&CheckMenuItem::with_id(app, "mute", "Mute notifications", true, m.muted, None::<&str>)?)?;
    let visible = app.get_webview_window("main").and_then(|w| w.is_visible().ok()).unwrap_or(false);
    menu.append(&MenuItem::with_id(app, "toggle-window", if visible { "Hide window" } else { "Show window" }, true, None::<&str>)?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(app, "quit", "Quit Switchboard", true, None::<&str>)?)?;
    Ok(menu)
}

/// What each tray menu item does.
pub fn handle_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        "new" => {
            show_main_window(app);
            let _ = app.emit(NEW_SESSION, json!({}));
        }
        "mute" => {
            if let Some(state) = app.try_state::<TrayState>() {
                state.muted.fetch_xor(true, Ordering::Relaxed);
            }
            refresh(app);
        }
        "toggle-window" => {
            if let Some(w) = app.get_webview_window("main") {
                if w.is_visible().unwrap_or(false) {
                    let _ = w.hide();
                } else {
                    show_main_window(app);
                }
            }
            if let Some(state) = app.try_state::<TrayState>() {
                *state.last.lock().unwrap_or_else(|e| e.into_inner()) = None; // relabel Show/Hide
            }
            refresh(app);
        }
        "quit" => request_quit(app),
        other => {
            if let Some(session) = other.strip_prefix("open:") {
                show_main_window(app);
                let _ = app.emit(OPEN_SESSION, json!({ "id": session }));
            }
        }
    }
}

/// Quit: at once when no agent runs; otherwise ask whether to end them (they are stopped
/// gracefully, marked Interrupted and stay resumable) or cancel.
pub fn request_quit<R: Runtime>(app: &AppHandle<R>) {
    let live = app.try_state::<Engine>().map(|e| e.live_processes()).unwrap_or(0);
    match quit_plan(live) {
        QuitPlan::ExitNow => app.exit(0),
        QuitPlan::AskFirst { live } => {
            use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};
            show_main_window(app);
            let handle = app.clone();
            app.dialog()
                .message(format!(
                    "{live} session{} still running. Quit anyway?\n\nThey will be stopped gracefully and marked interrupted; you can resume them later.",
                    if live == 1 { " is" } else { "s are" }
                ))
                .title("Quit Switchboard")
                .kind(MessageDialogKind::Warning)
                .buttons(MessageDialogButtons::OkCancelCustom("End them and quit".into(), "Cancel".into()))
                .show(move |yes| {
                    if yes {
                        handle.exit(0);
                    }
                });
        }
    }
}

pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

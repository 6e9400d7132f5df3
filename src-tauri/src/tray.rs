//! The tray icon and its menu. The menu is always there (Linux tray hosts do not deliver a
//! plain click); it is rebuilt from [`TrayModel`] after engine events, debounced.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use switchboard_core::{Engine, SessionFilter, SessionSort, SessionStatus};
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};
use tracing::warn;

use crate::contract::AppEvent;
use crate::tray_model::{quit_plan, QuitPlan, TrayIcon, TrayModel};

const TRAY_ID: &str = "main";

pub use crate::contract::{NEW_SESSION, OPEN_SESSION};

/// Tray and notification state of the running app.
#[derive(Default)]
pub struct TrayState {
    pub muted: AtomicBool,
    /// Whether the main window is shown, as last seen: set by every show and hide we do and
    /// by the window's focus events. Not asked of the window while building the menu: right
    /// after `hide()` it still answers "visible", and the item read "Hide window".
    window_visible: AtomicBool,
    /// What the menu was last built from (rebuilt only when it changes).
    last: Mutex<Option<(TrayModel, bool)>>,
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
    if let Some(state) = app.try_state::<TrayState>() {
        let visible = app.get_webview_window("main").and_then(|w| w.is_visible().ok()).unwrap_or(false);
        state.window_visible.store(visible, Ordering::Relaxed);
    }
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
    let visible = state.window_visible.load(Ordering::Relaxed);
    {
        let mut last = state.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.as_ref().is_some_and(|(lm, lv)| lm == &m && *lv == visible) {
            return;
        }
        *last = Some((m.clone(), visible));
    }
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    let result = (|| -> tauri::Result<()> {
        let menu = build_menu(app, &m, visible)?;
        tray.set_menu(Some(menu))?;
        tray.set_icon(Some(icon(m.icon)?))?;
        tray.set_tooltip(Some(&m.tooltip))?;
        Ok(())
    })();
    if let Err(e) = result {
        warn!(error = %e, "could not update the tray");
    }
}

/// The Show/Hide item's label for a window that is (not) shown.
pub fn toggle_label(window_visible: bool) -> &'static str {
    if window_visible {
        "Hide window"
    } else {
        "Show window"
    }
}

/// Records that the main window was shown or hidden, and relabels Show/Hide.
pub fn window_visibility_changed<R: Runtime>(app: &AppHandle<R>, visible: bool) {
    let Some(state) = app.try_state::<TrayState>() else { return };
    if state.window_visible.swap(visible, Ordering::Relaxed) != visible {
        refresh(app);
    }
}

/// The Show/Hide label the menu carries now (None before the first build).
pub fn current_toggle_label<R: Runtime>(app: &AppHandle<R>) -> Option<&'static str> {
    let state = app.try_state::<TrayState>()?;
    let last = state.last.lock().unwrap_or_else(|e| e.into_inner());
    last.as_ref().map(|(_, visible)| toggle_label(*visible))
}

fn build_menu<R: Runtime>(app: &AppHandle<R>, m: &TrayModel, window_visible: bool) -> tauri::Result<Menu<R>> {
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
    menu.append(&MenuItem::with_id(app, "toggle-window", toggle_label(window_visible), true, None::<&str>)?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(app, "quit", "Quit Switchboard", true, None::<&str>)?)?;
    Ok(menu)
}

/// What each tray menu item does.
pub fn handle_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        "new" => {
            show_main_window(app);
            let _ = AppEvent::NewSession {}.emit(app);
        }
        "mute" => {
            if let Some(state) = app.try_state::<TrayState>() {
                state.muted.fetch_xor(true, Ordering::Relaxed);
            }
            refresh(app);
        }
        "toggle-window" => {
            let shown = app.try_state::<TrayState>().map(|s| s.window_visible.load(Ordering::Relaxed)).unwrap_or(false);
            if shown {
                hide_main_window(app);
            } else {
                show_main_window(app);
            }
        }
        "quit" => request_quit(app),
        other => {
            if let Some(session) = other.strip_prefix("open:") {
                show_main_window(app);
                let _ = AppEvent::OpenSession { id: session.to_string() }.emit(app);
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
    window_visibility_changed(app, true);
}

/// Hides the main window to the tray (the app keeps running).
pub fn hide_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.hide();
    }
    window_visibility_changed(app, false);
}

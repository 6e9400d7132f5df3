//! The tray icon. It always has a menu: Linux tray hosts do not deliver a plain click.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};
use tracing::warn;
use switchboard_core::Engine;

const TRAY_ID: &str = "main";

/// The menu item that shows the session counts; kept to update its text.
struct CountItem<R: Runtime>(MenuItem<R>);

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let count = MenuItem::with_id(app, "count", summary(app), false, None::<&str>)?;
    let show = MenuItem::with_id(app, "show", "Show Switchboard", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&count, &PredefinedMenuItem::separator(app)?, &show, &quit])?;
    let icon = tauri::image::Image::from_bytes(include_bytes!("../../icons/tray-idle.png"))?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon)
        .tooltip("Switchboard")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "show" => show_main_window(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)?;
    app.manage(CountItem(count));
    Ok(())
}

/// Updates the count line after a change.
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    if let Some(item) = app.try_state::<CountItem<R>>() {
        if let Err(e) = item.0.set_text(summary(app)) {
            warn!(error = %e, "could not update the tray menu");
        }
    }
}

/// "3 sessions · 1 running", from the store.
fn summary<R: Runtime>(app: &AppHandle<R>) -> String {
    let Some(engine) = app.try_state::<Engine>() else { return "Switchboard".into() };
    match engine.status_counts() {
        Ok(counts) => {
            let total: u64 = counts.values().sum();
            let running = counts.get("running").copied().unwrap_or(0);
            format!("{total} session{} · {running} running", if total == 1 { "" } else { "s" })
        }
        Err(e) => format!("sessions unavailable: {e}"),
    }
}

pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

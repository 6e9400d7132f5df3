//! Switchboard's app shell: the Tauri app and the command line, both thin adapters over
//! `switchboard_core::Engine`.

pub mod app;
pub mod cli;
pub mod commands;
pub mod ipc;
pub mod tray;
pub mod tray_model;
mod notify;

use clap::Parser;
use switchboard_core::paths;
use tauri::Manager;

/// Entry point of the binary; returns the exit code.
pub fn main() -> i32 {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let data_dir = match paths::resolve_data_dir(cli.data_dir.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("switchboard: {e}");
            return 2;
        }
    };
    if let Some(command) = cli.command {
        let engine = match cli::open_engine(Some(&data_dir)) {
            Ok(engine) => engine,
            Err(e) => {
                eprintln!("switchboard: {e}");
                return 1;
            }
        };
        let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("switchboard: cannot start: {e}");
                return 1;
            }
        };
        return match runtime.block_on(cli::run(&engine, command)) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("switchboard: {e}");
                if e.code() == "invalid_input" { 2 } else { 1 }
            }
        };
    }
    run_gui(&data_dir)
}

fn run_gui(data_dir: &std::path::Path) -> i32 {
    // WebKit derives navigator.language from the process locale; under a C/POSIX locale
    // (containers, bare X sessions) it is not a valid language tag and Intl calls throw.
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    if locale.as_deref().is_none_or(|l| l == "C" || l == "POSIX" || l.starts_with("C.")) {
        std::env::set_var("LANG", "en_US.UTF-8");
        std::env::remove_var("LC_ALL");
    }
    if let Err(e) = paths::ensure_private_dir(data_dir) {
        eprintln!("switchboard: {e}");
        return 1;
    }
    let _log_guard = switchboard_core::logging::init(data_dir, true);
    let engine = match cli::open_engine(Some(data_dir)) {
        Ok(engine) => engine,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the data directory");
            eprintln!("switchboard: cannot open {}: {e}", data_dir.display());
            return 1;
        }
    };
    tracing::info!(data_dir = %data_dir.display(), "starting Switchboard");
    if let Err(e) = tauri::async_runtime::block_on(engine.reconcile()) {
        tracing::warn!(error = %e, "could not reconcile sessions from the last run");
    }
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_main_window(app);
        }))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_autostart::init(tauri_plugin_autostart::MacosLauncher::LaunchAgent, None))
        .on_window_event(|window, event| {
            // Closing the window hides it to the tray (a setting, on by default).
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let to_tray = window.app_handle().try_state::<switchboard_core::Engine>().and_then(|e| e.settings().ok()).map(|s| s.close_to_tray).unwrap_or(true);
                if to_tray {
                    api.prevent_close();
                    let _ = window.hide();
                    hint_tray_once(window.app_handle());
                }
            }
        });
    let app = match app::build(builder, engine.clone(), app::Options { tray: true }).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "could not start the app");
            eprintln!("switchboard: could not start the app: {e}");
            return 1;
        }
    };
    // Expire idle sessions and purge old ones on the configured interval, until exit.
    let sweeper = tauri::async_runtime::block_on(async { engine.start_sweeper() });
    exit_on_signals(app.handle().clone());
    let mut sweeper = Some(sweeper);
    app.run(move |_app, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(s) = sweeper.take() {
                tauri::async_runtime::block_on(s.stop());
            }
            // Stop what we started; those sessions stay resumable (Interrupted).
            tauri::async_runtime::block_on(engine.shutdown());
        }
    });
    0
}

/// SIGTERM, SIGINT (Ctrl-C in the terminal of `make run`) and SIGHUP exit the app the normal
/// way, so that running agents are stopped and marked resumable instead of orphaned.
fn exit_on_signals(app: tauri::AppHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    tauri::async_runtime::spawn(async move {
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) =
            (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup()))
        else {
            tracing::warn!("cannot listen for termination signals");
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
        tracing::info!("termination signal: exiting");
        app.exit(0);
    });
}

/// The first time the window hides to the tray, say where it went.
fn hint_tray_once(app: &tauri::AppHandle) {
    use tauri::Manager;
    use tauri_plugin_notification::NotificationExt;
    let Some(engine) = app.try_state::<switchboard_core::Engine>() else { return };
    let Ok(mut settings) = engine.settings() else { return };
    if settings.tray_hint_shown {
        return;
    }
    settings.tray_hint_shown = true;
    let _ = engine.save_settings(&settings);
    let _ = app
        .notification()
        .builder()
        .title("Switchboard is still running")
        .body("Your sessions go on in the background. Find Switchboard in the tray; Quit is in its menu.")
        .show();
}

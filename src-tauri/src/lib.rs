//! Switchboard's app shell: the Tauri app and the command line, both thin adapters over
//! `switchboard_core::Engine`.

pub mod app;
pub mod cli;
mod cli_terminal;
pub mod commands;
pub mod contract;
pub mod ipc;
mod notify;
pub mod terminal_follow;
pub mod tray;
pub mod tray_model;

use clap::Parser;
use switchboard_core::paths;
use tauri::Manager;

/// Entry point of the binary; returns the exit code.
pub fn main() -> i32 {
    // Before any other thread runs: freed output buffers go back to the system.
    switchboard_core::memory::tune_allocator();
    // Descendants of our agents that detach (a daemonizing dev server) are re-parented to
    // us rather than to init, so stopping a session can find and reap them.
    if let Err(e) = switchboard_core::runner::become_subreaper() {
        tracing::warn!(error = %e, "not a child subreaper: detached agent descendants go to init");
    }
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
            cli::print_error(&e.to_string());
            return 2;
        }
    };
    if let Some(command) = cli.command {
        let engine = match cli::open_engine(Some(&data_dir)).and_then(|engine| cli::convert_output(&engine).map(|()| engine)) {
            Ok(engine) => engine,
            Err(e) => {
                cli::print_error(&e.to_string());
                return error_exit_code(&e);
            }
        };
        let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                cli::print_error(&format!("cannot start: {e}"));
                return 1;
            }
        };
        return runtime.block_on(run_until_signal(&engine, command));
    }
    run_gui(&data_dir)
}

/// Exit code for an error: 2 for a bad value the user gave (a flag, an id's form, the data
/// directory), 1 for everything else (not found, a failed start, storage).
fn error_exit_code(e: &switchboard_core::Error) -> i32 {
    match e.kind() {
        switchboard_core::ErrorCode::InvalidInput => 2,
        _ => 1,
    }
}

/// Runs a subcommand; SIGINT (Ctrl-C), SIGTERM or SIGHUP stop it instead: every agent this
/// process started is stopped gracefully and its session marked Interrupted (resumable with
/// `switchboard send`), then the exit code is 128 + the signal (130 for Ctrl-C). Agents run
/// in their own process group, so without this they would outlive the CLI, still "running".
async fn run_until_signal(engine: &switchboard_core::Engine, command: cli::Command) -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    // Listening starts before the command runs, so no agent is started unguarded.
    let (Ok(mut int), Ok(mut term), Ok(mut hup)) =
        (signal(SignalKind::interrupt()), signal(SignalKind::terminate()), signal(SignalKind::hangup()))
    else {
        cli::print_error("cannot listen for Ctrl-C; refusing to start agents that could not be stopped");
        return 1;
    };
    let signo = tokio::select! {
        result = cli::run(engine, command) => {
            // What the command's sessions printed is in SQLite before this process exits
            // (the writer commits every 20 ms; a quick `run` could exit in between).
            engine.flush_output();
            return match result {
                Ok(code) => code,
                Err(e) => {
                    cli::print_error(&e.to_string());
                    error_exit_code(&e)
                }
            };
        }
        _ = int.recv() => 2,
        _ = term.recv() => 15,
        _ = hup.recv() => 1,
    };
    // The command's future is dropped here (its stdout lock with it); stop what it started.
    let stopped = engine.live_processes();
    engine.shutdown().await;
    if stopped > 0 {
        cli::print_error(&format!(
            "interrupted; stopped {stopped} agent{} (resumable: switchboard send ID TEXT)",
            if stopped == 1 { "" } else { "s" }
        ));
    } else {
        cli::print_error("interrupted");
    }
    128 + signo
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
        cli::print_error(&e.to_string());
        return error_exit_code(&e);
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
    if engine.output_conversion_pending() {
        // In the background: every entry stays readable meanwhile; the window shows the events.
        let converting = engine.clone();
        std::thread::spawn(move || match converting.convert_output(|_| {}) {
            Ok(p) => tracing::info!(moved = p.moved, "stored output converted to the compressed format"),
            Err(e) => tracing::warn!(error = %e, "could not convert the stored output; the next start carries on"),
        });
    }
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_main_window(app);
        }))
        .plugin(tauri_plugin_dialog::init())
        // Links in agents' Markdown open in the desktop's browser (the window never leaves the app).
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_autostart::init(tauri_plugin_autostart::MacosLauncher::LaunchAgent, None))
        .on_window_event(|window, event| {
            // Focus means shown (whoever showed it): Show/Hide follows.
            if let tauri::WindowEvent::Focused(true) = event {
                tray::window_visibility_changed(window.app_handle(), true);
            }
            // Closing the window hides it to the tray (a setting, on by default).
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let to_tray = window
                    .app_handle()
                    .try_state::<switchboard_core::Engine>()
                    .and_then(|e| e.settings().ok())
                    .map(|s| s.close_to_tray)
                    .unwrap_or(true);
                if to_tray {
                    api.prevent_close();
                    tray::hide_main_window(window.app_handle());
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
    // Claude Code sessions run in terminals: imported, then followed live (a thread of its
    // own) until exit, again with the new settings whenever they change.
    match engine.settings() {
        Ok(settings) => app.state::<terminal_follow::TerminalFollow>().start(&engine, &settings),
        Err(e) => tracing::warn!(error = %e, "cannot read the settings; terminal sessions are not followed"),
    }
    app.run(move |_app, event| {
        if let tauri::RunEvent::Exit = event {
            _app.state::<terminal_follow::TerminalFollow>().stop();
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

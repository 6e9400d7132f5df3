//! Following Claude Code sessions run in terminals (core `external/`): started at launch
//! from the settings, and started again with the new settings when they change, without a
//! restart.

use std::sync::Mutex;

use switchboard_core::{Engine, ImportOptions, Settings, TerminalWatch};
use tracing::warn;

/// The running follow and the options it runs with. Until [`TerminalFollow::start`] (the
/// app's launch) nothing is followed and a settings change starts nothing: a test build
/// of the app never reads the machine's `~/.claude`.
#[derive(Default)]
pub struct TerminalFollow(Mutex<Option<Running>>);

struct Running {
    /// None: switched off in the settings.
    options: Option<ImportOptions>,
    watch: Option<TerminalWatch>,
}

impl TerminalFollow {
    /// Starts following as `settings` say (the app's launch).
    pub fn start(&self, engine: &Engine, settings: &Settings) {
        let mut running = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *running = Some(Running { options: None, watch: None });
        apply(running.as_mut().expect("just set"), engine, settings);
    }

    /// Follows as the changed `settings` say: stops the follow and starts it again with
    /// the new options when they differ from those it runs with. Nothing before `start`.
    pub fn settings_changed(&self, engine: &Engine, settings: &Settings) {
        if let Some(running) = self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            apply(running, engine, settings);
        }
    }

    /// Stops following (the app's exit).
    pub fn stop(&self) {
        let running = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(running);
    }
}

fn apply(running: &mut Running, engine: &Engine, settings: &Settings) {
    let wanted = settings.watch_terminal_sessions.then(|| settings.terminal_sessions.clone());
    if running.watch.is_some() && running.options == wanted {
        return;
    }
    // The old follow stops on its own thread: it finishes the file it is reading first,
    // and a settings change must not wait for that. Two follows at once are safe: each
    // pass over a transcript is stored only if no other pass stored it meanwhile.
    if let Some(old) = running.watch.take() {
        std::thread::spawn(move || drop(old));
    }
    running.options = wanted.clone();
    let Some(options) = wanted else { return };
    match engine.watch_terminal_sessions(options) {
        Ok(w) => running.watch = Some(w),
        Err(e) => warn!(error = %e, "cannot follow Claude Code sessions run in terminals"),
    }
}

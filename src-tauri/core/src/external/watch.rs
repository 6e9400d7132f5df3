//! Following terminal sessions live: the projects folder is watched (inotify through the
//! `notify` crate) and a changed transcript is read from its stored offset to its end —
//! never a rescan; every [`PROCESS_POLL`] the running `claude` processes are matched to
//! their sessions, which show Running while the process lives and Ended when it exits.
//!
//! All of it runs on one thread of its own (files and SQLite block), never on the async
//! runtime. Dropping the [`TerminalWatch`] stops it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use tracing::{info, warn};

use super::{encode_folder, import, running_claude, ClaudeProcess, ImportOptions};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{Session, SessionFilter, SessionOrigin, SessionStatus};
use crate::procid::ProcessId;
use crate::view::USER_PROMPT_KIND;

/// How often running `claude` processes are looked for (a few ms of reading /proc each):
/// a session started in a terminal shows Running within about this long.
pub const PROCESS_POLL: Duration = Duration::from_secs(1);

/// Changes to a file arriving within this long are read in one pass (Claude writes a
/// message as several lines in quick succession).
pub const SETTLE: Duration = Duration::from_millis(50);

/// A session with no process whose file changed is followed live (its output open to
/// subscribers) for this long after the last change.
const ACTIVE_QUIET: Duration = Duration::from_secs(300);

/// The last lines looked at to tell a turn under way from a finished one (bookkeeping lines
/// Claude Code writes after a message are skipped; a few dozen is plenty).
const TURN_STATE_LINES: u32 = 50;

/// How often channels of terminal sessions nobody follows are closed.
const CLOSE_EVERY: Duration = Duration::from_secs(30);

/// Paths waiting to be read, at most; past it the next pass imports everything selected
/// (a burst of changes across thousands of files reads no file twice either way).
const MAX_PENDING: usize = 10_000;

/// The running watch; stopped (and its thread joined) when dropped.
pub struct TerminalWatch {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for TerminalWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Engine {
    /// Imports the terminal sessions `options` select, then follows them live until the
    /// returned watch is dropped (see the module's doc). Fails only when no Claude folder
    /// can be named (no home folder); a folder that does not exist yet is waited for.
    pub fn watch_terminal_sessions(&self, options: ImportOptions) -> Result<TerminalWatch> {
        let projects = options.projects_dir().ok_or_else(|| Error::invalid("claude_dir", "no home folder to find ~/.claude in"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let (engine, flag) = (self.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("switchboard-terminal-watch".into())
            .spawn(move || Follow::new(engine, projects, options).run(&flag))
            .map_err(|e| Error::io("cannot start the terminal-session watch", e))?;
        Ok(TerminalWatch { stop, thread: Some(thread) })
    }
}

struct Follow {
    engine: Engine,
    projects: PathBuf,
    options: ImportOptions,
    /// Sessions whose `claude` process runs, with that process.
    running: HashMap<String, ProcessId>,
    /// Sessions followed live without a process, by when their file last changed.
    active: HashMap<String, Instant>,
    /// When unfollowed channels were last closed.
    last_close: Instant,
    /// Events were lost: the next pass reads every selected transcript (from its offset).
    rescan: bool,
}

impl Follow {
    fn new(engine: Engine, projects: PathBuf, options: ImportOptions) -> Follow {
        Follow { engine, projects, options, running: HashMap::new(), active: HashMap::new(), last_close: Instant::now(), rescan: false }
    }

    fn run(mut self, stop: &AtomicBool) {
        let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
        let mut watcher: Option<notify::RecommendedWatcher> = None;
        let mut pending: HashSet<PathBuf> = HashSet::new();
        let mut imported_all = false;
        let mut last_poll: Option<Instant> = None;
        self.settle_leftovers();
        while !stop.load(Ordering::SeqCst) {
            if watcher.is_none() && self.projects.is_dir() {
                // Watch first, then import: a line appended in between is seen by both,
                // and the offset makes the second read a no-op.
                match notify::recommended_watcher(tx.clone()) {
                    Ok(mut w) => match w.watch(&self.projects, RecursiveMode::Recursive) {
                        Ok(()) => watcher = Some(w),
                        Err(e) => warn!(error = %e, dir = %self.projects.display(), "cannot watch Claude Code's projects folder"),
                    },
                    Err(e) => warn!(error = %e, "cannot start a file watcher"),
                }
                imported_all = false;
            }
            if !imported_all && self.projects.is_dir() {
                let report = import::import_all(&self.engine, &self.projects, &self.options);
                info!(new = report.sessions_new, lines = report.lines, "terminal sessions imported");
                imported_all = true;
                pending.clear();
            }
            if last_poll.is_none_or(|t| t.elapsed() >= PROCESS_POLL) {
                self.poll_processes();
                last_poll = Some(Instant::now());
            }
            // Wait for changes until the next process poll; then let a burst settle.
            let wait = PROCESS_POLL.saturating_sub(last_poll.map_or(Duration::ZERO, |t| t.elapsed())).min(Duration::from_millis(250));
            if let Ok(ev) = rx.recv_timeout(wait) {
                self.note(ev, &mut pending);
                let until = Instant::now() + SETTLE;
                while let Some(left) = until.checked_duration_since(Instant::now()) {
                    match rx.recv_timeout(left) {
                        Ok(ev) => self.note(ev, &mut pending),
                        Err(_) => break,
                    }
                }
            }
            if self.rescan || pending.len() > MAX_PENDING {
                self.rescan = false;
                imported_all = false;
                pending.clear();
                continue;
            }
            for path in pending.drain() {
                self.read_changed(&path);
            }
            self.close_quiet();
        }
        drop(watcher);
    }

    /// Keeps a changed transcript's path (a `.jsonl` directly in a selected project folder).
    fn note(&mut self, ev: notify::Result<notify::Event>, pending: &mut HashSet<PathBuf>) {
        let ev = match ev {
            Ok(ev) if ev.need_rescan() => {
                // The kernel's event queue overflowed: changes were lost; every selected
                // transcript is read from its offset again (cheap for unchanged ones).
                self.rescan = true;
                return;
            }
            Ok(ev) => ev,
            Err(e) => {
                warn!(error = %e, "the projects folder watch reported an error; reading every transcript again");
                self.rescan = true;
                return;
            }
        };
        if ev.kind.is_access() {
            return;
        }
        for p in ev.paths {
            let Some(project) = import::project_of(&p) else { continue };
            let in_project = project.parent() == Some(self.projects.as_path());
            let project_ok = project.file_name().is_some_and(|n| self.options.wants_project(&n.to_string_lossy()));
            if in_project && project_ok && p.extension().and_then(|e| e.to_str()) == Some("jsonl") {
                pending.insert(p);
            }
        }
    }

    /// Reads what was appended to one transcript, its session's output open to live
    /// subscribers while it is active.
    fn read_changed(&mut self, path: &Path) {
        let store = &self.engine.inner.store;
        if let Ok(Some(r)) = store.transcript(&path.to_string_lossy()) {
            if !r.managed {
                self.follow_live(&r.session_id);
            }
        }
        match import::import_file(&self.engine, path) {
            Ok(o) => {
                if let Some(s) = o.session.as_ref().filter(|_| o.new_session) {
                    // A new session: later lines go live.
                    self.follow_live(&s.id);
                }
                if let Some(s) = o.session.filter(|s| self.running.contains_key(&s.id) && o.lines > 0) {
                    self.set_turn_state(&s.id);
                }
            }
            Err(e) => {
                if path.exists() {
                    warn!(path = %path.display(), error = %e, "could not read a changed transcript");
                }
            }
        }
    }

    fn follow_live(&mut self, session_id: &str) {
        if let Err(e) = self.engine.inner.output.ensure_open(session_id) {
            warn!(session = %session_id, error = %e, "cannot open a terminal session's live output");
            return;
        }
        self.active.insert(session_id.to_string(), Instant::now());
    }

    /// Closes the live output of terminal sessions that are neither running nor recently
    /// changed and that nobody follows (a viewer keeps it open; see `Engine::follow_output`).
    fn close_quiet(&mut self) {
        if self.last_close.elapsed() < CLOSE_EVERY {
            return;
        }
        self.last_close = Instant::now();
        self.active.retain(|_, t| t.elapsed() <= ACTIVE_QUIET);
        let engine = &self.engine;
        let (running, active) = (&self.running, &self.active);
        engine.inner.output.close_unfollowed(|id| {
            !running.contains_key(id)
                && !active.contains_key(id)
                && engine.find(id).ok().flatten().is_some_and(|s| s.origin == SessionOrigin::Terminal)
        });
    }

    /// Terminal sessions left live by a Switchboard that stopped: Ended until their process
    /// is found again.
    fn settle_leftovers(&mut self) {
        let filter = SessionFilter {
            statuses: SessionStatus::LIVE_NAMES.iter().map(|s| s.to_string()).collect(),
            origin: Some(SessionOrigin::Terminal),
            ..Default::default()
        };
        for s in self.engine.list(&filter).unwrap_or_default() {
            self.mark_ended(&s.id);
        }
    }

    /// Matches running `claude` processes to sessions: new ones become Running, gone ones Ended.
    fn poll_processes(&mut self) {
        let mut now_running: HashMap<String, ProcessId> = HashMap::new();
        for p in running_claude() {
            let Some(file) = transcript_of_process(&self.projects, &p) else { continue };
            if let Ok(Some(r)) = self.engine.inner.store.transcript(&file.to_string_lossy()) {
                if !r.managed {
                    now_running.insert(r.session_id, p.process);
                }
            }
        }
        let gone: Vec<String> = self.running.keys().filter(|id| !now_running.contains_key(*id)).cloned().collect();
        for id in gone {
            self.running.remove(&id);
            self.mark_ended(&id);
        }
        for (id, process) in now_running {
            if self.running.get(&id) == Some(&process) {
                continue;
            }
            let _ = self.engine.inner.output.ensure_open(&id);
            self.mark_running(&id, process.pid);
            self.running.insert(id, process);
        }
    }

    fn mark_running(&self, id: &str, pid: u32) {
        let now = self.engine.inner.clock.now();
        let live = |s: &mut Session| {
            s.ended_at = None;
            s.pid = Some(pid);
            s.last_activity = now;
        };
        let result = (|| -> Result<Session> {
            // An ended session comes back through Starting (a move the store checks row to
            // row) — with its process already, so no reader sees it live without one.
            if !self.engine.get(id)?.status.is_live() {
                self.engine.update(id, |s| {
                    s.move_to(SessionStatus::Starting)?;
                    live(s);
                    Ok(())
                })?;
            }
            let state = self.turn_state(id);
            self.engine.update(id, |s| {
                s.move_to(state)?;
                live(s);
                Ok(())
            })
        })();
        match result {
            Ok(_) => info!(session = %id, pid, "a terminal session's claude process runs"),
            Err(e) => warn!(session = %id, error = %e, "cannot mark a terminal session running"),
        }
    }

    /// Whether a terminal session's process works on a turn (Running) or waits for the
    /// person (Idle), from its last lines: a prompt, a tool call or a tool result not yet
    /// answered is a turn under way; the assistant's text (or nothing yet) is the end of one.
    fn turn_state(&self, id: &str) -> SessionStatus {
        let tail = self.engine.output_tail(id, TURN_STATE_LINES).unwrap_or_default();
        let last = tail
            .iter()
            .rev()
            .map(|e| e.kind.as_str())
            .find(|k| matches!(*k, USER_PROMPT_KIND | "tool_use" | "tool_result" | "assistant_text"));
        match last {
            Some(USER_PROMPT_KIND | "tool_use" | "tool_result") => SessionStatus::Running,
            _ => SessionStatus::Idle,
        }
    }

    /// Moves a running terminal session between Running and Idle after new lines.
    fn set_turn_state(&self, id: &str) {
        let state = self.turn_state(id);
        let result = self.engine.update(id, |s| {
            if matches!(s.status, SessionStatus::Running | SessionStatus::Idle) {
                s.move_to(state)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            warn!(session = %id, error = %e, "cannot update a terminal session's state");
        }
    }

    fn mark_ended(&self, id: &str) {
        let now = self.engine.inner.clock.now();
        let result = self.engine.update(id, |s| {
            if s.status.is_live() {
                s.move_to(SessionStatus::Ended)?;
                s.ended_at = Some(now.max(s.last_activity));
            }
            s.pid = None;
            Ok(())
        });
        if let Err(e) = result {
            warn!(session = %id, error = %e, "cannot mark a terminal session ended");
        }
    }
}

/// The transcript a running `claude` writes: the session its arguments name, else the
/// newest transcript of its folder (a new session, or `--continue`).
pub(crate) fn transcript_of_process(projects: &Path, p: &ClaudeProcess) -> Option<PathBuf> {
    let dir = projects.join(encode_folder(&p.cwd.to_string_lossy()));
    match &p.session_id {
        Some(id) => Some(dir.join(format!("{id}.jsonl"))),
        None => newest_transcript(&dir),
    }
}

/// The most recently changed transcript in a project folder.
fn newest_transcript(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| e.path().extension().and_then(|x| x.to_str()) == Some("jsonl"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()
        .map(|(_, p)| p)
}

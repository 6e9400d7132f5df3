//! Live sessions: starting an agent's process, what its output and exit do to the session,
//! and stopping it.

use super::*;

impl Engine {
    pub(super) fn starting(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.inner.starting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks a session as being started by this engine until the guard drops, so that no
    /// reconciliation (this process's sweep included) takes it for a leftover meanwhile.
    pub(crate) fn mark_starting(&self, id: &str) -> StartingGuard<'_> {
        self.starting().insert(id.to_string());
        StartingGuard { engine: self, id: id.to_string() }
    }

    /// Starts (or, with `resume`, restarts) a session's agent process; sends `prompt` as the
    /// first message. A start failure becomes the session's Error status.
    pub(crate) async fn start(&self, session: &Session, program: &Path, resume: bool, prompt: Option<String>) -> Result<Session> {
        let id = session.id.as_str();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let _ = self.inner.runtime.set(handle);
        }
        if session.config.mode == crate::model::RunMode::Terminal {
            return self.start_terminal(session, program, resume, prompt).await;
        }
        let adapter = crate::agents::adapter(session.agent);
        let launch = adapter.launch(session, program, resume, prompt.as_deref())?;
        self.inner.output.open(id)?;
        self.record_output(
            id,
            Stream::System,
            "lifecycle",
            format!("{}: {}", if resume { "resuming" } else { "starting" }, launch.display()),
        );
        let sink = SessionSink::start(self.clone(), id, session.agent).map_err(|e| Error::io("cannot start the session's thread", e))?;
        match runner::spawn(&launch, sink.clone()) {
            Ok(handle) => {
                let pid = handle.pid();
                self.procs().insert(id.to_string(), Proc::new(handle.clone(), sink, adapter.interactive()));
                self.inner.store.set_process(id, &ProcessId::of(pid), &self.inner.me)?;
                let launch_command = launch.display();
                // Interactive agents wait for a message (Idle); one-shot agents work at once.
                let working = prompt.is_some() || !adapter.interactive();
                let session = self.update(id, |s| {
                    s.launch_command = Some(launch_command);
                    // A quick process may already have exited and moved the session on.
                    if matches!(s.status, SessionStatus::Starting | SessionStatus::Idle) {
                        s.move_to(if working { SessionStatus::Running } else { SessionStatus::Idle })?;
                        s.pid = Some(pid);
                    }
                    Ok(())
                })?;
                if !session.status.is_live() {
                    self.procs().remove(id);
                    return Ok(session);
                }
                for line in adapter.handshake(&session) {
                    if let Err(e) = handle.write_line(line).await {
                        warn!(session = %id, error = %e, "could not send the start-up handshake");
                    }
                }
                if let (Some(text), Some(line)) = (prompt.as_deref(), prompt.as_deref().and_then(|p| adapter.user_message(p))) {
                    self.begin_turn(id, text)?;
                    if let Err(e) = handle.write_line(line).await {
                        warn!(session = %id, error = %e, "could not send the first message");
                    }
                } else if let Some(text) = prompt.as_deref() {
                    // One-shot agents got the prompt at launch (on stdin).
                    self.begin_turn(id, text)?;
                }
                self.get(id)
            }
            Err(e) => self.start_failed(id, spawn_message(&launch, &e)),
        }
    }

    /// The agent could not be started: the reason in its output, the session in Error,
    /// the task log's error, and whoever waits for the first turn told.
    pub(crate) fn start_failed(&self, id: &str, message: String) -> Result<Session> {
        warn!(session = %id, %message, "could not start the process");
        self.record_output(id, Stream::System, "lifecycle", message.clone());
        self.inner.output.close(id);
        let session = self.update(id, |s| {
            s.move_to(SessionStatus::Error { message: message.clone() })?;
            s.last_error = Some(message.clone());
            s.ended_at = Some(self.inner.clock.now());
            Ok(())
        })?;
        self.log_task_event(id, TaskEventKind::Error, serde_json::json!({ "message": message }))?;
        self.finish_turn_waiters(id, Err(message));
        Ok(session)
    }

    /// The processes this engine runs (a poisoned lock still holds a valid map).
    pub(crate) fn procs(&self) -> std::sync::MutexGuard<'_, HashMap<String, Proc>> {
        self.inner.processes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many agent processes this engine is running.
    pub fn live_processes(&self) -> usize {
        self.procs().len()
    }

    /// Ends a session: stops its process (gracefully, then by force) and marks it Ended.
    /// Idempotent: ending a finished session returns it unchanged. History is kept.
    #[instrument(skip(self))]
    pub async fn end(&self, id: &str) -> Result<Session> {
        let session = self.get(id)?;
        if !session.status.is_live() {
            return Ok(session);
        }
        if session.origin == crate::model::SessionOrigin::Terminal {
            return Err(Error::invalid("origin", crate::external::FOLLOW_ONLY));
        }
        self.cancel_permissions(id, "the session was ended")?;
        let now = self.inner.clock.now();
        // The status is final before the process is stopped (so its exit is not taken for a
        // crash); the pid stays recorded until it is gone, so a crash in between leaves a
        // row that the next reconciliation finishes.
        let ended = self.update_logged(
            id,
            |s| {
                if s.status.is_live() {
                    s.move_to(SessionStatus::Ended)?;
                    s.ended_at = Some(now);
                }
                Ok(())
            },
            Some((TaskEventKind::Ended, serde_json::json!({ "status": "ended" }))),
        )?;
        self.stop_process(id).await;
        info!(session = %id, "session ended");
        // The exit may have added the exit code since; a concurrent delete leaves `ended`.
        Ok(self.find(id)?.unwrap_or(ended))
    }

    pub(crate) async fn stop_process_by_id(&self, id: &str) {
        self.stop_process(id).await
    }

    /// Stops a session's process: ours through its handle; one started by another
    /// Switchboard process (the app while the CLI ends it, or the reverse) through its
    /// recorded process group, once its pid and start time prove it is still that process.
    pub(super) async fn stop_process(&self, id: &str) {
        let handle = self.procs().get(id).map(|p| p.handle.clone());
        if let Some(handle) = handle {
            handle.stop(self.inner.config.stop_grace).await;
            return;
        }
        if self.find(id).ok().flatten().is_some_and(|s| s.origin == crate::model::SessionOrigin::Terminal) {
            // A terminal session's pid is the person's own `claude`: never signalled.
            return;
        }
        if let Ok(record) = self.inner.store.process_of(id) {
            if let Some(p) = record.process.filter(|p| p.is_alive()) {
                info!(session = %id, pid = p.pid, "stopping a process started by another Switchboard");
                runner::stop_tree(p.pid, self.inner.config.stop_grace).await;
            }
            let owner_alive = record.owner.is_some_and(|o| o.is_alive() && o.pid != self.inner.me.pid);
            if !owner_alive {
                // Nobody else will record its exit.
                let _ = self.inner.store.clear_process(id);
            }
        }
    }

    /// Appends one output entry with the session's next seq.
    pub(crate) fn record_output(&self, id: &str, stream: Stream, kind: &str, payload: String) {
        let now = self.inner.clock.now();
        let entry = OutputEntry { session_id: id.to_string(), seq: 0, ts: now, stream, kind: kind.to_string(), payload };
        self.inner.output.push(entry);
    }

    /// More text of the message the agent is writing: shown to live subscribers, never
    /// stored (see [`crate::output::PartialText`]).
    pub(crate) fn partial_text(&self, id: &str, key: &str, text: &str) {
        self.inner.output.partial(id, key, text);
    }

    /// The message being written is final: the entry just recorded replaces its partial text.
    pub(crate) fn end_partial(&self, id: &str) {
        self.inner.output.end_partial(id);
    }

    /// Appends an agent's line, waiting while the output queue is full (back-pressure:
    /// only ever called on the session's own thread).
    fn record_agent_output(&self, id: &str, stream: Stream, kind: &str, payload: String) {
        let now = self.inner.clock.now();
        let entry = OutputEntry { session_id: id.to_string(), seq: 0, ts: now, stream, kind: kind.to_string(), payload };
        self.inner.output.push_waiting(entry);
    }

    /// The agent printed something: that is activity, and the idle TTL starts over. Kept
    /// in memory per process and written at most every [`ACTIVITY_WRITE_INTERVAL`], so a
    /// chatty agent costs one row update a minute, not one per line.
    pub(crate) fn agent_active(&self, id: &str) {
        let now = self.inner.clock.now();
        let due = {
            let mut procs = self.procs();
            let Some(p) = procs.get_mut(id) else { return };
            let due = p.activity_written.is_none_or(|t| now - t >= chrono::Duration::from_std(ACTIVITY_WRITE_INTERVAL).unwrap_or_default());
            if due {
                p.activity_written = Some(now);
            }
            due
        };
        if due {
            let ttl = self.ttl();
            let result = self.update(id, |s| {
                if s.status.is_live() {
                    s.last_activity = now;
                    s.expires_at = now + ttl;
                }
                Ok(())
            });
            if let Err(e) = result {
                warn!(session = %id, error = %e, "could not record activity");
            }
        }
    }

    /// A live session fails with `message`: Error, its reason, and the task log's error
    /// entry, in one transaction. A finished session is left as it is.
    pub(super) fn fail(&self, id: &str, message: &str) -> Result<Session> {
        let now = self.inner.clock.now();
        self.update_logged(
            id,
            |s| {
                if s.status.is_live() {
                    s.move_to(SessionStatus::Error { message: message.to_string() })?;
                    s.last_error = Some(message.to_string());
                    s.ended_at = Some(now);
                }
                Ok(())
            },
            Some((TaskEventKind::Error, serde_json::json!({ "message": message }))),
        )
    }

    /// Output could not be stored (disk full, or the store failing for long): each
    /// session goes to Error with the reason, and its agent is stopped — gracefully, so
    /// the conversation stays resumable once there is room again. What was stored stays.
    /// The status may not be storable either: the event still tells the window and tray.
    pub(super) fn storage_failed(&self, failure: StorageFailure) {
        for id in failure.sessions {
            let message = failure.message.clone();
            match self.fail(&id, &message) {
                Ok(_) => {}
                Err(e) => {
                    warn!(session = %id, error = %e, "could not record the storage failure in the store");
                    // Not stored: the window is told at least (a final session stays as it is).
                    if let Ok(mut s) = self.get(&id) {
                        if s.move_to(SessionStatus::Error { message: message.clone() }).is_ok() {
                            s.last_error = Some(message.clone());
                            self.emit(EngineEvent::SessionChanged { session: s });
                        }
                    }
                }
            }
            self.finish_turn_waiters(&id, Err(message));
            if let Some(runtime) = self.inner.runtime.get() {
                let engine = self.clone();
                runtime.spawn(async move { engine.stop_process(&id).await });
            }
        }
    }

    /// A structured agent printed a line longer than the runner keeps whole: the line
    /// cannot be parsed, so the turn it belonged to can never be seen to end. Fail the
    /// turn explicitly (and stop the agent; a resume continues the conversation) instead
    /// of waiting forever.
    pub(super) fn line_too_long(&self, id: &str, cut: usize) {
        let message = format!(
            "the agent printed a line of over {} MiB ({cut} bytes were cut), which Switchboard cannot read; the turn was stopped",
            runner::MAX_LINE_BYTES / (1024 * 1024)
        );
        warn!(session = %id, cut, "line over the limit from a structured agent: failing the turn");
        if let Err(e) = self.fail(id, &message) {
            warn!(session = %id, error = %e, "could not record the failed turn");
        }
        self.finish_turn_waiters(id, Err(message));
        let engine = self.clone();
        let id = id.to_string();
        tokio::spawn(async move { engine.stop_process_by_id(&id).await });
    }

    pub(super) fn process_exited(&self, id: &str, agent: AgentKind, exit: Exit, serial: u64) {
        let proc = {
            let mut procs = self.procs();
            if procs.get(id).is_some_and(|p| p.thread.serial != serial) {
                // A newer process of this session runs already (a one-shot agent's follow-up
                // resumed it as soon as the turn ended): this exit is not the session's news.
                info!(session = %id, exit = %exit.describe(), "an earlier process of this session exited");
                return;
            }
            procs.remove(id)
        };
        // Callers wait only for a turn that runs; one that ended has answered them.
        let turn_running = proc.as_ref().is_none_or(|p| p.turn.is_busy());
        let _ = self.cancel_permissions(id, "the agent exited before it was answered");
        let status_now = self.find(id).ok().flatten().map(|s| s.status);
        self.record_output(id, Stream::System, "lifecycle", exit_note(&exit, status_now.as_ref()));
        self.inner.output.close(id);
        let now = self.inner.clock.now();
        let last_stderr = proc.as_ref().and_then(|p| p.last_stderr.clone());
        let turn_ok = proc.as_ref().is_some_and(|p| p.turn.last_ok());
        let mut failed = None;
        let result = self.change_session(id, |s| {
            s.exit_code = exit.code;
            s.pid = None;
            if !s.status.is_live() {
                return Ok(None);
            }
            let clean = exit.success() || exit.stopped;
            match agent {
                // One-shot agents: a turn done and a clean exit leave the session ready for
                // a follow-up (which resumes it).
                AgentKind::Codex | AgentKind::Gemini if clean && turn_ok => s.move_to(SessionStatus::Idle)?,
                _ if clean => {
                    s.move_to(SessionStatus::Ended)?;
                    s.ended_at = Some(now);
                }
                _ => {
                    let mut message = match agent {
                        AgentKind::Command => format!("the process {}", exit.describe()),
                        _ => format!("{} {} unexpectedly", agent_name(agent), exit.describe()),
                    };
                    if let Some(err) = last_stderr.as_deref().filter(|_| agent != AgentKind::Command) {
                        message.push_str(&format!(": {err}"));
                    }
                    s.last_error = Some(message.clone());
                    s.move_to(SessionStatus::Error { message: message.clone() })?;
                    s.ended_at = Some(now);
                    failed = Some(message.clone());
                    return Ok(Some((TaskEventKind::Error, serde_json::json!({ "message": message }))));
                }
            }
            Ok(None)
        });
        if turn_running {
            self.finish_turn_waiters(id, Err(failed.unwrap_or_else(|| format!("the agent {} before answering", exit.describe()))));
        }
        if let Err(e) = result {
            // The row keeps its pid: the next sweep (or whichever Switchboard opens the
            // store next) finds the process gone and settles the session.
            warn!(session = %id, error = %e, "could not record the exit; the next sweep will settle it");
        }
    }
}

/// The transcript's note on a process's exit. A stop we were asked for is a normal outcome,
/// said in the person's words: the session's status is final before its process is stopped
/// (End marks it Ended, the sweeper Expired), so the status says who asked. The exit code
/// stays in the session's record (`exit_code`) for the details.
fn exit_note(exit: &Exit, status: Option<&SessionStatus>) -> String {
    match status {
        Some(SessionStatus::Ended) if exit.stopped => "Ended by you".to_string(),
        Some(SessionStatus::Expired) if exit.stopped => "Stopped: idle past its time limit".to_string(),
        _ => exit.describe(),
    }
}

/// Output extends a session's idle TTL; the new `last_activity` is written at most this
/// often per process (a minute is nothing against an hour's TTL).
pub const ACTIVITY_WRITE_INTERVAL: Duration = Duration::from_secs(60);

/// The longest stderr line kept to explain a crash.
pub(super) const LAST_STDERR_CHARS: usize = 500;

/// A process this engine started, and what the engine tracks of its conversation.
pub(crate) struct Proc {
    pub(crate) handle: ProcessHandle,
    pub(crate) interactive: bool,
    /// The agent's cumulative cost reported so far by this process (Claude reports totals).
    pub(crate) reported_cost: f64,
    /// The session's own thread: its process's events and the person's requests, in order.
    pub(crate) thread: Arc<SessionSink>,
    /// Where the current turn is (see [`Turn`]).
    pub(crate) turn: Turn,
    /// Errors the agent reported during the turn, for a turn end that gives no reason.
    pub(crate) turn_errors: Vec<String>,
    /// The pieces so far of a streamed assistant message (Gemini), joined.
    pub(crate) pieces: String,
    pub(crate) last_stderr: Option<String>,
    /// A terminal session's PTY (input, size, screen); None for a headless agent.
    pub(crate) terminal: Option<Arc<crate::terminal::pty::Pty>>,
    /// When activity from this process was last written to the session row.
    activity_written: Option<DateTime<Utc>>,
}

/// Lines a session's thread may have waiting before its agent's output stops being read
/// (the agent then blocks on its write; the lines of the read under way, at most 64 KiB,
/// still go): bounds the memory of a session that produces faster than its output is
/// handled and stored.
pub const SESSION_BACKLOG: usize = 256;

/// …and at most this many bytes of lines (one line always goes, however long): with 20
/// sessions waiting for the output queue, their backlogs hold 5 MiB, not 20 × 256 lines
/// of which some are 1 MiB tool results.
pub const SESSION_BACKLOG_BYTES: usize = 256 * 1024;

/// What a session's thread handles, one at a time, in the order they arrive: what the
/// runner reports of the process (its lines, then its exit, last) and what the person asks
/// of the live session. So a message sent after the answer's last line was read sees the
/// session as that line left it, and two sends cannot both start a turn.
enum ProcessEvent {
    /// Lines read at once (with the bytes cut off each); they count one each in the backlog.
    Lines {
        stream: Stream,
        lines: Vec<(String, usize)>,
    },
    Exited(Exit),
    Control(Control),
}

impl ProcessEvent {
    /// What it counts in the session's backlog: a line each, else one.
    fn count(&self) -> usize {
        match self {
            ProcessEvent::Lines { lines, .. } => lines.len(),
            _ => 1,
        }
    }

    /// The bytes of its lines.
    fn bytes(&self) -> usize {
        match self {
            ProcessEvent::Lines { lines, .. } => lines.iter().map(|(l, _)| l.len()).sum(),
            _ => 0,
        }
    }
}

/// What the person asks of a live session, through its thread (see [`ProcessEvent`]).
/// Ending a session is not here: it stops the process, whose exit then comes through.
pub(crate) enum Control {
    /// Start a turn with `text`: the turn state and the stored status move to Running,
    /// then `line` (the agent's form of the message) is written to its stdin. The reply
    /// comes once the line is written (or failed).
    Send { text: String, line: String, reply: tokio::sync::oneshot::Sender<Result<()>> },
    /// Stop the current turn: the agent's own interrupt `line` when it has one, else
    /// SIGINT to the process group; a question the agent waits on is answered "no" first.
    Interrupt { line: Option<String>, reply: tokio::sync::oneshot::Sender<Result<()>> },
    /// A permission request was decided: deliver the answer to the agent, once.
    Deliver { request: Box<crate::model::PermissionRequest> },
}

/// Events sent to a session's thread and not yet handled, and the wake-up for a reader
/// waiting for room.
#[derive(Default)]
struct Backlog {
    waiting: std::sync::atomic::AtomicUsize,
    /// The bytes of the lines waiting.
    bytes: std::sync::atomic::AtomicUsize,
    room: tokio::sync::Notify,
}

impl Backlog {
    /// Whether the reader may read on: fewer than [`SESSION_BACKLOG`] lines and
    /// [`SESSION_BACKLOG_BYTES`] bytes wait.
    fn has_room(&self) -> bool {
        self.waiting.load(std::sync::atomic::Ordering::Acquire) < SESSION_BACKLOG
            && self.bytes.load(std::sync::atomic::Ordering::Acquire) < SESSION_BACKLOG_BYTES
    }
}

/// The runner's sink for one session: hands every line and the exit to the session's own
/// thread, which parses them and writes what they change (output, status, usage,
/// permission requests). That work waits on SQLite (another process may hold its lock
/// for seconds) and on the output queue's budget — on this thread, never on the async
/// runtime that serves the window. Order is kept: lines in the order read, the exit last.
///
/// No process may be spawned from a session thread: it ends with its process, and a
/// child's parent-death signal fires when the thread that spawned it exits.
pub(crate) struct SessionSink {
    /// Tells this process's thread from those of earlier or later processes of the session.
    serial: u64,
    events: std::sync::mpsc::Sender<ProcessEvent>,
    backlog: Arc<Backlog>,
    done: Mutex<Option<tokio::sync::oneshot::Receiver<()>>>,
}

impl SessionSink {
    /// Starts the session's thread.
    pub(crate) fn start(engine: Engine, id: &str, agent: AgentKind) -> std::io::Result<Arc<SessionSink>> {
        let (events, rx) = std::sync::mpsc::channel::<ProcessEvent>();
        let (done_tx, done) = tokio::sync::oneshot::channel();
        let backlog = Arc::new(Backlog::default());
        let thread_backlog = backlog.clone();
        let runtime = tokio::runtime::Handle::try_current().ok();
        let serial = SERIALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let handler = SessionThread { engine, id: id.to_string(), agent, serial };
        std::thread::Builder::new().name(format!("session-{}", id.chars().rev().take(8).collect::<String>())).spawn(move || {
            // Work this thread starts on the runtime (a stop after a failure) goes there.
            let _runtime = runtime.as_ref().map(|r| r.enter());
            for event in rx {
                let last = matches!(event, ProcessEvent::Exited(_));
                let (count, bytes) = (event.count(), event.bytes());
                match event {
                    ProcessEvent::Lines { stream, lines } => {
                        handler.engine.agent_active(&handler.id);
                        for (line, truncated) in lines {
                            handler.line(stream, line, truncated);
                        }
                    }
                    ProcessEvent::Control(control) => handler.control(control),
                    ProcessEvent::Exited(exit) => {
                        handler.engine.end_pieces(&handler.id);
                        handler.engine.process_exited(&handler.id, handler.agent, exit, handler.serial)
                    }
                }
                thread_backlog.waiting.fetch_sub(count, std::sync::atomic::Ordering::AcqRel);
                thread_backlog.bytes.fetch_sub(bytes, std::sync::atomic::Ordering::AcqRel);
                thread_backlog.room.notify_waiters();
                if last {
                    break;
                }
            }
            let _ = done_tx.send(());
        })?;
        Ok(Arc::new(SessionSink { serial, events, backlog, done: Mutex::new(Some(done)) }))
    }

    fn send(&self, event: ProcessEvent) -> bool {
        let (count, bytes) = (event.count(), event.bytes());
        self.backlog.waiting.fetch_add(count, std::sync::atomic::Ordering::AcqRel);
        self.backlog.bytes.fetch_add(bytes, std::sync::atomic::Ordering::AcqRel);
        if self.events.send(event).is_err() {
            self.backlog.waiting.fetch_sub(count, std::sync::atomic::Ordering::AcqRel);
            self.backlog.bytes.fetch_sub(bytes, std::sync::atomic::Ordering::AcqRel);
            return false;
        }
        true
    }

    /// Hands a request to the session's thread; false when its process has already ended
    /// (the request's reply channel then closes unanswered).
    pub(crate) fn control(&self, control: Control) -> bool {
        self.send(ProcessEvent::Control(control))
    }
}

impl ProcessSink for SessionSink {
    fn line(&self, stream: Stream, line: String, truncated: usize) {
        self.lines(stream, vec![(line, truncated)]);
    }

    fn lines(&self, stream: Stream, lines: Vec<(String, usize)>) {
        if !self.send(ProcessEvent::Lines { stream, lines }) {
            warn!("a session's thread is gone; its process's output is dropped");
        }
    }

    fn exited(&self, exit: Exit) {
        self.send(ProcessEvent::Exited(exit));
    }

    fn room(&self) -> Option<runner::Wait> {
        if self.backlog.has_room() {
            return None;
        }
        let backlog = self.backlog.clone();
        Some(Box::pin(async move {
            loop {
                let woken = backlog.room.notified();
                tokio::pin!(woken);
                woken.as_mut().enable();
                if backlog.has_room() {
                    return;
                }
                woken.await;
            }
        }))
    }

    fn settled(&self) -> Option<runner::Wait> {
        let done = self.done.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        Some(Box::pin(async move {
            let _ = done.await;
        }))
    }
}

/// What a session's thread does with each line.
struct SessionThread {
    engine: Engine,
    id: String,
    agent: AgentKind,
    serial: u64,
}

/// Numbers the session threads of this engine process.
static SERIALS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl SessionThread {
    fn control(&self, control: Control) {
        let (engine, id) = (&self.engine, self.id.as_str());
        let Some(handle) = engine.procs().get(id).map(|p| p.handle.clone()) else {
            // Dropping the request closes its reply: the caller hears the process is gone.
            return;
        };
        let program = crate::agents::adapter(self.agent).binary_names().first().copied().unwrap_or("agent");
        match control {
            Control::Send { text, line, reply } => {
                let queued = engine.begin_turn(id, &text).and_then(|()| {
                    handle
                        .queue_line(line)
                        .map_err(|e| Error::Spawn { program: program.into(), message: format!("could not send the message: {e}") })
                });
                // The write completes on the runtime; this thread goes on reading the output.
                match (queued, tokio::runtime::Handle::try_current()) {
                    (Ok(wait), Ok(runtime)) => {
                        runtime.spawn(async move {
                            let written = wait.await.unwrap_or_else(|_| Err(std::io::Error::other("the process has exited")));
                            let _ = reply.send(written.map_err(|e| Error::Spawn {
                                program: program.into(),
                                message: format!("could not send the message: {e}"),
                            }));
                        });
                    }
                    (Ok(_), Err(_)) => {
                        let _ = reply.send(Ok(()));
                    }
                    (Err(e), _) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            Control::Interrupt { line, reply } => {
                let cancelled = engine.cancel_permissions(id, "the user interrupted the turn").map(drop);
                match line.map(|l| handle.queue_line(l)) {
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        warn!(session = %id, error = %e, "could not send the interrupt; signalling instead");
                        handle.queue_signal(nix::sys::signal::Signal::SIGINT);
                    }
                    None => handle.queue_signal(nix::sys::signal::Signal::SIGINT),
                }
                engine.record_output(id, Stream::System, "lifecycle", "interrupt requested".into());
                let _ = reply.send(cancelled);
            }
            Control::Deliver { request } => engine.deliver_now(&handle, &request),
        }
    }

    /// One line the agent printed (its activity is noted per batch of lines, by the caller).
    fn line(&self, stream: Stream, mut line: String, truncated: usize) {
        if truncated > 0 {
            line.push_str(&format!(" … [{truncated} more bytes of this line were cut]"));
            if stream == Stream::Stdout && self.agent != AgentKind::Command {
                self.engine.record_agent_output(&self.id, stream, "raw", line);
                self.engine.line_too_long(&self.id, truncated);
                return;
            }
        }
        if stream == Stream::Stderr || self.agent == AgentKind::Command {
            if stream == Stream::Stderr {
                if let Some(p) = self.engine.procs().get_mut(&self.id) {
                    p.last_stderr = Some(line.chars().take(LAST_STDERR_CHARS).collect());
                }
                if let Some((kind, payload)) = crate::agents::adapter(self.agent).parse_stderr(&line) {
                    self.engine.record_agent_output(&self.id, Stream::Stdout, kind, payload);
                }
            }
            self.engine.record_agent_output(&self.id, stream, "line", line);
            return;
        }
        let parsed = crate::agents::adapter(self.agent).parse(&line);
        if parsed.kind == crate::agents::PIECE {
            self.engine.add_piece(&self.id, &line);
            return;
        }
        self.engine.end_pieces(&self.id);
        let signal = parsed.signal.clone();
        if parsed.store {
            if matches!(parsed.kind, "assistant_text") {
                self.engine.collect_turn_text(&self.id, &line);
            }
            self.engine.record_agent_output(&self.id, stream, parsed.kind, line);
            // A stored line ends the message being typed: when it is that message, whole,
            // it replaces the partial text.
            self.engine.end_partial(&self.id);
        }
        if let Some(signal) = signal {
            self.engine.on_signal(&self.id, signal);
        }
    }
}

impl Proc {
    pub(crate) fn new(handle: ProcessHandle, thread: Arc<SessionSink>, interactive: bool) -> Proc {
        Proc {
            handle,
            thread,
            interactive,
            reported_cost: 0.0,
            turn: Turn::default(),
            turn_errors: Vec::new(),
            pieces: String::new(),
            last_stderr: None,
            terminal: None,
            activity_written: None,
        }
    }

    /// This process is a terminal session's, in `pty`.
    pub(crate) fn with_terminal(mut self, pty: Arc<crate::terminal::pty::Pty>) -> Proc {
        self.terminal = Some(pty);
        self
    }
}

/// Removes a session from [`Inner::starting`] when its start is over, however it ended.
pub(crate) struct StartingGuard<'a> {
    engine: &'a Engine,
    id: String,
}

impl Drop for StartingGuard<'_> {
    fn drop(&mut self) {
        self.engine.starting().remove(&self.id);
    }
}

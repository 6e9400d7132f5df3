//! The engine: the one place where sessions are created, changed and ended.
//!
//! Every change is written to the [`Store`] first and then announced as an [`EngineEvent`]
//! to all subscribers. The engine holds no copy of session data: it reads SQLite each
//! time. What it does hold in memory are the handles of the processes it started,
//! at most one per live session.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;
use tracing::{info, instrument, warn};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::{
    AgentKind, CompactionPolicy, EngineEvent, Metrics, NewSession, OutputEntry, Project, Session,
    SessionFilter, SessionStatus, Stream, TaskEvent, TaskEventKind, Usage,
};
use crate::output::{OutputHub, Subscription};
use crate::runner::{self, Exit, Launch, ProcessHandle, ProcessSink};
use crate::store::{LinkColumn, Store, TaskEventKey};

/// Events buffered per subscriber. A subscriber that falls further behind is told how many
/// it missed (and re-reads the list) instead of slowing the engine down.
pub const EVENT_BUFFER: usize = 1024;

/// The longest title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// The longest task, MCP or service id accepted.
pub const MAX_LINK_ID_CHARS: usize = 128;

/// Policies, all with the seeds' defaults.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// At most this many sessions may be live at once (seed 003: 100).
    pub max_live_sessions: u32,
    /// A live session with no activity for this long expires (seed 003: 1 h).
    pub idle_ttl: Duration,
    /// How long a stopped process gets between SIGTERM and SIGKILL.
    pub stop_grace: Duration,
    /// How often the sweeper runs (seed 003: every minute).
    pub sweep_interval: Duration,
    /// Finished sessions older than this are purged by the sweeper (seed 000's
    /// cleanupOldSessions). Zero keeps them forever.
    pub retention: Duration,
    /// Stored output entries kept per session; older ones are trimmed (0 = no cap).
    pub output_cap: u64,
    pub compaction: CompactionPolicy,
    /// Deny a permission request nobody answered after this long (None: wait forever).
    pub permission_timeout: Option<Duration>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_live_sessions: 100,
            idle_ttl: Duration::from_secs(60 * 60),
            stop_grace: Duration::from_secs(3),
            sweep_interval: Duration::from_secs(60),
            retention: Duration::from_secs(30 * 24 * 60 * 60),
            output_cap: 1_000_000,
            compaction: CompactionPolicy::default(),
            permission_timeout: None,
        }
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Live sessions idle past their TTL, now Expired (their process stopped).
    pub expired: Vec<String>,
    /// Finished sessions past the retention, now deleted.
    pub purged: Vec<String>,
}

/// The running sweeper. [`Sweeper::stop`] ends it and waits; dropping it ends it too.
pub struct Sweeper {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Sweeper {
    /// Stops the sweeper and waits until its task has finished (no sweep is left running).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The time source. Tests inject a manual clock.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The source of new UUIDs. Tests inject a deterministic one.
pub trait IdSource: Send + Sync + 'static {
    fn uuid(&self) -> Uuid;
}

/// UUIDv7: time-ordered, so ids sort by creation.
pub struct V7Ids;

impl IdSource for V7Ids {
    fn uuid(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// The session engine. Clone it freely: clones share everything.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Arc<Store>,
    output: Arc<OutputHub>,
    data_dir: PathBuf,
    pub(crate) config: EngineConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdSource>,
    events: broadcast::Sender<EngineEvent>,
    /// Serializes read-modify-write of session rows so two changes cannot interleave.
    write_lock: Mutex<()>,
    /// Processes this engine started, by session id. Bounded by `max_live_sessions`.
    pub(crate) processes: Mutex<HashMap<String, Proc>>,
    /// Callers waiting for the end of a session's current turn (`send`). Bounded: one
    /// entry per waiting call, removed when the turn ends or the call times out.
    pub(crate) turn_waiters: Mutex<HashMap<String, Vec<tokio::sync::oneshot::Sender<std::result::Result<String, String>>>>>,
    /// Where agent binaries are, from the settings.
    agent_paths: Mutex<crate::agents::AgentPaths>,
    /// Wakes the watch of a pending permission request when this process decides it.
    /// One entry per pending request of a session this process runs.
    pub(crate) permission_wakers: Mutex<HashMap<(String, String), Arc<tokio::sync::Notify>>>,
}

impl Engine {
    /// Opens the store in `data_dir` with the system clock and UUIDv7 ids.
    pub fn open(data_dir: &Path, config: EngineConfig) -> Result<Engine> {
        Engine::open_with(data_dir, config, Arc::new(SystemClock), Arc::new(V7Ids))
    }

    pub fn open_with(data_dir: &Path, config: EngineConfig, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> Result<Engine> {
        let store = Arc::new(Store::open(data_dir)?);
        let agent_paths = store.settings()?.agent_paths;
        let output = OutputHub::new(store.clone(), config.output_cap);
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Ok(Engine {
            inner: Arc::new(Inner {
                store,
                output,
                data_dir: data_dir.to_path_buf(),
                config,
                clock,
                ids,
                events,
                write_lock: Mutex::new(()),
                processes: Mutex::new(HashMap::new()),
                turn_waiters: Mutex::new(HashMap::new()),
                agent_paths: Mutex::new(agent_paths),
                permission_wakers: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Every engine event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    pub(crate) fn emit(&self, event: EngineEvent) {
        // No subscriber is not an error: the CLI often has none.
        let _ = self.inner.events.send(event);
    }

    /// The session, or a `NotFound` error naming the id.
    pub fn get(&self, id: &str) -> Result<Session> {
        self.find(id)?.ok_or_else(|| Error::NotFound(id.to_string()))
    }

    /// The session, if it exists.
    pub fn find(&self, id: &str) -> Result<Option<Session>> {
        self.inner.store.get_session(id)
    }

    pub fn list(&self, filter: &SessionFilter) -> Result<Vec<Session>> {
        self.inner.store.list_sessions(filter)
    }

    /// Output entries of a session after `after_seq`, oldest first, at most `limit`.
    pub fn output(&self, id: &str, after_seq: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        Ok(self.subscribe_output(id, after_seq, limit)?.backfill)
    }

    /// The last `limit` output entries of a session, oldest first.
    pub fn output_tail(&self, id: &str, limit: u32) -> Result<Vec<OutputEntry>> {
        self.get(id)?;
        self.inner.output.flush();
        self.inner.store.tail_output(id, limit)
    }

    /// History after `after_seq` plus live entries from then on, with no gap and no
    /// duplicate between them (see [`crate::output`]).
    pub fn subscribe_output(&self, id: &str, after_seq: u64, limit: u32) -> Result<Subscription> {
        self.get(id)?;
        self.inner.output.subscribe(id, after_seq, limit)
    }

    /// Follows a session's output from `after_seq`: every entry once, in order, also for a
    /// consumer too slow for the live channel. See [`crate::output::Follower`].
    pub fn follow_output(&self, id: &str, after_seq: u64) -> Result<crate::output::Follower> {
        self.get(id)?;
        self.inner.output.follow(id, after_seq)
    }

    /// Waits until all output so far is in SQLite.
    pub fn flush_output(&self) {
        self.inner.output.flush();
    }

    /// The session with this agent session id (Claude's own id), if any.
    pub fn find_by_agent_session_id(&self, agent_session_id: &str) -> Result<Option<Session>> {
        self.inner.store.find_session_by(LinkColumn::AgentSession, agent_session_id)
    }

    /// The session with this service session id (seed 004 findSessionByServiceId), if any.
    pub fn find_by_service_session_id(&self, service_session_id: &str) -> Result<Option<Session>> {
        self.inner.store.find_session_by(LinkColumn::ServiceSession, service_session_id)
    }

    /// Settles sessions recorded as live that no process of ours is running — after a crash
    /// or an unclean exit. A process still alive from that run (same pid *and* start time,
    /// and its Switchboard owner gone) is stopped first, group and all, so nothing is left
    /// orphaned. Each such session becomes Interrupted, and stays resumable. Sessions owned
    /// by another Switchboard process that is still running are left alone.
    pub async fn reconcile(&self) -> Result<Vec<Session>> {
        let live = self.list(&SessionFilter {
            statuses: SessionStatus::LIVE_NAMES.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })?;
        let me = std::process::id();
        let mut changed = Vec::new();
        for s in live {
            if self.procs().contains_key(&s.id) {
                continue;
            }
            if let Some((pid, start, owner)) = self.inner.store.process_of(&s.id)? {
                if owner.is_some_and(|o| o != me && pid_alive(o)) {
                    continue;
                }
                if start.is_some() && runner::process_start_time(pid) == start {
                    warn!(session = %s.id, pid, "process left over from the last run: stopping its group");
                    runner::stop_group(pid, self.inner.config.stop_grace).await;
                }
            }
            info!(session = %s.id, "live when the app last stopped: marking interrupted");
            // Questions it asked died with its process; a resumed conversation asks again.
            self.cancel_permissions(&s.id, "Switchboard stopped before it was answered")?;
            changed.push(self.update(&s.id, |s| {
                s.status = SessionStatus::Interrupted;
                s.pid = None;
                s.ended_at = Some(self.inner.clock.now());
                Ok(())
            })?);
        }
        Ok(changed)
    }

    /// Creates a session and starts its agent. A failure to start (missing program) is not
    /// an error here: the session is recorded with status Error and the reason, so the user
    /// sees it where they look. Bad input is an error and nothing is written.
    #[instrument(skip_all, fields(cwd = %req.cwd))]
    pub async fn create(&self, req: NewSession) -> Result<Session> {
        let prompt = req.config.prompt.clone().filter(|p| !p.trim().is_empty());
        let (session, program) = self.prepare(req)?;
        self.inner.store.insert_session(&session)?;
        info!(session = %session.id, agent = %session.agent, "session created");
        self.log_task_event(
            &session.id,
            TaskEventKind::Created,
            serde_json::json!({ "agent": session.agent, "cwd": session.cwd, "title": session.title, "mcp_session_id": session.mcp_session_id, "initial_context": session.config.append_system_prompt }),
        )?;
        self.emit(EngineEvent::SessionChanged { session: session.clone() });
        self.start(&session, &program, false, prompt).await
    }

    /// Validates a request and builds the session record and the program to run.
    fn prepare(&self, req: NewSession) -> Result<(Session, PathBuf)> {
        let agent = req.agent.unwrap_or(AgentKind::Command);
        let cwd = validate_dir("cwd", &req.cwd)?;
        let program = self.program_for(agent, req.config.program.as_deref())?;
        if req.config.args.iter().any(|a| a.contains('\0')) {
            return Err(Error::invalid("args", "arguments cannot contain NUL bytes"));
        }
        for (k, v) in &req.config.env {
            if k.is_empty() || k.contains('=') || k.contains('\0') || v.contains('\0') {
                return Err(Error::invalid("env", format!("invalid environment variable name '{k}'")));
            }
        }
        if let Some(m) = req.config.model.as_deref() {
            crate::agents::option_value("model", m)?;
        }
        if req.config.max_turns == Some(0) {
            return Err(Error::invalid("max_turns", "max turns must be at least 1"));
        }
        let task_id = validate_link("task_id", req.task_id)?;
        let mcp_session_id = validate_link("mcp_session_id", req.mcp_session_id)?;
        let service_session_id = validate_link("service_session_id", req.service_session_id)?;
        let title = match req.title.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
            Some(t) if t.chars().count() > MAX_TITLE_CHARS => {
                return Err(Error::invalid("title", format!("the title is longer than {MAX_TITLE_CHARS} characters")))
            }
            Some(t) => t,
            None => default_title(agent, &req.config, &cwd),
        };
        let live = self.inner.store.count_live()?;
        if live >= self.inner.config.max_live_sessions {
            return Err(Error::LimitReached { limit: self.inner.config.max_live_sessions });
        }
        let now = self.inner.clock.now();
        let mut config = req.config;
        if agent == AgentKind::Command {
            config.program = Some(program.to_string_lossy().into_owned());
        }
        let session = Session {
            id: format!("{}_{}", agent.as_str(), self.inner.ids.uuid().simple()),
            agent,
            title,
            cwd: cwd.to_string_lossy().into_owned(),
            status: SessionStatus::Starting,
            task_id,
            mcp_session_id,
            // Claude takes its session id from us up front, so a resume can always find it.
            agent_session_id: (agent == AgentKind::Claude).then(|| self.inner.ids.uuid().hyphenated().to_string()),
            service_session_id,
            config,
            created_at: now,
            last_activity: now,
            expires_at: now + self.ttl(),
            ended_at: None,
            message_count: 0,
            turns: 0,
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: 0.0,
            last_error: None,
            pid: None,
            exit_code: None,
            last_response_at: None,
            launch_command: None,
            output_trimmed_through: 0,
        };
        Ok((session, program))
    }

    /// The program an agent runs: the command's own for `command`, else the agent's binary
    /// (settings, environment, PATH, …) — or an error saying how to install it.
    pub(crate) fn program_for(&self, agent: AgentKind, command_program: Option<&str>) -> Result<PathBuf> {
        if agent == AgentKind::Command {
            let program = command_program.map(str::trim).unwrap_or("");
            if program.is_empty() {
                return Err(Error::invalid("program", "the program to run is required"));
            }
            if program.contains('\0') {
                return Err(Error::invalid("program", "the program cannot contain NUL bytes"));
            }
            return Ok(PathBuf::from(program));
        }
        let info = self.agent_info(agent);
        match (info.installed, info.path) {
            (true, Some(p)) => Ok(PathBuf::from(p)),
            (false, Some(p)) => Err(Error::invalid("agent", format!("{agent} was looked for at {p}, which is not an executable file; fix the path in Settings or install it: {}", info.install_hint))),
            _ => Err(Error::invalid("agent", format!("{agent} is not installed (or not on PATH). Install it with `{}`, or set its path in Settings.", info.install_hint))),
        }
    }

    /// Where an agent's binary is, or that it is not installed and how to install it.
    pub fn agent_info(&self, agent: AgentKind) -> crate::agents::AgentInfo {
        let paths = self.inner.agent_paths.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let configured = match agent {
            AgentKind::Claude => paths.claude,
            AgentKind::Codex => paths.codex,
            AgentKind::Gemini => paths.gemini,
            AgentKind::Command => None,
        };
        crate::agents::find_binary(agent, configured.as_deref())
    }

    /// Sets where agent binaries are (from the app's settings).
    pub fn set_agent_paths(&self, paths: crate::agents::AgentPaths) {
        *self.inner.agent_paths.lock().unwrap_or_else(|e| e.into_inner()) = paths;
    }

    fn ttl(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.inner.config.idle_ttl).unwrap_or(chrono::Duration::hours(1))
    }

    /// Starts (or, with `resume`, restarts) a session's agent process; sends `prompt` as the
    /// first message. A start failure becomes the session's Error status.
    pub(crate) async fn start(&self, session: &Session, program: &Path, resume: bool, prompt: Option<String>) -> Result<Session> {
        let id = session.id.as_str();
        let adapter = crate::agents::adapter(session.agent);
        let launch = adapter.launch(session, program, resume, prompt.as_deref())?;
        self.inner.output.open(id)?;
        self.record_output(id, Stream::System, "lifecycle", format!("{}: {}", if resume { "resuming" } else { "starting" }, launch.display()));
        let sink = Arc::new(SessionSink { engine: self.clone(), id: id.to_string(), agent: session.agent });
        match runner::spawn(&launch, sink) {
            Ok(handle) => {
                let pid = handle.pid();
                self.procs().insert(id.to_string(), Proc::new(handle.clone(), adapter.interactive()));
                self.inner.store.set_process(id, pid, runner::process_start_time(pid), std::process::id())?;
                let launch_command = launch.display();
                // Interactive agents wait for a message (Idle); one-shot agents work at once.
                let working = prompt.is_some() || !adapter.interactive();
                let session = self.update(id, |s| {
                    s.launch_command = Some(launch_command);
                    // A quick process may already have exited and moved the session on.
                    if matches!(s.status, SessionStatus::Starting | SessionStatus::Idle) {
                        s.status = if working { SessionStatus::Running } else { SessionStatus::Idle };
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
                    // One-shot agents got the prompt on their command line.
                    self.begin_turn(id, text)?;
                }
                self.get(id)
            }
            Err(e) => {
                let message = spawn_message(&launch, &e);
                warn!(session = %id, %message, "could not start the process");
                self.record_output(id, Stream::System, "lifecycle", message.clone());
                self.inner.output.close(id);
                let session = self.update(id, |s| {
                    s.status = SessionStatus::Error { message: message.clone() };
                    s.last_error = Some(message.clone());
                    s.ended_at = Some(self.inner.clock.now());
                    Ok(())
                })?;
                self.log_task_event(id, TaskEventKind::Error, serde_json::json!({ "message": message }))?;
                self.finish_turn_waiters(id, Err(message));
                Ok(session)
            }
        }
    }

    /// The processes this engine runs (a poisoned lock still holds a valid map).
    pub(crate) fn procs(&self) -> std::sync::MutexGuard<'_, HashMap<String, Proc>> {
        self.inner.processes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many agent processes this engine is running.
    pub fn live_processes(&self) -> usize {
        self.procs().len()
    }

    /// How many sessions are in each status (by status name).
    pub fn status_counts(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        self.inner.store.status_counts()
    }

    /// Ends a session: stops its process (gracefully, then by force) and marks it Ended.
    /// Idempotent: ending a finished session returns it unchanged. History is kept.
    #[instrument(skip(self))]
    pub async fn end(&self, id: &str) -> Result<Session> {
        let session = self.get(id)?;
        if !session.status.is_live() {
            return Ok(session);
        }
        self.cancel_permissions(id, "the session was ended")?;
        let ended = self.update(id, |s| {
            if s.status.is_live() {
                s.status = SessionStatus::Ended;
                s.ended_at = Some(self.inner.clock.now());
            }
            Ok(())
        })?;
        self.stop_process(id).await;
        self.log_task_event(id, TaskEventKind::Ended, serde_json::json!({ "status": "ended" }))?;
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
    async fn stop_process(&self, id: &str) {
        let handle = self.procs().get(id).map(|p| p.handle.clone());
        if let Some(handle) = handle {
            handle.stop(self.inner.config.stop_grace).await;
            return;
        }
        if let Ok(Some((pid, Some(start), _owner))) = self.inner.store.process_of(id) {
            if runner::process_start_time(pid) == Some(start) {
                info!(session = %id, pid, "stopping a process started by another Switchboard");
                runner::stop_group(pid, self.inner.config.stop_grace).await;
            }
        }
    }

    /// The pid of another, still running Switchboard process that runs this session's
    /// agent (its stdin belongs to that process), if any.
    pub fn foreign_owner(&self, id: &str) -> Result<Option<u32>> {
        if self.procs().contains_key(id) {
            return Ok(None);
        }
        let me = std::process::id();
        Ok(match self.inner.store.process_of(id)? {
            Some((pid, Some(start), Some(owner))) if owner != me && pid_alive(owner) && runner::process_start_time(pid) == Some(start) => Some(owner),
            _ => None,
        })
    }

    /// Deletes a session with its output and task log, stopping its process first.
    #[instrument(skip(self))]
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.get(id)?;
        self.stop_process(id).await;
        self.inner.output.flush();
        self.inner.output.close(id);
        if !self.inner.store.delete_session(id)? {
            return Err(Error::NotFound(id.to_string()));
        }
        info!(session = %id, "session deleted");
        self.emit(EngineEvent::SessionDeleted { id: id.to_string() });
        Ok(())
    }

    /// Sets the status, refusing moves the state machine does not allow (seeds'
    /// updateStatus). Moving to a final state stamps `ended_at`; to Error records the message.
    pub fn set_status(&self, id: &str, status: SessionStatus) -> Result<Session> {
        let now = self.inner.clock.now();
        self.update(id, |s| {
            if let SessionStatus::Error { message } = &status {
                s.last_error = Some(message.clone());
            }
            if !status.is_live() && s.status.is_live() {
                s.ended_at = Some(now);
            }
            if status.is_live() {
                s.last_activity = now;
            }
            s.status = status;
            Ok(())
        })
    }

    /// Links a session to a task, or unlinks it with None (seed 000 setTaskId).
    pub fn set_task(&self, id: &str, task_id: Option<String>) -> Result<Session> {
        let task_id = validate_link("task_id", task_id)?;
        self.update(id, |s| {
            s.task_id = task_id;
            Ok(())
        })
    }

    /// Links the MCP session that asked for this session (seed 000 setMcpSessionId).
    pub fn set_mcp_session_id(&self, id: &str, mcp_session_id: Option<String>) -> Result<Session> {
        let v = validate_link("mcp_session_id", mcp_session_id)?;
        self.update(id, |s| {
            s.mcp_session_id = v;
            Ok(())
        })
    }

    /// Records the agent's own session id, used to resume (seed 003 claudeSessionId).
    pub fn set_agent_session_id(&self, id: &str, agent_session_id: Option<String>) -> Result<Session> {
        let v = validate_link("agent_session_id", agent_session_id)?;
        self.update(id, |s| {
            s.agent_session_id = v;
            Ok(())
        })
    }

    /// Records an external service's id for this session (seed 004 serviceSessionId).
    pub fn set_service_session_id(&self, id: &str, service_session_id: Option<String>) -> Result<Session> {
        let v = validate_link("service_session_id", service_session_id)?;
        self.update(id, |s| {
            s.service_session_id = v;
            Ok(())
        })
    }

    /// Activity on a live session: `last_activity` is now and the idle TTL starts over
    /// (seed 003 updateActivity). Finished sessions are left as they are.
    pub fn touch(&self, id: &str) -> Result<Session> {
        let now = self.inner.clock.now();
        let ttl = self.ttl();
        self.update(id, |s| {
            if s.status.is_live() {
                s.last_activity = now;
                s.expires_at = now + ttl;
            }
            Ok(())
        })
    }

    /// Adds a turn's usage to the session's counters and stamps the response time
    /// (seed 002 incrementMessageCount / updateLastResponse, seed 003 messageCount).
    pub fn record_usage(&self, id: &str, usage: &Usage) -> Result<Session> {
        if !usage.cost_usd.is_finite() || usage.cost_usd < 0.0 {
            return Err(Error::invalid("cost_usd", format!("cost must be a non-negative number, not {}", usage.cost_usd)));
        }
        let now = self.inner.clock.now();
        let ttl = self.ttl();
        self.update(id, |s| {
            s.message_count += usage.messages;
            s.turns += usage.turns;
            s.input_tokens += usage.input_tokens;
            s.output_tokens += usage.output_tokens;
            s.cost_usd += usage.cost_usd;
            s.last_response_at = Some(now);
            if s.status.is_live() {
                s.last_activity = now;
                s.expires_at = now + ttl;
            }
            Ok(())
        })
    }

    /// Appends to the task log of the session's task (and of the session itself).
    pub fn log_task_event(&self, session_id: &str, kind: TaskEventKind, detail: serde_json::Value) -> Result<TaskEvent> {
        let s = self.get(session_id)?;
        self.inner.store.insert_task_event(s.task_id.as_deref(), session_id, self.inner.clock.now(), kind, &detail)
    }

    /// A task's log in time order.
    pub fn task_log(&self, task_id: &str) -> Result<Vec<TaskEvent>> {
        self.inner.store.task_events(TaskEventKey::Task(task_id), crate::store::MAX_PAGE)
    }

    /// A session's log in time order.
    pub fn session_log(&self, session_id: &str) -> Result<Vec<TaskEvent>> {
        self.get(session_id)?;
        self.inner.store.task_events(TaskEventKey::Session(session_id), crate::store::MAX_PAGE)
    }

    /// Task ids with how many sessions each has, most recent first.
    pub fn tasks(&self) -> Result<Vec<(String, u64)>> {
        self.inner.store.tasks(crate::store::MAX_PAGE)
    }

    /// Tokens and cost per day over the last `days` days.
    pub fn usage_by_day(&self, days: u32) -> Result<Vec<crate::model::DayUsage>> {
        self.inner.store.usage_by_day(self.inner.clock.now() - chrono::Duration::days(days.min(3650) as i64))
    }

    /// Folders recently used for sessions, newest first.
    pub fn recent_folders(&self, limit: u32) -> Result<Vec<String>> {
        self.inner.store.recent_folders(limit.min(100))
    }

    /// The stored settings (defaults when none were saved).
    pub fn settings(&self) -> Result<crate::settings::Settings> {
        self.inner.store.settings()
    }

    /// Validates and stores settings; agent paths apply at once, limits from the next start.
    pub fn save_settings(&self, settings: &crate::settings::Settings) -> Result<()> {
        settings.validate()?;
        self.inner.store.save_settings(settings)?;
        self.set_agent_paths(settings.agent_paths.clone());
        Ok(())
    }

    pub fn metrics(&self) -> Result<Metrics> {
        self.inner.store.metrics()
    }

    /// Whether compacting this session is advised (seed 002 shouldCompactSession).
    pub fn compaction_advised(&self, id: &str) -> Result<bool> {
        Ok(self.get(id)?.compaction_advised(self.inner.clock.now(), &self.inner.config.compaction))
    }

    /// Compacts a session: Compacting while `action` runs (the agent's compaction), then
    /// back to the state it was in with the message count reset — or Error if it failed.
    pub async fn compact_with<F>(&self, id: &str, action: F) -> Result<Session>
    where
        F: std::future::Future<Output = std::result::Result<(), String>>,
    {
        let before = self.get(id)?;
        if !matches!(before.status, SessionStatus::Running | SessionStatus::Idle) {
            return Err(Error::IllegalTransition { id: id.into(), from: before.status.name().into(), to: "compacting".into() });
        }
        self.set_status(id, SessionStatus::Compacting)?;
        match action.await {
            Ok(()) => self.update(id, |s| {
                if s.status == SessionStatus::Compacting {
                    s.status = before.status.clone();
                    s.message_count = 0;
                }
                Ok(())
            }),
            Err(message) => {
                let message = format!("compaction failed: {message}");
                self.log_task_event(id, TaskEventKind::Error, serde_json::json!({ "message": message }))?;
                self.set_status(id, SessionStatus::Error { message })
            }
        }
    }

    /// Adds (or moves) a named project: a name of `[A-Za-z0-9_-]{1,64}` and an absolute,
    /// existing directory, stored canonical.
    pub fn add_project(&self, name: &str, path: &str) -> Result<Project> {
        validate_project_name(name)?;
        let dir = validate_dir("path", path)?;
        let project = Project { name: name.to_string(), path: dir.to_string_lossy().into_owned(), created_at: self.inner.clock.now() };
        self.inner.store.insert_project(&project)?;
        Ok(project)
    }

    pub fn projects(&self) -> Result<Vec<Project>> {
        self.inner.store.list_projects()
    }

    /// The live session for the pair `from → to`, or a new one started in `to`'s folder
    /// from `template` (seed 002 getOrCreateSession). The pair is persisted.
    pub async fn get_or_create_pair(&self, from: &str, to: &str, template: NewSession) -> Result<Session> {
        validate_project_name(from)?;
        validate_project_name(to)?;
        let unknown = |n: &str| Error::invalid("project", format!("unknown project '{n}'"));
        self.inner.store.get_project(from)?.ok_or_else(|| unknown(from))?;
        let target = self.inner.store.get_project(to)?.ok_or_else(|| unknown(to))?;
        if let Some(id) = self.inner.store.pair_session(from, to)? {
            if let Some(s) = self.find(&id)? {
                if s.status.is_live() {
                    return Ok(s);
                }
            }
        }
        let request = NewSession {
            cwd: target.path.clone(),
            title: template.title.clone().or_else(|| Some(format!("{from} → {to}"))),
            ..template
        };
        let session = self.create(request).await?;
        self.inner.store.set_pair_session(from, to, &session.id, self.inner.clock.now())?;
        Ok(session)
    }

    /// One sweep: expires live sessions idle past their TTL (stopping their process) and
    /// purges finished sessions past the retention.
    pub async fn sweep(&self) -> Result<SweepReport> {
        let now = self.inner.clock.now();
        let mut report = SweepReport::default();
        for id in self.inner.store.expired_live(now)? {
            let changed = self.update(&id, |s| {
                if s.status.is_live() && s.expires_at < now {
                    s.status = SessionStatus::Expired;
                    s.ended_at = Some(now);
                }
                Ok(())
            })?;
            if changed.status == SessionStatus::Expired {
                self.stop_process(&id).await;
                self.log_task_event(&id, TaskEventKind::Ended, serde_json::json!({ "status": "expired" }))?;
                info!(session = %id, "idle past its TTL: expired");
                report.expired.push(id);
            }
        }
        if !self.inner.config.retention.is_zero() {
            let cutoff = now - chrono::Duration::from_std(self.inner.config.retention).unwrap_or(chrono::Duration::days(30));
            for id in self.inner.store.ended_before(cutoff, PURGE_BATCH)? {
                self.delete(&id).await?;
                report.purged.push(id);
            }
        }
        Ok(report)
    }

    /// Runs [`Engine::sweep`] every `sweep_interval` until the returned [`Sweeper`] is
    /// stopped or dropped. Must be called within a tokio runtime.
    pub fn start_sweeper(&self) -> Sweeper {
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let engine = self.clone();
        let every = self.inner.config.sweep_interval;
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await; // the first tick is immediate; sweep after one interval
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tick.tick() => {
                        if let Err(e) = engine.sweep().await {
                            warn!(error = %e, "sweep failed");
                        }
                    }
                }
            }
        });
        Sweeper { stop: Some(stop), task: Some(task) }
    }

    /// Stops every process this engine started and marks their sessions Interrupted
    /// (resumable). For a clean shutdown of the app.
    pub async fn shutdown(&self) {
        let handles: Vec<(String, ProcessHandle)> =
            self.procs().iter().map(|(k, v)| (k.clone(), v.handle.clone())).collect();
        for (id, handle) in handles {
            let _ = self.cancel_permissions(&id, "Switchboard is quitting");
            let _ = self.update(&id, |s| {
                if s.status.is_live() {
                    s.status = SessionStatus::Interrupted;
                    s.ended_at = Some(self.inner.clock.now());
                }
                Ok(())
            });
            handle.stop(self.inner.config.stop_grace).await;
        }
        self.inner.output.flush();
    }

    /// Reads, changes and writes one session under the write lock, checks the status
    /// transition, and announces the result.
    pub(crate) fn update(&self, id: &str, change: impl FnOnce(&mut Session) -> Result<()>) -> Result<Session> {
        let session = {
            let _guard = self.inner.write_lock.lock().unwrap_or_else(|e| e.into_inner());
            let before = self.get(id)?;
            let mut after = before.clone();
            change(&mut after)?;
            if !before.status.can_become(&after.status) {
                return Err(Error::IllegalTransition {
                    id: id.to_string(),
                    from: before.status.name().to_string(),
                    to: after.status.name().to_string(),
                });
            }
            if after == before {
                return Ok(after);
            }
            if !self.inner.store.update_session(&after)? {
                return Err(Error::NotFound(id.to_string()));
            }
            after
        };
        self.emit(EngineEvent::SessionChanged { session: session.clone() });
        Ok(session)
    }

    /// Appends one output entry with the session's next seq.
    pub(crate) fn record_output(&self, id: &str, stream: Stream, kind: &str, payload: String) {
        let entry = OutputEntry { session_id: id.to_string(), seq: 0, ts: self.inner.clock.now(), stream, kind: kind.to_string(), payload };
        self.inner.output.push(entry);
    }

    fn process_exited(&self, id: &str, agent: AgentKind, exit: Exit) {
        let proc = self.procs().remove(id);
        let _ = self.cancel_permissions(id, "the agent exited before it was answered");
        self.record_output(id, Stream::System, "lifecycle", exit.describe());
        self.inner.output.close(id);
        let now = self.inner.clock.now();
        let last_stderr = proc.as_ref().and_then(|p| p.last_stderr.clone());
        let turn_ok = proc.as_ref().is_some_and(|p| p.turn_ended_ok);
        let mut failed = None;
        let result = self.update(id, |s| {
            s.exit_code = exit.code;
            s.pid = None;
            if !s.status.is_live() {
                return Ok(());
            }
            let clean = exit.success() || exit.stopped;
            match agent {
                // One-shot agents: a turn done and a clean exit leave the session ready for
                // a follow-up (which resumes it).
                AgentKind::Codex | AgentKind::Gemini if clean && turn_ok => s.status = SessionStatus::Idle,
                _ if clean => {
                    s.status = SessionStatus::Ended;
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
                    s.status = SessionStatus::Error { message: message.clone() };
                    s.ended_at = Some(now);
                    failed = Some(message);
                }
            }
            Ok(())
        });
        if let Some(message) = failed.clone() {
            if let Err(e) = self.log_task_event(id, TaskEventKind::Error, serde_json::json!({ "message": message })) {
                warn!(session = %id, error = %e, "could not log the exit");
            }
        }
        self.finish_turn_waiters(id, Err(failed.unwrap_or_else(|| format!("the agent {} before answering", exit.describe()))));
        if let Err(e) = result {
            warn!(session = %id, error = %e, "could not record the exit");
        }
    }
}

/// Finished sessions purged per sweep at most, so one sweep stays short.
const PURGE_BATCH: u32 = 1_000;

/// The longest stderr line kept to explain a crash.
const LAST_STDERR_CHARS: usize = 500;

/// A process this engine started, and what the engine tracks of its conversation.
pub(crate) struct Proc {
    pub(crate) handle: ProcessHandle,
    pub(crate) interactive: bool,
    /// The agent's cumulative cost reported so far by this process (Claude reports totals).
    pub(crate) reported_cost: f64,
    /// When the current turn started, and the text sent.
    pub(crate) turn_started: Option<std::time::Instant>,
    /// Assistant text of the current turn, for sendCommand's output (bounded).
    pub(crate) turn_text: String,
    pub(crate) interrupting: bool,
    pub(crate) turn_ended_ok: bool,
    pub(crate) last_stderr: Option<String>,
}

impl Proc {
    fn new(handle: ProcessHandle, interactive: bool) -> Proc {
        Proc { handle, interactive, reported_cost: 0.0, turn_started: None, turn_text: String::new(), interrupting: false, turn_ended_ok: false, last_stderr: None }
    }
}

struct SessionSink {
    engine: Engine,
    id: String,
    agent: AgentKind,
}

impl ProcessSink for SessionSink {
    fn line(&self, stream: Stream, mut line: String, truncated: usize) {
        if truncated > 0 {
            line.push_str(&format!(" … [{truncated} more bytes of this line were cut]"));
        }
        if stream == Stream::Stderr || self.agent == AgentKind::Command {
            if stream == Stream::Stderr {
                if let Some(p) = self.engine.procs().get_mut(&self.id) {
                    p.last_stderr = Some(line.chars().take(LAST_STDERR_CHARS).collect());
                }
            }
            self.engine.record_output(&self.id, stream, "line", line);
            return;
        }
        let parsed = crate::agents::adapter(self.agent).parse(&line);
        let signal = parsed.signal.clone();
        if parsed.store {
            if matches!(parsed.kind, "assistant_text") {
                self.engine.collect_turn_text(&self.id, &line);
            }
            self.engine.record_output(&self.id, stream, parsed.kind, line);
        }
        if let Some(signal) = signal {
            self.engine.on_signal(&self.id, signal);
        }
    }

    fn exited(&self, exit: Exit) {
        self.engine.process_exited(&self.id, self.agent, exit);
    }
}

fn agent_name(agent: AgentKind) -> &'static str {
    match agent {
        AgentKind::Claude => "Claude Code",
        AgentKind::Codex => "Codex",
        AgentKind::Gemini => "Gemini CLI",
        AgentKind::Command => "the command",
    }
}

/// A title when none was given: the command line, or the first prompt, or the folder.
fn default_title(agent: AgentKind, config: &crate::model::SessionConfig, cwd: &Path) -> String {
    let text = match (agent, config.prompt.as_deref().filter(|p| !p.trim().is_empty())) {
        (AgentKind::Command, _) => std::iter::once(config.program.as_deref().unwrap_or("").trim())
            .chain(config.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        (_, Some(prompt)) => prompt.trim().lines().next().unwrap_or("").to_string(),
        _ => format!("{} in {}", agent_name(agent), cwd.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| cwd.to_string_lossy().into_owned())),
    };
    text.chars().take(80).collect()
}

fn spawn_message(launch: &Launch, e: &std::io::Error) -> String {
    let program = launch.program.display();
    match e.kind() {
        std::io::ErrorKind::NotFound => format!("could not start '{program}': no such program (is it installed and on PATH?)"),
        std::io::ErrorKind::PermissionDenied => format!("could not start '{program}': permission denied (is it executable?)"),
        _ => format!("could not start '{program}': {e}"),
    }
}

/// An absolute, existing directory, canonicalized.
fn validate_dir(field: &'static str, dir: &str) -> Result<PathBuf> {
    let trimmed = dir.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(field, "the folder is required"));
    }
    let path = Path::new(trimmed);
    if !path.is_absolute() {
        return Err(Error::invalid(field, format!("the folder must be an absolute path, not '{trimmed}'")));
    }
    let canonical = path.canonicalize().map_err(|_| Error::invalid(field, format!("the folder '{trimmed}' does not exist")))?;
    if !canonical.is_dir() {
        return Err(Error::invalid(field, format!("'{trimmed}' is not a folder")));
    }
    Ok(canonical)
}

/// Project names (seed 002's team names): `[A-Za-z0-9_-]{1,64}`.
fn validate_project_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(Error::invalid("project", format!("invalid project name '{name}': use 1-64 letters, digits, '_' or '-'")));
    }
    Ok(())
}

/// Task, MCP and service ids: 1–128 of `[A-Za-z0-9._:-]`, not starting with `-`
/// (so they can never be mistaken for a flag when passed to an agent).
fn validate_link(field: &'static str, value: Option<String>) -> Result<Option<String>> {
    let Some(v) = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > MAX_LINK_ID_CHARS {
        return Err(Error::invalid(field, format!("{} is longer than {MAX_LINK_ID_CHARS} characters", field.replace('_', " "))));
    }
    if v.starts_with('-') || !v.chars().all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c)) {
        return Err(Error::invalid(
            field,
            format!("{} '{v}' may only contain letters, digits, '.', '_', ':' and '-', and cannot start with '-'", field.replace('_', " ")),
        ));
    }
    Ok(Some(v))
}

fn pid_alive(pid: u32) -> bool {
    // Signal 0 checks existence without touching the process.
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None).is_ok()
}

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
    AgentKind, CompactionPolicy, EngineEvent, Metrics, NewSession, OutputEntry, Project, Session, SessionFilter, SessionStatus, Stream,
    TaskEvent, TaskEventKind, Usage,
};
use crate::output::{OutputHub, StorageFailure, Subscription};
use crate::procid::ProcessId;
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
    /// A cap on the database's size in pages (SQLite's `max_page_count`); past it, writes
    /// fail as on a full disk. None: only the disk limits it.
    pub max_db_pages: Option<u64>,
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
            max_db_pages: None,
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

/// Told the end of a session's current turn: its result text, or an error message.
pub(crate) type TurnWaiter = tokio::sync::oneshot::Sender<std::result::Result<String, String>>;

pub(crate) struct Inner {
    pub(crate) store: Arc<Store>,
    output: Arc<OutputHub>,
    data_dir: PathBuf,
    pub(crate) config: EngineConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdSource>,
    events: broadcast::Sender<EngineEvent>,
    /// This Switchboard process, as recorded as the owner of the sessions it runs.
    pub(crate) me: ProcessId,
    /// Sessions this engine is starting right now (inserted, process not yet recorded):
    /// reconciliation must not take them for leftovers. Bounded by concurrent starts.
    starting: Mutex<std::collections::HashSet<String>>,
    /// The runtime the engine's processes run on, for work started from plain threads
    /// (the output writer reporting a full disk). Set by the first start.
    runtime: std::sync::OnceLock<tokio::runtime::Handle>,
    /// Processes this engine started, by session id. Bounded by `max_live_sessions`.
    pub(crate) processes: Mutex<HashMap<String, Proc>>,
    /// Callers waiting for the end of a session's current turn (`send`). Bounded: one
    /// entry per waiting call, removed when the turn ends or the call times out.
    pub(crate) turn_waiters: Mutex<HashMap<String, Vec<TurnWaiter>>>,
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
        let store = Arc::new(Store::open_with(data_dir, config.max_db_pages)?);
        let agent_paths = store.settings()?.agent_paths;
        let output = OutputHub::new(store.clone(), config.output_cap);
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let engine = Engine {
            inner: Arc::new(Inner {
                store,
                output,
                data_dir: data_dir.to_path_buf(),
                config,
                clock,
                ids,
                events,
                me: ProcessId::me(),
                starting: Mutex::new(Default::default()),
                runtime: std::sync::OnceLock::new(),
                processes: Mutex::new(HashMap::new()),
                turn_waiters: Mutex::new(HashMap::new()),
                agent_paths: Mutex::new(agent_paths),
                permission_wakers: Mutex::new(HashMap::new()),
            }),
        };
        // The writer tells us when output cannot be stored (disk full): those sessions
        // fail and their agents are stopped. A weak reference: the hub lives in `inner`.
        let weak = Arc::downgrade(&engine.inner);
        engine.inner.output.on_failure(Box::new(move |failure| {
            if let Some(inner) = weak.upgrade() {
                Engine { inner }.storage_failed(failure);
            }
        }));
        Ok(engine)
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

    /// Sessions matching `filter`. Rows that cannot be read are left out and reported by
    /// [`Engine::corrupt_sessions`]: one bad row never empties the window.
    pub fn list(&self, filter: &SessionFilter) -> Result<Vec<Session>> {
        self.inner.store.list_sessions(filter)
    }

    /// Stored sessions found unreadable so far (id, why), for the UI and CLI to report.
    pub fn corrupt_sessions(&self) -> Vec<(String, String)> {
        self.inner.store.corrupt_sessions()
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

    /// Settles sessions whose owning Switchboard process is gone — after a crash, a
    /// `kill -9`, or an unclean exit — and every row that still has a process recorded
    /// (a final status written just before a crash, while its process still ran). Any
    /// process of such a session still alive (same pid, start time and boot) is stopped
    /// first, group and all, so nothing is left orphaned; a live session becomes
    /// Interrupted and stays resumable. Sessions owned by another Switchboard process that
    /// is still running are left alone. Every Switchboard process (the app at start-up
    /// and on each sweep, each CLI command) calls this when it opens the store.
    /// One unreadable row is reported and skipped, never stops the rest.
    pub async fn reconcile(&self) -> Result<Vec<Session>> {
        let mut changed = Vec::new();
        for id in self.inner.store.sessions_to_reconcile()? {
            match self.reconcile_one(&id).await {
                Ok(Some(s)) => changed.push(s),
                Ok(None) => {}
                Err(e) => warn!(session = %id, error = %e, "could not reconcile a session; skipping it"),
            }
        }
        Ok(changed)
    }

    async fn reconcile_one(&self, id: &str) -> Result<Option<Session>> {
        if self.procs().contains_key(id) || self.starting().contains(id) {
            return Ok(None);
        }
        let record = self.inner.store.process_of(id)?;
        let owner_alive = record.owner.as_ref().is_some_and(|o| o.is_alive());
        let owner_is_me = record.owner.as_ref() == Some(&self.inner.me);
        if owner_alive && !owner_is_me {
            return Ok(None);
        }
        if owner_is_me && record.process.is_none() {
            // Ours and between processes (a one-shot agent idle between turns): nothing left over.
            return Ok(None);
        }
        if let Some(p) = record.process.as_ref().filter(|p| p.is_alive()) {
            warn!(session = %id, pid = p.pid, "process left over by a Switchboard that is gone: stopping its group");
            runner::stop_tree(p.pid, self.inner.config.stop_grace).await;
        }
        let session = self.get(id)?;
        if !session.status.is_live() {
            self.inner.store.clear_process(id)?;
            return Ok(None);
        }
        info!(session = %id, "its Switchboard process is gone: marking interrupted");
        // Questions it asked died with its process; a resumed conversation asks again.
        self.cancel_permissions(id, "Switchboard stopped before it was answered")?;
        let now = self.inner.clock.now();
        let s = self.update_logged(
            id,
            |s| {
                if s.status.is_live() {
                    s.status = SessionStatus::Interrupted;
                    s.ended_at = Some(now);
                }
                s.pid = None;
                Ok(())
            },
            Some((TaskEventKind::Ended, serde_json::json!({ "status": "interrupted", "reason": "its Switchboard process was gone" }))),
        )?;
        Ok(Some(s))
    }

    fn starting(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.inner.starting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks a session as being started by this engine until the guard drops, so that no
    /// reconciliation (this process's sweep included) takes it for a leftover meanwhile.
    pub(crate) fn mark_starting(&self, id: &str) -> StartingGuard<'_> {
        self.starting().insert(id.to_string());
        StartingGuard { engine: self, id: id.to_string() }
    }

    /// Creates a session and starts its agent. A failure to start (missing program) is not
    /// an error here: the session is recorded with status Error and the reason, so the user
    /// sees it where they look. Bad input is an error and nothing is written.
    #[instrument(skip_all, fields(cwd = %req.cwd))]
    pub async fn create(&self, req: NewSession) -> Result<Session> {
        let prompt = req.config.prompt.clone().filter(|p| !p.trim().is_empty());
        let (session, program) = self.prepare(req)?;
        let _starting = self.mark_starting(&session.id);
        self.inner.store.insert_session_owned(&session, &self.inner.me, Some(self.inner.config.max_live_sessions))?;
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
        // Limits the kernel enforces at exec (each argument or NAME=value string at most
        // MAX_ARG_STRLEN, 128 KiB; all of them together ARG_MAX, 2 MiB by default, shared with
        // the inherited environment), checked here so a bad request is refused with its field
        // instead of becoming a session that failed to start.
        const MAX_ARG_BYTES: usize = 128 * 1024 - 1;
        const MAX_LAUNCH_BYTES: usize = 1024 * 1024;
        const MAX_ARGS: usize = 4096;
        // Far more than any agent needs; bounds the stored config and the error list.
        const MAX_ENV_VARS: usize = 1024;
        const MAX_MODEL_CHARS: usize = 200;
        const PATH_MAX: usize = 4096;
        let short = |v: &str| crate::error::shorten(v, crate::error::MAX_VALUE_IN_ERROR);
        if agent == AgentKind::Command {
            let p = program.to_string_lossy();
            if p.len() > PATH_MAX {
                return Err(Error::invalid("program", format!("the program is longer than {PATH_MAX} bytes")));
            }
            if p.chars().any(char::is_control) {
                return Err(Error::invalid("program", format!("the program '{}' contains control characters", short(&p))));
            }
            if p.starts_with('-') {
                return Err(Error::invalid("program", format!("the program cannot start with '-': '{}'", short(&p))));
            }
        }
        if req.config.args.iter().any(|a| a.contains('\0')) {
            return Err(Error::invalid("args", "arguments cannot contain NUL bytes"));
        }
        if req.config.args.len() > MAX_ARGS {
            return Err(Error::invalid("args", format!("more than {MAX_ARGS} arguments")));
        }
        if let Some(i) = req.config.args.iter().position(|a| a.len() > MAX_ARG_BYTES) {
            return Err(Error::invalid("args", format!("argument {} is longer than {MAX_ARG_BYTES} bytes", i + 1)));
        }
        if req.config.env.len() > MAX_ENV_VARS {
            return Err(Error::invalid("env", format!("more than {MAX_ENV_VARS} environment variables ({})", req.config.env.len())));
        }
        for (k, v) in &req.config.env {
            if k.is_empty() || k.contains('=') || k.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(Error::invalid("env", format!("invalid environment variable name '{}'", short(k))));
            }
            if v.contains('\0') {
                return Err(Error::invalid("env", format!("the value of {} contains a NUL byte", short(k))));
            }
            if k.len() + 1 + v.len() > MAX_ARG_BYTES {
                return Err(Error::invalid("env", format!("{} is longer than {MAX_ARG_BYTES} bytes with its value", short(k))));
            }
        }
        let launch_bytes: usize = req.config.args.iter().map(|a| a.len() + 1).sum::<usize>()
            + req.config.env.iter().map(|(k, v)| k.len() + v.len() + 2).sum::<usize>();
        if launch_bytes > MAX_LAUNCH_BYTES {
            let field = if req.config.env.is_empty() { "args" } else { "env" };
            return Err(Error::invalid(field, format!("arguments and environment together exceed {MAX_LAUNCH_BYTES} bytes")));
        }
        // Passed to Claude as one argument. (A prompt may be longer: Claude reads it on stdin.)
        if req.config.append_system_prompt.as_ref().is_some_and(|t| t.len() > MAX_ARG_BYTES) {
            return Err(Error::invalid("append_system_prompt", format!("the system prompt addition is longer than {MAX_ARG_BYTES} bytes")));
        }
        if let Some(m) = req.config.model.as_deref() {
            if m.chars().count() > MAX_MODEL_CHARS || m.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "model",
                    format!("the model '{}' is longer than {MAX_MODEL_CHARS} characters or contains control characters", short(m)),
                ));
            }
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
        // The live-session limit is checked in the insert's transaction (Store::insert_session_owned).
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
            (false, Some(p)) => Err(Error::invalid(
                "agent",
                format!(
                    "{agent} was looked for at {p}, which is not an executable file; fix the path in Settings or install it: {}",
                    info.install_hint
                ),
            )),
            _ => Err(Error::invalid(
                "agent",
                format!("{agent} is not installed (or not on PATH). Install it with `{}`, or set its path in Settings.", info.install_hint),
            )),
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

    pub(crate) fn ttl(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.inner.config.idle_ttl).unwrap_or(chrono::Duration::hours(1))
    }

    /// Starts (or, with `resume`, restarts) a session's agent process; sends `prompt` as the
    /// first message. A start failure becomes the session's Error status.
    pub(crate) async fn start(&self, session: &Session, program: &Path, resume: bool, prompt: Option<String>) -> Result<Session> {
        let id = session.id.as_str();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let _ = self.inner.runtime.set(handle);
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
        let sink = Arc::new(SessionSink { engine: self.clone(), id: id.to_string(), agent: session.agent });
        match runner::spawn(&launch, sink) {
            Ok(handle) => {
                let pid = handle.pid();
                self.procs().insert(id.to_string(), Proc::new(handle.clone(), adapter.interactive()));
                self.inner.store.set_process(id, &ProcessId::of(pid), &self.inner.me)?;
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
                    // One-shot agents got the prompt at launch (on stdin).
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
        let now = self.inner.clock.now();
        // The status is final before the process is stopped (so its exit is not taken for a
        // crash); the pid stays recorded until it is gone, so a crash in between leaves a
        // row that the next reconciliation finishes.
        let ended = self.update_logged(
            id,
            |s| {
                if s.status.is_live() {
                    s.status = SessionStatus::Ended;
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
    async fn stop_process(&self, id: &str) {
        let handle = self.procs().get(id).map(|p| p.handle.clone());
        if let Some(handle) = handle {
            handle.stop(self.inner.config.stop_grace).await;
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

    /// The pid of another, still running Switchboard process that runs this session's
    /// agent (its stdin belongs to that process), if any.
    pub fn foreign_owner(&self, id: &str) -> Result<Option<u32>> {
        if self.procs().contains_key(id) {
            return Ok(None);
        }
        let record = self.inner.store.process_of(id)?;
        Ok(match (record.owner, record.process) {
            (Some(owner), Some(p)) if owner.pid != self.inner.me.pid && owner.is_alive() && p.is_alive() => Some(owner.pid),
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
        // Numbers come from the agent: counters saturate, the cost is clamped, so a bogus
        // report can neither wrap a counter nor turn the total into infinity.
        let cost = usage.cost_usd.min(MAX_TURN_COST_USD);
        self.update(id, |s| {
            s.message_count = s.message_count.saturating_add(usage.messages);
            s.turns = s.turns.saturating_add(usage.turns);
            s.input_tokens = s.input_tokens.saturating_add(usage.input_tokens);
            s.output_tokens = s.output_tokens.saturating_add(usage.output_tokens);
            s.cost_usd = (s.cost_usd + cost).min(MAX_TOTAL_COST_USD);
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
        let request =
            NewSession { cwd: target.path.clone(), title: template.title.clone().or_else(|| Some(format!("{from} → {to}"))), ..template };
        let session = self.create(request).await?;
        self.inner.store.set_pair_session(from, to, &session.id, self.inner.clock.now())?;
        Ok(session)
    }

    /// One sweep: settles sessions whose Switchboard process is gone (see
    /// [`Engine::reconcile`]), expires sessions *idle* past their TTL (stopping their
    /// process), and purges finished sessions past the retention. A running turn, a
    /// pending permission or a compaction is never expired, and sessions another live
    /// Switchboard process runs are left to it. One bad row is logged and skipped.
    pub async fn sweep(&self) -> Result<SweepReport> {
        if let Err(e) = self.reconcile().await {
            warn!(error = %e, "could not reconcile sessions during a sweep");
        }
        let now = self.inner.clock.now();
        let mut report = SweepReport::default();
        for id in self.inner.store.expired_live(now)? {
            match self.expire(&id, now).await {
                Ok(true) => report.expired.push(id),
                Ok(false) => {}
                Err(e) => warn!(session = %id, error = %e, "could not expire a session; skipping it"),
            }
        }
        if !self.inner.config.retention.is_zero() {
            let cutoff = now - chrono::Duration::from_std(self.inner.config.retention).unwrap_or(chrono::Duration::days(30));
            for id in self.inner.store.ended_before(cutoff, PURGE_BATCH)? {
                match self.delete(&id).await {
                    Ok(()) => report.purged.push(id),
                    Err(e) => warn!(session = %id, error = %e, "could not purge a session; skipping it"),
                }
            }
        }
        Ok(report)
    }

    /// Expires one idle session past its TTL; false when it is not (any more) to expire.
    async fn expire(&self, id: &str, now: DateTime<Utc>) -> Result<bool> {
        if self.foreign_owner(id)?.is_some() {
            return Ok(false);
        }
        let changed = self.update_logged(
            id,
            |s| {
                if matches!(s.status, SessionStatus::Idle | SessionStatus::Starting) && s.expires_at < now {
                    s.status = SessionStatus::Expired;
                    s.ended_at = Some(now);
                }
                Ok(())
            },
            Some((TaskEventKind::Ended, serde_json::json!({ "status": "expired" }))),
        )?;
        if changed.status != SessionStatus::Expired {
            return Ok(false);
        }
        self.stop_process(id).await;
        info!(session = %id, "idle past its TTL: expired");
        Ok(true)
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
    /// (resumable). For a clean shutdown of the app, or a CLI told to stop. The processes
    /// are stopped all at once: quitting with 100 hung agents takes one grace period, not 100.
    pub async fn shutdown(&self) {
        let handles: Vec<(String, ProcessHandle)> = self.procs().iter().map(|(k, v)| (k.clone(), v.handle.clone())).collect();
        let now = self.inner.clock.now();
        let mut stops = tokio::task::JoinSet::new();
        for (id, handle) in handles {
            let _ = self.cancel_permissions(&id, "Switchboard is quitting");
            let marked = self.update_logged(
                &id,
                |s| {
                    if s.status.is_live() {
                        s.status = SessionStatus::Interrupted;
                        s.ended_at = Some(now);
                    }
                    Ok(())
                },
                Some((TaskEventKind::Ended, serde_json::json!({ "status": "interrupted", "reason": "Switchboard stopped it" }))),
            );
            if let Err(e) = marked {
                warn!(session = %id, error = %e, "could not mark the session interrupted");
            }
            let grace = self.inner.config.stop_grace;
            stops.spawn(async move { handle.stop(grace).await });
        }
        while stops.join_next().await.is_some() {}
        self.inner.output.flush();
    }

    /// Reads, changes and writes one session atomically across processes (an immediate
    /// transaction, see [`Store::immediate`]), checks the status transition, and announces
    /// the result.
    pub(crate) fn update(&self, id: &str, change: impl FnOnce(&mut Session) -> Result<()>) -> Result<Session> {
        self.update_logged(id, change, None)
    }

    /// [`Engine::update`], and — when the change moved the status — `event` appended to
    /// the task log in the same transaction: the status and its record are never apart
    /// (a session never shows "working" without the "command sent" that started it).
    pub(crate) fn update_logged(
        &self,
        id: &str,
        change: impl FnOnce(&mut Session) -> Result<()>,
        event: Option<(TaskEventKind, serde_json::Value)>,
    ) -> Result<Session> {
        let mut before_status = None;
        self.change_session(id, |s| {
            before_status = Some(s.status.name());
            change(s)?;
            Ok(event.filter(|_| before_status != Some(s.status.name())))
        })
    }

    /// The one read-modify-write of a session: `change` edits it and may return a task
    /// event, which is appended in the same transaction when the row changed.
    pub(crate) fn change_session(
        &self,
        id: &str,
        change: impl FnOnce(&mut Session) -> Result<Option<(TaskEventKind, serde_json::Value)>>,
    ) -> Result<Session> {
        let mut change = Some(change);
        let now = self.inner.clock.now();
        let (session, wrote) = self.inner.store.immediate(|tx| {
            let before = crate::store::get_session_in(tx, id)?.ok_or_else(|| Error::NotFound(id.to_string()))?;
            let mut after = before.clone();
            // The change runs once. A transaction retried because another process held
            // the lock fails before this point (at BEGIN), so the change is never lost.
            let Some(change) = change.take() else {
                return Err(Error::Corrupt("a session change was attempted twice".into()));
            };
            let event = change(&mut after)?;
            if !before.status.can_become(&after.status) {
                return Err(Error::IllegalTransition {
                    id: id.to_string(),
                    from: before.status.name().to_string(),
                    to: after.status.name().to_string(),
                });
            }
            if after == before {
                return Ok((after, false));
            }
            if !crate::store::update_session_in(tx, &after)? {
                return Err(Error::NotFound(id.to_string()));
            }
            if let Some((kind, detail)) = &event {
                crate::store::insert_task_event_in(tx, after.task_id.as_deref(), id, now, *kind, detail)?;
            }
            Ok((after, true))
        })?;
        if wrote {
            self.emit(EngineEvent::SessionChanged { session: session.clone() });
        }
        Ok(session)
    }

    /// Appends one output entry with the session's next seq.
    pub(crate) fn record_output(&self, id: &str, stream: Stream, kind: &str, payload: String) {
        let now = self.inner.clock.now();
        let entry = OutputEntry { session_id: id.to_string(), seq: 0, ts: now, stream, kind: kind.to_string(), payload };
        self.inner.output.push(entry);
    }

    /// The agent printed something: that is activity, and the idle TTL starts over. Kept
    /// in memory per process and written at most every [`ACTIVITY_WRITE_INTERVAL`], so a
    /// chatty agent costs one row update a minute, not one per line.
    fn agent_active(&self, id: &str) {
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
    fn fail(&self, id: &str, message: &str) -> Result<Session> {
        let now = self.inner.clock.now();
        self.update_logged(
            id,
            |s| {
                if s.status.is_live() {
                    s.status = SessionStatus::Error { message: message.to_string() };
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
    fn storage_failed(&self, failure: StorageFailure) {
        for id in failure.sessions {
            let message = failure.message.clone();
            match self.fail(&id, &message) {
                Ok(_) => {}
                Err(e) => {
                    warn!(session = %id, error = %e, "could not record the storage failure in the store");
                    if let Ok(mut s) = self.get(&id) {
                        s.status = SessionStatus::Error { message: message.clone() };
                        s.last_error = Some(message.clone());
                        self.emit(EngineEvent::SessionChanged { session: s });
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
    fn line_too_long(&self, id: &str, cut: usize) {
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

    fn process_exited(&self, id: &str, agent: AgentKind, exit: Exit) {
        let proc = self.procs().remove(id);
        let _ = self.cancel_permissions(id, "the agent exited before it was answered");
        self.record_output(id, Stream::System, "lifecycle", exit.describe());
        self.inner.output.close(id);
        let now = self.inner.clock.now();
        let last_stderr = proc.as_ref().and_then(|p| p.last_stderr.clone());
        let turn_ok = proc.as_ref().is_some_and(|p| p.turn_ended_ok);
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
                    failed = Some(message.clone());
                    return Ok(Some((TaskEventKind::Error, serde_json::json!({ "message": message }))));
                }
            }
            Ok(None)
        });
        self.finish_turn_waiters(id, Err(failed.unwrap_or_else(|| format!("the agent {} before answering", exit.describe()))));
        if let Err(e) = result {
            // The row keeps its pid: the next sweep (or whichever Switchboard opens the
            // store next) finds the process gone and settles the session.
            warn!(session = %id, error = %e, "could not record the exit; the next sweep will settle it");
        }
    }
}

/// Finished sessions purged per sweep at most, so one sweep stays short.
const PURGE_BATCH: u32 = 1_000;

/// Output extends a session's idle TTL; the new `last_activity` is written at most this
/// often per process (a minute is nothing against an hour's TTL).
pub const ACTIVITY_WRITE_INTERVAL: Duration = Duration::from_secs(60);

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
    /// When activity from this process was last written to the session row.
    activity_written: Option<DateTime<Utc>>,
}

impl Proc {
    fn new(handle: ProcessHandle, interactive: bool) -> Proc {
        Proc {
            handle,
            interactive,
            reported_cost: 0.0,
            turn_started: None,
            turn_text: String::new(),
            interrupting: false,
            turn_ended_ok: false,
            last_stderr: None,
            activity_written: None,
        }
    }
}

struct SessionSink {
    engine: Engine,
    id: String,
    agent: AgentKind,
}

impl ProcessSink for SessionSink {
    fn line(&self, stream: Stream, mut line: String, truncated: usize) {
        self.engine.agent_active(&self.id);
        if truncated > 0 {
            line.push_str(&format!(" … [{truncated} more bytes of this line were cut]"));
            if stream == Stream::Stdout && self.agent != AgentKind::Command {
                self.engine.record_output(&self.id, stream, "raw", line);
                self.engine.line_too_long(&self.id, truncated);
                return;
            }
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
        _ => format!(
            "{} in {}",
            agent_name(agent),
            cwd.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| cwd.to_string_lossy().into_owned())
        ),
    };
    text.chars().take(80).collect()
}

fn spawn_message(launch: &Launch, e: &std::io::Error) -> String {
    let program = crate::error::shorten(&launch.program.to_string_lossy(), 200);
    // The folder is entered before the program is executed: a folder the user cannot enter
    // (changed since the session was created) fails the same way; say which one it was.
    let cannot_enter = |dir: &Path| nix::unistd::access(dir, nix::unistd::AccessFlags::X_OK).is_err();
    match e.kind() {
        std::io::ErrorKind::NotFound if !launch.cwd.is_dir() => {
            format!(
                "could not start '{program}': the folder '{}' does not exist",
                crate::error::shorten(&launch.cwd.to_string_lossy(), 200)
            )
        }
        std::io::ErrorKind::NotFound => format!("could not start '{program}': no such program (is it installed and on PATH?)"),
        std::io::ErrorKind::PermissionDenied if cannot_enter(&launch.cwd) => {
            format!(
                "could not start '{program}': cannot enter folder '{}': permission denied",
                crate::error::shorten(&launch.cwd.to_string_lossy(), 200)
            )
        }
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
    let shown = crate::error::shorten(trimmed, 200);
    let path = Path::new(trimmed);
    if !path.is_absolute() {
        return Err(Error::invalid(field, format!("the folder must be an absolute path, not '{shown}'")));
    }
    let canonical = path.canonicalize().map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => Error::invalid(field, format!("cannot enter folder '{shown}': permission denied")),
        _ => Error::invalid(field, format!("the folder '{shown}' does not exist")),
    })?;
    if !canonical.is_dir() {
        return Err(Error::invalid(field, format!("'{shown}' is not a folder")));
    }
    // The agent starts in it: without search (x) permission the start would fail later and
    // look like the program's fault.
    if nix::unistd::access(&canonical, nix::unistd::AccessFlags::X_OK).is_err() {
        return Err(Error::invalid(field, format!("cannot enter folder '{shown}': permission denied")));
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
            format!(
                "{} '{}' may only contain letters, digits, '.', '_', ':' and '-', and cannot start with '-'",
                field.replace('_', " "),
                crate::error::shorten(&v, MAX_LINK_ID_CHARS)
            ),
        ));
    }
    Ok(Some(v))
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

/// The most one turn may add to a session's cost; an agent reporting more is clamped
/// (no real turn costs a million dollars; a bogus 1e308 must not become infinity).
pub const MAX_TURN_COST_USD: f64 = 1e6;

/// A session's total cost saturates here.
pub const MAX_TOTAL_COST_USD: f64 = 1e12;

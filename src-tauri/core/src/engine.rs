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
use crate::model::{AgentKind, EngineEvent, NewSession, OutputEntry, Session, SessionFilter, SessionStatus, Stream};
use crate::runner::{self, Exit, Launch, ProcessHandle, ProcessSink};
use crate::store::Store;

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
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_live_sessions: 100,
            idle_ttl: Duration::from_secs(60 * 60),
            stop_grace: Duration::from_secs(3),
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
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    data_dir: PathBuf,
    config: EngineConfig,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    events: broadcast::Sender<EngineEvent>,
    /// Serializes read-modify-write of session rows so two changes cannot interleave.
    write_lock: Mutex<()>,
    /// Processes this engine started, by session id. Bounded by `max_live_sessions`.
    processes: Mutex<HashMap<String, ProcessHandle>>,
    /// Next output seq per session with a running process (seq is strictly increasing).
    seqs: Mutex<HashMap<String, u64>>,
}

impl Engine {
    /// Opens the store in `data_dir` with the system clock and UUIDv7 ids.
    pub fn open(data_dir: &Path, config: EngineConfig) -> Result<Engine> {
        Engine::open_with(data_dir, config, Arc::new(SystemClock), Arc::new(V7Ids))
    }

    pub fn open_with(data_dir: &Path, config: EngineConfig, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> Result<Engine> {
        let store = Store::open(data_dir)?;
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Ok(Engine {
            inner: Arc::new(Inner {
                store,
                data_dir: data_dir.to_path_buf(),
                config,
                clock,
                ids,
                events,
                write_lock: Mutex::new(()),
                processes: Mutex::new(HashMap::new()),
                seqs: Mutex::new(HashMap::new()),
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

    fn emit(&self, event: EngineEvent) {
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

    /// Output entries of a session after `after_seq`, oldest first.
    pub fn output(&self, id: &str, after_seq: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        self.get(id)?;
        self.inner.store.read_output(id, after_seq, limit)
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
            if self.inner.processes.lock().unwrap_or_else(|e| e.into_inner()).contains_key(&s.id) {
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
    #[instrument(skip_all, fields(agent, cwd = %req.cwd))]
    pub async fn create(&self, req: NewSession) -> Result<Session> {
        let (session, launch) = self.prepare(req)?;
        self.inner.store.insert_session(&session)?;
        info!(session = %session.id, "session created");
        self.emit(EngineEvent::SessionChanged { session: session.clone() });
        self.start(&session.id, launch).await
    }

    fn prepare(&self, req: NewSession) -> Result<(Session, Launch)> {
        let agent = req.agent.unwrap_or(AgentKind::Command);
        if agent != AgentKind::Command {
            return Err(Error::invalid("agent", format!("the {agent} agent is not supported yet; use a command")));
        }
        let cwd = validate_cwd(&req.cwd)?;
        let program = req.config.program.as_deref().map(str::trim).unwrap_or("").to_string();
        let program = program.as_str();
        if program.is_empty() {
            return Err(Error::invalid("program", "the program to run is required"));
        }
        if program.contains('\0') || req.config.args.iter().any(|a| a.contains('\0')) {
            return Err(Error::invalid("program", "the program and its arguments cannot contain NUL bytes"));
        }
        for (k, v) in &req.config.env {
            if k.is_empty() || k.contains('=') || k.contains('\0') || v.contains('\0') {
                return Err(Error::invalid("env", format!("invalid environment variable name '{k}'")));
            }
        }
        let task_id = validate_link("task_id", req.task_id)?;
        let mcp_session_id = validate_link("mcp_session_id", req.mcp_session_id)?;
        let service_session_id = validate_link("service_session_id", req.service_session_id)?;
        let title = match req.title.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
            Some(t) if t.chars().count() > MAX_TITLE_CHARS => {
                return Err(Error::invalid("title", format!("the title is longer than {MAX_TITLE_CHARS} characters")))
            }
            Some(t) => t,
            None => {
                let launch_line = std::iter::once(program).chain(req.config.args.iter().map(String::as_str)).collect::<Vec<_>>().join(" ");
                launch_line.chars().take(80).collect()
            }
        };
        let live = self.inner.store.count_live()?;
        if live >= self.inner.config.max_live_sessions {
            return Err(Error::LimitReached { limit: self.inner.config.max_live_sessions });
        }
        let now = self.inner.clock.now();
        let mut config = req.config;
        config.program = Some(program.to_string());
        let launch = Launch {
            program: PathBuf::from(program),
            args: config.args.clone(),
            cwd: cwd.clone(),
            env: config.env.clone(),
        };
        let session = Session {
            id: format!("{}_{}", agent.as_str(), self.inner.ids.uuid().simple()),
            agent,
            title,
            cwd: cwd.to_string_lossy().into_owned(),
            status: SessionStatus::Starting,
            task_id,
            mcp_session_id,
            agent_session_id: None,
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
        };
        Ok((session, launch))
    }

    fn ttl(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.inner.config.idle_ttl).unwrap_or(chrono::Duration::hours(1))
    }

    async fn start(&self, id: &str, launch: Launch) -> Result<Session> {
        let next_seq = self.inner.store.last_seq(id)? + 1;
        self.inner.seqs.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_string(), next_seq);
        self.record_output(id, Stream::System, "lifecycle", format!("starting: {}", launch.display()));
        let sink = Arc::new(SessionSink { engine: self.clone(), id: id.to_string() });
        match runner::spawn(&launch, sink) {
            Ok(handle) => {
                let pid = handle.pid();
                self.inner.processes.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_string(), handle);
                self.inner.store.set_process(id, pid, runner::process_start_time(pid), std::process::id())?;
                let session = self.update(id, |s| {
                    // A quick process may already have exited and moved the session on.
                    if s.status == SessionStatus::Starting {
                        s.status = SessionStatus::Running;
                        s.pid = Some(pid);
                    }
                    Ok(())
                })?;
                if !session.status.is_live() {
                    self.inner.processes.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
                }
                Ok(session)
            }
            Err(e) => {
                let message = spawn_message(&launch, &e);
                warn!(session = %id, %message, "could not start the process");
                self.record_output(id, Stream::System, "lifecycle", message.clone());
                self.inner.seqs.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
                self.update(id, |s| {
                    s.status = SessionStatus::Error { message: message.clone() };
                    s.last_error = Some(message.clone());
                    s.ended_at = Some(self.inner.clock.now());
                    Ok(())
                })
            }
        }
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
        let ended = self.update(id, |s| {
            if s.status.is_live() {
                s.status = SessionStatus::Ended;
                s.ended_at = Some(self.inner.clock.now());
            }
            Ok(())
        })?;
        let handle = self.inner.processes.lock().unwrap_or_else(|e| e.into_inner()).get(id).cloned();
        if let Some(handle) = handle {
            handle.stop(self.inner.config.stop_grace).await;
        }
        info!(session = %id, "session ended");
        // The exit may have added the exit code since; a concurrent delete leaves `ended`.
        Ok(self.find(id)?.unwrap_or(ended))
    }

    /// Stops every process this engine started and marks their sessions Interrupted
    /// (resumable). For a clean shutdown of the app.
    pub async fn shutdown(&self) {
        let handles: Vec<(String, ProcessHandle)> =
            self.inner.processes.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (id, handle) in handles {
            let _ = self.update(&id, |s| {
                if s.status.is_live() {
                    s.status = SessionStatus::Interrupted;
                }
                Ok(())
            });
            handle.stop(self.inner.config.stop_grace).await;
        }
    }

    /// Reads, changes and writes one session under the write lock, checks the status
    /// transition, and announces the result.
    fn update(&self, id: &str, change: impl FnOnce(&mut Session) -> Result<()>) -> Result<Session> {
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

    /// Appends one output entry with the session's next seq and counts it as activity.
    fn record_output(&self, id: &str, stream: Stream, kind: &str, payload: String) {
        let mut seqs = self.inner.seqs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(next) = seqs.get_mut(id) else { return };
        let seq = *next;
        *next += 1;
        // Written while holding the seq lock so entries reach the store in seq order.
        let entry = OutputEntry { session_id: id.to_string(), seq, ts: self.inner.clock.now(), stream, kind: kind.to_string(), payload };
        if let Err(e) = self.inner.store.append_output(std::slice::from_ref(&entry)) {
            warn!(session = %id, error = %e, "could not store output");
        }
    }

    fn process_exited(&self, id: &str, exit: Exit) {
        self.inner.processes.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
        self.record_output(id, Stream::System, "lifecycle", exit.describe());
        self.inner.seqs.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
        let now = self.inner.clock.now();
        let result = self.update(id, |s| {
            s.exit_code = exit.code;
            s.pid = None;
            if s.status.is_live() {
                s.ended_at = Some(now);
                if exit.success() || exit.stopped {
                    s.status = SessionStatus::Ended;
                } else {
                    let message = format!("the process {}", exit.describe());
                    s.last_error = Some(message.clone());
                    s.status = SessionStatus::Error { message };
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            warn!(session = %id, error = %e, "could not record the exit");
        }
    }
}

struct SessionSink {
    engine: Engine,
    id: String,
}

impl ProcessSink for SessionSink {
    fn line(&self, stream: Stream, mut line: String, truncated: usize) {
        if truncated > 0 {
            line.push_str(&format!(" … [{truncated} more bytes of this line were cut]"));
        }
        self.engine.record_output(&self.id, stream, "line", line);
    }

    fn exited(&self, exit: Exit) {
        self.engine.process_exited(&self.id, exit);
    }
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
fn validate_cwd(cwd: &str) -> Result<PathBuf> {
    let trimmed = cwd.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid("cwd", "the folder is required"));
    }
    let path = Path::new(trimmed);
    if !path.is_absolute() {
        return Err(Error::invalid("cwd", format!("the folder must be an absolute path, not '{trimmed}'")));
    }
    let canonical = path.canonicalize().map_err(|_| Error::invalid("cwd", format!("the folder '{trimmed}' does not exist")))?;
    if !canonical.is_dir() {
        return Err(Error::invalid("cwd", format!("'{trimmed}' is not a folder")));
    }
    Ok(canonical)
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

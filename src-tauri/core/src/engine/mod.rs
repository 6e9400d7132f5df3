//! The engine: the one place where sessions are created, changed and ended.
//!
//! Every change is written to the [`Store`] first and then announced as an [`EngineEvent`]
//! to all subscribers. The engine holds no copy of session data: it reads SQLite each
//! time. What it does hold in memory are the handles of the processes it started,
//! at most one per live session.

mod follow;
mod live;
mod projects;
mod sweeper;
mod turn;
mod validate;
mod workspace;

pub use self::follow::{turn_over, TurnFollower};
pub use self::live::ACTIVITY_WRITE_INTERVAL;
pub(crate) use self::live::{Control, Proc, SessionSink};
pub use self::sweeper::{SweepReport, Sweeper};
pub(crate) use self::turn::Turn;
pub(crate) use self::validate::spawn_message;
use self::validate::*;
pub use self::validate::{MAX_LINK_ID_CHARS, MAX_TITLE_CHARS};

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
use crate::store::{LinkColumn, OutputConversion, SearchFilter, SearchHit, Store, TaskEventKey};

/// Events buffered per subscriber. A subscriber that falls further behind is told how many
/// it missed (and re-reads the list) instead of slowing the engine down.
pub const EVENT_BUFFER: usize = 1024;

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
    /// Stored output bytes (as printed) kept per session; older entries are trimmed (0 = no
    /// limit). From [`Settings::session_output_mib`](crate::settings::Settings::session_output_mib).
    pub output_budget: u64,
    /// When compacting a session is advised (see [`Session::compaction_advised`]).
    pub compaction: CompactionPolicy,
    /// Deny a permission request nobody answered after this long (None: wait forever).
    pub permission_timeout: Option<Duration>,
    /// A cap on the database's size in pages (SQLite's `max_page_count`); past it, writes
    /// fail as on a full disk. None: only the disk limits it.
    pub max_db_pages: Option<u64>,
    /// How long a terminal session's permission request is held for a decision made in
    /// Switchboard (app, tray, CLI) before the dialog is left to the terminal alone.
    pub terminal_approval_hold: Duration,
}

impl EngineConfig {
    /// Takes the policies the user's settings set (live-session limit, idle TTL, retention, stored-output budget).
    pub fn apply(&mut self, settings: &crate::settings::Settings) {
        self.max_live_sessions = settings.max_live_sessions;
        self.idle_ttl = Duration::from_secs(settings.idle_ttl_minutes as u64 * 60);
        self.retention = Duration::from_secs(settings.retention_days as u64 * 24 * 60 * 60);
        self.output_budget = settings.session_output_bytes();
        self.terminal_approval_hold = Duration::from_secs(settings.terminal_approval_hold_secs as u64);
    }
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
            output_budget: crate::settings::DEFAULT_SESSION_OUTPUT_MIB as u64 * 1024 * 1024,
            compaction: CompactionPolicy::default(),
            permission_timeout: None,
            max_db_pages: None,
            terminal_approval_hold: Duration::from_secs(crate::settings::DEFAULT_APPROVAL_HOLD_SECS as u64),
        }
    }
}

/// The time source. Tests inject a manual clock.
pub trait Clock: Send + Sync + 'static {
    /// The current time (UTC): every timestamp the engine writes comes from here.
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock ([`Utc::now`]), used by [`Engine::open`].
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The source of new UUIDs. Tests inject a deterministic one.
pub trait IdSource: Send + Sync + 'static {
    /// A new UUID for session ids (and Claude's own session id); must not repeat.
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
    pub(crate) output: Arc<OutputHub>,
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
    /// Worktree folders being created (from just before `git worktree add` until their
    /// session is stored or they are removed): the clean-up must not take them for leftovers.
    pub(crate) creating_worktrees: Mutex<std::collections::HashSet<PathBuf>>,
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
    /// Keeps the full-text index up with stored output (stops with the engine).
    _indexer: crate::search::SearchIndexer,
}

impl Engine {
    /// Opens the store in `data_dir` with the policies and agent paths the user saved in
    /// the settings (what the CLI and the app run with).
    pub fn open_configured(data_dir: &Path) -> Result<Engine> {
        let settings = Store::open(data_dir)?.settings()?;
        let mut config = EngineConfig::default();
        config.apply(&settings);
        let engine = Engine::open(data_dir, config)?;
        engine.set_agent_paths(settings.agent_paths);
        Ok(engine)
    }

    /// Opens the store in `data_dir` with the system clock and UUIDv7 ids.
    pub fn open(data_dir: &Path, config: EngineConfig) -> Result<Engine> {
        Engine::open_with(data_dir, config, Arc::new(SystemClock), Arc::new(V7Ids))
    }

    /// Opens the store in `data_dir` with the given clock and id source (tests inject
    /// deterministic ones). Creates the folder's database or migrates it forward.
    pub fn open_with(data_dir: &Path, config: EngineConfig, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> Result<Engine> {
        let store = Arc::new(Store::open_with(data_dir, config.max_db_pages)?);
        let indexer = crate::search::SearchIndexer::start(store.clone());
        let agent_paths = store.settings()?.agent_paths;
        store.set_output_budget(config.output_budget);
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
                creating_worktrees: Mutex::new(Default::default()),
                runtime: std::sync::OnceLock::new(),
                processes: Mutex::new(HashMap::new()),
                turn_waiters: Mutex::new(HashMap::new()),
                agent_paths: Mutex::new(agent_paths),
                permission_wakers: Mutex::new(HashMap::new()),
                _indexer: indexer,
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

    /// The data folder the database is in (the app keeps its logs there too, under `logs/`).
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// The policies this engine was opened with (settings saved later apply from the next start).
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Whether output stored by an older version still waits for [`Engine::convert_output`].
    pub fn output_conversion_pending(&self) -> bool {
        self.inner.store.legacy_output_left()
    }

    /// Converts output stored by an older version to the compressed store, in batches that
    /// each commit on their own (interrupted, the next call resumes; every entry stays
    /// readable meanwhile). Each step is an [`EngineEvent::OutputConversion`] and goes to `on`.
    pub fn convert_output(&self, mut on: impl FnMut(OutputConversion)) -> Result<OutputConversion> {
        self.inner.store.convert_legacy_output(crate::store::CONVERT_BATCH_ROWS, |progress| {
            self.emit(EngineEvent::OutputConversion { progress });
            on(progress);
            std::ops::ControlFlow::Continue(())
        })
    }

    /// Stored output whose text has every word of `query`, newest first (see [`Store::search`]).
    pub fn search(&self, query: &str, filter: &SearchFilter, limit: u32) -> Result<Vec<SearchHit>> {
        self.inner.store.search(query, filter, limit)
    }

    /// Brings the search index up with everything stored (at most `limit` long; the
    /// background indexer does the same, this is for a CLI that searches at once).
    pub fn catch_up_search(&self, limit: Duration) -> Result<()> {
        let conn = self.inner.store.connect()?;
        let t = std::time::Instant::now();
        while self.inner.store.index_pending(&conn, 2_000)? > 0 && t.elapsed() < limit {}
        Ok(())
    }

    /// How many stored entries the search indexer has not reached yet.
    pub fn search_backlog(&self) -> Result<u64> {
        self.inner.store.search_backlog()
    }

    /// One entry of a session's output, whole (what a preview of a large entry stands for).
    pub fn output_entry(&self, id: &str, seq: u64) -> Result<OutputEntry> {
        self.inner
            .output
            .read_range(id, seq.saturating_sub(1), seq.saturating_add(1), 1)?
            .pop()
            .ok_or_else(|| Error::NotFound(format!("entry {seq} of session {id}")))
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
        self.inner.output.tail(id, limit)
    }

    /// A page of a session's stored output around entry `seq`, oldest first (see
    /// [`crate::store::Store::read_output_around`]): what a viewer opens on to show a search
    /// hit however far back it is. Entries not committed yet are not in it: a viewer that
    /// reads up to the end follows the rest with [`Engine::subscribe_output`].
    pub fn output_around(&self, id: &str, seq: u64, before: u32, after: u32) -> Result<Vec<OutputEntry>> {
        self.get(id)?;
        self.inner.store.read_output_around(id, seq, before, after)
    }

    /// History after `after_seq` plus live entries from then on, with no gap and no
    /// duplicate between them (see [`crate::output`]).
    pub fn subscribe_output(&self, id: &str, after_seq: u64, limit: u32) -> Result<Subscription> {
        self.open_if_terminal(&self.get(id)?)?;
        self.inner.output.subscribe(id, after_seq, limit)
    }

    /// Follows a session's output from `after_seq`: every entry once, in order, also for a
    /// consumer too slow for the live channel. See [`crate::output::Follower`].
    pub fn follow_output(&self, id: &str, after_seq: u64) -> Result<crate::output::Follower> {
        self.open_if_terminal(&self.get(id)?)?;
        self.inner.output.follow(id, after_seq)
    }

    /// A terminal session's lines arrive whenever its transcript grows: a viewer follows it
    /// live (the terminal watch closes its channel once nobody follows it).
    fn open_if_terminal(&self, s: &Session) -> Result<()> {
        if s.origin == crate::model::SessionOrigin::Terminal {
            self.inner.output.ensure_open(&s.id)?;
        }
        Ok(())
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

    /// Creates a session and starts its agent. A failure to start (missing program) is not
    /// an error here: the session is recorded with status Error and the reason, so the user
    /// sees it where they look. Bad input is an error and nothing is written.
    #[instrument(skip_all, fields(cwd = %req.cwd))]
    pub async fn create(&self, req: NewSession) -> Result<Session> {
        let prompt = req.config.prompt.clone().filter(|p| !p.trim().is_empty());
        let worktree = req.worktree.clone();
        let (mut session, program) = self.prepare(req)?;
        let _starting = self.mark_starting(&session.id);
        // The worktree before the row: a request git refuses (bad branch, unknown base)
        // leaves nothing stored; a row that cannot be stored takes its worktree with it.
        let (workspace, setup_notes) = match worktree {
            Some(w) => {
                let (w, notes) = self.create_worktree(&mut session, w).await?;
                (Some(w), notes)
            }
            None => (None, Vec::new()),
        };
        let inserted =
            self.inner.store.insert_session_with(&session, &self.inner.me, Some(self.inner.config.max_live_sessions), workspace.as_ref());
        if let Err(e) = inserted {
            if let Some(w) = &workspace {
                crate::workspace::remove(w).await;
                self.done_creating(Path::new(&w.path));
            }
            return Err(e);
        }
        if let Some(w) = &workspace {
            self.done_creating(Path::new(&w.path));
        }
        info!(session = %session.id, agent = %session.agent, worktree = workspace.is_some(), "session created");
        self.log_task_event(
            &session.id,
            TaskEventKind::Created,
            serde_json::json!({ "agent": session.agent, "cwd": session.cwd, "title": session.title, "mcp_session_id": session.mcp_session_id, "initial_context": session.config.append_system_prompt, "branch": workspace.as_ref().map(|w| &w.branch) }),
        )?;
        self.emit(EngineEvent::SessionChanged { session: session.clone() });
        if !setup_notes.is_empty() {
            // Before the agent's own output (start opens it again: nobody follows it yet).
            self.inner.output.open(&session.id)?;
            for note in setup_notes {
                self.record_output(&session.id, Stream::System, "lifecycle", note);
            }
        }
        self.start(&session, &program, false, prompt).await
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

    /// How many sessions are in each status (by status name).
    pub fn status_counts(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        self.inner.store.status_counts()
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
        // Off the async runtime: the flush waits for SQLite, and a long history takes a
        // while to delete (in slices; other sessions' output goes in between).
        let inner = self.inner.clone();
        let owned = id.to_string();
        let deleted = tokio::task::spawn_blocking(move || {
            inner.output.flush();
            inner.output.forget(&owned);
            inner.store.delete_session(&owned)
        })
        .await
        .map_err(|e| Error::io("deleting the session", std::io::Error::other(e.to_string())))??;
        if !deleted {
            return Err(Error::NotFound(id.to_string()));
        }
        self.forget_screen(id);
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
            s.move_to(status)?;
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

    /// Refused (field `cwd`) when `path` cannot be a session's folder: missing, relative, a
    /// file, or not enterable. The same check [`create`](Self::create) makes.
    pub fn check_folder(&self, path: &str) -> Result<()> {
        validate::validate_dir("cwd", path).map(drop)
    }

    /// Folders recently used for sessions, newest first.
    pub fn recent_folders(&self, limit: u32) -> Result<Vec<String>> {
        self.inner.store.recent_folders(limit.min(100))
    }

    /// The stored settings (defaults when none were saved).
    pub fn settings(&self) -> Result<crate::settings::Settings> {
        self.inner.store.settings()
    }

    /// Validates and stores settings; agent paths and the stored-output budget apply at
    /// once, other limits from the next start.
    pub fn save_settings(&self, settings: &crate::settings::Settings) -> Result<()> {
        settings.validate()?;
        self.inner.store.save_settings(settings)?;
        self.set_agent_paths(settings.agent_paths.clone());
        self.inner.store.set_output_budget(settings.session_output_bytes());
        Ok(())
    }

    /// Totals over all stored sessions, computed by SQL (cheap: kept by triggers).
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
        if before.origin == crate::model::SessionOrigin::Terminal {
            return Err(Error::invalid("origin", crate::external::FOLLOW_ONLY));
        }
        if !matches!(before.status, SessionStatus::Running | SessionStatus::Idle) {
            return Err(Error::IllegalTransition { id: id.into(), from: before.status.name().into(), to: "compacting".into() });
        }
        self.set_status(id, SessionStatus::Compacting)?;
        match action.await {
            Ok(()) => self.update(id, |s| {
                if s.status == SessionStatus::Compacting {
                    s.move_to(before.status.clone())?;
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
}

/// The most one turn may add to a session's cost; an agent reporting more is clamped
/// (no real turn costs a million dollars; a bogus 1e308 must not become infinity).
pub const MAX_TURN_COST_USD: f64 = 1e6;

/// A session's total cost saturates here.
pub const MAX_TOTAL_COST_USD: f64 = 1e12;

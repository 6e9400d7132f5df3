//! Shared test helpers: a clock the test moves by hand and deterministic ids.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use switchboard_core::*;
use uuid::Uuid;

pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock(Mutex::new(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap())))
    }
    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Ids 1, 2, 3, … as UUIDs.
pub struct CountingIds(AtomicU64);

impl CountingIds {
    pub fn new() -> Arc<CountingIds> {
        Arc::new(CountingIds(AtomicU64::new(0)))
    }
}

impl IdSource for CountingIds {
    fn uuid(&self) -> Uuid {
        Uuid::from_u128(self.0.fetch_add(1, Ordering::SeqCst) as u128 + 1)
    }
}

pub fn engine(dir: &std::path::Path, clock: Arc<ManualClock>, config: EngineConfig) -> Engine {
    Engine::open_with(dir, config, clock, CountingIds::new()).expect("engine")
}

pub fn command(cwd: &std::path::Path, program: &str, args: &[&str]) -> NewSession {
    NewSession {
        agent: Some(AgentKind::Command),
        cwd: cwd.to_string_lossy().into(),
        config: SessionConfig { program: Some(program.into()), args: args.iter().map(|s| s.to_string()).collect(), ..Default::default() },
        ..Default::default()
    }
}

/// Waits (at most 10 s) until the session is no longer live, looking at it again after
/// each engine event about it (every change of a session is announced), never on a timer.
pub async fn wait_final(engine: &Engine, id: &str) -> Session {
    // Subscribed before the first read: a change between the read and the wait is not missed.
    let mut events = engine.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let s = engine.get(id).expect("get");
        if !s.status.is_live() {
            return s;
        }
        if tokio::time::timeout_at(deadline, next_change(&mut events, id)).await.is_err() {
            panic!("session {id} did not finish; now {:?}", engine.get(id).map(|s| s.status));
        }
    }
}

/// Returns at the next event about session `id`, or after missed events (a lag), so that
/// the caller reads the session again.
async fn next_change(events: &mut tokio::sync::broadcast::Receiver<EngineEvent>, id: &str) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match events.recv().await {
            Ok(EngineEvent::SessionChanged { session }) if session.id == id => return,
            Ok(EngineEvent::SessionDeleted { id: gone }) if gone == id => return,
            Ok(_) => {}
            Err(RecvError::Lagged(_)) => return,
            Err(RecvError::Closed) => std::future::pending().await,
        }
    }
}

#[path = "../../../../tests/support/fake_api.rs"]
#[allow(dead_code)]
mod fake_api;
#[allow(unused_imports)]
pub use fake_api::{claude_bin, codex_bin, gemini_bin, repo_root, screen_text, seed_claude_home, FakeApi};

/// An engine whose Claude is the pinned CLI.
pub fn claude_engine(dir: &std::path::Path, config: EngineConfig) -> Engine {
    let e = Engine::open(dir, config).expect("engine");
    e.set_agent_paths(switchboard_core::agents::AgentPaths { claude: Some(claude_bin().to_string_lossy().into()), ..Default::default() });
    e
}

/// A Claude session request pointed at the fake API, with an isolated HOME.
pub fn claude_session(api: &FakeApi, cwd: &std::path::Path, home: &std::path::Path, prompt: Option<&str>) -> NewSession {
    NewSession {
        agent: Some(AgentKind::Claude),
        cwd: cwd.to_string_lossy().into(),
        config: SessionConfig {
            prompt: prompt.map(String::from),
            env: api.claude_env(home).into_iter().collect(),
            max_turns: Some(5),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The interactive Claude CLI hosted by an engine (terminal mode): the fake API, the
/// engine's data folder, the session's working folder and an isolated HOME seeded so that
/// no first-run screen waits for a keystroke.
pub struct TerminalFixture {
    pub api: FakeApi,
    pub dir: tempfile::TempDir,
    pub work: tempfile::TempDir,
    pub home: tempfile::TempDir,
    pub engine: Engine,
}

impl TerminalFixture {
    pub fn new(config: EngineConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let engine = claude_engine(dir.path(), config);
        let f =
            TerminalFixture { api: FakeApi::start(), dir, work: tempfile::tempdir().unwrap(), home: tempfile::tempdir().unwrap(), engine };
        let key = f.api.claude_env(f.home.path()).into_iter().find(|(k, _)| k == "ANTHROPIC_API_KEY").unwrap().1;
        seed_claude_home(f.home.path(), f.work.path(), &key);
        f
    }

    /// A terminal-mode session in the working folder (`--max-turns` is a `-p` option).
    pub fn request(&self, prompt: Option<&str>) -> NewSession {
        let mut r = claude_session(&self.api, self.work.path(), self.home.path(), prompt);
        r.config.mode = RunMode::Terminal;
        r.config.max_turns = None;
        r
    }
}

/// Waits (at most `secs`) until the session passes `check`, awaiting the engine's events
/// about it (no polling). The turn's waiters are answered before the session shows Idle
/// (conversation.rs: `end_turn` takes them first), so a `send` made at once waits for its
/// own turn.
pub async fn wait_until(engine: &Engine, id: &str, secs: u64, check: impl Fn(&Session) -> bool) -> Session {
    let mut events = engine.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let s = engine.get(id).expect("get");
        if check(&s) {
            return s;
        }
        if tokio::time::timeout_at(deadline, next_change(&mut events, id)).await.is_err() {
            panic!("session {id} never got there; now {:?}", engine.get(id).map(|s| s.status));
        }
    }
}

/// A stand-in for the `claude` binary: a shell script that answers every user message
/// on stdin with `reply` (a stream-json line) — enough of the protocol to drive turns.
pub fn fake_claude(dir: &Path, reply: &str) -> PathBuf {
    let path = dir.join("claude");
    let script =
        format!("#!/bin/sh\nwhile IFS= read -r line; do\n  case \"$line\" in\n    *'\"type\":\"user\"'*) {reply} ;;\n  esac\ndone\n");
    std::fs::write(&path, script).expect("write fake claude");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    path
}

pub fn result_line(input_tokens: &str, cost: &str) -> String {
    format!(
        "printf '%s\\n' '{{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"num_turns\":1,\"result\":\"ok\",\"session_id\":\"s\",\"total_cost_usd\":{cost},\"usage\":{{\"input_tokens\":{input_tokens},\"cache_read_input_tokens\":5,\"output_tokens\":2}}}}'"
    )
}

pub fn claude_engine_with(dir: &Path, bin: &Path, clock: Arc<ManualClock>, config: EngineConfig) -> Engine {
    let e = engine(dir, clock, config);
    e.set_agent_paths(switchboard_core::agents::AgentPaths { claude: Some(bin.to_string_lossy().into()), ..Default::default() });
    e
}

pub fn claude_request(cwd: &Path, prompt: Option<&str>) -> NewSession {
    NewSession {
        agent: Some(AgentKind::Claude),
        cwd: cwd.to_string_lossy().into(),
        config: SessionConfig { prompt: prompt.map(String::from), ..Default::default() },
        ..Default::default()
    }
}

/// What a live follower saw of a turn's partial text (live typing), until its `result`.
#[derive(Debug, Default)]
pub struct Typing {
    /// The partial text as first shown.
    pub first: String,
    /// The longest partial text shown before the stored assistant entry arrived.
    pub before_final: String,
    /// Partial updates received (each one channel message's worth).
    pub updates: usize,
    /// The stored assistant entry's seq, and whether a `done_through` covering it came.
    pub final_seq: Option<u64>,
    pub done_through: Option<u64>,
}

/// Follows a session's output live from `after_seq` until a `result` entry (or `secs`
/// pass), keeping what the partial text showed before the first stored assistant text.
pub async fn watch_typing(engine: &Engine, id: &str, after_seq: u64, secs: u64) -> Typing {
    let mut follower = engine.follow_output(id, after_seq).unwrap();
    let mut typing = Typing::default();
    let mut shown = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let update = tokio::time::timeout_at(deadline, follower.next_update(1000))
            .await
            .unwrap_or_else(|_| panic!("no result within {secs} s; saw {typing:?}"))
            .unwrap();
        let Some(update) = update else { break };
        if let Some(p) = update.partial {
            typing.updates += 1;
            if p.done_through.is_some() {
                typing.done_through = p.done_through;
            } else if p.append {
                shown.push_str(&p.text);
            } else {
                shown = p.text;
            }
            if typing.first.is_empty() {
                typing.first = shown.clone();
            }
            if typing.final_seq.is_none() && shown.len() > typing.before_final.len() {
                typing.before_final = shown.clone();
            }
        }
        for e in &update.entries {
            if e.kind == "assistant_text" && typing.final_seq.is_none() {
                typing.final_seq = Some(e.seq);
            }
        }
        if update.entries.iter().any(|e| e.kind == "result") {
            break;
        }
    }
    typing
}

/// A real agent CLI (Codex or Gemini, pinned from npm) in a fresh engine, pointed at the fake
/// API on 127.0.0.1: the shared set-up of the `codex::` and `gemini::` tests.
pub struct AgentFixture {
    pub api: FakeApi,
    _dir: tempfile::TempDir,
    /// A fresh folder: neither trusted nor a git repository.
    pub work: tempfile::TempDir,
    /// The agent's home (CODEX_HOME, or HOME for Gemini).
    pub home: tempfile::TempDir,
    pub engine: Engine,
    agent: AgentKind,
    /// How long a turn may take before the test gives up.
    turn_secs: u64,
}

impl AgentFixture {
    /// Codex, its home outside the system temp folder (or Codex has no sandbox helper).
    pub fn codex() -> AgentFixture {
        let home = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        AgentFixture::new(
            AgentKind::Codex,
            agents::AgentPaths { codex: Some(codex_bin().to_string_lossy().into()), ..Default::default() },
            home,
            60,
        )
    }

    /// Gemini.
    pub fn gemini() -> AgentFixture {
        let home = tempfile::tempdir().unwrap();
        AgentFixture::new(
            AgentKind::Gemini,
            agents::AgentPaths { gemini: Some(gemini_bin().to_string_lossy().into()), ..Default::default() },
            home,
            90,
        )
    }

    fn new(agent: AgentKind, paths: agents::AgentPaths, home: tempfile::TempDir, turn_secs: u64) -> AgentFixture {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path(), EngineConfig { stop_grace: Duration::from_secs(2), ..Default::default() }).unwrap();
        engine.set_agent_paths(paths);
        AgentFixture { api: FakeApi::start(), _dir: dir, work: tempfile::tempdir().unwrap(), home, engine, agent, turn_secs }
    }

    /// A new session of this agent in `work`, with the fake API's environment.
    pub fn request(&self, prompt: &str, mode: PermissionMode) -> NewSession {
        let env = match self.agent {
            AgentKind::Codex => self.api.codex_env(self.home.path()),
            _ => self.api.gemini_env(self.home.path()),
        };
        NewSession {
            agent: Some(self.agent),
            cwd: self.work.path().to_string_lossy().into(),
            config: SessionConfig {
                prompt: Some(prompt.into()),
                env: env.into_iter().collect(),
                permission_mode: mode,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// Starts a session on `prompt` and waits for its turn to end.
    pub async fn run(&self, prompt: &str, mode: PermissionMode) -> Session {
        let s = self.engine.create(self.request(prompt, mode)).await.unwrap();
        wait_until(&self.engine, &s.id, self.turn_secs, |s| !matches!(s.status, SessionStatus::Starting | SessionStatus::Running)).await
    }

    /// The session's output as the window shows it.
    pub fn views(&self, id: &str) -> Vec<EntryView> {
        self.engine.output(id, 0, 10_000).unwrap().iter().map(EntryView::of).collect()
    }

    /// The assistant's text entries, in order.
    pub fn texts(&self, id: &str) -> Vec<String> {
        self.views(id)
            .into_iter()
            .filter_map(|v| match v {
                EntryView::AssistantText { text } => Some(text),
                _ => None,
            })
            .collect()
    }

    /// The `result` lines the CLI printed, parsed.
    pub fn results(&self, id: &str) -> Vec<serde_json::Value> {
        result_lines(&self.engine, id)
    }
}

/// The `result` lines an agent CLI printed in a session, parsed.
pub fn result_lines(engine: &Engine, id: &str) -> Vec<serde_json::Value> {
    engine
        .output(id, 0, 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "result")
        .map(|e| serde_json::from_str(&e.payload).unwrap())
        .collect()
}

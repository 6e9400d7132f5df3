//! Shared test helpers: a clock the test moves by hand and deterministic ids.
#![allow(dead_code)]

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

/// Waits (polling the store, at most 10 s) until the session is no longer live.
pub async fn wait_final(engine: &Engine, id: &str) -> Session {
    for _ in 0..1000 {
        let s = engine.get(id).expect("get");
        if !s.status.is_live() {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("session {id} did not finish");
}

/// The repository root (tests run with the core crate's folder as cwd).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Our fake Anthropic API (tests/fake-api/server.mjs) on 127.0.0.1. It exits when its
/// stdin closes, i.e. when this is dropped, even if the test panics.
pub struct FakeApi {
    pub port: u16,
    child: std::process::Child,
}

impl FakeApi {
    pub fn start() -> FakeApi {
        use std::io::BufRead;
        let mut child = std::process::Command::new("node")
            .arg(repo_root().join("tests/fake-api/server.mjs"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start the fake API (is node installed?)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("LISTENING ").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("fake API said {line:?}"));
        FakeApi { port, child }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The pinned Claude Code CLI installed by `make test` (scripts/bootstrap --test).
pub fn claude_bin() -> std::path::PathBuf {
    let p = repo_root().join("tests/node_modules/.bin/claude");
    assert!(p.exists(), "the Claude Code CLI is not installed: run `npm ci --prefix tests` (make test does)");
    p
}

/// An engine whose Claude is the pinned CLI.
pub fn claude_engine(dir: &std::path::Path, config: EngineConfig) -> Engine {
    let e = Engine::open(dir, config).expect("engine");
    e.set_agent_paths(switchboard_core::agents::AgentPaths { claude: Some(claude_bin().to_string_lossy().into()), ..Default::default() });
    e
}

/// A Claude session request pointed at the fake API, with an isolated HOME.
pub fn claude_session(api: &FakeApi, cwd: &std::path::Path, home: &std::path::Path, prompt: Option<&str>) -> NewSession {
    let env = [
        ("ANTHROPIC_BASE_URL", api.url()),
        ("ANTHROPIC_API_KEY", "sk-test".to_string()),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".to_string()),
        ("DISABLE_AUTOUPDATER", "1".to_string()),
        ("CLAUDE_CODE_MAX_RETRIES", "0".to_string()),
        ("IS_SANDBOX", "1".to_string()),
        ("HOME", home.to_string_lossy().into_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    NewSession {
        agent: Some(AgentKind::Claude),
        cwd: cwd.to_string_lossy().into(),
        config: SessionConfig { prompt: prompt.map(String::from), env, max_turns: Some(5), ..Default::default() },
        ..Default::default()
    }
}

/// Waits (at most `secs`) until `check` holds for the session.
pub async fn wait_until(engine: &Engine, id: &str, secs: u64, check: impl Fn(&Session) -> bool) -> Session {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let s = engine.get(id).expect("get");
        if check(&s) {
            return s;
        }
        assert!(std::time::Instant::now() < deadline, "session {id} never got there; now {:?}", s.status);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

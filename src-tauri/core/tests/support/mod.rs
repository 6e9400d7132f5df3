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

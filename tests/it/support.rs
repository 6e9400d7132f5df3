//! Shared helpers: temp data dirs and waiting for a condition without sleeping blindly.

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("switchboard-it-").tempdir().expect("temp dir")
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_switchboard"))
}

/// Polls `check` until it returns Some or `timeout` passes.
pub async fn wait_for<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "condition not met within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[path = "../support/fake_api.rs"]
#[allow(dead_code)]
pub mod fake_api;
pub use fake_api::{claude_bin, repo_root, screen_text, seed_claude_home, FakeApi};

/// The fake agent (tests/fake-agent/agent.mjs).
pub fn fake_agent() -> String {
    repo_root().join("tests/fake-agent/agent.mjs").to_string_lossy().into_owned()
}

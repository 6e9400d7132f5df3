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

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fake agent (tests/fake-agent/agent.mjs).
pub fn fake_agent() -> String {
    repo_root().join("tests/fake-agent/agent.mjs").to_string_lossy().into_owned()
}

/// Our fake Anthropic API on 127.0.0.1; exits when dropped (its stdin closes).
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
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the fake API");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read port");
        let port = line.trim().strip_prefix("LISTENING ").and_then(|p| p.parse().ok()).expect("LISTENING line");
        FakeApi { port, child }
    }

    /// The environment that points the real Claude CLI at this API, with an isolated HOME.
    pub fn claude_env(&self, home: &std::path::Path) -> Vec<(String, String)> {
        [
            ("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{}", self.port)),
            ("ANTHROPIC_API_KEY", "sk-test".into()),
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".into()),
            ("DISABLE_AUTOUPDATER", "1".into()),
            ("CLAUDE_CODE_MAX_RETRIES", "0".into()),
            ("IS_SANDBOX", "1".into()),
            ("HOME", home.to_string_lossy().into_owned()),
            ("SWITCHBOARD_CLAUDE_BIN", repo_root().join("tests/node_modules/.bin/claude").to_string_lossy().into_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Shared by the core tests and the app's integration tests (included with `#[path]`):
//! our fake Anthropic API (tests/fake-api/server.mjs) on 127.0.0.1, and the environment
//! that points the pinned Claude Code CLI at it.

use std::path::{Path, PathBuf};

/// The repository root: the nearest folder up from this crate that holds tests/fake-api.
pub fn repo_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("tests/fake-api/server.mjs").exists() {
        assert!(dir.pop(), "tests/fake-api not found above {}", env!("CARGO_MANIFEST_DIR"));
    }
    dir
}

/// The pinned Claude Code CLI installed by `make test` (scripts/bootstrap --test).
pub fn claude_bin() -> PathBuf {
    let p = repo_root().join("tests/node_modules/.bin/claude");
    assert!(p.exists(), "the Claude Code CLI is not installed: run `npm ci --prefix tests` (make test does)");
    p
}

/// The fake API; it exits when this is dropped (its stdin closes), even if a test panics.
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
            .expect("start the fake API (is node installed?)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read the port");
        let port = line.trim().strip_prefix("LISTENING ").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("fake API said {line:?}"));
        FakeApi { port, child }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment for the real CLI against this API, with an isolated HOME.
    pub fn claude_env(&self, home: &Path) -> Vec<(String, String)> {
        [
            ("ANTHROPIC_BASE_URL", self.url()),
            ("ANTHROPIC_API_KEY", "sk-test".into()),
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".into()),
            ("DISABLE_AUTOUPDATER", "1".into()),
            ("CLAUDE_CODE_MAX_RETRIES", "0".into()),
            // Running as root, bypassPermissions needs it.
            ("IS_SANDBOX", "1".into()),
            ("HOME", home.to_string_lossy().into_owned()),
            ("SWITCHBOARD_CLAUDE_BIN", claude_bin().to_string_lossy().into_owned()),
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

//! Shared by the core tests and the app's integration tests (included with `#[path]`):
//! our fake APIs (tests/fake-api/server.mjs: Anthropic's, OpenAI's Responses API, Gemini's)
//! on 127.0.0.1, and the environment that points the pinned Claude Code, Codex and Gemini
//! CLIs at it.

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

/// A pinned CLI from tests/node_modules/.bin (`claude`, `codex`, `gemini`).
pub fn test_bin(name: &str) -> PathBuf {
    let p = repo_root().join("tests/node_modules/.bin").join(name);
    assert!(p.exists(), "the {name} CLI is not installed: run `npm ci --prefix tests` (make test does)");
    p
}

pub fn codex_bin() -> PathBuf {
    test_bin("codex")
}

pub fn gemini_bin() -> PathBuf {
    test_bin("gemini")
}

/// Anything a CLI tries to reach besides our API goes to a closed local port.
const NO_NETWORK: [(&str, &str); 6] = [
    ("HTTPS_PROXY", "http://127.0.0.1:9"),
    ("HTTP_PROXY", "http://127.0.0.1:9"),
    ("https_proxy", "http://127.0.0.1:9"),
    ("http_proxy", "http://127.0.0.1:9"),
    ("NO_PROXY", "127.0.0.1,localhost"),
    ("no_proxy", "127.0.0.1,localhost"),
];

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

impl FakeApi {
    /// The environment for the real Codex CLI against this API. `codex_home` gets its
    /// config.toml; it must not be under the system temp folder (Codex then refuses to set up
    /// its sandbox helper), so tests make it under CARGO_TARGET_TMPDIR.
    pub fn codex_env(&self, codex_home: &Path) -> Vec<(String, String)> {
        std::fs::create_dir_all(codex_home).expect("CODEX_HOME");
        let config = format!(
            "model = \"fake-codex\"\nmodel_provider = \"fake\"\ncheck_for_update_on_startup = false\n\n\
             [model_providers.fake]\nname = \"fake\"\nbase_url = \"{}/v1\"\nenv_key = \"FAKE_OPENAI_KEY\"\nwire_api = \"responses\"\n\
             request_max_retries = 1\nstream_max_retries = 5\n",
            self.url()
        );
        std::fs::write(codex_home.join("config.toml"), config).expect("config.toml");
        let mut env: Vec<(String, String)> = [
            ("CODEX_HOME", codex_home.to_string_lossy().into_owned()),
            ("FAKE_OPENAI_KEY", "sk-test".into()),
            ("HOME", codex_home.to_string_lossy().into_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        env.extend(NO_NETWORK.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }

    /// The environment for the real Gemini CLI against this API, with `home` as its home
    /// (settings: API-key auth, no telemetry or update checks).
    pub fn gemini_env(&self, home: &Path) -> Vec<(String, String)> {
        std::fs::create_dir_all(home.join(".gemini")).expect("gemini home");
        std::fs::create_dir_all(home.join("tmp")).expect("gemini tmp");
        let settings = serde_json::json!({
            "security": { "auth": { "selectedType": "gemini-api-key" } },
            "privacy": { "usageStatisticsEnabled": false },
            "telemetry": { "enabled": false },
            "general": { "disableAutoUpdate": true, "disableUpdateNag": true },
        });
        std::fs::write(home.join(".gemini/settings.json"), settings.to_string()).expect("settings.json");
        let mut env: Vec<(String, String)> = [
            ("GOOGLE_GEMINI_BASE_URL", self.url()),
            ("GEMINI_API_KEY", "fake-key".into()),
            ("GEMINI_CLI_HOME", home.to_string_lossy().into_owned()),
            ("HOME", home.to_string_lossy().into_owned()),
            ("TMPDIR", home.join("tmp").to_string_lossy().into_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        env.extend(NO_NETWORK.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }

    /// What the API was asked, as it recorded it.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the fake API");
        write!(s, "GET /__requests HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
        serde_json::from_str(body).unwrap_or_default()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Text without ANSI escape sequences (CSI, OSC, two-byte escapes); cursor moves become
/// nothing, so words drawn by the TUI stay searchable.
pub fn screen_text(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' || (c == '\x1b' && chars.peek() == Some(&'\\')) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Seeds an isolated HOME so the interactive CLI shows no first-run screen: onboarding
/// done, `folder` trusted, the API key (its last 20 characters) approved.
pub fn seed_claude_home(home: &Path, folder: &Path, api_key: &str) {
    let folder = folder.canonicalize().expect("folder").to_string_lossy().into_owned();
    let tail: String = api_key.chars().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect();
    let config = serde_json::json!({
        "hasCompletedOnboarding": true,
        "projects": { folder: { "hasTrustDialogAccepted": true } },
        "customApiKeyResponses": { "approved": [tail], "rejected": [] },
    });
    std::fs::write(home.join(".claude.json"), config.to_string()).expect(".claude.json");
}

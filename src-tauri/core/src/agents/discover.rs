//! Finding an agent's binary when the app was started from a desktop launcher with a
//! thin PATH: an explicit setting or `SWITCHBOARD_<AGENT>_BIN` first, then PATH, then the
//! login shell's PATH, then the usual per-user install folders.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::adapter;
use crate::model::AgentKind;

/// Whether an agent can be started, and how to get it when it cannot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AgentInfo {
    pub agent: AgentKind,
    pub installed: bool,
    /// The binary that will be run.
    pub path: Option<String>,
    /// Where it came from: `setting`, `env`, `PATH`, `login shell PATH`, a folder.
    pub source: Option<String>,
    /// How to install it (shown when not installed).
    pub install_hint: String,
}

/// The login shell's PATH is read at most once, with a time limit (a slow rc file must
/// not stall the app).
const LOGIN_SHELL_TIMEOUT: Duration = Duration::from_secs(3);

/// Finds the binary of `kind`: `configured` (from settings) wins, then the environment
/// variable `SWITCHBOARD_<KIND>_BIN`, then the search.
pub fn find_binary(kind: AgentKind, configured: Option<&str>) -> AgentInfo {
    let a = adapter(kind);
    let found = |path: PathBuf, source: &str| AgentInfo {
        agent: kind,
        installed: is_executable(&path),
        path: Some(path.to_string_lossy().into_owned()),
        source: Some(source.to_string()),
        install_hint: a.install_hint().to_string(),
    };
    if let Some(p) = configured.filter(|p| !p.trim().is_empty()) {
        return found(PathBuf::from(p.trim()), "setting");
    }
    let env = format!("SWITCHBOARD_{}_BIN", kind.as_str().to_uppercase());
    if let Some(p) = std::env::var_os(&env).filter(|p| !p.is_empty()) {
        return found(PathBuf::from(p), &env);
    }
    for name in a.binary_names() {
        if let Some(p) = search_path(name, std::env::var_os("PATH").as_deref()) {
            return found(p, "PATH");
        }
        if let Some(p) = login_shell_path().and_then(|path| search_path(name, Some(path.as_ref()))) {
            return found(p, "login shell PATH");
        }
        for dir in user_dirs() {
            let p = dir.join(name);
            if is_executable(&p) {
                return found(p, &dir.to_string_lossy());
            }
        }
    }
    AgentInfo { agent: kind, installed: false, path: None, source: None, install_hint: a.install_hint().to_string() }
}

fn search_path(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?).map(|d| d.join(name)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `~/.local/bin`, `~/.npm-global/bin`, every nvm Node's bin, `~/.claude/local`, …
fn user_dirs() -> Vec<PathBuf> {
    let Some(home) = dirs::home_dir() else { return vec![] };
    let mut v = vec![home.join(".local/bin"), home.join(".npm-global/bin"), home.join(".claude/local"), home.join(".volta/bin"), home.join("bin")];
    if let Ok(nodes) = std::fs::read_dir(home.join(".nvm/versions/node")) {
        let mut found: Vec<PathBuf> = nodes.filter_map(Result::ok).map(|e| e.path().join("bin")).collect();
        found.sort();
        found.reverse(); // the newest Node first
        v.extend(found);
    }
    v.push(PathBuf::from("/usr/local/bin"));
    v
}

/// The PATH a login shell sets up (`$SHELL -lc 'printf %s "$PATH"'`), cached.
fn login_shell_path() -> Option<&'static std::ffi::OsString> {
    static PATH: OnceLock<Option<std::ffi::OsString>> = OnceLock::new();
    PATH.get_or_init(|| {
        let shell = std::env::var_os("SHELL").filter(|s| !s.is_empty())?;
        let mut child = std::process::Command::new(shell)
            .args(["-lc", "printf %s \"$PATH\""])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let deadline = std::time::Instant::now() + LOGIN_SHELL_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if std::time::Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return None;
                }
            }
        }
        let mut out = String::new();
        std::io::Read::read_to_string(child.stdout.as_mut()?, &mut out).ok()?;
        (!out.is_empty()).then(|| out.into())
    })
    .as_ref()
}

//! Claude Code processes running on this machine, found in `/proc` (Linux): which folder
//! each runs in and which session it resumes, so that a terminal session shows Running
//! while its process lives. Only read: Switchboard never signals these processes.

use std::path::{Path, PathBuf};

use crate::procid::ProcessId;

/// A running `claude` process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaudeProcess {
    /// Its identity (pid and start time, so a reused pid is told apart).
    pub process: ProcessId,
    /// The folder it runs in (`/proc/<pid>/cwd`).
    pub cwd: PathBuf,
    /// The session it was told to use (`--resume`, `-r`, `--session-id`); None: a new
    /// session or `--continue`, found as the newest transcript of its folder.
    pub session_id: Option<String>,
}

/// Every `claude` process this user can see, except this process. Processes that vanish
/// while being read are skipped.
pub fn running_claude() -> Vec<ClaudeProcess> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut found = Vec::new();
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else { continue };
        let args: Vec<String> =
            cmdline.split(|&b| b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        if !is_claude(&args) {
            continue;
        }
        let Ok(cwd) = std::fs::read_link(e.path().join("cwd")) else { continue };
        found.push(ClaudeProcess { process: ProcessId::of(pid), cwd, session_id: session_arg(&args) });
    }
    found
}

/// Whether a command line runs Claude Code: the `claude` binary itself, or node running
/// its script (`node …/bin/claude`, `node …/claude-code/cli.js`).
fn is_claude(args: &[String]) -> bool {
    let base = |a: &str| Path::new(a).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match args.first() {
        Some(a0) if base(a0) == "claude" => true,
        Some(a0) if base(a0).starts_with("node") => {
            args.get(1).is_some_and(|a1| base(a1) == "claude" || a1.ends_with("claude-code/cli.js") || a1.ends_with("claude-code/cli.mjs"))
        }
        _ => false,
    }
}

/// The session id a command line names: `--resume ID`, `--resume=ID`, `-r ID`,
/// `--session-id ID`, `--session-id=ID`.
fn session_arg(args: &[String]) -> Option<String> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        for flag in ["--resume", "--session-id"] {
            if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
                return Some(v.to_string()).filter(|v| !v.is_empty());
            }
        }
        if matches!(a.as_str(), "--resume" | "-r" | "--session-id") {
            // `--resume` alone opens a picker; its value, when there is one, is not a flag.
            return it.next().filter(|v| !v.starts_with('-')).cloned();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn claude_command_lines_and_their_session() {
        assert!(is_claude(&args("/home/me/.local/bin/claude --resume abc")));
        assert!(is_claude(&args("node /usr/lib/node_modules/@anthropic-ai/claude-code/cli.js")));
        assert!(!is_claude(&args("/usr/bin/vim claude")));
        assert_eq!(session_arg(&args("claude --resume abc")).as_deref(), Some("abc"));
        assert_eq!(session_arg(&args("claude -p --session-id=xyz")).as_deref(), Some("xyz"));
        assert_eq!(session_arg(&args("claude -r id1 -p")).as_deref(), Some("id1"));
        assert_eq!(session_arg(&args("claude --resume --verbose")), None);
        assert_eq!(session_arg(&args("claude -p hello")), None);
    }
}

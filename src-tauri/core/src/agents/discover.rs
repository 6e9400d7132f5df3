//! Finding an agent's binary when the app was started from a desktop launcher with a
//! thin PATH: an explicit setting or `SWITCHBOARD_<AGENT>_BIN` first, then PATH, then the
//! login shell's PATH, then the usual per-user install folders.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use tracing::warn;
use ts_rs::TS;

use super::adapter;
use crate::model::AgentKind;

/// Whether an agent can be started, and how to get it when it cannot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AgentInfo {
    /// The agent.
    pub agent: AgentKind,
    /// Whether its program was found (and can be started).
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

/// The most of the login shell's output kept: a PATH is a few KiB, and an rc file that
/// prints a lot must not grow memory.
const MAX_SHELL_OUTPUT: usize = 64 * 1024;

/// How often the login shell is looked at while it runs and prints nothing.
const SHELL_POLL: Duration = Duration::from_millis(10);

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

/// A program by name on PATH, else on the login shell's PATH (the app started from the
/// desktop may have a thinner PATH than the user's terminal).
pub(crate) fn find_program(name: &str) -> Option<PathBuf> {
    search_path(name, std::env::var_os("PATH").as_deref())
        .or_else(|| login_shell_path().and_then(|path| search_path(name, Some(path.as_ref()))))
}

fn search_path(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?).map(|d| d.join(name)).find(|p| is_executable(p))
}

/// A regular file with an execute bit.
pub(crate) fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `~/.local/bin`, `~/.npm-global/bin`, every nvm Node's bin, `~/.claude/local`, …
fn user_dirs() -> Vec<PathBuf> {
    let Some(home) = dirs::home_dir() else { return vec![] };
    let mut v =
        vec![home.join(".local/bin"), home.join(".npm-global/bin"), home.join(".claude/local"), home.join(".volta/bin"), home.join("bin")];
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
        login_shell_path_of(Path::new(&shell), LOGIN_SHELL_TIMEOUT)
    })
    .as_ref()
}

/// Runs `shell -lc 'printf %s "$PATH"'` in a process group of its own and returns what it
/// printed; None when it failed, printed nothing, or did not exit within `timeout`.
///
/// Never waits for end of file on the output: a background job of the rc file (`sleep &`,
/// a daemon that does not close its stdio) keeps the pipe open after the shell exited.
/// Output is read as it comes until the shell exits, then whatever is left in the pipe,
/// without blocking. Then the shell's group is killed, before the shell is reaped (so the
/// group id cannot have been reused): the rc file's background jobs are collateral of this
/// probe and must not outlive it. Daemons that left the group (`setsid`) are not touched.
fn login_shell_path_of(shell: &Path, timeout: Duration) -> Option<std::ffi::OsString> {
    use std::os::fd::AsFd;
    use std::os::unix::ffi::OsStringExt;
    use std::os::unix::process::CommandExt;

    let mut child = std::process::Command::new(shell)
        .args(["-lc", "printf %s \"$PATH\""])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .ok()?;
    let pid = Pid::from_raw(child.id() as i32);
    let result = child.stdout.take().and_then(|mut out| {
        nix::fcntl::fcntl(out.as_fd(), nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK)).ok()?;
        let deadline = std::time::Instant::now() + timeout;
        let mut buf = Vec::new();
        let mut eof = false;
        loop {
            let exited = !matches!(
                waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT | WaitPidFlag::WNOHANG),
                Ok(WaitStatus::StillAlive) | Err(Errno::EINTR)
            );
            if !eof {
                eof = read_available(&mut out, &mut buf);
            }
            if exited {
                break;
            }
            if std::time::Instant::now() >= deadline {
                warn!(shell = %shell.display(), ?timeout, "the login shell did not finish in time: killing it");
                return None;
            }
            // Wakes as soon as there is output or end of file; otherwise looks at the shell again.
            if eof {
                std::thread::sleep(SHELL_POLL);
            } else {
                let _ = poll(&mut [PollFd::new(out.as_fd(), PollFlags::POLLIN)], PollTimeout::from(SHELL_POLL.as_millis() as u16));
            }
        }
        (!buf.is_empty()).then(|| std::ffi::OsString::from_vec(buf))
    });
    // The shell has exited (a zombie until reaped below) or is to be killed: either way its
    // group id is still its own, so this reaches only the probe's processes.
    let _ = killpg(pid, Signal::SIGKILL);
    let _ = child.wait();
    result
}

/// Reads what the non-blocking pipe holds into `buf`, keeping the last [`MAX_SHELL_OUTPUT`]
/// bytes (the PATH is printed last); true at end of file (or a read error, after which
/// nothing more will come).
fn read_available(out: &mut std::process::ChildStdout, buf: &mut Vec<u8>) -> bool {
    use std::io::Read;
    let mut chunk = [0u8; 4096];
    loop {
        match out.read(&mut chunk) {
            Ok(0) => return true,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > MAX_SHELL_OUTPUT {
                    buf.drain(..buf.len() - MAX_SHELL_OUTPUT);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake login shell, called as `fake-shell -lc COMMAND`: runs `prelude` (its "rc
    /// file"), then COMMAND.
    fn fake_shell(dir: &Path, prelude: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("fake-shell");
        // Written by a child process, never through a descriptor of ours: a descriptor open
        // for writing, inherited by a process another test thread forks at that moment, makes
        // exec fail with "Text file busy" (the lookup then gave up at once, in a loaded run).
        let source = dir.join("fake-shell.txt");
        std::fs::write(&source, format!("#!/bin/sh\n{prelude}\neval \"$2\"\n")).expect("write the fake shell");
        let copied = std::process::Command::new("cp").arg(&source).arg(&path).status().expect("cp");
        assert!(copied.success(), "cp the fake shell");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("make it executable");
        path
    }

    /// Runs the lookup on a thread of its own and gives up after `secs`: a hang must fail the
    /// test, not stall it.
    fn lookup_within(shell: PathBuf, timeout: Duration, secs: u64) -> (Option<std::ffi::OsString>, Duration) {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let t0 = std::time::Instant::now();
            let path = login_shell_path_of(&shell, timeout);
            let _ = tx.send((path, t0.elapsed()));
        });
        rx.recv_timeout(Duration::from_secs(secs)).expect("the login shell lookup returned")
    }

    fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rfind(')').map(|i| s[i + 1..].split_whitespace().next().unwrap_or("Z").to_string()))
            .is_some_and(|state| state != "Z" && state != "X")
    }

    fn wait_dead(pid: u32) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while alive(pid) {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    #[test]
    fn a_background_job_of_the_rc_file_that_holds_stdout_does_not_hang_the_lookup() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pidfile = dir.path().join("sleeper.pid");
        let shell = fake_shell(dir.path(), &format!("PATH=/from/the/login/shell:$PATH\nsleep 300 &\necho $! > '{}'", pidfile.display()));
        let (path, took) = lookup_within(shell, Duration::from_secs(3), 15);
        let sleeper: u32 = std::fs::read_to_string(&pidfile).expect("the rc file ran").trim().parse().expect("a pid");
        let path = path.expect("the PATH was read");
        assert!(path.to_string_lossy().starts_with("/from/the/login/shell:"), "{path:?}");
        assert!(took < Duration::from_secs(3), "took {took:?}");
        assert!(wait_dead(sleeper), "the background job {sleeper} was left running");
    }

    #[test]
    fn a_login_shell_that_never_finishes_is_killed_with_its_group_at_the_time_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pidfile = dir.path().join("sleeper.pid");
        let shell = fake_shell(dir.path(), &format!("sleep 300 &\necho $! > '{}'\nwait", pidfile.display()));
        // Long enough for the rc file to run on a loaded machine (it records its job's pid).
        let limit = Duration::from_secs(2);
        let (path, took) = lookup_within(shell, limit, 15);
        assert_eq!(path, None);
        assert!(took >= limit && took < limit + Duration::from_secs(3), "took {took:?}");
        let sleeper: u32 = std::fs::read_to_string(&pidfile).expect("the rc file ran").trim().parse().expect("a pid");
        assert!(wait_dead(sleeper), "the shell's background job {sleeper} was left running");
    }
}

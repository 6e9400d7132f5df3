//! Running the system `git`: an argument vector (never a shell string), in its own process
//! group, killed with its group when it overruns its timeout or its output bound.
//!
//! Why the system git and not a crate (gix, git2): worktrees, checkouts and commits must
//! behave as the user's own git does — their config (`core.autocrlf`, `core.hooksPath`,
//! `user.*`), their hooks (`post-checkout` sets up many repositories), their filters (Git
//! LFS smudges and cleans through `git-lfs`, which no crate runs), their credential helpers.
//! Only the system git gives all of that. For the read-only work (diffs, numstat) a crate
//! would avoid a process per call, but it would have to re-implement the same filters and
//! attributes to agree with what `git diff` shows the user; one implementation is simpler
//! and cannot disagree with itself. The cost, a process per call, is a few milliseconds.
//!
//! Not through [`crate::runner`]: that is built for long-lived agents streaming lines into
//! a session; git here is a short call whose whole output we want, with a deadline.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use process_wrap::tokio::{KillOnDrop, ProcessGroup, TokioCommandWrap};
use tokio::io::AsyncReadExt;

use crate::error::{Error, Result};

/// How long one git call may take by default. Generous: `git add -A` in a large worktree
/// hashes every changed file, and a checkout with LFS smudging can be slow; a hung call
/// (a hook waiting for input, a network filesystem) must still end.
pub const GIT_TIMEOUT: Duration = Duration::from_secs(120);

/// The most stdout kept from one git call. A diff past this is cut (and said so by the
/// caller): the UI cannot render more anyway, and the app must not hold gigabytes.
pub const MAX_GIT_OUTPUT: usize = 32 * 1024 * 1024;

/// The most stderr kept, for the error message.
const MAX_GIT_STDERR: usize = 16 * 1024;

/// The author and committer of Switchboard's own commits (checkpoints): private refs that
/// are not the user's work, and a repository without `user.email` must not make them fail.
const SWITCHBOARD_IDENT: (&str, &str) = ("Switchboard", "switchboard@localhost");

/// One git invocation, built up and then run.
pub(crate) struct Git {
    dir: PathBuf,
    args: Vec<OsString>,
    env: Vec<(&'static str, OsString)>,
    timeout: Duration,
}

/// What a finished git call printed.
pub(crate) struct GitOutput {
    pub(crate) success: bool,
    pub(crate) code: Option<i32>,
    pub(crate) stdout: Vec<u8>,
    /// Whether stdout was longer than [`MAX_GIT_OUTPUT`] and cut there.
    pub(crate) cut: bool,
    pub(crate) stderr: String,
}

impl Git {
    /// `git` run in `dir` (`-C` is not used: the process's own cwd is the folder).
    pub(crate) fn new(dir: &Path) -> Git {
        Git { dir: dir.to_path_buf(), args: Vec::new(), env: Vec::new(), timeout: GIT_TIMEOUT }
    }

    pub(crate) fn arg(mut self, a: impl AsRef<OsStr>) -> Git {
        self.args.push(a.as_ref().to_os_string());
        self
    }

    pub(crate) fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Git {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    pub(crate) fn env(mut self, k: &'static str, v: impl AsRef<OsStr>) -> Git {
        self.env.push((k, v.as_ref().to_os_string()));
        self
    }

    /// Uses `index` instead of the checkout's index: the user's staging area is never touched.
    pub(crate) fn index(self, index: &Path) -> Git {
        self.env("GIT_INDEX_FILE", index)
    }

    /// Commits made by this call are Switchboard's, dated `at` (the engine's clock).
    pub(crate) fn committed_by_switchboard(self, at: chrono::DateTime<chrono::Utc>) -> Git {
        let date = format!("@{} +0000", at.timestamp());
        self.env("GIT_AUTHOR_NAME", SWITCHBOARD_IDENT.0)
            .env("GIT_AUTHOR_EMAIL", SWITCHBOARD_IDENT.1)
            .env("GIT_COMMITTER_NAME", SWITCHBOARD_IDENT.0)
            .env("GIT_COMMITTER_EMAIL", SWITCHBOARD_IDENT.1)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
    }

    fn describe(&self) -> String {
        let args: Vec<String> = self.args.iter().take(4).map(|a| a.to_string_lossy().into_owned()).collect();
        format!("git {}", args.join(" "))
    }

    /// Runs it and returns what it printed, whatever its exit code. Errors: git could not
    /// be started (not installed), or it overran its timeout (it is killed with its group).
    pub(crate) async fn output(self) -> Result<GitOutput> {
        let what = self.describe();
        let mut cmd = tokio::process::Command::new("git");
        cmd.args(&self.args)
            .current_dir(&self.dir)
            // Never wait for a password on a terminal nobody sees; fail instead.
            .env("GIT_TERMINAL_PROMPT", "0")
            // Messages in one language, so that the few we recognise stay recognisable.
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Inherited from a hook or a `git rebase --exec` that started Switchboard, these would
        // point every call at another repository or index; ours are set explicitly above.
        for name in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY"] {
            if !self.env.iter().any(|(k, _)| *k == name) {
                cmd.env_remove(name);
            }
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = TokioCommandWrap::from(cmd).wrap(ProcessGroup::leader()).wrap(KillOnDrop).spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::invalid("worktree", "git is not installed (or not on PATH); install git to use worktrees")
            } else {
                Error::io(format!("could not start {what}"), e)
            }
        })?;
        let stdout = child.stdout().take();
        let stderr = child.stderr().take();
        let run = async {
            let read_out = async {
                let mut buf = Vec::new();
                if let Some(out) = stdout {
                    out.take(MAX_GIT_OUTPUT as u64 + 1).read_to_end(&mut buf).await?;
                }
                Ok::<_, std::io::Error>(buf)
            };
            let read_err = async {
                let mut buf = Vec::new();
                if let Some(err) = stderr {
                    err.take(MAX_GIT_STDERR as u64).read_to_end(&mut buf).await?;
                }
                Ok::<_, std::io::Error>(buf)
            };
            let (out, err) = tokio::try_join!(read_out, read_err)?;
            if out.len() > MAX_GIT_OUTPUT {
                // Cut: git may still be writing; stop it rather than wait for the rest.
                let _ = Box::into_pin(child.kill()).await;
                return Ok::<_, std::io::Error>((None, out, err));
            }
            let status = Box::into_pin(child.wait()).await?;
            Ok((Some(status), out, err))
        };
        let (status, mut stdout, stderr) = match tokio::time::timeout(self.timeout, run).await {
            Ok(r) => r.map_err(|e| Error::io(format!("{what} failed"), e))?,
            // Dropping the future drops the child: KillOnDrop kills its group.
            Err(_) => return Err(Error::Git { command: what, message: format!("timed out after {} s", self.timeout.as_secs()) }),
        };
        let cut = stdout.len() > MAX_GIT_OUTPUT;
        stdout.truncate(MAX_GIT_OUTPUT);
        let stderr = String::from_utf8_lossy(&stderr).trim().to_string();
        Ok(GitOutput { success: status.is_some_and(|s| s.success()) || cut, code: status.and_then(|s| s.code()), stdout, cut, stderr })
    }

    /// Runs it and returns its stdout; a non-zero exit is an error with git's message.
    pub(crate) async fn run(self) -> Result<Vec<u8>> {
        let what = self.describe();
        let out = self.output().await?;
        if !out.success {
            return Err(Error::Git { command: what, message: first_lines(&out.stderr, out.code) });
        }
        Ok(out.stdout)
    }

    /// [`Git::run`], its stdout as one trimmed line of text.
    pub(crate) async fn line(self) -> Result<String> {
        Ok(String::from_utf8_lossy(&self.run().await?).trim().to_string())
    }
}

/// git's message, at most a few lines, or its exit code when it said nothing.
fn first_lines(stderr: &str, code: Option<i32>) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).take(4).collect();
    if lines.is_empty() {
        return format!("exited with {}", code.map(|c| c.to_string()).unwrap_or_else(|| "a signal".into()));
    }
    crate::error::shorten(&lines.join(" / "), 600)
}

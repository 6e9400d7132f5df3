//! Child processes: spawned from an argument vector in their own process group, read by
//! bounded line readers, stopped with SIGTERM → grace → SIGKILL to the whole group, and
//! always reaped. Nothing here knows about sessions; the engine gives each process a
//! [`ProcessSink`] and gets lines and the exit back.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use process_wrap::tokio::{KillOnDrop, ProcessGroup, TokioChildWrapper, TokioCommandWrap};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, instrument, warn};

use crate::model::Stream;

/// The longest line kept whole. Longer lines are cut here and the rest of the line is
/// skipped and counted, so one runaway line (a 100 MB JSON blob) costs at most this much.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// How long the readers may go on draining after the process exited before the group is
/// killed: a grandchild that holds the pipe open must not keep a session alive.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);

/// How long to wait for the rest of a killed group to disappear.
const GROUP_EXIT_WAIT: Duration = Duration::from_secs(2);

/// Control messages queued to a process task; a handful at most are ever in flight.
const CONTROL_QUEUE: usize = 8;

/// What to run.
#[derive(Debug, Clone)]
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    /// Added to the inherited environment.
    pub env: BTreeMap<String, String>,
    /// Keep a pipe to the process's stdin (for agents that take follow-ups there);
    /// otherwise stdin is /dev/null.
    pub stdin: bool,
}

impl Launch {
    /// The command line as a user would read it (for logs and debug info), shell-quoted.
    pub fn display(&self) -> String {
        std::iter::once(self.program.to_string_lossy().into_owned())
            .chain(self.args.iter().cloned())
            .map(|a| {
                if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c)) {
                    a
                } else {
                    format!("'{}'", a.replace('\'', r"'\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// True when the exit followed a stop request of ours.
    pub stopped: bool,
}

impl Exit {
    fn from_status(status: ExitStatus, stopped: bool) -> Exit {
        use std::os::unix::process::ExitStatusExt;
        Exit { code: status.code(), signal: status.signal(), stopped }
    }

    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// "exited with code 2", "killed by signal 9 (SIGKILL)".
    pub fn describe(&self) -> String {
        match (self.code, self.signal) {
            (Some(c), _) => format!("exited with code {c}"),
            (None, Some(s)) => {
                let name = Signal::try_from(s).map(|s| s.as_str()).unwrap_or("unknown");
                format!("killed by signal {s} ({name})")
            }
            (None, None) => "ended with an unknown status".to_string(),
        }
    }
}

/// Receives what a process produces. Called from the process's reader tasks.
pub trait ProcessSink: Send + Sync + 'static {
    /// One line (without its newline), lossily decoded. `truncated` counts bytes cut off.
    fn line(&self, stream: Stream, line: String, truncated: usize);
    /// The process and its group are gone and every line was delivered before this call.
    fn exited(&self, exit: Exit);
}

/// How long one write to a process's stdin may take before it counts as stuck.
const STDIN_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

enum Control {
    Stop { grace: Duration, done: oneshot::Sender<()> },
    Write { line: String, done: oneshot::Sender<std::io::Result<()>> },
    Signal { signal: Signal },
}

/// A running process. Dropping it does not stop the process; [`ProcessHandle::stop`] does,
/// and the process task kills the group if it is ever dropped with the process alive.
#[derive(Clone)]
pub struct ProcessHandle {
    pid: u32,
    control: mpsc::Sender<Control>,
}

impl ProcessHandle {
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Stops the process: when it has a stdin pipe, closes it and gives the process `grace`
    /// to finish on its own (agents exit cleanly at the end of their input); then SIGTERM
    /// to the group, `grace` again, then SIGKILL. Returns once reaped and every line was
    /// delivered; at once if the process has already gone.
    pub async fn stop(&self, grace: Duration) {
        let (done, wait) = oneshot::channel();
        if self.control.send(Control::Stop { grace, done }).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Writes one line (a newline is added) to the process's stdin.
    pub async fn write_line(&self, line: String) -> std::io::Result<()> {
        let (done, wait) = oneshot::channel();
        self.control
            .send(Control::Write { line, done })
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the process has exited"))?;
        wait.await.unwrap_or_else(|_| Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the process has exited")))
    }

    /// Sends a signal to the whole process group.
    pub async fn signal(&self, signal: Signal) {
        let _ = self.control.send(Control::Signal { signal }).await;
    }
}

/// Starts `launch` in its own process group, stdin closed, stdout and stderr read line by
/// line into `sink`. Must be called within a tokio runtime.
#[instrument(skip_all, fields(program = %launch.program.display()))]
pub fn spawn(launch: &Launch, sink: Arc<dyn ProcessSink>) -> std::io::Result<ProcessHandle> {
    let mut cmd = tokio::process::Command::new(&launch.program);
    cmd.args(&launch.args)
        .current_dir(&launch.cwd)
        .envs(&launch.env)
        .stdin(if launch.stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = TokioCommandWrap::from(cmd).wrap(ProcessGroup::leader()).wrap(KillOnDrop).spawn()?;
    let pid = child.id().ok_or_else(|| std::io::Error::other("the process exited before it could be watched"))?;
    info!(pid, command = %launch.display(), "process started");
    let stdin = child.stdin().take();
    let stdout = child.stdout().take();
    let stderr = child.stderr().take();
    let mut readers = Vec::new();
    if let Some(out) = stdout {
        readers.push(tokio::spawn(read_lines(out, Stream::Stdout, sink.clone())));
    }
    if let Some(err) = stderr {
        readers.push(tokio::spawn(read_lines(err, Stream::Stderr, sink.clone())));
    }
    let (control, rx) = mpsc::channel(CONTROL_QUEUE);
    tokio::spawn(supervise(child, pid, stdin, rx, readers, sink));
    Ok(ProcessHandle { pid, control })
}

/// Owns the child: waits for it, obeys stop requests, reaps it, drains the readers,
/// makes sure no process of its group outlives it, then reports the exit.
async fn supervise(
    mut child: Box<dyn TokioChildWrapper>,
    pid: u32,
    mut stdin: Option<tokio::process::ChildStdin>,
    mut control: mpsc::Receiver<Control>,
    readers: Vec<tokio::task::JoinHandle<()>>,
    sink: Arc<dyn ProcessSink>,
) {
    let mut stopped = false;
    let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
    let status = loop {
        let event = {
            let wait = Box::into_pin(child.wait());
            tokio::select! {
                status = wait => Ok(status),
                msg = control.recv() => Err(msg),
            }
        };
        match event {
            Ok(status) => break status,
            Err(Some(Control::Write { line, done })) => {
                let result = match stdin.as_mut() {
                    Some(pipe) => {
                        let mut bytes = line.into_bytes();
                        bytes.push(b'\n');
                        let write = async {
                            pipe.write_all(&bytes).await?;
                            pipe.flush().await
                        };
                        match tokio::time::timeout(STDIN_WRITE_TIMEOUT, write).await {
                            Ok(r) => r,
                            Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "the process does not read its input")),
                        }
                    }
                    None => Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the process has no input pipe")),
                };
                let _ = done.send(result);
            }
            Err(Some(Control::Signal { signal })) => {
                let _ = child.signal(signal as i32);
            }
            Err(Some(Control::Stop { grace, done })) => {
                waiters.push(done);
                stopped = true;
                if let Some(pipe) = stdin.take() {
                    drop(pipe);
                    debug!(pid, "stopping: input closed, waiting for the process to finish");
                    if let Ok(status) = tokio::time::timeout(grace, Box::into_pin(child.wait())).await {
                        break status;
                    }
                }
                debug!(pid, "stopping: SIGTERM to the group");
                let _ = child.signal(Signal::SIGTERM as i32);
                match tokio::time::timeout(grace, Box::into_pin(child.wait())).await {
                    Ok(status) => break status,
                    Err(_) => {
                        warn!(pid, ?grace, "still alive after the grace period: SIGKILL to the group");
                        let _ = child.signal(Signal::SIGKILL as i32);
                        break Box::into_pin(child.wait()).await;
                    }
                }
            }
            // Every handle is gone: nobody can stop it any more, so let it run to its end.
            Err(None) => break Box::into_pin(child.wait()).await,
        }
    };
    // The leader is reaped. Give the readers a moment to drain what is left in the pipes,
    // then make sure nothing of the group survives (a grandchild holding the pipe open).
    let drain = futures_join_all(readers);
    tokio::pin!(drain);
    if tokio::time::timeout(DRAIN_AFTER_EXIT, &mut drain).await.is_err() {
        warn!(pid, "output still open after exit: killing the rest of the group");
        let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
        drain.await;
    } else {
        let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
    }
    // A signal is delivered asynchronously: wait until the group is really gone, so that
    // "stopped" means no process of it is left.
    let deadline = tokio::time::Instant::now() + GROUP_EXIT_WAIT;
    while group_alive(pid) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let exit = match status {
        Ok(status) => Exit::from_status(status, stopped),
        Err(e) => {
            warn!(pid, error = %e, "waiting for the process failed");
            Exit { code: None, signal: None, stopped }
        }
    };
    info!(pid, exit = %exit.describe(), stopped, "process ended");
    sink.exited(exit);
    for w in waiters {
        let _ = w.send(());
    }
    // Later stop requests find the channel closed and return at once.
    control.close();
    while let Some(msg) = control.recv().await {
        match msg {
            Control::Stop { done, .. } => {
                let _ = done.send(());
            }
            Control::Write { done, .. } => {
                let _ = done.send(Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the process has exited")));
            }
            Control::Signal { .. } => {}
        }
    }
}

async fn futures_join_all(handles: Vec<tokio::task::JoinHandle<()>>) {
    for h in handles {
        let _ = h.await;
    }
}

/// Reads `reader` line by line with at most [`MAX_LINE_BYTES`] buffered for one line.
async fn read_lines<R: AsyncRead + Unpin>(reader: R, stream: Stream, sink: Arc<dyn ProcessSink>) {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let mut line: Vec<u8> = Vec::new();
    let mut skipped = 0usize;
    loop {
        let buf = match reader.fill_buf().await {
            Ok(b) => b,
            Err(e) => {
                warn!(?stream, error = %e, "reading output failed");
                break;
            }
        };
        if buf.is_empty() {
            if !line.is_empty() || skipped > 0 {
                emit(&sink, stream, &mut line, &mut skipped);
            }
            break;
        }
        let (chunk, newline) = match memchr(buf) {
            Some(i) => (&buf[..i], Some(i)),
            None => (buf, None),
        };
        let room = MAX_LINE_BYTES - line.len();
        if chunk.len() <= room {
            line.extend_from_slice(chunk);
        } else {
            line.extend_from_slice(&chunk[..room]);
            skipped += chunk.len() - room;
        }
        let used = newline.map_or(chunk.len(), |i| i + 1);
        reader.consume(used);
        if newline.is_some() {
            emit(&sink, stream, &mut line, &mut skipped);
        }
    }
}

/// When the process started, in clock ticks since boot (`/proc/PID/stat` field 22):
/// together with the pid it identifies a process across pid reuse. None if it is gone.
pub fn process_start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces: skip past it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether any process of group `pgid` is still running. Zombies do not count: they are
/// dead, only not yet reaped (in containers whose init does not reap, they linger).
pub fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return killpg(Pid::from_raw(pgid as i32), None).is_ok();
    };
    entries.filter_map(Result::ok).any(|e| {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { return false };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
        let Some(close) = stat.rfind(')') else { return false };
        let mut fields = stat[close + 1..].split_whitespace();
        let state = fields.next().unwrap_or("Z");
        let pgrp = fields.nth(1).and_then(|g| g.parse::<u32>().ok());
        pgrp == Some(pgid) && state != "Z" && state != "X"
    })
}

/// Stops a process group we no longer hold a handle to: SIGTERM, `grace`, SIGKILL.
pub async fn stop_group(pgid: u32, grace: Duration) {
    let group = Pid::from_raw(pgid as i32);
    if killpg(group, Signal::SIGTERM).is_err() {
        return;
    }
    let deadline = tokio::time::Instant::now() + grace;
    while tokio::time::Instant::now() < deadline {
        if !group_alive(pgid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = killpg(group, Signal::SIGKILL);
}

fn memchr(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == b'\n')
}

fn emit(sink: &Arc<dyn ProcessSink>, stream: Stream, line: &mut Vec<u8>, skipped: &mut usize) {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let text = String::from_utf8_lossy(line).into_owned();
    sink.line(stream, text, *skipped);
    line.clear();
    if line.capacity() > 1024 * 1024 {
        // Do not keep a huge buffer around after one long line.
        line.shrink_to(64 * 1024);
    }
    *skipped = 0;
}

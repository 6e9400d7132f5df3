//! Child processes: spawned from an argument vector in their own process group, read by
//! bounded line readers, stopped with SIGTERM → grace → SIGKILL to the whole process tree,
//! and always reaped. Nothing here knows about sessions; the engine gives each process a
//! [`ProcessSink`] and gets lines and the exit back.
//!
//! # The process tree
//!
//! A process group is not enough to find what an agent started: a dev server that
//! daemonizes (`setsid`, double fork) leaves the group, and if it keeps the agent's stdout
//! it also keeps the session's output open. So every spawned process gets a marker in its
//! environment, [`MARKER_ENV`]`=<token unique to this spawn>`, which descendants inherit
//! across `setsid` and forks. The *tree* of a process is then, found by one pass over
//! `/proc`: its process group, every process whose environment carries its marker, and
//! every descendant (by parent pid) of those. Stopping signals the whole tree; after the
//! process exited, whatever is left of the tree is killed.
//!
//! A cgroup per process would be exact, but needs a delegated cgroup v2 subtree (a
//! systemd user scope): desktop sessions have one, containers and CI mostly do not (this
//! one has cgroup v1 and no user manager), so the `/proc` walk is what runs everywhere.
//! What it misses: a descendant that clears its environment *and* is no longer below a
//! marked process (reparented after its parent died).
//!
//! Make the app and the CLI child subreapers at start ([`become_subreaper`]): orphaned
//! descendants are then reparented to Switchboard rather than to init, so their pids stay
//! ours until we reap them and the kill after exit cannot hit a reused pid.
//!
//! # Order of events at exit
//!
//! The leader's exit is observed *without reaping it* (`waitid(WEXITED | WNOWAIT)` on a
//! small thread of its own). While it is an unreaped zombie its pid, and so its process
//! group id, cannot be given to another process: every signal to the group lands in this
//! tree. Then the readers drain (bounded), the rest of the tree is killed, and only then is
//! the leader reaped and the exit reported.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{kill, killpg, Signal};
use nix::sys::wait::{waitid, waitpid, Id, WaitPidFlag};
use nix::unistd::Pid;
use process_wrap::tokio::{KillOnDrop, ProcessGroup, TokioChildWrapper, TokioCommandWrap};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, info_span, instrument, warn, Instrument};

use crate::model::Stream;

/// The longest line kept whole. Longer lines are cut here and the rest of the line is
/// skipped and counted, so one runaway line (a 100 MB JSON blob) costs at most this much.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// The environment variable that marks every process of one spawned tree (see the module
/// docs). Its value is unique per spawn.
pub const MARKER_ENV: &str = "SWITCHBOARD_PROC";

/// Variables that a coding agent sets for the commands it runs, to mark them as running
/// inside one of its sessions. Started from such a terminal, Switchboard inherits them, and
/// an agent that sees them refuses to start or changes behaviour: Claude Code with
/// `CLAUDECODE` refuses to run "nested", with `CLAUDE_CODE_CHILD_SESSION` it stops saving
/// its session (so it cannot be resumed), and the others point at the parent session (its
/// id, its IDE port, its project folder). They are removed from every child's environment,
/// unless the launch sets one explicitly. The list is the one Claude Code 2.1 sets for its
/// shells (`CLAUDECODE`, `CLAUDE_CODE_SESSION_ID`, `CLAUDE_CODE_CHILD_SESSION`,
/// `CLAUDE_CODE_EXECPATH`, `CLAUDE_PROJECT_DIR`) plus its entry-point and IDE markers.
/// Configuration variables (`CLAUDE_CODE_USE_BEDROCK`, `CLAUDE_CODE_MAX_OUTPUT_TOKENS`, …)
/// are the user's and stay.
pub const INHERITED_SESSION_MARKERS: &[&str] = &[
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SSE_PORT",
    "CLAUDE_CODE_SESSION_ID",
    "CLAUDE_CODE_CHILD_SESSION",
    "CLAUDE_CODE_EXECPATH",
    "CLAUDE_PROJECT_DIR",
];

/// The signal a spawned process gets when the Switchboard process that started it dies
/// (`PR_SET_PDEATHSIG`), so that an agent never outlives a CLI killed with `kill -9`.
/// SIGKILL rather than SIGTERM: nobody is left to escalate if the agent ignores or is slow
/// to act on SIGTERM, and the agents save their transcripts as they go, so a hard stop
/// loses at most the turn in progress, which nobody is reading any more. Only the leader
/// gets it; what it started in its group is orphaned and is stopped by the next
/// Switchboard's reconcile (by recorded pid, start time and boot id).
const PARENT_DEATH_SIGNAL: Signal = Signal::SIGKILL;

/// How long the readers may go on draining after the process exited before the rest of its
/// tree is killed: a grandchild that holds the pipe open must not keep a session alive.
pub(crate) const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);

/// How long the readers may still take once the tree was killed: the last bytes in the
/// pipes. Past it, the pipe is held by a process the tree walk did not find (it cleared its
/// environment and left the tree) or could not kill, and the readers are abandoned rather
/// than left to hang the exit report.
pub(crate) const DRAIN_AFTER_KILL: Duration = Duration::from_secs(1);

/// How long to wait for the processes of a killed tree to disappear.
const TREE_EXIT_WAIT: Duration = Duration::from_secs(2);

/// How often a dying tree is looked at again. A look is one pass over `/proc`.
const TREE_POLL: Duration = Duration::from_millis(20);

/// Control messages queued to a process task; a handful at most are ever in flight.
pub(crate) const CONTROL_QUEUE: usize = 8;

/// Stack of the thread that waits for one process's exit; it only sits in `waitid`.
const EXIT_WATCH_STACK: usize = 64 * 1024;

/// The most of a process's environment read when looking for the marker. The kernel
/// limits arguments and environment together to a quarter of the stack limit (2 MiB with
/// the usual 8 MiB stack); this leaves room for a raised limit and bounds the read.
const MAX_ENVIRON_BYTES: u64 = 4 * 1024 * 1024;

/// How long one write to a process's stdin may take before it counts as stuck.
const STDIN_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// What to run.
#[derive(Clone, Default)]
pub struct Launch {
    /// The executable: an absolute path, or a name looked up on PATH.
    pub program: PathBuf,
    /// Its arguments, passed as they are (never through a shell).
    pub args: Vec<String>,
    /// The folder it runs in.
    pub cwd: PathBuf,
    /// Added to the inherited environment (which loses [`INHERITED_SESSION_MARKERS`]
    /// first, unless set here).
    pub env: BTreeMap<String, String>,
    /// Keep a pipe to the process's stdin (for agents that take follow-ups there);
    /// otherwise stdin is /dev/null. Excludes `stdin_data`.
    pub stdin: bool,
    /// Written to the process's stdin, which is then closed: how one-shot agents get their
    /// prompt, so that it is in no command line (`/proc/*/cmdline` is readable by every
    /// local user, and one argument longer than 128 KiB fails with E2BIG). Never logged.
    pub stdin_data: Option<String>,
    /// Text passed to the process as a file: written to a new file readable only by the
    /// user (0600) in the temporary folder, passed as the argument `FLAG=PATH` after `args`,
    /// and deleted once the process exited. Never logged.
    pub arg_file: Option<ArgFile>,
}

/// See [`Launch::arg_file`].
#[derive(Clone)]
pub struct ArgFile {
    /// The option that takes the file's path, e.g. `--append-system-prompt-file`.
    pub flag: String,
    /// The text written to the file (e.g. a system prompt).
    pub contents: String,
}

impl Launch {
    /// The command line as a user would read it (for logs, debug info and the session's
    /// `launch_command`), shell-quoted. Never shows `stdin_data` or the `arg_file`'s
    /// contents, only their length: `<prompt on stdin: 1234 chars>`.
    pub fn display(&self) -> String {
        let mut words: Vec<String> = std::iter::once(self.program.to_string_lossy().into_owned())
            .chain(self.args.iter().cloned())
            .map(|a| {
                if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c)) {
                    a
                } else {
                    format!("'{}'", a.replace('\'', r"'\''"))
                }
            })
            .collect();
        if let Some(f) = &self.arg_file {
            words.push(format!("{}=<file: {} chars>", f.flag, f.contents.chars().count()));
        }
        if let Some(data) = &self.stdin_data {
            words.push(format!("<prompt on stdin: {} chars>", data.chars().count()));
        }
        words.join(" ")
    }
}

/// Shows what [`Launch::display`] shows, and the environment's names only: values may be
/// credentials, the input is a prompt.
impl std::fmt::Debug for Launch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Launch")
            .field("command", &self.display())
            .field("cwd", &self.cwd)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .field("stdin", &self.stdin)
            .finish()
    }
}

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// The exit code; None when a signal ended the process.
    pub code: Option<i32>,
    /// The signal that ended the process (e.g. 9 for SIGKILL); None when it exited by itself.
    pub signal: Option<i32>,
    /// True when the exit followed a stop request of ours.
    pub stopped: bool,
}

impl Exit {
    fn from_status(status: ExitStatus, stopped: bool) -> Exit {
        use std::os::unix::process::ExitStatusExt;
        Exit { code: status.code(), signal: status.signal(), stopped }
    }

    /// Whether it exited with code 0.
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
    /// Called on the async runtime: must not block.
    fn line(&self, stream: Stream, line: String, truncated: usize);
    /// Several lines read at once (all that one read of the pipe completed), in order: one
    /// hand-over instead of one per line. By default, [`ProcessSink::line`] for each.
    fn lines(&self, stream: Stream, lines: Vec<(String, usize)>) {
        for (line, truncated) in lines {
            self.line(stream, line, truncated);
        }
    }
    /// The process and its tree are gone and every line was delivered before this call
    /// (unless a process outside the tree held the output open; then the rest is dropped).
    fn exited(&self, exit: Exit);
    /// Back-pressure: when the sink has too much waiting, a future that resolves once it
    /// has room. The reader awaits it before reading more, so a slow sink makes the
    /// process block on its write instead of growing a buffer.
    fn room(&self) -> Option<Wait> {
        None
    }
    /// After [`ProcessSink::exited`]: a future that resolves once the sink has handled the
    /// exit. Stop requests are answered after it, so a caller that stopped a process sees
    /// its exit recorded.
    fn settled(&self) -> Option<Wait> {
        None
    }
}

/// A future a [`ProcessSink`] hands the runner to wait on.
pub type Wait = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// What a process's task is asked to do (see [`ProcessHandle`]).
pub(crate) enum Control {
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
    /// A handle on a process whose task (another kind of supervisor, such as the terminal
    /// host's) obeys `control` as [`spawn`]'s does.
    pub(crate) fn new(pid: u32, control: mpsc::Sender<Control>) -> ProcessHandle {
        ProcessHandle { pid, control }
    }

    /// The process's id, which is also its process group's (the group is stopped as one).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Stops the process: when it has a stdin pipe, closes it and gives the process `grace`
    /// to finish on its own (agents exit cleanly at the end of their input); then SIGTERM
    /// to its whole tree, `grace` again, then SIGKILL. Returns once reaped and every line
    /// was delivered; at once if the process has already gone.
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

    /// Sends a signal to the process group (not to descendants that left it: an interrupt
    /// is for the agent and its tools, not for a dev server it daemonized).
    pub async fn signal(&self, signal: Signal) {
        let _ = self.control.send(Control::Signal { signal }).await;
    }

    /// [`ProcessHandle::write_line`] from a plain thread (a session's own), without waiting
    /// for the write: lines queued from one thread are written in the order queued; the
    /// receiver tells how the write went. Never call it on the async runtime.
    pub fn queue_line(&self, line: String) -> std::io::Result<oneshot::Receiver<std::io::Result<()>>> {
        let (done, wait) = oneshot::channel();
        self.control
            .blocking_send(Control::Write { line, done })
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the process has exited"))?;
        Ok(wait)
    }

    /// [`ProcessHandle::signal`] from a plain thread. Never call it on the async runtime.
    pub fn queue_signal(&self, signal: Signal) {
        let _ = self.control.blocking_send(Control::Signal { signal });
    }
}

/// Makes this process a child subreaper (`PR_SET_CHILD_SUBREAPER`): descendants orphaned
/// by their parent's exit are reparented to it instead of to init. The app and the CLI call
/// it once at start. The runner reaps the orphans of the trees it kills; an orphan that
/// exits on its own while its session still runs stays a zombie (no memory, one pid) until
/// Switchboard exits, because nothing can tell it from a child that other code will wait for.
pub fn become_subreaper() -> std::io::Result<()> {
    nix::sys::prctl::set_child_subreaper(true).map_err(std::io::Error::from)
}

/// Starts `launch` in its own process group, with a marker in its environment and a
/// parent-death signal, stdout and stderr read line by line into `sink`.
///
/// Must be called within a tokio runtime, from a thread that lives as long as the process
/// should: the parent-death signal fires when the *thread* that spawned the process exits,
/// not the process. Runtime worker threads (where async code runs) live as long as the
/// runtime; threads of `spawn_blocking` and `block_in_place` end after a few idle seconds
/// and would take the process with them.
#[instrument(skip_all, fields(program = %launch.program.display()))]
pub fn spawn(launch: &Launch, sink: Arc<dyn ProcessSink>) -> std::io::Result<ProcessHandle> {
    if launch.stdin && launch.stdin_data.is_some() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a launch either keeps stdin open or writes data to it, not both",
        ));
    }
    let arg_file = launch.arg_file.as_ref().map(write_arg_file).transpose()?;
    let marker = new_marker();
    let mut cmd = tokio::process::Command::new(&launch.program);
    cmd.args(&launch.args);
    if let (Some(spec), Some(path)) = (&launch.arg_file, &arg_file) {
        let mut arg = OsString::from(format!("{}=", spec.flag));
        arg.push(path.as_os_str());
        cmd.arg(arg);
    }
    for name in INHERITED_SESSION_MARKERS.iter().filter(|n| !launch.env.contains_key(**n)) {
        cmd.env_remove(name);
    }
    cmd.current_dir(&launch.cwd)
        .envs(&launch.env)
        .env(MARKER_ENV, &marker)
        .stdin(if launch.stdin || launch.stdin_data.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let parent = std::process::id();
    // SAFETY: the hook runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: it makes two system calls and allocates nothing.
    unsafe {
        cmd.pre_exec(move || die_with_parent(parent));
    }
    let mut child = TokioCommandWrap::from(cmd).wrap(ProcessGroup::leader()).wrap(KillOnDrop).spawn()?;
    let pid = child.id().ok_or_else(|| std::io::Error::other("the process exited before it could be watched"))?;
    // On failure the child is dropped here, and KillOnDrop kills its group.
    let exited = watch_exit(pid)?;
    info!(pid, %marker, command = %launch.display(), "process started");
    let mut stdin = child.stdin().take();
    let feeder = match (&launch.stdin_data, stdin.take()) {
        (Some(data), Some(pipe)) => Some(tokio::spawn(feed(pipe, data.clone(), pid).instrument(info_span!("input", pid)))),
        (_, pipe) => {
            stdin = pipe;
            None
        }
    };
    let mut readers = Vec::new();
    if let Some(out) = child.stdout().take() {
        readers.push(tokio::spawn(read_lines(out, Stream::Stdout, sink.clone()).instrument(info_span!("stdout", pid))));
    }
    if let Some(err) = child.stderr().take() {
        readers.push(tokio::spawn(read_lines(err, Stream::Stderr, sink.clone()).instrument(info_span!("stderr", pid))));
    }
    let (control, rx) = mpsc::channel(CONTROL_QUEUE);
    let supervised = Supervised { child, pid, marker, stdin, feeder, readers, exited, arg_file, sink };
    tokio::spawn(supervise(supervised, rx).instrument(info_span!("process", pid)));
    Ok(ProcessHandle { pid, control })
}

/// A token unique to one spawn: our pid, a counter and the time (another Switchboard
/// process has another pid; a later one with our pid another time).
pub(crate) fn new_marker() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}-{}-{:x}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), nanos)
}

/// In the child, before exec: asks for [`PARENT_DEATH_SIGNAL`] when `parent` dies. If the
/// parent already died between fork and here, no signal would ever come: the spawn fails.
fn die_with_parent(parent: u32) -> std::io::Result<()> {
    nix::sys::prctl::set_pdeathsig(PARENT_DEATH_SIGNAL)?;
    if nix::unistd::getppid().as_raw() as u32 != parent {
        return Err(std::io::Error::from(Errno::ESRCH));
    }
    Ok(())
}

/// Writes an [`ArgFile`]'s contents to a new 0600 file; the returned path deletes the file
/// when dropped.
pub(crate) fn write_arg_file(spec: &ArgFile) -> std::io::Result<tempfile::TempPath> {
    use std::io::Write;
    // `tempfile` creates the file with O_EXCL and mode 0600 under a random name.
    let mut file = tempfile::Builder::new().prefix("switchboard-").suffix(".txt").tempfile()?;
    file.write_all(spec.contents.as_bytes())?;
    file.flush()?;
    Ok(file.into_temp_path())
}

/// Resolves once our child `pid` has exited, without reaping it (see the module docs).
/// A plain thread blocked in `waitid`, one per live process, rather than tokio's blocking
/// pool: that pool is capped and meant for short jobs, and this wait lasts as long as the
/// process. If the process is reaped elsewhere (it should not be), `waitid` fails with
/// ECHILD and this resolves all the same.
pub(crate) fn watch_exit(pid: u32) -> std::io::Result<oneshot::Receiver<()>> {
    let (tx, rx) = oneshot::channel();
    std::thread::Builder::new().name(format!("exit-{pid}")).stack_size(EXIT_WATCH_STACK).spawn(move || {
        while let Err(Errno::EINTR) = waitid(Id::Pid(Pid::from_raw(pid as i32)), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT) {}
        let _ = tx.send(());
    })?;
    Ok(rx)
}

/// Writes `data` to the process's stdin, then closes it. Aborted if the process exits first.
async fn feed(mut pipe: tokio::process::ChildStdin, data: String, pid: u32) {
    let write = async {
        pipe.write_all(data.as_bytes()).await?;
        pipe.shutdown().await
    };
    match write.await {
        Ok(()) => debug!(pid, bytes = data.len(), "input written, stdin closed"),
        Err(e) => warn!(pid, error = %e, "writing the input failed"),
    }
}

/// Everything the process task owns.
struct Supervised {
    child: Box<dyn TokioChildWrapper>,
    pid: u32,
    marker: String,
    stdin: Option<tokio::process::ChildStdin>,
    feeder: Option<tokio::task::JoinHandle<()>>,
    readers: Vec<tokio::task::JoinHandle<()>>,
    /// Resolves when the leader exited; it is not reaped yet.
    exited: oneshot::Receiver<()>,
    /// Deleted when dropped, after the process is gone.
    arg_file: Option<tempfile::TempPath>,
    sink: Arc<dyn ProcessSink>,
}

/// Owns the child: obeys control messages until the leader exits, drains the readers,
/// kills what is left of the tree, reaps the leader, then reports the exit.
async fn supervise(mut p: Supervised, mut control: mpsc::Receiver<Control>) {
    let pid = p.pid;
    let mut stopped = false;
    let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
    loop {
        let msg = tokio::select! {
            _ = &mut p.exited => break,
            msg = control.recv() => msg,
        };
        match msg {
            Some(Control::Write { line, done }) => {
                let result = match p.stdin.as_mut() {
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
            Some(Control::Signal { signal }) => {
                // The leader is not reaped, so the group id is still this group's.
                let _ = killpg(Pid::from_raw(pid as i32), signal);
            }
            Some(Control::Stop { grace, done }) => {
                waiters.push(done);
                stopped = true;
                if let Some(pipe) = p.stdin.take() {
                    drop(pipe);
                    debug!(pid, "stopping: input closed, waiting for the process to finish");
                    if tokio::time::timeout(grace, &mut p.exited).await.is_ok() {
                        break;
                    }
                }
                debug!(pid, "stopping: SIGTERM to the process tree");
                signal_tree(pid, Some(&p.marker), Signal::SIGTERM);
                if tokio::time::timeout(grace, &mut p.exited).await.is_ok() {
                    break;
                }
                warn!(pid, ?grace, "still alive after the grace period: SIGKILL to the process tree");
                signal_tree(pid, Some(&p.marker), Signal::SIGKILL);
                let _ = (&mut p.exited).await;
                break;
            }
            // Every handle is gone: nobody can stop it any more, so let it run to its end.
            None => {
                let _ = (&mut p.exited).await;
                break;
            }
        }
    }
    // The leader has exited and is a zombie: its pid and group id are still ours. Give the
    // readers a moment to drain what is left in the pipes, then make sure nothing of the
    // tree survives (a grandchild holding the pipe open, a daemonized server).
    if let Some(feeder) = p.feeder.take() {
        feeder.abort();
    }
    drop(p.stdin.take());
    let aborts: Vec<_> = p.readers.iter().map(|r| r.abort_handle()).collect();
    let drain = join_all(std::mem::take(&mut p.readers));
    tokio::pin!(drain);
    // Time the readers spend waiting for a slow sink (back-pressure) does not count: the
    // rest of the output is in the pipe and will be read once the sink has room.
    let drained = loop {
        match tokio::time::timeout(DRAIN_AFTER_EXIT, &mut drain).await {
            Ok(()) => break true,
            Err(_) if p.sink.room().is_some() => continue,
            Err(_) => break false,
        }
    };
    if !drained {
        warn!(pid, "output still open after exit: killing the rest of the process tree");
    }
    let left = kill_tree(pid, &p.marker).await;
    if left > 0 {
        warn!(pid, left, "processes of the tree are still alive after SIGKILL");
    }
    let drained_after_kill = drained
        || loop {
            match tokio::time::timeout(DRAIN_AFTER_KILL, &mut drain).await {
                Ok(()) => break true,
                Err(_) if p.sink.room().is_some() => continue,
                Err(_) => break false,
            }
        };
    if !drained_after_kill {
        warn!(pid, "output still held open by a process outside the tree: dropping the rest");
        for a in aborts {
            a.abort();
        }
        // Aborted tasks finish at once; awaiting them makes sure no line comes after the exit.
        drain.await;
    }
    let status = Box::into_pin(p.child.wait()).await;
    drop(p.arg_file.take());
    let exit = match status {
        Ok(status) => Exit::from_status(status, stopped),
        Err(e) => {
            warn!(pid, error = %e, "waiting for the process failed");
            Exit { code: None, signal: None, stopped }
        }
    };
    info!(pid, exit = %exit.describe(), stopped, "process ended");
    p.sink.exited(exit);
    if let Some(settled) = p.sink.settled() {
        settled.await;
    }
    for w in waiters {
        let _ = w.send(());
    }
    refuse_after_exit(control).await;
}

/// After the exit was reported: answers what is still queued (stops at once, writes with
/// "exited"); later requests find the channel closed.
pub(crate) async fn refuse_after_exit(mut control: mpsc::Receiver<Control>) {
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

async fn join_all(handles: Vec<tokio::task::JoinHandle<()>>) {
    for h in handles {
        let _ = h.await;
    }
}

/// Reads `reader` line by line with at most [`MAX_LINE_BYTES`] buffered for one line. The
/// lines one read completed go to the sink together, before the next read (which may wait).
async fn read_lines<R: AsyncRead + Unpin>(reader: R, stream: Stream, sink: Arc<dyn ProcessSink>) {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let mut line: Vec<u8> = Vec::new();
    let mut skipped = 0usize;
    let mut done: Vec<(String, usize)> = Vec::new();
    loop {
        if reader.buffer().is_empty() && !done.is_empty() {
            sink.lines(stream, std::mem::take(&mut done));
            if let Some(room) = sink.room() {
                room.await;
            }
        }
        let buf = match reader.fill_buf().await {
            Ok(b) => b,
            Err(e) => {
                warn!(?stream, error = %e, "reading output failed");
                break;
            }
        };
        if buf.is_empty() {
            if !line.is_empty() || skipped > 0 {
                done.push(take_line(&mut line, &mut skipped));
            }
            break;
        }
        let (chunk, newline) = match memchr::memchr(b'\n', buf) {
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
            done.push(take_line(&mut line, &mut skipped));
        }
    }
    if !done.is_empty() {
        sink.lines(stream, done);
    }
}

// ---------------------------------------------------------------------------------------------
// Processes in /proc

/// When the process started, in clock ticks since boot (`/proc/PID/stat` field 22):
/// together with the pid it identifies a process across pid reuse within one boot. None if
/// it is gone.
pub fn process_start_time(pid: u32) -> Option<u64> {
    stat_of(pid).map(|s| s.start)
}

/// Whether any process of group `pgid` is still running. Zombies do not count: they are
/// dead, only not yet reaped (in containers whose init does not reap, they linger).
pub fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return killpg(Pid::from_raw(pgid as i32), None).is_ok();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter_map(stat_of)
        .any(|s| s.pgrp == pgid && !s.dead)
}

/// Stops the process tree of `leader` (its group, the processes carrying its marker, and
/// their descendants) when we hold no handle to it, e.g. one started by another Switchboard
/// process: SIGTERM, up to `grace` for it to go, SIGKILL. Check first that `leader` is the
/// recorded process ([`crate::procid::ProcessId::is_alive`]). Does not reap: they are not our children.
pub async fn stop_tree(leader: u32, grace: Duration) {
    // The marker is read from the leader, so it must be alive for out-of-group members to
    // be found; when it is gone, the group is still signalled.
    let marker = marker_of(leader);
    if signal_tree(leader, marker.as_deref(), Signal::SIGTERM) == 0 {
        return;
    }
    let deadline = tokio::time::Instant::now() + grace;
    while tokio::time::Instant::now() < deadline {
        if tree_of(&scan(marker.as_deref()), leader).is_empty() {
            return;
        }
        tokio::time::sleep(TREE_POLL).await;
    }
    signal_tree(leader, marker.as_deref(), Signal::SIGKILL);
}

/// One process as `/proc` shows it.
#[derive(Debug, Clone)]
struct ProcStat {
    pid: u32,
    ppid: u32,
    pgrp: u32,
    start: u64,
    /// A zombie (or dying): exited, not yet reaped.
    dead: bool,
    /// Its environment carries the marker looked for.
    marked: bool,
}

fn stat_of(pid: u32) -> Option<ProcStat> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces: skip past it.
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    // Field 22, the start time, is the 17th after the process group (field 5).
    let start = fields.nth(16)?.parse().ok()?;
    Some(ProcStat { pid, ppid, pgrp, start, dead: state == "Z" || state == "X", marked: false })
}

/// The marker entry (`SWITCHBOARD_PROC=<token>`) a process's environment carries, if any.
fn marker_of(pid: u32) -> Option<String> {
    let prefix = format!("{MARKER_ENV}=");
    environ(pid)?.split(|&b| b == 0).find_map(|e| e.strip_prefix(prefix.as_bytes()).map(|v| String::from_utf8_lossy(v).into_owned()))
}

/// At most [`MAX_ENVIRON_BYTES`] of a process's initial environment; None when it cannot be
/// read (another user's process, a zombie, gone).
fn environ(pid: u32) -> Option<Vec<u8>> {
    let file = std::fs::File::open(format!("/proc/{pid}/environ")).ok()?;
    let mut buf = Vec::new();
    file.take(MAX_ENVIRON_BYTES).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// Every process in `/proc` but this one, with `marked` set for the live ones whose
/// environment carries `marker`. Reads only memory-backed procfs files, which do not block.
fn scan(marker: Option<&str>) -> Vec<ProcStat> {
    let me = std::process::id();
    let entry = marker.map(|m| format!("{MARKER_ENV}={m}").into_bytes());
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|&pid| pid != me)
        .filter_map(stat_of)
        .map(|mut s| {
            if let (false, Some(entry)) = (s.dead, &entry) {
                s.marked = environ(s.pid).is_some_and(|env| env.split(|&b| b == 0).any(|e| e == entry.as_slice()));
            }
            s
        })
        .collect()
}

/// The live processes of `leader`'s tree in `procs`: its group, the marked ones, and their
/// descendants by parent pid.
fn tree_of(procs: &[ProcStat], leader: u32) -> Vec<ProcStat> {
    let mut children: HashMap<u32, Vec<&ProcStat>> = HashMap::new();
    for p in procs {
        children.entry(p.ppid).or_default().push(p);
    }
    let mut in_tree: HashMap<u32, &ProcStat> = HashMap::new();
    let mut todo: Vec<&ProcStat> = procs.iter().filter(|p| p.pid == leader || p.pgrp == leader || p.marked).collect();
    while let Some(p) = todo.pop() {
        if in_tree.insert(p.pid, p).is_none() {
            todo.extend(children.get(&p.pid).into_iter().flatten());
        }
    }
    in_tree.into_values().filter(|p| !p.dead).cloned().collect()
}

/// Sends `signal` to `leader`'s group and to every live process of its tree. Returns how
/// many processes of the tree were found.
///
/// The group first, in one `killpg`: the kernel delivers it to all members at once, so a
/// shell waiting for its job cannot see the job die and exit 0 before its own signal
/// comes. Then, by pid, the members outside the group, right after they were seen; one
/// that is our child (orphans are, when we are a subreaper) cannot have been replaced in
/// between, since its pid stays ours until we reap it.
pub(crate) fn signal_tree(leader: u32, marker: Option<&str>, signal: Signal) -> usize {
    let members = tree_of(&scan(marker), leader);
    let _ = killpg(Pid::from_raw(leader as i32), signal);
    for m in members.iter().filter(|m| m.pgrp != leader) {
        let _ = kill(Pid::from_raw(m.pid as i32), signal);
    }
    debug!(leader, found = members.len(), ?signal, "signalled the process tree");
    members.len()
}

/// SIGKILLs what is left of the tree of our exited, not yet reaped child `leader`, and waits
/// (at most [`TREE_EXIT_WAIT`]) until none of it is alive and every member reparented to us
/// is reaped; the leader itself is reaped by its owner. Returns how many are still alive.
pub(crate) async fn kill_tree(leader: u32, marker: &str) -> usize {
    let me = std::process::id();
    // Members seen alive, with their start times: only those are ever reaped here, so a
    // child that other code waits for is never taken from it.
    let mut seen: HashMap<u32, u64> = HashMap::new();
    let deadline = tokio::time::Instant::now() + TREE_EXIT_WAIT;
    loop {
        let procs = scan(Some(marker));
        let alive = tree_of(&procs, leader);
        let _ = killpg(Pid::from_raw(leader as i32), Signal::SIGKILL);
        for m in &alive {
            seen.insert(m.pid, m.start);
            if m.pgrp != leader {
                let _ = kill(Pid::from_raw(m.pid as i32), Signal::SIGKILL);
            }
        }
        let present: HashMap<u32, &ProcStat> = procs.iter().map(|p| (p.pid, p)).collect();
        // Zombies of the tree whose parent still lives will be reparented to us: wait for them.
        let mut waiting = 0;
        for (&pid, &start) in &seen {
            let Some(p) = present.get(&pid).filter(|p| p.dead && p.start == start && pid != leader) else { continue };
            if p.ppid == me {
                let _ = waitpid(Pid::from_raw(pid as i32), Some(WaitPidFlag::WNOHANG));
            } else if present.get(&p.ppid).is_some_and(|parent| seen.contains_key(&parent.pid)) {
                waiting += 1;
            }
        }
        if (alive.is_empty() && waiting == 0) || tokio::time::Instant::now() >= deadline {
            if !seen.is_empty() {
                debug!(leader, killed = seen.len(), left = alive.len(), "killed the rest of the process tree");
            }
            return alive.len();
        }
        tokio::time::sleep(TREE_POLL).await;
    }
}

/// The line read into `line` (and how many bytes of it were cut), as handed to the sink;
/// `line` is emptied for the next.
fn take_line(line: &mut Vec<u8>, skipped: &mut usize) -> (String, usize) {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let text = line_text(line);
    line.clear();
    if line.capacity() > 1024 * 1024 {
        // Do not keep a huge buffer around after one long line.
        line.shrink_to(64 * 1024);
    }
    (text, std::mem::take(skipped))
}

/// A line as text (invalid UTF-8 replaced by U+FFFD) in an allocation of its own size. A
/// short line is copied (the buffer stays for the next line); a long one is moved out (no
/// copy of a 1 MiB line), and the next line starts in a new 64 KiB buffer.
fn line_text(line: &mut Vec<u8>) -> String {
    const MOVE_FROM: usize = 64 * 1024;
    let mut text = if line.len() < MOVE_FROM {
        match std::str::from_utf8(line) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(line).into_owned(),
        }
    } else {
        match String::from_utf8(std::mem::replace(line, Vec::with_capacity(MOVE_FROM))) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    };
    text.shrink_to_fit();
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Valid and invalid UTF-8, short and 1 MiB lines: the text as printed (U+FFFD for
    /// bad bytes), in an allocation of its own size; the buffer stays usable.
    #[test]
    fn a_line_becomes_its_text_in_an_allocation_of_its_size() {
        for (bytes, want) in [
            (b"plain \xc3\xa9".to_vec(), "plain é".to_string()),
            (b"bad \xff byte".to_vec(), "bad \u{fffd} byte".to_string()),
            ("é".repeat(1 << 19).into_bytes(), "é".repeat(1 << 19)),
            ([b"x".repeat(1 << 20), b"\xfe".to_vec()].concat(), "x".repeat(1 << 20) + "\u{fffd}"),
        ] {
            let mut line = Vec::with_capacity(bytes.len() * 2);
            line.extend_from_slice(&bytes);
            let text = line_text(&mut line);
            assert!(text == want, "{} bytes", bytes.len());
            assert_eq!(text.capacity(), text.len(), "no slack kept in memory");
            assert!(line.capacity() >= 64 * 1024 || line.len() == bytes.len(), "the buffer is kept or renewed");
        }
    }
}

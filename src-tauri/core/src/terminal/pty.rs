//! The interactive program in a pseudo-terminal: spawned as the leader of its own session
//! (so of its own process group, as the runner's processes are), its output read on a
//! thread of its own into the [`Screen`], its input written by another, and its life
//! supervised like the runner's: a stop types `/exit` first, then SIGTERM → grace →
//! SIGKILL to the whole tree; the exit is reported once the output is drained, what is
//! left of the tree is killed and the leader is reaped.
//!
//! The child gets no parent-death signal (portable-pty spawns it): when the Switchboard
//! process that hosts it dies, the terminal's master side closes and the kernel hangs up
//! the terminal (SIGHUP to the session), which ends the CLI; whatever survives is stopped
//! by the next reconcile through the recorded pid, start time and boot id.

use std::io::{Read, Write};
use std::os::fd::BorrowedFd;
use std::sync::{mpsc as std_mpsc, Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use portable_pty::{CommandBuilder, MasterPty, PtySize};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, info_span, warn, Instrument};

use super::screen::{Screen, READ_CHUNK};
use crate::runner::{self, Control, Exit, Launch, ProcessHandle, ProcessSink, MARKER_ENV};

/// Keystroke batches waiting to be written to one terminal. A program that stops reading
/// its input fills the kernel's buffer (a few KiB) and then this; past it, input is
/// refused with an error instead of piling up.
pub const INPUT_QUEUE: usize = 64;

/// The most bytes one input call may carry (a paste of a long prompt is split by callers
/// that need more: [`crate::MAX_MESSAGE_BYTES`] fits).
pub const MAX_INPUT_BYTES: usize = 2 * 1024 * 1024;

/// How often the screen is written to its file while the program runs (and once more at
/// its exit): what a crash of the app loses at most.
pub const SCREEN_SAVE_INTERVAL: Duration = Duration::from_secs(2);

/// Between a paste (or a typed command) and the Enter that submits it: the CLI takes an
/// Enter that follows pasted text within a short while as part of the paste (seen with CLI
/// 2.1.197: 150 ms is too short, 1 s works; half a second is what a person's Enter after a
/// paste takes at least).
pub const SUBMIT_PAUSE: Duration = Duration::from_millis(500);

/// How long typed text waits at most for the program to read its terminal (raw mode), or
/// to redraw after a paste, before it is written anyway.
pub const READY_WAIT: Duration = Duration::from_secs(10);

/// How often the writer looks again while it waits.
const READY_POLL: Duration = Duration::from_millis(20);

/// One thing typed: bytes, or a wait before the next part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    /// Written as they are.
    Bytes(Vec<u8>),
    /// Waited before the next part of the same input.
    Pause(Duration),
    /// Waits (at most [`READY_WAIT`]) until the program reads its terminal key by key (it
    /// turned canonical mode off). Before that the kernel echoes and buffers what is typed,
    /// and the program's switch to raw mode throws it away: a prompt sent while the CLI is
    /// still starting would be lost.
    Ready,
    /// Waits (at most [`READY_WAIT`]) until the program wrote something after the previous
    /// part: it has read it (the CLI redraws its input box after a paste).
    Echo,
}

/// The live side of a terminal: its input, its size, its screen.
pub(crate) struct Pty {
    master: Mutex<Box<dyn MasterPty + Send>>,
    input: std_mpsc::SyncSender<Vec<Key>>,
    pub(crate) screen: Arc<Screen>,
}

impl Pty {
    /// Queues input, in order with earlier input; refused when the queue is full (the
    /// program does not read) or the program has exited.
    pub(crate) fn type_keys(&self, keys: Vec<Key>) -> std::io::Result<()> {
        let bytes: usize = keys.iter().map(|k| if let Key::Bytes(b) = k { b.len() } else { 0 }).sum();
        if bytes > MAX_INPUT_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("more than {MAX_INPUT_BYTES} bytes of input at once"),
            ));
        }
        self.input.try_send(keys).map_err(|e| match e {
            std_mpsc::TrySendError::Full(_) => std::io::Error::new(std::io::ErrorKind::WouldBlock, "the terminal is not reading its input"),
            std_mpsc::TrySendError::Disconnected(_) => std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the terminal has exited"),
        })
    }

    /// Sets the terminal's size (TIOCSWINSZ; the kernel sends the program SIGWINCH).
    pub(crate) fn resize(&self, cols: u16, rows: u16) -> std::io::Result<()> {
        let master = self.master.lock().unwrap_or_else(|e| e.into_inner());
        master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).map_err(std::io::Error::other)?;
        self.screen.set_size(cols, rows);
        Ok(())
    }
}

/// Starts `launch` in a new pseudo-terminal of the screen's size, with `prompt` as its last
/// argument (after `--` and the argument file). Its output goes to `screen`, its exit to
/// `sink` (after the screen was saved and its viewers told). `launch.stdin`/`stdin_data`
/// do not apply: the terminal is its input.
pub(crate) fn spawn(
    launch: &Launch,
    prompt: Option<&str>,
    screen: Arc<Screen>,
    sink: Arc<dyn ProcessSink>,
) -> std::io::Result<(ProcessHandle, Arc<Pty>)> {
    let (cols, rows) = screen.size();
    let pair = portable_pty::native_pty_system()
        .openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 })
        .map_err(|e| std::io::Error::other(format!("cannot open a pseudo-terminal: {e}")))?;
    let arg_file = launch.arg_file.as_ref().map(runner::write_arg_file).transpose()?;
    let marker = runner::new_marker();
    let mut cmd = CommandBuilder::new(&launch.program);
    cmd.args(&launch.args);
    if let (Some(spec), Some(path)) = (&launch.arg_file, &arg_file) {
        cmd.arg(format!("{}={}", spec.flag, path.display()));
    }
    if let Some(p) = prompt {
        cmd.args(["--", p]);
    }
    for name in runner::INHERITED_SESSION_MARKERS.iter().filter(|n| !launch.env.contains_key(**n)) {
        cmd.env_remove(name);
    }
    // What the window's terminal (xterm.js) is; the app itself may have no TERM at all.
    cmd.env("TERM", "xterm-256color");
    cmd.env("COLORTERM", "truecolor");
    // This is an interactive terminal whatever launched Switchboard: a `CI` inherited from
    // it makes the CLI draw without colours (supports-color checks `CI` before COLORTERM).
    // A session's own environment may still set it.
    cmd.env_remove("CI");
    for (k, v) in &launch.env {
        cmd.env(k, v);
    }
    cmd.env(MARKER_ENV, &marker);
    cmd.cwd(&launch.cwd);
    let child = pair.slave.spawn_command(cmd).map_err(|e| std::io::Error::other(e.to_string()))?;
    // Our copy of the terminal's slave side must go, or reading the master never ends.
    drop(pair.slave);
    let pid = child.process_id().ok_or_else(|| std::io::Error::other("the terminal's program has no pid"))?;
    // Reaped by us (waitpid) for the exact status; the std Child does not kill on drop.
    drop(child);
    let exited = runner::watch_exit(pid)?;
    info!(pid, %marker, command = %launch.display(), "terminal program started");
    let reader = pair.master.try_clone_reader().map_err(|e| std::io::Error::other(e.to_string()))?;
    let writer = master_writer(pair.master.as_ref())?;
    let read_done = spawn_reader(pid, reader, screen.clone())?;
    let input = spawn_writer(pid, writer, screen.clone())?;
    let pty = Arc::new(Pty { master: Mutex::new(pair.master), input, screen });
    let (control, rx) = mpsc::channel(runner::CONTROL_QUEUE);
    let supervised = Supervised { pid, marker, pty: pty.clone(), exited, read_done, sink, _arg_file: arg_file };
    tokio::spawn(supervise(supervised, rx).instrument(info_span!("terminal", pid)));
    Ok((ProcessHandle::new(pid, control), pty))
}

/// A writer on the master side that, unlike portable-pty's, sends no end-of-file when
/// dropped (the program may outlive it during a stop).
fn master_writer(master: &dyn MasterPty) -> std::io::Result<std::fs::File> {
    let fd = master.as_raw_fd().ok_or_else(|| std::io::Error::other("the terminal has no file descriptor"))?;
    // SAFETY: the master owns `fd` and outlives this call; the duplicate is ours.
    let owned = unsafe { BorrowedFd::borrow_raw(fd) }.try_clone_to_owned()?;
    Ok(std::fs::File::from(owned))
}

/// Reads the terminal until the program and everything holding its terminal are gone
/// (EIO on Linux, or end of file); the receiver resolves then.
fn spawn_reader(pid: u32, mut reader: Box<dyn Read + Send>, screen: Arc<Screen>) -> std::io::Result<oneshot::Receiver<()>> {
    let (done, rx) = oneshot::channel();
    std::thread::Builder::new().name(format!("pty-read-{pid}")).spawn(move || {
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => screen.push(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = done.send(());
    })?;
    Ok(rx)
}

/// Writes queued input in order; ends when the terminal is dropped or a write fails.
fn spawn_writer(pid: u32, mut writer: std::fs::File, screen: Arc<Screen>) -> std::io::Result<std_mpsc::SyncSender<Vec<Key>>> {
    let (tx, rx) = std_mpsc::sync_channel::<Vec<Key>>(INPUT_QUEUE);
    std::thread::Builder::new().name(format!("pty-write-{pid}")).spawn(move || {
        for keys in rx {
            let mut output_seen = screen.written();
            for key in keys {
                let written = match key {
                    Key::Bytes(b) => {
                        output_seen = screen.written();
                        writer.write_all(&b).and_then(|()| writer.flush())
                    }
                    Key::Pause(d) => {
                        std::thread::sleep(d);
                        Ok(())
                    }
                    Key::Ready => {
                        wait_until(|| is_raw(&writer));
                        Ok(())
                    }
                    Key::Echo => {
                        wait_until(|| screen.written() > output_seen);
                        Ok(())
                    }
                };
                if let Err(e) = written {
                    debug!(pid, error = %e, "writing to the terminal failed; no more input");
                    return;
                }
            }
        }
    })?;
    Ok(tx)
}

/// Polls `ready` until it holds or [`READY_WAIT`] passed.
fn wait_until(ready: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + READY_WAIT;
    while !ready() && std::time::Instant::now() < deadline {
        std::thread::sleep(READY_POLL);
    }
}

/// Whether the program reads the terminal key by key (canonical mode off). The master side
/// of a Linux PTY reports the terminal's settings.
fn is_raw(master: &std::fs::File) -> bool {
    nix::sys::termios::tcgetattr(master).is_ok_and(|t| !t.local_flags.contains(nix::sys::termios::LocalFlags::ICANON))
}

struct Supervised {
    pid: u32,
    marker: String,
    pty: Arc<Pty>,
    exited: oneshot::Receiver<()>,
    read_done: oneshot::Receiver<()>,
    sink: Arc<dyn ProcessSink>,
    /// Deleted when dropped, after the program is gone.
    _arg_file: Option<tempfile::TempPath>,
}

/// How a stop asks the CLI to leave on its own before any signal.
const EXIT_COMMAND: &[u8] = b"/exit";

/// Owns the program: obeys control messages and saves the screen until the leader exits,
/// then drains the output, kills what is left of the tree, reaps the leader, saves the
/// screen, tells its viewers and reports the exit.
async fn supervise(mut p: Supervised, mut control: mpsc::Receiver<Control>) {
    let pid = p.pid;
    let mut stopped = false;
    let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
    let mut save = tokio::time::interval(SCREEN_SAVE_INTERVAL);
    loop {
        let msg = tokio::select! {
            _ = &mut p.exited => break,
            _ = save.tick() => {
                save_screen(&p.pty.screen).await;
                continue;
            }
            msg = control.recv() => msg,
        };
        match msg {
            Some(Control::Write { done, .. }) => {
                // Lines are the headless protocol; a terminal takes keystrokes (`Pty::type_keys`).
                let _ =
                    done.send(Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "a terminal session takes keystrokes, not lines")));
            }
            Some(Control::Signal { signal }) => {
                let _ = killpg(Pid::from_raw(pid as i32), signal);
            }
            Some(Control::Stop { grace, done }) => {
                waiters.push(done);
                stopped = true;
                let typed = p.pty.type_keys(submit(EXIT_COMMAND.to_vec()));
                if typed.is_ok() && tokio::time::timeout(grace + SUBMIT_PAUSE, &mut p.exited).await.is_ok() {
                    break;
                }
                debug!(pid, "stopping: SIGTERM to the terminal's process tree");
                runner::signal_tree(pid, Some(&p.marker), Signal::SIGTERM);
                if tokio::time::timeout(grace, &mut p.exited).await.is_ok() {
                    break;
                }
                warn!(pid, ?grace, "still alive after the grace period: SIGKILL to the process tree");
                runner::signal_tree(pid, Some(&p.marker), Signal::SIGKILL);
                let _ = (&mut p.exited).await;
                break;
            }
            None => {
                let _ = (&mut p.exited).await;
                break;
            }
        }
    }
    // The leader is an unreaped zombie: its group id is still this tree's.
    let drained = tokio::time::timeout(runner::DRAIN_AFTER_EXIT, &mut p.read_done).await.is_ok();
    let left = runner::kill_tree(pid, &p.marker).await;
    if left > 0 {
        warn!(pid, left, "processes of the terminal's tree are still alive after SIGKILL");
    }
    if !drained && tokio::time::timeout(runner::DRAIN_AFTER_KILL, &mut p.read_done).await.is_err() {
        warn!(pid, "the terminal is still held open by a process outside the tree: its reader is abandoned");
    }
    let exit = tokio::task::spawn_blocking(move || reap(pid, stopped)).await.unwrap_or(Exit { code: None, signal: None, stopped });
    info!(pid, exit = %exit.describe(), stopped, "terminal program ended");
    save_screen(&p.pty.screen).await;
    p.pty.screen.end(exit.code);
    p.sink.exited(exit);
    if let Some(settled) = p.sink.settled() {
        settled.await;
    }
    for w in waiters {
        let _ = w.send(());
    }
    runner::refuse_after_exit(control).await;
}

/// Keys that submit `text` to the CLI: once it reads its terminal, the text, then (after
/// it has redrawn and [`SUBMIT_PAUSE`]) Enter.
pub(crate) fn submit(text: Vec<u8>) -> Vec<Key> {
    vec![Key::Ready, Key::Bytes(text), Key::Echo, Key::Pause(SUBMIT_PAUSE), Key::Bytes(b"\r".to_vec())]
}

/// Reaps our exited child and reads how it ended.
fn reap(pid: u32, stopped: bool) -> Exit {
    loop {
        return match waitpid(Pid::from_raw(pid as i32), None) {
            Ok(WaitStatus::Exited(_, code)) => Exit { code: Some(code), signal: None, stopped },
            Ok(WaitStatus::Signaled(_, signal, _)) => Exit { code: None, signal: Some(signal as i32), stopped },
            Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => continue,
            Err(e) => {
                warn!(pid, error = %e, "reaping the terminal's program failed");
                Exit { code: None, signal: None, stopped }
            }
        };
    }
}

/// Writes the screen's file off the async runtime; a failure is logged (the screen in
/// memory stays, and the next save tries again).
async fn save_screen(screen: &Arc<Screen>) {
    let screen = screen.clone();
    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || screen.save()).await {
        warn!(error = %e, "could not save the terminal's screen");
    }
}

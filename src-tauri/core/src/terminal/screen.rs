//! A terminal's recent screen: the last bytes its program wrote (bounded), saved to a file
//! so that a reopened window or a restarted app shows it, and handed to the viewers that
//! are attached.
//!
//! One lock guards the bytes and the viewers' queues together: a chunk is in the ring and
//! in every (not lagging) viewer's queue, or in neither. A viewer that falls behind is not
//! waited for: its queue is left as it is and it is marked lagging; its next read throws
//! the queue away and takes the whole screen again (a reset first), taken under that lock,
//! so nothing is lost or shown twice.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use tokio::sync::mpsc;

use super::{TerminalChunk, TerminalView};

/// The recent screen kept per terminal session, in memory and in its file: 2 MiB holds
/// thousands of full screens of a TUI that redraws (far more than a viewer scrolls back
/// through) and costs little even with many sessions live.
pub const SCREEN_BYTES: usize = 2 * 1024 * 1024;

/// Chunks waiting for one viewer. A read is at most [`READ_CHUNK`], so a viewer holds at
/// most 1 MiB before it counts as lagging and is resynced.
pub const VIEWER_QUEUE: usize = 64;

/// The most read from the terminal at once (one chunk for the viewers).
pub const READ_CHUNK: usize = 16 * 1024;

/// Viewers attached to one terminal at most (a window shows one; a few tests or windows
/// more); the oldest is dropped past this.
pub const MAX_VIEWERS: usize = 16;

/// Most bytes one viewer message carries; a backlog goes out in several.
const VIEWER_BATCH: usize = 256 * 1024;

/// What a resynced viewer gets before the whole screen: a full reset (RIS), so the
/// replayed bytes draw on a clean terminal.
pub const RESET: &[u8] = b"\x1bc";

/// When the front of the ring was cut, a replay starts after the first newline within
/// this many bytes, so it does not begin inside an escape sequence or a character.
const CUT_SEARCH: usize = 4096;

/// The first line of a screen file; the terminal's size follows, then the bytes.
const FILE_MAGIC: &str = "SWITCHBOARD-SCREEN 1";

/// The default terminal size, until a viewer resizes it.
pub const DEFAULT_COLS: u16 = 120;
/// See [`DEFAULT_COLS`].
pub const DEFAULT_ROWS: u16 = 32;

/// One terminal's screen. Shared by its reader thread, its viewers and the engine.
pub(crate) struct Screen {
    state: Mutex<State>,
    /// Bytes pushed so far (the writer waits on it for the program's redraw).
    written: std::sync::atomic::AtomicU64,
    path: PathBuf,
    cap: usize,
}

struct State {
    ring: VecDeque<u8>,
    /// Bytes were dropped from the front at some point.
    cut: bool,
    cols: u16,
    rows: u16,
    /// Changed since the file was last written.
    dirty: bool,
    viewers: Vec<ViewerTx>,
    /// The id the next viewer gets (ids are not reused while the screen lives).
    next_viewer: u32,
    /// The program has exited, with this code (None: killed by a signal).
    ended: Option<Option<i32>>,
}

struct ViewerTx {
    id: u32,
    tx: mpsc::Sender<Vec<u8>>,
    lagging: Arc<AtomicBool>,
}

impl Screen {
    /// A screen saved at `path`, continuing what the file holds (a resumed session keeps
    /// its earlier screen above the new one). Holds at most `cap` bytes.
    pub(crate) fn open(path: PathBuf, cap: usize) -> Arc<Screen> {
        let (cols, rows, bytes) = load(&path).unwrap_or((DEFAULT_COLS, DEFAULT_ROWS, Vec::new()));
        let screen = Arc::new(Screen {
            state: Mutex::new(State {
                ring: VecDeque::new(),
                cut: false,
                cols,
                rows,
                dirty: false,
                viewers: Vec::new(),
                next_viewer: 1,
                ended: None,
            }),
            written: std::sync::atomic::AtomicU64::new(0),
            path,
            cap: cap.max(1),
        });
        if !bytes.is_empty() {
            screen.push(&bytes);
            screen.push(b"\r\n");
        }
        screen
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many bytes the program wrote so far.
    pub(crate) fn written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    /// The terminal's size as last set.
    pub(crate) fn size(&self) -> (u16, u16) {
        let s = self.lock();
        (s.cols, s.rows)
    }

    /// Records a new size (the PTY was resized).
    pub(crate) fn set_size(&self, cols: u16, rows: u16) {
        let mut s = self.lock();
        if (s.cols, s.rows) != (cols, rows) {
            (s.cols, s.rows) = (cols, rows);
            s.dirty = true;
        }
    }

    /// More output: into the ring (dropping the oldest past the cap) and to every viewer
    /// that keeps up. Never waits for a viewer.
    pub(crate) fn push(&self, bytes: &[u8]) {
        self.written.fetch_add(bytes.len() as u64, Ordering::Release);
        let mut s = self.lock();
        let bytes = if bytes.len() > self.cap { &bytes[bytes.len() - self.cap..] } else { bytes };
        let over = (s.ring.len() + bytes.len()).saturating_sub(self.cap);
        if over > 0 {
            s.ring.drain(..over);
            s.cut = true;
        }
        s.ring.extend(bytes);
        s.dirty = true;
        for v in &s.viewers {
            if v.lagging.load(Ordering::Acquire) {
                continue;
            }
            if let Err(mpsc::error::TrySendError::Full(_)) = v.tx.try_send(bytes.to_vec()) {
                v.lagging.store(true, Ordering::Release);
            }
        }
        s.viewers.retain(|v| !v.tx.is_closed());
    }

    /// The screen as a viewer replays it: from a line start when the front was cut.
    fn replay(s: &State) -> Vec<u8> {
        let (a, b) = s.ring.as_slices();
        let mut all = Vec::with_capacity(a.len() + b.len());
        all.extend_from_slice(a);
        all.extend_from_slice(b);
        if s.cut {
            if let Some(i) = all.iter().take(CUT_SEARCH).position(|&c| c == b'\n') {
                all.drain(..=i);
            }
        }
        all
    }

    /// What a viewer shows on attaching, and (while the program runs) its feed from then on.
    pub(crate) fn attach(self: &Arc<Screen>, live: bool) -> (TerminalView, Option<TerminalViewer>) {
        let mut s = self.lock();
        let bytes = Screen::replay(&s);
        let live = live && s.ended.is_none();
        let view = TerminalView { cols: s.cols, rows: s.rows, data_b64: b64(&bytes), live, viewer: None };
        if !live {
            return (view, None);
        }
        let (tx, rx) = mpsc::channel(VIEWER_QUEUE);
        let lagging = Arc::new(AtomicBool::new(false));
        s.viewers.retain(|v| !v.tx.is_closed());
        if s.viewers.len() >= MAX_VIEWERS {
            s.viewers.remove(0);
        }
        let id = s.next_viewer;
        s.next_viewer = s.next_viewer.wrapping_add(1).max(1);
        s.viewers.push(ViewerTx { id, tx, lagging: lagging.clone() });
        (TerminalView { viewer: Some(id), ..view }, Some(TerminalViewer { id, rx, lagging, screen: self.clone(), done: false }))
    }

    /// Drops the viewer `id` (its page went away): its feed closes after what is queued,
    /// with no `Ended`. False when no such viewer is attached (already gone, or never was).
    pub(crate) fn detach(&self, id: u32) -> bool {
        let mut s = self.lock();
        let before = s.viewers.len();
        s.viewers.retain(|v| v.id != id);
        s.viewers.len() < before
    }

    /// How many viewers are attached (those whose feed was dropped are not counted).
    pub(crate) fn viewers(&self) -> usize {
        let mut s = self.lock();
        s.viewers.retain(|v| !v.tx.is_closed());
        s.viewers.len()
    }

    /// The program exited: viewers get the rest of their queue, then `Ended`.
    pub(crate) fn end(&self, code: Option<i32>) {
        let mut s = self.lock();
        s.ended = Some(code);
        // Dropping the senders ends each viewer's feed once it has read what is queued.
        s.viewers.clear();
    }

    /// Writes the screen to its file if it changed since the last write. A failure is
    /// returned (the caller logs it); the screen in memory stays.
    pub(crate) fn save(&self) -> std::io::Result<()> {
        let (cols, rows, bytes) = {
            let mut s = self.lock();
            if !s.dirty {
                return Ok(());
            }
            s.dirty = false;
            (s.cols, s.rows, Screen::replay(&s))
        };
        let write = || -> std::io::Result<()> {
            let dir = self.path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)?;
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            write!(tmp, "{FILE_MAGIC}\n{cols} {rows}\n")?;
            tmp.write_all(&bytes)?;
            tmp.persist(&self.path).map_err(|e| e.error)?;
            Ok(())
        };
        write().inspect_err(|_| self.lock().dirty = true)
    }
}

/// The saved screen at `path`: size and bytes; None when there is none or it is not one
/// (a damaged file is not shown rather than shown as garbage). Reads at most the cap and
/// the header.
pub(crate) fn load(path: &Path) -> Option<(u16, u16, Vec<u8>)> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut data = Vec::new();
    file.take((SCREEN_BYTES + 64) as u64).read_to_end(&mut data).ok()?;
    let rest = data.strip_prefix(FILE_MAGIC.as_bytes())?.strip_prefix(b"\n")?;
    let nl = rest.iter().position(|&c| c == b'\n')?;
    let size = std::str::from_utf8(&rest[..nl]).ok()?;
    let (cols, rows) = size.split_once(' ')?;
    let (cols, rows) = (cols.parse().ok()?, rows.parse().ok()?);
    Some((cols, rows, rest[nl + 1..].to_vec()))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One viewer's feed of a live terminal (see [`Engine::terminal_attach`](crate::Engine::terminal_attach)).
pub struct TerminalViewer {
    id: u32,
    rx: mpsc::Receiver<Vec<u8>>,
    lagging: Arc<AtomicBool>,
    screen: Arc<Screen>,
    done: bool,
}

impl TerminalViewer {
    /// Its id, as in its [`TerminalView::viewer`] (what [`Engine::terminal_detach`](crate::Engine::terminal_detach) takes).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The next output, batched (at most 256 KiB a message); a viewer that fell behind
    /// gets a reset and the whole screen instead of what it missed. After the program
    /// exited and the rest was read: `Ended` once, then None.
    pub async fn next(&mut self) -> Option<TerminalChunk> {
        if self.done {
            return None;
        }
        if self.lagging.load(Ordering::Acquire) {
            let s = self.screen.lock();
            while self.rx.try_recv().is_ok() {}
            let mut bytes = RESET.to_vec();
            bytes.extend(Screen::replay(&s));
            self.lagging.store(false, Ordering::Release);
            return Some(TerminalChunk::Data { data_b64: b64(&bytes) });
        }
        match self.rx.recv().await {
            Some(mut bytes) => {
                while bytes.len() < VIEWER_BATCH {
                    match self.rx.try_recv() {
                        Ok(more) => bytes.extend(more),
                        Err(_) => break,
                    }
                }
                Some(TerminalChunk::Data { data_b64: b64(&bytes) })
            }
            None => {
                // The feed closes at the program's exit, or when this viewer was detached or
                // dropped for a newer one (past MAX_VIEWERS): only the first is an end.
                self.done = true;
                self.screen.lock().ended.map(|code| TerminalChunk::Ended { code })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(chunk: TerminalChunk) -> Vec<u8> {
        match chunk {
            TerminalChunk::Data { data_b64 } => base64::engine::general_purpose::STANDARD.decode(data_b64).unwrap(),
            TerminalChunk::Ended { .. } => panic!("ended"),
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_bytes_under_its_cap() {
        let dir = tempfile::tempdir().unwrap();
        let s = Screen::open(dir.path().join("a.screen"), 100);
        for i in 0..50 {
            s.push(format!("line {i}\n").as_bytes());
        }
        let st = s.lock();
        assert!(st.ring.len() <= 100);
        let replay = String::from_utf8(Screen::replay(&st)).unwrap();
        assert!(replay.starts_with("line ") && replay.ends_with("line 49\n"), "{replay:?}");
    }

    #[tokio::test]
    async fn a_slow_viewer_is_resynced_not_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let s = Screen::open(dir.path().join("a.screen"), SCREEN_BYTES);
        let (_, viewer) = s.attach(true);
        let mut viewer = viewer.unwrap();
        for i in 0..(VIEWER_QUEUE * 3) {
            s.push(format!("{i};").as_bytes());
        }
        let got = text(viewer.next().await.unwrap());
        assert!(got.starts_with(RESET), "a reset first");
        assert!(got.ends_with(format!("{};", VIEWER_QUEUE * 3 - 1).as_bytes()), "then the whole screen");
        s.push(b"after");
        assert_eq!(text(viewer.next().await.unwrap()), b"after");
        s.end(Some(0));
        assert_eq!(viewer.next().await, Some(TerminalChunk::Ended { code: Some(0) }));
        assert_eq!(viewer.next().await, None);
    }

    #[tokio::test]
    async fn a_detached_viewer_gets_what_was_queued_then_nothing_more() {
        let dir = tempfile::tempdir().unwrap();
        let s = Screen::open(dir.path().join("a.screen"), SCREEN_BYTES);
        let (first_view, first) = s.attach(true);
        let (second_view, second) = s.attach(true);
        let (mut first, mut second) = (first.unwrap(), second.unwrap());
        assert_eq!((first_view.viewer, second_view.viewer), (Some(first.id()), Some(second.id())));
        assert_ne!(first.id(), second.id());
        s.push(b"queued");
        assert!(s.detach(first.id()));
        assert!(!s.detach(first.id()), "once");
        assert_eq!(s.viewers(), 1);
        s.push(b"later");
        assert_eq!(text(first.next().await.unwrap()), b"queued");
        assert_eq!(first.next().await, None, "no more, and no end: the program still runs");
        assert_eq!(text(second.next().await.unwrap()), b"queuedlater");
    }

    #[test]
    fn the_screen_survives_in_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t/a.screen");
        let s = Screen::open(path.clone(), SCREEN_BYTES);
        s.set_size(80, 24);
        s.push(b"hello\r\n");
        s.save().unwrap();
        assert_eq!(load(&path), Some((80, 24, b"hello\r\n".to_vec())));
        let again = Screen::open(path, SCREEN_BYTES);
        let (view, viewer) = again.attach(false);
        assert!(viewer.is_none() && !view.live && (view.cols, view.rows) == (80, 24));
        assert!(base64::engine::general_purpose::STANDARD.decode(view.data_b64).unwrap().starts_with(b"hello\r\n"));
        std::fs::write(dir.path().join("bad"), b"garbage").unwrap();
        assert_eq!(load(&dir.path().join("bad")), None);
    }
}

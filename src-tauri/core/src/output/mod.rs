//! Session output: every line gets the session's next seq, goes into a bounded ring of
//! recent entries (instant backfill), out to live subscribers, and to the store through
//! one batching writer thread.
//!
//! Ordering guarantee: for one session, seq assignment, the ring push and the broadcast
//! happen under that session's lock, so a subscriber that snapshots the ring and
//! subscribes under the same lock sees every entry exactly once — from the backfill or
//! from the live channel, never both, never neither.
//!
//! Nothing here makes a reader wait for the writer: the ring keeps every entry the writer
//! has not committed yet (on top of the recent ones), so what precedes the ring is always
//! in SQLite, and history is "the store up to the ring, then the ring". A session's ring
//! is dropped once it has closed and all of it is committed. A reader therefore never
//! calls [`OutputHub::flush`] — a flush waits for SQLite, and SQLite may be locked by
//! another process for seconds; only tests, the bench and deletion flush.
//!
//! Back-pressure: an agent's lines are pushed by its session's own thread (see
//! `engine/live.rs`), which waits here while the write queue's byte budget is spent; its
//! reader then stops reading the agent's pipe and the agent blocks on its write. Other
//! sessions, the UI and the async runtime go on. Lines Switchboard writes itself
//! ([`OutputHub::push`]) never wait.
//!
//! Memory (see `shared.rs`): each entry is one shared allocation, held by the ring, the
//! write queue and (while small) the live channel; the rings of all live sessions share one
//! byte budget ([`RINGS_BYTES`]); a big entry travels the live channel as a weak reference,
//! so that once the ring and the writer let go of it, nothing keeps it in memory.
//!
//! Partial text (live typing): beside the seq'd entries, each live session has at most one
//! [`PartialText`] — the message the agent is still writing, grown from its deltas. It is
//! live-only: never stored, no seq, not in the ring. Subscribers watch it (a `watch`
//! channel: they see its latest state, however many deltas came meanwhile, so a 10 000-delta
//! reply costs a subscriber one update per read, not 10 000). When the agent's final
//! message is stored, the partial is marked [`PartialText::done_through`] that entry's seq:
//! a reader drops the growing bubble once it holds that entry, so the two never show at once
//! and never neither.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch};
use tracing::{error, warn};

use crate::error::Result;
use crate::model::OutputEntry;
use crate::store::Store;

pub mod budget;
mod follower;
mod shared;
mod writer;

pub use self::follower::{Follower, Update, FOLLOW_BATCH_BYTES};
use self::shared::*;
use self::writer::*;

/// Recent entries kept in memory per live session, for backfill without touching SQLite.
/// 2 000 entries cover several screens of history while staying small.
pub const RING_ENTRIES: usize = 2_000;

/// …and at most this many bytes (payloads and the entries around them), so a few huge
/// lines cannot pin much memory…
pub const RING_BYTES: usize = 4 * 1024 * 1024;

/// …and the rings of all live sessions together share this budget: each holds at most its
/// share (but see [`RING_FLOOR_BYTES`]), so 20 streaming sessions hold 16 MiB, not 80.
/// Entries not committed yet stay in their ring regardless (the write queue bounds them).
pub const RINGS_BYTES: usize = 16 * 1024 * 1024;

/// A ring's share of [`RINGS_BYTES`] is never below this: with more than 64 live sessions
/// the rings hold up to 256 KiB each (the newest entry always stays, however big).
pub const RING_FLOOR_BYTES: usize = 256 * 1024;

/// Entries a live subscriber may fall behind before it is told it lagged (it then reads
/// the gap from the store). 4 096 lines is several seconds of a very chatty agent.
pub const LIVE_CHANNEL: usize = 4_096;

/// An entry's payload larger than this never travels the live channel itself, only a
/// weak reference to it: followers take it from the ring, or from the store once the ring
/// let go of it. A channel keeps its last values until every receiver has read them.
pub const LIVE_INLINE_BYTES: usize = 64 * 1024;

/// The most bytes of entries a session's live channel keeps alive (see `shared.rs`);
/// entries past it travel as weak references too.
pub const LIVE_BYTES: usize = 512 * 1024;

/// Entries waiting for the writer thread. When full, agents' lines wait (see the byte
/// bound below): output is never dropped, and at SQLite's batched insert rate the queue
/// drains in milliseconds.
pub const WRITE_QUEUE: usize = 16_384;

/// …and at most this many payload bytes waiting: a stream of 1 MiB tool results must not
/// park 16 GB in the queue. Producers wait until the writer has committed some.
pub const WRITE_QUEUE_BYTES: usize = 8 * 1024 * 1024;

/// The text of a partial message kept per session at most: a reply that long shows its
/// first 256 KiB while it streams (the whole once final). Bounds memory and what each
/// subscriber may be sent per update.
pub const PARTIAL_BYTES: usize = 256 * 1024;

/// The writer commits at least this often while entries are waiting (the latency bound
/// of persisted output)…
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(20);

/// …or as soon as this many entries are waiting (the batch size bound).
pub const FLUSH_ENTRIES: usize = 4_096;

/// While the store refuses writes (disk full, a lock held by another process), the writer
/// keeps what it could not store in memory and tries again, up to this many payload bytes;
/// the sessions are stopped when the failure is reported, so little more arrives. Entries
/// past it are counted and reported as lost (never silently).
pub const FAILED_BUFFER_BYTES: usize = 64 * 1024 * 1024;

/// A write that keeps failing for this long is reported as a storage failure.
pub const FAIL_AFTER: Duration = Duration::from_secs(20);

/// A full disk is reported after this many failed attempts (it rarely frees itself soon).
pub const FULL_ATTEMPTS: u32 = 3;

/// Output that could not be stored: which sessions, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageFailure {
    /// The ids of the sessions whose output could not be stored; the engine fails them and stops their agents.
    pub sessions: Vec<String>,
    /// What people are told, set as each session's error ("disk full: … the agent was stopped").
    pub message: String,
    /// The disk (or the database's size cap) is full.
    pub disk_full: bool,
}

/// Told of storage failures, on the writer thread.
pub type FailureHandler = Box<dyn Fn(StorageFailure) + Send + Sync>;

enum WriteMsg {
    Entry(SharedEntry),
    /// Answered once everything queued before it is committed.
    Flush(mpsc::SyncSender<()>),
}

/// The message an agent is still writing: live-only (never stored, no seq).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartialText {
    /// Which message (or content block) it is; a new key starts a new message.
    pub key: String,
    /// Counts the session's partial messages: a new one (even with the same key, after the
    /// last one ended) has a new number.
    pub number: u64,
    /// The seq of the last entry pushed before it began: it is shown after that one.
    pub after_seq: u64,
    /// The text so far (at most [`PARTIAL_BYTES`]).
    pub text: String,
    /// Set once its final form is stored: entries up to this seq replace it.
    pub done_through: Option<u64>,
}

/// What a follower is told of the partial text (live typing) since it last looked (see
/// [`Follower::next_update`]): never stored, no seq of its own.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct PartialUpdate {
    /// Which message the agent is writing.
    pub key: String,
    /// The seq of the last entry before the message: it is drawn after that one.
    #[ts(type = "number")]
    pub after_seq: u64,
    /// `text` continues what this follower was last told; else it replaces it (a new message).
    pub append: bool,
    /// The new text: what follows what was told (`append`), or the whole text so far.
    pub text: String,
    /// The message is final: drop the partial text once the entries up to this seq are shown (one of them is the message, whole).
    #[ts(type = "number | null")]
    pub done_through: Option<u64>,
}

/// Live state of one session's output.
struct Live {
    next_seq: u64,
    /// Recent entries (bounded by [`RING_ENTRIES`] and the rings' budget) plus every entry
    /// not yet committed, oldest first. Bounded by the queue and failure budgets.
    ring: Ring,
    /// The newest seq the writer has committed (or given up on, see [`FAILED_BUFFER_BYTES`]).
    committed: u64,
    /// None once closed: subscribers' channels end; the ring stays until committed.
    tx: Option<LiveTx>,
    /// The message being written, if any (see [`PartialText`]).
    partial: watch::Sender<Option<PartialText>>,
}

impl Live {
    /// Drops the oldest entries past the ring's bounds, but never one not yet committed.
    fn evict(&mut self) {
        self.ring.evict(self.committed);
    }

    /// Adds an entry (its seq taken) to the ring and sends it to live subscribers.
    fn publish(&mut self, entry: &SharedEntry) {
        self.ring.push(entry.clone());
        if let Some(tx) = &mut self.tx {
            tx.send(entry);
        }
    }

    /// Whether it is closed and everything in it is in SQLite: nothing left to serve.
    fn settled(&self) -> bool {
        self.tx.is_none() && self.committed + 1 >= self.next_seq
    }

    /// The seq of the oldest entry the ring holds (`next_seq` when empty): everything
    /// before it is committed.
    fn first_seq(&self) -> u64 {
        self.ring.first_seq().unwrap_or(self.next_seq)
    }

    /// Ring entries in `(after, before)`, at most `limit`.
    fn range(&self, after: u64, before: u64, limit: usize) -> Vec<OutputEntry> {
        self.ring.iter().filter(|e| e.seq > after && e.seq < before).take(limit).map(|e| OutputEntry::clone(e)).collect()
    }
}

/// Marks an open partial message as replaced by the entries pushed so far.
fn end_partial(live: &Live) {
    let through = live.next_seq - 1;
    live.partial.send_if_modified(|p| match p {
        Some(p) if p.done_through.is_none() => {
            p.done_through = Some(through);
            true
        }
        _ => false,
    });
}

/// Appends `delta` to `text` up to [`PARTIAL_BYTES`], cut at a character boundary.
fn push_capped(text: &mut String, delta: &str) {
    let room = PARTIAL_BYTES.saturating_sub(text.len());
    if delta.len() <= room {
        text.push_str(delta);
        return;
    }
    let mut cut = room;
    while !delta.is_char_boundary(cut) {
        cut -= 1;
    }
    text.push_str(&delta[..cut]);
}

/// Live sessions' output state, shared by the hub and the writer (which marks commits).
type LiveMap = Arc<Mutex<HashMap<String, Arc<Mutex<Live>>>>>;

/// What a subscriber gets: the history it asked for and the live entries that follow it.
pub struct Subscription {
    /// Entries after the requested seq, oldest first, up to just before the first live one.
    pub backfill: Vec<OutputEntry>,
    /// Entries from `next_seq` on, as they happen. None when the session has no live output.
    pub(crate) live: Option<broadcast::Receiver<LiveEntry>>,
    /// The partial text as it changes (with `live`).
    pub partial: Option<watch::Receiver<Option<PartialText>>>,
    /// The seq the first live entry will have.
    pub next_seq: u64,
}

/// The output pipeline shared by all sessions.
pub struct OutputHub {
    store: Arc<Store>,
    on_failure: Arc<Mutex<Option<FailureHandler>>>,
    /// Payload bytes queued for the writer, and the condition producers wait on.
    queued: Arc<(Mutex<usize>, std::sync::Condvar)>,
    live: LiveMap,
    /// The byte budget of all rings.
    rings: Arc<Rings>,
    /// Unbounded as a channel; bounded by the byte budget agents' lines wait for. (A
    /// bounded channel could block a producer while it holds its session's lock.)
    queue: Sender<WriteMsg>,
}

impl OutputHub {
    pub fn new(store: Arc<Store>, cap: u64) -> Arc<OutputHub> {
        Self::with_rings(store, cap, Rings::new(RINGS_BYTES, RING_FLOOR_BYTES))
    }

    fn with_rings(store: Arc<Store>, cap: u64, rings: Arc<Rings>) -> Arc<OutputHub> {
        let (queue, rx) = mpsc::channel();
        let writer_store = store.clone();
        let queued = Arc::new((Mutex::new(0usize), std::sync::Condvar::new()));
        let writer_queued = queued.clone();
        let on_failure: Arc<Mutex<Option<FailureHandler>>> = Arc::new(Mutex::new(None));
        let live: LiveMap = Arc::new(Mutex::new(HashMap::new()));
        let writer = Writer {
            store: writer_store,
            cap,
            queued: writer_queued,
            on_failure: on_failure.clone(),
            live: live.clone(),
            trimmed: HashMap::new(),
        };
        std::thread::Builder::new()
            .name("switchboard-output-writer".into())
            .spawn(move || writer.run(rx))
            .expect("cannot start the output writer thread");
        Arc::new(OutputHub { store, on_failure, queued, live, rings, queue })
    }

    /// Sets who is told when output cannot be stored (the engine: it fails those sessions).
    pub fn on_failure(&self, handler: FailureHandler) {
        *self.on_failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(handler);
    }

    fn live_of(&self, session_id: &str) -> Option<Arc<Mutex<Live>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).get(session_id).cloned()
    }

    /// Opens live output for a session, continuing after its last seq (kept in memory
    /// when its previous output is still being committed, else read from the store).
    pub fn open(&self, session_id: &str) -> Result<()> {
        let mut map = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(live) = map.get(session_id) {
            live.lock().unwrap_or_else(|e| e.into_inner()).tx = Some(LiveTx::new());
            return Ok(());
        }
        let last = self.store.last_seq(session_id)?;
        let live = Live {
            next_seq: last + 1,
            ring: Ring::new(&self.rings),
            committed: last,
            tx: Some(LiveTx::new()),
            partial: watch::channel(None).0,
        };
        map.insert(session_id.to_string(), Arc::new(Mutex::new(live)));
        // One more ring: every ring's share of the budget shrank.
        for live in map.values() {
            live.lock().unwrap_or_else(|e| e.into_inner()).evict();
        }
        Ok(())
    }

    /// Closes live output: subscribers see their channel end after the last entry. What
    /// is not committed yet stays readable here until it is.
    pub fn close(&self, session_id: &str) {
        let mut map = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let settled = map.get(session_id).is_some_and(|live| {
            let mut live = live.lock().unwrap_or_else(|e| e.into_inner());
            live.tx = None;
            end_partial(&live);
            live.settled()
        });
        if settled {
            map.remove(session_id);
            drop(map);
            crate::memory::release_free_memory();
        }
    }

    /// Opens live output for a session unless it is open: for a viewer of a session whose
    /// lines someone else writes (an imported terminal session), so that it sees lines
    /// that arrive later. Closed again by [`OutputHub::close_unfollowed`].
    pub fn ensure_open(&self, session_id: &str) -> Result<()> {
        let open = self.live_of(session_id).is_some_and(|l| l.lock().unwrap_or_else(|e| e.into_inner()).tx.is_some());
        if open {
            return Ok(());
        }
        self.open(session_id)
    }

    /// Closes the live output of the sessions `which` selects that nobody follows (no live
    /// subscriber): what keeps a viewed terminal session's channel from living for ever.
    pub fn close_unfollowed(&self, which: impl Fn(&str) -> bool) {
        let idle: Vec<String> = {
            let map = self.live.lock().unwrap_or_else(|e| e.into_inner());
            map.iter()
                .filter(|(_, l)| l.lock().unwrap_or_else(|e| e.into_inner()).tx.as_ref().is_some_and(|tx| tx.receiver_count() == 0))
                .map(|(id, _)| id.clone())
                .collect()
        };
        for id in idle.into_iter().filter(|id| which(id)) {
            self.close(&id);
        }
    }

    /// Forgets a session's output state at once (the session is being deleted).
    pub fn forget(&self, session_id: &str) {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).remove(session_id);
    }

    /// Appends an entry Switchboard writes itself (a prompt, a lifecycle line): its `seq`
    /// is assigned here and returned. Never waits. None when the session has no live output open.
    pub fn push(&self, entry: OutputEntry) -> Option<u64> {
        let n = entry.payload.len();
        let (lock, _) = &*self.queued;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) += n;
        self.append(entry)
    }

    /// Appends an agent's line, first waiting while the write queue's byte budget is spent
    /// (one entry always goes through, however large, so a huge line cannot block forever).
    /// Blocks the calling thread: call it from a session's own thread, never from the
    /// async runtime.
    pub fn push_waiting(&self, entry: OutputEntry) -> Option<u64> {
        {
            let (lock, room) = &*self.queued;
            let mut queued = lock.lock().unwrap_or_else(|e| e.into_inner());
            while *queued > 0 && *queued + entry.payload.len() > WRITE_QUEUE_BYTES {
                queued = room.wait(queued).unwrap_or_else(|e| e.into_inner());
            }
            *queued += entry.payload.len();
        }
        self.append(entry)
    }

    fn append(&self, mut entry: OutputEntry) -> Option<u64> {
        let Some(live) = self.live_of(&entry.session_id) else {
            self.release_now(entry.payload.len());
            return None;
        };
        let mut live = live.lock().unwrap_or_else(|e| e.into_inner());
        if live.tx.is_none() {
            drop(live);
            self.release_now(entry.payload.len());
            return None;
        }
        let seq = live.next_seq;
        entry.seq = seq;
        live.next_seq += 1;
        let entry = Arc::new(entry);
        live.publish(&entry);
        live.evict();
        // Queued while holding the session lock, so the writer sees seqs in order.
        if self.queue.send(WriteMsg::Entry(entry)).is_err() {
            error!("the output writer is gone; output is no longer stored");
        }
        Some(seq)
    }

    /// Adds `delta` to the message `key` the agent is writing (a new key, or one after a
    /// finished message, starts a new one). Live-only: nothing is stored and no seq is
    /// taken; subscribers see the text grow. Never waits.
    pub fn partial(&self, session_id: &str, key: &str, delta: &str) {
        let Some(live) = self.live_of(session_id) else { return };
        let live = live.lock().unwrap_or_else(|e| e.into_inner());
        if live.tx.is_none() {
            return;
        }
        let after_seq = live.next_seq - 1;
        live.partial.send_modify(|p| match p {
            Some(p) if p.key == key && p.done_through.is_none() => push_capped(&mut p.text, delta),
            _ => {
                let mut text = String::new();
                push_capped(&mut text, delta);
                let number = p.as_ref().map_or(1, |p| p.number + 1);
                *p = Some(PartialText { key: key.to_string(), number, after_seq, text, done_through: None });
            }
        });
    }

    /// The message being written is final: its stored form is the last entry pushed (push
    /// it first). Readers replace the partial text with it. Nothing to do when none is open.
    pub fn end_partial(&self, session_id: &str) {
        if let Some(live) = self.live_of(session_id) {
            end_partial(&live.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }

    /// Appends entries that `commit` stores itself, in its own transaction with whatever
    /// must change with them (an imported transcript's lines and the file's offset): seqs
    /// are assigned here (after the ring's, else after the store's last), `commit` writes
    /// them, and only when it succeeded are they given to live subscribers. The session's
    /// lock is held meanwhile, so no other entry takes these seqs. Blocks on SQLite: call
    /// it off the async runtime.
    pub fn import<T>(
        &self,
        session_id: &str,
        mut entries: Vec<OutputEntry>,
        commit: impl FnOnce(&[OutputEntry]) -> Result<T>,
    ) -> Result<T> {
        let Some(live) = self.live_of(session_id) else {
            let first = self.store.last_seq(session_id)? + 1;
            for (i, e) in entries.iter_mut().enumerate() {
                e.seq = first + i as u64;
            }
            return commit(&entries);
        };
        let mut live = live.lock().unwrap_or_else(|e| e.into_inner());
        if live.committed + 1 >= live.next_seq {
            // Nothing of ours is waiting for the writer: resynchronise with the store, where
            // another Switchboard process (a CLI import) may have added lines meanwhile.
            let last = self.store.last_seq(session_id)?;
            live.next_seq = live.next_seq.max(last + 1);
            live.committed = live.committed.max(last);
        }
        let first = live.next_seq;
        for (i, e) in entries.iter_mut().enumerate() {
            e.seq = first + i as u64;
        }
        let out = commit(&entries)?;
        let nothing_pending = live.committed + 1 >= first;
        for e in entries {
            live.next_seq = e.seq + 1;
            if nothing_pending {
                live.committed = e.seq;
            }
            live.publish(&Arc::new(e));
        }
        live.evict();
        Ok(out)
    }

    fn release_now(&self, bytes: usize) {
        let (lock, room) = &*self.queued;
        let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
        *q = q.saturating_sub(bytes);
        room.notify_all();
    }

    /// Entries of a session in `(after, before)`, oldest first, at most `limit`: from the
    /// store up to the ring, then from the ring. Never waits for the writer.
    pub fn read_range(&self, session_id: &str, after: u64, before: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        let Some(live) = self.live_of(session_id) else {
            return self.store.read_output_range(session_id, after, before, limit);
        };
        let (first, ring) = {
            let live = live.lock().unwrap_or_else(|e| e.into_inner());
            (live.first_seq(), live.range(after, before, limit as usize))
        };
        let mut out = Vec::new();
        if after.saturating_add(1) < first {
            out = self.store.read_output_range(session_id, after, before.min(first), limit)?;
        }
        // A store page cut at its byte budget ends short of the ring: no ring entries after
        // the gap (the next read goes on from its last seq).
        let room = if stops_short(&out, first) { 0 } else { (limit as usize).saturating_sub(out.len()) };
        out.extend(ring.into_iter().take(room));
        Ok(out)
    }

    /// The last `limit` entries of a session, oldest first. Never waits for the writer.
    pub fn tail(&self, session_id: &str, limit: u32) -> Result<Vec<OutputEntry>> {
        let Some(live) = self.live_of(session_id) else {
            return self.store.tail_output(session_id, limit);
        };
        let (first, ring) = {
            let live = live.lock().unwrap_or_else(|e| e.into_inner());
            let skip = live.ring.len().saturating_sub(limit as usize);
            (live.first_seq(), live.ring.iter().skip(skip).cloned().collect::<Vec<SharedEntry>>())
        };
        let ring: Vec<OutputEntry> = ring.iter().map(|e| OutputEntry::clone(e)).collect();
        let want = (limit as usize).saturating_sub(ring.len());
        if want == 0 {
            return Ok(newest_within_page(ring));
        }
        let mut older = self.store.read_output_tail_before(session_id, first, want as u32)?;
        older.extend(ring);
        Ok(newest_within_page(older))
    }

    /// Waits until every entry pushed so far is committed to SQLite — or, while the store
    /// refuses writes (see [`StorageFailure`]), until the writer has tried once more: a
    /// caller never hangs on a full disk.
    pub fn flush(&self) {
        let (done, wait) = mpsc::sync_channel(1);
        if self.queue.send(WriteMsg::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// History after `after_seq` (at most `limit` entries) plus, for a live session, the
    /// live entries that follow it — with no gap and no duplicate between the two.
    pub fn subscribe(&self, session_id: &str, after_seq: u64, limit: u32) -> Result<Subscription> {
        let Some(live) = self.live_of(session_id) else {
            let backfill = self.store.read_output(session_id, after_seq, limit)?;
            let next_seq = backfill.last().map_or(after_seq.saturating_add(1), |e| e.seq + 1);
            return Ok(Subscription { backfill, live: None, partial: None, next_seq });
        };
        let (rx, partial, ring, next_seq) = {
            let live = live.lock().unwrap_or_else(|e| e.into_inner());
            // Shared handles only: the payloads copied are those the page takes, after the lock.
            let ring: Vec<SharedEntry> = live.ring.iter().filter(|e| e.seq > after_seq).cloned().collect();
            let partial = live.tx.as_ref().map(|_| {
                let mut rx = live.partial.subscribe();
                // A message being written when the subscriber comes is news to it.
                if rx.borrow().as_ref().is_some_and(|p| p.done_through.is_none()) {
                    rx.mark_changed();
                }
                rx
            });
            (live.tx.as_ref().map(|tx| tx.subscribe()), partial, ring, live.next_seq)
        };
        // What the ring no longer holds comes from the store: the ring keeps everything
        // not yet committed, so it is there.
        let ring_first = ring.first().map_or(next_seq, |e| e.seq);
        let mut backfill = Vec::new();
        if ring_first > after_seq.saturating_add(1) {
            let wanted = (ring_first - after_seq - 1).min(limit as u64) as u32;
            backfill = self.store.read_output_range(session_id, after_seq, ring_first, wanted)?;
        }
        let room = if stops_short(&backfill, ring_first) { 0 } else { (limit as usize).saturating_sub(backfill.len()) };
        backfill.extend(ring.iter().take(room).map(|e| OutputEntry::clone(e)));
        Ok(Subscription { backfill, live: rx, partial, next_seq })
    }

    /// Follows a session's output from `after_seq` on, recovering from lag by reading the
    /// store, so that a slow consumer still gets every entry once, in order.
    pub fn follow(self: &Arc<Self>, session_id: &str, after_seq: u64) -> Result<Follower> {
        let sub = self.subscribe(session_id, after_seq, follower::FIRST_PAGE)?;
        Ok(Follower {
            hub: self.clone(),
            session_id: session_id.to_string(),
            last_seq: after_seq,
            pending: sub.backfill.into_iter().map(Arc::new).collect(),
            page: follower::FIRST_PAGE,
            live: sub.live,
            held: None,
            backlog_end: sub.next_seq,
            partial: sub.partial,
            told: None,
        })
    }
}

/// The newest entries of a tail, cut the way a page read from the store is: once
/// [`crate::store::PAGE_BYTES`] are held (the store's part and the ring's together could
/// otherwise exceed it while a session's output is still in memory).
fn newest_within_page(mut tail: Vec<OutputEntry>) -> Vec<OutputEntry> {
    let mut bytes = 0;
    let keep = tail
        .iter()
        .rev()
        .take_while(|e| {
            let room = bytes < crate::store::PAGE_BYTES;
            bytes += e.payload.len();
            room
        })
        .count();
    tail.drain(..tail.len() - keep);
    tail
}

/// Whether a page read from the store ends before `next` (cut at its count or byte budget):
/// the entries from `next` on must then not follow it, or a gap would go unnoticed.
fn stops_short(page: &[OutputEntry], next: u64) -> bool {
    page.last().is_some_and(|e| e.seq.saturating_add(1) < next)
}

impl Drop for OutputHub {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> (tempfile::TempDir, Arc<Store>, Arc<OutputHub>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(dir.path()).expect("store"));
        let hub = OutputHub::new(store.clone(), 0);
        (dir, store, hub)
    }

    fn entry(kind: &str, payload: &str) -> OutputEntry {
        OutputEntry {
            session_id: "s".into(),
            seq: 0,
            ts: chrono::Utc::now(),
            stream: crate::model::Stream::Stdout,
            kind: kind.into(),
            payload: payload.into(),
        }
    }

    /// 10 000 deltas pushed while a follower reads once per frame (25 ms, as the window's
    /// channel does): no stored row and no seq for any of them, a few dozen updates in all,
    /// and the final entry replaces the partial text.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ten_thousand_deltas_cost_no_rows_and_one_update_per_frame() {
        let (_dir, store, hub) = hub();
        hub.open("s").expect("open");
        hub.push(entry("system_init", "{}"));
        let mut follower = hub.follow("s", 0).expect("follow");
        let first = follower.next_update(100).await.expect("update").expect("some");
        assert_eq!((first.entries.len(), first.partial), (1, None));

        let producer = {
            let hub = hub.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                for i in 0..10_000 {
                    hub.partial("s", "m1", "word ");
                    if i % 100 == 99 {
                        std::thread::sleep(Duration::from_millis(10)); // ~1 s in all, like a fast model
                    }
                }
                started.elapsed()
            })
        };
        let mut shown = String::new();
        let mut updates = 0;
        while shown.len() < 50_000 {
            let u = follower.next_update(100).await.expect("update").expect("some");
            let p = u.partial.expect("partial text");
            assert!(u.entries.is_empty() && p.done_through.is_none());
            assert_eq!((p.key.as_str(), p.after_seq, p.append), ("m1", 1, updates > 0));
            shown.push_str(&p.text);
            updates += 1;
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let took = producer.join().expect("producer");
        assert_eq!(shown, "word ".repeat(10_000));
        // One update per frame the producer ran for (plus a few for scheduling noise).
        let frames = took.as_millis() as usize / 25 + 1;
        assert!(updates <= frames + 10, "{updates} updates for {frames} frames");
        println!("10000 deltas in {took:?}: {updates} follower updates, 0 rows");

        hub.push(entry("assistant_text", "the whole message"));
        hub.end_partial("s");
        let u = follower.next_update(100).await.expect("update").expect("some");
        assert_eq!(u.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [2], "no seq was taken by the deltas");
        assert_eq!(u.partial.and_then(|p| p.done_through), Some(2), "the final entry replaces the partial text");
        hub.flush();
        assert_eq!(store.read_output("s", 0, 100).expect("read").len(), 2, "only the seq'd entries are stored");
    }

    /// A follower that comes mid-message is sent the text so far; one that never saw the
    /// message is not told it ended; the text is capped at a character boundary.
    #[tokio::test]
    async fn late_followers_get_the_text_so_far_and_the_text_is_capped() {
        let (_dir, _store, hub) = hub();
        hub.open("s").expect("open");
        hub.partial("s", "m1", "hello ");
        hub.partial("s", "m1", "world");
        let mut late = hub.follow("s", 0).expect("follow");
        let u = late.next_update(10).await.expect("update").expect("some");
        assert_eq!(u.partial.map(|p| (p.append, p.text)), Some((false, "hello world".to_string())));

        hub.end_partial("s");
        let mut after_end = hub.follow("s", 0).expect("follow");
        hub.partial("s", "m1", "é".repeat(PARTIAL_BYTES).as_str()); // same key, after an end: a new message
        let u = after_end.next_update(10).await.expect("update").expect("some");
        let p = u.partial.expect("partial");
        assert!(!p.append && p.text.len() <= PARTIAL_BYTES && p.text.len() > PARTIAL_BYTES - 2 && p.text.chars().all(|c| c == 'é'));
        let u = late.next_update(10).await.expect("update").expect("some");
        assert!(u.partial.is_some_and(|p| !p.append && p.done_through.is_none()), "a new message replaces the old one");
    }

    /// A tail of a session whose output is still in memory (the ring plus the store before
    /// it) stops at a page's byte budget like a tail read from the store: the newest
    /// entries, contiguous, the last one whole.
    #[test]
    fn a_live_tail_stops_at_the_page_byte_budget() {
        let (_dir, _store, hub) = hub();
        hub.open("s").expect("open");
        let mib = "x".repeat(1024 * 1024);
        for _ in 0..40 {
            hub.push(entry("line", &mib));
        }
        hub.push(entry("line", "short"));
        hub.flush();
        let tail = hub.tail("s", 1000).expect("tail");
        let bytes: usize = tail.iter().map(|e| e.payload.len()).sum();
        assert!(bytes <= crate::store::PAGE_BYTES + mib.len(), "{bytes} bytes in {} entries", tail.len());
        assert!(tail.len() < 40 && tail.windows(2).all(|w| w[1].seq == w[0].seq + 1));
        assert_eq!(tail.last().map(|e| e.payload.as_str()), Some("short"));
    }
}

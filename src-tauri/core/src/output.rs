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

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;
use tracing::{error, warn};

use crate::error::Result;
use crate::model::OutputEntry;
use crate::store::Store;

/// Recent entries kept in memory per live session, for backfill without touching SQLite.
/// 2 000 entries cover several screens of history while staying small.
pub const RING_ENTRIES: usize = 2_000;

/// …and at most this many payload bytes, so a few huge lines cannot pin much memory.
pub const RING_BYTES: usize = 4 * 1024 * 1024;

/// Entries a live subscriber may fall behind before it is told it lagged (it then reads
/// the gap from the store). 4 096 lines is several seconds of a very chatty agent.
pub const LIVE_CHANNEL: usize = 4_096;

/// Entries waiting for the writer thread. When full, agents' lines wait (see the byte
/// bound below): output is never dropped, and at SQLite's batched insert rate the queue
/// drains in milliseconds.
pub const WRITE_QUEUE: usize = 16_384;

/// …and at most this many payload bytes waiting: a stream of 1 MiB tool results must not
/// park 16 GB in the queue. Producers wait until the writer has committed some.
pub const WRITE_QUEUE_BYTES: usize = 8 * 1024 * 1024;

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

/// The first retry waits this long; each next one twice as long, up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(2);

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
    Entry(OutputEntry),
    /// Answered once everything queued before it is committed.
    Flush(mpsc::SyncSender<()>),
}

/// Live state of one session's output.
struct Live {
    next_seq: u64,
    /// Recent entries (bounded by [`RING_ENTRIES`]/[`RING_BYTES`]) plus every entry not yet
    /// committed, oldest first. Bounded by the queue and failure budgets.
    ring: VecDeque<OutputEntry>,
    ring_bytes: usize,
    /// The newest seq the writer has committed (or given up on, see [`FAILED_BUFFER_BYTES`]).
    committed: u64,
    /// None once closed: subscribers' channels end; the ring stays until committed.
    tx: Option<broadcast::Sender<OutputEntry>>,
}

impl Live {
    /// Drops the oldest entries past the ring's bounds, but never one not yet committed.
    fn evict(&mut self) {
        while self.ring.len() > RING_ENTRIES || (self.ring_bytes > RING_BYTES && self.ring.len() > 1) {
            match self.ring.front() {
                Some(old) if old.seq <= self.committed => {
                    self.ring_bytes -= old.payload.len();
                    self.ring.pop_front();
                }
                _ => break,
            }
        }
    }

    /// Whether it is closed and everything in it is in SQLite: nothing left to serve.
    fn settled(&self) -> bool {
        self.tx.is_none() && self.committed + 1 >= self.next_seq
    }

    /// The seq of the oldest entry the ring holds (`next_seq` when empty): everything
    /// before it is committed.
    fn first_seq(&self) -> u64 {
        self.ring.front().map_or(self.next_seq, |e| e.seq)
    }

    /// Ring entries in `(after, before)`, at most `limit`.
    fn range(&self, after: u64, before: u64, limit: usize) -> Vec<OutputEntry> {
        self.ring.iter().filter(|e| e.seq > after && e.seq < before).take(limit).cloned().collect()
    }
}

/// Live sessions' output state, shared by the hub and the writer (which marks commits).
type LiveMap = Arc<Mutex<HashMap<String, Arc<Mutex<Live>>>>>;

/// What a subscriber gets: the history it asked for and the live entries that follow it.
pub struct Subscription {
    /// Entries after the requested seq, oldest first, up to just before the first live one.
    pub backfill: Vec<OutputEntry>,
    /// Entries from `next_seq` on, as they happen. None when the session has no live output.
    pub live: Option<broadcast::Receiver<OutputEntry>>,
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
    /// Unbounded as a channel; bounded by the byte budget agents' lines wait for. (A
    /// bounded channel could block a producer while it holds its session's lock.)
    queue: Sender<WriteMsg>,
}

impl OutputHub {
    pub fn new(store: Arc<Store>, cap: u64) -> Arc<OutputHub> {
        let (queue, rx) = mpsc::channel();
        let writer_store = store.clone();
        let queued = Arc::new((Mutex::new(0usize), std::sync::Condvar::new()));
        let writer_queued = queued.clone();
        let on_failure: Arc<Mutex<Option<FailureHandler>>> = Arc::new(Mutex::new(None));
        let live: LiveMap = Arc::new(Mutex::new(HashMap::new()));
        let writer = Writer { store: writer_store, cap, queued: writer_queued, on_failure: on_failure.clone(), live: live.clone() };
        std::thread::Builder::new()
            .name("switchboard-output-writer".into())
            .spawn(move || writer.run(rx))
            .expect("cannot start the output writer thread");
        Arc::new(OutputHub { store, on_failure, queued, live, queue })
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
        let (tx, _) = broadcast::channel(LIVE_CHANNEL);
        if let Some(live) = map.get(session_id) {
            live.lock().unwrap_or_else(|e| e.into_inner()).tx = Some(tx);
            return Ok(());
        }
        let last = self.store.last_seq(session_id)?;
        let live = Live { next_seq: last + 1, ring: VecDeque::new(), ring_bytes: 0, committed: last, tx: Some(tx) };
        map.insert(session_id.to_string(), Arc::new(Mutex::new(live)));
        Ok(())
    }

    /// Closes live output: subscribers see their channel end after the last entry. What
    /// is not committed yet stays readable here until it is.
    pub fn close(&self, session_id: &str) {
        let mut map = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let settled = map.get(session_id).is_some_and(|live| {
            let mut live = live.lock().unwrap_or_else(|e| e.into_inner());
            live.tx = None;
            live.settled()
        });
        if settled {
            map.remove(session_id);
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
    /// is assigned here. Never waits. None when the session has no live output open.
    pub fn push(&self, entry: OutputEntry) -> Option<OutputEntry> {
        let n = entry.payload.len();
        let (lock, _) = &*self.queued;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) += n;
        self.append(entry)
    }

    /// Appends an agent's line, first waiting while the write queue's byte budget is spent
    /// (one entry always goes through, however large, so a huge line cannot block forever).
    /// Blocks the calling thread: call it from a session's own thread, never from the
    /// async runtime.
    pub fn push_waiting(&self, entry: OutputEntry) -> Option<OutputEntry> {
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

    fn append(&self, mut entry: OutputEntry) -> Option<OutputEntry> {
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
        entry.seq = live.next_seq;
        live.next_seq += 1;
        live.ring_bytes += entry.payload.len();
        live.ring.push_back(entry.clone());
        live.evict();
        if let Some(tx) = &live.tx {
            let _ = tx.send(entry.clone());
        }
        // Queued while holding the session lock, so the writer sees seqs in order.
        if self.queue.send(WriteMsg::Entry(entry.clone())).is_err() {
            error!("the output writer is gone; output is no longer stored");
        }
        Some(entry)
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
            live.ring_bytes += e.payload.len();
            if let Some(tx) = &live.tx {
                let _ = tx.send(e.clone());
            }
            live.ring.push_back(e);
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
        let room = (limit as usize).saturating_sub(out.len());
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
            (live.first_seq(), live.ring.iter().skip(skip).cloned().collect::<Vec<_>>())
        };
        let want = (limit as usize).saturating_sub(ring.len());
        if want == 0 {
            return Ok(ring);
        }
        let mut older = self.store.read_output_tail_before(session_id, first, want as u32)?;
        older.extend(ring);
        Ok(older)
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
            return Ok(Subscription { backfill, live: None, next_seq });
        };
        let (rx, ring, next_seq) = {
            let live = live.lock().unwrap_or_else(|e| e.into_inner());
            let ring: Vec<OutputEntry> = live.ring.iter().filter(|e| e.seq > after_seq).cloned().collect();
            (live.tx.as_ref().map(|tx| tx.subscribe()), ring, live.next_seq)
        };
        // What the ring no longer holds comes from the store: the ring keeps everything
        // not yet committed, so it is there.
        let ring_first = ring.first().map_or(next_seq, |e| e.seq);
        let mut backfill = Vec::new();
        if ring_first > after_seq.saturating_add(1) {
            let wanted = (ring_first - after_seq - 1).min(limit as u64) as u32;
            backfill = self.store.read_output_range(session_id, after_seq, ring_first, wanted)?;
        }
        let room = (limit as usize).saturating_sub(backfill.len());
        backfill.extend(ring.into_iter().take(room));
        Ok(Subscription { backfill, live: rx, next_seq })
    }

    /// Follows a session's output from `after_seq` on, recovering from lag by reading the
    /// store, so that a slow consumer still gets every entry once, in order.
    pub fn follow(self: &Arc<Self>, session_id: &str, after_seq: u64) -> Result<Follower> {
        let sub = self.subscribe(session_id, after_seq, crate::store::MAX_PAGE)?;
        Ok(Follower {
            hub: self.clone(),
            session_id: session_id.to_string(),
            last_seq: after_seq,
            pending: sub.backfill.into(),
            live: sub.live,
            held: None,
        })
    }
}

/// A consumer's cursor over one session's output: backfill, then live, with lag recovery.
pub struct Follower {
    hub: Arc<OutputHub>,
    session_id: String,
    last_seq: u64,
    pending: VecDeque<OutputEntry>,
    live: Option<broadcast::Receiver<OutputEntry>>,
    /// A live entry received after a gap, handed out once the gap is filled.
    held: Option<OutputEntry>,
}

impl Follower {
    /// The seq of the last entry handed out.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Up to `max` next entries in seq order; waits for at least one. None once the
    /// session's output has ended and everything was handed out.
    pub async fn next_batch(&mut self, max: usize) -> Result<Option<Vec<OutputEntry>>> {
        loop {
            if !self.pending.is_empty() {
                let n = max.min(self.pending.len());
                let batch: Vec<OutputEntry> = self.pending.drain(..n).collect();
                self.last_seq = batch.last().map_or(self.last_seq, |e| e.seq);
                return Ok(Some(batch));
            }
            // A live entry that arrived after a gap (a backfill cut at one page, or a lag)
            // waits until the gap is read from the store, one page at a time.
            if let Some(held) = self.held.take() {
                if self.last_seq.saturating_add(1) < held.seq {
                    let page = self.hub.read_range(&self.session_id, self.last_seq, held.seq, crate::store::MAX_PAGE)?;
                    let progressed = !page.is_empty();
                    self.pending.extend(page);
                    if progressed {
                        self.held = Some(held);
                        continue;
                    }
                    // Trimmed away meanwhile: nothing more to read before it.
                }
                self.pending.push_back(held);
                continue;
            }
            let Some(live) = self.live.as_mut() else {
                // No live channel (a finished session, or it closed): the rest is stored.
                self.refill_from_store()?;
                if self.pending.is_empty() {
                    return Ok(None);
                }
                continue;
            };
            match live.recv().await {
                Ok(e) if e.seq <= self.last_seq => {}
                Ok(e) if e.seq > self.last_seq.saturating_add(1) => self.held = Some(e),
                Ok(e) => {
                    self.pending.push_back(e);
                    // Take what else is ready without waiting, as long as it is contiguous.
                    while self.pending.len() < max {
                        let tail = self.pending.back().map_or(self.last_seq, |e| e.seq);
                        match live.try_recv() {
                            Ok(e) if e.seq <= tail => {}
                            Ok(e) if e.seq == tail + 1 => self.pending.push_back(e),
                            Ok(e) => {
                                self.held = Some(e);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    // The next entry received shows the gap; it is filled from the store.
                    tracing::debug!(session = %self.session_id, missed, "output follower lagged: reading the gap from the store");
                }
                Err(broadcast::error::RecvError::Closed) => self.live = None,
            }
        }
    }

    /// Reads what the store has after `last_seq` (one page) into `pending`.
    fn refill_from_store(&mut self) -> Result<()> {
        if !self.pending.is_empty() {
            return Ok(());
        }
        let page = self.hub.read_range(&self.session_id, self.last_seq, u64::MAX, crate::store::MAX_PAGE)?;
        self.pending.extend(page);
        Ok(())
    }
}

impl Drop for OutputHub {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The writer thread's state.
struct Writer {
    store: Arc<Store>,
    cap: u64,
    /// Payload bytes queued (shared with producers, who wait on its condition).
    queued: Arc<(Mutex<usize>, std::sync::Condvar)>,
    on_failure: Arc<Mutex<Option<FailureHandler>>>,
    live: LiveMap,
}

impl Writer {
    /// Commits queued entries in batches, trims sessions over the cap, and never drops a
    /// batch it could not commit: it retries, and reports a failure that persists.
    fn run(self, rx: Receiver<WriteMsg>) {
        let mut batch: Vec<OutputEntry> = Vec::with_capacity(FLUSH_ENTRIES);
        let mut waiters: Vec<SyncSender<()>> = Vec::new();
        loop {
            // Block for the first message, then gather more until the batch is due.
            let first = match rx.recv() {
                Ok(m) => m,
                Err(_) => break,
            };
            let started = Instant::now();
            let mut next = Some(first);
            loop {
                match next.take() {
                    Some(WriteMsg::Entry(e)) => batch.push(e),
                    Some(WriteMsg::Flush(done)) => {
                        waiters.push(done);
                        break;
                    }
                    None => {}
                }
                // Commit early when half the byte budget waits, so producers never stall on it.
                if batch.len() >= FLUSH_ENTRIES || batch.iter().map(|e| e.payload.len()).sum::<usize>() >= WRITE_QUEUE_BYTES / 2 {
                    break;
                }
                let left = FLUSH_INTERVAL.saturating_sub(started.elapsed());
                match rx.recv_timeout(left) {
                    Ok(m) => next = Some(m),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            if !batch.is_empty() {
                let bytes: usize = batch.iter().map(|e| e.payload.len()).sum();
                self.commit(&mut batch, &rx, &mut waiters, bytes);
                batch.clear();
                if batch.capacity() > FLUSH_ENTRIES * 2 {
                    batch.shrink_to(FLUSH_ENTRIES);
                }
            }
            for w in waiters.drain(..) {
                let _ = w.send(());
            }
        }
    }

    /// Stores `batch` (whose entries hold `bytes` of the queue budget), retrying until it
    /// goes in. While it fails, entries still arriving join the batch (their budget is
    /// released so that producers — and the stop of the failing sessions — never block
    /// on a store that cannot take them), flush callers are answered after each attempt,
    /// and a failure that persists is reported once per episode.
    fn commit(&self, batch: &mut Vec<OutputEntry>, rx: &Receiver<WriteMsg>, waiters: &mut Vec<SyncSender<()>>, bytes: usize) {
        let mut held = bytes; // budget still counted in `queued` for entries of this batch
        let mut attempt: u32 = 0;
        let first_failure = Instant::now();
        let mut reported: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut lost: usize = 0;
        loop {
            match self.store.append_output(batch) {
                Ok(()) => {
                    if attempt > 0 {
                        tracing::info!(attempts = attempt + 1, entries = batch.len(), "output is stored again");
                    }
                    if lost > 0 {
                        error!(lost, "output entries were lost while the store refused writes (over the in-memory bound)");
                    }
                    if self.cap > 0 {
                        trim(&self.store, batch, self.cap);
                    }
                    self.settle(batch);
                    self.release(held);
                    return;
                }
                Err(e) => {
                    attempt += 1;
                    let disk_full = crate::store::is_full(&e);
                    warn!(error = %e, attempt, entries = batch.len(), "could not store output; keeping it and trying again");
                    let due = (disk_full && attempt >= FULL_ATTEMPTS) || first_failure.elapsed() >= FAIL_AFTER;
                    if due {
                        let sessions: Vec<String> = {
                            let mut seen = Vec::new();
                            for entry in batch.iter() {
                                if !reported.contains(&entry.session_id) && !seen.contains(&entry.session_id) {
                                    seen.push(entry.session_id.clone());
                                }
                            }
                            seen
                        };
                        if !sessions.is_empty() {
                            reported.extend(sessions.iter().cloned());
                            let message = if disk_full {
                                "disk full: Switchboard cannot store this session's output; the agent was stopped (free some space, then resume it)".to_string()
                            } else {
                                format!("cannot store this session's output ({e}); the agent was stopped")
                            };
                            if let Some(handler) = self.on_failure.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                                handler(StorageFailure { sessions, message, disk_full });
                            }
                        }
                    }
                    for w in waiters.drain(..) {
                        let _ = w.send(());
                    }
                    // Release the batch's budget once failing: producers must not wait on it.
                    self.release(std::mem::take(&mut held));
                    // Wait before the next attempt, taking in what arrives meanwhile.
                    let wait = RETRY_FIRST.saturating_mul(1u32 << attempt.min(6)).min(RETRY_MAX);
                    let until = Instant::now() + wait;
                    let mut buffered: usize = batch.iter().map(|e| e.payload.len()).sum();
                    while let Some(left) = until.checked_duration_since(Instant::now()) {
                        match rx.recv_timeout(left) {
                            Ok(WriteMsg::Entry(entry)) => {
                                let n = entry.payload.len();
                                self.release(n);
                                if buffered + n <= FAILED_BUFFER_BYTES {
                                    buffered += n;
                                    batch.push(entry);
                                } else {
                                    lost += 1;
                                    // Given up on: readers must not keep it in memory for ever.
                                    self.settle(std::slice::from_ref(&entry));
                                }
                            }
                            Ok(WriteMsg::Flush(done)) => {
                                let _ = done.send(());
                            }
                            Err(RecvTimeoutError::Timeout) => break,
                            Err(RecvTimeoutError::Disconnected) => {
                                // The hub is gone (Switchboard is closing): one last try, then
                                // say what could not be kept.
                                if self.store.append_output(batch).is_err() {
                                    error!(
                                        entries = batch.len(),
                                        lost, "output that could not be stored before Switchboard closed is lost"
                                    );
                                }
                                return;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Marks the newest seq of each session in `entries` as committed: their rings may
    /// drop them now, and a closed session whose output is all in SQLite is forgotten.
    fn settle(&self, entries: &[OutputEntry]) {
        let mut newest: HashMap<&str, u64> = HashMap::new();
        for e in entries {
            let n = newest.entry(&e.session_id).or_insert(0);
            *n = (*n).max(e.seq);
        }
        let mut map = self.live.lock().unwrap_or_else(|e| e.into_inner());
        for (session, seq) in newest {
            let settled = map.get(session).is_some_and(|live| {
                let mut live = live.lock().unwrap_or_else(|e| e.into_inner());
                live.committed = live.committed.max(seq);
                live.evict();
                live.settled()
            });
            if settled {
                map.remove(session);
            }
        }
    }

    /// Gives `bytes` of the queue budget back and wakes waiting producers.
    fn release(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        let (lock, room) = &*self.queued;
        let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
        *q = q.saturating_sub(bytes);
        room.notify_all();
    }
}

/// Trims the sessions in `batch` whose newest seq passed the cap by a margin of 10 %
/// (so trimming runs once per many batches, not on every one).
fn trim(store: &Store, batch: &[OutputEntry], cap: u64) {
    let mut newest: HashMap<&str, u64> = HashMap::new();
    for e in batch {
        newest.insert(&e.session_id, e.seq);
    }
    for (session, seq) in newest {
        let keep_from = seq.saturating_sub(cap) + 1;
        let margin = (cap / 10).max(1);
        match store.output_trimmed_through(session) {
            Ok(through) if keep_from > through + margin => {
                if let Err(e) = store.trim_output(session, keep_from - 1) {
                    warn!(session, error = %e, "could not trim stored output");
                }
            }
            Ok(_) => {}
            Err(e) => warn!(session, error = %e, "could not read the trim mark"),
        }
    }
}

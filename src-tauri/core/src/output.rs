//! Session output: every line gets the session's next seq, goes into a bounded ring of
//! recent entries (instant backfill), out to live subscribers, and to the store through
//! one batching writer thread.
//!
//! Ordering guarantee: for one session, seq assignment, the ring push and the broadcast
//! happen under that session's lock, so a subscriber that snapshots the ring and
//! subscribes under the same lock sees every entry exactly once — from the backfill or
//! from the live channel, never both, never neither.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
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

/// Entries waiting for the writer thread. When full, producers wait: output is never
/// dropped, and at SQLite's batched insert rate the queue drains in milliseconds.
pub const WRITE_QUEUE: usize = 16_384;

/// …and at most this many payload bytes waiting: a stream of 1 MiB tool results must not
/// park 16 GB in the queue. Producers wait until the writer has committed some.
pub const WRITE_QUEUE_BYTES: usize = 8 * 1024 * 1024;

/// The writer commits at least this often while entries are waiting (the latency bound
/// of persisted output)…
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(20);

/// …or as soon as this many entries are waiting (the batch size bound).
pub const FLUSH_ENTRIES: usize = 4_096;

enum WriteMsg {
    Entry(OutputEntry),
    /// Answered once everything queued before it is committed.
    Flush(mpsc::SyncSender<()>),
}

/// Live state of one session's output.
struct Live {
    next_seq: u64,
    ring: VecDeque<OutputEntry>,
    ring_bytes: usize,
    tx: broadcast::Sender<OutputEntry>,
}

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
    /// Payload bytes queued for the writer, and the condition producers wait on.
    queued: Arc<(Mutex<usize>, std::sync::Condvar)>,
    live: Mutex<HashMap<String, Arc<Mutex<Live>>>>,
    queue: SyncSender<WriteMsg>,
}

impl OutputHub {
    pub fn new(store: Arc<Store>, cap: u64) -> Arc<OutputHub> {
        let (queue, rx) = mpsc::sync_channel(WRITE_QUEUE);
        let writer_store = store.clone();
        let queued = Arc::new((Mutex::new(0usize), std::sync::Condvar::new()));
        let writer_queued = queued.clone();
        std::thread::Builder::new()
            .name("switchboard-output-writer".into())
            .spawn(move || write_loop(writer_store, rx, cap, writer_queued))
            .expect("cannot start the output writer thread");
        Arc::new(OutputHub { store, queued, live: Mutex::new(HashMap::new()), queue })
    }

    fn live_of(&self, session_id: &str) -> Option<Arc<Mutex<Live>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).get(session_id).cloned()
    }

    /// Opens live output for a session, continuing after its last stored seq.
    pub fn open(&self, session_id: &str) -> Result<()> {
        self.flush();
        let next_seq = self.store.last_seq(session_id)? + 1;
        let (tx, _) = broadcast::channel(LIVE_CHANNEL);
        let live = Live { next_seq, ring: VecDeque::new(), ring_bytes: 0, tx };
        self.live.lock().unwrap_or_else(|e| e.into_inner()).insert(session_id.to_string(), Arc::new(Mutex::new(live)));
        Ok(())
    }

    /// Closes live output: subscribers see their channel end after the last entry.
    pub fn close(&self, session_id: &str) {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).remove(session_id);
    }

    /// Appends an entry (its `seq` is assigned here) and returns it, or None when the
    /// session has no live output open.
    pub fn push(&self, mut entry: OutputEntry) -> Option<OutputEntry> {
        let live = self.live_of(&entry.session_id)?;
        let mut live = live.lock().unwrap_or_else(|e| e.into_inner());
        entry.seq = live.next_seq;
        live.next_seq += 1;
        live.ring_bytes += entry.payload.len();
        live.ring.push_back(entry.clone());
        while live.ring.len() > RING_ENTRIES || (live.ring_bytes > RING_BYTES && live.ring.len() > 1) {
            if let Some(old) = live.ring.pop_front() {
                live.ring_bytes -= old.payload.len();
            }
        }
        let _ = live.tx.send(entry.clone());
        {
            // Wait for room under the byte bound (one entry may always go through, however
            // large, so a single huge line cannot block forever).
            let (lock, room) = &*self.queued;
            let mut queued = lock.lock().unwrap_or_else(|e| e.into_inner());
            while *queued > 0 && *queued + entry.payload.len() > WRITE_QUEUE_BYTES {
                queued = room.wait(queued).unwrap_or_else(|e| e.into_inner());
            }
            *queued += entry.payload.len();
        }
        // Queued while holding the session lock, so the writer sees seqs in order.
        if self.queue.send(WriteMsg::Entry(entry.clone())).is_err() {
            error!("the output writer is gone; output is no longer stored");
        }
        Some(entry)
    }

    /// Waits until every entry pushed so far is committed to SQLite.
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
            self.flush();
            let backfill = self.store.read_output(session_id, after_seq, limit)?;
            let next_seq = backfill.last().map_or(after_seq + 1, |e| e.seq + 1);
            return Ok(Subscription { backfill, live: None, next_seq });
        };
        let (rx, ring, next_seq) = {
            let live = live.lock().unwrap_or_else(|e| e.into_inner());
            let ring: Vec<OutputEntry> = live.ring.iter().filter(|e| e.seq > after_seq).cloned().collect();
            (live.tx.subscribe(), ring, live.next_seq)
        };
        // What the ring no longer holds comes from the store; it was queued before the
        // snapshot, so after a flush it is there.
        let ring_first = ring.first().map_or(next_seq, |e| e.seq);
        let mut backfill = Vec::new();
        if ring_first > after_seq + 1 {
            self.flush();
            let wanted = (ring_first - after_seq - 1).min(limit as u64) as u32;
            backfill = self.store.read_output_range(session_id, after_seq, ring_first, wanted)?;
        }
        let room = (limit as usize).saturating_sub(backfill.len());
        backfill.extend(ring.into_iter().take(room));
        Ok(Subscription { backfill, live: Some(rx), next_seq })
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
                if self.last_seq + 1 < held.seq {
                    self.hub.flush();
                    let page = self.hub.store.read_output_range(&self.session_id, self.last_seq, held.seq, crate::store::MAX_PAGE)?;
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
                Ok(e) if e.seq > self.last_seq + 1 => self.held = Some(e),
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
        self.hub.flush();
        let page = self.hub.store.read_output(&self.session_id, self.last_seq, crate::store::MAX_PAGE)?;
        self.pending.extend(page);
        Ok(())
    }
}

impl Drop for OutputHub {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The writer thread: commits queued entries in batches, trims sessions over the cap.
fn write_loop(store: Arc<Store>, rx: Receiver<WriteMsg>, cap: u64, queued: Arc<(Mutex<usize>, std::sync::Condvar)>) {
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
            if let Err(e) = store.append_output(&batch) {
                warn!(error = %e, entries = batch.len(), "could not store output");
            } else if cap > 0 {
                trim(&store, &batch, cap);
            }
            batch.clear();
            if batch.capacity() > FLUSH_ENTRIES * 2 {
                batch.shrink_to(FLUSH_ENTRIES);
            }
            let (lock, room) = &*queued;
            let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
            *q = q.saturating_sub(bytes);
            room.notify_all();
        }
        for w in waiters.drain(..) {
            let _ = w.send(());
        }
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

//! The writer thread: the one place output is written to SQLite. Commits in batches, trims
//! sessions over the cap, never drops a batch it could not commit (it retries and reports a
//! failure that persists), and marks what is committed so rings can let go of it.

use super::*;

/// How long the writer naps while it gathers a batch and nothing is queued.
const GATHER_NAP: Duration = Duration::from_millis(5);

/// The first retry waits this long; each next one twice as long, up to [`RETRY_MAX`].
pub(super) const RETRY_FIRST: Duration = Duration::from_millis(50);
pub(super) const RETRY_MAX: Duration = Duration::from_secs(2);

/// The writer thread's state.
pub(super) struct Writer {
    pub(super) store: Arc<Store>,
    pub(super) cap: u64,
    /// Payload bytes queued (shared with producers, who wait on its condition).
    pub(super) queued: Arc<(Mutex<usize>, std::sync::Condvar)>,
    pub(super) on_failure: Arc<Mutex<Option<FailureHandler>>>,
    pub(super) live: LiveMap,
    /// Each session's trim mark as last read or written (see [`Writer::trim`]): read from
    /// the store once per session, not for every batch.
    pub(super) trimmed: HashMap<String, u64>,
}

impl Writer {
    /// Commits queued entries in batches, trims sessions over the cap, and never drops a
    /// batch it could not commit: it retries, and reports a failure that persists.
    pub(super) fn run(mut self, rx: Receiver<WriteMsg>) {
        let mut batch: Vec<SharedEntry> = Vec::with_capacity(FLUSH_ENTRIES);
        let mut bytes = 0;
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
                    Some(WriteMsg::Entry(e)) => {
                        bytes += e.payload.len();
                        batch.push(e);
                    }
                    Some(WriteMsg::Flush(done)) => {
                        waiters.push(done);
                        break;
                    }
                    None => {}
                }
                // Commit early when half the byte budget waits, so producers never stall on it.
                if batch.len() >= FLUSH_ENTRIES || bytes >= WRITE_QUEUE_BYTES / 2 {
                    break;
                }
                // Take what is queued; when nothing is, nap rather than wake for each entry
                // (100 sessions printing 10 lines a second woke the writer 1,000 times a
                // second): a few wake-ups per batch, the batch still due on time.
                match rx.try_recv() {
                    Ok(m) => next = Some(m),
                    Err(TryRecvError::Disconnected) => break,
                    Err(TryRecvError::Empty) => {
                        let left = FLUSH_INTERVAL.saturating_sub(started.elapsed());
                        if left.is_zero() {
                            break;
                        }
                        std::thread::sleep(left.min(GATHER_NAP));
                    }
                }
            }
            if !batch.is_empty() {
                self.commit(&mut batch, &rx, &mut waiters, std::mem::take(&mut bytes));
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
    fn commit(&mut self, batch: &mut Vec<SharedEntry>, rx: &Receiver<WriteMsg>, waiters: &mut Vec<SyncSender<()>>, bytes: usize) {
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
                        self.trim(batch);
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
    fn settle(&mut self, entries: &[SharedEntry]) {
        let mut ended = false;
        {
            let mut map = self.live.lock().unwrap_or_else(|e| e.into_inner());
            for (session, seq) in newest_seqs(entries) {
                let settled = map.get(session).is_some_and(|live| {
                    let mut live = live.lock().unwrap_or_else(|e| e.into_inner());
                    live.committed = live.committed.max(seq);
                    live.evict();
                    live.settled()
                });
                if settled {
                    map.remove(session);
                    self.trimmed.remove(session);
                    ended = true;
                }
            }
        }
        if ended {
            crate::memory::release_free_memory();
        }
    }

    /// Trims the sessions in `batch` whose newest seq passed the cap by a margin of 10 %
    /// (so trimming runs once per many batches, not on every one).
    fn trim(&mut self, batch: &[SharedEntry]) {
        let cap = self.cap;
        for (session, seq) in newest_seqs(batch) {
            let keep_from = seq.saturating_sub(cap) + 1;
            let margin = (cap / 10).max(1);
            let through = match self.trimmed.get(session) {
                Some(&t) => t,
                None => match self.store.output_trimmed_through(session) {
                    Ok(t) => *self.trimmed.entry(session.to_string()).or_insert(t),
                    Err(e) => {
                        warn!(session, error = %e, "could not read the trim mark");
                        continue;
                    }
                },
            };
            if keep_from > through + margin {
                match self.store.trim_output(session, keep_from - 1) {
                    Ok(_) => {
                        self.trimmed.insert(session.to_string(), keep_from - 1);
                    }
                    Err(e) => warn!(session, error = %e, "could not trim stored output"),
                }
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

/// Each session of `entries` with its newest seq there, in the order sessions first appear.
fn newest_seqs(entries: &[SharedEntry]) -> Vec<(&str, u64)> {
    let mut newest: Vec<(&str, u64)> = Vec::new();
    for e in entries {
        // Entries come in runs per session: the last one seen is the likely match.
        match newest.iter_mut().rev().find(|(s, _)| *s == e.session_id) {
            Some(n) => n.1 = n.1.max(e.seq),
            None => newest.push((&e.session_id, e.seq)),
        }
    }
    newest
}

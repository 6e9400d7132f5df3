//! The writer thread: the one place output is written to SQLite. Commits in batches, trims
//! sessions over the cap, never drops a batch it could not commit (it retries and reports a
//! failure that persists), and marks what is committed so rings can let go of it.

use super::*;

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
}

impl Writer {
    /// Commits queued entries in batches, trims sessions over the cap, and never drops a
    /// batch it could not commit: it retries, and reports a failure that persists.
    pub(super) fn run(self, rx: Receiver<WriteMsg>) {
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
pub(super) fn trim(store: &Store, batch: &[OutputEntry], cap: u64) {
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

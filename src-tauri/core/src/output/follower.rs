//! A consumer's cursor over one session's output: backfill, then live, with lag recovery
//! from the store, and the partial text (live typing) beside it.

use super::*;

/// A batch handed out stops at this many payload bytes (at least one entry goes): a
/// follower never holds copies of many 1 MiB lines at once. The same as one message to
/// the window ([`super::budget::MESSAGE_BYTES`]).
pub const FOLLOW_BATCH_BYTES: usize = super::budget::MESSAGE_BYTES;

/// What a follower reads from the store at once (a backfill, a gap after a lag, an entry
/// no longer in memory) is sized to about this many payload bytes: the page's entry count
/// adapts to the sizes of the last page read, within 1 and [`crate::store::MAX_PAGE`].
const READ_BYTES: usize = 4 * 1024 * 1024;

/// The entry count of a follower's first page read from the store.
pub(super) const FIRST_PAGE: u32 = 256;

/// A consumer's cursor over one session's output: backfill, then live, with lag recovery.
pub struct Follower {
    pub(super) hub: Arc<OutputHub>,
    pub(super) session_id: String,
    pub(super) last_seq: u64,
    pub(super) pending: VecDeque<SharedEntry>,
    /// How many entries the next page read from the store asks for (see [`READ_BYTES`]).
    pub(super) page: u32,
    pub(super) live: Option<broadcast::Receiver<LiveEntry>>,
    /// A live entry received after a gap (handed out once the gap is filled), or one that
    /// nothing holds in memory any more (read from the store).
    pub(super) held: Option<LiveEntry>,
    /// The seq of the first entry the live channel brings: everything before it is read from
    /// the store and the ring (a backfill cut at its count or byte budget ends short of it).
    pub(super) backlog_end: u64,
    /// The partial text as it changes; None when there is none to follow.
    pub(super) partial: Option<watch::Receiver<Option<PartialText>>>,
    /// The partial message this follower was last told of: its number and how many bytes.
    pub(super) told: Option<(u64, usize)>,
}

/// What a follower hands out next: entries (in seq order, maybe none) and what changed in
/// the partial text since the last update (None: nothing).
#[derive(Debug, Default)]
pub struct Update {
    /// The next entries, in seq order; empty when only the partial text changed.
    pub entries: Vec<OutputEntry>,
    /// The partial text's change, applied after `entries`.
    pub partial: Option<PartialUpdate>,
}

impl Follower {
    /// The seq of the last entry handed out.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Up to `max` next entries and the partial text's change since the last update;
    /// waits for either. None once the session's output has ended and everything was
    /// handed out. However many deltas came meanwhile, the partial text is one update.
    pub async fn next_update(&mut self, max: usize) -> Result<Option<Update>> {
        loop {
            // A clone to wait on: dropped when this future is (a `select!` elsewhere), the
            // follower's own receiver stays; it is marked seen when the text is read.
            let Some(mut watch) = self.partial.clone() else {
                return Ok(self.next_batch(max).await?.map(|entries| Update { entries, partial: None }));
            };
            let ready = !self.pending.is_empty() || self.held.is_some() || self.behind();
            let batch = if ready {
                Some(self.next_batch(max).await)
            } else {
                tokio::select! {
                    // Entries first: a final entry that is ready goes out with the end of its
                    // partial text, in one update.
                    biased;
                    // Cancel-safe: what `next_batch` received before it waits is kept in `self`.
                    batch = self.next_batch(max) => Some(batch),
                    changed = watch.changed() => match changed {
                        Ok(()) => None,
                        Err(_) => {
                            // The session's output state is gone: no more partial text.
                            self.partial = None;
                            self.told = None;
                            continue;
                        }
                    },
                }
            };
            let entries = match batch {
                Some(batch) => match batch? {
                    Some(entries) => entries,
                    None => return Ok(None),
                },
                None => Vec::new(),
            };
            let partial = self.partial_update();
            if entries.is_empty() && partial.is_none() {
                continue;
            }
            return Ok(Some(Update { entries, partial }));
        }
    }

    /// What changed in the partial text since this follower was last told (compared with
    /// what it was told, not with the channel's version: `changed()` marks it seen).
    fn partial_update(&mut self) -> Option<PartialUpdate> {
        let current = self.partial.as_mut()?.borrow_and_update().clone()?;
        let continues = self.told.filter(|(number, len)| *number == current.number && *len <= current.text.len()).map(|(_, len)| len);
        if current.done_through.is_some() {
            // Only news to a follower that was shown the message.
            let told = self.told.take()?;
            if told.0 != current.number {
                return None;
            }
            return Some(PartialUpdate {
                key: current.key,
                after_seq: current.after_seq,
                append: true,
                text: String::new(),
                done_through: current.done_through,
            });
        }
        let (append, text) = match continues {
            Some(len) if len == current.text.len() => return None,
            Some(len) => (true, current.text[len..].to_string()),
            None => (false, current.text.clone()),
        };
        self.told = Some((current.number, current.text.len()));
        Some(PartialUpdate { key: current.key, after_seq: current.after_seq, append, text, done_through: None })
    }

    /// Up to `max` next entries in seq order; waits for at least one. None once the
    /// session's output has ended and everything was handed out. Partial text is skipped
    /// (see [`Follower::next_update`]).
    pub async fn next_batch(&mut self, max: usize) -> Result<Option<Vec<OutputEntry>>> {
        loop {
            if !self.pending.is_empty() {
                let mut bytes = 0;
                let n = self
                    .pending
                    .iter()
                    .take(max.max(1))
                    .take_while(|e| {
                        let first = bytes == 0;
                        bytes += e.payload.len().max(1);
                        first || bytes <= FOLLOW_BATCH_BYTES
                    })
                    .count();
                let batch: Vec<OutputEntry> = self.pending.drain(..n).map(Arc::unwrap_or_clone).collect();
                self.last_seq = batch.last().map_or(self.last_seq, |e| e.seq);
                return Ok(Some(batch));
            }
            // A live entry that arrived after a gap (a backfill cut at one page, or a lag)
            // waits until the gap is read from the store, one page at a time.
            if let Some(held) = self.held.take() {
                let seq = held.seq();
                // (Nothing read: trimmed away meanwhile, nothing more to read before it.)
                if self.last_seq.saturating_add(1) < seq && self.read_page(seq)? {
                    self.held = Some(held);
                    continue;
                }
                if seq <= self.last_seq {
                    continue;
                }
                match held.get() {
                    Some(e) => self.pending.push_back(e),
                    // Nothing holds it in memory any more: it is committed (or was trimmed
                    // or deleted meanwhile, and is skipped). What follows it likely is
                    // too: read on from the store.
                    None => {
                        self.read_page(u64::MAX)?;
                    }
                }
                continue;
            }
            // Entries before the live ones that the backfill did not hold: read them now,
            // not once the next live entry shows the gap (an idle session sends none).
            if self.live.is_some() && self.behind() {
                if !self.read_page(self.backlog_end)? {
                    self.backlog_end = 0; // trimmed meanwhile: nothing more to read before them
                }
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
                Ok(e) if e.seq() <= self.last_seq => {}
                Ok(e) if e.seq() > self.last_seq.saturating_add(1) => self.held = Some(e),
                Ok(e) => {
                    let Some(entry) = e.get() else {
                        self.held = Some(e);
                        continue;
                    };
                    let mut bytes = entry.payload.len();
                    self.pending.push_back(entry);
                    // Take what else is ready without waiting, as long as it is contiguous
                    // and in memory, up to one batch (what is left stays in the channel,
                    // which holds big entries only weakly).
                    while self.pending.len() < max && bytes < FOLLOW_BATCH_BYTES {
                        let tail = self.pending.back().map_or(self.last_seq, |e| e.seq);
                        match live.try_recv() {
                            Ok(e) if e.seq() <= tail => {}
                            Ok(e) => match e.get().filter(|_| e.seq() == tail + 1) {
                                Some(entry) => {
                                    bytes += entry.payload.len();
                                    self.pending.push_back(entry);
                                }
                                None => {
                                    self.held = Some(e);
                                    break;
                                }
                            },
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

    /// Whether entries before the live ones are still to be read.
    fn behind(&self) -> bool {
        self.last_seq.saturating_add(1) < self.backlog_end
    }

    /// Reads what the store has after `last_seq` (one page) into `pending`.
    fn refill_from_store(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            self.read_page(u64::MAX)?;
        }
        Ok(())
    }

    /// Reads the entries after `last_seq` and before `before` (one page, from the store
    /// and the ring) into `pending`; false when there were none. The next page's size
    /// follows the bytes this one held (see [`READ_BYTES`]).
    fn read_page(&mut self, before: u64) -> Result<bool> {
        let page = self.hub.read_range(&self.session_id, self.last_seq, before, self.page)?;
        let bytes: usize = page.iter().map(|e| e.payload.len()).sum();
        let full = page.len() as u32 >= self.page;
        self.page = if bytes > READ_BYTES {
            (self.page as usize * READ_BYTES / bytes).max(1) as u32
        } else if full && bytes < READ_BYTES / 4 {
            self.page.saturating_mul(2).min(crate::store::MAX_PAGE)
        } else {
            self.page
        };
        let progressed = !page.is_empty();
        self.pending.extend(page.into_iter().map(Arc::new));
        Ok(progressed)
    }
}

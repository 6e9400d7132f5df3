//! The search indexer: a background thread that keeps the full-text index
//! (`store/search.rs`) up with stored output. Ingest never waits for it: it reads what the
//! output writer committed, past its high-water mark, in small transactions on a connection
//! of its own.
//!
//! Once caught up it sleeps until the store reports new output ([`Signal::written`], after
//! each commit of entries), then gathers more for [`GATHER`], so idle it costs nothing and
//! streaming output is indexed a few batches a second, not once per commit; a long fallback poll ([`IDLE_POLL`])
//! picks up output other Switchboard processes stored. While a bulk import stores lines
//! ([`crate::store::Store::bulk_import`]) it indexes one batch per [`BULK_PACE`] instead of
//! competing with it at full speed, and catches up once the import is done. Its lag for
//! live output is therefore the time to index what was stored before it: a few ms when
//! caught up; after a bulk import, that import's catch-up (≈ 30 MB/s of output).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::store::Store;

/// How long the caught-up indexer sleeps when nothing wakes it (output stored by another
/// process wakes no one here).
pub const IDLE_POLL: Duration = Duration::from_secs(5);
/// While a bulk import runs, one batch is indexed per this long.
pub const BULK_PACE: Duration = Duration::from_secs(1);
/// Once woken by a commit, the indexer waits this long for more before it indexes: the
/// output writer commits every ~25 ms while sessions stream, and an FTS5 transaction per
/// commit (each a new index segment to merge) cost more than the writing itself (100
/// streaming sessions: 13.5 % of a core against a 10 % goal). Bounds the lag it adds.
pub const GATHER: Duration = Duration::from_millis(250);
/// Entries indexed per transaction (keeps each write lock short for the output writer).
const BATCH: u32 = 500;

/// What wakes the indexer: output committed, a bulk import starting or ending, a stop.
/// Shared by the store (which signals) and the indexer (which waits).
#[derive(Default)]
pub(crate) struct Signal {
    state: Mutex<SignalState>,
    changed: Condvar,
}

#[derive(Default, Clone, Copy)]
struct SignalState {
    /// Commits of output entries so far.
    written: u64,
    /// Bulk imports under way.
    bulk: usize,
    /// Passes the indexer made (each one query at least): its wake-ups.
    passes: u64,
}

impl Signal {
    fn lock(&self) -> std::sync::MutexGuard<'_, SignalState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Output entries were committed.
    pub(crate) fn written(&self) {
        self.lock().written += 1;
        self.changed.notify_all();
    }

    /// A bulk import starts (`true`) or ends.
    pub(crate) fn bulk(&self, starts: bool) {
        let mut s = self.lock();
        s.bulk = if starts { s.bulk + 1 } else { s.bulk.saturating_sub(1) };
        drop(s);
        self.changed.notify_all();
    }

    #[cfg(test)]
    fn now(&self) -> SignalState {
        *self.lock()
    }

    /// Waits at most `timeout` until `done(state)` holds or `stop` is set; returns whether
    /// `stop` is set. (`stop` is set before [`Signal::wake`] takes the lock, and read under
    /// it here: a stop is never missed.)
    fn wait(&self, stop: &AtomicBool, timeout: Duration, done: impl Fn(&SignalState) -> bool) -> bool {
        let s = self.lock();
        let _s = self.changed.wait_timeout_while(s, timeout, |s| !stop.load(Ordering::SeqCst) && !done(s));
        stop.load(Ordering::SeqCst)
    }

    fn wake(&self) {
        let _s = self.lock();
        self.changed.notify_all();
    }
}

/// The running indexer; dropping it stops the thread (at once, between batches).
pub(crate) struct SearchIndexer {
    stop: Arc<AtomicBool>,
    store: Arc<Store>,
    thread: Option<JoinHandle<()>>,
}

impl SearchIndexer {
    /// Starts indexing `store` in a thread of its own.
    pub(crate) fn start(store: Arc<Store>) -> SearchIndexer {
        let stop = Arc::new(AtomicBool::new(false));
        let (s, flag) = (store.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("search-indexer".into())
            .spawn(move || run(&s, &flag))
            .map_err(|e| tracing::warn!(error = %e, "could not start the search indexer; search finds nothing new"))
            .ok();
        SearchIndexer { stop, store, thread }
    }
}

impl Drop for SearchIndexer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.store.index_signal().wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(store: &Store, stop: &AtomicBool) {
    let conn = match store.connect() {
        Ok(c) => c,
        Err(e) => return tracing::warn!(error = %e, "the search indexer cannot open the database"),
    };
    let signal = store.index_signal();
    while !stop.load(Ordering::SeqCst) {
        // Read before indexing: a commit after this point wakes the wait below.
        let seen = {
            let mut s = signal.lock();
            s.passes += 1;
            *s
        };
        let stopped = match store.index_pending(&conn, BATCH) {
            Ok(0) => signal.wait(stop, IDLE_POLL, |s| s.written != seen.written) || signal.wait(stop, GATHER, |_| false),
            Ok(_) if seen.bulk > 0 => signal.wait(stop, BULK_PACE, |s| s.bulk == 0),
            Ok(_) => false,
            Err(e) => {
                tracing::warn!(error = %e, "the search indexer failed; trying again");
                signal.wait(stop, Duration::from_secs(1), |_| false)
            }
        };
        if stopped {
            return;
        }
    }
}

/// A bulk import under way (see [`crate::store::Store::bulk_import`]): the indexer paces
/// itself until this is dropped.
pub(crate) struct BulkImport<'a>(&'a Signal);

impl<'a> BulkImport<'a> {
    pub(crate) fn new(signal: &'a Signal) -> BulkImport<'a> {
        signal.bulk(true);
        BulkImport(signal)
    }
}

impl Drop for BulkImport<'_> {
    fn drop(&mut self) {
        self.0.bulk(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{OutputEntry, Stream};
    use std::time::Instant;

    fn lines(from: u64, n: u64) -> Vec<OutputEntry> {
        let e = |seq| OutputEntry {
            session_id: "command_x".into(),
            seq,
            ts: chrono::Utc::now(),
            stream: Stream::Stdout,
            kind: "line".into(),
            payload: format!("line {seq} of the quokka"),
        };
        (from..from + n).map(e).collect()
    }

    fn caught_up_within(store: &Store, limit: Duration) -> bool {
        let t = Instant::now();
        while store.search_backlog().unwrap() > 0 {
            if t.elapsed() > limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    #[test]
    fn idle_it_sleeps_until_output_is_committed_and_a_bulk_import_paces_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let indexer = SearchIndexer::start(store.clone());
        let passes = || store.index_signal().now().passes;
        // Nothing to index: one pass, then asleep (polling every 200 ms made 7 or 8 here).
        std::thread::sleep(Duration::from_millis(1500));
        assert!(passes() <= 2, "{} passes in 1.5 s idle", passes());
        // A commit wakes it at once.
        store.append_output(&lines(1, 10)).unwrap();
        assert!(caught_up_within(&store, Duration::from_secs(1)), "a commit woke the indexer");
        // During a bulk import: a batch per BULK_PACE, the rest once it is over.
        let bulk = store.bulk_import();
        store.append_output(&lines(11, 6 * BATCH as u64)).unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        let left = store.search_backlog().unwrap();
        // (At most 2 batches in 1.5 s; unpaced, all 3 000 are indexed within it.)
        assert!(left >= 3 * BATCH as u64, "paced: {left} of {} left after 1.5 s", 6 * BATCH);
        drop(bulk);
        assert!(caught_up_within(&store, Duration::from_secs(20)), "caught up after the import");
        assert_eq!(store.search("quokka", &Default::default(), 10).unwrap().len(), 10);
        let t = Instant::now();
        drop(indexer);
        assert!(t.elapsed() < Duration::from_secs(1), "a stop wakes the sleeping indexer");
    }
}

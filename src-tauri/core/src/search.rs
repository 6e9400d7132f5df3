//! The search indexer: a background thread that keeps the full-text index
//! (`store/search.rs`) up with stored output. Ingest never waits for it: it reads what the
//! output writer committed, past its high-water mark, in small transactions on a connection
//! of its own. Its lag is bounded by [`IDLE_POLL`] plus the time to index what arrived.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::store::Store;

/// How long the indexer sleeps once it has caught up.
pub const IDLE_POLL: Duration = Duration::from_millis(200);
/// Entries indexed per transaction (keeps each write lock short for the output writer).
const BATCH: u32 = 500;

/// The running indexer; dropping it stops the thread (at once, between batches).
pub(crate) struct SearchIndexer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SearchIndexer {
    /// Starts indexing `store` in a thread of its own.
    pub(crate) fn start(store: Arc<Store>) -> SearchIndexer {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("search-indexer".into())
            .spawn(move || run(&store, &stopped))
            .map_err(|e| tracing::warn!(error = %e, "could not start the search indexer; search finds nothing new"))
            .ok();
        SearchIndexer { stop: Some(stop), thread }
    }
}

impl Drop for SearchIndexer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(store: &Store, stopped: &mpsc::Receiver<()>) {
    let conn = match store.connect() {
        Ok(c) => c,
        Err(e) => return tracing::warn!(error = %e, "the search indexer cannot open the database"),
    };
    loop {
        let wait = match store.index_pending(&conn, BATCH) {
            Ok(0) => IDLE_POLL,
            Ok(_) => Duration::ZERO,
            Err(e) => {
                tracing::warn!(error = %e, "the search indexer failed; trying again");
                Duration::from_secs(1)
            }
        };
        match stopped.recv_timeout(wait) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            _ => return,
        }
    }
}

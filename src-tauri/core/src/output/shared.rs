//! The memory live output holds: one shared copy of each entry for the ring, the live
//! channel and the write queue (finding D in `docs/BENCHMARKS.md`); one byte budget for the
//! rings of all live sessions; and a live channel that never keeps a big payload alive —
//! big entries travel as a weak reference that a follower reads from the ring or the store
//! once nothing else holds the entry.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Weak;

use super::*;

/// One entry as the ring, the live channel and the write queue share it.
pub(crate) type SharedEntry = Arc<OutputEntry>;

/// The bytes an entry holds in memory: its texts and the shared allocation around them.
pub(crate) fn held_bytes(e: &OutputEntry) -> usize {
    e.payload.capacity()
        + e.session_id.capacity()
        + e.kind.capacity()
        + std::mem::size_of::<OutputEntry>()
        + 2 * std::mem::size_of::<usize>()
}

/// The byte budget the rings of all live sessions share ([`RINGS_BYTES`]): each ring may
/// hold its share of it, at least a floor ([`RING_FLOOR_BYTES`]) and at most [`RING_BYTES`].
pub(crate) struct Rings {
    budget: usize,
    floor: usize,
    /// What all rings hold now.
    bytes: AtomicUsize,
    /// How many rings there are (one per session with live output state).
    count: AtomicUsize,
}

impl Rings {
    pub(crate) fn new(budget: usize, floor: usize) -> Arc<Rings> {
        Arc::new(Rings { budget, floor, bytes: AtomicUsize::new(0), count: AtomicUsize::new(0) })
    }

    /// What one ring may hold now: its share of the budget, at least the floor, at most [`RING_BYTES`].
    pub(crate) fn cap(&self) -> usize {
        (self.budget / self.count.load(Ordering::Relaxed).max(1)).min(RING_BYTES).max(self.floor)
    }

    /// What all rings hold now.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// A session's recent entries (bounded by [`RING_ENTRIES`] and its share of the rings'
/// budget) plus every entry not committed yet, oldest first.
pub(crate) struct Ring {
    entries: VecDeque<SharedEntry>,
    bytes: usize,
    rings: Arc<Rings>,
}

impl Ring {
    pub(crate) fn new(rings: &Arc<Rings>) -> Ring {
        rings.count.fetch_add(1, Ordering::Relaxed);
        Ring { entries: VecDeque::new(), bytes: 0, rings: rings.clone() }
    }

    pub(crate) fn push(&mut self, e: SharedEntry) {
        let n = held_bytes(&e);
        self.bytes += n;
        self.rings.bytes.fetch_add(n, Ordering::Relaxed);
        self.entries.push_back(e);
    }

    /// Drops the oldest entries past the bounds, but never one after `committed` (the
    /// newest always stays, however big).
    pub(crate) fn evict(&mut self, committed: u64) {
        let cap = self.rings.cap();
        while self.entries.len() > RING_ENTRIES || (self.bytes > cap && self.entries.len() > 1) {
            match self.entries.front() {
                Some(old) if old.seq <= committed => {
                    let n = held_bytes(old);
                    self.bytes -= n;
                    self.rings.bytes.fetch_sub(n, Ordering::Relaxed);
                    self.entries.pop_front();
                }
                _ => break,
            }
        }
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &SharedEntry> + ExactSizeIterator {
        self.entries.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn first_seq(&self) -> Option<u64> {
        self.entries.front().map(|e| e.seq)
    }

    /// The bytes this ring holds.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        self.rings.bytes.fetch_sub(self.bytes, Ordering::Relaxed);
        self.rings.count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What the live channel carries for one entry.
#[derive(Clone, Debug)]
pub(crate) enum LiveEntry {
    /// A small entry, shared.
    Shared(SharedEntry),
    /// A big entry (or one past the channel's byte budget): alive while the ring or the
    /// write queue holds it; once it is gone it is committed, and read from the store.
    Weak { seq: u64, entry: Weak<OutputEntry> },
}

impl LiveEntry {
    pub(crate) fn seq(&self) -> u64 {
        match self {
            LiveEntry::Shared(e) => e.seq,
            LiveEntry::Weak { seq, .. } => *seq,
        }
    }

    /// The entry, unless nothing holds it any more (then it is in the store).
    pub(crate) fn get(&self) -> Option<SharedEntry> {
        match self {
            LiveEntry::Shared(e) => Some(e.clone()),
            LiveEntry::Weak { entry, .. } => entry.upgrade(),
        }
    }
}

/// A session's live channel. A tokio broadcast channel keeps each of its last
/// [`LIVE_CHANNEL`] values until every receiver has read it — for ever, when one never
/// reads. So entries travel shared only while those last values hold at most
/// [`LIVE_BYTES`] and each is at most [`LIVE_INLINE_BYTES`]; the others as weak references.
pub(crate) struct LiveTx {
    tx: broadcast::Sender<LiveEntry>,
    /// The bytes each of the last [`LIVE_CHANNEL`] values holds shared (0: weak), oldest first.
    recent: VecDeque<usize>,
    /// Their sum.
    shared: usize,
}

impl LiveTx {
    pub(crate) fn new() -> LiveTx {
        LiveTx { tx: broadcast::channel(LIVE_CHANNEL).0, recent: VecDeque::new(), shared: 0 }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<LiveEntry> {
        self.tx.subscribe()
    }

    pub(crate) fn receiver_count(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Sends `e` to the receivers (if any).
    pub(crate) fn send(&mut self, e: &SharedEntry) {
        if self.tx.receiver_count() == 0 {
            // Nothing is sent, and the last receiver let go of every value when it was dropped.
            self.recent.clear();
            self.shared = 0;
            return;
        }
        let n = held_bytes(e);
        let (item, held) = if e.payload.len() <= LIVE_INLINE_BYTES && self.shared + n <= LIVE_BYTES {
            (LiveEntry::Shared(e.clone()), n)
        } else {
            (LiveEntry::Weak { seq: e.seq, entry: Arc::downgrade(e) }, 0)
        };
        self.shared += held;
        self.recent.push_back(held);
        // The channel's slots: LIVE_CHANNEL rounded up to a power of two (tokio's rule).
        if self.recent.len() > LIVE_CHANNEL.next_power_of_two() {
            // Its slot is taken by this value now.
            self.shared -= self.recent.pop_front().unwrap_or(0);
        }
        let _ = self.tx.send(item);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::FOLLOW_BATCH_BYTES;
    use super::*;

    fn hub(budget: usize, floor: usize) -> (tempfile::TempDir, Arc<Store>, Arc<OutputHub>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(dir.path()).expect("store"));
        let hub = OutputHub::with_rings(store.clone(), 0, Rings::new(budget, floor));
        (dir, store, hub)
    }

    fn entry(session: &str, payload: String) -> OutputEntry {
        OutputEntry {
            session_id: session.into(),
            seq: 0,
            ts: chrono::Utc::now(),
            stream: crate::model::Stream::Stdout,
            kind: "line".into(),
            payload,
        }
    }

    /// The payload of entry `seq`: 1 MiB every 50th entry, short otherwise; each distinct.
    fn payload(seq: u64) -> String {
        let head = format!("entry {seq} ");
        if seq.is_multiple_of(50) {
            head.clone() + &"é".repeat((1 << 20) / 2) + &head
        } else {
            head.repeat(1 + (seq % 7) as usize)
        }
    }

    /// What each ring holds, summed entry by entry (not the counters the rings keep).
    fn ring_contents(hub: &OutputHub) -> Vec<(String, usize, Option<u64>)> {
        let map = hub.live.lock().unwrap();
        map.iter()
            .map(|(id, live)| {
                let live = live.lock().unwrap();
                let held = live.ring.iter().map(|e| held_bytes(e)).sum::<usize>();
                assert_eq!(held, live.ring.bytes(), "the ring counts what it holds");
                (id.clone(), held, live.ring.iter().last().map(|e| e.seq))
            })
            .collect()
    }

    /// 40 sessions streaming 10 kB lines into rings that share 2 MiB: once committed, all
    /// rings together hold at most the budget, each keeps its newest entries, and the
    /// older ones are read from the store, intact.
    #[test]
    fn the_rings_of_all_sessions_share_one_byte_budget_and_keep_the_newest() {
        const BUDGET: usize = 2 * 1024 * 1024;
        let (_dir, _store, hub) = hub(BUDGET, 16 * 1024);
        let sessions: Vec<String> = (0..40).map(|i| format!("s{i}")).collect();
        let line = |s: &str, seq: u64| format!("{s} line {seq} ").repeat(800);
        for round in 1..=60u64 {
            for s in &sessions {
                if round == 1 {
                    hub.open(s).expect("open");
                }
                assert_eq!(hub.push(entry(s, line(s, round))), Some(round));
            }
        }
        hub.flush();
        let rings = ring_contents(&hub);
        let total: usize = rings.iter().map(|r| r.1).sum();
        println!("40 sessions × 60 lines of {} bytes: the rings hold {total} bytes", line("s0", 1).len());
        assert!(total <= BUDGET, "the rings hold {total} bytes, over the budget of {BUDGET}");
        assert_eq!(total, hub.rings.bytes(), "the shared counter is the sum of the rings");
        assert!(total > BUDGET / 2, "the budget is used, not wasted: {total}");
        for (id, held, newest) in &rings {
            assert_eq!(*newest, Some(60), "{id} keeps its newest entry");
            assert!(*held <= BUDGET / 40, "{id} holds {held} bytes, over its share");
        }
        for s in &sessions {
            let all = hub.read_range(s, 0, u64::MAX, 100).expect("read");
            assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=60).collect::<Vec<_>>());
            assert!(all.iter().all(|e| e.payload == line(s, e.seq)), "{s}: every line intact, from the store and the ring");
        }
        // Sessions that end give their share back.
        for s in &sessions[1..] {
            hub.close(s);
        }
        hub.flush();
        assert_eq!(hub.rings.count.load(Ordering::Relaxed), 1, "closed, committed sessions have no ring");
        assert_eq!(hub.rings.bytes(), ring_contents(&hub)[0].1);
    }

    /// A 1 MiB entry goes to a follower that does not read yet: the live channel holds only
    /// a weak reference, so once the ring let go of it nothing keeps it in memory; the
    /// follower then reads it from the store, byte for byte, in its place.
    #[tokio::test]
    async fn a_huge_payload_is_not_kept_alive_by_the_live_channel() {
        let (_dir, _store, hub) = hub(64 * 1024, 64 * 1024);
        hub.open("s").expect("open");
        let mut idle = hub.follow("s", 0).expect("follow");
        let big = "x".repeat(1 << 20);
        hub.push(entry("s", big.clone()));
        let weak = {
            let live = hub.live_of("s").expect("live");
            let live = live.lock().unwrap();
            Arc::downgrade(live.ring.iter().last().expect("in the ring"))
        };
        for i in 0..100 {
            hub.push(entry("s", format!("small {i}")));
        }
        assert!(weak.upgrade().is_some(), "held while not committed");
        hub.flush();
        assert!(weak.upgrade().is_none(), "committed and out of the ring: the channel does not keep the 1 MiB payload alive");

        let mut got = Vec::new();
        while got.len() < 101 {
            got.extend(idle.next_batch(1000).await.expect("read").expect("entries"));
        }
        assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=101).collect::<Vec<_>>(), "every entry once, in order");
        assert!(got[0].payload == big, "the big one byte for byte (from the store)");
        assert!(got[1..].iter().enumerate().all(|(i, e)| e.payload == format!("small {i}")));
    }

    /// Small entries travel the channel shared while its byte budget allows; a reader of
    /// a shared entry gets it whole even when the ring already let go of it.
    #[test]
    fn the_live_channel_keeps_at_most_its_byte_budget_alive() {
        let mut tx = LiveTx::new();
        let mut rx = tx.subscribe();
        let mut kept = Vec::new();
        for seq in 1..=3_000u64 {
            let e = Arc::new(OutputEntry { seq, ..entry("s", "y".repeat(1000)) });
            tx.send(&e);
            kept.push(Arc::downgrade(&e));
        }
        // Nobody read: every value is still in the channel; only the shared ones are alive.
        let alive: usize = kept.iter().filter_map(|w| w.upgrade()).map(|e| held_bytes(&e)).sum();
        assert!(alive <= LIVE_BYTES && alive > LIVE_BYTES / 2, "{alive} bytes kept alive by the channel");
        let shared = std::iter::from_fn(|| rx.try_recv().ok()).filter(|e| matches!(e, LiveEntry::Shared(_))).count();
        assert_eq!(shared, alive / held_bytes(&entry("s", "y".repeat(1000))));
        assert!(kept.iter().all(|w| w.upgrade().is_none()), "read by every receiver: nothing left alive");
    }

    /// A fast follower and one that lags far behind the live channel both get every entry
    /// once, in order, byte for byte — 1 MiB lines included — while the rings hold little
    /// and big entries are read back from the store.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn followers_see_every_entry_in_order_with_huge_lines_and_lag() {
        const N: u64 = 6_000;
        let (_dir, _store, hub) = hub(512 * 1024, 128 * 1024);
        hub.open("s").expect("open");
        let fast = hub.follow("s", 0).expect("follow");
        let slow = hub.follow("s", 0).expect("follow");
        let producer = {
            let hub = hub.clone();
            std::thread::spawn(move || {
                for seq in 1..=N {
                    assert_eq!(hub.push_waiting(entry("s", payload(seq))), Some(seq));
                }
                hub.close("s");
            })
        };
        let read = |mut f: Follower, pause: Option<Duration>| async move {
            let mut seen = 0u64;
            while let Some(batch) = f.next_batch(500).await.expect("next_batch") {
                let bytes: usize = batch.iter().map(|e| e.payload.len()).sum();
                assert!(batch.len() == 1 || bytes <= FOLLOW_BATCH_BYTES, "a batch of {bytes} bytes");
                for e in batch {
                    seen += 1;
                    assert_eq!(e.seq, seen, "in order, none missing, none twice");
                    assert!(e.payload == payload(seen), "entry {seen} byte for byte");
                }
                if let Some(p) = pause {
                    tokio::time::sleep(p).await;
                }
            }
            seen
        };
        let fast = tokio::spawn(read(fast, None));
        // Lags: 500 entries per 20 ms, while the producer is far faster than that.
        let slow = tokio::spawn(read(slow, Some(Duration::from_millis(20))));
        producer.join().expect("producer");
        assert_eq!(fast.await.expect("fast"), N);
        assert_eq!(slow.await.expect("slow"), N);
    }
}

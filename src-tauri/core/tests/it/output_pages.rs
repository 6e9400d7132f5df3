//! Pages of stored output the window reads (issue 19): opening around a search hit however
//! far back it is in a long session, and the byte budgets of every page.

use std::time::{Duration, Instant};

use switchboard_core::*;

use crate::support::*;

/// Waits until entry `last` of a session is in the store (the writer may still be behind
/// the ring when the session ends): page reads come from the store.
async fn wait_stored(engine: &Engine, id: &str, last: u64) {
    let t = Instant::now();
    while engine.output_around(id, last, 0, 0).unwrap().is_empty() {
        assert!(t.elapsed() < Duration::from_secs(60), "entry {last} was never stored");
        engine.flush_output();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Entries of the session printed by `awk` below: one line each, the needle at line `NEEDLE`.
const LINES: u64 = 200_000;
const NEEDLE: u64 = 1_234;

#[tokio::test(flavor = "multi_thread")]
async fn a_search_hit_far_back_in_a_long_session_opens_a_page_around_it() {
    let (dir, cwd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let script = format!("BEGIN {{ for (i = 1; i <= {LINES}; i++) print (i == {NEEDLE} ? \"the quetzal feather\" : \"line \" i) }}");
    let s = engine.create(command(cwd.path(), "awk", &[&script])).await.unwrap();
    wait_final(&engine, &s.id).await;
    engine.flush_output();
    let last = engine.output_tail(&s.id, 1).unwrap()[0].seq;
    wait_stored(&engine, &s.id, last).await;
    assert!(last > LINES, "every line stored: {last}");

    let t = Instant::now();
    let hit = loop {
        let hits = engine.search("quetzal", &SearchFilter::default(), 10).unwrap();
        if let Some(h) = hits.into_iter().next() {
            break h;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "the indexer never found the needle");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(last - hit.seq > 198_000, "the hit is far back: seq {} of {last}", hit.seq);

    // The page around it: 1,000 entries on each side, contiguous, the hit in the middle.
    let page = engine.output_around(&s.id, hit.seq, 1000, 1000).unwrap();
    assert_eq!(page.len(), 2001);
    assert!(page.windows(2).all(|w| w[1].seq == w[0].seq + 1), "contiguous");
    assert_eq!((page[0].seq, page[1000].seq, page[2000].seq), (hit.seq - 1000, hit.seq, hit.seq + 1000));
    assert_eq!(page[1000].payload, "the quetzal feather");
    assert_eq!(page[1001].payload, format!("line {}", NEEDLE + 1));
    // As sent to the window: the same page (small entries), the hit kept.
    let sent = page_around(&page, hit.seq);
    assert_eq!(sent.len(), 2001);
    assert_eq!(sent[1000].seq, hit.seq);

    // Newer pages from there (as the view scrolls down): `before` 0 from the last seq read.
    let newer = engine.output_around(&s.id, page[2000].seq, 0, 2000).unwrap();
    assert_eq!((newer[0].seq, newer.len()), (page[2000].seq, 2001), "starts at the seq asked for, which the view has");
    // At the ends of the session a page is shorter, never past them.
    let first = engine.output_around(&s.id, 3, 1000, 5).unwrap();
    assert_eq!((first[0].seq, first.len()), (1, 2 + 1 + 5));
    let end = engine.output_around(&s.id, last, 3, 1000).unwrap();
    assert_eq!((end.last().unwrap().seq, end.len()), (last, 4));
    assert!(engine.output_around(&s.id, last, 0, 1000).unwrap().len() == 1, "nothing newer than the last entry");
    assert!(engine.output_around("command_nope", 1, 1, 1).is_err(), "an unknown session is an error");
}

#[tokio::test(flavor = "multi_thread")]
async fn forward_pages_stop_at_the_byte_budget_and_a_follower_of_an_idle_session_still_gets_every_entry() {
    let (dir, cwd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    // 24 lines of 1 MiB, a short one, then the session stays live and prints nothing more.
    let script = "for c in a b c d e f g h i j k l m n o p q r s t u v w x; do head -c 1048576 /dev/zero | tr '\\0' $c; echo; done; \
                  echo short; exec sleep 60";
    let s = engine.create(command(cwd.path(), "sh", &["-c", script])).await.unwrap();
    let t = Instant::now();
    while !engine.output_tail(&s.id, 1).unwrap().iter().any(|e| e.payload == "short") {
        assert!(t.elapsed() < Duration::from_secs(60), "the short line never came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    engine.flush_output();

    // A forward page from the start: the oldest entries, contiguous, within the byte budget.
    let page = engine.output(&s.id, 0, 1000).unwrap();
    let bytes: usize = page.iter().map(|e| e.payload.len()).sum();
    assert!(bytes <= PAGE_BYTES + LARGE_ENTRY_BYTES + 1, "{bytes} bytes in {} entries", page.len());
    assert!(page.len() < 20 && page[0].seq == 1 && page.windows(2).all(|w| w[1].seq == w[0].seq + 1), "{} entries", page.len());
    // Read on from its last seq: the rest, up to the short line, nothing skipped.
    let mut all = page;
    while let Some(last) = all.last().map(|e| e.seq) {
        let next = engine.output(&s.id, last, 1000).unwrap();
        if next.is_empty() {
            break;
        }
        all.extend(next);
    }
    assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1), "contiguous");
    assert!(all.iter().any(|e| e.payload == "short"), "read up to the end");
    let lines = all.iter().filter(|e| e.payload.len() == 1024 * 1024).count();
    assert_eq!(lines, 24, "every 1 MiB line once");

    // A follower from the start of a live, idle session: its backfill is cut at the budget,
    // and the rest comes without waiting for new output.
    let mut follower = engine.follow_output(&s.id, 0).unwrap();
    let mut got = Vec::new();
    while !got.iter().any(|e: &OutputEntry| e.payload == "short") {
        let batch = tokio::time::timeout(Duration::from_secs(20), follower.next_batch(2000))
            .await
            .expect("the follower stalled before the live end")
            .unwrap()
            .expect("the session is live");
        got.extend(batch);
    }
    assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), all.iter().map(|e| e.seq).collect::<Vec<_>>(), "every entry once, in order");
    engine.end(&s.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_past_its_stored_output_budget_loses_its_oldest_output_and_says_so() {
    let (dir, cwd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    const MIB: u64 = 1024 * 1024;
    let id = {
        let engine = Engine::open(dir.path(), EngineConfig { output_budget: MIB, ..Default::default() }).unwrap();
        // 400 lines of 10,000 bytes (4 MB) against a budget of 1 MiB.
        let script = r#"BEGIN { for (i = 1; i <= 400; i++) { s = sprintf("%05d ", i); while (length(s) < 10000) s = s "x"; print s } }"#;
        let s = engine.create(command(cwd.path(), "awk", &[script])).await.unwrap();
        wait_final(&engine, &s.id).await;
        wait_stored(&engine, &s.id, engine.output_tail(&s.id, 1).unwrap()[0].seq).await;
        let kept = engine.output(&s.id, 0, 10_000).unwrap();
        let bytes: u64 = kept.iter().map(|e| e.payload.len() as u64).sum();
        assert!(bytes <= MIB && bytes > MIB / 2, "{bytes} bytes kept of a 1 MiB budget");
        assert!(kept.iter().any(|e| e.payload.starts_with("00400 ")), "the newest output stays");
        assert!(!kept.iter().any(|e| e.payload.starts_with("00001 ")), "the oldest went");
        // The session says how far it was trimmed: the first kept entry follows it.
        let trimmed = engine.get(&s.id).unwrap().output_trimmed_through;
        assert!(trimmed > 250, "trimmed through {trimmed}");
        assert_eq!(kept[0].seq, trimmed + 1);

        // No limit (0), set in the settings: applies at once, nothing more is trimmed.
        let settings = Settings { session_output_mib: 0, ..engine.settings().unwrap() };
        engine.save_settings(&settings).unwrap();
        let big = engine.create(command(cwd.path(), "awk", &[script])).await.unwrap();
        wait_final(&engine, &big.id).await;
        wait_stored(&engine, &big.id, engine.output_tail(&big.id, 1).unwrap()[0].seq).await;
        assert_eq!(engine.get(&big.id).unwrap().output_trimmed_through, 0);
        assert!(engine.output(&big.id, 0, 10_000).unwrap().iter().any(|e| e.payload.starts_with("00001 ")));
        let bad = Settings { session_output_mib: MAX_SESSION_OUTPUT_MIB + 1, ..settings };
        assert!(engine.save_settings(&bad).is_err(), "over 1 TiB is refused");
        s.id
    };
    // The byte count the budget reads is the stored rows' length, after the trim too.
    let store = Store::open(dir.path()).unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let sum: i64 =
        conn.query_row("SELECT sum(len) FROM entries JOIN output_sessions USING (key) WHERE session_id = ?1", [&id], |r| r.get(0)).unwrap();
    assert_eq!(store.output_bytes(&id).unwrap(), sum as u64);
}

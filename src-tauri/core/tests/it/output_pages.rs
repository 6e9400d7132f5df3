//! Pages of stored output the window reads (issue 19): opening around a search hit however
//! far back it is in a long session, and the byte budgets of every page.

use std::time::{Duration, Instant};

use switchboard_core::*;

use crate::support::*;

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

//! Output store v2 (issue 19): compressed payloads round-trip byte for byte through a real
//! SQLite file, and a database written by schema 10 (`store_v10.db`, kept as it was written)
//! is converted in place — resumably, with every row readable at every step.

use std::ops::ControlFlow;
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use switchboard_core::*;

/// `store_v10.db` was written by the schema-10 `Store` (commit 7762926) with these sessions
/// and entries: sessions `fixture-0` … `fixture-3` (agents command, claude, command, claude),
/// 700 entries each (seq 1–700, ts = BASE + seq ms, stderr every 11th, `assistant_text`
/// every 7th), payloads from [`fixture_payload`]; then `fixture-3` trimmed through seq 100.
const FIXTURE: &[u8] = include_bytes!("store_v10.db");
const SESSIONS: usize = 4;
const PER_SESSION: u64 = 700;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

fn fixture_payload(s: usize, seq: u64) -> String {
    if s == 0 && seq == 3 {
        return (0..300 * 1024).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    }
    if seq.is_multiple_of(50) {
        return String::new();
    }
    if s == 1 && seq == 123 {
        return "the quokka smiled".into();
    }
    if seq.is_multiple_of(7) {
        return format!(
            r#"{{"type":"assistant","message":{{"content":[{{"type":"text","text":"session {s} line {seq}: ünïcødé \u{{FFFD}} tab\t end"}}]}}}}"#
        );
    }
    format!("s{s} line {seq} {}", "x".repeat((seq % 100) as usize))
}

fn expected(s: usize) -> Vec<OutputEntry> {
    let first = if s == 3 { 101 } else { 1 };
    (first..=PER_SESSION)
        .map(|seq| OutputEntry {
            session_id: format!("fixture-{s}"),
            seq,
            ts: base() + chrono::Duration::milliseconds(seq as i64),
            stream: if seq.is_multiple_of(11) { Stream::Stderr } else { Stream::Stdout },
            kind: if seq.is_multiple_of(7) { "assistant_text".into() } else { "line".into() },
            payload: fixture_payload(s, seq),
        })
        .collect()
}

/// Every session's output read back in full, by pages and by tail, equals what was written.
fn assert_intact(store: &Store) {
    for s in 0..SESSIONS {
        let id = format!("fixture-{s}");
        let want = expected(s);
        let mut got = Vec::new();
        let mut after = 0;
        loop {
            let page = store.read_output(&id, after, 97).unwrap();
            let Some(last) = page.last() else { break };
            after = last.seq;
            got.extend(page);
        }
        assert_eq!(got.len(), want.len(), "{id}: entry count");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{id} seq {}", w.seq);
        }
        assert_eq!(store.tail_output(&id, 10).unwrap(), want[want.len() - 10..], "{id}: tail");
        assert_eq!(store.last_seq(&id).unwrap(), PER_SESSION);
        let before = store.read_output_tail_before(&id, 400, 5).unwrap();
        assert_eq!(before.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![395, 396, 397, 398, 399]);
    }
    let trimmed = store.get_session("fixture-3").unwrap().unwrap();
    assert_eq!(trimmed.output_trimmed_through, 100);
}

fn fixture_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(DB_FILE), FIXTURE).unwrap();
    dir
}

fn rows_in(dir: &Path, table: &str) -> i64 {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

/// Another connection holding the write lock for a moment (the search indexer, another
/// Switchboard process) makes the store's transactions wait for it, not fail: a deferred
/// transaction read first, and SQLite runs no busy handler when a read transaction's
/// upgrade meets a held write lock, so trimming and deleting failed at once with
/// "database is locked" (a delete right after an import failed so in a fresh-clone run).
#[test]
fn a_write_lock_held_elsewhere_is_waited_for_not_failed() {
    let dir = fixture_dir();
    let store = Store::open(dir.path()).unwrap();
    store.convert_legacy_output(5_000, |_| ControlFlow::Continue(())).unwrap();
    let (held, release) = (std::sync::mpsc::channel(), std::time::Duration::from_millis(300));
    let other = {
        let path = dir.path().join(DB_FILE);
        std::thread::spawn(move || {
            let conn = Connection::open(path).unwrap();
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            held.0.send(()).unwrap();
            std::thread::sleep(release);
            conn.execute_batch("COMMIT").unwrap();
        })
    };
    held.1.recv().unwrap();
    let trimmed = store.trim_output("fixture-2", 200).expect("the trim waits for the lock");
    assert_eq!(trimmed, 200);
    other.join().unwrap();
    assert_eq!(store.read_output("fixture-2", 0, 1).unwrap()[0].seq, 201);
}

#[test]
fn a_schema_10_database_converts_in_place_with_its_data_intact() {
    let dir = fixture_dir();
    let store = Store::open(dir.path()).unwrap();
    assert!(store.legacy_output_left());
    // Readable before anything is converted.
    assert_intact(&store);
    let mut seen = Vec::new();
    let done = store
        .convert_legacy_output(500, |p| {
            seen.push(p);
            ControlFlow::Continue(())
        })
        .unwrap();
    let total = (SESSIONS as u64) * PER_SESSION - 100;
    assert_eq!(done, OutputConversion { moved: total, total, done: true });
    assert!(seen.len() >= 6, "progress after every batch: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0].moved <= w[1].moved), "progress never goes back: {seen:?}");
    assert_eq!(seen.last(), Some(&done), "the last report says it is done");
    assert!(!store.legacy_output_left());
    assert_intact(&store);
    drop(store);
    assert_eq!(rows_in(dir.path(), "output"), 0);
    assert_eq!(rows_in(dir.path(), "entries"), total as i64);
    // Reopened: nothing left to convert, everything still there.
    let store = Store::open(dir.path()).unwrap();
    assert!(!store.legacy_output_left());
    assert_intact(&store);
}

#[test]
fn an_interrupted_conversion_loses_nothing_and_resumes() {
    let dir = fixture_dir();
    let store = Store::open(dir.path()).unwrap();
    let mut batches = 0;
    let stopped = store
        .convert_legacy_output(300, |_| {
            batches += 1;
            if batches == 4 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    // fixture-0 in three batches (300, 300, 100), then the first 300 of fixture-1.
    assert_eq!(stopped.moved, 1000);
    assert!(!stopped.done);
    // Half-way: each row in exactly one of the two tables, all of them readable.
    assert_intact(&store);
    drop(store);
    let total = (SESSIONS as i64) * PER_SESSION as i64 - 100;
    assert_eq!(rows_in(dir.path(), "entries"), 1000);
    assert_eq!(rows_in(dir.path(), "output"), total - 1000);
    // A new process carries on where this one stopped; a session that was half moved keeps its order.
    let store = Store::open(dir.path()).unwrap();
    assert!(store.legacy_output_left());
    assert_intact(&store);
    let done = store.convert_legacy_output(CONVERT_BATCH_ROWS, |_| ControlFlow::Continue(())).unwrap();
    assert_eq!((done.moved, done.total, done.done), ((total - 1000) as u64, (total - 1000) as u64, true));
    assert_intact(&store);
    drop(store);
    assert_eq!(rows_in(dir.path(), "output"), 0);
}

/// A string of `len` bytes mixing text and varied characters (compressible, not trivially).
fn varied(len: usize, seed: u32) -> String {
    let mut x = seed;
    let mut s = String::with_capacity(len + 4);
    while s.len() < len {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        match x >> 29 {
            0 => s.push('\u{FFFD}'),
            1 => s.push(char::from_u32(0x400 + (x >> 8) % 200).unwrap()),
            2 => s.push('\0'),
            _ => s.push(char::from(b' ' + ((x >> 16) % 90) as u8)),
        }
    }
    s
}

#[test]
fn payloads_round_trip_byte_for_byte_and_are_stored_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let now = Utc::now();
    let json = |i: usize| {
        format!(
            r#"{{"type":"assistant","message":{{"content":[{{"type":"text","text":"step {i}: ran the tests again, {} passed"}}]}}}}"#,
            i * 3
        )
    };
    let mut payloads: Vec<String> = vec![String::new(), "\u{FFFD}\u{FFFD} replaced bytes".into(), "\0".into(), varied(8 << 20, 7)];
    payloads.extend((0..12_000).map(json));
    payloads.push(varied(8 << 20, 11));
    let entries: Vec<OutputEntry> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| OutputEntry {
            session_id: "s".into(),
            seq: i as u64 + 1,
            ts: now,
            stream: Stream::Stdout,
            kind: "line".into(),
            payload: p.clone(),
        })
        // Written in batches as the writer does: the dictionary is trained in between.
        .collect();
    for chunk in entries.chunks(500) {
        store.append_output(chunk).unwrap();
    }
    let mut back = Vec::new();
    let mut after = 0;
    while let Some(last) = store.read_output("s", after, 1000).unwrap().last().map(|e| e.seq) {
        back.extend(store.read_output("s", after, 1000).unwrap());
        after = last;
    }
    assert_eq!(back.len(), entries.len());
    for (b, e) in back.iter().zip(&entries) {
        assert!(b.payload.as_bytes() == e.payload.as_bytes(), "seq {}: {} bytes back for {}", e.seq, b.payload.len(), e.payload.len());
    }
    drop(store);
    let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
    // The first MiB of the session's output trains the dictionary; what follows uses it.
    let (n, raw, stored): (i64, i64, i64) = conn
        .query_row("SELECT count(*), sum(len), sum(length(payload)) FROM entries WHERE seq BETWEEN 5 AND 12004 AND dict > 0", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert!(n > 1000, "{n} entries compressed with the dictionary");
    assert!((stored as f64) < 0.4 * raw as f64, "the JSON lines are stored compressed: {stored} of {raw} bytes");
    let dicts: i64 = conn.query_row("SELECT count(*) FROM output_dicts", [], |r| r.get(0)).unwrap();
    assert_eq!(dicts, 1, "one dictionary trained for the session's output");
    let page_size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    assert_eq!(page_size, 8192, "a new database has 8 KiB pages");
}

#[tokio::test(flavor = "multi_thread")]
async fn byte_caps_hold_on_a_session_of_1_mib_lines() {
    let (dir, cwd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    // 40 lines of 1 MiB (each its own letter), then a short one.
    let script = "for c in a b c d e f g h i j k l m n o p q r s t a b c d e f g h i j k l m n o p q r s t; do \
                  head -c 1048576 /dev/zero | tr '\\0' $c; echo; done; echo short";
    let s = engine.create(crate::support::command(cwd.path(), "sh", &["-c", script])).await.unwrap();
    crate::support::wait_final(&engine, &s.id).await;
    engine.flush_output();
    let tail = engine.output_tail(&s.id, 1000).unwrap();
    let bytes: usize = tail.iter().map(|e| e.payload.len()).sum();
    assert!(bytes <= PAGE_BYTES + LARGE_ENTRY_BYTES + 1, "a tail stops at its byte budget: {bytes} bytes in {} entries", tail.len());
    assert!(tail.len() < 40 && tail.windows(2).all(|w| w[1].seq == w[0].seq + 1), "the newest, contiguous");
    assert_eq!(tail[tail.len() - 2].payload, "short", "the last line, then the exit note");
    // As sent to the window: within one message's budget, large entries as previews.
    let page = newest_page(&tail);
    let json = serde_json::to_string(&page).unwrap();
    assert!(json.len() <= MESSAGE_BYTES + 300 * page.len(), "{} bytes for {} items", json.len(), page.len());
    assert_eq!(page.last().unwrap().seq, tail.last().unwrap().seq);
    let big = page.iter().find(|i| i.full_bytes.is_some()).expect("a preview");
    assert_eq!(big.full_bytes, Some(1024 * 1024));
    let EntryView::Line { text } = &big.view else { panic!("{:?}", big.view) };
    assert_eq!(text.len(), PREVIEW_BYTES);
    // "Load full": the whole line, byte for byte.
    let full = engine.output_entry(&s.id, big.seq).unwrap();
    assert_eq!(full.payload.len(), 1024 * 1024);
    assert!(full.payload.bytes().all(|b| b == full.payload.as_bytes()[0]));
    // Live messages: a page of stored entries (cut at PAGE_BYTES), split at the message budget.
    let all = engine.output(&s.id, 0, 1000).unwrap();
    let pages = message_pages(&all, 2000);
    assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), all.len());
    for p in &pages {
        let json = serde_json::to_string(p).unwrap();
        assert!(json.len() <= MESSAGE_BYTES + 300 * p.len(), "a message of {} bytes", json.len());
    }
}

//! 5. Store at volume: a filled data directory's startup, queries and size.

use std::time::{Duration, Instant};

use switchboard_core::*;

use crate::harness::*;
use crate::measure::*;
use crate::report::Report;

fn fill_session(i: usize, now: chrono::DateTime<chrono::Utc>) -> Session {
    use chrono::Duration as Span;
    let status = match i % 10 {
        0 => SessionStatus::Error { message: "the process exited with code 1".into() },
        1 => SessionStatus::Interrupted,
        2 => SessionStatus::Expired,
        _ => SessionStatus::Ended,
    };
    let agent = [AgentKind::Claude, AgentKind::Codex, AgentKind::Command, AgentKind::Claude][i % 4];
    let created = now - Span::minutes(10 * 100_000) + Span::minutes(10 * i as i64);
    Session {
        ended_at: Some(created + Span::seconds(30 + (i % 900) as i64)),
        status,
        task_id: i.is_multiple_of(7).then(|| format!("task-{}", i % 1000)),
        agent_session_id: (agent == AgentKind::Claude).then(|| uuid::Uuid::from_u128(i as u128 + 1).hyphenated().to_string()),
        last_activity: created + Span::seconds((i % 600) as i64),
        expires_at: created + Span::hours(1),
        message_count: (i % 40) as u64,
        turns: (i % 9) as u64,
        input_tokens: 12_000 + (i % 5000) as u64,
        output_tokens: 800 + (i % 700) as u64,
        cost_usd: 0.01 * (i % 13) as f64,
        exit_code: Some(0),
        launch_command: Some("claude -p --output-format stream-json --verbose --input-format stream-json".into()),
        ..Session::new(
            fill_id(i),
            agent,
            format!("Fix the flaky test in module {} and add coverage", i % 977),
            format!("/home/dev/projects/project-{}", i % 50),
            SessionConfig { prompt: Some("Fix the flaky test".into()), ..Default::default() },
            created,
        )
    }
}

/// A word written once in the whole store (the rare-word search).
const RARE_WORD: &str = "xylophonist";

/// The word (4+ letters) in the most lines of the pool.
fn common_word(pool: &[(String, &'static str)]) -> String {
    let mut lines_with: std::collections::HashMap<String, usize> = Default::default();
    for (line, _) in pool {
        let words: std::collections::HashSet<String> =
            line.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| w.len() >= 4).map(|w| w.to_ascii_lowercase()).collect();
        for w in words {
            *lines_with.entry(w).or_default() += 1;
        }
    }
    // Keys of the JSON lines are not indexed: skip them.
    let keys = [
        "type",
        "message",
        "content",
        "text",
        "role",
        "model",
        "usage",
        "input",
        "tokens",
        "tool",
        "name",
        "session",
        "uuid",
        "request",
        "stop",
        "reason",
        "sequence",
        "service",
        "tier",
        "standard",
        "cache",
        "creation",
        "read",
        "output",
        "parent",
        "management",
        "context",
        "assistant",
        "user",
        "result",
        "null",
        "false",
        "true",
        "claude",
        "opus",
        "error",
        "content",
        "tool_use",
        "call",
    ];
    lines_with
        .into_iter()
        .filter(|(w, _)| !keys.contains(&w.as_str()))
        .max_by_key(|(w, n)| (*n, std::cmp::Reverse(w.clone())))
        .map(|(w, _)| w)
        .unwrap_or_default()
}

fn fill_id(i: usize) -> String {
    let agent = ["claude", "codex", "command", "claude"][i % 4];
    format!("{agent}_{:032x}", 0x0193_0000_0000_7000_8000_0000_0000_0000u128 + i as u128)
}

/// Times `f` `n` times after one warm-up call: (first call, median of the rest) in ms.
fn timed<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let t = Instant::now();
    let mut last = f();
    let first = ms(t.elapsed());
    let mut v = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        last = std::hint::black_box(f());
        v.push(ms(t.elapsed()));
    }
    (first, median(&mut v), last)
}

/// Waits until the engine's background indexer has reached the last entry; returns the
/// seconds since `since` (when the engine opened and the indexer started).
async fn wait_indexed(dir: &std::path::Path, since: Instant) -> f64 {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let conn = rusqlite::Connection::open_with_flags(dir.join(switchboard_core::DB_FILE), flags).expect("open");
    let mut shown = Instant::now();
    loop {
        let (mark, last): (i64, i64) = conn
            .query_row(
                "SELECT coalesce((SELECT value FROM counters WHERE name = 'search_indexed_through'), 0), \
                 coalesce((SELECT max(id) FROM entries), 0)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("the indexer's mark");
        if mark >= last {
            return since.elapsed().as_secs_f64();
        }
        if shown.elapsed() > Duration::from_secs(10) {
            shown = Instant::now();
            progress!("    indexed through entry {mark} of {last}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) async fn bench_store(ctx: &Ctx, rep: &mut Report) {
    let z = &ctx.sizes;
    let dir = ctx.dir("store");
    progress!("store: generating a pool of {} stream-json lines from the fake agent", z.store_pool_lines);
    let pool_out = ctx.std_command(&["lines", &z.store_pool_lines.to_string(), "--json"]).output().expect("run the fake agent");
    let pool: Vec<(String, &'static str)> = String::from_utf8_lossy(&pool_out.stdout)
        .lines()
        .map(|l| {
            let kind = if l.contains("\"tool_result\"") {
                "tool_result"
            } else if l.contains("\"tool_use\"") {
                "tool_use"
            } else {
                "assistant_text"
            };
            (l.to_string(), kind)
        })
        .collect();
    assert!(!pool.is_empty());
    let now = chrono::Utc::now();
    progress!("store: filling {} sessions and {} entries", human_count(z.store_sessions as f64), human_count(z.store_entries as f64));
    let t_fill = Instant::now();
    let mut raw = 0u64;
    let size;
    {
        let store = Store::open(&dir).expect("open the store");
        let all: Vec<usize> = (0..z.store_sessions).collect();
        for chunk in all.chunks(10_000) {
            store.insert_sessions(&chunk.iter().map(|&i| fill_session(i, now)).collect::<Vec<_>>()).expect("insert sessions");
        }
        let mut batch: Vec<OutputEntry> = Vec::with_capacity(10_000);
        let mut k = 0usize;
        let mut written = 0u64;
        let mut shown = Instant::now();
        let mut push = |batch: &mut Vec<OutputEntry>, sid: &str, seq: u64| {
            let (payload, kind) = &pool[k % pool.len()];
            k += 1;
            raw += payload.len() as u64;
            batch.push(OutputEntry {
                session_id: sid.to_string(),
                seq,
                ts: now,
                stream: Stream::Stdout,
                kind: kind.to_string(),
                payload: payload.clone(),
            });
            if batch.len() == 10_000 {
                store.append_output(batch).expect("append output");
                written += batch.len() as u64;
                batch.clear();
                if shown.elapsed() > Duration::from_secs(5) {
                    shown = Instant::now();
                    progress!("    {} entries ({:.0}/s)", human_count(written as f64), written as f64 / t_fill.elapsed().as_secs_f64());
                }
            }
        };
        // One big session (the one whose tail is read)…
        let big = fill_id(0);
        for seq in 1..=z.store_big {
            push(&mut batch, &big, seq);
        }
        // …and the rest spread over every other session, ten sessions at a time writing
        // interleaved, as concurrently running sessions do.
        let others = (z.store_sessions - 1) as u64;
        let rest = z.store_entries - z.store_big;
        let (per, extra) = (rest / others, rest % others);
        let count = |i: usize| per + u64::from((i as u64 - 1) < extra);
        let mut g = 1;
        while g < z.store_sessions {
            let members: Vec<(String, u64)> = (g..(g + 10).min(z.store_sessions)).map(|i| (fill_id(i), count(i))).collect();
            let most = members.iter().map(|m| m.1).max().unwrap_or(0);
            for seq in 1..=most {
                for (id, c) in &members {
                    if seq <= *c {
                        push(&mut batch, id, seq);
                    }
                }
            }
            g += 10;
        }
        if !batch.is_empty() {
            store.append_output(&batch).expect("append output");
        }
        // One entry with a word found nowhere else, for the rare-word search.
        let rare = OutputEntry {
            session_id: fill_id(1),
            seq: count(1) + 1,
            ts: now,
            stream: Stream::Stdout,
            kind: "line".into(),
            payload: format!("the {RARE_WORD} tuned up"),
        };
        store.append_output(&[rare]).expect("append output");
        // With the store open, as the app runs: the database and its WAL.
        size = db_bytes(&dir);
    }
    let fill_secs = t_fill.elapsed().as_secs_f64();
    progress!("store: filled in {fill_secs:.1} s; {} on disk (db + wal) for {} of payloads", human_bytes(size), human_bytes(raw));

    progress!("store: startup (Engine::open + reconcile + first page)");
    let filter = SessionFilter {
        statuses: vec!["ended".into(), "error".into()],
        sort: SessionSort::LastActivity,
        limit: Some(50),
        ..Default::default()
    };
    let (t, cpu_open) = (Instant::now(), self_cpu());
    let engine = ctx.engine(&dir);
    // The engine's background indexer starts on the backlog now.
    let t_open = t;
    let open_ms = ms(t.elapsed());
    let reconciled = engine.reconcile().await.expect("reconcile").len();
    let first = engine.list(&filter).expect("list");
    let startup = ms(t.elapsed());
    assert_eq!(first.len(), 50.min(z.store_sessions));
    assert_eq!(reconciled, 0);

    // The tail once more while the indexer works through the backlog (context for the figure below).
    let big = fill_id(0);
    let (_, tail_busy_ms, _) = timed(9, || engine.output_tail(&big, 1000).expect("tail"));

    progress!("store: waiting for the engine's indexer to index every entry (the backlog after an upgrade)");
    let index_secs = wait_indexed(&dir, t_open).await;
    // This process's CPU while the indexer worked (the tail reads above included; they are a few ms).
    let index_cpu = self_cpu() - cpu_open;

    progress!("store: timing the queries");
    let (list_first, list_ms, page) = timed(9, || engine.list(&filter).expect("list"));
    assert!(page.windows(2).all(|w| w[0].last_activity >= w[1].last_activity));
    let (metrics_first, metrics_ms, m) = timed(9, || engine.metrics().expect("metrics"));
    assert_eq!(m.total, z.store_sessions as u64);
    let (tail_first, tail_ms, tail) = timed(9, || engine.output_tail(&big, 1000).expect("tail"));
    assert_eq!(tail.len(), 1000.min(z.store_big as usize));
    assert_eq!(tail.last().map(|e| e.seq), Some(z.store_big));
    let common = common_word(&pool);
    let all = SearchFilter::default();
    let (rare_first, rare_ms, hits) = timed(9, || engine.search(RARE_WORD, &all, 50).expect("search"));
    assert_eq!(hits.len(), 1, "the rare word is found once");
    let (common_first, common_ms, hits) = timed(9, || engine.search(&common, &all, 50).expect("search"));
    assert_eq!(hits.len(), 50, "'{common}' is in more than 50 entries");
    drop(engine);
    // With the store open, as the app runs.
    let size_indexed = db_bytes(&dir);
    let conn = rusqlite::Connection::open_with_flags(dir.join(switchboard_core::DB_FILE), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open");
    let t = Instant::now();
    let n: i64 = conn.query_row("SELECT count(*) FROM entries", [], |r| r.get(0)).expect("count");
    let scan_ms = ms(t.elapsed());
    assert_eq!(n as u64, z.store_entries + 1);
    let stored: i64 = conn.query_row("SELECT sum(length(payload)) FROM entries", [], |r| r.get(0)).expect("sum");
    let t = Instant::now();
    let ns: i64 = conn.query_row("SELECT count(*) FROM sessions", [], |r| r.get(0)).expect("count");
    let sscan_ms = ms(t.elapsed());
    assert_eq!(ns as usize, z.store_sessions);
    drop(conn);
    let size_rest = db_bytes(&dir);
    let _ = std::fs::remove_dir_all(&dir);

    let scan = format!("count(*) of entries: {scan_ms:.0} ms");
    let sizes = format!("{} sessions, {} entries", human_count(z.store_sessions as f64), human_count(z.store_entries as f64));
    rep.row(
        "store.list_first_page_ms",
        &format!("5. Store ({sizes}): first page, 2 statuses, by activity"),
        format!("{list_ms:.2} ms (first call {list_first:.2})"),
        format!("count(*) of sessions: {sscan_ms:.1} ms"),
        format!("{:.3} × the scan", list_ms / sscan_ms),
        "≤ 10 ms",
        Some(list_ms <= 10.0),
        list_ms,
        "ms",
        Some(sscan_ms),
        "The list reads one (status, last_activity) index range per status; check the query plan of `list_sessions`.",
    );
    rep.row(
        "store.metrics_ms",
        "5. Store: metrics",
        format!("{metrics_ms:.2} ms (first call {metrics_first:.2})"),
        format!("count(*) of sessions: {sscan_ms:.1} ms"),
        format!("{:.3} × the scan", metrics_ms / sscan_ms),
        "≤ 50 ms",
        Some(metrics_ms <= 50.0),
        metrics_ms,
        "ms",
        Some(sscan_ms),
        "",
    );
    rep.row(
        "store.tail_1000_ms",
        &format!("5. Store: last 1000 entries of a {}-entry session", human_count(z.store_big as f64)),
        format!("{tail_ms:.2} ms (first call {tail_first:.2}; while the backlog was being indexed {tail_busy_ms:.2})"),
        scan.clone(),
        format!("{:.4} × the scan", tail_ms / scan_ms),
        "≤ 10 ms",
        Some(tail_ms <= 10.0),
        tail_ms,
        "ms",
        Some(scan_ms),
        "The tail is one descending range of the (session_id, seq) key; a cold page cache or large rows (finding E) cost here.",
    );
    rep.row(
        "store.startup_ms",
        "5. Store: startup to ready",
        format!("{startup:.1} ms (Engine::open {open_ms:.1})"),
        scan.clone(),
        format!("{:.5} × the scan", startup / scan_ms),
        "≤ 500 ms",
        Some(startup <= 500.0),
        startup,
        "ms",
        Some(scan_ms),
        "",
    );
    let ratio = size as f64 / raw as f64;
    rep.row(
        "store.size_ratio",
        "5. Store: database size (db + wal) vs raw payload bytes, before the search index",
        format!("{} (after closing, with the search index: {})", human_bytes(size), human_bytes(size_rest)),
        format!("{} of payloads", human_bytes(raw)),
        format!("{ratio:.2} ×"),
        "≤ 1.3 ×",
        Some(ratio <= 1.3),
        ratio,
        "ratio",
        Some(raw as f64),
        "Findings E and F below.",
    );
    let payload_ratio = stored as f64 / raw as f64;
    rep.row(
        "store.payload_ratio",
        "5. Store: stored payloads (compressed) vs raw payload bytes",
        human_bytes(stored as u64),
        format!("{} of payloads", human_bytes(raw)),
        format!("{payload_ratio:.3} ×"),
        "≤ 0.3 ×",
        Some(payload_ratio <= 0.3),
        payload_ratio,
        "ratio",
        Some(raw as f64),
        "Findings F and H below: per-entry zstd frames with a dictionary per agent kind; the entries before the dictionary \
         is trained (the first MiB of each kind) are compressed without one.",
    );
    let indexed_ratio = size_indexed as f64 / raw as f64;
    rep.row(
        "store.size_with_index_ratio",
        "5. Store: whole database with the search index vs raw payload bytes",
        human_bytes(size_indexed),
        format!("{} of payloads", human_bytes(raw)),
        format!("{indexed_ratio:.2} ×"),
        "≤ 0.75 ×",
        Some(indexed_ratio <= 0.75),
        indexed_ratio,
        "ratio",
        Some(raw as f64),
        "Finding H below: row overhead per entry (rowid, key, seq, ts, stream, kind, len, dict ≈ 40 bytes and the (key, seq) \
         index entry) and the FTS5 index; the fake agent's ~0.8 kB lines compress to ~0.2 kB, so the per-row part weighs more \
         than it did.",
    );
    let index_mb_s = raw as f64 / MB / index_secs;
    rep.row(
        "store.index_backlog_mb_s",
        "5. Store: search indexing of a backlog (every stored entry)",
        format!("{index_mb_s:.1} MB/s ({index_secs:.1} s; CPU {index_cpu:.1} s = {:.1} MB per CPU-second)", raw as f64 / MB / index_cpu),
        format!("{} of payloads", human_bytes(raw)),
        format!("{index_mb_s:.1} MB/s"),
        "≥ 10 MB/s",
        Some(index_mb_s >= 10.0),
        index_mb_s,
        "MB/s",
        None,
        "Finding H below: each entry is decompressed and its JSON parsed for its string values, and FTS5 writes a new segment \
         for every 500-entry transaction and merges them as the index grows; on a loaded machine the wall time is a multiple \
         of the CPU time (both shown).",
    );
    rep.row(
        "store.search_rare_ms",
        "5. Store: search, a word in one entry",
        format!("{rare_ms:.2} ms (first call {rare_first:.2})"),
        scan.clone(),
        format!("{:.4} × the scan", rare_ms / scan_ms),
        "≤ 20 ms",
        Some(rare_ms <= 20.0),
        rare_ms,
        "ms",
        Some(scan_ms),
        "",
    );
    rep.row(
        "store.search_common_ms",
        &format!("5. Store: search, a common word ('{common}'), the first 50 hits"),
        format!("{common_ms:.2} ms (first call {common_first:.2})"),
        scan.clone(),
        format!("{:.4} × the scan", common_ms / scan_ms),
        "≤ 100 ms",
        Some(common_ms <= 100.0),
        common_ms,
        "ms",
        Some(scan_ms),
        "",
    );
    rep.how(
        "5. Store at volume",
        format!(
            "A data directory is filled through `Store::insert_sessions` (batches of 10 000) and `Store::append_output` (batches of \
             10 000) with {} sessions (statuses 70 % ended, 10 % each error, interrupted, expired; no live ones, as after a clean \
             shutdown) and {} output entries, {} bytes of payloads in total: real stream-json lines cycled from a pool of {} lines \
             the fake agent printed (`lines N --json`, ~0.8 kB each). One session holds {} entries (its tail is read); the others \
             share the rest, written ten sessions at a time interleaved, as concurrent sessions write. Filling took {fill_secs:.0} s ({:.0} entries/s: each \
             payload compressed on its own with its agent kind's dictionary, on the one thread that writes) and indexing the \
             backlog {index_secs:.0} s. \
             Then, on the filled directory: startup to ready = `Engine::open` + `reconcile()` + the first page of the list, as the \
             app does before its window shows; the first page = `SessionFilter {{ statuses: [ended, error], sort: LastActivity, \
             limit: 50 }}`; then the engine's background indexer indexes the whole store for search (timed from \
             `Engine::open` until its mark reaches the last entry: the backlog an upgraded database has; the tail is also timed \
             while it works), and once it has caught up: the first page again, `metrics()`, `output_tail(big, 1000)`, and `search` for a word \
             written once and for the pool's most frequent word (newest 50 hits). Each query is timed 9 times after a first call, median reported \
             (the OS page cache is warm: the data was just written). Baselines: `SELECT count(*)` full scans of `sessions` and of \
             `entries`, on a separate connection; the size baseline is the sum of payload lengths. Size = the database file plus its WAL \
             right after the fill, with the store still open (as while the app runs); \"after closing\": once the last \
             connection closed and SQLite checkpointed and removed the WAL.",
            human_count(z.store_sessions as f64),
            human_count(z.store_entries as f64),
            human_bytes(raw),
            z.store_pool_lines,
            human_count(z.store_big as f64),
            z.store_entries as f64 / fill_secs,
        ),
    );
}

//! Benchmark 9, the search indexer's lag: while sessions stream, how long a word printed by
//! one of them takes to be found by `Engine::search`.

use std::time::{Duration, Instant};

use switchboard_core::*;

use crate::harness::*;
use crate::measure::*;
use crate::report::Report;

/// Bytes of the fake agent's stream-json lines without big tool results, on average.
const LINE_BYTES: u64 = 815;
/// Markers per second in each session.
const MARKERS_PER_S: u64 = 2;

/// The write time in a marker line's snippet ("… written 1796073242833").
fn written_ms(hit: &SearchHit) -> Option<f64> {
    let text = format!("{}{}{}", hit.before, hit.matched, hit.after);
    let rest = &text[text.find("written ")? + 8..];
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

pub(crate) async fn bench_indexer(ctx: &Ctx, rep: &mut Report) {
    let z = &ctx.sizes;
    let n = z.indexer_sessions as u64;
    let rate = (z.indexer_bytes_per_s / n / LINE_BYTES).max(1);
    let every = (rate / MARKERS_PER_S).max(1);
    let lines = rate * z.indexer_secs as u64;
    let dir = ctx.dir("indexer");
    let engine = ctx.engine(&dir);
    progress!(
        "indexer: {n} sessions × {rate} lines/s (~{} total) for {} s, a marker every {every} lines",
        human_bytes(rate * n * LINE_BYTES) + "/s",
        z.indexer_secs
    );
    let (rate_s, lines_s, every_s) = (rate.to_string(), lines.to_string(), every.to_string());
    let cpu0 = self_cpu();
    let t0 = Instant::now();
    let mut ids = Vec::new();
    for i in 0..n {
        let tag = format!("s{i}");
        let args = [
            "lines",
            lines_s.as_str(),
            "--json",
            "--rate",
            rate_s.as_str(),
            "--marker-every",
            every_s.as_str(),
            "--marker-tag",
            tag.as_str(),
        ];
        ids.push(engine.create(ctx.command(&args)).await.expect("create a session").id);
    }
    // Search for each session's next marker in turn, as fast as the searches go.
    let expected = lines / every;
    let mut next = vec![1u64; n as usize];
    let mut lags: Vec<f64> = Vec::new();
    let (mut searches, mut search_ms) = (0u64, 0.0f64);
    let deadline = Instant::now() + Duration::from_secs(z.indexer_secs as u64 + 60);
    let all = SearchFilter::default();
    while next.iter().any(|&k| k <= expected) && Instant::now() < deadline {
        for (i, k) in next.iter_mut().enumerate() {
            if *k > expected {
                continue;
            }
            let t = Instant::now();
            let hits = engine.search(&format!("s{i}n{}", *k * every), &all, 1).expect("search");
            search_ms += ms(t.elapsed());
            searches += 1;
            if let Some(hit) = hits.first() {
                let written = written_ms(hit).expect("a marker's snippet has its write time");
                lags.push(epoch_ms() - written);
                *k += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = self_cpu() - cpu0;
    wait_ended(&engine, &ids, Duration::from_secs(30)).await;
    engine.flush_output();
    drop(engine);
    let conn = rusqlite::Connection::open_with_flags(dir.join(switchboard_core::DB_FILE), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open");
    let (entries, bytes): (i64, i64) =
        conn.query_row("SELECT count(*), coalesce(sum(len), 0) FROM entries", [], |r| Ok((r.get(0)?, r.get(1)?))).expect("count");
    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);

    let found = lags.len() as u64;
    let total = expected * n;
    let (p50, p99, max) = percentiles(&mut lags);
    let mbps = bytes as f64 / MB / secs;
    rep.row(
        "indexer.lag_p99_ms",
        &format!("9. Search: indexer lag, {n} sessions streaming {mbps:.2} MB/s in total"),
        format!("p50 {p50:.0} / p99 {p99:.0} / max {max:.0} ms ({found} of {total} markers found)"),
        format!(
            "{} entries in {secs:.0} s; {searches} searches, {:.2} ms each",
            human_count(entries as f64),
            search_ms / searches.max(1) as f64
        ),
        format!("p99 {p99:.0} ms"),
        "p99 ≤ 2 s, every marker found",
        Some(p99 <= 2000.0 && found == total),
        p99,
        "ms",
        None,
        "Finding H below: once caught up the indexer sleeps until output is committed and indexes 500 entries per transaction; \
         a lag of seconds is the indexer falling behind the writers (see this process's CPU in the how-to below).",
    );
    rep.how(
        "9. Search indexer lag",
        format!(
            "{n} `command` sessions each run `agent.mjs lines {lines} --json --rate {rate} --marker-every {every} --marker-tag sI` \
             ({rate} stream-json lines of ~0.8 kB per second each, {} s; every {every}th line is `marker sInK written <epoch ms>`, a word \
             found nowhere else and the time the agent wrote it). Meanwhile the bench searches (`Engine::search`, the app's query, \
             limit 1) for each session's next marker in turn, one pass over the sessions every ~5 ms; a marker's lag is the time it \
             was first found minus the time written in it (both the system clock). The engine's own background indexer does the \
             indexing (`search.rs`: 500 entries per transaction; once caught up it sleeps until output is committed). Streamed: {} entries, {} \
             in {secs:.0} s; this process's CPU (engine, indexer and the searches) {cpu:.1} s = {:.0} % of one core.",
            z.indexer_secs,
            human_count(entries as f64),
            human_bytes(bytes as u64),
            cpu / secs * 100.0,
        ),
    );
}

//! Measuring helpers: CPU and memory from /proc, sizes, medians and percentiles, and engine
//! helpers (waiting for sessions to end, following output the way the app does).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use switchboard_core::*;

use crate::harness::*;

pub(crate) fn epoch_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64() * 1e3
}

/// utime + stime of a process (all its threads, not its children), in seconds.
pub(crate) fn proc_cpu(pid: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let f: Vec<&str> = s[s.rfind(')')? + 1..].split_whitespace().collect();
    // Field 3 (state) is f[0]; utime is field 14, stime field 15. USER_HZ is 100 on Linux.
    Some((f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?) as f64 / 100.0)
}

pub(crate) fn self_cpu() -> f64 {
    proc_cpu("self").unwrap_or(0.0)
}

/// cutime + cstime of this process: the CPU of its children that have been waited for, in seconds.
pub(crate) fn children_cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<&str> = s.rfind(')').map(|i| s[i + 1..].split_whitespace().collect()).unwrap_or_default();
    // cutime is field 16, cstime field 17 (f[13], f[14]).
    let tick = |k: usize| f.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (tick(13) + tick(14)) as f64 / 100.0
}

pub(crate) fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

pub(crate) fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// The database file plus its WAL.
pub(crate) fn db_bytes(dir: &Path) -> u64 {
    file_len(&dir.join(switchboard_core::DB_FILE)) + file_len(&dir.join(format!("{}-wal", switchboard_core::DB_FILE)))
}

pub(crate) fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// p50, p99, max of latencies in ms.
pub(crate) fn percentiles(v: &mut [f64]) -> (f64, f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99), v[v.len() - 1])
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub(crate) fn human_bytes(b: u64) -> String {
    if b >= 1_000_000_000 {
        format!("{:.2} GB", b as f64 / 1e9)
    } else if b >= 1_000_000 {
        format!("{:.1} MB", b as f64 / 1e6)
    } else {
        format!("{:.1} kB", b as f64 / 1e3)
    }
}

pub(crate) fn human_count(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.2}M", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1}k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

/// Polls until none of `ids` is live, or the timeout.
pub(crate) async fn wait_ended(engine: &Engine, ids: &[String], timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let live = ids.iter().filter(|id| engine.get(id).map(|s| s.status.is_live()).unwrap_or(false)).count();
        if live == 0 {
            return true;
        }
        if Instant::now() > deadline {
            progress!("  warning: {live} sessions still live after {:?}", timeout);
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Ends sessions concurrently.
pub(crate) async fn end_all(engine: &Engine, ids: &[String]) {
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let (e, id) = (engine.clone(), id.clone());
            tokio::spawn(async move {
                let _ = e.end(&id).await;
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
}

/// Follows a session the way the app's output channel does: a batch of at most 2 000
/// entries, converted to the UI's items and serialized, then 25 ms of sleep. Adds stdout
/// payload bytes (+1 for the newline) to `streamed`.
pub(crate) async fn ui_follow(engine: Engine, id: String, streamed: Arc<AtomicU64>) -> u64 {
    let mut f = engine.follow_output(&id, 0).expect("follow");
    let mut entries = 0;
    while let Some(batch) = f.next_batch(BATCH_MAX).await.expect("next_batch") {
        // As the app's output channel sends them: messages within a byte budget, huge entries as previews.
        for items in message_pages(&batch, BATCH_MAX) {
            std::hint::black_box(serde_json::to_vec(&items).ok());
        }
        let bytes: u64 = batch.iter().filter(|e| e.stream == Stream::Stdout).map(|e| e.payload.len() as u64 + 1).sum();
        streamed.fetch_add(bytes, Ordering::Relaxed);
        entries += batch.len() as u64;
        tokio::time::sleep(BATCH_INTERVAL).await;
    }
    entries
}

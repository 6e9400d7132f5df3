//! 4. Scale: the backend's CPU with many live sessions, printing and idle.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::*;

use crate::harness::*;
use crate::measure::*;
use crate::report::Report;

fn agents_cpu(pids: &[u32]) -> f64 {
    pids.iter().filter_map(|p| proc_cpu(&p.to_string())).sum()
}

/// Waits until every session has printed at least one stdout line (its agent is up).
async fn wait_all_up(engine: &Engine, ids: &[String], timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let mut pending: Vec<&String> = ids.iter().collect();
    while !pending.is_empty() && Instant::now() < deadline {
        pending.retain(|id| !engine.output_tail(id, 5).map(|t| t.iter().any(|e| e.stream == Stream::Stdout)).unwrap_or(false));
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    if !pending.is_empty() {
        progress!("  warning: {} agents printed nothing after {:?}", pending.len(), timeout);
    }
}

pub(crate) async fn bench_scale(ctx: &Ctx, rep: &mut Report) {
    let z = &ctx.sizes;
    let n = z.scale_sessions;
    let dir = ctx.dir("scale");
    let engine = ctx.engine(&dir);
    let lines = (z.scale_secs * 10).to_string();
    let args = ["lines", lines.as_str(), "--rate", "10"];
    progress!("scale: starting {n} sessions printing 10 lines/s for {} s", z.scale_secs);
    let t_first = Instant::now();
    let (mut ids, mut pids) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let s = engine.create(ctx.command(&args)).await.expect("create");
        pids.extend(s.pid);
        ids.push(s.id);
    }
    let ui = tokio::spawn(ui_follow(engine.clone(), ids[0].clone(), Arc::new(AtomicU64::new(0))));
    wait_all_up(&engine, &ids, Duration::from_secs(z.scale_secs as u64)).await;
    let up = t_first.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let w0 = Instant::now();
    let (c0, a0) = (self_cpu(), agents_cpu(&pids));
    let end_at = t_first + Duration::from_secs_f64(z.scale_secs as f64 - 1.0);
    let window = end_at.saturating_duration_since(w0).max(Duration::from_secs(1));
    progress!("scale: all {n} agents up after {up:.1} s; measuring CPU for {:.0} s", window.as_secs_f64());
    let mut left = window;
    while left > Duration::ZERO {
        let step = left.min(Duration::from_secs(10));
        tokio::time::sleep(step).await;
        left -= step;
        if left > Duration::ZERO {
            progress!("    {:.0} s to go", left.as_secs_f64());
        }
    }
    let secs = w0.elapsed().as_secs_f64();
    let (c1, a1) = (self_cpu(), agents_cpu(&pids));
    let busy = (c1 - c0) / secs * 100.0;
    let agents_busy = (a1 - a0) / secs * 100.0;
    progress!("scale: waiting for the {n} sessions to finish");
    wait_ended(&engine, &ids, Duration::from_secs(z.scale_secs as u64 + 60)).await;
    let _ = ui.await;
    engine.flush_output();
    let stored: u64 = ids.iter().map(|id| engine.output_tail(id, 10).ok().and_then(|t| t.last().map(|e| e.seq)).unwrap_or(0)).sum();

    progress!("scale: {n} idle live sessions (`hang`) for {} s", z.idle_secs);
    let (mut hids, mut hpids) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let s = engine.create(ctx.command(&["hang"])).await.expect("create");
        hpids.extend(s.pid);
        hids.push(s.id);
    }
    wait_all_up(&engine, &hids, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let w0 = Instant::now();
    let (c0, a0) = (self_cpu(), agents_cpu(&hpids));
    tokio::time::sleep(Duration::from_secs(z.idle_secs as u64)).await;
    let isecs = w0.elapsed().as_secs_f64();
    let (c1, a1) = (self_cpu(), agents_cpu(&hpids));
    let idle = (c1 - c0) / isecs * 100.0;
    let agents_idle = (a1 - a0) / isecs * 100.0;
    progress!("scale: ending the {n} idle sessions");
    end_all(&engine, &hids).await;
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);

    rep.row(
        "scale.active_cpu_pct",
        &format!("4. Scale: {n} live sessions × 10 lines/s, backend CPU"),
        format!("{busy:.2} % of one core"),
        format!("agents: {agents_busy:.1} % of one core"),
        format!("{:.3} × the agents' CPU", busy / agents_busy),
        "≤ 10 % of one core",
        Some(busy <= 10.0),
        busy,
        "% of one core",
        Some(agents_busy),
        "Per line the engine wakes the reader task and the writer thread (one commit every 20 ms), and the writer compiles \
         the trim query (`output_trimmed_through`, `query_row`, not `prepare_cached`) for every session of every batch: \
         see finding D.",
    );
    rep.row(
        "scale.idle_cpu_pct",
        &format!("4. Scale: {n} idle live sessions, backend CPU"),
        format!("{idle:.2} % of one core"),
        format!("agents: {agents_idle:.2} % of one core"),
        format!("{:.2} % over {isecs:.0} s", idle),
        "≤ 1 % of one core",
        Some(idle <= 1.0),
        idle,
        "% of one core",
        Some(agents_idle),
        "Per line the engine wakes the reader task, the writer thread (one commit every 20 ms) and, for a viewed session, \
         the subscriber, which forces a commit and re-reads the store per batch (finding A); the writer also compiles the trim \
         query (`output_trimmed_through`, not `prepare_cached`) for every session of every batch.",
    );
    rep.how(
        "4. Scale",
        format!(
            "{n} `command` sessions each run `agent.mjs lines {lines} --rate 10` (10 lines/s, {} s), started one after another \
             (`EngineConfig.max_live_sessions` raised to 10 000); one subscriber like the app's window follows the first session. Once every \
             agent has printed (all up after {up:.1} s), the backend's CPU — this process's utime + stime from /proc/self/stat, all threads, \
             children excluded — is measured over {secs:.0} s while all {n} print, {} entries/s in total; the agents' own CPU \
             (sum over their /proc/PID/stat) is the context baseline. All {stored} lines and lifecycle entries were stored. Then \
             {n} idle live sessions (`agent.mjs hang`) for {isecs:.0} s, with nothing printing. Note: /proc CPU time has 10 ms \
             resolution; over these windows that is < 0.1 % of a core.",
            z.scale_secs,
            n * 10,
        ),
    );
}

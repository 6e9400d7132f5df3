//! `make bench`: Switchboard's engine measured against baselines run side by side in the same
//! run, so that the noise of a busy machine cancels out of the ratios.
//!
//! Nine benchmarks: ingest throughput, delivery latency, memory, scale (CPU with 100 live
//! sessions), the store at volume, spawn overhead, the import of Claude Code transcripts, payload
//! compression and the search indexer's lag. Sizes depend on `QUICK`:
//!
//! * unset (full): the sizes (1 GB streams, 100 sessions × 60 s, 100k sessions and
//!   10M entries); 20–30 minutes on the 2-core dev VM, most of it filling the store and
//!   indexing it for search (the store alone took 17 minutes at load average 5–8).
//! * `QUICK=1`: the same code with smaller sizes; about 3 minutes.
//! * `QUICK=smoke`: tiny sizes, seconds; only checks that every benchmark runs end to end
//!   (writes `target/bench/smoke.json`, never the docs).
//!
//! Full and quick runs write `target/bench/results.json` and `docs/BENCHMARKS.md`.
//! `switchboard-bench ingest latency` runs only those (results in `target/bench/partial.json`).
//! Data directories live under `target/bench/tmp`, emptied at the start of every run.

#[macro_use]
mod harness;
mod measure;
mod report;

mod codec;
mod import;
mod indexer;
mod ingest;
mod latency;
mod memory;
mod scale;
mod spawn;
mod store;

use std::collections::BTreeMap;
use std::time::Instant;

use harness::{since_start, Ctx, Mode};
use report::{machine, markdown, Report, Row};

const ALL: [&str; 9] = ["ingest", "latency", "memory", "scale", "store", "spawn", "import", "codec", "indexer"];

fn main() {
    // As the app and the CLI do at their start (finding C).
    switchboard_core::memory::tune_allocator();
    since_start();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = Mode::from_env();
    let ctx = Ctx::new(mode);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    if args.first().map(String::as_str) == Some("--memory-child") {
        let sessions: u32 = args[1].parse().unwrap();
        let bytes: u64 = args[2].parse().unwrap();
        rt.block_on(memory::memory_child(&ctx, sessions, bytes));
        return;
    }
    let only: Vec<&str> = args.iter().map(String::as_str).filter(|a| ALL.contains(a)).collect();
    if let Some(bad) = args.iter().find(|a| !ALL.contains(&a.as_str())) {
        eprintln!("usage: switchboard-bench [{}]...  (QUICK=1 or QUICK=smoke for smaller sizes); unknown: {bad}", ALL.join("|"));
        std::process::exit(2);
    }
    let selected: Vec<&str> = if only.is_empty() { ALL.to_vec() } else { only };
    let _ = std::fs::remove_dir_all(&ctx.tmp);
    std::fs::create_dir_all(&ctx.tmp).expect("create target/bench/tmp");
    let started = chrono::Local::now().format("%Y-%m-%d %H:%M %Z").to_string();
    let machine = machine();
    progress!("switchboard-bench: {} mode; {}", mode.name(), machine);
    progress!("node {}, data in {}", ctx.node.display(), ctx.tmp.display());
    let mut rep = Report::default();
    // Memory first: its children start from a clean process anyway, but the machine is calmest.
    for name in ["memory", "ingest", "latency", "spawn", "scale", "indexer", "store", "import", "codec"] {
        if !selected.contains(&name) {
            continue;
        }
        let t = Instant::now();
        progress!("=== {name}");
        rt.block_on(async {
            match name {
                "ingest" => ingest::bench_ingest(&ctx, &mut rep).await,
                "latency" => latency::bench_latency(&ctx, &mut rep).await,
                "memory" => memory::bench_memory(&ctx, &mut rep).await,
                "scale" => scale::bench_scale(&ctx, &mut rep).await,
                "store" => store::bench_store(&ctx, &mut rep).await,
                "spawn" => spawn::bench_spawn(&ctx, &mut rep).await,
                "import" => import::bench_import(&ctx, &mut rep).await,
                "codec" => codec::bench_codec(&ctx, &mut rep).await,
                "indexer" => indexer::bench_indexer(&ctx, &mut rep).await,
                _ => unreachable!(),
            }
        });
        progress!("=== {name} done in {:.1} s (load average {})", t.elapsed().as_secs_f64(), report::load_average());
    }
    let took = since_start();
    let _ = std::fs::remove_dir_all(&ctx.tmp);
    // Sort the rows in the order.
    rep.rows.sort_by_key(|r| ALL.iter().position(|a| r.key.starts_with(a)).unwrap_or(99));
    rep.how.sort_by_key(|h| h.0.clone());
    let json = serde_json::to_string_pretty(&rep.json()).unwrap() + "\n";
    let partial = selected.len() < ALL.len();
    let file = match (mode, partial) {
        (Mode::Smoke, _) => "smoke.json",
        (_, true) => "partial.json",
        _ => "results.json",
    };
    std::fs::create_dir_all(&ctx.out).unwrap();
    std::fs::write(ctx.out.join(file), &json).expect("write the results");
    progress!("wrote target/bench/{file}");
    if mode != Mode::Smoke && !partial {
        let md = markdown(&ctx, &rep, &started, took, &machine);
        std::fs::write(ctx.root.join("docs/BENCHMARKS.md"), md).expect("write docs/BENCHMARKS.md");
        progress!("wrote docs/BENCHMARKS.md");
    }
    // Every selected benchmark must have produced numbers.
    let mut missing: Vec<&str> = Vec::new();
    for name in &selected {
        let rows: Vec<&Row> = rep.rows.iter().filter(|r| r.key.starts_with(&format!("{name}."))).collect();
        if rows.is_empty() || rows.iter().any(|r| !r.value.is_finite()) {
            missing.push(name);
        }
    }
    let met = rep.rows.iter().filter(|r| r.met == Some(true)).count();
    let goals = rep.rows.iter().filter(|r| r.met.is_some()).count();
    let by_bench: BTreeMap<&str, (usize, usize)> = selected
        .iter()
        .map(|n| {
            let rows = rep.rows.iter().filter(|r| r.key.starts_with(&format!("{n}.")) && r.met.is_some());
            let (m, g) = rows.fold((0, 0), |(m, g), r| (m + usize::from(r.met == Some(true)), g + 1));
            (*n, (m, g))
        })
        .collect();
    println!(
        "bench: {met} of {goals} goals met in {took:.0} s ({}; load average {} at the end): {by_bench:?}",
        mode.name(),
        report::load_average()
    );
    if !missing.is_empty() {
        eprintln!("bench: no numbers from: {}", missing.join(", "));
        std::process::exit(1);
    }
}

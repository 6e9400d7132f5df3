//! 1. Ingest: throughput of one session through the engine against `zstd -3` of the same bytes.
//!
//! The input is generated into a file first, and the session's agent is `cat FILE`, so the
//! fake agent (~100–170 MB/s) is not what is measured.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use switchboard_core::agents::AgentPaths;
use switchboard_core::*;

use crate::harness::*;
use crate::measure::*;
use crate::report::Report;

#[derive(Debug, Clone, Copy, Default)]
struct Flow {
    bytes: u64,
    lines: u64,
    secs: f64,
    cpu: f64,
    /// What it left on disk: the database (db + wal), or the compressed file.
    stored: u64,
}

impl Flow {
    fn mbps(&self) -> f64 {
        self.bytes as f64 / MB / self.secs
    }
    fn lps(&self) -> f64 {
        self.lines as f64 / self.secs
    }
}

/// The fake agent's stdout for `args`, written into `path`: (bytes, lines).
fn generate(ctx: &Ctx, args: &[&str], path: &Path) -> (u64, u64) {
    use std::io::Read;
    let file = std::fs::File::create(path).expect("create the input file");
    let status = ctx.std_command(args).stdout(file).status().expect("run the fake agent");
    assert!(status.success(), "the fake agent failed: {status}");
    let mut file = std::fs::File::open(path).expect("open the input file");
    let (mut bytes, mut lines, mut buf) = (0u64, 0u64, vec![0u8; 1 << 20]);
    loop {
        let n = file.read(&mut buf).expect("read the input file");
        if n == 0 {
            return (bytes, lines);
        }
        bytes += n as u64;
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

/// The baseline: the file piped through `zstd -3` (its default, one compression thread)
/// into a file in the same directory (no fsync).
fn zstd_baseline(input: &Path, lines: u64) -> Flow {
    let out = input.with_extension("zst");
    let cpu0 = children_cpu();
    let t0 = Instant::now();
    let status = std::process::Command::new("zstd")
        .args(["-3", "-q", "-c"])
        .stdin(std::fs::File::open(input).expect("open the input file"))
        .stdout(std::fs::File::create(&out).expect("create the zstd output"))
        .stderr(Stdio::inherit())
        .status()
        .expect("run zstd (Debian package zstd; scripts/bootstrap --test installs it)");
    let secs = t0.elapsed().as_secs_f64();
    assert!(status.success(), "zstd failed: {status}");
    let stored = file_len(&out);
    let _ = std::fs::remove_file(&out);
    Flow { bytes: file_len(input), lines, secs, cpu: children_cpu() - cpu0, stored }
}

/// Two baseline runs, before and after the engine's: their mean time.
fn mean(a: &Flow, b: &Flow) -> Flow {
    Flow { secs: (a.secs + b.secs) / 2.0, cpu: (a.cpu + b.cpu) / 2.0, ..*a }
}

/// One session whose agent is `cat FILE`, through the engine (parse + compress + persist +
/// fan-out to one live follower that consumes everything as fast as it can).
async fn engine_ingest(ctx: &Ctx, dir: &Path, kind: AgentKind, input: &Path) -> Flow {
    let engine = ctx.engine(dir);
    let cat = which("cat").expect("cat is on PATH");
    let req = match kind {
        AgentKind::Command => NewSession {
            agent: Some(AgentKind::Command),
            cwd: ctx.root.to_string_lossy().into_owned(),
            config: SessionConfig {
                program: Some(cat.to_string_lossy().into_owned()),
                args: vec![input.to_string_lossy().into_owned()],
                ..Default::default()
            },
            ..Default::default()
        },
        _ => {
            // A Claude "binary" that ignores Claude's flags and prints the same stream-json.
            let wrapper = dir.join("fake-claude");
            std::fs::write(&wrapper, format!("#!/bin/sh\nexec '{}' '{}'\n", cat.display(), input.display())).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
            engine.set_agent_paths(AgentPaths { claude: Some(wrapper.to_string_lossy().into_owned()), ..Default::default() });
            NewSession { agent: Some(kind), cwd: ctx.root.to_string_lossy().into_owned(), ..Default::default() }
        }
    };
    let cpu0 = self_cpu();
    let t0 = Instant::now();
    let s = engine.create(req).await.expect("create the session");
    let mut f = engine.follow_output(&s.id, 0).expect("follow");
    let (mut bytes, mut lines) = (0u64, 0u64);
    let mut shown = Instant::now();
    while let Some(batch) = f.next_batch(BATCH_MAX).await.expect("next_batch") {
        for e in &batch {
            if e.stream == Stream::Stdout {
                bytes += e.payload.len() as u64 + 1;
                lines += 1;
            }
        }
        if shown.elapsed() > Duration::from_secs(5) {
            shown = Instant::now();
            progress!("    {} so far ({:.0} MB/s)", human_bytes(bytes), bytes as f64 / MB / t0.elapsed().as_secs_f64());
        }
    }
    engine.flush_output();
    let secs = t0.elapsed().as_secs_f64();
    let cpu = self_cpu() - cpu0;
    let status = engine.get(&s.id).map(|s| s.status.name()).unwrap_or("?");
    if status != "ended" {
        progress!("  warning: the session ended as {status}");
    }
    let stored = db_bytes(dir);
    drop(engine);
    Flow { bytes, lines, secs, cpu, stored }
}

/// The baseline, the engine, the baseline again (averaged), for one input file.
async fn measure(ctx: &Ctx, dir: &Path, name: &str, input: &Path, lines: u64, kinds: &[AgentKind]) -> (Flow, Vec<Flow>) {
    progress!("ingest: {name}: baseline 1/2: zstd -3 of the file");
    let b1 = zstd_baseline(input, lines);
    let mut runs = Vec::new();
    let mut b2 = None;
    for (k, &kind) in kinds.iter().enumerate() {
        progress!("ingest: {name}: engine, agent kind {} (`cat FILE`)", kind.as_str());
        let d = dir.join(format!("{name}-{k}"));
        let f = engine_ingest(ctx, &d, kind, input).await;
        let _ = std::fs::remove_dir_all(&d);
        if f.bytes != b1.bytes || f.lines != lines {
            progress!(
                "  warning: {}: the engine delivered {} bytes / {} lines, the file has {} / {lines}",
                kind.as_str(),
                f.bytes,
                f.lines,
                b1.bytes
            );
        }
        runs.push(f);
        if k == 0 {
            progress!("ingest: {name}: baseline 2/2");
            b2 = Some(zstd_baseline(input, lines));
        }
    }
    (mean(&b1, &b2.unwrap_or(b1)), runs)
}

pub(crate) async fn bench_ingest(ctx: &Ctx, rep: &mut Report) {
    let z = &ctx.sizes;
    let total = z.ingest_bytes.to_string();
    let args = ["lines", "0", "--json", "--total-bytes", total.as_str(), "--big-every", "200"];
    let dir = ctx.dir("ingest");
    progress!("ingest: generating {} of realistic stream-json into a file", human_bytes(z.ingest_bytes));
    let stream = dir.join("stream.jsonl");
    let t = Instant::now();
    let (_, lines) = generate(ctx, &args, &stream);
    let gen_mbps = file_len(&stream) as f64 / MB / t.elapsed().as_secs_f64();
    let (base, runs) = measure(ctx, &dir, "realistic", &stream, lines, &[AgentKind::Command, AgentKind::Claude]).await;
    let (cmd, claude) = (runs[0], runs[1]);
    let _ = std::fs::remove_file(&stream);

    let small = z.ingest_small_lines.to_string();
    let sargs = ["lines", small.as_str(), "--size", "199"];
    progress!("ingest: generating {} lines of 200 bytes into a file", human_count(z.ingest_small_lines as f64));
    let small_file = dir.join("small.txt");
    let (_, slines) = generate(ctx, &sargs, &small_file);
    let (sbase, sruns) = measure(ctx, &dir, "small", &small_file, slines, &[AgentKind::Command]).await;
    let se = sruns[0];
    let _ = std::fs::remove_dir_all(&dir);

    let zstd_ratio = base.stored as f64 / base.bytes as f64;
    let r = cmd.mbps() / base.mbps();
    rep.row(
        "ingest.throughput_ratio",
        "1. Ingest: realistic stream-json from a file, command agent, stored compressed",
        format!("{:.1} MB/s, {} entries/s (CPU {:.1} s)", cmd.mbps(), human_count(cmd.lps()), cmd.cpu),
        format!("`zstd -3`: {:.1} MB/s (CPU {:.1} s)", base.mbps(), base.cpu),
        format!("{r:.2} ×"),
        "≥ 0.5 × `zstd -3`",
        Some(r >= 0.5),
        r,
        "ratio",
        Some(base.mbps()),
        "Finding G below: per entry the engine splits the line, compresses it on its own (a zstd frame with the agent kind's \
         dictionary), inserts a row and its index entry, and hands it to the live channel and the follower; `zstd -3` compresses \
         one stream in 128 KiB blocks with nothing else to do.",
    );
    let r = claude.mbps() / base.mbps();
    rep.row(
        "ingest.claude_throughput_ratio",
        "1. Ingest: the same file as agent kind claude (each line parsed)",
        format!("{:.1} MB/s, {} entries/s (CPU {:.1} s)", claude.mbps(), human_count(claude.lps()), claude.cpu),
        format!("`zstd -3`: {:.1} MB/s", base.mbps()),
        format!("{r:.2} ×"),
        "context",
        None,
        r,
        "ratio",
        Some(base.mbps()),
        "",
    );
    let eps = se.lps();
    rep.row(
        "ingest.entries_per_s",
        "1. Ingest: 200-byte lines from a file, entries/s",
        format!("{} entries/s ({:.1} MB/s, CPU {:.1} s)", human_count(eps), se.mbps(), se.cpu),
        format!("`zstd -3`: {} lines/s ({:.1} MB/s)", human_count(sbase.lps()), sbase.mbps()),
        format!("{:.2} ×", eps / sbase.lps()),
        "≥ 150k entries/s",
        Some(eps >= 150_000.0),
        eps,
        "entries/s",
        Some(sbase.lps()),
        "Finding G below: the fixed cost per entry (a row, an index entry, the hand-over between threads), not the bytes.",
    );
    rep.row(
        "ingest.stream_entries_per_s",
        "1. Ingest: entries/s of the realistic stream",
        format!("{} entries/s", human_count(cmd.lps())),
        format!("`zstd -3`: {} lines/s", human_count(base.lps())),
        format!("{:.2} ×", cmd.lps() / base.lps()),
        "context",
        None,
        cmd.lps(),
        "entries/s",
        Some(base.lps()),
        "",
    );
    rep.row(
        "ingest.db_size_ratio",
        "1. Ingest: SQLite size after the realistic stream (index not yet built)",
        format!("{} (db + wal)", human_bytes(cmd.stored)),
        format!("{} streamed; `zstd -3` of it: {} ({zstd_ratio:.2} ×)", human_bytes(cmd.bytes), human_bytes(base.stored)),
        format!("{:.2} ×", cmd.stored as f64 / cmd.bytes as f64),
        "context",
        None,
        cmd.stored as f64 / cmd.bytes as f64,
        "ratio",
        None,
        "",
    );
    rep.how(
        "1. Ingest",
        format!(
            "The input is generated into a file first (`agent.mjs lines 0 --json --total-bytes {} --big-every 200`: Claude-like stream-json, \
             text, tool_use and tool_result lines of ~0.8 kB on average, and every 200th line a ~1 MiB tool result; the fake agent wrote it \
             at {gen_mbps:.0} MB/s), so that the generator is no longer what is measured. One session's agent is `cat FILE`. The engine \
             run starts at `Engine::create` and ends when one live `follow_output` subscriber (consuming every entry as fast as it can) has \
             seen the end of the output and `flush_output` confirms everything is in SQLite, compressed. The `command` agent stores each \
             stdout line raw (one entry per line, no parsing); the same file is also run as agent kind `claude` (Claude's adapter pointed \
             at a wrapper script that runs `cat FILE`), which parses every line as JSON. Baseline, in the same run: the same file piped \
             through `zstd -3` (the CLI's defaults: one compression thread) into a file in the same directory (no fsync), run before and \
             after the command-agent run and averaged; the file is in the page cache for both. MB = 10^6 bytes of stdout. CPU is \
             this process's (utime + stime) for the engine, zstd's for the baseline. Because one realistic GB has only ~{} lines, \
             entries/s is judged on a second file of {} lines of 200 bytes (`lines N --size 199`), against `zstd -3` of that file.",
            z.ingest_bytes,
            human_count(cmd.lines as f64 / (cmd.bytes as f64 / 1e9)),
            human_count(z.ingest_small_lines as f64),
        ),
    );
}

//! Benchmark 7, the import of Claude Code transcripts (issue 16): a corpus in the real
//! CLI's line shapes (prompts, bookkeeping lines, assistant text and tool calls written one
//! line per content block with the message's usage repeated, tool results), imported
//! whole, then one session appending a line at a time while the terminal watch follows it.
//!
//! Baseline, in the same run: a plain parse of every line (read + `serde_json` per line,
//! nothing stored) — the floor any import stands on.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::*;

use crate::harness::*;
use crate::measure::*;
use crate::report::Report;

/// What the corpus holds, counted while it is written: the import must find exactly this.
#[derive(Default)]
struct Truth {
    files: u64,
    lines: u64,
    bytes: u64,
    turns: u64,
    input_tokens: u64,
    output_tokens: u64,
}

/// Writes `files` transcripts over `projects` project folders, about `bytes` in all.
fn write_corpus(root: &Path, files: u64, projects: u64, bytes: u64) -> Truth {
    let mut t = Truth::default();
    let per_file = bytes / files.max(1);
    let filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(40); // ~2.2 kB
    for f in 0..files {
        let cwd = format!("/home/dev/projects/project-{}", f % projects);
        let dir = root.join("projects").join(encode_folder(&cwd));
        std::fs::create_dir_all(&dir).unwrap();
        let sid = uuid::Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0000 + f as u128).hyphenated().to_string();
        let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join(format!("{sid}.jsonl"))).unwrap());
        let mut written = 0u64;
        let mut m = 0u64;
        let line = |out: &mut std::io::BufWriter<std::fs::File>, v: serde_json::Value, t: &mut Truth, written: &mut u64| {
            let s = v.to_string();
            *written += s.len() as u64 + 1;
            t.bytes += s.len() as u64 + 1;
            t.lines += 1;
            writeln!(out, "{s}").unwrap();
        };
        let base = |ty: &str, ts: u64| {
            serde_json::json!({ "parentUuid": null, "isSidechain": false, "userType": "external", "cwd": cwd, "sessionId": sid,
                "version": "2.1.197", "gitBranch": "main", "type": ty, "uuid": format!("u-{f}-{ts}"),
                "timestamp": format!("2026-10-{:02}T{:02}:{:02}:{:02}Z", 1 + f % 28, (ts / 3600) % 24, (ts / 60) % 60, ts % 60) })
        };
        while written < per_file.max(1) {
            m += 1;
            let mut u = base("user", m * 10);
            u["message"] = serde_json::json!({ "role": "user", "content": format!("Please fix issue {m} in module {f}") });
            line(&mut out, u, &mut t, &mut written);
            line(
                &mut out,
                serde_json::json!({ "type": "queue-operation", "operation": "dequeue", "sessionId": sid }),
                &mut t,
                &mut written,
            );
            // One assistant message, two content blocks, two lines with the same usage.
            let usage = serde_json::json!({ "input_tokens": 3 + m % 5, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 1000 + m, "output_tokens": 40 + m % 7 });
            t.turns += 1;
            t.input_tokens += 3 + m % 5 + 100 + 1000 + m;
            t.output_tokens += 40 + m % 7;
            let msg = |content: serde_json::Value| {
                serde_json::json!({ "id": format!("msg_{f}_{m}"), "type": "message", "role": "assistant", "model": "claude-opus-4-8",
                    "content": content, "stop_reason": null, "usage": usage })
            };
            let mut a = base("assistant", m * 10 + 1);
            a["message"] = msg(serde_json::json!([{ "type": "text", "text": format!("Looking at module {f}. {}", &filler[..400]) }]));
            line(&mut out, a, &mut t, &mut written);
            let mut b = base("assistant", m * 10 + 2);
            b["message"] = msg(
                serde_json::json!([{ "type": "tool_use", "id": format!("toolu_{f}_{m}"), "name": "Read", "input": { "file_path": "/x/y.rs" } }]),
            );
            line(&mut out, b, &mut t, &mut written);
            let mut r = base("user", m * 10 + 3);
            r["message"] = serde_json::json!({ "role": "user", "content": [{ "type": "tool_result", "tool_use_id": format!("toolu_{f}_{m}"), "content": filler }] });
            line(&mut out, r, &mut t, &mut written);
        }
        out.flush().unwrap();
        t.files += 1;
    }
    t
}

/// The floor: every line read and parsed as JSON, nothing kept.
fn plain_parse(root: &Path) -> (u64, u64) {
    let mut lines = 0u64;
    let mut objects = 0u64;
    for file in discover(&root.join("projects"), &ImportOptions::default()) {
        let r = std::io::BufReader::new(std::fs::File::open(file).unwrap());
        for l in r.split(b'\n') {
            let l = l.unwrap();
            lines += 1;
            if serde_json::from_slice::<serde_json::Value>(&l).is_ok() {
                objects += 1;
            }
        }
    }
    (lines, objects)
}

pub(crate) async fn bench_import(ctx: &Ctx, rep: &mut Report) {
    let z = &ctx.sizes;
    let claude = ctx.dir("import-claude");
    let data = ctx.dir("import-data");
    progress!("import: writing {} transcripts, {} in {} projects", z.import_files, human_bytes(z.import_bytes), z.import_projects);
    let truth = write_corpus(&claude, z.import_files, z.import_projects, z.import_bytes);
    // Warm the page cache for both sides alike.
    let _ = plain_parse(&claude);
    let t = Instant::now();
    let (lines, _) = plain_parse(&claude);
    let parse_s = t.elapsed().as_secs_f64();
    assert_eq!(lines, truth.lines);

    let engine = Engine::open(&data, EngineConfig::default()).expect("engine");
    let options = ImportOptions { claude_dir: Some(claude.to_string_lossy().into()), ..Default::default() };
    let rss_before = rss_kb();
    let peak = Arc::new(AtomicU64::new(rss_before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kb(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    // The window's list requests while the import runs, from another thread.
    let lister = {
        let (engine, done) = (engine.clone(), done.clone());
        std::thread::spawn(move || {
            let mut v = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                let _ = engine.list(&SessionFilter { limit: Some(200), ..Default::default() });
                v.push(ms(t.elapsed()));
                std::thread::sleep(Duration::from_millis(50));
            }
            v
        })
    };
    let (e2, o2) = (engine.clone(), options.clone());
    let t = Instant::now();
    let listed = tokio::task::spawn_blocking(move || e2.list_terminal_sessions(&o2)).await.unwrap().expect("list");
    let list_s = t.elapsed().as_secs_f64();
    assert_eq!(listed.sessions_new, truth.files);
    // Counted before any line is stored: what the list shows at this point.
    let sessions = engine.list(&SessionFilter { origin: Some(SessionOrigin::Terminal), ..Default::default() }).unwrap();
    let (e2, o2) = (engine.clone(), options.clone());
    let t = Instant::now();
    let report = tokio::task::spawn_blocking(move || e2.import_terminal_sessions(&o2)).await.unwrap().expect("import");
    let store_s = t.elapsed().as_secs_f64();
    let import_s = list_s + store_s;
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let mut list_ms = lister.join().unwrap();
    let grew_mib = (peak.load(Ordering::Relaxed).saturating_sub(rss_before)) as f64 / 1024.0;
    assert_eq!(report.lines, truth.lines, "every line stored");

    let sum = |f: fn(&Session) -> u64| sessions.iter().map(f).sum::<u64>();
    let exact = sessions.len() as u64 == truth.files
        && sum(|s| s.turns) == truth.turns
        && sum(|s| s.input_tokens) == truth.input_tokens
        && sum(|s| s.output_tokens) == truth.output_tokens;
    let sizes = format!("{} transcripts / {}", truth.files, human_bytes(truth.bytes));
    rep.row(
        "import.list_vs_parse",
        &format!("7. Import ({sizes}): every session listed with exact counts, vs a plain parse"),
        format!("{list_s:.2} s ({:.1} MB/s)", truth.bytes as f64 / MB / list_s),
        format!("plain parse {parse_s:.2} s ({:.1} MB/s)", truth.bytes as f64 / MB / parse_s),
        format!("{:.2} ×", list_s / parse_s),
        "≤ 1.5 ×",
        Some(list_s / parse_s <= 1.5),
        list_s / parse_s,
        "ratio",
        Some(parse_s),
        "the listing pass parses every line and counts it, then writes one row per session",
    );
    rep.row(
        "import.first_s",
        "7. Import: listed, then the output of every transcript stored",
        format!("{import_s:.2} s (listing {list_s:.2} + storing {store_s:.2})"),
        format!("plain parse {parse_s:.2} s"),
        format!("{import_s:.2} s"),
        &format!("≤ {:.2} s (10 s at 400 MB, scaled to this corpus)", 10.0 * z.import_bytes as f64 / 400e6),
        Some(import_s <= 10.0 * z.import_bytes as f64 / 400e6),
        import_s,
        "s",
        Some(parse_s),
        "",
    );
    rep.row(
        "import.rss_mib",
        "7. Import: RSS growth during the first import",
        format!("+{grew_mib:.0} MiB"),
        format!("{} MiB before", rss_before / 1024),
        format!("+{grew_mib:.0} MiB"),
        "≤ +128 MiB",
        Some(grew_mib <= 128.0),
        grew_mib,
        "MiB",
        None,
        "",
    );
    let (_, list_p99, list_max) = if list_ms.is_empty() { (0.0, 0.0, 0.0) } else { percentiles(&mut list_ms) };
    rep.row(
        "import.list_during_ms",
        "7. Import: a list request (200 rows) during the import",
        format!("p99 {list_p99:.1} / max {list_max:.1} ms ({} requests)", list_ms.len()),
        "—".into(),
        format!("p99 {list_p99:.1} ms"),
        "≤ 100 ms",
        Some(list_p99 <= 100.0),
        list_p99,
        "ms",
        None,
        "",
    );
    rep.row(
        "import.counts_exact",
        "7. Import: sessions, turns and tokens as listed (before any line is stored), against the corpus",
        format!(
            "{} sessions, {} turns, {} in / {} out tokens",
            sessions.len(),
            sum(|s| s.turns),
            sum(|s| s.input_tokens),
            sum(|s| s.output_tokens)
        ),
        format!("{} files, {} turns, {} in / {} out", truth.files, truth.turns, truth.input_tokens, truth.output_tokens),
        if exact { "exact".into() } else { "differ".into() },
        "exact",
        Some(exact),
        if exact { 1.0 } else { 0.0 },
        "bool",
        None,
        "",
    );

    // Steady state: one terminal session appends a line at a time; the watch follows it.
    let watch = engine.watch_terminal_sessions(options).expect("watch");
    let target = discover(&claude.join("projects"), &ImportOptions::default()).remove(0);
    let sid = target.file_stem().unwrap().to_string_lossy().into_owned();
    let session = engine.find_by_agent_session_id(&sid).unwrap().expect("imported");
    let append = |text: &str| {
        let mut f = std::fs::OpenOptions::new().append(true).open(&target).unwrap();
        writeln!(f, r#"{{"type":"user","sessionId":"{sid}","message":{{"role":"user","content":"{text}"}}}}"#).unwrap();
    };
    // A first line makes the session active (its output open to live subscribers), as a
    // session a person types into is; the window's view then follows it.
    let before = engine.output_tail(&session.id, 1).unwrap().last().map_or(0, |e| e.seq);
    append("warm-up");
    let until = Instant::now() + Duration::from_secs(10);
    while engine.output(&session.id, before, 10).unwrap().is_empty() {
        assert!(Instant::now() < until, "the warm-up line was not imported");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let last = engine.output_tail(&session.id, 1).unwrap().last().map_or(0, |e| e.seq);
    let mut follower = engine.follow_output(&session.id, last).unwrap();
    let cpu0 = self_cpu();
    let t0 = Instant::now();
    let mut lat = Vec::new();
    let mut list_steady = Vec::new();
    for i in 0..z.import_appends {
        let sent = Instant::now();
        append(&format!("steady {i}"));
        let got = tokio::time::timeout(Duration::from_secs(5), follower.next_batch(10)).await;
        lat.push(ms(sent.elapsed()));
        assert!(matches!(got, Ok(Ok(Some(_)))), "the appended line arrives");
        let t = Instant::now();
        let _ = engine.list(&SessionFilter { limit: Some(200), ..Default::default() });
        list_steady.push(ms(t.elapsed()));
        tokio::time::sleep(Duration::from_millis(z.import_append_gap_ms)).await;
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu_pct = (self_cpu() - cpu0) / wall * 100.0;
    drop(watch);
    let (_, p99, max) = percentiles(&mut lat);
    rep.row(
        "import.append_visible_p99_ms",
        &format!(
            "7. Import, steady state: an appended line in the session's output ({} lines, 1 every {} ms)",
            z.import_appends, z.import_append_gap_ms
        ),
        format!("p99 {p99:.0} / max {max:.0} ms"),
        "—".into(),
        format!("p99 {p99:.0} ms"),
        "≤ 1000 ms",
        Some(p99 <= 1000.0),
        p99,
        "ms",
        None,
        "",
    );
    let (_, lp99, _) = percentiles(&mut list_steady);
    rep.row(
        "import.list_steady_ms",
        "7. Import, steady state: a list request (200 rows)",
        format!("p99 {lp99:.2} ms"),
        "—".into(),
        format!("p99 {lp99:.2} ms"),
        "≤ 50 ms",
        Some(lp99 <= 50.0),
        lp99,
        "ms",
        None,
        "",
    );
    rep.row(
        "import.steady_cpu_pct",
        "7. Import, steady state: this process's CPU while following (includes the bench's own appends and lists)",
        format!("{cpu_pct:.1} % of one core"),
        "—".into(),
        format!("{cpu_pct:.1} %"),
        "context (the issue's ≤ 2 % is at 1 line/s)",
        None,
        cpu_pct,
        "%",
        None,
        "",
    );
}

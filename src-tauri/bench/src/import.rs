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
    let (t, cpu) = (Instant::now(), self_cpu());
    let (lines, _) = plain_parse(&claude);
    let (parse_s, parse_cpu) = (t.elapsed().as_secs_f64(), self_cpu() - cpu);
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
    // The window's requests while the import runs, from another thread: the list, and
    // opening the newest session in it (its last 200 entries).
    let lister = {
        let (engine, done) = (engine.clone(), done.clone());
        std::thread::spawn(move || {
            let (mut lists, mut opens) = (Vec::new(), Vec::new());
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                let listed = engine.list(&SessionFilter { limit: Some(200), ..Default::default() }).unwrap_or_default();
                lists.push(ms(t.elapsed()));
                if let Some(s) = listed.first() {
                    let t = Instant::now();
                    let _ = engine.output_tail(&s.id, 200);
                    opens.push(ms(t.elapsed()));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            (lists, opens)
        })
    };
    let (e2, o2) = (engine.clone(), options.clone());
    let (t, cpu) = (Instant::now(), self_cpu());
    let listed = tokio::task::spawn_blocking(move || e2.list_terminal_sessions(&o2)).await.unwrap().expect("list");
    let (list_s, list_cpu) = (t.elapsed().as_secs_f64(), self_cpu() - cpu);
    assert_eq!(listed.sessions_new, truth.files);
    // Counted before any line is stored: what the list shows at this point.
    let sessions = engine.list(&SessionFilter { origin: Some(SessionOrigin::Terminal), ..Default::default() }).unwrap();
    let (e2, o2) = (engine.clone(), options.clone());
    let (t, cpu) = (Instant::now(), self_cpu());
    let report = tokio::task::spawn_blocking(move || e2.import_terminal_sessions(&o2)).await.unwrap().expect("import");
    let (store_s, store_cpu) = (t.elapsed().as_secs_f64(), self_cpu() - cpu);
    let import_s = list_s + store_s;
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let (list_ms, open_ms) = lister.join().unwrap();
    // The search index catches up after the import (ingest never waits for it): timed
    // apart, and waited for before the steady state is measured.
    let left = engine.search_backlog().expect("backlog");
    let (t, cpu) = (Instant::now(), self_cpu());
    let until = Instant::now() + Duration::from_secs(900);
    while engine.search_backlog().expect("backlog") > 0 {
        assert!(Instant::now() < until, "the search index did not catch up within 15 min");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (index_s, index_cpu) = (t.elapsed().as_secs_f64(), self_cpu() - cpu);
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
        format!("{list_s:.2} s ({:.1} MB/s; CPU {list_cpu:.2} s)", truth.bytes as f64 / MB / list_s),
        format!("plain parse {parse_s:.2} s ({:.1} MB/s; CPU {parse_cpu:.2} s)", truth.bytes as f64 / MB / parse_s),
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
        format!("{import_s:.2} s (listing {list_s:.2} + storing {store_s:.2}; CPU {:.2} s)", list_cpu + store_cpu),
        format!("plain parse {parse_s:.2} s (CPU {parse_cpu:.2} s)"),
        format!("{import_s:.2} s"),
        &format!("≤ {:.2} s (10 s at 400 MB, scaled to this corpus)", 10.0 * z.import_bytes as f64 / 400e6),
        Some(import_s <= 10.0 * z.import_bytes as f64 / 400e6),
        import_s,
        "s",
        Some(parse_s),
        "",
    );
    rep.row(
        "import.index_catchup_s",
        "7. Import: the search index catching up after the import (it paces itself while an import stores lines)",
        format!("{index_s:.2} s (CPU {index_cpu:.2} s; {left} of {} entries left to index when the import ended)", truth.lines),
        "—".into(),
        format!("{index_s:.2} s"),
        "context (ingest never waits for it)",
        None,
        index_s,
        "s",
        None,
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
    for (key, what, mut v) in [
        ("import.list_during_ms", "a list request (200 rows)", list_ms),
        ("import.open_during_ms", "opening the newest session (its last 200 entries)", open_ms),
    ] {
        let (_, p99, max) = if v.is_empty() { (0.0, 0.0, 0.0) } else { percentiles(&mut v) };
        rep.row(
            key,
            &format!("7. Import: {what} during the import"),
            format!("p99 {p99:.1} / max {max:.1} ms ({} requests)", v.len()),
            "—".into(),
            format!("p99 {p99:.1} ms"),
            "≤ 100 ms",
            Some(p99 <= 100.0),
            p99,
            "ms",
            None,
            "",
        );
    }
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
    let (cpu0, rss0) = (self_cpu(), rss_kb());
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
    let rss_grew_mib = rss_kb().saturating_sub(rss0) as f64 / 1024.0;
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
    // The bench's own appends and list requests are in this figure: an upper bound.
    let one_per_second = z.import_append_gap_ms >= 1000;
    rep.row(
        "import.steady_cpu_pct",
        "7. Import, steady state: this process's CPU while following (includes the bench's own appends and lists)",
        format!("{cpu_pct:.1} % of one core"),
        "—".into(),
        format!("{cpu_pct:.1} %"),
        if one_per_second { "≤ 2 %" } else { "context (the goal is at 1 line/s)" },
        one_per_second.then_some(cpu_pct <= 2.0),
        cpu_pct,
        "%",
        None,
        "",
    );
    rep.row(
        "import.steady_rss_mib",
        "7. Import, steady state: RSS growth while following",
        format!("{rss_grew_mib:+.1} MiB over {} lines", z.import_appends),
        format!("{} MiB at the start", rss0 / 1024),
        format!("{rss_grew_mib:+.1} MiB"),
        "flat (≤ +4 MiB)",
        Some(rss_grew_mib <= 4.0),
        rss_grew_mib,
        "MiB",
        None,
        "",
    );

    drop(engine);
    restart(ctx, rep, &claude, &data, &truth).await;
    rep.how(
        "7. Import of Claude Code transcripts",
        format!(
            "A corpus of {} transcripts ({}) in {} project folders, written in the real CLI's line shapes (prompts, bookkeeping \
             lines, assistant text and tool calls one line per content block with the message's usage repeated, tool results); \
             its sessions, turns and tokens are counted while it is written. Baseline, same run: a plain parse of every line \
             (read + `serde_json::Value`, nothing stored), after a first pass that warms the page cache for both sides. The \
             import then runs as the app's does: the listing pass (every new transcript read and counted, one row per session), \
             then the storing pass (every line stored, compressed, in transactions of up to {} lines per file; two threads read \
             files while one holds SQLite's writer). CPU seconds are this process's (utime + stime, every thread: the search \
             indexer's too), next to the wall time. While an import stores lines the search indexer indexes one batch a second; \
             its catch-up after the import is timed apart (wall and CPU, how many entries it had left), and the steady state \
             starts only once it has caught up: the terminal watch follows the first session while the bench appends {} lines, \
             one every {} ms, each timed until a follower of the session's output has it, with a list request after each; CPU and \
             RSS are taken over that window. Restart: a new engine on the same data directory (open, reconcile, the whole list), \
             the watch's first pass over the known transcripts, and opening one session's last 200 entries among all of them vs \
             the same transcript imported alone into an empty data directory.",
            truth.files,
            human_bytes(truth.bytes),
            z.import_projects,
            PASS_LINES,
            z.import_appends,
            z.import_append_gap_ms
        ),
    );
}

/// Restart with everything imported: a new engine on the same data directory lists every
/// session at once (nothing is read from the transcripts), the watch's first pass over the
/// known transcripts reads no line, and opening a session reads only its own rows — as
/// fast as in a data directory holding that session alone (the baseline, same run).
async fn restart(ctx: &Ctx, rep: &mut Report, claude: &Path, data: &Path, truth: &Truth) {
    let options = ImportOptions { claude_dir: Some(claude.to_string_lossy().into()), ..Default::default() };
    let t = Instant::now();
    let engine = Engine::open(data, EngineConfig::default()).expect("engine");
    engine.reconcile().await.expect("reconcile");
    let all = engine.list(&SessionFilter { origin: Some(SessionOrigin::Terminal), ..Default::default() }).expect("list");
    let restart_ms = ms(t.elapsed());
    assert_eq!(all.len() as u64, truth.files, "every session listed");
    let t = Instant::now();
    let rescan = engine.import_terminal_sessions(&options).expect("rescan");
    let rescan_ms = ms(t.elapsed());
    assert_eq!((rescan.lines, rescan.sessions_new), (0, 0), "a restart reads no transcript line again");
    let met = restart_ms <= 1000.0;
    rep.row(
        "import.restart_list_ms",
        &format!("7. Import, restart with everything imported: Engine::open + reconcile + the complete list ({} sessions)", all.len()),
        format!("{restart_ms:.0} ms; then the watch's first pass over the known transcripts {rescan_ms:.0} ms (0 lines read)"),
        "—".into(),
        format!("{restart_ms:.0} ms"),
        "≤ 1000 ms",
        Some(met),
        restart_ms,
        "ms",
        None,
        "",
    );

    // Opening a session: its last 200 entries, here among all the others, and in a data
    // directory where the same transcript is the only one imported.
    let target = discover(&claude.join("projects"), &ImportOptions::default()).remove(0);
    let alone = ctx.dir("import-alone");
    let project = alone.join("projects").join(target.parent().and_then(Path::file_name).expect("project"));
    std::fs::create_dir_all(&project).unwrap();
    std::fs::hard_link(&target, project.join(target.file_name().unwrap())).unwrap();
    let solo = Engine::open(&ctx.dir("import-alone-data"), EngineConfig::default()).expect("engine");
    solo.import_terminal_sessions(&ImportOptions { claude_dir: Some(alone.to_string_lossy().into()), ..Default::default() })
        .expect("import");
    let sid = target.file_stem().unwrap().to_string_lossy().into_owned();
    let open = |e: &Engine| {
        let id = e.find_by_agent_session_id(&sid).unwrap().expect("imported").id;
        let mut v: Vec<f64> = (0..30)
            .map(|_| {
                let t = Instant::now();
                assert!(!e.output_tail(&id, 200).unwrap().is_empty());
                ms(t.elapsed())
            })
            .collect();
        percentiles(&mut v).0
    };
    let (among, by_itself) = (open(&engine), open(&solo));
    let ratio = among / by_itself.max(1e-6);
    rep.row(
        "import.restart_open_ratio",
        "7. Import, restart: opening a session (its last 200 entries) among all, vs the same session alone in a data directory",
        format!("p50 {among:.2} ms"),
        format!("alone {by_itself:.2} ms"),
        format!("{ratio:.2} ×"),
        "≤ 2 × (reads only its own rows)",
        Some(ratio <= 2.0),
        ratio,
        "ratio",
        Some(by_itself),
        "",
    );
}

//! The process runner through the engine, with our fake agent (tests/fake-agent) playing
//! every kind of misbehaving program. After each, nothing of its process group is left.

use std::time::Duration;

use switchboard_core::*;

use crate::support::*;

fn agent(work: &std::path::Path, args: &[&str]) -> NewSession {
    let script = repo_root().join("tests/fake-agent/agent.mjs");
    let mut all = vec![script.to_str().unwrap()];
    all.extend_from_slice(args);
    command(work, "node", &all)
}

fn fast_engine(dir: &std::path::Path) -> Engine {
    engine(dir, ManualClock::new(), EngineConfig { stop_grace: Duration::from_millis(500), ..Default::default() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_output_is_kept_lossily_and_breaks_nothing() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = fast_engine(dir.path());
    let s = e.create(agent(work.path(), &["garbage"])).await.unwrap();
    let done = wait_final(&e, &s.id).await;
    assert_eq!(done.status, SessionStatus::Ended);
    let out = e.output(&s.id, 0, 1000).unwrap();
    assert!(out.iter().any(|o| o.payload.contains('\u{FFFD}')), "invalid UTF-8 became U+FFFD");
    assert!(out.iter().all(|o| !o.payload.ends_with('\r')), "CRLF line endings are trimmed");
    // Everything is readable back as views (nothing panics on odd bytes).
    for o in &out {
        let _ = EntryView::of(o);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_long_line_is_cut_with_a_marker_and_what_follows_is_kept() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = fast_engine(dir.path());
    let total = switchboard_core::runner::MAX_LINE_BYTES + 3 * 1024 * 1024;
    let s = e.create(agent(work.path(), &["huge-line", &total.to_string()])).await.unwrap();
    wait_final(&e, &s.id).await;
    let out = e.output(&s.id, 0, 100).unwrap();
    let big = out.iter().find(|o| o.payload.starts_with("aaaa")).expect("the long line");
    assert!(big.payload.len() < switchboard_core::runner::MAX_LINE_BYTES + 200);
    assert!(
        big.payload.ends_with(&format!("… [{} more bytes of this line were cut]", 3 * 1024 * 1024)),
        "{}",
        &big.payload[big.payload.len() - 80..]
    );
    assert!(out.iter().any(|o| o.payload == "after"), "the next line is intact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_program_and_one_that_ignores_sigterm_with_a_grandchild_are_stopped() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = fast_engine(dir.path());
    for scenario in ["hang", "ignore-term"] {
        let s = e.create(agent(work.path(), &[scenario])).await.unwrap();
        let pid = s.pid.unwrap();
        // Wait until it is ready (for ignore-term: its handler and grandchild are in place).
        let want = if scenario == "hang" { "hanging" } else { "ready" };
        let mut ready = false;
        for _ in 0..400 {
            if e.output(&s.id, 0, 100).unwrap().iter().any(|o| o.payload == want) {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(ready, "{scenario} never got ready");
        let ended = e.end(&s.id).await.unwrap();
        assert_eq!(ended.status, SessionStatus::Ended);
        assert!(!switchboard_core::runner::group_alive(pid), "{scenario}: the group (grandchild included) is gone");
        let exit = wait_until(&e, &s.id, 10, |s| s.exit_code.is_some() || s.pid.is_none()).await;
        assert!(exit.pid.is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_is_an_error_with_the_exit_code_and_100k_lines_are_all_stored_in_order() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = fast_engine(dir.path());
    let s = e.create(agent(work.path(), &["crash"])).await.unwrap();
    let done = wait_final(&e, &s.id).await;
    assert_eq!(done.status, SessionStatus::Error { message: "the process exited with code 3".into() });
    assert!(e.output(&s.id, 0, 100).unwrap().iter().any(|o| o.stream == Stream::Stderr && o.payload == "boom"));

    let s = e.create(agent(work.path(), &["lines", "100000"])).await.unwrap();
    let done = wait_final(&e, &s.id).await;
    assert_eq!(done.status, SessionStatus::Ended);
    let mut after = 0;
    let mut n = 0u64;
    loop {
        let page = e.output(&s.id, after, 10_000).unwrap();
        let Some(last) = page.last() else { break };
        for o in page.iter().filter(|o| o.stream == Stream::Stdout) {
            n += 1;
            assert_eq!(o.payload, format!("line {n}"));
        }
        after = last.seq;
    }
    assert_eq!(n, 100_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_and_folder_reach_the_program() {
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = fast_engine(dir.path());
    let mut req = agent(work.path(), &["env", "SB_TEST_VALUE"]);
    req.config.env.insert("SB_TEST_VALUE".into(), "from the session".into());
    let s = e.create(req).await.unwrap();
    wait_final(&e, &s.id).await;
    let lines: Vec<String> = e.output(&s.id, 0, 100).unwrap().into_iter().map(|o| o.payload).collect();
    assert!(lines.contains(&"from the session".to_string()), "{lines:?}");
    assert!(lines.contains(&format!("cwd {}", work.path().canonicalize().unwrap().display())), "{lines:?}");
    let bad = e.create(command(std::path::Path::new("/nonexistent/folder"), "true", &[])).await.unwrap_err();
    assert_eq!(bad.field(), Some("cwd"));
}

#[tokio::test]
async fn settings_are_validated_and_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let e = fast_engine(dir.path());
    assert_eq!(e.settings().unwrap(), Settings::default());
    let mut s = Settings { max_live_sessions: 0, ..Default::default() };
    assert_eq!(e.save_settings(&s).unwrap_err().field(), Some("max_live_sessions"));
    s.max_live_sessions = 12;
    s.agent_paths.claude = Some("relative/claude".into());
    assert_eq!(e.save_settings(&s).unwrap_err().field(), Some("agent_paths.claude"));
    s.agent_paths.claude = Some("/opt/claude/bin/claude".into());
    e.save_settings(&s).unwrap();
    drop(e);
    let again = fast_engine(dir.path());
    assert_eq!(again.settings().unwrap(), s);
    let info = again.agent_info(AgentKind::Claude);
    assert_eq!(info.path.as_deref(), Some("/opt/claude/bin/claude"));
    assert_eq!(info.source.as_deref(), Some("setting"));
    assert!(!info.installed);
}

// ---------------------------------------------------------------------------------------------
// The runner driven directly, and through helper processes.

use std::sync::{Arc, Mutex};

use switchboard_core::runner::{self, Exit, Launch, ProcessSink};

/// What one process printed and how it ended, for tests that drive the runner directly.
#[derive(Default)]
struct Collect {
    lines: Mutex<Vec<(Stream, String)>>,
    exit: Mutex<Option<Exit>>,
}

impl ProcessSink for Collect {
    fn line(&self, stream: Stream, line: String, _truncated: usize) {
        self.lines.lock().unwrap().push((stream, line));
    }
    fn exited(&self, exit: Exit) {
        *self.exit.lock().unwrap() = Some(exit);
    }
}

impl Collect {
    fn stdout(&self) -> Vec<String> {
        self.lines.lock().unwrap().iter().filter(|(s, _)| *s == Stream::Stdout).map(|(_, l)| l.clone()).collect()
    }

    /// Waits (at most `secs`) for the exit report.
    async fn exit(&self, secs: u64) -> Exit {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(e) = self.exit.lock().unwrap().clone() {
                return e;
            }
            assert!(std::time::Instant::now() < deadline, "no exit reported within {secs} s; output so far {:?}", self.stdout());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn agent_launch(work: &std::path::Path, args: &[&str]) -> Launch {
    let script = repo_root().join("tests/fake-agent/agent.mjs");
    Launch {
        program: "node".into(),
        args: std::iter::once(script.to_string_lossy().into_owned()).chain(args.iter().map(|a| a.to_string())).collect(),
        cwd: work.to_path_buf(),
        ..Default::default()
    }
}

/// Whether `pid` is a live process; a zombie is dead (only not reaped yet).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rfind(')').and_then(|i| stat[i + 1..].split_whitespace().next()).is_some_and(|s| s != "Z" && s != "X"),
        Err(_) => false,
    }
}

/// Polls (at most `secs`) until `pid` is dead.
async fn wait_dead(pid: u32, secs: u64) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while alive(pid) {
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// SIGKILLs a pid when dropped, so a failing test does not leak the process it checks.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if alive(self.0) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.0 as i32), nix::sys::signal::Signal::SIGKILL);
        }
    }
}

/// The pid in a `grandchild <pid>` line, once the session printed it.
async fn grandchild_of(e: &Engine, id: &str) -> u32 {
    for _ in 0..400 {
        let out = e.output(id, 0, 100).unwrap();
        if let Some(pid) = out.iter().find_map(|o| o.payload.strip_prefix("grandchild ").and_then(|p| p.parse().ok())) {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the agent never reported its grandchild");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemonized_grandchild_holding_stdout_neither_hangs_the_session_nor_survives_it() {
    // As the app and the CLI do at start: the orphaned grandchild is reparented to us, and
    // the runner must reap it, not only kill it.
    runner::become_subreaper().unwrap();
    let (dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let e = fast_engine(dir.path());

    // The agent exits at once; its setsid'd grandchild keeps stdout open.
    let s = e.create(agent(work.path(), &["daemonize"])).await.unwrap();
    let grandchild = grandchild_of(&e, &s.id).await;
    let _guard = KillOnDrop(grandchild);
    let t0 = std::time::Instant::now();
    let done = wait_final(&e, &s.id).await;
    eprintln!("daemonize: exit reported {:?} after the grandchild was seen", t0.elapsed());
    assert_eq!(done.status, SessionStatus::Ended);
    assert!(wait_dead(grandchild, 5).await, "the setsid'd grandchild {grandchild} outlived its session");
    assert!(!std::path::Path::new(&format!("/proc/{grandchild}")).exists(), "the grandchild was reparented to us and is reaped");

    // The agent stays: ending the session stops the grandchild too, in bounded time.
    let s = e.create(agent(work.path(), &["daemonize", "--hang"])).await.unwrap();
    let grandchild = grandchild_of(&e, &s.id).await;
    let _guard = KillOnDrop(grandchild);
    let t0 = std::time::Instant::now();
    let ended = tokio::time::timeout(Duration::from_secs(15), e.end(&s.id)).await.expect("ending the session returns");
    eprintln!("daemonize --hang: end() took {:?}", t0.elapsed());
    assert_eq!(ended.unwrap().status, SessionStatus::Ended);
    assert!(wait_dead(grandchild, 5).await, "the setsid'd grandchild {grandchild} outlived its session");
    wait_until(&e, &s.id, 10, |s| s.pid.is_none()).await;
}

/// Set in the environment of this test binary when it runs as a helper process.
const HELPER_ENV: &str = "SB_RUNNER_TEST_HELPER";

/// Runs this test binary again as a helper process doing `mode` (see
/// `helper_process`), with `env` added to its environment.
fn helper(mode: &str, env: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--ignored", "--exact", "runner::helper_process", "--nocapture", "--test-threads=1"]).env(HELPER_ENV, mode);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Not a test: the body of the helper process that `helper` starts (does nothing when run
/// otherwise). `hang`: runs the `hang` agent, prints `agent-pid <pid>` once the agent is
/// up, waits forever.
/// `env`: prints `env <NAME> <value>` for the environment agents get, and what an explicit
/// per-launch value of CLAUDECODE becomes.
#[test]
#[ignore = "a helper process that other tests start"]
fn helper_process() {
    let Ok(mode) = std::env::var(HELPER_ENV) else { return };
    // libtest has printed "test helper_process ... " without a newline: end that line.
    println!();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(async {
        let work = std::env::temp_dir();
        match mode.as_str() {
            "hang" => {
                let sink = Arc::new(Collect::default());
                let h = runner::spawn(&agent_launch(&work, &["hang"]), sink.clone()).unwrap();
                // Once it printed, it writes nothing more: it cannot die of a broken pipe
                // (EPIPE) when this process is gone, only of the parent-death signal.
                while !sink.stdout().iter().any(|l| l == "hanging") {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                println!("agent-pid {}", h.pid());
                std::future::pending::<()>().await;
            }
            "env" => {
                let names = [
                    "CLAUDECODE",
                    "CLAUDE_CODE_ENTRYPOINT",
                    "CLAUDE_CODE_SSE_PORT",
                    "CLAUDE_CODE_SESSION_ID",
                    "CLAUDE_CODE_CHILD_SESSION",
                    "SB_INHERITED",
                ];
                for name in names {
                    let sink = Arc::new(Collect::default());
                    runner::spawn(&agent_launch(&work, &["env", name]), sink.clone()).unwrap();
                    sink.exit(10).await;
                    println!("env {name} {}", sink.stdout().first().cloned().unwrap_or_default());
                }
                let sink = Arc::new(Collect::default());
                let mut launch = agent_launch(&work, &["env", "CLAUDECODE"]);
                launch.env.insert("CLAUDECODE".into(), "set by the user".into());
                runner::spawn(&launch, sink.clone()).unwrap();
                sink.exit(10).await;
                println!("explicit CLAUDECODE {}", sink.stdout().first().cloned().unwrap_or_default());
            }
            other => panic!("unknown helper mode {other}"),
        }
    });
}

#[test]
fn variables_that_mark_a_claude_code_session_are_not_passed_on_unless_set_for_the_session() {
    // Started from a Claude Code terminal, Switchboard has these in its environment; a Claude
    // started with them refuses to run ("nested session"). Setting them in this process would
    // race the other tests' spawns, so a helper process runs with them.
    let out = helper(
        "env",
        &[
            ("CLAUDECODE", "1"),
            ("CLAUDE_CODE_ENTRYPOINT", "cli"),
            ("CLAUDE_CODE_SSE_PORT", "4242"),
            ("CLAUDE_CODE_SESSION_ID", "11111111-2222-3333-4444-555555555555"),
            ("CLAUDE_CODE_CHILD_SESSION", "1"),
            ("SB_INHERITED", "kept"),
        ],
    )
    .output()
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "helper failed: {text}\n{}", String::from_utf8_lossy(&out.stderr));
    for name in ["CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT", "CLAUDE_CODE_SSE_PORT", "CLAUDE_CODE_SESSION_ID", "CLAUDE_CODE_CHILD_SESSION"] {
        assert!(text.lines().any(|l| l == format!("env {name} <unset>")), "{name} reached the agent:\n{text}");
    }
    assert!(text.lines().any(|l| l == "env SB_INHERITED kept"), "the rest of the environment is inherited:\n{text}");
    assert!(text.lines().any(|l| l == "explicit CLAUDECODE set by the user"), "a value set for the session wins:\n{text}");
}

#[tokio::test]
async fn an_agent_does_not_outlive_the_process_that_started_it_even_after_sigkill() {
    use std::io::BufRead;
    let mut parent = helper("hang", &[]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let stdout = parent.stdout.take().unwrap();
    // Blocking reads on a thread of their own: the helper prints its agent's pid at once.
    let pid = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("agent-pid ").and_then(|p| p.parse::<u32>().ok()))
    })
    .await
    .unwrap()
    .expect("the helper reports its agent's pid");
    let _guard = KillOnDrop(pid);
    assert!(alive(pid));
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(parent.id() as i32), nix::sys::signal::Signal::SIGKILL).unwrap();
    parent.wait().unwrap();
    let t0 = std::time::Instant::now();
    assert!(wait_dead(pid, 10).await, "agent {pid} outlived its SIGKILLed parent");
    eprintln!("agent gone {:?} after its parent was SIGKILLed", t0.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_data_reaches_the_program_on_stdin_which_is_then_closed() {
    let work = tempfile::tempdir().unwrap();
    let big = "p".repeat(200 * 1024);
    let mut launch = agent_launch(work.path(), &["echo-stdin"]);
    launch.stdin_data = Some(format!("first\nsecond\n{big}\n"));
    let sink = Arc::new(Collect::default());
    runner::spawn(&launch, sink.clone()).unwrap();
    // echo-stdin exits at the end of its input: the exit proves stdin was closed.
    let exit = sink.exit(20).await;
    assert!(exit.success(), "{exit:?}");
    assert_eq!(sink.stdout(), ["got: first".to_string(), "got: second".into(), format!("got: {big}")]);
    assert!(!launch.display().contains("pppp"), "{}", launch.display());
    assert!(launch.display().ends_with(&format!("<prompt on stdin: {} chars>", big.len() + 14)), "{}", launch.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_argument_file_is_private_to_the_user_and_deleted_after_the_exit() {
    let work = tempfile::tempdir().unwrap();
    let launch = Launch {
        program: "sh".into(),
        // $1 is the appended `--system-prompt-file=PATH`.
        args: vec!["-c".into(), r#"f="${1#*=}"; stat -c %a "$f"; cat "$f"; echo; echo "$f""#.into(), "sh".into()],
        cwd: work.path().to_path_buf(),
        arg_file: Some(runner::ArgFile { flag: "--system-prompt-file".into(), contents: "be brief, the secret is 42".into() }),
        ..Default::default()
    };
    let sink = Arc::new(Collect::default());
    runner::spawn(&launch, sink.clone()).unwrap();
    assert!(sink.exit(20).await.success());
    let out = sink.stdout();
    assert_eq!(out[..2], ["600".to_string(), "be brief, the secret is 42".into()], "{out:?}");
    let path = std::path::PathBuf::from(&out[2]);
    assert!(path.is_absolute(), "{out:?}");
    assert!(!path.exists(), "the file is deleted once the process is gone");
    assert!(!launch.display().contains("secret"), "{}", launch.display());
    assert!(launch.display().ends_with("--system-prompt-file=<file: 26 chars>"), "{}", launch.display());
}

#[test]
fn a_recorded_process_is_the_same_only_with_the_same_start_time_and_boot() {
    use switchboard_core::procid::{boot_id, ProcessId};
    let me = ProcessId::me();
    let boot = boot_id().expect("a boot id");
    assert_eq!(boot.len(), 36, "a UUID: {boot}");
    assert!(me.is_alive());
    assert!(ProcessId { boot: None, ..me.clone() }.is_alive(), "a record from before boot ids were kept");
    assert!(!ProcessId { boot: Some("00000000-0000-0000-0000-000000000000".into()), ..me.clone() }.is_alive(), "another boot");
    assert!(!ProcessId { start: me.start.map(|s| s + 1), ..me.clone() }.is_alive(), "another start time: a reused pid");
    assert!(!ProcessId { start: None, ..me.clone() }.is_alive(), "nothing to compare");
    // A process that is gone, after it was reaped.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let gone = ProcessId::of(child.id());
    child.wait().unwrap();
    assert!(!gone.is_alive());
}

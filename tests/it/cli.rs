//! The headless command line of the real binary.

use std::process::Command;

use serde_json::Value;
use switchboard_core::{Engine, EngineConfig, NewSession, SessionConfig};

use crate::support::{bin, temp_dir};
#[allow(unused_imports)]
use std::path::Path;

#[tokio::test]
async fn ls_json_prints_sessions_without_a_window() {
    let dir = temp_dir();
    let work = temp_dir();
    {
        let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
        let s = engine
            .create(NewSession {
                cwd: work.path().to_string_lossy().into(),
                title: Some("listed".into()),
                task_id: Some("task-7".into()),
                config: SessionConfig { program: Some("true".into()), ..Default::default() },
                ..Default::default()
            })
            .await
            .expect("create");
        engine.end(&s.id).await.expect("end");
    }
    // No DISPLAY: proves no window is opened.
    let out = Command::new(bin())
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["ls", "--json"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run switchboard");
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let list: Value = serde_json::from_slice(&out.stdout).expect("JSON array");
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["title"], "listed");
    assert_eq!(list[0]["task_id"], "task-7");
    assert_eq!(list[0]["agent"], "command");
    for field in ["id", "status", "cwd", "created_at", "last_activity", "expires_at", "ended_at", "message_count"] {
        assert!(list[0].get(field).is_some(), "missing {field}");
    }

    // Filters, and SWITCHBOARD_DATA_DIR in place of --data-dir.
    let out = Command::new(bin())
        .args(["ls", "--json", "--task", "other"])
        .env("SWITCHBOARD_DATA_DIR", dir.path())
        .output()
        .expect("run switchboard");
    assert!(out.status.success());
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).expect("json"), Value::Array(vec![]));
}

#[test]
fn ls_rejects_a_bad_filter_with_a_clear_message() {
    let dir = temp_dir();
    let out = Command::new(bin()).arg("--data-dir").arg(dir.path()).args(["ls", "--agent", "robot"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown agent 'robot'"), "{stderr}");
}

#[test]
fn data_dir_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let parent = temp_dir();
    let dir = parent.path().join("data");
    let out = Command::new(bin()).arg("--data-dir").arg(&dir).args(["ls"]).output().expect("run");
    assert!(out.status.success());
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("switchboard.db")), 0o600);
}

fn sb(data: &std::path::Path) -> Command {
    let mut c = Command::new(bin());
    c.arg("--data-dir").arg(data).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    c
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

#[test]
fn run_a_command_streams_its_output_and_exits_with_its_status() {
    let (dir, work) = (temp_dir(), temp_dir());
    let out = sb(dir.path())
        .args(["run", "--agent", "command", "--cwd"])
        .arg(work.path())
        .args(["--task", "T-9", "--", "node", &crate::support::fake_agent(), "normal"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("hello from fake agent"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("a note on stderr"));

    let out = sb(dir.path())
        .args(["run", "--agent", "command", "--json", "--cwd"])
        .arg(work.path())
        .args(["--", "node", &crate::support::fake_agent(), "crash"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a failed session exits non-zero");
    let s = json_of(&out);
    assert_eq!(s["status"]["state"], "error");
    assert_eq!(s["exit_code"], 3);
    let id = s["id"].as_str().unwrap().to_string();

    let shown = json_of(&sb(dir.path()).args(["show", &id, "--json", "--output"]).output().unwrap());
    let texts: Vec<String> =
        shown["output"].as_array().unwrap().iter().filter_map(|i| i["view"]["text"].as_str().map(String::from)).collect();
    assert!(texts.contains(&"about to crash".to_string()), "{texts:?}");

    let m = json_of(&sb(dir.path()).args(["metrics", "--json"]).output().unwrap());
    for k in [
        "total",
        "active",
        "by_status",
        "by_agent",
        "errors",
        "avg_duration_ms",
        "total_created",
        "input_tokens",
        "output_tokens",
        "cost_usd",
    ] {
        assert!(m.get(k).is_some(), "metrics.{k}");
    }
    assert_eq!((m["total"].as_u64(), m["errors"].as_u64()), (Some(2), Some(1)));

    let t = json_of(&sb(dir.path()).args(["task", "T-9", "--json"]).output().unwrap());
    assert_eq!(t["sessions"].as_array().unwrap().len(), 1);
    let kinds: Vec<&str> = t["log"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"created"));

    assert!(sb(dir.path()).args(["rm", &id]).output().unwrap().status.success());
    let gone = sb(dir.path()).args(["show", &id]).output().unwrap();
    assert_eq!(gone.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("not found"));
}

#[test]
fn run_send_end_with_the_real_claude_cli() {
    let (dir, work, home) = (temp_dir(), temp_dir(), temp_dir());
    let api = crate::support::FakeApi::start();
    let env = api.claude_env(home.path());
    let out = sb(dir.path())
        .envs(env.clone())
        .args(["run", "--agent", "claude", "--cwd"])
        .arg(work.path())
        .args(["--", "Say", "hello"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Hello from the fake API."), "{stdout}");
    let id = stdout.lines().next().unwrap().split_whitespace().nth(1).unwrap().to_string();

    let s = json_of(&sb(dir.path()).args(["show", &id, "--json"]).output().unwrap());
    assert_eq!(s["status"]["state"], "ended", "run lets the agent go when the turn is over");
    assert_eq!(s["turns"], 1);
    assert!(s["cost_usd"].as_f64().unwrap() > 0.0);
    assert!(s["agent_session_id"].is_string());

    let sent = sb(dir.path()).envs(env.clone()).args(["send", &id, "again", "--json"]).output().unwrap();
    let r = json_of(&sent);
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(r["output"], "Hello from the fake API.");
    assert_eq!(r["session"]["turns"], 2);
    assert_eq!(r["session"]["agent_session_id"], s["agent_session_id"], "the same conversation, resumed");

    let failed = sb(dir.path())
        .envs(env)
        .args(["run", "--agent", "claude", "--json", "--cwd"])
        .arg(work.path())
        .args(["--", "[[error 529]]"])
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    let f = json_of(&failed);
    assert_eq!(f["status"]["state"], "error");
    assert!(f["last_error"].as_str().unwrap().contains("529"));

    let listed = json_of(&sb(dir.path()).args(["ls", "--json", "--agent", "claude", "--status", "error"]).output().unwrap());
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

/// Live typing in the terminal (issue 14): `run` prints the reply as it is written — its
/// first words about 2 s before the turn ends on a 20-delta reply — and the final message
/// adds only the rest: the whole reply once, on one line.
#[test]
fn run_prints_the_reply_as_it_is_typed() {
    use std::io::Read;
    let (dir, work, home) = (temp_dir(), temp_dir(), temp_dir());
    let api = crate::support::FakeApi::start();
    let mut child = sb(dir.path())
        .envs(api.claude_env(home.path()))
        .args(["run", "--agent", "claude", "--cwd"])
        .arg(work.path())
        .args(["--", "[[slow 20]]"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let started = std::time::Instant::now();
    let (mut all, mut buf) = (String::new(), [0u8; 4096]);
    let (mut first_words, mut done) = (None, None);
    loop {
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        all.push_str(&String::from_utf8_lossy(&buf[..n]));
        if first_words.is_none() && all.contains("chunk 1 ") {
            first_words = Some(started.elapsed());
        }
        if done.is_none() && all.contains("-- done") {
            done = Some(started.elapsed());
        }
    }
    assert!(child.wait().unwrap().success(), "{all}");
    let (first_words, done) = (first_words.expect(&all), done.expect(&all));
    assert!(done - first_words > std::time::Duration::from_millis(1000), "typed at {first_words:?}, done at {done:?}:\n{all}");
    let full = (1..=20).map(|i| format!("chunk {i}")).collect::<Vec<_>>().join(" ") + ".";
    assert_eq!(all.matches("chunk 1 ").count(), 1, "{all}");
    assert!(all.lines().any(|l| l == full), "{all}");
}

/// `run --agent gemini` prints the answer (the CLI streams it only in pieces), in a folder
/// the Gemini CLI was never told to trust.
#[test]
fn run_with_the_real_gemini_cli_shows_the_answer() {
    let (dir, work, home) = (temp_dir(), temp_dir(), temp_dir());
    let api = crate::support::FakeApi::start();
    let out = sb(dir.path())
        .envs(api.gemini_env(home.path()))
        .env("SWITCHBOARD_GEMINI_BIN", crate::support::fake_api::gemini_bin())
        .args(["run", "--agent", "gemini", "--cwd"])
        .arg(work.path())
        .args(["--", "say hi"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("FAKE-OK: say hi"), "{stdout}");
}

/// `run --agent codex` in a folder that is not a git repository, over a stream that drops
/// once (Codex reconnects): the answer, and a clean exit.
#[test]
fn run_with_the_real_codex_cli_outside_git_survives_a_reconnect() {
    let (dir, work) = (temp_dir(), temp_dir());
    // CODEX_HOME outside the system temp folder, or Codex has no sandbox helper.
    let home = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let api = crate::support::FakeApi::start();
    let out = sb(dir.path())
        .envs(api.codex_env(home.path()))
        .env("SWITCHBOARD_CODEX_BIN", crate::support::fake_api::codex_bin())
        .args(["run", "--agent", "codex", "--cwd"])
        .arg(work.path())
        .args(["--", "[[flaky 1]] then answer"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("FAKE-OK: [[flaky 1]] then answer"), "{stdout}");
}

/// `run` in one process waits on a tool permission; `allow` / `deny` from another answer it.
#[test]
fn permissions_across_processes_run_waits_allow_and_deny_answer() {
    let (dir, work, home) = (temp_dir(), temp_dir(), temp_dir());
    let api = crate::support::FakeApi::start();
    let env = api.claude_env(home.path());
    let work_dir = work.path().canonicalize().unwrap();
    for (name, allow) in [("yes.txt", true), ("no.txt", false)] {
        let target = work_dir.join(name);
        let run = sb(dir.path())
            .envs(env.clone())
            .args(["run", "--agent", "claude", "--json", "--cwd"])
            .arg(&work_dir)
            .arg("--")
            .arg(format!("[[tool:write {} written by the agent]]", target.display()))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut pending = Value::Null;
        for _ in 0..300 {
            let p = json_of(&sb(dir.path()).args(["pending", "--json"]).output().unwrap());
            if p.as_array().is_some_and(|a| !a.is_empty()) {
                pending = p[0].clone();
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        if pending.is_null() {
            let mut run = run;
            let _ = run.kill();
            let out = run.wait_with_output().unwrap();
            panic!("the request never showed up in `switchboard pending`; run said: {}", String::from_utf8_lossy(&out.stdout));
        }
        assert_eq!(pending["tool_name"], "Write");
        assert_eq!(pending["input"]["file_path"], target.to_string_lossy().as_ref());
        let session = pending["session_id"].as_str().unwrap();
        let request = pending["request_id"].as_str().unwrap();
        let shown = json_of(&sb(dir.path()).args(["show", session, "--json"]).output().unwrap());
        assert_eq!(shown["status"]["state"], "waiting_input");
        let answer = if allow {
            sb(dir.path()).args(["allow", session, request]).output().unwrap()
        } else {
            sb(dir.path()).args(["deny", session, request, "--message", "Not today."]).output().unwrap()
        };
        assert!(answer.status.success(), "{}", String::from_utf8_lossy(&answer.stderr));
        let out = run.wait_with_output().unwrap();
        assert!(out.status.success(), "the turn ends cleanly either way: {}", String::from_utf8_lossy(&out.stdout));
        assert_eq!(target.exists(), allow);
        let s: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(s["status"]["state"], "ended");
        let log = json_of(&sb(dir.path()).args(["show", session, "--json", "--output"]).output().unwrap());
        let texts: Vec<String> =
            log["output"].as_array().unwrap().iter().filter_map(|i| i["view"]["text"].as_str().map(String::from)).collect();
        let expected = if allow { format!("Wrote {}.", target.display()) } else { "Write was refused: Not today.".to_string() };
        assert!(texts.contains(&expected), "{texts:?}");
    }
    assert_eq!(json_of(&sb(dir.path()).args(["pending", "--json"]).output().unwrap()), Value::Array(vec![]));
}

/// A `switchboard run` stopped when a test fails before waiting for it (it would hold the
/// test's pipes open).
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `pending` shows the whole command (every line, nothing cut), and `allow --always
/// --prefix` saves the rule it prints, for the running agent only.
#[test]
fn pending_shows_the_whole_input_and_allow_always_saves_the_prefix_it_prints() {
    let (dir, work, home) = (temp_dir(), temp_dir(), temp_dir());
    let api = crate::support::FakeApi::start();
    let work_dir = work.path().canonicalize().unwrap();
    let long = format!("echo {}", "x".repeat(200));
    let command = format!("touch one; {long}\necho second-line-marker");
    let mut run = KillOnDrop(Some(
        sb(dir.path())
            .envs(api.claude_env(home.path()))
            .args(["run", "--agent", "claude", "--json", "--cwd"])
            .arg(&work_dir)
            .arg("--")
            .arg(format!("[[tool:bash {command}]]"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let mut pending = Value::Null;
    for _ in 0..300 {
        let p = json_of(&sb(dir.path()).args(["pending", "--json"]).output().unwrap());
        if p.as_array().is_some_and(|a| !a.is_empty()) {
            pending = p[0].clone();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!pending.is_null(), "the request never showed up in `switchboard pending`");
    assert_eq!(pending["input"]["command"], command.as_str(), "--json has the input whole");
    let session = pending["session_id"].as_str().unwrap().to_string();
    let request = pending["request_id"].as_str().unwrap().to_string();

    let text = sb(dir.path()).args(["pending"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(&format!("$ touch one; {long}")), "the whole first line: {text}");
    assert!(text.contains("    echo second-line-marker"), "every line: {text}");
    assert!(text.contains("--always would save: Bash(touch one:*)"), "the proposed rule: {text}");

    let refused = sb(dir.path()).args(["allow", &session, &request, "--prefix", "touch"]).output().unwrap();
    assert!(!refused.status.success(), "--prefix needs --always");
    let bad = sb(dir.path()).args(["allow", &session, &request, "--always", "--prefix", "touch; rm"]).output().unwrap();
    assert!(
        !bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("shell control"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );

    let allowed = sb(dir.path()).args(["allow", &session, &request, "--always", "--prefix", "touch"]).output().unwrap();
    assert!(allowed.status.success(), "{}", String::from_utf8_lossy(&allowed.stderr));
    let said = String::from_utf8_lossy(&allowed.stdout);
    assert!(said.contains("saved rule") && said.contains("Bash(touch:*)"), "{said}");

    let out = run.0.take().unwrap().wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(work_dir.join("one").exists(), "the allowed command ran");
    let rules = sb(dir.path()).args(["rules", &session]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&rules.stdout).contains("No rules"),
        "the rule ended with its agent: {}",
        String::from_utf8_lossy(&rules.stdout)
    );
    assert_eq!(json_of(&sb(dir.path()).args(["rules", &session, "--json"]).output().unwrap()), Value::Array(vec![]));
}

/// The engine crate builds without Tauri: no tauri crate in its dependency tree.
#[test]
fn the_core_crate_has_no_tauri_dependency() {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", "switchboard-core", "--edges", "normal,build", "--prefix", "none", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(tree.lines().count() > 20, "a real tree: {tree}");
    let crate_name = |l: &str| l.split_whitespace().next().unwrap_or("").to_string();
    let tauri: Vec<String> =
        tree.lines().map(crate_name).filter(|n| n.starts_with("tauri") || n == "wry" || n.starts_with("webkit2gtk")).collect();
    assert!(tauri.is_empty(), "switchboard-core depends on {tauri:?}");
}

// ---- The data directory (item 22) ------------------------------------------------------------

fn mode_of(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).expect("meta").permissions().mode() & 0o777
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A data directory that is not Switchboard's is refused whole: one line on stderr naming the
/// path and the problem, exit code 2, its mode untouched, nothing written or deleted.
#[test]
fn a_data_dir_that_is_not_ours_is_refused_and_left_alone() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let t = temp_dir();
    // Like `--data-dir ~`: a non-empty folder of the user's.
    let home = t.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join(".bashrc"), "# mine").unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A folder whose switchboard.db is a symlink to someone's file.
    let linked = t.path().join("linked");
    std::fs::create_dir(&linked).unwrap();
    let victim = t.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    symlink(&victim, linked.join("switchboard.db")).unwrap();
    // A file, and a dangling symlink.
    let file = t.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let dangling = t.path().join("dangling");
    symlink(t.path().join("nowhere"), &dangling).unwrap();

    for (dir, problem) in [
        (&home, "is not empty and holds no switchboard.db"),
        (&linked, "is a symbolic link"),
        (&file, "is not a folder"),
        (&dangling, "which does not exist"),
    ] {
        let out = sb(dir).args(["ls", "--json"]).output().unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", dir.display());
        assert!(out.stdout.is_empty(), "nothing on stdout");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(&*dir.to_string_lossy()) && stderr.contains(problem), "{stderr}");
    }
    assert_eq!(mode_of(&home), 0o755, "the home-like folder kept its mode");
    assert!(!home.join("switchboard.db").exists(), "and got no database");
    assert_eq!(mode_of(&victim), 0o644, "the symlink's target kept its mode");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x", "nothing deleted");
    assert!(std::fs::symlink_metadata(&dangling).is_ok() && !t.path().join("nowhere").exists());
}

/// Existing database files with loose modes (an old version, a restored backup) are made 0600.
#[test]
fn loose_modes_of_all_database_files_are_fixed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir();
    assert!(sb(dir.path()).args(["ls"]).output().unwrap().status.success());
    for name in ["switchboard.db", "switchboard.db-wal", "switchboard.db-shm", "migrate.lock"] {
        let p = dir.path().join(name);
        if !p.exists() {
            std::fs::write(&p, "").unwrap();
        }
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = sb(dir.path()).args(["ls", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(mode_of(dir.path()), 0o700);
    for name in ["switchboard.db", "switchboard.db-wal", "switchboard.db-shm", "migrate.lock"] {
        let p = dir.path().join(name);
        if p.exists() {
            assert_eq!(mode_of(&p), 0o600, "{name}");
        }
    }
    assert_eq!(mode_of(&dir.path().join("migrate.lock")), 0o600);
}

// ---- Errors and what reaches the terminal (item 19) -------------------------------------------

/// A program that cannot start: the reason is on stderr (not only in the stdout stream).
#[test]
fn why_a_program_could_not_start_is_on_stderr() {
    let (dir, work) = (temp_dir(), temp_dir());
    for json in [false, true] {
        let mut cmd = sb(dir.path());
        cmd.args(["run", "--agent", "command", "--cwd"]).arg(work.path());
        if json {
            cmd.arg("--json");
        }
        let out = cmd.args(["--", "/no/such/program-xyz"]).output().unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr.contains("could not start '/no/such/program-xyz': no such program"), "json={json}: {stderr:?}");
    }
}

/// A 10,000-character id (or agent name, status, permission mode) is echoed shortened.
#[test]
fn long_values_are_echoed_shortened_in_errors() {
    let dir = temp_dir();
    let long = "x".repeat(10_000);
    for (args, code) in [
        (vec!["show", long.as_str()], 1),
        (vec!["rm", long.as_str()], 1),
        (vec!["end", long.as_str()], 1),
        (vec!["ls", "--agent", long.as_str()], 2),
        (vec!["ls", "--status", long.as_str()], 2),
    ] {
        let out = sb(dir.path()).args(&args).output().unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(code), "{}: {stderr}", args[0]);
        assert!(stderr.len() < 300, "{} chars: {}", stderr.len(), &stderr[..300.min(stderr.len())]);
        assert!(stderr.contains("…(10000 chars)"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1);
    }
}

/// Escape sequences in a program's output (OSC 52 clipboard write, a title change, colours)
/// do not reach the terminal from `run` or `show --output`; `--json` keeps them, escaped.
#[test]
fn escape_sequences_in_output_do_not_reach_the_terminal() {
    let (dir, work) = (temp_dir(), temp_dir());
    let evil = "a\u{1b}]52;c;ZXZpbA==\u{7}b\u{1b}]0;owned\u{1b}\\c\u{1b}[31md\u{9b}2Je\rf\tg";
    let out = sb(dir.path())
        .args(["run", "--agent", "command", "--cwd"])
        .arg(work.path())
        .args(["--", "printf", "%s\\n", evil])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("abcdef\tg"), "{stdout:?}");
    let id = stdout.lines().next().unwrap().split_whitespace().nth(1).unwrap().to_string();
    let shown = sb(dir.path()).args(["show", &id, "--output"]).output().unwrap();
    let text = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(text.contains("abcdef\tg"), "{text:?}");
    for printed in [&stdout, &text] {
        assert!(!printed.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "{printed:?}");
    }
    let json = sb(dir.path()).args(["show", &id, "--json", "--output"]).output().unwrap();
    let raw = String::from_utf8_lossy(&json.stdout).into_owned();
    assert!(!raw.chars().any(|c| c.is_control() && c != '\n'), "JSON escapes them");
    let v = json_of(&json);
    let texts: Vec<&str> = v["output"].as_array().unwrap().iter().filter_map(|i| i["view"]["text"].as_str()).collect();
    assert!(texts.contains(&evil), "the exact text is in the JSON: {texts:?}");
}

/// A folder the user cannot enter is named as the problem, not the program.
#[test]
fn a_folder_that_cannot_be_entered_is_reported_as_such() {
    use std::os::unix::fs::PermissionsExt;
    let t = temp_dir();
    let (data, work) = (t.path().join("data"), t.path().join("locked"));
    std::fs::create_dir(&work).unwrap();
    std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = sb(&data);
    // root enters any folder: run the CLI as nobody then, with a data dir nobody owns.
    if my_euid() == 0 {
        std::fs::create_dir(&data).unwrap();
        chown_nobody(&data);
        chown_nobody(&work);
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(bin()).arg("--data-dir").arg(&data);
        cmd = c;
    }
    let out = cmd.args(["run", "--agent", "command", "--cwd"]).arg(&work).args(["--", "true"]).output().unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("You cannot enter the folder '{}' (permission denied).", work.display())), "{stderr}");
    assert!(!stderr.contains("is it executable"), "{stderr}");
}

fn my_euid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    // The owner of a file we just created is our effective uid.
    let t = temp_dir();
    let p = t.path().join("me");
    std::fs::write(&p, "").unwrap();
    std::fs::metadata(&p).unwrap().uid()
}

fn chown_nobody(p: &Path) {
    std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
}

// ---- Environment values are never printed (item 17) -------------------------------------------

const SECRET: &str = "sk-live-s3cr3t-value";

#[tokio::test]
async fn ls_show_and_task_print_environment_names_but_not_values() {
    let (dir, work) = (temp_dir(), temp_dir());
    let id = {
        let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
        let s = engine
            .create(NewSession {
                cwd: work.path().to_string_lossy().into(),
                task_id: Some("T-env".into()),
                config: SessionConfig {
                    program: Some("true".into()),
                    env: [("API_TOKEN".to_string(), SECRET.to_string())].into_iter().collect(),
                    ..Default::default()
                },
                ..Default::default()
            })
            .await
            .expect("create");
        engine.end(&s.id).await.expect("end");
        s.id
    };
    for args in
        [vec!["ls", "--json"], vec!["show", id.as_str(), "--json"], vec!["task", "T-env", "--json"], vec!["show", id.as_str()], vec!["ls"]]
    {
        let out = sb(dir.path()).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains(SECRET), "{args:?} printed the value: {stdout}");
        if args.contains(&"--json") {
            let v = json_of(&out);
            let session = if args[0] == "ls" {
                &v[0]
            } else if args[0] == "task" {
                &v["sessions"][0]
            } else {
                &v
            };
            assert_eq!(session["config"]["env"]["API_TOKEN"], "<redacted>", "{args:?}: the name stays");
        }
    }
    // The stored value is intact: the engine still has it.
    let engine = Engine::open(dir.path(), EngineConfig::default()).expect("engine");
    assert_eq!(engine.get(&id).unwrap().config.env["API_TOKEN"], SECRET);
}

// ---- Ctrl-C stops the agent and exits 130 (item 11) --------------------------------------------

fn wait_until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// SIGINT (and SIGTERM) to `switchboard run`: the agent's process group is stopped, the
/// session is `interrupted` (resumable), the exit code is 128 + the signal.
#[test]
fn ctrl_c_on_run_stops_the_agent_and_marks_the_session_interrupted() {
    for (signal, code) in [(nix_signal::SIGINT, 130), (nix_signal::SIGTERM, 143)] {
        let (dir, work) = (temp_dir(), temp_dir());
        let mut run = sb(dir.path())
            .args(["run", "--agent", "command", "--cwd"])
            .arg(work.path())
            .args(["--", "node", &crate::support::fake_agent(), "hang"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = wait_until("the agent to run", || {
            let list = json_of(&sb(dir.path()).args(["ls", "--json"]).output().unwrap());
            let s = list.get(0)?;
            (s["status"]["state"] == "running").then(|| s["pid"].as_u64()).flatten()
        });
        assert!(Path::new(&format!("/proc/{pid}")).exists());
        // Let the agent print "hanging" so that it is past its start-up.
        wait_until("the agent's first line", || {
            let id = json_of(&sb(dir.path()).args(["ls", "--json"]).output().unwrap())[0]["id"].as_str()?.to_string();
            let out = sb(dir.path()).args(["show", &id, "--output"]).output().ok()?;
            String::from_utf8_lossy(&out.stdout).contains("hanging").then_some(())
        });
        send_signal(run.id(), signal);
        let status = wait_until("the CLI to exit", || run.try_wait().unwrap());
        let mut stderr = String::new();
        let _ = std::io::Read::read_to_string(run.stderr.as_mut().unwrap(), &mut stderr);
        assert_eq!(status.code(), Some(code), "stderr: {stderr}");
        assert!(stderr.contains("interrupted"), "{stderr}");
        // Reaped by the CLI before it exits; a short wait covers a slow /proc only.
        wait_until(&format!("the agent (pid {pid}) to be gone"), || (!Path::new(&format!("/proc/{pid}")).exists()).then_some(()));
        let list = json_of(&sb(dir.path()).args(["ls", "--json"]).output().unwrap());
        assert_eq!(list[0]["status"]["state"], "interrupted", "{list}");
    }
}

mod nix_signal {
    pub const SIGINT: i32 = 2;
    pub const SIGTERM: i32 = 15;
}

fn send_signal(pid: u32, signal: i32) {
    let ok = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().unwrap();
    assert!(ok.success());
}

/// Runs git in `dir`, failing the test with git's message; returns its trimmed stdout.
fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A git repository on branch `main` with an author configured and one commit of `a.txt`.
fn repo_with_one_commit(dir: &Path) {
    git_in(dir, &["init", "-q", "-b", "main"]);
    git_in(dir, &["config", "user.email", "t@t"]);
    git_in(dir, &["config", "user.name", "T"]);
    std::fs::write(dir.join("a.txt"), "one\n").unwrap();
    git_in(dir, &["add", "-A"]);
    git_in(dir, &["commit", "-qm", "first"]);
}

/// `run` inside a git repository works in a worktree of its own by default; `diff` shows
/// what it changed (whole, `--stat`, `--json`); `--no-worktree` works in the folder itself.
#[test]
fn run_in_a_repository_gets_a_worktree_and_diff_shows_its_changes() {
    let (dir, work) = (temp_dir(), temp_dir());
    let git = |args: &[&str]| git_in(work.path(), args);
    repo_with_one_commit(work.path());

    let out = sb(dir.path())
        .args(["run", "--agent", "command", "--json", "--branch", "task/edit", "--cwd"])
        .arg(work.path())
        .args(["--", "sh", "-c", "printf 'one\\ntwo\\n' > a.txt && printf 'new\\n' > b.txt"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = json_of(&out);
    let id = s["id"].as_str().unwrap().to_string();
    assert!(s["cwd"].as_str().unwrap().starts_with(&dir.path().canonicalize().unwrap().join("worktrees").to_string_lossy().into_owned()));
    assert_eq!(git(&["status", "--porcelain"]), "", "the user's checkout is untouched");

    let stat = sb(dir.path()).args(["diff", &id, "--stat"]).output().unwrap();
    let stat = String::from_utf8_lossy(&stat.stdout).into_owned();
    assert!(stat.contains("+1 -0  a.txt") && stat.contains("+1 -0  b.txt"), "{stat}");
    assert!(stat.contains("2 file(s) changed, +2 -0 on task/edit against main"), "{stat}");

    let full = sb(dir.path()).args(["diff", &id]).output().unwrap();
    let full = String::from_utf8_lossy(&full.stdout).into_owned();
    assert!(full.contains("+++ b/b.txt") && full.contains("+two"), "{full}");

    let j = json_of(&sb(dir.path()).args(["diff", &id, "--json"]).output().unwrap());
    assert_eq!(j["branch"], "task/edit");
    assert_eq!(j["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect::<Vec<_>>(), ["a.txt", "b.txt"]);
    assert_eq!((j["stats"]["files"].as_u64(), j["stats"]["added"].as_u64()), (Some(2), Some(2)));
    assert!(j["diff"].as_str().unwrap().contains("+new"));

    // Opting out: the folder itself, as before worktrees; diff says there is nothing to compare.
    let out = sb(dir.path())
        .args(["run", "--agent", "command", "--json", "--no-worktree", "--cwd"])
        .arg(work.path())
        .args(["--", "true"])
        .output()
        .unwrap();
    let plain = json_of(&out);
    assert_eq!(plain["cwd"].as_str().unwrap(), work.path().canonicalize().unwrap().to_string_lossy());
    let refused = sb(dir.path()).args(["diff", plain["id"].as_str().unwrap()]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not in a worktree of its own"));
}

/// `import` reads a Claude folder given by `--claude-dir` or `CLAUDE_CONFIG_DIR`, prints
/// counts, and `ls --origin terminal` lists what it imported (and only that).
#[test]
fn import_prints_counts_and_ls_filters_by_origin() {
    let data = temp_dir();
    let claude = temp_dir();
    let project = claude.path().join("projects").join("-home-me-app");
    std::fs::create_dir_all(&project).unwrap();
    let line = |ty: &str, content: &str| {
        format!(
            r#"{{"type":"{ty}","cwd":"/home/me/app","sessionId":"abc","timestamp":"2026-03-01T10:00:00Z","message":{{"role":"{ty}","content":{content}}}}}"#
        )
    };
    std::fs::write(
        project.join("abc.jsonl"),
        format!("{}\n{}\nnot json\n", line("user", "\"hello\""), line("assistant", r#"[{"type":"text","text":"hi"}]"#)),
    )
    .unwrap();
    let before = std::fs::read(project.join("abc.jsonl")).unwrap();

    let out = sb(data.path()).args(["import", "--json", "--claude-dir"]).arg(claude.path()).output().unwrap();
    assert!(out.status.success(), "stderr: {}", stderr_of(&out));
    let report = json_of(&out);
    assert_eq!((report["transcripts"].as_u64(), report["sessions_new"].as_u64(), report["lines"].as_u64()), (Some(1), Some(1), Some(3)));
    assert_eq!(report["raw_lines"], 1);
    // CLAUDE_CONFIG_DIR names the same folder: nothing new.
    let out = sb(data.path()).args(["import", "--json"]).env("CLAUDE_CONFIG_DIR", claude.path()).output().unwrap();
    assert_eq!((json_of(&out)["transcripts"].as_u64(), json_of(&out)["lines"].as_u64()), (Some(1), Some(0)));
    assert_eq!(std::fs::read(project.join("abc.jsonl")).unwrap(), before, "the transcript is only read");

    let list = json_of(&sb(data.path()).args(["ls", "--json", "--origin", "terminal"]).output().unwrap());
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(
        (list[0]["origin"].as_str(), list[0]["agent_session_id"].as_str(), list[0]["title"].as_str()),
        (Some("terminal"), Some("abc"), Some("hello"))
    );
    let ours = json_of(&sb(data.path()).args(["ls", "--json", "--origin", "switchboard"]).output().unwrap());
    assert_eq!(ours.as_array().map(Vec::len), Some(0));
    let bad = sb(data.path()).args(["ls", "--origin", "tty"]).output().unwrap();
    assert!(!bad.status.success() && stderr_of(&bad).contains("unknown origin"), "{}", stderr_of(&bad));
}

/// `land` merges a session's branch into its base (a conflict: exit 1, the files listed,
/// nothing changed); `rm --worktree` removes the worktree, `rm` keeps it for `cleanup`.
#[test]
fn land_merges_a_sessions_branch_and_cleanup_lists_kept_worktrees() {
    let (dir, work) = (temp_dir(), temp_dir());
    let git = |args: &[&str]| git_in(work.path(), args);
    repo_with_one_commit(work.path());
    let run = |branch: &str, script: &str| {
        let out = sb(dir.path())
            .args(["run", "--agent", "command", "--json", "--branch", branch, "--cwd"])
            .arg(work.path())
            .args(["--", "sh", "-c", script])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        json_of(&out)["id"].as_str().unwrap().to_string()
    };
    let ok = run("task/ok", "printf 'b\\n' > b.txt");
    let conflict = run("task/conflict", "printf 'theirs\\n' > a.txt && git commit -qam theirs");

    let committed = sb(dir.path()).args(["commit", &ok, "-m", "Add b"]).output().unwrap();
    assert!(committed.status.success(), "{}", String::from_utf8_lossy(&committed.stderr));
    let landed = sb(dir.path()).args(["land", &ok, "--squash", "-m", "Add b (squashed)"]).output().unwrap();
    assert!(landed.status.success(), "{}", String::from_utf8_lossy(&landed.stderr));
    assert!(String::from_utf8_lossy(&landed.stdout).contains("squashed into main"));
    assert_eq!(git(&["log", "-1", "--format=%s"]), "Add b (squashed)");
    assert_eq!(std::fs::read_to_string(work.path().join("b.txt")).unwrap(), "b\n");

    std::fs::write(work.path().join("a.txt"), "ours\n").unwrap();
    git(&["commit", "-qam", "ours"]);
    let head = git(&["rev-parse", "HEAD"]);
    let refused = sb(dir.path()).args(["land", &conflict, "--merge"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let text = String::from_utf8_lossy(&refused.stdout).into_owned();
    assert!(text.contains("nothing was changed") && text.contains("conflict: a.txt"), "{text}");
    assert_eq!((git(&["rev-parse", "HEAD"]), git(&["status", "--porcelain"])), (head, String::new()));

    let kept = sb(dir.path()).args(["rm", &conflict]).output().unwrap();
    assert!(String::from_utf8_lossy(&kept.stderr).contains("its worktree is kept (1 unmerged commit(s)"));
    let list = json_of(&sb(dir.path()).args(["cleanup", "--json"]).output().unwrap());
    let paths: Vec<&str> = list.as_array().unwrap().iter().map(|o| o["path"].as_str().unwrap()).collect();
    assert_eq!(paths.len(), 1, "{list}");
    let removed = sb(dir.path()).args(["cleanup", "--remove", paths[0]]).output().unwrap();
    assert!(removed.status.success(), "{}", String::from_utf8_lossy(&removed.stderr));
    assert!(!std::path::Path::new(paths[0]).exists());
    assert!(sb(dir.path()).args(["rm", &ok, "--worktree"]).output().unwrap().status.success());
    assert_eq!(json_of(&sb(dir.path()).args(["cleanup", "--json"]).output().unwrap()), serde_json::json!([]));

    // The repository's setup: set, shown, used by the next worktree, cleared.
    let set = sb(dir.path())
        .args(["repo-setup", "--copy", ".env", "--setup-command", "cp .env ready.txt", "--json", "--cwd"])
        .arg(work.path())
        .output()
        .unwrap();
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    let set = json_of(&set);
    assert_eq!(
        (set["copy_files"].clone(), set["setup_command"].clone()),
        (serde_json::json!([".env"]), serde_json::json!("cp .env ready.txt"))
    );
    std::fs::write(work.path().join(".env"), "K=v\n").unwrap();
    let id = run("task/setup", "cat ready.txt");
    let shown = json_of(&sb(dir.path()).args(["show", &id, "--json", "--output"]).output().unwrap());
    let text = shown["output"].to_string();
    assert!(text.contains("setup: copied .env") && text.contains("K=v"), "{text}");
    let cleared = sb(dir.path()).args(["repo-setup", "--clear", "--cwd"]).arg(work.path()).output().unwrap();
    assert!(String::from_utf8_lossy(&cleared.stdout).contains("setup command: (none)"));
}

/// `run --mode terminal` hosts the interactive CLI in this process (the app reads its saved
/// screen). Stopped with SIGTERM, it stops the CLI and marks the session Interrupted;
/// killed with -9, the CLI goes with its terminal and the next Switchboard settles the row
/// as Interrupted. Either way no process is left, and a resume continues the same
/// conversation (`--resume=<the same id>`) in a new terminal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_in_terminal_mode_hosts_the_cli_and_nothing_outlives_it() {
    for (signal, code) in [(nix_signal::SIGTERM, Some(143)), (9, None)] {
        let (dir, work, home) = (temp_dir(), temp_dir(), temp_dir());
        let api = crate::support::FakeApi::start();
        crate::support::seed_claude_home(home.path(), work.path(), "sk-test");
        let mut run = sb(dir.path())
            .envs(api.claude_env(home.path()))
            .args(["run", "--agent", "claude", "--mode", "terminal", "--json", "--no-worktree", "--cwd"])
            .arg(work.path())
            .args(["--prompt", "Say hello from the CLI"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let (id, pid) = wait_until("the terminal session to run", || {
            let list = json_of(&sb(dir.path()).args(["ls", "--json"]).output().unwrap());
            let s = list.get(0)?;
            Some((s["id"].as_str()?.to_string(), s["pid"].as_u64()? as u32))
        });
        let screen = dir.path().join("terminals").join(format!("{id}.screen"));
        wait_until(&format!("the answer in the saved screen {}", screen.display()), || {
            let text: String = crate::support::screen_text(&std::fs::read(&screen).ok()?).chars().filter(|c| !c.is_whitespace()).collect();
            text.contains("HellofromthefakeAPI").then_some(())
        });
        let s = json_of(&sb(dir.path()).args(["show", &id, "--json"]).output().unwrap());
        assert_eq!(s["config"]["mode"], "terminal");
        assert!(s["status"]["state"] == "running" || s["status"]["state"] == "idle", "{s}");

        send_signal(run.id(), signal);
        let status = wait_until("the CLI to exit", || run.try_wait().unwrap());
        assert_eq!(status.code(), code);
        wait_until(&format!("the CLI (pid {pid}) to be gone"), || {
            // `ls` is a Switchboard opening the store: after a kill -9 it settles the row.
            let list = json_of(&sb(dir.path()).args(["ls", "--json"]).output().unwrap());
            (!switchboard_core::runner::group_alive(pid) && list[0]["status"]["state"] == "interrupted").then_some(())
        });

        let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
        engine.set_agent_paths(switchboard_core::agents::AgentPaths {
            claude: Some(crate::support::claude_bin().to_string_lossy().into()),
            ..Default::default()
        });
        let resumed = engine.resume(&id, None).await.unwrap();
        let agent_id = s["agent_session_id"].as_str().unwrap();
        assert!(resumed.launch_command.as_deref().unwrap().contains(&format!("--resume={agent_id}")), "{:?}", resumed.launch_command);
        let (view, viewer) = engine.terminal_attach(&id).unwrap();
        assert!(view.live && viewer.is_some(), "the resumed terminal runs in this process");
        let ended = engine.end(&id).await.unwrap();
        assert_eq!(ended.status, switchboard_core::SessionStatus::Ended);
        assert!(!switchboard_core::runner::group_alive(resumed.pid.unwrap()));
    }
}

#[test]
fn a_database_of_the_previous_schema_is_converted_with_progress_on_stderr() {
    // Written by schema 10 (see src-tauri/core/tests/it/store_v2.rs): fixture-1 has 700 entries.
    let dir = temp_dir();
    std::fs::write(dir.path().join("switchboard.db"), include_bytes!("../../src-tauri/core/tests/it/store_v10.db")).expect("copy");
    let out = sb(dir.path()).args(["show", "fixture-1", "--output"]).output().expect("run");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("converting the stored output"), "{stderr}");
    assert!(stderr.contains("converted 2700 of 2700 entries (100 %), done"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("the quokka smiled") && stdout.contains("s1 line 699"), "{stdout}");
    // Once converted, a second run has nothing to do.
    let again = sb(dir.path()).args(["show", "fixture-1"]).output().expect("run");
    assert!(again.status.success() && !stderr_of(&again).contains("convert"), "{}", stderr_of(&again));
}

#[test]
fn search_finds_what_a_run_printed_with_its_session_and_filters() {
    let (dir, work) = (temp_dir(), temp_dir());
    let run = |task: &str, word: &str| {
        let out = sb(dir.path())
            .args(["run", "--agent", "command", "--json", "--task", task, "--cwd"])
            .arg(work.path())
            .args(["--", "sh", "-c", &format!("w={word}; echo before; echo the ${{w}}fish swam by")])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        json_of(&out)["id"].as_str().expect("id").to_string()
    };
    let first = run("T-1", "sword");
    let second = run("T-2", "sword");
    let out = sb(dir.path()).args(["search", "swordfish"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with(&second) && lines[1].starts_with(&first), "newest first: {stdout}");
    assert!(lines[0].ends_with("the «swordfish» swam by"), "{stdout}");
    let out = sb(dir.path()).args(["search", "swordfish", "--task", "T-1", "--json"]).output().unwrap();
    let hits = json_of(&out);
    assert_eq!(hits.as_array().map(Vec::len), Some(1), "{hits}");
    assert_eq!((hits[0]["session_id"].as_str(), hits[0]["matched"].as_str()), (Some(first.as_str()), Some("swordfish")));
    let out = sb(dir.path()).args(["search", "swordfish", "--since", "2999-01-01"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "no hits: exits 1 like grep");
    assert!(stderr_of(&out).contains("no stored output matches"));
    let out = sb(dir.path()).args(["search", "swordfish", "--since", "yesterday"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("not a day"), "{}", stderr_of(&out));
}

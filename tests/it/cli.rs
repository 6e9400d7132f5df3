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
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn run_a_command_streams_its_output_and_exits_with_its_status() {
    let (dir, work) = (temp_dir(), temp_dir());
    let out = sb(dir.path()).args(["run", "--agent", "command", "--cwd"]).arg(work.path()).args(["--task", "T-9", "--", "node", &crate::support::fake_agent(), "normal"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("hello from fake agent"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("a note on stderr"));

    let out = sb(dir.path()).args(["run", "--agent", "command", "--json", "--cwd"]).arg(work.path()).args(["--", "node", &crate::support::fake_agent(), "crash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a failed session exits non-zero");
    let s = json_of(&out);
    assert_eq!(s["status"]["state"], "error");
    assert_eq!(s["exit_code"], 3);
    let id = s["id"].as_str().unwrap().to_string();

    let shown = json_of(&sb(dir.path()).args(["show", &id, "--json", "--output"]).output().unwrap());
    let texts: Vec<String> = shown["output"].as_array().unwrap().iter().filter_map(|i| i["view"]["text"].as_str().map(String::from)).collect();
    assert!(texts.contains(&"about to crash".to_string()), "{texts:?}");

    let m = json_of(&sb(dir.path()).args(["metrics", "--json"]).output().unwrap());
    for k in ["total", "active", "by_status", "by_agent", "errors", "avg_duration_ms", "total_created", "input_tokens", "output_tokens", "cost_usd"] {
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
    let out = sb(dir.path()).envs(env.clone()).args(["run", "--agent", "claude", "--cwd"]).arg(work.path()).args(["--", "Say", "hello"]).output().unwrap();
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

    let failed = sb(dir.path()).envs(env).args(["run", "--agent", "claude", "--json", "--cwd"]).arg(work.path()).args(["--", "[[error 529]]"]).output().unwrap();
    assert_eq!(failed.status.code(), Some(1));
    let f = json_of(&failed);
    assert_eq!(f["status"]["state"], "error");
    assert!(f["last_error"].as_str().unwrap().contains("529"));

    let listed = json_of(&sb(dir.path()).args(["ls", "--json", "--agent", "claude", "--status", "error"]).output().unwrap());
    assert_eq!(listed.as_array().unwrap().len(), 1);
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
        let texts: Vec<String> = log["output"].as_array().unwrap().iter().filter_map(|i| i["view"]["text"].as_str().map(String::from)).collect();
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
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("shell control"), "{}", String::from_utf8_lossy(&bad.stderr));

    let allowed = sb(dir.path()).args(["allow", &session, &request, "--always", "--prefix", "touch"]).output().unwrap();
    assert!(allowed.status.success(), "{}", String::from_utf8_lossy(&allowed.stderr));
    let said = String::from_utf8_lossy(&allowed.stdout);
    assert!(said.contains("saved rule") && said.contains("Bash(touch:*)"), "{said}");

    let out = run.0.take().unwrap().wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(work_dir.join("one").exists(), "the allowed command ran");
    let rules = sb(dir.path()).args(["rules", &session]).output().unwrap();
    assert!(String::from_utf8_lossy(&rules.stdout).contains("No rules"), "the rule ended with its agent: {}", String::from_utf8_lossy(&rules.stdout));
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
    let tauri: Vec<String> = tree.lines().map(crate_name).filter(|n| n.starts_with("tauri") || n == "wry" || n.starts_with("webkit2gtk")).collect();
    assert!(tauri.is_empty(), "switchboard-core depends on {tauri:?}");
}

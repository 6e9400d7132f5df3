//! Records what the real Codex and Gemini CLIs print (tests/fixtures/{codex,gemini}-*.jsonl),
//! with exactly the command lines our adapters build, against the stand-in APIs of
//! tests/fake-api. `fixtures.rs` reads the recordings. Runs only when asked:
//!
//!     UPDATE_RECORDINGS=1 cargo test -p switchboard-core --test it recordings::
//!
//! (scripts/record-agents does that). Paths are replaced by `<WORK>` and `<HOME>`.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use crate::support::*;
use switchboard_core::agents::adapter;
use switchboard_core::*;

fn session(agent: AgentKind, cwd: &Path, env: Vec<(String, String)>, mode: PermissionMode, thread: Option<String>) -> Session {
    let now = chrono::Utc::now();
    Session {
        agent_session_id: thread,
        ..Session::new(
            "rec".into(),
            agent,
            "rec".into(),
            cwd.to_string_lossy().into(),
            SessionConfig { env: env.into_iter().collect(), permission_mode: mode, ..Default::default() },
            now,
        )
    }
}

/// Runs one turn as the adapter launches it; (stdout, stderr).
fn turn(s: &Session, program: &Path, resume: bool, prompt: &str) -> (String, String) {
    let launch = adapter(s.agent).launch(s, program, resume, Some(prompt)).unwrap();
    let mut child = std::process::Command::new(&launch.program)
        .args(&launch.args)
        .current_dir(&launch.cwd)
        .envs(&launch.env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(launch.stdin_data.unwrap_or_default().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn save(name: &str, text: &str, work: &Path, home: &Path) {
    let text = text.replace(&work.to_string_lossy().into_owned(), "<WORK>").replace(&home.to_string_lossy().into_owned(), "<HOME>");
    std::fs::write(repo_root().join("tests/fixtures").join(name), text).unwrap();
}

fn thread_of(stdout: &str, key: &str) -> Option<String> {
    stdout.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()).find_map(|v| v[key].as_str().map(String::from))
}

#[test]
fn record_codex_and_gemini() {
    if std::env::var("UPDATE_RECORDINGS").as_deref() != Ok("1") {
        eprintln!("skipped: set UPDATE_RECORDINGS=1 to record the real CLIs again");
        return;
    }
    let api = FakeApi::start();

    // Codex: CODEX_HOME outside the system temp folder.
    let home = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let env = api.codex_env(home.path());
    for (name, prompt, mode) in [
        ("codex-reply", "say hi", PermissionMode::Default),
        ("codex-tool", "[[tool:bash echo tool-ran]]", PermissionMode::Default),
        ("codex-write-plan", "[[tool:write fake-written.txt hello]]", PermissionMode::Plan),
        ("codex-reconnect", "[[flaky 1]] then answer", PermissionMode::Default),
        ("codex-error", "[[error 400]] please", PermissionMode::Default),
    ] {
        let work = tempfile::tempdir().unwrap();
        let s = session(AgentKind::Codex, work.path(), env.clone(), mode, None);
        let (out, _) = turn(&s, &codex_bin(), false, prompt);
        save(&format!("{name}.jsonl"), &out, work.path(), home.path());
        if name == "codex-reply" {
            let s = session(AgentKind::Codex, work.path(), env.clone(), mode, thread_of(&out, "thread_id"));
            let (out, _) = turn(&s, &codex_bin(), true, "second turn");
            save("codex-resume.jsonl", &out, work.path(), home.path());
        }
    }

    let home = tempfile::tempdir().unwrap();
    let env = api.gemini_env(home.path());
    for (name, prompt, mode) in [
        ("gemini-reply", "say hi", PermissionMode::Default),
        ("gemini-tool", "[[tool:bash echo tool-ran]]", PermissionMode::Default),
        ("gemini-tool-yolo", "[[tool:bash echo tool-ran]]", PermissionMode::BypassPermissions),
        ("gemini-empty-reply", "[[empty]] please", PermissionMode::Default),
        ("gemini-error", "[[error 400]] please", PermissionMode::Default),
        ("gemini-retry", "[[flaky 1 500]] then answer", PermissionMode::Default),
    ] {
        let work = tempfile::tempdir().unwrap();
        std::fs::write(work.path().join("a.txt"), "hello\n").unwrap();
        let s = session(AgentKind::Gemini, work.path(), env.clone(), mode, None);
        let (out, err) = turn(&s, &gemini_bin(), false, prompt);
        save(&format!("{name}.jsonl"), &out, work.path(), home.path());
        if name == "gemini-retry" {
            // Only the lines that say something: the rest are stack traces.
            let said: String = err.lines().filter(|l| l.starts_with("Attempt ")).map(|l| format!("{l}\n")).collect();
            save("gemini-retry.stderr.txt", &said, work.path(), home.path());
        }
        if name == "gemini-reply" {
            let s = session(AgentKind::Gemini, work.path(), env.clone(), mode, thread_of(&out, "session_id"));
            let (out, _) = turn(&s, &gemini_bin(), true, "second turn");
            save("gemini-resume.jsonl", &out, work.path(), home.path());
        }
    }
}

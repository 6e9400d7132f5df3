//! Terminal mode's status and approvals from Claude Code's hooks and transcript: the real,
//! interactive CLI (pinned) in a real PTY hosted by the engine, against our fake API, with
//! an isolated HOME pre-seeded so that no first-run screen needs a keystroke.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use switchboard_core::*;

use crate::support::*;

/// The file the user's own Stop hook (in the isolated `~/.claude/settings.json`) touches.
const USER_HOOK_MARK: &str = "user-stop-hook-ran";

fn fixture() -> TerminalFixture {
    fixture_with(EngineConfig { stop_grace: Duration::from_secs(2), ..Default::default() })
}

/// The shared fixture plus the user's own Stop hook in the isolated `~/.claude/settings.json`.
fn fixture_with(config: EngineConfig) -> TerminalFixture {
    let f = TerminalFixture::new(config);
    std::fs::create_dir_all(f.home.path().join(".claude")).unwrap();
    let own = json!({ "hooks": { "Stop": [{ "hooks": [{ "type": "command", "command": format!("touch {}", f.home.path().join(USER_HOOK_MARK).display()) }] }] } });
    std::fs::write(f.home.path().join(".claude/settings.json"), own.to_string()).unwrap();
    f
}

impl TerminalFixture {
    async fn start(&self) -> Session {
        let s = self.engine.create(self.request(None)).await.expect("create");
        assert!(s.status.is_live(), "started: {:?}", s.status);
        s
    }

    fn transcript(&self, s: &Session) -> PathBuf {
        self.home
            .path()
            .join(".claude/projects")
            .join(encode_folder(&self.work.path().to_string_lossy()))
            .join(format!("{}.jsonl", s.agent_session_id.as_deref().unwrap()))
    }

    /// Turns (assistant messages with a model, once per `message.id`) and tokens, read
    /// straight from the transcript file.
    fn transcript_counts(&self, s: &Session) -> (u64, u64, u64) {
        let text = std::fs::read_to_string(self.transcript(s)).expect("transcript");
        let mut seen = std::collections::HashSet::new();
        let (mut turns, mut tin, mut tout) = (0, 0, 0);
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap_or(Value::Null);
            let m = &v["message"];
            if v["type"] != "assistant" || m["model"].as_str().is_none_or(|m| m == "<synthetic>") {
                continue;
            }
            if !seen.insert(m["id"].as_str().unwrap_or("").to_string()) {
                continue;
            }
            turns += 1;
            let u = &m["usage"];
            tin += ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"]
                .iter()
                .map(|k| u[k].as_u64().unwrap_or(0))
                .sum::<u64>();
            tout += u["output_tokens"].as_u64().unwrap_or(0);
        }
        (turns, tin, tout)
    }

    fn user_hook_ran(&self) -> bool {
        self.home.path().join(USER_HOOK_MARK).exists()
    }

    /// Every status the session goes through from now on, with when.
    fn record_statuses(&self, id: &str) -> tokio::sync::mpsc::UnboundedReceiver<(Instant, String)> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut events = self.engine.subscribe();
        let id = id.to_string();
        tokio::spawn(async move {
            while let Ok(ev) = events.recv().await {
                if let EngineEvent::SessionChanged { session } = ev {
                    if session.id == id && tx.send((Instant::now(), session.status.name().to_string())).is_err() {
                        return;
                    }
                }
            }
        });
        rx
    }

    /// The `--settings` JSON and the environment the session's `claude` runs with, read
    /// back from /proc: the hook URL, and the secret.
    fn wiring_of(&self, pid: u32) -> (String, String) {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline");
        let args: Vec<String> = cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        let settings = args.iter().position(|a| a == "--settings").map(|i| args[i + 1].clone()).expect("--settings");
        let v: Value = serde_json::from_str(&settings).expect("settings JSON");
        let url = v["hooks"]["Stop"][0]["hooks"][0]["url"].as_str().unwrap().to_string();
        assert!(!settings.contains(&self.token_of(pid)), "the secret is not in the arguments");
        (url, self.token_of(pid))
    }

    fn token_of(&self, pid: u32) -> String {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
        environ
            .split(|b| *b == 0)
            .filter_map(|kv| String::from_utf8_lossy(kv).strip_prefix(&format!("{HOOK_TOKEN_ENV}=")).map(String::from))
            .next()
            .expect("the secret in the environment")
    }

    /// When the terminal first shows `needle` (its visible text: escape sequences and
    /// spaces left out, as the CLI moves the cursor instead of printing spaces).
    fn screen_shows(&self, id: &str, needle: &'static str) -> tokio::sync::oneshot::Receiver<Instant> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (view, viewer) = self.engine.terminal_attach(id).expect("attach");
        let mut viewer = viewer.expect("a live terminal");
        let decode = |b64: &str| {
            let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap_or_default();
            visible(&bytes)
        };
        let mut text = decode(&view.data_b64);
        tokio::spawn(async move {
            loop {
                if text.contains(needle) {
                    let _ = tx.send(Instant::now());
                    return;
                }
                if text.len() > 8192 {
                    text = text.chars().rev().take(256).collect::<Vec<_>>().into_iter().rev().collect();
                }
                match viewer.next().await {
                    Some(TerminalChunk::Data { data_b64 }) => text.push_str(&decode(&data_b64)),
                    _ => return,
                }
            }
        });
        rx
    }

    /// Starts a terminal session and waits until its CLI takes a prompt.
    async fn start_ready(&self) -> Session {
        let s = self.start().await;
        let ready = self.screen_shows(&s.id, "forshortcuts");
        tokio::time::timeout(Duration::from_secs(30), ready).await.expect("the CLI's prompt within 30 s").unwrap();
        // An Enter typed the moment the prompt first shows is lost (seen with CLI 2.1.197,
        // also outside Switchboard); half a second later it submits (more under load).
        tokio::time::sleep(Duration::from_secs(2)).await;
        s
    }

    /// What the screen shows and what the transcript holds, for a failure's message.
    fn dump(&self, s: &Session) -> String {
        let (view, _) = self.engine.terminal_attach(&s.id).unwrap();
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &view.data_b64).unwrap_or_default();
        let screen = visible(&bytes);
        let tail: String = screen.chars().rev().take(1500).collect::<Vec<_>>().into_iter().rev().collect();
        let transcript = std::fs::read_to_string(self.transcript(s)).unwrap_or_else(|e| format!("({e})"));
        format!(
            "screen: …{tail}\ntranscript: {}\nsession: {:?}",
            transcript.chars().take(3000).collect::<String>(),
            self.engine.get(&s.id).map(|s| s.status)
        )
    }

    async fn end(&self, id: &str) {
        let s = self.engine.end(id).await.expect("end");
        assert!(!s.status.is_live());
    }
}

/// The printable text of terminal output: escape sequences and whitespace left out.
fn visible(bytes: &[u8]) -> String {
    screen_text(bytes).chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect()
}

/// POSTs `body` to `url` with `auth` (an `Authorization` value) and returns the status code.
fn post(url: &str, auth: Option<&str>, body: &[u8]) -> u16 {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut c = std::net::TcpStream::connect(host).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    c.write_all(head.as_bytes()).unwrap();
    let _ = c.write_all(body);
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

async fn wait_pending(engine: &Engine, id: &str) -> PermissionRequest {
    for _ in 0..400 {
        if let Some(p) = engine.pending_permissions(Some(id)).unwrap().into_iter().next() {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no pending permission request; session {:?}", engine.get(id).map(|s| s.status));
}

/// The first output entry that passes `check`, waiting (at most 10 s) for the transcript's
/// lines: Claude Code may write them a moment after its Stop hook.
async fn wait_output(engine: &Engine, id: &str, check: impl Fn(&OutputEntry) -> bool) -> OutputEntry {
    for _ in 0..400 {
        if let Some(e) = engine.output(id, 0, 10_000).unwrap().into_iter().find(&check) {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let kinds: Vec<String> = engine.output(id, 0, 10_000).unwrap().into_iter().map(|e| e.kind).collect();
    panic!("no such entry in {kinds:?}");
}

async fn wait_file(path: &Path, present: bool) -> bool {
    for _ in 0..200 {
        if path.exists() == present {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_move_the_status_and_the_transcript_gives_turns_and_tokens() {
    let f = fixture();
    let s = f.start_ready().await;
    let mut statuses = f.record_statuses(&s.id);
    let answer = f.engine.send(&s.id, "hello there", Duration::from_secs(60)).await.unwrap();
    assert!(answer.success, "{answer:?}\n{}", f.dump(&s));
    assert_eq!(answer.output.as_deref(), Some("Hello from the fake API."), "the Stop hook's last message answers send");
    let s = wait_until(&f.engine, &s.id, 10, |s| s.status == SessionStatus::Idle && s.turns > 0).await;
    let mut seen = Vec::new();
    while let Ok((_, st)) = statuses.try_recv() {
        if seen.last() != Some(&st) {
            seen.push(st);
        }
    }
    let running = seen.iter().position(|s| s == "running").expect("Running from UserPromptSubmit");
    assert!(seen[running..].iter().any(|s| s == "idle"), "then Idle from Stop: {seen:?}");
    // The transcript's last lines may land a moment after the Stop hook: the counters follow.
    let mut counted = None;
    for _ in 0..200 {
        let (s, c) = (f.engine.get(&s.id).unwrap(), f.transcript_counts(&s));
        if (s.turns, s.input_tokens, s.output_tokens) == c {
            counted = Some((s, c));
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (s, (turns, tin, tout)) = counted.unwrap_or_else(|| panic!("counters never equal the transcript's: {}", f.dump(&s)));
    assert!(turns >= 1 && tin > 0 && tout > 0);
    assert!(s.cost_usd > 0.0, "the tokens are priced");
    wait_output(&f.engine, &s.id, |e| e.kind == USER_PROMPT_KIND && e.payload == "hello there").await;
    wait_output(&f.engine, &s.id, |e| e.kind == "assistant_text" && e.payload.contains("Hello from the fake API.")).await;
    let log = f.engine.session_log(&s.id).unwrap();
    assert_eq!(
        log.iter().filter(|e| e.kind == TaskEventKind::CommandSent && e.detail["command"] == "hello there").count(),
        1,
        "logged once"
    );
    assert_eq!(s.message_count, 2, "the prompt and its answer, as for a headless turn");
    assert!(log.iter().any(|e| e.kind == TaskEventKind::ResponseReceived));
    assert!(wait_file(&f.home.path().join(USER_HOOK_MARK), true).await, "the user's own Stop hook still runs");
    // A prompt typed in the terminal itself is seen too (its hook), logged and counted once.
    let before = f.engine.get(&s.id).unwrap().message_count;
    f.engine.terminal_input(&s.id, b"typed by hand").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    f.engine.terminal_input(&s.id, b"\r").unwrap();
    wait_until(&f.engine, &s.id, 20, |x| x.message_count == before + 2 && x.status == SessionStatus::Idle).await;
    let log = f.engine.session_log(&s.id).unwrap();
    assert_eq!(log.iter().filter(|e| e.detail["command"] == "typed by hand").count(), 1);
    f.end(&s.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_waits_for_approval_and_allow_from_another_process_writes_it() {
    let f = fixture();
    let s = f.start_ready().await;
    let target = f.work.path().join("allowed.txt");
    let mut statuses = f.record_statuses(&s.id);
    let dialog = f.screen_shows(&s.id, "Doyouwantto");
    let _turn = f.engine.post(&s.id, &format!("[[tool:write {} hello]]", target.display())).await.unwrap();
    let p = wait_pending(&f.engine, &s.id).await;
    assert_eq!((p.tool_name.as_str(), p.gist.as_str()), ("Write", format!("wants to write {}", target.display()).as_str()));
    assert!(p.request_id.starts_with("toolu_"), "paired with the PreToolUse's tool_use_id: {}", p.request_id);
    // WaitingInput within 1 s of the dialog showing on the screen.
    let shown = dialog.await.expect("the dialog on the screen");
    let waiting = loop {
        let (at, st) = statuses.recv().await.unwrap();
        if st == "waiting_input" {
            break at;
        }
    };
    let lag = waiting.saturating_duration_since(shown);
    eprintln!(
        "WaitingInput {} ms after the dialog showed (status first by {} ms)",
        lag.as_millis(),
        shown.saturating_duration_since(waiting).as_millis()
    );
    assert!(lag < Duration::from_secs(1), "WaitingInput {lag:?} after the dialog showed");
    // Decided by another Switchboard process (the CLI's `allow`): seen within DECISION_POLL.
    let other = Engine::open(f.dir.path(), EngineConfig::default()).unwrap();
    other.decide(&s.id, &p.request_id, PermissionDecision::Allow { updated_input: None, always: false, rule: None }, Decider::Cli).unwrap();
    assert!(wait_file(&target, true).await, "allow writes the file");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "hello");
    let s = wait_until(&f.engine, &s.id, 20, |s| s.status == SessionStatus::Idle).await;
    assert!(f.engine.pending_permissions(Some(&s.id)).unwrap().is_empty());
    let log = f.engine.session_log(&s.id).unwrap();
    assert!(log.iter().any(|e| e.detail["permission"] == "allowed" && e.detail["by"] == "cli"));
    f.end(&s.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_refuses_the_write() {
    let f = fixture();
    let s = f.start_ready().await;
    let target = f.work.path().join("denied.txt");
    let _turn = f.engine.post(&s.id, &format!("[[tool:write {} nope]]", target.display())).await.unwrap();
    let p = wait_pending(&f.engine, &s.id).await;
    f.engine.decide(&s.id, &p.request_id, PermissionDecision::Deny { message: "Not today.".into() }, Decider::App).unwrap();
    let s = wait_until(&f.engine, &s.id, 20, |s| s.status == SessionStatus::Idle).await;
    assert!(!target.exists(), "a denied Write writes nothing");
    let refused = wait_output(&f.engine, &s.id, |e| e.kind == "tool_result" && e.payload.contains("Not today.")).await;
    assert!(refused.payload.contains("\"is_error\":true"), "Claude got the message as a refusal: {}", refused.payload);
    f.end(&s.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answering_in_the_terminal_clears_the_request_everywhere() {
    let f = fixture();
    let s = f.start_ready().await;
    let target = f.work.path().join("by-key.txt");
    let _turn = f.engine.post(&s.id, &format!("[[tool:write {} typed]]", target.display())).await.unwrap();
    let p = wait_pending(&f.engine, &s.id).await;
    f.engine.terminal_input(&s.id, b"1").unwrap();
    assert!(wait_file(&target, true).await, "\"1\" in the dialog allows it");
    let s = wait_until(&f.engine, &s.id, 20, |s| s.status == SessionStatus::Idle).await;
    assert!(f.engine.pending_permissions(None).unwrap().is_empty(), "no longer pending anywhere");
    let other = Engine::open(f.dir.path(), EngineConfig::default()).unwrap();
    assert!(other.pending_permissions(None).unwrap().is_empty(), "nor for another process");
    let err = other.decide(&s.id, &p.request_id, PermissionDecision::Deny { message: "late".into() }, Decider::Cli).unwrap_err();
    assert!(err.to_string().contains("already"), "{err}");
    let log = f.engine.session_log(&s.id).unwrap();
    assert!(log.iter().any(|e| e.detail["request_id"] == p.request_id.as_str() && e.detail["by"] == "terminal"), "decided in the terminal");
    f.end(&s.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esc_mid_turn_is_idle_without_a_stop_hook_and_the_process_lives() {
    let f = fixture();
    let s = f.start_ready().await;
    let _turn = f.engine.post(&s.id, "[[slow 80]] take your time").await.unwrap();
    wait_until(&f.engine, &s.id, 20, |s| s.status == SessionStatus::Running).await;
    // Some text first, so the turn is really under way.
    let path = f.transcript(&s);
    for _ in 0..200 {
        if std::fs::read_to_string(&path).is_ok_and(|t| t.contains("\"assistant\"")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let before = Instant::now();
    f.engine.interrupt(&s.id).await.unwrap();
    let s = wait_until(&f.engine, &s.id, 10, |s| s.status == SessionStatus::Idle).await;
    eprintln!("Idle {} ms after Esc", before.elapsed().as_millis());
    assert!(!f.user_hook_ran(), "no Stop hook fired: the transcript's marker moved it");
    let pid = s.pid.expect("still has its process");
    assert!(switchboard_core::runner::group_alive(pid), "the process lives on");
    // And it takes the next prompt.
    let again = f.engine.send(&s.id, "still there?", Duration::from_secs(60)).await.unwrap();
    assert!(again.success, "{again:?}");
    f.end(&s.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_without_the_secret_is_refused_and_changes_nothing() {
    let f = fixture();
    let s = f.start_ready().await;
    let pid = s.pid.expect("pid");
    let (url, token) = f.wiring_of(pid);
    let before = f.engine.get(&s.id).unwrap();
    let forged = json!({ "hook_event_name": "UserPromptSubmit", "session_id": s.agent_session_id, "prompt": "forged" }).to_string();
    assert_eq!(post(&url, None, forged.as_bytes()), 401);
    assert_eq!(post(&url, Some("Bearer wrong"), forged.as_bytes()), 401);
    assert_eq!(post(&url, Some(&format!("Bearer {token}x")), forged.as_bytes()), 401);
    let big = vec![b' '; MAX_HOOK_BODY + 1];
    assert_eq!(post(&url, Some(&format!("Bearer {token}")), &big), 413, "the body is bounded");
    assert_eq!(post(&url, Some(&format!("Bearer {token}")), b"not json"), 400);
    tokio::time::sleep(HOOK_TICK).await;
    let after = f.engine.get(&s.id).unwrap();
    assert_eq!((after.status, after.message_count), (before.status, before.message_count), "nothing changed");
    assert!(!f.engine.session_log(&s.id).unwrap().iter().any(|e| e.detail["command"] == "forged"));
    f.end(&s.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_in_the_terminal_is_recorded_as_denied_there_and_the_turn_stops() {
    let f = fixture();
    let s = f.start_ready().await;
    let target = f.work.path().join("refused.txt");
    let _turn = f.engine.post(&s.id, &format!("[[tool:write {} no]]", target.display())).await.unwrap();
    let p = wait_pending(&f.engine, &s.id).await;
    // Esc in the dialog: "No" (the CLI drops the held hook request and stops the turn).
    f.engine.terminal_input(&s.id, b"\x1b").unwrap();
    let s = wait_until(&f.engine, &s.id, 20, |s| s.status == SessionStatus::Idle).await;
    assert!(!target.exists());
    assert!(f.engine.pending_permissions(None).unwrap().is_empty());
    let log = f.engine.session_log(&s.id).unwrap();
    let decided = log.iter().find(|e| e.detail["request_id"] == p.request_id.as_str()).expect("the decision is logged");
    assert_eq!(decided.detail["by"], "terminal");
    assert!(decided.detail["permission"].as_str().unwrap().starts_with("denied"), "{:?}", decided.detail);
    f.end(&s.id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_nobody_answers_in_time_is_left_to_the_terminal() {
    let f = fixture_with(EngineConfig {
        terminal_approval_hold: Duration::from_secs(2),
        stop_grace: Duration::from_secs(2),
        ..Default::default()
    });
    let s = f.start_ready().await;
    let target = f.work.path().join("later.txt");
    let _turn = f.engine.post(&s.id, &format!("[[tool:write {} later]]", target.display())).await.unwrap();
    let p = wait_pending(&f.engine, &s.id).await;
    let asked = Instant::now();
    while !f.engine.pending_permissions(Some(&s.id)).unwrap().is_empty() {
        assert!(asked.elapsed() < Duration::from_secs(10), "the hold ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("hold ended after {} ms", asked.elapsed().as_millis());
    assert!(asked.elapsed() >= Duration::from_millis(1500), "held for the setting's time");
    assert_eq!(f.engine.get(&s.id).unwrap().status, SessionStatus::WaitingInput, "the dialog still waits in the terminal");
    let late =
        f.engine.decide(&s.id, &p.request_id, PermissionDecision::Allow { updated_input: None, always: false, rule: None }, Decider::App);
    assert!(late.unwrap_err().to_string().contains("answer it in the terminal"));
    f.engine.terminal_input(&s.id, b"1").unwrap();
    assert!(wait_file(&target, true).await, "the terminal still answers it");
    wait_until(&f.engine, &s.id, 20, |s| s.status == SessionStatus::Idle).await;
    f.end(&s.id).await;
}

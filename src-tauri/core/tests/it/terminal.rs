//! Terminal mode: the real interactive Claude Code CLI in a real pseudo-terminal, hosted by
//! the engine, against our fake Anthropic API on 127.0.0.1 with an isolated HOME that has
//! no first-run screens (onboarding done, the folder trusted, the API key approved).

use std::time::Duration;

use base64::Engine as _;
use switchboard_core::*;

use crate::support::*;

use crate::support::screen_text as plain;

fn fixture() -> TerminalFixture {
    TerminalFixture::new(EngineConfig { stop_grace: Duration::from_secs(3), ..Default::default() })
}

/// Follows a terminal session's screen as a viewer does: the attach view, then the chunks.
struct Screen {
    bytes: Vec<u8>,
    /// `text` and `wait_for` look at the bytes from here on (see `mark`).
    from: usize,
    viewer: Option<TerminalViewer>,
    ended: Option<Option<i32>>,
}

impl Screen {
    fn attach(engine: &Engine, id: &str) -> (Screen, TerminalView) {
        let (view, viewer) = engine.terminal_attach(id).unwrap();
        let bytes = decode(&view.data_b64);
        (Screen { bytes, from: 0, viewer, ended: None }, view)
    }

    /// The screen's text without escape sequences (from the mark on).
    fn text(&self) -> String {
        plain(&self.bytes[self.from..])
    }

    /// From now on, only what comes next counts.
    fn mark(&mut self) {
        self.from = self.bytes.len();
    }

    /// Reads output until `check` holds on the text (at most `secs`).
    async fn wait_for(&mut self, secs: u64, what: &str, check: impl Fn(&str) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !check(&self.text()) {
            let viewer = self.viewer.as_mut().unwrap_or_else(|| panic!("not live while waiting for {what}"));
            match tokio::time::timeout_at(deadline, viewer.next()).await {
                Ok(Some(TerminalChunk::Data { data_b64 })) => self.bytes.extend(decode(&data_b64)),
                Ok(Some(TerminalChunk::Ended { code })) => {
                    self.ended = Some(code);
                    panic!("ended ({code:?}) while waiting for {what}; screen:\n{}", self.text())
                }
                Ok(None) => panic!("feed closed while waiting for {what}"),
                Err(_) => panic!("no {what} within {secs} s; screen:\n{}", self.text()),
            }
        }
    }
}

fn decode(b64: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
}

/// The text with all whitespace removed: the TUI draws spaces as cursor moves.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The CLI's idle prompt line ("? for shortcuts" under the input box).
fn at_prompt(text: &str) -> bool {
    squeezed(text).contains("?forshortcuts")
}

/// Whether the terminal's process group still runs.
fn alive(pid: Option<u32>) -> bool {
    pid.is_some_and(switchboard_core::runner::group_alive)
}

async fn gone(pid: Option<u32>) {
    for _ in 0..200 {
        if !alive(pid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("process group {pid:?} is still alive");
}

/// The latest user prompt of each main-model request the fake API received (with tools;
/// side requests such as the title are left out).
fn prompts_received(api: &FakeApi) -> Vec<String> {
    api.requests().iter().filter(|r| r["tools"] == true).filter_map(|r| r["prompt"].as_str().map(String::from)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_starts_on_its_prompt_and_a_sent_prompt_is_typed_and_answered() {
    let f = fixture();
    let s = f.engine.create(f.request(None)).await.unwrap();
    assert_eq!(s.status, SessionStatus::Idle, "{:?}", s.last_error);
    let cmd = s.launch_command.clone().unwrap();
    assert!(cmd.contains(&format!("--session-id={}", s.agent_session_id.as_deref().unwrap())), "{cmd}");
    assert!(!cmd.contains(" -p "), "interactive, not headless: {cmd}");
    let (mut screen, view) = Screen::attach(&f.engine, &s.id);
    assert!(view.live && (view.cols, view.rows) == (DEFAULT_COLS, DEFAULT_ROWS));
    screen.wait_for(60, "the CLI's prompt", at_prompt).await;
    assert!(!squeezed(&screen.text()).contains("trust"), "no first-run screen");

    f.engine.post(&s.id, "Say hello to the terminal").await.unwrap();
    screen.wait_for(60, "the typed prompt", |t| squeezed(t).contains("Sayhellotothe")).await;
    screen.wait_for(60, "the answer", |t| squeezed(t).contains("HellofromthefakeAPI.")).await;
    assert!(prompts_received(&f.api).iter().any(|p| p.contains("Say hello to the terminal")), "the API got the prompt");
    // The hooks end the turn (Stop → Idle): the prompt and its answer, as for a headless turn.
    let after = wait_until(&f.engine, &s.id, 20, |s| s.status == SessionStatus::Idle && s.message_count == 2).await;
    assert!(f.engine.session_log(&s.id).unwrap().iter().any(|e| e.kind == TaskEventKind::CommandSent));
    assert!(alive(after.pid), "the CLI keeps running between turns");
    f.engine.end(&s.id).await.unwrap();
    gone(after.pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_prompt_is_answered_and_resize_changes_the_pty_and_the_drawing() {
    let f = fixture();
    let s = f.engine.create(f.request(Some("Say hello first"))).await.unwrap();
    assert_eq!(s.status, SessionStatus::Running, "a first prompt starts a turn");
    let (mut screen, _) = Screen::attach(&f.engine, &s.id);
    screen.wait_for(60, "the answer", |t| squeezed(t).contains("HellofromthefakeAPI.")).await;
    assert!(screen.text().contains(&"─".repeat(120)), "rules drawn 120 wide");

    let tty = std::fs::read_link(format!("/proc/{}/fd/0", s.pid.unwrap())).unwrap();
    let size = || {
        let out = std::process::Command::new("stty").arg("-F").arg(&tty).arg("size").output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(size(), "32 120");
    f.engine.terminal_resize(&s.id, 80, 24).unwrap();
    assert_eq!(size(), "24 80", "the PTY itself");
    screen.mark();
    let rule = "─".repeat(80);
    screen.wait_for(30, "a redraw 80 wide", |t| t.lines().any(|l| l.trim() == rule)).await;
    let (_, again) = Screen::attach(&f.engine, &s.id);
    assert_eq!((again.cols, again.rows), (80, 24), "a new viewer gets the new size");
    let bad = f.engine.terminal_resize(&s.id, 0, 24).unwrap_err();
    assert_eq!(bad.code(), "invalid_input");
    f.engine.end(&s.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_stops_the_turn_and_keeps_the_cli_running() {
    let f = fixture();
    let s = f.engine.create(f.request(None)).await.unwrap();
    let (mut screen, _) = Screen::attach(&f.engine, &s.id);
    screen.wait_for(60, "the CLI's prompt", at_prompt).await;
    f.engine.post(&s.id, "[[slow 2000]]").await.unwrap();
    screen.wait_for(60, "the reply streaming", |t| squeezed(t).contains("chunk1")).await;
    f.engine.interrupt(&s.id).await.unwrap();
    screen.wait_for(30, "the interrupt", |t| squeezed(t).contains("Interrupted")).await;
    assert!(alive(s.pid), "the process stays");
    assert!(f.engine.get(&s.id).unwrap().status.is_live());
    screen.mark();
    f.engine.post(&s.id, "Say hello after").await.unwrap();
    screen.wait_for(60, "the next answer", |t| squeezed(t).contains("HellofromthefakeAPI.")).await;
    f.engine.end(&s.id).await.unwrap();
    gone(s.pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_typed_in_the_terminal_ends_with_code_0_and_the_screen_survives_a_restart() {
    let f = fixture();
    let s = f.engine.create(f.request(None)).await.unwrap();
    let (mut screen, _) = Screen::attach(&f.engine, &s.id);
    screen.wait_for(60, "the CLI's prompt", at_prompt).await;
    f.engine.terminal_input(&s.id, b"/exit").unwrap();
    tokio::time::sleep(SUBMIT_PAUSE).await;
    f.engine.terminal_input(&s.id, b"\r").unwrap();
    let ended = wait_final(&f.engine, &s.id).await;
    assert_eq!((ended.status.clone(), ended.exit_code), (SessionStatus::Ended, Some(0)), "{:?}", ended.last_error);
    let viewer = screen.viewer.as_mut().unwrap();
    let mut last = None;
    while let Some(c) = viewer.next().await {
        last = Some(c);
    }
    assert_eq!(last, Some(TerminalChunk::Ended { code: Some(0) }), "the viewer is told");
    gone(s.pid).await;
    let err = f.engine.terminal_input(&s.id, b"x").unwrap_err();
    assert_eq!(err.code(), "invalid_input", "no input once it ended");

    drop(f.engine);
    let reopened = claude_engine(f.dir.path(), EngineConfig::default());
    let (view, viewer) = reopened.terminal_attach(&s.id).unwrap();
    assert!(!view.live && viewer.is_none());
    assert!(at_prompt(&plain(&decode(&view.data_b64))), "the saved screen shows what the CLI showed");
    assert!(reopened.screen_path(&s.id).exists());
    reopened.delete(&s.id).await.unwrap();
    assert!(!reopened.screen_path(&s.id).exists(), "deleting the session removes its screen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_types_exit_then_resume_continues_the_same_conversation_in_a_new_terminal() {
    let f = fixture();
    let s = f.engine.create(f.request(Some("Say hello before the end"))).await.unwrap();
    let (mut screen, _) = Screen::attach(&f.engine, &s.id);
    screen.wait_for(60, "the answer", |t| squeezed(t).contains("HellofromthefakeAPI.")).await;
    let ended = f.engine.end(&s.id).await.unwrap();
    assert_eq!((ended.status.clone(), ended.exit_code), (SessionStatus::Ended, Some(0)), "/exit, not a signal");
    gone(s.pid).await;

    let resumed = f.engine.resume(&s.id, None).await.unwrap();
    assert!(resumed.status.is_live());
    let id = s.agent_session_id.clone().unwrap();
    assert!(resumed.launch_command.as_deref().unwrap().contains(&format!("--resume={id}")), "{:?}", resumed.launch_command);
    assert_ne!(resumed.pid, s.pid);
    let (mut screen, view) = Screen::attach(&f.engine, &s.id);
    assert!(view.live);
    assert!(squeezed(&screen.text()).contains("Sayhellobeforetheend"), "the earlier screen is kept");
    screen.mark();
    screen.wait_for(60, "the resumed conversation", |t| squeezed(t).contains("Sayhellobeforetheend")).await;
    f.engine.end(&s.id).await.unwrap();
    gone(resumed.pid).await;
}

/// A stand-in for `claude` in `dir`: a shell script (still a real process in a real PTY
/// through the engine) for what the real CLI cannot be made to do.
fn stand_in(dir: &std::path::Path, script: &str) -> std::path::PathBuf {
    let bin = dir.join("claude");
    std::fs::write(&bin, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    bin
}

fn terminal_request(cwd: &std::path::Path) -> NewSession {
    NewSession {
        agent: Some(AgentKind::Claude),
        cwd: cwd.to_string_lossy().into(),
        config: SessionConfig { mode: RunMode::Terminal, ..Default::default() },
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_output_stays_under_the_screen_cap() {
    let (dir, work, bin_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // 3x the cap, then a marker.
    let bin = stand_in(bin_dir.path(), "head -c 6000000 /dev/zero | tr '\\0' 'x' | fold -w 100\necho END-OF-FLOOD\nsleep 30");
    let engine =
        claude_engine_with(dir.path(), &bin, ManualClock::new(), EngineConfig { stop_grace: Duration::from_secs(1), ..Default::default() });
    let s = engine.create(terminal_request(work.path())).await.unwrap();
    let (mut screen, _) = Screen::attach(&engine, &s.id);
    screen.wait_for(60, "the end of the flood", |t| t.contains("END-OF-FLOOD")).await;
    let (view, _) = engine.terminal_attach(&s.id).unwrap();
    let held = decode(&view.data_b64);
    assert!(held.len() <= SCREEN_BYTES && held.len() > SCREEN_BYTES - 8192, "{} bytes held", held.len());
    assert!(plain(&held).trim_end().ends_with("END-OF-FLOOD"), "the newest output is kept");
    engine.end(&s.id).await.unwrap();
    let file = std::fs::metadata(engine.screen_path(&s.id)).unwrap().len() as usize;
    assert!(file <= SCREEN_BYTES + 64, "the saved screen is bounded too: {file}");
}

/// Typing into a terminal is activity: the idle TTL starts over, so a session used only
/// through its terminal does not expire under its user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_into_the_terminal_keeps_it_from_expiring() {
    let (dir, work, bin_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let bin = stand_in(bin_dir.path(), "exec cat");
    let clock = ManualClock::new();
    let engine =
        claude_engine_with(dir.path(), &bin, clock.clone(), EngineConfig { stop_grace: Duration::from_secs(1), ..Default::default() });
    let s = engine.create(terminal_request(work.path())).await.unwrap();
    clock.advance(chrono::Duration::minutes(50));
    engine.terminal_input(&s.id, b"still here\r").unwrap();
    clock.advance(chrono::Duration::minutes(50));
    let report = engine.sweep().await.unwrap();
    assert!(report.expired.is_empty(), "100 minutes after the start, 50 after the last key: {report:?}");
    let (mut screen, _) = Screen::attach(&engine, &s.id);
    screen.wait_for(10, "the keys echoed by the terminal", |t| t.contains("still here")).await;
    clock.advance(chrono::Duration::minutes(11));
    assert_eq!(engine.sweep().await.unwrap().expired, vec![s.id.clone()], "an hour after the last key it expires as any session");
}

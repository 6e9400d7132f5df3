//! Claude Code sessions started outside Switchboard: the real CLI run on its own (against
//! our fake API, with an isolated HOME), then imported from its transcript — and
//! transcripts written here line by line for what the CLI does not do on demand
//! (malformed and half-written lines, deleted files).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard_core::*;

use crate::support::*;

/// `claude -p` run directly, as a person would in a terminal; returns its `result` line.
fn run_claude(api: &FakeApi, cwd: &Path, home: &Path, config_dir: Option<&Path>, prompt: &str) -> Value {
    let mut cmd = Command::new(claude_bin());
    cmd.args(["-p", "--output-format", "stream-json", "--verbose", "--max-turns", "5", "--permission-mode", "bypassPermissions", prompt])
        .current_dir(cwd)
        .env_remove("CLAUDE_CONFIG_DIR")
        .envs(api.claude_env(home))
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    if let Some(d) = config_dir {
        cmd.env("CLAUDE_CONFIG_DIR", d);
    }
    let out = cmd.output().expect("run claude");
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "result")
        .unwrap_or_else(|| panic!("no result from claude (exit {:?}): {stdout}", out.status))
}

fn options(claude_dir: &Path) -> ImportOptions {
    ImportOptions { claude_dir: Some(claude_dir.to_string_lossy().into()), ..Default::default() }
}

fn terminal_sessions(engine: &Engine) -> Vec<Session> {
    engine.list(&SessionFilter { origin: Some(SessionOrigin::Terminal), ..Default::default() }).unwrap()
}

fn views(engine: &Engine, id: &str) -> Vec<EntryView> {
    engine.output(id, 0, 10_000).unwrap().iter().map(EntryView::of).collect()
}

#[test]
fn a_session_run_in_a_terminal_is_imported_with_its_id_folder_turns_tokens_and_folded_tool_call() {
    let api = FakeApi::start();
    let (data, home, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let result = run_claude(&api, work.path(), home.path(), None, "[[tool:bash echo fake-tool-$((40+2))]]");
    let engine = Engine::open(data.path(), EngineConfig::default()).unwrap();

    let report = engine.import_terminal_sessions(&options(&home.path().join(".claude"))).unwrap();
    assert_eq!((report.transcripts, report.sessions_new), (1, 1), "{report:?}");
    let sessions = terminal_sessions(&engine);
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s.agent, AgentKind::Claude);
    assert_eq!(s.origin, SessionOrigin::Terminal);
    assert_eq!(s.agent_session_id.as_deref(), result["session_id"].as_str(), "the file's session id");
    assert_eq!(Path::new(&s.cwd).canonicalize().unwrap(), work.path().canonicalize().unwrap());
    assert_eq!(s.status, SessionStatus::Ended);
    assert_eq!(s.turns, result["num_turns"].as_u64().unwrap(), "turns as the CLI counted them");
    let usage = &result["usage"];
    let input: u64 =
        ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"].iter().map(|k| usage[k].as_u64().unwrap_or(0)).sum();
    assert_eq!((s.input_tokens, s.output_tokens), (input, usage["output_tokens"].as_u64().unwrap()), "tokens as the CLI reported them");
    assert!(s.title.contains("fake-tool"), "titled by the first prompt: {}", s.title);
    assert!(s.config.model.is_some(), "the model from the transcript");

    // Rendered like our own sessions: the prompt as the user's, the tool call and its result.
    let v = views(&engine, &s.id);
    // Claude Code's bookkeeping lines (queue operations, attachments, last-prompt) are kept raw.
    let v: Vec<EntryView> = v.into_iter().filter(|e| !matches!(e, EntryView::Raw { .. })).collect();
    assert!(matches!(&v[0], EntryView::UserText { text } if text.contains("[[tool:bash")), "{:?}", v[0]);
    let call = v.iter().find_map(|e| match e {
        EntryView::ToolUse { id, name, input } => Some((id.clone(), name.clone(), input.clone())),
        _ => None,
    });
    let (call_id, name, input) = call.expect("a tool_use entry");
    assert_eq!((name.as_str(), input["command"].as_str()), ("Bash", Some("echo fake-tool-$((40+2))")));
    assert!(v
        .iter()
        .any(|e| matches!(e, EntryView::ToolResult { tool_use_id, content, .. } if *tool_use_id == call_id && content == "fake-tool-42")));
    assert!(v.iter().any(|e| matches!(e, EntryView::AssistantText { text } if text == "Tool said: fake-tool-42")));

    // Nothing new: a second import stores nothing and changes nothing.
    let before = engine.output(&s.id, 0, 10_000).unwrap().len();
    let again = engine.import_terminal_sessions(&options(&home.path().join(".claude"))).unwrap();
    assert_eq!((again.sessions_new, again.lines), (0, 0));
    assert_eq!(engine.output(&s.id, 0, 10_000).unwrap().len(), before);
}

#[test]
fn claude_config_dir_moves_the_transcripts_and_a_resumed_turn_is_appended_once() {
    let api = FakeApi::start();
    let (data, home, work, config) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = run_claude(&api, work.path(), home.path(), Some(config.path()), "hello there");
    assert!(!home.path().join(".claude/projects").exists(), "CLAUDE_CONFIG_DIR moved the root");
    let engine = Engine::open(data.path(), EngineConfig::default()).unwrap();
    engine.import_terminal_sessions(&options(config.path())).unwrap();
    let s = terminal_sessions(&engine).remove(0);
    let entries_before = engine.output(&s.id, 0, 10_000).unwrap();

    // The person continues it in the terminal: the new lines are appended, the old ones not again.
    let sid = first["session_id"].as_str().unwrap().to_string();
    let mut cmd = Command::new(claude_bin());
    cmd.args(["-p", "--output-format", "stream-json", "--verbose", "--resume", &sid, "second question"])
        .current_dir(work.path())
        .envs(api.claude_env(home.path()))
        .env("CLAUDE_CONFIG_DIR", config.path())
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    assert!(cmd.output().unwrap().status.success());
    let report = engine.import_terminal_sessions(&options(config.path())).unwrap();
    assert_eq!((report.sessions_new, report.sessions_updated), (0, 1), "{report:?}");
    let after = engine.get(&s.id).unwrap();
    let entries = engine.output(&s.id, 0, 10_000).unwrap();
    assert_eq!(&entries[..entries_before.len()], &entries_before[..], "earlier entries unchanged");
    let prompts: Vec<String> = entries.iter().filter(|e| e.kind == USER_PROMPT_KIND).map(|e| e.payload.clone()).collect();
    assert_eq!(prompts, ["hello there", "second question"], "each prompt once");
    assert!(after.turns > s.turns && after.output_tokens > s.output_tokens);
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=entries.len() as u64).collect::<Vec<_>>());
}

/// A transcript folder with one project, written line by line.
struct Transcript {
    claude: tempfile::TempDir,
    path: PathBuf,
}

impl Transcript {
    fn new(session_id: &str) -> Transcript {
        let claude = tempfile::tempdir().unwrap();
        let dir = claude.path().join("projects").join(encode_folder("/home/me/app"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{session_id}.jsonl"));
        Transcript { claude, path }
    }
    fn append(&self, text: &str) {
        std::fs::OpenOptions::new().create(true).append(true).open(&self.path).unwrap().write_all(text.as_bytes()).unwrap();
    }
    fn options(&self) -> ImportOptions {
        options(self.claude.path())
    }
}

fn prompt(text: &str) -> String {
    format!(
        r#"{{"type":"user","cwd":"/home/me/app","sessionId":"s1","uuid":"u-{text}","timestamp":"2026-03-01T10:00:00Z","message":{{"role":"user","content":"{text}"}}}}"#
    ) + "\n"
}

fn reply(id: &str, text: &str) -> String {
    format!(
        r#"{{"type":"assistant","cwd":"/home/me/app","sessionId":"s1","timestamp":"2026-03-01T10:00:05Z","message":{{"id":"{id}","model":"claude-test","role":"assistant","content":[{{"type":"text","text":"{text}"}}],"usage":{{"input_tokens":100,"output_tokens":10}}}}}}"#
    ) + "\n"
}

#[test]
fn malformed_truncated_and_unknown_lines_are_kept_raw_and_a_half_written_line_waits() {
    let t = Transcript::new("s1");
    t.append(&prompt("first"));
    t.append("{this is not json\n");
    t.append("{\"type\":\"some-future-kind\",\"data\":[1,2]}\n");
    t.append(&reply("m1", "answer"));
    let half = reply("m2", "second answer");
    t.append(&half[..half.len() / 2]);
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path(), EngineConfig::default()).unwrap();
    let report = engine.import_terminal_sessions(&t.options()).unwrap();
    assert_eq!((report.lines, report.raw_lines), (4, 2), "{report:?}");
    let s = terminal_sessions(&engine).remove(0);
    assert_eq!((s.turns, s.input_tokens, s.output_tokens), (1, 100, 10));
    assert_eq!(s.cwd, "/home/me/app");
    assert_eq!(s.title, "first");
    let entries = engine.output(&s.id, 0, 100).unwrap();
    assert_eq!(entries.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), [USER_PROMPT_KIND, "raw", "raw", "assistant_text"]);
    assert_eq!(entries[1].payload, "{this is not json");

    // The rest of the line arrives: it is read whole, once.
    t.append(&half[half.len() / 2..]);
    let report = engine.import_terminal_sessions(&t.options()).unwrap();
    assert_eq!(report.lines, 1);
    let s = engine.get(&s.id).unwrap();
    assert_eq!((s.turns, s.input_tokens), (2, 200));
    let last = engine.output(&s.id, 0, 100).unwrap().pop().unwrap();
    assert!(matches!(EntryView::of(&last), EntryView::AssistantText { text } if text == "second answer"));
}

#[test]
fn a_transcript_rewritten_shorter_is_read_again_without_repeating_or_recounting_its_lines() {
    let t = Transcript::new("s1");
    for line in [prompt("first"), reply("m1", "answer one"), prompt("second"), reply("m2", "answer two")] {
        t.append(&line);
    }
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path(), EngineConfig::default()).unwrap();
    assert_eq!(engine.import_terminal_sessions(&t.options()).unwrap().lines, 4);
    let s = terminal_sessions(&engine).remove(0);
    assert_eq!((s.turns, s.input_tokens, s.message_count), (2, 200, 4));

    // Claude Code rewrites the file in place, shorter: two lines it had, one new.
    std::fs::write(&t.path, prompt("first") + &reply("m1", "answer one") + &prompt("third")).unwrap();
    let report = engine.import_terminal_sessions(&t.options()).unwrap();
    assert_eq!((report.lines, report.sessions_new), (1, 0), "only the new line is stored: {report:?}");
    let after = engine.get(&s.id).unwrap();
    assert_eq!((after.turns, after.input_tokens, after.message_count), (2, 200, 6), "nothing counted twice, the new prompt once");
    let prompts: Vec<String> =
        engine.output(&s.id, 0, 100).unwrap().into_iter().filter(|e| e.kind == USER_PROMPT_KIND).map(|e| e.payload).collect();
    assert_eq!(prompts, ["first", "second", "third"]);

    // It grows again from there: read from where the re-read stopped.
    t.append(&reply("m3", "answer three"));
    assert_eq!(engine.import_terminal_sessions(&t.options()).unwrap().lines, 1);
    assert_eq!(engine.get(&s.id).unwrap().turns, 3);
    assert_eq!(engine.output(&s.id, 0, 100).unwrap().len(), 6);
}

#[test]
fn a_deleted_transcript_keeps_its_session_and_its_output() {
    let t = Transcript::new("s1");
    t.append(&prompt("keep me"));
    t.append(&reply("m1", "kept"));
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path(), EngineConfig::default()).unwrap();
    engine.import_terminal_sessions(&t.options()).unwrap();
    std::fs::remove_file(&t.path).unwrap();
    let report = engine.import_terminal_sessions(&t.options()).unwrap();
    assert_eq!(report.transcripts, 0);
    let s = terminal_sessions(&engine).remove(0);
    assert_eq!(engine.output(&s.id, 0, 100).unwrap().len(), 2);
    // Sweeps (reconciliation, expiry, retention) leave terminal sessions alone.
    let swept = tokio::runtime::Runtime::new().unwrap().block_on(engine.sweep()).unwrap();
    assert!(swept.purged.is_empty(), "an imported session of March is not purged by the 30-day retention");
    assert!(engine.find(&s.id).unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_session_the_user_deleted_is_not_imported_again() {
    let t = Transcript::new("s1");
    t.append(&prompt("delete me"));
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path(), EngineConfig::default()).unwrap();
    engine.import_terminal_sessions(&t.options()).unwrap();
    let s = terminal_sessions(&engine).remove(0);
    engine.delete(&s.id).await.unwrap();
    t.append(&reply("m1", "more"));
    let report = engine.import_terminal_sessions(&t.options()).unwrap();
    assert_eq!((report.sessions_new, report.lines), (0, 0), "{report:?}");
    assert!(terminal_sessions(&engine).is_empty());
}

#[test]
fn folders_are_included_and_excluded_and_switchboards_own_transcripts_skipped() {
    let t = Transcript::new("s1");
    t.append(&prompt("in app"));
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path(), EngineConfig::default()).unwrap();
    let excluded = ImportOptions { exclude: vec!["/home/me".into()], ..t.options() };
    assert_eq!(engine.import_terminal_sessions(&excluded).unwrap().transcripts, 0);
    let other = ImportOptions { include: vec!["/home/other".into()], ..t.options() };
    assert_eq!(engine.import_terminal_sessions(&other).unwrap().transcripts, 0);
    let included = ImportOptions { include: vec!["/home/me/".into()], ..t.options() };
    assert_eq!(engine.import_terminal_sessions(&included).unwrap().sessions_new, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appended_line_reaches_a_follower_within_a_second() {
    let t = Transcript::new("s1");
    t.append(&prompt("watch me"));
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path(), EngineConfig::default()).unwrap();
    let watch = engine.watch_terminal_sessions(t.options()).unwrap();
    let s = wait_for(|| terminal_sessions(&engine).pop(), Duration::from_secs(10)).await;
    // A line arrives in the running session: it is read from the end of the file only.
    t.append(&reply("m1", "first reply"));
    let s = wait_for(|| engine.get(&s.id).ok().filter(|s| s.turns == 1), Duration::from_secs(5)).await;
    let mut follower = engine.follow_output(&s.id, 0).unwrap();
    let seen = follower.next_batch(100).await.unwrap().unwrap();
    assert_eq!(seen.len(), 2);
    let sent = Instant::now();
    t.append(&reply("m2", "live reply"));
    let batch = tokio::time::timeout(Duration::from_secs(1), follower.next_batch(100)).await.expect("within a second").unwrap().unwrap();
    assert!(matches!(EntryView::of(&batch[0]), EntryView::AssistantText { text } if text == "live reply"));
    eprintln!("appended line seen after {:?}", sent.elapsed());
    drop(watch);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claude_process_kept_running_in_a_terminal_shows_live_running_in_a_turn_idle_between_then_ended() {
    let api = FakeApi::start();
    let (data, home, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let engine = Engine::open(data.path(), EngineConfig::default()).unwrap();
    let watch = engine.watch_terminal_sessions(options(&home.path().join(".claude"))).unwrap();
    // Claude Code kept running outside Switchboard, taking its turns on stdin.
    let mut child = Command::new(claude_bin())
        .args(["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose"])
        .current_dir(work.path())
        .env_remove("CLAUDE_CONFIG_DIR")
        .envs(api.claude_env(home.path()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let send = |stdin: &mut std::process::ChildStdin, text: &str| {
        writeln!(stdin, "{}", serde_json::json!({"type":"user","message":{"role":"user","content":text}})).unwrap();
    };
    let finish = |stdout: &mut std::io::BufReader<std::process::ChildStdout>| {
        use std::io::BufRead;
        let mut line = String::new();
        loop {
            line.clear();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "claude exited");
            if line.contains("\"type\":\"result\"") {
                return;
            }
        }
    };
    send(&mut stdin, "first turn");
    finish(&mut stdout);
    let started = Instant::now();
    let s = wait_for(|| terminal_sessions(&engine).pop().filter(|s| s.status.is_live()), Duration::from_secs(5)).await;
    eprintln!("live after {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(2), "shown live within 2 s");
    assert_eq!(s.pid, Some(child.id()));

    // Its turn is over (the reply may reach the transcript just after the CLI printed its
    // result) and the process waits for the next prompt: Idle, Running while a turn is under way.
    let s = wait_for(|| engine.get(&s.id).ok().filter(|s| s.turns >= 1 && s.status == SessionStatus::Idle), Duration::from_secs(5)).await;
    let mut follower = engine.follow_output(&s.id, engine.output_tail(&s.id, 1).unwrap().last().map_or(0, |e| e.seq)).unwrap();
    // A turn that takes a few seconds (the fake API streams 20 pieces 100 ms apart): Running.
    let prompt = "second turn [[slow 20]]";
    send(&mut stdin, prompt);
    wait_for(|| engine.get(&s.id).ok().filter(|s| s.status == SessionStatus::Running), Duration::from_secs(2)).await;
    finish(&mut stdout);
    let mut live = Vec::new();
    let answered = |live: &[OutputEntry]| {
        live.iter().skip_while(|e| !(e.kind == USER_PROMPT_KIND && e.payload == prompt)).any(|e| e.kind == "assistant_text")
    };
    while !answered(&live) {
        let batch = tokio::time::timeout(Duration::from_secs(2), follower.next_batch(100)).await.expect("the new turn arrives live");
        live.extend(batch.unwrap().unwrap());
    }
    wait_for(|| engine.get(&s.id).ok().filter(|s| s.status == SessionStatus::Idle), Duration::from_secs(2)).await;

    drop(stdin);
    child.wait().unwrap();
    let s = wait_for(|| engine.get(&s.id).ok().filter(|s| s.status == SessionStatus::Ended), Duration::from_secs(5)).await;
    assert_eq!(s.pid, None);
    drop(watch);
}

/// Polls `f` until it gives a value (at most `limit`). The watch runs on its own thread and
/// announces through engine events too, but a poll keeps these tests independent of which
/// event carries which field.
async fn wait_for<T>(f: impl Fn() -> Option<T>, limit: Duration) -> T {
    let until = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < until, "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_in_switchboard_continues_the_conversation_and_is_refused_while_the_terminal_runs_it() {
    let api = FakeApi::start();
    let (data, home, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = run_claude(&api, work.path(), home.path(), None, "remember the word teapot");
    let engine = claude_engine(data.path(), EngineConfig::default());
    let claude_dir = home.path().join(".claude");
    engine.import_terminal_sessions(&options(&claude_dir)).unwrap();
    let terminal = terminal_sessions(&engine).remove(0);
    let sid = first["session_id"].as_str().unwrap().to_string();

    // Switchboard only follows a terminal session: it does not send to or end it.
    let refused = engine.post(&terminal.id, "hello").await.unwrap_err();
    assert!(refused.to_string().contains("runs in a terminal"), "{refused}");

    // The same conversation still open in a terminal (`claude --resume`, waiting on stdin): refused.
    let mut held = Command::new(claude_bin())
        .args(["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--resume", &sid])
        .current_dir(work.path())
        .env_remove("CLAUDE_CONFIG_DIR")
        .envs(api.claude_env(home.path()))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = wait_for(|| engine.terminal_process(&terminal).unwrap(), Duration::from_secs(5)).await;
    assert_eq!(running.process.pid, held.id());
    let err = engine.resume(&terminal.id, Some("and now?".into())).await.unwrap_err();
    assert!(err.to_string().contains("still running in a terminal"), "{err}");
    drop(held.stdin.take());
    held.wait().unwrap();

    // Once it has quit: a new Switchboard session on the same Claude session id.
    let config = SessionConfig { env: api.claude_env(home.path()).into_iter().collect(), max_turns: Some(5), ..Default::default() };
    let resumed = engine.resume_terminal_session(&terminal.id, config, Some("what was the word?".into())).await.unwrap();
    assert_ne!(resumed.id, terminal.id);
    assert_eq!(resumed.origin, SessionOrigin::Switchboard);
    assert_eq!(resumed.agent_session_id.as_deref(), Some(sid.as_str()), "the same conversation");
    assert_eq!(resumed.config.metadata["resumed_from"], terminal.id.as_str());
    let done = wait_until(&engine, &resumed.id, 30, |s| s.turns > 0 || !s.status.is_live()).await;
    assert!(done.last_error.is_none(), "{:?}", done.last_error);
    let result = engine.output(&resumed.id, 0, 1000).unwrap().into_iter().find(|e| e.kind == "result").expect("a result");
    assert!(result.payload.contains(&sid), "the CLI continued session {sid}");
    // Its turns are the new session's: the terminal session's transcript is no longer imported into it.
    let before = engine.output(&terminal.id, 0, 10_000).unwrap().len();
    engine.import_terminal_sessions(&options(&claude_dir)).unwrap();
    assert_eq!(engine.output(&terminal.id, 0, 10_000).unwrap().len(), before);
    engine.end(&resumed.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subagent_transcript_becomes_a_child_session_linked_to_its_parent() {
    let t = Transcript::new("s1");
    t.append(&prompt("research this"));
    let sub_dir = t.path.parent().unwrap().join("s1").join("subagents");
    std::fs::create_dir_all(&sub_dir).unwrap();
    let child = sub_dir.join("agent-a1.jsonl");
    std::fs::write(&child, prompt("look in the docs") + &reply("m9", "found it")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path(), EngineConfig::default()).unwrap();
    let report = engine.import_terminal_sessions(&t.options()).unwrap();
    assert_eq!(report.sessions_new, 2, "{report:?}");
    let parent = engine.find_by_agent_session_id("s1").unwrap().expect("the parent");
    let sessions = terminal_sessions(&engine);
    let sub = sessions.iter().find(|s| s.id != parent.id).expect("the child");
    assert_eq!(sub.config.metadata["subagent_of"], parent.id.as_str());
    assert_eq!((sub.agent_session_id.as_deref(), sub.turns, sub.title.as_str()), (None, 1, "look in the docs"));
    let err = engine.resume(&sub.id, None).await.unwrap_err();
    assert!(err.to_string().contains("no Claude session id"), "{err}");
}

#[test]
fn sessions_are_listed_with_their_counts_first_then_their_lines_stored_once() {
    let t = Transcript::new("s1");
    t.append(&prompt("list me"));
    t.append(&reply("m1", "one"));
    t.append(&reply("m1", "same message, second block"));
    let half = reply("m2", "two");
    t.append(&half[..10]);
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path(), EngineConfig::default()).unwrap();
    let listed = engine.list_terminal_sessions(&t.options()).unwrap();
    assert_eq!((listed.sessions_new, listed.lines), (1, 0), "{listed:?}");
    let s = terminal_sessions(&engine).remove(0);
    assert_eq!((s.turns, s.input_tokens, s.output_tokens, s.title.as_str()), (1, 100, 10, "list me"), "exact counts at once");
    assert!(engine.output(&s.id, 0, 100).unwrap().is_empty(), "no lines stored yet");

    t.append(&half[10..]);
    let report = engine.import_terminal_sessions(&t.options()).unwrap();
    assert_eq!((report.sessions_new, report.lines), (0, 4), "{report:?}");
    let s = engine.get(&s.id).unwrap();
    assert_eq!((s.turns, s.input_tokens, s.output_tokens), (2, 200, 20), "the listed lines are not counted twice; the completed one is");
    let kinds: Vec<String> = engine.output(&s.id, 0, 100).unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [USER_PROMPT_KIND, "assistant_text", "assistant_text", "assistant_text"]);
}

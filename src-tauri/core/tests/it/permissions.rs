//! Approving and denying tool use, with the real Claude Code CLI against the fake API in
//! default permission mode (`--permission-prompt-tool stdio`).

use std::time::Duration;

use switchboard_core::*;

use crate::support::*;

struct Fx {
    api: FakeApi,
    _dir: tempfile::TempDir,
    work: tempfile::TempDir,
    home: tempfile::TempDir,
    e: Engine,
}

fn fx() -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let e = claude_engine(dir.path(), EngineConfig { stop_grace: Duration::from_secs(2), ..Default::default() });
    Fx { api: FakeApi::start(), _dir: dir, work: tempfile::tempdir().unwrap(), home: tempfile::tempdir().unwrap(), e }
}

impl Fx {
    async fn start(&self, prompt: &str) -> Session {
        self.e.create(claude_session(&self.api, self.work.path(), self.home.path(), Some(prompt))).await.unwrap()
    }
    fn path(&self, name: &str) -> std::path::PathBuf {
        self.work.path().canonicalize().unwrap().join(name)
    }
    async fn pending(&self, id: &str) -> PermissionRequest {
        wait_until(&self.e, id, 60, |s| s.status == SessionStatus::WaitingInput).await;
        let p = self.e.pending_permissions(Some(id)).unwrap();
        assert_eq!(p.len(), 1, "{p:?}");
        p.into_iter().next().unwrap()
    }
    fn last_text(&self, id: &str) -> String {
        self.e
            .output(id, 0, 10_000)
            .unwrap()
            .iter()
            .rev()
            .find_map(|o| match EntryView::of(o) {
                EntryView::AssistantText { text } => Some(text),
                _ => None,
            })
            .unwrap_or_default()
    }
}

fn allow() -> PermissionDecision {
    PermissionDecision::Allow { updated_input: None, always: false, rule: None }
}

fn allow_with(rule: RuleScope) -> PermissionDecision {
    PermissionDecision::Allow { updated_input: None, always: true, rule: Some(rule) }
}

fn prefix(p: &str) -> RuleScope {
    RuleScope::Command { prefix: p.into() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_waits_for_approval_and_allowing_writes_the_file() {
    let f = fx();
    let target = f.path("allowed.txt");
    let s = f.start(&format!("[[tool:write {} hello from the agent]]", target.display())).await;
    let p = f.pending(&s.id).await;
    assert_eq!(p.tool_name, "Write");
    assert_eq!(p.input["file_path"], target.to_string_lossy().as_ref());
    assert_eq!(p.input["content"], "hello from the agent");
    assert_eq!(p.gist, format!("wants to write {}", target.display()));
    assert!(!target.exists(), "nothing written before the answer");
    assert_eq!(f.e.get(&s.id).unwrap().status, SessionStatus::WaitingInput);

    // As the window sends it: the (unchanged) input comes back with the Allow.
    let as_sent = PermissionDecision::Allow { updated_input: Some(p.input.clone()), always: false, rule: None };
    let decided = f.e.decide(&s.id, &p.request_id, as_sent, Decider::App).unwrap();
    assert!(
        matches!(decided.decision, Some(PermissionDecision::Allow { updated_input: None, .. })),
        "an unchanged input is no edit: {:?}",
        decided.decision
    );
    let idle = wait_until(&f.e, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "hello from the agent");
    assert_eq!(f.last_text(&s.id), format!("Wrote {}.", target.display()));
    assert!(f.e.pending_permissions(None).unwrap().is_empty());
    let log = f.e.session_log(&s.id).unwrap();
    assert!(
        log.iter().any(|e| e.detail["permission"] == "allowed" && e.detail["tool"] == "Write" && e.detail["by"] == "app"),
        "the decision is in the task log, with who decided where"
    );
    assert_eq!(decided.decided_by, Some(Decider::App), "stored with who decided");
    f.e.end(&s.id).await.unwrap();
    assert!(!switchboard_core::runner::group_alive(idle.pid.unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denying_with_a_message_writes_nothing_and_the_turn_ends_cleanly() {
    let f = fx();
    let target = f.path("denied.txt");
    let s = f.start(&format!("[[tool:write {} nope]]", target.display())).await;
    let p = f.pending(&s.id).await;
    f.e.decide(&s.id, &p.request_id, PermissionDecision::Deny { message: "Not in this folder.".into() }, Decider::App).unwrap();
    wait_until(&f.e, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    assert!(!target.exists());
    assert_eq!(f.last_text(&s.id), "Write was refused: Not in this folder.");
    let err = f.e.decide(&s.id, &p.request_id, allow(), Decider::App).unwrap_err();
    assert!(err.to_string().contains("already answered"), "{err}");
    f.e.end(&s.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_for_the_session_answers_that_tool_later_but_other_sessions_still_ask() {
    let f = fx();
    let s = f.start(&format!("[[tool:write {} one]]", f.path("one.txt").display())).await;
    let p = f.pending(&s.id).await;
    let folder = f.work.path().canonicalize().unwrap();
    assert_eq!(p.proposed_rule, Some(RuleScope::Path { glob: format!("{}/**", folder.display()) }), "the file's folder is offered");
    let decided =
        f.e.decide(&s.id, &p.request_id, PermissionDecision::Allow { updated_input: None, always: true, rule: None }, Decider::Cli)
            .unwrap();
    assert_eq!(decided.decided_by, Some(Decider::Cli));
    assert!(
        matches!(decided.decision, Some(PermissionDecision::Allow { rule: Some(RuleScope::Path { .. }), .. })),
        "the decision names the rule saved"
    );
    wait_until(&f.e, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    let again = f.e.send(&s.id, &format!("[[tool:write {} two]]", f.path("two.txt").display()), Duration::from_secs(60)).await.unwrap();
    assert!(again.success, "{again:?}");
    assert_eq!(std::fs::read_to_string(f.path("two.txt")).unwrap(), "two", "answered without asking");
    // A file outside the folder is asked for.
    let outside = f.home.path().canonicalize().unwrap().join("outside.txt");
    let turn = {
        let (e, id, t) = (f.e.clone(), s.id.clone(), format!("[[tool:write {} out]]", outside.display()));
        tokio::spawn(async move { e.send(&id, &t, Duration::from_secs(60)).await })
    };
    let asked = f.pending(&s.id).await;
    assert_eq!(asked.input["file_path"], outside.to_string_lossy().as_ref());
    f.e.decide(&s.id, &asked.request_id, PermissionDecision::Deny { message: "no".into() }, Decider::App).unwrap();
    turn.await.unwrap().unwrap();
    assert!(!outside.exists());
    let other = f.start(&format!("[[tool:write {} three]]", f.path("three.txt").display())).await;
    let asked = f.pending(&other.id).await;
    assert_eq!(asked.tool_name, "Write", "another session still asks");
    f.e.end(&other.id).await.unwrap();
    f.e.end(&s.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_sessions_wait_at_once_and_are_answered_independently() {
    let f = fx();
    let mut ids = Vec::new();
    // `touch` changes the disk, so Claude Code asks (read-only commands like `echo` it allows itself).
    for i in 0..3 {
        ids.push(f.start(&format!("[[tool:bash touch {}]]", f.path(&format!("s{i}")).display())).await.id);
    }
    let mut requests = Vec::new();
    for id in &ids {
        requests.push(f.pending(id).await);
    }
    assert_eq!(f.e.pending_permissions(None).unwrap().len(), 3);
    assert_eq!(requests[1].gist, format!("wants to run: touch {}", f.path("s1").display()));
    // Answer the middle one: only it moves on.
    f.e.decide(&ids[1], &requests[1].request_id, allow(), Decider::App).unwrap();
    wait_until(&f.e, &ids[1], 60, |s| s.status == SessionStatus::Idle).await;
    for i in [0, 2] {
        assert_eq!(f.e.get(&ids[i]).unwrap().status, SessionStatus::WaitingInput);
    }
    assert!(f.path("s1").exists() && !f.path("s0").exists() && !f.path("s2").exists());
    f.e.decide(&ids[0], &requests[0].request_id, PermissionDecision::Deny { message: "no".into() }, Decider::App).unwrap();
    f.e.decide(&ids[2], &requests[2].request_id, allow(), Decider::App).unwrap();
    for id in &ids {
        wait_until(&f.e, id, 60, |s| s.status == SessionStatus::Idle).await;
        f.e.end(id).await.unwrap();
    }
    assert!(!f.path("s0").exists() && f.path("s2").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_or_end_while_waiting() {
    let f = fx();
    let s = f.start(&format!("[[tool:bash touch {}]]", f.path("w").display())).await;
    f.pending(&s.id).await;
    f.e.interrupt(&s.id).await.unwrap();
    let idle = wait_until(&f.e, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    assert!(f.e.pending_permissions(Some(&s.id)).unwrap().is_empty(), "no pending request left");
    let next = f.e.send(&s.id, "hello again", Duration::from_secs(60)).await.unwrap();
    assert!(next.success, "usable for the next turn: {next:?}");
    f.e.end(&s.id).await.unwrap();
    assert!(!switchboard_core::runner::group_alive(idle.pid.unwrap()));

    let s = f.start(&format!("[[tool:bash touch {}]]", f.path("never").display())).await;
    f.pending(&s.id).await;
    let ended = f.e.end(&s.id).await.unwrap();
    assert_eq!(ended.status, SessionStatus::Ended);
    assert!(f.e.pending_permissions(Some(&s.id)).unwrap().is_empty());
    assert!(!switchboard_core::runner::group_alive(s.pid.unwrap()), "no process left");
}

/// Sends `text` as a turn in the background (the test answers what it asks meanwhile).
fn send_in_background(e: &Engine, id: &str, text: String) -> tokio::task::JoinHandle<Result<CommandResult>> {
    let (e, id) = (e.clone(), id.to_string());
    tokio::spawn(async move { e.send(&id, &text, Duration::from_secs(60)).await })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bash_rule_allows_only_commands_that_start_with_its_words() {
    let f = fx();
    let s = f.start("[[tool:bash touch one]]").await;
    let p = f.pending(&s.id).await;
    assert_eq!(p.proposed_rule, Some(prefix("touch one")), "the first two words are offered");
    let decided = f.e.decide(&s.id, &p.request_id, allow_with(prefix("  touch  ")), Decider::App).unwrap();
    assert!(
        matches!(decided.decision, Some(PermissionDecision::Allow { rule: Some(RuleScope::Command { ref prefix }), .. }) if prefix == "touch")
    );
    wait_until(&f.e, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    assert!(f.path("one").exists());
    let rules = f.e.permission_rules(&s.id).unwrap();
    assert_eq!(rules.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(), ["Bash(touch:*)"]);

    // Starts with the words: answered without asking.
    let done = f.e.send(&s.id, "[[tool:bash touch two]]", Duration::from_secs(60)).await.unwrap();
    assert!(done.success && f.path("two").exists(), "{done:?}");
    let log = f.e.session_log(&s.id).unwrap();
    assert!(
        log.iter().any(|e| e.detail["permission"] == "allowed by Bash(touch:*)" && e.detail["by"] == "rule"),
        "the task log names the rule"
    );

    // Shell control after the prefix: asked, and nothing ran.
    let turn = send_in_background(&f.e, &s.id, "[[tool:bash touch three; touch four]]".into());
    let asked = f.pending(&s.id).await;
    assert_eq!(asked.input["command"], "touch three; touch four");
    f.e.decide(&s.id, &asked.request_id, PermissionDecision::Deny { message: "no".into() }, Decider::App).unwrap();
    let r = turn.await.unwrap().unwrap();
    assert!(r.success, "three: {:?}", r.error);
    assert!(!f.path("three").exists() && !f.path("four").exists());

    // Another tool is never matched by a Bash rule: see a_rule_never_matches_another_tool.
    f.e.end(&s.id).await.unwrap();
}

// Kept to three turns a session: from the fourth turn on, the fake API loses track of a
// tool_result turn and asks for the tool again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_rule_asks_again() {
    let f = fx();
    let s = f.start("[[tool:bash touch one]]").await;
    let p = f.pending(&s.id).await;
    f.e.decide(&s.id, &p.request_id, allow_with(prefix("touch")), Decider::App).unwrap();
    wait_until(&f.e, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    let rules = f.e.permission_rules(&s.id).unwrap();
    assert_eq!(rules.len(), 1);
    f.e.revoke_permission_rule(&s.id, rules[0].id).unwrap();
    assert!(f.e.permission_rules(&s.id).unwrap().is_empty());
    assert!(f.e.revoke_permission_rule(&s.id, rules[0].id).is_err(), "revoking twice is refused");
    let turn = send_in_background(&f.e, &s.id, "[[tool:bash touch five]]".into());
    let asked = f.pending(&s.id).await;
    f.e.decide(&s.id, &asked.request_id, PermissionDecision::Deny { message: "no".into() }, Decider::App).unwrap();
    let r = turn.await.unwrap().unwrap();
    assert!(r.success, "five: {:?}", r.error);
    assert!(!f.path("five").exists());
    f.e.end(&s.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_agent_dies_its_questions_are_cancelled_and_its_rules_do_not_carry_over_to_a_resume() {
    let f = fx();
    let s = f.start("[[tool:bash touch a]]").await;
    let p = f.pending(&s.id).await;
    f.e.decide(&s.id, &p.request_id, allow_with(prefix("touch")), Decider::App).unwrap();
    wait_until(&f.e, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    assert!(f.path("a").exists());

    let target = f.path("after-crash.txt");
    let turn = send_in_background(&f.e, &s.id, format!("[[tool:write {} late]]", target.display()));
    let asked = f.pending(&s.id).await;
    let pid = f.e.get(&s.id).unwrap().pid.unwrap();
    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGKILL).unwrap();
    let dead = wait_until(&f.e, &s.id, 60, |s| !s.status.is_live()).await;
    assert!(matches!(dead.status, SessionStatus::Error { .. }), "{:?}", dead.status);
    let _ = turn.await;

    assert!(f.e.pending_permissions(Some(&s.id)).unwrap().is_empty(), "nothing left pending for a dead agent");
    let (row, _) = Store::open(f._dir.path()).unwrap().permission(&s.id, &asked.request_id).unwrap().unwrap();
    assert!(matches!(row.decision, Some(PermissionDecision::Cancelled { .. })), "{row:?}");
    let err =
        f.e.decide(&s.id, &asked.request_id, PermissionDecision::Allow { updated_input: None, always: true, rule: None }, Decider::App)
            .unwrap_err();
    assert!(err.to_string().contains("already cancelled"), "{err}");
    assert!(!target.exists());
    assert!(f.e.permission_rules(&s.id).unwrap().is_empty(), "no rule outlives its agent");

    // The resumed agent asks again, for the Write and for the command the old rule covered.
    f.e.resume(&s.id, Some("[[tool:bash touch b]]".into())).await.unwrap();
    let again = f.pending(&s.id).await;
    assert_eq!(again.input["command"], "touch b");
    assert!(!f.path("b").exists());
    f.e.end(&s.id).await.unwrap();
    assert!(!f.path("b").exists());
}

#[test]
fn a_repeated_request_id_keeps_its_decision_and_is_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let t = chrono::Utc::now();
    let request = |cmd: &str| PermissionRequest {
        session_id: "claude_1".into(),
        request_id: "r1".into(),
        tool_name: "Bash".into(),
        input: serde_json::json!({ "command": cmd }),
        description: None,
        gist: format!("wants to run: {cmd}"),
        asked_at: t,
        decision: None,
        decided_at: None,
        decided_by: None,
        proposed_rule: None,
    };
    assert!(store.insert_permission(&request("touch x")).unwrap());
    assert!(store.decide_permission("claude_1", "r1", &PermissionDecision::Deny { message: "no".into() }, Some(Decider::Cli), t).unwrap());
    assert!(store.claim_permission_delivery("claude_1", "r1").unwrap(), "the first delivery is claimed");
    assert!(!store.insert_permission(&request("rm -rf /")).unwrap(), "the repeat is refused");
    let (row, answered) = store.permission("claude_1", "r1").unwrap().unwrap();
    assert_eq!(row.decision, Some(PermissionDecision::Deny { message: "no".into() }), "the decision stands");
    assert_eq!(row.input["command"], "touch x", "the first request stands");
    assert!(answered);
    assert!(!store.claim_permission_delivery("claude_1", "r1").unwrap(), "never delivered twice");
    assert!(!store
        .decide_permission("claude_1", "r1", &PermissionDecision::Allow { updated_input: None, always: true, rule: None }, None, t)
        .unwrap());
    assert!(store.pending_permissions(None).unwrap().is_empty());
}

#[test]
fn command_rules_match_whole_leading_words_and_never_shell_control() {
    use switchboard_core::permission_rules::command_matches;
    let must = [
        ("npm test", "npm test"),
        ("npm test", "npm test --watch"),
        ("npm test", "npm  test   -- --grep x"),
        ("npm test", "  npm test"),
        ("git", "git status"),
        ("cargo build", "cargo build --release"),
    ];
    let must_not = [
        ("npm test", "npm testx"),
        ("npm test", "npm"),
        ("npm test", "npm run test"),
        ("npm test", "npm test; rm -rf /"),
        ("npm test", "npm test && rm -rf /"),
        ("npm test", "npm test || rm -rf /"),
        ("npm test", "npm test | sh"),
        ("npm test", "npm test & rm -rf /"),
        ("npm test", "npm test `rm -rf /`"),
        ("npm test", "npm test $(rm -rf /)"),
        ("npm test", "npm test > ~/.bashrc"),
        ("npm test", "npm test < /etc/shadow"),
        ("npm test", "npm test\nrm -rf /"),
        ("npm test", "npm test\rrm -rf /"),
        ("npm test", "npm test --grep 'a;b'"),
        ("npm test", "NODE_ENV=x npm test"),
        ("", "anything"),
        ("   ", "anything"),
    ];
    for (prefix, command) in must {
        assert!(command_matches(prefix, command), "{prefix:?} must match {command:?}");
    }
    for (prefix, command) in must_not {
        assert!(!command_matches(prefix, command), "{prefix:?} must not match {command:?}");
    }
}

#[test]
fn path_rules_match_inside_their_glob_only() {
    use switchboard_core::permission_rules::path_matches;
    let must = [
        ("/w/src/**", "/w/src/a.rs"),
        ("/w/src/**", "/w/src/deep/er/a.rs"),
        ("/w/src/**", "/w/src/./a.rs"),
        ("/w/src/**", "/w//src/a.rs"),
        ("/w/src/*", "/w/src/a.rs"),
        ("/w/src/a.rs", "/w/src/a.rs"),
        ("/**", "/etc/passwd"),
    ];
    let must_not = [
        ("/w/src/**", "/w/src/../secret"),
        ("/w/src/**", "/w/src/a/../../secret"),
        ("/w/src/**", "/w/srcx/a.rs"),
        ("/w/src/**", "/w/src"),
        ("/w/src/**", "/w/other/a.rs"),
        ("/w/src/**", "src/a.rs"),
        ("/w/src/**", "/w/src/x/../a.rs"),
        ("/w/src/*", "/w/src/deep/a.rs"),
        ("/w/src/a.rs", "/w/src/b.rs"),
        ("/w/src/a.rs", "/w/src/a.rs/x"),
        ("/w/../etc/**", "/etc/passwd"),
        ("/w/*/x", "/w/a/x"),
    ];
    for (glob, path) in must {
        assert!(path_matches(glob, path), "{glob:?} must match {path:?}");
    }
    for (glob, path) in must_not {
        assert!(!path_matches(glob, path), "{glob:?} must not match {path:?}");
    }
}

#[test]
fn a_rule_never_matches_another_tool_and_bad_rules_are_refused() {
    use serde_json::json;
    use switchboard_core::permission_rules::{label, matches, propose, validate};
    let bash = prefix("npm test");
    assert!(matches("Bash", &bash, "Bash", &json!({ "command": "npm test" })));
    assert!(!matches("Bash", &bash, "Write", &json!({ "command": "npm test" })));
    let write = RuleScope::Path { glob: "/w/**".into() };
    assert!(matches("Write", &write, "Write", &json!({ "file_path": "/w/a" })));
    assert!(!matches("Write", &write, "Edit", &json!({ "file_path": "/w/a" })));
    assert!(!matches("Write", &write, "Write", &json!({ "path": "/w/a" })), "the path is read from file_path only");
    assert!(matches("WebFetch", &RuleScope::AnyInput, "WebFetch", &json!({ "url": "x" })));
    assert!(!matches("Bash", &RuleScope::AnyInput, "Bash", &json!({ "command": "x" })), "Bash is never allowed whole");

    assert_eq!(label("Bash", &bash), "Bash(npm test:*)");
    assert_eq!(label("Write", &write), "Write(/w/**)");
    assert_eq!(validate("Bash", &prefix("  npm   test ")).unwrap(), prefix("npm test"));
    assert_eq!(validate("Write", &RuleScope::Path { glob: "/w/./src//**".into() }).unwrap(), RuleScope::Path { glob: "/w/src/**".into() });
    for (tool, bad) in [
        ("Bash", prefix("")),
        ("Bash", prefix("npm test; rm")),
        ("Bash", prefix("a\nb")),
        ("Bash", RuleScope::AnyInput),
        ("Bash", RuleScope::Path { glob: "/w/**".into() }),
        ("Write", RuleScope::Path { glob: "w/**".into() }),
        ("Write", RuleScope::Path { glob: "/w/../**".into() }),
        ("Write", RuleScope::Path { glob: "/w/*.rs".into() }),
        ("Write", prefix("npm")),
        ("Write", RuleScope::AnyInput),
        ("WebFetch", prefix("x")),
        ("Bash", prefix(&"x".repeat(2_000))),
    ] {
        assert!(validate(tool, &bad).is_err(), "{tool} {bad:?} must be refused");
    }

    assert_eq!(propose("Bash", &json!({ "command": "npm test -- --watch" })), Some(prefix("npm test")));
    assert_eq!(propose("Bash", &json!({ "command": "ls" })), Some(prefix("ls")));
    assert_eq!(propose("Bash", &json!({ "command": "cd x && make" })), Some(prefix("cd x")));
    assert_eq!(propose("Bash", &json!({ "command": "  " })), None);
    assert_eq!(propose("Edit", &json!({ "file_path": "/w/src/a.rs" })), Some(RuleScope::Path { glob: "/w/src/**".into() }));
    assert_eq!(propose("Write", &json!({ "file_path": "/a.txt" })), Some(RuleScope::Path { glob: "/a.txt".into() }));
    assert_eq!(propose("Write", &json!({ "file_path": "rel/a.txt" })), None);
    assert_eq!(propose("WebFetch", &json!({ "url": "https://x" })), Some(RuleScope::AnyInput));
}

//! Approving and denying tool use, with the real Claude Code CLI against the fake API in
//! default permission mode (`--permission-prompt-tool stdio`).

mod support;

use std::time::Duration;

use switchboard_core::*;
use support::*;

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
        self.e.output(id, 0, 10_000).unwrap().iter().rev().find_map(|o| match EntryView::of(o) { EntryView::AssistantText { text } => Some(text), _ => None }).unwrap_or_default()
    }
}

fn allow() -> PermissionDecision {
    PermissionDecision::Allow { updated_input: None, always: false }
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

    let decided = f.e.decide(&s.id, &p.request_id, allow()).unwrap();
    assert!(matches!(decided.decision, Some(PermissionDecision::Allow { .. })));
    let idle = wait_until(&f.e, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "hello from the agent");
    assert_eq!(f.last_text(&s.id), format!("Wrote {}.", target.display()));
    assert!(f.e.pending_permissions(None).unwrap().is_empty());
    let log = f.e.session_log(&s.id).unwrap();
    assert!(log.iter().any(|e| e.detail["permission"] == "allowed" && e.detail["tool"] == "Write"), "the decision is in the task log");
    f.e.end(&s.id).await.unwrap();
    assert!(!switchboard_core::runner::group_alive(idle.pid.unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denying_with_a_message_writes_nothing_and_the_turn_ends_cleanly() {
    let f = fx();
    let target = f.path("denied.txt");
    let s = f.start(&format!("[[tool:write {} nope]]", target.display())).await;
    let p = f.pending(&s.id).await;
    f.e.decide(&s.id, &p.request_id, PermissionDecision::Deny { message: "Not in this folder.".into() }).unwrap();
    wait_until(&f.e, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    assert!(!target.exists());
    assert_eq!(f.last_text(&s.id), "Write was refused: Not in this folder.");
    let err = f.e.decide(&s.id, &p.request_id, allow()).unwrap_err();
    assert!(err.to_string().contains("already answered"), "{err}");
    f.e.end(&s.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_for_the_session_answers_that_tool_later_but_other_sessions_still_ask() {
    let f = fx();
    let s = f.start(&format!("[[tool:write {} one]]", f.path("one.txt").display())).await;
    let p = f.pending(&s.id).await;
    f.e.decide(&s.id, &p.request_id, PermissionDecision::Allow { updated_input: None, always: true }).unwrap();
    wait_until(&f.e, &s.id, 60, |s| s.status == SessionStatus::Idle).await;
    let again = f.e.send(&s.id, &format!("[[tool:write {} two]]", f.path("two.txt").display()), Duration::from_secs(60)).await.unwrap();
    assert!(again.success, "{again:?}");
    assert_eq!(std::fs::read_to_string(f.path("two.txt")).unwrap(), "two", "answered without asking");
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
    f.e.decide(&ids[1], &requests[1].request_id, allow()).unwrap();
    wait_until(&f.e, &ids[1], 60, |s| s.status == SessionStatus::Idle).await;
    for i in [0, 2] {
        assert_eq!(f.e.get(&ids[i]).unwrap().status, SessionStatus::WaitingInput);
    }
    assert!(f.path("s1").exists() && !f.path("s0").exists() && !f.path("s2").exists());
    f.e.decide(&ids[0], &requests[0].request_id, PermissionDecision::Deny { message: "no".into() }).unwrap();
    f.e.decide(&ids[2], &requests[2].request_id, allow()).unwrap();
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

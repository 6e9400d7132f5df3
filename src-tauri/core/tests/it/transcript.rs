//! The transcript a person reads: their own prompts in order with the agent's answers,
//! live and after the app restarts.

use std::time::Duration;

use switchboard_core::*;

use crate::support::*;

fn texts(engine: &Engine, id: &str) -> Vec<String> {
    engine
        .output(id, 0, 1000)
        .unwrap()
        .iter()
        .filter_map(|e| match OutputItem::from_entry(e).view {
            EntryView::UserText { text } => Some(format!("user: {text}")),
            EntryView::TurnResult { text, .. } => Some(format!("agent: {}", text.unwrap_or_default())),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_prompts_are_in_the_transcript_in_order_live_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let bin = fake_claude(work.path(), &result_line("3", "0.01"));
    let id = {
        let engine = claude_engine_with(dir.path(), &bin, ManualClock::new(), EngineConfig::default());
        let s = engine.create(claude_request(work.path(), Some("first, the plan"))).await.unwrap();
        wait_until(&engine, &s.id, 10, |s| s.status == SessionStatus::Idle && s.turns == 1).await;
        // Followed live from the start: the prompt comes before its answer.
        let mut live = engine.follow_output(&s.id, 0).unwrap();
        let r = engine.send(&s.id, "then, the follow-up\nwith two lines", Duration::from_secs(20)).await.unwrap();
        assert!(r.success, "{r:?}");
        engine.flush_output();
        let mut seen = Vec::new();
        while let Ok(Some(batch)) = tokio::time::timeout(Duration::from_millis(300), live.next_batch(100)).await.unwrap_or(Ok(None)) {
            seen.extend(batch.iter().map(|e| e.kind.clone()));
        }
        let prompt_at = seen.iter().rposition(|k| k == "user_prompt").expect("the follow-up is seen live");
        assert!(seen[prompt_at..].iter().any(|k| k == "result"), "its answer follows it: {seen:?}");
        engine.end(&s.id).await.unwrap();
        s.id
    };
    // A new process (the app restarted) reads the same transcript.
    let engine = claude_engine_with(dir.path(), &bin, ManualClock::new(), EngineConfig::default());
    assert_eq!(texts(&engine, &id), vec!["user: first, the plan", "agent: ok", "user: then, the follow-up\nwith two lines", "agent: ok"]);
}

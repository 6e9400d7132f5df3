//! Full-text search over stored output (issue 19): the background indexer finds a word a
//! moment after it was printed, catches up after a restart, and the filters narrow hits.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use switchboard_core::*;

use crate::support::*;

/// Searches until `query` has at least one hit, for at most `secs`.
fn search_until(engine: &Engine, query: &str, filter: &SearchFilter, secs: u64) -> Vec<SearchHit> {
    let t = Instant::now();
    loop {
        let hits = engine.search(query, filter, 50).expect("search");
        if !hits.is_empty() || t.elapsed() > Duration::from_secs(secs) {
            return hits;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_word_printed_a_moment_ago_is_found_within_the_indexer_lag() {
    let (dir, cwd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let s = engine.create(command(cwd.path(), "sh", &["-c", "w=zanzi; echo warming up; echo the ${w}barite crystal glows"])).await.unwrap();
    wait_final(&engine, &s.id).await;
    engine.flush_output();
    let stored = Instant::now();
    let hits = search_until(&engine, "Zanzibarite", &SearchFilter::default(), 5);
    let lag = stored.elapsed();
    // (The word is put together by the shell: the command line, in the lifecycle entry, lacks it.)
    assert_eq!(hits.len(), 1, "{hits:?}");
    let h = &hits[0];
    assert_eq!(
        (h.session_id.as_str(), h.before.as_str(), h.matched.as_str(), h.after.as_str()),
        (s.id.as_str(), "the ", "zanzibarite", " crystal glows")
    );
    let page = engine.output(&s.id, h.seq - 1, 1).unwrap();
    assert!(page[0].payload.contains("zanzibarite"), "the hit's seq opens the entry: {page:?}");
    assert!(lag < Duration::from_secs(2), "found {lag:?} after it was stored");
}

fn entry(session: &str, seq: u64, ts: chrono::DateTime<Utc>, payload: &str) -> OutputEntry {
    OutputEntry { session_id: session.into(), seq, ts, stream: Stream::Stdout, kind: "assistant_text".into(), payload: payload.into() }
}

fn text_line(text: &str) -> String {
    format!(r#"{{"type":"assistant","message":{{"id":"msg_1","content":[{{"type":"text","text":"{text}"}}]}}}}"#)
}

#[test]
fn output_stored_while_no_indexer_ran_is_found_after_a_restart_and_filters_narrow_hits() {
    let dir = tempfile::tempdir().unwrap();
    let old = Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap();
    let new = Utc.with_ymd_and_hms(2026, 6, 10, 9, 0, 0).unwrap();
    {
        // Written by the store alone: no engine, so no indexer saw it.
        let store = Store::open(dir.path()).unwrap();
        let mut a = Session::new("claude_a".into(), AgentKind::Claude, "Session A".into(), "/tmp".into(), SessionConfig::default(), old);
        a.task_id = Some("T1".into());
        let mut b = Session::new("command_b".into(), AgentKind::Command, "Session B".into(), "/tmp".into(), SessionConfig::default(), new);
        b.task_id = Some("T2".into());
        let c = Session::new("command_c".into(), AgentKind::Command, "Session C".into(), "/tmp".into(), SessionConfig::default(), new);
        store.insert_sessions(&[a, b, c]).unwrap();
        store
            .append_output(&[
                entry("claude_a", 1, old, &text_line("the pangolin rolled up")),
                entry("claude_a", 2, old, &text_line("nothing here")),
            ])
            .unwrap();
        store.append_output(&[entry("command_b", 1, new, "pangolin scales"), entry("command_c", 1, new, "a PANGOLIN again")]).unwrap();
        assert_eq!(store.search_backlog().unwrap(), 4);
    }
    let engine = Engine::open(dir.path(), EngineConfig::default()).unwrap();
    let all = SearchFilter::default();
    let wait = Instant::now();
    while engine.search("pangolin", &all, 50).unwrap().len() < 3 && wait.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let ids = |f: &SearchFilter| engine.search("pangolin", f, 50).unwrap().into_iter().map(|h| h.session_id).collect::<Vec<_>>();
    assert_eq!(ids(&all), ["command_c", "command_b", "claude_a"], "newest first");
    assert_eq!(ids(&SearchFilter { session_id: Some("command_b".into()), ..Default::default() }), ["command_b"]);
    assert_eq!(ids(&SearchFilter { task_id: Some("T1".into()), ..Default::default() }), ["claude_a"]);
    assert_eq!(ids(&SearchFilter { agent: Some(AgentKind::Command), ..Default::default() }), ["command_c", "command_b"]);
    assert_eq!(
        ids(&SearchFilter { since: Some(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()), ..Default::default() }),
        ["command_c", "command_b"]
    );
    assert_eq!(ids(&SearchFilter { agent: Some(AgentKind::Command), task_id: Some("T2".into()), ..Default::default() }), ["command_b"]);
    let hit = &engine.search("pangolin", &SearchFilter { task_id: Some("T1".into()), ..Default::default() }, 50).unwrap()[0];
    assert_eq!((hit.title.as_str(), hit.seq, hit.before.as_str(), hit.after.as_str()), ("Session A", 1, "the ", " rolled up"));
    // The words of a JSON line are searched, not its keys or ids.
    assert!(engine.search("message", &all, 50).unwrap().is_empty());
    assert!(engine.search("msg_1", &all, 50).unwrap().is_empty());
    // Several words: entries with all of them; a prefix.
    assert_eq!(engine.search("pangolin scales", &all, 50).unwrap().len(), 1);
    assert_eq!(engine.search("pango*", &all, 50).unwrap().len(), 3);
    assert!(matches!(engine.search("  ", &all, 50), Err(Error::Invalid { field: "query", .. })));
    drop(engine);
    // The indexer's mark survives: nothing is left to index after a restart.
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.search_backlog().unwrap(), 0);
    // A deleted session's entries leave the index with it.
    store.delete_session("command_c").unwrap();
    let left: Vec<String> = store.search("pangolin", &all, 50).unwrap().into_iter().map(|h| h.session_id).collect();
    assert_eq!(left, ["command_b", "claude_a"]);
}

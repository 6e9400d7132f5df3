//! The UI's TypeScript types are generated from the Rust types and checked in under
//! `ui/src/lib/bindings/`: the types the page receives or sends (command arguments and
//! results, `AppEvent`, `IpcError`), not the core's internal ones (`EngineEvent`). This test fails when they are stale; `make bindings` (or
//! `UPDATE_BINDINGS=1 cargo test --test it bindings`) rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use switchboard::ipc::IpcError;
use switchboard_core::agents::AgentInfo;
use switchboard_core::{DayUsage, Metrics, NewSession, OutputItem, Session, SessionFilter, Settings, TaskEvent, TaskSummary};
use ts_rs::TS;

fn generate(dir: &Path) {
    Session::export_all_to(dir).expect("export Session");
    NewSession::export_all_to(dir).expect("export NewSession");
    SessionFilter::export_all_to(dir).expect("export SessionFilter");
    IpcError::export_all_to(dir).expect("export IpcError");
    Metrics::export_all_to(dir).expect("export Metrics");
    TaskEvent::export_all_to(dir).expect("export TaskEvent");
    OutputItem::export_all_to(dir).expect("export OutputItem");
    AgentInfo::export_all_to(dir).expect("export AgentInfo");
    Settings::export_all_to(dir).expect("export Settings");
    DayUsage::export_all_to(dir).expect("export DayUsage");
    TaskSummary::export_all_to(dir).expect("export TaskSummary");
    switchboard::commands::OutputMessage::export_all_to(dir).expect("export OutputMessage");
    switchboard::commands::AppInfo::export_all_to(dir).expect("export AppInfo");
    switchboard_core::PermissionRequest::export_all_to(dir).expect("export PermissionRequest");
    switchboard_core::PermissionRule::export_all_to(dir).expect("export PermissionRule");
    switchboard_core::AgentProfile::export_all_to(dir).expect("export AgentProfile");
    switchboard::contract::AppEvent::export_all_to(dir).expect("export AppEvent");
    switchboard_core::workspace::Changes::export_all_to(dir).expect("export Changes");
    switchboard_core::workspace::Checkpoint::export_all_to(dir).expect("export Checkpoint");
    switchboard_core::workspace::FileDiff::export_all_to(dir).expect("export FileDiff");
    switchboard_core::workspace::Comparison::export_all_to(dir).expect("export Comparison");
    switchboard_core::open::OpenIn::export_all_to(dir).expect("export OpenIn");
    switchboard_core::workspace::RepoInfo::export_all_to(dir).expect("export RepoInfo");
    switchboard_core::workspace::LandOutcome::export_all_to(dir).expect("export LandOutcome");
    switchboard_core::workspace::RemovalCheck::export_all_to(dir).expect("export RemovalCheck");
    switchboard_core::workspace::OrphanWorktree::export_all_to(dir).expect("export OrphanWorktree");
    switchboard_core::workspace::RepoSetup::export_all_to(dir).expect("export RepoSetup");
    switchboard_core::TerminalView::export_all_to(dir).expect("export TerminalView");
    switchboard_core::TerminalChunk::export_all_to(dir).expect("export TerminalChunk");
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "ts"))
                .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn bindings_are_up_to_date() {
    let checked_in = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/bindings");
    let fresh = tempfile::tempdir().expect("temp dir");
    generate(fresh.path());
    let generated = read_dir(fresh.path());
    assert!(generated.len() >= 10, "expected the full set of types, got {:?}", generated.keys());
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&checked_in);
        std::fs::create_dir_all(&checked_in).expect("create bindings dir");
        generate(&checked_in);
        return;
    }
    let current = read_dir(&checked_in);
    assert!(
        generated == current,
        "ui/src/lib/bindings is stale: run `make bindings` and commit the result.\nfiles differing: {:?}",
        generated.keys().chain(current.keys()).filter(|k| generated.get(*k) != current.get(*k)).collect::<std::collections::BTreeSet<_>>()
    );
}

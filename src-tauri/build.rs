//! Build script: embeds tauri.conf.json and declares the app's own commands so that
//! capabilities can grant them one by one (least privilege) instead of all at once.
/// Every app command; each gets an `allow-<name>` permission for the capabilities.
const COMMANDS: &[&str] = &[
    "list_sessions",
    "get_session",
    "create_session",
    "end_session",
    "delete_session",
    "send_message",
    "interrupt_session",
    "resume_session",
    "set_task",
    "compaction_advised",
    "compact_session",
    "read_output",
    "output_tail",
    "subscribe_output",
    "unsubscribe_output",
    "metrics",
    "usage_by_day",
    "tasks",
    "task_log",
    "session_log",
    "agents",
    "get_settings",
    "save_settings",
    "recent_folders",
    "app_info",
    "pending_permissions",
    "decide_permission",
    "permission_rules",
    "revoke_permission_rule",
    "set_focused_session",
    "quit_app",
];

fn main() {
    // The UI is embedded into the binary at compile time: a rebuilt ui/dist must rebuild
    // the app (without this, an incremental build kept serving the previous UI).
    println!("cargo:rerun-if-changed=ui/dist");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            // The Tauri dir is the repository root; our capabilities live under src-tauri/.
            .capabilities_path_pattern("src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step failed");
}

//! Build script: embeds tauri.conf.json and declares the app's own commands so that
//! capabilities can grant them one by one (least privilege) instead of all at once.
fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            // The Tauri dir is the repository root; our capabilities live under src-tauri/.
            .capabilities_path_pattern("src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(&["list_sessions", "create_session", "end_session"])),
    )
    .expect("tauri build step failed");
}

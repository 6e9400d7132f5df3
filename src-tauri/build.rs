//! Build script: embeds tauri.conf.json and declares the app's own commands so that
//! capabilities can grant them one by one (least privilege) instead of all at once.
/// Every app command, one a line: generated from src-tauri/src/contract.rs by the `contract`
/// test (`make bindings`), since a build script cannot call the crate it builds.
const COMMANDS_FILE: &str = "src-tauri/commands.txt";

fn main() {
    // The UI is embedded into the binary at compile time: a rebuilt ui/dist must rebuild
    // the app (without this, an incremental build kept serving the previous UI).
    println!("cargo:rerun-if-changed=ui/dist");
    println!("cargo:rerun-if-changed={COMMANDS_FILE}");
    let list = std::fs::read_to_string(COMMANDS_FILE).unwrap_or_else(|e| panic!("{COMMANDS_FILE}: {e} (run `make bindings`)"));
    // AppManifest keeps the names for the build's whole life: leaking them is the simplest 'static.
    let commands: Vec<&'static str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| &*Box::leak(l.to_string().into_boxed_str()))
        .collect();
    let commands: &'static [&'static str] = Vec::leak(commands);
    tauri_build::try_build(
        tauri_build::Attributes::new()
            // The Tauri dir is the repository root; our capabilities live under src-tauri/.
            .capabilities_path_pattern("src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri build step failed");
}

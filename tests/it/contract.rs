//! The files generated from `src-tauri/src/contract.rs` are checked in: the UI's
//! `ui/src/lib/contract.ts`, `src-tauri/commands.txt` (build.rs) and the capability
//! `src-tauri/capabilities/commands.json`. This test fails when one is stale;
//! `make bindings` (`UPDATE_BINDINGS=1`) rewrites them.

use std::path::PathBuf;

use switchboard::contract;

fn generated() -> Vec<(&'static str, String)> {
    vec![
        ("ui/src/lib/contract.ts", contract::typescript()),
        ("src-tauri/commands.txt", contract::commands_txt()),
        ("src-tauri/capabilities/commands.json", contract::capability_json()),
    ]
}

#[test]
fn contract_files_are_up_to_date() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("UPDATE_BINDINGS").is_some();
    let mut stale = Vec::new();
    for (path, text) in generated() {
        let file = root.join(path);
        if update {
            std::fs::write(&file, &text).unwrap_or_else(|e| panic!("{path}: {e}"));
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
            stale.push(path);
        }
    }
    assert!(stale.is_empty(), "stale generated files {stale:?}: run `make bindings` and commit the result");
}

#[test]
fn the_typescript_names_each_argument_as_tauri_expects() {
    let ts = contract::typescript();
    assert!(ts.contains("read_output: { args: { id: string; afterSeq: number; limit: number }"), "{ts}");
    assert!(ts.contains("subscribe_output: { args: { id: string; afterSeq: number; channel: Channel<OutputMessage> }"), "{ts}");
    assert!(ts.contains("import type { Session } from \"./bindings/Session\";"));
    assert!(ts.contains("\"label\": \"Gemini CLI\""));
}

//! The engine's integration tests, in one test binary (one link, not one per file): each
//! module is one concern, against real SQLite files and real processes. Run one module with
//! `cargo test -p switchboard-core --test it <module>::`, e.g. `faults::` or `runner::`.

mod capabilities;
mod claude;
mod codex;
mod engine;
mod external;
mod faults;
mod fixtures;
mod gemini;
mod migrations;
mod output_pages;
mod permissions;
mod recordings;
mod responsive;
mod runner;
mod search;
mod store_v2;
mod support;
mod terminal;
mod terminal_hooks;
mod transcript;
mod volume;
mod workspaces;

//! The engine's integration tests, in one test binary (one link, not one per file): each
//! module is one concern, against real SQLite files and real processes. Run one module with
//! `cargo test -p switchboard-core --test it <module>::`, e.g. `faults::` or `runner::`.

mod capabilities;
mod claude;
mod engine;
mod faults;
mod fixtures;
mod migrations;
mod permissions;
mod runner;
mod support;
mod transcript;
mod volume;

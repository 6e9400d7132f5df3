//! Switchboard's engine: sessions, the SQLite store, the process runner and the agents.
//!
//! This crate knows nothing of Tauri, windows or networks; the app shell and the CLI are
//! thin adapters over [`Engine`].

pub mod agents;
pub mod conversation;
pub mod engine;
pub mod error;
pub mod logging;
pub mod model;
pub mod output;
pub mod paths;
pub mod permission_rules;
pub mod permissions;
pub mod procid;
pub mod runner;
pub mod settings;
pub mod store;
pub mod view;

pub use conversation::CommandResult;
pub use engine::{Clock, Engine, EngineConfig, IdSource, SweepReport, Sweeper, SystemClock, V7Ids};
pub use error::{Error, ErrorCode, Result};
pub use model::*;
pub use permission_rules::{PermissionRule, RuleScope};
pub use settings::Settings;
pub use store::Store;
pub use view::{EntryView, OutputItem};

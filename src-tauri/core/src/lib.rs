//! Switchboard's engine: sessions, the SQLite store, the process runner and the agents.
//!
//! This crate knows nothing of Tauri, windows or networks; the app shell and the CLI are
//! thin adapters over [`Engine`], the one API both use.
//!
//! Where things are, for a newcomer:
//! - a session's life (start, output, exit, stop) and where its status is written:
//!   `engine/live.rs`; the legal status moves: `model/status.rs`;
//! - turns (send, interrupt, resume): `conversation.rs`; permission prompts: `permissions.rs`;
//! - output, from an agent's pipe to SQLite: `output.rs` (the writer thread), rows in
//!   `store/output.rs`; every other table: one file each under `store/`;
//! - housekeeping (idle expiry, retention, crash recovery): `engine/sweeper.rs`;
//! - a session's own git worktree, its changes and checkpoints: `workspace/` (git calls),
//!   reached through `engine/workspace.rs`, rows in `store/workspaces.rs`;
//! - Claude Code sessions started in a terminal (import, live watch): `external/`.
//!
//! The engine's own modules are private; what the shell, the CLI and the tests use is
//! re-exported here. `agents`, `runner`, `procid`, `paths`, `logging`, `error`,
//! `permission_rules`, `memory` and `workspace` are public namespaces of their own.

#![deny(missing_docs)]

pub mod agents;
mod conversation;
mod engine;
pub mod error;
mod external;
pub mod logging;
pub mod memory;
mod model;
pub mod open;
mod output;
pub mod paths;
pub mod permission_rules;
mod permissions;
pub mod procid;
pub mod runner;
mod search;
mod settings;
mod store;
mod terminal;
mod view;
pub mod workspace;

pub use conversation::{CommandResult, MAX_MESSAGE_BYTES, MAX_TURN_TEXT};
pub use engine::{
    turn_over, Clock, Engine, EngineConfig, IdSource, SweepReport, Sweeper, SystemClock, TurnFollower, V7Ids, ACTIVITY_WRITE_INTERVAL,
    EVENT_BUFFER, MAX_LINK_ID_CHARS, MAX_TITLE_CHARS, MAX_TOTAL_COST_USD, MAX_TURN_COST_USD,
};
pub use error::{Error, ErrorCode, Result};
pub use external::{
    claude_dir, discover, encode_folder, running_claude, ClaudeProcess, ImportOptions, ImportReport, TerminalWatch, MAX_LINE_BYTES,
    PASS_BYTES, PASS_LINES, PROCESS_POLL, SETTLE,
};
pub use model::{
    AgentKind, AgentProfile, CompactionPolicy, DayUsage, Decider, EngineEvent, Metrics, NewSession, OutputEntry, PermissionDecision,
    PermissionMode, PermissionRequest, Project, RunMode, Session, SessionConfig, SessionFilter, SessionOrigin, SessionSort, SessionStatus,
    Stream, TaskEvent, TaskEventKind, TaskSummary, Usage, REDACTED,
};
pub use output::budget::{message_pages, newest_page, page_around, sent_bytes, LARGE_ENTRY_BYTES, MESSAGE_BYTES, PREVIEW_BYTES};
pub use output::{
    FailureHandler, Follower, PartialText, PartialUpdate, StorageFailure, Subscription, Update, FAILED_BUFFER_BYTES, FAIL_AFTER,
    FLUSH_ENTRIES, FLUSH_INTERVAL, FOLLOW_BATCH_BYTES, FULL_ATTEMPTS, LIVE_BYTES, LIVE_CHANNEL, LIVE_INLINE_BYTES, PARTIAL_BYTES,
    RINGS_BYTES, RING_BYTES, RING_ENTRIES, RING_FLOOR_BYTES, WRITE_QUEUE, WRITE_QUEUE_BYTES,
};
pub use permission_rules::{PermissionRule, RuleScope};
pub use permissions::{describe_input, gist, DECISION_POLL, GIST_CHARS, MAX_DENY_MESSAGE, WRITE_PREVIEW_LINES};
pub use settings::{Settings, DEFAULT_APPROVAL_HOLD_SECS, DEFAULT_SESSION_OUTPUT_MIB, MAX_SESSION_OUTPUT_MIB};
pub use store::{
    is_busy, is_full, LinkColumn, OutputConversion, ProcessRecord, SearchFilter, SearchHit, Store, TaskEventKey, BUSY_RETRIES,
    BUSY_TIMEOUT, CONVERT_BATCH_ROWS, DB_FILE, MAX_HITS, MAX_INDEXED_TEXT, MAX_PAGE, MAX_RULES, PAGE_BYTES,
};
pub use terminal::hooks::{
    HookWiring, EVENTS as HOOK_EVENTS, HEADER_TIMEOUT, MAX_CONNECTIONS, MAX_HOOK_BODY, TICK as HOOK_TICK, TOKEN_ENV as HOOK_TOKEN_ENV,
};
pub use terminal::local as local_terminal;
pub use terminal::{
    TerminalChunk, TerminalView, TerminalViewer, COLS_RANGE, DEFAULT_COLS, DEFAULT_ROWS, INPUT_QUEUE, MAX_INPUT_BYTES, MAX_VIEWERS,
    READY_WAIT, READ_CHUNK, RESET, ROWS_RANGE, SCREEN_BYTES, SCREEN_SAVE_INTERVAL, SUBMIT_PAUSE, VIEWER_QUEUE,
};
pub use view::{EntryView, OutputItem, USER_PROMPT_KIND};

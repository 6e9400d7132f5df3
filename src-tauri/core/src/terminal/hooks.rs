//! PLACEHOLDER — replaced by the hooks branch (feat/terminal-hooks), which owns this file.
//!
//! What a terminal session's `claude` is started with so that Switchboard hears its hooks:
//! extra arguments (e.g. `--settings <file>`) and environment (e.g. the hook endpoint and
//! the session's secret). The PTY host passes `args` before the prompt and adds `env` to
//! the child's environment; it knows nothing else of hooks.

use crate::engine::Engine;
use crate::model::Session;

/// What the hooks need on `claude`'s command line and in its environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookWiring {
    /// Arguments added to `claude`'s command line (before the first prompt).
    pub args: Vec<String>,
    /// Variables added to `claude`'s environment.
    pub env: Vec<(String, String)>,
}

/// The wiring for `session`'s next start (a start or a resume). Placeholder: no hooks yet.
pub(crate) fn wiring(engine: &Engine, session: &Session) -> HookWiring {
    let _ = (engine, session);
    HookWiring { args: vec![], env: vec![] }
}

//! What a terminal session's `claude` is started with so that Switchboard learns its state
//! from Claude Code's own hooks and transcript, not from the screen.
//!
//! [`wiring`] gives the host the arguments (`--settings <JSON>` adding HTTP hooks that post
//! to this process's hook endpoint, endpoint.rs) and the environment (the session's secret,
//! `SWITCHBOARD_HOOK_TOKEN`, which the hooks send in a header). `--settings` adds to the
//! user's own settings: their hooks in `~/.claude/settings.json` keep running. The
//! session's worker (session.rs) turns what the hooks and the transcript say into the
//! session's status, output, counters and permission requests.

mod endpoint;
mod session;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use tracing::warn;

pub use self::endpoint::{HEADER_TIMEOUT, MAX_CONNECTIONS, MAX_HOOK_BODY};
pub use self::session::TICK;
use crate::engine::Engine;
use crate::model::Session;

/// The environment variable that carries a session's hook secret to `claude` (and only
/// there: the hook's header names it, Claude Code fills it in).
pub const TOKEN_ENV: &str = "SWITCHBOARD_HOOK_TOKEN";

/// The hook events Switchboard listens to.
pub const EVENTS: [&str; 8] =
    ["UserPromptSubmit", "PreToolUse", "PermissionRequest", "PostToolUse", "PostToolUseFailure", "Stop", "Notification", "SessionEnd"];

/// How long Claude Code waits for any hook but PermissionRequest (answered at once).
const HOOK_TIMEOUT_SECS: u64 = 10;

/// A PermissionRequest hook's own timeout is the hold plus this: the endpoint answers first.
const HOLD_MARGIN_SECS: u64 = 30;

/// What the hooks need on `claude`'s command line and in its environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookWiring {
    /// Arguments added to `claude`'s command line: `--settings <JSON>` with Switchboard's hooks.
    pub args: Vec<String>,
    /// Variables added to `claude`'s environment: the session's secret.
    pub env: Vec<(String, String)>,
}

/// The hooks for `session`'s next `claude` process (a start or a resume), and the worker
/// that follows them until that process is gone. When the endpoint cannot start, the
/// session runs without them (its status then follows only its process) and a warning
/// says why.
pub(crate) fn wiring(engine: &Engine, session: &Session) -> HookWiring {
    let endpoint = match endpoint::endpoint() {
        Ok(e) => e,
        Err(e) => {
            warn!(session = %session.id, error = %e, "no hook endpoint: this terminal session's status follows only its process");
            return HookWiring::default();
        }
    };
    let hold = engine.config().terminal_approval_hold;
    let token = endpoint::random_hex();
    let (tx, rx) = std::sync::mpsc::channel();
    let hooks = std::sync::Arc::new(session::SessionHooks::new(session.id.clone(), engine.clone(), tx.clone(), hold));
    let (url, route) = endpoint.register(token.clone(), hooks);
    let worker = session::Worker::new(engine.clone(), session.id.clone(), tx, transcript_path(session), hold);
    let spawned = std::thread::Builder::new()
        .name(format!("hooks-{}", session.id.chars().rev().take(8).collect::<String>()))
        .spawn(move || worker.run(rx, route));
    if let Err(e) = spawned {
        warn!(session = %session.id, error = %e, "cannot start a terminal session's hook worker");
        return HookWiring::default();
    }
    HookWiring { args: vec!["--settings".into(), settings(&url, hold).to_string()], env: vec![(TOKEN_ENV.to_string(), token)] }
}

/// The `--settings` document: an HTTP hook on every event of [`EVENTS`].
pub(crate) fn settings(url: &str, hold: Duration) -> Value {
    let hook = |timeout: u64| {
        json!([{ "hooks": [{
            "type": "http",
            "url": url,
            "headers": { "Authorization": format!("Bearer ${TOKEN_ENV}") },
            "allowedEnvVars": [TOKEN_ENV],
            "timeout": timeout,
        }] }])
    };
    let hooks: serde_json::Map<String, Value> = EVENTS
        .iter()
        .map(|e| {
            let timeout = if *e == "PermissionRequest" { hold.as_secs() + HOLD_MARGIN_SECS } else { HOOK_TIMEOUT_SECS };
            (e.to_string(), hook(timeout))
        })
        .collect();
    json!({ "hooks": hooks })
}

/// Where Claude Code writes this session's transcript: `<config>/projects/<encoded cwd>/<id>.jsonl`,
/// the config folder being the session's `CLAUDE_CONFIG_DIR`, else its `HOME`'s `.claude`,
/// else this process's. The hooks' `transcript_path` replaces it once one arrives.
pub(crate) fn transcript_path(session: &Session) -> Option<PathBuf> {
    let id = session.agent_session_id.as_deref()?;
    let env = &session.config.env;
    let dir = match (env.get("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()), env.get("HOME").filter(|h| !h.is_empty())) {
        (Some(d), _) => PathBuf::from(d),
        (None, Some(h)) => PathBuf::from(h).join(".claude"),
        (None, None) => crate::external::claude_dir(None)?,
    };
    Some(dir.join("projects").join(crate::external::encode_folder(&session.cwd)).join(format!("{id}.jsonl")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hook_posts_with_the_secret_from_the_environment() {
        let s = settings("http://127.0.0.1:9/hook/x", Duration::from_secs(120));
        for e in EVENTS {
            let h = &s["hooks"][e][0]["hooks"][0];
            assert_eq!(h["type"], "http");
            assert_eq!(h["url"], "http://127.0.0.1:9/hook/x");
            assert_eq!(h["headers"]["Authorization"], "Bearer $SWITCHBOARD_HOOK_TOKEN");
            assert_eq!(h["allowedEnvVars"], json!([TOKEN_ENV]));
        }
        assert_eq!(s["hooks"]["PermissionRequest"][0]["hooks"][0]["timeout"], 150);
        assert_eq!(s["hooks"]["Stop"][0]["hooks"][0]["timeout"], 10);
        assert!(!s.to_string().contains("127.0.0.1:9/hook/x?"), "no secret in the arguments");
    }

    #[test]
    fn the_transcript_follows_the_sessions_own_config_folder() {
        let mut s =
            Session::new("s".into(), crate::model::AgentKind::Claude, "t".into(), "/w/a b".into(), Default::default(), chrono::Utc::now());
        assert_eq!(transcript_path(&s), None, "no Claude session id yet");
        s.agent_session_id = Some("abc".into());
        s.config.env.insert("HOME".into(), "/h".into());
        assert_eq!(transcript_path(&s), Some(PathBuf::from("/h/.claude/projects/-w-a-b/abc.jsonl")));
        s.config.env.insert("CLAUDE_CONFIG_DIR".into(), "/c".into());
        assert_eq!(transcript_path(&s), Some(PathBuf::from("/c/projects/-w-a-b/abc.jsonl")));
    }
}

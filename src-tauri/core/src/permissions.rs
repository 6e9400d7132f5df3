//! Tool permissions: the agent asks (Claude's `can_use_tool` over stdio), the session waits
//! (WaitingInput), a person answers from the app, the tray or the CLI — possibly from a
//! different Switchboard process than the one running the agent.
//!
//! Every request and decision is a row in SQLite. The process that runs the agent watches
//! the row of each pending request (woken at once by its own decisions, and every
//! [`DECISION_POLL`] for decisions written by another process) and is the only one that
//! writes the answer to the agent, exactly once.

use std::time::Duration;

use serde_json::Value;
use tracing::{info, warn};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{PermissionDecision, PermissionRequest, SessionStatus, TaskEventKind};

/// How often the agent's process looks for a decision made by another process.
pub const DECISION_POLL: Duration = Duration::from_millis(200);

/// The longest deny message accepted.
pub const MAX_DENY_MESSAGE: usize = 2_000;

/// "wants to run: npm test" — what a request is about, in a line.
pub fn gist(tool: &str, input: &Value) -> String {
    let s = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let one_line = |t: String| -> String {
        let first = t.lines().next().unwrap_or("").to_string();
        let cut: String = first.chars().take(120).collect();
        if cut.len() < t.len() { format!("{cut}…") } else { cut }
    };
    match tool {
        "Bash" => format!("wants to run: {}", one_line(s("command"))),
        "Write" => format!("wants to write {}", s("file_path")),
        "Edit" | "MultiEdit" => format!("wants to edit {}", s("file_path")),
        "Read" => format!("wants to read {}", s("file_path")),
        "NotebookEdit" => format!("wants to edit {}", s("notebook_path")),
        "WebFetch" => format!("wants to fetch {}", s("url")),
        "WebSearch" => format!("wants to search the web for {}", s("query")),
        other => format!("wants to use {other}"),
    }
}

impl Engine {
    /// The agent asked for a tool: record it, and either answer at once (the tool is
    /// allowed for this session) or wait for a person (WaitingInput).
    pub(crate) fn permission_requested(&self, session_id: &str, request_id: String, tool_name: String, input: Value, description: Option<String>) -> Result<()> {
        let now = self.inner.clock.now();
        let request = PermissionRequest {
            session_id: session_id.to_string(),
            request_id: request_id.clone(),
            gist: gist(&tool_name, &input),
            tool_name: tool_name.clone(),
            input,
            description,
            asked_at: now,
            decision: None,
            decided_at: None,
        };
        self.inner.store.insert_permission(&request)?;
        if self.inner.store.tool_allowed_for_session(session_id, &tool_name)? {
            info!(session = %session_id, tool = %tool_name, "allowed for this session: answering at once");
            self.inner.store.decide_permission(session_id, &request_id, &PermissionDecision::Allow { updated_input: None, always: true }, now)?;
            self.log_decision(&request, "allowed (for this session)")?;
        } else {
            info!(session = %session_id, tool = %tool_name, gist = %request.gist, "waiting for a permission decision");
            self.update(session_id, |s| {
                if s.status.is_live() {
                    s.status = SessionStatus::WaitingInput;
                }
                Ok(())
            })?;
        }
        self.emit_permission(session_id, &request_id);
        self.spawn_permission_watch(session_id.to_string(), request_id);
        Ok(())
    }

    /// Requests waiting for an answer: one session's, or every session's.
    pub fn pending_permissions(&self, session_id: Option<&str>) -> Result<Vec<PermissionRequest>> {
        self.inner.store.pending_permissions(session_id)
    }

    /// Answers a pending request. Works from any Switchboard process on the data dir:
    /// the decision is stored, and the process that runs the agent delivers it.
    pub fn decide(&self, session_id: &str, request_id: &str, decision: PermissionDecision) -> Result<PermissionRequest> {
        self.get(session_id)?;
        let (request, _) = self
            .inner
            .store
            .permission(session_id, request_id)?
            .ok_or_else(|| Error::invalid("request", format!("no permission request '{request_id}' in session '{session_id}'")))?;
        if let PermissionDecision::Deny { message } = &decision {
            if message.chars().count() > MAX_DENY_MESSAGE {
                return Err(Error::invalid("message", format!("the message is longer than {MAX_DENY_MESSAGE} characters")));
            }
        }
        if let PermissionDecision::Allow { updated_input: Some(v), .. } = &decision {
            if !v.is_object() {
                return Err(Error::invalid("updated_input", "the edited input must be a JSON object"));
            }
        }
        if !self.inner.store.decide_permission(session_id, request_id, &decision, self.inner.clock.now())? {
            return Err(Error::invalid("request", format!("permission request '{request_id}' was already answered")));
        }
        if let PermissionDecision::Allow { always: true, .. } = decision {
            self.inner.store.allow_tool_for_session(session_id, &request.tool_name)?;
        }
        let word = match &decision {
            PermissionDecision::Allow { always: true, .. } => "allowed for the session".to_string(),
            PermissionDecision::Allow { updated_input: Some(_), .. } => "allowed with an edited input".to_string(),
            PermissionDecision::Allow { .. } => "allowed".to_string(),
            PermissionDecision::Deny { message } => format!("denied: {message}"),
            PermissionDecision::Cancelled { reason } => format!("cancelled: {reason}"),
        };
        self.log_decision(&request, &word)?;
        self.wake_permission_watch(session_id, request_id);
        self.emit_permission(session_id, request_id);
        let (decided, _) = self.inner.store.permission(session_id, request_id)?.ok_or_else(|| Error::NotFound(session_id.into()))?;
        Ok(decided)
    }

    /// Cancels every pending request of a session (it was interrupted or ended).
    pub(crate) fn cancel_permissions(&self, session_id: &str, reason: &str) -> Result<usize> {
        let pending = self.inner.store.pending_permissions(Some(session_id))?;
        for p in &pending {
            let _ = self.decide(session_id, &p.request_id, PermissionDecision::Cancelled { reason: reason.to_string() });
        }
        Ok(pending.len())
    }

    fn log_decision(&self, r: &PermissionRequest, decision: &str) -> Result<()> {
        self.log_task_event(
            &r.session_id,
            TaskEventKind::CommandSent,
            serde_json::json!({ "permission": decision, "tool": r.tool_name, "gist": r.gist, "request_id": r.request_id }),
        )
        .map(drop)
    }

    fn emit_permission(&self, session_id: &str, request_id: &str) {
        if let Ok(Some((request, _))) = self.inner.store.permission(session_id, request_id) {
            self.emit(crate::model::EngineEvent::PermissionChanged { request });
        }
    }

    fn wake_permission_watch(&self, session_id: &str, request_id: &str) {
        if let Some(n) = self.inner.permission_wakers.lock().unwrap_or_else(|e| e.into_inner()).get(&(session_id.to_string(), request_id.to_string())) {
            n.notify_one();
        }
    }

    /// Waits for the decision on one request (ours, or written by another process) and
    /// writes the answer to the agent once; auto-denies after the configured timeout.
    fn spawn_permission_watch(&self, session_id: String, request_id: String) {
        let notify = std::sync::Arc::new(tokio::sync::Notify::new());
        self.inner.permission_wakers.lock().unwrap_or_else(|e| e.into_inner()).insert((session_id.clone(), request_id.clone()), notify.clone());
        let engine = self.clone();
        tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            loop {
                let row = engine.inner.store.permission(&session_id, &request_id);
                let Some(handle) = engine.procs().get(&session_id).map(|p| p.handle.clone()) else {
                    break; // the process is gone: nothing to answer
                };
                match row {
                    Ok(Some((request, false))) if request.decision.is_some() => {
                        engine.deliver(&handle, &request).await;
                        break;
                    }
                    Ok(Some((_, true))) | Ok(None) => break,
                    Ok(Some(_)) => {}
                    Err(e) => warn!(session = %session_id, error = %e, "cannot read a permission request"),
                }
                if let Some(limit) = engine.inner.config.permission_timeout {
                    if started.elapsed() >= limit {
                        let reason = format!("nobody answered within {} minutes", limit.as_secs() / 60);
                        let _ = engine.decide(&session_id, &request_id, PermissionDecision::Deny { message: reason });
                        continue;
                    }
                }
                let _ = tokio::time::timeout(DECISION_POLL, notify.notified()).await;
            }
            engine.inner.permission_wakers.lock().unwrap_or_else(|e| e.into_inner()).remove(&(session_id, request_id));
        });
    }

    /// Writes the decision to the agent and moves the session on.
    async fn deliver(&self, handle: &crate::runner::ProcessHandle, request: &PermissionRequest) {
        let Some(decision) = &request.decision else { return };
        let Ok(session) = self.get(&request.session_id) else { return };
        let adapter = crate::agents::adapter(session.agent);
        if let Some(line) = adapter.permission_answer(&request.request_id, decision, &request.input) {
            if let Err(e) = handle.write_line(line).await {
                warn!(session = %request.session_id, error = %e, "could not deliver a permission answer");
            }
        }
        let _ = self.inner.store.mark_permission_answered(&request.session_id, &request.request_id);
        let still_waiting = self.inner.store.pending_permissions(Some(&request.session_id)).map(|p| !p.is_empty()).unwrap_or(false);
        if !still_waiting {
            let _ = self.update(&request.session_id, |s| {
                if s.status == SessionStatus::WaitingInput {
                    s.status = SessionStatus::Running;
                }
                Ok(())
            });
        }
    }
}

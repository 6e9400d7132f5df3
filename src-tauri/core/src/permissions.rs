//! Tool permissions: the agent asks (Claude's `can_use_tool` over stdio), the session waits
//! (WaitingInput), a person answers from the app, the tray or the CLI — possibly from a
//! different Switchboard process than the one running the agent.
//!
//! Every request and decision is a row in SQLite. The process that runs the agent watches
//! the row of each pending request (woken at once by its own decisions, and every
//! [`DECISION_POLL`] for decisions written by another process) and is the only one that
//! writes the answer to the agent, at most once (it claims the row's `answered` flag
//! first). A request id the agent repeats never resets a decision.
//!
//! When the agent process exits, its pending requests are cancelled (a later decision is
//! refused), and its "Allow for this session" rules ([`crate::permission_rules`]) end with
//! it: rules are tied to the process they were saved for (pid and start time), so a
//! resumed session asks again. Rules are not carried across resumes because the person
//! chose them while watching that run; a new process is a new run.

use std::time::Duration;

use serde_json::Value;
use tracing::{info, warn};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{Decider, PermissionDecision, PermissionRequest, SessionStatus, TaskEventKind};
use crate::permission_rules::{self, PermissionRule, RuleScope};

/// How often the agent's process looks for a decision made by another process.
pub const DECISION_POLL: Duration = Duration::from_millis(200);

/// The longest deny message accepted.
pub const MAX_DENY_MESSAGE: usize = 2_000;

/// The most characters of a command's first line in a [`gist`] (a notification, a tray line).
pub const GIST_CHARS: usize = 120;

/// "wants to run: npm test" — what a request is about, in a line, for notifications and
/// lists. A longer command is cut (and says how many lines it has): never approve from a
/// gist; [`describe_input`] shows the whole request.
pub fn gist(tool: &str, input: &Value) -> String {
    let s = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let one_line = |t: String| -> String {
        let first = t.lines().next().unwrap_or("").to_string();
        let cut: String = first.chars().take(GIST_CHARS).collect();
        let more = t.lines().count().saturating_sub(1);
        match (cut.len() < t.len(), more) {
            (false, _) => cut,
            (true, 0) => format!("{cut}…"),
            (true, n) => format!("{cut}… (+{n} more line{})", if n == 1 { "" } else { "s" }),
        }
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

/// How many lines of a Write's content [`describe_input`] shows.
pub const WRITE_PREVIEW_LINES: usize = 20;

/// The request in full for a person about to answer it (the CLI's `pending`), over several
/// lines: Bash's whole command (every line), a Write's path, size and first
/// [`WRITE_PREVIEW_LINES`] lines, an Edit's path with the whole old and new text, anything
/// else as pretty JSON. Nothing of a command or an edit is cut: what is allowed is what was
/// shown. (The input is bounded by the runner's longest line.)
pub fn describe_input(tool: &str, input: &Value) -> String {
    let s = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let edit = |old: &str, new: &str| format!("--- old\n{old}\n+++ new\n{new}");
    match tool {
        "Bash" => format!("$ {}", s("command")),
        "Write" => {
            let content = s("content");
            let lines = content.lines().count();
            let mut out = format!("write {} ({} bytes, {} lines)", s("file_path"), content.len(), lines);
            for line in content.lines().take(WRITE_PREVIEW_LINES) {
                out.push_str(&format!("\n| {line}"));
            }
            if lines > WRITE_PREVIEW_LINES {
                out.push_str(&format!("\n| … {} more lines", lines - WRITE_PREVIEW_LINES));
            }
            out
        }
        "Edit" => {
            let all = if input.get("replace_all").and_then(Value::as_bool) == Some(true) { " (every occurrence)" } else { "" };
            format!("edit {}{all}\n{}", s("file_path"), edit(&s("old_string"), &s("new_string")))
        }
        "MultiEdit" => {
            let mut out = format!("edit {}", s("file_path"));
            for (i, e) in input.get("edits").and_then(Value::as_array).into_iter().flatten().enumerate() {
                let f = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                out.push_str(&format!("\nedit {}:\n{}", i + 1, edit(&f("old_string"), &f("new_string"))));
            }
            out
        }
        _ => serde_json::to_string_pretty(input).unwrap_or_else(|_| input.to_string()),
    }
}

impl Engine {
    /// The agent asked for a tool: record it, and either answer at once (a rule of this
    /// agent process allows it) or wait for a person (WaitingInput).
    ///
    /// A request id the session already has (the agent sent it again) is ignored: the
    /// first request keeps its decision and is answered at most once.
    pub(crate) fn permission_requested(
        &self,
        session_id: &str,
        request_id: String,
        tool_name: String,
        input: Value,
        description: Option<String>,
    ) -> Result<()> {
        if self.record_permission_request(session_id, &request_id, tool_name, input, description)?.is_some() {
            self.spawn_permission_watch(session_id.to_string(), request_id);
        }
        Ok(())
    }

    /// Records a permission request and either allows it at once (a rule of this agent
    /// process allows it: `Some(true)`) or moves the session to WaitingInput (`Some(false)`).
    /// None: a request id the session already has, ignored. Announces the request; the
    /// caller delivers the answer.
    pub(crate) fn record_permission_request(
        &self,
        session_id: &str,
        request_id: &str,
        tool_name: String,
        input: Value,
        description: Option<String>,
    ) -> Result<Option<bool>> {
        let request_id = request_id.to_string();
        let now = self.inner.clock.now();
        let request = PermissionRequest {
            session_id: session_id.to_string(),
            request_id: request_id.clone(),
            gist: gist(&tool_name, &input),
            proposed_rule: crate::permission_rules::propose(&tool_name, &input),
            tool_name: tool_name.clone(),
            input,
            description,
            asked_at: now,
            decision: None,
            decided_at: None,
            decided_by: None,
        };
        if !self.inner.store.insert_permission(&request)? {
            warn!(session = %session_id, request = %request_id, "the agent repeated a permission request id: ignored, the first one stands");
            self.log_task_event(
                session_id,
                TaskEventKind::Error,
                serde_json::json!({ "permission": "repeated request id ignored", "request_id": request_id }),
            )?;
            return Ok(None);
        }
        let rule = self.permission_rules(session_id)?.into_iter().find(|r| self.rule_allows(r, &tool_name, &request.input));
        let allowed = rule.is_some();
        if let Some(rule) = rule {
            info!(session = %session_id, tool = %tool_name, rule = %rule.label, "allowed by a session rule: answering at once");
            let decision = PermissionDecision::Allow { updated_input: None, always: true, rule: Some(rule.scope.clone()) };
            self.inner.store.decide_permission(session_id, &request_id, &decision, Some(Decider::Rule), now)?;
            self.log_decision(&request, &format!("allowed by {}", rule.label), Some(Decider::Rule))?;
        } else {
            info!(session = %session_id, tool = %tool_name, gist = %request.gist, "waiting for a permission decision");
            if let Some(p) = self.procs().get_mut(session_id).filter(|p| p.terminal.is_none()) {
                if let Err(refused) = p.turn.ask(&request_id) {
                    warn!(session = %session_id, from = refused.from, "a permission request outside a running turn");
                }
            }
            self.update(session_id, |s| {
                if s.status.is_live() {
                    s.move_to(SessionStatus::WaitingInput)?;
                }
                Ok(())
            })?;
        }
        self.emit_permission(session_id, &request_id);
        Ok(Some(allowed))
    }

    /// Whether a saved rule allows this use: the lexical match of [`permission_rules::matches`],
    /// and for a path also the path with its existing part resolved on disk (a symlink
    /// inside the allowed folder must not lead outside it).
    fn rule_allows(&self, rule: &PermissionRule, tool: &str, input: &Value) -> bool {
        if !permission_rules::matches(&rule.tool_name, &rule.scope, tool, input) {
            return false;
        }
        let (RuleScope::Path { glob }, Some(field)) = (&rule.scope, permission_rules::path_field(tool)) else { return true };
        let Some(path) = input.get(field).and_then(Value::as_str).and_then(permission_rules::normalise) else { return false };
        resolve_existing(std::path::Path::new(&path)).is_some_and(|real| permission_rules::path_matches(glob, &real))
    }

    /// The "Allow for this session" rules in force: those saved for the session's current
    /// agent process. None when no process runs: rules end with the process that they were
    /// saved for, so a resumed session starts asking again.
    pub fn permission_rules(&self, session_id: &str) -> Result<Vec<PermissionRule>> {
        self.get(session_id)?;
        match self.inner.store.process_of(session_id)?.process {
            Some(p) => self.inner.store.permission_rules(session_id, (p.pid, p.start)),
            None => Ok(Vec::new()),
        }
    }

    /// Removes one rule: later requests it would have allowed are asked again.
    pub fn revoke_permission_rule(&self, session_id: &str, rule_id: i64) -> Result<()> {
        self.get(session_id)?;
        if !self.inner.store.revoke_permission_rule(session_id, rule_id)? {
            return Err(Error::invalid("rule", format!("no rule {rule_id} in session '{session_id}'")));
        }
        self.log_task_event(
            session_id,
            TaskEventKind::CommandSent,
            serde_json::json!({ "permission": "rule revoked", "rule_id": rule_id }),
        )?;
        Ok(())
    }

    /// Requests waiting for an answer: one session's, or every session's.
    pub fn pending_permissions(&self, session_id: Option<&str>) -> Result<Vec<PermissionRequest>> {
        self.inner.store.pending_permissions(session_id)
    }

    /// Answers a pending request. Works from any Switchboard process on the data dir:
    /// the decision is stored, and the process that runs the agent delivers it.
    ///
    /// Refused when the request was already answered or cancelled (its agent exited, the
    /// turn was interrupted). `Allow { always: true }` also saves a rule for the agent
    /// process running now (the given `rule`, else the request's proposed one), checked by
    /// [`permission_rules::validate`] before anything is stored; the stored decision names it.
    /// `by` says who decided and where (the window, the CLI): stored and logged with it.
    pub fn decide(&self, session_id: &str, request_id: &str, decision: PermissionDecision, by: Decider) -> Result<PermissionRequest> {
        self.settle(session_id, request_id, decision, Some(by))
    }

    /// [`decide`](Self::decide), or a cancellation (`by` None: nobody decided).
    pub(crate) fn settle(
        &self,
        session_id: &str,
        request_id: &str,
        decision: PermissionDecision,
        by: Option<Decider>,
    ) -> Result<PermissionRequest> {
        self.get(session_id)?;
        let (request, _) = self
            .inner
            .store
            .permission(session_id, request_id)?
            .ok_or_else(|| Error::invalid("request", format!("no permission request '{request_id}' in session '{session_id}'")))?;
        if let Some(done) = &request.decision {
            return Err(already_settled(request_id, done));
        }
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
        let mut decision = decision;
        // The window always sends the input back (editable); an "edit" that changed nothing
        // is a plain Allow, and is recorded as one.
        if let PermissionDecision::Allow { updated_input, .. } = &mut decision {
            if updated_input.as_ref() == Some(&request.input) {
                *updated_input = None;
            }
        }
        let mut process = None;
        if let PermissionDecision::Allow { always, rule, .. } = &mut decision {
            match (*always, rule.take()) {
                (false, Some(_)) => return Err(Error::invalid("rule", "a rule is saved only with \"allow for this session\"")),
                (false, None) => {}
                (true, chosen) => {
                    let scope = chosen.or_else(|| request.proposed_rule.clone()).ok_or_else(|| {
                        Error::invalid("rule", format!("no rule to offer for this {} request; name one", request.tool_name))
                    })?;
                    let mut scope = permission_rules::validate(&request.tool_name, &scope)?;
                    if let RuleScope::Path { glob } = &scope {
                        // Saved with its folder resolved on disk, as requests are checked.
                        let (base, tail) = permission_rules::split_glob(glob);
                        if let Some(real) = resolve_existing(std::path::Path::new(base)) {
                            scope = RuleScope::Path { glob: permission_rules::join_glob(&real, tail) };
                        }
                    }
                    *rule = Some(scope);
                    let p = self
                        .inner
                        .store
                        .process_of(session_id)?
                        .process
                        .ok_or_else(|| Error::invalid("request", "the agent is no longer running; nothing to allow"))?;
                    process = Some((p.pid, p.start));
                }
            }
        }
        let now = self.inner.clock.now();
        if !self.inner.store.decide_permission(session_id, request_id, &decision, by, now)? {
            // Someone else answered in between.
            let done = self.inner.store.permission(session_id, request_id)?.and_then(|(r, _)| r.decision);
            return Err(match done {
                Some(done) => already_settled(request_id, &done),
                None => Error::invalid("request", format!("permission request '{request_id}' was already answered")),
            });
        }
        let mut word = match &decision {
            PermissionDecision::Allow { always: true, .. } => "allowed for the session".to_string(),
            PermissionDecision::Allow { updated_input: Some(_), .. } => "allowed with an edited input".to_string(),
            PermissionDecision::Allow { .. } => "allowed".to_string(),
            PermissionDecision::Deny { message } => format!("denied: {message}"),
            PermissionDecision::Cancelled { reason } => format!("cancelled: {reason}"),
        };
        if let (PermissionDecision::Allow { rule: Some(scope), .. }, Some(process)) = (&decision, process) {
            let saved = self.inner.store.add_permission_rule(session_id, &request.tool_name, scope, request_id, process, now)?;
            word = format!("allowed; rule saved: {}", saved.label);
        }
        self.log_decision(&request, &word, by)?;
        self.wake_permission_watch(session_id, request_id);
        self.emit_permission(session_id, request_id);
        let (decided, _) = self.inner.store.permission(session_id, request_id)?.ok_or_else(|| Error::NotFound(session_id.into()))?;
        Ok(decided)
    }

    /// Cancels every pending request of a session (it was interrupted or ended).
    pub(crate) fn cancel_permissions(&self, session_id: &str, reason: &str) -> Result<usize> {
        let pending = self.inner.store.pending_permissions(Some(session_id))?;
        for p in &pending {
            let _ = self.settle(session_id, &p.request_id, PermissionDecision::Cancelled { reason: reason.to_string() }, None);
        }
        Ok(pending.len())
    }

    fn log_decision(&self, r: &PermissionRequest, decision: &str, by: Option<Decider>) -> Result<()> {
        self.log_task_event(
            &r.session_id,
            TaskEventKind::CommandSent,
            serde_json::json!({
                "permission": decision, "tool": r.tool_name, "gist": r.gist, "request_id": r.request_id,
                "by": by.map(Decider::as_str),
            }),
        )
        .map(drop)
    }

    fn emit_permission(&self, session_id: &str, request_id: &str) {
        if let Ok(Some((request, _))) = self.inner.store.permission(session_id, request_id) {
            self.emit(crate::model::EngineEvent::PermissionChanged { request });
        }
    }

    fn wake_permission_watch(&self, session_id: &str, request_id: &str) {
        if let Some(n) =
            self.inner.permission_wakers.lock().unwrap_or_else(|e| e.into_inner()).get(&(session_id.to_string(), request_id.to_string()))
        {
            n.notify_one();
        }
    }

    /// The wake-up of the wait for one request's decision, registered so that a decision
    /// made in this process wakes it at once (see [`Engine::forget_permission_waker`]).
    pub(crate) fn permission_waker(&self, session_id: &str, request_id: &str) -> std::sync::Arc<tokio::sync::Notify> {
        let notify = std::sync::Arc::new(tokio::sync::Notify::new());
        self.inner
            .permission_wakers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((session_id.to_string(), request_id.to_string()), notify.clone());
        notify
    }

    /// Removes a wake-up registered by [`Engine::permission_waker`].
    pub(crate) fn forget_permission_waker(&self, session_id: &str, request_id: &str) {
        self.inner.permission_wakers.lock().unwrap_or_else(|e| e.into_inner()).remove(&(session_id.to_string(), request_id.to_string()));
    }

    /// Waits for the decision on one request (ours, or written by another process) and
    /// writes the answer to the agent once; auto-denies after the configured timeout.
    fn spawn_permission_watch(&self, session_id: String, request_id: String) {
        let notify = self.permission_waker(&session_id, &request_id);
        let engine = self.clone();
        tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            loop {
                let row = engine.inner.store.permission(&session_id, &request_id);
                let Some(thread) = engine.procs().get(&session_id).map(|p| p.thread.clone()) else {
                    break; // the process is gone: nothing to answer
                };
                match row {
                    Ok(Some((request, false))) if request.decision.is_some() => {
                        // Delivered by the session's thread, in order with the agent's output.
                        thread.control(crate::engine::Control::Deliver { request: Box::new(request) });
                        break;
                    }
                    Ok(Some((_, true))) | Ok(None) => break,
                    Ok(Some(_)) => {}
                    Err(e) => warn!(session = %session_id, error = %e, "cannot read a permission request"),
                }
                if let Some(limit) = engine.inner.config.permission_timeout {
                    if started.elapsed() >= limit {
                        let reason = format!("nobody answered within {} minutes", limit.as_secs() / 60);
                        let _ = engine.decide(&session_id, &request_id, PermissionDecision::Deny { message: reason }, Decider::Timeout);
                        continue;
                    }
                }
                let _ = tokio::time::timeout(DECISION_POLL, notify.notified()).await;
            }
            engine.forget_permission_waker(&session_id, &request_id);
        });
    }

    /// Writes the decision to the agent, once: only the caller that claims the delivery
    /// (the row's `answered` flips 0 → 1) writes. Then moves the session on. Runs on the
    /// session's own thread (see `engine/live.rs`).
    pub(crate) fn deliver_now(&self, handle: &crate::runner::ProcessHandle, request: &PermissionRequest) {
        let Some(decision) = &request.decision else { return };
        let Ok(session) = self.get(&request.session_id) else { return };
        match self.inner.store.claim_permission_delivery(&request.session_id, &request.request_id) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                warn!(session = %request.session_id, error = %e, "cannot claim a permission answer; not delivering it");
                return;
            }
        }
        let adapter = crate::agents::adapter(session.agent);
        if let Some(line) = adapter.permission_answer(&request.request_id, decision, &request.input) {
            if let Err(e) = handle.queue_line(line) {
                warn!(session = %request.session_id, error = %e, "could not deliver a permission answer");
            }
        }
        if let Some(p) = self.procs().get_mut(&request.session_id) {
            p.turn.answered(&request.request_id);
        }
        let still_waiting = self.inner.store.pending_permissions(Some(&request.session_id)).map(|p| !p.is_empty()).unwrap_or(false);
        if !still_waiting {
            let _ = self.update(&request.session_id, |s| {
                if s.status == SessionStatus::WaitingInput {
                    s.move_to(SessionStatus::Running)?;
                }
                Ok(())
            });
        }
    }
}

/// The error for a decision on a settled request: "already cancelled: why", or "already answered".
fn already_settled(request_id: &str, done: &PermissionDecision) -> Error {
    match done {
        PermissionDecision::Cancelled { reason } => {
            Error::invalid("request", format!("permission request '{request_id}' was already cancelled: {reason}"))
        }
        _ => Error::invalid("request", format!("permission request '{request_id}' was already answered")),
    }
}

/// The path with its longest existing ancestor resolved on disk (symlinks followed) and
/// the rest appended; None when the resolved path has a `..` or is not valid UTF-8.
fn resolve_existing(path: &std::path::Path) -> Option<String> {
    let mut existing = path;
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut full = real;
            for part in rest.iter().rev() {
                full.push(part);
            }
            return full.to_str().and_then(permission_rules::normalise);
        }
        rest.push(existing.file_name()?.to_os_string());
        existing = existing.parent()?;
    }
}

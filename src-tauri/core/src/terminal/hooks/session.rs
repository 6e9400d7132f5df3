//! One terminal session's hooks and transcript, turned into its status, output, counters
//! and permission requests.
//!
//! Everything a session's hooks and transcript change is written by one thread of its own
//! (the worker), in the order things happened: the endpoint hands it each hook, the
//! transcript's folder watch tells it the file grew. Before it acts on a hook it reads the
//! transcript up to date (a hook's news comes after what Claude Code wrote before it).
//! Only the wait for a permission decision runs on the endpoint's runtime (it holds the
//! HTTP request open); its outcome comes back to the worker as an event.
//!
//! Status from Claude Code's events:
//!
//! | status | from |
//! | --- | --- |
//! | Running | `UserPromptSubmit`; `PreToolUse`/`PostToolUse` while Idle; a permission answered |
//! | WaitingInput | `PermissionRequest` (a permission row, paired with the `PreToolUse` before it) |
//! | Idle | `Stop`; the transcript's `[Request interrupted by user…]` line (Esc, Ctrl-C, a "No": no `Stop` then); `Notification` `idle_prompt` |
//! | Ended (or Error) | the process's exit, with its code (the host); `SessionEnd` just before it only settles what waits |

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::Watcher;
use serde_json::{json, Value};
use tracing::{info, warn};

use crate::engine::Engine;
use crate::external::tail::{tail_file, Tailed};
use crate::model::{Decider, PermissionDecision, SessionStatus, TaskEventKind};
use crate::permissions::DECISION_POLL;

/// How often the worker looks at its transcript and its session without being told (a
/// missed file event, a session ended by another process).
pub const TICK: Duration = Duration::from_secs(1);

/// The most characters of a prompt kept in the task log's "command sent".
const LOGGED_PROMPT_CHARS: usize = 2_000;

/// What the endpoint and the transcript's watch tell a session's worker.
pub(crate) enum Event {
    /// A hook's JSON; a PermissionRequest's `reply` is told whether to hold it.
    Hook { event: Value, reply: Option<tokio::sync::oneshot::Sender<Held>> },
    /// A held permission request ended.
    Released { request_id: String, how: Release },
    /// The transcript's folder changed.
    Transcript,
}

/// How a held permission request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Release {
    /// A decision made in Switchboard was sent to Claude Code.
    Delivered,
    /// Nobody decided within the hold: the dialog is left to the terminal.
    Expired,
    /// Claude Code dropped the request: the dialog was answered in the terminal (or the CLI quit).
    Closed,
}

/// What the endpoint does with a PermissionRequest.
pub(crate) enum Held {
    /// Hold it until request `0` is decided (or the hold ends).
    Wait(String),
    /// Answer at once with this.
    Answer(Value),
}

/// The endpoint's side of a session: hands hooks to the worker, holds permission requests.
pub(crate) struct SessionHooks {
    pub(crate) session_id: String,
    engine: Engine,
    events: Sender<Event>,
    hold: Duration,
}

impl SessionHooks {
    pub(crate) fn new(session_id: String, engine: Engine, events: Sender<Event>, hold: Duration) -> SessionHooks {
        SessionHooks { session_id, engine, events, hold }
    }

    /// Handles one authenticated hook and returns Claude Code's answer (`{}`: no opinion).
    pub(crate) async fn receive(&self, event: Value) -> Value {
        if event.get("hook_event_name").and_then(Value::as_str) != Some("PermissionRequest") {
            // Other hooks never wait for SQLite: the worker writes what they change.
            let _ = self.events.send(Event::Hook { event, reply: None });
            return json!({});
        }
        let (reply, held) = tokio::sync::oneshot::channel();
        if self.events.send(Event::Hook { event, reply: Some(reply) }).is_err() {
            return json!({});
        }
        match held.await {
            Ok(Held::Answer(v)) => v,
            Ok(Held::Wait(request_id)) => self.hold(request_id).await,
            Err(_) => json!({}),
        }
    }

    /// Holds a permission request until it is decided in Switchboard (app, tray,
    /// notification, CLI — this process or another), at most the hold. A decision is
    /// answered to Claude Code once (the row's delivery claim); when the hold ends, or the
    /// request was settled in the terminal, the answer is `{}` and the dialog stays there.
    async fn hold(&self, request_id: String) -> Value {
        let mut guard = HoldGuard { hooks: self, request_id: request_id.clone(), how: Some(Release::Closed) };
        let notify = self.engine.permission_waker(&self.session_id, &request_id);
        let until = tokio::time::Instant::now() + self.hold;
        let store = self.engine.inner.store.clone();
        loop {
            match store.permission(&self.session_id, &request_id) {
                Ok(Some((request, false))) if request.decision.is_some() => {
                    let answer = match (&request.decision, request.decided_by) {
                        (_, Some(Decider::Terminal)) | (Some(PermissionDecision::Cancelled { .. }), _) => None,
                        (Some(d), _) => hook_answer(d),
                        (None, _) => None,
                    };
                    let claimed = store.claim_permission_delivery(&self.session_id, &request_id).unwrap_or(false);
                    guard.how = Some(Release::Delivered);
                    return answer.filter(|_| claimed).unwrap_or_else(|| json!({}));
                }
                Ok(Some((_, true))) | Ok(None) => {
                    guard.how = None;
                    return json!({});
                }
                Ok(Some(_)) => {}
                Err(e) => warn!(session = %self.session_id, error = %e, "cannot read a held permission request"),
            }
            let now = tokio::time::Instant::now();
            if now >= until {
                guard.how = Some(Release::Expired);
                return json!({});
            }
            let _ = tokio::time::timeout((until - now).min(DECISION_POLL), notify.notified()).await;
        }
    }
}

/// Tells the worker how a held request ended — also when Claude Code closed the
/// connection and the wait was dropped half-way (`Closed`).
struct HoldGuard<'a> {
    hooks: &'a SessionHooks,
    request_id: String,
    how: Option<Release>,
}

impl Drop for HoldGuard<'_> {
    fn drop(&mut self) {
        self.hooks.engine.forget_permission_waker(&self.hooks.session_id, &self.request_id);
        if let Some(how) = self.how {
            let _ = self.hooks.events.send(Event::Released { request_id: std::mem::take(&mut self.request_id), how });
        }
    }
}

/// Claude Code's answer to a PermissionRequest hook for a decision.
pub(crate) fn hook_answer(decision: &PermissionDecision) -> Option<Value> {
    let decision = match decision {
        PermissionDecision::Allow { updated_input: Some(input), .. } => json!({ "behavior": "allow", "updatedInput": input }),
        PermissionDecision::Allow { .. } => json!({ "behavior": "allow" }),
        PermissionDecision::Deny { message } => json!({ "behavior": "deny", "message": message }),
        PermissionDecision::Cancelled { .. } => return None,
    };
    Some(json!({ "hookSpecificOutput": { "hookEventName": "PermissionRequest", "decision": decision } }))
}

/// The tool use a PreToolUse announced: a PermissionRequest (which has no id) is about it.
struct ToolUse {
    id: String,
    name: String,
    input: Value,
}

/// A permission request of this session not settled yet as far as the worker knows.
struct Pending {
    request_id: String,
    tool_use_id: Option<String>,
}

/// The session's worker: see the module's doc.
pub(crate) struct Worker {
    engine: Engine,
    session_id: String,
    events: Sender<Event>,
    transcript: Option<PathBuf>,
    watch: Option<notify::RecommendedWatcher>,
    /// Set by the folder watch, cleared by the read: one Transcript event per burst.
    dirty: Arc<AtomicBool>,
    last_tool: Option<ToolUse>,
    pending: Option<Pending>,
    turn_started: Option<Instant>,
    /// The host's "command sent" row that the last prompt was matched to (each once).
    matched_command: Option<i64>,
    hold: Duration,
}

impl Worker {
    pub(crate) fn new(engine: Engine, session_id: String, events: Sender<Event>, transcript: Option<PathBuf>, hold: Duration) -> Worker {
        let mut w = Worker {
            engine,
            session_id,
            events,
            transcript: None,
            watch: None,
            dirty: Arc::default(),
            last_tool: None,
            pending: None,
            turn_started: None,
            matched_command: None,
            hold,
        };
        if let Some(t) = transcript {
            w.follow(t);
        }
        w
    }

    /// Handles events until the session's process is gone (the session final, or the
    /// engine running another process for it: a resume), then reads the transcript a last
    /// time and cancels what still waits for an answer.
    pub(crate) fn run(mut self, events: Receiver<Event>, route: super::endpoint::RouteGuard) {
        // The process the hooks are about: the first one the engine runs for the session
        // after this worker started (the host spawns it right after the wiring).
        let mut pid = None;
        loop {
            match events.recv_timeout(TICK) {
                Ok(Event::Hook { event, reply }) => self.hook(event, reply),
                Ok(Event::Released { request_id, how }) => self.released(&request_id, how),
                Ok(Event::Transcript) => self.read_transcript(),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    self.read_transcript();
                    let running = self.engine.procs().get(&self.session_id).map(|p| p.handle.pid());
                    match (pid, running) {
                        (None, Some(p)) => pid = Some(p),
                        (Some(mine), now) if now != Some(mine) => break,
                        _ => {}
                    }
                    if self.engine.find(&self.session_id).ok().flatten().is_none_or(|s| !s.status.is_live()) {
                        break;
                    }
                }
            }
        }
        drop(route);
        self.read_transcript();
        if let Err(e) = self.engine.cancel_permissions(&self.session_id, "the agent exited before it was answered") {
            warn!(session = %self.session_id, error = %e, "cannot cancel a terminal session's permission requests");
        }
        info!(session = %self.session_id, "terminal session hooks done");
    }

    /// Reads the transcript at `path` from now on (its folder watched for changes).
    fn follow(&mut self, path: PathBuf) {
        if self.transcript.as_ref() == Some(&path) {
            return;
        }
        self.watch = None;
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
            let (tx, dirty, file) = (self.events.clone(), self.dirty.clone(), path.clone());
            let watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
                let ours = ev.as_ref().map_or(true, |e| e.need_rescan() || e.paths.iter().any(|p| p == &file));
                if ours && !dirty.swap(true, Ordering::AcqRel) {
                    let _ = tx.send(Event::Transcript);
                }
            });
            match watcher.and_then(|mut w| w.watch(dir, notify::RecursiveMode::NonRecursive).map(|()| w)) {
                Ok(w) => self.watch = Some(w),
                Err(e) => warn!(session = %self.session_id, error = %e, "cannot watch the transcript's folder; reading it every second"),
            }
        }
        self.transcript = Some(path);
    }

    fn read_transcript(&mut self) {
        self.dirty.store(false, Ordering::Release);
        let Some(path) = self.transcript.clone() else { return };
        match tail_file(&self.engine, &path, &self.session_id) {
            Ok(t) => self.tailed(t),
            Err(e) => warn!(session = %self.session_id, path = %path.display(), error = %e, "cannot read the transcript"),
        }
    }

    /// What the transcript showed: a pending request's tool ran or was refused (answered in
    /// the terminal), or the person interrupted the turn (no Stop hook follows).
    fn tailed(&mut self, t: Tailed) {
        for r in &t.results {
            if self.pending.as_ref().and_then(|p| p.tool_use_id.as_deref()) == Some(r.tool_use_id.as_str()) {
                let decision = if r.is_error {
                    PermissionDecision::Deny { message: if r.text.is_empty() { "refused in the terminal".into() } else { r.text.clone() } }
                } else {
                    PermissionDecision::Allow { updated_input: None, always: false, rule: None }
                };
                self.settle_in_terminal(Some(decision));
                if !r.is_error {
                    self.set_running();
                }
            }
        }
        if t.interrupted {
            self.settle_in_terminal(None);
            self.turn_over(None, true);
        }
    }

    fn hook(&mut self, v: Value, reply: Option<tokio::sync::oneshot::Sender<Held>>) {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        if let Some(p) = v.get("transcript_path").and_then(Value::as_str).filter(|p| Path::new(p).is_absolute()) {
            self.follow(PathBuf::from(p));
        }
        let agent_session_id = s("session_id");
        if !agent_session_id.is_empty() {
            // `/clear` goes on in a new Claude session (a new transcript): resume that one.
            if self.engine.find(&self.session_id).ok().flatten().is_some_and(|x| x.agent_session_id.as_deref() != Some(&agent_session_id)) {
                let _ = self.engine.set_agent_session_id(&self.session_id, Some(agent_session_id));
            }
        }
        self.read_transcript();
        match s("hook_event_name").as_str() {
            "UserPromptSubmit" => {
                self.settle_in_terminal(None);
                self.begin(&s("prompt"));
            }
            "PreToolUse" => {
                let id = s("tool_use_id");
                if self.pending.as_ref().is_some_and(|p| p.tool_use_id.as_deref() != Some(id.as_str())) {
                    self.settle_in_terminal(None);
                }
                self.last_tool = Some(ToolUse { id, name: s("tool_name"), input: v.get("tool_input").cloned().unwrap_or(Value::Null) });
                self.set_running();
            }
            "PermissionRequest" => {
                let held = self.permission(&v);
                if let Some(reply) = reply {
                    let _ = reply.send(held);
                }
            }
            "PostToolUse" | "PostToolUseFailure" => {
                let id = s("tool_use_id");
                if self.pending.as_ref().is_some_and(|p| p.tool_use_id.as_deref() == Some(id.as_str())) {
                    self.settle_in_terminal(Some(PermissionDecision::Allow { updated_input: None, always: false, rule: None }));
                }
                self.set_running();
            }
            "Stop" => {
                self.settle_in_terminal(None);
                let text = v.get("last_assistant_message").and_then(Value::as_str).map(String::from);
                self.turn_over(text, false);
            }
            "Notification" if s("notification_type") == "idle_prompt" => self.turn_over(None, false),
            // The process exits next: its exit (the host) makes the session Ended — or Error,
            // with its exit code — so nothing here says Ended before the code is known.
            "SessionEnd" if s("reason") != "clear" => self.settle_in_terminal(None),
            _ => {}
        }
    }

    /// A PermissionRequest: recorded (paired with the PreToolUse just before it), allowed
    /// at once by a session rule, or held for a decision.
    fn permission(&mut self, v: &Value) -> Held {
        let tool_name = v.get("tool_name").and_then(Value::as_str).unwrap_or("").to_string();
        let input = v.get("tool_input").cloned().unwrap_or(Value::Null);
        let tool_use_id = self.last_tool.as_ref().filter(|t| t.name == tool_name && t.input == input).map(|t| t.id.clone());
        // A request id per dialog: Claude Code asks about one tool use at most once.
        let request_id = tool_use_id.clone().unwrap_or_else(|| format!("hook-{}", uuid::Uuid::new_v4().simple()));
        let description = input.get("description").and_then(Value::as_str).map(String::from);
        match self.engine.record_permission_request(&self.session_id, &request_id, tool_name, input, description) {
            Ok(Some(true)) => {
                // A saved rule allowed it: answered now, once.
                let _ = self.engine.inner.store.claim_permission_delivery(&self.session_id, &request_id);
                Held::Answer(hook_answer(&PermissionDecision::Allow { updated_input: None, always: false, rule: None }).unwrap_or_default())
            }
            Ok(Some(false)) => {
                info!(session = %self.session_id, request = %request_id, "holding a permission request for a decision");
                self.pending = Some(Pending { request_id: request_id.clone(), tool_use_id });
                Held::Wait(request_id)
            }
            Ok(None) => Held::Answer(json!({})),
            Err(e) => {
                warn!(session = %self.session_id, error = %e, "cannot record a permission request; leaving it to the terminal");
                Held::Answer(json!({}))
            }
        }
    }

    fn released(&mut self, request_id: &str, how: Release) {
        let ours = self.pending.as_ref().is_some_and(|p| p.request_id == request_id);
        match how {
            Release::Delivered => {
                if ours {
                    self.pending = None;
                }
                let waiting = self.engine.pending_permissions(Some(&self.session_id)).map(|p| !p.is_empty()).unwrap_or(false);
                if !waiting {
                    self.set_running();
                }
            }
            Release::Expired => {
                let reason = format!("nobody answered within {} s; answer it in the terminal", self.hold.as_secs());
                let _ = self.engine.settle(&self.session_id, request_id, PermissionDecision::Cancelled { reason }, None);
                // The dialog is still open in the terminal: the session still waits.
            }
            Release::Closed => {
                // Claude Code gave up on the hook: the dialog was answered in the terminal.
                // The transcript says how (its tool result); read it now and as it grows.
                self.read_transcript();
                if ours
                    && self
                        .engine
                        .inner
                        .store
                        .permission(&self.session_id, request_id)
                        .ok()
                        .flatten()
                        .is_some_and(|(r, _)| r.decision.is_none())
                {
                    info!(session = %self.session_id, request = %request_id, "a held permission request was dropped: answered in the terminal");
                }
            }
        }
    }

    /// A pending request was answered in the terminal: recorded as decided there, with
    /// `decision` when known (its tool ran, or was refused), else as settled there.
    fn settle_in_terminal(&mut self, decision: Option<PermissionDecision>) {
        let Some(p) = self.pending.take() else { return };
        let decision = decision.unwrap_or_else(|| PermissionDecision::Cancelled { reason: "answered in the terminal".into() });
        // Decided in Switchboard first (or cancelled): that stands, and this changes nothing.
        if self.engine.settle(&self.session_id, &p.request_id, decision, Some(Decider::Terminal)).is_ok() {
            let _ = self.engine.inner.store.claim_permission_delivery(&self.session_id, &p.request_id);
            info!(session = %self.session_id, request = %p.request_id, "permission request answered in the terminal");
        }
    }

    /// A prompt was submitted: Running; and, for a prompt typed in the terminal (one that
    /// Switchboard typed is logged by the host as it types it), +1 message and the task
    /// log's "command sent".
    fn begin(&mut self, prompt: &str) {
        self.turn_started = Some(Instant::now());
        let (now, ttl) = (self.engine.inner.clock.now(), self.engine.ttl());
        let logged = match self.engine.inner.store.last_command(&self.session_id) {
            Ok(Some((id, command))) if command == prompt && self.matched_command != Some(id) => {
                self.matched_command = Some(id);
                true
            }
            _ => false,
        };
        let command: String = prompt.chars().take(LOGGED_PROMPT_CHARS).collect();
        let result = self.engine.change_session(&self.session_id, |s| {
            if !s.status.is_live() {
                return Ok(None);
            }
            s.move_to(SessionStatus::Running)?;
            s.last_activity = now;
            s.expires_at = now + ttl;
            if logged {
                return Ok(None);
            }
            s.message_count = s.message_count.saturating_add(1);
            Ok(Some((TaskEventKind::CommandSent, json!({ "command": command, "length": prompt.len(), "from": "terminal" }))))
        });
        if let Err(e) = result {
            warn!(session = %self.session_id, error = %e, "cannot mark a terminal session running");
        }
    }

    /// Work goes on (a tool runs, a permission was answered): Running, unless a request
    /// still waits.
    fn set_running(&mut self) {
        if self.pending.is_some() {
            return;
        }
        let now = self.engine.inner.clock.now();
        let result = self.engine.update(&self.session_id, |s| {
            if matches!(s.status, SessionStatus::Idle | SessionStatus::WaitingInput | SessionStatus::Starting) {
                s.move_to(SessionStatus::Running)?;
                s.last_activity = now;
            }
            Ok(())
        });
        if let Err(e) = result {
            warn!(session = %self.session_id, error = %e, "cannot mark a terminal session running");
        }
    }

    /// The turn ended (Stop, an interrupt, the CLI idle at its prompt): Idle, the task
    /// log's "response received", and those waiting for the turn are answered.
    fn turn_over(&mut self, text: Option<String>, interrupted: bool) {
        let (now, ttl) = (self.engine.inner.clock.now(), self.engine.ttl());
        let duration_ms = self.turn_started.take().map_or(0, |t| t.elapsed().as_millis() as u64);
        let length = text.as_deref().map_or(0, str::len);
        let result = self.engine.change_session(&self.session_id, |s| {
            if !matches!(s.status, SessionStatus::Running | SessionStatus::WaitingInput | SessionStatus::Starting) {
                return Ok(None);
            }
            s.move_to(SessionStatus::Idle)?;
            s.last_activity = now;
            s.expires_at = now + ttl;
            // As for a headless turn: +1 for the answer (the prompt counted when it was sent).
            s.message_count = s.message_count.saturating_add(1);
            Ok(Some((
                TaskEventKind::ResponseReceived,
                json!({ "duration_ms": duration_ms, "length": length, "interrupted": interrupted, "from": "terminal" }),
            )))
        });
        match result {
            Ok(_) => self.engine.finish_turn_waiters(&self.session_id, Ok(text.unwrap_or_default())),
            Err(e) => warn!(session = %self.session_id, error = %e, "cannot mark a terminal session idle"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_become_claude_codes_answers() {
        let allow = hook_answer(&PermissionDecision::Allow { updated_input: None, always: false, rule: None }).unwrap();
        assert_eq!(allow, json!({"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"allow"}}}));
        let edited =
            hook_answer(&PermissionDecision::Allow { updated_input: Some(json!({"command":"ls"})), always: true, rule: None }).unwrap();
        assert_eq!(edited["hookSpecificOutput"]["decision"]["updatedInput"], json!({"command":"ls"}));
        let deny = hook_answer(&PermissionDecision::Deny { message: "no".into() }).unwrap();
        assert_eq!(deny["hookSpecificOutput"]["decision"], json!({"behavior":"deny","message":"no"}));
        assert!(hook_answer(&PermissionDecision::Cancelled { reason: "x".into() }).is_none());
    }
}

//! Talking to a session's agent: follow-up messages, turns and their results, interrupts
//! and resumes. The engine's process bookkeeping lives in `engine.rs`; this is what a turn
//! does to a session.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tracing::{info, warn};
use ts_rs::TS;

use crate::agents::{Signal, TurnEnd};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{AgentKind, Session, SessionStatus, Stream, TaskEventKind, Usage};

/// The assistant text kept per turn for `send`'s answer; longer answers are cut here
/// (the full text is in the session's output).
pub const MAX_TURN_TEXT: usize = 256 * 1024;

/// The longest message sent to an agent. It travels as one line on the agent's stdin and
/// is kept in the transcript; 1 MiB is far past any prompt a person writes or pastes, and
/// stays well under the runner's 8 MiB line limit once encoded as JSON.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// What a sent command came to (seed 001's AgentCommandResult).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CommandResult {
    /// Whether the turn ended with an answer (false: it failed, or no answer came in time).
    pub success: bool,
    /// The assistant's answer (its final text for the turn); None when `success` is false.
    pub output: Option<String>,
    /// Why there is no answer: the agent's error, or "no answer within N s" when the wait timed out; None on success.
    pub error: Option<String>,
    /// Milliseconds from sending the message to the answer or the give-up.
    #[ts(type = "number")]
    pub duration_ms: u64,
    /// The session as it is after the turn (redact it before showing: see [`Session::redacted`]).
    pub session: Session,
}

impl Engine {
    /// Sends a message and waits (at most `timeout`) for the turn to end — seed 001's
    /// sendCommand. A finished session is resumed first. The task log records the command,
    /// the response (duration, length) or the error.
    pub async fn send(&self, id: &str, text: &str, timeout: Duration) -> Result<CommandResult> {
        let started = Instant::now();
        let wait = self.post(id, text).await?;
        let outcome = match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err("the session went away before answering".to_string()),
            Err(_) => {
                let message = format!("no answer within {} s", timeout.as_secs());
                self.log_task_event(id, TaskEventKind::Error, serde_json::json!({ "message": message }))?;
                Err(message)
            }
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        let session = self.get(id)?;
        Ok(match outcome {
            Ok(output) => CommandResult { success: true, output: Some(output), error: None, duration_ms, session },
            Err(error) => CommandResult { success: false, output: None, error: Some(error), duration_ms, session },
        })
    }

    /// Sends a message without waiting for the answer; returns a receiver that resolves at
    /// the end of the turn (with the assistant's text, or the error).
    pub async fn post(&self, id: &str, text: &str) -> Result<tokio::sync::oneshot::Receiver<std::result::Result<String, String>>> {
        if text.trim().is_empty() {
            return Err(Error::invalid("text", "the message is empty"));
        }
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(Error::invalid(
                "text",
                format!("the message is {} bytes; at most {} MiB can be sent at once", text.len(), MAX_MESSAGE_BYTES / (1024 * 1024)),
            ));
        }
        let session = self.get(id)?;
        if session.agent == AgentKind::Command {
            return Err(Error::invalid("agent", "a command session does not take messages; start a new session instead"));
        }
        if session.origin == crate::model::SessionOrigin::Terminal {
            return Err(Error::invalid("origin", crate::external::FOLLOW_ONLY));
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.inner.turn_waiters.lock().unwrap_or_else(|e| e.into_inner()).entry(id.to_string()).or_default().push(tx);
        if session.status.is_live() {
            if let Some(pty) = self.pty_of(id) {
                // A terminal takes the prompt as typed keys; the CLI queues it during a
                // turn, but a permission dialog would take the keys as its answer.
                if session.status == SessionStatus::WaitingInput {
                    self.drop_waiter(id);
                    return Err(Error::invalid("text", "the agent waits for an answer in its terminal; answer it first"));
                }
                self.type_prompt(id, &pty, text).inspect_err(|_| self.drop_waiter(id))?;
                return Ok(rx);
            }
        }
        let live = {
            let procs = self.procs();
            procs.get(id).filter(|p| p.interactive).map(|p| p.thread.clone())
        };
        match live {
            Some(thread) if session.status.is_live() => {
                if matches!(session.status, SessionStatus::Running | SessionStatus::Compacting | SessionStatus::WaitingInput) {
                    self.drop_waiter(id);
                    return Err(Error::invalid("text", "the agent is still working on the last message; wait for it or interrupt it"));
                }
                // The session's thread starts the turn (refusing it if one runs) and writes
                // the message, in order with what the agent prints.
                let line = crate::agents::adapter(session.agent).user_message(text).unwrap_or_default();
                let (reply, sent) = tokio::sync::oneshot::channel();
                thread.control(crate::engine::Control::Send { text: text.to_string(), line, reply });
                let result = sent.await.unwrap_or_else(|_| {
                    Err(Error::Spawn {
                        program: crate::agents::adapter(session.agent).binary_names().first().copied().unwrap_or("agent").into(),
                        message: "could not send the message: the agent's process has exited".into(),
                    })
                });
                if let Err(e) = result {
                    self.drop_waiter(id);
                    return Err(e);
                }
            }
            _ => {
                self.resume(id, Some(text.to_string())).await.inspect_err(|_| self.drop_waiter(id))?;
            }
        }
        Ok(rx)
    }

    fn drop_waiter(&self, id: &str) {
        if let Some(v) = self.inner.turn_waiters.lock().unwrap_or_else(|e| e.into_inner()).get_mut(id) {
            v.pop();
        }
    }

    /// Restarts a finished (or between-turns) session's agent on its own conversation
    /// (`claude --resume`), in its original folder, optionally sending `prompt`.
    pub async fn resume(&self, id: &str, prompt: Option<String>) -> Result<Session> {
        let session = self.get(id)?;
        if session.agent == AgentKind::Command {
            return Err(Error::invalid("agent", "a command session cannot be resumed; start a new one"));
        }
        if session.origin == crate::model::SessionOrigin::Terminal {
            // Continued as a new session Switchboard runs, linked to this one.
            return self.resume_terminal_session(id, Default::default(), prompt).await;
        }
        if self.procs().contains_key(id) {
            return Err(Error::invalid("status", "the session is already running"));
        }
        if let Some(owner) = self.foreign_owner(id)? {
            return Err(Error::invalid(
                "status",
                format!("the session is running in another Switchboard process (pid {owner}); send to it from there, or end it first"),
            ));
        }
        if session.agent_session_id.is_none() && session.agent == AgentKind::Claude {
            return Err(Error::invalid("agent_session_id", "this session has no agent session id to resume"));
        }
        let program = self.program_for_resume(&session)?;
        let _starting = self.mark_starting(id);
        // Two processes must never write one conversation: an earlier process of this
        // session left by a Switchboard that is gone (a CLI killed with -9) is stopped
        // first, and its row settled.
        if let Some(earlier) = self.inner.store.process_of(id)?.process.filter(|p| p.is_alive()) {
            warn!(session = %id, pid = earlier.pid, "an earlier process of this session is still running: stopping it before resuming");
            crate::runner::stop_tree(earlier.pid, self.inner.config.stop_grace).await;
            self.inner.store.clear_process(id)?;
        }
        let now = self.inner.clock.now();
        let ttl = self.ttl();
        self.inner.store.set_owner(id, &self.inner.me)?;
        let session = self.update(id, |s| {
            // Final states resume through Starting; a one-shot agent between turns is Idle.
            s.move_to(if s.status.is_live() { SessionStatus::Running } else { SessionStatus::Starting })?;
            s.ended_at = None;
            s.last_activity = now;
            s.expires_at = now + ttl;
            Ok(())
        })?;
        info!(session = %id, "resuming");
        let resumable = session.agent_session_id.is_some();
        self.start(&session, &program, resumable, prompt).await
    }

    fn program_for_resume(&self, session: &Session) -> Result<std::path::PathBuf> {
        let info = self.agent_info(session.agent);
        info.path
            .filter(|_| info.installed)
            .map(std::path::PathBuf::from)
            .ok_or_else(|| Error::invalid("agent", format!("{} is not installed; install it with `{}`", session.agent, info.install_hint)))
    }

    /// Interrupts the current turn: the agent's own interrupt when it has one (the process
    /// stays usable), else SIGINT to the process group.
    pub async fn interrupt(&self, id: &str) -> Result<Session> {
        let session = self.get(id)?;
        if let Some(pty) = self.pty_of(id) {
            self.interrupt_terminal(id, &pty)?;
            return self.get(id);
        }
        let thread = {
            let mut procs = self.procs();
            let Some(p) = procs.get_mut(id) else { return Ok(session) };
            // A turn that runs is marked as interrupted; a process without turns (a
            // command) still gets the interrupt.
            if let Err(refused) = p.turn.interrupt() {
                tracing::debug!(session = %id, from = refused.from, "interrupt with no turn running: signalling the process");
            }
            p.thread.clone()
        };
        // The session's thread answers a question the agent waits on ("no"), then stops
        // the turn: in order with what the agent prints.
        let request_id = format!("interrupt-{}", self.inner.ids.uuid().simple());
        let line = crate::agents::adapter(session.agent).interrupt_message(&request_id);
        let (reply, done) = tokio::sync::oneshot::channel();
        if thread.control(crate::engine::Control::Interrupt { line, reply }) {
            if let Ok(result) = done.await {
                result?;
            }
        }
        self.get(id)
    }

    /// A turn starts: Running, activity, the task log's "command sent".
    pub(crate) fn begin_turn(&self, id: &str, text: &str) -> Result<()> {
        // The user's own words are part of the transcript, in order with the answers
        // (agents do not echo them). Written by Switchboard, read back as `UserText`.
        self.record_output(id, Stream::System, crate::view::USER_PROMPT_KIND, text.to_string());
        if let Some(p) = self.procs().get_mut(id) {
            p.turn
                .begin()
                .map_err(|r| Error::invalid("text", format!("the agent is {} on the last message; wait for it or interrupt it", r.from)))?;
            p.turn_errors.clear();
        }
        self.command_sent(id, text, true)
    }

    /// A message went to the agent: activity, +1 message and the task log's "command sent";
    /// with `running`, the status moves to Running in the same transaction (never one
    /// without the other). A terminal session's status follows its hooks instead.
    pub(crate) fn command_sent(&self, id: &str, text: &str, running: bool) -> Result<()> {
        let now = self.inner.clock.now();
        let ttl = self.ttl();
        // The message count always moves, so the event is always written with the change.
        self.change_session(id, |s| {
            if s.status.is_live() {
                if running {
                    s.move_to(SessionStatus::Running)?;
                }
                s.last_activity = now;
                s.expires_at = now + ttl;
            }
            s.message_count = s.message_count.saturating_add(1);
            Ok(Some((TaskEventKind::CommandSent, serde_json::json!({ "command": text, "length": text.len() }))))
        })?;
        Ok(())
    }

    /// Keeps the assistant's text of the current turn (bounded) for `send`'s answer.
    pub(crate) fn collect_turn_text(&self, id: &str, line: &str) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { return };
        let text = match crate::agents::view_of("assistant_text", &v) {
            Some(crate::view::EntryView::AssistantText { text }) => text,
            _ => return,
        };
        if let Some(p) = self.procs().get_mut(id) {
            p.turn.collect(&text);
        }
    }

    /// A piece of a streamed assistant message: kept until the message is whole.
    pub(crate) fn add_piece(&self, id: &str, line: &str) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { return };
        let Some(text) = v.get("content").and_then(serde_json::Value::as_str) else { return };
        if let Some(p) = self.procs().get_mut(id) {
            if p.pieces.len() < MAX_TURN_TEXT {
                p.pieces.push_str(text);
            }
        }
        // Shown as it comes; the joined message replaces it (see `end_pieces`).
        self.partial_text(id, "pieces", text);
    }

    /// The line after a streamed message's last piece (or the exit): the whole message is
    /// stored and is part of the turn's answer.
    pub(crate) fn end_pieces(&self, id: &str) {
        let pieces = match self.procs().get_mut(id) {
            Some(p) if !p.pieces.is_empty() => std::mem::take(&mut p.pieces),
            _ => return,
        };
        let line = crate::agents::piece_line(&pieces);
        self.collect_turn_text(id, &line);
        self.record_output(id, Stream::Stdout, "assistant_text", line);
        self.end_partial(id);
    }

    pub(crate) fn on_signal(&self, id: &str, signal: Signal) {
        let result = match signal {
            Signal::Init { agent_session_id, .. } => match agent_session_id {
                Some(a) if self.find(id).ok().flatten().is_some_and(|s| s.agent_session_id.as_deref() != Some(a.as_str())) => {
                    self.set_agent_session_id(id, Some(a)).map(drop)
                }
                _ => Ok(()),
            },
            Signal::TurnEnd(t) => self.end_turn(id, t),
            Signal::ControlResponse { .. } => Ok(()),
            Signal::Partial { key, text } => {
                self.partial_text(id, &key, &text);
                Ok(())
            }
            Signal::Error(message) => {
                if let Some(p) = self.procs().get_mut(id) {
                    p.turn_errors.push(message);
                }
                Ok(())
            }
            Signal::PermissionRequest { request_id, tool_name, input, description } => {
                self.permission_requested(id, request_id, tool_name, input, description)
            }
        };
        if let Err(e) = result {
            warn!(session = %id, error = %e, "could not apply what the agent reported");
        }
    }

    /// A turn ended: usage into the counters, the status after it, the task log, waiters.
    fn end_turn(&self, id: &str, mut t: TurnEnd) -> Result<()> {
        // Those waiting for this turn are taken before the session can show Idle: a message
        // sent right after must wait for its own turn, not get this one's answer.
        let waiters = self.take_turn_waiters(id);
        if !t.cost_usd.is_finite() || t.cost_usd < 0.0 {
            warn!(session = %id, cost = t.cost_usd, "the agent reported an impossible cost; counting it as 0");
            t.cost_usd = 0.0;
        }
        let (cost, duration_ms, text, interrupted, interactive) = {
            let mut procs = self.procs();
            match procs.get_mut(id) {
                Some(p) => {
                    let cost = if t.cost_is_cumulative { (t.cost_usd - p.reported_cost).max(0.0) } else { t.cost_usd };
                    if t.cost_is_cumulative {
                        p.reported_cost = p.reported_cost.max(t.cost_usd);
                    }
                    let done = p.turn.end(!t.is_error);
                    let reported = std::mem::take(&mut p.turn_errors);
                    if t.is_error && t.errors.is_empty() && t.text.as_deref().is_none_or(str::is_empty) {
                        t.errors = reported;
                    }
                    (cost, done.duration_ms, done.text, done.interrupted, p.interactive)
                }
                None => (if t.cost_is_cumulative { 0.0 } else { t.cost_usd }, 0, String::new(), false, false),
            }
        };
        if t.usage_is_cumulative {
            // The thread's total so far: this turn's share is what is not counted yet.
            let counted = self.get(id)?;
            t.input_tokens = t.input_tokens.saturating_sub(counted.input_tokens);
            t.output_tokens = t.output_tokens.saturating_sub(counted.output_tokens);
        }
        self.record_usage(
            id,
            &Usage { messages: 1, turns: t.num_turns, input_tokens: t.input_tokens, output_tokens: t.output_tokens, cost_usd: cost },
        )?;
        let answer = t.text.clone().filter(|s| !s.is_empty()).unwrap_or(text);
        let interrupted = interrupted || t.subtype == "error_during_execution";
        if !t.is_error || interrupted || t.subtype == "error_max_turns" {
            let note = (t.subtype == "error_max_turns").then(|| t.error_message());
            self.update(id, |s| {
                if s.status.is_live() && interactive {
                    s.move_to(SessionStatus::Idle)?;
                }
                if let Some(n) = &note {
                    s.last_error = Some(n.clone());
                }
                Ok(())
            })?;
            let kind = if t.is_error && !interrupted { TaskEventKind::Error } else { TaskEventKind::ResponseReceived };
            self.log_task_event(
                id,
                kind,
                serde_json::json!({ "duration_ms": duration_ms, "length": answer.len(), "subtype": t.subtype, "interrupted": interrupted, "message": note }),
            )?;
            self.after_turn(id);
            waiters.answer(if t.is_error && !interrupted { Err(t.error_message()) } else { Ok(answer) });
            return Ok(());
        }
        // The agent reported a failure (an API error): the session fails with its message,
        // and its process is let go (a resume continues the conversation later).
        let message = t.error_message();
        warn!(session = %id, %message, "the agent reported an error");
        self.set_status(id, SessionStatus::Error { message: message.clone() })?;
        self.log_task_event(
            id,
            TaskEventKind::Error,
            serde_json::json!({ "message": message, "api_error_status": t.api_error_status, "duration_ms": duration_ms }),
        )?;
        self.after_turn(id);
        waiters.answer(Err(message));
        let engine = self.clone();
        let id = id.to_string();
        tokio::spawn(async move { engine.stop_process_by_id(&id).await });
        Ok(())
    }

    pub(crate) fn finish_turn_waiters(&self, id: &str, outcome: std::result::Result<String, String>) {
        self.take_turn_waiters(id).answer(outcome);
    }

    fn take_turn_waiters(&self, id: &str) -> TurnWaiters {
        TurnWaiters(self.inner.turn_waiters.lock().unwrap_or_else(|e| e.into_inner()).remove(id).unwrap_or_default())
    }
}

/// Callers waiting for one turn's end, taken out of the engine's map. Answered once; if
/// dropped unanswered (recording the turn's end failed), they are told so.
struct TurnWaiters(Vec<crate::engine::TurnWaiter>);

impl TurnWaiters {
    fn answer(mut self, outcome: std::result::Result<String, String>) {
        for w in self.0.drain(..) {
            let _ = w.send(outcome.clone());
        }
    }
}

impl Drop for TurnWaiters {
    fn drop(&mut self) {
        for w in self.0.drain(..) {
            let _ = w.send(Err("the end of the turn could not be recorded; see the log".to_string()));
        }
    }
}

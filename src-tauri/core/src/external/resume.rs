//! Continuing a terminal session in Switchboard: a new session that Switchboard runs
//! (`claude --resume <id>` in the terminal session's folder), linked to it — refused while
//! a `claude` process in a terminal still runs that conversation (two processes must never
//! write one transcript).

use std::path::{Path, PathBuf};

use serde_json::json;
use tracing::info;

use super::{running_claude, watch::transcript_of_process, ClaudeProcess};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{AgentKind, EngineEvent, Session, SessionConfig, SessionOrigin, TaskEventKind};

/// Why Switchboard does not talk to a terminal session's process itself.
pub(crate) const FOLLOW_ONLY: &str =
    "this session runs in a terminal: Switchboard only follows it; continue it there, or resume it in Switchboard once it has ended";

impl Engine {
    /// The `claude` process running a terminal session now, if any.
    pub fn terminal_process(&self, session: &Session) -> Result<Option<ClaudeProcess>> {
        let Some(record) = self.inner.store.transcript_of(&session.id)? else { return Ok(None) };
        let path = PathBuf::from(&record.path);
        let Some(projects) = path.parent().and_then(Path::parent) else { return Ok(None) };
        Ok(running_claude().into_iter().find(|p| transcript_of_process(projects, p).as_deref() == Some(path.as_path())))
    }

    /// Continues terminal session `id` as a new session Switchboard runs (see the module's
    /// doc) with `config` (its model defaults to the terminal session's), optionally
    /// sending `prompt`; returns the new session. From then on the conversation's
    /// transcript belongs to the new session: it is no longer imported into the terminal
    /// one (which keeps what it had). [`Engine::resume`] of a terminal session does this
    /// with the default options.
    pub async fn resume_terminal_session(&self, id: &str, config: SessionConfig, prompt: Option<String>) -> Result<Session> {
        let terminal = self.get(id)?;
        if terminal.origin != SessionOrigin::Terminal {
            return Err(Error::invalid("origin", "only a session started in a terminal is resumed this way"));
        }
        if let Some(p) = self.terminal_process(&terminal)? {
            return Err(Error::invalid(
                "status",
                format!(
                    "this session is still running in a terminal (claude, pid {}): continue it there, or quit it first and resume it here",
                    p.process.pid
                ),
            ));
        }
        let agent_session_id = terminal
            .agent_session_id
            .clone()
            .ok_or_else(|| Error::invalid("agent_session_id", "this session has no Claude session id to resume"))?;
        if !Path::new(&terminal.cwd).is_dir() {
            return Err(Error::invalid(
                "cwd",
                format!("its folder {} no longer exists; Claude Code resumes a session only from its folder", terminal.cwd),
            ));
        }
        let program = self.program_for(AgentKind::Claude, None)?;
        let now = self.inner.clock.now();
        let id = format!("{}_{}", AgentKind::Claude.as_str(), self.inner.ids.uuid().simple());
        let config = SessionConfig {
            model: config.model.clone().or_else(|| terminal.config.model.clone()),
            metadata: json!({ "resumed_from": terminal.id }),
            ..config
        };
        let session = Session {
            task_id: terminal.task_id.clone(),
            agent_session_id: Some(agent_session_id),
            expires_at: now + self.ttl(),
            origin: SessionOrigin::Switchboard,
            ..Session::new(id, AgentKind::Claude, terminal.title.clone(), terminal.cwd.clone(), config, now)
        };
        let _starting = self.mark_starting(&session.id);
        self.inner.store.insert_session_owned(&session, &self.inner.me, Some(self.inner.config.max_live_sessions))?;
        if let Some(r) = self.inner.store.transcript_of(&terminal.id)? {
            self.inner.store.mark_transcript_managed(&r.path, &session.id, r.dev, r.inode)?;
        }
        self.log_task_event(
            &session.id,
            TaskEventKind::Created,
            json!({ "agent": session.agent, "cwd": session.cwd, "title": session.title, "resumed_from": terminal.id }),
        )?;
        info!(session = %session.id, terminal = %terminal.id, "resuming a terminal session in Switchboard");
        self.emit(EngineEvent::SessionChanged { session: session.clone() });
        self.start(&session, &program, true, prompt).await
    }
}

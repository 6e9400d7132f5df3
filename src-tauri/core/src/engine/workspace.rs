//! The engine's face of workspaces (`crate::workspace`): a session's worktree at its
//! creation, its changes, and its checkpoints after every turn.

use super::*;
use crate::workspace::{self as ws, Changes, Checkpoint, FileDiff, Workspace, WorktreeRequest};

impl Engine {
    /// Creates the worktree a new session asked for and moves the session's `cwd` into it.
    /// The session is not stored yet.
    pub(super) async fn create_worktree(&self, session: &mut Session, req: WorktreeRequest) -> Result<Workspace> {
        let planned =
            ws::create(&self.inner.data_dir, Path::new(&session.cwd), &session.id, &session.title, req, self.inner.clock.now()).await?;
        session.cwd = planned.cwd.to_string_lossy().into_owned();
        info!(session = %session.id, branch = %planned.workspace.branch, path = %planned.workspace.path, "worktree created");
        Ok(planned.workspace)
    }

    /// The session's own worktree, or None when it runs in its folder as it is.
    pub fn workspace(&self, id: &str) -> Result<Option<Workspace>> {
        self.get(id)?;
        self.inner.store.workspace(id)
    }

    /// Every session's worktree with its last measured stats (for the sessions list).
    pub fn workspaces(&self) -> Result<Vec<Workspace>> {
        self.inner.store.workspaces()
    }

    fn require_workspace(&self, id: &str) -> Result<Workspace> {
        self.workspace(id)?.ok_or_else(|| {
            Error::invalid(
                "worktree",
                format!("session {} runs in its folder, not in a worktree of its own: there is nothing to compare", id),
            )
        })
    }

    /// What the session changed against the merge-base with its base: committed,
    /// uncommitted and untracked files with line counts. Also records the counts for the
    /// sessions list (and announces them).
    #[instrument(skip(self))]
    pub async fn changes(&self, id: &str) -> Result<Changes> {
        let w = self.require_workspace(id)?;
        let changes = ws::changes(&w).await?;
        self.record_stats(&w, changes.stats);
        Ok(changes)
    }

    /// The unified diff between two trees or commits of the session's repository (ids from
    /// [`Engine::changes`] or [`Engine::checkpoints`]), of one file or of all.
    pub async fn diff(&self, id: &str, from: &str, to: &str, path: Option<&str>) -> Result<FileDiff> {
        let w = self.require_workspace(id)?;
        ws::diff_text(Path::new(&w.path), from, to, path).await
    }

    /// The session's checkpoints, oldest first (none for a session without a worktree).
    pub async fn checkpoints(&self, id: &str) -> Result<Vec<Checkpoint>> {
        match self.workspace(id)? {
            Some(w) => ws::checkpoints(&w).await,
            None => Ok(Vec::new()),
        }
    }

    /// Records the worktree's state now as a checkpoint.
    #[instrument(skip(self))]
    pub async fn checkpoint(&self, id: &str, label: &str) -> Result<Checkpoint> {
        let w = self.require_workspace(id)?;
        let c = ws::checkpoint(&w, label, self.inner.clock.now()).await?;
        self.log_checkpoint(id, &c, None);
        Ok(c)
    }

    /// Puts the worktree back to checkpoint `n`, checkpointing the current state first (the
    /// returned checkpoint: restoring it undoes this). Refused while the agent works: it
    /// would be writing into files being replaced.
    #[instrument(skip(self))]
    pub async fn restore_checkpoint(&self, id: &str, n: u32) -> Result<Checkpoint> {
        let w = self.require_workspace(id)?;
        let s = self.get(id)?;
        if matches!(s.status, SessionStatus::Running | SessionStatus::WaitingInput | SessionStatus::Compacting | SessionStatus::Starting) {
            return Err(Error::invalid("checkpoint", "the agent is working; wait for its turn to end (or interrupt it) before restoring"));
        }
        let before = ws::restore(&w, n, self.inner.clock.now()).await?;
        self.log_checkpoint(id, &before, Some(n));
        if let Ok(changes) = ws::changes(&w).await {
            self.record_stats(&w, changes.stats);
        }
        Ok(before)
    }

    /// The task log's record of a checkpoint (the timeline shows them).
    fn log_checkpoint(&self, id: &str, c: &Checkpoint, restored: Option<u32>) {
        let detail = serde_json::json!({ "n": c.n, "label": c.label, "commit": c.commit, "restored": restored });
        if let Err(e) = self.log_task_event(id, TaskEventKind::Checkpoint, detail) {
            warn!(session = %id, error = %e, "could not log the checkpoint");
        }
    }

    fn record_stats(&self, w: &Workspace, stats: ws::ChangeStats) {
        if w.stats == Some(stats) {
            return;
        }
        match self.inner.store.set_workspace_stats(&w.session_id, stats) {
            Ok(Some(workspace)) => self.emit(EngineEvent::WorkspaceChanged { workspace }),
            Ok(None) => {}
            Err(e) => warn!(session = %w.session_id, error = %e, "could not record the worktree's stats"),
        }
    }

    /// After a turn of a session with a worktree: a checkpoint (`after turn N`) and fresh
    /// stats. Called on the session's own thread before the turn's waiters are told, so
    /// that whoever waited for the turn finds its checkpoint; a failure is logged and noted
    /// in the output, never fails the turn.
    pub(crate) fn after_turn(&self, id: &str) {
        let Ok(Some(w)) = self.inner.store.workspace(id) else { return };
        let Some(runtime) = self.inner.runtime.get().cloned() else { return };
        let turn = self.get(id).map(|s| s.message_count.div_ceil(2)).unwrap_or(0);
        let engine = self.clone();
        // The session thread is a plain thread (never a runtime worker), so it may wait for
        // the git calls, which run on the runtime; see `SessionSink` for why it must not
        // spawn processes itself (they would die with it).
        let done = runtime.block_on(async move {
            let task = tokio::spawn(async move {
                let c = ws::checkpoint(&w, &format!("after turn {turn}"), engine.inner.clock.now()).await?;
                engine.log_checkpoint(&w.session_id, &c, None);
                let changes = ws::changes(&w).await?;
                engine.record_stats(&w, changes.stats);
                Ok::<_, Error>(c)
            });
            task.await
        });
        match done {
            Ok(Ok(c)) => info!(session = %id, n = c.n, "checkpoint taken"),
            Ok(Err(e)) => {
                warn!(session = %id, error = %e, "could not take the turn's checkpoint");
                self.record_output(id, Stream::System, "lifecycle", format!("could not checkpoint the worktree: {e}"));
            }
            Err(e) => warn!(session = %id, error = %e, "the checkpoint task failed"),
        }
    }
}

//! The engine's face of workspaces (`crate::workspace`): a session's worktree at its
//! creation, its changes, and its checkpoints after every turn.

use super::*;
use crate::open::{Choices, OpenIn};
use crate::workspace::{
    self as ws, Changes, Checkpoint, FileDiff, LandMethod, LandOutcome, OrphanWorktree, RemovalCheck, Workspace, WorktreeRequest,
};

impl Engine {
    /// Creates the worktree a new session asked for and moves the session's `cwd` into it.
    /// The session is not stored yet.
    /// Then the repository's setup runs in it (files copied, the setup command): its notes
    /// are returned for the session's output; a failure removes the worktree and branch and
    /// is the error (field `setup`), so nothing is left half-created.
    pub(super) async fn create_worktree(&self, session: &mut Session, req: WorktreeRequest) -> Result<(Workspace, Vec<String>)> {
        // The repository's own worktree folder, when its setup names one.
        let location = match ws::probe(Path::new(&session.cwd)).await? {
            Some(repo) => self.inner.store.repo_setup(&repo.root)?.location(Path::new(&repo.root)),
            None => None,
        };
        let now = self.inner.clock.now();
        let mut reserved: Option<PathBuf> = None;
        let reserve = |p: &Path| {
            self.creating().insert(p.to_path_buf());
            reserved = Some(p.to_path_buf());
        };
        let planned =
            ws::create(&self.inner.data_dir, Path::new(&session.cwd), &session.id, &session.title, req, location.as_deref(), now, reserve)
                .await;
        let planned = match planned {
            Ok(p) => p,
            Err(e) => {
                if let Some(p) = reserved {
                    self.done_creating(&p);
                }
                return Err(e);
            }
        };
        // Known by its canonical path from here on (`done_creating` is called with it).
        if let Some(p) = reserved.filter(|p| p.as_path() != Path::new(&planned.workspace.path)) {
            self.creating().remove(&p);
            self.creating().insert(PathBuf::from(&planned.workspace.path));
        }
        session.cwd = planned.cwd.to_string_lossy().into_owned();
        info!(session = %session.id, branch = %planned.workspace.branch, path = %planned.workspace.path, "worktree created");
        match self.set_up_worktree(&planned.workspace, &planned.cwd).await {
            Ok(notes) => Ok((planned.workspace, notes)),
            Err(e) => {
                ws::remove(&planned.workspace).await;
                self.done_creating(Path::new(&planned.workspace.path));
                warn!(session = %session.id, error = %e, "the worktree's setup failed; worktree removed");
                Err(e)
            }
        }
    }

    async fn set_up_worktree(&self, w: &Workspace, cwd: &Path) -> Result<Vec<String>> {
        let setup = self.inner.store.repo_setup(&w.repo_root)?;
        let mut notes = Vec::new();
        if !setup.copy_files.is_empty() {
            let copied = ws::copy_files(Path::new(&w.repo_root), Path::new(&w.path), &setup.copy_files)?;
            notes.push(if copied.is_empty() {
                format!("setup: nothing to copy ({} matched no file)", setup.copy_files.join(", "))
            } else {
                format!("setup: copied {} from {}", copied.join(", "), w.repo_root)
            });
        }
        if let Some(command) = setup.setup_command.as_deref() {
            let run = ws::run_command(cwd, command, ws::SETUP_TIMEOUT).await?;
            if !run.success {
                let tail = ws::tail(&run.output, 20);
                return Err(Error::invalid(
                    "setup",
                    format!(
                        "the repository's setup command `{}` {}; nothing was created{}",
                        crate::error::shorten(command, 200),
                        run.outcome,
                        if tail.is_empty() { String::new() } else { format!(":\n{tail}") }
                    ),
                ));
            }
            notes.push(format!("setup: `{}` {}", crate::error::shorten(command, 200), run.outcome));
            let lines: Vec<&str> = run.output.lines().collect();
            let skip = lines.len().saturating_sub(500);
            if skip > 0 {
                notes.push(format!("setup: … {skip} earlier lines of its output not kept"));
            }
            notes.extend(lines[skip..].iter().map(|l| l.to_string()));
        }
        Ok(notes)
    }

    /// The worktree setup of the repository `cwd` is in (None: not in a repository).
    pub async fn repo_setup(&self, cwd: &str) -> Result<Option<(String, ws::RepoSetup)>> {
        let Some(repo) = ws::probe(Path::new(cwd)).await? else { return Ok(None) };
        let setup = self.inner.store.repo_setup(&repo.root)?;
        Ok(Some((repo.root, setup)))
    }

    /// Stores the worktree setup of the repository `cwd` is in.
    pub async fn save_repo_setup(&self, cwd: &str, setup: ws::RepoSetup) -> Result<ws::RepoSetup> {
        setup.validate()?;
        let Some(repo) = ws::probe(Path::new(cwd)).await? else {
            return Err(Error::invalid("cwd", format!("'{}' is not in a git repository", crate::error::shorten(cwd, 200))));
        };
        let setup = ws::RepoSetup {
            copy_files: setup.copy_files.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
            setup_command: setup.setup_command.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
            worktree_dir: setup.worktree_dir.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()),
        };
        self.inner.store.save_repo_setup(&repo.root, &setup)?;
        Ok(setup)
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

    /// The files that differ between two states of the session's worktree (tree or commit
    /// ids from [`Engine::changes`] or [`Engine::checkpoints`]): two checkpoints, or one and
    /// the merge-base or the worktree now. Each file's text comes from [`Engine::diff`].
    pub async fn compare(&self, id: &str, from: &str, to: &str) -> Result<ws::Comparison> {
        let w = self.require_workspace(id)?;
        ws::compare(Path::new(&w.path), from, to).await
    }

    /// Opens the session's worktree (its folder when it has none) in the editor, a terminal
    /// or the file manager, with the programs chosen in the settings (see [`crate::open`]).
    /// Returns the program started; an error says what was looked for when none is found.
    #[instrument(skip(self))]
    pub async fn open_in(&self, id: &str, target: OpenIn) -> Result<String> {
        let folder = match self.workspace(id)? {
            Some(w) => PathBuf::from(w.path),
            None => PathBuf::from(self.get(id)?.cwd),
        };
        let settings = self.settings()?;
        // Finding the program may read the login shell's PATH once: not on a tokio worker.
        let launched = tokio::task::spawn_blocking(move || {
            let choices = Choices { editor: &settings.open_editor, terminal: &settings.open_terminal };
            crate::open::open(target, &folder, &choices)
        })
        .await
        .map_err(|e| Error::io("opening the folder", std::io::Error::other(e.to_string())))??;
        Ok(launched.program.to_string_lossy().into_owned())
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
        self.require_idle(id, "checkpoint", "restoring")?;
        let before = ws::restore(&w, n, self.inner.clock.now()).await?;
        self.log_checkpoint(id, &before, Some(n));
        if let Ok(changes) = ws::changes(&w).await {
            self.record_stats(&w, changes.stats);
        }
        Ok(before)
    }

    fn creating(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<PathBuf>> {
        self.inner.creating_worktrees.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The worktree at `path` is stored with its session, or removed: no longer "being created".
    pub(super) fn done_creating(&self, path: &Path) {
        self.creating().remove(path);
    }

    fn require_idle(&self, id: &str, field: &'static str, doing: &str) -> Result<()> {
        let s = self.get(id)?;
        if matches!(s.status, SessionStatus::Running | SessionStatus::WaitingInput | SessionStatus::Compacting | SessionStatus::Starting) {
            return Err(Error::invalid(field, format!("the agent is working; wait for its turn to end (or interrupt it) before {doing}")));
        }
        Ok(())
    }

    fn refresh_stats(&self, id: &str) {
        let Ok(Some(w)) = self.inner.store.workspace(id) else { return };
        let engine = self.clone();
        tokio::spawn(async move {
            if let Ok(changes) = ws::changes(&w).await {
                engine.record_stats(&w, changes.stats);
            }
        });
    }

    /// Commits everything uncommitted in the session's worktree on its branch, as the user
    /// (their identity and hooks apply). Returns the new commit's id.
    #[instrument(skip(self, message))]
    pub async fn commit_work(&self, id: &str, message: &str) -> Result<String> {
        let w = self.require_workspace(id)?;
        self.require_idle(id, "message", "committing")?;
        let commit = ws::commit(&w, message).await?;
        info!(session = %id, commit = %commit, "work committed");
        self.refresh_stats(id);
        Ok(commit)
    }

    /// Lands the session's branch on its base: fast-forward, merge, squash or rebase.
    /// Conflicts come back as an outcome (with the files) and nothing is written; a base
    /// checkout or a session worktree with uncommitted changes is refused with the reason.
    #[instrument(skip(self, message))]
    pub async fn land(&self, id: &str, method: LandMethod, message: Option<&str>) -> Result<LandOutcome> {
        let w = self.require_workspace(id)?;
        self.require_idle(id, "land", "landing")?;
        let outcome = ws::land(&w, method, message).await?;
        info!(session = %id, ?method, landed = outcome.landed, conflicts = outcome.conflicts.len(), "land");
        let detail = serde_json::json!({ "method": method, "landed": outcome.landed, "conflicts": outcome.conflicts, "commit": outcome.commit, "message": outcome.message });
        if let Err(e) = self.log_task_event(id, TaskEventKind::Landed, detail) {
            warn!(session = %id, error = %e, "could not log the landing");
        }
        if outcome.landed {
            self.refresh_stats(id);
        }
        Ok(outcome)
    }

    /// What removing the session's worktree and branch would lose (None: it has none).
    pub async fn removal_check(&self, id: &str) -> Result<Option<RemovalCheck>> {
        match self.workspace(id)? {
            Some(w) => Ok(Some(ws::removal_check(&w).await?)),
            None => Ok(None),
        }
    }

    /// Deletes a session (see [`Engine::delete`]) and, when `remove_worktree`, its worktree,
    /// branch and checkpoints too — whatever they hold: ask [`Engine::removal_check`] first.
    pub async fn delete_with_worktree(&self, id: &str, remove_worktree: bool) -> Result<()> {
        let w = self.workspace(id)?;
        self.delete(id).await?;
        if let (true, Some(w)) = (remove_worktree, w) {
            ws::remove(&w).await;
            info!(session = %id, branch = %w.branch, "worktree removed with its session");
        }
        Ok(())
    }

    /// The worktrees under the data directory that no stored session works in (left by a
    /// session deleted with its worktree kept, or by a crash). Only lists: nothing is removed.
    pub async fn orphan_worktrees(&self) -> Result<Vec<OrphanWorktree>> {
        let known: std::collections::HashSet<String> = self.inner.store.all_workspace_paths()?.into_iter().collect();
        let mut list = Vec::new();
        let mut folders = ws::worktree_folders(&self.inner.data_dir);
        // And the repositories' own worktree folders (their linked worktrees there only).
        for (root, setup) in self.inner.store.repo_setups()? {
            if let Some(dir) = setup.location(Path::new(&root)) {
                folders.extend(ws::worktrees_under(Path::new(&root), &dir).await);
            }
        }
        folders.sort();
        folders.dedup();
        let creating = self.creating().clone();
        for path in folders {
            if creating.contains(&path) || path.canonicalize().is_ok_and(|c| creating.contains(&c)) {
                continue; // its session is being created right now
            }
            let shown = path.to_string_lossy().into_owned();
            let canonical = path.canonicalize().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| shown.clone());
            if !known.contains(&shown) && !known.contains(&canonical) {
                list.push(ws::describe_orphan(&path).await);
            }
        }
        Ok(list)
    }

    /// Removes the chosen orphaned worktrees (each path must be one [`Engine::orphan_worktrees`]
    /// lists now); their branches are kept. Returns the paths removed.
    pub async fn remove_orphan_worktrees(&self, paths: &[String]) -> Result<Vec<String>> {
        let orphans = self.orphan_worktrees().await?;
        let mut removed = Vec::new();
        for p in paths {
            let Some(o) = orphans.iter().find(|o| &o.path == p) else {
                return Err(Error::invalid(
                    "path",
                    format!("{} is not an orphaned worktree of Switchboard's", crate::error::shorten(p, 200)),
                ));
            };
            ws::remove_orphan(o).await?;
            info!(path = %o.path, "orphaned worktree removed");
            removed.push(o.path.clone());
        }
        Ok(removed)
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

//! Housekeeping: the periodic sweep (idle sessions expire, old ones are purged), settling what
//! crashed Switchboard processes left (`reconcile`), and stopping everything at quit.

use super::*;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Live sessions idle past their TTL, now Expired (their process stopped).
    pub expired: Vec<String>,
    /// Finished sessions past the retention, now deleted.
    pub purged: Vec<String>,
}

/// The running sweeper. [`Sweeper::stop`] ends it and waits; dropping it ends it too.
pub struct Sweeper {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Sweeper {
    /// Stops the sweeper and waits until its task has finished (no sweep is left running).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Engine {
    /// Settles sessions whose owning Switchboard process is gone — after a crash, a
    /// `kill -9`, or an unclean exit — and every row that still has a process recorded
    /// (a final status written just before a crash, while its process still ran). Any
    /// process of such a session still alive (same pid, start time and boot) is stopped
    /// first, group and all, so nothing is left orphaned; a live session becomes
    /// Interrupted and stays resumable. Sessions owned by another Switchboard process that
    /// is still running are left alone. Every Switchboard process (the app at start-up
    /// and on each sweep, each CLI command) calls this when it opens the store.
    /// One unreadable row is reported and skipped, never stops the rest.
    pub async fn reconcile(&self) -> Result<Vec<Session>> {
        let mut changed = Vec::new();
        for id in self.inner.store.sessions_to_reconcile()? {
            match self.reconcile_one(&id).await {
                Ok(Some(s)) => changed.push(s),
                Ok(None) => {}
                Err(e) => warn!(session = %id, error = %e, "could not reconcile a session; skipping it"),
            }
        }
        Ok(changed)
    }

    pub(super) async fn reconcile_one(&self, id: &str) -> Result<Option<Session>> {
        if self.procs().contains_key(id) || self.starting().contains(id) {
            return Ok(None);
        }
        let record = self.inner.store.process_of(id)?;
        let owner_alive = record.owner.as_ref().is_some_and(|o| o.is_alive());
        let owner_is_me = record.owner.as_ref() == Some(&self.inner.me);
        if owner_alive && !owner_is_me {
            return Ok(None);
        }
        if owner_is_me && record.process.is_none() {
            // Ours and between processes (a one-shot agent idle between turns): nothing left over.
            return Ok(None);
        }
        if let Some(p) = record.process.as_ref().filter(|p| p.is_alive()) {
            warn!(session = %id, pid = p.pid, "process left over by a Switchboard that is gone: stopping its group");
            runner::stop_tree(p.pid, self.inner.config.stop_grace).await;
        }
        let session = self.get(id)?;
        if !session.status.is_live() {
            self.inner.store.clear_process(id)?;
            return Ok(None);
        }
        info!(session = %id, "its Switchboard process is gone: marking interrupted");
        // Questions it asked died with its process; a resumed conversation asks again.
        self.cancel_permissions(id, "Switchboard stopped before it was answered")?;
        let now = self.inner.clock.now();
        let s = self.update_logged(
            id,
            |s| {
                if s.status.is_live() {
                    s.move_to(SessionStatus::Interrupted)?;
                    s.ended_at = Some(now);
                }
                s.pid = None;
                Ok(())
            },
            Some((TaskEventKind::Ended, serde_json::json!({ "status": "interrupted", "reason": "its Switchboard process was gone" }))),
        )?;
        Ok(Some(s))
    }

    pub(crate) fn ttl(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.inner.config.idle_ttl).unwrap_or(chrono::Duration::hours(1))
    }

    /// One sweep: settles sessions whose Switchboard process is gone (see
    /// [`Engine::reconcile`]), expires sessions *idle* past their TTL (stopping their
    /// process), and purges finished sessions past the retention. A running turn, a
    /// pending permission or a compaction is never expired, and sessions another live
    /// Switchboard process runs are left to it. One bad row is logged and skipped.
    pub async fn sweep(&self) -> Result<SweepReport> {
        if let Err(e) = self.reconcile().await {
            warn!(error = %e, "could not reconcile sessions during a sweep");
        }
        let now = self.inner.clock.now();
        let mut report = SweepReport::default();
        for id in self.inner.store.expired_live(now)? {
            match self.expire(&id, now).await {
                Ok(true) => report.expired.push(id),
                Ok(false) => {}
                Err(e) => warn!(session = %id, error = %e, "could not expire a session; skipping it"),
            }
        }
        if !self.inner.config.retention.is_zero() {
            let cutoff = now - chrono::Duration::from_std(self.inner.config.retention).unwrap_or(chrono::Duration::days(30));
            for id in self.inner.store.ended_before(cutoff, PURGE_BATCH)? {
                match self.delete(&id).await {
                    Ok(()) => report.purged.push(id),
                    Err(e) => warn!(session = %id, error = %e, "could not purge a session; skipping it"),
                }
            }
        }
        Ok(report)
    }

    /// Expires one idle session past its TTL; false when it is not (any more) to expire.
    pub(super) async fn expire(&self, id: &str, now: DateTime<Utc>) -> Result<bool> {
        if self.foreign_owner(id)?.is_some() {
            return Ok(false);
        }
        let changed = self.update_logged(
            id,
            |s| {
                if matches!(s.status, SessionStatus::Idle | SessionStatus::Starting) && s.expires_at < now {
                    s.move_to(SessionStatus::Expired)?;
                    s.ended_at = Some(now);
                }
                Ok(())
            },
            Some((TaskEventKind::Ended, serde_json::json!({ "status": "expired" }))),
        )?;
        if changed.status != SessionStatus::Expired {
            return Ok(false);
        }
        self.stop_process(id).await;
        info!(session = %id, "idle past its TTL: expired");
        Ok(true)
    }

    /// Runs [`Engine::sweep`] every `sweep_interval` until the returned [`Sweeper`] is
    /// stopped or dropped. Must be called within a tokio runtime.
    pub fn start_sweeper(&self) -> Sweeper {
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let engine = self.clone();
        let every = self.inner.config.sweep_interval;
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await; // the first tick is immediate; sweep after one interval
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tick.tick() => {
                        if let Err(e) = engine.sweep().await {
                            warn!(error = %e, "sweep failed");
                        }
                    }
                }
            }
        });
        Sweeper { stop: Some(stop), task: Some(task) }
    }

    /// Stops every process this engine started and marks their sessions Interrupted
    /// (resumable). For a clean shutdown of the app, or a CLI told to stop. The processes
    /// are stopped all at once: quitting with 100 hung agents takes one grace period, not 100.
    pub async fn shutdown(&self) {
        let handles: Vec<(String, ProcessHandle)> = self.procs().iter().map(|(k, v)| (k.clone(), v.handle.clone())).collect();
        let now = self.inner.clock.now();
        let mut stops = tokio::task::JoinSet::new();
        for (id, handle) in handles {
            let _ = self.cancel_permissions(&id, "Switchboard is quitting");
            let marked = self.update_logged(
                &id,
                |s| {
                    if s.status.is_live() {
                        s.move_to(SessionStatus::Interrupted)?;
                        s.ended_at = Some(now);
                    }
                    Ok(())
                },
                Some((TaskEventKind::Ended, serde_json::json!({ "status": "interrupted", "reason": "Switchboard stopped it" }))),
            );
            if let Err(e) = marked {
                warn!(session = %id, error = %e, "could not mark the session interrupted");
            }
            let grace = self.inner.config.stop_grace;
            stops.spawn(async move { handle.stop(grace).await });
        }
        while stops.join_next().await.is_some() {}
        // Off the runtime: the flush waits for SQLite.
        let inner = self.inner.clone();
        let _ = tokio::task::spawn_blocking(move || inner.output.flush()).await;
    }
}

/// Finished sessions purged per sweep at most, so one sweep stays short.
pub(super) const PURGE_BATCH: u32 = 1_000;

//! Following one turn of a session to its end: what `switchboard run` and `send` print.
//! Awaits the engine's own events (no polling), so the app and the CLI share one API.

use super::*;
use crate::output::{Follower, Update};

/// How long the rest of a turn's output may take to arrive once its end is known (entries
/// are pushed before the status that ends the turn is written, so this is a margin, not a
/// guess at the writer's speed).
const DRAIN_AFTER_TURN: Duration = Duration::from_millis(50);

/// A session's output from the start of a follow until its current turn is over (or its
/// process is gone): every entry once, in order. See [`Engine::follow_turn`].
pub struct TurnFollower {
    engine: Engine,
    id: String,
    output: Follower,
    events: broadcast::Receiver<EngineEvent>,
    /// The turn is over (its session says so): what is left is drained, then None.
    over: bool,
    /// The process's output ended; the turn is over once its exit is recorded.
    output_done: bool,
}

/// Whether a session's current turn is over: its process is gone, or an agent that takes
/// messages is Idle again. A command session's turn is its whole run.
pub fn turn_over(s: &Session) -> bool {
    !s.status.is_live() || (s.agent != AgentKind::Command && matches!(s.status, SessionStatus::Idle))
}

impl Engine {
    /// Follows a session's output from `after_seq` until its current turn is over.
    pub fn follow_turn(&self, id: &str, after_seq: u64) -> Result<TurnFollower> {
        // Events first, then the state: a change between the two is not missed.
        let events = self.subscribe();
        let output = self.follow_output(id, after_seq)?;
        let over = turn_over(&self.get(id)?);
        Ok(TurnFollower { engine: self.clone(), id: id.to_string(), output, events, over, output_done: false })
    }
}

impl TurnFollower {
    /// Up to `max` next entries; waits for some. None once the turn is over and its
    /// output was all handed out. Partial text is skipped (see [`TurnFollower::next_update`]).
    pub async fn next_batch(&mut self, max: usize) -> Result<Option<Vec<OutputEntry>>> {
        loop {
            match self.next_update(max).await? {
                Some(update) if update.entries.is_empty() => continue,
                Some(update) => return Ok(Some(update.entries)),
                None => return Ok(None),
            }
        }
    }

    /// Up to `max` next entries and the change in the text the agent is still writing
    /// (see [`Follower::next_update`]); waits for either. None once the turn is over and
    /// its output was all handed out.
    pub async fn next_update(&mut self, max: usize) -> Result<Option<Update>> {
        loop {
            if self.over {
                return match tokio::time::timeout(DRAIN_AFTER_TURN, self.output.next_update(max)).await {
                    Ok(batch) => batch,
                    Err(_) => Ok(None),
                };
            }
            if self.output_done {
                // The process's output ended; its exit is recorded just after.
                match self.events.recv().await {
                    Ok(event) => self.see(event),
                    Err(broadcast::error::RecvError::Lagged(_)) => self.over = self.engine.find(&self.id)?.is_none_or(|s| turn_over(&s)),
                    Err(broadcast::error::RecvError::Closed) => self.over = true,
                }
                continue;
            }
            tokio::select! {
                batch = self.output.next_update(max) => match batch? {
                    Some(batch) => return Ok(Some(batch)),
                    None => {
                        self.output_done = true;
                        self.over = self.engine.find(&self.id)?.is_none_or(|s| turn_over(&s));
                    }
                },
                event = self.events.recv() => match event {
                    Ok(event) => self.see(event),
                    // Missed events: read the state itself.
                    Err(broadcast::error::RecvError::Lagged(_)) => self.over = self.engine.find(&self.id)?.is_none_or(|s| turn_over(&s)),
                    Err(broadcast::error::RecvError::Closed) => self.over = true,
                },
            }
        }
    }

    fn see(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::SessionChanged { session } if session.id == self.id => self.over = turn_over(&session),
            EngineEvent::SessionDeleted { id } if id == self.id => self.over = true,
            _ => {}
        }
    }
}

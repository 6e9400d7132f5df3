//! Where a session is in its life: the status machine. Which moves are legal is decided here
//! ([`SessionStatus::can_become`]); the engine refuses any other.

use super::*;

/// Where a session is in its life. A state machine: see [`SessionStatus::can_become`].
///
/// Live states (a process may be attached): Starting, Running, Idle, WaitingInput, Compacting.
/// Final states: Ended, Error, Expired, Interrupted — a final session can be resumed
/// (it becomes Starting again) when its agent supports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SessionStatus {
    /// Created; the agent process is being started (or restarted by a resume).
    Starting,
    /// The agent is working on a turn.
    Running,
    /// Between turns: the agent waits for a message (Codex and Gemini with no process at all).
    /// The idle TTL runs only here and in Starting.
    Idle,
    /// The agent asked to use a tool and waits for a person's answer (a permission request).
    WaitingInput,
    /// A Running sub-state: the agent is compacting its context.
    Compacting,
    /// Finished cleanly: the process exited with 0 or was stopped on request.
    Ended,
    /// Finished by a failure: a failed start, an unexpected exit, a failed turn or a full disk.
    Error {
        /// What went wrong, for people (also in [`Session::last_error`]).
        message: String,
    },
    /// Idle (or Starting) past its `expires_at`: the sweeper stopped its process.
    Expired,
    /// The app stopped or crashed while the session was live; resumable.
    Interrupted,
}

impl SessionStatus {
    /// The name stored in SQLite and used by filters (`--status running`).
    pub fn name(&self) -> &'static str {
        match self {
            SessionStatus::Starting => "starting",
            SessionStatus::Running => "running",
            SessionStatus::Idle => "idle",
            SessionStatus::WaitingInput => "waiting_input",
            SessionStatus::Compacting => "compacting",
            SessionStatus::Ended => "ended",
            SessionStatus::Error { .. } => "error",
            SessionStatus::Expired => "expired",
            SessionStatus::Interrupted => "interrupted",
        }
    }

    /// Every status name, as stored and as filters take them.
    pub const NAMES: [&'static str; 9] =
        ["starting", "running", "idle", "waiting_input", "compacting", "ended", "error", "expired", "interrupted"];

    /// The names of the live states (see [`SessionStatus::is_live`]).
    pub const LIVE_NAMES: [&'static str; 5] = ["starting", "running", "idle", "waiting_input", "compacting"];

    /// Rebuilds a status from its stored name and the stored error message.
    pub fn from_parts(name: &str, message: Option<String>) -> Result<Self> {
        Ok(match name {
            "starting" => SessionStatus::Starting,
            "running" => SessionStatus::Running,
            "idle" => SessionStatus::Idle,
            "waiting_input" => SessionStatus::WaitingInput,
            "compacting" => SessionStatus::Compacting,
            "ended" => SessionStatus::Ended,
            "error" => SessionStatus::Error { message: message.unwrap_or_default() },
            "expired" => SessionStatus::Expired,
            "interrupted" => SessionStatus::Interrupted,
            other => {
                let other = crate::error::shorten(other, crate::error::MAX_VALUE_IN_ERROR);
                return Err(Error::invalid("status", format!("unknown status '{other}' (expected one of {})", Self::NAMES.join(", "))));
            }
        })
    }

    /// Whether a process may be attached: Starting, Running, Idle, WaitingInput or Compacting.
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            SessionStatus::Starting
                | SessionStatus::Running
                | SessionStatus::Idle
                | SessionStatus::WaitingInput
                | SessionStatus::Compacting
        )
    }

    /// Whether the state machine allows moving from `self` to `next`.
    ///
    /// Live states move freely among themselves (a turn starts, ends, asks for input) and
    /// may end in any final state. Final states only leave through a resume (→ Starting).
    /// Staying in the same state is allowed (an idempotent update), except into Starting.
    pub fn can_become(&self, next: &SessionStatus) -> bool {
        use SessionStatus::*;
        if self.name() == next.name() {
            return !matches!(next, Starting);
        }
        match (self, next) {
            (Starting, Running | Idle | WaitingInput) => true,
            (Running | Idle | WaitingInput | Compacting, Running | Idle | WaitingInput | Compacting) => true,
            (s, Ended | Error { .. } | Expired | Interrupted) if s.is_live() => true,
            (Ended | Error { .. } | Expired | Interrupted, Starting) => true,
            _ => false,
        }
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionStatus::Error { message } => write!(f, "error: {message}"),
            s => f.write_str(s.name()),
        }
    }
}

impl crate::model::Session {
    /// Moves the session to `next`: the one place a session's status is set. A move the
    /// status machine does not allow ([`SessionStatus::can_become`]) is refused with
    /// [`Error::IllegalTransition`] and changes nothing. The row is then stored by
    /// `Engine::change_session` (engine/mod.rs), the one place a session is written.
    pub fn move_to(&mut self, next: SessionStatus) -> crate::error::Result<()> {
        if !self.status.can_become(&next) {
            return Err(crate::error::Error::IllegalTransition {
                id: self.id.clone(),
                from: self.status.name().to_string(),
                to: next.name().to_string(),
            });
        }
        self.status = next;
        Ok(())
    }
}

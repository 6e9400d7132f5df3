//! Where a live session's current turn is, in memory, with the data each state needs.
//! Transitions are methods that refuse illegal moves; the stored status follows from them
//! (see `Engine::change_session`, the one place a session row is written).

use std::collections::BTreeSet;
use std::time::Instant;

/// The longest assistant text kept per turn for `send`'s answer (the full text is in the
/// session's output).
pub(crate) use crate::conversation::MAX_TURN_TEXT;

/// The turn of a live agent process.
#[derive(Debug)]
pub(crate) enum Turn {
    /// No message is being answered (a fresh process, or the last turn ended).
    Idle {
        /// Whether the last turn ended without an error (a one-shot agent's clean exit
        /// after a good turn leaves the session Idle, not Ended).
        last_ok: bool,
    },
    /// A message is being answered.
    Running(TurnData),
    /// The agent waits for a person's answer to these permission requests.
    AwaitingPermission { turn: TurnData, requests: BTreeSet<String> },
    /// The user asked to stop the turn; the agent has not confirmed it yet.
    Interrupting(TurnData),
}

/// What a turn keeps while it runs.
#[derive(Debug)]
pub(crate) struct TurnData {
    started: Instant,
    /// The assistant's text so far (bounded by [`MAX_TURN_TEXT`]).
    text: String,
}

/// What an ended turn leaves: for the task log and `send`'s answer.
#[derive(Debug, PartialEq)]
pub(crate) struct TurnDone {
    pub(crate) duration_ms: u64,
    pub(crate) text: String,
    /// The user interrupted it.
    pub(crate) interrupted: bool,
}

/// A move the current turn state does not allow.
#[derive(Debug, PartialEq)]
pub(crate) struct Refused {
    pub(crate) from: &'static str,
    pub(crate) to: &'static str,
}

impl Default for Turn {
    fn default() -> Self {
        Turn::Idle { last_ok: false }
    }
}

impl Turn {
    /// The state's name, for errors and logs.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Turn::Idle { .. } => "idle",
            Turn::Running(_) => "running",
            Turn::AwaitingPermission { .. } => "awaiting permission",
            Turn::Interrupting(_) => "interrupting",
        }
    }

    /// Whether a message is being answered.
    pub(crate) fn is_busy(&self) -> bool {
        !matches!(self, Turn::Idle { .. })
    }

    /// Whether the last turn ended without an error.
    pub(crate) fn last_ok(&self) -> bool {
        matches!(self, Turn::Idle { last_ok: true })
    }

    /// A message was sent: Idle → Running. Refused while a turn runs.
    pub(crate) fn begin(&mut self) -> Result<(), Refused> {
        match self {
            Turn::Idle { .. } => {
                *self = Turn::Running(TurnData { started: Instant::now(), text: String::new() });
                Ok(())
            }
            other => Err(Refused { from: other.name(), to: "running" }),
        }
    }

    /// The agent asked for permission: Running (or already awaiting) → AwaitingPermission.
    pub(crate) fn ask(&mut self, request_id: &str) -> Result<(), Refused> {
        match std::mem::take(self) {
            Turn::Running(turn) => {
                *self = Turn::AwaitingPermission { turn, requests: BTreeSet::from([request_id.to_string()]) };
                Ok(())
            }
            Turn::AwaitingPermission { turn, mut requests } => {
                requests.insert(request_id.to_string());
                *self = Turn::AwaitingPermission { turn, requests };
                Ok(())
            }
            other => {
                let from = other.name();
                *self = other;
                Err(Refused { from, to: "awaiting permission" })
            }
        }
    }

    /// A permission request was answered: back to Running once none is left. Returns
    /// whether the turn runs again. An answer outside a wait changes nothing.
    pub(crate) fn answered(&mut self, request_id: &str) -> bool {
        match std::mem::take(self) {
            Turn::AwaitingPermission { turn, mut requests } => {
                requests.remove(request_id);
                if requests.is_empty() {
                    *self = Turn::Running(turn);
                    true
                } else {
                    *self = Turn::AwaitingPermission { turn, requests };
                    false
                }
            }
            other => {
                *self = other;
                false
            }
        }
    }

    /// The user interrupts: a running or waiting turn → Interrupting. Refused when no turn
    /// runs (there is nothing to interrupt).
    pub(crate) fn interrupt(&mut self) -> Result<(), Refused> {
        match std::mem::take(self) {
            Turn::Running(turn) | Turn::AwaitingPermission { turn, .. } | Turn::Interrupting(turn) => {
                *self = Turn::Interrupting(turn);
                Ok(())
            }
            other => {
                let from = other.name();
                *self = other;
                Err(Refused { from, to: "interrupting" })
            }
        }
    }

    /// Keeps assistant text of the running turn (bounded); ignored between turns.
    pub(crate) fn collect(&mut self, text: &str) {
        let data = match self {
            Turn::Running(d) | Turn::AwaitingPermission { turn: d, .. } | Turn::Interrupting(d) => d,
            Turn::Idle { .. } => return,
        };
        if data.text.len() >= MAX_TURN_TEXT {
            return;
        }
        if !data.text.is_empty() {
            data.text.push('\n');
        }
        let mut room = MAX_TURN_TEXT.saturating_sub(data.text.len());
        for c in text.chars() {
            if c.len_utf8() > room {
                break;
            }
            room -= c.len_utf8();
            data.text.push(c);
        }
    }

    /// The agent reported the end of the turn → Idle, remembering whether it went well.
    /// A turn end while Idle (an agent reporting twice) yields an empty record.
    pub(crate) fn end(&mut self, ok: bool) -> TurnDone {
        match std::mem::replace(self, Turn::Idle { last_ok: ok }) {
            Turn::Running(d) | Turn::AwaitingPermission { turn: d, .. } => {
                TurnDone { duration_ms: d.started.elapsed().as_millis() as u64, text: d.text, interrupted: false }
            }
            Turn::Interrupting(d) => TurnDone { duration_ms: d.started.elapsed().as_millis() as u64, text: d.text, interrupted: true },
            Turn::Idle { .. } => TurnDone { duration_ms: 0, text: String::new(), interrupted: false },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_runs_waits_for_permissions_and_ends() {
        let mut t = Turn::default();
        assert_eq!(t.name(), "idle");
        t.begin().unwrap();
        assert_eq!(t.begin(), Err(Refused { from: "running", to: "running" }), "one turn at a time");
        t.ask("a").unwrap();
        t.ask("b").unwrap();
        assert!(!t.answered("a"), "still waiting for b");
        assert_eq!(t.name(), "awaiting permission");
        assert!(t.answered("b"));
        assert_eq!(t.name(), "running");
        t.collect("hello");
        t.collect("world");
        let done = t.end(true);
        assert_eq!((done.text.as_str(), done.interrupted), ("hello\nworld", false));
        assert!(t.last_ok() && t.name() == "idle");
    }

    #[test]
    fn illegal_moves_are_refused_and_change_nothing() {
        let mut t = Turn::default();
        assert_eq!(t.ask("x"), Err(Refused { from: "idle", to: "awaiting permission" }));
        assert_eq!(t.interrupt(), Err(Refused { from: "idle", to: "interrupting" }));
        assert!(!t.answered("x"));
        assert_eq!(t.name(), "idle");
        t.collect("ignored between turns");
        assert_eq!(t.end(true), TurnDone { duration_ms: 0, text: String::new(), interrupted: false });
    }

    #[test]
    fn an_interrupted_turn_says_so_and_a_waiting_one_can_be_interrupted() {
        let mut t = Turn::default();
        t.begin().unwrap();
        t.ask("r").unwrap();
        t.interrupt().unwrap();
        assert_eq!(t.ask("s"), Err(Refused { from: "interrupting", to: "awaiting permission" }));
        let done = t.end(false);
        assert!(done.interrupted && !t.last_ok());
    }

    #[test]
    fn kept_text_is_bounded_and_cut_on_a_character() {
        let mut t = Turn::default();
        t.begin().unwrap();
        t.collect(&"é".repeat(MAX_TURN_TEXT));
        t.collect("more");
        let done = t.end(true);
        assert!(done.text.len() <= MAX_TURN_TEXT && done.text.len() > MAX_TURN_TEXT - 2);
        assert!(done.text.chars().all(|c| c == 'é'));
    }
}

//! The engine's one error type. Each variant has a stable `code` that crosses IPC and the CLI.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use ts_rs::TS;

/// The engine's `Result`: its error is [`Error`] unless said otherwise.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A user's value is echoed in an error message up to this many characters: enough to
/// recognise an id or a name, short enough that a 10,000-character value gives a short line.
pub const MAX_VALUE_IN_ERROR: usize = 60;

/// `value` as it may appear in a message: at most `max` characters, then `…(N chars)` with
/// the full count; control characters (a newline, an escape sequence) written as escapes
/// (`\n`, `\u{1b}`), so an echoed value can neither break the line nor drive a terminal.
pub fn shorten(value: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0usize;
    for c in value.chars() {
        if count < max {
            if c.is_control() {
                out.extend(c.escape_debug());
            } else {
                out.push(c);
            }
        }
        count += 1;
    }
    if count > max {
        out.push_str(&format!("…({count} chars)"));
    }
    out
}

/// The stable, machine-readable kind of an error: the `code` of an IPC error (a TypeScript
/// union in `ui/src/lib/bindings/ErrorCode.ts`) and what the CLI picks its exit code from.
/// Only codes a consumer tells apart are variants; the message says the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No session with that id.
    NotFound,
    /// A value the caller gave is wrong; `field` (when known) names the input.
    InvalidInput,
    /// The session's status does not allow that now (ending an ended session).
    IllegalTransition,
    /// Too many live sessions.
    LimitReached,
    /// The agent's program could not be started.
    SpawnFailed,
    /// The database failed or holds data it cannot read.
    Storage,
    /// A file or process operation failed.
    Io,
    /// The operating system refused a desktop integration (start at login).
    System,
    /// A fault of the app itself (a task that panicked): a bug to report.
    Internal,
}

impl ErrorCode {
    /// The serde name (`not_found`), as it crosses IPC and appears in the CLI's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::IllegalTransition => "illegal_transition",
            ErrorCode::LimitReached => "limit_reached",
            ErrorCode::SpawnFailed => "spawn_failed",
            ErrorCode::Storage => "storage",
            ErrorCode::Io => "io",
            ErrorCode::System => "system",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the engine can refuse or fail with. The message (`Display`) is one line a
/// person can act on; [`Error::kind`] is what callers match on.
#[derive(Debug, Error)]
pub enum Error {
    /// The id as given; shown shortened (an id can be any string a caller sends).
    #[error("session '{}' not found", shorten(.0, MAX_VALUE_IN_ERROR))]
    NotFound(String),

    /// A bad value from a caller. `field` names the input it came from, so a form can show it there.
    #[error("{message}")]
    Invalid {
        /// The request field (or CLI flag) the value came from: `cwd`, `agent`, `text`…
        field: &'static str,
        /// What is wrong with it and what would do, for a person.
        message: String,
    },

    /// A status move the status machine does not allow (see `SessionStatus::can_become`).
    #[error("cannot move session '{id}' from {from} to {to}")]
    IllegalTransition {
        /// The session's id.
        id: String,
        /// The status it has (its `state` name).
        from: String,
        /// The status it was asked to take.
        to: String,
    },

    /// Starting one more session would pass the live-session limit of the settings.
    #[error("at most {limit} live sessions are allowed; end one first or raise the limit in settings")]
    LimitReached {
        /// The limit in force.
        limit: u32,
    },

    /// An agent's program could not be started, or could not be written to.
    #[error("could not start '{program}': {message}")]
    Spawn {
        /// The program as the person knows it (`claude`, `node`…).
        program: String,
        /// Why, with what to do about it ("not found on PATH: install it with …").
        message: String,
    },

    /// SQLite refused or failed (busy past the retries, disk full, I/O).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// The database could not be brought to this version's schema.
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),

    /// A file or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the file or folder ("reading the settings file …").
        context: String,
        /// The system's error.
        source: std::io::Error,
    },

    /// A stored value the model cannot read (an unknown agent, unparsable JSON).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),

    /// A git call failed: which one (its first words) and git's own message.
    #[error("{command} failed: {message}")]
    Git {
        /// The git command, by its first words (`git worktree add`).
        command: String,
        /// git's own message (its stderr, shortened).
        message: String,
    },
}

impl Error {
    /// A bad value from a caller, reported against `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid { field, message: message.into() }
    }

    /// A failed file or process operation, with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    /// The stable kind of this error; match on it rather than on [`Error::code`]'s text.
    pub fn kind(&self) -> ErrorCode {
        match self {
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::Invalid { .. } => ErrorCode::InvalidInput,
            Error::IllegalTransition { .. } => ErrorCode::IllegalTransition,
            Error::LimitReached { .. } => ErrorCode::LimitReached,
            Error::Spawn { .. } => ErrorCode::SpawnFailed,
            Error::Sqlite(_) | Error::Migration(_) | Error::Corrupt(_) => ErrorCode::Storage,
            Error::Io { .. } | Error::Git { .. } => ErrorCode::Io,
        }
    }

    /// The kind's name (`not_found`), for printing.
    pub fn code(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The input field a validation error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_short_values_and_cuts_long_ones_with_their_length() {
        assert_eq!(shorten("claude_01", 60), "claude_01");
        let long = "x".repeat(10_000);
        assert_eq!(shorten(&long, 60), format!("{}…(10000 chars)", "x".repeat(60)));
        assert_eq!(shorten("a\nb\u{1b}]52;c;evil\u{7}", 60), "a\\nb\\u{1b}]52;c;evil\\u{7}");
    }

    #[test]
    fn error_codes_serialize_as_their_names() {
        for code in [ErrorCode::NotFound, ErrorCode::InvalidInput, ErrorCode::Storage, ErrorCode::System, ErrorCode::Internal] {
            assert_eq!(serde_json::to_value(code).ok(), Some(serde_json::Value::String(code.as_str().into())));
        }
    }

    #[test]
    fn not_found_shows_a_long_id_shortened() {
        let e = Error::NotFound("y".repeat(10_000));
        let text = e.to_string();
        assert!(text.len() < 120, "{} chars", text.len());
        assert!(text.ends_with("…(10000 chars)' not found"), "{text}");
    }
}

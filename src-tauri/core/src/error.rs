//! The engine's one error type. Each variant has a stable `code` that crosses IPC and the CLI.

use thiserror::Error;

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

#[derive(Debug, Error)]
pub enum Error {
    /// The id as given; shown shortened (an id can be any string a caller sends).
    #[error("session '{}' not found", shorten(.0, MAX_VALUE_IN_ERROR))]
    NotFound(String),

    /// A bad value from a caller. `field` names the input it came from, so a form can show it there.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },

    #[error("cannot move session '{id}' from {from} to {to}")]
    IllegalTransition { id: String, from: String, to: String },

    #[error("at most {limit} live sessions are allowed; end one first or raise the limit in settings")]
    LimitReached { limit: u32 },

    #[error("could not start '{program}': {message}")]
    Spawn { program: String, message: String },

    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),

    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },

    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid { field, message: message.into() }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    /// A stable, machine-readable name for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "not_found",
            Error::Invalid { .. } => "invalid_input",
            Error::IllegalTransition { .. } => "illegal_transition",
            Error::LimitReached { .. } => "limit_reached",
            Error::Spawn { .. } => "spawn_failed",
            Error::Sqlite(_) | Error::Migration(_) | Error::Corrupt(_) => "storage",
            Error::Io { .. } => "io",
        }
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
    fn not_found_shows_a_long_id_shortened() {
        let e = Error::NotFound("y".repeat(10_000));
        let text = e.to_string();
        assert!(text.len() < 120, "{} chars", text.len());
        assert!(text.ends_with("…(10000 chars)' not found"), "{text}");
    }
}

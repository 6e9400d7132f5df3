//! The engine's one error type. Each variant has a stable `code` that crosses IPC and the CLI.

use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    #[error("session '{0}' not found")]
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

//! The one error shape that crosses IPC: `{ code, message, field }`.

use serde::Serialize;
use switchboard_core::{Error, ErrorCode};
use ts_rs::TS;

/// What a command rejects with. `code` is stable (a TypeScript union in the bindings),
/// `message` is for people, `field` names the form input a validation error is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl From<Error> for IpcError {
    fn from(e: Error) -> Self {
        IpcError { code: e.kind(), message: e.to_string(), field: e.field().map(str::to_string) }
    }
}

pub type IpcResult<T> = Result<T, IpcError>;

//! `#[tauri::command]`s: each parses its arguments, calls the engine and maps the error.

use switchboard_core::{Engine, NewSession, Session, SessionFilter};
use tauri::State;
use tracing::instrument;

use crate::ipc::IpcResult;

#[tauri::command]
#[instrument(skip_all)]
pub async fn list_sessions(engine: State<'_, Engine>, filter: Option<SessionFilter>) -> IpcResult<Vec<Session>> {
    Ok(engine.list(&filter.unwrap_or_default())?)
}

#[tauri::command]
#[instrument(skip_all)]
pub async fn create_session(engine: State<'_, Engine>, request: NewSession) -> IpcResult<Session> {
    Ok(engine.create(request).await?)
}

#[tauri::command]
#[instrument(skip(engine))]
pub async fn end_session(engine: State<'_, Engine>, id: String) -> IpcResult<Session> {
    Ok(engine.end(&id).await?)
}

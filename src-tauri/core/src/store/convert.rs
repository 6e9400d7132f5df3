//! Moves the output rows of schema 10 and before (the `output` table, payloads as text) into
//! the compressed `entries` table, in place and resumable: each batch — part of one session's
//! rows — is inserted into `entries` and deleted from `output` in one transaction, so a row is
//! always in exactly one of the two tables and reads (which look in both) never miss it.
//! Interrupted (a crash, the app closed), the next run goes on where this one stopped.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::*;

/// How far the conversion of old output rows has come (an engine event, and what the CLI prints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OutputConversion {
    /// Rows moved by this run so far.
    #[ts(type = "number")]
    pub moved: u64,
    /// Rows there were to move when this run started.
    #[ts(type = "number")]
    pub total: u64,
    /// Whether every old row has been moved.
    pub done: bool,
}

/// The most rows one conversion transaction moves …
pub const CONVERT_BATCH_ROWS: usize = 5_000;
/// … and the most payload bytes (the write lock is held meanwhile: live output waits).
const CONVERT_BATCH_BYTES: usize = 16 * 1024 * 1024;

impl Store {
    /// Whether old output rows are still waiting for [`Store::convert_legacy_output`].
    pub fn legacy_output_left(&self) -> bool {
        self.legacy_output()
    }

    /// Moves every old output row into the compressed table, `batch_rows` at most per
    /// transaction, calling `progress` after each (and once at the end). `progress`
    /// returning `Break` stops after the batch just committed; calling this again resumes.
    pub fn convert_legacy_output(
        &self,
        batch_rows: usize,
        mut progress: impl FnMut(OutputConversion) -> ControlFlow<()>,
    ) -> Result<OutputConversion> {
        let total: i64 = self.writer().query_row("SELECT count(*) FROM output", [], |r| r.get(0))?;
        let mut state = OutputConversion { moved: 0, total: total as u64, done: total == 0 };
        while !state.done {
            let moved = self.convert_batch(batch_rows.max(1))?;
            state.moved += moved as u64;
            state.done = moved == 0;
            if !state.done && progress(state).is_break() {
                return Ok(state);
            }
        }
        self.legacy.store(false, std::sync::atomic::Ordering::Relaxed);
        let _ = progress(state);
        Ok(state)
    }

    /// Moves the next rows of one session; returns how many (0: none were left).
    fn convert_batch(&self, batch_rows: usize) -> Result<usize> {
        self.codec.train_ready(&self.writer())?;
        let moved = self.immediate(|tx| {
            let Some(session_id): Option<String> = tx.query_row("SELECT session_id FROM output LIMIT 1", [], |r| r.get(0)).optional()?
            else {
                return Ok(0);
            };
            let sql = format!("SELECT {} FROM output WHERE session_id = ?1 ORDER BY seq LIMIT ?2", super::output::LEGACY_COLUMNS);
            let mut stmt = tx.prepare_cached(&sql)?;
            let mut rows = stmt.query(params![session_id, batch_rows as i64])?;
            let mut batch = Vec::new();
            let mut bytes = 0;
            while let Some(r) = rows.next()? {
                let entry = super::output::entry_from_row(tx, &self.codec, &session_id, r)?;
                bytes += entry.payload.len();
                batch.push(entry);
                if bytes >= CONVERT_BATCH_BYTES {
                    break;
                }
            }
            drop(rows);
            let last = batch.last().map_or(0, |e| e.seq);
            super::output::insert_entries_in(tx, &self.codec, &batch, None)?;
            tx.execute("DELETE FROM output WHERE session_id = ?1 AND seq <= ?2", params![session_id, sql_int(last)])?;
            Ok(batch.len())
        })?;
        if moved > 0 {
            self.index_signal.written();
        }
        Ok(moved)
    }
}

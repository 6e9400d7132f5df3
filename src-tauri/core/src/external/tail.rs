//! Following the transcript of a terminal-mode session (one Switchboard runs in a PTY):
//! its lines become the session's output, its messages its turns and tokens, exactly as
//! for an imported terminal session (the same reader, transcript.rs, and the same pass
//! bookkeeping, import.rs) — but into the session Switchboard created, never a new one.
//!
//! The file's record is marked managed, so the terminal-session import and watch never
//! import it a second time; its offset and carry are stored with each pass, so a resumed
//! session (the same transcript, appended to) goes on from where the last pass stopped.

use std::io::{BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde_json::Value;

use super::import::{apply, output_entries, read_pass, stored_lines};
use super::transcript::{Carry, Tally};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::store::{TranscriptPass, TranscriptRecord};

/// A tool's result as the transcript recorded it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToolResult {
    pub tool_use_id: String,
    pub is_error: bool,
    /// Its text, cut to [`RESULT_TEXT_CHARS`].
    pub text: String,
}

/// The most characters of a tool result kept for a decision's message.
pub(crate) const RESULT_TEXT_CHARS: usize = 500;

/// What a pass read, for the session's status.
#[derive(Debug, Default)]
pub(crate) struct Tailed {
    /// Lines stored.
    pub lines: u64,
    /// Tool results, in order.
    pub results: Vec<ToolResult>,
    /// The last person's line read is Claude Code's interrupt note: the turn was stopped.
    pub interrupted: bool,
}

/// Reads what was appended to `path` since the last pass into session `session_id`.
/// A file that does not exist yet reads as nothing. Blocks on the file and SQLite.
pub(crate) fn tail_file(engine: &Engine, path: &Path, session_id: &str) -> Result<Tailed> {
    let store = &engine.inner.store;
    let key = path.to_string_lossy().into_owned();
    let mut out = Tailed::default();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
    };
    let stored = store.transcript(&key)?;
    let mut record = match stored.clone() {
        Some(r) if r.session_id == session_id && r.managed => r,
        // Recorded for another session (an imported one this session resumes), or not as
        // ours yet: ours from here on; lines before the offset stay where they went.
        Some(r) => TranscriptRecord { session_id: session_id.to_string(), managed: true, ..r },
        None => TranscriptRecord {
            path: key.clone(),
            session_id: session_id.to_string(),
            dev: meta.dev(),
            inode: meta.ino(),
            offset: 0,
            counted: 0,
            carry: "{}".into(),
            managed: true,
        },
    };
    let mut from_offset = stored.map(|r| r.offset);
    let mut seen = None;
    if meta.len() < record.offset || (meta.dev(), meta.ino()) != (record.dev, record.inode) {
        // Replaced or cut short: read again from its start, storing only the lines the
        // session does not have yet (as the import does).
        seen = Some(stored_lines(engine, session_id)?);
        record.offset = 0;
        record.carry = "{}".into();
    }
    record.dev = meta.dev();
    record.inode = meta.ino();
    if meta.len() == record.offset && from_offset == Some(record.offset) {
        return Ok(out);
    }
    let mut carry: Carry = serde_json::from_str(&record.carry).unwrap_or_default();
    let file = std::fs::File::open(path).map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    reader.seek(SeekFrom::Start(record.offset)).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let mut offset = record.offset;
    loop {
        let mut tally = Tally::default();
        let (lines, eof) = read_pass(&mut reader, path, &mut offset, None, &mut carry, &mut tally, seen.as_ref())?;
        tally.settle();
        // The session keeps the title it was given; its messages are counted as they are
        // sent and answered (terminal/hooks), not again from the transcript.
        tally.title = None;
        for l in &lines {
            if l.kind == "tool_result" {
                out.results.extend(results_of(&l.payload));
            }
        }
        if tally.prompts > 0 || tally.interrupted {
            out.interrupted = tally.interrupted;
        }
        tally.prompts = 0;
        record.offset = offset;
        record.counted = offset;
        record.carry = serde_json::to_string(&carry).unwrap_or_else(|_| "{}".into());
        let entries = output_entries(session_id, lines, &tally, engine.inner.clock.now());
        let n = entries.len() as u64;
        let written = engine.inner.output.import(session_id, entries, |entries| {
            let pass = TranscriptPass { from_offset, record: &record, new_session: None, entries, packed: None };
            store.import_transcript(&pass, |s| apply(s, &tally))
        })?;
        let Some(session) = written else {
            return Err(Error::Corrupt(format!("another Switchboard process read {} meanwhile", path.display())));
        };
        out.lines += n;
        from_offset = Some(offset);
        engine.emit(crate::model::EngineEvent::SessionChanged { session });
        if eof || n == 0 {
            return Ok(out);
        }
    }
}

/// The tool results of a stored `tool_result` line (stream-json's shape).
fn results_of(payload: &str) -> Vec<ToolResult> {
    let Ok(v) = serde_json::from_str::<Value>(payload) else { return Vec::new() };
    let blocks = v.pointer("/message/content").and_then(Value::as_array).cloned().unwrap_or_default();
    blocks
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
        .filter_map(|b| {
            let text = match b.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(parts)) => {
                    parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n")
                }
                _ => String::new(),
            };
            Some(ToolResult {
                tool_use_id: b.get("tool_use_id")?.as_str()?.to_string(),
                is_error: b.get("is_error").and_then(Value::as_bool).unwrap_or(false),
                text: text.chars().take(RESULT_TEXT_CHARS).collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_results_are_read_from_a_stored_line() {
        let line = r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"The user doesn't want to proceed","is_error":true,"tool_use_id":"toolu_1"},{"type":"tool_result","content":[{"type":"text","text":"ok"}],"tool_use_id":"toolu_2"}]}}"#;
        let r = results_of(line);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].tool_use_id.as_str(), r[0].is_error), ("toolu_1", true));
        assert_eq!((r[1].text.as_str(), r[1].is_error), ("ok", false));
        assert!(results_of("not json").is_empty());
    }
}

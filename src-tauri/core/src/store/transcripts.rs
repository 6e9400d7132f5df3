//! Transcript rows: which Claude Code transcript files were imported, how far, into which
//! session (external/). A pass's lines, its session's counters and the file's new offset
//! are written in one transaction: a crash never loses or doubles a line.

use super::*;

/// What is known of one transcript file (a `transcripts` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptRecord {
    /// The file's path, as found under the projects folder.
    pub path: String,
    /// The session its lines go to.
    pub session_id: String,
    /// The file's identity (`st_dev`, `st_ino`): a different one is a replaced file.
    pub dev: u64,
    pub inode: u64,
    /// Bytes whose lines are stored: the start of the first line not stored yet.
    pub offset: u64,
    /// Bytes whose lines are counted into the session (≥ `offset`): a first import lists
    /// every session with its counts before it stores their lines.
    pub counted: u64,
    /// The reader's carry-over state as JSON (external/transcript.rs `Carry`).
    pub carry: String,
    /// Never imported (again): the transcript of a session Switchboard runs itself, or of
    /// an imported session the user deleted.
    pub managed: bool,
}

/// One pass over a transcript, written by [`Store::import_transcript`].
pub struct TranscriptPass<'a> {
    /// The offset the pass started from: the write is refused when the stored one moved
    /// meanwhile (another Switchboard process imported the same lines).
    pub from_offset: Option<u64>,
    /// The record after the pass.
    pub record: &'a TranscriptRecord,
    /// The session to insert first, when the file is new.
    pub new_session: Option<&'a Session>,
    /// The lines, with their seqs.
    pub entries: &'a [OutputEntry],
    /// Their payloads compressed ahead ([`Store::pack`]), or None to compress them here.
    pub packed: Option<&'a super::output::Packed>,
}

impl Store {
    /// The record of a transcript file, if it was seen before.
    pub fn transcript(&self, path: &str) -> Result<Option<TranscriptRecord>> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached("SELECT path, session_id, dev, inode, offset, counted, carry, managed FROM transcripts WHERE path = ?1")?;
        Ok(stmt.query_row([path], transcript_from_row).optional()?)
    }

    /// The transcript file whose lines go to a session, if any.
    pub fn transcript_of(&self, session_id: &str) -> Result<Option<TranscriptRecord>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT path, session_id, dev, inode, offset, counted, carry, managed FROM transcripts WHERE session_id = ?1 LIMIT 1",
        )?;
        Ok(stmt.query_row([session_id], transcript_from_row).optional()?)
    }

    /// Writes one pass in one immediate transaction: the new session (if any), the lines,
    /// `change` applied to the session, and the file's record. Returns the session as
    /// written, or None — writing nothing — when the stored offset is no longer
    /// `from_offset` (another Switchboard process read those lines first).
    pub fn import_transcript(&self, pass: &TranscriptPass<'_>, change: impl Fn(&mut Session)) -> Result<Option<Session>> {
        // Dictionaries whose samples are complete are trained before the transaction (as
        // for live output): an import's lines then compress with their kind's dictionary.
        self.codec.train_ready(&self.writer())?;
        let written = self.immediate(|tx| {
            let stored: Option<i64> =
                tx.query_row("SELECT offset FROM transcripts WHERE path = ?1", [&pass.record.path], |r| r.get(0)).optional()?;
            if stored.map(|o| o as u64) != pass.from_offset {
                return Ok(None);
            }
            if let Some(s) = pass.new_session {
                super::sessions::insert_session_in(tx, s)?;
            }
            let mut session =
                get_session_in(tx, &pass.record.session_id)?.ok_or_else(|| Error::NotFound(pass.record.session_id.clone()))?;
            change(&mut session);
            update_session_in(tx, &session)?;
            super::output::insert_entries_in(tx, &self.codec, pass.entries, pass.packed)?;
            let r = pass.record;
            tx.execute(
                "INSERT INTO transcripts (path, session_id, dev, inode, offset, counted, carry, managed, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                 ON CONFLICT(path) DO UPDATE SET session_id = excluded.session_id, dev = excluded.dev, inode = excluded.inode, \
                 offset = excluded.offset, counted = excluded.counted, carry = excluded.carry, managed = excluded.managed, \
                 updated_at = excluded.updated_at",
                params![
                    r.path,
                    r.session_id,
                    sql_int(r.dev),
                    sql_int(r.inode),
                    sql_int(r.offset),
                    sql_int(r.counted.max(r.offset)),
                    r.carry,
                    r.managed,
                    Utc::now().timestamp_millis()
                ],
            )?;
            Ok(Some(session))
        })?;
        if written.is_some() && !pass.entries.is_empty() {
            self.index_signal.written();
        }
        Ok(written)
    }

    /// Records a transcript that belongs to a session Switchboard runs (`session_id`): never
    /// imported (again).
    pub fn mark_transcript_managed(&self, path: &str, session_id: &str, dev: u64, inode: u64) -> Result<()> {
        self.immediate(|tx| {
            tx.execute(
                "INSERT INTO transcripts (path, session_id, dev, inode, offset, carry, managed, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, 0, '{}', 1, ?5) ON CONFLICT(path) DO UPDATE SET managed = 1, session_id = excluded.session_id",
                params![path, session_id, sql_int(dev), sql_int(inode), Utc::now().timestamp_millis()],
            )?;
            Ok(())
        })
    }
}

fn transcript_from_row(r: &Row<'_>) -> rusqlite::Result<TranscriptRecord> {
    Ok(TranscriptRecord {
        path: r.get(0)?,
        session_id: r.get(1)?,
        dev: r.get::<_, i64>(2)? as u64,
        inode: r.get::<_, i64>(3)? as u64,
        offset: r.get::<_, i64>(4)?.max(0) as u64,
        counted: r.get::<_, i64>(5)?.max(0) as u64,
        carry: r.get(6)?,
        managed: r.get(7)?,
    })
}

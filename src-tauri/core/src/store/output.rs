//! Output rows: appended in batches by the output writer (the one place output is written
//! to SQLite), read by range and tail, trimmed to the per-session cap.

use super::*;

impl Store {
    /// Appends output entries in one transaction. Seqs must be new for their session.
    pub fn append_output(&self, entries: &[OutputEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        {
            let mut stmt =
                tx.prepare_cached("INSERT INTO output (session_id, seq, ts, stream, kind, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            for e in entries {
                stmt.execute(params![e.session_id, e.seq as i64, e.ts.timestamp_millis(), e.stream.as_str(), e.kind, e.payload])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Entries with `after < seq < before`, oldest first, at most `limit`.
    pub fn read_output_range(&self, session_id: &str, after: u64, before: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT session_id, seq, ts, stream, kind, payload FROM output \
             WHERE session_id = ?1 AND seq > ?2 AND seq < ?3 ORDER BY seq LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![session_id, sql_int(after), sql_int(before), limit.min(MAX_PAGE)], output_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The last `limit` entries of a session, oldest first (the tail a viewer opens on).
    pub fn tail_output(&self, session_id: &str, limit: u32) -> Result<Vec<OutputEntry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT session_id, seq, ts, stream, kind, payload FROM output \
             WHERE session_id = ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let mut rows: Vec<OutputEntry> =
            stmt.query_map(params![session_id, limit.min(MAX_PAGE)], output_from_row)?.collect::<rusqlite::Result<_>>()?;
        rows.reverse();
        Ok(rows)
    }

    /// The last `limit` entries of a session before seq `before`, oldest first.
    pub fn read_output_tail_before(&self, session_id: &str, before: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT session_id, seq, ts, stream, kind, payload FROM output \
             WHERE session_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
        )?;
        let mut rows: Vec<OutputEntry> =
            stmt.query_map(params![session_id, sql_int(before), limit.min(MAX_PAGE)], output_from_row)?.collect::<rusqlite::Result<_>>()?;
        rows.reverse();
        Ok(rows)
    }

    /// Seqs up to this were trimmed by the output cap (0: nothing trimmed).
    pub fn output_trimmed_through(&self, session_id: &str) -> Result<u64> {
        // Asked by the writer for every session of every batch: keep the statement compiled.
        let conn = self.writer();
        let mut stmt = conn.prepare_cached("SELECT output_trimmed_through FROM sessions WHERE id = ?1")?;
        let n: Option<i64> = stmt.query_row([session_id], |r| r.get(0)).optional()?;
        Ok(n.unwrap_or(0) as u64)
    }

    /// Deletes a session's entries with `seq <= through` and records the trim.
    pub fn trim_output(&self, session_id: &str, through: u64) -> Result<usize> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let n = tx.execute("DELETE FROM output WHERE session_id = ?1 AND seq <= ?2", params![session_id, through as i64])?;
        tx.execute(
            "UPDATE sessions SET output_trimmed_through = max(output_trimmed_through, ?2) WHERE id = ?1",
            params![session_id, through as i64],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// The highest stored seq of a session's output, 0 when there is none.
    pub fn last_seq(&self, session_id: &str) -> Result<u64> {
        let conn = self.writer();
        let n: Option<i64> = conn.query_row("SELECT max(seq) FROM output WHERE session_id = ?1", [session_id], |r| r.get(0))?;
        Ok(n.unwrap_or(0) as u64)
    }

    /// Output entries with `seq > after`, oldest first, at most `limit`.
    pub fn read_output(&self, session_id: &str, after: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT session_id, seq, ts, stream, kind, payload FROM output \
             WHERE session_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![session_id, sql_int(after), limit.min(MAX_PAGE)], output_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

pub(super) fn output_from_row(r: &Row<'_>) -> rusqlite::Result<OutputEntry> {
    Ok(OutputEntry {
        session_id: r.get(0)?,
        seq: r.get::<_, i64>(1)? as u64,
        ts: ts_from_ms(r.get(2)?),
        stream: Stream::parse(&r.get::<_, String>(3)?),
        kind: r.get(4)?,
        payload: r.get(5)?,
    })
}

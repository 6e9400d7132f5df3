//! Output rows: appended in batches by the output writer (the one place output is written
//! to SQLite), read by range and tail, trimmed to the per-session cap. Payloads are stored
//! compressed (`codec.rs`) in `entries`; rows of the old `output` table (schema 10 and
//! before) are read alongside until `convert.rs` has moved them.

use rusqlite::types::ValueRef;

use super::codec::{Codec, Encoded};
use super::*;

/// A tail read (the last N entries) stops once it holds this many payload bytes: at least
/// one entry, at most this plus one entry.
pub const TAIL_BYTES: usize = 16 * 1024 * 1024;

/// The columns every read selects, in this order, from `entries` …
const COLUMNS: &str = "seq, ts, stream, kind, len, dict, payload";
/// … and the same from the old `output` table (payload TEXT, stored as printed).
pub(super) const LEGACY_COLUMNS: &str = "seq, ts, stream, kind, length(CAST(payload AS BLOB)), NULL, payload";

impl Store {
    /// Appends output entries (owned or shared) in one transaction. Seqs must be new for their session.
    pub fn append_output<E: std::borrow::Borrow<OutputEntry>>(&self, entries: &[E]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut conn = self.writer();
        self.codec.train_ready(&conn)?;
        // IMMEDIATE: the write lock is taken (waiting for it) before the first read. A
        // deferred transaction reads first (the session's key), and its upgrade to a write
        // fails at once, with no wait, when another connection (the search indexer)
        // committed meanwhile: the writer then went into its failure mode.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        insert_entries_in(&tx, &self.codec, entries)?;
        tx.commit()?;
        Ok(())
    }

    /// Entries with `after < seq < before`, oldest first, at most `limit`.
    pub fn read_output_range(&self, session_id: &str, after: u64, before: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        self.read_entries(session_id, after, before, limit, false)
    }

    /// The last `limit` entries of a session (or fewer: see [`TAIL_BYTES`]), oldest first (the tail a viewer opens on).
    pub fn tail_output(&self, session_id: &str, limit: u32) -> Result<Vec<OutputEntry>> {
        self.read_entries(session_id, 0, u64::MAX, limit, true)
    }

    /// The last `limit` entries of a session before seq `before`, oldest first.
    pub fn read_output_tail_before(&self, session_id: &str, before: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        self.read_entries(session_id, 0, before, limit, true)
    }

    /// Output entries with `seq > after`, oldest first, at most `limit`.
    pub fn read_output(&self, session_id: &str, after: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        self.read_entries(session_id, after, u64::MAX, limit, false)
    }

    /// Entries with `after < seq < before`, oldest first: the first `limit` of them, or the
    /// last `limit` when `newest` is set.
    fn read_entries(&self, session_id: &str, after: u64, before: u64, limit: u32, newest: bool) -> Result<Vec<OutputEntry>> {
        let conn = self.reader();
        let key = session_key(&conn, session_id)?.unwrap_or(-1);
        let order = if newest { "DESC" } else { "ASC" };
        let sql = if self.legacy_output() {
            format!(
                "SELECT {COLUMNS} FROM entries WHERE key = ?1 AND seq > ?2 AND seq < ?3 UNION ALL \
                 SELECT {LEGACY_COLUMNS} FROM output WHERE session_id = ?5 AND seq > ?2 AND seq < ?3 \
                 ORDER BY seq {order} LIMIT ?4"
            )
        } else {
            format!("SELECT {COLUMNS} FROM entries WHERE key = ?1 AND seq > ?2 AND seq < ?3 AND ?5 = ?5 ORDER BY seq {order} LIMIT ?4")
        };
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![key, sql_int(after), sql_int(before), limit.min(MAX_PAGE), session_id])?;
        let mut out = Vec::new();
        let mut bytes = 0;
        while let Some(r) = rows.next()? {
            // A tail stops at TAIL_BYTES too (the newest entries, adjoining what follows).
            if newest && bytes >= TAIL_BYTES {
                break;
            }
            bytes += r.get::<_, i64>(4)?.max(0) as usize;
            out.push(entry_from_row(&conn, &self.codec, session_id, r)?);
        }
        if newest {
            out.reverse();
        }
        Ok(out)
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
        let n = delete_output_in(&tx, session_id, 0, through)?;
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
        let key = session_key(&conn, session_id)?.unwrap_or(-1);
        let n: Option<i64> = conn.query_row("SELECT max(seq) FROM entries WHERE key = ?1", [key], |r| r.get(0))?;
        let legacy: Option<i64> = if self.legacy_output() {
            conn.query_row("SELECT max(seq) FROM output WHERE session_id = ?1", [session_id], |r| r.get(0))?
        } else {
            None
        };
        Ok(n.max(legacy).unwrap_or(0) as u64)
    }

    /// Whether rows of the old `output` table may be left (reads then look in both tables).
    pub(crate) fn legacy_output(&self) -> bool {
        self.legacy.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Inserts `entries` (any sessions, seqs new for each) into `entries` within the caller's
/// transaction, compressed for each session's agent kind. The one place output rows are written.
pub(crate) fn insert_entries_in<E: std::borrow::Borrow<OutputEntry>>(tx: &Connection, codec: &Codec, entries: &[E]) -> Result<()> {
    let mut stmt =
        tx.prepare_cached("INSERT INTO entries (key, seq, ts, stream, kind, len, dict, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    let mut enc = codec.encoders();
    let mut current: Option<(&str, i64, String)> = None;
    for e in entries {
        let e: &OutputEntry = e.borrow();
        if current.as_ref().is_none_or(|c| c.0 != e.session_id) {
            let (key, agent) = session_slot(tx, &e.session_id)?;
            current = Some((&e.session_id, key, agent));
        }
        let (_, key, agent) = current.as_ref().expect("set above");
        let payload = e.payload.as_bytes();
        let (dict, bytes) = match enc.encode(agent, payload)? {
            Encoded::Plain => (None, std::borrow::Cow::Borrowed(payload)),
            Encoded::Frame { dict, bytes } => (Some(dict), std::borrow::Cow::Owned(bytes)),
        };
        stmt.execute(params![
            key,
            sql_int(e.seq),
            e.ts.timestamp_millis(),
            e.stream.as_str(),
            e.kind,
            payload.len() as i64,
            dict,
            bytes.as_ref()
        ])?;
    }
    Ok(())
}

/// Deletes a session's entries with `from <= seq <= through` (both tables); returns how many went.
pub(crate) fn delete_output_in(conn: &Connection, session_id: &str, from: u64, through: u64) -> Result<usize> {
    let mut n = 0;
    if let Some(key) = session_key(conn, session_id)? {
        n +=
            conn.execute("DELETE FROM entries WHERE key = ?1 AND seq >= ?2 AND seq <= ?3", params![key, sql_int(from), sql_int(through)])?;
    }
    n += conn.execute(
        "DELETE FROM output WHERE session_id = ?1 AND seq >= ?2 AND seq <= ?3",
        params![session_id, sql_int(from), sql_int(through)],
    )?;
    Ok(n)
}

/// The lowest stored seq of a session (both tables), None when it has no output.
pub(crate) fn first_seq_in(conn: &Connection, session_id: &str) -> Result<Option<u64>> {
    let key = session_key(conn, session_id)?.unwrap_or(-1);
    let a: Option<i64> = conn.query_row("SELECT min(seq) FROM entries WHERE key = ?1", [key], |r| r.get(0))?;
    let b: Option<i64> = conn.query_row("SELECT min(seq) FROM output WHERE session_id = ?1", [session_id], |r| r.get(0))?;
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b) as u64),
        (a, b) => a.or(b).map(|n| n as u64),
    })
}

/// The integer key of a session's rows in `entries`, None when it never had any.
pub(crate) fn session_key(conn: &Connection, session_id: &str) -> Result<Option<i64>> {
    let mut stmt = conn.prepare_cached("SELECT key FROM output_sessions WHERE session_id = ?1")?;
    Ok(stmt.query_row([session_id], |r| r.get(0)).optional()?)
}

/// The session's key (made on its first entry) and its agent kind ('' for output of no
/// known session), which picks the compression dictionary.
fn session_slot(tx: &Connection, session_id: &str) -> Result<(i64, String)> {
    let key = match session_key(tx, session_id)? {
        Some(k) => k,
        None => {
            tx.prepare_cached("INSERT INTO output_sessions (session_id) VALUES (?1)")?.execute([session_id])?;
            tx.last_insert_rowid()
        }
    };
    let mut stmt = tx.prepare_cached("SELECT agent FROM sessions WHERE id = ?1")?;
    let agent: Option<String> = stmt.query_row([session_id], |r| r.get(0)).optional()?;
    Ok((key, agent.unwrap_or_default()))
}

/// One row of [`COLUMNS`] (or [`LEGACY_COLUMNS`]) as the entry it stores.
pub(crate) fn entry_from_row(conn: &Connection, codec: &Codec, session_id: &str, r: &Row<'_>) -> Result<OutputEntry> {
    let len = r.get::<_, i64>(4)?.max(0) as usize;
    let dict: Option<i64> = r.get(5)?;
    let payload = match r.get_ref(6)? {
        // A row of the old table: the text as it was stored.
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => {
            let bytes = codec.decode(conn, dict, b, len)?;
            String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
        other => return Err(Error::Corrupt(format!("an output payload of type {:?}", other.data_type()))),
    };
    Ok(OutputEntry {
        session_id: session_id.to_string(),
        seq: r.get::<_, i64>(0)? as u64,
        ts: ts_from_ms(r.get(1)?),
        stream: Stream::parse(&r.get::<_, String>(2)?),
        kind: r.get(3)?,
        payload,
    })
}

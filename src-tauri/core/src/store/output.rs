//! Output rows: appended in batches by the output writer (the one place output is written
//! to SQLite), read by range and tail, trimmed to the per-session cap. Payloads are stored
//! compressed (`codec.rs`) in `entries`; rows of the old `output` table (schema 10 and
//! before) are read alongside until `convert.rs` has moved them.

use rusqlite::types::ValueRef;

use super::codec::{Codec, Encoded};
use super::*;

/// A page read from the store — a tail (the last N entries) or entries forward from a seq —
/// stops once it holds this many payload bytes: at least one entry, at most this plus one
/// entry. A forward page cut here ends before the entries after it: read on from its last seq.
pub const PAGE_BYTES: usize = 16 * 1024 * 1024;

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
        // IMMEDIATE, as every transaction of the write connection (see `Store::open_with`):
        // a deferred one failed at once, without waiting, whenever the search indexer held
        // the write lock, and the writer went into its failure mode.
        let tx = conn.transaction()?;
        let totals = insert_entries_in(&tx, &self.codec, entries, None)?;
        tx.commit()?;
        drop(conn);
        self.index_signal.written();
        let budget = self.output_budget();
        for (session_id, bytes) in totals {
            // The batch is in: a failed trim is reported, not returned (the caller would
            // store the batch again), and tried again on the session's next batch.
            if budget > 0 && bytes > budget {
                if let Err(e) = self.trim_to_budget(&session_id, bytes, budget) {
                    tracing::warn!(session = session_id, error = %e, "could not trim stored output to the per-session budget");
                }
            }
        }
        Ok(())
    }

    /// Sets the most output bytes (as printed, before compression) one session keeps stored;
    /// 0: no limit. A session past it loses its oldest entries on its next append, down to
    /// 90 % of it (so trimming runs once per many batches, not on every one).
    pub fn set_output_budget(&self, bytes: u64) {
        self.output_budget.store(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    /// The per-session output budget in bytes (0: no limit).
    pub fn output_budget(&self) -> u64 {
        self.output_budget.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A session's stored output in bytes, as printed (what its budget counts; rows not yet
    /// converted from the old table are not counted).
    pub fn output_bytes(&self, session_id: &str) -> Result<u64> {
        let conn = self.writer();
        let n: Option<i64> =
            conn.query_row("SELECT bytes FROM output_sessions WHERE session_id = ?1", [session_id], |r| r.get(0)).optional()?;
        Ok(n.unwrap_or(0).max(0) as u64)
    }

    /// Trims a session holding `bytes` of output, over `budget`, to at most 90 % of it,
    /// oldest entries first; the newest entry always stays.
    fn trim_to_budget(&self, session_id: &str, bytes: u64, budget: u64) -> Result<()> {
        let goal = bytes - (budget - budget / 10);
        let through = {
            let conn = self.writer();
            let key = session_key(&conn, session_id)?.unwrap_or(-1);
            let mut stmt = conn.prepare_cached("SELECT seq, len FROM entries WHERE key = ?1 ORDER BY seq")?;
            let mut rows = stmt.query([key])?;
            let (mut freed, mut through, mut previous, mut newer_left) = (0u64, 0u64, 0u64, false);
            while let Some(r) = rows.next()? {
                if freed >= goal {
                    newer_left = true;
                    break;
                }
                (previous, through) = (through, r.get::<_, i64>(0)? as u64);
                freed += r.get::<_, i64>(1)?.max(0) as u64;
            }
            // Nothing newer left after `through`: it is the newest entry, which stays.
            if newer_left {
                through
            } else {
                previous
            }
        };
        if through > 0 {
            self.trim_output(session_id, through)?;
            tracing::info!(session = session_id, through, budget, "trimmed stored output to the per-session budget");
        }
        Ok(())
    }

    /// Entries with `after < seq < before`, oldest first, at most `limit` (or fewer: see [`PAGE_BYTES`]).
    pub fn read_output_range(&self, session_id: &str, after: u64, before: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        self.read_entries(session_id, after, before, limit, false)
    }

    /// The last `limit` entries of a session (or fewer: see [`PAGE_BYTES`]), oldest first (the tail a viewer opens on).
    pub fn tail_output(&self, session_id: &str, limit: u32) -> Result<Vec<OutputEntry>> {
        self.read_entries(session_id, 0, u64::MAX, limit, true)
    }

    /// The last `limit` entries of a session before seq `before`, oldest first.
    pub fn read_output_tail_before(&self, session_id: &str, before: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        self.read_entries(session_id, 0, before, limit, true)
    }

    /// A page around entry `seq` (a search hit far back in a long session): at most
    /// `before` entries before it, then the entry itself and at most `after` entries after
    /// it, oldest first. Each side stops at [`PAGE_BYTES`] too. Both reads go by the
    /// (session, seq) index: the cost does not grow with the session's length.
    pub fn read_output_around(&self, session_id: &str, seq: u64, before: u32, after: u32) -> Result<Vec<OutputEntry>> {
        let mut out = if before == 0 { Vec::new() } else { self.read_entries(session_id, 0, seq, before, true)? };
        out.extend(self.read_entries(session_id, seq.saturating_sub(1), u64::MAX, after.saturating_add(1), false)?);
        Ok(out)
    }

    /// Output entries with `seq > after`, oldest first, at most `limit` (or fewer: see [`PAGE_BYTES`]).
    pub fn read_output(&self, session_id: &str, after: u64, limit: u32) -> Result<Vec<OutputEntry>> {
        self.read_entries(session_id, after, u64::MAX, limit, false)
    }

    /// Entries with `after < seq < before`, oldest first: the first `limit` of them, or the
    /// last `limit` when `newest` is set; either way contiguous and within [`PAGE_BYTES`].
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
            // A page stops at PAGE_BYTES too: a tail keeps the newest entries (adjoining what
            // follows), a forward page the oldest (adjoining what came before).
            if bytes >= PAGE_BYTES {
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

    /// `entries`' payloads compressed as a session of agent kind `agent` stores them, ahead
    /// of the transaction that inserts them ([`TranscriptPass::packed`]): a bulk import
    /// compresses on its reading threads and holds the writer's lock only to insert.
    pub fn pack(&self, agent: AgentKind, entries: &[OutputEntry]) -> Result<Packed> {
        if self.codec.any_ready() {
            self.codec.train_ready(&self.writer())?;
        }
        let mut enc = self.codec.encoders();
        let frames = entries
            .iter()
            .map(|e| {
                Ok(match enc.encode(agent.as_str(), e.payload.as_bytes())? {
                    Encoded::Plain => None,
                    Encoded::Frame { dict, bytes } => Some((dict, bytes)),
                })
            })
            .collect::<Result<_>>()?;
        Ok(Packed { agent: agent.as_str(), frames })
    }

    /// Whether rows of the old `output` table may be left (reads then look in both tables).
    pub(crate) fn legacy_output(&self) -> bool {
        self.legacy.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Payloads compressed ahead of their transaction ([`Store::pack`]), in their entries' order.
pub struct Packed {
    agent: &'static str,
    /// `(dict, frame)`, or None for a payload stored as printed.
    frames: Vec<Option<(i64, Vec<u8>)>>,
}

/// Inserts `entries` (any sessions, seqs new for each) into `entries` within the caller's
/// transaction, compressed for each session's agent kind (`packed`: already compressed, used
/// for the entries of sessions of its kind), and adds their length to each session's byte
/// count. The one place output rows are written. Returns each session's stored bytes afterwards.
pub(crate) fn insert_entries_in<E: std::borrow::Borrow<OutputEntry>>(
    tx: &Connection,
    codec: &Codec,
    entries: &[E],
    packed: Option<&Packed>,
) -> Result<Vec<(String, u64)>> {
    let packed = packed.filter(|p| p.frames.len() == entries.len());
    let mut stmt =
        tx.prepare_cached("INSERT INTO entries (key, seq, ts, stream, kind, len, dict, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    // Taken only when something is left to compress: a packed batch leaves the encoders to
    // the threads packing the next ones.
    let mut enc = None;
    let mut current: Option<(&str, i64, String)> = None;
    // (key, session, bytes added): one count update per session per call, not per row.
    let mut added: Vec<(i64, &str, u64)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let e: &OutputEntry = e.borrow();
        if current.as_ref().is_none_or(|c| c.0 != e.session_id) {
            let (key, agent) = session_slot(tx, &e.session_id)?;
            current = Some((&e.session_id, key, agent));
        }
        let (_, key, agent) = current.as_ref().expect("set above");
        match added.iter_mut().find(|a| a.0 == *key) {
            Some(a) => a.2 += e.payload.len() as u64,
            None => added.push((*key, &e.session_id, e.payload.len() as u64)),
        }
        let payload = e.payload.as_bytes();
        let (dict, bytes) = match packed.filter(|p| p.agent == agent.as_str()).map(|p| &p.frames[i]) {
            Some(None) => (None, std::borrow::Cow::Borrowed(payload)),
            Some(Some((dict, frame))) => (Some(*dict), std::borrow::Cow::Borrowed(frame.as_slice())),
            None => match enc.get_or_insert_with(|| codec.encoders()).encode(agent, payload)? {
                Encoded::Plain => (None, std::borrow::Cow::Borrowed(payload)),
                Encoded::Frame { dict, bytes } => (Some(dict), std::borrow::Cow::Owned(bytes)),
            },
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
    let mut count = tx.prepare_cached("UPDATE output_sessions SET bytes = bytes + ?2 WHERE key = ?1 RETURNING bytes")?;
    let mut totals = Vec::with_capacity(added.len());
    for (key, session_id, n) in added {
        let total: i64 = count.query_row(params![key, n as i64], |r| r.get(0))?;
        totals.push((session_id.to_string(), total.max(0) as u64));
    }
    Ok(totals)
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

//! Full-text search over stored output: an FTS5 index of each entry's text (assistant text,
//! tool names, inputs and results, command output — the string values of a JSON line, not
//! its keys), kept by a background indexer ([`crate::search`]) that reads `entries` past a
//! high-water mark (`counters.search_indexed_through`, an `entries.id`): ingest never waits
//! for it, and after a restart it indexes whatever it had not reached.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::output::entry_from_row;
use super::*;

/// The most text of one entry that is indexed (the start of a huge tool result is searchable).
pub const MAX_INDEXED_TEXT: usize = 64 * 1024;
/// The most hits one search returns.
pub const MAX_HITS: u32 = 500;
/// Characters of context on each side of the match in a hit's snippet.
const CONTEXT_CHARS: usize = 60;

/// What a search is narrowed to (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct SearchFilter {
    /// Only this session's output.
    pub session_id: Option<String>,
    /// Only sessions of this task.
    pub task_id: Option<String>,
    /// Only sessions of this agent kind.
    pub agent: Option<AgentKind>,
    /// Only entries written at or after this time.
    #[ts(type = "string | null")]
    pub since: Option<DateTime<Utc>>,
}

/// One entry that matched, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SearchHit {
    /// The session it is in.
    pub session_id: String,
    /// That session's title ('' when the session is gone).
    pub title: String,
    /// The entry's place in the session's output (to open the session there).
    #[ts(type = "number")]
    pub seq: u64,
    /// When it was written.
    #[ts(type = "string")]
    pub ts: DateTime<Utc>,
    /// The entry's kind (`assistant_text`, `tool_result`, `line`, …).
    pub kind: String,
    /// The text before the match (up to 60 characters, on one line).
    pub before: String,
    /// The matched text, as written.
    pub matched: String,
    /// The text after the match.
    pub after: String,
}

impl Store {
    /// Indexes up to `max_rows` entries past the high-water mark, in one transaction;
    /// returns how many (0: the index has caught up).
    pub(crate) fn index_pending(&self, conn: &Connection, max_rows: u32) -> Result<usize> {
        let mark: i64 =
            conn.query_row("SELECT value FROM counters WHERE name = 'search_indexed_through'", [], |r| r.get(0)).optional()?.unwrap_or(0);
        let mut texts: Vec<(i64, String)> = Vec::new();
        {
            let mut stmt = conn.prepare_cached(
                "SELECT e.seq, e.ts, e.stream, e.kind, e.len, e.dict, e.payload, e.id FROM entries e WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
            )?;
            let mut rows = stmt.query(params![mark, max_rows])?;
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(7)?;
                let text = match entry_from_row(conn, &self.codec, "", r) {
                    Ok(e) => indexed_text(&e.payload),
                    Err(e) => {
                        tracing::warn!(id, error = %e, "an output entry could not be read for the search index; skipped");
                        String::new()
                    }
                };
                texts.push((id, text));
            }
        }
        let Some(&(last, _)) = texts.last() else { return Ok(0) };
        // The mark is checked again under the write lock: another process's indexer (the
        // app's, a CLI's) may have indexed these rows meanwhile; then this batch is dropped.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let written = (|| -> Result<()> {
            let now: i64 = conn
                .query_row("SELECT value FROM counters WHERE name = 'search_indexed_through'", [], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            if now != mark {
                return Ok(());
            }
            let mut insert = conn.prepare_cached("INSERT INTO entries_fts (rowid, text) VALUES (?1, ?2)")?;
            for (id, text) in texts.iter().filter(|(_, t)| !t.is_empty()) {
                insert.execute(params![id, text])?;
            }
            conn.execute(
                "INSERT INTO counters (name, value) VALUES ('search_indexed_through', ?1) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                [last],
            )?;
            Ok(())
        })();
        match written {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        Ok(texts.len())
    }

    /// How many entries the indexer has not reached yet.
    pub fn search_backlog(&self) -> Result<u64> {
        let conn = self.reader();
        let mark: i64 =
            conn.query_row("SELECT value FROM counters WHERE name = 'search_indexed_through'", [], |r| r.get(0)).optional()?.unwrap_or(0);
        let n: i64 = conn.query_row("SELECT count(*) FROM entries WHERE id > ?1", [mark], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Entries whose text has every word of `query` (a word ending in `*` matches as a
    /// prefix), newest first, at most `limit` (≤ [`MAX_HITS`]). Entries the indexer has not
    /// reached yet are not found (its lag is bounded: see [`crate::search`]).
    pub fn search(&self, query: &str, filter: &SearchFilter, limit: u32) -> Result<Vec<SearchHit>> {
        let words = query_words(query);
        if words.is_empty() {
            return Err(Error::invalid("query", "give at least one word to search for"));
        }
        let fts = words.iter().map(|w| w.fts()).collect::<Vec<_>>().join(" ");
        let mut sql = String::from(
            "SELECT e.seq, e.ts, e.stream, e.kind, e.len, e.dict, e.payload, o.session_id, coalesce(s.title, '') \
             FROM entries_fts f JOIN entries e ON e.id = f.rowid JOIN output_sessions o ON o.key = e.key \
             LEFT JOIN sessions s ON s.id = o.session_id WHERE entries_fts MATCH ?1",
        );
        let mut args: Vec<rusqlite::types::Value> = vec![fts.into()];
        let mut narrow = |clause: &str, v: rusqlite::types::Value| {
            args.push(v);
            sql.push_str(&format!(" AND {clause} ?{}", args.len()));
        };
        if let Some(id) = &filter.session_id {
            narrow("o.session_id =", id.clone().into());
        }
        if let Some(task) = &filter.task_id {
            narrow("s.task_id =", task.clone().into());
        }
        if let Some(agent) = filter.agent {
            narrow("s.agent =", agent.as_str().to_string().into());
        }
        if let Some(since) = filter.since {
            narrow("e.ts >=", since.timestamp_millis().into());
        }
        sql.push_str(&format!(" ORDER BY f.rowid DESC LIMIT {}", limit.min(MAX_HITS)));
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        let mut hits = Vec::new();
        while let Some(r) = rows.next()? {
            let session_id: String = r.get(7)?;
            let title: String = r.get(8)?;
            let e = entry_from_row(&conn, &self.codec, &session_id, r)?;
            let (before, matched, after) = snippet(&indexed_text(&e.payload), &words);
            hits.push(SearchHit { session_id, title, seq: e.seq, ts: e.ts, kind: e.kind, before, matched, after });
        }
        Ok(hits)
    }
}

/// One word of a query.
struct Word {
    text: String,
    prefix: bool,
}

impl Word {
    /// The word as an FTS5 string (quoted: no operator or column syntax from the user).
    fn fts(&self) -> String {
        format!("\"{}\"{}", self.text.replace('"', "\"\""), if self.prefix { "*" } else { "" })
    }
}

fn query_words(query: &str) -> Vec<Word> {
    query
        .split_whitespace()
        .filter_map(|w| {
            let prefix = w.len() > 1 && w.ends_with('*');
            let text = w.trim_end_matches('*').trim_matches('"');
            (!text.is_empty()).then(|| Word { text: text.to_string(), prefix })
        })
        .collect()
}

/// The text of an entry that is indexed: the string values of a JSON line (not its keys,
/// nor ids), or the line itself; at most [`MAX_INDEXED_TEXT`] bytes.
pub(crate) fn indexed_text(payload: &str) -> String {
    let mut out = String::new();
    match payload.trim_start().starts_with('{').then(|| serde_json::from_str::<serde_json::Value>(payload).ok()).flatten() {
        Some(v) => strings_of(&v, &mut out),
        None => out.push_str(payload),
    }
    if out.len() > MAX_INDEXED_TEXT {
        let mut cut = MAX_INDEXED_TEXT;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

/// Keys whose values are identifiers or bookkeeping, not text anyone searches for.
const SKIPPED_KEYS: &[&str] =
    &["id", "uuid", "session_id", "request_id", "tool_use_id", "parent_tool_use_id", "signature", "type", "stop_reason", "model", "role"];

fn strings_of(v: &serde_json::Value, out: &mut String) {
    if out.len() > MAX_INDEXED_TEXT {
        return;
    }
    match v {
        serde_json::Value::String(s) => {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(s);
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings_of(x, out)),
        serde_json::Value::Object(o) => o.iter().filter(|(k, _)| !SKIPPED_KEYS.contains(&k.as_str())).for_each(|(_, x)| strings_of(x, out)),
        _ => {}
    }
}

/// The first place in `text` where a word of the query occurs (case-insensitive), with up
/// to [`CONTEXT_CHARS`] characters on each side, on one line.
fn snippet(text: &str, words: &[Word]) -> (String, String, String) {
    let lower = text.to_lowercase();
    // Lowercasing can change byte lengths (rarely); then match case-sensitively.
    let (hay, folded) = if lower.len() == text.len() { (lower.as_str(), true) } else { (text, false) };
    let found = words
        .iter()
        .filter_map(|w| {
            let needle = if folded { w.text.to_lowercase() } else { w.text.clone() };
            let at = hay.find(&needle)?;
            let mut end = at + needle.len();
            if w.prefix {
                end += hay[end..].find(|c: char| !c.is_alphanumeric()).unwrap_or(hay.len() - end);
            }
            Some((at, end))
        })
        .min();
    // Runs of whitespace (newlines too) become one space; one at either end is kept.
    let one_line = |s: &str| {
        let mut line = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.starts_with(char::is_whitespace) && !line.is_empty() {
            line.insert(0, ' ');
        }
        if s.ends_with(char::is_whitespace) {
            line.push(' ');
        }
        line
    };
    let Some((at, end)) = found else {
        return (String::new(), String::new(), one_line(&text.chars().take(2 * CONTEXT_CHARS).collect::<String>()));
    };
    let before: String = text[..at].chars().rev().take(CONTEXT_CHARS).collect::<Vec<_>>().into_iter().rev().collect();
    let after: String = text[end..].chars().take(CONTEXT_CHARS).collect();
    (one_line(&before), text[at..end].to_string(), one_line(&after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_index_their_string_values_not_keys_or_ids() {
        let line = r#"{"type":"assistant","message":{"id":"msg_1","content":[{"type":"tool_use","id":"toolu_9","name":"Bash","input":{"command":"cargo test --quiet"}}]}}"#;
        let text = indexed_text(line);
        assert!(text.contains("Bash") && text.contains("cargo test --quiet"), "{text}");
        assert!(!text.contains("toolu_9") && !text.contains("command") && !text.contains("assistant"), "{text}");
        assert_eq!(indexed_text("plain output line"), "plain output line");
        assert_eq!(indexed_text("{not json"), "{not json");
    }

    #[test]
    fn snippets_mark_the_first_match_with_context() {
        let words = query_words("Quokka");
        let (b, m, a) = snippet("a long line about the\nquokka that smiled", &words);
        assert_eq!((b.as_str(), m.as_str(), a.as_str()), ("a long line about the ", "quokka", " that smiled"));
        let (_, m, _) = snippet("refactoring done", &query_words("refact*"));
        assert_eq!(m, "refactoring");
        assert_eq!(query_words(r#"a"b "#)[0].fts(), r#""a""b""#);
    }
}

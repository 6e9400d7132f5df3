//! How output payloads are kept on disk: each entry its own zstd frame, compressed with a
//! dictionary trained per agent kind once enough of that kind's output has been seen (the
//! option that won in `docs/BENCHMARKS.md`, finding F: a page or a search hit decodes only the
//! entries it shows, and a live session's small write batches compress as well as bulk ones).
//!
//! A stored payload is `(dict, bytes)`: `dict` NULL — the bytes as printed (short lines, or
//! when compressing does not make them smaller); 0 — a zstd frame without dictionary; n — a
//! zstd frame made with the dictionary of row n of `output_dicts`. Dictionaries are never
//! changed or deleted, so a row stays readable by every later version.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;
use zstd::bulk::{Compressor, Decompressor};

use crate::error::{Error, Result};

/// zstd's level for every frame: level 3 is zstd's default, fast enough for the live path.
const LEVEL: i32 = 3;
/// Payloads shorter than this are stored as they are: a frame's own header would eat the gain.
pub(crate) const MIN_COMPRESS: usize = 64;
/// A trained dictionary's size.
const DICT_BYTES: usize = 32 * 1024;
/// A kind's dictionary is trained once this many bytes of its samples were collected.
const SAMPLE_BYTES: usize = 1024 * 1024;
/// Only this much of each payload is kept as a sample (a 1 MiB tool result adds little).
const SAMPLE_PREFIX: usize = 4 * 1024;
/// Fewer samples than this train no useful dictionary.
const MIN_SAMPLES: usize = 128;

/// The compressors (one per agent kind with a dictionary, one without) and the
/// decompressors, by dictionary id. Shared by the store's connections.
pub(crate) struct Codec {
    enc: Mutex<Encoders>,
    dec: Mutex<HashMap<i64, Decompressor<'static>>>,
}

/// What [`Encoders::encode`] decided for one payload.
pub(crate) enum Encoded {
    /// Store the payload as it is (`dict` NULL).
    Plain,
    /// Store this frame, made with dictionary `dict` (0: none).
    Frame {
        /// The dictionary's id, 0 for none.
        dict: i64,
        /// The zstd frame.
        bytes: Vec<u8>,
    },
}

pub(crate) struct Encoders {
    plain: Compressor<'static>,
    kinds: HashMap<String, KindState>,
}

enum KindState {
    /// Collecting samples for a dictionary.
    Sampling { bytes: usize, samples: Vec<Vec<u8>> },
    /// Samples enough: to be trained outside any transaction ([`Codec::ready_to_train`]).
    Ready(Vec<Vec<u8>>),
    /// Compressing with dictionary `id`.
    Trained { id: i64, c: Box<Compressor<'static>> },
    /// Training failed (output too uniform or too varied): frames without dictionary.
    Untrainable,
}

impl Codec {
    /// A codec with the dictionaries already in `output_dicts` (the newest per kind).
    pub(crate) fn load(conn: &Connection) -> Result<Codec> {
        let mut enc = Encoders { plain: Compressor::new(LEVEL).map_err(zstd_error)?, kinds: HashMap::new() };
        let mut stmt = conn.prepare("SELECT id, kind, dict FROM output_dicts ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?)))?;
        for row in rows {
            let (id, kind, dict) = row?;
            enc.install(kind, id, &dict)?;
        }
        Ok(Codec { enc: Mutex::new(enc), dec: Mutex::new(HashMap::new()) })
    }

    /// Whether a kind's samples are complete, its dictionary to be trained ([`Codec::train_ready`]).
    pub(crate) fn any_ready(&self) -> bool {
        self.encoders().kinds.values().any(|s| matches!(s, KindState::Ready(_)))
    }

    pub(crate) fn encoders(&self) -> MutexGuard<'_, Encoders> {
        self.enc.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Trains the dictionaries whose samples are complete and records each in
    /// `output_dicts` in its own transaction on `conn` (never inside a caller's
    /// transaction: a rolled-back dictionary row must not stay in use).
    pub(crate) fn train_ready(&self, conn: &Connection) -> Result<()> {
        let ready: Vec<(String, Vec<Vec<u8>>)> = {
            let mut enc = self.encoders();
            let kinds: Vec<String> = enc.kinds.iter().filter(|(_, s)| matches!(s, KindState::Ready(_))).map(|(k, _)| k.clone()).collect();
            kinds
                .into_iter()
                .filter_map(|k| match enc.kinds.remove(&k) {
                    Some(KindState::Ready(samples)) => Some((k, samples)),
                    _ => None,
                })
                .collect()
        };
        for (kind, samples) in ready {
            let trained = zstd::dict::from_samples(&samples, DICT_BYTES);
            let mut enc = self.encoders();
            match trained {
                Ok(dict) => {
                    conn.execute(
                        "INSERT INTO output_dicts (kind, created_at, dict) VALUES (?1, ?2, ?3)",
                        rusqlite::params![kind, chrono::Utc::now().timestamp_millis(), dict],
                    )?;
                    enc.install(kind, conn.last_insert_rowid(), &dict)?;
                }
                Err(e) => {
                    tracing::info!(%kind, "no output dictionary for this agent kind ({e}); its entries are compressed without one");
                    enc.kinds.insert(kind, KindState::Untrainable);
                }
            }
        }
        Ok(())
    }

    /// The payload stored as `(dict, bytes)` (see the module's doc), as printed.
    /// `len` is the payload's length, known from its row.
    pub(crate) fn decode(&self, conn: &Connection, dict: Option<i64>, bytes: &[u8], len: usize) -> Result<Vec<u8>> {
        let Some(dict) = dict else { return Ok(bytes.to_vec()) };
        let mut dec = self.dec.lock().unwrap_or_else(|e| e.into_inner());
        let d = match dec.entry(dict) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let d = if dict == 0 {
                    Decompressor::new()
                } else {
                    let raw: Vec<u8> = conn
                        .query_row("SELECT dict FROM output_dicts WHERE id = ?1", [dict], |r| r.get(0))
                        .map_err(|e| Error::Corrupt(format!("output dictionary {dict} is missing ({e})")))?;
                    Decompressor::with_dictionary(&raw)
                };
                v.insert(d.map_err(zstd_error)?)
            }
        };
        let out = d.decompress(bytes, len).map_err(|e| Error::Corrupt(format!("a stored output entry does not decompress ({e})")))?;
        if out.len() != len {
            return Err(Error::Corrupt(format!("a stored output entry decompressed to {} bytes, not {len}", out.len())));
        }
        Ok(out)
    }
}

impl Encoders {
    fn install(&mut self, kind: String, id: i64, dict: &[u8]) -> Result<()> {
        let c = Compressor::with_dictionary(LEVEL, dict).map_err(zstd_error)?;
        self.kinds.insert(kind, KindState::Trained { id, c: Box::new(c) });
        Ok(())
    }

    /// How to store `payload`, printed by a session of agent kind `kind`.
    pub(crate) fn encode(&mut self, kind: &str, payload: &[u8]) -> Result<Encoded> {
        if payload.len() < MIN_COMPRESS {
            return Ok(Encoded::Plain);
        }
        if !self.kinds.contains_key(kind) {
            self.kinds.insert(kind.to_string(), KindState::Sampling { bytes: 0, samples: Vec::new() });
        }
        let state = self.kinds.get_mut(kind).expect("inserted above");
        if let KindState::Sampling { bytes, samples } = state {
            let sample = &payload[..payload.len().min(SAMPLE_PREFIX)];
            *bytes += sample.len();
            samples.push(sample.to_vec());
            if *bytes >= SAMPLE_BYTES && samples.len() >= MIN_SAMPLES {
                *state = KindState::Ready(std::mem::take(samples));
            }
        }
        let (dict, frame) = match state {
            KindState::Trained { id, c } => (*id, c.compress(payload)),
            _ => (0, self.plain.compress(payload)),
        };
        let frame = frame.map_err(zstd_error)?;
        Ok(if frame.len() < payload.len() { Encoded::Frame { dict, bytes: frame } } else { Encoded::Plain })
    }
}

fn zstd_error(e: std::io::Error) -> Error {
    Error::io("zstd (output compression)", e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> (Connection, Codec) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE output_dicts (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, created_at INTEGER NOT NULL, dict BLOB NOT NULL)",
        )
        .unwrap();
        let c = Codec::load(&conn).unwrap();
        (conn, c)
    }

    fn round_trip(conn: &Connection, c: &Codec, kind: &str, payload: &[u8]) -> Vec<u8> {
        let enc = c.encoders().encode(kind, payload).unwrap();
        match enc {
            Encoded::Plain => c.decode(conn, None, payload, payload.len()).unwrap(),
            Encoded::Frame { dict, bytes } => {
                assert!(bytes.len() < payload.len());
                c.decode(conn, Some(dict), &bytes, payload.len()).unwrap()
            }
        }
    }

    #[test]
    fn invalid_utf8_empty_and_8_mib_lines_round_trip_byte_for_byte() {
        let (conn, c) = codec();
        let invalid: Vec<u8> = b"caf\xc3 \xff\xfe broken \x80 utf-8 ".iter().copied().cycle().take(500).collect();
        assert!(std::str::from_utf8(&invalid).is_err());
        let mut big = Vec::with_capacity(8 << 20);
        let mut x: u32 = 1;
        while big.len() < 8 << 20 {
            // Half random bytes (incompressible), half text: a real mix.
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            big.push(if big.len() % 2 == 0 { (x >> 24) as u8 } else { b'a' + (big.len() % 26) as u8 });
        }
        for payload in [&b""[..], b"\n", b"short", &invalid, &big, &[0u8; 100]] {
            assert_eq!(round_trip(&conn, &c, "command", payload), payload, "{} bytes", payload.len());
        }
    }

    #[test]
    fn a_kind_gets_a_dictionary_after_enough_samples_and_old_frames_stay_readable() {
        let (conn, c) = codec();
        let line = |i: usize| {
            format!(
                r#"{{"type":"assistant","message":{{"content":[{{"type":"text","text":"line {i} of {}: tests passed, tests passed, tests passed"}}]}}}}"#,
                i * 7919
            )
        };
        let before = line(0).into_bytes();
        let Encoded::Frame { dict: 0, bytes: old } = c.encoders().encode("claude", &before).unwrap() else { panic!("not compressed") };
        let mut i = 1;
        while !matches!(c.encoders().kinds.get("claude"), Some(KindState::Ready(_))) {
            c.encoders().encode("claude", line(i).as_bytes()).unwrap();
            i += 1;
        }
        c.train_ready(&conn).unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM output_dicts WHERE kind = 'claude'", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1);
        let after = line(i + 1).into_bytes();
        let Encoded::Frame { dict, bytes } = c.encoders().encode("claude", &after).unwrap() else { panic!("not compressed") };
        assert!(dict > 0, "compressed with the new dictionary");
        assert_eq!(c.decode(&conn, Some(dict), &bytes, after.len()).unwrap(), after);
        assert_eq!(c.decode(&conn, Some(0), &old, before.len()).unwrap(), before);
        // A fresh codec (after a restart) finds the dictionary in the table.
        let again = Codec::load(&conn).unwrap();
        assert_eq!(again.decode(&conn, Some(dict), &bytes, after.len()).unwrap(), after);
        assert!(matches!(again.encoders().kinds.get("claude"), Some(KindState::Trained { .. })));
    }
}

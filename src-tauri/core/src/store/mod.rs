//! SQLite persistence: the one source of truth for sessions, their output and task events.
//!
//! One connection writes, one reads (WAL lets them run side by side). Schema changes are
//! forward-only migrations in `migrations.rs`; never edit a shipped one, add the next.
//! One file per kind of row: `sessions`, `output`, `tasks`, `permissions`, `settings`,
//! `workspaces`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension, Row};
use rusqlite_migration::{Migrations, M};

use crate::error::{Error, Result};
use crate::model::{
    AgentKind, Metrics, OutputEntry, Project, Session, SessionConfig, SessionFilter, SessionSort, SessionStatus, Stream, TaskEvent,
    TaskEventKind,
};
use crate::paths;
use crate::procid::ProcessId;

mod codec;
mod convert;
mod migrations;
mod output;
mod permissions;
mod search;
mod sessions;
mod settings;
mod tasks;
mod transcripts;
mod workspaces;

pub use self::convert::{OutputConversion, CONVERT_BATCH_ROWS};
use self::migrations::*;
pub use self::output::PAGE_BYTES;
pub use self::permissions::MAX_RULES;
pub use self::search::{SearchFilter, SearchHit, MAX_HITS, MAX_INDEXED_TEXT};
pub(crate) use self::sessions::{get_session_in, update_session_in};
pub use self::sessions::{LinkColumn, ProcessRecord};
pub(crate) use self::tasks::insert_task_event_in;
pub use self::tasks::TaskEventKey;
pub use self::transcripts::{TranscriptPass, TranscriptRecord};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "switchboard.db";

/// The most rows one list call returns, whatever the caller asks: a page, not a dump.
pub const MAX_PAGE: u32 = 10_000;

/// How many times a write that found the database locked (another process held it past
/// the busy timeout) is tried again before the error is returned. With the 5 s busy
/// timeout this waits out a lock held for about half a minute.
pub const BUSY_RETRIES: u32 = 5;

/// The busy timeout of every connection: how long one statement waits for another
/// process's lock before SQLite gives up.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The largest count SQLite's INTEGER holds; counters saturate here.
const SQL_INT_MAX: u64 = i64::MAX as u64;

/// The SQLite store. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Store {
    path: PathBuf,
    write: Mutex<Connection>,
    read: Mutex<Connection>,
    /// Rows found unreadable (id → reason), reported instead of failing whole lists.
    corrupt: Mutex<std::collections::BTreeMap<String, String>>,
    /// Compresses and decompresses output payloads (`codec.rs`).
    codec: codec::Codec,
    /// Whether the old `output` table may still hold rows (see `convert.rs`).
    legacy: std::sync::atomic::AtomicBool,
    /// The most output bytes a session keeps stored (0: no limit); see [`Store::set_output_budget`].
    output_budget: std::sync::atomic::AtomicU64,
    /// Wakes the search indexer when output is committed (`crate::search`).
    index_signal: crate::search::Signal,
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir`, which is created 0700; the
    /// file is made 0600. Runs pending migrations.
    pub fn open(data_dir: &Path) -> Result<Store> {
        Store::open_with(data_dir, None)
    }

    /// [`Store::open`], with the database capped at `max_pages` pages (SQLite's
    /// `max_page_count`): past it, writes fail as on a full disk.
    pub fn open_with(data_dir: &Path, max_pages: Option<u64>) -> Result<Store> {
        paths::ensure_private_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        check_not_truncated(&path)?;
        // Switchboard processes opening one data dir at the same moment (the app and CLIs)
        // take turns until the database is set up: switching to WAL and migrating are not
        // things SQLite lets two connections do at once (the loser gets SQLITE_BUSY without
        // waiting), and the same migration must not be applied twice.
        let lock = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .mode(0o600)
                .open(data_dir.join("migrate.lock"))
                .map_err(|e| Error::io("cannot open the migration lock", e))?
        };
        lock.lock().map_err(|e| Error::io("cannot take the migration lock", e))?;
        let mut write = Connection::open(&path)?;
        paths::make_private_file(&path)?;
        write.busy_timeout(BUSY_TIMEOUT)?;
        // Every transaction on the write connection takes the write lock when it begins. A
        // deferred one reads first, and SQLite does not wait (no busy handler) when a read
        // transaction's upgrade meets another connection's write lock — the search indexer's,
        // another process's — so it failed at once with "database is locked" (a session's
        // delete did, right after an import woke the indexer).
        write.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        // A new database gets 8 KiB pages (finding E: less slack per row than 4 KiB); an
        // existing one keeps its page size (changing it would take a VACUUM).
        write.pragma_update(None, "page_size", 8192).map_err(|e| not_a_database(&path, e))?;
        write.pragma_update(None, "journal_mode", "WAL").map_err(|e| not_a_database(&path, e))?;
        write.pragma_update(None, "synchronous", "NORMAL")?;
        write.pragma_update(None, "foreign_keys", "ON")?;
        let known = MIGRATIONS.len();
        let found: usize =
            write.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).map_err(|e| not_a_database(&path, e))?.max(0) as usize;
        if found > known {
            return Err(Error::Corrupt(format!(
                "{} was written by a newer Switchboard (schema {found}; this one knows up to {known}); use the newer version, or another --data-dir",
                path.display()
            )));
        }
        Migrations::from_slice(MIGRATIONS).to_latest(&mut write)?;
        drop(lock);
        if let Some(pages) = max_pages {
            write.pragma_update(None, "max_page_count", pages as i64)?;
        }
        let read = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        read.busy_timeout(BUSY_TIMEOUT)?;
        let codec = codec::Codec::load(&write)?;
        let legacy = write.query_row("SELECT EXISTS (SELECT 1 FROM output)", [], |r| r.get::<_, bool>(0))?;
        Ok(Store {
            path,
            write: Mutex::new(write),
            read: Mutex::new(read),
            corrupt: Mutex::new(Default::default()),
            codec,
            legacy: std::sync::atomic::AtomicBool::new(legacy),
            output_budget: std::sync::atomic::AtomicU64::new(0),
            index_signal: Default::default(),
        })
    }

    /// The database file (`<data dir>/switchboard.db`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection itself intact; go on with it.
        self.write.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection of its own to the database (for the search indexer: its reads and
    /// decoding do not hold the writer's lock).
    pub(crate) fn connect(&self) -> Result<Connection> {
        let conn = Connection::open(&self.path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(conn)
    }

    /// What wakes the search indexer.
    pub(crate) fn index_signal(&self) -> &crate::search::Signal {
        &self.index_signal
    }

    /// Marks a bulk import (many transcripts' lines) under way until the guard is dropped:
    /// the search indexer paces itself meanwhile and catches up after (`crate::search`).
    pub(crate) fn bulk_import(&self) -> crate::search::BulkImport<'_> {
        crate::search::BulkImport::new(&self.index_signal)
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.read.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction on the write connection: the write lock
    /// is taken before anything is read, so a read-modify-write is atomic across every
    /// Switchboard process on this database, not only within this one. A database locked
    /// by another process past the busy timeout is tried again ([`BUSY_RETRIES`]).
    pub fn immediate<T>(&self, mut f: impl FnMut(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut attempt = 0;
        loop {
            let result = (|| {
                let mut conn = self.writer();
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            })();
            match result {
                Err(e) if is_busy(&e) && attempt < BUSY_RETRIES => {
                    attempt += 1;
                    tracing::warn!(attempt, "the database is locked by another process; trying again");
                }
                other => return other,
            }
        }
    }
}

/// A u64 as SQLite's signed INTEGER, saturating at `i64::MAX` (a seq or counter past it
/// would otherwise wrap negative).
pub(crate) fn sql_int(v: u64) -> i64 {
    v.min(SQL_INT_MAX) as i64
}

/// Whether an error is another process holding the database past the busy timeout.
pub fn is_busy(e: &Error) -> bool {
    matches!(e, Error::Sqlite(rusqlite::Error::SqliteFailure(f, _)) if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// Whether an error is the disk (or the database's size cap) being full.
pub fn is_full(e: &Error) -> bool {
    matches!(e, Error::Sqlite(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::DiskFull)
}

/// A file that SQLite cannot open as our database (truncated, damaged, not SQLite): say
/// which file and that nothing was changed. A locked database keeps its own error.
fn not_a_database(path: &Path, e: rusqlite::Error) -> Error {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if !matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
        {
            Error::Corrupt(format!(
                "{} is not a readable Switchboard database ({e}); it was left as it is — move it away to start afresh",
                path.display()
            ))
        }
        _ => Error::Sqlite(e),
    }
}

/// Refuses a database file shorter than its own header says (cut off by a full disk, a
/// bad copy): SQLite would read the missing pages as empty and show no sessions, and the
/// next write could make the loss permanent. Reads 100 bytes; a missing or empty file is
/// a new database.
fn check_not_truncated(path: &Path) -> Result<()> {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else { return Ok(()) };
    let len = file.metadata().map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?.len();
    if len == 0 {
        return Ok(());
    }
    let mut header = [0u8; 100];
    let damaged =
        |why: String| Error::Corrupt(format!("{} is damaged ({why}); it was left as it is — move it away to start afresh", path.display()));
    if file.read_exact(&mut header).is_err() {
        return Err(damaged(format!("only {len} bytes, shorter than a database header")));
    }
    if &header[..16] != b"SQLite format 3\0" {
        return Err(damaged("not an SQLite database".into()));
    }
    let be32 = |at: usize| u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]) as u64;
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => n as u64,
    };
    // The page count in the header is valid when its "valid-for" number matches the
    // change counter (SQLite's file format, section 1.3.7).
    let pages = be32(28);
    if be32(92) == be32(24) && pages > 0 && len < pages * page_size {
        return Err(damaged(format!("{len} bytes where its header says {} — the file was cut short", pages * page_size)));
    }
    Ok(())
}

pub(crate) fn ts_from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

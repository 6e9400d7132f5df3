//! Importing transcripts: find them, read each from where the last pass stopped, and store
//! its complete lines with its session's counters and the file's new offset in one
//! transaction per pass.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::transcript::{count_line, read_line, Carry, Tally};
use super::{encode_folder, ImportOptions, ImportReport};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{AgentKind, EngineEvent, OutputEntry, Session, SessionConfig, SessionOrigin, SessionStatus};
use crate::store::{LinkColumn, TranscriptPass, TranscriptRecord};

/// Lines stored per transaction: a pass over a 100 MB transcript is many short
/// transactions (the window's reads and other sessions' output go in between), each
/// holding at most this many lines in memory.
pub const PASS_LINES: usize = 2_000;

/// …and at most this many bytes of lines.
pub const PASS_BYTES: usize = 8 * 1024 * 1024;

/// A line longer than this is stored cut to this length, marked, and the rest skipped:
/// one 1 GB line must not take 1 GB of memory (Claude writes lines of a few MB at most,
/// e.g. an image in a tool result).
pub const MAX_LINE_BYTES: usize = 32 * 1024 * 1024;

/// The transcript files under `projects`: `<projects>/<encoded cwd>/<session id>.jsonl`,
/// and the subagents' `<projects>/<encoded cwd>/<session id>/subagents/<agent>.jsonl`
/// (each after its parent's), filtered by `options` (folders, age). Unreadable folders are
/// skipped.
pub fn discover(projects: &Path, options: &ImportOptions) -> Vec<PathBuf> {
    let Ok(dirs) = std::fs::read_dir(projects) else { return Vec::new() };
    let since =
        (options.since_days > 0).then(|| std::time::SystemTime::now() - std::time::Duration::from_secs(options.since_days as u64 * 86_400));
    let mut files = Vec::new();
    for dir in dirs.flatten() {
        let name = dir.file_name().to_string_lossy().into_owned();
        if !options.wants_project(&name) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(dir.path()) else { continue };
        for f in entries.flatten() {
            let path = f.path();
            if f.file_type().is_ok_and(|t| t.is_dir()) {
                if let Ok(subagents) = std::fs::read_dir(path.join("subagents")) {
                    files.extend(subagents.flatten().filter(|s| wanted(s, since)).map(|s| s.path()));
                }
                continue;
            }
            if wanted(&f, since) {
                files.push(path);
            }
        }
    }
    // Sessions first, then subagents: a child's parent is imported before it, to link to.
    files.sort_by_cached_key(|p| (subagent_parent(p).is_some(), p.clone()));
    files
}

/// A `.jsonl` file changed since `since`.
fn wanted(f: &std::fs::DirEntry, since: Option<std::time::SystemTime>) -> bool {
    f.path().extension().and_then(|e| e.to_str()) == Some("jsonl")
        && f.metadata().is_ok_and(|m| m.is_file() && !since.is_some_and(|s| m.modified().is_ok_and(|t| t < s)))
}

/// For a subagent's transcript (`…/<session id>/subagents/<agent>.jsonl`): its parent's
/// Claude session id and transcript path.
pub(crate) fn subagent_parent(path: &Path) -> Option<(String, PathBuf)> {
    let dir = path.parent()?;
    if dir.file_name()? != "subagents" {
        return None;
    }
    let sid_dir = dir.parent()?;
    let sid = sid_dir.file_name()?.to_string_lossy().into_owned();
    let parent = sid_dir.parent()?.join(format!("{sid}.jsonl"));
    Some((sid, parent))
}

/// The project folder a transcript is in (a subagent's too).
pub(crate) fn project_of(path: &Path) -> Option<&Path> {
    match subagent_parent(path) {
        Some(_) => path.parent()?.parent()?.parent(),
        None => path.parent(),
    }
}

impl ImportOptions {
    /// Whether a project folder (`-home-me-src-app`) is included: no include list or a
    /// match in it, and no match in the exclude list. Folders are compared encoded the
    /// way Claude Code names its project folders (every non-alphanumeric character as
    /// `-`), so `/home/me/src` matches `/home/me/src/app` — and also `/home/me/src-old`,
    /// which the encoding cannot tell apart.
    pub fn wants_project(&self, project: &str) -> bool {
        let matches = |folder: &String| {
            let enc = encode_folder(folder.trim_end_matches('/'));
            project == enc || project.starts_with(&format!("{enc}-"))
        };
        (self.include.is_empty() || self.include.iter().any(matches)) && !self.exclude.iter().any(matches)
    }
}

/// What one file's import did.
#[derive(Debug, Default)]
pub(crate) struct FileOutcome {
    pub new_session: bool,
    pub lines: u64,
    pub raw: u64,
    pub managed: bool,
    /// The session the lines went to, when any were stored.
    pub session: Option<Session>,
}

/// Imports every transcript under `projects` (see [`discover`]). One file failing is
/// reported in the result and never stops the others.
pub(crate) fn import_all(engine: &Engine, projects: &Path, options: &ImportOptions) -> ImportReport {
    let _bulk = engine.inner.store.bulk_import();
    let (files, mut report, new) = count_all(engine, projects, options);
    // Then their lines, and what known transcripts gained.
    for (path, outcome) in files.iter().zip(each_file(&files, |path| import_file(engine, path))) {
        match outcome {
            Ok(o) if new.contains(path) => {
                report.lines += o.lines;
                report.raw_lines += o.raw;
            }
            Ok(o) => report.add(&o),
            Err(e) => {
                warn!(path = %path.display(), error = %e, "could not import a transcript");
                report.failed.push(format!("{}: {e}", path.display()));
            }
        }
    }
    info!(transcripts = report.transcripts, new = report.sessions_new, lines = report.lines, "imported Claude Code transcripts");
    report
}

/// The listing phase over every selected transcript: those seen for the first time become
/// sessions with their exact counts (see [`count_file`]). Returns the files, the report so
/// far and the files that became sessions.
pub(crate) fn count_all(engine: &Engine, projects: &Path, options: &ImportOptions) -> (Vec<PathBuf>, ImportReport, HashSet<PathBuf>) {
    let mut report = ImportReport::default();
    let mut new = HashSet::new();
    let files = discover(projects, options);
    for (path, outcome) in files.iter().zip(each_file(&files, |path| count_file(engine, path))) {
        report.transcripts += 1;
        match outcome {
            Ok(o) => {
                if o.new_session {
                    new.insert(path.clone());
                }
                report.add(&o);
            }
            Err(e) => {
                warn!(path = %path.display(), error = %e, "could not read a transcript");
                report.failed.push(format!("{}: {e}", path.display()));
            }
        }
    }
    (files, report, new)
}

/// Runs `f` on every file, on [`WORKERS`] threads (one file each at a time): while one
/// stores its lines (SQLite takes one writer at a time), another reads and parses the next
/// file. Subagents' transcripts wait until every session's is done (a child links to its
/// parent's session). The outcomes are in `files`' order.
fn each_file<T: Send>(files: &[PathBuf], f: impl Fn(&Path) -> T + Sync) -> Vec<T> {
    let split = files.iter().position(|p| subagent_parent(p).is_some()).unwrap_or(files.len());
    let (sessions, subagents) = files.split_at(split);
    let mut out = Vec::with_capacity(files.len());
    for wave in [sessions, subagents] {
        let next = AtomicUsize::new(0);
        let done = Mutex::new(Vec::with_capacity(wave.len()));
        std::thread::scope(|scope| {
            for _ in 0..WORKERS.min(wave.len()) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = wave.get(i) else { break };
                    let outcome = f(path);
                    done.lock().unwrap_or_else(|e| e.into_inner()).push((i, outcome));
                });
            }
        });
        let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
        done.sort_by_key(|(i, _)| *i);
        out.extend(done.into_iter().map(|(_, o)| o));
    }
    out
}

/// Threads an import reads transcripts on: two keep SQLite's one writer busy while the
/// other parses; more would only hold more lines in memory.
pub const WORKERS: usize = 2;

/// Reads a transcript from where the last pass stopped to its last complete line, and
/// stores what it read. Never writes to the file.
pub(crate) fn import_file(engine: &Engine, path: &Path) -> Result<FileOutcome> {
    let store = &engine.inner.store;
    let key = path.to_string_lossy().into_owned();
    let meta = std::fs::metadata(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let (dev, inode, len) = (meta.dev(), meta.ino(), meta.len());
    let mtime: DateTime<Utc> = meta.modified().map(DateTime::<Utc>::from).unwrap_or_else(|_| engine.inner.clock.now());
    let agent_session_id = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let parent = subagent_parent(path);
    let mut outcome = FileOutcome::default();
    let mut record = match store.transcript(&key)? {
        Some(r) if r.managed => {
            outcome.managed = true;
            return Ok(outcome);
        }
        Some(r) => r,
        None => match fresh_record(store, &key, parent.as_ref(), &agent_session_id, dev, inode)? {
            Some(r) => r,
            None => {
                outcome.managed = true;
                return Ok(outcome);
            }
        },
    };
    let known = !record.session_id.is_empty();
    let mut from = record.offset;
    // Lines already in the session, when the file is read again from its start.
    let mut seen = None;
    if known && (len < record.offset || len < record.counted) {
        // Cut short or rewritten shorter: what was read stays imported; the file is read
        // again from its start, and of its lines only those not in the session yet are
        // stored and counted.
        warn!(path = %key, offset = record.offset, len, "a transcript shrank; reading it again from the start");
        seen = Some(stored_lines(engine, &record.session_id)?);
        from = 0;
        record.counted = 0;
        record.carry = "{}".into();
    } else if known && len == record.offset && (dev, inode) == (record.dev, record.inode) {
        return Ok(outcome);
    }
    record.dev = dev;
    record.inode = inode;
    let mut carry: Carry = serde_json::from_str(&record.carry).unwrap_or_default();
    let file = std::fs::File::open(path).map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    reader.seek(SeekFrom::Start(from)).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let mut offset = from;
    let mut stored_from = if known { Some(record.offset) } else { None };
    loop {
        let mut tally = Tally::default();
        let chunk_start = offset;
        // Lines the listing phase counted already (`count_file`) are only stored: their
        // counts are in the session. Their entries take a scratch carry.
        let backlog = offset < record.counted;
        let mut scratch = Carry::default();
        let stop = backlog.then_some(record.counted);
        let (lines, eof) =
            read_pass(&mut reader, path, &mut offset, stop, if backlog { &mut scratch } else { &mut carry }, &mut tally, seen.as_ref())?;
        if lines.is_empty() && record.session_id.is_empty() {
            // Nothing complete yet in a new file: nothing to create.
            return Ok(outcome);
        }
        let new_session = if record.session_id.is_empty() {
            let s = session_for(store, path, &agent_session_id, parent.as_ref(), &tally, mtime)?;
            record.session_id = s.id.clone();
            Some(s)
        } else {
            None
        };
        record.offset = offset;
        if !backlog {
            record.counted = offset;
            record.carry = serde_json::to_string(&carry).unwrap_or_else(|_| "{}".into());
        }
        let session_id = record.session_id.clone();
        let entries = output_entries(&session_id, lines, &tally, engine.inner.clock.now());
        let n = entries.len() as u64;
        // Compressed here, on this reading thread, while another holds the writer.
        let packed = store.pack(AgentKind::Claude, &entries)?;
        let written = engine.inner.output.import(&session_id, entries, |entries| {
            let pass = TranscriptPass {
                from_offset: stored_from,
                record: &record,
                new_session: new_session.as_ref(),
                entries,
                packed: Some(&packed),
            };
            store.import_transcript(&pass, |s| {
                if !backlog {
                    apply(s, &tally)
                }
            })
        })?;
        let Some(session) = written else {
            warn!(path = %key, "another Switchboard process imported this transcript meanwhile; leaving it to it");
            return Ok(outcome);
        };
        stored_from = Some(offset);
        outcome.new_session |= new_session.is_some();
        outcome.lines += n;
        outcome.raw += tally.raw;
        engine.emit(EngineEvent::SessionChanged { session: session.clone() });
        outcome.session = Some(session);
        if eof || offset == chunk_start {
            return Ok(outcome);
        }
    }
}

/// Reads complete lines from `offset` (moved past them) into entries, counting them into
/// `tally`: at most [`PASS_LINES`] lines or [`PASS_BYTES`] bytes, and not past `stop`;
/// lines whose [`line_hash`] is in `seen` are skipped, uncounted.
/// Returns the entries and whether the end of the file (or a half-written last line) was
/// reached.
pub(super) fn read_pass<R: BufRead>(
    reader: &mut R,
    path: &Path,
    offset: &mut u64,
    stop: Option<u64>,
    carry: &mut Carry,
    tally: &mut Tally,
    seen: Option<&HashSet<u64>>,
) -> Result<(Vec<super::transcript::Entry>, bool)> {
    let mut lines = Vec::new();
    let mut bytes = 0usize;
    let mut buf = Vec::new();
    while lines.len() < PASS_LINES && bytes < PASS_BYTES && stop.is_none_or(|s| *offset < s) {
        buf.clear();
        let (n, complete) = read_bounded_line(reader, &mut buf).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        if !complete {
            // EOF, possibly inside a line Claude is still writing: it is read when complete.
            return Ok((lines, true));
        }
        *offset += n as u64;
        bytes += buf.len();
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let before = seen.map(|_| tally.clone());
        let entry = read_line(line, carry, tally);
        if let (Some(seen), Some(before)) = (seen, before) {
            if seen.contains(&line_hash(&entry)) {
                // In the session already (a rewritten transcript read again): not again.
                *tally = before;
                continue;
            }
        }
        lines.push(entry);
    }
    Ok((lines, false))
}

/// A pass's lines as a session's output entries: a line without a time of its own takes
/// the one before it (or the pass's first, or `now`).
pub(super) fn output_entries(
    session_id: &str,
    lines: Vec<super::transcript::Entry>,
    tally: &Tally,
    now: DateTime<Utc>,
) -> Vec<OutputEntry> {
    let mut last_ts = None;
    lines
        .into_iter()
        .map(|l| {
            let ts = l.ts.or(last_ts).or(tally.first_ts).unwrap_or(now);
            last_ts = Some(ts);
            OutputEntry { session_id: session_id.to_string(), seq: 0, ts, stream: l.stream, kind: l.kind.to_string(), payload: l.payload }
        })
        .collect()
}

/// The lines a session has (as [`line_hash`]es), to tell which lines of a rewritten
/// transcript it holds already. Reads only that session's rows.
pub(super) fn stored_lines(engine: &Engine, session_id: &str) -> Result<HashSet<u64>> {
    let mut seen = HashSet::new();
    let mut after = 0;
    loop {
        let page = engine.inner.store.read_output_range(session_id, after, u64::MAX, 1000)?;
        let Some(last) = page.last() else { return Ok(seen) };
        after = last.seq;
        seen.extend(page.iter().map(|e| hash_of(&e.kind, &e.payload)));
    }
}

/// What tells two stored lines apart: their kind and payload.
fn line_hash(e: &super::transcript::Entry) -> u64 {
    hash_of(e.kind, &e.payload)
}

fn hash_of(kind: &str, payload: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (kind, payload).hash(&mut h);
    h.finish()
}

/// The record of a transcript seen for the first time, or None when it is not to be
/// imported (recorded as such): the transcript of a session Switchboard runs, or a
/// subagent of one (its stream-json output carries the subagent's lines), or of a parent
/// that is not imported.
fn fresh_record(
    store: &crate::store::Store,
    key: &str,
    parent: Option<&(String, PathBuf)>,
    agent_session_id: &str,
    dev: u64,
    inode: u64,
) -> Result<Option<TranscriptRecord>> {
    let owner_id = parent.map_or(agent_session_id, |(sid, _)| sid.as_str());
    if let Some(own) = store.find_session_by(LinkColumn::AgentSession, owner_id)? {
        if own.origin == SessionOrigin::Switchboard {
            store.mark_transcript_managed(key, &own.id, dev, inode)?;
            return Ok(None);
        }
    }
    if let Some(r) = parent.and_then(|(_, p)| store.transcript(&p.to_string_lossy()).ok().flatten()).filter(|r| r.managed) {
        store.mark_transcript_managed(key, &r.session_id, dev, inode)?;
        return Ok(None);
    }
    Ok(Some(TranscriptRecord {
        path: key.to_string(),
        session_id: String::new(),
        dev,
        inode,
        offset: 0,
        counted: 0,
        carry: "{}".into(),
        managed: false,
    }))
}

/// The session for a new transcript, from its first lines' tally.
fn session_for(
    store: &crate::store::Store,
    path: &Path,
    agent_session_id: &str,
    parent: Option<&(String, PathBuf)>,
    tally: &Tally,
    mtime: DateTime<Utc>,
) -> Result<Session> {
    Ok(match parent {
        None => new_session(path, Some(agent_session_id.to_string()), serde_json::Value::Null, tally, mtime),
        Some((sid, parent_path)) => {
            // A child session linked to its parent's: not resumable on its own (its id is
            // the subagent's, which `claude --resume` does not take).
            let parent_session = store.transcript(&parent_path.to_string_lossy())?.map(|r| r.session_id);
            let link = serde_json::json!({ "subagent_of": parent_session, "parent_agent_session_id": sid, "subagent": agent_session_id });
            new_session(path, None, link, tally, mtime)
        }
    })
}

/// The first, listing phase of an import for a transcript seen for the first time: every
/// complete line counted (no entries made, nothing stored but the session), so that the
/// session is listed with its exact counts at once; [`import_file`] stores its lines after.
pub(crate) fn count_file(engine: &Engine, path: &Path) -> Result<FileOutcome> {
    let store = &engine.inner.store;
    let key = path.to_string_lossy().into_owned();
    let mut outcome = FileOutcome::default();
    if store.transcript(&key)?.is_some() {
        return Ok(outcome);
    }
    let meta = std::fs::metadata(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let (dev, inode) = (meta.dev(), meta.ino());
    let mtime: DateTime<Utc> = meta.modified().map(DateTime::<Utc>::from).unwrap_or_else(|_| engine.inner.clock.now());
    let agent_session_id = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let parent = subagent_parent(path);
    let Some(mut record) = fresh_record(store, &key, parent.as_ref(), &agent_session_id, dev, inode)? else {
        outcome.managed = true;
        return Ok(outcome);
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let (mut carry, mut tally) = (Carry::default(), Tally::default());
    let mut offset = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let (n, complete) =
            read_bounded_line(&mut reader, &mut buf).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        if !complete {
            break;
        }
        offset += n as u64;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.iter().all(u8::is_ascii_whitespace) {
            count_line(line, &mut carry, &mut tally);
        }
    }
    if tally.lines == 0 {
        return Ok(outcome);
    }
    tally.settle();
    let session = session_for(store, path, &agent_session_id, parent.as_ref(), &tally, mtime)?;
    record.session_id = session.id.clone();
    record.counted = offset;
    record.carry = serde_json::to_string(&carry).unwrap_or_else(|_| "{}".into());
    let pass = TranscriptPass { from_offset: None, record: &record, new_session: Some(&session), entries: &[], packed: None };
    let Some(session) = store.import_transcript(&pass, |s| apply(s, &tally))? else { return Ok(outcome) };
    engine.emit(EngineEvent::SessionChanged { session: session.clone() });
    outcome.new_session = true;
    outcome.session = Some(session);
    Ok(outcome)
}

/// Reads one line into `buf` (up to [`MAX_LINE_BYTES`]; the rest of a longer line is
/// skipped and a marker appended). Returns the bytes consumed and whether the line was
/// complete (ended by `\n`).
fn read_bounded_line<R: BufRead>(r: &mut R, buf: &mut Vec<u8>) -> std::io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut cut = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok((consumed, false));
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        cut |= take > room;
        r.consume(take);
        consumed += take;
        if done {
            if cut {
                buf.extend_from_slice(format!(" [line cut at {MAX_LINE_BYTES} bytes]").as_bytes());
            }
            return Ok((consumed, true));
        }
    }
}

/// A new imported session from its transcript's first lines.
fn new_session(path: &Path, agent_session_id: Option<String>, metadata: serde_json::Value, tally: &Tally, mtime: DateTime<Utc>) -> Session {
    let created = tally.first_ts.unwrap_or(mtime);
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, created.timestamp().max(0) as u64, created.timestamp_subsec_nanos());
    // A v7 id from the session's own start time: imported sessions sort among ours by when
    // they began. The random part keeps two transcripts of the same millisecond apart.
    let id = format!("{}_{}", AgentKind::Claude.as_str(), uuid::Uuid::new_v7(ts).simple());
    let cwd = tally
        .cwd
        .clone()
        .unwrap_or_else(|| project_of(path).and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    let what = if metadata.is_null() { "Claude Code" } else { "Subagent" };
    let folder = Path::new(&cwd).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| cwd.clone());
    Session {
        status: SessionStatus::Ended,
        agent_session_id,
        ended_at: Some(created),
        origin: SessionOrigin::Terminal,
        ..Session::new(id, AgentKind::Claude, format!("{what} in {folder}"), cwd, SessionConfig { metadata, ..Default::default() }, created)
    }
}

/// Adds a pass's tally to its session.
pub(super) fn apply(s: &mut Session, t: &Tally) {
    s.turns = s.turns.saturating_add(t.turns);
    // As for our own sessions: +1 for the message sent, +1 for the turn that answered it.
    s.message_count = s.message_count.saturating_add(t.prompts.saturating_mul(2));
    s.input_tokens = s.input_tokens.saturating_add(t.input_tokens);
    s.output_tokens = s.output_tokens.saturating_add(t.output_tokens);
    s.cost_usd = (s.cost_usd + t.cost_usd.min(crate::MAX_TURN_COST_USD)).min(crate::MAX_TOTAL_COST_USD);
    if let Some(m) = &t.model {
        s.config.model = Some(m.clone());
    }
    if let Some(title) = &t.title {
        let first = title.lines().find(|l| !l.trim().is_empty()).unwrap_or(title).trim();
        s.title = first.chars().take(crate::MAX_TITLE_CHARS).collect();
    }
    if let Some(last) = t.last_ts {
        if last > s.last_activity {
            s.last_activity = last;
            s.last_response_at = Some(last);
            if !s.status.is_live() {
                s.ended_at = Some(last);
                s.expires_at = last;
            }
        }
    }
}

//! Where Switchboard keeps its data, and the permissions it keeps it under.
//!
//! The data directory holds API keys (sessions' environment values), so it is made private
//! (0700, its database files 0600). Because making a folder private changes it, Switchboard
//! only does so to a folder that is **ours**:
//!
//! - it does not exist yet (it is created 0700, parents as needed), or
//! - it is a directory owned by the current user that is empty, or holds a `switchboard.db`,
//!   or holds nothing but names Switchboard itself writes ([`OWN_NAMES`]).
//!
//! Anything else is refused with an error naming the path and the problem, and nothing is
//! changed or deleted: a file, a dangling symlink, a folder of another user, a non-empty
//! folder that is not ours (`--data-dir ~` would otherwise make the home directory 0700).
//! A data directory that is a symlink to a directory is followed (the data may live
//! elsewhere); the checks and the mode change apply to the directory it names, through one
//! open file descriptor. Database files are never followed: a `switchboard.db` (or `-wal`,
//! `-shm`, `migrate.lock`) that is a symlink is refused, so its target's mode is never changed.

use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{shorten, Error, Result};

/// The environment variable that names the data directory when `--data-dir` is not given.
pub const DATA_DIR_ENV: &str = "SWITCHBOARD_DATA_DIR";

/// The SQLite database in the data directory (the store opens this name).
pub const DATABASE_FILE: &str = "switchboard.db";

/// Files that hold or guard the database: all kept 0600 and never followed when a symlink.
pub const DATABASE_FILES: [&str; 5] =
    ["switchboard.db", "switchboard.db-wal", "switchboard.db-shm", "switchboard.db-journal", "migrate.lock"];

/// Every name Switchboard writes into its data directory. A folder holding only these is ours.
pub const OWN_NAMES: [&str; 6] =
    ["switchboard.db", "switchboard.db-wal", "switchboard.db-shm", "switchboard.db-journal", "migrate.lock", "logs"];

/// Paths are echoed in errors up to this many characters (the rest is counted, not printed).
const MAX_PATH_IN_ERROR: usize = 200;

/// The data directory: `explicit` (from `--data-dir`), else `$SWITCHBOARD_DATA_DIR`, else the
/// platform's app-data dir (`~/.local/share/switchboard` on Linux).
pub fn resolve_data_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    dirs::data_dir()
        .map(|d| d.join("switchboard"))
        .ok_or_else(|| Error::invalid("data_dir", format!("no home directory found; pass --data-dir or set {DATA_DIR_ENV}")))
}

fn shown(p: &Path) -> String {
    shorten(&p.to_string_lossy(), MAX_PATH_IN_ERROR)
}

/// A problem with the folder the user chose: `field` data_dir, exit code 2 in the CLI.
fn refuse(dir: &Path, problem: impl std::fmt::Display) -> Error {
    Error::invalid("data_dir", format!("data directory '{}' {problem}", shown(dir)))
}

fn euid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// Creates the data directory `dir` (and parents) if needed, checks that it is ours (see the
/// module doc), makes it private (0700) and its existing database files 0600, and creates
/// the database and the migration lock 0600 when missing, so they are never world-readable,
/// not even for a moment. Errors (`invalid_input`, field `data_dir`) name the path and the
/// problem; nothing is deleted.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound => create_private_dir(dir)?,
        Err(e) => return Err(refuse(dir, format_args!("cannot be read: {}", io_reason(&e)))),
        Ok(m) if m.file_type().is_symlink() => {
            if let Err(e) = fs::metadata(dir) {
                let target = fs::read_link(dir).map(|t| shown(&t)).unwrap_or_default();
                return Err(if e.kind() == ErrorKind::NotFound {
                    refuse(dir, format_args!("is a symbolic link to '{target}', which does not exist"))
                } else {
                    refuse(dir, format_args!("is a symbolic link that cannot be followed: {}", io_reason(&e)))
                });
            }
        }
        Ok(_) => {}
    }
    // One descriptor for the checks and the mode change: what is checked is what is changed.
    let handle = OpenOptions::new().read(true).custom_flags(nix::libc::O_DIRECTORY).open(dir).map_err(|e| match e.raw_os_error() {
        Some(nix::libc::ENOTDIR) => refuse(dir, "is not a folder"),
        _ => refuse(dir, format_args!("cannot be opened: {}", io_reason(&e))),
    })?;
    let meta = handle.metadata().map_err(|e| refuse(dir, format_args!("cannot be read: {}", io_reason(&e))))?;
    if meta.uid() != euid() {
        return Err(refuse(dir, format_args!("belongs to another user (uid {}); choose a folder of your own", meta.uid())));
    }
    check_ours(dir)?;
    if meta.mode() & 0o777 != 0o700 {
        handle
            .set_permissions(fs::Permissions::from_mode(0o700))
            .map_err(|e| refuse(dir, format_args!("cannot be made private (0700): {}", io_reason(&e))))?;
    }
    if nix::unistd::access(dir, nix::unistd::AccessFlags::W_OK | nix::unistd::AccessFlags::X_OK).is_err() {
        return Err(refuse(dir, "is not writable (read-only file system?)"));
    }
    for name in DATABASE_FILES {
        let file = dir.join(name);
        match fs::symlink_metadata(&file) {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                // The WAL and shared-memory files are created by SQLite with the database's mode.
                if name == DATABASE_FILE || name == "migrate.lock" {
                    create_private_file(&file)?;
                }
            }
            Err(e) => return Err(Error::io(format!("cannot read {}", shown(&file)), e)),
            Ok(_) => make_private_file(&file)?,
        }
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| refuse(dir, format_args!("cannot be created: {}", io_reason(&e))))?;
    }
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        // Another Switchboard process created it meanwhile: the checks that follow still apply.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(refuse(dir, format_args!("cannot be created: {}", io_reason(&e)))),
    }
}

/// Ours: empty, or holding a `switchboard.db`, or only names Switchboard writes.
fn check_ours(dir: &Path) -> Result<()> {
    if fs::symlink_metadata(dir.join(DATABASE_FILE)).is_ok() {
        return Ok(());
    }
    let entries = fs::read_dir(dir).map_err(|e| refuse(dir, format_args!("cannot be listed: {}", io_reason(&e))))?;
    for entry in entries {
        let entry = entry.map_err(|e| refuse(dir, format_args!("cannot be listed: {}", io_reason(&e))))?;
        let name = entry.file_name();
        if !OWN_NAMES.iter().any(|own| name == *own) {
            return Err(refuse(
                dir,
                format_args!(
                    "is not empty and holds no {DATABASE_FILE} (found '{}'); Switchboard only uses a new or empty folder, or its own",
                    shorten(&name.to_string_lossy(), 60)
                ),
            ));
        }
    }
    Ok(())
}

/// Creates `file` 0600 if it does not exist; never follows a symlink.
fn create_private_file(file: &Path) -> Result<()> {
    match OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(nix::libc::O_NOFOLLOW).open(file) {
        Ok(_) => Ok(()),
        // Created by another process meanwhile: check it like an existing one.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => make_private_file(file),
        Err(e) => Err(Error::io(format!("cannot create {}", shown(file)), e)),
    }
}

/// Makes an existing file private to the user (0600). Refuses a symlink (its target's mode
/// is never changed), anything but a regular file, and a file of another user.
pub fn make_private_file(file: &Path) -> Result<()> {
    let refuse_file = |problem: String| Error::invalid("data_dir", format!("'{}' {problem}", shown(file)));
    let meta = fs::symlink_metadata(file).map_err(|e| Error::io(format!("cannot read {}", shown(file)), e))?;
    if meta.file_type().is_symlink() {
        return Err(refuse_file(
            "is a symbolic link; Switchboard does not follow links for its database files (move it away or choose another data directory)"
                .into(),
        ));
    }
    if !meta.is_file() {
        return Err(refuse_file("is not a regular file".into()));
    }
    // O_NOFOLLOW: a symlink swapped in since the check above fails to open (ELOOP).
    let handle: File = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(file)
        .map_err(|e| Error::io(format!("cannot open {}", shown(file)), e))?;
    let meta = handle.metadata().map_err(|e| Error::io(format!("cannot read {}", shown(file)), e))?;
    if !meta.is_file() {
        return Err(refuse_file("is not a regular file".into()));
    }
    if meta.uid() != euid() {
        return Err(refuse_file(format!("belongs to another user (uid {})", meta.uid())));
    }
    if meta.mode() & 0o777 != 0o600 {
        handle
            .set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(format!("cannot set permissions on {}", shown(file)), e))?;
    }
    Ok(())
}

/// "permission denied" rather than "Permission denied (os error 13)".
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::NotFound => "not found".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }
    fn mode(p: &Path) -> u32 {
        fs::symlink_metadata(p).expect("meta").mode() & 0o777
    }

    #[test]
    fn a_new_directory_is_created_private_with_its_database_files() {
        let t = tmp();
        let dir = t.path().join("a/b/data");
        ensure_private_dir(&dir).expect("create");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(DATABASE_FILE)), 0o600);
        assert_eq!(mode(&dir.join("migrate.lock")), 0o600);
        ensure_private_dir(&dir).expect("a second time: it is ours now");
    }

    #[test]
    fn a_non_empty_folder_that_is_not_ours_is_refused_and_left_alone() {
        let t = tmp();
        fs::set_permissions(t.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        fs::write(t.path().join("notes.txt"), "mine").expect("write");
        let e = ensure_private_dir(t.path()).expect_err("like a home directory");
        assert_eq!(e.field(), Some("data_dir"));
        assert!(e.to_string().contains("is not empty and holds no switchboard.db (found 'notes.txt')"), "{e}");
        assert_eq!(mode(t.path()), 0o755, "its mode is untouched");
        assert!(!t.path().join(DATABASE_FILE).exists(), "nothing was written");
    }

    #[test]
    fn an_empty_folder_and_one_holding_only_our_files_are_ours() {
        let t = tmp();
        fs::set_permissions(t.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        ensure_private_dir(t.path()).expect("empty");
        assert_eq!(mode(t.path()), 0o700);
        let t2 = tmp();
        fs::create_dir(t2.path().join("logs")).expect("logs");
        ensure_private_dir(t2.path()).expect("only logs/: the app wrote its log before the database");
    }

    #[test]
    fn a_database_symlink_is_refused_and_its_target_keeps_its_mode() {
        let t = tmp();
        let dir = t.path().join("data");
        fs::create_dir(&dir).expect("dir");
        let other = t.path().join("other.txt");
        fs::write(&other, "x").expect("write");
        fs::set_permissions(&other, fs::Permissions::from_mode(0o644)).expect("chmod");
        symlink(&other, dir.join(DATABASE_FILE)).expect("symlink");
        let e = ensure_private_dir(&dir).expect_err("symlinked database");
        assert!(e.to_string().contains("is a symbolic link"), "{e}");
        assert_eq!(mode(&other), 0o644, "the target's mode did not change");
        let e = make_private_file(&dir.join(DATABASE_FILE)).expect_err("directly too");
        assert!(e.to_string().contains("is a symbolic link"), "{e}");
        assert_eq!(mode(&other), 0o644);
    }

    #[test]
    fn loose_modes_of_existing_database_files_are_fixed() {
        let t = tmp();
        for name in DATABASE_FILES {
            fs::write(t.path().join(name), "").expect("write");
            fs::set_permissions(t.path().join(name), fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        ensure_private_dir(t.path()).expect("ours");
        for name in DATABASE_FILES {
            assert_eq!(mode(&t.path().join(name)), 0o600, "{name}");
        }
    }

    #[test]
    fn a_file_a_dangling_symlink_and_a_read_only_folder_get_one_line_errors() {
        let t = tmp();
        let file = t.path().join("file");
        fs::write(&file, "x").expect("write");
        let e = ensure_private_dir(&file).expect_err("a file");
        assert!(e.to_string().ends_with("is not a folder"), "{e}");
        assert_eq!(fs::read_to_string(&file).expect("still there"), "x");

        let link = t.path().join("dangling");
        symlink(t.path().join("missing"), &link).expect("symlink");
        let e = ensure_private_dir(&link).expect_err("dangling");
        assert!(e.to_string().contains("which does not exist"), "{e}");
        assert!(fs::symlink_metadata(&link).is_ok(), "the link is not deleted");
        assert!(!t.path().join("missing").exists(), "nor its target created");

        let ro = t.path().join("ro");
        fs::create_dir(&ro).expect("dir");
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o500)).expect("chmod");
        let e = ensure_private_dir(&ro.join("data"));
        // root can write anywhere; everyone else is told.
        if euid() != 0 {
            let e = e.expect_err("parent not writable");
            assert!(e.to_string().contains("cannot be created: permission denied"), "{e}");
        }
        for e in [ensure_private_dir(&file), ensure_private_dir(&link)] {
            let text = e.expect_err("error").to_string();
            assert!(!text.contains('\n'), "one line: {text}");
        }
    }

    #[test]
    fn a_symlink_to_our_directory_is_followed() {
        let t = tmp();
        let real = t.path().join("real");
        fs::create_dir(&real).expect("dir");
        fs::set_permissions(&real, fs::Permissions::from_mode(0o755)).expect("chmod");
        let link = t.path().join("link");
        symlink(&real, &link).expect("symlink");
        ensure_private_dir(&link).expect("followed");
        assert_eq!(mode(&real), 0o700);
        assert!(real.join(DATABASE_FILE).is_file());
    }
}

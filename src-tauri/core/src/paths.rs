//! Where Switchboard keeps its data, and the permissions it keeps it under.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable that names the data directory when `--data-dir` is not given.
pub const DATA_DIR_ENV: &str = "SWITCHBOARD_DATA_DIR";

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

/// Creates `dir` (and parents) if needed and makes it private to the user (0700).
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io(format!("cannot create data directory {}", dir.display()), e))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io(format!("cannot set permissions on {}", dir.display()), e))
}

/// Makes an existing file private to the user (0600).
pub fn make_private_file(file: &Path) -> Result<()> {
    fs::set_permissions(file, fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(format!("cannot set permissions on {}", file.display()), e))
}

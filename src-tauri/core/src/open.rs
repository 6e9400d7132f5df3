//! "Open in…": a session's worktree in the user's editor, a terminal, or the file manager.
//!
//! Which program: the one set in the settings (an argument vector), else what the desktop
//! and the shell say — `$VISUAL`, then `$EDITOR` (an editor that runs in a terminal, like
//! vim, is opened in the terminal), else `xdg-open` (the desktop's default for folders); for
//! a terminal the first of the usual ones found on PATH. No shell is involved: the
//! program gets the folder as an argument (the editor) or as its working directory (the
//! terminal), and is started in a process group of its own so that it outlives Switchboard.
//! Finding nothing is an error that says what was tried and where to set one.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};

/// Where to open a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OpenIn {
    /// The user's editor, given the folder as its last argument.
    Editor,
    /// A terminal whose shell starts in the folder.
    Terminal,
    /// The desktop's file manager, showing the folder.
    FileManager,
}

/// Terminals tried in this order when none is set: Debian's alternative first (the user's
/// choice there), then the desktops' own, then xterm.
pub const TERMINALS: &[&str] = &["x-terminal-emulator", "gnome-terminal", "konsole", "xfce4-terminal", "kitty", "alacritty", "xterm"];

/// Editors that draw in a terminal: `$EDITOR=vim` opens a terminal running vim.
const TERMINAL_EDITORS: &[&str] = &["vi", "vim", "nvim", "nano", "micro", "hx", "helix", "kak", "emacs-nox", "joe", "ne", "mg"];

/// What to run: a program found on the system, its arguments, and the folder it starts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The program, as found (an absolute path).
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Its working directory: the folder opened.
    pub cwd: PathBuf,
}

/// The commands a user set for "Open in…" (empty: find one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choices<'a> {
    /// The editor's argument vector; the folder is appended.
    pub editor: &'a [String],
    /// The terminal's argument vector; it starts in the folder.
    pub terminal: &'a [String],
}

/// Decides what to run to open `folder` in `target`. `env` reads an environment variable
/// and `find` a program on PATH (injected: tests decide what exists).
pub fn plan(
    target: OpenIn,
    folder: &Path,
    choices: &Choices<'_>,
    env: &dyn Fn(&str) -> Option<OsString>,
    find: &dyn Fn(&str) -> Option<PathBuf>,
) -> Result<Launch> {
    let launch = |argv: Vec<OsString>, field: &'static str| -> Result<Launch> {
        let (name, args) = argv.split_first().ok_or_else(|| Error::invalid(field, "the command is empty"))?;
        let program = resolve(name, find).ok_or_else(|| {
            Error::invalid(field, format!("'{}' was not found (nor on PATH); check Settings → Open in", name.to_string_lossy()))
        })?;
        Ok(Launch { program, args: args.to_vec(), cwd: folder.to_path_buf() })
    };
    let os = |v: &[String]| v.iter().map(OsString::from).collect::<Vec<_>>();
    match target {
        OpenIn::FileManager => launch(vec!["xdg-open".into(), folder.into()], "file_manager"),
        OpenIn::Terminal => launch(terminal(choices, find)?, "terminal"),
        OpenIn::Editor => {
            if !choices.editor.is_empty() {
                let mut argv = os(choices.editor);
                argv.push(folder.into());
                return launch(argv, "editor");
            }
            let from_env = ["VISUAL", "EDITOR"].iter().find_map(|v| env(v).filter(|s| !s.to_string_lossy().trim().is_empty()));
            let Some(editor) = from_env else {
                return launch(vec!["xdg-open".into(), folder.into()], "editor");
            };
            // Like git, a variable may hold arguments ("code --wait"); split on spaces.
            let mut argv: Vec<OsString> = editor.to_string_lossy().split_whitespace().map(OsString::from).collect();
            argv.push(folder.into());
            let name = Path::new(&argv[0]).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if TERMINAL_EDITORS.contains(&name.as_str()) {
                let mut wrapped = terminal(choices, find)?;
                wrapped.push(run_flag(&wrapped[0]).into());
                wrapped.extend(argv);
                return launch(wrapped, "editor");
            }
            launch(argv, "editor")
        }
    }
}

/// The terminal's argument vector: the one set, else the first found of [`TERMINALS`].
fn terminal(choices: &Choices<'_>, find: &dyn Fn(&str) -> Option<PathBuf>) -> Result<Vec<OsString>> {
    if !choices.terminal.is_empty() {
        return Ok(choices.terminal.iter().map(OsString::from).collect());
    }
    TERMINALS.iter().find(|t| find(t).is_some()).map(|t| vec![OsString::from(*t)]).ok_or_else(|| {
        Error::invalid("terminal", format!("no terminal found (tried {}); set one in Settings → Open in", TERMINALS.join(", ")))
    })
}

/// How a terminal is told which program to run: gnome-terminal takes `--`, the others `-e`.
fn run_flag(terminal: &OsString) -> &'static str {
    match Path::new(terminal).file_name().and_then(|n| n.to_str()) {
        Some("gnome-terminal") => "--",
        _ => "-e",
    }
}

fn resolve(name: &OsString, find: &dyn Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.components().count() > 1 {
        return crate::agents::is_executable(p).then(|| p.to_path_buf());
    }
    find(&name.to_string_lossy())
}

/// Starts `l` in a process group of its own with no input and its output discarded, and
/// returns once it started (a thread reaps it when it ends; Switchboard never waits for it).
pub fn start(l: &Launch) -> Result<()> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(&l.program);
    cmd.args(&l.args).current_dir(&l.cwd).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).process_group(0);
    let mut child = cmd.spawn().map_err(|e| Error::Spawn { program: l.program.display().to_string(), message: e.to_string() })?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

/// Opens `folder` in `target` with the user's `choices`, reading the process's environment
/// and PATH (and the login shell's PATH, as for agents).
pub fn open(target: OpenIn, folder: &Path, choices: &Choices<'_>) -> Result<Launch> {
    if !folder.is_dir() {
        return Err(Error::invalid("folder", format!("'{}' is not a folder (was it removed?)", folder.display())));
    }
    let l = plan(target, folder, choices, &|v| std::env::var_os(v), &crate::agents::find_program)?;
    start(&l)?;
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(names: &'static [&'static str]) -> impl Fn(&str) -> Option<PathBuf> {
        move |n| names.contains(&n).then(|| PathBuf::from("/usr/bin").join(n))
    }

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| OsString::from(v))
    }

    fn argv(l: &Launch) -> Vec<String> {
        std::iter::once(l.program.to_string_lossy().into_owned()).chain(l.args.iter().map(|a| a.to_string_lossy().into_owned())).collect()
    }

    const WT: &str = "/data/worktrees/repo-1/feature";

    #[test]
    fn the_editor_is_the_setting_then_visual_then_editor_then_the_desktop_default() {
        let wt = Path::new(WT);
        let none = Choices::default();
        let set = ["code".to_string(), "--new-window".to_string()];
        let chosen = Choices { editor: &set, terminal: &[] };
        let f = found(&["code", "subl", "gedit", "xdg-open", "xterm"]);
        let l = plan(OpenIn::Editor, wt, &chosen, &env(&[("VISUAL", "subl")]), &f).unwrap();
        assert_eq!(argv(&l), ["/usr/bin/code", "--new-window", WT]);
        assert_eq!(l.cwd, wt);
        let l = plan(OpenIn::Editor, wt, &none, &env(&[("VISUAL", "subl -w"), ("EDITOR", "gedit")]), &f).unwrap();
        assert_eq!(argv(&l), ["/usr/bin/subl", "-w", WT]);
        let l = plan(OpenIn::Editor, wt, &none, &env(&[("VISUAL", " "), ("EDITOR", "gedit")]), &f).unwrap();
        assert_eq!(argv(&l), ["/usr/bin/gedit", WT]);
        let l = plan(OpenIn::Editor, wt, &none, &env(&[]), &f).unwrap();
        assert_eq!(argv(&l), ["/usr/bin/xdg-open", WT]);
    }

    #[test]
    fn a_terminal_editor_opens_in_a_terminal() {
        let wt = Path::new(WT);
        let l = plan(OpenIn::Editor, wt, &Choices::default(), &env(&[("EDITOR", "vim")]), &found(&["vim", "konsole", "xterm"])).unwrap();
        assert_eq!(argv(&l), ["/usr/bin/konsole", "-e", "vim", WT]);
        let l = plan(OpenIn::Editor, wt, &Choices::default(), &env(&[("EDITOR", "/usr/bin/nvim")]), &found(&["gnome-terminal"])).unwrap();
        assert_eq!(argv(&l), ["/usr/bin/gnome-terminal", "--", "/usr/bin/nvim", WT]);
    }

    #[test]
    fn the_terminal_is_the_setting_else_the_first_found_and_starts_in_the_folder() {
        let wt = Path::new(WT);
        let l = plan(OpenIn::Terminal, wt, &Choices::default(), &env(&[]), &found(&["xterm", "konsole"])).unwrap();
        assert_eq!((argv(&l), l.cwd.as_path()), (vec!["/usr/bin/konsole".to_string()], wt));
        let l = plan(OpenIn::Terminal, wt, &Choices::default(), &env(&[]), &found(&["xterm", "x-terminal-emulator"])).unwrap();
        assert_eq!(argv(&l), ["/usr/bin/x-terminal-emulator"]);
        let set = ["kitty".to_string(), "--single-instance".to_string()];
        let l = plan(OpenIn::Terminal, wt, &Choices { editor: &[], terminal: &set }, &env(&[]), &found(&["kitty", "xterm"])).unwrap();
        assert_eq!(argv(&l), ["/usr/bin/kitty", "--single-instance"]);
    }

    #[test]
    fn nothing_found_is_a_clear_error_naming_what_was_tried() {
        let wt = Path::new(WT);
        let e = plan(OpenIn::Terminal, wt, &Choices::default(), &env(&[]), &found(&[])).unwrap_err().to_string();
        assert!(e.contains("no terminal found") && e.contains("gnome-terminal, konsole") && e.contains("Settings"), "{e}");
        let e = plan(OpenIn::Editor, wt, &Choices::default(), &env(&[("EDITOR", "zed")]), &found(&[])).unwrap_err().to_string();
        assert!(e.contains("'zed' was not found"), "{e}");
        let e = plan(OpenIn::FileManager, wt, &Choices::default(), &env(&[]), &found(&[])).unwrap_err().to_string();
        assert!(e.contains("'xdg-open' was not found"), "{e}");
        let e = plan(OpenIn::Editor, wt, &Choices::default(), &env(&[("EDITOR", "vim")]), &found(&["vim"])).unwrap_err().to_string();
        assert!(e.contains("no terminal found"), "vim needs a terminal: {e}");
    }
}

//! The user's own terminal, for `switchboard run --mode terminal`, where the CLI shows the
//! session's terminal in place: raw mode while attached (every key goes to the session's
//! CLI, Ctrl-C included), restored when the guard drops, and the terminal's size.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg, Termios};

mod ioctl {
    nix::ioctl_read_bad!(tiocgwinsz, nix::libc::TIOCGWINSZ, nix::libc::winsize);
}

/// Raw mode on standard input while alive; the saved settings come back on drop (also when
/// the command fails or unwinds).
pub struct RawMode {
    fd: OwnedFd,
    saved: Termios,
}

impl RawMode {
    /// Puts standard input in raw mode; None when it is not a terminal (a pipe, a file).
    pub fn enter() -> std::io::Result<Option<RawMode>> {
        let stdin = std::io::stdin();
        if !nix::unistd::isatty(stdin.as_fd()).unwrap_or(false) {
            return Ok(None);
        }
        let fd = stdin.as_fd().try_clone_to_owned()?;
        let saved = tcgetattr(&fd)?;
        let mut raw = saved.clone();
        cfmakeraw(&mut raw);
        tcsetattr(&fd, SetArg::TCSANOW, &raw)?;
        Ok(Some(RawMode { fd, saved }))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = tcsetattr(&self.fd, SetArg::TCSANOW, &self.saved);
    }
}

/// The size (columns, rows) of the terminal standard output is, if it is one.
pub fn stdout_size() -> Option<(u16, u16)> {
    let stdout = std::io::stdout();
    let mut ws = nix::libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one winsize into `ws`; a non-terminal fails with ENOTTY.
    unsafe { ioctl::tiocgwinsz(stdout.as_fd().as_raw_fd(), &mut ws) }.ok()?;
    (ws.ws_col > 0 && ws.ws_row > 0).then_some((ws.ws_col, ws.ws_row))
}

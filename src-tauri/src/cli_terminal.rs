//! `switchboard run --mode terminal`: this process hosts the session's terminal and shows it
//! in place, as if `claude` ran here — raw mode, every key to the session (Ctrl-C too), the
//! size following this terminal — while Switchboard records it like any session. The app
//! lists it with its status and shows its screen (saved every few seconds; input there
//! works once the app hosts it, i.e. after a Resume).
//!
//! Nothing outlives this command: when it is stopped (Ctrl-C is a key here, so SIGTERM or
//! SIGHUP, e.g. the terminal window closing), the engine's shutdown stops the session's CLI
//! (`/exit`, then signals) and marks it Interrupted; killed with -9, its terminal hangs up
//! (the CLI exits on SIGHUP) and the next Switchboard to open the store settles the row.

use std::io::{Read, Write};

use switchboard_core::{local_terminal, Engine, Result, Session, TerminalChunk};

/// Input read from this terminal at most at once.
const STDIN_CHUNK: usize = 4096;

/// Shows a just-created terminal session here until its CLI exits; returns it settled.
/// With `json`, the screen is not printed (the session JSON follows at the end); input is
/// still passed on, so a script can pipe keys (`/exit`) into it.
pub async fn show(engine: &Engine, session: &Session, json: bool) -> Result<Session> {
    let id = session.id.clone();
    let (view, viewer) = engine.terminal_attach(&id)?;
    let Some(mut viewer) = viewer else {
        return crate::cli::settle(engine, &id).await;
    };
    crate::cli::print_error(&format!(
        "session {id} runs here (Claude Code in terminal mode); the app shows it as well. Leave with /exit; \
         stopping this command stops it (resume it later from the app or with `switchboard send`)."
    ));
    if !json {
        if let Some((cols, rows)) = local_terminal::stdout_size() {
            let _ = engine.terminal_resize(&id, cols, rows);
        }
    }
    let _raw = if json { None } else { local_terminal::RawMode::enter().ok().flatten() };
    let mut stdout = std::io::stdout();
    let mut print = |bytes: &[u8]| {
        if !json {
            let _ = stdout.write_all(bytes);
            let _ = stdout.flush();
        }
    };
    print(&decode(&view.data_b64));
    forward_input(engine.clone(), id.clone());
    let mut resized = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok();
    loop {
        let next = async {
            match resized.as_mut() {
                Some(r) => r.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            chunk = viewer.next() => match chunk {
                Some(TerminalChunk::Data { data_b64 }) => print(&decode(&data_b64)),
                Some(TerminalChunk::Ended { .. }) | None => break,
            },
            _ = next => {
                if let (false, Some((cols, rows))) = (json, local_terminal::stdout_size()) {
                    let _ = engine.terminal_resize(&id, cols, rows);
                }
            }
        }
    }
    drop(_raw);
    print(b"\r\n");
    crate::cli::settle(engine, &id).await
}

fn decode(b64: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap_or_default()
}

/// Passes what is typed here (or piped in) to the session, on a thread of its own (stdin
/// blocks); it ends at end of input or once the session no longer takes input.
fn forward_input(engine: Engine, id: String) {
    let spawned = std::thread::Builder::new().name("terminal-stdin".into()).spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = [0u8; STDIN_CHUNK];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if engine.terminal_input(&id, &buf[..n]).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot read input for the terminal session");
    }
}

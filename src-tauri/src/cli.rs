//! The command line: parsed before Tauri starts; a subcommand runs headless and exits.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use switchboard_core::{AgentKind, Engine, EngineConfig, Session, SessionFilter};

#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about = "Start, watch and steer coding-agent sessions.")]
pub struct Cli {
    /// Where sessions are stored [default: $SWITCHBOARD_DATA_DIR, else ~/.local/share/switchboard]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List sessions, newest first
    Ls {
        /// Only sessions in this status (running, idle, waiting_input, error, ended, …)
        #[arg(long)]
        status: Vec<String>,
        /// Only sessions of this agent (claude, codex, gemini, command)
        #[arg(long)]
        agent: Option<String>,
        /// Only sessions linked to this task
        #[arg(long)]
        task: Option<String>,
        /// Print a JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
}

/// Runs a subcommand; returns the process exit code.
pub fn run(engine: &Engine, command: Command) -> switchboard_core::Result<i32> {
    match command {
        Command::Ls { status, agent, task, json } => {
            let filter = SessionFilter {
                statuses: status,
                agent: agent.map(|a| a.parse::<AgentKind>()).transpose()?,
                task_id: task,
                ..Default::default()
            };
            let sessions = engine.list(&filter)?;
            let mut out = std::io::stdout().lock();
            if json {
                let text = serde_json::to_string_pretty(&sessions).map_err(|e| switchboard_core::Error::Corrupt(e.to_string()))?;
                let _ = writeln!(out, "{text}");
            } else {
                print_table(&mut out, &sessions);
            }
            Ok(0)
        }
    }
}

fn print_table(out: &mut impl Write, sessions: &[Session]) {
    if sessions.is_empty() {
        let _ = writeln!(out, "No sessions. Start one in the app (New session).");
        return;
    }
    let _ = writeln!(out, "{:<44} {:<8} {:<13} {:<30} {}", "ID", "AGENT", "STATUS", "TITLE", "FOLDER");
    for s in sessions {
        let title: String = s.title.chars().take(30).collect();
        let _ = writeln!(out, "{:<44} {:<8} {:<13} {:<30} {}", s.id, s.agent, s.status.name(), title, s.cwd);
    }
}

/// Opens the engine for the CLI (no reconciliation: the app may own the live sessions).
pub fn open_engine(data_dir: Option<&std::path::Path>) -> switchboard_core::Result<Engine> {
    let dir = switchboard_core::paths::resolve_data_dir(data_dir)?;
    Engine::open(&dir, EngineConfig::default())
}

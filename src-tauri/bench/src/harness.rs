//! What every benchmark shares: the mode and its sizes, the context (paths, the fake agent,
//! engines and commands) and the `progress!` macro.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use switchboard_core::*;

/// The app's output channel batching (src-tauri/src/commands.rs `subscribe_output`).
pub(crate) const BATCH_INTERVAL: Duration = Duration::from_millis(25);
pub(crate) const BATCH_MAX: usize = 2_000;

pub(crate) const MB: f64 = 1e6;

pub(crate) static START: OnceLock<Instant> = OnceLock::new();

pub(crate) fn since_start() -> f64 {
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

macro_rules! progress {
    ($($a:tt)*) => {{
        eprintln!("[bench {:>6.1}s] {}", $crate::harness::since_start(), format!($($a)*));
    }};
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    Smoke,
    Quick,
    Full,
}

impl Mode {
    pub(crate) fn from_env() -> Mode {
        match std::env::var("QUICK").unwrap_or_default().trim() {
            "" | "0" => Mode::Full,
            "smoke" => Mode::Smoke,
            _ => Mode::Quick,
        }
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Smoke => "smoke (QUICK=smoke)",
            Mode::Quick => "quick (QUICK=1)",
            Mode::Full => "full",
        }
    }
}

/// How big each benchmark is in each mode.
#[derive(Clone, Debug)]
pub(crate) struct Sizes {
    /// Bytes of realistic stream-json (`--big-every 200`) through one session.
    pub(crate) ingest_bytes: u64,
    /// 200-byte lines for the entries/s figure.
    pub(crate) ingest_small_lines: u64,
    pub(crate) latency_slow_lines: u32,
    pub(crate) latency_fast_lines: u32,
    pub(crate) mem_single_bytes: u64,
    pub(crate) mem_multi_sessions: u32,
    pub(crate) mem_multi_bytes: u64,
    pub(crate) scale_sessions: u32,
    pub(crate) scale_secs: u32,
    pub(crate) idle_secs: u32,
    pub(crate) store_sessions: usize,
    pub(crate) store_entries: u64,
    /// Entries of the one big session whose tail is read (the rest is spread out).
    pub(crate) store_big: u64,
    pub(crate) store_pool_lines: u32,
    pub(crate) spawn_runs: u32,
    /// Sessions streaming at once while the search indexer's lag is timed, for how long,
    /// and their bytes per second in total.
    pub(crate) indexer_sessions: u32,
    pub(crate) indexer_secs: u32,
    pub(crate) indexer_bytes_per_s: u64,
    /// Claude Code transcripts imported, their total size and how many project folders.
    pub(crate) import_files: u64,
    pub(crate) import_bytes: u64,
    pub(crate) import_projects: u64,
    /// Lines appended one at a time to one followed transcript, and the pause between them.
    pub(crate) import_appends: u32,
    pub(crate) import_append_gap_ms: u64,
}

impl Sizes {
    pub(crate) fn of(mode: Mode) -> Sizes {
        match mode {
            Mode::Full => Sizes {
                ingest_bytes: 1_000_000_000,
                ingest_small_lines: 2_000_000,
                latency_slow_lines: 300,
                latency_fast_lines: 5_000,
                mem_single_bytes: 1_000_000_000,
                mem_multi_sessions: 20,
                mem_multi_bytes: 100_000_000,
                scale_sessions: 100,
                scale_secs: 60,
                idle_secs: 20,
                store_sessions: 100_000,
                store_entries: 10_000_000,
                store_big: 1_000_000,
                store_pool_lines: 20_000,
                spawn_runs: 21,
                indexer_sessions: 20,
                indexer_secs: 60,
                indexer_bytes_per_s: 1_000_000,
                import_files: 500,
                import_bytes: 400_000_000,
                import_projects: 20,
                import_appends: 60,
                import_append_gap_ms: 1000,
            },
            Mode::Quick => Sizes {
                ingest_bytes: 50_000_000,
                ingest_small_lines: 300_000,
                latency_slow_lines: 50,
                latency_fast_lines: 1_000,
                mem_single_bytes: 200_000_000,
                mem_multi_sessions: 5,
                mem_multi_bytes: 20_000_000,
                scale_sessions: 20,
                scale_secs: 10,
                idle_secs: 5,
                store_sessions: 10_000,
                store_entries: 200_000,
                store_big: 20_000,
                store_pool_lines: 5_000,
                spawn_runs: 9,
                indexer_sessions: 20,
                indexer_secs: 20,
                indexer_bytes_per_s: 1_000_000,
                import_files: 100,
                import_bytes: 40_000_000,
                import_projects: 10,
                import_appends: 20,
                import_append_gap_ms: 250,
            },
            Mode::Smoke => Sizes {
                ingest_bytes: 3_000_000,
                ingest_small_lines: 10_000,
                latency_slow_lines: 5,
                latency_fast_lines: 50,
                mem_single_bytes: 5_000_000,
                mem_multi_sessions: 2,
                mem_multi_bytes: 1_000_000,
                scale_sessions: 3,
                scale_secs: 3,
                idle_secs: 1,
                store_sessions: 1_000,
                store_entries: 10_000,
                store_big: 2_000,
                store_pool_lines: 500,
                spawn_runs: 2,
                indexer_sessions: 3,
                indexer_secs: 3,
                indexer_bytes_per_s: 200_000,
                import_files: 10,
                import_bytes: 2_000_000,
                import_projects: 3,
                import_appends: 5,
                import_append_gap_ms: 50,
            },
        }
    }
}

pub(crate) struct Ctx {
    pub(crate) mode: Mode,
    pub(crate) sizes: Sizes,
    pub(crate) root: PathBuf,
    pub(crate) out: PathBuf,
    pub(crate) tmp: PathBuf,
    pub(crate) node: PathBuf,
    pub(crate) agent: PathBuf,
}

impl Ctx {
    pub(crate) fn new(mode: Mode) -> Ctx {
        let root = std::env::var_os("BENCH_ROOT").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
        let root = root.canonicalize().expect("the repository root");
        let out = root.join("target/bench");
        let tmp = out.join("tmp");
        let node = which("node").expect("node is not on PATH (the fake agent needs it)");
        let agent = root.join("tests/fake-agent/agent.mjs");
        assert!(agent.exists(), "missing {}", agent.display());
        Ctx { mode, sizes: Sizes::of(mode), root, out, tmp, node, agent }
    }

    /// A fresh, empty directory under target/bench/tmp.
    pub(crate) fn dir(&self, name: &str) -> PathBuf {
        let d = self.tmp.join(name);
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("create a bench directory");
        d
    }

    pub(crate) fn engine(&self, dir: &Path) -> Engine {
        let config = EngineConfig { max_live_sessions: 10_000, ..Default::default() };
        Engine::open(dir, config).expect("open the engine")
    }

    pub(crate) fn agent_args(&self, args: &[&str]) -> Vec<String> {
        std::iter::once(self.agent.to_string_lossy().into_owned()).chain(args.iter().map(|s| s.to_string())).collect()
    }

    /// A `command` session running the fake agent with `args`.
    pub(crate) fn command(&self, args: &[&str]) -> NewSession {
        NewSession {
            agent: Some(AgentKind::Command),
            cwd: self.root.to_string_lossy().into_owned(),
            config: SessionConfig {
                program: Some(self.node.to_string_lossy().into_owned()),
                args: self.agent_args(args),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    pub(crate) fn std_command(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(&self.node);
        c.args(self.agent_args(args)).stdin(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        c
    }

    pub(crate) fn tokio_command(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(&self.node);
        c.args(self.agent_args(args))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        c
    }
}

pub(crate) fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|p| p.is_file()))
}

//! Logs go to stderr and to a daily-rotated file in the data directory (`logs/switchboard.log.*`).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// How many rotated log files are kept: a week of daily files.
const MAX_LOG_FILES: usize = 7;

/// Installs the global subscriber. Keep the returned guard alive until exit so the file
/// writer flushes. `RUST_LOG` overrides the default level (`info`). Calling it twice is
/// harmless (the second call keeps the first subscriber).
pub fn init(data_dir: &Path, stderr: bool) -> Option<WorkerGuard> {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = std::fs::create_dir_all(data_dir.join("logs"));
    let file = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix("switchboard")
        .filename_suffix("log")
        .max_log_files(MAX_LOG_FILES)
        .build(data_dir.join("logs"))
        .ok();
    let (file_layer, guard) = match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (Some(fmt::layer().with_ansi(false).with_writer(writer).with_filter(filter())), Some(guard))
        }
        None => (None, None),
    };
    let stderr_layer = stderr.then(|| fmt::layer().with_writer(std::io::stderr).with_filter(filter()));
    let _ = tracing_subscriber::registry().with(file_layer).with(stderr_layer).try_init();
    guard
}

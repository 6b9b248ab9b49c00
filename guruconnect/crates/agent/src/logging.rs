//! Logs to stderr and, when a directory is given, to a daily file there (seven kept), so a
//! service's history survives without a console.

use std::path::Path;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Keeps the file writer flushing; hold it for the life of the program.
pub type Guard = Option<tracing_appender::non_blocking::WorkerGuard>;

/// Logging as `settings` ask: their level (default info) and directory (default per platform).
pub fn init_from(settings: &crate::config::Settings) -> Guard {
    let dir = settings
        .log_dir
        .clone()
        .unwrap_or_else(crate::config::default_log_dir);
    init(settings.log_level.as_deref().unwrap_or("info"), Some(&dir))
}

pub fn init(level: &str, dir: Option<&Path>) -> Guard {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = fmt::layer().with_writer(std::io::stderr);
    let (file, guard, problem) = match dir.map(file_writer) {
        Some(Ok((writer, guard))) => (
            Some(fmt::layer().with_ansi(false).with_writer(writer)),
            Some(guard),
            None,
        ),
        Some(Err(e)) => (None, None, Some(e)),
        None => (None, None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .try_init();
    if let (Some(dir), Some(problem)) = (dir, problem) {
        tracing::warn!(dir = %dir.display(), %problem, "cannot write log files; logging to stderr only");
    }
    guard
}

fn file_writer(
    dir: &Path,
) -> Result<
    (
        tracing_appender::non_blocking::NonBlocking,
        tracing_appender::non_blocking::WorkerGuard,
    ),
    String,
> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("agent")
        .filename_suffix("log")
        .max_log_files(7)
        .build(dir)
        .map_err(|e| e.to_string())?;
    Ok(tracing_appender::non_blocking(appender))
}

//! Logging: stderr, where systemd's journal rotates it, plus daily files
//! that keep `logging.max_files` days, because a Windows service has neither stderr nor a
//! journal. Every line is ASCII (the earlier agent's logs broke on anything else): anything else a hostname, path or OS
//! message carries is written as a `\u{..}` escape, control characters too.

use crate::config::LoggingConfig;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::{self, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Log files are `gururmm-agent.YYYY-MM-DD.log` (UTC days).
pub const FILE_PREFIX: &str = "gururmm-agent";
pub const FILE_SUFFIX: &str = "log";

/// Starts logging: `RUST_LOG` (default `info`) to stderr and, unless `logging.file = false`,
/// to the daily files. A directory that cannot be written is reported on stderr and the agent
/// runs on without files rather than not at all.
pub fn init(config: &LoggingConfig) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = fmt::layer()
        .with_ansi(false)
        .with_writer(AsciiWriter(io::stderr));
    let dir = config.directory.clone().unwrap_or_else(default_dir);
    let opened = config
        .file
        .then(|| DailyFiles::open(&dir, config.max_files))
        .transpose();
    let (files, problem) = match opened {
        Ok(files) => (files, None),
        Err(e) => (None, Some(e)),
    };
    let file = files.map(|files| {
        fmt::layer()
            .with_ansi(false)
            .with_writer(AsciiWriter(files))
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .try_init();
    if let Some(problem) = problem {
        tracing::warn!(dir = %dir.display(), %problem, "cannot write log files; logging to stderr only");
    }
}

/// The daily log files in one directory: tracing-appender rolls over to a new file at each
/// UTC day; removing old days is ours, by the date in the file name, because the appender's
/// own pruning orders files by creation time, which a copied or restored directory loses.
pub struct DailyFiles {
    appender: RollingFileAppender,
    dir: PathBuf,
    max_files: usize,
    /// The day pruning last ran for: it runs once at the first line of each day.
    pruned_for: Mutex<String>,
}

impl DailyFiles {
    pub fn open(dir: &Path, max_files: usize) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let appender = RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix(FILE_PREFIX)
            .filename_suffix(FILE_SUFFIX)
            .build(dir)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            appender,
            dir: dir.to_owned(),
            max_files,
            pruned_for: Mutex::new(String::new()),
        })
    }

    fn prune_once_a_day(&self) {
        let today = utc_day(time::OffsetDateTime::now_utc());
        let mut pruned_for = self.pruned_for.lock().unwrap_or_else(|p| p.into_inner());
        if *pruned_for != today {
            prune(&self.dir, self.max_files, &today);
            *pruned_for = today;
        }
    }
}

impl<'a> MakeWriter<'a> for DailyFiles {
    type Writer = tracing_appender::rolling::RollingWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        self.prune_once_a_day();
        self.appender.make_writer()
    }
}

/// `YYYY-MM-DD`, as the appender names a day's file.
pub fn utc_day(at: time::OffsetDateTime) -> String {
    let d = at.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The day in a log file's name (`gururmm-agent.YYYY-MM-DD.log`), None for other files.
fn day_of(file_name: &str) -> Option<&str> {
    let day = file_name
        .strip_prefix(FILE_PREFIX)?
        .strip_prefix('.')?
        .strip_suffix(FILE_SUFFIX)?
        .strip_suffix('.')?;
    let digits_and_dashes = day.char_indices().all(|(i, c)| {
        if i == 4 || i == 7 {
            c == '-'
        } else {
            c.is_ascii_digit()
        }
    });
    (day.len() == 10 && digits_and_dashes).then_some(day)
}

/// Removes the oldest log files in `dir` so that at most `max_files` days remain, `today`'s
/// counted even before its file exists (it is about to be written). Files not named like ours
/// are never touched; a file that cannot be removed is reported on stderr (logging would
/// recurse here) and left.
pub fn prune(dir: &Path, max_files: usize, today: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut old: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let day = day_of(e.file_name().to_str()?)?.to_owned();
            (day.as_str() < today).then(|| (day, e.path()))
        })
        .collect();
    // Newest first; today's file takes one of the places.
    old.sort_by(|a, b| b.0.cmp(&a.0));
    for (_, path) in old.iter().skip(max_files.saturating_sub(1)) {
        if let Err(e) = std::fs::remove_file(path) {
            eprintln!("cannot remove old log file {}: {e}", path.display());
        }
    }
}

/// Where log files go unless `logging.directory` says otherwise.
#[cfg(windows)]
pub fn default_dir() -> PathBuf {
    default_dir_windows(std::env::var_os("ProgramData"))
}

/// Where log files go unless `logging.directory` says otherwise.
#[cfg(unix)]
pub fn default_dir() -> PathBuf {
    default_dir_unix(
        nix::unistd::geteuid().is_root(),
        std::env::var_os("XDG_STATE_HOME"),
        std::env::var_os("HOME"),
    )
}

/// `%ProgramData%\GuruRMM\Logs`, beside the service's agent.toml.
#[cfg(windows)]
fn default_dir_windows(program_data: Option<std::ffi::OsString>) -> PathBuf {
    PathBuf::from(program_data.unwrap_or_else(|| r"C:\ProgramData".into()))
        .join("GuruRMM")
        .join("Logs")
}

/// Root: `/var/log/gururmm`. Anyone else cannot write there, so their XDG state directory
/// (`$XDG_STATE_HOME/gururmm`, else `~/.local/state/gururmm`; `./logs` with no home at all).
pub fn default_dir_unix(
    root: bool,
    xdg_state_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> PathBuf {
    if root {
        return PathBuf::from("/var/log/gururmm");
    }
    // The XDG spec ignores a relative XDG_STATE_HOME.
    let state = xdg_state_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.map(|h| PathBuf::from(h).join(".local/state")));
    state.map_or_else(|| PathBuf::from("logs"), |s| s.join("gururmm"))
}

/// True for what a log line may not carry as it is: anything but printable ASCII, newline
/// and tab.
fn needs_escape(c: char) -> bool {
    !(c == '\n' || c == '\t' || (c.is_ascii() && !c.is_ascii_control()))
}

/// `text` with every character [`needs_escape`] names written as `\u{..}`.
pub fn ascii_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Makes writers that escape what is not ASCII (see [`ascii_escaped`]).
struct AsciiWriter<M>(M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for AsciiWriter<M> {
    type Writer = Ascii<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        Ascii(self.0.make_writer())
    }
}

/// One event's writer. The formatter hands over each line whole, so a character is never
/// split between two writes.
struct Ascii<W>(W);

impl<W: Write> Write for Ascii<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) if !text.chars().any(needs_escape) => self.0.write_all(buf)?,
            _ => self
                .0
                .write_all(ascii_escaped(&String::from_utf8_lossy(buf)).as_bytes())?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log files in `dir`, by name.
    fn log_files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(FILE_PREFIX))
            .collect();
        names.sort();
        names
    }

    fn name(day: &str) -> String {
        format!("{FILE_PREFIX}.{day}.{FILE_SUFFIX}")
    }

    #[test]
    fn at_most_max_files_days_are_kept_and_the_oldest_go_first() {
        let dir = tempfile::tempdir().expect("dir");
        // Past days written out of order (as a restored directory would have them), and files
        // that are not ours.
        for day in [5, 10, 1, 9, 3, 7, 2, 8, 4, 6] {
            std::fs::write(dir.path().join(name(&format!("2020-01-{day:02}"))), "old\n")
                .expect("write");
        }
        std::fs::write(dir.path().join("notes.txt"), "keep\n").expect("write");
        std::fs::write(dir.path().join(name("backup")), "keep\n").expect("write");
        prune(dir.path(), 3, "2020-01-11");
        assert_eq!(
            log_files(dir.path()),
            [name("2020-01-09"), name("2020-01-10"), name("backup")],
            "two past days and the place for today's"
        );
        assert!(dir.path().join("notes.txt").exists(), "not ours: untouched");
        // Once today's file exists it is kept and counted.
        std::fs::write(dir.path().join(name("2020-01-11")), "today\n").expect("write");
        prune(dir.path(), 2, "2020-01-11");
        assert_eq!(
            log_files(dir.path()),
            [name("2020-01-10"), name("2020-01-11"), name("backup")]
        );
        prune(dir.path(), 1, "2020-01-11");
        assert_eq!(log_files(dir.path()), [name("2020-01-11"), name("backup")]);
    }

    #[test]
    fn the_agents_files_prune_when_the_first_line_of_a_day_is_written() {
        let dir = tempfile::tempdir().expect("dir");
        for day in 1..=10 {
            std::fs::write(dir.path().join(name(&format!("2020-01-{day:02}"))), "old\n")
                .expect("write");
        }
        let files = DailyFiles::open(dir.path(), 3).expect("open");
        files
            .make_writer()
            .write_all(b"first line\n")
            .expect("write");
        files
            .make_writer()
            .write_all(b"second line\n")
            .expect("write");
        let today = name(&utc_day(time::OffsetDateTime::now_utc()));
        let kept = log_files(dir.path());
        assert_eq!(kept.len(), 3, "{kept:?}");
        assert_eq!(kept[..2], [name("2020-01-09"), name("2020-01-10")]);
        // Across midnight the newest file may already be tomorrow's; it is today's otherwise.
        assert!(kept[2] >= today, "{kept:?}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(&kept[2])).expect("read"),
            "first line\nsecond line\n"
        );
    }

    #[test]
    fn the_default_directory_follows_the_platform() {
        assert_eq!(
            default_dir_unix(true, None, Some("/root".into())),
            Path::new("/var/log/gururmm")
        );
        assert_eq!(
            default_dir_unix(false, None, Some("/home/ann".into())),
            Path::new("/home/ann/.local/state/gururmm")
        );
        assert_eq!(
            default_dir_unix(false, Some("/state".into()), Some("/home/ann".into())),
            Path::new("/state/gururmm")
        );
        assert_eq!(
            default_dir_unix(false, Some("rel".into()), Some("/home/ann".into())),
            Path::new("/home/ann/.local/state/gururmm"),
            "a relative XDG_STATE_HOME is ignored"
        );
    }

    #[test]
    fn what_is_not_ascii_is_escaped() {
        assert_eq!(ascii_escaped("plain line\n"), "plain line\n");
        assert_eq!(
            ascii_escaped("host caf\u{e9} \u{2714}\u{1b}[31m\r"),
            "host caf\\u{e9} \\u{2714}\\u{1b}[31m\\u{d}"
        );
        let mut out = Ascii(Vec::new());
        out.write_all("d\u{e9}j\u{e0} vu\n".as_bytes())
            .expect("write");
        assert_eq!(out.0, b"d\\u{e9}j\\u{e0} vu\n");
    }
}

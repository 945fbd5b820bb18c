//! What the user sees besides the report: logs, the progress spinner, colors. All of it on
//! stderr, so stdout carries the report alone.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing::level_filters::LevelFilter;
use tracing::{Level, Metadata};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

use crate::cli::GlobalArgs;
use crate::engine::{Progress, Status};
use crate::secrets::redact;

const OURS: &str = "bedrock_preflight";

pub fn init_logging(global: &GlobalArgs) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let (filter, invalid) = log_filter(global.quiet, global.verbose, rust_log.as_deref());
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(LogLines)
        .with_ansi(use_color(global.no_color, std::io::stderr().is_terminal()))
        .without_time()
        .with_target(false);
    // A second init (tests calling `run` twice) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        // Never trace, whatever RUST_LOG says: the SDK traces each request and answer whole,
        // headers and bodies.
        .with(LevelFilter::DEBUG)
        .with(filter)
        .with(layer)
        .try_init();
    if let Some(why) = invalid {
        tracing::warn!("RUST_LOG is ignored: {why}");
    }
}

/// `-q`: errors only. Else `RUST_LOG` when set (`target=level` directives, comma-separated),
/// else the `-v` count: `-v` one line per AWS call, `-vv` each attempt's request ID and each
/// retry, `-vvv` the SDK's own debug. The error says why `RUST_LOG` was not taken.
fn log_filter(quiet: bool, verbose: u8, rust_log: Option<&str>) -> (Targets, Option<String>) {
    let levels = |ours: LevelFilter, sdk: LevelFilter| {
        Targets::new().with_target(OURS, ours).with_default(sdk)
    };
    if quiet {
        return (levels(LevelFilter::ERROR, LevelFilter::ERROR), None);
    }
    let mapped = match verbose {
        0 => levels(LevelFilter::WARN, LevelFilter::ERROR),
        1 => levels(LevelFilter::INFO, LevelFilter::WARN),
        2 => levels(LevelFilter::DEBUG, LevelFilter::WARN),
        _ => levels(LevelFilter::DEBUG, LevelFilter::DEBUG),
    };
    match rust_log.map(str::trim).filter(|v| !v.is_empty()) {
        None => (mapped, None),
        Some(directives) => match directives.parse::<Targets>() {
            Ok(targets) => (targets, None),
            Err(error) => (mapped, Some(format!("{error} (it takes target=level,...)"))),
        },
    }
}

/// Where log lines go: stderr, each line whole through `redact`, above the progress bar when
/// one is drawn. A warning from outside this crate is written once: aws-config warns each time
/// it reads the shared config files, and a run reads them more than once.
struct LogLines;

impl<'a> MakeWriter<'a> for LogLines {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        LogLine {
            text: Vec::new(),
            once: false,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> LogLine {
        LogLine {
            text: Vec::new(),
            once: *meta.level() == Level::WARN && !meta.target().starts_with(OURS),
        }
    }
}

/// One event, buffered so that it is redacted and written whole when dropped.
struct LogLine {
    text: Vec<u8>,
    once: bool,
}

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        static WRITTEN_ONCE: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
        let text = redact(&String::from_utf8_lossy(&self.text));
        if self.once && !lock(&WRITTEN_ONCE).insert(text.clone()) {
            return;
        }
        let write = || {
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
        };
        let bar = lock(&DRAWN).clone();
        match bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

/// The progress bar on the terminal now, which log lines are written above.
static DRAWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Colors only for a terminal, and never with `--no-color` or `NO_COLOR` (no-color.org).
pub fn use_color(no_color_flag: bool, is_terminal: bool) -> bool {
    color_wanted(
        no_color_flag,
        is_terminal,
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

fn color_wanted(
    no_color_flag: bool,
    is_terminal: bool,
    no_color_env: Option<&std::ffi::OsStr>,
) -> bool {
    let no_color_env = no_color_env.is_some_and(|v| !v.is_empty());
    is_terminal && !no_color_flag && !no_color_env
}

/// Progress on stderr while checks run or a plan is applied. Drawn only when stderr is a
/// terminal, never with `-q`, and never when the report itself goes to stderr; cleared when
/// done or dropped, so that nothing of it is left in what follows.
pub struct Spinner(ProgressBar);

impl Spinner {
    /// `total` checks to run.
    pub fn new(quiet: bool, total: usize, report_on_stderr: bool) -> Self {
        Self::drawn(
            quiet,
            report_on_stderr,
            Some(total as u64),
            "{spinner} {pos}/{len} checks done  {msg}",
        )
    }

    /// Work of unknown length, described by `message`.
    pub fn working(quiet: bool, report_on_stderr: bool, message: &'static str) -> Self {
        let spinner = Self::drawn(quiet, report_on_stderr, None, "{spinner} {msg}");
        spinner.0.set_message(message);
        spinner
    }

    fn drawn(quiet: bool, report_on_stderr: bool, total: Option<u64>, template: &str) -> Self {
        let terminal = std::io::stderr().is_terminal();
        if !progress_wanted(quiet, terminal, report_on_stderr) {
            return Spinner(ProgressBar::hidden());
        }
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        *lock(&DRAWN) = Some(bar.clone());
        Spinner(bar)
    }

    pub fn finish(&self) {
        if !self.0.is_hidden() {
            self.0.finish_and_clear();
            lock(&DRAWN).take();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.finish();
    }
}

fn progress_wanted(quiet: bool, stderr_is_terminal: bool, report_on_stderr: bool) -> bool {
    !quiet && stderr_is_terminal && !report_on_stderr
}

impl Progress for Spinner {
    fn started(&self, check: &'static str) {
        self.0.set_message(check);
    }

    fn finished(&self, _check: &'static str, _status: Status) {
        self.0.inc(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn progress_only_on_a_terminal_free_of_the_report() {
        assert!(progress_wanted(false, true, false));
        assert!(!progress_wanted(false, false, false), "a pipe or a file");
        assert!(!progress_wanted(true, true, false), "-q");
        assert!(
            !progress_wanted(false, true, true),
            "the report is on stderr"
        );
    }

    #[test]
    fn rust_log_overrides_the_verbosity_but_not_quiet() {
        let enabled = |(targets, _): (Targets, Option<String>), target: &str, level: Level| {
            targets.would_enable(target, &level)
        };
        let sdk = "aws_smithy_runtime::client::orchestrator";
        assert!(!enabled(log_filter(false, 0, None), OURS, Level::INFO));
        assert!(enabled(log_filter(false, 1, None), OURS, Level::INFO));
        assert!(!enabled(log_filter(false, 1, None), OURS, Level::DEBUG));
        assert!(enabled(log_filter(false, 2, None), OURS, Level::DEBUG));
        assert!(!enabled(log_filter(false, 2, None), sdk, Level::DEBUG));
        assert!(enabled(log_filter(false, 3, None), sdk, Level::DEBUG));
        let rust_log = Some("aws_smithy_runtime=debug");
        assert!(enabled(log_filter(false, 0, rust_log), sdk, Level::DEBUG));
        assert!(!enabled(log_filter(false, 2, rust_log), OURS, Level::DEBUG));
        assert!(!enabled(log_filter(true, 0, rust_log), sdk, Level::WARN));
        assert!(enabled(log_filter(false, 0, Some("  ")), OURS, Level::WARN));
        let (invalid, why) = log_filter(false, 1, Some("ours=[loud]"));
        assert!(why.is_some());
        assert!(
            invalid.would_enable(OURS, &Level::INFO),
            "the -v mapping stays"
        );
    }

    #[test]
    fn color_needs_a_terminal_and_no_opt_out() {
        assert!(color_wanted(false, true, None));
        assert!(
            color_wanted(false, true, Some(OsStr::new(""))),
            "an empty NO_COLOR does not count"
        );
        assert!(!color_wanted(false, false, None));
        assert!(!color_wanted(true, true, None));
        assert!(!color_wanted(false, true, Some(OsStr::new("1"))));
    }
}

//! What the user sees besides the report: logs, the progress spinner, colors. All of it on
//! stderr, so stdout carries the report alone.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

use crate::cli::GlobalArgs;
use crate::engine::{Progress, Status};

pub fn init_logging(global: &GlobalArgs) {
    let (ours, sdk) = match (global.quiet, global.verbose) {
        (true, _) => (LevelFilter::ERROR, LevelFilter::ERROR),
        (false, 0) => (LevelFilter::WARN, LevelFilter::ERROR),
        (false, 1) => (LevelFilter::INFO, LevelFilter::WARN),
        // The SDK's debug and trace output can carry request details; never go below info.
        (false, _) => (LevelFilter::DEBUG, LevelFilter::INFO),
    };
    let filter = Targets::new()
        .with_target("bedrock_preflight", ours)
        .with_default(sdk);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(use_color(global.no_color, std::io::stderr().is_terminal()))
        .without_time()
        .with_target(false);
    // A second init (tests calling `run` twice) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .try_init();
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

/// A spinner on stderr while checks run; invisible when stderr is not a terminal.
pub struct Spinner(ProgressBar);

impl Spinner {
    pub fn new(global: &GlobalArgs, total: usize) -> Self {
        let visible = !global.quiet && std::io::stderr().is_terminal();
        if !visible {
            return Spinner(ProgressBar::hidden());
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos}/{len} checks done  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        Spinner(bar)
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
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

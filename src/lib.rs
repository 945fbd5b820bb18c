//! bedrock-preflight: will Claude calls on Amazon Bedrock work from here, and if not, what to
//! run to fix it. The binary is a thin layer over this library: `run` takes parsed arguments
//! and returns the process exit code.

pub mod aws;
pub mod checks;
pub mod cli;
mod commands;
pub mod engine;
pub mod iam;
pub mod models;
pub mod report;
pub mod target;
mod ui;

use cli::{Cli, Command};
use engine::Summary;

/// Why an invocation was refused before anything was sent: exit code 2, one line.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("{0} is not implemented yet")]
    NotImplemented(String),
    #[error("{0}")]
    Invalid(String),
}

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_ERROR: u8 = 3;

pub async fn run(cli: Cli) -> Result<u8, UsageError> {
    ui::init_logging(&cli.global);
    match &cli.command {
        Command::Doctor(args) => commands::doctor(&cli.global, args).await,
        Command::Checks(cli::ChecksCommand::List) => commands::checks_list(&cli.global),
        Command::Audit(_) => Err(UsageError::NotImplemented("audit".into())),
        Command::Policy(command) => commands::policy(&cli.global, command).await,
        Command::Setup(_) => Err(UsageError::NotImplemented("setup".into())),
    }
}

/// The exit code for a finished run, as the design defines it.
pub fn exit_code(summary: Summary, strict: bool) -> u8 {
    if summary.fail > 0 || (strict && summary.warn > 0) {
        EXIT_FAILED
    } else if summary.error > 0 {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_design() {
        let s = |warn, fail, error| Summary {
            pass: 1,
            warn,
            fail,
            error,
            skip: 1,
        };
        assert_eq!(exit_code(s(0, 0, 0), false), EXIT_OK);
        assert_eq!(exit_code(s(1, 0, 0), false), EXIT_OK);
        assert_eq!(exit_code(s(1, 0, 0), true), EXIT_FAILED);
        assert_eq!(exit_code(s(0, 1, 1), false), EXIT_FAILED);
        assert_eq!(exit_code(s(0, 0, 1), false), EXIT_ERROR);
        assert_eq!(exit_code(s(1, 0, 1), true), EXIT_FAILED);
    }
}

//! bedrock-preflight: will Claude calls on Amazon Bedrock work from here, and if not, what to
//! run to fix it. The binary is a thin layer over this library: `run` takes parsed arguments
//! and returns the process exit code.

/// `eprintln!` for text a value can reach (a setting, a policy, an AWS answer): secrets
/// blanked, control characters shown as escapes rather than obeyed by the terminal.
macro_rules! say {
    ($($arg:tt)*) => {
        ::std::eprintln!(
            "{}",
            $crate::report::escape::visible(&$crate::secrets::redact(&::std::format!($($arg)*)))
        )
    };
}

pub mod aws;
pub mod checks;
pub mod claude_code;
pub mod cli;
mod commands;
pub mod config;
pub mod domain;
pub mod engine;
pub mod files;
pub mod iam;
mod mcp;
pub mod plan;
pub mod policy;
mod remediation;
pub mod report;
pub mod secrets;
pub mod send;
pub mod setup;
mod shell;
mod ui;

use std::path::PathBuf;

pub use commands::{Machine, doctor_on};

use cli::{Cli, Command};
use engine::Summary;

/// Why a command ended without its result, with the exit code that says so.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The invocation or an input is invalid; nothing was sent.
    #[error("{0}")]
    Usage(String),
    /// Listed in `--help` but not built yet; nothing was sent.
    #[error("{0} is not implemented yet")]
    NotImplemented(String),
    /// The MCP server could not start or lost its client mid-message.
    #[error("mcp: {0}")]
    Mcp(String),
    /// The run happened but its report could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The command stopped before its result: a read it needs failed, or the account could
    /// not resolve what was asked (`findings` say how, when checks ran). Reported in the
    /// format asked for, with `code` (1 when a finding failed, else 3).
    #[error("{reason}")]
    Halted {
        reason: String,
        findings: Vec<engine::Finding>,
        code: u8,
    },
}

impl CommandError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Usage(_) | CommandError::NotImplemented(_) => EXIT_USAGE,
            CommandError::Output { .. } | CommandError::Mcp(_) => EXIT_ERROR,
            CommandError::Halted { code, .. } => *code,
        }
    }
}

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_ERROR: u8 = 3;

pub async fn run(cli: Cli) -> Result<u8, CommandError> {
    if cli.global.all_regions() && !matches!(cli.command, Command::Audit(_)) {
        return Err(CommandError::Usage(
            "--region all is for audit: name the regions here, like --region us-east-1,eu-west-1"
                .into(),
        ));
    }
    // As ruff refuses a setting its subcommand has no use for: a file named for a command
    // that reads none would otherwise look applied.
    let reads_config = matches!(cli.command, Command::Doctor(_) | Command::Audit(_));
    if let (Some(config), false) = (&cli.global.config, reads_config) {
        return Err(CommandError::Usage(format!(
            "--config {}: `{}` reads no configuration file (doctor and audit do)",
            config.display(),
            cli.command.name()
        )));
    }
    ui::init_logging(&cli.global);
    commands::check_out(&cli)?;
    // These write a script, a page or JSON-RPC: no report format applies.
    if matches!(
        cli.command,
        Command::Completions { .. } | Command::Man { .. } | Command::Mcp
    ) && cli.global.output != report::Format::Table
    {
        return Err(CommandError::Usage(format!(
            "--output does not apply to `{}`, which writes no report",
            cli.command.name()
        )));
    }
    // Each command's future is boxed: nested in one state machine, they are deeper than the
    // compiler's layout query allows in release builds.
    let result = match &cli.command {
        Command::Doctor(args) => Box::pin(commands::doctor(&cli.global, args)).await,
        Command::Checks(cli::ChecksCommand::List) => commands::checks_list(&cli.global),
        Command::Checks(cli::ChecksCommand::Explain { code }) => {
            commands::checks_explain(&cli.global, code)
        }
        Command::Audit(args) => Box::pin(commands::audit(&cli.global, args)).await,
        Command::Policy(command) => Box::pin(commands::policy(&cli.global, command)).await,
        Command::Setup(command) => Box::pin(commands::setup(&cli.global, command)).await,
        Command::Completions { shell } => commands::completions(*shell),
        Command::Man { dir } => commands::man(dir.as_deref()),
        Command::Mcp => Box::pin(mcp::serve(&cli.global)).await,
    };
    match result {
        Err(CommandError::Halted {
            reason,
            findings,
            code,
        }) => commands::halted(&cli, reason, findings).map(|()| code),
        other => other,
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
            suppressed: 1,
        };
        assert_eq!(exit_code(s(0, 0, 0), false), EXIT_OK);
        assert_eq!(exit_code(s(1, 0, 0), false), EXIT_OK);
        assert_eq!(exit_code(s(1, 0, 0), true), EXIT_FAILED);
        assert_eq!(exit_code(s(0, 1, 1), false), EXIT_FAILED);
        assert_eq!(exit_code(s(0, 0, 1), false), EXIT_ERROR);
        assert_eq!(exit_code(s(1, 0, 1), true), EXIT_FAILED);
    }

    #[test]
    fn only_invalid_input_exits_2() {
        let usage = CommandError::Usage("--model 'x' is not a model".into());
        assert_eq!(usage.exit_code(), EXIT_USAGE);
        let unwritable = CommandError::Output {
            path: "report.json".into(),
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(unwritable.exit_code(), EXIT_ERROR);
    }
}

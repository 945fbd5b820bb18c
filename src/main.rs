// `run`'s future is laid out here, where it is awaited, and the policy commands nest it past
// rustc's default depth of 128 queries (the boxing in `run` no longer suffices).
#![recursion_limit = "256"]
use std::process::ExitCode;

use bedrock_preflight::cli::Cli;
use bedrock_preflight::report::escape::visible;
use bedrock_preflight::secrets::redact;
use bedrock_preflight::{EXIT_ERROR, EXIT_USAGE, run};
use clap::Parser;
use clap::error::ErrorKind;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            let _ = error.print();
            return ExitCode::from(
                if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    EXIT_USAGE
                } else {
                    0
                },
            );
        }
        Err(error) => {
            eprintln!(
                "{}",
                visible(&redact(&one_line(&error.render().to_string())))
            );
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    // The run is a task of its own, so that a signal is seen even while the run is blocked
    // (opening a FIFO given as --out waits for a reader). On SIGINT or SIGTERM the task is
    // cancelled and given a moment to be dropped: that removes the temporary file of --out
    // and kills the children spawned with kill_on_drop (Claude Code's version probe, the MCP
    // server's calls). A task blocked in a system call cannot be dropped; the process exits
    // without it.
    let finished = runtime.block_on(async {
        let mut task = tokio::spawn(run(cli));
        tokio::select! {
            joined = &mut task => Ok(joined),
            signal = interrupted() => {
                task.abort();
                let _ = tokio::time::timeout(std::time::Duration::from_millis(500), task).await;
                Err(signal)
            }
        }
    });
    runtime.shutdown_background();
    match finished {
        Ok(Ok(Ok(code))) => ExitCode::from(code),
        Ok(Ok(Err(error))) => {
            eprintln!("error: {}", visible(&redact(&error.to_string())));
            ExitCode::from(error.exit_code())
        }
        // The run panicked outside any check (checks' panics are findings already).
        Ok(Err(joined)) => {
            eprintln!(
                "error: the run stopped unexpectedly: {}",
                visible(&redact(&joined.to_string()))
            );
            ExitCode::from(EXIT_ERROR)
        }
        Err(code) => ExitCode::from(code),
    }
}

/// Resolves on SIGINT or SIGTERM with the shell's exit code for it (128 + the signal).
async fn interrupted() -> u8 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = interrupt.recv() => 130,
            _ = terminate.recv() => 143,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        130
    }
}

/// clap's message, usage and tips folded into the one line the design promises.
fn one_line(rendered: &str) -> String {
    rendered
        .lines()
        .map(str::trim)
        .filter(|line| {
            !line.is_empty()
                && !line.starts_with("Usage:")
                && !line.starts_with("For more information")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

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
    // On SIGINT or SIGTERM the run is dropped, and with it whatever it holds: the temporary
    // file of --out is removed, a child process is killed.
    let finished = runtime.block_on(async {
        tokio::select! {
            result = run(cli) => Ok(result),
            signal = interrupted() => Err(signal),
        }
    });
    // A blocking read still under way must not hold the exit.
    runtime.shutdown_background();
    match finished {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(error)) => {
            eprintln!("error: {}", visible(&redact(&error.to_string())));
            ExitCode::from(error.exit_code())
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

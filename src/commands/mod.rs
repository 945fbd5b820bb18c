//! The subcommands: each turns arguments into a scope, runs its checks or its operation, and
//! hands one `Document` to `Output`, which renders it in the chosen format. `Output` is opened
//! before any AWS call, so that a bad `--output` or `--out` is an invocation error.

mod apply;
mod audit;
mod checks;
mod doctor;
mod emit;
mod policy;
mod setup;
mod templates;

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

pub use audit::audit;
pub use checks::checks_list;
pub use doctor::{doctor, doctor_inputs_from, doctor_report};
pub use policy::policy;
pub use setup::setup;

use crate::CommandError;
use crate::aws::{AwsError, AwsOptions, AwsReader, EnvOverrides, Session};
use crate::cli::GlobalArgs;
use crate::domain::{Arn, Region};
use crate::plan::{Outcome, Plan};
use crate::policy::Account;
use crate::report::{Document, Examined, Format, Report, Style, render};
use crate::ui::use_color;

/// Where the document goes: stdout, or the `--out` file.
struct Output {
    format: Format,
    no_color: bool,
    file: Option<(File, PathBuf)>,
    /// Without `--out`, the report goes to stderr: stdout carries something else.
    stderr: bool,
}

impl Output {
    fn open(global: &GlobalArgs) -> Result<Self, CommandError> {
        if !global.output.is_supported() {
            return Err(CommandError::NotImplemented(format!(
                "--output {}",
                global.output.as_str()
            )));
        }
        let file = match &global.out {
            None => None,
            Some(path) => Some(
                File::create(path)
                    .map(|file| (file, path.clone()))
                    .map_err(|e| {
                        CommandError::Usage(format!("cannot write {}: {e}", path.display()))
                    })?,
            ),
        };
        Ok(Output {
            format: global.output,
            no_color: global.no_color,
            file,
            stderr: false,
        })
    }

    fn report_to_stderr(&mut self) {
        self.stderr = true;
    }

    fn write(&mut self, document: &Document) -> Result<(), CommandError> {
        let terminal = self.file.is_none()
            && if self.stderr {
                std::io::stderr().is_terminal()
            } else {
                std::io::stdout().is_terminal()
            };
        let style = Style {
            color: use_color(self.no_color, terminal),
            fit_terminal: terminal,
        };
        let Some(text) = render(document, self.format, style) else {
            return Err(CommandError::NotImplemented(format!(
                "--output {}",
                self.format.as_str()
            )));
        };
        match &mut self.file {
            Some((file, path)) => {
                file.write_all(text.as_bytes())
                    .map_err(|source| CommandError::Output {
                        path: path.clone(),
                        source,
                    })
            }
            None if self.stderr => {
                let _ = std::io::stderr().write_all(text.as_bytes());
                Ok(())
            }
            None => {
                let mut stdout = std::io::stdout().lock();
                // A closed pipe (`| head`) is the reader's choice, not an error worth a message.
                let _ = stdout
                    .write_all(text.as_bytes())
                    .and_then(|_| stdout.flush());
                Ok(())
            }
        }
    }
}

/// The run's AWS session, from the global flags and the standard chain.
async fn session(global: &GlobalArgs) -> std::sync::Arc<Session> {
    session_with(global, None, EnvOverrides::default()).await
}

/// As `session`, with the profile and credentials another program's environment chose (Claude
/// Code's settings); `--profile` still wins the profile.
async fn session_with(
    global: &GlobalArgs,
    profile: Option<String>,
    env_overrides: EnvOverrides,
) -> std::sync::Arc<Session> {
    Session::load(&AwsOptions {
        profile: global.profile.clone().or(profile),
        region: global.regions.first().cloned(),
        endpoint_url: global.endpoint_url.clone(),
        env_overrides,
    })
    .await
}

/// A mutating command's run, for its report: which command, and since when.
struct PlanRun {
    command: &'static str,
    started_at: SystemTime,
    clock: Instant,
}

impl PlanRun {
    fn start(command: &'static str) -> Self {
        PlanRun {
            command,
            started_at: SystemTime::now(),
            clock: Instant::now(),
        }
    }

    /// Writes the report of the plan and what became of each step (and `-v`'s call
    /// counts); the exit code is 3 when a step failed.
    fn finish(
        self,
        output: &mut Output,
        global: &GlobalArgs,
        session: &Session,
        scope: Examined,
        (plan, outcome): (Plan, Outcome),
    ) -> Result<u8, CommandError> {
        let code = if outcome.failed() {
            crate::EXIT_ERROR
        } else {
            crate::EXIT_OK
        };
        let report = Report {
            command: self.command,
            started_at: self.started_at,
            duration: self.clock.elapsed(),
            scope,
            findings: Vec::new(),
            plan: Some((plan, outcome)),
        };
        let written = output.write(&Document::Report(&report));
        if global.verbose > 0 {
            print_call_counts(session);
        }
        written.map(|()| code)
    }
}

/// The caller's account and partition, and the ARN STS answered with (cached for the run).
async fn caller_account(aws: &AwsReader) -> Result<(Account, String), AwsError> {
    let identity = aws.caller_identity().await?;
    let partition = identity
        .arn
        .parse::<Arn>()
        .map(|a| a.partition().to_string())
        .unwrap_or_else(|_| "aws".into());
    Ok((
        Account {
            partition,
            id: identity.account,
        },
        identity.arn,
    ))
}

/// `--region` values, else the region the AWS configuration names (none when it names none).
fn regions(global: &GlobalArgs, session: &Session) -> Result<Vec<Region>, CommandError> {
    if !global.regions.is_empty() {
        return Ok(global.regions.clone());
    }
    session
        .configured_region()
        .map(|name| {
            name.parse::<Region>().map_err(|why| {
                CommandError::Usage(format!("the configured region is invalid: {why}"))
            })
        })
        .into_iter()
        .collect()
}

fn print_call_counts(session: &Session) {
    let counts = session.call_counts();
    let mut text = String::from("AWS calls this run (operation: calls, HTTP attempts):\n");
    if counts.is_empty() {
        text.push_str("  none\n");
    }
    for (operation, count) in counts {
        text.push_str(&format!(
            "  {operation}: {} calls, {} attempts\n",
            count.calls, count.attempts
        ));
    }
    eprint!("{text}");
}

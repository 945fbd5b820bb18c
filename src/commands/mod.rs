//! The subcommands: each turns arguments into targets, runs its checks or its operation, and
//! hands the result to a renderer. Output goes through `Output`, opened before any AWS call.

mod checks;
mod doctor;
mod policy;

use std::fs::File;
use std::io::{IsTerminal, Write};

pub use checks::checks_list;
pub use doctor::doctor;
pub use policy::policy;

use crate::UsageError;
use crate::cli::{GlobalArgs, OutputFormat};
use crate::report::{Report, render_json, render_table};
use crate::ui::use_color;

fn unsupported_output(format: OutputFormat) -> UsageError {
    let name = match format {
        OutputFormat::Table => "table",
        OutputFormat::Json => "json",
        OutputFormat::Junit => "junit",
        OutputFormat::Sarif => "sarif",
        OutputFormat::Markdown => "markdown",
    };
    UsageError::NotImplemented(format!("--output {name}"))
}

/// Where the report goes: stdout, or the `--out` file, opened before any AWS call so that a
/// bad path is an invocation error and not a lost report.
enum Output {
    Stdout,
    File(File, std::path::PathBuf),
}

impl Output {
    fn open(global: &GlobalArgs) -> Result<Self, UsageError> {
        if !matches!(global.output, OutputFormat::Table | OutputFormat::Json) {
            return Err(unsupported_output(global.output));
        }
        match &global.out {
            None => Ok(Output::Stdout),
            Some(path) => File::create(path)
                .map(|file| Output::File(file, path.clone()))
                .map_err(|e| UsageError::Invalid(format!("cannot write {}: {e}", path.display()))),
        }
    }

    fn write(&mut self, global: &GlobalArgs, report: &Report) -> Result<(), UsageError> {
        let text = match global.output {
            OutputFormat::Json => render_json(report),
            _ => {
                let terminal = matches!(self, Output::Stdout) && std::io::stdout().is_terminal();
                render_table(report, use_color(global.no_color, terminal), terminal)
            }
        };
        self.write_text(&text)
    }

    fn write_text(&mut self, text: &str) -> Result<(), UsageError> {
        let result = match self {
            Output::Stdout => {
                let mut stdout = std::io::stdout().lock();
                stdout
                    .write_all(text.as_bytes())
                    .and_then(|_| stdout.flush())
            }
            Output::File(file, _) => file.write_all(text.as_bytes()),
        };
        match (result, self) {
            (Ok(()), _) => Ok(()),
            (Err(e), Output::File(_, path)) => Err(UsageError::Invalid(format!(
                "cannot write {}: {e}",
                path.display()
            ))),
            // A closed pipe (`| head`) is the reader's choice, not an error worth a message.
            (Err(_), Output::Stdout) => Ok(()),
        }
    }
}

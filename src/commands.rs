//! The subcommands: each turns arguments into targets, runs its checks and hands the report to
//! a renderer.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::aws::{Aws, AwsOptions};
use crate::checks::{self, CallerIdentity, Invocations, ModelTargets};
use crate::cli::{DoctorArgs, GlobalArgs, OutputFormat};
use crate::engine::{CheckContext, CommandKind, run_checks};
use crate::models::{Family, ModelRequest};
use crate::report::{Report, Target, render_json, render_table};
use crate::target::{Region, RunTargets};
use crate::ui::{Spinner, use_color};
use crate::{UsageError, exit_code};

pub async fn doctor(global: &GlobalArgs, args: &DoctorArgs) -> Result<u8, UsageError> {
    let mut output = Output::open(global)?;
    let models = if args.models.is_empty() {
        // Claude Code's settings will come first here once claude-code.config reads them.
        vec![
            ModelRequest::Family(Family::Sonnet),
            ModelRequest::Family(Family::Haiku),
        ]
    } else {
        args.models
            .iter()
            .map(|m| m.parse::<ModelRequest>().map_err(UsageError::Invalid))
            .collect::<Result<Vec<_>, _>>()?
    };
    let started_at = SystemTime::now();
    let clock = Instant::now();

    let aws = Aws::load(&AwsOptions {
        profile: global.profile.clone(),
        region: global.regions.first().cloned(),
        endpoint_url: global.endpoint_url.clone(),
    })
    .await;
    let regions = if global.regions.is_empty() {
        match aws.configured_region() {
            Some(name) => vec![name.parse::<Region>().map_err(|why| {
                UsageError::Invalid(format!("the configured region is invalid: {why}"))
            })?],
            None => Vec::new(),
        }
    } else {
        global.regions.clone()
    };
    let region_source = aws.region_source(!global.regions.is_empty()).await;
    let targets = RunTargets {
        regions,
        region_source,
        models,
        expect_tpm: args.expect_tpm,
        probe: !args.no_probe,
    };

    let checks = checks::for_command(CommandKind::Doctor);
    let cx = Arc::new(CheckContext::new(Arc::new(aws), targets));
    let spinner = Spinner::new(global, checks.len());
    let findings = run_checks(&checks, Arc::clone(&cx), global.timeout, &spinner).await;
    spinner.finish();

    let identity = cx.fact::<CallerIdentity>();
    let models = match (cx.fact::<Invocations>(), cx.fact::<ModelTargets>()) {
        (Some(invocations), _) => unique(invocations.list.iter().map(|i| i.model_id.clone())),
        (None, Some(targets)) => unique(targets.list.iter().map(|t| t.model.id.clone())),
        (None, None) => cx.targets.models.iter().map(|m| m.to_string()).collect(),
    };
    let report = Report {
        command: CommandKind::Doctor.as_str(),
        started_at,
        duration: clock.elapsed(),
        target: Target {
            account: identity.as_ref().map(|i| i.account.clone()),
            principal: identity.as_ref().map(|i| i.principal_arn.clone()),
            regions: cx.targets.regions.iter().map(|r| r.to_string()).collect(),
            models,
        },
        findings,
    };
    output.write(global, &report)?;
    if global.verbose > 0 {
        print_call_counts(&cx.aws);
    }
    Ok(exit_code(report.summary(), args.strict))
}

pub fn checks_list(global: &GlobalArgs) -> Result<u8, UsageError> {
    let checks = checks::all();
    let text = match global.output {
        OutputFormat::Json => {
            let list: Vec<_> = checks
                .iter()
                .map(|c| {
                    let meta = c.meta();
                    serde_json::json!({
                        "id": meta.id,
                        "title": meta.title,
                        "description": meta.description,
                        "commands": meta.commands.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                        "depends_on": meta.depends_on,
                    })
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
            text.push('\n');
            text
        }
        OutputFormat::Table => {
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            table.set_header(vec![
                "Check",
                "Commands",
                "Depends on",
                "What it establishes",
            ]);
            if std::io::stdout().is_terminal() {
                table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            }
            for check in &checks {
                let meta = check.meta();
                let commands: Vec<_> = meta.commands.iter().map(|c| c.as_str()).collect();
                table.add_row(vec![
                    meta.id.to_string(),
                    commands.join(", "),
                    meta.depends_on.join(", "),
                    meta.description.to_string(),
                ]);
            }
            format!("{table}\n")
        }
        other => return Err(unsupported_output(other)),
    };
    let mut output = Output::open(global)?;
    output.write_text(&text)?;
    Ok(crate::EXIT_OK)
}

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

fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

fn print_call_counts(aws: &Aws) {
    let counts = aws.call_counts();
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

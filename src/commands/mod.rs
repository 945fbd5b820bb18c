//! The subcommands: each turns arguments into a scope, runs its checks or its operation, and
//! hands one `Document` to `Output`, which renders it in the chosen format. `Output` is opened
//! before any AWS call, so that a bad `--output` or `--out` is an invocation error.

mod apply;
mod audit;
mod checks;
mod doctor;
mod emit;
mod integrate;
mod policy;
mod resolve;
mod send;
mod setup;
mod templates;

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

pub use audit::audit;
pub use checks::{checks_explain, checks_list};
pub use doctor::{Machine, doctor, doctor_on};
pub use integrate::{completions, man};
pub use setup::setup;

use crate::CommandError;
use crate::aws::Session;
use crate::cli::{GlobalArgs, PolicyCommand};
use crate::engine::Finding;
use crate::plan::{Outcome, Plan};
use crate::report::{Document, Examined, Format, Report, Show, Style, Width, render};
use crate::ui::use_color;

/// `policy`: the templates' subcommands and the evaluator's.
pub async fn policy(global: &GlobalArgs, command: &PolicyCommand) -> Result<u8, CommandError> {
    match command {
        PolicyCommand::Evaluate(args) => policy::evaluate_command(global, args).await,
        PolicyCommand::Explain(args) => policy::explain_command(global, args).await,
        PolicyCommand::List => templates::list(global).await,
        PolicyCommand::Show { name } => templates::show(global, name).await,
        PolicyCommand::Render {
            name,
            vars,
            models,
            format,
        } => templates::render_command(global, name, vars, models, *format).await,
        PolicyCommand::Validate {
            target,
            vars,
            models,
        } => templates::validate_command(global, target, vars, models).await,
        PolicyCommand::Apply {
            name,
            attach_to,
            policy_name,
            vars,
            models,
            dry_run,
            yes,
        } => {
            apply::apply_command(
                global,
                apply::ApplyArgs {
                    name,
                    attach_to,
                    policy_name: policy_name.as_deref(),
                    vars,
                    models,
                    dry_run: *dry_run,
                    yes: *yes,
                },
            )
            .await
        }
    }
}

/// Where the document goes: stdout, or the `--out` file.
struct Output {
    format: Format,
    no_color: bool,
    show: Option<Show>,
    file: Option<Pending>,
    /// Without `--out`, the report goes to stderr: stdout carries something else.
    stderr: bool,
}

/// `--out`: the report is written to a temporary file beside the target, made when the
/// command starts (so a directory that cannot be written is refused before anything is sent),
/// and renamed over the target once the document is whole; the target itself is never opened
/// for writing before then, and the temporary file is removed however the run ends (a signal
/// drops the run, and with it this). A device or a pipe (`/dev/stdout`) is written in place,
/// opened only when the document is whole: renaming over it would replace it.
struct Pending {
    temporary: Option<PathBuf>,
    target: PathBuf,
    file: Option<File>,
    /// `--out /dev/stdout` and its other names: the stream the process already holds, which
    /// may be a file the shell opened (`> report.json`) and reopening would write from its
    /// start.
    stream: Option<Stream>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

/// The standard stream a path names, by the names Linux and macOS give them.
fn std_stream(path: &Path) -> Option<Stream> {
    match path.to_str()? {
        "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1" => Some(Stream::Stdout),
        "/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2" => Some(Stream::Stderr),
        _ => None,
    }
}

/// A file written in place rather than replaced: a terminal, `/dev/null`, a pipe. A block
/// device is a disk, never a place for a report.
#[cfg(unix)]
fn written_in_place(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_char_device() || meta.file_type().is_fifo()
}

#[cfg(not(unix))]
fn written_in_place(_: &std::fs::Metadata) -> bool {
    false
}

impl Pending {
    fn create(target: &Path) -> Result<Pending, CommandError> {
        let refused = |e: std::io::Error| {
            CommandError::Usage(format!("cannot write {}: {e}", target.display()))
        };
        let stream = std_stream(target);
        if stream.is_some() || std::fs::metadata(target).is_ok_and(|m| written_in_place(&m)) {
            return Ok(Pending {
                temporary: None,
                target: target.to_path_buf(),
                file: None,
                stream,
            });
        }
        let name = target.file_name().ok_or_else(|| {
            CommandError::Usage(format!("--out {}: not a file", target.display()))
        })?;
        let temporary = target.with_file_name(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)
            .map_err(refused)?;
        Ok(Pending {
            temporary: Some(temporary),
            target: target.to_path_buf(),
            file: Some(file),
            stream: None,
        })
    }

    fn commit(&mut self, text: &str) -> Result<(), CommandError> {
        let error = |source| CommandError::Output {
            path: self.target.clone(),
            source,
        };
        match self.stream {
            Some(Stream::Stdout) => {
                let mut stdout = std::io::stdout().lock();
                return stdout
                    .write_all(text.as_bytes())
                    .and_then(|_| stdout.flush())
                    .map_err(error);
            }
            Some(Stream::Stderr) => {
                return std::io::stderr().write_all(text.as_bytes()).map_err(error);
            }
            None => {}
        }
        let Some(temporary) = self.temporary.take() else {
            // A FIFO without a reader blocks here: main still answers a signal.
            let mut device = std::fs::OpenOptions::new()
                .write(true)
                .open(&self.target)
                .map_err(error)?;
            return device
                .write_all(text.as_bytes())
                .and_then(|_| device.flush())
                .map_err(error);
        };
        let mut file = self
            .file
            .take()
            .ok_or_else(|| error(std::io::Error::other("the report was already written")))?;
        let renamed = file
            .write_all(text.as_bytes())
            .and_then(|_| file.flush())
            .and_then(|_| file.sync_all())
            .and_then(|_| std::fs::rename(&temporary, &self.target));
        if renamed.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        renamed.map_err(error)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(temporary) = &self.temporary {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

/// Refuses an `--out` that would replace something the user did not mean to lose, before
/// anything else is done: a symbolic link (renaming over it would replace the link, writing
/// through it a file elsewhere: name the file itself), a directory, a block device, or any
/// file the run reads (its input files, Claude Code's settings, the AWS config files, even
/// one not there yet), compared by canonical path and by device and inode so that no other
/// name for it gets through. `/dev/stdout` and its kin are the process's own streams.
pub fn check_out(cli: &crate::cli::Cli) -> Result<(), CommandError> {
    let Some(out) = cli.global.out.as_deref() else {
        return Ok(());
    };
    if std_stream(out).is_some() {
        return Ok(());
    }
    let usage = |why: String| CommandError::Usage(format!("--out {}: {why}", out.display()));
    if let Ok(link) = std::fs::symlink_metadata(out) {
        let target = std::fs::metadata(out);
        let in_place = target.as_ref().is_ok_and(written_in_place);
        if link.file_type().is_symlink() && !in_place {
            let resolved = std::fs::read_link(out).unwrap_or_else(|_| out.to_path_buf());
            return Err(usage(format!(
                "is a symbolic link (to {}): give the file's own path, so it is clear which file \
                 the report replaces",
                resolved.display()
            )));
        }
        match target {
            Ok(meta) if meta.is_dir() => return Err(usage("is a directory: name a file".into())),
            Ok(meta) if !meta.is_file() && !in_place => {
                return Err(usage(
                    "is a device that is not a terminal, a pipe or /dev/null: name a file".into(),
                ));
            }
            _ => {}
        }
    }
    if let Some(input) = run_inputs(cli).iter().find(|input| same_file(out, input)) {
        return Err(usage(format!(
            "is {}, which this run reads: write the report somewhere else",
            input.display()
        )));
    }
    Ok(())
}

/// Every file this run may read: the command's input flags, Claude Code's settings files and
/// the AWS shared config and credentials files.
fn run_inputs(cli: &crate::cli::Cli) -> Vec<PathBuf> {
    use crate::cli::{Command, PolicyCommand, SetupCommand};
    let mut inputs: Vec<PathBuf> = Vec::new();
    match &cli.command {
        Command::Policy(
            PolicyCommand::Validate { target, .. } | PolicyCommand::Show { name: target },
        ) => inputs.push(target.into()),
        Command::Policy(PolicyCommand::Evaluate(crate::cli::EvaluateArgs {
            policies,
            boundary,
            scps,
            rcps,
            resource_policy,
            session_policy,
            ..
        })) => {
            inputs.extend(policies.iter().cloned());
            inputs.extend(
                boundary
                    .iter()
                    .chain(resource_policy)
                    .chain(session_policy)
                    .cloned(),
            );
            let levels = scps.iter().chain(rcps).flat_map(|level| level.split(','));
            inputs.extend(
                levels
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(PathBuf::from),
            );
        }
        Command::Setup(SetupCommand::ModelAccess {
            use_case_form: Some(form),
            ..
        }) => inputs.push(form.clone()),
        _ => {}
    }
    if matches!(cli.command, Command::Doctor(_) | Command::Audit(_)) {
        let config = cli.global.config.as_deref();
        inputs.push(config.unwrap_or(crate::config::FILE_NAME.as_ref()).into());
    }
    let shell: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let places = crate::claude_code::Places::here(&shell);
    inputs.extend(places.settings_files().into_iter().map(|(_, path)| path));
    let home = shell.get("HOME").map(PathBuf::from);
    // As aws-config reads these variables: a leading `~/` is the home directory.
    let expand = |path: &str| match (path.strip_prefix("~/"), &home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    };
    for (variable, default) in [
        ("AWS_CONFIG_FILE", Some(".aws/config")),
        ("AWS_SHARED_CREDENTIALS_FILE", Some(".aws/credentials")),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", None),
    ] {
        match shell.get(variable).filter(|p| !p.is_empty()) {
            Some(path) => inputs.push(expand(path)),
            None => inputs.extend(home.as_ref().zip(default).map(|(h, d)| h.join(d))),
        }
    }
    inputs
}

/// Whether two paths name one file, through any links; a path with nothing there yet is
/// its directory's canonical path and its name.
fn same_file(a: &Path, b: &Path) -> bool {
    if let (Some(a), Some(b)) = (canonical(a), canonical(b))
        && a == b
    {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(a), Ok(b)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return a.dev() == b.dev() && a.ino() == b.ino();
        }
    }
    false
}

impl Output {
    /// For documents that are not a run's report: table and JSON only. The command line
    /// refuses the other formats for these commands, except when `--output` is given before
    /// the last subcommand's name (`policy --output sarif list`).
    fn open(global: &GlobalArgs) -> Result<Self, CommandError> {
        if !matches!(global.output, Format::Table | Format::Json) {
            return Err(CommandError::Usage(format!(
                "--output {}: this command writes table or json",
                global.output.as_str()
            )));
        }
        Self::open_report(global)
    }

    /// For a run's report (`doctor`, `audit`, a plan): every format.
    fn open_report(global: &GlobalArgs) -> Result<Self, CommandError> {
        let file = global.out.as_deref().map(Pending::create).transpose()?;
        Ok(Output {
            format: global.output,
            no_color: global.no_color,
            show: global.show,
            file,
            stderr: false,
        })
    }

    fn report_to_stderr(&mut self) {
        self.stderr = true;
    }

    /// Whether the report is written to stderr, where no progress may be drawn.
    fn on_stderr(&self) -> bool {
        self.stderr
    }

    fn write(&mut self, document: &Document) -> Result<(), CommandError> {
        let terminal = self.file.is_none()
            && if self.stderr {
                std::io::stderr().is_terminal()
            } else {
                std::io::stdout().is_terminal()
            };
        let columns = Width::from_columns(std::env::var_os("COLUMNS").as_deref());
        let style = Style {
            color: use_color(self.no_color, terminal),
            width: match columns {
                Width::Columns(fallback) if terminal => Width::Terminal { fallback },
                columns => columns,
            },
            show: self.show,
        };
        // Values are blanked before rendering: a table wraps and Markdown escapes them, and a
        // secret cut in two is no longer found in the text.
        let redacted = match document {
            Document::Report(report) => Some(Report {
                findings: report.findings.iter().map(Finding::redacted).collect(),
                halted: report.halted.as_deref().map(crate::secrets::redact),
                ..(*report).clone()
            }),
            _ => None,
        };
        let document = match &redacted {
            Some(report) => &Document::Report(report),
            None => document,
        };
        let Some(text) = render(document, self.format, style) else {
            return Err(CommandError::NotImplemented(format!(
                "--output {}",
                self.format.as_str()
            )));
        };
        if let Some(why) = crate::report::left_out(document, self.format) {
            say!("note: {why}");
        }
        let text = crate::secrets::redact(&text);
        match &mut self.file {
            Some(pending) => pending.commit(&text),
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

/// Whom a run examined: the caller's account (the one STS named, kept even when its ARN was
/// not understood) and principal.
/// A command that stopped before its result: the reason and what its checks found, on
/// stderr, and in any format but the table (whose stdout may be a document being piped, as
/// `policy render`'s is) as the document asked for, so a program reading it gets one.
pub fn halted(
    cli: &crate::cli::Cli,
    reason: String,
    findings: Vec<Finding>,
) -> Result<(), CommandError> {
    say!("error: {reason}");
    for finding in &findings {
        say!(
            "  {} {}: {}",
            finding.check,
            finding.status.as_str(),
            finding.message
        );
        if let Some(fix) = &finding.remediation {
            say!("    fix: {fix}");
        }
    }
    // The table on stdout is the stderr lines above; --out asks for a file all the same.
    if cli.global.output == Format::Table && cli.global.out.is_none() {
        return Ok(());
    }
    let checks = crate::checks::all()
        .iter()
        .map(|check| check.meta())
        .filter(|meta| findings.iter().any(|f| f.check == meta.id))
        .collect();
    let report = Report {
        command: cli.command.name(),
        started_at: SystemTime::now(),
        duration: std::time::Duration::ZERO,
        scope: Examined::default(),
        findings,
        plan: None,
        checks,
        halted: Some(reason),
        accounts: Vec::new(),
    };
    Output::open_report(&cli.global)?.write(&Document::Report(&report))
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
    /// totals); the exit code is 3 when a step failed.
    fn finish(
        self,
        output: &mut Output,
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
            checks: Vec::new(),
            halted: None,
            accounts: Vec::new(),
        };
        let written = output.write(&Document::Report(&report));
        resolve::log_call_totals(session);
        written.map(|()| code)
    }
}

fn canonical(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok().or_else(|| {
        let name = path.file_name()?;
        let parent = match path.parent()? {
            p if p.as_os_str().is_empty() => Path::new("."),
            p => p,
        };
        Some(std::fs::canonicalize(parent).ok()?.join(name))
    })
}

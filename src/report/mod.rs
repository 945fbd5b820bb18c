//! Renderers: what a command produced in, text out. One module per format, each rendering
//! every kind of document; `render` is the one dispatch. A renderer knows findings, plans and
//! evaluations, never which checks exist.

mod asff;
pub mod controls;
pub mod escape;
mod fixes;
mod json;
mod junit;
mod markdown;
mod ocsf;
mod sarif;
mod table;

use std::time::{Duration, SystemTime};

use clap::ValueEnum;

use crate::engine::{CheckMeta, Finding, KindMeta, Summary};
use crate::iam::{Evaluation, Request};
use crate::plan::{Outcome, Plan};
use crate::policy::{Template, Validation};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Junit,
    Sarif,
    Markdown,
    /// AWS Security Finding Format: `BatchImportFindings` input for Security Hub.
    Asff,
    /// OCSF 1.1.0 Compliance Finding events (class 2003), as Security Lake takes them.
    Ocsf,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
            Format::Markdown => "markdown",
            Format::Asff => "asff",
            Format::Ocsf => "ocsf",
        }
    }

    /// What the value writes, for `--help`.
    pub fn help(self) -> &'static str {
        match self {
            Format::Table => "a table for a person",
            Format::Json => "the versioned JSON report (v1)",
            Format::Junit => "JUnit XML, a test case per finding",
            Format::Sarif => "SARIF 2.1.0 for code scanning",
            Format::Markdown => "Markdown for a pull request or an auditor",
            Format::Asff => {
                "AWS Security Finding Format, the input of Security Hub's BatchImportFindings"
            }
            Format::Ocsf => "OCSF 1.1.0 Compliance Findings (class 2003) for Security Lake",
        }
    }
}

/// What one command hands to a renderer.
pub enum Document<'a> {
    /// A run of checks (`doctor`, `audit`), or a plan and what became of it.
    Report(&'a Report),
    /// `checks list`.
    Catalog(&'a [&'static CheckMeta]),
    /// `checks explain CODE`: one finding code of a check, and what it means.
    Code(&'static CheckMeta, &'static KindMeta),
    /// `checks explain CHECK`: every code of one check.
    Codes(&'static CheckMeta),
    /// `policy evaluate` and `policy explain`, with the layers `explain` could not read.
    Evaluation(&'a Request, &'a Evaluation, &'a [String]),
    /// `policy list`.
    Templates(&'a [Template]),
    /// `policy show`.
    Template(&'a Template),
    /// `policy render`: the document itself, to paste or pipe.
    Policy(&'a serde_json::Value),
    /// `policy render --format terraform`: a file in another language, printed as it is (as
    /// a JSON string with `--output json`).
    Source(&'a str),
    /// `policy validate`.
    Validation(&'a Validation),
}

/// How text for a person may look.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    pub color: bool,
    pub width: Width,
    /// `--show`; `None`: passes summed up per check when something failed, else every row.
    pub show: Option<Show>,
}

/// Which rows a report's table shows (`--show`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Show {
    /// Every finding, one row each.
    All,
    /// No passes, whatever else happened.
    Failures,
}

/// How wide a table may be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Width {
    /// The terminal's width, as it is when the table is drawn; `fallback` where the terminal
    /// reports none or too few columns (`docker run -t` and `script` report 0).
    Terminal { fallback: u16 },
    /// Wrapped at this many columns: a pipe, a CI log, a file.
    Columns(u16),
    /// Never wrapped.
    #[default]
    Unlimited,
}

impl Width {
    /// Where no terminal says how wide it is: `COLUMNS` when it holds a usable width, else 100.
    pub fn from_columns(columns: Option<&std::ffi::OsStr>) -> Width {
        let parsed = columns
            .and_then(|c| c.to_str())
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|&c| c >= MIN_COLUMNS);
        Width::Columns(parsed.unwrap_or(DEFAULT_COLUMNS))
    }

    /// The columns a table may take, given what the terminal reports; `None` when unlimited.
    pub fn columns(self, terminal: Option<u16>) -> Option<u16> {
        match self {
            Width::Terminal { fallback } => {
                Some(terminal.filter(|&c| c >= MIN_COLUMNS).unwrap_or(fallback))
            }
            Width::Columns(columns) => Some(columns),
            Width::Unlimited => None,
        }
    }
}

/// A pipe's or a CI log's width when `COLUMNS` does not say.
pub const DEFAULT_COLUMNS: u16 = 100;
/// Narrower than this, the check and region columns leave no room for the finding.
const MIN_COLUMNS: u16 = 40;

/// The text of `document` in `format`; `None` when this version has no such renderer.
pub fn render(document: &Document, format: Format, style: Style) -> Option<String> {
    match format {
        Format::Table => Some(table::render(document, style)),
        Format::Json => Some(json::render(document)),
        Format::Markdown => markdown::render(document),
        Format::Junit => junit::render(document),
        Format::Sarif => sarif::render(document),
        Format::Asff => asff::render(document),
        Format::Ocsf => ocsf::render(document),
    }
}

/// What `document` in `format` leaves out and why, for stderr.
pub fn left_out(document: &Document, format: Format) -> Option<String> {
    match (document, format) {
        (Document::Report(report), Format::Asff) => asff::left_out(report),
        _ => None,
    }
}

pub use asff::{Record as AsffRecord, records as asff_records};
pub use ocsf::missing_required as ocsf_missing_required;

/// The result of one command run, as every renderer sees it.
#[derive(Clone, Debug)]
pub struct Report {
    pub command: &'static str,
    pub started_at: SystemTime,
    pub duration: Duration,
    pub scope: Examined,
    pub findings: Vec<Finding>,
    /// For a command that changes AWS: the plan, and what became of each step.
    pub plan: Option<(Plan, Outcome)>,
    /// The checks the command ran, for formats that list them as rules (SARIF).
    pub checks: Vec<&'static CheckMeta>,
    /// Why the command stopped before its result (a read its plan needs failed, the account
    /// could not resolve what was asked): every format says so, besides any findings.
    pub halted: Option<String>,
    /// The accounts an audit reached through roles (`--role-arn`, `--org`, `--accounts`), in
    /// the order audited; empty for a run of the caller's own account alone.
    pub accounts: Vec<AccountEntry>,
}

/// One account of a multi-account audit.
#[derive(Clone, Debug)]
pub struct AccountEntry {
    pub id: String,
    /// Its name in the organization, where it was listed.
    pub name: Option<String>,
    /// The role assumed in it; `None`: the caller's own credentials.
    pub role: Option<String>,
}

impl Report {
    pub fn summary(&self) -> Summary {
        Summary::of(&self.findings)
    }

    /// Each account's counts, in the order of `accounts`.
    pub fn account_summaries(&self) -> Vec<(&AccountEntry, Summary)> {
        self.accounts
            .iter()
            .map(|entry| {
                let of_account = self
                    .findings
                    .iter()
                    .filter(|f| f.account.as_deref() == Some(entry.id.as_str()));
                (entry, Summary::of(of_account))
            })
            .collect()
    }
}

/// What a run examined, whatever the command: accounts, principals, regions, models.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Examined {
    pub accounts: Vec<String>,
    pub principals: Vec<String>,
    pub regions: Vec<String>,
    pub models: Vec<String>,
}

#[cfg(test)]
pub(crate) mod sample {
    //! One fixed run that every renderer is snapshot-tested against.
    use super::*;
    use crate::aws::AttachTarget;
    use crate::engine::{CommandKind, Kind, KindMeta, Remediation, Severity};
    use crate::plan::{Change, Confirmation, Rerun, Step, StepResult};

    const META: CheckMeta = CheckMeta {
        id: "identity.caller",
        title: "Caller identity",
        description: "",
        commands: &[CommandKind::Doctor],
        depends_on: &[],
        after: &[],
        severity: Severity::Critical,
        kinds: &[
            KindMeta {
                name: "identified",
                doc: &[" Test kind."],
            },
            KindMeta {
                name: "expiring",
                doc: &[" Test kind."],
            },
        ],
    };
    const IAM: CheckMeta = CheckMeta {
        id: "iam.invoke",
        title: "Invoke permission",
        description: "",
        commands: &[CommandKind::Doctor],
        depends_on: &["identity.caller"],
        after: &[],
        severity: Severity::High,
        kinds: &[KindMeta {
            name: "destination-denied",
            doc: &[" Test kind."],
        }],
    };

    pub fn report() -> Report {
        Report {
            command: "doctor",
            started_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_341_600),
            duration: Duration::from_millis(412),
            scope: Examined {
                accounts: vec!["123456789012".into()],
                principals: vec!["arn:aws:iam::123456789012:role/dev".into()],
                regions: vec!["us-east-1".into()],
                models: vec!["us.anthropic.claude-sonnet-4-5-20250929-v1:0".into()],
            },
            findings: vec![
                Finding::pass(&META, Kind::new("identified"), "Caller identity established", "Calling as arn:aws:iam::123456789012:role/dev")
                    .resource("arn:aws:iam::123456789012:role/dev")
                    .evidence("account", "123456789012"),
                Finding::fail(
                    &IAM,
                    Kind::new("destination-denied"),
                    Severity::High,
                    "Principal may not invoke the inference profile's destination models",
                    "bedrock:InvokeModel is implicitly denied on arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
                    Remediation::new("bedrock-preflight policy apply claude-invoke --attach-to role/dev --yes"),
                )
                .region("us-west-2")
                .resource("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0")
                .evidence("decision", "implicitDeny")
                .evidence("source", "simulate"),
                Finding::warn(
                    &META,
                    Kind::new("expiring"),
                    Severity::Medium,
                    "AWS credentials expire soon",
                    "Credentials from IAM Identity Center (SSO) expire in 9 min",
                    Remediation::new("aws sso login --profile dev"),
                ),
                Finding::error(&IAM, Kind::READ_FAILED, "iam:SimulatePrincipalPolicy was throttled, also after retries (Throttling: Rate exceeded)"),
                Finding::skip(&IAM, Kind::DEPENDENCY_UNMET, "Skipped: identity.caller failed"),
            ],
            plan: None,
            checks: vec![&META, &IAM],
            halted: None,
            accounts: Vec::new(),
        }
    }

    /// A plan of two steps whose second failed.
    pub fn plan_report() -> Report {
        let policy_arn = "arn:aws:iam::123456789012:policy/claude-invoke".to_string();
        let plan = Plan {
            goal: "attach claude-invoke to role/dev".into(),
            unchanged: Vec::new(),
            steps: vec![
                Step {
                    summary: "Create the customer-managed policy claude-invoke".into(),
                    change: Change::CreatePolicy {
                        name: "claude-invoke".into(),
                        path: "/".into(),
                        document: "{}".into(),
                        description: "Invoke Claude".into(),
                        tags: Vec::new(),
                    },
                    rerun: Rerun::PlanFirst,
                    detail: None,
                },
                Step {
                    summary: "Attach it to role/dev".into(),
                    change: Change::AttachPolicy {
                        target: AttachTarget::Role("dev".into()),
                        policy_arn,
                    },
                    rerun: Rerun::Safe,
                    detail: None,
                },
            ],
        };
        let outcome = Outcome {
            confirmation: Confirmation::Yes,
            results: vec![
                StepResult::Done,
                StepResult::Failed("iam:AttachRolePolicy was throttled, also after retries".into()),
            ],
        };
        Report {
            command: "policy apply",
            findings: Vec::new(),
            plan: Some((plan, outcome)),
            checks: Vec::new(),
            ..report()
        }
    }
}

//! JSON. The report is version 1 of a frozen contract (README, "Reports and exit codes"):
//! fields may be added, never renamed or removed; these types exist apart from `Finding` so
//! that internal changes cannot leak into it.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{Document, Examined, Report};
use crate::domain::format_time;
use crate::engine::{CheckMeta, KindMeta, Summary};
use crate::iam::{Evaluation, PolicyType, Request};
use crate::plan::{Outcome, Plan, Rerun, StepResult};
use crate::policy::{Source, Template, Validation, VariableKind};

pub const SCHEMA: &str = "bedrock-preflight/report/v1";

pub fn render(document: &Document) -> String {
    // Serializing strings, numbers and maps of JSON values cannot fail.
    let mut text = match document {
        Document::Report(report) => serde_json::to_string_pretty(&report_v1(report)),
        Document::Catalog(checks) => serde_json::to_string_pretty(&catalog(checks)),
        Document::Code(meta, kind) => serde_json::to_string_pretty(&code_json(meta, kind)),
        Document::Codes(meta) => serde_json::to_string_pretty(&json!({
            "check": meta.id,
            "title": meta.title,
            "severity": meta.severity.as_str(),
            "codes": meta.all_kinds().into_iter().map(|kind| json!({
                "code": meta.code(kind),
                "kind": kind.name,
                "summary": kind.summary(),
                "explanation": kind.explanation(),
            })).collect::<Vec<_>>(),
        })),
        Document::Evaluation(request, evaluation, unseen) => {
            serde_json::to_string_pretty(&evaluation_json(request, evaluation, unseen))
        }
        Document::Templates(templates) => {
            serde_json::to_string_pretty(&templates.iter().map(template_json).collect::<Vec<_>>())
        }
        Document::Template(template) => {
            let mut shown = template_json(template);
            shown["document"] = template.document();
            if let Some(trust) = template.trust_document() {
                shown["trust_document"] = trust;
            }
            if let Some(role) = &template.role {
                shown["role"] = json!({
                    "name": role.name,
                    "description": role.description,
                    "policy_name": role.policy_name,
                });
            }
            serde_json::to_string_pretty(&shown)
        }
        Document::Policy(document) => serde_json::to_string_pretty(document),
        Document::Source(text) => serde_json::to_string(text),
        Document::Validation(validation) => {
            serde_json::to_string_pretty(&validation_json(validation))
        }
    }
    .unwrap_or_default();
    text.push('\n');
    super::escape::json_visible(text)
}

#[derive(Serialize)]
struct ReportV1<'a> {
    schema: &'static str,
    tool: Tool,
    command: &'a str,
    started_at: String,
    duration_ms: u128,
    /// The first account, principal, and every region and model: v1's original fields.
    target: TargetV1<'a>,
    /// Added in v1: everything examined, for any command.
    scope: &'a Examined,
    summary: Summary,
    /// Added in v1: each account of a multi-account audit, with its own counts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    accounts: Vec<AccountV1<'a>>,
    findings: Vec<FindingV1<'a>>,
    /// Added in v1: present for a command that changes AWS.
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<PlanV1<'a>>,
    /// Added in v1: present when the command stopped before its result, saying why.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct AccountV1<'a> {
    account: &'a str,
    name: Option<&'a str>,
    /// The role assumed in it; null: the caller's own credentials.
    role: Option<&'a str>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct TargetV1<'a> {
    account: Option<&'a str>,
    principal: Option<&'a str>,
    regions: &'a [String],
    models: &'a [String],
}

#[derive(Serialize)]
struct FindingV1<'a> {
    check: &'a str,
    code: String,
    status: &'a str,
    severity: &'a str,
    title: &'a str,
    message: &'a str,
    account: Option<&'a str>,
    region: Option<&'a str>,
    resource: Option<&'a str>,
    remediation: Option<&'a str>,
    evidence: &'a Map<String, Value>,
    controls: &'a [String],
    /// Added in v1: present when the status is `suppressed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<SuppressionV1<'a>>,
}

#[derive(Serialize)]
struct SuppressionV1<'a> {
    /// The finding's status before the configuration file accepted it.
    status: &'static str,
    reason: &'a str,
    expires: Option<&'a str>,
    /// `FILE:LINE` of the `[[ignore]]` entry.
    source: &'a str,
}

#[derive(Serialize)]
struct PlanV1<'a> {
    goal: &'a str,
    /// `dry-run`, `unconfirmed` or `yes`.
    confirmation: &'static str,
    steps: Vec<StepV1<'a>>,
    /// What was asked and is already so, with why nothing is sent for it (added in v1).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    unchanged: &'a [String],
    /// What the principal running the plan needs to be allowed.
    permissions: Vec<crate::plan::Permission>,
}

#[derive(Serialize)]
struct StepV1<'a> {
    summary: &'a str,
    operation: String,
    resource: String,
    rerun: Rerun,
    /// `done`, `failed`, `not-sent`.
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// The document a step creates, or the diff of the one it replaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

fn report_v1(report: &Report) -> ReportV1<'_> {
    ReportV1 {
        schema: SCHEMA,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        command: report.command,
        started_at: format_time(report.started_at),
        duration_ms: report.duration.as_millis(),
        target: TargetV1 {
            account: report.scope.accounts.first().map(String::as_str),
            principal: report.scope.principals.first().map(String::as_str),
            regions: &report.scope.regions,
            models: &report.scope.models,
        },
        scope: &report.scope,
        summary: report.summary(),
        accounts: report
            .account_summaries()
            .into_iter()
            .map(|(entry, summary)| AccountV1 {
                account: &entry.id,
                name: entry.name.as_deref(),
                role: entry.role.as_deref(),
                summary,
            })
            .collect(),
        findings: report
            .findings
            .iter()
            .map(|f| FindingV1 {
                check: f.check,
                code: f.code(),
                status: f.status.as_str(),
                severity: f.severity.as_str(),
                title: &f.title,
                message: &f.message,
                account: f.account.as_deref(),
                region: f.region.as_deref(),
                resource: f.resource.as_deref(),
                remediation: f.remediation.as_deref(),
                evidence: &f.evidence,
                controls: &f.controls,
                suppression: f.suppression.as_ref().map(|s| SuppressionV1 {
                    status: s.status.as_str(),
                    reason: &s.reason,
                    expires: s.expires.as_deref(),
                    source: &s.source,
                }),
            })
            .collect(),
        plan: report
            .plan
            .as_ref()
            .map(|(plan, outcome)| plan_v1(plan, outcome)),
        error: report.halted.as_deref(),
    }
}

fn plan_v1<'a>(plan: &'a Plan, outcome: &'a Outcome) -> PlanV1<'a> {
    PlanV1 {
        goal: &plan.goal,
        confirmation: match outcome.confirmation {
            crate::plan::Confirmation::DryRun => "dry-run",
            crate::plan::Confirmation::Unconfirmed => "unconfirmed",
            crate::plan::Confirmation::Yes => "yes",
        },
        steps: plan
            .steps
            .iter()
            .zip(&outcome.results)
            .map(|(step, result)| StepV1 {
                summary: &step.summary,
                operation: step.change.operation().to_string(),
                resource: step.change.resource(),
                rerun: step.rerun,
                result: match result {
                    StepResult::Done => "done",
                    StepResult::Failed(_) => "failed",
                    StepResult::NotSent => "not-sent",
                },
                error: match result {
                    StepResult::Failed(error) => Some(error),
                    _ => None,
                },
                detail: step.detail.as_deref(),
            })
            .collect(),
        unchanged: &plan.unchanged,
        permissions: plan.permissions(),
    }
}

fn catalog(checks: &[&'static CheckMeta]) -> Value {
    checks
        .iter()
        .map(|meta| {
            json!({
                "id": meta.id,
                "title": meta.title,
                "description": meta.description,
                "commands": meta.commands.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "depends_on": meta.depends_on,
                "after": meta.after,
                "severity": meta.severity.as_str(),
                "codes": meta.codes(),
                // Added in v1: each code with what it means (`checks explain`).
                "kinds": meta.all_kinds().into_iter().map(|kind| json!({
                    "code": meta.code(kind),
                    "explanation": kind.explanation(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

fn code_json(meta: &CheckMeta, kind: &KindMeta) -> Value {
    json!({
        "code": meta.code(kind),
        "check": meta.id,
        "kind": kind.name,
        "title": meta.title,
        "severity": meta.severity.as_str(),
        "explanation": kind.explanation(),
    })
}

fn template_json(template: &Template) -> Value {
    json!({
        "name": template.name,
        "purpose": template.purpose,
        "variables": template.variables.iter().map(|v| json!({
            "name": v.name,
            "type": match v.kind { VariableKind::String => "string", VariableKind::List => "list" },
            "source": match v.source {
                Source::Flag => "flag",
                Source::Catalog => "catalog",
                Source::Caller => "caller",
            },
            "default": v.default,
            // Added in v1.
            "optional": v.optional,
            "description": v.description,
        })).collect::<Vec<_>>(),
    })
}

fn validation_json(validation: &Validation) -> Value {
    json!({
        "target": validation.target,
        "valid": validation.passed(),
        // Added in v1: the data the rules that name actions, resources and keys rest on.
        "reference": crate::iam::reference().source,
        "problems": validation.problems.iter().map(|p| json!({
            "rule": p.rule,
            "severity": p.severity.as_str(),
            "statement": p.statement,
            "message": p.message,
        })).collect::<Vec<_>>(),
        "proofs": validation.proofs.iter().map(|p| json!({
            "expect": p.expect.as_str(),
            "why": p.why,
            "action": p.request.action,
            "resource": p.request.resource,
            "context": p.request.context().into_iter().collect::<std::collections::BTreeMap<_, _>>(),
            "decision": p.decision.as_str(),
            "matched": p.matched,
            "holds": p.holds(),
        })).collect::<Vec<_>>(),
    })
}

fn evaluation_json(request: &Request, evaluation: &Evaluation, unseen: &[String]) -> Value {
    json!({
        "decision": evaluation.decision.as_str(),
        "action": request.action,
        "resource": request.resource,
        "principal": request.caller().map(|c| c.as_str()),
        "denied_by": evaluation.denied_by.map(|layer| json!({
            "type": layer.source.as_str(),
            "level": layer.level,
        })),
        "matched": evaluation.matched.iter().map(|m| json!({
            "policy": m.policy,
            "sid": m.sid,
            "statement": m.index + 1,
            "effect": m.effect.as_str(),
            "type": m.source.as_str(),
            "level": m.level,
            // Kept from the first version of this document, before "type".
            "boundary": m.source == PolicyType::Boundary,
        })).collect::<Vec<_>>(),
        "unseen": unseen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_v1_contract() {
        insta::assert_snapshot!(render(&Document::Report(&super::super::sample::report())));
    }

    #[test]
    fn a_plan_and_its_outcome() {
        insta::assert_snapshot!(render(&Document::Report(
            &super::super::sample::plan_report()
        )));
    }
}

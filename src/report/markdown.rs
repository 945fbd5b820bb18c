//! Markdown: an auditor's document of one run. Its scope (accounts, regions, principal, time,
//! tool version), a summary per control, then every finding that is not a pass with its
//! evidence and remediation, and the passes in one table.

use std::fmt::Write;

use super::controls::{self, control};
use super::escape::{
    markdown_block, markdown_cell as cell, markdown_cell_code, markdown_code, markdown_text,
};
use super::{Document, Report};
use crate::domain::format_time;
use crate::engine::{Finding, Status};

pub fn render(document: &Document) -> Option<String> {
    match document {
        Document::Report(report) => Some(report_text(report)),
        _ => None,
    }
}

fn symbol(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅ pass",
        Status::Warn => "⚠️ warn",
        Status::Fail => "❌ fail",
        Status::Error => "⛔ error",
        Status::Skip => "➖ skip",
    }
}

/// The status that speaks for a group of findings: a failure first, then an error, a
/// warning, a pass; skipped only when all were.
fn overall(findings: &[&Finding]) -> Status {
    [Status::Fail, Status::Error, Status::Warn, Status::Pass]
        .into_iter()
        .find(|s| findings.iter().any(|f| f.status == *s))
        .unwrap_or(Status::Skip)
}

fn report_text(report: &Report) -> String {
    let mut out = String::new();
    let scope = &report.scope;
    let list = |items: &[String]| {
        if items.is_empty() {
            "—".to_string()
        } else {
            items
                .iter()
                .map(|i| markdown_cell_code(i))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = writeln!(out, "# bedrock-preflight {} report\n", report.command);
    let _ = writeln!(out, "| Scope | |\n|---|---|");
    let _ = writeln!(out, "| Accounts | {} |", list(&scope.accounts));
    let _ = writeln!(out, "| Principal | {} |", list(&scope.principals));
    let _ = writeln!(out, "| Regions | {} |", list(&scope.regions));
    if !scope.models.is_empty() {
        let _ = writeln!(out, "| Models | {} |", list(&scope.models));
    }
    let _ = writeln!(out, "| Started | {} |", format_time(report.started_at));
    let _ = writeln!(out, "| Duration | {} ms |", report.duration.as_millis());
    let _ = writeln!(
        out,
        "| Tool | {} {} |",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    );
    let summary = report.summary();
    let _ = writeln!(
        out,
        "\n**{} passed, {} warnings, {} failed, {} errors, {} skipped.**\n",
        summary.pass, summary.warn, summary.fail, summary.error, summary.skip
    );

    controls_section(&mut out, &report.findings);

    let open: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Error | Status::Warn))
        .collect();
    let _ = writeln!(out, "## Findings to act on\n");
    if open.is_empty() {
        let _ = writeln!(out, "None.\n");
    }
    for finding in open {
        finding_section(&mut out, finding);
    }

    let rest: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Pass | Status::Skip))
        .collect();
    if !rest.is_empty() {
        let _ = writeln!(out, "## Passed and skipped\n");
        let _ = writeln!(
            out,
            "| Status | Check | Controls | Region | Resource | Finding |\n|---|---|---|---|---|---|"
        );
        for f in rest {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} | {} — {} |",
                symbol(f.status),
                f.check,
                f.controls.join(", "),
                cell(f.region.as_deref().unwrap_or("")),
                cell(f.resource.as_deref().unwrap_or("")),
                cell(&f.title),
                cell(&f.message)
            );
        }
        out.push('\n');
    }
    if let Some((plan, outcome)) = &report.plan {
        let _ = writeln!(out, "## Plan: {}\n", cell(&plan.goal));
        let _ = writeln!(out, "| Step | Result |\n|---|---|");
        for (step, result) in plan.steps.iter().zip(&outcome.results) {
            let _ = writeln!(
                out,
                "| {} | {} |",
                cell(&step.summary),
                cell(&result.to_string())
            );
        }
        let _ = writeln!(out, "\nThe principal running this plan needs:\n");
        for permission in plan.permissions() {
            let _ = writeln!(out, "- {}", cell(&permission.describe()));
        }
        out.push('\n');
    }
    out
}

/// One row per control the findings evidence, with the status that speaks for it.
fn controls_section(out: &mut String, findings: &[Finding]) {
    let mut ids: Vec<&str> = Vec::new();
    for finding in findings {
        for id in &finding.controls {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
    }
    if ids.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Controls\n");
    let _ = writeln!(
        out,
        "| Control | Status | Findings | Frameworks | Checks |\n|---|---|---|---|---|"
    );
    for id in ids {
        let of: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.controls.iter().any(|c| c == id))
            .collect();
        let mut checks: Vec<&str> = of.iter().map(|f| f.check).collect();
        checks.dedup();
        let (title, frameworks) = control(id)
            .map(|c| (c.title.as_str(), c.frameworks()))
            .unwrap_or((id, String::new()));
        let failing = of
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Error | Status::Warn))
            .count();
        let _ = writeln!(
            out,
            "| **{id}** {} | {} | {} of {} need action | {} | {} |",
            cell(title),
            symbol(overall(&of)),
            failing,
            of.len(),
            cell(&frameworks),
            checks
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out.push('\n');
}

fn finding_section(out: &mut String, f: &Finding) {
    let _ = writeln!(out, "### {} {}\n", symbol(f.status), cell(&f.title));
    let _ = writeln!(
        out,
        "- **Code:** `{}` (severity {})",
        f.code(),
        f.severity.as_str()
    );
    if let Some(account) = &f.account {
        let _ = writeln!(out, "- **Account:** {}", markdown_code(account));
    }
    if let Some(region) = &f.region {
        let _ = writeln!(out, "- **Region:** {}", markdown_code(region));
    }
    if let Some(resource) = &f.resource {
        let _ = writeln!(out, "- **Resource:** {}", markdown_code(resource));
    }
    if !f.controls.is_empty() {
        let named: Vec<String> = f
            .controls
            .iter()
            .map(|id| match controls::control(id).map(|c| c.frameworks()) {
                Some(frameworks) if !frameworks.is_empty() => format!("{id} ({frameworks})"),
                _ => id.clone(),
            })
            .collect();
        let _ = writeln!(out, "- **Controls:** {}", named.join("; "));
    }
    let _ = writeln!(out, "\n{}\n", markdown_text(&f.message));
    if !f.evidence.is_empty() {
        let evidence = serde_json::to_string_pretty(&f.evidence).unwrap_or_default();
        let _ = writeln!(out, "Evidence:\n\n{}\n", markdown_block("json", &evidence));
    }
    if let Some(fix) = &f.remediation {
        let _ = writeln!(out, "Remediation:\n\n{}\n", markdown_block("text", fix));
    }
}

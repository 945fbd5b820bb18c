//! Markdown: an auditor's document of one run. Its scope (accounts, regions, principal, time,
//! tool version), a summary per control, then every finding that is not a pass with its
//! evidence and remediation, what each of their codes means, and the passes in one table.

use std::fmt::Write;

use super::controls::{self, control};
use super::escape::{
    markdown_block, markdown_cell as cell, markdown_cell_code, markdown_code, markdown_text,
};
use super::fixes::{Fix, group};
use super::{Document, Report};
use crate::domain::format_time;
use crate::engine::{Finding, Status, Suppression};

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
        Status::Suppressed => "💤 suppressed",
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

/// A multi-account audit's accounts, a row each with its counts.
fn accounts_section(out: &mut String, report: &Report) {
    if report.accounts.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## Accounts\n\n| Account | Name | Reached as | Pass | Warn | Fail | Error | Skip | Suppressed |\n|---|---|---|---|---|---|---|---|---|"
    );
    for (entry, s) in report.account_summaries() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            markdown_cell_code(&entry.id),
            entry
                .name
                .as_deref()
                .map(markdown_cell_code)
                .unwrap_or_default(),
            entry
                .role
                .as_deref()
                .map_or_else(|| "own credentials".to_string(), markdown_cell_code),
            s.pass,
            s.warn,
            s.fail,
            s.error,
            s.skip,
            s.suppressed
        );
    }
    out.push('\n');
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
    // Said only when the configuration file accepted something: the line is otherwise as it was.
    let accepted = match summary.suppressed {
        0 => String::new(),
        n => format!(", {n} suppressed"),
    };
    let _ = writeln!(
        out,
        "\n**{} passed, {} warnings, {} failed, {} errors, {} skipped{accepted}.**\n",
        summary.pass, summary.warn, summary.fail, summary.error, summary.skip
    );
    accounts_section(&mut out, report);
    if let Some(why) = &report.halted {
        let _ = writeln!(
            out,
            "## The run stopped before its result\n\n{}\n",
            markdown_text(why)
        );
    }

    controls_section(&mut out, &report.findings);

    let fixes = group(&report.findings);
    fixes_section(&mut out, &fixes);
    let _ = writeln!(out, "## Findings to act on\n");
    let mut none = true;
    for (index, finding) in report.findings.iter().enumerate() {
        if matches!(finding.status, Status::Fail | Status::Error | Status::Warn) {
            let fix = fixes.iter().position(|f| f.findings.contains(&index));
            finding_section(&mut out, finding, fix);
            none = false;
        }
    }
    if none {
        let _ = writeln!(out, "None.\n");
    }
    codes_section(&mut out, report);
    accepted_section(&mut out, &report.findings);

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
        for unchanged in &plan.unchanged {
            let _ = writeln!(out, "- Nothing to change: {}", cell(unchanged));
        }
        if !plan.unchanged.is_empty() {
            out.push('\n');
        }
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

/// The findings the configuration file accepts, each with the reason it gives and its end.
fn accepted_section(out: &mut String, findings: &[Finding]) {
    let accepted: Vec<(&Finding, &Suppression)> = findings
        .iter()
        .filter_map(|f| f.suppression.as_deref().map(|s| (f, s)))
        .collect();
    if accepted.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Accepted findings\n");
    let _ = writeln!(
        out,
        "| Status | Code | Account | Region | Resource | Finding | Reason | Until |\n|---|---|---|---|---|---|---|---|"
    );
    for (f, accepted) in accepted {
        let _ = writeln!(
            out,
            "| {} ({}) | {} | {} | {} | {} | {} | {} | {} |",
            symbol(f.status),
            accepted.status.as_str(),
            markdown_cell_code(&f.code()),
            cell(f.account.as_deref().unwrap_or("")),
            cell(f.region.as_deref().unwrap_or("")),
            cell(f.resource.as_deref().unwrap_or("")),
            cell(&f.title),
            cell(&accepted.reason),
            cell(accepted.expires.as_deref().unwrap_or("—"))
        );
    }
    out.push('\n');
}

/// What each code of the findings to act on means, once per code, in the order they came.
fn codes_section(out: &mut String, report: &Report) {
    let mut explained: Vec<(String, String)> = Vec::new();
    for f in &report.findings {
        if !matches!(f.status, Status::Fail | Status::Error | Status::Warn) {
            continue;
        }
        let code = f.code();
        let kind = report
            .checks
            .iter()
            .find(|meta| meta.id == f.check)
            .and_then(|meta| meta.kind(f.kind.as_str()));
        if let Some(kind) = kind
            && !explained.iter().any(|(seen, _)| *seen == code)
        {
            explained.push((code, kind.explanation()));
        }
    }
    if explained.is_empty() {
        return;
    }
    let _ = writeln!(out, "## What these codes mean\n");
    for (code, explanation) in explained {
        let _ = writeln!(
            out,
            "### {}\n\n{}\n",
            markdown_code(&code),
            explanation_markdown(&explanation)
        );
    }
}

/// An explanation (our own text, whose `` `code spans` `` name commands and settings) as
/// Markdown: each span a code span, everything else escaped text.
pub(super) fn explanation_markdown(explanation: &str) -> String {
    let pieces: Vec<&str> = explanation.split('`').collect();
    // An even number of pieces: a backtick without its pair, which is text.
    if pieces.len().is_multiple_of(2) {
        return markdown_text(explanation);
    }
    pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| {
            if i % 2 == 1 {
                markdown_code(piece)
            } else {
                markdown_text(piece)
            }
        })
        .collect()
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

/// Each fix once, with the findings it repairs.
fn fixes_section(out: &mut String, fixes: &[Fix]) {
    if fixes.is_empty() {
        return;
    }
    let _ = writeln!(out, "## How to fix\n");
    for (number, fix) in fixes.iter().enumerate() {
        let mut text = fix.command.clone();
        for alternative in &fix.alternatives {
            text.push('\n');
            text.push_str(alternative);
        }
        let _ = writeln!(
            out,
            "### Fix {}\n\n{}\n",
            number + 1,
            markdown_block("text", &text)
        );
        for repair in &fix.repairs {
            let mut about: Vec<String> = repair.target.iter().map(|t| markdown_code(t)).collect();
            if !repair.regions.is_empty() {
                let regions: Vec<String> =
                    repair.regions.iter().map(|r| markdown_code(r)).collect();
                about.push(format!("in {}", regions.join(", ")));
            }
            if let Some(account) = &repair.account {
                about.push(format!("(account {})", markdown_code(account)));
            }
            let _ = writeln!(
                out,
                "- {} `{}` {}: {}",
                symbol(repair.status),
                repair.check,
                about.join(" "),
                markdown_text(&repair.title)
            );
        }
        out.push('\n');
    }
}

fn finding_section(out: &mut String, f: &Finding, fix: Option<usize>) {
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
    // Every remediation of a finding to act on is one of the fixes above.
    if let Some(number) = fix {
        let _ = writeln!(out, "Remediation: [Fix {0}](#fix-{0}).\n", number + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn a_plan_says_what_is_already_so() {
        let mut report = sample::plan_report();
        if let Some((plan, _)) = report.plan.as_mut() {
            plan.unchanged =
                vec!["bedrock/L-1 in us-east-1 is 3000000, at or above the 2000000 asked".into()];
        }
        let text = report_text(&report);
        assert!(
            text.contains(
                "## Plan: attach claude-invoke to role/dev\n\n- Nothing to change: bedrock/L-1 in us-east-1 is \
                 3000000, at or above the 2000000 asked\n\n| Step | Result |"
            ),
            "{text}"
        );
    }

    #[test]
    fn each_code_to_act_on_is_explained_once_after_the_findings() {
        let mut report = sample::report();
        report.findings.push(report.findings[1].clone());
        let text = report_text(&report);
        let section = &text[text.find("## What these codes mean").expect(&text)..];
        let explained: Vec<&str> = section
            .lines()
            .filter_map(|l| l.strip_prefix("### "))
            .collect();
        assert_eq!(
            explained,
            [
                "`iam.invoke/destination-denied`",
                "`identity.caller/expiring`",
                "`iam.invoke/read-failed`"
            ],
            "fail, warn and error, each once, no pass or skip: {section}"
        );
        assert!(
            section.contains(
                "The finding names the call and AWS's error code; for access denied, grant the \
                 read-only policy (`bedrock-preflight policy apply preflight-readonly \
                 --attach-to role/NAME --yes`); otherwise run again."
            ),
            "a command stays a code span: {section}"
        );
        assert!(text.find("## Findings to act on") < text.find("## What these codes mean"));
    }

    #[test]
    fn an_explanation_s_code_spans_stay_code_and_the_rest_is_escaped_text() {
        assert_eq!(
            explanation_markdown("Set `\"AWS_REGION\": \"x\"` in <settings> [env]."),
            "Set `\"AWS_REGION\": \"x\"` in &lt;settings&gt; \\[env\\]."
        );
        assert_eq!(
            explanation_markdown("An odd ` backtick is text."),
            "An odd \\` backtick is text."
        );
    }

    #[test]
    fn a_fix_shared_by_findings_is_written_once_and_each_finding_points_to_it() {
        let mut report = sample::report();
        let mut again = report.findings[1].clone();
        again.region = Some("us-east-2".into());
        report.findings.push(again);
        let text = report_text(&report);
        let fix = "bedrock-preflight policy apply claude-invoke --attach-to role/dev --yes";
        assert_eq!(text.matches(fix).count(), 1, "{text}");
        assert!(
            text.contains("`us-west-2`, `us-east-2`"),
            "one line for both regions: {text}"
        );
        assert_eq!(
            text.matches("Remediation: [Fix 1](#fix-1).").count(),
            2,
            "{text}"
        );
        assert!(
            text.find("### Fix 1") < text.find("## Findings to act on"),
            "{text}"
        );
    }
}

//! Text for people: a report is one row per finding, a summary line, then what to do about
//! each fail and warn (and a plan's steps with what became of them); the check catalog is a
//! table; an evaluation is the decision and the statements that made it.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};

use super::escape::{visible, visible_line};
use super::{Document, Report, Style, Width};
use crate::engine::{CheckMeta, Finding, Status};
use crate::iam::{Evaluation, Layer, PolicyType, Request};
use crate::plan::{Confirmation, Outcome, Plan, Rerun};
use crate::policy::{Expect, Source, Template, Validation};

pub fn render(document: &Document, style: Style) -> String {
    // A report's table is colored, so its values are made visible one by one; the other
    // documents are plain text, made visible whole.
    let plain = match document {
        Document::Report(report) => return report_table(&shown(report), style),
        Document::Catalog(checks) => return catalog(checks, style),
        Document::Templates(templates) => return templates_table(templates, style),
        Document::Evaluation(request, evaluation, unseen) => {
            evaluation_text(request, evaluation, unseen)
        }
        Document::Template(template) => template_text(template),
        Document::Policy(document) => pretty(document),
        Document::Validation(validation) => validation_text(validation),
    };
    visible(&plain).into_owned()
}

/// The report with every value a terminal would obey (ESC, CR, ...) shown as its escape.
fn shown(report: &Report) -> Report {
    let mut report = report.clone();
    for finding in &mut report.findings {
        finding.title = visible_line(&finding.title).into_owned();
        finding.message = visible(&finding.message).into_owned();
        for value in [
            &mut finding.region,
            &mut finding.resource,
            &mut finding.account,
        ]
        .into_iter()
        .flatten()
        {
            *value = visible_line(value).into_owned();
        }
        if let Some(fix) = &mut finding.remediation {
            *fix = visible(fix).into_owned();
        }
    }
    report.scope.accounts = report
        .scope
        .accounts
        .iter()
        .map(|a| visible_line(a).into_owned())
        .collect();
    report
}

fn pretty(document: &serde_json::Value) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(document).unwrap_or_default()
    )
}

fn validation_text(validation: &Validation) -> String {
    let mut text = String::new();
    for problem in &validation.problems {
        let at = problem
            .statement
            .as_deref()
            .map(|s| format!(" in {s}"))
            .unwrap_or_default();
        text.push_str(&format!(
            "{} [{}]{at}: {}\n",
            problem.severity.as_str(),
            problem.rule,
            problem.message
        ));
    }
    let held = validation.proofs.iter().filter(|p| p.holds()).count();
    if !validation.proofs.is_empty() {
        text.push_str(&format!(
            "Proved {held} of {} requests with the local evaluator ({} must be allowed, {} denied)\n",
            validation.proofs.len(),
            validation
                .proofs
                .iter()
                .filter(|p| p.expect == Expect::Allow)
                .count(),
            validation
                .proofs
                .iter()
                .filter(|p| p.expect == Expect::Deny)
                .count(),
        ));
    }
    text.push_str(&format!(
        "Actions, resource types and condition keys checked against {}\n",
        crate::iam::reference().source.cite()
    ));
    text.push_str(&format!(
        "{}: {}\n",
        validation.target,
        if validation.passed() {
            "valid"
        } else {
            "NOT valid"
        }
    ));
    text
}

fn templates_table(templates: &[Template], style: Style) -> String {
    let mut table = new_table(
        Style {
            color: false,
            ..style
        },
        vec!["Template", "What it is for", "Variables"],
    );
    for template in templates {
        let variables: Vec<&str> = template.variables.iter().map(|v| v.name.as_str()).collect();
        table.add_row(vec![
            template.name.clone(),
            template.purpose.clone(),
            variables.join(", "),
        ]);
    }
    format!("{table}\n")
}

fn template_text(template: &Template) -> String {
    let mut text = format!("{}: {}\n", template.name, template.purpose);
    if template.variables.is_empty() {
        text.push_str("Variables: none\n");
    } else {
        text.push_str("Variables:\n");
        for v in &template.variables {
            let from = match v.source {
                Source::Flag => match &v.default {
                    Some(default) => format!("--var {}=..., default {default}", v.name),
                    None => format!("--var {}=... (required)", v.name),
                },
                Source::Catalog => "from the live account".to_string(),
            };
            text.push_str(&format!("  {} ({from}): {}\n", v.name, v.description));
        }
    }
    text.push_str("Document:\n");
    text.push_str(&pretty(&template.document()));
    if let Some(trust) = template.trust_document() {
        text.push_str("Trust policy:\n");
        text.push_str(&pretty(&trust));
    }
    text
}

fn new_table(style: Style, header: Vec<&str>) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(header);
    if style.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    match style.width {
        Width::Terminal => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
        }
        Width::Columns(columns) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(columns);
        }
        Width::Unlimited => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table
}

fn report_table(report: &Report, style: Style) -> String {
    let color = style.color;
    let mut out = match &report.plan {
        Some((plan, outcome)) => plan_text(plan, outcome, style),
        None => String::new(),
    };
    if report.plan.is_some() && report.findings.is_empty() {
        return out;
    }
    let mut table = new_table(style, vec!["", "Check", "Region", "Finding"]);
    for finding in &report.findings {
        let mut text = finding.title.clone();
        if !finding.message.is_empty() {
            text.push('\n');
            text.push_str(&finding.message);
        }
        table.add_row(vec![
            mark(finding.status, color),
            Cell::new(finding.check),
            Cell::new(finding.region.as_deref().unwrap_or("")),
            Cell::new(text),
        ]);
    }

    let summary = report.summary();
    out.push_str(&table.to_string());
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    out.push_str(&format!(
        "\n{} passed, {}, {} failed, {}, {} skipped in {} ms",
        summary.pass,
        plural(summary.warn, "warning"),
        summary.fail,
        plural(summary.error, "error"),
        summary.skip,
        report.duration.as_millis()
    ));
    if let Some(account) = report.scope.accounts.first() {
        out.push_str(&format!(" (account {account})"));
    }
    out.push('\n');

    let actionable: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| {
            f.remediation.is_some()
                && matches!(f.status, Status::Fail | Status::Warn | Status::Error)
        })
        .collect();
    if !actionable.is_empty() {
        out.push_str("\nHow to fix:\n");
        for finding in actionable {
            let place = finding
                .region
                .as_deref()
                .map(|r| format!(" [{r}]"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {} {}{place}: {}\n      {}\n",
                symbol(finding.status),
                finding.check,
                finding.title,
                finding.remediation.as_deref().unwrap_or_default()
            ));
        }
    }
    out
}

fn plan_text(plan: &Plan, outcome: &Outcome, style: Style) -> String {
    let mut out = format!("Plan: {}\n", visible_line(&plan.goal));
    if plan.is_converged() {
        out.push_str("  Nothing to change.\n");
        return out;
    }
    let mut table = new_table(style, vec!["#", "Step", "AWS call", "Re-run", "Result"]);
    for (index, (step, result)) in plan.steps.iter().zip(&outcome.results).enumerate() {
        let result = visible(&result.to_string()).into_owned();
        table.add_row(vec![
            (index + 1).to_string(),
            format!(
                "{}\n{}",
                visible(&step.summary),
                visible(&step.change.resource())
            ),
            step.change.operation().to_string(),
            match step.rerun {
                Rerun::Safe => "safe",
                Rerun::PlanFirst => "plan first",
            }
            .to_string(),
            result,
        ]);
    }
    out.push_str(&table.to_string());
    out.push('\n');
    out.push_str("The principal running this plan needs:\n");
    for permission in plan.permissions() {
        out.push_str(&format!("  {}\n", visible_line(&permission.describe())));
    }
    for (index, step) in plan.steps.iter().enumerate() {
        if let Some(detail) = &step.detail {
            out.push_str(&format!(
                "Step {}: {}\n{}",
                index + 1,
                visible(&step.summary),
                visible(detail)
            ));
            if !detail.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out.push_str(match outcome.confirmation {
        Confirmation::DryRun => "Dry run: nothing was sent.\n",
        Confirmation::Unconfirmed => "Nothing was sent: run again with --yes to apply this plan.\n",
        Confirmation::Yes if outcome.failed() => {
            "A step failed; the steps after it were not sent. Fix the cause and run the same \
             command again: it plans from what AWS holds now.\n"
        }
        Confirmation::Yes => "Applied.\n",
    });
    out
}

fn catalog(checks: &[&'static CheckMeta], style: Style) -> String {
    let mut table = new_table(
        Style {
            color: false,
            ..style
        },
        vec!["Check", "Commands", "Depends on", "What it establishes"],
    );
    for meta in checks {
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

fn evaluation_text(request: &Request, evaluation: &Evaluation, unseen: &[String]) -> String {
    let mut text = format!(
        "{}: {} on {}\n",
        evaluation.decision.as_str(),
        request.action,
        request.resource
    );
    let lines: Vec<String> = evaluation
        .matched
        .iter()
        .map(|m| {
            let position = match &m.sid {
                Some(sid) => format!("Sid {sid}"),
                None => format!("statement {}", m.index + 1),
            };
            format!(
                "  {} by {}, {position}{}",
                m.effect.as_str(),
                m.policy,
                layer_suffix(m.source, m.level)
            )
        })
        .collect();
    if lines.is_empty() {
        text.push_str(&match evaluation.denied_by {
            Some(Layer {
                source: PolicyType::Resource,
                ..
            }) => "  no resource-based policy allows it (the resource is in another account, so both sides must)\n".to_string(),
            Some(layer) => format!(
                "  no {}{} allows it\n",
                layer.source.describe(),
                layer.level.map(|l| format!(" at organization level {l}")).unwrap_or_default()
            ),
            None => "  no statement allows it\n".to_string(),
        });
    } else {
        text.push_str(&lines.join("\n"));
        text.push('\n');
    }
    for layer in unseen {
        text.push_str(&format!("  not seen: {layer}\n"));
    }
    text
}

fn symbol(status: Status) -> &'static str {
    match status {
        Status::Pass => "✓",
        Status::Warn => "!",
        Status::Fail => "✗",
        Status::Error => "E",
        Status::Skip => "-",
    }
}

fn mark(status: Status, color: bool) -> Cell {
    let cell = Cell::new(format!("{} {}", symbol(status), status.as_str()));
    if !color {
        return cell;
    }
    match status {
        Status::Pass => cell.fg(Color::Green),
        Status::Warn => cell.fg(Color::Yellow),
        Status::Fail => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Status::Error => cell.fg(Color::Magenta),
        Status::Skip => cell.add_attribute(Attribute::Dim),
    }
}

/// ` (service control policy, level 2)`; nothing for identity policies.
fn layer_suffix(source: PolicyType, level: Option<usize>) -> String {
    match (source, level) {
        (PolicyType::Identity, _) => String::new(),
        (source, Some(level)) => format!(" ({}, organization level {level})", source.describe()),
        (source, None) => format!(" ({})", source.describe()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::report::sample;

    fn plain(report: &Report) -> String {
        render(&Document::Report(report), Style::default())
    }

    #[test]
    fn plain_table() {
        insta::assert_snapshot!(plain(&sample::report()));
    }

    #[test]
    fn a_plan_says_what_was_sent_and_what_was_not() {
        insta::assert_snapshot!(plain(&sample::plan_report()));
    }

    #[test]
    fn wraps_at_the_width_it_is_given() {
        let report = sample::report();
        let widest = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        // The table alone: the fixes below it are commands to paste, never cut.
        let table = |text: String| {
            text.lines()
                .filter(|l| l.starts_with(['┌', '│', '╞', '├', '└']))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let unlimited = table(plain(&report));
        assert!(
            widest(&unlimited) > 100,
            "the sample needs a long row to prove anything"
        );
        for columns in [100, 72] {
            let style = Style {
                color: false,
                width: Width::Columns(columns),
            };
            let wrapped = table(render(&Document::Report(&report), style));
            assert!(
                widest(&wrapped) <= usize::from(columns),
                "{columns}:\n{wrapped}"
            );
            // Wrapping moves text, it loses none: the same characters, borders and blanks aside.
            let letters = |text: &str| {
                let mut letters: Vec<char> = text
                    .chars()
                    .filter(|&c| !c.is_whitespace() && !('\u{2500}'..='\u{257f}').contains(&c))
                    .collect();
                letters.sort_unstable();
                letters
            };
            assert_eq!(letters(&wrapped), letters(&unlimited));
        }
    }

    #[test]
    fn columns_come_from_the_environment_when_usable() {
        let from = |v: Option<&str>| Width::from_columns(v.map(std::ffi::OsStr::new));
        assert_eq!(from(None), Width::Columns(100));
        assert_eq!(from(Some("132")), Width::Columns(132));
        assert_eq!(from(Some(" 80 ")), Width::Columns(80));
        for unusable in ["", "wide", "0", "12", "-5", "99999999"] {
            assert_eq!(from(Some(unusable)), Width::Columns(100), "{unusable}");
        }
    }

    #[test]
    fn color_only_when_asked() {
        let report = sample::report();
        assert!(!plain(&report).contains('\u{1b}'));
        let color = Style {
            color: true,
            width: Width::Unlimited,
        };
        assert!(render(&Document::Report(&report), color).contains('\u{1b}'));
    }
}

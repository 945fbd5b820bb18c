//! Text for people: a report is one row per finding, a summary line, then what to do about
//! each fail and warn (and a plan's steps with what became of them); the check catalog is a
//! table; an evaluation is the decision and the statements that made it.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};
use unicode_width::UnicodeWidthStr;

use super::escape::{visible, visible_line};
use super::fixes::{add_new, group, target};
use super::{Document, Report, Show, Style};
use crate::engine::{CheckMeta, Finding, KindMeta, Status};
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
        Document::Code(meta, kind) => code_text(meta, kind, text_columns(style)),
        Document::Codes(meta) => codes_text(meta, text_columns(style)),
        Document::Template(template) => template_text(template),
        Document::Policy(document) => pretty(document),
        Document::Source(text) => text.to_string(),
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
        if let Some(accepted) = &mut finding.suppression {
            accepted.reason = visible_line(&accepted.reason).into_owned();
        }
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
    for entry in &mut report.accounts {
        for value in [
            Some(&mut entry.id),
            entry.name.as_mut(),
            entry.role.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            *value = visible_line(value).into_owned();
        }
    }
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
                    None if v.optional => format!("--var {}=..., optional", v.name),
                    None => format!("--var {}=... (required)", v.name),
                },
                Source::Catalog => "from the live account".to_string(),
                Source::Caller => format!("--var {}=..., default the caller's", v.name),
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
    if let Some(role) = &template.role {
        text.push_str(&format!(
            "Role: {}, its inline policy {} (policy render {} --format cloudformation deploys it)\n",
            role.name, role.policy_name, template.name
        ));
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
    match style.width.columns(table.width()) {
        Some(columns) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(columns);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table
}

/// The columns running text may take, measured as `new_table` measures a table's.
fn text_columns(style: Style) -> Option<usize> {
    let mut probe = Table::new();
    if !style.color {
        probe.force_no_tty();
    }
    style.width.columns(probe.width()).map(usize::from)
}

/// `text` wrapped to `columns` (unwrapped when there is no limit), each line after `indent`.
fn indented(text: &str, indent: &str, columns: Option<usize>) -> String {
    let wrapped = match columns {
        Some(columns) => wrap(
            text,
            columns.saturating_sub(indent.width()).max(FINDING_LEAST),
        ),
        None => text.to_string(),
    };
    wrapped
        .lines()
        .map(|line| format!("{indent}{line}\n"))
        .collect()
}

/// `checks explain CODE`: the code, its check and severity, then what it means.
fn code_text(meta: &CheckMeta, kind: &KindMeta, columns: Option<usize>) -> String {
    let mut text = format!(
        "{}\n{} (severity {})\n",
        meta.code(kind),
        meta.title,
        meta.severity.as_str()
    );
    for paragraph in kind.explanation().split("\n\n") {
        text.push('\n');
        text.push_str(&indented(paragraph, "  ", columns));
    }
    text
}

/// `checks explain CHECK`: each code of the check with the first sentence of what it means.
fn codes_text(meta: &CheckMeta, columns: Option<usize>) -> String {
    let mut text = format!(
        "{}: {} (severity {})\n\n",
        meta.id,
        meta.title,
        meta.severity.as_str()
    );
    for kind in meta.all_kinds() {
        text.push_str(&format!("  {}\n", meta.code(kind)));
        text.push_str(&indented(&kind.summary(), "      ", columns));
    }
    text.push_str("\nbedrock-preflight checks explain CODE says the whole of what one means.\n");
    text
}

fn report_table(report: &Report, style: Style) -> String {
    let mut out = match &report.plan {
        Some((plan, outcome)) => plan_text(plan, outcome, style),
        None => String::new(),
    };
    if let Some(why) = &report.halted {
        out.push_str(&format!("error: {}\n", visible(why)));
        if report.findings.is_empty() {
            return out;
        }
    }
    if report.plan.is_some() && report.findings.is_empty() {
        return out;
    }
    let summary = report.summary();
    if !report.accounts.is_empty() {
        out.push_str(&accounts_table(report, style));
        out.push('\n');
    }
    let several_accounts = accounts(&report.findings).len() > 1;
    let rows = rows(
        &report.findings,
        style.show,
        summary.fail + summary.error > 0,
    );
    out.push_str(&findings_table(&rows, several_accounts, style));

    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    // Said only when the configuration file accepted something: the line is otherwise as it was.
    let accepted = match summary.suppressed {
        0 => String::new(),
        n => format!(", {n} suppressed"),
    };
    out.push_str(&format!(
        "\n{} passed, {}, {} failed, {}, {} skipped{accepted} in {} ms",
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
    // Hidden by --show failures is not summed up: say so only when they were.
    let shown_passes = rows.iter().filter(|r| r.status == Status::Pass).count();
    if style.show != Some(Show::Failures) && shown_passes < summary.pass {
        out.push_str("Passes are summed up per check; --show all lists each one.\n");
    }
    out.push_str(&fixes(&report.findings, several_accounts));
    out
}

/// A multi-account audit's accounts, a line each with its counts.
fn accounts_table(report: &Report, style: Style) -> String {
    let summaries = report.account_summaries();
    let suppressed = summaries.iter().any(|(_, s)| s.suppressed > 0);
    let mut header = vec![
        "Account",
        "Name",
        "Reached as",
        "Pass",
        "Warn",
        "Fail",
        "Error",
        "Skip",
    ];
    if suppressed {
        header.push("Suppressed");
    }
    let mut table = new_table(style, header);
    for (entry, s) in summaries {
        let mut cells = vec![
            entry.id.clone(),
            entry.name.clone().unwrap_or_default(),
            // The ARN's last part: the account is in the first column, and a whole ARN would be
            // broken across lines.
            entry
                .role
                .as_deref()
                .map_or("own credentials", |arn| {
                    arn.rsplit(':').next().unwrap_or(arn)
                })
                .to_string(),
        ];
        cells.extend([s.pass, s.warn, s.fail, s.error, s.skip].map(|n| n.to_string()));
        if suppressed {
            cells.push(s.suppressed.to_string());
        }
        table.add_row(cells);
    }
    format!("{table}\n")
}

/// One row of a report's table: a finding, or every pass of one check summed up.
struct Row {
    status: Status,
    check: &'static str,
    targets: Vec<String>,
    regions: Vec<String>,
    accounts: Vec<String>,
    text: String,
}

fn rows(findings: &[Finding], show: Option<Show>, failed: bool) -> Vec<Row> {
    let sum_passes = match show {
        Some(Show::All) => false,
        Some(Show::Failures) => {
            return findings
                .iter()
                .filter(|f| f.status != Status::Pass)
                .map(row)
                .collect();
        }
        None => failed,
    };
    if !sum_passes {
        return findings.iter().map(row).collect();
    }
    let mut rows: Vec<Row> = Vec::new();
    // Per summed-up row: how many passes, and their titles.
    let mut passes: Vec<(usize, usize, Vec<&str>)> = Vec::new();
    for finding in findings {
        if finding.status != Status::Pass {
            rows.push(row(finding));
            continue;
        }
        let summed = passes
            .iter_mut()
            .find(|(index, _, _)| rows[*index].check == finding.check);
        let Some((index, count, titles)) = summed else {
            passes.push((rows.len(), 1, vec![finding.title.as_str()]));
            rows.push(Row {
                text: finding.title.clone(),
                ..row(finding)
            });
            continue;
        };
        *count += 1;
        if !titles.contains(&finding.title.as_str()) {
            titles.push(finding.title.as_str());
        }
        let single = row(finding);
        let summed = &mut rows[*index];
        for (all, new) in [
            (&mut summed.targets, single.targets),
            (&mut summed.regions, single.regions),
            (&mut summed.accounts, single.accounts),
        ] {
            for value in new {
                add_new(all, value);
            }
        }
        summed.text = match titles.as_slice() {
            [title] => format!("{title} ({count} passed)"),
            _ => format!("{count} passed: {}", titles.join("; ")),
        };
    }
    rows
}

fn row(finding: &Finding) -> Row {
    let mut text = finding.title.clone();
    if !finding.message.is_empty() {
        text.push('\n');
        text.push_str(&finding.message);
    }
    if let Some(accepted) = &finding.suppression {
        text.push_str(&format!(
            "\nAccepted ({} at {}): {}",
            accepted.status.as_str(),
            accepted.source,
            accepted.reason
        ));
        if let Some(end) = &accepted.expires {
            text.push_str(&format!(" (until {end})"));
        }
    }
    Row {
        status: finding.status,
        check: finding.check,
        targets: target(finding)
            .map(|t| visible_line(&t).into_owned())
            .into_iter()
            .collect(),
        regions: finding.region.iter().cloned().collect(),
        accounts: finding.account.iter().cloned().collect(),
        text,
    }
}

fn accounts(findings: &[Finding]) -> Vec<&str> {
    let mut accounts = Vec::new();
    for account in findings.iter().filter_map(|f| f.account.as_deref()) {
        add_new(&mut accounts, account);
    }
    accounts
}

fn findings_table(rows: &[Row], several_accounts: bool, style: Style) -> String {
    let mut header = vec!["", "Check", "Target", "Region"];
    if several_accounts {
        header.push("Account");
    }
    header.push("Finding");
    let mut cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut cells = vec![
                format!("{} {}", symbol(row.status), row.status.as_str()),
                row.check.to_string(),
                row.targets.join(", "),
                row.regions.join(", "),
            ];
            if several_accounts {
                cells.push(row.accounts.join(", "));
            }
            cells.push(grouped_numbers(&row.text));
            cells
        })
        .collect();
    let mut table = new_table(style, header.clone());
    // comfy-table cuts a word longer than its column at any character, which breaks an ARN
    // or a model ID where it cannot be copied: the cells are wrapped here, at the widths
    // `widths` gives, only at spaces and after `/`, `:` and `.`, and drawn as they are.
    table.set_content_arrangement(ContentArrangement::Disabled);
    let mut symbols_only = false;
    if let Some(columns) = style.width.columns(table.width()) {
        let widths = widths(&header, &cells, usize::from(columns));
        symbols_only = widths[0] == 1;
        for row in &mut cells {
            for (cell, width) in row.iter_mut().zip(&widths) {
                *cell = wrap(cell, *width);
            }
        }
    }
    for (row, cells) in rows.iter().zip(cells) {
        let mut line = vec![mark(row.status, style.color, symbols_only)];
        line.extend(cells.into_iter().skip(1).map(Cell::new));
        table.add_row(line);
    }
    format!("{table}")
}

/// Column widths within `columns`: the status, check, region and account columns as wide as
/// their widest word, the target at least its widest piece and about a third of the rest, the
/// finding the rest. Where whole pieces would not fit, the check ID is broken at its dot and
/// the status is shown by its symbol alone (a width of 1); where they still do not, the table
/// is wider than `columns` rather than cut a name.
fn widths(header: &[&str], cells: &[Vec<String>], columns: usize) -> Vec<usize> {
    let count = header.len();
    let widest = |index: usize, measure: &dyn Fn(&str) -> usize| {
        cells
            .iter()
            .map(|row| measure(&row[index]))
            .chain([header[index].width()])
            .max()
            .unwrap_or(0)
    };
    let longest_word = |text: &str| text.split_whitespace().map(|w| w.width()).max();
    let mut widths: Vec<usize> = (0..count)
        .map(|i| widest(i, &|c| longest_word(c).unwrap_or(0)))
        .collect();
    widths[0] = widest(0, &|c| c.width());
    // Borders and one space of padding either side of each column.
    let available = columns.saturating_sub(3 * count + 1);
    let (check, target, finding) = (1, 2, count - 1);
    let target_least = widest(target, &longest_piece);
    let finding_least = widest(finding, &longest_piece).max(FINDING_LEAST);
    let shared = |widths: &[usize]| {
        let fixed: usize = (0..finding)
            .filter(|&i| i != target)
            .map(|i| widths[i])
            .sum();
        available.saturating_sub(fixed)
    };
    if shared(&widths) < target_least + finding_least {
        widths[check] = widest(check, &longest_piece);
    }
    if shared(&widths) < target_least + finding_least {
        widths[0] = 1;
    }
    let shared = shared(&widths);
    widths[target] = (shared / 3)
        .min(widest(target, &|c| c.width()))
        .max(target_least);
    widths[finding] = shared
        .saturating_sub(widths[target])
        .max(widest(finding, &longest_piece));
    widths
}

/// Narrower than this, a finding's sentence reads a few words a line.
const FINDING_LEAST: usize = 26;

/// The pieces a word too long for a line may be broken into: after each `/`, `:` and `.`
/// it holds, a piece of one or two characters kept with the one before (`v1:0`, `iam::`).
fn pieces(word: &str) -> Vec<&str> {
    let mut pieces: Vec<&str> = Vec::new();
    let mut start = 0;
    for piece in word.split_inclusive(['/', ':', '.']) {
        let end = start + piece.len();
        match pieces.last_mut() {
            Some(last) if piece.chars().count() <= 2 => *last = &word[start - last.len()..end],
            _ => pieces.push(piece),
        }
        start = end;
    }
    pieces
}

fn longest_piece(text: &str) -> usize {
    text.split_whitespace()
        .flat_map(pieces)
        .map(|p| p.width())
        .max()
        .unwrap_or(0)
}

/// `text` in lines of at most `width` columns, broken at spaces; a word longer than a line is
/// broken after a `/`, `:` or `.` it holds, never inside a name.
fn wrap(text: &str, width: usize) -> String {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let space = usize::from(!line.is_empty());
            if line.width() + space + word.width() <= width {
                if space == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                continue;
            }
            if word.width() <= width {
                lines.push(std::mem::take(&mut line));
                line.push_str(word);
                continue;
            }
            if !line.is_empty() {
                line.push(' ');
            }
            for piece in pieces(word) {
                if !line.trim_end().is_empty() && line.width() + piece.width() > width {
                    lines.push(line.trim_end().to_string());
                    line.clear();
                }
                line.push_str(piece);
            }
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// Quantities with thousands separators: `720000000 tokens` → `720,000,000 tokens`. A number
/// that is part of a name (`20251001-v1`, an ARN) is left alone, and so is one of twelve
/// digits or more: an account ID.
fn grouped_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        let (before, from) = rest.split_at(start);
        out.push_str(before);
        let digits = from
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(from.len());
        let (number, after) = from.split_at(digits);
        let alone_before = out
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == '(');
        let mut next = after.chars();
        let alone_after = match next.next() {
            None => true,
            Some('.') => next.next().is_none_or(char::is_whitespace),
            Some(c) => c.is_whitespace() || matches!(c, ')' | ',' | ';'),
        };
        if alone_before && alone_after && (5..12).contains(&number.len()) {
            for (index, digit) in number.chars().enumerate() {
                if index > 0 && (number.len() - index) % 3 == 0 {
                    out.push(',');
                }
                out.push(digit);
            }
        } else {
            out.push_str(number);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The "How to fix" section: each fix once, then the findings it repairs.
fn fixes(findings: &[Finding], several_accounts: bool) -> String {
    let fixes = group(findings);
    if fixes.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nHow to fix:\n");
    for (number, fix) in fixes.iter().enumerate() {
        out.push_str(&format!("{:>3}. {}\n", number + 1, fix.command));
        for alternative in &fix.alternatives {
            out.push_str(&format!("     {alternative}\n"));
        }
        for repair in &fix.repairs {
            let mut about: Vec<String> = repair
                .target
                .iter()
                .map(|t| visible_line(t).into_owned())
                .collect();
            if !repair.regions.is_empty() {
                about.push(repair.regions.join(", "));
            }
            if let Some(account) = repair.account.as_ref().filter(|_| several_accounts) {
                about.push(format!("account {account}"));
            }
            let about = if about.is_empty() {
                String::new()
            } else {
                format!(" [{}]", about.join(" "))
            };
            out.push_str(&format!(
                "       {} {}{about}: {}\n",
                symbol(repair.status),
                repair.check,
                repair.title
            ));
        }
    }
    out
}

fn plan_text(plan: &Plan, outcome: &Outcome, style: Style) -> String {
    let mut out = format!("Plan: {}\n", visible_line(&plan.goal));
    for unchanged in &plan.unchanged {
        out.push_str(&format!(
            "  Nothing to change: {}\n",
            visible_line(unchanged)
        ));
    }
    if plan.is_converged() {
        if plan.unchanged.is_empty() {
            out.push_str("  Nothing to change.\n");
        }
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
        // A plan over several accounts stops only the failing account's steps.
        Confirmation::Yes if outcome.failed() && plan.spans_accounts() => {
            "A step failed; the later steps of its account were not sent, the other accounts' \
             were. Fix the cause and run the same command again.\n"
        }
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
        Status::Suppressed => "~",
    }
}

fn mark(status: Status, color: bool, symbol_only: bool) -> Cell {
    let cell = Cell::new(if symbol_only {
        symbol(status).to_string()
    } else {
        format!("{} {}", symbol(status), status.as_str())
    });
    if !color {
        return cell;
    }
    match status {
        Status::Pass => cell.fg(Color::Green),
        Status::Warn => cell.fg(Color::Yellow),
        Status::Fail => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Status::Error => cell.fg(Color::Magenta),
        Status::Skip | Status::Suppressed => cell.add_attribute(Attribute::Dim),
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

    use crate::report::fixes::short_id;
    use crate::report::{Width, sample};

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
    fn wraps_at_the_width_it_is_given_and_never_inside_a_name() {
        let report = sample::report();
        let widest = |text: &str| text.lines().map(|l| l.width()).max().unwrap_or(0);
        // The table alone: the fixes below it are commands to paste, never cut.
        let table = |text: String| {
            text.lines()
                .filter(|l| l.starts_with(['┌', '│', '╞', '├', '└']))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let all = |width| Style {
            color: false,
            width,
            show: Some(Show::All),
        };
        let unlimited = table(render(&Document::Report(&report), all(Width::Unlimited)));
        assert!(
            widest(&unlimited) > 100,
            "the sample needs a long row to prove anything"
        );
        let arn =
            "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0";
        for columns in [100, 72] {
            let wrapped = table(render(
                &Document::Report(&report),
                all(Width::Columns(columns)),
            ));
            // At 72 the model ID's last piece (31 columns) needs two columns of its width.
            if columns == 100 {
                assert!(widest(&wrapped) <= 100, "{columns}:\n{wrapped}");
            }
            for piece in pieces(arn) {
                assert!(
                    wrapped.contains(piece),
                    "{piece} cut at {columns}:\n{wrapped}"
                );
            }
            // Wrapping moves text, it loses none: the same characters, borders, blanks and
            // the status words a narrow table leaves out aside.
            let letters = |text: &str| {
                let mut letters: Vec<char> = text
                    .replace(" fail", "")
                    .replace(" pass", "")
                    .replace(" warn", "")
                    .replace(" error", "")
                    .replace(" skip", "")
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
    fn a_long_word_breaks_only_after_a_slash_a_colon_or_a_dot() {
        let wrapped = wrap(
            "denied on arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0 now",
            32,
        );
        assert_eq!(
            wrapped.lines().collect::<Vec<_>>(),
            [
                "denied on arn:aws:bedrock:",
                "us-east-1:123456789012:",
                "inference-profile/us.anthropic.",
                "claude-haiku-4-5-20251001-v1:0",
                "now"
            ]
        );
        // A piece wider than the line stays whole.
        assert_eq!(
            wrap("InvokeModelWithResponseStream", 10),
            "InvokeModelWithResponseStream"
        );
        assert_eq!(
            pieces("arn:aws:iam::1:role/a"),
            ["arn:", "aws:", "iam::1:", "role/a"]
        );
    }

    #[test]
    fn quantities_are_grouped_and_identifiers_are_not() {
        assert_eq!(
            grouped_numbers("720000000 tokens per day (the default 2000000), 2000 requests."),
            "720,000,000 tokens per day (the default 2,000,000), 2000 requests."
        );
        for kept in [
            "account 123456789012",
            "claude-haiku-4-5-20251001-v1:0",
            "arn:aws:iam::123456789012:role/dev",
            "expires at 17953416000s",
        ] {
            assert_eq!(grouped_numbers(kept), kept);
        }
    }

    #[test]
    fn the_target_is_the_model_else_the_resource_by_its_id() {
        let report = sample::report();
        let targets: Vec<Option<String>> = report.findings.iter().map(target).collect();
        assert_eq!(targets[0].as_deref(), Some("role/dev"));
        assert_eq!(
            targets[1].as_deref(),
            Some("anthropic.claude-sonnet-4-5-20250929-v1:0")
        );
        let mut finding = report.findings[1].clone();
        finding.evidence.insert(
            "model_id".into(),
            "us.anthropic.claude-sonnet-4-6\u{1b}[2J".into(),
        );
        assert_eq!(
            row(&finding).targets,
            [r"us.anthropic.claude-sonnet-4-6\u001b[2J"]
        );
        assert_eq!(
            short_id("us.anthropic.claude-sonnet-4-6"),
            "us.anthropic.claude-sonnet-4-6"
        );
    }

    /// The sample with `passes` more passes of one check, in two regions and two models.
    fn with_passes(failed: bool) -> Report {
        let mut report = sample::report();
        if !failed {
            report.findings.retain(|f| f.status == Status::Pass);
        }
        for (model, region) in [("a.m-1", "us-east-1"), ("b.m-2", "us-west-2")] {
            let mut pass = report.findings[0].clone();
            pass.check = "models.lifecycle";
            pass.title = "Model is active".into();
            pass.message = format!("{model} is ACTIVE");
            pass.region = Some(region.into());
            pass.evidence.insert("model_id".into(), model.into());
            report.findings.push(pass);
        }
        report
    }

    fn rows_shown(report: &Report, show: Option<Show>) -> String {
        let style = Style {
            show,
            ..Style::default()
        };
        render(&Document::Report(report), style)
    }

    #[test]
    fn passes_are_summed_up_per_check_when_something_failed() {
        let text = rows_shown(&with_passes(true), None);
        assert_eq!(text.matches("✓ pass").count(), 2, "{text}");
        assert!(text.contains("Model is active (2 passed)"), "{text}");
        assert!(text.contains("a.m-1, b.m-2"), "{text}");
        assert!(text.contains("us-east-1, us-west-2"), "{text}");
        assert!(!text.contains("is ACTIVE"), "{text}");
        assert!(text.contains("--show all lists each one"), "{text}");

        let all = rows_shown(&with_passes(true), Some(Show::All));
        assert_eq!(all.matches("✓ pass").count(), 3, "{all}");
        assert!(all.contains("b.m-2 is ACTIVE"), "{all}");

        let failures = rows_shown(&with_passes(true), Some(Show::Failures));
        assert_eq!(failures.matches("✓ pass").count(), 0, "{failures}");
        assert!(failures.contains("✗ fail"), "{failures}");
        assert!(
            !failures.contains("summed up"),
            "hidden, not summed up: {failures}"
        );

        let passing = rows_shown(&with_passes(false), None);
        assert_eq!(passing.matches("✓ pass").count(), 3, "{passing}");
        assert!(!passing.contains("--show all"), "{passing}");
        assert_eq!(
            rows_shown(&with_passes(false), Some(Show::Failures))
                .matches("✓ pass")
                .count(),
            0
        );
    }

    fn failing(check: &'static str, region: &str, model: &str, fix: &str) -> Finding {
        let mut finding = sample::report().findings[1].clone();
        finding.check = check;
        finding.region = Some(region.into());
        finding.resource = None;
        if !model.is_empty() {
            finding.evidence.insert("model_id".into(), model.into());
        }
        finding.remediation = Some(fix.into());
        finding
    }

    #[test]
    fn each_fix_is_printed_once_with_what_it_repairs_in_the_run_s_order() {
        let apply = "bedrock-preflight policy apply claude-invoke --attach-to role/dev --yes";
        let mut report = sample::report();
        report.findings = vec![
            failing(
                "models.access",
                "us-east-1",
                "m.a",
                "bedrock-preflight setup model-access --model m.a --yes",
            ),
            failing(
                "iam.invoke",
                "us-east-1",
                "m.a",
                &format!("{apply}\n(or add statement A)"),
            ),
            failing(
                "iam.invoke",
                "us-west-2",
                "m.a",
                &format!("{apply}\n(or add statement A)"),
            ),
            failing(
                "iam.invoke",
                "us-east-1",
                "m.b",
                &format!("{apply}\n(or add statement B)"),
            ),
            failing(
                "logging.invocation",
                "us-east-1",
                "",
                "bedrock-preflight setup logging --log-group g --region us-east-1 --yes",
            ),
            failing(
                "logging.invocation",
                "us-west-2",
                "",
                "bedrock-preflight setup logging --log-group g --region us-west-2 --yes",
            ),
            failing(
                "mantle.access",
                "us-east-1",
                "",
                "aws bedrock put-account-data-retention --mode x --region us-east-1",
            ),
            failing(
                "mantle.access",
                "us-west-2",
                "",
                "aws bedrock put-account-data-retention --mode x --region us-west-2",
            ),
        ];
        let text = plain(&report);
        let fixes = &text[text.find("How to fix:").expect("a fix section")..];
        assert_eq!(fixes.matches(apply).count(), 1, "{fixes}");
        assert!(
            fixes.contains(
                "bedrock-preflight setup logging --log-group g --region us-east-1 --region us-west-2 --yes"
            ),
            "{fixes}"
        );
        // The aws CLI takes one --region: its commands stay apart.
        assert_eq!(
            fixes
                .matches("aws bedrock put-account-data-retention")
                .count(),
            2
        );
        // Every line of a fix is indented under its number, alternatives once each.
        assert!(
            fixes.lines().skip(1).all(|l| l.starts_with("  ")),
            "{fixes}"
        );
        assert_eq!(fixes.matches("(or add statement A)").count(), 1, "{fixes}");
        assert!(fixes.contains("(or add statement B)"), "{fixes}");
        assert!(
            fixes.contains("iam.invoke [m.a us-east-1, us-west-2]: ")
                && fixes.contains("iam.invoke [m.b us-east-1]: "),
            "{fixes}"
        );
        let order: Vec<usize> = ["model-access", "policy apply", "setup logging", "--mode x"]
            .iter()
            .map(|f| fixes.find(f).unwrap())
            .collect();
        assert!(order.is_sorted(), "{fixes}");
        assert!(!fixes.contains(" account "), "{fixes}");

        report.findings[2].account = Some("111111111111".into());
        report.findings[1].account = Some("222222222222".into());
        let text = plain(&report);
        assert!(text.contains("┆ Account "), "{text}");
        assert!(
            text.contains("[m.a us-west-2 account 111111111111]")
                && text.contains("[m.a us-east-1 account 222222222222]"),
            "{text}"
        );
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
        // A terminal that reports no columns (docker run -t, script) takes COLUMNS, else 100.
        let terminal = Width::Terminal { fallback: 80 };
        assert_eq!(terminal.columns(Some(0)), Some(80));
        assert_eq!(terminal.columns(None), Some(80));
        assert_eq!(terminal.columns(Some(120)), Some(120));
        assert_eq!(Width::Unlimited.columns(Some(120)), None);
    }

    #[test]
    fn color_only_when_asked() {
        let report = sample::report();
        assert!(!plain(&report).contains('\u{1b}'));
        let color = Style {
            color: true,
            width: Width::Unlimited,
            show: None,
        };
        assert!(render(&Document::Report(&report), color).contains('\u{1b}'));
    }
}

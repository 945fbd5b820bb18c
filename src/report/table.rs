//! The human report: one row per finding, a summary line, then what to do about each fail and
//! warn.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};

use super::Report;
use crate::engine::{Finding, Status};

/// `fit_terminal`: wrap to the terminal's width (stdout is one); otherwise rows are never cut.
pub fn render_table(report: &Report, color: bool, fit_terminal: bool) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec!["", "Check", "Region", "Finding"]);
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table.set_content_arrangement(if fit_terminal {
        ContentArrangement::Dynamic
    } else {
        ContentArrangement::Disabled
    });
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
    let mut out = table.to_string();
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
    if let Some(account) = &report.target.account {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_table() {
        insta::assert_snapshot!(render_table(&super::super::sample::report(), false, false));
    }

    #[test]
    fn color_only_when_asked() {
        let report = super::super::sample::report();
        assert!(!render_table(&report, false, false).contains('\u{1b}'));
        assert!(render_table(&report, true, false).contains('\u{1b}'));
    }
}

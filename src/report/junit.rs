//! JUnit XML: one test suite per check, one test case per finding, named by its code with where
//! it is (account, region, resource) as its class. A failure is a `<failure>`,
//! an error an `<error>`, a skip `<skipped>`; a warning passes with the warning on its
//! `<system-out>`, since JUnit has no such outcome.

use std::fmt::Write;

use super::{Document, Report};
use crate::domain::format_time;
use crate::engine::{Finding, Status};

pub fn render(document: &Document) -> Option<String> {
    match document {
        Document::Report(report) => Some(report_xml(report)),
        _ => None,
    }
}

/// Text as XML character data or an attribute value.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in super::escape::visible(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn count(findings: &[&Finding], status: Status) -> usize {
    findings.iter().filter(|f| f.status == status).count()
}

fn report_xml(report: &Report) -> String {
    let mut suites: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for finding in &report.findings {
        match suites.iter_mut().find(|(check, _)| *check == finding.check) {
            Some((_, list)) => list.push(finding),
            None => suites.push((finding.check, vec![finding])),
        }
    }
    let all: Vec<&Finding> = report.findings.iter().collect();
    let halted = usize::from(report.halted.is_some());
    let seconds = report.duration.as_secs_f64();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"bedrock-preflight {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{seconds:.3}\" timestamp=\"{}\">",
        escape(report.command),
        all.len() + halted,
        count(&all, Status::Fail),
        count(&all, Status::Error) + halted,
        count(&all, Status::Skip) + count(&all, Status::Suppressed),
        format_time(report.started_at)
    );
    for (check, findings) in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            escape(check),
            findings.len(),
            count(findings, Status::Fail),
            count(findings, Status::Error),
            count(findings, Status::Skip) + count(findings, Status::Suppressed)
        );
        for f in findings {
            // The code names the case (DESIGN); where it is, the class.
            let name = f.code();
            let mut class = check.to_string();
            for part in [&f.account, &f.region, &f.resource].into_iter().flatten() {
                class.push_str(&format!(" [{part}]"));
            }
            let body = match &f.remediation {
                Some(fix) => format!("{}\n\nRemediation: {fix}", f.message),
                None => f.message.clone(),
            };
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
                escape(&class),
                escape(&name)
            );
            let element = match f.status {
                Status::Pass => None,
                Status::Fail => Some("failure"),
                Status::Error => Some("error"),
                Status::Skip => Some("skipped"),
                Status::Warn => Some("system-out"),
                Status::Suppressed => Some("suppressed"),
            };
            match element {
                None => out.push_str("/>\n"),
                // A case CI does not count against the run, saying who accepted it and why.
                Some("suppressed") => {
                    let reason = f.suppression.as_ref().map_or("", |s| s.reason.as_str());
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"suppressed: {}\" type=\"{}\">{}</skipped>\n    </testcase>",
                        escape(reason),
                        escape(&f.code()),
                        escape(&body)
                    );
                }
                Some("system-out") => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>warning: {}: {}</system-out>\n    </testcase>",
                        escape(&f.title),
                        escape(&body)
                    );
                }
                Some(element) => {
                    let _ = writeln!(
                        out,
                        ">\n      <{element} message=\"{}\" type=\"{}\">{}</{element}>\n    </testcase>",
                        escape(&f.title),
                        escape(&f.code()),
                        escape(&body)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    if let Some(why) = &report.halted {
        // The command itself, as one case that errored: CI shows why nothing else ran.
        let _ = writeln!(
            out,
            "  <testsuite name=\"{0}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    \
             <testcase name=\"{0}\" classname=\"{0}\">\n      <error message=\"{1}\" type=\"halted\">{1}</error>\n    \
             </testcase>\n  </testsuite>",
            escape(report.command),
            escape(why)
        );
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accepted_finding_is_skipped_with_its_reason_in_every_text_format() {
        let mut report = crate::report::sample::report();
        let denied = &mut report.findings[1];
        denied.suppression = Some(Box::new(crate::engine::Suppression {
            status: Status::Fail,
            reason: "sandbox <only>".into(),
            expires: Some("2027-01-01".into()),
            source: "bedrock-preflight.toml:3".into(),
        }));
        denied.status = Status::Suppressed;
        let document = Document::Report(&report);
        let xml = render(&document).unwrap();
        assert!(
            xml.contains("failures=\"0\" errors=\"1\" skipped=\"2\""),
            "{xml}"
        );
        assert!(
            xml.contains("<skipped message=\"suppressed: sandbox &lt;only&gt;\" type=\"iam.invoke/destination-denied\">"),
            "{xml}"
        );
        let table =
            crate::report::render(&document, super::super::Format::Table, Default::default())
                .unwrap();
        assert!(table.contains("~ suppressed"), "{table}");
        assert!(
            table.contains(
                "Accepted (fail at bedrock-preflight.toml:3): sandbox <only> (until 2027-01-01)"
            ),
            "{table}"
        );
        assert!(table.contains("1 skipped, 1 suppressed in"), "{table}");
        let markdown = crate::report::render(
            &document,
            super::super::Format::Markdown,
            Default::default(),
        )
        .unwrap();
        assert!(markdown.contains("## Accepted findings"), "{markdown}");
        assert!(
            markdown.contains("1 skipped, 1 suppressed.**"),
            "{markdown}"
        );
        assert!(markdown.contains("| 💤 suppressed (fail) |"), "{markdown}");
    }

    #[test]
    fn markup_in_findings_is_escaped() {
        assert_eq!(
            escape("a < b & \"c\" > 'd'\u{1}"),
            "a &lt; b &amp; &quot;c&quot; &gt; &apos;d&apos;\\u0001"
        );
        // What XML allows but a terminal obeys is shown, not kept.
        assert_eq!(escape("x\u{9b}2J\u{202e}"), "x\\u009b2J\\u202e");
    }
}

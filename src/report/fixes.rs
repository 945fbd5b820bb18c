//! Fixes grouped by cause, for the reports people read (table, Markdown): each distinct fix
//! once, with the findings it repairs, in the order of the first of them (the run's order:
//! access before IAM before quotas). The machine formats keep each finding's own remediation.

use crate::engine::{Finding, Status};

/// One fix and what it repairs.
pub struct Fix {
    /// Its first line, whole: a command needed in several regions names them all.
    pub command: String,
    /// Its other lines: other ways to the same end, once each.
    pub alternatives: Vec<String>,
    pub repairs: Vec<Repair>,
    /// The indices of the findings it repairs.
    pub findings: Vec<usize>,
}

/// The findings of one fix that differ only in their region, as one.
pub struct Repair {
    pub status: Status,
    pub check: &'static str,
    pub target: Option<String>,
    pub account: Option<String>,
    pub title: String,
    pub regions: Vec<String>,
}

/// The fail, warn and error findings that carry a remediation, grouped by it.
pub fn group(findings: &[Finding]) -> Vec<Fix> {
    // Per fix: its first line with REGION_SLOT for its one --region, and those regions.
    let mut templates: Vec<(String, Vec<String>)> = Vec::new();
    let mut fixes: Vec<Fix> = Vec::new();
    for (index, finding) in findings.iter().enumerate() {
        let Some(text) = finding.remediation.as_deref() else {
            continue;
        };
        if !matches!(finding.status, Status::Fail | Status::Warn | Status::Error) {
            continue;
        }
        let (first, alternatives) = text.split_once('\n').unwrap_or((text, ""));
        let (template, region) = region_slot(first);
        let at = match templates.iter().position(|(t, _)| *t == template) {
            Some(at) => at,
            None => {
                templates.push((template, Vec::new()));
                fixes.push(Fix {
                    command: String::new(),
                    alternatives: Vec::new(),
                    repairs: Vec::new(),
                    findings: Vec::new(),
                });
                fixes.len() - 1
            }
        };
        if let Some(region) = region {
            add_new(&mut templates[at].1, region.to_string());
        }
        let fix = &mut fixes[at];
        fix.findings.push(index);
        for alternative in alternatives.lines() {
            add_new(&mut fix.alternatives, alternative.to_string());
        }
        let target = target(finding);
        let same = fix.repairs.iter_mut().find(|r| {
            r.status == finding.status
                && r.check == finding.check
                && r.target == target
                && r.account == finding.account
                && r.title == finding.title
        });
        let regions = match same {
            Some(same) => &mut same.regions,
            None => {
                fix.repairs.push(Repair {
                    status: finding.status,
                    check: finding.check,
                    target,
                    account: finding.account.clone(),
                    title: finding.title.clone(),
                    regions: Vec::new(),
                });
                &mut fix.repairs.last_mut().expect("just pushed").regions
            }
        };
        if let Some(region) = &finding.region {
            add_new(regions, region.clone());
        }
    }
    for (fix, (template, regions)) in fixes.iter_mut().zip(templates) {
        fix.command = match template.split_once(REGION_SLOT) {
            Some((before, after)) => format!("{before}{}{after}", regions.join(" --region ")),
            None => template,
        };
    }
    fixes
}

/// What a finding is about, as a person names it: the model it checked, else its resource
/// by its ID.
pub fn target(finding: &Finding) -> Option<String> {
    match finding.evidence.get("model_id").and_then(|m| m.as_str()) {
        Some(model) => Some(model.to_string()),
        None => finding.resource.as_deref().map(|r| short_id(r).to_string()),
    }
}

/// An ARN's resource: a Bedrock model or profile by its ID alone
/// (`foundation-model/anthropic.claude-sonnet-4-6` → `anthropic.claude-sonnet-4-6`), other
/// services' with their type, which IAM paths and names need (`role/team/dev`).
pub fn short_id(resource: &str) -> &str {
    let mut parts = resource.splitn(6, ':');
    match (parts.next(), parts.next(), parts.next(), parts.nth(2)) {
        (Some("arn"), Some(_), Some("bedrock"), Some(id)) => {
            id.split_once('/').map_or(id, |(_, id)| id)
        }
        (Some("arn"), Some(_), Some(_), Some(id)) => id,
        _ => resource,
    }
}

pub fn add_new<T: PartialEq>(all: &mut Vec<T>, value: T) {
    if !all.contains(&value) {
        all.push(value);
    }
}

const REGION_SLOT: &str = "\u{0}";

/// A bedrock-preflight command with one `--region`, as a template with its region apart: the
/// same command for several regions is one command, since `--region` repeats everywhere in
/// this tool. Other programs' commands (the aws CLI takes one region) are kept whole.
fn region_slot(command: &str) -> (String, Option<&str>) {
    let words: Vec<&str> = command.split(' ').collect();
    let regions: Vec<usize> = words
        .iter()
        .enumerate()
        .filter(|(_, w)| **w == "--region")
        .map(|(i, _)| i + 1)
        .collect();
    match (words.first(), regions.as_slice()) {
        (Some(&"bedrock-preflight"), &[value]) if value < words.len() => {
            let mut template = words.clone();
            template[value] = REGION_SLOT;
            (template.join(" "), Some(words[value]))
        }
        _ => (command.to_string(), None),
    }
}

//! The controls an audit evidences, from `controls.json` (owned by this project): each check's
//! control IDs, and each control's title and its CIS AWS Foundations and NIST 800-53 IDs where
//! the mapping is sound.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::engine::Finding;

#[derive(Debug, Deserialize)]
pub struct Control {
    pub title: String,
    #[serde(default)]
    pub cis: Vec<String>,
    #[serde(default)]
    pub nist: Vec<String>,
}

impl Control {
    /// `CIS 3.1; NIST AU-2, AU-12`, or empty.
    pub fn frameworks(&self) -> String {
        let mut parts = Vec::new();
        if !self.cis.is_empty() {
            parts.push(format!("CIS {}", self.cis.join(", ")));
        }
        if !self.nist.is_empty() {
            parts.push(format!("NIST 800-53 {}", self.nist.join(", ")));
        }
        parts.join("; ")
    }
}

#[derive(Debug, Deserialize)]
struct Mapping {
    controls: BTreeMap<String, Control>,
    checks: BTreeMap<String, Vec<String>>,
}

fn mapping() -> &'static Mapping {
    static MAPPING: OnceLock<Mapping> = OnceLock::new();
    MAPPING.get_or_init(|| {
        serde_json::from_str(include_str!("controls.json"))
            .expect("controls.json is checked by its unit test")
    })
}

/// The control IDs a check's findings evidence.
pub fn of_check(check: &str) -> &'static [String] {
    mapping().checks.get(check).map_or(&[], Vec::as_slice)
}

pub fn control(id: &str) -> Option<&'static Control> {
    mapping().controls.get(id)
}

/// Fills each finding's controls and account.
pub fn annotate(findings: &mut [Finding], account: Option<&str>) {
    for finding in findings {
        finding.controls = of_check(finding.check).to_vec();
        if finding.account.is_none() {
            finding.account = account.map(str::to_string);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_control_exists_and_every_audit_check_is_mapped() {
        let mapping = mapping();
        for (check, ids) in &mapping.checks {
            assert!(!ids.is_empty(), "{check}");
            for id in ids {
                assert!(mapping.controls.contains_key(id), "{check} → {id}");
            }
        }
        for check in crate::checks::for_command(crate::engine::CommandKind::Audit) {
            let id = check.meta().id;
            if !matches!(id, "credentials.resolve" | "identity.caller") {
                assert!(!of_check(id).is_empty(), "{id} has no control");
            }
        }
        assert_eq!(
            control("BP-TRAIL-1").unwrap().frameworks(),
            "CIS 3.1; NIST 800-53 AU-2, AU-12"
        );
    }
}

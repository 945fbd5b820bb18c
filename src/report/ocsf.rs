//! OCSF 1.1.0 Compliance Finding events (class 2003, category Findings), a JSON array of one
//! event per finding, as Prowler writes them for Amazon Security Lake
//! (https://schema.ocsf.io/1.1.0/classes/compliance_finding).

use serde_json::{Value, json};

use super::{Document, Report};
use crate::domain::Arn;
use crate::engine::{Finding, Severity, Status};

pub const VERSION: &str = "1.1.0";
pub const CLASS_UID: u32 = 2003;
pub const CATEGORY_UID: u32 = 2;
/// Create: each run reports its findings anew.
const ACTIVITY_ID: u32 = 1;

pub fn render(document: &Document) -> Option<String> {
    match document {
        Document::Report(report) => Some(super::escape::json_visible(
            serde_json::to_string_pretty(&events(report)).unwrap_or_default() + "\n",
        )),
        _ => None,
    }
}

fn events(report: &Report) -> Vec<Value> {
    let time = report
        .started_at
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    report.findings.iter().map(|f| event(f, time)).collect()
}

fn event(f: &Finding, time: u128) -> Value {
    let code = f.code();
    let (severity_id, severity) = severity(f.severity);
    // OCSF 1.1.0's compliance status: 1 Pass, 2 Warning, 3 Fail, 0 Unknown (no verdict).
    let (status_id, status) = match f.verdict() {
        Status::Pass => (1, "Pass"),
        Status::Warn => (2, "Warning"),
        Status::Fail => (3, "Fail"),
        Status::Error | Status::Skip | Status::Suppressed => (0, "Unknown"),
    };
    // The finding's own state: a pass is resolved, an accepted one suppressed, anything else new.
    let (finding_status_id, finding_status) = match f.status {
        Status::Pass => (4, "Resolved"),
        Status::Suppressed => (3, "Suppressed"),
        _ => (1, "New"),
    };
    let mut cloud = json!({"provider": "AWS"});
    if let Some(account) = &f.account {
        cloud["account"] = json!({"uid": account, "type": "AWS Account", "type_id": 10});
    }
    if let Some(region) = &f.region {
        cloud["region"] = json!(region);
    }
    let mut event = json!({
        "metadata": {
            "version": VERSION,
            "product": {
                "name": env!("CARGO_PKG_NAME"),
                "vendor_name": env!("CARGO_PKG_NAME"),
                "version": env!("CARGO_PKG_VERSION"),
            },
            "event_code": code,
        },
        "activity_id": ACTIVITY_ID,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_ID,
        "type_name": "Compliance Finding: Create",
        "time": time,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": finding_status_id,
        "status": finding_status,
        "message": f.message,
        "finding_info": {
            "uid": format!("bedrock-preflight-{}", super::sarif::fingerprint(f)),
            "title": f.title,
            "desc": f.message,
            "types": [f.check],
        },
        "compliance": {
            "control": code,
            "requirements": f.controls,
            // Required by the object: the standard these checks belong to.
            "standards": ["bedrock-preflight"],
            "status_id": status_id,
            "status": status,
        },
        "cloud": cloud,
        "resources": [resource(f)],
        "unmapped": {"check": f.check, "status": f.status.as_str()},
    });
    if let Some(fix) = &f.remediation {
        event["remediation"] = json!({"desc": fix});
    }
    event
}

fn severity(severity: Severity) -> (u8, &'static str) {
    match severity {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// The resource checked, or the account when the finding is about the account as a whole.
fn resource(f: &Finding) -> Value {
    let arn = f.resource.as_deref().and_then(|r| r.parse::<Arn>().ok());
    let (uid, kind) = match (&f.resource, &arn) {
        (Some(resource), Some(arn)) => (
            resource.clone(),
            format!(
                "{}/{}",
                arn.service(),
                arn.typed_resource()
                    .map_or(arn.resource(), |(kind, _)| kind)
            ),
        ),
        (Some(resource), None) => (resource.clone(), "Other".to_string()),
        (None, _) => (
            f.account.clone().unwrap_or_else(|| "unknown".into()),
            "AWS Account".to_string(),
        ),
    };
    let mut resource = json!({"uid": uid, "type": kind, "cloud_partition": "aws"});
    match arn.as_ref().map(Arn::partition) {
        Some(partition) => resource["cloud_partition"] = json!(partition),
        None => {
            if let Some(region) = &f.region {
                resource["cloud_partition"] = json!(super::asff::partition(region));
            }
        }
    }
    if let Some(region) = arn
        .as_ref()
        .and_then(Arn::region)
        .map(str::to_string)
        .or_else(|| f.region.clone())
    {
        resource["region"] = json!(region);
    }
    resource
}

/// The attributes OCSF 1.1.0 requires of a Compliance Finding and of the objects it holds,
/// from https://schema.ocsf.io/1.1.0/classes/compliance_finding and the pages of its
/// objects (metadata, product, finding_info, compliance, cloud, remediation): the paths a
/// record lacks, empty when it is complete. The schema itself cannot be vendored here.
pub fn missing_required(event: &Value) -> Vec<String> {
    const CLASS: [&str; 9] = [
        "activity_id",
        "category_uid",
        "class_uid",
        "compliance",
        "finding_info",
        "metadata",
        "severity_id",
        "time",
        "type_uid",
    ];
    const OBJECTS: [(&str, &[&str]); 6] = [
        ("metadata", &["product", "version"]),
        ("metadata/product", &["vendor_name"]),
        ("finding_info", &["title", "uid"]),
        ("compliance", &["standards"]),
        ("cloud", &["provider"]),
        ("remediation", &["desc"]),
    ];
    let mut missing: Vec<String> = CLASS
        .iter()
        .filter(|name| event[**name].is_null())
        .map(|name| name.to_string())
        .collect();
    for (object, names) in OBJECTS {
        let Some(value) = event.pointer(&format!("/{object}")) else {
            continue;
        };
        for name in names {
            if value[*name].is_null() {
                missing.push(format!("{object}/{name}"));
            }
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    fn rendered(report: &Report) -> Vec<Value> {
        let text = render(&Document::Report(report)).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn every_finding_is_a_compliance_finding_with_what_ocsf_requires() {
        let report = sample::report();
        let events = rendered(&report);
        assert_eq!(events.len(), report.findings.len());
        for event in &events {
            assert_eq!(missing_required(event), Vec::<String>::new(), "{event}");
            assert_eq!(event["class_uid"], 2003);
            assert_eq!(event["category_uid"], 2);
            assert_eq!(event["type_uid"], 200301);
            assert_eq!(event["metadata"]["version"], "1.1.0");
            assert_eq!(event["time"], 1_795_341_600_000_u64);
            assert_eq!(event["cloud"]["provider"], "AWS");
        }
        let denied = &events[1];
        assert_eq!(denied["compliance"]["status"], "Fail");
        assert_eq!(denied["compliance"]["status_id"], 3);
        assert_eq!(
            denied["compliance"]["control"],
            "iam.invoke/destination-denied"
        );
        assert_eq!(
            (denied["severity_id"].clone(), denied["severity"].clone()),
            (json!(4), json!("High"))
        );
        assert_eq!(denied["status"], "New");
        assert_eq!(denied["cloud"]["region"], "us-west-2");
        assert_eq!(denied["resources"][0]["type"], "bedrock/foundation-model");
        assert_eq!(
            denied["remediation"]["desc"],
            "bedrock-preflight policy apply claude-invoke --attach-to role/dev --yes"
        );
        assert_eq!(events[0]["compliance"]["status"], "Pass");
        assert_eq!(events[0]["status"], "Resolved");
        assert_eq!(events[2]["compliance"]["status"], "Warning");
        assert_eq!(events[3]["compliance"]["status_id"], 0);
    }

    #[test]
    fn the_required_attributes_check_names_what_is_missing() {
        let mut event = rendered(&sample::report())[1].clone();
        event.as_object_mut().unwrap().remove("time");
        event["compliance"]
            .as_object_mut()
            .unwrap()
            .remove("standards");
        assert_eq!(missing_required(&event), ["time", "compliance/standards"]);
    }

    #[test]
    fn a_finding_s_uid_does_not_change_with_its_wording_or_time() {
        let report = sample::report();
        let mut later = report.clone();
        later.started_at += std::time::Duration::from_secs(60);
        later.findings[1].message = "worded otherwise".into();
        let uid = |r: &Report| rendered(r)[1]["finding_info"]["uid"].clone();
        assert_eq!(uid(&report), uid(&later));
    }
}

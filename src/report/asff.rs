//! The AWS Security Finding Format, as the input of Security Hub's `BatchImportFindings`
//! (`{"Findings": [...]}`), field by field after the `AwsSecurityFinding` shape of botocore's
//! securityhub model (2018-10-26). One record per finding that names its account: Security
//! Hub takes none without one, and a guessed account would file it under someone else.

use serde_json::{Map, Value, json};

use super::{Document, Report};
use crate::domain::{Arn, format_time};
use crate::engine::{Finding, Severity, Status};

/// The model's length limits, in characters.
const ID_MAX: usize = 512;
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 1024;
const RECOMMENDATION_MAX: usize = 512;
const NOTE_MAX: usize = 512;
const PRODUCT_FIELD_MAX: usize = 2048;

pub fn render(document: &Document) -> Option<String> {
    match document {
        Document::Report(report) => {
            let findings: Vec<Value> = records(report).into_iter().map(|r| r.body).collect();
            Some(super::escape::json_visible(
                serde_json::to_string_pretty(&json!({ "Findings": findings })).unwrap_or_default()
                    + "\n",
            ))
        }
        _ => None,
    }
}

/// One finding as Security Hub imports it: the record `--output asff` writes, with what
/// sending it needs to know (whose it is, and the region its `ProductArn` names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    /// `AwsAccountId`: only this account may import it (with the default product ARN).
    pub account: String,
    /// The region of its `ProductArn`: Security Hub takes it there and nowhere else.
    pub region: String,
    /// The account's default product, which the import is authorized on.
    pub product_arn: String,
    pub body: Value,
}

/// Why some of a report's findings have no record, for stderr; `None` when all have one.
pub fn left_out(report: &Report) -> Option<String> {
    let missing = report
        .findings
        .iter()
        .filter(|f| f.account.is_none())
        .count();
    (missing > 0).then(|| {
        format!(
            "--output asff: {missing} of {} findings left out: they name no AWS account \
             (the caller's identity was not resolved), and Security Hub takes no finding without one",
            report.findings.len()
        )
    })
}

/// A record per finding that names its account, in the report's order: what `--output asff`
/// writes and `audit --send security-hub` sends.
pub fn records(report: &Report) -> Vec<Record> {
    let time = format_time(report.started_at);
    // Security Hub takes a finding only in its product's region, so every record of a run
    // names the same one: where the run began.
    let home = report.scope.regions.first().map(String::as_str);
    let base = |f: &Finding| f.account.as_deref().map(|account| id(f, account));
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for named in report.findings.iter().filter_map(base) {
        *seen.entry(named).or_default() += 1;
    }
    report
        .findings
        .iter()
        .filter_map(|f| {
            let account = f.account.as_deref()?;
            let region = home.or(f.region.as_deref()).unwrap_or("us-east-1");
            let mut named = id(f, account);
            // Findings of one kind about one resource (a principal with several over-broad
            // policies) differ in what their evidence names; one Id would be one finding in
            // Security Hub, the others overwritten.
            if seen.get(&named).is_some_and(|n| *n > 1) {
                named.push_str(&format!("/{}", named_by_evidence(f)));
            }
            let id = truncate(&named, ID_MAX);
            let product_arn = format!(
                "arn:{}:securityhub:{region}:{account}:product/{account}/default",
                partition(region)
            );
            Some(Record {
                body: record(f, account, &product_arn, &id, &time),
                id,
                account: account.to_string(),
                region: region.to_string(),
                product_arn,
            })
        })
        .collect()
}

fn record(f: &Finding, account: &str, product_arn: &str, id: &str, time: &str) -> Value {
    let code = f.code();
    let title = non_blank(&f.title).unwrap_or(&code);
    let description = non_blank(&f.message).unwrap_or(title);
    let types = [format!(
        "Software and Configuration Checks/AWS Security Best Practices/{}",
        f.check
    )];
    let severity = json!({"Label": severity_label(f), "Original": f.severity.as_str()});
    let mut record = json!({
        "SchemaVersion": "2018-10-08",
        "Id": id,
        "ProductArn": product_arn,
        "GeneratorId": f.check,
        "AwsAccountId": account,
        "Types": types,
        "CreatedAt": time,
        "UpdatedAt": time,
        "Severity": severity,
        // Security Hub updates an existing finding's severity and types from these alone: the
        // top-level ones are the customer's to change once the finding exists.
        "FindingProviderFields": {"Severity": severity, "Types": types},
        "Title": truncate(title, TITLE_MAX),
        "Description": truncate(description, DESCRIPTION_MAX),
        "ProductFields": {
            "bedrock-preflight/Code": code,
            "bedrock-preflight/Status": f.status.as_str(),
        },
        "Resources": [resource(f, account)],
        "Compliance": compliance(f),
        "RecordState": "ACTIVE",
        "Workflow": {"Status": match f.status {
            Status::Pass => "RESOLVED",
            Status::Suppressed => "SUPPRESSED",
            _ => "NEW",
        }},
    });
    // An accepted finding keeps its verdict; why it was accepted is the note Security Hub shows.
    // The note and the workflow count only when a finding is created (BatchImportFindings
    // leaves them to the customer afterwards), so the product field says it on every import.
    if let Some(accepted) = &f.suppression {
        record["ProductFields"]["bedrock-preflight/Accepted"] = json!(truncate(
            &format!("{} ({})", accepted.reason, accepted.source),
            PRODUCT_FIELD_MAX
        ));
        record["Note"] = json!({
            "Text": truncate(&format!("Accepted ({}): {}", accepted.source, accepted.reason), NOTE_MAX),
            "UpdatedBy": "bedrock-preflight",
            "UpdatedAt": time,
        });
    }
    if let Some(fix) = f.remediation.as_deref().and_then(non_blank) {
        record["Remediation"] =
            json!({"Recommendation": {"Text": truncate(fix, RECOMMENDATION_MAX)}});
    }
    record
}

/// The same finding's ID on every run: what it is and where, never its wording or time.
fn id(f: &Finding, account: &str) -> String {
    format!(
        "bedrock-preflight/{account}/{}/{}/{}",
        f.region.as_deref().unwrap_or("global"),
        f.code(),
        super::sarif::fingerprint(f)
    )
}

/// A digest of the text values of a finding's evidence (the policy a grant is in, say): what
/// tells apart findings of one kind about one resource, and stays the same on a re-run.
fn named_by_evidence(f: &Finding) -> String {
    let mut named: Vec<String> = f
        .evidence
        .iter()
        .filter_map(|(key, value)| value.as_str().map(|text| format!("{key}={text}")))
        .collect();
    named.sort();
    let hash = named
        .join("|")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("{hash:016x}")
}

/// A pass is informational whatever its check's weight, as Security Hub's own controls
/// report a passed check.
fn severity_label(f: &Finding) -> &'static str {
    if f.status == Status::Pass {
        return "INFORMATIONAL";
    }
    match f.severity {
        Severity::Info => "INFORMATIONAL",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

fn compliance(f: &Finding) -> Value {
    let status = match f.verdict() {
        Status::Pass => "PASSED",
        Status::Fail => "FAILED",
        Status::Warn => "WARNING",
        Status::Error | Status::Skip | Status::Suppressed => "NOT_AVAILABLE",
    };
    let mut compliance = Map::new();
    compliance.insert("Status".into(), json!(status));
    // The model allows 32 related requirements.
    let related: Vec<&String> = f.controls.iter().take(32).collect();
    if !related.is_empty() {
        compliance.insert("RelatedRequirements".into(), json!(related));
    }
    Value::Object(compliance)
}

/// What the finding is about: its resource, typed where ASFF has a type for it, else the
/// account itself, as Security Hub names an account-wide finding's resource.
fn resource(f: &Finding, account: &str) -> Value {
    let arn = f.resource.as_deref().and_then(|r| r.parse::<Arn>().ok());
    let (kind, id) = match (&f.resource, &arn) {
        (Some(resource), Some(arn)) => (resource_type(arn), resource.clone()),
        (Some(resource), None) => ("Other", resource.clone()),
        (None, _) => ("AwsAccount", format!("AWS::::Account:{account}")),
    };
    let region = arn
        .as_ref()
        .and_then(|a| a.region().map(str::to_string))
        .or_else(|| f.region.clone());
    let partition = match (&arn, &region) {
        (Some(arn), _) => arn.partition().to_string(),
        (None, Some(region)) => partition(region).to_string(),
        (None, None) => "aws".to_string(),
    };
    let mut resource = json!({"Type": kind, "Id": id});
    // The model's Partition is an enum: an ARN of another partition keeps none.
    if PARTITIONS.contains(&partition.as_str()) {
        resource["Partition"] = json!(partition);
    }
    if let Some(region) = region {
        resource["Region"] = json!(region);
    }
    resource
}

const PARTITIONS: [&str; 5] = ["aws", "aws-cn", "aws-us-gov", "aws-us-iso", "aws-us-iso-b"];

/// ASFF's resource type for an ARN, where it has one.
fn resource_type(arn: &Arn) -> &'static str {
    let kind = arn.typed_resource().map(|(kind, _)| kind);
    match (arn.service(), kind) {
        ("iam", Some("role")) => "AwsIamRole",
        ("iam", Some("user")) => "AwsIamUser",
        ("iam", Some("group")) => "AwsIamGroup",
        ("iam", Some("policy")) => "AwsIamPolicy",
        ("s3", _) => "AwsS3Bucket",
        ("kms", Some("key")) => "AwsKmsKey",
        ("cloudtrail", Some("trail")) => "AwsCloudTrailTrail",
        _ => "Other",
    }
}

/// The partition a region belongs to.
pub(super) fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-us-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-us-iso"
    } else {
        "aws"
    }
}

fn non_blank(text: &str) -> Option<&str> {
    (!text.trim().is_empty()).then_some(text)
}

/// At most `max` characters, cut on a character boundary and marked as cut.
pub(super) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    fn rendered(report: &Report) -> Vec<Value> {
        let text = render(&Document::Report(report)).unwrap();
        let document: Value = serde_json::from_str(&text).unwrap();
        document["Findings"].as_array().unwrap().clone()
    }

    fn with_account(mut report: Report) -> Report {
        for finding in &mut report.findings {
            finding.account = Some("123456789012".into());
        }
        report
    }

    /// Security Hub's own way to say a finding was accepted: its verdict stands, its workflow
    /// is SUPPRESSED, and the note says why (and so does OCSF's finding status).
    #[test]
    fn an_accepted_finding_keeps_its_verdict_and_is_suppressed_with_its_reason() {
        let mut report = with_account(sample::report());
        let denied = report
            .findings
            .iter_mut()
            .find(|f| f.code() == "iam.invoke/destination-denied")
            .unwrap();
        denied.suppression = Some(Box::new(crate::engine::Suppression {
            status: Status::Fail,
            reason: "the sandbox account".into(),
            expires: None,
            source: "bedrock-preflight.toml:3".into(),
        }));
        denied.status = Status::Suppressed;
        let records = rendered(&report);
        let accepted = records
            .iter()
            .find(|r| {
                r["ProductFields"]["bedrock-preflight/Code"] == "iam.invoke/destination-denied"
            })
            .unwrap();
        assert_eq!(accepted["Compliance"]["Status"], "FAILED");
        assert_eq!(accepted["Workflow"]["Status"], "SUPPRESSED");
        assert_eq!(
            accepted["Note"]["Text"],
            "Accepted (bedrock-preflight.toml:3): the sandbox account"
        );
        assert_eq!(accepted["Note"]["UpdatedAt"], accepted["UpdatedAt"]);
        let events: Vec<Value> =
            serde_json::from_str(&super::super::ocsf::render(&Document::Report(&report)).unwrap())
                .unwrap();
        let event = events
            .iter()
            .find(|e| e["compliance"]["control"] == "iam.invoke/destination-denied")
            .unwrap();
        assert_eq!(event["compliance"]["status"], "Fail");
        assert_eq!(
            (event["status_id"].clone(), event["status"].clone()),
            (json!(3), json!("Suppressed"))
        );
    }

    #[test]
    fn every_finding_is_a_record_with_the_model_s_required_members() {
        let report = with_account(sample::report());
        let records = rendered(&report);
        assert_eq!(records.len(), report.findings.len());
        for record in &records {
            for member in [
                "SchemaVersion",
                "Id",
                "ProductArn",
                "GeneratorId",
                "AwsAccountId",
                "CreatedAt",
                "UpdatedAt",
                "Title",
                "Description",
                "Resources",
            ] {
                assert!(!record[member].is_null(), "{member} in {record}");
            }
            assert_eq!(record["SchemaVersion"], "2018-10-08");
            assert_eq!(
                record["ProductArn"],
                "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
            );
            assert_eq!(record["CreatedAt"], "2026-11-22T10:00:00Z");
            assert_eq!(record["RecordState"], "ACTIVE");
        }
        let by_code = |code: &str| {
            records
                .iter()
                .find(|r| r["ProductFields"]["bedrock-preflight/Code"] == code)
                .unwrap_or_else(|| panic!("{code}"))
        };
        let denied = by_code("iam.invoke/destination-denied");
        assert_eq!(denied["GeneratorId"], "iam.invoke");
        assert_eq!(denied["Severity"]["Label"], "HIGH");
        assert_eq!(denied["Compliance"]["Status"], "FAILED");
        assert_eq!(denied["Workflow"]["Status"], "NEW");
        assert_eq!(
            denied["Remediation"]["Recommendation"]["Text"],
            "bedrock-preflight policy apply claude-invoke --attach-to role/dev --yes"
        );
        assert_eq!(
            denied["Resources"][0],
            json!({
                "Type": "Other",
                "Id": "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
                "Partition": "aws",
                "Region": "us-west-2",
            })
        );
        let identified = by_code("identity.caller/identified");
        assert_eq!(identified["Compliance"]["Status"], "PASSED");
        assert_eq!(identified["Workflow"]["Status"], "RESOLVED");
        assert_eq!(identified["Severity"]["Label"], "INFORMATIONAL");
        assert_eq!(identified["Resources"][0]["Type"], "AwsIamRole");
        let expiring = by_code("identity.caller/expiring");
        assert_eq!(expiring["Compliance"]["Status"], "WARNING");
        assert_eq!(
            expiring["Resources"][0],
            json!({"Type": "AwsAccount", "Id": "AWS::::Account:123456789012", "Partition": "aws"})
        );
        for code in ["iam.invoke/read-failed", "iam.invoke/dependency-unmet"] {
            assert_eq!(by_code(code)["Compliance"]["Status"], "NOT_AVAILABLE");
        }
    }

    #[test]
    fn an_id_names_the_finding_not_its_wording_or_time() {
        let report = with_account(sample::report());
        let mut later = report.clone();
        later.started_at += std::time::Duration::from_secs(86_400);
        later.findings[1].message = "worded otherwise".into();
        let ids =
            |r: &Report| -> Vec<Value> { rendered(r).iter().map(|r| r["Id"].clone()).collect() };
        assert_eq!(ids(&report), ids(&later));
        let mut elsewhere = report.clone();
        elsewhere.findings[1].region = Some("eu-west-1".into());
        assert_ne!(ids(&report)[1], ids(&elsewhere)[1]);
    }

    /// A principal holding two over-broad policies is two findings of one code about one
    /// resource: each keeps an Id of its own, the same on every run, and the others' Ids are
    /// as they were.
    #[test]
    fn findings_of_one_kind_about_one_resource_keep_ids_of_their_own() {
        let report = with_account(sample::report());
        let before: Vec<String> = records(&report).into_iter().map(|r| r.id).collect();
        let mut twice = report.clone();
        let mut other = twice.findings[1].clone();
        other.evidence.insert(
            "policy".into(),
            json!("arn:aws:iam::123456789012:policy/other"),
        );
        twice.findings.push(other);
        let ids: Vec<String> = records(&twice).into_iter().map(|r| r.id).collect();
        assert_eq!(ids[0], before[0]);
        assert_ne!(ids[1], before[1]);
        assert!(ids[1].starts_with(&before[1]), "{}", ids[1]);
        assert_ne!(ids[1], ids[5]);
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
        let again: Vec<String> = records(&twice.clone()).into_iter().map(|r| r.id).collect();
        assert_eq!(again, ids);
    }

    #[test]
    fn a_finding_without_an_account_is_left_out_and_said() {
        let mut report = with_account(sample::report());
        report.findings[0].account = None;
        assert_eq!(rendered(&report).len(), report.findings.len() - 1);
        let why = left_out(&report).unwrap();
        assert!(
            why.starts_with("--output asff: 1 of 5 findings left out"),
            "{why}"
        );
        assert_eq!(left_out(&with_account(sample::report())), None);
    }

    #[test]
    fn long_texts_are_cut_within_the_model_s_limits_on_a_character_boundary() {
        let mut report = with_account(sample::report());
        report.findings[1].title = "é".repeat(300);
        report.findings[1].message = "✓".repeat(2000);
        report.findings[1].remediation = Some("x".repeat(600));
        let record = &rendered(&report)[1];
        let chars = |v: &Value| v.as_str().unwrap().chars().count();
        assert_eq!(chars(&record["Title"]), TITLE_MAX);
        assert_eq!(chars(&record["Description"]), DESCRIPTION_MAX);
        assert_eq!(
            chars(&record["Remediation"]["Recommendation"]["Text"]),
            RECOMMENDATION_MAX
        );
        assert!(record["Title"].as_str().unwrap().ends_with("é…"));
    }

    /// After a finding exists, Security Hub takes severity and types from a provider only in
    /// `FindingProviderFields`, and keeps the note and workflow the finding was created with:
    /// what a re-run must say again goes where an update reaches.
    #[test]
    fn what_a_re_import_must_update_is_where_security_hub_updates_it() {
        let mut report = with_account(sample::report());
        report.findings[1].suppression = Some(Box::new(crate::engine::Suppression {
            status: Status::Fail,
            reason: "the sandbox account".into(),
            expires: None,
            source: "bedrock-preflight.toml:3".into(),
        }));
        report.findings[1].status = Status::Suppressed;
        let records = rendered(&report);
        for record in &records {
            assert_eq!(
                record["FindingProviderFields"],
                json!({"Severity": record["Severity"], "Types": record["Types"]}),
                "{record}"
            );
        }
        assert_eq!(
            records[1]["ProductFields"]["bedrock-preflight/Accepted"],
            "the sandbox account (bedrock-preflight.toml:3)"
        );
        assert!(records[0]["ProductFields"]["bedrock-preflight/Accepted"].is_null());
    }

    /// What `--send security-hub` groups and batches by is what the record itself says.
    #[test]
    fn each_record_knows_its_id_account_and_product_region() {
        let mut report = with_account(sample::report());
        report.findings[2].account = Some("111122223333".into());
        report.scope.regions = vec!["eu-west-1".into(), "us-east-1".into()];
        for record in records(&report) {
            assert_eq!(record.body["Id"], record.id.as_str());
            assert_eq!(record.body["AwsAccountId"], record.account.as_str());
            assert_eq!(record.region, "eu-west-1");
            assert_eq!(
                record.product_arn,
                format!(
                    "arn:aws:securityhub:eu-west-1:{0}:product/{0}/default",
                    record.account
                )
            );
            assert_eq!(record.body["ProductArn"], record.product_arn.as_str());
        }
        assert_eq!(records(&report)[2].account, "111122223333");
    }

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("eu-west-1"), "aws");
    }

    #[test]
    fn other_documents_are_not_findings() {
        assert!(render(&Document::Policy(&json!({}))).is_none());
    }
}

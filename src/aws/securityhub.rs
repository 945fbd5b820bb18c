//! Security Hub's `BatchImportFindings`: ASFF records, as `--output asff` writes them, turned
//! into the SDK's `AwsSecurityFinding` member by member, and the findings its answer refuses.
//! A member this conversion does not know is an error, never dropped: what is sent must be
//! what `--output asff` shows.

use std::collections::HashMap;

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Compliance, ComplianceStatus, FindingProviderFields,
    FindingProviderSeverity, Note, Partition, Recommendation, RecordState, Remediation, Resource,
    Severity, SeverityLabel, Workflow, WorkflowStatus,
};
use serde_json::{Map, Value};

/// A finding Security Hub answered it did not import, with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedFinding {
    pub id: String,
    /// Security Hub's code (`InvalidAccess`, `InvalidInput`, ...).
    pub code: String,
    pub message: String,
}

/// The members of an ASFF `AwsSecurityFinding` that `--output asff` writes.
pub(super) fn finding(record: &Value) -> Result<AwsSecurityFinding, String> {
    let f = object(
        record,
        "the finding",
        &[
            "SchemaVersion",
            "Id",
            "ProductArn",
            "GeneratorId",
            "AwsAccountId",
            "Types",
            "CreatedAt",
            "UpdatedAt",
            "Severity",
            "FindingProviderFields",
            "Title",
            "Description",
            "ProductFields",
            "Resources",
            "Compliance",
            "RecordState",
            "Workflow",
            "Note",
            "Remediation",
        ],
    )?;
    let resources = match f.get("Resources") {
        None => None,
        Some(Value::Array(items)) => Some(items.iter().map(resource).collect::<Result<_, _>>()?),
        Some(_) => return Err("Resources is not a list".into()),
    };
    Ok(AwsSecurityFinding::builder()
        .set_schema_version(text(f, "SchemaVersion")?)
        .set_id(text(f, "Id")?)
        .set_product_arn(text(f, "ProductArn")?)
        .set_generator_id(text(f, "GeneratorId")?)
        .set_aws_account_id(text(f, "AwsAccountId")?)
        .set_types(texts(f, "Types")?)
        .set_created_at(text(f, "CreatedAt")?)
        .set_updated_at(text(f, "UpdatedAt")?)
        .set_severity(member(f, "Severity", severity)?)
        .set_finding_provider_fields(member(f, "FindingProviderFields", provider_fields)?)
        .set_title(text(f, "Title")?)
        .set_description(text(f, "Description")?)
        .set_product_fields(member(f, "ProductFields", product_fields)?)
        .set_resources(resources)
        .set_compliance(member(f, "Compliance", compliance)?)
        .set_record_state(text(f, "RecordState")?.map(|s| RecordState::from(s.as_str())))
        .set_workflow(member(f, "Workflow", workflow)?)
        .set_note(member(f, "Note", note)?)
        .set_remediation(member(f, "Remediation", remediation)?)
        .build())
}

fn severity(value: &Value) -> Result<Severity, String> {
    let s = object(value, "Severity", &["Label", "Original"])?;
    Ok(Severity::builder()
        .set_label(text(s, "Label")?.map(|l| SeverityLabel::from(l.as_str())))
        .set_original(text(s, "Original")?)
        .build())
}

fn provider_fields(value: &Value) -> Result<FindingProviderFields, String> {
    let p = object(value, "FindingProviderFields", &["Severity", "Types"])?;
    let severity = |value: &Value| -> Result<FindingProviderSeverity, String> {
        let s = object(
            value,
            "FindingProviderFields.Severity",
            &["Label", "Original"],
        )?;
        Ok(FindingProviderSeverity::builder()
            .set_label(text(s, "Label")?.map(|l| SeverityLabel::from(l.as_str())))
            .set_original(text(s, "Original")?)
            .build())
    };
    Ok(FindingProviderFields::builder()
        .set_severity(member(p, "Severity", severity)?)
        .set_types(texts(p, "Types")?)
        .build())
}

fn product_fields(value: &Value) -> Result<HashMap<String, String>, String> {
    let fields = value.as_object().ok_or("ProductFields is not an object")?;
    fields
        .iter()
        .map(|(key, value)| match value {
            Value::String(text) => Ok((key.clone(), text.clone())),
            _ => Err(format!("ProductFields.{key} is not a string")),
        })
        .collect()
}

fn resource(value: &Value) -> Result<Resource, String> {
    let r = object(value, "a resource", &["Type", "Id", "Partition", "Region"])?;
    Ok(Resource::builder()
        .set_type(text(r, "Type")?)
        .set_id(text(r, "Id")?)
        .set_partition(text(r, "Partition")?.map(|p| Partition::from(p.as_str())))
        .set_region(text(r, "Region")?)
        .build())
}

fn compliance(value: &Value) -> Result<Compliance, String> {
    let c = object(value, "Compliance", &["Status", "RelatedRequirements"])?;
    Ok(Compliance::builder()
        .set_status(text(c, "Status")?.map(|s| ComplianceStatus::from(s.as_str())))
        .set_related_requirements(texts(c, "RelatedRequirements")?)
        .build())
}

fn workflow(value: &Value) -> Result<Workflow, String> {
    let w = object(value, "Workflow", &["Status"])?;
    Ok(Workflow::builder()
        .set_status(text(w, "Status")?.map(|s| WorkflowStatus::from(s.as_str())))
        .build())
}

fn note(value: &Value) -> Result<Note, String> {
    let n = object(value, "Note", &["Text", "UpdatedBy", "UpdatedAt"])?;
    Ok(Note::builder()
        .set_text(text(n, "Text")?)
        .set_updated_by(text(n, "UpdatedBy")?)
        .set_updated_at(text(n, "UpdatedAt")?)
        .build())
}

fn remediation(value: &Value) -> Result<Remediation, String> {
    let r = object(value, "Remediation", &["Recommendation"])?;
    let recommendation = |value: &Value| -> Result<Recommendation, String> {
        let t = object(value, "Remediation.Recommendation", &["Text"])?;
        Ok(Recommendation::builder().set_text(text(t, "Text")?).build())
    };
    Ok(Remediation::builder()
        .set_recommendation(member(r, "Recommendation", recommendation)?)
        .build())
}

/// `value` as an object whose members are all in `known`.
fn object<'a>(
    value: &'a Value,
    what: &str,
    known: &[&str],
) -> Result<&'a Map<String, Value>, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("{what} is not an object"))?;
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        Some(unknown) => Err(format!("{what} has {unknown}, which is not sent")),
        None => Ok(object),
    }
}

fn member<T>(
    object: &Map<String, Value>,
    key: &str,
    convert: impl FnOnce(&Value) -> Result<T, String>,
) -> Result<Option<T>, String> {
    object.get(key).map(convert).transpose()
}

fn text(object: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(format!("{key} is not a string")),
    }
}

fn texts(object: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, String> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => Ok(text.clone()),
                _ => Err(format!("{key} holds something other than a string")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(format!("{key} is not a list")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> Value {
        json!({
            "SchemaVersion": "2018-10-08",
            "Id": "bedrock-preflight/123456789012/us-east-1/logging.invocation/off/782c8802c1f03cb6",
            "ProductArn": "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
            "GeneratorId": "logging.invocation",
            "AwsAccountId": "123456789012",
            "Types": ["Software and Configuration Checks/AWS Security Best Practices/logging.invocation"],
            "CreatedAt": "2026-12-01T11:40:25Z",
            "UpdatedAt": "2026-12-01T11:40:25Z",
            "Severity": {"Label": "HIGH", "Original": "high"},
            "FindingProviderFields": {
                "Severity": {"Label": "HIGH", "Original": "high"},
                "Types": ["Software and Configuration Checks/AWS Security Best Practices/logging.invocation"]
            },
            "Title": "Model invocation logging is off",
            "Description": "us-east-1 has no model invocation logging configuration",
            "ProductFields": {"bedrock-preflight/Code": "logging.invocation/off"},
            "Resources": [{"Type": "AwsAccount", "Id": "AWS::::Account:123456789012", "Partition": "aws", "Region": "us-east-1"}],
            "Compliance": {"Status": "FAILED", "RelatedRequirements": ["BP-LOG-1"]},
            "RecordState": "ACTIVE",
            "Workflow": {"Status": "SUPPRESSED"},
            "Note": {"Text": "Accepted", "UpdatedBy": "bedrock-preflight", "UpdatedAt": "2026-12-01T11:40:25Z"},
            "Remediation": {"Recommendation": {"Text": "bedrock-preflight setup logging --yes"}}
        })
    }

    #[test]
    fn every_member_asff_writes_reaches_the_sdk_s_finding() {
        let f = finding(&record()).unwrap();
        assert_eq!(f.id(), Some(record()["Id"].as_str().unwrap()));
        assert_eq!(f.aws_account_id(), Some("123456789012"));
        assert_eq!(
            f.severity().and_then(|s| s.label()),
            Some(&SeverityLabel::High)
        );
        let provided = f.finding_provider_fields().unwrap();
        assert_eq!(provided.severity().and_then(|s| s.original()), Some("high"));
        assert_eq!(provided.types().len(), 1);
        assert_eq!(
            f.product_fields().unwrap()["bedrock-preflight/Code"],
            "logging.invocation/off"
        );
        let resource = &f.resources()[0];
        assert_eq!(resource.partition(), Some(&Partition::Aws));
        assert_eq!(resource.region(), Some("us-east-1"));
        assert_eq!(
            f.compliance().and_then(|c| c.status()),
            Some(&ComplianceStatus::Failed)
        );
        assert_eq!(f.compliance().unwrap().related_requirements(), ["BP-LOG-1"]);
        assert_eq!(f.record_state(), Some(&RecordState::Active));
        assert_eq!(
            f.workflow().and_then(|w| w.status()),
            Some(&WorkflowStatus::Suppressed)
        );
        assert_eq!(
            f.note().and_then(|n| n.updated_by()),
            Some("bedrock-preflight")
        );
        assert_eq!(
            f.remediation()
                .and_then(|r| r.recommendation())
                .and_then(|r| r.text()),
            Some("bedrock-preflight setup logging --yes")
        );
    }

    /// Every record `--output asff` writes converts: a member added there and not here fails
    /// this test rather than a user's import.
    #[test]
    fn every_record_of_a_report_converts() {
        let mut report = crate::report::sample::report();
        for f in &mut report.findings {
            f.account = Some("123456789012".into());
        }
        report.findings[1].suppression = Some(Box::new(crate::engine::Suppression {
            status: crate::engine::Status::Fail,
            reason: "accepted".into(),
            expires: None,
            source: "bedrock-preflight.toml:1".into(),
        }));
        report.findings[1].status = crate::engine::Status::Suppressed;
        let records = crate::report::asff_records(&report);
        assert_eq!(records.len(), report.findings.len());
        for record in records {
            let sdk = finding(&record.body).unwrap_or_else(|e| panic!("{e}: {}", record.body));
            assert_eq!(sdk.id(), Some(record.id.as_str()));
        }
    }

    #[test]
    fn a_member_it_does_not_know_is_refused_rather_than_dropped() {
        let mut unknown = record();
        unknown["Confidence"] = json!(80);
        assert_eq!(
            finding(&unknown).unwrap_err(),
            "the finding has Confidence, which is not sent"
        );
        let mut nested = record();
        nested["Resources"][0]["Details"] = json!({});
        assert_eq!(
            finding(&nested).unwrap_err(),
            "a resource has Details, which is not sent"
        );
        let mut mistyped = record();
        mistyped["Types"] = json!("one");
        assert_eq!(finding(&mistyped).unwrap_err(), "Types is not a list");
    }
}

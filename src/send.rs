//! `audit --send security-hub`: a report's findings as a plan of `BatchImportFindings` calls.
//! Each account's ASFF records (exactly what `--output asff` writes) go in batches to the
//! region their `ProductArn` names, each batch a step sent as that account, since with the
//! default product ARN Security Hub takes a finding only from the account it names. Planning
//! only, from values: nothing here reaches AWS; `plan::apply_as` sends.

use crate::domain::Region;
use crate::plan::{Change, FindingBatch, Plan, Rerun, Step};
use crate::report::AsffRecord;

/// The most findings `BatchImportFindings` takes in one request.
pub const BATCH_FINDINGS: usize = 100;
/// Security Hub's limits are 240 KB a finding and 6 MB a request; a batch stays well under
/// the latter, since the SDK's encoding of a record can differ a little from serde_json's.
pub const BATCH_BYTES: usize = 5 * 1024 * 1024;
pub const FINDING_BYTES: usize = 240 * 1024;

/// The plan, and the records it leaves out with why, for stderr.
#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    pub left_out: Vec<String>,
}

/// Every record of an account in `accounts` (the accounts the run holds a session of), in
/// batches of at most `BATCH_FINDINGS` findings and `BATCH_BYTES`.
pub fn plan_import(records: Vec<AsffRecord>, accounts: &[&str]) -> Planned {
    plan_import_within(
        records,
        accounts,
        (BATCH_FINDINGS, BATCH_BYTES, FINDING_BYTES),
    )
}

fn plan_import_within(
    records: Vec<AsffRecord>,
    accounts: &[&str],
    (most, bytes, finding_bytes): (usize, usize, usize),
) -> Planned {
    let mut left_out = Vec::new();
    let mut sent = std::collections::HashSet::new();
    // (account, region) in the order the report first names them, each with its batches.
    let mut groups: Vec<(String, Region, Vec<Vec<AsffRecord>>, usize)> = Vec::new();
    for record in records {
        let size = record.body.to_string().len();
        if !accounts.contains(&record.account.as_str()) {
            left_out.push(format!(
                "{}: this run has no credentials of account {}",
                record.id, record.account
            ));
            continue;
        }
        if size > finding_bytes {
            left_out.push(format!(
                "{}: {size} bytes, more than the {finding_bytes} Security Hub takes in a finding",
                record.id
            ));
            continue;
        }
        // Security Hub keeps one finding per Id: a second would overwrite the first.
        if !sent.insert((record.account.clone(), record.id.clone())) {
            left_out.push(format!(
                "{}: another finding of this run has the same Id, and Security Hub keeps one",
                record.id
            ));
            continue;
        }
        let Ok(region) = record.region.parse::<Region>() else {
            left_out.push(format!("{}: no region in its ProductArn", record.id));
            continue;
        };
        let index = match groups
            .iter()
            .position(|(account, r, ..)| *account == record.account && *r == region)
        {
            Some(index) => index,
            None => {
                groups.push((record.account.clone(), region, Vec::new(), 0));
                groups.len() - 1
            }
        };
        let (_, _, batches, open_bytes) = &mut groups[index];
        // A comma between records; the request's own envelope is in the margin below the limit.
        match batches.last_mut() {
            Some(open) if open.len() < most && *open_bytes + 1 + size <= bytes => {
                *open_bytes += 1 + size;
                open.push(record);
            }
            _ => {
                *open_bytes = size;
                batches.push(vec![record]);
            }
        }
    }
    let total: usize = groups
        .iter()
        .flat_map(|(_, _, batches, _)| batches)
        .map(Vec::len)
        .sum();
    let account_count = groups.len();
    let mut regions: Vec<String> = groups.iter().map(|(_, r, ..)| r.to_string()).collect();
    regions.dedup();
    let mut steps = Vec::new();
    for (account, region, batches, _) in groups {
        let of = batches.len();
        for (index, findings) in batches.into_iter().enumerate() {
            let batch = FindingBatch {
                account: account.clone(),
                region: region.clone(),
                number: index + 1,
                of,
                findings,
            };
            steps.push(Step {
                summary: summary(&batch),
                detail: Some(
                    batch
                        .findings
                        .iter()
                        .map(|f| format!("{}\n", f.id))
                        .collect(),
                ),
                change: Change::ImportFindings(batch),
                // The same Id updates the finding Security Hub holds: sending again is harmless.
                rerun: Rerun::Safe,
            });
        }
    }
    let whose = match account_count {
        1 => "1 account".to_string(),
        n => format!("{n} accounts"),
    };
    let goal = match regions.as_slice() {
        [] => "import the findings into Security Hub: none names an account it can be sent as"
            .to_string(),
        regions => format!(
            "import {} of {whose} into Security Hub in {}",
            findings(total),
            regions.join(", ")
        ),
    };
    Planned {
        plan: Plan {
            goal,
            steps,
            unchanged: Vec::new(),
        },
        left_out,
    }
}

/// "import 100 findings of account 111122223333 into Security Hub in us-east-1 (batch 1 of 3)"
fn summary(batch: &FindingBatch) -> String {
    format!(
        "import {} of account {} into Security Hub in {} (batch {} of {})",
        findings(batch.findings.len()),
        batch.account,
        batch.region,
        batch.number,
        batch.of
    )
}

fn findings(n: usize) -> String {
    match n {
        1 => "1 finding".to_string(),
        n => format!("{n} findings"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(account: &str, n: usize) -> AsffRecord {
        let id = format!("bedrock-preflight/{account}/us-east-1/check/kind/{n:04}");
        AsffRecord {
            body: json!({"Id": id, "AwsAccountId": account}),
            id,
            account: account.into(),
            region: "us-east-1".into(),
            product_arn: format!(
                "arn:aws:securityhub:us-east-1:{account}:product/{account}/default"
            ),
        }
    }

    fn batches(plan: &Plan) -> Vec<(String, usize, usize, usize)> {
        plan.steps
            .iter()
            .map(|s| match &s.change {
                Change::ImportFindings(b) => (b.account.clone(), b.findings.len(), b.number, b.of),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn each_account_s_findings_go_in_batches_of_a_hundred_as_that_account() {
        let a = "111122223333";
        let b = "444455556666";
        let mut records: Vec<AsffRecord> = (0..230).map(|n| record(a, n)).collect();
        records.insert(5, record(b, 0));
        records.push(record(b, 1));
        let planned = plan_import(records, &[a, b]);
        assert!(planned.left_out.is_empty());
        assert_eq!(
            batches(&planned.plan),
            [
                (a.to_string(), 100, 1, 3),
                (a.to_string(), 100, 2, 3),
                (a.to_string(), 30, 3, 3),
                (b.to_string(), 2, 1, 1),
            ]
        );
        assert_eq!(
            planned.plan.goal,
            "import 232 findings of 2 accounts into Security Hub in us-east-1"
        );
        let first = &planned.plan.steps[0];
        assert_eq!(
            first.summary,
            "import 100 findings of account 111122223333 into Security Hub in us-east-1 (batch 1 of 3)"
        );
        assert_eq!(first.rerun, Rerun::Safe);
        let detail = first.detail.as_deref().unwrap();
        assert_eq!(detail.lines().count(), 100);
        assert_eq!(
            detail.lines().next(),
            Some("bedrock-preflight/111122223333/us-east-1/check/kind/0000")
        );
        assert_eq!(planned.plan.steps[3].change.account(), Some(b));
        let permissions = planned.plan.permissions();
        assert_eq!(
            permissions.iter().map(|p| p.describe()).collect::<Vec<_>>(),
            [
                "securityhub:BatchImportFindings on arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default",
                "securityhub:BatchImportFindings on arn:aws:securityhub:us-east-1:444455556666:product/444455556666/default",
            ]
        );
        assert!(planned.plan.spans_accounts());
    }

    #[test]
    fn a_batch_closes_before_the_request_would_be_too_large() {
        let records: Vec<AsffRecord> = (0..5).map(|n| record("111122223333", n)).collect();
        let size = records[0].body.to_string().len();
        // Room for two records and their comma, not three.
        let planned = plan_import_within(records, &["111122223333"], (100, 2 * size + 2, size));
        let sizes: Vec<usize> = batches(&planned.plan).iter().map(|b| b.1).collect();
        assert_eq!(sizes, [2, 2, 1]);
    }

    #[test]
    fn what_cannot_be_sent_is_left_out_and_said() {
        let mut big = record("111122223333", 1);
        big.body["Description"] = json!("x".repeat(300));
        let records = vec![
            record("111122223333", 0),
            big,
            record("999999999999", 0),
            record("111122223333", 0),
        ];
        let planned = plan_import_within(records, &["111122223333"], (100, 1 << 20, 200));
        assert_eq!(batches(&planned.plan), [("111122223333".into(), 1, 1, 1)]);
        assert_eq!(planned.left_out.len(), 3);
        assert!(planned.left_out[2].ends_with("the same Id, and Security Hub keeps one"));
        assert!(
            planned.left_out[0].contains("more than the 200 Security Hub takes"),
            "{:?}",
            planned.left_out
        );
        assert!(planned.left_out[1].ends_with("no credentials of account 999999999999"));
        assert!(!planned.plan.spans_accounts());
    }

    #[test]
    fn nothing_to_send_is_a_plan_without_steps() {
        let planned = plan_import(Vec::new(), &["111122223333"]);
        assert!(planned.plan.is_converged());
        assert!(planned.plan.goal.contains("none names an account"));
    }
}

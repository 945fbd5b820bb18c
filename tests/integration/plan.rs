//! The plan layer against moto: nothing is sent without `--yes`, a confirmed plan's writes
//! reach IAM, a fault stops the run at the failing step, and a step marked safe to re-run
//! converges when sent again.

use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use bedrock_preflight::aws::{AttachTarget, AwsReader, Session};
use bedrock_preflight::plan::{Change, Confirmation, Plan, Rerun, Step, StepResult, apply};
use serde_json::json;

use crate::support::front::{Fault, Rule};
use crate::support::{ACCOUNT, Emulator};

const POLICY: &str = "claude-invoke";

fn policy_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/{POLICY}")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A session as the binary builds it, pointed at the front server, as the user `dev`.
async fn session(emulator: &Emulator) -> Arc<Session> {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emulator.front.url())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            emulator.access_key_id.clone(),
            emulator.secret_access_key.clone(),
            None,
            None,
            "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    Session::from_config(config)
}

/// Create the policy and attach it to the user `dev`.
fn grant_plan() -> Plan {
    let document = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}]
    });
    Plan {
        goal: format!("attach {POLICY} to user/dev"),
        unchanged: Vec::new(),
        steps: vec![
            Step {
                summary: format!("Create the customer-managed policy {POLICY}"),
                change: Change::CreatePolicy {
                    name: POLICY.into(),
                    path: "/".into(),
                    document: document.to_string(),
                    description: "Invoke Claude".into(),
                    tags: Vec::new(),
                },
                rerun: Rerun::PlanFirst,
                detail: None,
            },
            Step {
                summary: "Attach it to user/dev".into(),
                change: Change::AttachPolicy {
                    target: AttachTarget::User("dev".into()),
                    policy_arn: policy_arn(),
                },
                rerun: Rerun::Safe,
                detail: None,
            },
        ],
    }
}

/// The policies attached to `dev`, as IAM holds them now.
async fn attached_to_dev(session: &Arc<Session>) -> Vec<String> {
    let reader = AwsReader::new(Arc::clone(session));
    let set = reader
        .principal_policies(&format!("arn:aws:iam::{ACCOUNT}:user/team/dev"))
        .await
        .unwrap();
    set.identity.iter().map(|p| p.name.clone()).collect()
}

#[test]
fn without_yes_nothing_is_sent() {
    let emulator = Emulator::start();
    runtime().block_on(async {
        let session = session(&emulator).await;
        for confirmation in [Confirmation::DryRun, Confirmation::Unconfirmed] {
            let outcome = apply(&grant_plan(), confirmation, &session).await;
            assert_eq!(outcome.results, [StepResult::NotSent, StepResult::NotSent]);
            assert!(!outcome.failed());
        }
        assert!(
            emulator.front.requests().is_empty(),
            "{:?}",
            emulator.front.requests()
        );
        assert!(session.call_counts().is_empty());
    });
}

#[test]
fn a_confirmed_plan_is_applied_in_order() {
    let emulator = Emulator::start();
    runtime().block_on(async {
        let session = session(&emulator).await;
        let outcome = apply(&grant_plan(), Confirmation::Yes, &session).await;
        assert_eq!(outcome.results, [StepResult::Done, StepResult::Done]);
        let sent: Vec<String> = emulator.front.requests().iter().map(|r| r.key()).collect();
        assert_eq!(sent, ["iam:CreatePolicy", "iam:AttachUserPolicy"]);
        assert_eq!(attached_to_dev(&session).await, [policy_arn()]);
        let counted: Vec<String> = session
            .call_counts()
            .into_iter()
            .map(|(op, _)| op)
            .collect();
        assert!(
            counted.contains(&"iam:AttachUserPolicy".to_string()),
            "{counted:?}"
        );
    });
}

#[test]
fn a_fault_stops_the_plan_and_the_safe_step_converges_when_sent_again() {
    let emulator = Emulator::start();
    emulator.on("iam:AttachUserPolicy", Rule::Fault(Fault::ServerError));
    runtime().block_on(async {
        let session = session(&emulator).await;
        let mut plan = grant_plan();
        plan.steps.push(Step {
            summary: "A new default version".into(),
            change: Change::CreateDefaultPolicyVersion {
                policy_arn: policy_arn(),
                document: json!({"Version": "2012-10-17", "Statement": []}).to_string(),
            },
            rerun: Rerun::PlanFirst,
            detail: None,
        });
        let outcome = apply(&plan, Confirmation::Yes, &session).await;
        assert_eq!(outcome.results[0], StepResult::Done);
        assert!(
            matches!(&outcome.results[1], StepResult::Failed(e) if e.contains("iam:AttachUserPolicy")),
            "{:?}",
            outcome.results
        );
        assert_eq!(outcome.results[2], StepResult::NotSent);
        assert!(outcome.failed());
        assert_eq!(emulator.front.count("iam:CreatePolicyVersion"), 0);
        assert!(attached_to_dev(&session).await.is_empty());

        // The policy exists now, so a planner leaves its creation out; what is left is safe
        // to send, and sending it twice leaves one attachment.
        emulator.on("iam:AttachUserPolicy", Rule::Forward);
        let rest = Plan {
            goal: plan.goal.clone(),
            unchanged: Vec::new(),
            steps: plan
                .steps
                .into_iter()
                .filter(|s| s.rerun == Rerun::Safe)
                .collect(),
        };
        for _ in 0..2 {
            let outcome = apply(&rest, Confirmation::Yes, &session).await;
            assert_eq!(outcome.results, [StepResult::Done]);
        }
        assert_eq!(attached_to_dev(&session).await, [policy_arn()]);
    });
}

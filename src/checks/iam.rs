//! `iam.invoke`: may this principal invoke the target models the way Bedrock will authorize the
//! call? Through a profile that is the profile ARN and the foundation model in every
//! destination region (and the region-less ARN of global profiles), each with the context
//! Bedrock sets. IAM's simulator answers first; where the principal may not simulate, its own
//! policies are read and evaluated locally. The finding says which source decided.
//!
//! The check runs here; `simulator` reads what IAM answers, `organizations` applies the SCPs and
//! RCPs, `judge` turns one invocation's answers into findings, and `denial` names the layer that
//! denies and what to change there.

mod denial;
mod judge;
mod organizations;
mod simulator;

use async_trait::async_trait;
use futures_util::future::join_all;

use super::facts::{CallerIdentity, IamVerdict, IamVerdicts, Invocations, PrincipalKind};
use crate::aws::AwsErrorKind;
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding};
use crate::remediation::invoke_fix_command;
use judge::judge;

check! {
    IamInvoke = "iam.invoke" {
        title: "Invoke permission",
        description: "The principal may call bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream \
                      on the profile and on the foundation model in every destination region \
                      (SimulatePrincipalPolicy, either answer shape; when that is denied, local \
                      evaluation of the policies it can read), and within the SCPs and RCPs of every \
                      level of the organization where the caller may read them (management account or \
                      delegated administrator), naming the statements that decided and the layer that \
                      denies: an SCP, an RCP, the permission boundary or identity policies",
        commands: [Doctor],
        depends_on: ["identity.caller", "profiles.resolve"],
        after: [],
        severity: High,
        kinds: {
            ALLOWED = "allowed",
            ROOT_USER = "root-user",
            FEDERATED_USER = "federated-user",
            PROFILE_DENIED = "profile-denied",
            DESTINATION_DENIED = "destination-denied",
            MODEL_DENIED = "model-denied",
            SCP_DENIED = "scp-denied",
            RCP_DENIED = "rcp-denied",
            BOUNDARY_DENIED = "boundary-denied",
            UNKNOWN_DECISION = "unknown-decision",
            CANNOT_EVALUATE = "cannot-evaluate",
        },
    }
}

#[async_trait]
impl Check for IamInvoke {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn prefetch(&self, cx: &CheckContext) {
        // The organization's policies need only the caller's account.
        if !super::signs(cx).await {
            return;
        }
        if let Ok(answer) = cx.aws.caller_identity().await
            && !answer.arn.contains(":federated-user/")
        {
            let _ = cx.aws.organization(&answer.account).await;
        }
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let identity = cx.require::<CallerIdentity>()?;
        let invocations = cx.require::<Invocations>()?;
        match identity.kind {
            PrincipalKind::FederatedUser => {
                return Ok(vec![Finding::skip(
                    &META,
                    kind::FEDERATED_USER,
                    "Skipped: IAM cannot simulate a federated user's session; runtime.probe is the evidence",
                )]);
            }
            PrincipalKind::User | PrincipalKind::AssumedRole | PrincipalKind::Root => {}
        }
        let fix = invoke_fix_command(&identity.principal_arn, &cx.scope.models, &cx.scope.regions);
        let results = join_all(
            invocations
                .list
                .iter()
                .map(|invocation| judge(&cx.aws, &identity, invocation, fix.as_deref())),
        )
        .await;
        let mut findings = Vec::new();
        let mut verdicts = IamVerdicts::default();
        for (invocation, (invocation_findings, verdict)) in invocations.list.iter().zip(results) {
            if let Some((allowed, source)) = verdict {
                verdicts.list.push(IamVerdict {
                    region: invocation.region.clone(),
                    model_id: invocation.model_id.clone(),
                    allowed,
                    source,
                });
            }
            findings.extend(invocation_findings);
        }
        cx.provide(verdicts);
        // A refused read of the organization is the usual case for member accounts and leaves
        // the verdicts standing (each says what it did not see); any other failure is an error
        // the run reports, once.
        if let Err(error) = cx.aws.organization(&identity.account).await
            && error.kind() != AwsErrorKind::Denied
        {
            findings.push(Finding::aws_error(&META, &error));
        }
        Ok(findings)
    }
}

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

use super::facts::{
    CallerIdentity, FixableDenials, IamVerdict, IamVerdicts, Invocations, PrincipalKind,
};
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
            /// The principal may call `bedrock:InvokeModel` and
            /// `bedrock:InvokeModelWithResponseStream` on everything Bedrock authorizes for the
            /// call (the inference profile and the foundation model in each destination region, or
            /// the model alone on demand), with the context Bedrock sets. The finding says what
            /// decided (IAM's simulator, or local evaluation of the principal's policies when it
            /// may not simulate) and which layers it could not see (a session policy, and the
            /// organization's SCPs when local evaluation decided and they could not be read);
            /// runtime.probe's live call covers those.
            ALLOWED = "allowed",
            /// The caller is the account's root user, whom no IAM policy limits, and the
            /// organization's policies (its SCPs, and its RCPs on the account's resources), where
            /// they could be read, do not deny the call. IAM cannot simulate the root user, so
            /// nothing else was asked. Calls work, but Bedrock work should not use root
            /// credentials: identity.caller says what to use instead.
            ROOT_USER = "root-user",
            /// The caller is an STS federated user (from GetFederationToken), whose session IAM's
            /// simulator cannot evaluate, so no IAM verdict was made. runtime.probe's live call is
            /// the evidence for whether it may invoke.
            FEDERATED_USER = "federated-user",
            /// The principal may not invoke the inference profile ARN itself
            /// (`arn:aws:bedrock:REGION:ACCOUNT:inference-profile/ID`); a policy that grants only
            /// foundation-model ARNs is the usual cause. Every call through the profile fails with
            /// AccessDeniedException "... is not authorized to perform:
            /// bedrock:InvokeModelWithResponseStream on resource: ...inference-profile/...". The
            /// remediation gives `bedrock-preflight policy apply claude-invoke` and the statements
            /// to add, or names the Deny to remove when one matched.
            PROFILE_DENIED = "profile-denied",
            /// The principal may invoke the inference profile but not the foundation model in one
            /// of its destination regions, which Bedrock authorizes too, on each hop; the finding
            /// names the region and the model ARN (for a global profile, the region-less ARN, with
            /// `aws:RequestedRegion` = `unspecified`). Calls then fail whenever Bedrock routes them
            /// there, which looks intermittent. Grant the model in every destination region,
            /// optionally conditioned on `bedrock:InferenceProfileArn`; the remediation has the
            /// command and the statements.
            DESTINATION_DENIED = "destination-denied",
            /// The principal may not invoke the foundation model, called on demand by its own ID,
            /// so every call fails with AccessDeniedException. The remediation gives
            /// `bedrock-preflight policy apply claude-invoke` and the statement to add, or names
            /// the Deny to remove when one matched.
            MODEL_DENIED = "model-denied",
            /// A service control policy of the organization denies the call: IAM's simulator says
            /// so (the organization does not allow it), or the organization's SCPs, read at every
            /// level, say so when evaluated. No IAM policy in the account can override it. For a
            /// cross-region profile's hop to a destination region, the remediation gives the
            /// exemption to ask the administrators for (an `ArnNotLike` condition on
            /// `bedrock:InferenceProfileArn`); otherwise it names the statement that denies, or
            /// asks them which SCP does.
            SCP_DENIED = "scp-denied",
            /// A resource control policy of the organization explicitly denies the call on a
            /// resource of this account (the inference profile), as the organization's RCPs
            /// evaluate when read at every level (only the management account or a delegated
            /// administrator may read them). No IAM policy of the caller can override it. Ask the
            /// organization's administrators to change the statement the finding names.
            RCP_DENIED = "rcp-denied",
            /// IAM's simulator reports that the principal's permission boundary does not allow the
            /// call, so the grant in its identity policies has no effect and calls are denied. Add
            /// the statements the remediation gives to the boundary: a boundary must allow whatever
            /// the identity policies grant.
            BOUNDARY_DENIED = "boundary-denied",
            /// IAM's simulator answered with a decision this version does not read as allowed or
            /// denied, or gave no answer for the action and resource. It is not taken as a pass, so
            /// there is no verdict. The message quotes IAM's answer; a newer bedrock-preflight may
            /// know it.
            UNKNOWN_DECISION = "unknown-decision",
            /// The principal may neither call `iam:SimulatePrincipalPolicy` on itself nor read its
            /// own policies for local evaluation, so no IAM verdict was made; runtime.probe's live
            /// call is the remaining evidence. Allow `iam:SimulatePrincipalPolicy` on the principal
            /// itself (the preflight-readonly policy has it), or run bedrock-preflight as a
            /// principal that may.
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
        let mut fixable = FixableDenials::default();
        for (invocation, judged) in invocations.list.iter().zip(results) {
            if let Some((allowed, source)) = judged.verdict {
                verdicts.list.push(IamVerdict {
                    region: invocation.region.clone(),
                    model_id: invocation.model_id.clone(),
                    allowed,
                    source,
                });
            }
            findings.extend(judged.findings);
            fixable.findings.extend(judged.attachable);
        }
        cx.provide(verdicts);
        cx.provide(fixable);
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

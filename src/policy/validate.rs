//! `policy validate`: lint a policy document for the mistakes people make with Claude on
//! Bedrock, then prove with the local evaluator that it allows every (action, resource,
//! context) the target calls need and denies samples it must not grant: another model,
//! another region, another account.

use std::collections::BTreeSet;

use serde_json::Value;

use super::reference_lint::{size_problems, statement_problems};
use super::rule::Rule;
use crate::domain::{Arn, INVOKE_ACTIONS, Invocation, Need, arn_region, needs};
use crate::iam::{
    Decision, Effect, NamedPolicy, Policy, PolicySet, Request, breadth, evaluate, reference,
};

/// A target model whose ID nobody calls: the "another model" sample.
const OTHER_MODEL: &str = "anthropic.claude-not-in-this-policy-v1:0";
/// Regions one of which is outside every target route: the "another region" sample.
const SAMPLE_REGIONS: &[&str] = &["sa-east-1", "ap-southeast-2", "ca-central-1", "af-south-1"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The policy is wrong: validation fails.
    Error,
    /// Worth a look; validation still passes.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub rule: Rule,
    pub severity: Severity,
    /// The statement it is about, when one.
    pub statement: Option<String>,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    Allow,
    Deny,
}

impl Expect {
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Allow => "allow",
            Expect::Deny => "deny",
        }
    }
}

/// One request the policy must allow or must deny, and what the evaluator decided.
#[derive(Clone, Debug)]
pub struct Proof {
    pub expect: Expect,
    /// Why the request is in the set: `needed: destination in us-east-2`, `another account`.
    pub why: String,
    pub request: Request,
    pub decision: Decision,
    /// The statements that decided it.
    pub matched: Vec<String>,
}

impl Proof {
    pub fn holds(&self) -> bool {
        (self.decision == Decision::Allowed) == (self.expect == Expect::Allow)
    }
}

#[derive(Clone, Debug)]
pub struct Validation {
    /// The template's name or the file's path.
    pub target: String,
    pub problems: Vec<Problem>,
    pub proofs: Vec<Proof>,
}

impl Validation {
    pub fn passed(&self) -> bool {
        self.problems.iter().all(|p| p.severity != Severity::Error)
            && self.proofs.iter().all(Proof::holds)
    }
}

/// Whether a document grants invoke at all: such a policy is proved against the target's
/// calls; others (a deny-only SCP, the readonly policy) are linted alone.
pub fn grants_invoke(policy: &Policy) -> bool {
    policy
        .statements
        .iter()
        .any(|s| s.effect == Effect::Allow && INVOKE_ACTIONS.iter().any(|a| s.covers_action(a)))
}

/// Whether a policy is meant for Claude Code: it lets the caller describe inference profiles,
/// which Claude Code does to find a model's profile.
pub fn for_claude_code(policy: &Policy) -> bool {
    policy
        .statements
        .iter()
        .any(|s| s.effect == Effect::Allow && s.covers_action("bedrock:GetInferenceProfile"))
}

/// Lints `document` and, for each of `invocations`, proves what it must allow and deny; for
/// Claude Code also reading its profiles and the Marketplace subscription of first use, and
/// only through Bedrock.
pub fn validate(
    target: &str,
    document: &Value,
    policy: &Policy,
    invocations: &[Invocation],
    claude_code: bool,
) -> Validation {
    let mut problems = lint(document, policy);
    let set = PolicySet::identity(vec![NamedPolicy {
        name: target.to_string(),
        policy: policy.clone(),
    }]);
    let mut proofs: Vec<Proof> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut wanted: Vec<(Expect, String, Request)> =
        invocations.iter().flat_map(requests).collect();
    if claude_code {
        wanted.extend(invocations.iter().flat_map(claude_code_requests));
    }
    for (expect, why, mut request) in wanted {
        // AWS authorizes an action that takes no resource type against "*", whatever the
        // call is about: a statement naming only ARNs must not prove it.
        if reference()
            .action(&request.action)
            .is_some_and(|a| a.takes_no_resource())
        {
            request.resource = "*".into();
        }
        if !seen.insert(format!(
            "{} {} {:?}",
            request.action,
            request.resource,
            request.context()
        )) {
            continue;
        }
        let evaluation = evaluate(&set, &request);
        let proof = Proof {
            expect,
            why,
            matched: evaluation
                .matched
                .iter()
                .map(|m| match &m.sid {
                    Some(sid) => format!("Sid {sid}"),
                    None => format!("statement {}", m.index + 1),
                })
                .collect(),
            decision: evaluation.decision,
            request,
        };
        proofs.push(proof);
    }
    // One problem per resource, naming every action that fails on it.
    let mut failing: Vec<(&Proof, Vec<&str>)> = Vec::new();
    for proof in proofs.iter().filter(|p| !p.holds()) {
        match failing.iter_mut().find(|(first, _)| {
            first.expect == proof.expect
                && first.why == proof.why
                && first.request.resource == proof.request.resource
        }) {
            Some((_, actions)) => actions.push(&proof.request.action),
            None => failing.push((proof, vec![&proof.request.action])),
        }
    }
    problems.extend(
        failing
            .iter()
            .map(|(proof, actions)| unproven(proof, actions)),
    );
    Validation {
        target: target.to_string(),
        problems,
        proofs,
    }
}

/// The problem failed proofs on one resource stand for, named as people meet it.
fn unproven(proof: &Proof, actions: &[&str]) -> Problem {
    let resource = &proof.request.resource;
    let actions = actions.join(" and ");
    let (rule, message) = match proof.expect {
        Expect::Deny => (
            Rule::GrantsTooMuch,
            format!("grants {actions} on {resource} ({})", proof.why),
        ),
        Expect::Allow => {
            let action = &proof.request.action;
            let rule = if action.starts_with("aws-marketplace:") {
                Rule::MarketplaceMissing
            } else if resource.contains(":inference-profile/")
                || resource.contains(":application-inference-profile/")
                || action.ends_with("InferenceProfiles")
            {
                Rule::ProfileMissing
            } else if arn_region(resource).is_none() {
                Rule::GlobalArnMissing
            } else if proof
                .request
                .values("bedrock:InferenceProfileArn")
                .is_some()
            {
                Rule::DestinationRegionMissing
            } else {
                Rule::ModelMissing
            };
            let mut message = format!("does not allow {actions} on {resource} ({})", proof.why);
            if actions == INVOKE_ACTIONS[1] {
                message.push_str("; Claude Code and streaming SDK calls use it");
            }
            (rule, message)
        }
    };
    Problem {
        rule,
        severity: Severity::Error,
        statement: None,
        message,
    }
}

/// What one call needs allowed, and what near it must stay denied.
fn requests(invocation: &Invocation) -> Vec<(Expect, String, Request)> {
    let mut out = Vec::new();
    let with_context = |action: &str, resource: &str, context: &[(String, Vec<String>)]| {
        context.iter().fold(
            Request::new(action, resource.to_string()),
            |r, (key, values)| r.with(key, values.clone()),
        )
    };
    for need in needs(invocation) {
        let why = match (&invocation.profile, arn_region(&need.resource)) {
            (Some(profile), _) if profile.arn == need.resource => {
                format!("needed: the profile {}", profile.id)
            }
            (Some(_), Some(region)) => format!("needed: destination in {region}"),
            (Some(_), None) => "needed: the global profile's region-less model ARN".to_string(),
            (None, _) => format!("needed: {} on demand", invocation.model.id),
        };
        for action in INVOKE_ACTIONS {
            out.push((
                Expect::Allow,
                why.clone(),
                with_context(action, &need.resource, &need.context),
            ));
        }
    }
    for (why, sample) in must_not_grant(invocation) {
        for action in INVOKE_ACTIONS {
            out.push((
                Expect::Deny,
                why.to_string(),
                with_context(action, &sample.resource, &sample.context),
            ));
        }
    }
    out
}

/// What Claude Code does besides invoking: list and describe the profile it calls, and
/// complete the Marketplace subscription on first use, which it may do only through Bedrock.
fn claude_code_requests(invocation: &Invocation) -> Vec<(Expect, String, Request)> {
    let mut out = Vec::new();
    let region = invocation.region.to_string();
    if let Some(profile) = &invocation.profile {
        for action in [
            "bedrock:GetInferenceProfile",
            "bedrock:ListInferenceProfiles",
        ] {
            out.push((
                Expect::Allow,
                format!("needed: Claude Code reads the profile {}", profile.id),
                Request::new(action, profile.arn.clone())
                    .with("aws:RequestedRegion", vec![region.clone()]),
            ));
        }
    }
    for action in [
        "aws-marketplace:Subscribe",
        "aws-marketplace:ViewSubscriptions",
    ] {
        out.push((
            Expect::Allow,
            "needed: the Marketplace subscription of first use, through Bedrock".into(),
            Request::new(action, "*")
                .with("aws:CalledViaLast", vec!["bedrock.amazonaws.com".into()]),
        ));
    }
    out.push((
        Expect::Deny,
        "a Marketplace subscription made directly, not through Bedrock".into(),
        Request::new("aws-marketplace:Subscribe", "*"),
    ));
    out
}

/// Samples near the call that a least-privilege policy denies.
fn must_not_grant(invocation: &Invocation) -> Vec<(&'static str, Need)> {
    let model_id = &invocation.model.id;
    let source = invocation.region.to_string();
    let requested =
        |region: &str| vec![("aws:RequestedRegion".to_string(), vec![region.to_string()])];
    let used: BTreeSet<String> = std::iter::once(source.clone())
        .chain(invocation.destination_regions())
        .collect();
    let other_region = SAMPLE_REGIONS
        .iter()
        .find(|r| !used.contains(**r))
        .copied()
        .unwrap_or("me-central-1");
    let Ok(model_arn) = invocation.model.arn.parse::<Arn>() else {
        return Vec::new();
    };
    let partition = model_arn.partition().to_string();
    let model_in =
        |region: &str, id: &str| format!("arn:{partition}:bedrock:{region}::foundation-model/{id}");
    let mut samples = vec![
        (
            "another model",
            model_in(&source, OTHER_MODEL),
            requested(&source),
        ),
        (
            "another region",
            model_in(other_region, model_id),
            requested(other_region),
        ),
    ];
    if let Some((profile, Ok(arn))) = invocation
        .profile
        .as_ref()
        .map(|p| (p, p.arn.parse::<Arn>()))
    {
        let account = arn.account().unwrap_or_default();
        let other_account = if account == "111122223333" {
            "444455556666"
        } else {
            "111122223333"
        };
        let resource = arn.resource();
        samples.push((
            "another model",
            profile.arn.replace(model_id.as_str(), OTHER_MODEL),
            requested(&source),
        ));
        samples.push((
            "another region",
            format!("arn:{partition}:bedrock:{other_region}:{account}:{resource}"),
            requested(other_region),
        ));
        samples.push((
            "another account",
            format!("arn:{partition}:bedrock:{source}:{other_account}:{resource}"),
            requested(&source),
        ));
    }
    // A sample equal to what the call needs would contradict it (a profile ID without the
    // model's ID in it): leave such out.
    let needed: BTreeSet<String> = needs(invocation).into_iter().map(|n| n.resource).collect();
    samples.retain(|(_, resource, _)| !needed.contains(resource));
    samples
        .into_iter()
        .map(|(why, resource, context)| (why, Need { resource, context }))
        .collect()
}

/// Lints a role's trust policy as far as the lint applies to one: its Version, and its
/// actions and condition keys against the reference (it names principals, not resources).
/// Each problem names the statement as the trust policy's.
pub fn lint_trust(document: &Value, policy: &Policy) -> Vec<Problem> {
    let mut problems = version_problems(document);
    for statement in &policy.statements {
        problems.extend(statement_problems(statement).into_iter().map(|p| Problem {
            statement: Some(format!("the trust policy's {}", statement.name())),
            ..p
        }));
    }
    problems
}

fn version_problems(document: &Value) -> Vec<Problem> {
    if document.get("Version").and_then(Value::as_str) == Some("2012-10-17") {
        return Vec::new();
    }
    vec![Problem {
        rule: Rule::Version,
        severity: Severity::Error,
        statement: None,
        message:
            "Version must be \"2012-10-17\": without it IAM leaves policy variables unsubstituted"
                .into(),
    }]
}

fn lint(document: &Value, policy: &Policy) -> Vec<Problem> {
    let mut problems = version_problems(document);
    problems.extend(size_problems(document));
    for statement in &policy.statements {
        let at = |rule, severity, message: String| Problem {
            rule,
            severity,
            statement: Some(statement.name()),
            message,
        };
        problems.extend(statement_problems(statement));
        if statement.effect != Effect::Allow {
            continue;
        }
        let invoke = statement.covers_action(INVOKE_ACTIONS[0]);
        let stream = statement.covers_action(INVOKE_ACTIONS[1]);
        if invoke && !stream {
            problems.push(at(
                Rule::StreamingMissing,
                Severity::Error,
                format!(
                    "allows {} but not {}: Claude Code and every streaming SDK call are denied",
                    INVOKE_ACTIONS[0], INVOKE_ACTIONS[1]
                ),
            ));
        }
        for found in breadth(statement) {
            let severity = if found.fails() {
                Severity::Error
            } else {
                Severity::Warning
            };
            problems.push(at(Rule::from(&found), severity, found.describe()));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{SONNET, invocation, model, profile, sonnet_through_us};
    use crate::policy::{Account, catalog_values, render, template};
    use serde_json::json;
    use std::collections::BTreeMap;

    fn global_sonnet() -> Invocation {
        invocation(
            model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]),
            Some(profile(
                &format!("global.{SONNET}"),
                SONNET,
                &["us-east-1", "eu-west-1", ""],
            )),
        )
    }

    fn rendered(name: &str, invocations: &[Invocation]) -> Value {
        let template = template(name).unwrap();
        let account = Account {
            partition: "aws".into(),
            id: "123456789012".into(),
        };
        let values = catalog_values(
            &template,
            &account,
            invocations,
            &["us-east-1".parse().unwrap()],
            &BTreeMap::new(),
        );
        render(&template.document(), &values).unwrap()
    }

    fn check(document: &Value, invocations: &[Invocation]) -> Validation {
        let policy = Policy::parse(document).unwrap();
        validate(
            "test",
            document,
            &policy,
            invocations,
            for_claude_code(&policy),
        )
    }

    fn rules(validation: &Validation) -> BTreeSet<&'static str> {
        validation
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| p.rule.id())
            .collect()
    }

    #[test]
    fn trust_policies_are_linted_as_far_as_the_lint_applies() {
        use crate::iam::PolicyType;
        let account = Account {
            partition: "aws".into(),
            id: "123456789012".into(),
        };
        for (name, vars) in [
            ("invocation-logging-role", vec![("log_group", "g")]),
            ("audit-role", vec![]),
            ("audit-role", vec![("external_id", "org-audit")]),
        ] {
            let template = template(name).unwrap();
            let given: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let mut values = template.flag_values(&given).unwrap();
            values.extend(catalog_values(
                &template,
                &account,
                &[],
                &["us-east-1".parse().unwrap()],
                &values.clone(),
            ));
            let trust = render(&template.trust_document().unwrap(), &values).unwrap();
            let policy = Policy::parse_as(&trust, PolicyType::Resource).unwrap();
            assert_eq!(lint_trust(&trust, &policy), [], "{name} {vars:?}");
        }
        let typo = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRoel",
            "Condition": {"StringEquals": {"sts:ExternalId": "x1"}}
        }]});
        let policy = Policy::parse_as(&typo, PolicyType::Resource).unwrap();
        let problems = lint_trust(&typo, &policy);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].rule, Rule::UnknownAction);
        assert_eq!(
            problems[0].statement.as_deref(),
            Some("the trust policy's statement 1")
        );
    }

    #[test]
    fn the_invoke_templates_prove_out_for_geographic_and_global_profiles() {
        let targets = [sonnet_through_us(), global_sonnet()];
        for name in ["claude-invoke", "claude-code"] {
            let validation = check(&rendered(name, &targets), &targets);
            assert!(validation.passed(), "{name}: {:#?}", validation.problems);
            let allowed = validation
                .proofs
                .iter()
                .filter(|p| p.expect == Expect::Allow)
                .count();
            // us.: profile + 2 destinations; global.: profile + 2 regional + region-less;
            // each for both actions; Claude Code also describes both profiles, lists them
            // (once: on "*", the only resource ListInferenceProfiles takes) and may
            // subscribe through Bedrock (two actions).
            let claude_code = if name == "claude-code" { 2 + 1 + 2 } else { 0 };
            assert_eq!(allowed, (3 + 4) * 2 + claude_code, "{name}");
            for why in ["another model", "another region", "another account"] {
                assert!(
                    validation
                        .proofs
                        .iter()
                        .any(|p| p.expect == Expect::Deny && p.why == why && p.holds()),
                    "{name}: {why} is proved denied"
                );
            }
        }
    }

    #[test]
    fn claude_code_may_subscribe_only_through_bedrock() {
        let targets = [sonnet_through_us()];
        let mut document = rendered("claude-code", &targets);
        let statements = document["Statement"].as_array_mut().unwrap();
        let marketplace = statements
            .iter_mut()
            .find(|s| s["Sid"] == "FirstUseMarketplaceSubscription")
            .unwrap();
        marketplace.as_object_mut().unwrap().remove("Condition");
        let validation = check(&document, &targets);
        assert_eq!(
            rules(&validation),
            BTreeSet::from(["grants-too-much", "standing-marketplace-subscribe"]),
            "the lint and the proof both see it"
        );
        assert!(
            validation
                .problems
                .iter()
                .any(|p| p.rule.id() == "grants-too-much"
                    && p.message.contains("not through Bedrock")),
            "{:?}",
            validation.problems
        );
    }

    #[test]
    fn a_broad_policy_is_refused_naming_what_it_grants_too_much() {
        let broad = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "bedrock:InvokeModel*", "Resource": "*"}
        ]});
        let validation = check(&broad, &[sonnet_through_us()]);
        assert!(!validation.passed());
        assert_eq!(
            rules(&validation),
            BTreeSet::from(["invoke-on-any-resource", "grants-too-much"])
        );
        let too_much: BTreeSet<&str> = validation
            .proofs
            .iter()
            .filter(|p| !p.holds())
            .map(|p| p.why.as_str())
            .collect();
        assert_eq!(
            too_much,
            BTreeSet::from(["another model", "another region", "another account"])
        );
    }

    #[test]
    fn a_missing_destination_region_or_global_arn_is_named() {
        let target = sonnet_through_us();
        let mut document = rendered("claude-invoke", std::slice::from_ref(&target));
        let destinations = document["Statement"][1]["Resource"].as_array_mut().unwrap();
        destinations.retain(|arn| !arn.as_str().unwrap().contains("us-west-2"));
        let validation = check(&document, &[target]);
        assert_eq!(
            rules(&validation),
            BTreeSet::from(["destination-region-missing"])
        );
        assert!(validation.problems[0].message.contains("us-west-2"));

        let global = global_sonnet();
        let mut document = rendered("claude-invoke", std::slice::from_ref(&global));
        let statements = document["Statement"].as_array_mut().unwrap();
        statements.retain(|s| s["Sid"] != "InvokeGlobalProfileDestinations");
        let validation = check(&document, &[global]);
        assert_eq!(rules(&validation), BTreeSet::from(["global-arn-missing"]));
    }

    #[test]
    fn wrong_prefixes_missing_streaming_and_unknown_actions_are_linted() {
        let target = sonnet_through_us();
        let profile = target.profile.clone().unwrap();
        let document = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Runtime", "Effect": "Allow", "Action": "bedrock-runtime:InvokeModel", "Resource": profile.arn},
            {"Sid": "NoStream", "Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:Converse", "bedrock:InvokeModelStream"],
             "Resource": [profile.arn.clone()]},
            {"Sid": "Fine", "Effect": "Allow", "Action": ["bedrock:Get*", "bedrock:CallWithBearerToken", "ec2:DescribeRegions"],
             "Resource": "*"},
        ]});
        let validation = check(&document, &[target]);
        let rule_of = |sid: &str| -> BTreeSet<&str> {
            validation
                .problems
                .iter()
                .filter(|p| p.statement.as_deref().is_some_and(|s| s.contains(sid)))
                .map(|p| p.rule.id())
                .collect()
        };
        assert_eq!(
            rule_of("Runtime"),
            BTreeSet::from(["unknown-service-prefix"])
        );
        assert_eq!(
            rule_of("NoStream"),
            BTreeSet::from(["streaming-missing", "unknown-action"])
        );
        assert_eq!(
            validation
                .problems
                .iter()
                .filter(|p| p.rule.id() == "unknown-action")
                .count(),
            2,
            "Converse and InvokeModelStream"
        );
        assert!(rule_of("Fine").is_empty(), "{:#?}", validation.problems);
        assert!(!validation.passed());
    }

    #[test]
    fn listing_profiles_is_proved_on_star_not_on_profile_arns() {
        let targets = [sonnet_through_us()];
        let mut document = rendered("claude-code", &targets);
        let statements = document["Statement"].as_array_mut().unwrap();
        statements.retain(|s| s["Sid"] != "ListInferenceProfiles");
        let read = statements
            .iter_mut()
            .find(|s| s["Sid"] == "ReadInferenceProfiles")
            .unwrap();
        read["Action"] = json!([
            "bedrock:ListInferenceProfiles",
            "bedrock:GetInferenceProfile"
        ]);
        let validation = check(&document, &targets);
        assert_eq!(
            rules(&validation),
            BTreeSet::from(["resource-star-required", "profile-missing"]),
            "{:#?}",
            validation.problems
        );
        let list = validation
            .proofs
            .iter()
            .find(|p| p.request.action == "bedrock:ListInferenceProfiles")
            .unwrap();
        assert_eq!(list.request.resource, "*");
        assert_eq!(list.decision, Decision::ImplicitDeny);
    }

    #[test]
    fn a_missing_marketplace_permission_is_named_as_such() {
        let targets = [sonnet_through_us()];
        let mut document = rendered("claude-code", &targets);
        document["Statement"]
            .as_array_mut()
            .unwrap()
            .retain(|s| s["Sid"] != "FirstUseMarketplaceSubscription");
        let validation = check(&document, &targets);
        assert_eq!(rules(&validation), BTreeSet::from(["marketplace-missing"]));
    }

    fn problems_of(statement: Value) -> Vec<(&'static str, Severity, String)> {
        let document = json!({"Version": "2012-10-17", "Statement": [statement]});
        check(&document, &[])
            .problems
            .into_iter()
            .map(|p| (p.rule.id(), p.severity, p.message))
            .collect()
    }

    #[test]
    fn actions_resources_and_condition_keys_are_held_to_the_reference() {
        let profile = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x";
        let model = "arn:aws:bedrock:us-east-1::foundation-model/x";

        let typo = problems_of(
            json!({"Effect": "Allow", "Action": "bedrock:GetInferenceProfil", "Resource": profile}),
        );
        assert_eq!(typo.len(), 1, "{typo:?}");
        assert_eq!(typo[0].0, "unknown-action");
        assert!(
            typo[0]
                .2
                .contains("did you mean bedrock:GetInferenceProfile?"),
            "{typo:?}"
        );
        let no_such = problems_of(
            json!({"Effect": "Allow", "Action": "bedrock-mantle:Nothing*", "Resource": "*"}),
        );
        assert_eq!(no_such[0].0, "unknown-action");
        let prefix = problems_of(
            json!({"Effect": "Allow", "Action": "bedrok:InvokeModel", "Resource": "*"}),
        );
        assert_eq!(prefix[0].0, "unknown-service-prefix");
        assert_eq!(prefix[0].1, Severity::Warning);

        let wrong_type = problems_of(
            json!({"Effect": "Allow", "Action": "bedrock:GetInferenceProfile", "Resource": [profile, model]}),
        );
        assert_eq!(wrong_type.len(), 1, "{wrong_type:?}");
        assert_eq!(wrong_type[0].0, "resource-type-mismatch");
        assert!(wrong_type[0].2.contains(model) && !wrong_type[0].2.contains(profile));

        let scoped_list = problems_of(
            json!({"Effect": "Deny", "Action": ["bedrock:CallWithBearerToken"], "Resource": profile}),
        );
        assert_eq!(scoped_list[0].0, "resource-star-required");
        assert_eq!(scoped_list[0].1, Severity::Error);

        // A wildcard that takes in actions with and without resource types is fine on ARNs.
        assert!(
            problems_of(json!({"Effect": "Allow", "Action": "bedrock:Get*", "Resource": profile}))
                .is_empty()
        );
        let none_fit = problems_of(
            json!({"Effect": "Allow", "Action": "bedrock:GetInferenceProf*", "Resource": "arn:aws:s3:::b"}),
        );
        assert_eq!(none_fit.len(), 1, "one cause, said once: {none_fit:?}");
        assert_eq!(none_fit[0].0, "resource-type-mismatch");
        let mixed = problems_of(
            json!({"Effect": "Allow", "Action": ["iam:GetRole", "iam:GetUser", "iam:CreatePolicy"],
            "Resource": ["arn:aws:iam::*:role/*", "arn:aws:iam::*:user/*", "arn:aws:s3:::b"]}),
        );
        assert_eq!(mixed.len(), 2, "{mixed:?}");
        assert!(mixed[0].2.starts_with("iam:CreatePolicy:"), "{mixed:?}");
        assert!(mixed[1].2.starts_with("arn:aws:s3:::b:"), "{mixed:?}");

        let unknown_key = problems_of(
            json!({"Effect": "Allow", "Action": "bedrock:InvokeModel*", "Resource": model,
            "Condition": {"StringEquals": {"bedrock:ModelId": "x", "bedrock:InferenceProfileArn": profile, "aws:ResourceTag/team": "a"}}}),
        );
        assert_eq!(unknown_key.len(), 1, "{unknown_key:?}");
        assert_eq!(unknown_key[0].0, "unknown-condition-key");
        assert_eq!(unknown_key[0].1, Severity::Warning);
        assert!(unknown_key[0].2.starts_with("bedrock:ModelId"));
    }

    #[test]
    fn operators_of_the_wrong_type_for_their_key_are_errors() {
        let model = "arn:aws:bedrock:us-east-1::foundation-model/x";
        let of = |condition: Value| -> Vec<&'static str> {
            problems_of(json!({"Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                "Resource": model, "Condition": condition}))
            .into_iter()
            .map(|p| p.0)
            .collect()
        };
        assert_eq!(
            of(json!({"NumericLessThan": {"aws:RequestedRegion": "1"}})),
            ["condition-operator-type"]
        );
        assert_eq!(
            of(json!({"Bool": {"aws:SourceIp": "true"}})),
            ["condition-operator-type"]
        );
        assert_eq!(
            of(json!({"ArnLike": {"aws:RequestedRegion": "arn:*"}})),
            ["condition-operator-type"]
        );
        assert_eq!(
            of(json!({"IpAddress": {"aws:PrincipalArn": "10.0.0.0/8"}})),
            ["condition-operator-type"]
        );
        for fine in [
            json!({"StringEquals": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:*"}}),
            json!({"ArnLike": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:*"}}),
            json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
            json!({"Bool": {"aws:SecureTransport": "true"}}),
            json!({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}),
            json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            json!({"Null": {"aws:SourceIp": "true"}}),
        ] {
            assert!(of(fine.clone()).is_empty(), "{fine}");
        }
    }

    #[test]
    fn size_limits_error_above_the_managed_limit_and_warn_above_the_inline_ones() {
        let sized = |arns: usize| {
            let resources: Vec<String> = (0..arns)
                .map(|i| format!("arn:aws:bedrock:us-east-1::foundation-model/model-{i:05}"))
                .collect();
            let document = json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "Action": "bedrock:InvokeModel", "Resource": resources}]});
            let size: usize = document
                .to_string()
                .chars()
                .filter(|c| !c.is_whitespace())
                .count();
            let found: Vec<(&str, Severity, String)> = check(&document, &[])
                .problems
                .into_iter()
                .map(|p| (p.rule.id(), p.severity, p.message))
                .collect();
            (size, found)
        };
        let (size, small) = sized(10);
        assert!(size < 2048 && small.is_empty(), "{size}: {small:?}");
        let (size, user) = sized(60);
        assert!(size > 2048 && size < 6144, "{size}");
        assert_eq!(user.len(), 1);
        assert_eq!(
            (user[0].0, user[0].1),
            ("inline-policy-too-large", Severity::Warning)
        );
        assert!(user[0].2.contains("user's") && !user[0].2.contains("role's"));
        // Too large for a managed policy, not for a role's inline one: validate cannot know
        // which it is for.
        let (size, role) = sized(150);
        assert!(size > 6144 && size < 10240, "{size}");
        let rules: Vec<(&str, Severity)> = role.iter().map(|p| (p.0, p.1)).collect();
        assert_eq!(
            rules,
            [
                ("policy-too-large", Severity::Warning),
                ("inline-policy-too-large", Severity::Warning)
            ]
        );
        assert!(
            role[0].2.contains("only as a role's inline policy"),
            "{}",
            role[0].2
        );
        let (size, big) = sized(250);
        assert!(size > 10240, "{size}");
        let rules: Vec<(&str, Severity)> = big.iter().map(|p| (p.0, p.1)).collect();
        assert_eq!(
            rules,
            [
                ("policy-too-large", Severity::Error),
                ("inline-policy-too-large", Severity::Warning)
            ]
        );
        assert!(big[0].2.contains("over 6,144"), "{}", big[0].2);
        assert!(big[1].2.contains("user's") && big[1].2.contains("role's"));
    }
}

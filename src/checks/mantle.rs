//! `mantle.access`: will Claude calls to the Mantle endpoint (Claude in Amazon Bedrock's
//! Messages API, `bedrock-mantle.<region>.api.aws`) work from here? The region serves the
//! endpoint; its model list has each target under its Mantle ID (no geography prefix, no version
//! suffix) and available; a model held back by the account's data-retention mode says so; and
//! the principal may `bedrock-mantle:CreateInference` on the model. The endpoint's list and the
//! `bedrock-mantle` actions are not in AWS's service models (bedrock-facts: partly
//! UNCONFIRMED), so an IAM implicit deny is advisory; the list is read live and its word stands.

use async_trait::async_trait;
use futures_util::future::join_all;

use super::facts::{CallerIdentity, PrincipalKind};
use crate::aws::{AwsError, AwsErrorKind, AwsReader, BedrockAuth, MantleModel};
use crate::domain::{Region, SimulatedDecision};
use crate::engine::{Check, CheckContext, CheckError, CheckMeta, Finding, Remediation, Severity};
use crate::iam::{Decision, Request, evaluate};
use crate::shell::sh;

check! {
    MantleAccess = "mantle.access" {
        title: "Mantle endpoint access",
        description: "The Mantle endpoint (bedrock-mantle.<region>.api.aws) answers in the region; its \
                      model list (GET /v1/models, signed for bedrock-mantle or with the Bedrock API key) \
                      has each target under its Mantle ID and available; a model the account's \
                      data-retention mode holds back names the mode; the principal may \
                      bedrock-mantle:CreateInference on it (simulation, else local evaluation)",
        commands: [Doctor],
        depends_on: [],
        after: ["identity.caller"],
        severity: High,
        kinds: {
            /// Claude Code is not set to use the Mantle endpoint (`CLAUDE_CODE_USE_MANTLE` is off)
            /// and `--mantle` was not given, so the endpoint was not checked. Nothing is wrong;
            /// give `--mantle` to check it anyway.
            NOT_CONFIGURED = "not-configured",
            /// The Mantle endpoint of the region lists the model under its Mantle ID as available,
            /// and the principal may `bedrock-mantle:CreateInference` on it: IAM's simulator, local
            /// evaluation of its policies, or its being the root user says so (the evidence names
            /// which). Calls to the model through the Mantle endpoint work from here.
            SERVED = "served",
            /// No model was given to judge, so the endpoint alone was:
            /// `bedrock-mantle.REGION.api.aws` answered its model list (GET /v1/models), and the
            /// finding names the Claude models it serves in the region. Name a model (`--model`, or
            /// Claude Code's settings) to have it judged.
            REACHABLE = "reachable",
            /// The name `bedrock-mantle.REGION.api.aws` does not resolve: Amazon Bedrock offers the
            /// Mantle endpoint in some regions only (or this network's DNS blocks it), so every
            /// Mantle call from the region fails to connect. Set `AWS_REGION` to a region that has
            /// the endpoint, or unset `CLAUDE_CODE_USE_MANTLE` and call Claude through Bedrock
            /// Runtime.
            REGION_NOT_SERVED = "region-not-served",
            /// The model ID is not in Mantle form: the Mantle endpoint takes `anthropic.<model>`
            /// with no geography prefix and no date or version suffix, and answers any other ID
            /// with a 400 naming the model. This is judged even when the endpoint's list cannot be
            /// read. Set the setting the finding names to the Mantle ID the remediation gives
            /// (`us.anthropic.claude-haiku-4-5-20251001-v1:0` is `anthropic.claude-haiku-4-5`
            /// there).
            NOT_A_MANTLE_ID = "not-a-mantle-id",
            /// The endpoint's model list for the region does not include this model, so calls to it
            /// fail; Mantle calls stay in their region. Use one of the models the finding lists, or
            /// a region whose endpoint serves it; with `CLAUDE_CODE_USE_BEDROCK=1` as well, a
            /// Bedrock profile ID is sent to Bedrock Runtime instead.
            NOT_LISTED = "model-not-listed",
            /// The endpoint lists the model as unavailable under the account's data-retention mode:
            /// some models are served only under a mode such as `aws_review`, in which AWS may
            /// retain prompts and outputs for review, and calls are refused until the effective
            /// mode allows it (the finding names the mode, where it is set and the modes the model
            /// accepts). Changing it is a privacy decision for the account's owner, not a fix to
            /// make blindly: if it is accepted, an administrator runs
            /// `aws bedrock put-account-data-retention` (the remediation has the exact command);
            /// otherwise use another model.
            RETENTION = "data-retention-mode",
            /// The endpoint lists the model as unavailable to this account for a reason other than
            /// data retention (the finding quotes the endpoint's reason when it gives one), so
            /// calls to it fail. Use another listed model, or ask AWS Support why this one is
            /// unavailable.
            UNAVAILABLE = "model-unavailable",
            /// The endpoint lists the model with a status this version does not know (neither
            /// available nor unavailable), so it is not read as available and no verdict is
            /// reached. The status is in the finding's evidence; a newer bedrock-preflight may know
            /// it.
            UNKNOWN_STATUS = "unknown-status",
            /// IAM denies `bedrock-mantle:CreateInference` on the account's default project for
            /// this model (with the `bedrock-mantle:Model` condition key set to it). An explicit
            /// Deny fails, since no grant overrides it: remove or narrow it (or the SCP), or use
            /// Bedrock Runtime. Without an allowing statement it warns, since the bedrock-mantle
            /// actions are not in AWS's published service models and the reading is advisory: add
            /// the statement the remediation gives, or attach AmazonBedrockMantleInferenceAccess.
            INFERENCE_DENIED = "inference-denied",
            /// The endpoint serves the model, but whether the principal may
            /// `bedrock-mantle:CreateInference` on it is unknown: the caller's identity is unknown,
            /// IAM cannot simulate a federated user, the simulation failed or gave an answer this
            /// version cannot read, or the principal may neither simulate nor read its own
            /// policies. Allow `iam:SimulatePrincipalPolicy` on the principal itself (the
            /// preflight-readonly policy has it), or run bedrock-preflight as a principal that may.
            INFERENCE_UNVERIFIED = "inference-unverified",
            /// The endpoint refused to list its models. Listing needs `bedrock-mantle:ListModels`
            /// (and, with an API key, `bedrock-mantle:CallWithBearerToken`), which a principal
            /// allowed to call models may still lack, so this proves nothing about inference either
            /// way. Allow `bedrock-mantle:ListModels` (the preflight-readonly policy has it), or
            /// attach AmazonBedrockMantleInferenceAccess.
            LIST_DENIED = "list-denied",
            /// The Mantle endpoint rejected the Bedrock API key in `AWS_BEARER_TOKEN_BEDROCK`: it
            /// is expired, revoked, or was made for another region. Every Mantle call with it
            /// fails. Make a new short-term key in the region (aws-bedrock-token-generator, or the
            /// Bedrock console's API keys page), or unset the variable to sign with AWS
            /// credentials.
            KEY_REJECTED = "api-key-rejected",
        },
    }
}

pub const CREATE_INFERENCE: &str = "bedrock-mantle:CreateInference";

/// What doctor hands this check: the models to judge on the Mantle endpoint (in every region
/// of the run), each with where it was named. An empty list judges the endpoint alone.
#[derive(Clone, Debug, Default)]
pub struct MantleInput {
    pub targets: Vec<MantleTarget>,
    /// Claude Code calls the Mantle endpoint only (CLAUDE_CODE_USE_BEDROCK is off).
    pub mantle_only: bool,
}

impl MantleInput {
    /// Whether a call to `id` goes to the Mantle endpoint rather than Bedrock Runtime: every ID
    /// with Mantle alone, else (as Claude Code routes with both on) the IDs in Mantle form.
    pub fn routes(&self, id: &str) -> bool {
        self.mantle_only || mantle_id(id).as_deref() == Some(id)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MantleTarget {
    /// The model ID as written (a `[1m]` suffix dropped).
    pub id: String,
    /// `--model`, or the Claude Code setting and file that named it.
    pub named_by: String,
}

/// The Mantle form of a Claude model ID: the geography prefix, the date and the version
/// suffix dropped (`us.anthropic.claude-haiku-4-5-20251001-v1:0` → `anthropic.claude-haiku-4-5`).
/// `None` for what is not an Anthropic model ID (an ARN, a family name).
pub fn mantle_id(id: &str) -> Option<String> {
    let start = id.find("anthropic.")?;
    if id.starts_with("arn:") {
        return None;
    }
    let mut name = id[start..].to_string();
    if let Some(at) = name.rfind("-v")
        && name[at + 2..]
            .split(':')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    {
        name.truncate(at);
    }
    if let Some(at) = name.rfind('-')
        && name[at + 1..].len() == 8
        && name[at + 1..].bytes().all(|b| b.is_ascii_digit())
    {
        name.truncate(at);
    }
    Some(name)
}

/// The statement that grants Mantle inference on the account's default project.
fn grant_statement(region: &Region, account: &str, ids: &[&str]) -> String {
    serde_json::json!({
        "Effect": "Allow",
        "Action": CREATE_INFERENCE,
        "Resource": format!("arn:aws:bedrock-mantle:{region}:{account}:project/default"),
        "Condition": {"StringEquals": {"bedrock-mantle:Model": ids}},
    })
    .to_string()
}

#[async_trait]
impl Check for MantleAccess {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    async fn run(&self, cx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        let Some(input) = cx.fact::<MantleInput>() else {
            return Ok(vec![Finding::skip(
                &META,
                kind::NOT_CONFIGURED,
                "Skipped: Claude Code is not set to use the Mantle endpoint (CLAUDE_CODE_USE_MANTLE); --mantle \
                 checks it anyway",
            )]);
        };
        let identity = cx.fact::<CallerIdentity>();
        let findings = join_all(
            cx.scope
                .regions
                .iter()
                .map(|region| in_region(&cx.aws, region, &input.targets, identity.as_deref())),
        )
        .await;
        Ok(findings.into_iter().flatten().collect())
    }
}

async fn in_region(
    aws: &AwsReader,
    region: &Region,
    targets: &[MantleTarget],
    identity: Option<&CallerIdentity>,
) -> Vec<Finding> {
    let bearer = aws.bedrock_auth() == BedrockAuth::BearerToken;
    // The list and the permission questions do not depend on each other.
    let (models, permissions) = tokio::join!(
        aws.mantle_models(region),
        join_all(
            targets
                .iter()
                .map(|t| permission(aws, region, &t.id, identity))
        )
    );
    let models = models.as_deref().map(Vec::as_slice);
    verdicts(aws, region, targets, models, permissions, bearer).await
}

/// What the endpoint's model list (or its failure) and IAM's answers say of each target in
/// `region`; the endpoint itself when there is no target.
async fn verdicts(
    aws: &AwsReader,
    region: &Region,
    targets: &[MantleTarget],
    models: Result<&[MantleModel], &AwsError>,
    permissions: Vec<Permission>,
    bearer: bool,
) -> Vec<Finding> {
    let models = match models {
        Ok(models) => models,
        Err(error) => {
            let mut findings = vec![
                list_failure(region, error, bearer)
                    .region(region.as_str())
                    .evidence("auth", if bearer { "api-key" } else { "sigv4" }),
            ];
            // An ID in the wrong form fails whatever the endpoint would have listed.
            findings.extend(targets.iter().filter_map(|target| {
                wrong_form(target, &[], &[]).map(|f| located(f, region, target))
            }));
            return findings;
        }
    };
    let claude: Vec<&str> = models
        .iter()
        .map(|m| m.id.as_str())
        .filter(|id| id.starts_with("anthropic."))
        .collect();
    if targets.is_empty() {
        return vec![
            Finding::pass(
                &META,
                kind::REACHABLE,
                "The Mantle endpoint answers",
                format!(
                    "The Mantle endpoint in {region} lists {} Claude model(s): {}",
                    claude.len(),
                    claude.join(", ")
                ),
            )
            .region(region.as_str())
            .evidence("models", claude.clone()),
        ];
    }
    let mut findings = Vec::new();
    for (target, permission) in targets.iter().zip(permissions) {
        let finding = judge(aws, region, target, models, &claude, permission, bearer).await;
        findings.push(located(finding, region, target));
    }
    findings
}

fn located(finding: Finding, region: &Region, target: &MantleTarget) -> Finding {
    finding
        .region(region.as_str())
        .resource(target.id.clone())
        .evidence("named_by", target.named_by.clone())
}

/// The failure of an ID that is not in Mantle form, naming the right one: the listed Mantle
/// form of the same model when there is one.
fn wrong_form(target: &MantleTarget, models: &[MantleModel], claude: &[&str]) -> Option<Finding> {
    let id = target.id.as_str();
    let mantle = mantle_id(id);
    if mantle.as_deref() == Some(id) {
        return None;
    }
    let listed = mantle
        .as_deref()
        .filter(|m| models.iter().any(|model| model.id == *m));
    let fix = match (&mantle, listed) {
        (_, Some(right)) => format!("Set {} to {right}", target.named_by),
        (Some(right), None) if claude.is_empty() => {
            format!("Set {} to {right}", target.named_by)
        }
        (Some(right), None) => format!(
            "Set {} to {right}, which the endpoint does not list here yet; it lists {}",
            target.named_by,
            claude.join(", ")
        ),
        (None, None) => format!(
            "Set {} to a Mantle ID (anthropic.<model>){}",
            target.named_by,
            if claude.is_empty() {
                String::new()
            } else {
                format!("; the endpoint here lists {}", claude.join(", "))
            }
        ),
    };
    Some(Finding::fail(
        &META,
        kind::NOT_A_MANTLE_ID,
        Severity::High,
        "Not a Mantle model ID",
        format!(
            "{id} is not a Mantle model ID: the Mantle endpoint takes anthropic.<model> with no geography \
             prefix and no version suffix, and answers 400 naming the model"
        ),
        Remediation::new(fix),
    ))
}

/// Why the model list could not be read, as the finding that says what that means.
fn list_failure(region: &Region, error: &AwsError, bearer: bool) -> Finding {
    let unresolved = error.kind() == AwsErrorKind::Unavailable && {
        let text = error.message().to_ascii_lowercase();
        [
            "dns error",
            "failed to lookup address",
            "name or service not known",
            "no such host",
        ]
        .iter()
        .any(|needle| text.contains(needle))
    };
    if unresolved {
        return Finding::fail(
            &META,
            kind::REGION_NOT_SERVED,
            Severity::High,
            "The Mantle endpoint does not exist in this region",
            format!(
                "bedrock-mantle.{region}.api.aws does not resolve ({}): Mantle is offered in some regions only \
                 (or this network's DNS blocks it), so every Mantle call from {region} fails",
                error.message()
            ),
            Remediation::new(format!(
                "Set AWS_REGION to a region where Amazon Bedrock offers the Mantle endpoint (see \
                 https://docs.aws.amazon.com/bedrock/latest/userguide/bedrock-mantle.html), or unset \
                 CLAUDE_CODE_USE_MANTLE and call Claude through Bedrock Runtime in {region}"
            )),
        );
    }
    match error.kind() {
        AwsErrorKind::InvalidCredentials if bearer => Finding::fail(
            &META,
            kind::KEY_REJECTED,
            Severity::High,
            "The Mantle endpoint rejects the Bedrock API key",
            format!(
                "The Mantle endpoint in {region} refused AWS_BEARER_TOKEN_BEDROCK ({error}): the key is expired, \
                 revoked, or was made for another region"
            ),
            Remediation::new(format!(
                "Make a new short-term key in {region} (aws-bedrock-token-generator, or the Bedrock console's API \
                 keys page) and set AWS_BEARER_TOKEN_BEDROCK to it, or unset it to sign with your AWS credentials"
            )),
        ),
        AwsErrorKind::Denied => Finding::error(
            &META,
            kind::LIST_DENIED,
            format!(
                "The Mantle endpoint in {region} refused to list its models ({error}). Listing needs \
                 bedrock-mantle:ListModels{}, which a principal allowed to infer may still lack, so this \
                 proves nothing about inference",
                if bearer {
                    " and, with an API key, bedrock-mantle:CallWithBearerToken (an SCP that denies API keys \
                     refuses this too)"
                } else {
                    ""
                }
            ),
        )
        .evidence("operation", error.operation().to_string())
        .remediation(Remediation::new(
            r#"Allow {"Effect": "Allow", "Action": "bedrock-mantle:ListModels", "Resource": "arn:aws:bedrock-mantle:*:*:project/*"} (the preflight-readonly policy has it), or attach AmazonBedrockMantleInferenceAccess"#,
        )),
        _ => Finding::aws_error(&META, error),
    }
}

async fn judge(
    aws: &AwsReader,
    region: &Region,
    target: &MantleTarget,
    models: &[MantleModel],
    claude: &[&str],
    permission: Permission,
    bearer: bool,
) -> Finding {
    if let Some(finding) = wrong_form(target, models, claude) {
        return finding;
    }
    let id = target.id.as_str();
    let Some(model) = models.iter().find(|m| m.id == id) else {
        return Finding::fail(
            &META,
            kind::NOT_LISTED,
            Severity::High,
            "The Mantle endpoint does not serve this model here",
            format!(
                "The Mantle endpoint in {region} does not list {id}; it lists {}",
                if claude.is_empty() {
                    "no Claude model".to_string()
                } else {
                    claude.join(", ")
                }
            ),
            Remediation::new(format!(
                "Use one of the listed models, or a region whose Mantle endpoint serves {id} (Mantle calls stay \
                 in their region); with CLAUDE_CODE_USE_BEDROCK=1 too, a Bedrock profile ID goes to Bedrock Runtime"
            )),
        )
        .evidence("models", claude.to_vec());
    };
    match model.status.as_deref() {
        None | Some("available") => {}
        Some("unavailable") => return unavailable(aws, region, model).await,
        Some(other) => {
            return Finding::error(
                &META,
                kind::UNKNOWN_STATUS,
                format!(
                    "The Mantle endpoint lists {id} with status '{other}', which this version does not read as available"
                ),
            )
            .evidence("status", other.to_string());
        }
    }
    let auth = if bearer { "api-key" } else { "sigv4" };
    match permission {
        Permission::Allowed(source) => Finding::pass(
            &META,
            kind::SERVED,
            "Served on the Mantle endpoint",
            format!(
                "The Mantle endpoint in {region} lists {id} as available, and the principal may {CREATE_INFERENCE} on it"
            ),
        )
        .evidence("source", source)
        .evidence("auth", auth),
        Permission::Denied {
            explicit,
            source,
            matched,
            account,
        } => {
            let statement = grant_statement(region, &account, &[id]);
            let message = format!(
                "The Mantle endpoint in {region} serves {id}, but {} denies {CREATE_INFERENCE} on it{}",
                if source == "local" {
                    "local evaluation of the principal's policies"
                } else {
                    "IAM's simulator"
                },
                if matched.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", matched.join(", "))
                }
            );
            if explicit {
                Finding::fail(
                    &META,
                    kind::INFERENCE_DENIED,
                    Severity::High,
                    "Mantle inference is denied",
                    format!("{message}: an explicit Deny, which no grant overrides"),
                    Remediation::new(
                        "Remove or narrow the Deny named above (or the SCP), or use Bedrock Runtime",
                    ),
                )
            } else {
                // The action's name comes from public policies, not an AWS service model.
                Finding::warn(
                    &META,
                    kind::INFERENCE_DENIED,
                    Severity::High,
                    "Mantle inference is not granted",
                    format!(
                        "{message}: no policy allows it. Advisory: the bedrock-mantle actions are not in AWS's \
                         service models"
                    ),
                    Remediation::new(format!(
                        "Add this statement to the principal's policy: {statement} (or attach AmazonBedrockMantleInferenceAccess)"
                    )),
                )
            }
            .evidence("source", source)
            .evidence("matched", matched)
            .evidence("auth", auth)
        }
        Permission::Unverified(why) => Finding::warn(
            &META,
            kind::INFERENCE_UNVERIFIED,
            Severity::Medium,
            "Mantle inference permission unverified",
            format!(
                "The Mantle endpoint in {region} lists {id} as available, but whether the principal may \
                 {CREATE_INFERENCE} is unknown: {why}"
            ),
            Remediation::new(
                "Allow iam:SimulatePrincipalPolicy on the principal itself (the preflight-readonly policy), or run \
                 bedrock-preflight as a principal that may",
            ),
        )
        .evidence("auth", auth),
    }
}

/// A listed model that is not available: the data-retention gate, named with the modes, or the
/// endpoint's own reason.
async fn unavailable(aws: &AwsReader, region: &Region, model: &MantleModel) -> Finding {
    let id = &model.id;
    let reason = model.status_reason.clone().unwrap_or_default();
    let retention = model.data_retention.clone().unwrap_or_default();
    let about_retention =
        reason.to_ascii_lowercase().contains("retention") || !retention.allowed_modes.is_empty();
    if !about_retention {
        return Finding::fail(
            &META,
            kind::UNAVAILABLE,
            Severity::High,
            "The model is unavailable on the Mantle endpoint",
            format!(
                "The Mantle endpoint in {region} lists {id} as unavailable{}",
                if reason.is_empty() {
                    String::new()
                } else {
                    format!(": {reason}")
                }
            ),
            Remediation::new(format!(
                "Use another listed model, or ask AWS Support why {id} is unavailable to this account"
            )),
        )
        .evidence("status_reason", reason);
    }
    // The account's own setting, for the explanation; the list's word decides either way.
    let account_mode = aws.account_data_retention(region).await;
    let mode = retention
        .mode
        .clone()
        .or_else(|| account_mode.as_ref().ok().cloned())
        .unwrap_or_else(|| "unknown".into());
    let needed = if retention.allowed_modes.is_empty() {
        "a retention mode the account has not set".to_string()
    } else {
        retention.allowed_modes.join(" or ")
    };
    let target_mode = retention
        .allowed_modes
        .first()
        .cloned()
        .unwrap_or_else(|| "aws_review".into());
    let mut finding = Finding::fail(
        &META,
        kind::RETENTION,
        Severity::High,
        "The account's data-retention mode holds this model back",
        format!(
            "The Mantle endpoint in {region} lists {id} as unavailable under data-retention mode '{mode}'{}: it \
             needs {needed}. {}",
            retention
                .source
                .as_deref()
                .map(|s| format!(" (set at the {s} level)"))
                .unwrap_or_default(),
            if reason.is_empty() {
                String::new()
            } else {
                format!("The endpoint says: {reason}")
            }
        ),
        Remediation::new(format!(
            "This is a privacy decision for the account's owner, not a fix this tool makes: under {target_mode} \
             AWS may retain prompts and outputs for review (see \
             https://docs.aws.amazon.com/bedrock/latest/userguide/data-retention.html). If it is accepted, an \
             administrator runs: {}; otherwise use another model",
            sh!["aws", "bedrock", "put-account-data-retention", "--mode", target_mode, "--region", region]
        )),
    )
    .evidence("mode", mode)
    .evidence("allowed_modes", retention.allowed_modes.clone());
    match account_mode {
        Ok(account) => finding = finding.evidence("account_mode", account),
        Err(error) => finding = finding.evidence("account_mode_error", error.to_string()),
    }
    finding
}

/// What IAM says of `bedrock-mantle:CreateInference` on one model.
enum Permission {
    /// `simulate` or `local`.
    Allowed(&'static str),
    Denied {
        explicit: bool,
        source: &'static str,
        matched: Vec<String>,
        account: String,
    },
    Unverified(String),
}

/// The principal's permission to infer with `model` on the account's default project, with the
/// context the endpoint sets: the simulator first, its own policies when it may not simulate.
async fn permission(
    aws: &AwsReader,
    region: &Region,
    model: &str,
    identity: Option<&CallerIdentity>,
) -> Permission {
    let Some(identity) = identity else {
        return Permission::Unverified("the caller's identity is unknown".into());
    };
    match identity.kind {
        PrincipalKind::Root => return Permission::Allowed("root"),
        PrincipalKind::FederatedUser => {
            return Permission::Unverified("IAM cannot simulate a federated user's session".into());
        }
        PrincipalKind::User | PrincipalKind::AssumedRole => {}
    }
    let resource = format!(
        "arn:aws:bedrock-mantle:{region}:{}:project/default",
        identity.account
    );
    let context = vec![
        ("bedrock-mantle:Model".to_string(), vec![model.to_string()]),
        ("aws:RequestedRegion".to_string(), vec![region.to_string()]),
    ];
    let principal = identity.principal_arn.as_str();
    let denied = |explicit, source, matched| Permission::Denied {
        explicit,
        source,
        matched,
        account: identity.account.clone(),
    };
    match aws
        .simulate(principal, &[CREATE_INFERENCE], &resource, &context)
        .await
    {
        Ok(decisions) => {
            let decision: Option<&SimulatedDecision> = decisions
                .iter()
                .find(|d| d.action.eq_ignore_ascii_case(CREATE_INFERENCE));
            match decision.map(|d| (Decision::from_simulator(&d.decision), d)) {
                Some((Some(Decision::Allowed), _)) => Permission::Allowed("simulate"),
                Some((Some(decision), d)) => denied(
                    decision == Decision::ExplicitDeny,
                    "simulate",
                    d.matched.clone(),
                ),
                Some((None, d)) => Permission::Unverified(format!(
                    "IAM answered '{}', which this version does not read",
                    d.decision
                )),
                None => {
                    Permission::Unverified("IAM's simulator did not answer for the action".into())
                }
            }
        }
        Err(error) if error.kind() == AwsErrorKind::Denied => {
            match aws.principal_policies(principal).await {
                Ok(policies) => {
                    let request = context.iter().fold(
                        Request::new(CREATE_INFERENCE, resource.clone()),
                        |r, (key, values)| r.with(key, values.clone()),
                    );
                    let evaluation = evaluate(&policies, &request);
                    let matched = evaluation.matched.iter().map(|m| m.label()).collect();
                    match evaluation.decision {
                        Decision::Allowed => Permission::Allowed("local"),
                        decision => denied(decision == Decision::ExplicitDeny, "local", matched),
                    }
                }
                Err(read_error) => Permission::Unverified(format!(
                    "the principal may neither simulate ({error}) nor read its policies ({read_error})"
                )),
            }
        }
        Err(error) => Permission::Unverified(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::catalog::LIST_MANTLE_MODELS;
    use crate::checks::testing::{context, offline};
    use crate::engine::{Kind, Status};

    #[test]
    fn a_name_that_does_not_resolve_means_the_region_has_no_endpoint() {
        let region: Region = "ap-east-2".parse().unwrap();
        let dns = AwsError::new(
            AwsErrorKind::Unavailable,
            &LIST_MANTLE_MODELS,
            "dispatch failure: io error: client error (Connect): dns error: failed to lookup address information",
        );
        let finding = list_failure(&region, &dns, false);
        assert_eq!(finding.kind, kind::REGION_NOT_SERVED);
        assert!(finding.message.contains("bedrock-mantle.ap-east-2.api.aws"));
        let refused = AwsError::new(
            AwsErrorKind::Unavailable,
            &LIST_MANTLE_MODELS,
            "dispatch failure: io error: connection refused",
        );
        assert_eq!(
            list_failure(&region, &refused, false).status,
            crate::engine::Status::Error,
            "any other failure to connect proves nothing"
        );
    }

    #[test]
    fn mantle_ids_have_no_geography_date_or_version() {
        assert_eq!(
            mantle_id("us.anthropic.claude-haiku-4-5-20251001-v1:0").as_deref(),
            Some("anthropic.claude-haiku-4-5")
        );
        assert_eq!(
            mantle_id("global.anthropic.claude-opus-4-6-v1").as_deref(),
            Some("anthropic.claude-opus-4-6")
        );
        assert_eq!(
            mantle_id("anthropic.claude-sonnet-4-6").as_deref(),
            Some("anthropic.claude-sonnet-4-6")
        );
        assert_eq!(mantle_id("sonnet"), None);
    }

    const MANTLE: &str = "anthropic.claude-haiku-4-5";

    fn us_east_1() -> Region {
        "us-east-1".parse().unwrap()
    }

    fn listed(id: &str, status: Option<&str>) -> MantleModel {
        MantleModel {
            id: id.into(),
            status: status.map(str::to_string),
            status_reason: None,
            data_retention: None,
        }
    }

    fn target(id: &str) -> MantleTarget {
        MantleTarget {
            id: id.into(),
            named_by: "--model".into(),
        }
    }

    /// The verdict on `id` against `models`, with `permission`: none of these reads AWS but
    /// the data-retention detail, which the offline reader fails.
    async fn judged(id: &str, models: &[MantleModel], permission: Permission) -> Finding {
        let claude: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
        judge(
            &offline(),
            &us_east_1(),
            &target(id),
            models,
            &claude,
            permission,
            false,
        )
        .await
    }

    fn denied(explicit: bool) -> Permission {
        Permission::Denied {
            explicit,
            source: "simulate",
            matched: vec!["NoMantle (Sid Deny)".into()],
            account: "123456789012".into(),
        }
    }

    #[tokio::test]
    async fn a_listed_available_model_the_principal_may_infer_with_is_served() {
        let models = [
            listed(MANTLE, Some("available")),
            listed("openai.gpt-oss-120b", None),
        ];
        let served = judged(MANTLE, &models, Permission::Allowed("simulate")).await;
        assert_eq!((served.kind, served.status), (kind::SERVED, Status::Pass));
        assert_eq!(served.evidence["source"], "simulate");
        assert_eq!(served.evidence["auth"], "sigv4");

        let absent = judged(
            "anthropic.claude-opus-9",
            &models,
            Permission::Allowed("simulate"),
        )
        .await;
        assert_eq!(
            (absent.kind, absent.status),
            (kind::NOT_LISTED, Status::Fail)
        );
        assert!(
            absent
                .message
                .ends_with(&format!("it lists {MANTLE}, openai.gpt-oss-120b"))
        );
    }

    #[tokio::test]
    async fn iam_s_word_on_create_inference_fails_warns_or_is_unverified() {
        let models = [listed(MANTLE, Some("available"))];
        let explicit = judged(MANTLE, &models, denied(true)).await;
        assert_eq!(
            (explicit.kind, explicit.status),
            (kind::INFERENCE_DENIED, Status::Fail)
        );
        assert!(
            explicit.message.contains("(NoMantle (Sid Deny))"),
            "{}",
            explicit.message
        );
        assert!(
            explicit
                .remediation
                .as_deref()
                .unwrap()
                .starts_with("Remove or narrow the Deny")
        );

        let implicit = judged(MANTLE, &models, denied(false)).await;
        assert_eq!(
            (implicit.kind, implicit.status),
            (kind::INFERENCE_DENIED, Status::Warn)
        );
        let grant = implicit.remediation.as_deref().unwrap();
        assert!(
            grant.contains(
                r#""Resource":"arn:aws:bedrock-mantle:us-east-1:123456789012:project/default""#
            ) && grant.contains(r#""bedrock-mantle:Model":["anthropic.claude-haiku-4-5"]"#),
            "{grant}"
        );

        let unknown = judged(
            MANTLE,
            &models,
            Permission::Unverified("IAM cannot simulate a federated user's session".into()),
        )
        .await;
        assert_eq!(
            (unknown.kind, unknown.status),
            (kind::INFERENCE_UNVERIFIED, Status::Warn)
        );
        assert!(unknown.message.ends_with("federated user's session"));
    }

    #[tokio::test]
    async fn an_unavailable_model_names_the_retention_mode_it_needs_or_the_endpoint_s_reason() {
        let mut held = listed(MANTLE, Some("unavailable"));
        held.status_reason =
            Some("This model is not available under data retention mode 'default'.".into());
        held.data_retention = Some(crate::aws::ModelRetention {
            mode: Some("default".into()),
            source: Some("account".into()),
            allowed_modes: vec!["aws_review".into()],
        });
        let retention = judged(MANTLE, &[held], Permission::Allowed("simulate")).await;
        assert_eq!(
            (retention.kind, retention.status),
            (kind::RETENTION, Status::Fail)
        );
        assert!(
            retention
                .message
                .contains("under data-retention mode 'default' (set at the account level): it needs aws_review"),
            "{}",
            retention.message
        );
        assert!(
            retention.remediation.as_deref().unwrap().contains(
                "an administrator runs: aws bedrock put-account-data-retention --mode aws_review --region us-east-1"
            )
        );
        // The list's word decides; the account's own setting only explains, here unread.
        assert!(retention.evidence.contains_key("account_mode_error"));

        let mut withheld = listed(MANTLE, Some("unavailable"));
        withheld.status_reason = Some("Not offered to this account.".into());
        let unavailable = judged(MANTLE, &[withheld], Permission::Allowed("simulate")).await;
        assert_eq!(
            (unavailable.kind, unavailable.status),
            (kind::UNAVAILABLE, Status::Fail)
        );
        assert_eq!(
            unavailable.evidence["status_reason"],
            "Not offered to this account."
        );

        let odd = judged(
            MANTLE,
            &[listed(MANTLE, Some("deprecated"))],
            Permission::Allowed("simulate"),
        )
        .await;
        assert_eq!(
            (odd.kind, odd.status),
            (kind::UNKNOWN_STATUS, Status::Error)
        );
        assert_eq!(odd.evidence["status"], "deprecated");
    }

    #[tokio::test]
    async fn without_targets_the_endpoint_is_judged_and_a_wrong_id_fails_even_unlisted() {
        let models = [
            listed(MANTLE, Some("available")),
            listed("openai.gpt-oss-120b", None),
        ];
        let reachable = verdicts(
            &offline(),
            &us_east_1(),
            &[],
            Ok(&models),
            Vec::new(),
            false,
        )
        .await;
        assert_eq!(reachable.len(), 1);
        assert_eq!(
            (reachable[0].kind, reachable[0].status),
            (kind::REACHABLE, Status::Pass)
        );
        assert_eq!(reachable[0].evidence["models"], serde_json::json!([MANTLE]));

        let refused = AwsError::new(AwsErrorKind::Denied, &LIST_MANTLE_MODELS, "Forbidden");
        let found = verdicts(
            &offline(),
            &us_east_1(),
            &[target("us.anthropic.claude-haiku-4-5-20251001-v1:0")],
            Err(&refused),
            vec![Permission::Allowed("simulate")],
            false,
        )
        .await;
        let got: Vec<(Kind, Status)> = found.iter().map(|f| (f.kind, f.status)).collect();
        assert_eq!(
            got,
            [
                (kind::LIST_DENIED, Status::Error),
                (kind::NOT_A_MANTLE_ID, Status::Fail)
            ]
        );
        assert_eq!(
            found[1].remediation.as_deref(),
            Some("Set --model to anthropic.claude-haiku-4-5")
        );
    }

    #[test]
    fn a_refused_list_is_no_verdict_and_a_refused_api_key_fails() {
        let region = us_east_1();
        let forbidden = AwsError::new(AwsErrorKind::Denied, &LIST_MANTLE_MODELS, "Forbidden");
        let denied = list_failure(&region, &forbidden, true);
        assert_eq!(
            (denied.kind, denied.status),
            (kind::LIST_DENIED, Status::Error)
        );
        assert!(
            denied
                .message
                .contains("bedrock-mantle:CallWithBearerToken"),
            "with an API key, the bearer-token action too: {}",
            denied.message
        );
        assert!(
            denied
                .remediation
                .as_deref()
                .unwrap()
                .contains(r#""Action": "bedrock-mantle:ListModels""#)
        );

        let expired = AwsError::new(
            AwsErrorKind::InvalidCredentials,
            &LIST_MANTLE_MODELS,
            "HTTP 401",
        );
        let rejected = list_failure(&region, &expired, true);
        assert_eq!(
            (rejected.kind, rejected.status),
            (kind::KEY_REJECTED, Status::Fail)
        );
        assert!(
            rejected
                .remediation
                .as_deref()
                .unwrap()
                .starts_with("Make a new short-term key in us-east-1")
        );
        // Signed with AWS credentials, the same answer is the credentials', not a key's.
        assert_eq!(
            list_failure(&region, &expired, false).kind,
            Kind::READ_FAILED
        );
    }

    #[tokio::test]
    async fn without_mantle_in_use_nothing_is_asked() {
        let found = MantleAccess
            .run(&context(crate::engine::Scope::default()))
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].kind, found[0].status),
            (kind::NOT_CONFIGURED, Status::Skip)
        );
    }
}

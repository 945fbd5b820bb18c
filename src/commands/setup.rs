//! `setup logging`, `setup model-access` and `setup quotas`: read what the account holds,
//! plan what is missing, and hand the plan to `plan::apply`, which sends it only with `--yes`.

use std::collections::BTreeMap;

use futures_util::future::join_all;

use super::resolve::{
    Resolve, Run, Signing, caller_account, live, plan_quota_increases, requested_models, template,
};
use super::{Output, PlanRun};
use crate::aws::{AwsError, AwsReader};
use crate::cli::{GlobalArgs, SetupCommand};
use crate::domain::{Arn, Invocation, ModelRequest, Region};
use crate::plan::{self, Confirmation};
use crate::policy::{Account, Filled, catalog_values, render};
use crate::remediation::QuotaIncrease;
use crate::report::Examined;
use crate::setup::logging::{
    Destination, RETENTION_DAYS, ROLE_NAME, ROLE_POLICY_NAME, RegionNow, plan_logging,
};
use crate::setup::model_access::{AgreementNow, plan_model_access};
use crate::{CommandError, EXIT_ERROR, EXIT_FAILED, EXIT_OK};

pub async fn setup(global: &GlobalArgs, command: &SetupCommand) -> Result<u8, CommandError> {
    match command {
        SetupCommand::Logging {
            log_group,
            retention_days,
            role_arn,
            create_role,
            bucket,
            dry_run,
            yes,
        } => {
            let destination = wanted_logging(
                log_group.as_deref(),
                *retention_days,
                role_arn.as_deref(),
                *create_role,
                bucket.as_deref(),
            )?;
            logging(
                global,
                destination,
                Confirmation::from_flags(*dry_run, *yes),
            )
            .await
        }
        SetupCommand::ModelAccess {
            models,
            use_case_form,
            dry_run,
            yes,
        } => {
            let form = match use_case_form {
                Some(path) => Some(read_form(path).await?),
                None => None,
            };
            model_access(
                global,
                models,
                form,
                Confirmation::from_flags(*dry_run, *yes),
            )
            .await
        }
        SetupCommand::Quotas {
            model,
            tpm,
            rpm,
            tokens_per_day,
            dry_run,
            yes,
        } => {
            let asked = Asked {
                tpm: *tpm,
                rpm: *rpm,
                tokens_per_day: *tokens_per_day,
            };
            quotas(
                global,
                model,
                asked,
                Confirmation::from_flags(*dry_run, *yes),
            )
            .await
        }
    }
}

/// `setup quotas`' values, as its flags give them.
struct Asked {
    tpm: Option<u64>,
    rpm: Option<u64>,
    tokens_per_day: Option<u64>,
}

async fn quotas(
    global: &GlobalArgs,
    model: &str,
    asked: Asked,
    confirmation: Confirmation,
) -> Result<u8, CommandError> {
    let mut output = Output::open_report(global)?;
    let plan_run = PlanRun::start("setup quotas");
    let request = model.parse::<ModelRequest>().map_err(CommandError::Usage)?;
    let run = Run::resolve(global, Signing::default()).await;
    if run.regions()?.is_empty() {
        return Err(CommandError::Usage(
            "no region: give --region R (repeat it for several) or configure one".into(),
        ));
    }
    let live = live(&run, vec![request], Resolve::Routes).await?;
    let mut increases: Vec<(Invocation, QuotaIncrease)> = Vec::new();
    for invocation in live.invocations {
        let increase = QuotaIncrease {
            tpm: asked.tpm,
            rpm: asked.rpm,
            tokens_per_day: asked.tokens_per_day,
            ..QuotaIncrease::of(&invocation)
        };
        if !increases.iter().any(|(_, seen)| *seen == increase) {
            increases.push((invocation, increase));
        }
    }
    let called: Vec<String> = unique(increases.iter().map(|(_, i)| i.model.clone()));
    let regions: Vec<String> = unique(increases.iter().map(|(_, i)| i.region.to_string()));
    let goal = format!(
        "Bedrock quotas of {} in {}: {}",
        called.join(", "),
        regions.join(", "),
        wanted(&asked)
    );
    let (plan, blockers) = plan_quota_increases(&run.aws, goal, &increases)
        .await
        .map_err(|reason| CommandError::Halted {
            reason,
            findings: Vec::new(),
            code: EXIT_ERROR,
        })?;
    let outcome = plan::apply(&plan, confirmation, run.aws.session()).await;
    for blocker in &blockers {
        say!("error: {blocker}");
    }
    let scope = Examined {
        accounts: vec![live.account.id],
        principals: Vec::new(),
        regions,
        models: called,
    };
    let code = plan_run.finish(&mut output, &run.session, scope, (plan, outcome))?;
    Ok(if code == EXIT_OK && !blockers.is_empty() {
        EXIT_FAILED
    } else {
        code
    })
}

/// `5000000 tokens per minute, 4000 requests per minute`.
fn wanted(asked: &Asked) -> String {
    let values = [
        (asked.tpm, "tokens per minute"),
        (asked.rpm, "requests per minute"),
        (asked.tokens_per_day, "tokens per day"),
    ];
    let said: Vec<String> = values
        .iter()
        .filter_map(|(value, unit)| value.map(|n| format!("{n} {unit}")))
        .collect();
    said.join(", ")
}

fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// `setup logging`'s destination from its flags, checked before any AWS call.
fn wanted_logging(
    log_group: Option<&str>,
    retention_days: i32,
    role_arn: Option<&str>,
    create_role: bool,
    bucket: Option<&str>,
) -> Result<Wanted, CommandError> {
    Ok(match (log_group, bucket) {
        (Some(group), _) => {
            valid_log_group(group)?;
            if !RETENTION_DAYS.contains(&retention_days) {
                return Err(CommandError::Usage(format!(
                    "--retention-days {retention_days} is not one CloudWatch Logs accepts ({})",
                    RETENTION_DAYS
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            if role_arn.is_none() && !create_role {
                return Err(CommandError::Usage(
                    "--log-group needs the role Bedrock writes with: --role-arn A, or --create-role".into(),
                ));
            }
            if let Some(arn) = role_arn {
                let is_role = arn
                    .parse::<Arn>()
                    .ok()
                    .is_some_and(|a| a.service() == "iam" && a.resource().starts_with("role/"));
                if !is_role {
                    return Err(CommandError::Usage(format!(
                        "--role-arn '{arn}' is not an IAM role ARN"
                    )));
                }
            }
            Wanted::LogGroup {
                name: group.to_string(),
                retention_days,
                role_arn: role_arn.map(str::to_string),
            }
        }
        (None, Some(bucket)) => {
            valid_bucket(bucket)?;
            Wanted::Bucket(bucket.to_string())
        }
        (None, None) => {
            return Err(CommandError::Usage(
                "give --log-group G or --bucket B".into(),
            ));
        }
    })
}

/// The use case form file: a JSON object, read before any AWS call.
async fn read_form(path: &std::path::Path) -> Result<serde_json::Value, CommandError> {
    let name = path.display();
    let text = crate::files::read_text(path, crate::files::INPUT_LIMIT)
        .await
        .map_err(|e| CommandError::Usage(format!("cannot read --use-case-form {name}: {e}")))?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(form) if form.as_object().is_some_and(|o| !o.is_empty()) => Ok(form),
        Ok(_) => Err(CommandError::Usage(format!(
            "--use-case-form {name} is not a JSON object with the form's fields"
        ))),
        Err(e) => Err(CommandError::Usage(format!(
            "--use-case-form {name}: not JSON: {e}"
        ))),
    }
}

async fn model_access(
    global: &GlobalArgs,
    models: &[String],
    form: Option<serde_json::Value>,
    confirmation: Confirmation,
) -> Result<u8, CommandError> {
    let mut output = Output::open_report(global)?;
    let plan_run = PlanRun::start("setup model-access");
    let requests = requested_models(models)?;
    let run = Run::resolve(global, Signing::default()).await;
    let aws = &run.aws;
    let live = live(&run, requests, Resolve::Models).await?;
    let mut targets: Vec<(Region, String)> = Vec::new();
    for target in live.models {
        if !targets.contains(&target) {
            targets.push(target);
        }
    }
    let Some(form_region) = live.regions.first().cloned() else {
        return Err(CommandError::Usage(
            "no region: give --region R or configure one".into(),
        ));
    };
    let agreements = join_all(targets.iter().map(|(region, model_id)| async move {
        let availability = aws
            .model_availability(region, model_id)
            .await
            .map_err(|e| (format!("the availability of {model_id} in {region}"), e))?;
        let offers = if matches!(availability.agreement.as_str(), "AVAILABLE" | "PENDING") {
            Vec::new()
        } else {
            aws.agreement_offers(region, model_id)
                .await
                .map_err(|e| (format!("the agreement offers of {model_id} in {region}"), e))?
        };
        Ok::<_, (String, AwsError)>(AgreementNow {
            region: region.clone(),
            model_id: model_id.clone(),
            status: availability.agreement,
            offers,
        })
    }));
    let (submitted, agreements) = tokio::join!(aws.use_case_submitted(&form_region), agreements);
    let submitted = match submitted {
        Ok(submitted) => submitted,
        Err(error) => {
            return Err(read_failed(
                "whether the use case form was submitted",
                &error,
            ));
        }
    };
    let mut now = Vec::new();
    for agreement in agreements {
        match agreement {
            Ok(agreement) => now.push(agreement),
            Err((what, error)) => return Err(read_failed(&what, &error)),
        }
    }
    let (plan, blockers) = plan_model_access(submitted, &form_region, form.as_ref(), &now);
    let outcome = plan::apply(&plan, confirmation, aws.session()).await;
    for blocker in &blockers {
        say!("error: {blocker}");
    }
    let scope = Examined {
        accounts: vec![live.account.id],
        principals: Vec::new(),
        regions: live.regions.iter().map(|r| r.to_string()).collect(),
        models: targets.iter().map(|(_, m)| m.clone()).collect(),
    };
    let code = plan_run.finish(&mut output, &run.session, scope, (plan, outcome))?;
    Ok(if code == EXIT_OK && !blockers.is_empty() {
        EXIT_FAILED
    } else {
        code
    })
}

/// The destination as the flags give it; the role's ARN is known once the account is.
enum Wanted {
    LogGroup {
        name: String,
        retention_days: i32,
        /// `None`: `--create-role`.
        role_arn: Option<String>,
    },
    Bucket(String),
}

async fn logging(
    global: &GlobalArgs,
    wanted: Wanted,
    confirmation: Confirmation,
) -> Result<u8, CommandError> {
    let mut output = Output::open_report(global)?;
    let plan_run = PlanRun::start("setup logging");
    let run = Run::resolve(global, Signing::default()).await;
    let regions = run.regions()?;
    if regions.is_empty() {
        return Err(CommandError::Usage(
            "no region: give --region R (repeat it for several) or configure one".into(),
        ));
    }
    let aws = &run.aws;
    let (account, caller_arn) = match caller_account(aws).await {
        Ok(caller) => caller,
        Err(error) => return Err(read_failed("the caller's account", &error)),
    };
    let destination = match wanted {
        Wanted::Bucket(bucket) => Destination::Bucket(bucket),
        Wanted::LogGroup {
            name,
            retention_days,
            role_arn,
        } => {
            let create_role = match role_arn {
                Some(_) => None,
                None => Some(role_documents(&account, &name, &regions)?),
            };
            Destination::LogGroup {
                role_arn: role_arn.unwrap_or_else(|| {
                    format!(
                        "arn:{}:iam::{}:role/{ROLE_NAME}",
                        account.partition, account.id
                    )
                }),
                name,
                retention_days,
                create_role,
            }
        }
    };
    let group_name = match &destination {
        Destination::LogGroup { name, .. } => Some(name.as_str()),
        Destination::Bucket(_) => None,
    };
    let creates_role = matches!(
        &destination,
        Destination::LogGroup {
            create_role: Some(_),
            ..
        }
    );
    let role_read = async {
        if creates_role {
            aws.role_with_inline_policy(ROLE_NAME, ROLE_POLICY_NAME)
                .await
        } else {
            Ok(None)
        }
    };
    let region_reads = join_all(
        regions
            .iter()
            .map(|region| region_now(aws, region, group_name)),
    );
    let (role, now) = tokio::join!(role_read, region_reads);
    let role = match role {
        Ok(role) => role,
        Err(error) => return Err(read_failed(&format!("role/{ROLE_NAME}"), &error)),
    };
    let mut regions_now = Vec::new();
    for read in now {
        match read {
            Ok(now) => regions_now.push(now),
            Err((what, error)) => return Err(read_failed(&what, &error)),
        }
    }
    let plan = match plan_logging(&destination, role.as_ref(), &regions_now) {
        Ok(plan) => plan,
        Err(refusal) => {
            return Err(CommandError::Halted {
                reason: refusal.to_string(),
                findings: Vec::new(),
                code: EXIT_FAILED,
            });
        }
    };
    let outcome = plan::apply(&plan, confirmation, aws.session()).await;
    let scope = Examined {
        accounts: vec![account.id],
        principals: vec![caller_arn],
        regions: regions.iter().map(|r| r.to_string()).collect(),
        models: Vec::new(),
    };
    plan_run.finish(&mut output, &run.session, scope, (plan, outcome))
}

/// One region's log group (for a log-group destination) and logging configuration, read
/// concurrently.
async fn region_now(
    aws: &AwsReader,
    region: &Region,
    group: Option<&str>,
) -> Result<RegionNow, (String, AwsError)> {
    let group_read = async {
        match group {
            Some(name) => aws.log_group(region, name).await,
            None => Ok(None),
        }
    };
    let (log_group, logging) = tokio::join!(group_read, aws.invocation_logging(region));
    Ok(RegionNow {
        region: region.clone(),
        log_group: log_group.map_err(|e| (format!("the log groups of {region}"), e))?,
        logging: logging.map_err(|e| (format!("the invocation logging of {region}"), e))?,
    })
}

fn read_failed(what: &str, error: &AwsError) -> CommandError {
    CommandError::Halted {
        reason: format!("cannot read {what}: {error}"),
        findings: Vec::new(),
        code: EXIT_ERROR,
    }
}

/// The `invocation-logging-role` template for this log group in these regions: its trust
/// policy and its permissions.
fn role_documents(
    account: &Account,
    log_group: &str,
    regions: &[Region],
) -> Result<(serde_json::Value, serde_json::Value), CommandError> {
    let template = template("invocation-logging-role")?;
    let usage = |e: crate::policy::RenderError| CommandError::Usage(e.to_string());
    let flags: BTreeMap<String, Filled> = template
        .flag_values(&[("log_group".into(), log_group.into())])
        .map_err(usage)?;
    let mut values = flags.clone();
    values.extend(catalog_values(&template, account, &[], regions, &flags));
    let permissions = render(&template.document(), &values).map_err(usage)?;
    let trust = template
        .trust_document()
        .map(|t| render(&t, &values))
        .transpose()
        .map_err(usage)?
        .unwrap_or_default();
    Ok((trust, permissions))
}

/// CloudWatch Logs names: 1 to 512 of letters, digits and `._-/#`.
fn valid_log_group(name: &str) -> Result<(), CommandError> {
    let ok = !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c));
    ok.then_some(()).ok_or_else(|| {
        CommandError::Usage(format!(
            "--log-group '{name}' is not a log group name (1 to 512 of letters, digits and ._-/#)"
        ))
    })
}

/// S3 bucket names: 3 to 63 of lowercase letters, digits, `.` and `-`, starting and ending
/// with a letter or digit.
fn valid_bucket(name: &str) -> Result<(), CommandError> {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edge(name.chars().next())
        && edge(name.chars().last());
    ok.then_some(())
        .ok_or_else(|| CommandError::Usage(format!("--bucket '{name}' is not an S3 bucket name")))
}

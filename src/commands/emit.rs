//! `doctor --emit`: the Claude Code settings this run proved, ready to paste. A model is in
//! the block only when IAM allows the principal to call it and no check failed or erred on
//! it; nothing else is guessed.

use serde_json::{Map, Value};

use crate::checks::{IamVerdicts, Invocations, MantleInput};
use crate::cli::Emit;
use crate::domain::models::family_of;
use crate::domain::{Family, Invocation};
use crate::engine::{CheckContext, Finding, Status};

/// The block for `emit`, or why there is none: an empty block would read as a working
/// configuration. With Claude Code on the Mantle endpoint alone, the block is Mantle's.
pub fn block(emit: Emit, cx: &CheckContext, findings: &[Finding]) -> Result<String, &'static str> {
    let proven = if cx.fact::<MantleInput>().is_some_and(|m| m.mantle_only) {
        mantle_env(findings)
    } else {
        bedrock_env(cx, findings)
    };
    let (region, env) = proven?;
    Ok(match emit {
        Emit::ClaudeCodeEnv => {
            let mut text =
                format!("# Claude Code on Bedrock: what bedrock-preflight proved in {region}\n");
            for (name, value) in env {
                text.push_str(&format!("export {name}={}\n", crate::shell::word(&value)));
            }
            text
        }
        Emit::ClaudeCodeSettings => {
            let env: Map<String, Value> = env
                .into_iter()
                .map(|(k, v)| (k.to_string(), Value::String(v)))
                .collect();
            let mut settings = Map::new();
            settings.insert("env".into(), Value::Object(env));
            serde_json::to_string_pretty(&Value::Object(settings)).unwrap_or_default() + "\n"
        }
    })
}

type Env = (String, Vec<(&'static str, String)>);

const TIERS: [(&str, Family); 3] = [
    ("ANTHROPIC_DEFAULT_SONNET_MODEL", Family::Sonnet),
    ("ANTHROPIC_DEFAULT_HAIKU_MODEL", Family::Haiku),
    ("ANTHROPIC_DEFAULT_OPUS_MODEL", Family::Opus),
];

/// Bedrock Runtime's settings: the calls IAM allows that no check failed or erred on.
fn bedrock_env(cx: &CheckContext, findings: &[Finding]) -> Result<Env, &'static str> {
    let Some(invocations) = cx.fact::<Invocations>() else {
        return Err("no model resolved");
    };
    let verdicts = cx.fact::<IamVerdicts>();
    let proven: Vec<&Invocation> = invocations
        .list
        .iter()
        .filter(|i| {
            verdicts
                .as_ref()
                .is_some_and(|v| v.allowed(&i.region, &i.model_id).is_some())
                && !findings.iter().any(|f| blocks(f, i))
        })
        .collect();
    let best = |family: Family| {
        proven
            .iter()
            .find(|i| family_of(&i.model.id) == Some(family))
            .copied()
    };
    let Some(primary) = best(Family::Sonnet).or_else(|| proven.first().copied()) else {
        return Err("no model was proven to work for this principal and region");
    };
    let region = primary.region.to_string();
    let mut env: Vec<(&str, String)> = vec![
        ("CLAUDE_CODE_USE_BEDROCK", "1".into()),
        ("AWS_REGION", region.clone()),
        ("ANTHROPIC_MODEL", primary.model_id.clone()),
    ];
    for (name, family) in TIERS {
        if let Some(invocation) = best(family).filter(|i| i.region.as_str() == region) {
            env.push((name, invocation.model_id.clone()));
        }
    }
    Ok((region, env))
}

/// The Mantle endpoint's settings: the models mantle.access found served and permitted.
fn mantle_env(findings: &[Finding]) -> Result<Env, &'static str> {
    let served: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f.status == Status::Pass && f.code() == "mantle.access/served")
        .filter_map(|f| Some((f.region.as_deref()?, f.resource.as_deref()?)))
        .collect();
    let best = |family: Family| served.iter().find(|(_, id)| family_of(id) == Some(family));
    let Some(&(region, primary)) = best(Family::Sonnet).or_else(|| served.first()) else {
        return Err(
            "no model was proven to work on the Mantle endpoint for this principal and region",
        );
    };
    let mut env: Vec<(&str, String)> = vec![
        ("CLAUDE_CODE_USE_MANTLE", "1".into()),
        ("AWS_REGION", region.to_string()),
        ("ANTHROPIC_MODEL", primary.to_string()),
    ];
    for (name, family) in TIERS {
        if let Some((_, id)) = best(family).filter(|(r, _)| *r == region) {
            env.push((name, id.to_string()));
        }
    }
    Ok((region.to_string(), env))
}

/// Whether a failed or erred finding is about this call.
fn blocks(finding: &Finding, invocation: &Invocation) -> bool {
    if !matches!(finding.status, Status::Fail | Status::Error) {
        return false;
    }
    let named = finding
        .evidence
        .get("model_id")
        .and_then(Value::as_str)
        .is_some_and(|id| id == invocation.model_id || id == invocation.model.id);
    let resource = finding.resource.as_deref().is_some_and(|r| {
        r == invocation.model_id
            || r == invocation.model.arn
            || invocation.profile.as_ref().is_some_and(|p| p.arn == r)
    });
    let region = finding
        .region
        .as_deref()
        .is_none_or(|r| r == invocation.region.as_str());
    named || (resource && region)
}

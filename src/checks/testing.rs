//! Modelled answers for the checks' unit tests: the domain values of `domain::testing`, and
//! what the checks make of them, built in one line each.

use std::sync::Arc;

use crate::aws::catalog::Operation;
use crate::aws::{AwsError, AwsErrorKind, AwsReader, Session};
use crate::domain::{
    AccountAuthorization, AdvancedSelector, BasicSelector, FoundationModel, HolderKind,
    ModelRequest, PolicyHolder, Trail, TrailSelectors,
};
use crate::engine::{CheckContext, Scope};

pub use crate::domain::testing::*;

use super::facts::ModelTarget;

pub fn target(request: &str, model: FoundationModel) -> ModelTarget {
    ModelTarget {
        request: request.parse::<ModelRequest>().unwrap(),
        region: region("us-east-1"),
        model,
        application_profile: None,
    }
}

/// A reader without credentials: a call it is asked to make fails before it leaves the
/// machine, so a verdict that needs no read is judged as the run would, and one that reads
/// sees the read fail.
pub fn offline() -> AwsReader {
    let config = aws_types::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    AwsReader::new(Session::from_config(config))
}

/// A check's context for `scope` with the `offline` reader and no facts yet.
pub fn context(scope: Scope) -> CheckContext {
    CheckContext::new(Arc::new(offline()), scope)
}

/// AWS refusing `operation` to the caller, as `aws/` classifies it.
pub fn denied(operation: &'static Operation) -> AwsError {
    AwsError::new(
        AwsErrorKind::Denied,
        operation,
        "not authorized to perform this call",
    )
    .with_code("AccessDeniedException")
}

/// An account whose one IAM user, `dev`, holds `documents` as inline policies.
pub fn account_with_inline(documents: &[serde_json::Value]) -> AccountAuthorization {
    AccountAuthorization {
        holders: vec![PolicyHolder {
            kind: HolderKind::User,
            name: "dev".into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:user/dev"),
            inline: documents
                .iter()
                .enumerate()
                .map(|(i, d)| (format!("inline-{i}"), d.to_string()))
                .collect(),
            attached: Vec::new(),
            groups: Vec::new(),
            trust: None,
        }],
        policies: Vec::new(),
    }
}

/// A trail of the account, homed in `us-east-1`: over every region, or over its home only.
pub fn trail(name: &str, multi_region: bool) -> Trail {
    Trail {
        name: name.into(),
        arn: format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}"),
        home_region: "us-east-1".into(),
        multi_region,
        organization: false,
    }
}

/// One basic selector of every management event, recording the data events of `data_types`.
pub fn basic_selector(data_types: &[&str]) -> TrailSelectors {
    TrailSelectors {
        basic: vec![BasicSelector {
            read_write: "All".into(),
            management: true,
            excluded_sources: Vec::new(),
            data_types: data_types.iter().map(|t| t.to_string()).collect(),
        }],
        advanced: Vec::new(),
    }
}

/// One advanced selector, each of its conditions as (field, operator, values).
pub fn advanced_selector(fields: &[(&str, &str, &[&str])]) -> TrailSelectors {
    TrailSelectors {
        basic: Vec::new(),
        advanced: vec![AdvancedSelector {
            name: Some("selected".into()),
            fields: fields
                .iter()
                .map(|(field, operator, values)| {
                    (
                        field.to_string(),
                        operator.to_string(),
                        values.iter().map(|v| v.to_string()).collect(),
                    )
                })
                .collect(),
        }],
    }
}

//! The values of catalog variables: what the live account says the named models are called
//! through, and who the caller is. Pure: the command layer resolves the routes (with doctor's
//! own checks) and hands them in.

use std::collections::BTreeMap;

use super::{Filled, Source, Template};
use crate::domain::{Invocation, Region, Route, arn_region};

/// Catalog variables that need the models' routes, not just the caller.
pub(super) const ROUTE_VARIABLES: &[&str] = &[
    "profile_arns",
    "destination_model_arns",
    "global_profile_arns",
    "global_model_arns",
    "on_demand_model_arns",
];

/// The caller's partition and account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub partition: String,
    pub id: String,
}

/// Every catalog variable `template` declares, filled from the account, the routes of the
/// named models and the regions, and each caller variable `flags` leave unset; `flags` are
/// the `--var` values already checked (a catalog variable may be built from one, as
/// `large_data_object_arns` from `bucket`).
pub fn catalog_values(
    template: &Template,
    account: &Account,
    invocations: &[Invocation],
    regions: &[Region],
    flags: &BTreeMap<String, Filled>,
) -> BTreeMap<String, Filled> {
    let routes = Routes::of(account, invocations);
    template
        .variables
        .iter()
        .filter(|v| match v.source {
            Source::Flag => false,
            Source::Catalog => true,
            Source::Caller => !flags.contains_key(&v.name),
        })
        .filter_map(|v| {
            let value = match v.name.as_str() {
                "profile_arns" => Filled::List(routes.profiles.clone()),
                "destination_model_arns" => Filled::List(routes.destinations.clone()),
                "global_profile_arns" => Filled::List(routes.global_profiles.clone()),
                "global_model_arns" => Filled::List(routes.global_models.clone()),
                "on_demand_model_arns" => Filled::List(routes.on_demand.clone()),
                "profile_read_arns" => Filled::List(profile_reads(account, regions)),
                "account" | "auditing_account" => Filled::Text(account.id.clone()),
                "partition" => Filled::Text(account.partition.clone()),
                "log_stream_arns" => {
                    let Some(Filled::Text(group)) = flags.get("log_group") else {
                        return None;
                    };
                    Filled::List(
                        regions
                            .iter()
                            .map(|region| {
                                format!(
                                    "arn:{}:logs:{region}:{}:log-group:{group}:log-stream:aws/bedrock/modelinvocations",
                                    account.partition, account.id
                                )
                            })
                            .collect(),
                    )
                }
                "source_arns" => Filled::List(
                    regions
                        .iter()
                        .map(|region| {
                            format!("arn:{}:bedrock:{region}:{}:*", account.partition, account.id)
                        })
                        .collect(),
                ),
                "large_data_object_arns" => Filled::List(match flags.get("bucket") {
                    Some(Filled::Text(bucket)) if !bucket.is_empty() => {
                        vec![format!("arn:{}:s3:::{bucket}/*", account.partition)]
                    }
                    _ => Vec::new(),
                }),
                // A manifest variable this version cannot fill is left out, and rendering
                // names it as missing.
                _ => return None,
            };
            Some((v.name.clone(), value))
        })
        .collect()
}

/// The ARNs the named models' calls are authorized against, grouped as the templates grant
/// them; each list in first-seen order, without repeats.
#[derive(Debug, Default)]
struct Routes {
    profiles: Vec<String>,
    destinations: Vec<String>,
    global_profiles: Vec<String>,
    global_models: Vec<String>,
    on_demand: Vec<String>,
}

impl Routes {
    fn of(account: &Account, invocations: &[Invocation]) -> Self {
        let mut routes = Routes::default();
        for invocation in invocations {
            let Some(profile) = &invocation.profile else {
                push(&mut routes.on_demand, &invocation.model.arn);
                continue;
            };
            push(&mut routes.profiles, &profile.arn);
            for arn in &profile.model_arns {
                match arn_region(arn) {
                    Some(_) => push(&mut routes.destinations, arn),
                    None => push(&mut routes.global_models, arn),
                }
            }
            if invocation.route == Route::Global {
                push(&mut routes.global_profiles, &profile.arn);
                // Bedrock authorizes a global call against the region-less model ARN even
                // when the profile does not list it.
                push(
                    &mut routes.global_models,
                    &format!(
                        "arn:{}:bedrock:::foundation-model/{}",
                        account.partition, invocation.model.id
                    ),
                );
            }
        }
        routes
    }
}

fn push(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|i| i == item) {
        list.push(item.to_string());
    }
}

/// The inference profiles of the caller's account in each region: what Claude Code lists and
/// describes to find its model's profile.
fn profile_reads(account: &Account, regions: &[Region]) -> Vec<String> {
    regions
        .iter()
        .flat_map(|region| {
            ["inference-profile", "application-inference-profile"].map(|kind| {
                format!(
                    "arn:{}:bedrock:{region}:{}:{kind}/*",
                    account.partition, account.id
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{SONNET, invocation, model, profile};
    use crate::policy::template;

    fn account() -> Account {
        Account {
            partition: "aws".into(),
            id: "123456789012".into(),
        }
    }

    #[test]
    fn a_global_profile_adds_its_region_less_arn_once() {
        let global = invocation(
            model(SONNET, "ACTIVE", &["INFERENCE_PROFILE"]),
            Some(profile(
                &format!("global.{SONNET}"),
                SONNET,
                &["us-east-1", "eu-west-1", ""],
            )),
        );
        let invoke = template("claude-invoke").unwrap();
        let values = catalog_values(
            &invoke,
            &account(),
            &[global],
            &["us-east-1".parse().unwrap()],
            &BTreeMap::new(),
        );
        let Filled::List(models) = &values["global_model_arns"] else {
            panic!("a list");
        };
        assert_eq!(
            models,
            &[format!("arn:aws:bedrock:::foundation-model/{SONNET}")]
        );
        let Filled::List(destinations) = &values["destination_model_arns"] else {
            panic!("a list");
        };
        assert_eq!(destinations.len(), 2);
        assert_eq!(
            values["global_profile_arns"], values["profile_arns"],
            "the only profile is global"
        );
    }

    #[test]
    fn the_callers_variables_come_from_the_live_account_unless_given() {
        let role = template("audit-role").unwrap();
        let live = catalog_values(&role, &account(), &[], &[], &BTreeMap::new());
        assert_eq!(
            live["auditing_account"],
            Filled::Text("123456789012".into())
        );
        assert_eq!(live["partition"], Filled::Text("aws".into()));
        let given = BTreeMap::from([(
            "auditing_account".to_string(),
            Filled::Text("111122223333".into()),
        )]);
        let values = catalog_values(&role, &account(), &[], &[], &given);
        assert!(!values.contains_key("auditing_account"), "the flag stays");
        assert_eq!(values["partition"], Filled::Text("aws".into()));
    }

    #[test]
    fn every_catalog_variable_of_the_manifest_is_filled() {
        let flags = BTreeMap::from([("log_group".to_string(), Filled::Text("g".into()))]);
        for template in crate::policy::templates() {
            let values = catalog_values(
                &template,
                &account(),
                &[],
                &["us-east-1".parse().unwrap()],
                &flags,
            );
            for variable in template
                .variables
                .iter()
                .filter(|v| v.source != Source::Flag)
            {
                assert!(
                    values.contains_key(&variable.name),
                    "{}: {} has no value",
                    template.name,
                    variable.name
                );
            }
        }
    }

    #[test]
    fn the_logging_role_names_each_region_and_the_bucket_only_when_given() {
        let role = template("invocation-logging-role").unwrap();
        let flags = |bucket: &str| {
            BTreeMap::from([
                ("log_group".to_string(), Filled::Text("g".into())),
                ("bucket".to_string(), Filled::Text(bucket.to_string())),
            ])
        };
        let regions = ["eu-west-1".parse().unwrap(), "us-east-1".parse().unwrap()];
        let values = catalog_values(&role, &account(), &[], &regions, &flags("logs"));
        assert_eq!(
            values["large_data_object_arns"],
            Filled::List(vec!["arn:aws:s3:::logs/*".into()])
        );
        assert_eq!(
            values["log_stream_arns"],
            Filled::List(vec![
                "arn:aws:logs:eu-west-1:123456789012:log-group:g:log-stream:aws/bedrock/modelinvocations".into(),
                "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:aws/bedrock/modelinvocations".into(),
            ])
        );
        assert_eq!(
            values["source_arns"],
            Filled::List(vec![
                "arn:aws:bedrock:eu-west-1:123456789012:*".into(),
                "arn:aws:bedrock:us-east-1:123456789012:*".into(),
            ])
        );
        let values = catalog_values(&role, &account(), &[], &regions, &flags(""));
        assert_eq!(values["large_data_object_arns"], Filled::List(vec![]));
    }
}

//! Modelled answers for the checks' unit tests: the domain values of `domain::testing`, and
//! what the checks make of them, built in one line each.

use crate::domain::{FoundationModel, ModelRequest};

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

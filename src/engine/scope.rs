//! What a run examines, whatever the command: the engine's input and what the report says
//! was looked at.

use crate::domain::{Arn, ModelRequest, Region, RegionSource};

#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Regions to examine, in the order given; empty when no region is configured anywhere.
    pub regions: Vec<Region>,
    pub region_source: Option<RegionSource>,
    /// Models to examine, resolved against each region's live catalog by `models.lifecycle`.
    pub models: Vec<ModelRequest>,
    /// IAM principals to examine besides the caller (audit's `--role-arn`).
    pub principals: Vec<Arn>,
}

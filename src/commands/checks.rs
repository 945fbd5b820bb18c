//! `checks list`: the check catalog.

use super::Output;
use crate::cli::GlobalArgs;
use crate::report::Document;
use crate::{CommandError, EXIT_OK, checks};

pub fn checks_list(global: &GlobalArgs) -> Result<u8, CommandError> {
    let checks = checks::all();
    let metas: Vec<_> = checks.iter().map(|c| c.meta()).collect();
    Output::open(global)?.write(&Document::Catalog(&metas))?;
    Ok(EXIT_OK)
}

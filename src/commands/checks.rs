//! `checks list` and `checks explain`: the check catalog and what each finding code means.

use super::Output;
use crate::checks::catalog::{Explained, lookup};
use crate::cli::GlobalArgs;
use crate::report::Document;
use crate::{CommandError, EXIT_OK, checks};

pub fn checks_list(global: &GlobalArgs) -> Result<u8, CommandError> {
    let checks = checks::all();
    let metas: Vec<_> = checks.iter().map(|c| c.meta()).collect();
    Output::open(global)?.write(&Document::Catalog(&metas))?;
    Ok(EXIT_OK)
}

/// A code's explanation, or a check's codes; an unknown one is a usage error naming the
/// closest known code.
pub fn checks_explain(global: &GlobalArgs, code: &str) -> Result<u8, CommandError> {
    let document = match lookup(code).map_err(CommandError::Usage)? {
        Explained::Code(meta, kind) => Document::Code(meta, kind),
        Explained::Check(meta) => Document::Codes(meta),
    };
    Output::open(global)?.write(&document)?;
    Ok(EXIT_OK)
}

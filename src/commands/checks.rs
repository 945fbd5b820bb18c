//! `checks list`: the check catalog.

use std::io::IsTerminal;

use super::{Output, unsupported_output};
use crate::UsageError;
use crate::checks;
use crate::cli::{GlobalArgs, OutputFormat};

pub fn checks_list(global: &GlobalArgs) -> Result<u8, UsageError> {
    let checks = checks::all();
    let text = match global.output {
        OutputFormat::Json => {
            let list: Vec<_> = checks
                .iter()
                .map(|c| {
                    let meta = c.meta();
                    serde_json::json!({
                        "id": meta.id,
                        "title": meta.title,
                        "description": meta.description,
                        "commands": meta.commands.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                        "depends_on": meta.depends_on,
                    })
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
            text.push('\n');
            text
        }
        OutputFormat::Table => {
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            table.set_header(vec![
                "Check",
                "Commands",
                "Depends on",
                "What it establishes",
            ]);
            if std::io::stdout().is_terminal() {
                table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            }
            for check in &checks {
                let meta = check.meta();
                let commands: Vec<_> = meta.commands.iter().map(|c| c.as_str()).collect();
                table.add_row(vec![
                    meta.id.to_string(),
                    commands.join(", "),
                    meta.depends_on.join(", "),
                    meta.description.to_string(),
                ]);
            }
            format!("{table}\n")
        }
        other => return Err(unsupported_output(other)),
    };
    let mut output = Output::open(global)?;
    output.write_text(&text)?;
    Ok(crate::EXIT_OK)
}

//! `completions` and `man`: generated from the same clap definitions the parser uses, so they
//! cannot drift from the flags.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Generator;

use crate::cli::Cli;
use crate::{CommandError, EXIT_OK};

pub fn completions(shell: clap_complete::Shell) -> Result<u8, CommandError> {
    let mut command = Cli::command();
    command.set_bin_name("bedrock-preflight");
    command.build();
    // `clap_complete::generate` panics when the writer fails (`| head`): write to memory first.
    let mut script = Vec::new();
    let _ = shell.try_generate(&command, &mut script);
    if shell == clap_complete::Shell::Bash {
        script = bash_case_labels_fixed(&script);
    }
    write_stdout(&script);
    Ok(EXIT_OK)
}

/// clap_complete's bash script spells a hyphenated program's subcommand states two ways
/// (clap-rs/clap#6421): the loop that tracks the words typed arrives at
/// `bedrock__preflight__subcmd__policy`, the case arms say `bedrock__subcmd__preflight__...`,
/// so nothing after the first word would complete. The arms are respelled as the loop spells
/// them; once clap_complete is fixed there is nothing left to replace.
fn bash_case_labels_fixed(script: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(script)
        .replace("bedrock__subcmd__preflight", "bedrock__preflight")
        .into_bytes()
}

pub fn man(dir: Option<&Path>) -> Result<u8, CommandError> {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    match dir {
        None => write_stdout(&page(&command)),
        Some(dir) => {
            let refused = |e: std::io::Error| {
                CommandError::Usage(format!("cannot write {}: {e}", dir.display()))
            };
            std::fs::create_dir_all(dir).map_err(refused)?;
            write_pages(&command, dir).map_err(refused)?;
        }
    }
    Ok(EXIT_OK)
}

/// One page per command, named as git's and cargo's are: bedrock-preflight-policy-render.1.
fn write_pages(command: &clap::Command, dir: &Path) -> std::io::Result<()> {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    let name = command
        .get_display_name()
        .unwrap_or_else(|| command.get_name());
    std::fs::write(dir.join(format!("{name}.1")), page(command))
}

/// A command's page as clap_mangen lays it out, except the text after the options:
/// clap_mangen fills it into paragraphs, which runs example lines together, so it is set
/// here without filling (`.nf`), line for line as `--help` prints it.
fn page(command: &clap::Command) -> Vec<u8> {
    let man = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    let _ = man.render_title(&mut page);
    let _ = man.render_name_section(&mut page);
    let _ = man.render_synopsis_section(&mut page);
    let _ = man.render_description_section(&mut page);
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        let _ = man.render_options_section(&mut page);
    }
    if command.get_subcommands().any(|s| !s.is_hide_set()) {
        let _ = man.render_subcommands_section(&mut page);
    }
    if let Some(text) = command.get_after_help() {
        let mut roff = roff::Roff::new();
        roff.control("SH", ["EXTRA"]).control("nf", []);
        for line in text.to_string().lines() {
            roff.text([roff::roman(line)]);
        }
        roff.control("fi", []);
        let _ = roff.to_writer(&mut page);
    }
    if command.get_version().is_some() {
        let _ = man.render_version_section(&mut page);
    }
    page
}

fn write_stdout(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is the reader's choice, not an error worth a message.
    let _ = stdout.write_all(bytes).and_then(|_| stdout.flush());
}

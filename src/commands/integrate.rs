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
    let command = Cli::command();
    match dir {
        None => {
            let mut page = Vec::new();
            let _ = clap_mangen::Man::new(command).render(&mut page);
            write_stdout(&page);
        }
        Some(dir) => {
            let refused = |e: std::io::Error| {
                CommandError::Usage(format!("cannot write {}: {e}", dir.display()))
            };
            std::fs::create_dir_all(dir).map_err(refused)?;
            // One page per command, named as git's and cargo's are: bedrock-preflight-policy-render.1.
            clap_mangen::generate_to(command, dir).map_err(refused)?;
        }
    }
    Ok(EXIT_OK)
}

fn write_stdout(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is the reader's choice, not an error worth a message.
    let _ = stdout.write_all(bytes).and_then(|_| stdout.flush());
}

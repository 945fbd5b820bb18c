//! `completions` and `man`: generated for every shell, covering every subcommand, and working
//! where a shell is here to run them.

use assert_cmd::Command;
use bedrock_preflight::cli::Cli;
use clap::CommandFactory;

use crate::Run;

const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "powershell", "elvish"];

/// Every subcommand, as the words that reach it: ["policy", "render"], ...
fn command_paths() -> Vec<Vec<String>> {
    fn walk(command: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        for sub in command.get_subcommands() {
            let mut path = path.to_vec();
            path.push(sub.get_name().to_string());
            out.push(path.clone());
            walk(sub, &path, out);
        }
    }
    let mut paths = Vec::new();
    walk(&Cli::command(), &[], &mut paths);
    paths
}

/// The long flags a subcommand takes itself (the global ones are everywhere).
fn own_long_flags(path: &[String]) -> Vec<String> {
    let root = Cli::command();
    let mut command = &root;
    for name in path {
        command = command.find_subcommand(name).unwrap();
    }
    command
        .get_arguments()
        .filter(|a| !a.is_global_set())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .filter(|l| l != "--help")
        .collect()
}

fn binary() -> Command {
    Command::cargo_bin("bedrock-preflight").unwrap()
}

#[test]
fn every_shell_gets_a_script_naming_every_subcommand() {
    let paths = command_paths();
    assert!(paths.len() >= 17, "{paths:?}");
    for shell in SHELLS {
        let run = Run::of(binary().args(["completions", shell]));
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stderr.is_empty(), "{shell}: {}", run.stderr);
        for path in &paths {
            let name = path.last().unwrap();
            assert!(run.stdout.contains(name.as_str()), "{shell} lacks {path:?}");
            for flag in own_long_flags(path) {
                // fish spells a long flag `-l name`.
                let fish = format!("-l {}", &flag[2..]);
                assert!(
                    run.stdout.contains(&flag) || (shell == "fish" && run.stdout.contains(&fish)),
                    "{shell} lacks {path:?} {flag}"
                );
            }
        }
    }
    let unknown = Run::of(binary().args(["completions", "tcsh"]));
    assert_eq!(unknown.code, 2);
    assert_eq!(
        unknown.stderr.trim_end().lines().count(),
        1,
        "{}",
        unknown.stderr
    );
}

/// What bash offers for `bedrock-preflight WORDS... CURRENT<TAB>`.
fn bash_completes(script: &std::path::Path, words: &[&str], current: &str) -> Vec<String> {
    let mut line: Vec<String> = std::iter::once("bedrock-preflight")
        .chain(words.iter().copied())
        .map(|w| format!("'{w}'"))
        .collect();
    line.push(format!("'{current}'"));
    let previous = words.last().copied().unwrap_or("bedrock-preflight");
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; _bedrock__preflight bedrock-preflight '{current}' '{previous}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        line.join(" "),
        words.len() + 1,
    );
    let output = std::process::Command::new("bash")
        .args(["--norc", "-c", &program])
        .output()
        .expect("bash");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_every_subcommand_and_its_flags() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bedrock-preflight.bash");
    let run = Run::of(binary().args(["completions", "bash"]));
    std::fs::write(&script, &run.stdout).unwrap();

    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(syntax.status.success(), "{syntax:?}");

    for path in command_paths() {
        let (name, parents) = path.split_last().unwrap();
        let parents: Vec<&str> = parents.iter().map(String::as_str).collect();
        if name == "help" || parents.contains(&"help") {
            continue;
        }
        let offered = bash_completes(&script, &parents, &name[..1]);
        assert!(offered.contains(name), "{path:?}: {offered:?}");
        // Past the subcommand: its own flags (broken for hyphenated programs in
        // clap_complete's bash script, clap-rs/clap#6421).
        let words: Vec<&str> = path.iter().map(String::as_str).collect();
        let offered = bash_completes(&script, &words, "--");
        for flag in own_long_flags(&path) {
            assert!(offered.contains(&flag), "{path:?} {flag}: {offered:?}");
        }
    }
    assert_eq!(
        bash_completes(&script, &["doctor", "--output"], ""),
        [
            "table", "json", "junit", "sarif", "markdown", "asff", "ocsf"
        ]
    );
}

#[test]
fn the_man_page_names_every_command_and_each_has_its_own_page() {
    let run = Run::of(binary().arg("man"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(".TH bedrock-preflight 1"),
        "{}",
        run.stdout
    );
    let top: Vec<Vec<String>> = command_paths()
        .into_iter()
        .filter(|p| p.len() == 1)
        .collect();
    assert!(top.len() >= 8, "{top:?}");
    for path in &top {
        let reference = format!("bedrock\\-preflight\\-{}(1)", path[0]);
        assert!(run.stdout.contains(&reference), "{reference}");
    }

    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let run = Run::of(binary().args(["man", "--dir"]).arg(&pages));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    for path in command_paths() {
        if path.contains(&"help".to_string()) {
            continue;
        }
        let page = pages.join(format!("bedrock-preflight-{}.1", path.join("-")));
        let text = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{page:?}: {e}"));
        assert!(text.contains(".SH NAME"), "{page:?}");
        for flag in own_long_flags(&path) {
            assert!(
                text.contains(&flag.replace('-', "\\-")),
                "{page:?} lacks {flag}"
            );
        }
    }
    assert!(pages.join("bedrock-preflight.1").is_file());

    // Where groff is here, every page is roff it reads without a warning.
    if let Ok(groff) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .args(
            std::fs::read_dir(&pages)
                .unwrap()
                .map(|e| e.unwrap().path()),
        )
        .output()
    {
        assert!(groff.status.success(), "{groff:?}");
        assert!(
            groff.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&groff.stderr)
        );
    }

    let refused = Run::of(binary().args(["man", "--dir", "/proc/version/man1"]));
    assert_eq!(refused.code, 2);
    assert_eq!(
        refused.stderr.trim_end().lines().count(),
        1,
        "{}",
        refused.stderr
    );
}

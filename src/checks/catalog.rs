//! The catalog of finding codes: every `<check>/<kind>` a finding can carry, with its
//! explanation (the kind's doc comment in `check!`; the engine's four kinds are explained in
//! the engine), as `checks explain` looks them up. Its tests hold every code to an explanation
//! and every declared kind to a test that emits it.

use crate::engine::{CheckMeta, KindMeta};

/// What `checks explain` was asked about.
#[derive(Debug)]
pub enum Explained {
    /// One code: its check and its kind.
    Code(&'static CheckMeta, &'static KindMeta),
    /// A check's ID alone: each of its codes.
    Check(&'static CheckMeta),
}

/// Every code in the catalog, in report order: each check's own kinds, then the engine's.
pub fn codes() -> Vec<(&'static CheckMeta, &'static KindMeta)> {
    super::all()
        .iter()
        .flat_map(|check| {
            let meta = check.meta();
            meta.all_kinds().into_iter().map(move |kind| (meta, kind))
        })
        .collect()
}

/// The code (`logging.invocation/off`) or check ID (`logging.invocation`) `typed` names; when
/// it names neither, the one line to say so, with the closest code or ID when one is close.
pub fn lookup(typed: &str) -> Result<Explained, String> {
    let typed = typed.trim();
    let checks: Vec<&'static CheckMeta> = super::all().iter().map(|c| c.meta()).collect();
    if let Some(meta) = checks.iter().find(|meta| meta.id == typed) {
        return Ok(Explained::Check(meta));
    }
    let (id, kind) = typed.rsplit_once('/').unwrap_or((typed, ""));
    let check = checks.iter().find(|meta| meta.id == id);
    if let Some(meta) = check
        && let Some(kind) = meta.kind(kind)
    {
        return Ok(Explained::Code(meta, kind));
    }
    let known: Vec<String> = checks
        .iter()
        .map(|meta| meta.id.to_string())
        .chain(codes().iter().map(|(meta, kind)| meta.code(kind)))
        .collect();
    let closest = crate::domain::closest(known.iter().map(String::as_str), typed);
    Err(match (closest, check) {
        (Some(close), _) => format!("'{typed}' is not a finding code: did you mean {close}?"),
        (None, Some(meta)) => format!(
            "'{typed}' is not a code of {0}: `bedrock-preflight checks explain {0}` lists its codes",
            meta.id
        ),
        (None, None) => format!(
            "'{typed}' is not a finding code (CHECK/KIND) or a check's ID: `bedrock-preflight \
             checks list` names the checks"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    #[test]
    fn every_code_in_the_catalog_with_the_first_sentence_of_its_explanation() {
        let listing: String = codes()
            .iter()
            .map(|(meta, kind)| format!("{}: {}\n", meta.code(kind), kind.summary()))
            .collect();
        insta::assert_snapshot!(listing);
    }

    /// Fewer words than this cannot say what a finding means, why it matters and how to fix it.
    const LEAST_WORDS: usize = 20;

    #[test]
    fn every_code_has_an_explanation_of_at_least_twenty_words() {
        let short: Vec<String> = codes()
            .iter()
            .filter(|(_, kind)| kind.explanation().split_whitespace().count() < LEAST_WORDS)
            .map(|(meta, kind)| meta.code(kind))
            .collect();
        assert!(
            short.is_empty(),
            "these codes need an explanation of at least {LEAST_WORDS} words (a doc comment on \
             the kind in check!): {short:#?}"
        );
    }

    #[test]
    fn a_code_a_check_id_and_a_typo_are_told_apart() {
        let Ok(Explained::Code(meta, kind)) = lookup("logging.invocation/off") else {
            panic!("a code");
        };
        assert_eq!((meta.id, kind.name), ("logging.invocation", "off"));
        let Ok(Explained::Code(_, engine)) = lookup(" iam.invoke/read-failed ") else {
            panic!("an engine kind is a code of every check");
        };
        assert_eq!(engine.name, "read-failed");
        assert!(matches!(
            lookup("iam.api-keys"),
            Ok(Explained::Check(meta)) if meta.id == "iam.api-keys"
        ));
        assert_eq!(
            lookup("logging.invocation/of").unwrap_err(),
            "'logging.invocation/of' is not a finding code: did you mean logging.invocation/off?"
        );
        assert_eq!(
            lookup("loging.invocation").unwrap_err(),
            "'loging.invocation' is not a finding code: did you mean logging.invocation?"
        );
        let nothing_close = lookup("zzz").unwrap_err();
        assert!(
            nothing_close.contains("checks list") && !nothing_close.contains("did you mean"),
            "{nothing_close}"
        );
    }

    /// Every kind a check declares is emitted by some test, by this static rule: its code
    /// counts as tested when the full code (`logging.invocation/off`, not followed by another
    /// kebab-case character) appears in a test source, or when its constant
    /// (`kind::OFF`, not followed by another identifier character) appears in the test module
    /// of the check file that declares it. Test sources are every file under `tests/` and,
    /// under `src/`, every `#[cfg(test)]` module: an inline one from the attribute to the `}`
    /// rustfmt puts at its `mod` line's indentation, and the whole file of one declared
    /// `#[cfg(test)] mod name;`. The engine's four kinds are left to the engine's tests.
    #[test]
    fn every_declared_kind_is_emitted_by_a_test() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut tests: Vec<String> = files(&root.join("tests"))
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .collect();
        let mut test_modules: BTreeMap<PathBuf, String> = BTreeMap::new();
        for path in files(&root.join("src")) {
            if path.extension().is_some_and(|e| e == "rs") {
                let (inline, declared) = test_modules_of(&path);
                test_modules.insert(path, inline.join("\n"));
                tests.extend(declared);
            }
        }
        tests.extend(test_modules.values().cloned());
        let mut untested = Vec::new();
        for check in super::super::all() {
            let meta = check.meta();
            let (file, constants) = declaration(meta.id, &test_modules);
            for kind in meta.kinds {
                let code = meta.code(kind);
                let by_code = tests.iter().any(|text| mentions(text, &code, is_kebab));
                let by_constant = constants.get(kind.name).is_some_and(|constant| {
                    mentions(
                        &test_modules[&file],
                        &format!("kind::{constant}"),
                        is_identifier,
                    )
                });
                if !(by_code || by_constant) {
                    untested.push(code);
                }
            }
        }
        assert!(
            untested.is_empty(),
            "no test emits these codes (write one that does: see this test's doc comment for \
             what counts): {untested:#?}"
        );
    }

    fn is_kebab(c: char) -> bool {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    }

    fn is_identifier(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_'
    }

    /// Whether `text` holds `word` not followed by a character `continues` accepts.
    fn mentions(text: &str, word: &str, continues: fn(char) -> bool) -> bool {
        text.match_indices(word)
            .any(|(at, _)| !text[at + word.len()..].starts_with(continues))
    }

    /// Every file under `dir`, however deep.
    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().map(Result::unwrap) {
                let path = entry.path();
                if entry.file_type().unwrap().is_dir() {
                    pending.push(path);
                } else {
                    found.push(path);
                }
            }
        }
        found.sort();
        found
    }

    /// A source file's inline `#[cfg(test)]` modules, and the text of the files of those it
    /// declares (`#[cfg(test)] mod testing;`).
    fn test_modules_of(path: &Path) -> (Vec<String>, Vec<String>) {
        let text = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let (mut inline, mut declared) = (Vec::new(), Vec::new());
        for (at, line) in lines.iter().enumerate() {
            if line.trim() != "#[cfg(test)]" {
                continue;
            }
            let Some((start, item)) = lines[at + 1..]
                .iter()
                .enumerate()
                .find(|(_, l)| !l.trim_start().starts_with("#["))
            else {
                continue;
            };
            let item_words: Vec<&str> = item.split_whitespace().collect();
            let Some(name_at) = item_words.iter().position(|w| *w == "mod") else {
                continue;
            };
            let Some(name) = item_words.get(name_at + 1) else {
                continue;
            };
            if let Some(name) = name.strip_suffix(';') {
                let parent = match path.file_stem().and_then(|s| s.to_str()) {
                    Some("mod" | "lib" | "main") => path.parent().unwrap().to_path_buf(),
                    _ => path.with_extension(""),
                };
                let file = [
                    parent.join(format!("{name}.rs")),
                    parent.join(name).join("mod.rs"),
                ]
                .into_iter()
                .find(|p| p.exists())
                .unwrap_or_else(|| panic!("{}: mod {name} has no file", path.display()));
                declared.push(std::fs::read_to_string(file).unwrap());
                continue;
            }
            let opening = at + 1 + start;
            let indent = &item[..item.len() - item.trim_start().len()];
            let closing = format!("{indent}}}");
            let end = lines[opening..]
                .iter()
                .position(|l| *l == closing)
                .map_or(lines.len(), |n| opening + n + 1);
            inline.push(lines[at..end].join("\n"));
        }
        (inline, declared)
    }

    /// The file under `src/checks/` whose `check!` declares `id`, and its kinds' constants by
    /// kind (`"off"` → `OFF`).
    fn declaration(
        id: &str,
        sources: &BTreeMap<PathBuf, String>,
    ) -> (PathBuf, BTreeMap<String, String>) {
        let checks = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checks");
        for path in sources
            .keys()
            .filter(|p| p.parent() == Some(checks.as_path()))
        {
            let text = std::fs::read_to_string(path).unwrap();
            let Some(start) = text.find("check! {") else {
                continue;
            };
            let block = &text[start..];
            let block = &block[..block.find("\n}").unwrap_or(block.len())];
            if !block.contains(&format!("= \"{id}\" {{")) {
                continue;
            }
            let constants = block
                .lines()
                .filter_map(|line| {
                    let (constant, kind) = line.trim().trim_end_matches(',').split_once(" = ")?;
                    let kind = kind.strip_prefix('"')?.strip_suffix('"')?;
                    constant
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                        .then(|| (kind.to_string(), constant.to_string()))
                })
                .collect();
            return (path.clone(), constants);
        }
        panic!("no check! in src/checks declares {id}");
    }
}

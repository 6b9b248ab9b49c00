//! Tidy checks: what ARCHITECTURE.md says about the tree stays true, `unsafe` stays where it
//! says and says why it is sound, files stay a readable size, and comments cite only what a
//! reader of this repository can look up.

use repo_tidy::{own_sources, read, tracked_files};
use std::collections::BTreeSet;

/// Extensions of the file names ARCHITECTURE.md mentions in backticks.
const NAMED_FILE_EXTENSIONS: [&str; 11] = [
    ".rs", ".ts", ".tsx", ".md", ".toml", ".sh", ".json", ".proto", ".html", ".css", ".txt",
];

// The patterns are spelled in two pieces so that this file does not match them itself.
const ALLOW_UNSAFE: &str = concat!("allow(", "unsafe_code)");
const UNSAFE_BLOCK: &str = concat!("unsafe", " {");
const UNSAFE_IMPL: &str = concat!("unsafe", " impl");

/// Longest source file, in lines.
const MAX_LINES: usize = 600;

/// Files that were longer when the limit came in, and their length then. Each may only shrink;
/// once it fits it must leave this list (the check says so), and no other file may join it.
const OVERSIZED: [(&str, usize); 0] = [];

/// Text between pairs of backticks.
fn backticked(text: &str) -> impl Iterator<Item = &str> {
    text.split('`').skip(1).step_by(2)
}

fn is_path_like(token: &str) -> bool {
    !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
}

/// Whether `file` (a tracked path) is what `name` names: the path or its last components, or,
/// for a `name` ending in `/`, a directory it lies in.
fn named_by(file: &str, name: &str) -> bool {
    if name.ends_with('/') {
        file.starts_with(name) || file.contains(&format!("/{name}"))
    } else {
        file == name || file.ends_with(&format!("/{name}"))
    }
}

#[test]
fn architecture_names_only_files_and_directories_that_exist() {
    let files = tracked_files();
    assert!(
        files.len() > 100,
        "git ls-files found the tree ({} files)",
        files.len()
    );
    let text = read("ARCHITECTURE.md");
    let missing: BTreeSet<&str> = backticked(&text)
        .filter(|t| is_path_like(t))
        .filter(|t| {
            let names_a_path =
                t.ends_with('/') || NAMED_FILE_EXTENSIONS.iter().any(|e| t.ends_with(e));
            names_a_path && !files.iter().any(|f| named_by(f, t))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names what the tree does not have: {missing:?}"
    );
}

/// The files ARCHITECTURE.md allows `unsafe` in: the backticked names on its line that starts
/// with "Unsafe code".
fn unsafe_allowed_by_architecture() -> Vec<String> {
    let text = read("ARCHITECTURE.md");
    let paragraph = text
        .split("\n\n")
        .find(|p| p.trim_start().starts_with("Unsafe code"))
        .unwrap_or_default();
    backticked(paragraph)
        .filter(|t| t.ends_with(".rs") || t.ends_with('/'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn unsafe_code_is_allowed_only_in_the_modules_architecture_lists() {
    let files = tracked_files();
    let allowed = unsafe_allowed_by_architecture();
    assert!(
        !allowed.is_empty(),
        "ARCHITECTURE.md has a paragraph starting \"Unsafe code\" naming the modules"
    );
    let allowing: Vec<&String> = own_sources(&files)
        .into_iter()
        .filter(|f| f.ends_with(".rs") && read(f).contains(ALLOW_UNSAFE))
        .collect();
    let unlisted: Vec<&&String> = allowing
        .iter()
        .filter(|f| !allowed.iter().any(|a| named_by(f, a)))
        .collect();
    assert!(
        unlisted.is_empty(),
        "these allow unsafe code but ARCHITECTURE.md does not list them: {unlisted:?}"
    );
    let stale: Vec<&String> = allowed
        .iter()
        .filter(|a| !allowing.iter().any(|f| named_by(f, a)))
        .collect();
    assert!(
        stale.is_empty(),
        "ARCHITECTURE.md lists these for unsafe code, but none of them allows it: {stale:?}"
    );
}

/// How far above an `unsafe` block its SAFETY comment may start (a comment of several lines,
/// or a statement that opens the block on its second line).
const SAFETY_REACH: usize = 8;

#[test]
fn every_unsafe_block_says_why_it_is_sound() {
    let files = tracked_files();
    let mut unexplained = Vec::new();
    for file in own_sources(&files)
        .into_iter()
        .filter(|f| f.ends_with(".rs"))
    {
        let text = read(file);
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if !(code.contains(UNSAFE_BLOCK) || code.trim_start().starts_with(UNSAFE_IMPL)) {
                continue;
            }
            let explained = lines[i.saturating_sub(SAFETY_REACH)..=i]
                .iter()
                .any(|l| l.contains("SAFETY"));
            if !explained {
                unexplained.push(format!("{file}:{}", i + 1));
            }
        }
    }
    assert!(
        unexplained.is_empty(),
        "unsafe without a SAFETY comment just above it: {unexplained:?}"
    );
}

#[test]
fn source_files_stay_a_readable_size() {
    let files = tracked_files();
    let mut too_long = Vec::new();
    for file in own_sources(&files) {
        let lines = read(file).lines().count();
        match OVERSIZED.iter().find(|(name, _)| name == file) {
            Some((_, was)) if lines > *was => {
                too_long.push(format!("{file}: {lines} lines, more than the {was} it had"))
            }
            Some((_, _)) if lines <= MAX_LINES => too_long.push(format!(
                "{file}: {lines} lines now fits; take it off OVERSIZED"
            )),
            Some(_) => {}
            None if lines > MAX_LINES => {
                too_long.push(format!("{file}: {lines} lines (at most {MAX_LINES})"))
            }
            None => {}
        }
    }
    for (name, _) in OVERSIZED {
        if !files.iter().any(|f| f == name) {
            too_long.push(format!("{name} is gone; take it off OVERSIZED"));
        }
    }
    assert!(too_long.is_empty(), "{too_long:#?}");
}

#[test]
fn a_response_field_left_out_when_empty_is_documented_as_optional() {
    // server-kit's served_document makes a response's nullable fields required (serde writes
    // null); a field serde leaves out instead must say so, or generated types would promise it.
    let skip = concat!("skip_serializing_if = ", "\"Option::is_none\"");
    let mut undeclared = Vec::new();
    for file in tracked_files()
        .iter()
        .filter(|f| f.contains("/crates/server/src/") && f.ends_with(".rs"))
    {
        let text = read(file);
        let lines: Vec<&str> = text.lines().collect();
        for (at, line) in lines.iter().enumerate() {
            let declared = lines
                .iter()
                .skip(at + 1)
                .take(2)
                .any(|l| l.contains("nullable = false"));
            if line.contains(skip) && !declared {
                undeclared.push(format!("{file}:{}", at + 1));
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "add #[schema(nullable = false)] under these: {undeclared:?}"
    );
}

/// The feature IDs ARCHITECTURE.md defines: its lines of the form "- `GC-14` — ...".
fn defined_feature_ids() -> BTreeSet<String> {
    read("ARCHITECTURE.md")
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .filter(|id| feature_id(id))
        .map(str::to_owned)
        .collect()
}

/// `GC-n`, `NRC-n` or `RMM-n`.
fn feature_id(word: &str) -> bool {
    ["GC-", "NRC-", "RMM-"].iter().any(|prefix| {
        word.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    })
}

/// The words of `text` split at anything but letters, digits and dashes.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
}

#[test]
fn feature_ids_cited_anywhere_are_defined_in_architecture() {
    let files = tracked_files();
    let defined = defined_feature_ids();
    let mut undefined = BTreeSet::new();
    for file in files.iter().filter(|f| *f != "ARCHITECTURE.md") {
        for id in words(&read(file)).filter(|w| feature_id(w)) {
            if !defined.contains(id) {
                undefined.insert(format!("{id} ({file})"));
            }
        }
    }
    assert!(
        undefined.is_empty(),
        "cited but not defined under ARCHITECTURE.md's feature IDs: {undefined:?}"
    );
}

/// Comment openers of the languages checked.
fn comment_of(line: &str) -> Option<&str> {
    ["//", "/*", "* ", "# "]
        .iter()
        .filter_map(|opener| line.find(opener).map(|at| &line[at..]))
        .min_by_key(|rest| std::cmp::Reverse(rest.len()))
}

/// Whether lower-case `text` cites an issue by its number (examples in the test below).
fn cites_an_issue(text: &str) -> bool {
    text.match_indices("issue").any(|(at, _)| {
        let word_starts = !text[..at].ends_with(|c: char| c.is_alphabetic());
        let rest = &text[at + "issue".len()..];
        let rest = rest.strip_prefix('s').unwrap_or(rest);
        let number = rest
            .strip_prefix([' ', '#'])
            .map(|r| r.trim_start_matches('#'));
        word_starts && number.is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    })
}

#[test]
fn an_issue_number_is_told_from_other_words() {
    for cited in [
        "see issue 5",
        "(issues #12)",
        "issue #3",
        "issue 16: pacing",
    ] {
        assert!(cites_an_issue(cited), "{cited}");
    }
    for not in [
        "issued 3 keys",
        "tissue 5",
        "an issue with 2 keys",
        "issues: none",
    ] {
        assert!(!cites_an_issue(not), "{not}");
    }
}

#[test]
fn comments_cite_only_what_a_reader_of_the_repository_can_find() {
    let files = tracked_files();
    let checked = own_sources(&files)
        .into_iter()
        .chain(files.iter().filter(|f| f.ends_with("Cargo.toml")));
    let mut foreign = Vec::new();
    for file in checked {
        for (i, line) in read(file).lines().enumerate() {
            let Some(comment) = comment_of(line) else {
                continue;
            };
            let lower = comment.to_lowercase();
            let numbered_issue = cites_an_issue(&lower);
            let outside_documents = [
                "security.md",
                "performance.md",
                "product.md",
                "engineering.md",
            ];
            let cites_outside = outside_documents.iter().any(|d| lower.contains(d));
            if numbered_issue || cites_outside || lower.contains("known issue") {
                foreign.push(format!("{file}:{}: {}", i + 1, comment.trim()));
            }
        }
    }
    assert!(
        foreign.is_empty(),
        "comments citing issue trackers or documents outside the repository: {foreign:#?}"
    );
}

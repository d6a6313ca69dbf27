//! The application crate's layers point down only. This reads every source file of
//! `crates/lindung/src`, finds the top-level modules each one names (`crate::x`, `use
//! crate::{x, y}`, and `super::` paths that climb to the crate root), and fails on an edge that
//! points up, on `banks` naming another domain, and on any circle among the top-level modules.
//!
//! The layers, bottom to top (a module may name those below it, and itself):
//!
//! 0. `helpers`: hex, digests, timestamps, the vocabulary macro; names nothing.
//! 1. `store` and `mail`.
//! 2. `access`: users, roles, sessions, tokens, the audit log (the caller extractor needs it).
//! 3. `http`: errors, the caller, extractors, routes, page chrome, i18n, uploads, limits.
//! 4. the domains: `accounts`, `banks`, `care`, `selfreport`, `hotline`, `policy`. A domain may name
//!    another only as `DOMAIN_ORDER` allows (`banks` names none), so they form no circle.
//! 5. `app`, the composition; 6. `cli`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const LAYERS: &[(&str, u8)] = &[
    ("helpers", 0),
    ("store", 1),
    ("mail", 1),
    ("access", 2),
    ("http", 3),
    ("accounts", 4),
    ("banks", 4),
    ("care", 4),
    ("selfreport", 4),
    ("hotline", 4),
    ("policy", 4),
    ("app", 5),
    ("cli", 6),
    ("fuzzing", 6),
];

/// Which domains each domain may name: detection knows nothing of who listens to it, care
/// builds on banks, and the hotline and self-report build on both.
const DOMAIN_ORDER: &[(&str, &[&str])] = &[
    ("accounts", &[]),
    ("banks", &[]),
    ("care", &["banks"]),
    ("selfreport", &["banks", "care"]),
    ("hotline", &["banks", "care"]),
    // Policy turns every other domain's records into aggregates; none of them names it.
    ("policy", &["banks", "care", "selfreport", "hotline"]),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The source without comments, string literals and char literals, so that a path in a doc
/// comment or a message is not mistaken for a use.
fn code_only(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &source[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |end| end + 2);
        } else if let Some(raw) = raw_string_len(rest) {
            i += raw;
            out.push_str("\"\"");
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() {
                match rest.as_bytes()[j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            i += j + 1;
            out.push_str("\"\"");
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The length of a raw string literal (`r"…"`, `r#"…"#`) at the start of `text`.
fn raw_string_len(text: &str) -> Option<usize> {
    let after_r = text.strip_prefix('r')?;
    let hashes = after_r.len() - after_r.trim_start_matches('#').len();
    let body = after_r[hashes..].strip_prefix('"')?;
    let close = format!("\"{}", "#".repeat(hashes));
    Some(1 + hashes + 1 + body.find(&close)? + close.len())
}

fn identifier_at(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The top-level modules named in `source`, a file of module `module_path` (`["hotline",
/// "intake"]`; `[]` for the crate root).
fn named_modules(module_path: &[&str], source: &str) -> BTreeSet<String> {
    let code = code_only(source);
    let mut named = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let preceded = code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        if preceded {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            named.extend(group_heads(group));
        } else {
            named.insert(identifier_at(rest).to_owned());
        }
    }
    // `super::` climbs one module per occurrence, from the file's module or from an inline
    // module (`mod tests { use super::*; }`) inside it.
    let inline = inline_modules(&code);
    for (at, _) in code.match_indices("super::") {
        let preceded = code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        if preceded {
            continue;
        }
        let mut depth = 1;
        let mut rest = &code[at + "super::".len()..];
        while let Some(more) = rest.strip_prefix("super::") {
            depth += 1;
            rest = more;
        }
        let here = module_path.len() + inline.iter().filter(|r| r.contains(&at)).count();
        if depth == here {
            // At the crate root: the next segment is a top-level module.
            if let Some(group) = rest.strip_prefix('{') {
                named.extend(group_heads(group));
            } else {
                named.insert(identifier_at(rest).to_owned());
            }
        } else if depth > here {
            named.insert("<above the crate root>".to_owned());
        }
    }
    named.retain(|m| !m.is_empty() && m != "self");
    named
}

/// The spans of the inline modules (`mod name { … }`) of a file.
fn inline_modules(code: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    for (at, _) in code.match_indices("mod ") {
        let starts_word = code[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        let rest = &code[at + 4..];
        let name = identifier_at(rest.trim_start());
        let after = rest.trim_start()[name.len()..].trim_start();
        if !starts_word || name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = code.len() - after.len();
        let mut depth = 0;
        for (i, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        spans.push(open..open + i);
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    spans
}

/// The first segment of each path in a `{a, b::c, d::{e}}` group.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expecting = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expecting = true,
            c if expecting && depth == 0 && (c.is_ascii_alphabetic() || c == '_') => {
                heads.push(identifier_at(&group[i..]).to_owned());
                expecting = false;
            }
            _ => {}
        }
    }
    heads
}

/// What is wrong with one edge from top-level module `from` to `to`, if anything.
fn edge_problem(from: &str, to: &str) -> Option<String> {
    if from == to {
        return None;
    }
    let (Some(a), Some(b)) = (layer(from), layer(to)) else {
        return Some(format!(
            "{from} -> {to}: a module not in the layer table (add it to LAYERS)"
        ));
    };
    if b > a {
        return Some(format!("{from} (layer {a}) -> {to} (layer {b}) points up"));
    }
    if a == b {
        let allowed = DOMAIN_ORDER
            .iter()
            .find(|(d, _)| *d == from)
            .is_some_and(|(_, may)| may.contains(&to));
        if !allowed {
            return Some(format!(
                "{from} -> {to}: this domain may not name that one (DOMAIN_ORDER)"
            ));
        }
    }
    None
}

/// The module path of a source file under `src`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs").to_owned();
        if stem != "mod" && stem != "lib" {
            parts.push(stem);
        }
    }
    parts
}

/// Edges between top-level modules, with the files that make them.
fn crate_edges() -> BTreeMap<(String, String), Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    crate::support::files::rust_sources(&src, &mut files);
    assert!(
        files.len() > 40,
        "found the crate's sources: {}",
        files.len()
    );
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src");
        if relative == Path::new("main.rs") || relative == Path::new("lib.rs") {
            continue;
        }
        let path = module_path(relative);
        let parts: Vec<&str> = path.iter().map(String::as_str).collect();
        let source = std::fs::read_to_string(&file).expect("read source");
        for to in named_modules(&parts, &source) {
            edges
                .entry((parts[0].to_owned(), to))
                .or_default()
                .push(relative.display().to_string());
        }
    }
    edges
}

/// A circle in `edges`, if there is one.
fn find_circle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeSet<(String, String)>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut circle = path[start..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for (_, to) in edges.iter().filter(|(from, to)| from == node && to != node) {
            if let Some(circle) = visit(to, edges, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for (from, _) in edges {
        if let Some(circle) = visit(from, edges, &mut Vec::new(), &mut done) {
            return Some(circle);
        }
    }
    None
}

#[test]
fn every_edge_between_the_crates_modules_points_down() {
    let edges = crate_edges();
    let problems: Vec<String> = edges
        .iter()
        .filter_map(|((from, to), files)| {
            edge_problem(from, to).map(|p| format!("{p}, in {}", files.join(", ")))
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let graph: BTreeSet<(String, String)> = edges.keys().cloned().collect();
    assert_eq!(
        find_circle(&graph),
        None,
        "a circle among the top-level modules"
    );
    let banks_names: Vec<&String> = graph
        .iter()
        .filter(|(from, to)| from == "banks" && layer(to) == Some(4) && to != "banks")
        .map(|(_, to)| to)
        .collect();
    assert!(banks_names.is_empty(), "banks names {banks_names:?}");
    // The rule sees real edges (an empty graph would pass everything).
    for expected in [("hotline", "banks"), ("app", "hotline"), ("http", "access")] {
        assert!(
            graph.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "the scan found {expected:?}: {graph:?}"
        );
    }
}

#[test]
fn the_rule_catches_what_it_is_for() {
    // Upward: plumbing naming a domain, through either form of path.
    let store = named_modules(&["store", "fields"], "use crate::access::hex;\n");
    assert!(store.contains("access"));
    assert!(edge_problem("store", "access").is_some());
    let http = named_modules(
        &["http"],
        "use crate::{banks::matcher::Matcher, store::Store};",
    );
    assert!(http.contains("banks") && http.contains("store"), "{http:?}");
    assert!(edge_problem("http", "banks").is_some());
    let climbing = named_modules(&["banks", "api"], "use super::super::care::notify;");
    assert!(climbing.contains("care"), "{climbing:?}");
    assert!(
        edge_problem("banks", "care").is_some(),
        "banks names no domain"
    );
    assert!(
        edge_problem("care", "hotline").is_some(),
        "a circle's back edge"
    );
    assert!(edge_problem("hotline", "care").is_none());
    assert!(edge_problem("app", "hotline").is_none());
    // Within a domain, `super::` stays in the domain; comments and strings are not code.
    let inside = named_modules(
        &["hotline", "intake"],
        "use super::entities::file;\n// crate::cli is mentioned here\nlet s = \"crate::app\";",
    );
    assert!(inside.is_empty(), "{inside:?}");
    // An inline test module climbs from itself.
    let tests = named_modules(
        &["hotline", "network"],
        "mod tests {\n    use super::super::config::DEFAULT_CONFIG;\n}\n",
    );
    assert!(tests.is_empty(), "{tests:?}");
    let up = named_modules(&["banks"], "mod tests { use super::super::care::x; }");
    assert!(up.contains("care"), "{up:?}");
    // A circle is found.
    let circle: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("c", "a")]
        .iter()
        .map(|(x, y)| ((*x).to_owned(), (*y).to_owned()))
        .collect();
    assert!(find_circle(&circle).is_some());
}

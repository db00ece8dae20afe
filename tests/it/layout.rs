//! The source's layout, as the design notes state it: no import circles
//! between the files of `src/` (through any number of files), and pure
//! rules (`engine/rules/`) that import only the model and each other; each
//! folder importing only the layers before it; no file over 900 lines and
//! no function over 120.
//!
//! A file imports another when it names it through `crate::` or `super::`,
//! in a `use`, a path, its tests or a doc link; a folder's `mod.rs` (or a
//! file with a folder of its own) naming its children is left out.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, by its path relative to `src/`.
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    // The binary's root is a crate of its own: it uses the library as `govrt::`.
    out.remove("main.rs");
    out
}

/// The module path of a file: `engine/rules/bound.rs` → engine, rules, bound.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The text of a file without its string literals (what they say names
/// nothing).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            'r' if matches!(chars.peek(), Some('#' | '"'))
                && !out.ends_with(|c: char| c.is_alphanumeric() || c == '_') =>
            {
                let hashes = chars.clone().take_while(|c| *c == '#').count();
                if chars.clone().nth(hashes) != Some('"') {
                    out.push(c);
                    continue;
                }
                let end = format!("\"{}", "#".repeat(hashes));
                let rest: String = chars.clone().skip(hashes + 1).collect();
                let len = rest.find(&end).map_or(rest.len(), |i| i + end.len());
                for _ in 0..hashes + 1 + rest[..len].chars().count() {
                    chars.next();
                }
                out.push_str("\"\"");
            }
            '\'' => {
                // A char literal ('"', '\n'), not a lifetime ('a).
                let ahead: Vec<char> = chars.clone().take(3).collect();
                match ahead.as_slice() {
                    ['\\', ..] => {
                        for c in chars.by_ref() {
                            if c == '\'' {
                                break;
                            }
                        }
                    }
                    [_, '\'', ..] => {
                        chars.next();
                        chars.next();
                    }
                    _ => out.push(c),
                }
            }
            // A comment is kept whole: a quote in it opens no string.
            '/' if chars.peek() == Some(&'/') => {
                out.push(c);
                for c in chars.by_ref() {
                    out.push(c);
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// The paths a use tree or a path names, each as its segments after the
/// head: `{a::{b, c}, d}` → a::b, a::c, d.
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim().trim_start_matches("::").trim();
    if let Some(inner) = tree.strip_prefix('{') {
        let inner = inner.strip_suffix('}').unwrap_or(inner);
        let (mut parts, mut depth, mut current) = (Vec::new(), 0, String::new());
        for c in inner.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        parts.push(current);
        return parts
            .iter()
            .filter(|p| !p.trim().is_empty())
            .flat_map(|p| expand(p))
            .collect();
    }
    let word: String = tree
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if word.is_empty() || word == "self" {
        return vec![Vec::new()];
    }
    let rest = tree[word.len()..].trim_start();
    if let Some(rest) = rest.strip_prefix("::") {
        expand(rest)
            .into_iter()
            .map(|tail| [vec![word.clone()], tail].concat())
            .collect()
    } else {
        vec![vec![word]]
    }
}

/// The text of a path starting at `at`: segments and brace groups joined by `::`.
fn path_at(code: &str, at: usize) -> &str {
    let bytes = code.as_bytes();
    let (mut i, mut depth) = (at, 0usize);
    while i < bytes.len() {
        let c = bytes[i] as char;
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ';' | '(' | ')' | '<' | '>' | '!' | '=' | '&' | '[' | ']' | '.' | '#' if depth == 0 => {
                break;
            }
            ',' | ' ' | '\n' | '\t' if depth == 0 => break,
            _ => {}
        }
        i += 1;
    }
    &code[at..i]
}

/// Which files each file imports.
fn imports(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let by_module: BTreeMap<Vec<String>, &String> =
        files.keys().map(|f| (module_of(f), f)).collect();
    let resolve = |segments: &[String]| {
        (0..=segments.len())
            .rev()
            .find_map(|n| by_module.get(&segments[..n]).map(|f| (*f).clone()))
    };
    let mut edges = BTreeMap::new();
    for (file, text) in files {
        let me = module_of(file);
        // A folder's root: mod.rs, lib.rs, main.rs, or `x.rs` beside `x/`.
        let folder_root = file.ends_with("mod.rs")
            || me.len() <= 1 && (file == "lib.rs" || file == "main.rs")
            || files
                .keys()
                .any(|f| f.starts_with(&format!("{}/", file.trim_end_matches(".rs"))));
        let code = code_of(text);
        let mut out = BTreeSet::new();
        for (at, _) in code.match_indices("::") {
            let head_start = code[..at]
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            let head = &code[head_start..at];
            let before = code[..head_start].trim_end();
            if before.ends_with("::") || !(head == "crate" || head == "super") {
                continue;
            }
            let mut base: Vec<String> = if head == "crate" {
                Vec::new()
            } else {
                me[..me.len().saturating_sub(1)].to_vec()
            };
            let mut rest = &code[at + 2..];
            while let Some(r) = rest.strip_prefix("super::") {
                base.pop();
                rest = r;
            }
            for tail in expand(path_at(rest, 0)) {
                let segments = [base.clone(), tail].concat();
                let Some(target) = resolve(&segments) else {
                    continue;
                };
                let inside =
                    module_of(&target).starts_with(&me) && module_of(&target).len() > me.len();
                if target != *file && !(folder_root && inside) {
                    out.insert(target);
                }
            }
        }
        edges.insert(file.clone(), out);
    }
    edges
}

/// The strongly connected components of more than one file (Tarjan).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        for t in &w.edges[v] {
            let t = t.as_str();
            if !w.index.contains_key(t) {
                visit(w, t);
                let l = w.low[t].min(w.low[v]);
                w.low.insert(v, l);
            } else if w.stack.contains(&t) {
                let l = w.index[t].min(w.low[v]);
                w.low.insert(v, l);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(t) = w.stack.pop() {
                component.push(t.to_string());
                if t == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                w.found.push(component);
            }
        }
    }
    let mut w = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v);
        }
    }
    w.found
}

#[test]
fn no_two_modules_of_src_form_an_import_circle() {
    let edges = imports(&sources());
    let found = circles(&edges);
    let shown: Vec<String> = found
        .iter()
        .map(|c| {
            let inside: BTreeSet<&String> = c.iter().collect();
            let lines: Vec<String> = c
                .iter()
                .map(|f| {
                    let to: Vec<&str> = edges[f]
                        .iter()
                        .filter(|t| inside.contains(t))
                        .map(String::as_str)
                        .collect();
                    format!("  {f} -> {}", to.join(", "))
                })
                .collect();
            lines.join("\n")
        })
        .collect();
    assert!(
        found.is_empty(),
        "import circles in src/:\n{}",
        shown.join("\n\n")
    );
}

#[test]
fn the_checker_sees_a_circle_and_ignores_a_folders_reexports() {
    let files: BTreeMap<String, String> = [
        ("a/mod.rs", "mod b; mod c; pub use b::B; pub use c::C;"),
        ("a/b.rs", "use super::c::C; pub struct B(C);"),
        (
            "a/c.rs",
            "pub struct C; fn f() -> crate::a::b::B { todo() }",
        ),
        (
            "d.rs",
            "use crate::a::{b::B, c::C}; // see [`crate::f`]\nconst S: &str = \"crate::e::x\";",
        ),
        ("e.rs", "use crate::d;"),
        ("f.rs", "/// Unlike [`super::d`]'s\nfn g() {}"),
    ]
    .into_iter()
    .map(|(f, t)| (f.to_string(), t.to_string()))
    .collect();
    let edges = imports(&files);
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(edges["d.rs"], names(&["a/b.rs", "a/c.rs", "f.rs"]));
    assert_eq!(edges["f.rs"], names(&["d.rs"]));
    assert!(edges["e.rs"].contains("d.rs"));
    assert!(edges["a/mod.rs"].is_empty(), "{:?}", edges["a/mod.rs"]);
    let found = circles(&edges);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.contains(&vec!["a/b.rs".to_string(), "a/c.rs".to_string()]));
    assert!(found.contains(&vec!["d.rs".to_string(), "f.rs".to_string()]));
}

#[test]
fn the_rules_import_only_the_model_and_each_other() {
    let edges = imports(&sources());
    let outside: Vec<String> = edges
        .iter()
        .filter(|(f, _)| f.starts_with("engine/rules/"))
        .flat_map(|(f, to)| {
            to.iter()
                .filter(|t| !t.starts_with("engine/rules/") && !t.starts_with("model/"))
                .map(move |t| format!("{f} -> {t}"))
        })
        .collect();
    assert!(
        outside.is_empty(),
        "the pure rules import more than the model:\n{}",
        outside.join("\n")
    );
}
/// The layers of `src/`, lowest first: a folder imports only its own and
/// the ones before it.
const LAYERS: [&str; 11] = [
    "diag", "model", "syntax", "check", "store", "hooks", "notify", "engine", "render", "server",
    "cli",
];

#[test]
fn each_layer_imports_only_the_layers_before_it() {
    let layer = |file: &str| {
        let folder = file.split('/').next().unwrap_or(file);
        LAYERS.iter().position(|l| *l == folder)
    };
    let upward: Vec<String> = imports(&sources())
        .iter()
        .flat_map(|(f, to)| to.iter().map(move |t| (f, t)))
        .filter(|(f, t)| matches!((layer(f), layer(t)), (Some(a), Some(b)) if b > a))
        .map(|(f, t)| format!("{f} -> {t}"))
        .collect();
    assert!(
        upward.is_empty(),
        "imports against the layers ({}):\n{}",
        LAYERS.join(" < "),
        upward.join("\n")
    );
}

/// Every function of `src/` over `max` lines, as `file:line name (lines)`.
fn long_functions(files: &BTreeMap<String, String>, max: usize) -> Vec<String> {
    let mut found = Vec::new();
    for (file, text) in files {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            let signature = [
                "pub ",
                "pub(crate) ",
                "pub(super) ",
                "const ",
                "async ",
                "unsafe ",
            ]
            .iter()
            .fold(trimmed, |s, p| s.strip_prefix(p).unwrap_or(s));
            let Some(name) = signature.strip_prefix("fn ") else {
                continue;
            };
            let name: String = name
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // The body opens where the signature ends; a declaration without one ends in `;`.
            let Some(open) = (i..lines.len()).find(|&j| {
                lines[j].trim_end().ends_with('{') || lines[j].trim_end().ends_with(';')
            }) else {
                continue;
            };
            if lines[open].trim_end().ends_with(';') {
                continue;
            }
            let close = (open + 1..lines.len())
                .find(|&j| {
                    let l = lines[j];
                    l.len() - l.trim_start().len() == indent && l.trim_start().starts_with('}')
                })
                .unwrap_or(lines.len() - 1);
            if close + 1 - i > max {
                found.push(format!(
                    "src/{file}:{} {name} ({} lines)",
                    i + 1,
                    close + 1 - i
                ));
            }
        }
    }
    found
}

#[test]
fn no_file_over_900_lines_and_no_function_over_120() {
    let files = sources();
    let long_files: Vec<String> = files
        .iter()
        .filter(|(_, t)| t.lines().count() > 900)
        .map(|(f, t)| format!("src/{f} ({} lines)", t.lines().count()))
        .collect();
    assert!(
        long_files.is_empty(),
        "files over 900 lines:\n{}",
        long_files.join("\n")
    );
    let long = long_functions(&files, 120);
    assert!(
        long.is_empty(),
        "functions over 120 lines:\n{}",
        long.join("\n")
    );
}

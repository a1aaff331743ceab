//! The house's layering, read from the sources: web → services → domain ← storage, with reports
//! and imports beside the domain for the services to use. No module imports a layer above its
//! own (plain, grouped `use crate::{…}`, a path written inline, or `super::` climbing out of its
//! layer); only the command line's entry module (`cli/mod.rs`, the composition root) may start the
//! web server and open the storage.

use std::path::{Path, PathBuf};

/// For each layer, the layers it must not name.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "domain",
        &["storage", "reports", "imports", "services", "web", "cli"],
    ),
    ("storage", &["reports", "imports", "services", "web", "cli"]),
    ("reports", &["storage", "imports", "services", "web", "cli"]),
    ("imports", &["storage", "reports", "services", "web", "cli"]),
    ("services", &["web", "cli"]),
    ("web", &["cli", "storage", "reports", "imports"]),
    ("cli", &["web", "storage"]),
];

/// The one module allowed past the rules above: the program's composition root.
const COMPOSITION_ROOT: &str = "cli/mod.rs";

/// The module path of a source file: `src/a/b.rs` → `[a, b]`, `src/a/mod.rs` → `[a]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs").to_owned();
        if stem != "mod" {
            parts.push(stem);
        }
    }
    parts
}

/// The code of a file without its comments (line comments and doc comments; string contents are
/// kept, which can only make the check stricter).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The top-level modules a file's code names: after `crate::` (one name, or each name of a
/// `{…}` group), and after `super::` climbing to the crate root.
fn layers_named(code: &str, module: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let preceded_by_ident = i > 0 && is_ident(bytes[i - 1] as char);
        let (root_after, skip) = if rest.starts_with("crate::") && !preceded_by_ident {
            (Some(&rest["crate::".len()..]), "crate::".len())
        } else if rest.starts_with("super::") && !preceded_by_ident {
            let mut k = 0;
            let mut r = rest;
            while let Some(after) = r.strip_prefix("super::") {
                k += 1;
                r = after;
            }
            let consumed = rest.len() - r.len();
            // `super::` k times from module `a::b::c` (a file's own module) is `a::b::c` minus k.
            if k >= module.len() {
                (Some(r), consumed)
            } else {
                (None, consumed)
            }
        } else {
            (None, 1)
        };
        if let Some(after) = root_after {
            if let Some(group) = after.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item.trim().chars().take_while(|&c| is_ident(c)).collect();
                    found.push(name);
                }
            } else {
                found.push(after.chars().take_while(|&c| is_ident(c)).collect());
            }
        }
        i += skip.max(1);
        while i < code.len() && !code.is_char_boundary(i) {
            i += 1;
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every import of a forbidden layer in `src/`, as "file: layer".
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).expect("under src");
        let shown = relative.to_string_lossy().replace('\\', "/");
        if shown == COMPOSITION_ROOT {
            continue;
        }
        let module = module_path(relative);
        let Some(layer) = module.first() else {
            continue;
        };
        let Some((_, forbidden)) = FORBIDDEN.iter().find(|(l, _)| l == layer) else {
            continue;
        };
        let code = code_of(&std::fs::read_to_string(&file).expect("read file"));
        for named in layers_named(&code, &module) {
            if forbidden.contains(&named.as_str()) {
                out.push(format!("{shown}: {named}"));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn imports_only_point_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "imports that run up the layers:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_every_form_of_import() {
    let module = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let named = |code: &str, m: &[&str]| layers_named(&code_of(code), &module(m));
    assert_eq!(
        named("use crate::services::App;", &["domain"]),
        ["services"]
    );
    assert_eq!(
        named("use crate::{domain::Money, web::serve};", &["reports"]),
        ["domain", "web"]
    );
    assert_eq!(
        named(
            "let x = crate::storage::Page::default();",
            &["domain", "query"]
        ),
        ["storage"]
    );
    // `super::` leaving the layer, from a file and from a folder's mod.rs.
    assert_eq!(
        named("use super::super::services::App;", &["domain", "rules"]),
        ["services"]
    );
    assert_eq!(named("use super::cli::run;", &["domain"]), ["cli"]);
    // Within the layer, and in comments: nothing.
    assert!(named("use super::money::Money;", &["domain", "rules"]).is_empty());
    assert!(named("// see crate::web::serve", &["domain"]).is_empty());
    assert!(named("use mycrate::web;", &["domain"]).is_empty());
}

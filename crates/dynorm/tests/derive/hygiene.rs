//! Source hygiene: no function (free, in an impl, or a trait's default) in `crates/*/src` is
//! longer than [`MAX_LINES`] lines, counted from `fn` to its closing brace.
//!
//! Run with `cargo test -p dynorm --test derive hygiene::`.
//!
//! [`ALLOWED`] lists the functions that were already too long when this test was written, in
//! files being restructured elsewhere; it only shrinks. A new offender fails the test.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

const MAX_LINES: usize = 120;

/// Known offenders, as (file relative to the workspace root, function), in files other engineers
/// are restructuring. To be emptied as those files are split. An entry that no longer offends is
/// named in the failure message but does not fail the test by itself, so that shrinking a
/// function never breaks the build.
const ALLOWED: &[(&str, &str)] = &[];

/// A function found too long.
struct Long {
    file: String,
    name: String,
    line: usize,
    len: usize,
}

/// Collects the long functions of one file; `scope` names the enclosing impl or trait.
struct Finder<'a> {
    file: &'a str,
    scope: Vec<String>,
    found: Vec<Long>,
}

impl Finder<'_> {
    fn measure(&mut self, ident: &syn::Ident, fn_token: &syn::token::Fn, block: &syn::Block) {
        let start = fn_token.span.start().line;
        let end = block.brace_token.span.close().end().line;
        let len = end + 1 - start;
        if len > MAX_LINES {
            let name = match self.scope.last() {
                Some(scope) => format!("{scope}::{ident}"),
                None => ident.to_string(),
            };
            self.found.push(Long {
                file: self.file.to_owned(),
                name,
                line: start,
                len,
            });
        }
    }
}

/// The last segment of a type's path, for naming an impl's functions.
fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => "_".to_owned(),
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.measure(&f.sig.ident, &f.sig.fn_token, &f.block);
        // A nested function is reported under its own name, not its parent's scope.
        let scope = std::mem::take(&mut self.scope);
        syn::visit::visit_item_fn(self, f);
        self.scope = scope;
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        self.scope.push(type_name(&i.self_ty));
        syn::visit::visit_item_impl(self, i);
        self.scope.pop();
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.measure(&f.sig.ident, &f.sig.fn_token, &f.block);
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        self.scope.push(t.ident.to_string());
        syn::visit::visit_item_trait(self, t);
        self.scope.pop();
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.measure(&f.sig.ident, &f.sig.fn_token, block);
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_function_is_too_long() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    let mut crates: Vec<_> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .map(|e| e.expect("directory entry").path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    crates.sort();
    for src in &crates {
        rust_files(src, &mut files);
    }
    assert!(!files.is_empty(), "no sources found under {}", root.display());

    let mut long = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read source");
        let file = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("parse {file}: {e}"));
        let mut finder = Finder {
            file: &file,
            scope: Vec::new(),
            found: Vec::new(),
        };
        finder.visit_file(&ast);
        long.extend(finder.found);
    }

    let is_allowed = |l: &Long| ALLOWED.contains(&(l.file.as_str(), l.name.as_str()));
    let new: Vec<&Long> = long.iter().filter(|l| !is_allowed(l)).collect();
    let fixed: Vec<&(&str, &str)> = ALLOWED
        .iter()
        .filter(|(file, name)| !long.iter().any(|l| l.file == *file && l.name == *name))
        .collect();

    let mut report = String::new();
    for l in &new {
        let _ = writeln!(report, "  {}:{} `{}` is {} lines", l.file, l.line, l.name, l.len);
    }
    let mut allowed = String::new();
    for l in long.iter().filter(|l| is_allowed(l)) {
        let _ = writeln!(allowed, "  {}:{} `{}` is {} lines", l.file, l.line, l.name, l.len);
    }
    for (file, name) in &fixed {
        let _ = writeln!(allowed, "  {file} `{name}` is short now: remove it from ALLOWED");
    }
    assert!(
        new.is_empty(),
        "functions over {MAX_LINES} lines (split them into smaller named steps):\n{report}\n\
         allowed for now (ALLOWED in tests/derive/hygiene.rs, to be emptied):\n{allowed}"
    );
}

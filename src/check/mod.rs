//! Syntax trees → the checked [`BlueprintSet`]: names, references, cycles,
//! types, defaults and scripts. Every problem of every file is reported, not
//! only the first; a set is returned only when there is no error.
//!
//! This is the only place a `BlueprintSet` is built.

pub mod scripts;
pub mod values;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Code, Diagnostic, SourceFile, Span, did_you_mean};
use crate::model::*;
use crate::syntax::{self, ast};

/// What checking a set produced.
#[derive(Debug)]
pub struct Checked {
    /// The set, when there is no error (warnings allowed).
    pub set: Option<BlueprintSet>,
    /// Every problem found, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// How many `.gov` files were read.
    pub files: usize,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == crate::diag::Severity::Error)
    }
}

/// Where scripts named by `script "PATH"` are read from.
pub trait ScriptSource: Sync {
    /// The text of the script at `path` (the blueprint file's folder joined with the written path).
    fn read(&self, path: &Path) -> std::io::Result<String>;
}

/// Scripts read from disk.
pub struct DiskScripts;

impl ScriptSource for DiskScripts {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// Scripts held in memory, by path (for sets stored in a database, and tests).
impl ScriptSource for BTreeMap<PathBuf, String> {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

/// Lists the `.gov` files of `paths` (files as given, folders recursively), sorted.
pub fn collect_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no such file or folder: {}", path.display()),
            ));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if path.is_dir() && !hidden && entry.file_name() != "target" {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "gov") {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads files from disk into sources; a file that cannot be read becomes a diagnostic.
pub fn read_sources(files: &[PathBuf]) -> (Vec<Arc<SourceFile>>, Vec<Diagnostic>) {
    let mut sources = Vec::new();
    let mut diagnostics = Vec::new();
    for path in files {
        let name = path.display().to_string();
        match std::fs::read(path).map(String::from_utf8) {
            Ok(Ok(text)) => sources.push(SourceFile::new(name, text)),
            Ok(Err(_)) => diagnostics.push(unreadable(&name, "it is not UTF-8 text")),
            Err(e) => diagnostics.push(unreadable(&name, &e.to_string())),
        }
    }
    (sources, diagnostics)
}

fn unreadable(name: &str, why: &str) -> Diagnostic {
    let file = SourceFile::new(name, "");
    Diagnostic::new(
        Code::UnreadableFile,
        &file,
        Span::at(0),
        "",
        format!("cannot read `{name}`: {why}"),
    )
    .with_help("blueprint files must be readable UTF-8 text")
}

/// Checks the `.gov` files under `paths` as one set, reading scripts from disk.
pub fn check_paths(paths: &[PathBuf]) -> std::io::Result<Checked> {
    let files = collect_files(paths)?;
    let (sources, mut unreadable) = read_sources(&files);
    let mut checked = check_sources(&sources, &DiskScripts);
    checked.files = files.len();
    if !unreadable.is_empty() {
        unreadable.append(&mut checked.diagnostics);
        checked.diagnostics = unreadable;
        checked.set = None;
    }
    Ok(checked)
}

/// Parses files in parallel (the syntax stage dominates on large sets).
pub fn parse_all(sources: &[Arc<SourceFile>]) -> Vec<Result<ast::File, Box<Diagnostic>>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(sources.len().max(1));
    if threads <= 1 || sources.len() < 4 {
        return sources.iter().map(syntax::parse).collect();
    }
    let chunk = sources.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(syntax::parse).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Checks already-read sources as one set.
pub fn check_sources(sources: &[Arc<SourceFile>], scripts: &dyn ScriptSource) -> Checked {
    let parsed = parse_all(sources);
    let mut diagnostics = Vec::new();
    let mut trees = Vec::new();
    for (file, result) in sources.iter().zip(parsed) {
        match result {
            Ok(tree) => trees.push((Arc::clone(file), tree)),
            Err(d) => diagnostics.push(*d),
        }
    }
    let mut checker = Checker {
        diagnostics,
        scripts,
    };
    let set = checker.check(&trees);
    let mut diagnostics = checker.diagnostics;
    diagnostics.sort_by(|a, b| {
        (a.file.name.as_str(), a.primary_span().start, a.code).cmp(&(
            b.file.name.as_str(),
            b.primary_span().start,
            b.code,
        ))
    });
    let has_errors = diagnostics
        .iter()
        .any(|d| d.severity() == crate::diag::Severity::Error);
    Checked {
        set: if has_errors { None } else { Some(set) },
        diagnostics,
        files: sources.len(),
    }
}

/// Checks one text as a set of one file (scripts from disk, relative to `name`).
pub fn check_text(name: &str, text: &str) -> Checked {
    check_sources(&[SourceFile::new(name, text)], &DiskScripts)
}

/// A label made from an id when none is written: `model_version` → `Model version`.
pub fn label_from_id(id: &str) -> String {
    let words = id.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What is known of each blueprint before its body is checked: enough to
/// resolve references from other blueprints.
struct Outline<'a> {
    file: Arc<SourceFile>,
    decl: &'a ast::BlueprintDecl,
    parent: Option<(String, Span)>,
    /// Field id → type (None where the type itself is invalid).
    fields: BTreeMap<String, Option<FieldType>>,
}

struct Checker<'s> {
    diagnostics: Vec<Diagnostic>,
    scripts: &'s dyn ScriptSource,
}

/// Reports a second occurrence of a setting that may appear once.
fn duplicate_setting(file: &Arc<SourceFile>, what: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateSetting,
        file,
        span,
        "set again here",
        format!("`{what}` is set twice"),
    )
    .with_label(first, "first set here")
    .with_help(format!("keep one `{what}`"))
}

/// A word that must be one of a few (`policy block`, `gates deploy`).
fn unknown_word(
    code: Code,
    file: &Arc<SourceFile>,
    word: &ast::Ident,
    what: &str,
    choices: &[&str],
    fallback: &str,
) -> Diagnostic {
    let help = did_you_mean(&word.name, choices.iter().copied(), fallback);
    Diagnostic::new(
        code,
        file,
        word.span,
        format!("unknown {what}"),
        format!("unknown {what} `{}`", word.name),
    )
    .with_help(help)
}

fn duplicate_name(
    code: Code,
    kind: &str,
    name: &str,
    file: &Arc<SourceFile>,
    span: Span,
    first_file: &Arc<SourceFile>,
    first: Span,
) -> Diagnostic {
    let d = Diagnostic::new(
        code,
        file,
        span,
        "declared again here",
        format!("{kind} `{name}` is declared twice"),
    );
    if Arc::ptr_eq(file, first_file) || file.name == first_file.name {
        d.with_label(first, "first declared here")
            .with_help(format!(
                "rename one of the two, or remove one: {kind} ids are unique"
            ))
    } else {
        let (line, column) = first_file.line_col(first.start);
        d.with_help(format!(
            "it is first declared in `{}` at line {line}, column {column}; all files of a folder are one namespace, so rename one",
            first_file.name
        ))
    }
}

impl Checker<'_> {
    fn report(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn check(&mut self, trees: &[(Arc<SourceFile>, ast::File)]) -> BlueprintSet {
        // Declarations by id, first wins; later ones are reported.
        let mut outlines: BTreeMap<String, Outline<'_>> = BTreeMap::new();
        let mut infrastructures = BTreeMap::new();
        let mut infra_seen: HashMap<String, (Arc<SourceFile>, Span)> = HashMap::new();
        for (file, tree) in trees {
            for declaration in &tree.declarations {
                match declaration {
                    ast::Declaration::Blueprint(b) => {
                        if let Some(first) = outlines.get(&b.id.name) {
                            let d = duplicate_name(
                                Code::DuplicateBlueprint,
                                "blueprint",
                                &b.id.name,
                                file,
                                b.id.span,
                                &first.file,
                                first.decl.id.span,
                            );
                            self.report(d);
                            continue;
                        }
                        let outline = self.outline(file, b);
                        outlines.insert(b.id.name.clone(), outline);
                    }
                    ast::Declaration::Infrastructure(i) => {
                        if let Some((first_file, first)) = infra_seen.get(&i.id.name) {
                            let d = duplicate_name(
                                Code::DuplicateInfrastructure,
                                "infrastructure",
                                &i.id.name,
                                file,
                                i.id.span,
                                first_file,
                                *first,
                            );
                            self.report(d);
                            continue;
                        }
                        infra_seen.insert(i.id.name.clone(), (Arc::clone(file), i.id.span));
                        if let Some(infra) = self.infrastructure(file, i) {
                            infrastructures.insert(infra.id.clone(), infra);
                        }
                    }
                }
            }
        }

        // Types that reference blueprints can only be checked once all are known.
        let known: BTreeSet<String> = outlines.keys().cloned().collect();
        self.check_parents(&outlines);

        // Bodies only read the outlines, so they are checked in parallel; each
        // worker collects its own diagnostics (sorted at the end anyway).
        let all: Vec<&Outline<'_>> = outlines.values().collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = if all.len() < 64 {
            all.len().max(1)
        } else {
            all.len().div_ceil(threads)
        };
        let scripts = self.scripts;
        let results: Vec<(Vec<Blueprint>, Vec<Diagnostic>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = all
                .chunks(chunk)
                .map(|part| {
                    let (outlines, known) = (&outlines, &known);
                    scope.spawn(move || {
                        let mut worker = Checker {
                            diagnostics: Vec::new(),
                            scripts,
                        };
                        let done = part
                            .iter()
                            .map(|o| worker.blueprint(o, outlines, known))
                            .collect();
                        (done, worker.diagnostics)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| match h.join() {
                    Ok(r) => r,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        });
        let mut blueprints = BTreeMap::new();
        for (done, diagnostics) in results {
            self.diagnostics.extend(diagnostics);
            for blueprint in done {
                blueprints.insert(blueprint.id.clone(), blueprint);
            }
        }
        BlueprintSet {
            blueprints,
            infrastructures,
        }
    }

    /// Settings and field types of a blueprint, for cross-blueprint references.
    fn outline<'a>(&mut self, file: &Arc<SourceFile>, decl: &'a ast::BlueprintDecl) -> Outline<'a> {
        let mark = self.diagnostics.len();
        let mut parent = None;
        let mut fields = BTreeMap::new();
        let mut add_field = |f: &ast::FieldDecl, this: &mut Self| {
            if !fields.contains_key(&f.id.name) {
                let ty = this.field_type(file, &f.ty, None);
                fields.insert(f.id.name.clone(), ty);
            }
        };
        for item in &decl.items {
            match item {
                ast::BlueprintItem::Parent(p) if parent.is_none() => {
                    parent = Some((p.value.name.clone(), p.value.span));
                }
                ast::BlueprintItem::Field(f) => add_field(f, self),
                ast::BlueprintItem::Workflow(w) => {
                    for step in &w.steps {
                        for step_item in step.block.iter().flatten() {
                            if let ast::StepItem::Field(f) = step_item {
                                add_field(f, self);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        // Type problems are reported when the body is checked, with the set's
        // blueprints known; this pass only records the shape.
        self.diagnostics.truncate(mark);
        Outline {
            file: Arc::clone(file),
            decl,
            parent,
            fields,
        }
    }

    fn check_parents(&mut self, outlines: &BTreeMap<String, Outline<'_>>) {
        for (id, outline) in outlines {
            let Some((parent, span)) = &outline.parent else {
                continue;
            };
            if !outlines.contains_key(parent) {
                let help = did_you_mean(
                    parent,
                    outlines.keys().map(String::as_str).filter(|k| k != id),
                    "declare that blueprint in a `.gov` file of this folder, or remove `parent`",
                );
                self.report(
                    Diagnostic::new(
                        Code::UnknownParent,
                        &outline.file,
                        *span,
                        "no such blueprint",
                        format!("unknown parent blueprint `{parent}`"),
                    )
                    .with_help(help),
                );
            }
        }
        // A cycle is reported once, at its smallest member.
        let mut reported: BTreeSet<String> = BTreeSet::new();
        for id in outlines.keys() {
            let mut path = vec![id.clone()];
            let mut current = id.clone();
            while let Some((parent, _)) = outlines.get(&current).and_then(|o| o.parent.as_ref()) {
                if parent == id {
                    if path.iter().all(|p| !reported.contains(p)) && path.iter().min() == Some(id) {
                        let outline = &outlines[id];
                        let span = outline
                            .parent
                            .as_ref()
                            .map_or(outline.decl.id.span, |(_, s)| *s);
                        let mut cycle = path.clone();
                        cycle.push(id.clone());
                        self.report(
                            Diagnostic::new(
                                Code::ParentCycle,
                                &outline.file,
                                span,
                                "this parent leads back here",
                                format!(
                                    "blueprint `{id}` is its own ancestor: {}",
                                    cycle.join(" → ")
                                ),
                            )
                            .with_help(
                                "items form a tree: remove or change one `parent` of the cycle",
                            ),
                        );
                        reported.extend(path.iter().cloned());
                    }
                    break;
                }
                if path.contains(parent) || path.len() > outlines.len() {
                    break;
                }
                path.push(parent.clone());
                current = parent.clone();
            }
        }
    }

    /// Resolves a type. `known` is the set's blueprints (None in the outline pass).
    fn field_type(
        &mut self,
        file: &Arc<SourceFile>,
        ty: &ast::TypeExpr,
        known: Option<&BTreeSet<String>>,
    ) -> Option<FieldType> {
        Some(match ty {
            ast::TypeExpr::Named(name) => match name.name.as_str() {
                "text" => FieldType::Text,
                "int" => FieldType::Int {
                    min: None,
                    max: None,
                },
                "number" => FieldType::Number,
                "bool" => FieldType::Bool,
                "date" => FieldType::Date,
                "datetime" => FieldType::DateTime,
                "url" => FieldType::Url,
                "user" => FieldType::User,
                "group" => FieldType::Group,
                "principal" => FieldType::Principal,
                "attachment" => FieldType::Attachment,
                other => {
                    let alias = match other {
                        "string" | "str" => Some("text"),
                        "integer" | "i64" => Some("int"),
                        "float" | "decimal" | "double" => Some("number"),
                        "boolean" => Some("bool"),
                        "timestamp" => Some("datetime"),
                        "file" | "document" => Some("attachment"),
                        _ => None,
                    };
                    let names = [
                        "text",
                        "int",
                        "number",
                        "bool",
                        "date",
                        "datetime",
                        "url",
                        "user",
                        "group",
                        "principal",
                        "attachment",
                    ];
                    let help = match alias {
                        Some(a) => format!("did you mean `{a}`?"),
                        None => did_you_mean(
                            other,
                            names,
                            "the types are text, int, int(LO..HI), number, bool, date, datetime, url, enum(...), user, group, principal, ref(BLUEPRINT), attachment and lists [T]",
                        ),
                    };
                    self.report(
                        Diagnostic::new(
                            Code::UnknownType,
                            file,
                            name.span,
                            "unknown type",
                            format!("unknown field type `{other}`"),
                        )
                        .with_help(help),
                    );
                    return None;
                }
            },
            ast::TypeExpr::Enum(variants, span) => {
                if variants.is_empty() {
                    self.report(
                        Diagnostic::new(
                            Code::EmptyEnum,
                            file,
                            *span,
                            "no variant",
                            "enum type has no variant",
                        )
                        .with_help("list the variants, e.g. `enum(low, medium, high)`"),
                    );
                    return None;
                }
                let mut seen: HashMap<&str, Span> = HashMap::new();
                let mut names = Vec::new();
                for v in variants {
                    if let Some(first) = seen.get(v.name.as_str()) {
                        self.report(
                            Diagnostic::new(
                                Code::DuplicateEnumVariant,
                                file,
                                v.span,
                                "listed again",
                                format!("enum variant `{}` is listed twice", v.name),
                            )
                            .with_label(*first, "first listed here")
                            .with_help("remove one of the two"),
                        );
                        continue;
                    }
                    seen.insert(&v.name, v.span);
                    names.push(v.name.clone());
                }
                FieldType::Enum { variants: names }
            }
            ast::TypeExpr::IntRange(lo, hi, span) => {
                let lo_value = values::int(file, lo);
                let hi_value = values::int(file, hi);
                let (lo_value, hi_value) = match (lo_value, hi_value) {
                    (Ok(a), Ok(b)) => (a, b),
                    (a, b) => {
                        for e in [a.err(), b.err()].into_iter().flatten() {
                            self.report(*e);
                        }
                        return None;
                    }
                };
                if lo_value > hi_value {
                    self.report(
                        Diagnostic::new(
                            Code::EmptyRange,
                            file,
                            *span,
                            "no number fits",
                            format!("range `{}..{}` is empty", lo.raw, hi.raw),
                        )
                        .with_help(format!(
                            "write the lowest value first: `int({}..{})`",
                            hi.raw, lo.raw
                        )),
                    );
                    return None;
                }
                FieldType::Int {
                    min: Some(lo_value),
                    max: Some(hi_value),
                }
            }
            ast::TypeExpr::Ref(blueprint, _) => {
                if let Some(known) = known
                    && !known.contains(&blueprint.name)
                {
                    let help = did_you_mean(
                        &blueprint.name,
                        known.iter().map(String::as_str),
                        "`ref(BLUEPRINT)` names a blueprint of this set",
                    );
                    self.report(
                        Diagnostic::new(
                            Code::UnknownBlueprint,
                            file,
                            blueprint.span,
                            "no such blueprint",
                            format!("unknown blueprint `{}`", blueprint.name),
                        )
                        .with_help(help),
                    );
                    return None;
                }
                FieldType::Ref {
                    blueprint: BlueprintId(blueprint.name.clone()),
                }
            }
            ast::TypeExpr::List(inner, _) => FieldType::List {
                of: Box::new(self.field_type(file, inner, known)?),
            },
        })
    }

    fn string(&mut self, file: &Arc<SourceFile>, s: &ast::StringLit) -> String {
        match values::unescape(file, s) {
            Ok(text) => text,
            Err(d) => {
                self.report(*d);
                s.raw.clone()
            }
        }
    }

    fn label(
        &mut self,
        file: &Arc<SourceFile>,
        label: &Option<ast::StringLit>,
        id: &str,
    ) -> String {
        match label {
            Some(s) => self.string(file, s),
            None => label_from_id(id),
        }
    }

    fn infrastructure(
        &mut self,
        file: &Arc<SourceFile>,
        decl: &ast::InfrastructureDecl,
    ) -> Option<Infrastructure> {
        let mut policy: Option<(Policy, Span)> = None;
        let mut help: Option<(String, Span)> = None;
        let mut valid = true;
        for item in &decl.items {
            match item {
                ast::InfrastructureItem::Policy(p, span) => {
                    if let Some((_, first)) = policy {
                        self.report(duplicate_setting(file, "policy", *span, first));
                        continue;
                    }
                    let value = match p.name.as_str() {
                        "prevent" => Policy::Prevent,
                        "warn" => Policy::Warn,
                        "always" => Policy::Always,
                        _ => {
                            self.report(unknown_word(
                                Code::UnknownPolicy,
                                file,
                                p,
                                "policy",
                                &["prevent", "warn", "always"],
                                "a policy is `prevent`, `warn` or `always`",
                            ));
                            valid = false;
                            continue;
                        }
                    };
                    policy = Some((value, *span));
                }
                ast::InfrastructureItem::Help(h, span) => {
                    if let Some((_, first)) = help {
                        self.report(duplicate_setting(file, "help", *span, first));
                        continue;
                    }
                    help = Some((self.string(file, h), *span));
                }
            }
        }
        let label = self.label(file, &decl.label, &decl.id.name);
        valid.then(|| Infrastructure {
            id: InfrastructureId(decl.id.name.clone()),
            label,
            doc: decl.docs.join("\n").trim().to_string(),
            help: help.map(|(h, _)| h),
            policy: policy.map_or(Policy::Always, |(p, _)| p),
        })
    }

    fn blueprint(
        &mut self,
        outline: &Outline<'_>,
        outlines: &BTreeMap<String, Outline<'_>>,
        known: &BTreeSet<String>,
    ) -> Blueprint {
        let file = &outline.file;
        let decl = outline.decl;
        let mut scope = Scope::new(&decl.id.name, outline, outlines);

        let mut version: Option<(u32, Span)> = None;
        let mut parent_seen: Option<Span> = None;
        let mut script_decl: Option<(&ast::StringLit, Span)> = None;
        let mut workflow_decl: Option<&ast::WorkflowDecl> = None;
        let mut field_decls: Vec<(&ast::FieldDecl, Option<StepId>)> = Vec::new();

        for item in &decl.items {
            match item {
                ast::BlueprintItem::Version(v) => {
                    if let Some((_, first)) = version {
                        self.report(duplicate_setting(file, "version", v.span, first));
                        continue;
                    }
                    let n = match values::int(file, &v.value) {
                        Ok(n) if n >= 1 && n <= i64::from(u32::MAX) => n as u32,
                        _ => {
                            self.report(
                                Diagnostic::new(Code::InvalidVersion, file, v.value.span, "not a positive integer", format!("blueprint version `{}` is not a positive integer", v.value.raw))
                                    .with_help("versions count from 1: raise the version when the blueprint changes, e.g. `version 2`"),
                            );
                            1
                        }
                    };
                    version = Some((n, v.span));
                }
                ast::BlueprintItem::Parent(p) => {
                    if let Some(first) = parent_seen {
                        self.report(duplicate_setting(file, "parent", p.span, first));
                    } else {
                        parent_seen = Some(p.span);
                    }
                }
                ast::BlueprintItem::Script(s) => {
                    if let Some((_, first)) = script_decl {
                        self.report(duplicate_setting(file, "script", s.span, first));
                    } else {
                        script_decl = Some((&s.value, s.span));
                    }
                }
                ast::BlueprintItem::Field(f) => field_decls.push((f, None)),
                ast::BlueprintItem::Workflow(w) => {
                    if let Some(first) = workflow_decl {
                        self.report(duplicate_setting(file, "workflow", w.span, first.span));
                    } else {
                        workflow_decl = Some(w);
                        for step in &w.steps {
                            for step_item in step.block.iter().flatten() {
                                if let ast::StepItem::Field(f) = step_item {
                                    field_decls.push((f, Some(StepId(step.id.name.clone()))));
                                }
                            }
                        }
                    }
                }
                ast::BlueprintItem::Role(r) => scope.declare_role(self, file, r),
                ast::BlueprintItem::Permission(_) | ast::BlueprintItem::Matrix(_) => {}
            }
        }

        // Fields: item-level and step fields share one namespace.
        let mut fields: Vec<Field> = Vec::new();
        let mut field_spans: HashMap<String, Span> = HashMap::new();
        for (f, step) in field_decls {
            if let Some(first) = field_spans.get(&f.id.name) {
                self.report(duplicate_name(
                    Code::DuplicateField,
                    "field",
                    &f.id.name,
                    file,
                    f.id.span,
                    file,
                    *first,
                ));
                continue;
            }
            field_spans.insert(f.id.name.clone(), f.id.span);
            if let Some(field) = self.field(file, f, step, known, &scope) {
                fields.push(field);
            }
        }

        // Roles (declared above so principals can use roles declared later).
        let mut roles = BTreeMap::new();
        for r in scope.role_decls.clone() {
            let principals = self.principals(file, &r.principals, &mut scope, Some(&r.id.name));
            roles.insert(
                RoleId(r.id.name.clone()),
                Role {
                    id: RoleId(r.id.name.clone()),
                    doc: r.docs.join("\n").trim().to_string(),
                    principals,
                },
            );
        }

        let mut permissions = Permissions {
            read: vec![Principal::Everyone],
            write: vec![Principal::Role {
                role: RoleId("creator".into()),
            }],
            delete: vec![Principal::Role {
                role: RoleId("creator".into()),
            }],
        };
        let mut permission_seen: HashMap<String, Span> = HashMap::new();
        let mut matrices = Vec::new();
        let mut matrix_seen: HashMap<String, Span> = HashMap::new();
        for item in &decl.items {
            match item {
                ast::BlueprintItem::Permission(p) => {
                    let principals = self.principals(file, &p.principals, &mut scope, None);
                    let slot = match p.kind.name.as_str() {
                        "read" => &mut permissions.read,
                        "write" => &mut permissions.write,
                        "delete" => &mut permissions.delete,
                        _ => {
                            self.report(unknown_word(
                                Code::UnknownPermission,
                                file,
                                &p.kind,
                                "permission",
                                &["read", "write", "delete"],
                                "permissions are `read`, `write` and `delete`",
                            ));
                            continue;
                        }
                    };
                    if let Some(first) = permission_seen.get(&p.kind.name) {
                        self.report(
                            Diagnostic::new(Code::DuplicatePermission, file, p.kind.span, "set again here", format!("permission `{}` is set twice", p.kind.name))
                                .with_label(*first, "first set here")
                                .with_help("list every principal in one `permission` line, separated by commas"),
                        );
                        continue;
                    }
                    permission_seen.insert(p.kind.name.clone(), p.kind.span);
                    *slot = principals;
                }
                ast::BlueprintItem::Matrix(m) => {
                    if let Some(first) = matrix_seen.get(&m.id.name) {
                        self.report(duplicate_name(
                            Code::DuplicateMatrix,
                            "matrix",
                            &m.id.name,
                            file,
                            m.id.span,
                            file,
                            *first,
                        ));
                        continue;
                    }
                    matrix_seen.insert(m.id.name.clone(), m.id.span);
                    if let Some(matrix) = self.matrix(file, m, &fields) {
                        matrices.push(matrix);
                    }
                }
                _ => {}
            }
        }

        let workflow = workflow_decl.and_then(|w| self.workflow(file, w, &mut scope));

        let script = script_decl.and_then(|(path, span)| self.script(file, path, span, &fields));

        scope.check_role_cycles(self, file);
        scope.report_unused_roles(self, file);

        Blueprint {
            id: BlueprintId(decl.id.name.clone()),
            label: self.label(file, &decl.label, &decl.id.name),
            doc: decl.docs.join("\n").trim().to_string(),
            version: version.map_or(1, |(v, _)| v),
            parent: outline.parent.as_ref().map(|(p, _)| BlueprintId(p.clone())),
            script,
            fields,
            roles,
            permissions,
            workflow,
            matrices,
        }
    }

    fn field(
        &mut self,
        file: &Arc<SourceFile>,
        f: &ast::FieldDecl,
        step: Option<StepId>,
        known: &BTreeSet<String>,
        scope: &Scope<'_>,
    ) -> Option<Field> {
        let ty = self.field_type(file, &f.ty, Some(known));
        let mut required: Option<Span> = None;
        let mut default: Option<(&ast::ValueExpr, Span)> = None;
        let mut help: Option<(String, Span)> = None;
        for option in &f.options {
            match option {
                ast::FieldOption::Required(span) => {
                    if let Some(first) = required {
                        self.report(duplicate_setting(file, "required", *span, first));
                    }
                    required = Some(*span);
                }
                ast::FieldOption::Default(v, span) => {
                    if let Some((_, first)) = default {
                        self.report(duplicate_setting(file, "=", *span, first));
                        continue;
                    }
                    default = Some((v, *span));
                }
                ast::FieldOption::Help(h, span) => {
                    if let Some((_, first)) = help {
                        self.report(duplicate_setting(file, "help", *span, first));
                        continue;
                    }
                    help = Some((self.string(file, h), *span));
                }
            }
        }
        let label = self.label(file, &f.label, &f.id.name);
        let ty = ty?;
        let default = match default {
            Some((v, _)) => match values::default_value(file, v, &ty) {
                Ok(value) => {
                    if let Value::Principal(PrincipalRef::Role(role)) = &value
                        && !scope.has_role(role)
                    {
                        self.report(scope.unknown_role(file, role, v.span()));
                    }
                    Some(value)
                }
                Err(d) => {
                    self.report(*d);
                    None
                }
            },
            None => None,
        };
        Some(Field {
            id: FieldId(f.id.name.clone()),
            label,
            doc: f.docs.join("\n").trim().to_string(),
            ty,
            required: required.is_some(),
            default,
            help: help.map(|(h, _)| h),
            step,
        })
    }

    fn principals(
        &mut self,
        file: &Arc<SourceFile>,
        list: &[ast::PrincipalExpr],
        scope: &mut Scope<'_>,
        in_role: Option<&str>,
    ) -> Vec<Principal> {
        let mut out = Vec::new();
        for p in list {
            let principal = match p {
                ast::PrincipalExpr::User(s, span)
                | ast::PrincipalExpr::Group(s, span)
                | ast::PrincipalExpr::ApiKey(s, span) => {
                    let name = self.string(file, s);
                    if name.trim().is_empty() {
                        self.report(
                            Diagnostic::new(
                                Code::EmptyName,
                                file,
                                *span,
                                "empty name",
                                "principal has an empty name",
                            )
                            .with_help(
                                "write the name of the user, group or API key between the quotes",
                            ),
                        );
                        continue;
                    }
                    match p {
                        ast::PrincipalExpr::User(..) => Principal::User { name },
                        ast::PrincipalExpr::Group(..) => Principal::Group { name },
                        _ => Principal::ApiKey { name },
                    }
                }
                ast::PrincipalExpr::Everyone(_) => Principal::Everyone,
                ast::PrincipalExpr::Role(r, _) => {
                    if r.name == "everyone" {
                        Principal::Everyone
                    } else if r.name == "creator" || scope.has_role(&r.name) {
                        scope.use_role(&r.name, in_role);
                        Principal::Role {
                            role: RoleId(r.name.clone()),
                        }
                    } else {
                        self.report(scope.unknown_role(file, &r.name, r.span));
                        continue;
                    }
                }
                ast::PrincipalExpr::Field(f, _) => {
                    match scope.own_fields().get(&f.name) {
                        None => {
                            let help = did_you_mean(
                                &f.name,
                                scope.own_fields().keys().map(String::as_str),
                                format!(
                                    "declare `field {}: [principal]` in blueprint `{}`",
                                    f.name, scope.blueprint
                                ),
                            );
                            self.report(
                                Diagnostic::new(
                                    Code::UnknownField,
                                    file,
                                    f.span,
                                    "no such field",
                                    format!(
                                        "unknown field `{}` in blueprint `{}`",
                                        f.name, scope.blueprint
                                    ),
                                )
                                .with_help(help),
                            );
                            continue;
                        }
                        Some(Some(ty)) if !ty.holds_principals() => {
                            self.report(not_principal_field(file, &f.name, f.span, ty));
                            continue;
                        }
                        _ => {}
                    }
                    Principal::Field {
                        field: FieldId(f.name.clone()),
                    }
                }
                ast::PrincipalExpr::AncestorField(b, f, _) => {
                    let Some(target) = scope.outlines.get(&b.name) else {
                        let help = did_you_mean(
                            &b.name,
                            scope.outlines.keys().map(String::as_str),
                            "`BLUEPRINT.field ID` names a blueprint of this set",
                        );
                        self.report(
                            Diagnostic::new(
                                Code::UnknownBlueprint,
                                file,
                                b.span,
                                "no such blueprint",
                                format!("unknown blueprint `{}`", b.name),
                            )
                            .with_help(help),
                        );
                        continue;
                    };
                    if !scope.lineage.contains(&b.name) {
                        let chain = scope.lineage.join(" → ");
                        self.report(
                            Diagnostic::new(
                                Code::NotAnAncestor,
                                file,
                                b.span,
                                "not an ancestor",
                                format!(
                                    "blueprint `{}` is not an ancestor of `{}`",
                                    b.name, scope.blueprint
                                ),
                            )
                            .with_help(format!(
                                "fields can be read from the item itself or its ancestors: {chain}"
                            )),
                        );
                        continue;
                    }
                    match target.fields.get(&f.name) {
                        None => {
                            let help = did_you_mean(
                                &f.name,
                                target.fields.keys().map(String::as_str),
                                format!(
                                    "declare `field {}: [principal]` in blueprint `{}`",
                                    f.name, b.name
                                ),
                            );
                            self.report(
                                Diagnostic::new(
                                    Code::UnknownField,
                                    file,
                                    f.span,
                                    "no such field",
                                    format!("unknown field `{}` in blueprint `{}`", f.name, b.name),
                                )
                                .with_help(help),
                            );
                            continue;
                        }
                        Some(Some(ty)) if !ty.holds_principals() => {
                            self.report(not_principal_field(file, &f.name, f.span, ty));
                            continue;
                        }
                        _ => {}
                    }
                    Principal::AncestorField {
                        blueprint: BlueprintId(b.name.clone()),
                        field: FieldId(f.name.clone()),
                    }
                }
            };
            out.push(principal);
        }
        out
    }

    fn matrix(
        &mut self,
        file: &Arc<SourceFile>,
        m: &ast::MatrixDecl,
        fields: &[Field],
    ) -> Option<Matrix> {
        let mut axes: HashMap<&str, (FieldId, Span)> = HashMap::new();
        let mut valid = true;
        for axis in &m.axes {
            if let Some((_, first)) = axes.get(axis.axis.as_str()) {
                self.report(duplicate_setting(file, &axis.axis, axis.span, *first));
                continue;
            }
            match fields.iter().find(|f| f.id.0 == axis.field.name) {
                None => {
                    let help = did_you_mean(
                        &axis.field.name,
                        fields.iter().map(|f| f.id.0.as_str()),
                        "matrix axes name fields of the blueprint",
                    );
                    self.report(
                        Diagnostic::new(
                            Code::UnknownField,
                            file,
                            axis.field.span,
                            "no such field",
                            format!(
                                "unknown field `{}` on matrix axis `{}`",
                                axis.field.name, axis.axis
                            ),
                        )
                        .with_help(help),
                    );
                    valid = false;
                }
                Some(f) if !f.ty.is_numeric_or_enum() => {
                    self.report(
                        Diagnostic::new(Code::NonNumericAxis, file, axis.field.span, format!("a `{}` field", f.ty.describe()), format!("matrix axis `{}` shows field `{}`, which is neither numeric nor an enum", axis.axis, f.id))
                            .with_help("axes show `int`, `int(LO..HI)`, `number` or `enum(...)` fields"),
                    );
                    valid = false;
                }
                Some(_) => {}
            }
            axes.insert(&axis.axis, (FieldId(axis.field.name.clone()), axis.span));
        }
        for required in ["x", "y"] {
            if !axes.contains_key(required) {
                self.report(
                    Diagnostic::new(Code::MissingAxis, file, m.id.span, format!("no `{required}` axis"), format!("matrix `{}` has no `{required}` axis", m.id.name))
                        .with_help(format!("add `{required} FIELD` with a numeric or enum field, e.g. `{{ x value  y risk }}`")),
                );
                valid = false;
            }
        }
        if !valid {
            return None;
        }
        let take =
            |axes: &mut HashMap<&str, (FieldId, Span)>, k: &str| axes.remove(k).map(|(f, _)| f);
        Some(Matrix {
            id: MatrixId(m.id.name.clone()),
            label: self.label(file, &m.label, &m.id.name),
            doc: m.docs.join("\n").trim().to_string(),
            x: take(&mut axes, "x")?,
            y: take(&mut axes, "y")?,
            size: take(&mut axes, "size"),
            color: take(&mut axes, "color"),
        })
    }

    fn workflow(
        &mut self,
        file: &Arc<SourceFile>,
        w: &ast::WorkflowDecl,
        scope: &mut Scope<'_>,
    ) -> Option<Workflow> {
        if w.steps.is_empty() {
            self.report(
                Diagnostic::new(Code::EmptyWorkflow, file, w.span, "no step", "workflow has no step")
                    .with_help("add at least one `step ID \"Label\"`, or remove the workflow: an item without one has no steps"),
            );
            return None;
        }
        let mut steps = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for s in &w.steps {
            if let Some(first) = seen.get(&s.id.name) {
                self.report(duplicate_name(
                    Code::DuplicateStep,
                    "step",
                    &s.id.name,
                    file,
                    s.id.span,
                    file,
                    *first,
                ));
                continue;
            }
            seen.insert(s.id.name.clone(), s.id.span);
            let mut help: Option<(String, Span)> = None;
            let mut signoff: Option<(Option<SignOff>, Span)> = None;
            let mut step_fields = Vec::new();
            for item in s.block.iter().flatten() {
                match item {
                    ast::StepItem::Field(f) => step_fields.push(FieldId(f.id.name.clone())),
                    ast::StepItem::Help(h, span) => {
                        if let Some((_, first)) = help {
                            self.report(duplicate_setting(file, "help", *span, first));
                            continue;
                        }
                        help = Some((self.string(file, h), *span));
                    }
                    ast::StepItem::SignOff(o) => {
                        if let Some((_, first)) = signoff {
                            self.report(
                                Diagnostic::new(Code::MultipleSignOffs, file, o.span, "second sign-off", format!("step `{}` has more than one sign-off", s.id.name))
                                    .with_label(first, "first sign-off")
                                    .with_help("a step has at most one sign-off: merge their feedback groups, or split the step in two"),
                            );
                            continue;
                        }
                        signoff = Some((self.signoff(file, o, scope), o.span));
                    }
                }
            }
            steps.push(Step {
                id: StepId(s.id.name.clone()),
                label: self.label(file, &s.label, &s.id.name),
                doc: s.docs.join("\n").trim().to_string(),
                help: help.map(|(h, _)| h),
                fields: step_fields,
                signoff: signoff.and_then(|(o, _)| o),
            });
        }
        Some(Workflow { steps })
    }

    fn signoff(
        &mut self,
        file: &Arc<SourceFile>,
        o: &ast::SignOffDecl,
        scope: &mut Scope<'_>,
    ) -> Option<SignOff> {
        let mut mandatory: Option<Span> = None;
        let mut gates: Option<(bool, Span)> = None;
        let mut reset: Option<(Option<Duration>, Span)> = None;
        let mut feedback = Vec::new();
        let mut groups_seen: HashMap<String, Span> = HashMap::new();
        let mut finals: Vec<(Option<FinalApproval>, Span)> = Vec::new();
        let mut valid = true;
        for item in &o.items {
            match item {
                ast::SignOffItem::Mandatory(span) => {
                    if let Some(first) = mandatory {
                        self.report(duplicate_setting(file, "mandatory", *span, first));
                    }
                    mandatory = Some(*span);
                }
                ast::SignOffItem::Gates(target, span) => {
                    if let Some((_, first)) = gates {
                        self.report(duplicate_setting(file, "gates", *span, first));
                        continue;
                    }
                    let value = match target.name.as_str() {
                        "deployment" => true,
                        "nothing" => false,
                        _ => {
                            self.report(unknown_word(
                                Code::UnknownGate,
                                file,
                                target,
                                "gate",
                                &["deployment", "nothing"],
                                "write `gates deployment` (the default) or `gates nothing`",
                            ));
                            valid = false;
                            continue;
                        }
                    };
                    gates = Some((value, *span));
                }
                ast::SignOffItem::ResetEvery(d, span) => {
                    if let Some((_, first)) = reset {
                        self.report(duplicate_setting(file, "reset every", *span, first));
                        continue;
                    }
                    let duration =
                        match values::duration(file, &d.amount, &d.unit.name, d.unit.span) {
                            Ok(d) => Some(d),
                            Err(problems) => {
                                for p in problems {
                                    self.report(p);
                                }
                                valid = false;
                                None
                            }
                        };
                    reset = Some((duration, *span));
                }
                ast::SignOffItem::Feedback(g) => {
                    if let Some(first) = groups_seen.get(&g.id.name) {
                        self.report(duplicate_name(
                            Code::DuplicateFeedbackGroup,
                            "feedback group",
                            &g.id.name,
                            file,
                            g.id.span,
                            file,
                            *first,
                        ));
                        continue;
                    }
                    groups_seen.insert(g.id.name.clone(), g.id.span);
                    if g.id.name == "final" {
                        self.report(
                            Diagnostic::new(Code::ReservedName, file, g.id.span, "reserved", "feedback group cannot be named `final`")
                                .with_help("`final` names the final approval in commands such as `govrt signoff delegate ITEM final USER`; choose another id"),
                        );
                        valid = false;
                        continue;
                    }
                    match self.feedback_group(file, g, scope) {
                        Some(group) => feedback.push(group),
                        None => valid = false,
                    }
                }
                ast::SignOffItem::Final(f) => {
                    let approval = self.final_approval(file, f, scope);
                    finals.push((approval, f.span));
                }
            }
        }
        let final_approval = match finals.as_slice() {
            [] => {
                self.report(
                    Diagnostic::new(Code::MissingFinal, file, o.span, "no final approval", "sign-off has no final approval")
                        .with_help("add `final { reviewers = ... }`: every sign-off ends with one final approval"),
                );
                return None;
            }
            [(approval, _)] => approval.clone()?,
            [(_, first), rest @ ..] => {
                for (_, span) in rest {
                    self.report(
                        Diagnostic::new(
                            Code::MultipleFinals,
                            file,
                            *span,
                            "another final approval",
                            "sign-off has more than one final approval",
                        )
                        .with_label(*first, "first final approval")
                        .with_help(
                            "keep one `final { ... }` and list every approver in its `reviewers`",
                        ),
                    );
                }
                return None;
            }
        };
        if !valid {
            return None;
        }
        Some(SignOff {
            label: match &o.label {
                Some(l) => self.string(file, l),
                None => "Sign-off".to_string(),
            },
            doc: o.docs.join("\n").trim().to_string(),
            mandatory: mandatory.is_some(),
            gates_deployment: gates.is_none_or(|(g, _)| g),
            feedback,
            final_approval,
            reset_every: reset.and_then(|(d, _)| d),
        })
    }

    fn feedback_group(
        &mut self,
        file: &Arc<SourceFile>,
        g: &ast::FeedbackDecl,
        scope: &mut Scope<'_>,
    ) -> Option<FeedbackGroup> {
        let mut reviewers: Option<(Vec<Principal>, Span)> = None;
        let mut min: Option<(u32, Span)> = None;
        let mut help: Option<(String, Span)> = None;
        let mut valid = true;
        for item in &g.items {
            match item {
                ast::FeedbackItem::Reviewers(list, span) => {
                    if let Some((_, first)) = reviewers {
                        self.report(duplicate_setting(file, "reviewers", *span, first));
                        continue;
                    }
                    reviewers = Some((self.principals(file, list, scope, None), *span));
                }
                ast::FeedbackItem::Min(n, span) => {
                    if let Some((_, first)) = min {
                        self.report(duplicate_setting(file, "min", *span, first));
                        continue;
                    }
                    match values::int(file, n) {
                        Ok(v) if v >= 1 && v <= i64::from(u32::MAX) => {
                            min = Some((v as u32, *span))
                        }
                        Ok(v) if v >= 1 => {
                            self.report(
                                Diagnostic::new(Code::NumberOutOfRange, file, n.span, "too large", format!("`min {v}` is out of range"))
                                    .with_help("`min` is how many reviews the group needs; keep it below 4294967296"),
                            );
                            valid = false;
                        }
                        Ok(_) => {
                            self.report(
                                Diagnostic::new(Code::ZeroMin, file, n.span, "must be at least 1", format!("feedback group `{}` needs `min` of at least 1", g.id.name))
                                    .with_help("`min N` is how many reviews the group needs to be complete; remove it for the default of 1"),
                            );
                            valid = false;
                        }
                        Err(d) => {
                            self.report(*d);
                            valid = false;
                        }
                    }
                }
                ast::FeedbackItem::Help(h, span) => {
                    if let Some((_, first)) = help {
                        self.report(duplicate_setting(file, "help", *span, first));
                        continue;
                    }
                    help = Some((self.string(file, h), *span));
                }
            }
        }
        let Some((reviewers, _)) = reviewers else {
            self.report(
                Diagnostic::new(
                    Code::MissingReviewers,
                    file,
                    g.id.span,
                    "no reviewers",
                    format!("feedback group `{}` has no reviewers", g.id.name),
                )
                .with_help("add `reviewers = ...`, e.g. `{ reviewers = group \"risk\" }`"),
            );
            return None;
        };
        valid.then(|| FeedbackGroup {
            id: FeedbackGroupId(g.id.name.clone()),
            label: match &g.label {
                Some(l) => self.string(file, l),
                None => label_from_id(&g.id.name),
            },
            doc: g.docs.join("\n").trim().to_string(),
            reviewers,
            min: min.map_or(1, |(m, _)| m),
            help: help.map(|(h, _)| h),
        })
    }

    fn final_approval(
        &mut self,
        file: &Arc<SourceFile>,
        f: &ast::FinalDecl,
        scope: &mut Scope<'_>,
    ) -> Option<FinalApproval> {
        let mut reviewers: Option<(Vec<Principal>, Span)> = None;
        let mut not_requester: Option<Span> = None;
        for item in &f.items {
            match item {
                ast::FinalItem::Reviewers(list, span) => {
                    if let Some((_, first)) = reviewers {
                        self.report(duplicate_setting(file, "reviewers", *span, first));
                        continue;
                    }
                    reviewers = Some((self.principals(file, list, scope, None), *span));
                }
                ast::FinalItem::NotRequester(span) => {
                    if let Some(first) = not_requester {
                        self.report(duplicate_setting(file, "not requester", *span, first));
                    }
                    not_requester = Some(*span);
                }
            }
        }
        let Some((reviewers, _)) = reviewers else {
            self.report(
                Diagnostic::new(Code::MissingReviewers, file, f.span, "no reviewers", "final approval has no reviewers")
                    .with_help("add `reviewers = ...`, e.g. `final { reviewers = role approvers  not requester }`"),
            );
            return None;
        };
        Some(FinalApproval {
            doc: f.docs.join("\n").trim().to_string(),
            reviewers,
            not_requester: not_requester.is_some(),
        })
    }

    fn script(
        &mut self,
        file: &Arc<SourceFile>,
        path: &ast::StringLit,
        span: Span,
        fields: &[Field],
    ) -> Option<Script> {
        let written = self.string(file, path);
        let base = Path::new(&file.name).parent().unwrap_or(Path::new(""));
        let full = base.join(&written);
        match self.scripts.read(&full) {
            Ok(text) => {
                let script_file = SourceFile::new(full.display().to_string(), text);
                let names: Vec<&str> = fields.iter().map(|f| f.id.0.as_str()).collect();
                let (script, diagnostics) = scripts::check_script(&written, &script_file, &names);
                self.diagnostics.extend(diagnostics);
                script
            }
            Err(e) => {
                let why = match e.kind() {
                    std::io::ErrorKind::NotFound => "no such file".to_string(),
                    _ => e.to_string(),
                };
                self.report(
                    Diagnostic::new(
                        Code::MissingScript,
                        file,
                        path.span,
                        why.clone(),
                        format!("cannot read script `{written}`: {why}"),
                    )
                    .with_help(format!(
                        "the path is relative to this file's folder, so govrt looked for `{}`",
                        full.display()
                    )),
                );
                let _ = span;
                None
            }
        }
    }
}

fn not_principal_field(
    file: &Arc<SourceFile>,
    name: &str,
    span: Span,
    ty: &FieldType,
) -> Diagnostic {
    Diagnostic::new(Code::NotPrincipalField, file, span, format!("a `{}` field", ty.describe()), format!("field `{name}` holds no users, groups or principals"))
        .with_help("reviewers and roles can only come from `user`, `group` or `principal` fields, or lists of them")
}

/// Names visible inside one blueprint: its roles, its fields and its ancestors.
struct Scope<'a> {
    blueprint: String,
    /// The blueprint itself, then its ancestors, nearest first.
    lineage: Vec<String>,
    outlines: &'a BTreeMap<String, Outline<'a>>,
    own: &'a Outline<'a>,
    role_decls: Vec<&'a ast::RoleDecl>,
    role_spans: HashMap<String, Span>,
    /// Which roles are used, and by which other roles (for cycles).
    used: BTreeSet<String>,
    role_edges: BTreeMap<String, BTreeSet<String>>,
}

impl<'a> Scope<'a> {
    fn new(id: &str, own: &'a Outline<'a>, outlines: &'a BTreeMap<String, Outline<'a>>) -> Self {
        let mut lineage = vec![id.to_string()];
        let mut current = own.parent.as_ref().map(|(p, _)| p.clone());
        while let Some(p) = current {
            if lineage.contains(&p) {
                break;
            }
            lineage.push(p.clone());
            current = outlines
                .get(&p)
                .and_then(|o| o.parent.as_ref().map(|(p, _)| p.clone()));
        }
        Scope {
            blueprint: id.to_string(),
            lineage,
            outlines,
            own,
            role_decls: Vec::new(),
            role_spans: HashMap::new(),
            used: BTreeSet::new(),
            role_edges: BTreeMap::new(),
        }
    }

    fn own_fields(&self) -> &BTreeMap<String, Option<FieldType>> {
        &self.own.fields
    }

    fn declare_role(
        &mut self,
        checker: &mut Checker<'_>,
        file: &Arc<SourceFile>,
        r: &'a ast::RoleDecl,
    ) {
        if r.id.name == "creator" || r.id.name == "everyone" {
            checker.report(
                Diagnostic::new(
                    Code::ReservedName,
                    file,
                    r.id.span,
                    "built-in role",
                    format!("role `{}` is built in", r.id.name),
                )
                .with_help(format!(
                    "`{}` is always defined; choose another id for this role",
                    r.id.name
                )),
            );
            return;
        }
        if let Some(first) = self.role_spans.get(&r.id.name) {
            checker.report(duplicate_name(
                Code::DuplicateRole,
                "role",
                &r.id.name,
                file,
                r.id.span,
                file,
                *first,
            ));
            return;
        }
        self.role_spans.insert(r.id.name.clone(), r.id.span);
        self.role_decls.push(r);
    }

    fn has_role(&self, name: &str) -> bool {
        name == "creator" || self.role_spans.contains_key(name)
    }

    fn use_role(&mut self, name: &str, in_role: Option<&str>) {
        match in_role {
            Some(from) => {
                self.role_edges
                    .entry(from.to_string())
                    .or_default()
                    .insert(name.to_string());
            }
            None => {
                self.used.insert(name.to_string());
            }
        }
    }

    fn unknown_role(&self, file: &Arc<SourceFile>, name: &str, span: Span) -> Diagnostic {
        let mut candidates: Vec<&str> = self.role_spans.keys().map(String::as_str).collect();
        candidates.push("creator");
        let help = did_you_mean(
            name,
            candidates,
            format!(
                "declare it with `role {name} = ...` in blueprint `{}`",
                self.blueprint
            ),
        );
        Diagnostic::new(
            Code::UnknownRole,
            file,
            span,
            "no such role",
            format!("unknown role `{name}` in blueprint `{}`", self.blueprint),
        )
        .with_help(help)
    }

    fn check_role_cycles(&self, checker: &mut Checker<'_>, file: &Arc<SourceFile>) {
        let mut reported = BTreeSet::new();
        for start in self.role_edges.keys() {
            let mut stack = vec![(start.clone(), vec![start.clone()])];
            while let Some((node, path)) = stack.pop() {
                for next in self.role_edges.get(&node).into_iter().flatten() {
                    if next == start {
                        if path.iter().all(|p| !reported.contains(p)) {
                            let mut cycle = path.clone();
                            cycle.push(start.clone());
                            let span = self.role_spans.get(start).copied().unwrap_or_default();
                            checker.report(
                                Diagnostic::new(Code::RoleCycle, file, span, "defined in terms of itself", format!("role `{start}` is defined in terms of itself: {}", cycle.join(" → ")))
                                    .with_help("a role must end in users, groups, API keys, fields or `everyone`: break the cycle"),
                            );
                            reported.extend(path.iter().cloned());
                        }
                    } else if !path.contains(next) {
                        let mut longer = path.clone();
                        longer.push(next.clone());
                        stack.push((next.clone(), longer));
                    }
                }
            }
        }
    }

    fn report_unused_roles(&self, checker: &mut Checker<'_>, file: &Arc<SourceFile>) {
        // A role is used when something outside the roles uses it, or a used
        // role is defined through it.
        let mut used = self.used.clone();
        let mut frontier: Vec<String> = used.iter().cloned().collect();
        while let Some(role) = frontier.pop() {
            for next in self.role_edges.get(&role).into_iter().flatten() {
                if used.insert(next.clone()) {
                    frontier.push(next.clone());
                }
            }
        }
        for r in &self.role_decls {
            if !used.contains(&r.id.name) {
                checker.report(
                    Diagnostic::new(Code::UnusedRole, file, r.id.span, "never used", format!("role `{}` is never used", r.id.name))
                        .with_help(format!("use it in a `permission`, a `reviewers` list or another role (`role {}`), or remove it", r.id.name)),
                );
            }
        }
    }
}

//! Syntax trees → the checked [`BlueprintSet`]: names, references, cycles,
//! types, defaults and scripts. Every problem of every file is reported, not
//! only the first; a set is returned only when there is no error.
//!
//! This is the only place a `BlueprintSet` is built.

mod blueprint;
mod calendars;
mod conditions;
mod controls;
mod exclusions;
mod fields;
mod files;
mod filters;
mod infrastructure;
mod migrations;
mod principals;
pub mod scripts;
mod service;
mod tables;
pub mod values;
mod workflow;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
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

pub use files::{DiskScripts, ScriptSource, collect_files, read_sources};
pub use filters::check_filter;

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
pub fn parse_all(sources: &[Arc<SourceFile>]) -> Vec<Result<ast::File, Vec<Diagnostic>>> {
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
            Err(mut d) => diagnostics.append(&mut d),
        }
    }
    let mut checker = Checker {
        diagnostics,
        scripts,
        control_refs: Vec::new(),
        calendars: BTreeMap::new(),
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
    /// Every `controls ID` written, resolved once all controls are known.
    control_refs: Vec<(Arc<SourceFile>, ast::Ident)>,
    /// The set's calendars, checked before the blueprints that name them.
    calendars: BTreeMap<String, crate::model::Calendar>,
}

impl Checker<'_> {
    /// The declarations of a kind whose id no earlier one has; reports the
    /// others as duplicates (`code`).
    fn first_of_each<'d, T>(
        &mut self,
        decls: &[(Arc<SourceFile>, &'d T)],
        code: Code,
        kind: &str,
        id: impl Fn(&T) -> &ast::Ident,
    ) -> Vec<(Arc<SourceFile>, &'d T)> {
        let mut seen: HashMap<String, (Arc<SourceFile>, Span)> = HashMap::new();
        let mut out = Vec::new();
        for (file, decl) in decls {
            let name = id(decl);
            if let Some((first_file, first)) = seen.get(&name.name) {
                let d = duplicate_name(code, kind, &name.name, file, name.span, first_file, *first);
                self.report(d);
                continue;
            }
            seen.insert(name.name.clone(), (Arc::clone(file), name.span));
            out.push((Arc::clone(file), *decl));
        }
        out
    }
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
    /// Whether `id` is the first of its name among `seen` (a `kind` of one
    /// file); a second one is reported with `code` and pointed at the first.
    pub(super) fn first_of(
        &mut self,
        seen: &mut HashMap<String, Span>,
        (code, kind): (Code, &str),
        id: &ast::Ident,
        file: &Arc<SourceFile>,
    ) -> bool {
        if let Some(first) = seen.get(&id.name) {
            let d = duplicate_name(code, kind, &id.name, file, id.span, file, *first);
            self.report(d);
            return false;
        }
        seen.insert(id.name.clone(), id.span);
        true
    }

    fn report(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// The value of a check, or `None` with its problems reported.
    pub(super) fn reported<T>(&mut self, checked: Result<T, Vec<Diagnostic>>) -> Option<T> {
        match checked {
            Ok(v) => Some(v),
            Err(problems) => {
                for p in problems {
                    self.report(p);
                }
                None
            }
        }
    }

    fn check(&mut self, trees: &[(Arc<SourceFile>, ast::File)]) -> BlueprintSet {
        // Declarations by id, first wins; later ones are reported.
        let mut outlines: BTreeMap<String, Outline<'_>> = BTreeMap::new();
        let mut infrastructures = BTreeMap::new();
        let mut infra_seen: HashMap<String, (Arc<SourceFile>, Span)> = HashMap::new();
        let mut control_decls: Vec<(Arc<SourceFile>, &ast::ControlDecl)> = Vec::new();
        let mut calendar_decls: Vec<(Arc<SourceFile>, &ast::CalendarDecl)> = Vec::new();
        let mut migrate_decls: Vec<(Arc<SourceFile>, &ast::MigrateDecl)> = Vec::new();
        let mut table_decls: Vec<(Arc<SourceFile>, &syntax::ast::TableDecl)> = Vec::new();
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
                    ast::Declaration::Control(c) => control_decls.push((Arc::clone(file), c)),
                    ast::Declaration::Calendar(c) => calendar_decls.push((Arc::clone(file), c)),
                    ast::Declaration::Migrate(m) => migrate_decls.push((Arc::clone(file), m)),
                    ast::Declaration::Table(t) => table_decls.push((Arc::clone(file), t)),
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

        self.calendars = self.resolve_calendars(&calendar_decls);
        // Types that reference blueprints can only be checked once all are known.
        let known: BTreeSet<String> = outlines.keys().cloned().collect();
        self.check_parents(&outlines);

        let mut blueprints = self.check_bodies(&outlines, &known);
        let controls = self.resolve_controls(&control_decls);
        self.check_tables(&table_decls, &outlines, &mut blueprints, &infrastructures);
        let migrations = self.check_migrations(&migrate_decls, &blueprints);
        BlueprintSet {
            blueprints,
            infrastructures,
            controls,
            calendars: std::mem::take(&mut self.calendars),
            migrations,
        }
    }

    /// The blueprints' bodies. They only read the outlines, so they are
    /// checked in parallel; each worker collects its own diagnostics (sorted
    /// at the end anyway).
    fn check_bodies(
        &mut self,
        outlines: &BTreeMap<String, Outline<'_>>,
        known: &BTreeSet<String>,
    ) -> BTreeMap<BlueprintId, Blueprint> {
        let all: Vec<&Outline<'_>> = outlines.values().collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = if all.len() < 64 {
            all.len().max(1)
        } else {
            all.len().div_ceil(threads)
        };
        let scripts = self.scripts;
        let calendars = &self.calendars;
        type Done = (
            Vec<Blueprint>,
            Vec<Diagnostic>,
            Vec<(Arc<SourceFile>, ast::Ident)>,
        );
        let results: Vec<Done> = std::thread::scope(|scope| {
            let handles: Vec<_> = all
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        let mut worker = Checker {
                            diagnostics: Vec::new(),
                            scripts,
                            control_refs: Vec::new(),
                            calendars: calendars.clone(),
                        };
                        let done = part
                            .iter()
                            .map(|o| worker.blueprint(o, outlines, known))
                            .collect();
                        (done, worker.diagnostics, worker.control_refs)
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
        for (done, diagnostics, refs) in results {
            self.diagnostics.extend(diagnostics);
            self.control_refs.extend(refs);
            for blueprint in done {
                blueprints.insert(blueprint.id.clone(), blueprint);
            }
        }
        blueprints
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
}

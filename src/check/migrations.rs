//! Migrations (`migrate BLUEPRINT N -> M { … }`), the side a set can say:
//! the blueprint is the set's and `M` its version (a set holds only the
//! current text of each blueprint), `N` comes before it, each old name is
//! mapped once, the names mapped to are the new version's, and a value set
//! fits its field. The old side is checked against the stored version N by
//! the engine, when the set is loaded and when `govrt migrate` runs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::Checker;
use super::values::default_value;
use crate::diag::{Code, Diagnostic, SourceFile};
use crate::model::{Blueprint, BlueprintId, Migration};
use crate::syntax::ast::{self, MigrateItem};

impl Checker<'_> {
    /// The migrations of a set whose blueprints are `blueprints`.
    pub(super) fn check_migrations(
        &mut self,
        decls: &[(Arc<SourceFile>, &ast::MigrateDecl)],
        blueprints: &BTreeMap<BlueprintId, Blueprint>,
    ) -> Vec<Migration> {
        let mut out: Vec<Migration> = Vec::new();
        for (file, m) in decls {
            let Some(b) = blueprints
                .values()
                .find(|b| b.id.as_str() == m.blueprint.name)
            else {
                self.report(Diagnostic::new(
                    Code::UnknownBlueprint,
                    file,
                    m.blueprint.span,
                    "no such blueprint",
                    format!("`migrate` names blueprint `{}`, which the set does not declare", m.blueprint.name),
                ).with_help("a migration moves items of a blueprint of the set: name one, or declare it"));
                continue;
            };
            let (Some(from), Some(to)) = (version(&m.from), version(&m.to)) else {
                self.invalid(
                    file,
                    m.from.span,
                    "a migration's versions are positive integers",
                    "not a version",
                );
                continue;
            };
            if to != b.version {
                self.invalid(
                    file,
                    m.to.span,
                    &format!(
                        "`{}` is at version {} in the set, not {to}",
                        b.id, b.version
                    ),
                    "not the set's version",
                );
                continue;
            }
            if from >= to {
                self.invalid(
                    file,
                    m.from.span,
                    &format!("a migration goes forward: {from} is not before {to}"),
                    "not before the target",
                );
                continue;
            }
            if out.iter().any(|o| o.blueprint == b.id && o.from == from) {
                self.invalid(
                    file,
                    m.span,
                    &format!("`{}` has two migrations from version {from}", b.id),
                    "a second migration",
                );
                continue;
            }
            out.push(self.migration(file, m, b, from));
        }
        out
    }

    fn migration(
        &mut self,
        file: &Arc<SourceFile>,
        m: &ast::MigrateDecl,
        b: &Blueprint,
        from: u32,
    ) -> Migration {
        let mut migration = Migration {
            blueprint: b.id.clone(),
            from,
            to: b.version,
            steps: BTreeMap::new(),
            fields: BTreeMap::new(),
            sets: BTreeMap::new(),
            drops: BTreeSet::new(),
            signoffs: BTreeMap::new(),
        };
        let mut mapped: BTreeSet<(&str, &str)> = BTreeSet::new();
        for item in &m.items {
            let (kind, old) = match item {
                MigrateItem::Step(old, ..) => ("step", old),
                MigrateItem::Field(old, ..) | MigrateItem::Drop(old, _) => ("field", old),
                MigrateItem::Set(field, ..) => ("set", field),
                MigrateItem::SignOff(old, ..) => ("signoff", old),
            };
            if !mapped.insert((kind, old.name.as_str())) {
                let what = if kind == "set" {
                    "given a value"
                } else {
                    "mapped"
                };
                self.invalid(
                    file,
                    old.span,
                    &format!("{kind} `{}` is {what} twice", old.name),
                    "again",
                );
                continue;
            }
            match item {
                MigrateItem::Step(old, new, _) => {
                    if self.new_step(file, b, new, false) {
                        migration.steps.insert(old.name.clone(), new.name.clone());
                    }
                }
                MigrateItem::Field(old, new, _) => {
                    if self.new_field(file, b, new) {
                        migration.fields.insert(old.name.clone(), new.name.clone());
                    }
                }
                MigrateItem::Set(field, value, _) => {
                    if let Some(f) = self
                        .new_field(file, b, field)
                        .then(|| b.field(&field.name))
                        .flatten()
                    {
                        match default_value(file, value, &f.ty) {
                            Ok(v) => {
                                migration.sets.insert(field.name.clone(), v);
                            }
                            Err(d) => self.report(*d),
                        }
                    }
                }
                MigrateItem::Drop(field, _) => {
                    migration.drops.insert(field.name.clone());
                }
                MigrateItem::SignOff(old, new, reset, _) => {
                    if self.new_step(file, b, new, true) {
                        migration
                            .signoffs
                            .insert(old.name.clone(), (new.name.clone(), *reset));
                    }
                }
            }
        }
        migration
    }

    /// Whether `name` is a step of the new version (with a sign-off when `signoff`).
    fn new_step(
        &mut self,
        file: &Arc<SourceFile>,
        b: &Blueprint,
        name: &ast::Ident,
        signoff: bool,
    ) -> bool {
        let step = b.step(&name.name);
        let (ok, what) = match step {
            Some(s) if !signoff || s.signoff.is_some() => return true,
            Some(_) => (
                false,
                format!("step `{}` of `{}` has no sign-off", name.name, b.id),
            ),
            None => (
                false,
                format!("`{}` has no step `{}` in the set", b.id, name.name),
            ),
        };
        if !ok {
            self.report(
                Diagnostic::new(Code::UnknownMigrationName, file, name.span, "not in the new version", what)
                    .with_help("a migration maps to the steps, fields and sign-offs of the blueprint as the set declares it"),
            );
        }
        ok
    }

    /// Whether `name` is a field of the new version.
    fn new_field(&mut self, file: &Arc<SourceFile>, b: &Blueprint, name: &ast::Ident) -> bool {
        if b.field(&name.name).is_some() {
            return true;
        }
        self.report(
            Diagnostic::new(
                Code::UnknownMigrationName,
                file,
                name.span,
                "not in the new version",
                format!("`{}` has no field `{}` in the set", b.id, name.name),
            )
            .with_help("a migration maps to the steps, fields and sign-offs of the blueprint as the set declares it"),
        );
        false
    }

    fn invalid(
        &mut self,
        file: &Arc<SourceFile>,
        span: crate::diag::Span,
        message: &str,
        label: &str,
    ) {
        self.report(
            Diagnostic::new(Code::InvalidMigration, file, span, label.to_string(), message.to_string())
                .with_help("write `migrate BLUEPRINT OLD -> NEW { … }` with NEW the version the set declares (`version N` in the blueprint), each old name mapped once"),
        );
    }
}

fn version(lit: &ast::IntLit) -> Option<u32> {
    lit.raw.parse::<u32>().ok().filter(|v| *v > 0)
}

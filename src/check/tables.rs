//! Table views (`table ID { blueprint B  columns …  filter …  sort … }`):
//! ids are unique in the set, the blueprint is the set's, each column names
//! something its items have (a field, `name`, `step`, `updated`, a step's
//! sign-off, an infrastructure), and the filter is a checked condition. A
//! checked table is attached to the blueprint it lists.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::conditions::Place;
use super::principals::Scope;
use super::{Checker, Outline, duplicate_setting};
use crate::diag::{Code, Diagnostic, SourceFile, Span, did_you_mean};
use crate::model::condition::When;
use crate::model::table::{Column, Sort, Table};
use crate::model::{Blueprint, BlueprintId, Infrastructure, InfrastructureId};
use crate::syntax::ast::{ColumnExpr, TableDecl, TableItem};
use crate::syntax::text::cond_text;

/// What a table's columns may name, besides fields.
const BUILT_IN: [&str; 3] = ["name", "step", "updated"];

impl Checker<'_> {
    /// Checks the tables of a set and attaches each to its blueprint.
    pub(super) fn check_tables(
        &mut self,
        decls: &[(Arc<SourceFile>, &TableDecl)],
        outlines: &BTreeMap<String, Outline<'_>>,
        blueprints: &mut BTreeMap<BlueprintId, Blueprint>,
        infrastructures: &BTreeMap<InfrastructureId, Infrastructure>,
    ) {
        for (file, t) in self.first_of_each(decls, Code::DuplicateTable, "table", |t| &t.id) {
            if let Some(table) = self.table(&file, t, outlines, blueprints, infrastructures)
                && let Some(b) = blueprints.get_mut(&table.blueprint)
            {
                b.tables.push(table);
            }
        }
    }

    fn table(
        &mut self,
        file: &Arc<SourceFile>,
        t: &TableDecl,
        outlines: &BTreeMap<String, Outline<'_>>,
        blueprints: &BTreeMap<BlueprintId, Blueprint>,
        infrastructures: &BTreeMap<InfrastructureId, Infrastructure>,
    ) -> Option<Table> {
        self.report_repeated_settings(file, t);
        let blueprint = t.items.iter().find_map(|i| match i {
            TableItem::Blueprint(b, _) => Some(b),
            _ => None,
        });
        let columns = t.items.iter().find_map(|i| match i {
            TableItem::Columns(c, _) => Some(c),
            _ => None,
        });
        let (Some(blueprint), Some(columns)) = (blueprint, columns) else {
            let missing = if blueprint.is_none() {
                "blueprint"
            } else {
                "columns"
            };
            self.report(
                Diagnostic::new(
                    Code::IncompleteTable,
                    file,
                    t.id.span,
                    format!("no `{missing}`"),
                    format!("table `{}` does not say its `{missing}`", t.id.name),
                )
                .with_help(
                    "a table names the blueprint whose items it lists and its columns: `blueprint model_version  columns name, step`",
                ),
            );
            return None;
        };
        let (Some(outline), Some(model)) = (
            outlines.get(&blueprint.name),
            blueprints.get(&BlueprintId(blueprint.name.clone())),
        ) else {
            let help = did_you_mean(
                &blueprint.name,
                outlines.keys().map(String::as_str),
                "a table lists the items of a blueprint of the set: name one, or declare it",
            );
            self.report(
                Diagnostic::new(
                    Code::UnknownBlueprint,
                    file,
                    blueprint.span,
                    "no such blueprint",
                    format!(
                        "table `{}` lists blueprint `{}`, which the set does not declare",
                        t.id.name, blueprint.name
                    ),
                )
                .with_help(help),
            );
            return None;
        };
        let checked: Vec<Option<Column>> = columns
            .iter()
            .map(|c| self.column(file, c, model, infrastructures))
            .collect();
        let columns: Option<Vec<Column>> = checked.into_iter().collect();
        let mut filter = None;
        let mut sort = None;
        let mut valid = columns.is_some();
        for item in &t.items {
            match item {
                TableItem::Filter(c, _) => {
                    let scope = Scope::new(&blueprint.name, outline, outlines);
                    match self.condition(file, c, &scope, Place::Filter(model)) {
                        Some(condition) => {
                            filter = Some(When {
                                text: cond_text(c),
                                restricted: scope.restricted_of(&condition),
                                condition,
                            });
                        }
                        None => valid = false,
                    }
                }
                TableItem::Sort(c, descending, _) => {
                    match self.column(file, c, model, infrastructures) {
                        Some(column) => {
                            sort = Some(Sort {
                                column,
                                descending: *descending,
                            });
                        }
                        None => valid = false,
                    }
                }
                _ => {}
            }
        }
        valid.then(|| Table {
            id: t.id.name.clone(),
            label: self.label(file, &t.label, &t.id.name),
            doc: t.docs.join("\n").trim().to_string(),
            blueprint: model.id.clone(),
            columns: columns.unwrap_or_default(),
            filter,
            sort,
        })
    }

    /// Each of a table's settings once: a repeated one is reported.
    fn report_repeated_settings(&mut self, file: &Arc<SourceFile>, t: &TableDecl) {
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for item in &t.items {
            let what = match item {
                TableItem::Blueprint(..) => "blueprint",
                TableItem::Columns(..) => "columns",
                TableItem::Filter(..) => "filter",
                TableItem::Sort(..) => "sort",
            };
            if let Some(first) = seen.get(what) {
                self.report(duplicate_setting(file, what, item.span(), *first));
            } else {
                seen.insert(what, item.span());
            }
        }
    }

    fn column(
        &mut self,
        file: &Arc<SourceFile>,
        c: &ColumnExpr,
        b: &Blueprint,
        infrastructures: &BTreeMap<InfrastructureId, Infrastructure>,
    ) -> Option<Column> {
        let (problem, candidates, help): (String, Vec<String>, &str) = match c {
            ColumnExpr::Named(i) => match i.name.as_str() {
                "name" => return Some(Column::Name),
                "step" => return Some(Column::Step),
                "updated" => return Some(Column::Updated),
                name if b.field(name).is_some() => {
                    return Some(Column::Field(i.name.as_str().into()));
                }
                name => (
                    format!(
                        "`{name}` is neither a field of `{}` nor `name`, `step` or `updated`",
                        b.id
                    ),
                    BUILT_IN
                        .iter()
                        .map(|s| s.to_string())
                        .chain(b.fields.iter().map(|f| f.id.to_string()))
                        .collect(),
                    "name a field of the blueprint, `name`, `step`, `updated`, `signoff STEP` or `deploy INFRA`",
                ),
            },
            ColumnExpr::SignOff(step, _) => {
                let with_signoff: Vec<String> = b
                    .workflow
                    .iter()
                    .flat_map(|w| &w.steps)
                    .filter(|s| s.signoff.is_some())
                    .map(|s| s.id.to_string())
                    .collect();
                if with_signoff.contains(&step.name) {
                    return Some(Column::SignOff(step.name.as_str().into()));
                }
                (
                    format!("`{}` has no step `{}` with a sign-off", b.id, step.name),
                    with_signoff,
                    "name a step of the blueprint that has a sign-off",
                )
            }
            ColumnExpr::Deploy(infra, _) => {
                if infrastructures.contains_key(&InfrastructureId(infra.name.clone())) {
                    return Some(Column::Deploy(infra.name.as_str().into()));
                }
                (
                    format!("the set declares no infrastructure `{}`", infra.name),
                    infrastructures.keys().map(|i| i.to_string()).collect(),
                    "name an infrastructure of the set",
                )
            }
        };
        let name = match c {
            ColumnExpr::Named(i) | ColumnExpr::SignOff(i, _) | ColumnExpr::Deploy(i, _) => &i.name,
        };
        let help = did_you_mean(name, candidates.iter().map(String::as_str), help);
        self.report(
            Diagnostic::new(
                Code::UnknownColumn,
                file,
                c.span(),
                "no such column",
                problem,
            )
            .with_help(help),
        );
        None
    }
}

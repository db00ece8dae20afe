//! A filter given on its own (`govrt item list --filter COND`, the API's
//! `filter=`): checked against a stored set exactly as a table's `filter`
//! over the same blueprint is, so the two accept the same conditions and
//! report the same diagnostics, each pointing into the filter's own text.

use std::sync::Arc;

use super::{Checker, ScriptSource, parse_all};
use crate::diag::{Diagnostic, Severity, SourceFile, Span};
use crate::model::condition::When;
use crate::syntax::ast::{ColumnExpr, TableDecl, TableItem};
use crate::syntax::ast::{Declaration, File, Ident};

/// The id the filter's table is checked under: no table can be written
/// with it (ids are lower-case words).
const FILTER_TABLE: &str = "--filter";

/// The checked filter over the items of `blueprint` in the set of
/// `sources`, or the errors in its text (`filter`).
pub fn check_filter(
    sources: &[Arc<SourceFile>],
    scripts: &dyn ScriptSource,
    blueprint: &str,
    filter: &Arc<SourceFile>,
) -> Result<When, Vec<Diagnostic>> {
    let condition = crate::syntax::parse_condition(filter).map_err(|d| vec![*d])?;
    let whole = Span {
        start: 0,
        end: filter.text.len(),
    };
    let word = |name: &str| Ident {
        name: name.to_string(),
        span: whole,
    };
    let table = TableDecl {
        docs: Vec::new(),
        span: whole,
        id: word(FILTER_TABLE),
        label: None,
        items: vec![
            TableItem::Blueprint(word(blueprint), whole),
            TableItem::Columns(vec![ColumnExpr::Named(word("name"))], whole),
            TableItem::Filter(condition, whole),
        ],
    };
    let mut trees: Vec<(Arc<SourceFile>, File)> = sources
        .iter()
        .zip(parse_all(sources))
        .filter_map(|(f, tree)| Some((Arc::clone(f), tree.ok()?)))
        .collect();
    trees.push((
        Arc::clone(filter),
        File {
            declarations: vec![Declaration::Table(table)],
        },
    ));
    let mut checker = Checker {
        diagnostics: Vec::new(),
        scripts,
        control_refs: Vec::new(),
        calendars: Default::default(),
    };
    let set = checker.check(&trees);
    // The set itself was checked when it was loaded: only the filter's
    // problems are the caller's.
    let errors: Vec<Diagnostic> = checker
        .diagnostics
        .into_iter()
        .filter(|d| Arc::ptr_eq(&d.file, filter) && d.severity() == Severity::Error)
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    set.blueprints
        .values()
        .flat_map(|b| &b.tables)
        .find(|t| t.id == FILTER_TABLE)
        .and_then(|t| t.filter.clone())
        .ok_or_else(Vec::new)
}

//! Table views as written (`table ID ["Label"] { blueprint B  columns COL, …
//! [filter COND]  [sort COL asc|desc] }`): their syntax tree, how pest's
//! pairs become it, and the canonical text `govrt fmt` writes. Names are
//! checked by `check::tables`.

use pest::iterators::Pair;
use serde::Serialize;

use super::ast::{Ident, StringLit};
use super::build::{build_ident, children, opening};
use super::cond::{CondExpr, build_cond, cond_text};
use super::grammar::{Rule, span_of};
use crate::diag::Span;

/// `table ID ["Label"] { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole declaration.
    pub span: Span,
    /// The id.
    pub id: Ident,
    /// The label.
    pub label: Option<StringLit>,
    /// Its items, in order.
    pub items: Vec<TableItem>,
}

/// An item of a table block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TableItem {
    /// `blueprint B`.
    Blueprint(Ident, Span),
    /// `columns COL, …`.
    Columns(Vec<ColumnExpr>, Span),
    /// `filter COND`.
    Filter(CondExpr, Span),
    /// `sort COL [asc|desc]` (`true`: descending).
    Sort(ColumnExpr, bool, Span),
}

impl TableItem {
    /// Where it is.
    pub fn span(&self) -> Span {
        match self {
            TableItem::Blueprint(_, s)
            | TableItem::Columns(_, s)
            | TableItem::Filter(_, s)
            | TableItem::Sort(_, _, s) => *s,
        }
    }
}

/// A column as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ColumnExpr {
    /// A field, or `name`, `step`, `updated`.
    Named(Ident),
    /// `signoff STEP`.
    SignOff(Ident, Span),
    /// `deploy INFRA`.
    Deploy(Ident, Span),
}

impl ColumnExpr {
    /// Where it is.
    pub fn span(&self) -> Span {
        match self {
            ColumnExpr::Named(i) => i.span,
            ColumnExpr::SignOff(_, s) | ColumnExpr::Deploy(_, s) => *s,
        }
    }

    /// As written: `risk_tier`, `signoff review`, `deploy prod`.
    pub fn text(&self) -> String {
        match self {
            ColumnExpr::Named(i) => i.name.clone(),
            ColumnExpr::SignOff(i, _) => format!("signoff {}", i.name),
            ColumnExpr::Deploy(i, _) => format!("deploy {}", i.name),
        }
    }
}

fn build_column(pair: Pair<'_, Rule>) -> Option<ColumnExpr> {
    let span = span_of(&pair);
    let inner = children(pair).next()?;
    Some(match inner.as_rule() {
        Rule::column_signoff => ColumnExpr::SignOff(
            children(inner)
                .find(|p| p.as_rule() == Rule::ident)
                .map(build_ident)?,
            span,
        ),
        Rule::column_deploy => ColumnExpr::Deploy(
            children(inner)
                .find(|p| p.as_rule() == Rule::ident)
                .map(build_ident)?,
            span,
        ),
        _ => ColumnExpr::Named(build_ident(inner)),
    })
}

/// A `table` pair.
pub(super) fn build_table(pair: Pair<'_, Rule>) -> TableDecl {
    let o = opening(pair);
    let items = o
        .parts
        .filter_map(|p| {
            let s = span_of(&p);
            Some(match p.as_rule() {
                Rule::table_blueprint => TableItem::Blueprint(
                    children(p)
                        .find(|c| c.as_rule() == Rule::ident)
                        .map(build_ident)?,
                    s,
                ),
                Rule::columns => TableItem::Columns(
                    children(p)
                        .filter(|c| c.as_rule() == Rule::column)
                        .filter_map(build_column)
                        .collect(),
                    s,
                ),
                Rule::filter => TableItem::Filter(
                    children(p)
                        .find(|c| c.as_rule() == Rule::cond)
                        .and_then(build_cond)?,
                    s,
                ),
                Rule::sort => {
                    let mut column = None;
                    let mut desc = false;
                    for c in children(p) {
                        match c.as_rule() {
                            Rule::column => column = build_column(c),
                            Rule::sort_order => desc = c.as_str().trim() == "desc",
                            _ => {}
                        }
                    }
                    TableItem::Sort(column?, desc, s)
                }
                _ => return None,
            })
        })
        .collect();
    TableDecl {
        docs: o.docs,
        span: o.span,
        id: o.id,
        label: o.label,
        items,
    }
}

/// The lines of a table's block, as `govrt fmt` writes them.
pub(super) fn item_lines(t: &TableDecl) -> Vec<String> {
    t.items
        .iter()
        .map(|item| match item {
            TableItem::Blueprint(b, _) => format!("blueprint {}", b.name),
            TableItem::Columns(cols, _) => {
                let list: Vec<String> = cols.iter().map(ColumnExpr::text).collect();
                format!("columns {}", list.join(", "))
            }
            TableItem::Filter(c, _) => format!("filter {}", cond_text(c)),
            TableItem::Sort(c, desc, _) => {
                format!("sort {} {}", c.text(), if *desc { "desc" } else { "asc" })
            }
        })
        .collect()
}

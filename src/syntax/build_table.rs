//! pest pairs → table views (`table ID ["Label"] { … }`).

use pest::iterators::Pair;

use super::ast::{ColumnExpr, TableDecl, TableItem};
use super::build_cond::build_cond;
use super::grammar::{Rule, span_of};
use super::leaves::{build_ident, children, opening};

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

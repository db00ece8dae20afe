//! pest pairs → the leaf nodes of [`super::ast`] every declaration is made
//! of: identifiers, strings, numbers, values, principals, durations, doc
//! comments and the opening (`KEYWORD ID ["Label"]`) of a declaration.

use super::ast::*;
use super::errors::is_keyword;
use super::grammar::{Rule, span_of};
use crate::diag::Span;
use pest::iterators::Pair;

/// The meaningful children of a pair: keywords dropped.
pub(super) fn children<'a>(pair: Pair<'a, Rule>) -> impl Iterator<Item = Pair<'a, Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

pub(super) fn build_ident(pair: Pair<'_, Rule>) -> Ident {
    Ident {
        name: pair.as_str().to_string(),
        span: span_of(&pair),
    }
}

pub(super) fn build_string(pair: Pair<'_, Rule>) -> StringLit {
    let pair = match pair.as_rule() {
        Rule::label => match pair.clone().into_inner().next() {
            Some(inner) => inner,
            None => pair,
        },
        _ => pair,
    };
    // `label` wraps a `string`; a `string` wraps its `string_text`.
    let span = span_of(&pair);
    let raw = pair.as_str();
    StringLit {
        raw: raw[1..raw.len().saturating_sub(1).max(1)].to_string(),
        span,
    }
}

pub(super) fn build_int(pair: Pair<'_, Rule>) -> IntLit {
    IntLit {
        raw: pair.as_str().to_string(),
        span: span_of(&pair),
    }
}

pub(super) fn build_docs(pair: Pair<'_, Rule>) -> Vec<String> {
    pair.into_inner()
        .map(|doc| {
            doc.into_inner()
                .next()
                .map_or(String::new(), |t| t.as_str().trim_end().to_string())
        })
        .collect()
}

/// Something a `docs` pair can document: its doc lines, and its span, which
/// grows to cover them.
pub(super) trait Documented {
    fn docs_and_span(&mut self) -> Option<(&mut Vec<String>, &mut Span)>;
}

/// Builds the items of a block with `build`, attaching each `docs` pair to the
/// item that follows it.
pub(super) fn with_docs<'a, T: Documented>(
    pairs: impl Iterator<Item = Pair<'a, Rule>>,
    mut build: impl FnMut(Pair<'a, Rule>) -> Option<T>,
) -> Vec<T> {
    let mut out = Vec::new();
    let mut pending: Option<(Vec<String>, usize)> = None;
    for pair in pairs {
        if pair.as_rule() == Rule::docs {
            let start = pair.as_span().start();
            pending = Some((build_docs(pair), start));
            continue;
        }
        let Some(mut item) = build(pair) else {
            continue;
        };
        if let Some((docs, start)) = pending.take()
            && let Some((slot, span)) = item.docs_and_span()
        {
            *slot = docs;
            span.start = start;
        }
        out.push(item);
    }
    out
}

/// The meaningful children of a declaration, as a list.
pub(super) fn split_docs<'a>(pair: Pair<'a, Rule>) -> (Vec<String>, Vec<Pair<'a, Rule>>) {
    (Vec::new(), children(pair).collect())
}

/// The opening every named declaration shares: its docs and span, its id
/// and label where present, and the parts that follow.
pub(super) struct Opening<'a> {
    /// Doc comment lines.
    pub(super) docs: Vec<String>,
    /// The whole declaration.
    pub(super) span: Span,
    /// The id (empty where the declaration has none).
    pub(super) id: Ident,
    /// The label, if given.
    pub(super) label: Option<StringLit>,
    /// The parts after the id and label.
    pub(super) parts: std::iter::Peekable<std::vec::IntoIter<Pair<'a, Rule>>>,
}

/// The opening of the declaration `pair`.
pub(super) fn opening(pair: Pair<'_, Rule>) -> Opening<'_> {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let mut parts = rest.into_iter().peekable();
    let id = first_ident(&mut parts);
    let label = take_label(&mut parts);
    Opening {
        docs,
        span,
        id,
        label,
        parts,
    }
}

pub(super) fn take_label(
    parts: &mut std::iter::Peekable<std::vec::IntoIter<Pair<'_, Rule>>>,
) -> Option<StringLit> {
    parts
        .next_if(|p| p.as_rule() == Rule::label)
        .map(build_string)
}

pub(super) fn first_ident(
    parts: &mut std::iter::Peekable<std::vec::IntoIter<Pair<'_, Rule>>>,
) -> Ident {
    match parts.next_if(|p| p.as_rule() == Rule::ident) {
        Some(p) => build_ident(p),
        None => Ident {
            name: String::new(),
            span: Span::default(),
        },
    }
}

pub(super) fn build_value(pair: Pair<'_, Rule>) -> ValueExpr {
    let span = span_of(&pair);
    match pair.as_rule() {
        Rule::list_value => ValueExpr::List(pair.into_inner().map(build_value).collect(), span),
        Rule::string => ValueExpr::String(build_string(pair)),
        Rule::integer => ValueExpr::Integer(build_int(pair)),
        Rule::decimal => ValueExpr::Decimal(pair.as_str().to_string(), span),
        Rule::boolean => ValueExpr::Boolean(pair.as_str() == "true", span),
        Rule::date => ValueExpr::Date(pair.as_str().to_string(), span),
        Rule::datetime => ValueExpr::DateTime(pair.as_str().to_string(), span),
        Rule::ident => ValueExpr::Ident(build_ident(pair)),
        _ => ValueExpr::Principal(build_principal(pair)),
    }
}

pub(super) fn build_principals(pair: Pair<'_, Rule>) -> Vec<PrincipalExpr> {
    pair.into_inner().map(build_principal).collect()
}

pub(super) fn build_principal(pair: Pair<'_, Rule>) -> PrincipalExpr {
    let span = span_of(&pair);
    let rule = pair.as_rule();
    let mut inner = children(pair);
    let mut next_ident = || {
        inner.next().map_or(
            Ident {
                name: String::new(),
                span,
            },
            build_ident,
        )
    };
    match rule {
        Rule::everyone => PrincipalExpr::Everyone(span),
        Rule::role_principal => PrincipalExpr::Role(next_ident(), span),
        Rule::field_principal => PrincipalExpr::Field(next_ident(), span),
        Rule::ancestor_field => {
            let blueprint = next_ident();
            let field = next_ident();
            PrincipalExpr::AncestorField(blueprint, field, span)
        }
        _ => {
            let name = inner.next().map_or(
                StringLit {
                    raw: String::new(),
                    span,
                },
                build_string,
            );
            match rule {
                Rule::group_principal => PrincipalExpr::Group(name, span),
                Rule::api_key_principal => PrincipalExpr::ApiKey(name, span),
                _ => PrincipalExpr::User(name, span),
            }
        }
    }
}

/// `N [business] unit`.
pub(super) fn build_duration(pair: Pair<'_, Rule>) -> Option<DurationLit> {
    let span = span_of(&pair);
    let mut inner = pair.into_inner().peekable();
    let amount = build_int(inner.next()?);
    let business = inner
        .next_if(|p| p.as_rule() == Rule::business)
        .map(|p| span_of(&p));
    let unit = build_ident(inner.next()?);
    Some(DurationLit {
        amount,
        business,
        unit,
        span,
    })
}

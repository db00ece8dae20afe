//! Conditions as written (`when COND` on a step, `filter COND` on a table):
//! their syntax tree, and how pest's pairs become it. Names and types are
//! checked by `check::conditions`.

use pest::iterators::Pair;
use serde::Serialize;

use super::ast::{BoundFieldExpr, DurationLit, Ident, ValueExpr};
use super::build::{build_duration, build_ident, build_value, children};
use super::grammar::{Rule, span_of};
use crate::diag::Span;

/// A condition: tests joined by `and`, `or` and `not`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum CondExpr {
    /// `A or B or …` (two or more).
    Any(Vec<CondExpr>, Span),
    /// `A and B and …` (two or more).
    All(Vec<CondExpr>, Span),
    /// `not A`.
    Not(Box<CondExpr>, Span),
    /// A test of one field.
    Test(CondTest),
    /// A test of where the item stands (filters only).
    State(StateTestExpr),
}

impl CondExpr {
    /// Where it is.
    pub fn span(&self) -> Span {
        match self {
            CondExpr::Any(_, s) | CondExpr::All(_, s) | CondExpr::Not(_, s) => *s,
            CondExpr::Test(t) => t.span,
            CondExpr::State(t) => t.span,
        }
    }
}

/// `FIELD OP VALUE`, `FIELD in (…)`, `FIELD is [not] set`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CondTest {
    /// The field tested: the item's, or an ancestor's (`project.field regulated`).
    pub subject: BoundFieldExpr,
    /// What is asked of it.
    pub check: CondCheck,
    /// The whole test.
    pub span: Span,
}

/// A test of where the item stands: `step == S`, `signoff S == STATE`,
/// `sla S breached`, `due within N days`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateTestExpr {
    /// What is asked.
    pub check: StateCheck,
    /// The whole test.
    pub span: Span,
}

/// What a test of the item's state asks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum StateCheck {
    /// `step == STEP` (true) or `step != STEP` (false).
    Step(bool, Ident),
    /// `signoff STEP == STATE` (true) or `!=` (false).
    SignOff(Ident, bool, Ident),
    /// `sla STEP breached`.
    Breached(Ident),
    /// `due within N UNIT`.
    DueWithin(DurationLit),
}

/// What a test asks of its field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum CondCheck {
    /// `is set` (false) or `is not set` (true).
    IsSet(bool),
    /// `in (A, B, …)`.
    In(Vec<ValueExpr>),
    /// `OP VALUE`.
    Compare(CompareOp, ValueExpr),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CompareOp {
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CompareOp {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    /// Whether it orders values (`<`, `<=`, `>`, `>=`) rather than compares them.
    pub fn orders(self) -> bool {
        !matches!(self, CompareOp::Eq | CompareOp::Ne)
    }

    fn parse(text: &str) -> CompareOp {
        match text {
            "!=" => CompareOp::Ne,
            "<" => CompareOp::Lt,
            "<=" => CompareOp::Le,
            ">" => CompareOp::Gt,
            ">=" => CompareOp::Ge,
            _ => CompareOp::Eq,
        }
    }
}

/// A `bound_field` pair: `FIELD` or `BLUEPRINT.field FIELD`.
pub(super) fn build_bound_field(pair: Pair<'_, Rule>) -> Option<BoundFieldExpr> {
    let span = span_of(&pair);
    let mut names: Vec<Ident> = children(pair)
        .filter(|c| c.as_rule() == Rule::ident)
        .map(build_ident)
        .collect();
    let field = names.pop()?;
    Some(BoundFieldExpr {
        blueprint: names.pop(),
        field,
        span,
    })
}

/// A `cond`, `cond_all`, `cond_not` or `cond_test` pair; a join of one
/// part is that part.
pub(super) fn build_cond(pair: Pair<'_, Rule>) -> Option<CondExpr> {
    let span = span_of(&pair);
    match pair.as_rule() {
        Rule::cond | Rule::cond_all => {
            let any = pair.as_rule() == Rule::cond;
            let mut parts: Vec<CondExpr> = children(pair)
                .filter(|p| !matches!(p.as_rule(), Rule::kw_or | Rule::kw_and))
                .filter_map(build_cond)
                .collect();
            if parts.len() == 1 {
                return parts.pop();
            }
            Some(if any {
                CondExpr::Any(parts, span)
            } else {
                CondExpr::All(parts, span)
            })
        }
        Rule::cond_not => {
            let inner = children(pair)
                .filter(|p| p.as_rule() != Rule::kw_not)
                .find_map(build_cond)?;
            Some(CondExpr::Not(Box::new(inner), span))
        }
        Rule::cond_test => {
            let mut parts = children(pair);
            let subject = build_bound_field(parts.next()?)?;
            let check = parts.next()?;
            let check = match check.as_rule() {
                Rule::is_set => {
                    CondCheck::IsSet(children(check).any(|p| p.as_rule() == Rule::negated))
                }
                Rule::in_list => CondCheck::In(
                    children(check)
                        .filter(|p| p.as_rule() != Rule::kw_in)
                        .map(build_value)
                        .collect(),
                ),
                _ => {
                    let mut inner = children(check);
                    let op = CompareOp::parse(inner.next()?.as_str());
                    CondCheck::Compare(op, build_value(inner.next()?))
                }
            };
            Some(CondExpr::Test(CondTest {
                subject,
                check,
                span,
            }))
        }
        Rule::state_step | Rule::state_signoff | Rule::state_sla | Rule::state_due => {
            build_state(pair).map(CondExpr::State)
        }
        _ => None,
    }
}

/// A `state_*` pair.
fn build_state(pair: Pair<'_, Rule>) -> Option<StateTestExpr> {
    let span = span_of(&pair);
    let rule = pair.as_rule();
    let parts: Vec<Pair<'_, Rule>> = children(pair)
        .filter(|p| {
            !matches!(
                p.as_rule(),
                Rule::kw_step
                    | Rule::kw_signoff
                    | Rule::kw_sla
                    | Rule::kw_breached
                    | Rule::kw_due
                    | Rule::kw_within
            )
        })
        .collect();
    let mut parts = parts.into_iter();
    let equal = |p: Pair<'_, Rule>| p.as_str() == "==";
    let check = match rule {
        Rule::state_step => {
            let op = equal(parts.next()?);
            StateCheck::Step(op, build_ident(parts.next()?))
        }
        Rule::state_signoff => {
            let step = build_ident(parts.next()?);
            let op = equal(parts.next()?);
            StateCheck::SignOff(step, op, build_ident(parts.next()?))
        }
        Rule::state_sla => StateCheck::Breached(build_ident(parts.next()?)),
        _ => StateCheck::DueWithin(build_duration(parts.next()?)?),
    };
    Some(StateTestExpr { check, span })
}

/// A test of the item's state as written: `signoff validation == APPROVED`.
pub fn state_text(t: &StateTestExpr) -> String {
    let op = |equal: bool| if equal { "==" } else { "!=" };
    match &t.check {
        StateCheck::Step(equal, step) => format!("step {} {}", op(*equal), step.name),
        StateCheck::SignOff(step, equal, state) => {
            format!("signoff {} {} {}", step.name, op(*equal), state.name)
        }
        StateCheck::Breached(step) => format!("sla {} breached", step.name),
        StateCheck::DueWithin(d) => format!("due within {}", super::fmt::duration(d)),
    }
}

/// A bound field as written: `risk_tier`, `project.field regulated`.
pub fn field_text(b: &BoundFieldExpr) -> String {
    match &b.blueprint {
        Some(bp) => format!("{}.field {}", bp.name, b.field.name),
        None => b.field.name.clone(),
    }
}

/// The condition in the canonical form `govrt fmt` writes: single blanks,
/// parentheses only where the precedence needs them (`not` binds tightest,
/// then `and`, then `or`).
pub fn cond_text(c: &CondExpr) -> String {
    fn part(c: &CondExpr, inside_all: bool) -> String {
        let text = cond_text(c);
        match c {
            CondExpr::Any(..) => format!("({text})"),
            CondExpr::All(..) if !inside_all => format!("({text})"),
            _ => text,
        }
    }
    match c {
        CondExpr::Any(parts, _) => parts
            .iter()
            .map(|p| part(p, true))
            .collect::<Vec<_>>()
            .join(" or "),
        CondExpr::All(parts, _) => parts
            .iter()
            .map(|p| part(p, true))
            .collect::<Vec<_>>()
            .join(" and "),
        CondExpr::Not(inner, _) => format!("not {}", part(inner, false)),
        CondExpr::State(t) => state_text(t),
        CondExpr::Test(t) => {
            let subject = field_text(&t.subject);
            match &t.check {
                CondCheck::IsSet(false) => format!("{subject} is set"),
                CondCheck::IsSet(true) => format!("{subject} is not set"),
                CondCheck::In(values) => {
                    let values: Vec<String> = values.iter().map(super::fmt::value).collect();
                    format!("{subject} in ({})", values.join(", "))
                }
                CondCheck::Compare(op, v) => {
                    format!("{subject} {} {}", op.as_str(), super::fmt::value(v))
                }
            }
        }
    }
}

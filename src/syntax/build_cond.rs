//! pest pairs → conditions (`when COND` on a step, `filter COND` on a
//! table) and the bound fields they test.

use pest::iterators::Pair;

use super::ast::{
    BoundFieldExpr, CompareOp, CondCheck, CondExpr, CondTest, Ident, StateCheck, StateTestExpr,
};
use super::grammar::{Rule, span_of};
use super::leaves::{build_duration, build_ident, build_value, children};

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

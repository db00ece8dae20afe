//! The canonical text of the small nodes, as `govrt fmt` writes them and
//! the checker quotes them: values, durations, principals, conditions and
//! the lines of a table's block.

use super::ast::*;

pub(super) fn string(s: &StringLit) -> String {
    format!("\"{}\"", s.raw)
}

pub(super) fn value(v: &ValueExpr) -> String {
    match v {
        ValueExpr::String(s) => string(s),
        ValueExpr::Integer(i) => i.raw.clone(),
        ValueExpr::Decimal(d, _) | ValueExpr::Date(d, _) | ValueExpr::DateTime(d, _) => d.clone(),
        ValueExpr::Boolean(b, _) => b.to_string(),
        ValueExpr::Ident(i) => i.name.clone(),
        ValueExpr::Principal(p) => principal(p),
        ValueExpr::List(items, _) => {
            let items: Vec<String> = items.iter().map(value).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// `5 business days`.
pub(super) fn duration(d: &DurationLit) -> String {
    let business = if d.business.is_some() {
        "business "
    } else {
        ""
    };
    format!("{} {business}{}", d.amount.raw, d.unit.name)
}

pub(super) fn principals(list: &[PrincipalExpr]) -> String {
    list.iter().map(principal).collect::<Vec<_>>().join(", ")
}

pub(super) fn principal(p: &PrincipalExpr) -> String {
    match p {
        PrincipalExpr::User(s, _) => format!("user {}", string(s)),
        PrincipalExpr::Group(s, _) => format!("group {}", string(s)),
        PrincipalExpr::ApiKey(s, _) => format!("api_key {}", string(s)),
        PrincipalExpr::Role(r, _) => format!("role {}", r.name),
        PrincipalExpr::Everyone(_) => "everyone".to_string(),
        PrincipalExpr::Field(f, _) => format!("field {}", f.name),
        PrincipalExpr::AncestorField(b, f, _) => format!("{}.field {}", b.name, f.name),
    }
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
        StateCheck::DueWithin(d) => format!("due within {}", duration(d)),
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
                    let values: Vec<String> = values.iter().map(value).collect();
                    format!("{subject} in ({})", values.join(", "))
                }
                CondCheck::Compare(op, v) => {
                    format!("{subject} {} {}", op.as_str(), value(v))
                }
            }
        }
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

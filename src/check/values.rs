//! Literals: string escapes, numbers, dates, durations, and defaults checked
//! against their field's type.

use std::sync::Arc;

use chrono::{NaiveDate, Utc};

use crate::diag::{Code, Diagnostic, SourceFile, Span, did_you_mean};
use crate::model::parse::{parse_date_time, parse_principal_ref};
use crate::model::{
    Duration, DurationUnit, FieldType, PrincipalRef, Value, WorkDuration, WorkUnit,
};
use crate::syntax::ast::{DurationLit, IntLit, PrincipalExpr, StringLit, ValueExpr};

/// Decodes the escapes of a string literal.
pub fn unescape(file: &Arc<SourceFile>, s: &StringLit) -> Result<String, Box<Diagnostic>> {
    let mut out = String::with_capacity(s.raw.len());
    let mut chars = s.raw.char_indices();
    let base = s.span.start + 1;
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let bad = |len: usize, what: &str| {
            Box::new(
                Diagnostic::new(
                    Code::InvalidEscape,
                    file,
                    Span::new(base + i, base + i + len),
                    "not a known escape",
                    format!("invalid escape {what} in string"),
                )
                .with_help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{...}` with 1 to 6 hex digits; write `\\\\` for a backslash"),
            )
        };
        match chars.next() {
            Some((_, '"')) => out.push('"'),
            Some((_, '\\')) => out.push('\\'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'u')) => {
                let rest = &s.raw[i + 2..];
                let close = rest.find('}');
                let decoded = match (rest.starts_with('{'), close) {
                    (true, Some(end)) if (2..=7).contains(&end) => {
                        u32::from_str_radix(&rest[1..end], 16)
                            .ok()
                            .and_then(char::from_u32)
                            .map(|c| (c, end))
                    }
                    _ => None,
                };
                match decoded {
                    Some((c, end)) => {
                        out.push(c);
                        for _ in 0..end + 1 {
                            chars.next();
                        }
                    }
                    None => {
                        let len = close.map_or(2, |end| end + 3);
                        let text = &s.raw[i..(i + len).min(s.raw.len())];
                        return Err(bad(text.len(), &format!("`{text}`")));
                    }
                }
            }
            Some((_, other)) => return Err(bad(1 + other.len_utf8(), &format!("`\\{other}`"))),
            None => return Err(bad(1, "`\\`")),
        }
    }
    Ok(out)
}

/// Parses a whole number.
pub fn int(file: &Arc<SourceFile>, lit: &IntLit) -> Result<i64, Box<Diagnostic>> {
    lit.raw.parse::<i64>().map_err(|_| {
        Box::new(
            Diagnostic::new(
                Code::NumberOutOfRange,
                file,
                lit.span,
                "too large",
                format!("number `{}` is out of range", lit.raw),
            )
            .with_help("whole numbers go from -9223372036854775808 to 9223372036854775807"),
        )
    })
}

/// Parses a calendar date.
pub fn date(file: &Arc<SourceFile>, text: &str, span: Span) -> Result<NaiveDate, Box<Diagnostic>> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| invalid_date(file, text, span))
}

/// Parses a date-time: RFC 3339, or without offset (then UTC), seconds optional.
pub fn date_time(
    file: &Arc<SourceFile>,
    text: &str,
    span: Span,
) -> Result<chrono::DateTime<Utc>, Box<Diagnostic>> {
    parse_date_time(text).ok_or_else(|| invalid_date(file, text, span))
}

fn invalid_date(file: &Arc<SourceFile>, text: &str, span: Span) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::new(Code::InvalidDate, file, span, "no such date", format!("`{text}` is not a valid date"))
            .with_help("dates are `YYYY-MM-DD` and date-times RFC 3339 (`2027-01-31T09:30:00Z`), with a real month, day and time"),
    )
}

/// Checks a duration: a positive amount and a known unit.
pub fn duration(file: &Arc<SourceFile>, d: &DurationLit) -> Result<Duration, Vec<Diagnostic>> {
    let (amount, unit_name, unit_span) = (&d.amount, d.unit.name.as_str(), d.unit.span);
    let mut problems = Vec::new();
    if let Some(span) = d.business {
        problems.push(
            Diagnostic::new(
                Code::UnknownDurationUnit,
                file,
                span,
                "not here",
                "`business` durations count a calendar's working time: only service levels may",
            )
            .with_help("write calendar time, e.g. `reset every 6 months`"),
        );
    }
    let unit = match unit_name {
        "day" | "days" => Some(DurationUnit::Day),
        "week" | "weeks" => Some(DurationUnit::Week),
        "month" | "months" => Some(DurationUnit::Month),
        "year" | "years" => Some(DurationUnit::Year),
        _ => {
            let units = [
                "day", "days", "week", "weeks", "month", "months", "year", "years",
            ];
            problems.push(
                Diagnostic::new(
                    Code::UnknownDurationUnit,
                    file,
                    unit_span,
                    "unknown unit",
                    format!("unknown duration unit `{unit_name}`"),
                )
                .with_help(did_you_mean(
                    unit_name,
                    units,
                    "durations count days, weeks, months or years, e.g. `6 months`",
                )),
            );
            None
        }
    };
    let amount_value = positive_amount(file, amount, &mut problems);
    match (amount_value, unit) {
        (Some(amount), Some(unit)) if problems.is_empty() => Ok(Duration { amount, unit }),
        _ => Err(problems),
    }
}

/// Checks a service-level duration (`sla`, `remind every`, `escalate
/// after`): hours, days or weeks, or `business` days or hours.
pub fn work_duration(
    file: &Arc<SourceFile>,
    d: &DurationLit,
) -> Result<WorkDuration, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let business = d.business.is_some();
    let unit = match (business, d.unit.name.as_str()) {
        (false, "hour" | "hours") => Some(WorkUnit::Hour),
        (false, "day" | "days") => Some(WorkUnit::Day),
        (false, "week" | "weeks") => Some(WorkUnit::Week),
        (true, "hour" | "hours") => Some(WorkUnit::BusinessHour),
        (true, "day" | "days") => Some(WorkUnit::BusinessDay),
        (_, name) => {
            let units: &[&str] = if business {
                &["day", "days", "hour", "hours"]
            } else {
                &["hour", "hours", "day", "days", "week", "weeks"]
            };
            problems.push(
                Diagnostic::new(
                    Code::UnknownDurationUnit,
                    file,
                    d.unit.span,
                    "unknown unit",
                    format!(
                        "unknown {}service-level unit `{name}`",
                        if business { "business " } else { "" }
                    ),
                )
                .with_help(did_you_mean(
                    name,
                    units.iter().copied(),
                    "service levels count hours, days or weeks, or business days or hours, e.g. `5 business days`",
                )),
            );
            None
        }
    };
    let amount = positive_amount(file, &d.amount, &mut problems);
    match (amount, unit) {
        (Some(amount), Some(unit)) if problems.is_empty() => Ok(WorkDuration { amount, unit }),
        _ => Err(problems),
    }
}

/// A duration's amount: positive and below 2^32.
fn positive_amount(
    file: &Arc<SourceFile>,
    amount: &IntLit,
    problems: &mut Vec<Diagnostic>,
) -> Option<u32> {
    let before = problems.len();
    let amount_value = match int(file, amount) {
        Ok(n) if n > 0 => u32::try_from(n).ok(),
        Ok(_) => {
            problems.push(
                Diagnostic::new(
                    Code::ZeroDuration,
                    file,
                    amount.span,
                    "must be at least 1",
                    format!("duration of `{}` is not positive", amount.raw),
                )
                .with_help("write a positive amount, e.g. `reset every 6 months`; to never reset, remove the line"),
            );
            None
        }
        Err(e) => {
            problems.push(*e);
            None
        }
    };
    if amount_value.is_none() && problems.len() == before {
        problems.push(
            Diagnostic::new(
                Code::NumberOutOfRange,
                file,
                amount.span,
                "too large",
                format!("duration of `{}` is too long", amount.raw),
            )
            .with_help("write a duration of at most 4294967295 units"),
        );
    }
    amount_value
}

/// Converts a principal written as a value (a default of a principal field).
fn principal_value(
    file: &Arc<SourceFile>,
    p: &PrincipalExpr,
) -> Result<Option<PrincipalRef>, Box<Diagnostic>> {
    Ok(Some(match p {
        PrincipalExpr::User(s, _) => PrincipalRef::User(unescape(file, s)?),
        PrincipalExpr::Group(s, _) => PrincipalRef::Group(unescape(file, s)?),
        PrincipalExpr::ApiKey(s, _) => PrincipalRef::ApiKey(unescape(file, s)?),
        PrincipalExpr::Role(r, _) => PrincipalRef::Role(r.name.clone()),
        _ => return Ok(None),
    }))
}

/// Checks a default against its field's type.
pub fn default_value(
    file: &Arc<SourceFile>,
    value: &ValueExpr,
    ty: &FieldType,
) -> Result<Value, Box<Diagnostic>> {
    let mismatch = |why: String| {
        Box::new(
            Diagnostic::new(
                Code::DefaultMismatch,
                file,
                value.span(),
                why,
                format!("default does not fit type `{}`", ty.describe()),
            )
            .with_help(type_example(ty)),
        )
    };
    let got = match (ty, value) {
        (FieldType::List { of }, ValueExpr::List(items, _)) => {
            let values = items
                .iter()
                .map(|v| default_value(file, v, of))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Value::List(values));
        }
        (_, ValueExpr::List(..)) => {
            return Err(mismatch("a list, for a field of one value".into()));
        }
        (FieldType::List { .. }, _) => return Err(mismatch("one value, for a list field".into())),
        (FieldType::Text | FieldType::Attachment, ValueExpr::String(s)) => {
            Value::Text(unescape(file, s)?)
        }
        (FieldType::Url, ValueExpr::String(s)) => {
            let url = unescape(file, s)?;
            if !url.contains("://") {
                return Err(mismatch("not a URL".into()));
            }
            Value::Text(url)
        }
        (FieldType::Int { min, max }, ValueExpr::Integer(i)) => {
            let n = int(file, i)?;
            if min.is_some_and(|lo| n < lo) || max.is_some_and(|hi| n > hi) {
                return Err(mismatch("outside the range".into()));
            }
            Value::Int(n)
        }
        (FieldType::Number, ValueExpr::Integer(i)) => Value::Number(int(file, i)? as f64),
        (FieldType::Number, ValueExpr::Decimal(d, _)) => match d.parse::<f64>() {
            Ok(n) => Value::Number(n),
            Err(_) => return Err(mismatch("not a number".into())),
        },
        (FieldType::Bool, ValueExpr::Boolean(b, _)) => Value::Bool(*b),
        (FieldType::Date, ValueExpr::Date(d, span)) => Value::Date(date(file, d, *span)?),
        (FieldType::DateTime, ValueExpr::DateTime(d, span)) => {
            Value::DateTime(date_time(file, d, *span)?)
        }
        (FieldType::Enum { variants }, ValueExpr::Ident(v)) => {
            if !variants.contains(&v.name) {
                let help = did_you_mean(
                    &v.name,
                    variants.iter().map(String::as_str),
                    format!(
                        "the variants are {}",
                        variants
                            .iter()
                            .map(|v| format!("`{v}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                return Err(Box::new(
                    Diagnostic::new(
                        Code::DefaultMismatch,
                        file,
                        v.span,
                        "not a variant",
                        format!("`{}` is not a variant of `{}`", v.name, ty.describe()),
                    )
                    .with_help(help),
                ));
            }
            Value::Enum(v.name.clone())
        }
        (FieldType::User, ValueExpr::String(s)) => {
            Value::Principal(PrincipalRef::User(unescape(file, s)?))
        }
        (FieldType::Group, ValueExpr::String(s)) => {
            Value::Principal(PrincipalRef::Group(unescape(file, s)?))
        }
        (FieldType::User, ValueExpr::Principal(p @ PrincipalExpr::User(..)))
        | (FieldType::Group, ValueExpr::Principal(p @ PrincipalExpr::Group(..)))
        | (FieldType::Principal, ValueExpr::Principal(p)) => match principal_value(file, p)? {
            Some(r) => Value::Principal(r),
            None => return Err(mismatch("not a principal".into())),
        },
        (FieldType::Principal, ValueExpr::String(s)) => {
            let text = unescape(file, s)?;
            match parse_principal_ref(&text) {
                Some(r) => Value::Principal(r),
                None => return Err(mismatch("not a principal".into())),
            }
        }
        (FieldType::Ref { .. }, ValueExpr::String(s)) => Value::Ref(unescape(file, s)?),
        (_, other) => return Err(mismatch(format!("this is {}", describe_value(other)))),
    };
    Ok(got)
}

fn describe_value(v: &ValueExpr) -> &'static str {
    match v {
        ValueExpr::String(_) => "a string",
        ValueExpr::Integer(_) => "a whole number",
        ValueExpr::Decimal(..) => "a decimal number",
        ValueExpr::Boolean(..) => "a boolean",
        ValueExpr::Date(..) => "a date",
        ValueExpr::DateTime(..) => "a date-time",
        ValueExpr::Ident(_) => "a name",
        ValueExpr::Principal(_) => "a principal",
        ValueExpr::List(..) => "a list",
    }
}

pub(super) fn type_example(ty: &FieldType) -> String {
    match ty {
        FieldType::Text | FieldType::Attachment => "write a string, e.g. `= \"none\"`".into(),
        FieldType::Url => "write a URL string, e.g. `= \"https://wiki.example.com/page\"`".into(),
        FieldType::Int {
            min: Some(lo),
            max: Some(hi),
        } => format!("write a whole number from {lo} to {hi}"),
        FieldType::Int { .. } => "write a whole number, e.g. `= 3`".into(),
        FieldType::Number => "write a number, e.g. `= 0.5`".into(),
        FieldType::Bool => "write `= true` or `= false`".into(),
        FieldType::Date => "write a date, e.g. `= 2027-01-31`".into(),
        FieldType::DateTime => "write an RFC 3339 date-time, e.g. `= 2027-01-31T09:00:00Z`".into(),
        FieldType::Enum { variants } => {
            format!("write one of the variants: {}", variants.join(", "))
        }
        FieldType::User => "write a user name, e.g. `= \"alice\"`".into(),
        FieldType::Group => "write a group name, e.g. `= \"risk\"`".into(),
        FieldType::Principal => {
            "write `user \"alice\"`, `group \"risk\"`, `api_key \"bot\"` or `role owner`".into()
        }
        FieldType::Ref { .. } => "write the id of an item as a string".into(),
        FieldType::List { of } => format!(
            "write a list in brackets, e.g. `= []`; elements: {}",
            type_example(of)
        ),
    }
}

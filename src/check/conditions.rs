//! Conditions (`when COND`): every field a test names exists on the item or
//! the named ancestor, every value fits the field's type, and only numbers,
//! dates and date-times are ordered.

use std::sync::Arc;

use super::Checker;
use super::principals::Scope;
use super::values;
use crate::diag::{Code, Diagnostic, SourceFile};
use crate::model::FieldType;
use crate::model::condition::{Compare, Condition, Test};
use crate::syntax::ast::ValueExpr;
use crate::syntax::cond::{CompareOp, CondCheck, CondExpr, CondTest};

impl Checker<'_> {
    /// The checked condition, or `None` after reporting why not (or when a
    /// field it names has a type that did not check: that is reported there).
    pub(super) fn condition(
        &mut self,
        file: &Arc<SourceFile>,
        c: &CondExpr,
        scope: &Scope<'_>,
    ) -> Option<Condition> {
        match c {
            CondExpr::Any(parts, _) | CondExpr::All(parts, _) => {
                // Every part is checked, so that every problem is reported.
                let checked: Vec<Option<Condition>> = parts
                    .iter()
                    .map(|p| self.condition(file, p, scope))
                    .collect();
                let parts: Option<Vec<Condition>> = checked.into_iter().collect();
                let parts = parts?;
                Some(match c {
                    CondExpr::Any(..) => Condition::Any(parts),
                    _ => Condition::All(parts),
                })
            }
            CondExpr::Not(inner, _) => Some(Condition::Not(Box::new(
                self.condition(file, inner, scope)?,
            ))),
            CondExpr::Test(t) => self.test(file, t, scope),
        }
    }

    fn test(
        &mut self,
        file: &Arc<SourceFile>,
        t: &CondTest,
        scope: &Scope<'_>,
    ) -> Option<Condition> {
        let (field, declared) = self.typed_bound_field(file, &t.subject, scope)?;
        let name = &t.subject.field;
        let (ty, list) = match declared? {
            FieldType::List { of } => (*of, true),
            other => (other, false),
        };
        let test = match &t.check {
            CondCheck::IsSet(negated) => {
                let test = Condition::Test {
                    field,
                    ty,
                    list,
                    test: Test::IsSet,
                };
                return Some(if *negated {
                    Condition::Not(Box::new(test))
                } else {
                    test
                });
            }
            CondCheck::In(items) => {
                let checked: Vec<Option<_>> = items
                    .iter()
                    .map(|v| self.operand(file, v, &ty, &name.name))
                    .collect();
                let values: Option<Vec<_>> = checked.into_iter().collect();
                Test::In(values?)
            }
            CondCheck::Compare(op, v) => {
                if op.orders() && (list || !ordered(&ty)) {
                    let what = if list {
                        format!("list field `{}`", name.name)
                    } else {
                        format!("field `{}` of type `{}`", name.name, ty.describe())
                    };
                    self.report(
                        Diagnostic::new(
                            Code::ConditionMismatch,
                            file,
                            t.span,
                            "no order",
                            format!("`{}` orders values, and {what} has no order", op.as_str()),
                        )
                        .with_help("`<`, `<=`, `>` and `>=` compare numbers, dates and date-times; test other fields with `==`, `!=` or `in (…)`"),
                    );
                    return None;
                }
                Test::Compare(compare(*op), self.operand(file, v, &ty, &name.name)?)
            }
        };
        Some(Condition::Test {
            field,
            ty,
            list,
            test,
        })
    }

    /// A value a field is compared with, checked against the field's type.
    fn operand(
        &mut self,
        file: &Arc<SourceFile>,
        v: &ValueExpr,
        ty: &FieldType,
        field: &str,
    ) -> Option<crate::model::Value> {
        match values::default_value(file, v, ty) {
            Ok(value) => Some(value),
            Err(problem) if problem.code == Code::DefaultMismatch => {
                let label = problem
                    .labels
                    .first()
                    .map_or("does not fit", |l| l.text.as_str());
                self.report(
                    Diagnostic::new(
                        Code::ConditionMismatch,
                        file,
                        v.span(),
                        label.to_string(),
                        format!(
                            "value does not fit field `{field}` of type `{}`",
                            ty.describe()
                        ),
                    )
                    .with_help(values::type_example(ty).replace("`= ", "`")),
                );
                None
            }
            Err(problem) => {
                self.report(*problem);
                None
            }
        }
    }
}

/// Whether `<` means something for values of the type.
fn ordered(ty: &FieldType) -> bool {
    matches!(
        ty,
        FieldType::Int { .. } | FieldType::Number | FieldType::Date | FieldType::DateTime
    )
}

fn compare(op: CompareOp) -> Compare {
    match op {
        CompareOp::Eq => Compare::Eq,
        CompareOp::Ne => Compare::Ne,
        CompareOp::Lt => Compare::Lt,
        CompareOp::Le => Compare::Le,
        CompareOp::Gt => Compare::Gt,
        CompareOp::Ge => Compare::Ge,
    }
}

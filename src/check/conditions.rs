//! Conditions (`when COND` on a step, `filter COND` on a table or a list):
//! every field a test names exists on the item or the named ancestor, every
//! value fits the field's type, only numbers, dates and date-times are
//! ordered, and tests of where the item stands (`step ==`, `signoff S ==`,
//! `sla S breached`, `due within`) appear only in filters, naming steps the
//! blueprint has.

use std::sync::Arc;

use super::Checker;
use super::principals::Scope;
use super::values;
use crate::diag::did_you_mean;
use crate::diag::{Code, Diagnostic, SourceFile};
use crate::model::condition::{Compare, Condition, StateTest, Test};
use crate::model::signoff::Status;
use crate::model::{Blueprint, FieldType};
use crate::syntax::ast::{CompareOp, CondCheck, CondExpr, CondTest, StateCheck, StateTestExpr};
use crate::syntax::ast::{Ident, ValueExpr};

/// Where a condition is written, which decides what it may test.
#[derive(Clone, Copy)]
pub(super) enum Place<'b> {
    /// A step's `when`: the item's fields and its ancestors' only.
    When,
    /// A filter over the items of this blueprint: where they stand too.
    Filter(&'b Blueprint),
}

/// What a filter may name, for the help of a name it does not know.
const FILTER_NAMES: &str = "a filter tests the blueprint's fields (`risk_tier == high`), an ancestor's (`model.field tier == high`), or where the item stands: `step == STEP`, `signoff STEP == STATE`, `sla STEP breached`, `due within 30 days`";

impl Checker<'_> {
    /// The checked condition, or `None` after reporting why not (or when a
    /// field it names has a type that did not check: that is reported there).
    pub(super) fn condition(
        &mut self,
        file: &Arc<SourceFile>,
        c: &CondExpr,
        scope: &Scope<'_>,
        place: Place<'_>,
    ) -> Option<Condition> {
        match c {
            CondExpr::Any(parts, _) | CondExpr::All(parts, _) => {
                // Every part is checked, so that every problem is reported.
                let checked: Vec<Option<Condition>> = parts
                    .iter()
                    .map(|p| self.condition(file, p, scope, place))
                    .collect();
                let parts: Option<Vec<Condition>> = checked.into_iter().collect();
                let parts = parts?;
                Some(match c {
                    CondExpr::Any(..) => Condition::Any(parts),
                    _ => Condition::All(parts),
                })
            }
            CondExpr::Not(inner, _) => Some(Condition::Not(Box::new(
                self.condition(file, inner, scope, place)?,
            ))),
            CondExpr::Test(t) => self.test(file, t, scope, place),
            CondExpr::State(t) => match place {
                Place::Filter(b) => self.state_test(file, t, b).map(Condition::State),
                Place::When => {
                    self.report(
                        Diagnostic::new(
                            Code::StateInWhen,
                            file,
                            t.span,
                            "only in a filter",
                            "a step's `when` cannot test where the item stands",
                        )
                        .with_help("`when` decides from the item's fields (and its ancestors'); `step ==`, `signoff STEP ==`, `sla STEP breached` and `due within` are for table filters and `item list --filter`"),
                    );
                    None
                }
            },
        }
    }

    /// A test of where the item stands, naming steps `b` has.
    fn state_test(
        &mut self,
        file: &Arc<SourceFile>,
        t: &StateTestExpr,
        b: &Blueprint,
    ) -> Option<StateTest> {
        let steps = || b.workflow.iter().flat_map(|w| &w.steps);
        let with_signoff = || steps().filter(|s| s.signoff.is_some());
        let with_sla = || {
            with_signoff().filter(|s| {
                s.signoff.as_ref().is_some_and(|spec| {
                    spec.final_approval.service.sla.is_some()
                        || spec.feedback.iter().any(|g| g.service.sla.is_some())
                })
            })
        };
        let mut known =
            |step: &Ident, names: Vec<String>, what: &str| -> Option<crate::model::StepId> {
                if names.contains(&step.name) {
                    return Some(step.name.as_str().into());
                }
                let help = did_you_mean(
                    &step.name,
                    names.iter().map(String::as_str),
                    format!("name a step of `{}` {what}", b.id),
                );
                self.report(
                    Diagnostic::new(
                        Code::UnknownStep,
                        file,
                        step.span,
                        "no such step",
                        format!("`{}` has no step `{}` {what}", b.id, step.name),
                    )
                    .with_help(help),
                );
                None
            };
        let ids = |it: &mut dyn Iterator<Item = &crate::model::Step>| -> Vec<String> {
            it.map(|s| s.id.to_string()).collect()
        };
        match &t.check {
            StateCheck::Step(equal, step) => Some(StateTest::Step {
                step: known(step, ids(&mut steps()), "in its workflow")?,
                equal: *equal,
            }),
            StateCheck::SignOff(step, equal, state) => {
                let step = known(step, ids(&mut with_signoff()), "with a sign-off");
                let status = Status::parse(&state.name)
                    .filter(|_| state.name == state.name.to_ascii_uppercase());
                if status.is_none() {
                    let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                    let help = did_you_mean(
                        &state.name.to_ascii_uppercase(),
                        names.iter().copied(),
                        format!("a sign-off state is one of {}", names.join(", ")),
                    );
                    self.report(
                        Diagnostic::new(
                            Code::UnknownState,
                            file,
                            state.span,
                            "no such state",
                            format!("`{}` is not a sign-off state", state.name),
                        )
                        .with_help(help),
                    );
                }
                Some(StateTest::SignOff {
                    step: step?,
                    status: status?,
                    equal: *equal,
                })
            }
            StateCheck::Breached(step) => Some(StateTest::Breached {
                step: known(step, ids(&mut with_sla()), "whose sign-off has an SLA")?,
            }),
            StateCheck::DueWithin(d) => self
                .reported(values::duration(file, d))
                .map(StateTest::DueWithin),
        }
    }

    fn test(
        &mut self,
        file: &Arc<SourceFile>,
        t: &CondTest,
        scope: &Scope<'_>,
        place: Place<'_>,
    ) -> Option<Condition> {
        if let Place::Filter(_) = place
            && t.subject.blueprint.is_none()
            && !scope.own_fields().contains_key(&t.subject.field.name)
        {
            // What a filter may name besides the blueprint's fields.
            let holder = scope.ancestor_declaring(&t.subject.field.name);
            let d = super::principals::unknown_field(
                file,
                scope.own_fields(),
                scope.blueprint_id(),
                &t.subject.field,
                "TYPE",
                holder,
            );
            let help = match (holder, d.help.clone()) {
                (Some(_), Some(h)) => h,
                (_, Some(h)) if h.starts_with("did you mean") => format!("{h}; {FILTER_NAMES}"),
                _ => FILTER_NAMES.to_string(),
            };
            self.report(d.with_help(help));
            return None;
        }
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

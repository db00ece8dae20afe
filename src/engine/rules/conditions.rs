//! Whether a step applies to an item: its `when` condition evaluated on the
//! item's fields and its ancestors' (a pure function, property-tested), or
//! the `visible(item, step)` hook, which overrides it. What decided and the
//! values it read are kept for the audit event and the skip record.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::bound::bound_values;
use super::values::default_json;
use crate::model::Item;
use crate::model::condition::{Compare, Condition, RESTRICTED, StateTest, Test, reason};
use crate::model::{FieldType, Step};

/// What decided whether a step applies, and on which values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    /// Whether the step applies.
    pub(crate) applies: bool,
    /// `when COND` as written, or `visible hook`.
    pub(crate) decided_by: String,
    /// The values of the fields the condition read (`null`: unset).
    pub(crate) values: BTreeMap<String, Json>,
}

impl Decision {
    /// Why a step does not apply, for a refusal or a gating reason:
    /// `when risk_tier == high, with risk_tier = "low"`.
    pub(crate) fn why(&self) -> String {
        reason(&self.decided_by, &self.values)
    }
}

/// Whether `step` applies to `item` under `ancestors` (nearest first) by its
/// `when` alone; `hooked` is what a `visible` hook answered, if it did.
pub(crate) fn decide(
    step: &Step,
    item: &Item,
    ancestors: &[Item],
    hooked: Option<bool>,
) -> Decision {
    if let Some(applies) = hooked {
        return Decision {
            applies,
            decided_by: "visible hook".into(),
            values: BTreeMap::new(),
        };
    }
    match &step.when {
        None => Decision {
            applies: true,
            decided_by: "no condition".into(),
            values: BTreeMap::new(),
        },
        Some(when) => {
            let fields: Vec<_> = when.condition.fields().into_iter().cloned().collect();
            let mut values = bound_values(&fields, item, ancestors);
            // A `when` tests no state (the checker refuses it there).
            let applies = holds(&when.condition, &values, &|_| false);
            // Kept and shown to every reader of the item: a field not every
            // reader may read is recorded without its value.
            for name in &when.restricted {
                if let Some(v) = values.get_mut(name) {
                    *v = Json::String(RESTRICTED.into());
                }
            }
            Decision {
                applies,
                decided_by: format!("when {}", when.text),
                values,
            }
        }
    }
}

/// Whether the condition holds on these values, keyed as
/// [`bound_values`] keys them, where `state` answers its tests of where the
/// item stands.
pub(crate) fn holds(
    condition: &Condition,
    values: &BTreeMap<String, Json>,
    state: &dyn Fn(&StateTest) -> bool,
) -> bool {
    match condition {
        Condition::Any(parts) => parts.iter().any(|p| holds(p, values, state)),
        Condition::All(parts) => parts.iter().all(|p| holds(p, values, state)),
        Condition::Not(inner) => !holds(inner, values, state),
        Condition::State(test) => state(test),
        Condition::Test {
            field,
            ty,
            list,
            test,
        } => {
            let value = values.get(&field.to_string()).unwrap_or(&Json::Null);
            test_holds(value, ty, *list, test)
        }
    }
}

/// One test. An unset field satisfies only `!=` (and `not …`); a list field
/// `==` a value holds it, `!=` does not, `in (…)` holds one of them.
fn test_holds(value: &Json, ty: &FieldType, list: bool, test: &Test) -> bool {
    if value.is_null() {
        return matches!(test, Test::Compare(Compare::Ne, _));
    }
    let elements: Vec<&Json> = match value {
        Json::Array(items) if list => items.iter().collect(),
        v => vec![v],
    };
    match test {
        Test::IsSet => !(list && elements.is_empty()),
        Test::In(options) => elements
            .iter()
            .any(|e| options.iter().any(|o| same(e, &default_json(o, ty), ty))),
        Test::Compare(op, literal) => {
            let literal = default_json(literal, ty);
            match op {
                Compare::Eq => elements.iter().any(|e| same(e, &literal, ty)),
                Compare::Ne => !elements.iter().any(|e| same(e, &literal, ty)),
                order => !list && ordered(value, &literal, ty).is_some_and(|o| fits(*order, o)),
            }
        }
    }
}

fn fits(op: Compare, o: Ordering) -> bool {
    match op {
        Compare::Lt => o == Ordering::Less,
        Compare::Le => o != Ordering::Greater,
        Compare::Gt => o == Ordering::Greater,
        Compare::Ge => o != Ordering::Less,
        Compare::Eq => o == Ordering::Equal,
        Compare::Ne => o != Ordering::Equal,
    }
}

fn same(a: &Json, b: &Json, ty: &FieldType) -> bool {
    match ty {
        FieldType::Int { .. } | FieldType::Number | FieldType::Date | FieldType::DateTime => {
            ordered(a, b, ty) == Some(Ordering::Equal)
        }
        _ => a == b,
    }
}

/// How two stored values of an ordered type compare: numbers by value,
/// dates and date-times by time.
fn ordered(a: &Json, b: &Json, ty: &FieldType) -> Option<Ordering> {
    match ty {
        FieldType::Int { .. } | FieldType::Number => a.as_f64()?.partial_cmp(&b.as_f64()?),
        FieldType::Date => {
            let day = |v: &Json| chrono::NaiveDate::parse_from_str(v.as_str()?, "%Y-%m-%d").ok();
            Some(day(a)?.cmp(&day(b)?))
        }
        FieldType::DateTime => {
            let time = |v: &Json| chrono::DateTime::parse_from_rfc3339(v.as_str()?).ok();
            Some(time(a)?.cmp(&time(b)?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::condition::Condition as C;
    use crate::model::{BoundField, Value};
    use proptest::prelude::*;
    use serde_json::json;

    fn tier() -> FieldType {
        FieldType::Enum {
            variants: vec!["low".into(), "medium".into(), "high".into()],
        }
    }

    fn test(field: &str, ty: FieldType, list: bool, test: Test) -> C {
        C::Test {
            field: BoundField {
                blueprint: None,
                field: field.into(),
            },
            ty,
            list,
            test,
        }
    }

    fn values(pairs: &[(&str, Json)]) -> BTreeMap<String, Json> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn unset_fields_satisfy_only_not_equal() {
        let none = values(&[]);
        let eq = test(
            "risk_tier",
            tier(),
            false,
            Test::Compare(Compare::Eq, Value::Enum("high".into())),
        );
        let ne = test(
            "risk_tier",
            tier(),
            false,
            Test::Compare(Compare::Ne, Value::Enum("high".into())),
        );
        let set = test("risk_tier", tier(), false, Test::IsSet);
        assert!(!holds(&eq, &none, &|_| false));
        assert!(holds(&ne, &none, &|_| false));
        assert!(!holds(&set, &none, &|_| false));
        assert!(holds(&C::Not(Box::new(set)), &none, &|_| false));
    }

    #[test]
    fn lists_hold_values() {
        let tags = test(
            "tags",
            FieldType::Text,
            true,
            Test::Compare(Compare::Eq, Value::Text("pii".into())),
        );
        let any = test(
            "tags",
            FieldType::Text,
            true,
            Test::In(vec![Value::Text("x".into()), Value::Text("pii".into())]),
        );
        let set = test("tags", FieldType::Text, true, Test::IsSet);
        let v = values(&[("tags", json!(["a", "pii"]))]);
        assert!(
            holds(&tags, &v, &|_| false)
                && holds(&any, &v, &|_| false)
                && holds(&set, &v, &|_| false)
        );
        let empty = values(&[("tags", json!([]))]);
        assert!(
            !holds(&tags, &empty, &|_| false)
                && !holds(&any, &empty, &|_| false)
                && !holds(&set, &empty, &|_| false)
        );
    }

    #[test]
    fn dates_and_numbers_order_by_value() {
        let day = chrono::NaiveDate::from_ymd_opt(2027, 3, 1).expect("a day");
        let before = test(
            "due",
            FieldType::Date,
            false,
            Test::Compare(Compare::Lt, Value::Date(day)),
        );
        assert!(holds(
            &before,
            &values(&[("due", json!("2027-02-28"))]),
            &|_| false
        ));
        assert!(!holds(
            &before,
            &values(&[("due", json!("2027-03-01"))]),
            &|_| false
        ));
        let score = test(
            "score",
            FieldType::Number,
            false,
            Test::Compare(Compare::Ge, Value::Int(2)),
        );
        assert!(holds(&score, &values(&[("score", json!(2.0))]), &|_| false));
        assert!(!holds(&score, &values(&[("score", json!(1.5))]), &|_| {
            false
        }));
    }

    proptest! {
        /// `<`, `==` and `>` split every pair of numbers exactly; `<=` is `<`
        /// or `==`; `!=` is `not ==`; `and`/`or`/`not` follow Boolean logic.
        #[test]
        fn comparisons_are_consistent(a in -1000i64..1000, b in -1000i64..1000) {
            let ty = FieldType::Int { min: None, max: None };
            let v = values(&[("n", json!(a))]);
            let t = |op| test("n", ty.clone(), false, Test::Compare(op, Value::Int(b)));
            let [lt, le, eq, ne, gt, ge] = [Compare::Lt, Compare::Le, Compare::Eq, Compare::Ne, Compare::Gt, Compare::Ge]
                .map(|op| holds(&t(op), &v, &|_| false));
            prop_assert_eq!([lt, eq, gt].iter().filter(|x| **x).count(), 1);
            prop_assert_eq!(le, lt || eq);
            prop_assert_eq!(ge, gt || eq);
            prop_assert_eq!(ne, !eq);
            prop_assert_eq!(lt, a < b);
            prop_assert_eq!(holds(&C::All(vec![t(Compare::Le), t(Compare::Ge)]), &v, &|_| false), eq);
            prop_assert_eq!(holds(&C::Any(vec![t(Compare::Lt), t(Compare::Gt)]), &v, &|_| false), ne);
            prop_assert_eq!(holds(&C::Not(Box::new(t(Compare::Lt))), &v, &|_| false), !lt);
        }

        /// `in (…)` holds exactly when some `==` does.
        #[test]
        fn in_is_any_equal(pick in 0usize..3, options in proptest::collection::vec(0usize..3, 0..4)) {
            let names = ["low", "medium", "high"];
            let v = values(&[("risk_tier", json!(names[pick]))]);
            let listed: Vec<Value> = options.iter().map(|o| Value::Enum(names[*o].into())).collect();
            let any_eq = listed.iter().any(|o| holds(&test("risk_tier", tier(), false, Test::Compare(Compare::Eq, o.clone())), &v, &|_| false));
            prop_assert_eq!(holds(&test("risk_tier", tier(), false, Test::In(listed)), &v, &|_| false), any_eq);
        }
    }
}

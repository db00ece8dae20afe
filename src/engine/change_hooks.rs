//! What runs after a change is applied in memory: computed fields, the
//! `after_change` follow-up updates and `validate`, with script values
//! checked against the fields' types.

use serde_json::{Value as Json, json};

use super::error::{Refusal, Result, refuse, script_failed};
use super::rules::values;
use super::script_view::item_script_view;
use super::set_cache::LoadedSet;
use crate::model::FieldType;
use crate::model::Item;

/// A value a script returned for a field, checked against the field's type
/// and normalized as the CLI would store it; `null` unsets.
pub(super) fn coerce(ty: &FieldType, value: &Json) -> std::result::Result<Json, String> {
    match (ty, value) {
        (_, Json::Null) => Ok(Json::Null),
        (FieldType::List { of }, Json::Array(items)) => items
            .iter()
            .map(|v| coerce(of, v))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Json::Array),
        (FieldType::Int { .. }, Json::Number(n))
            if n.as_f64().is_some_and(|f| f.fract() == 0.0) =>
        {
            values::parse_input(ty, &format!("{}", n.as_f64().unwrap_or_default() as i64))
        }
        (_, Json::String(text)) => values::parse_input(ty, text),
        (_, Json::Number(n)) => values::parse_input(ty, &n.to_string()),
        (_, Json::Bool(b)) => values::parse_input(ty, &b.to_string()),
        (_, other) => Err(format!("{other} does not fit a `{}` field", ty.describe())),
    }
}

/// What the `validate` hook returned, as messages: a list of strings or of
/// `{field, message}` maps, or one string.
fn validation_errors(result: Option<Json>) -> Vec<String> {
    match result {
        Some(Json::Array(list)) => list
            .iter()
            .map(|e| match e {
                Json::String(s) => s.clone(),
                Json::Object(m) => match (
                    m.get("field").and_then(Json::as_str),
                    m.get("message").and_then(Json::as_str),
                ) {
                    (Some(f), Some(msg)) => format!("{f}: {msg}"),
                    (None, Some(msg)) => msg.to_string(),
                    _ => e.to_string(),
                },
                other => other.to_string(),
            })
            .collect(),
        Some(Json::String(s)) => vec![s],
        _ => Vec::new(),
    }
}

/// After a change is applied in memory: computed fields, `after_change`
/// follow-up updates, computed fields again, then `validate`. Returns the
/// follow-up updates (for the audit trail).
pub(super) fn run_change_hooks(
    set: &LoadedSet,
    ancestors: &[Item],
    item: &mut Item,
    action: &str,
) -> Result<Json> {
    let hooks = &set.hooks;
    let id = item.blueprint.clone();
    let Some(blueprint) = set.blueprint(&id) else {
        return Ok(Json::Null);
    };
    if !hooks.has_script(&id) {
        return Ok(Json::Null);
    }
    // The view is built once; what the hooks change is written into it as they go.
    let mut view = item_script_view(set, item, ancestors);
    // Sets a field a hook gave a value, in the item and in the view.
    let set_field = |item: &mut Item,
                     view: &mut rhai::Dynamic,
                     field: &str,
                     value: &Json,
                     hook: &str|
     -> Result<()> {
        let Some(f) = blueprint.field(field) else {
            return refuse(Refusal::ScriptFailed {
                error: format!("hook `{hook}` set unknown field `{field}`"),
            });
        };
        let value = coerce(&f.ty, value).map_err(|why| Refusal::ScriptFailed {
            error: format!("hook `{hook}` gave `{field}` a bad value: {why}"),
        })?;
        if item.fields.get(field).unwrap_or(&Json::Null) == &value {
            return Ok(());
        }
        if let Some(mut map) = view.write_lock::<rhai::Map>()
            && let Some(mut fields) = map
                .get_mut("fields")
                .and_then(|f| f.write_lock::<rhai::Map>())
        {
            let shown = match &value {
                Json::Null => rhai::Dynamic::UNIT,
                v => crate::hooks::to_dynamic(v),
            };
            fields.insert(field.into(), shown);
        }
        match value {
            Json::Null => item.fields.remove(field),
            v => item.fields.insert(field.to_string(), v),
        };
        Ok(())
    };
    let computed = hooks.computed_fields(&id);
    let compute = |item: &mut Item, view: &mut rhai::Dynamic| -> Result<()> {
        for (hook, field) in &computed {
            if let Some(value) = hooks
                .call(&id, hook, vec![view.clone()])
                .map_err(script_failed)?
            {
                set_field(item, view, field, &crate::hooks::to_json(&value), hook)?;
            }
        }
        Ok(())
    };
    compute(item, &mut view)?;
    let mut follow_up = serde_json::Map::new();
    if hooks.has(&id, "after_change") {
        let event = json!({"action": action, "revision": item.revision});
        let args = vec![view.clone(), crate::hooks::to_dynamic(&event)];
        match hooks
            .call(&id, "after_change", args)
            .map_err(script_failed)?
            .map(|v| crate::hooks::to_json(&v))
        {
            Some(Json::Object(updates)) => {
                for (field, value) in &updates {
                    set_field(item, &mut view, field, value, "after_change")?;
                }
                follow_up = updates;
                compute(item, &mut view)?;
            }
            Some(Json::Null) | None => {}
            Some(other) => {
                return refuse(Refusal::ScriptFailed {
                    error: format!(
                        "hook `after_change` must return a map of field updates or `()`, not {other}"
                    ),
                });
            }
        }
    }
    if hooks.has(&id, "validate") {
        let result = hooks
            .call(&id, "validate", vec![view])
            .map_err(script_failed)?;
        let errors = validation_errors(result.map(|v| crate::hooks::to_json(&v)));
        if !errors.is_empty() {
            return refuse(Refusal::RefusedByRule {
                why: errors.join("; "),
            });
        }
    }
    Ok(if follow_up.is_empty() {
        Json::Null
    } else {
        Json::Object(follow_up)
    })
}

//! Bound content (`signoff { binds … }`): the canonical values a sign-off's
//! reviews and decision are about, their SHA-256, and what a change of them
//! does, decided once, in the transaction of the change: the approving
//! reviews and the decision given on other content become outdated (see
//! [`signoff::outdate`]), or an admin keeps them (`--keep-approvals`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use super::signoff::SignOffEvents;
use super::signoff::{self, Event};
use crate::model::Item;
use crate::model::{Blueprint, BoundField, SignOff};

/// The values `binds` names for `item` under `ancestors` (nearest first),
/// keyed as written (`metrics`, `project.field model_uri`); an unset field,
/// or an ancestor that is not there, is `null`.
pub(crate) fn bound_values(
    binds: &[BoundField],
    item: &Item,
    ancestors: &[Item],
) -> BTreeMap<String, Json> {
    binds
        .iter()
        .map(|b| {
            let holder = match &b.blueprint {
                None => Some(item),
                Some(bp) if item.blueprint == bp.as_str() => Some(item),
                Some(bp) => ancestors.iter().find(|i| i.blueprint == bp.as_str()),
            };
            let value = holder
                .and_then(|i| i.fields.get(b.field.as_str()))
                .cloned()
                .unwrap_or(Json::Null);
            (b.to_string(), value)
        })
        .collect()
}

/// The SHA-256 (lower-case hex) of the canonical JSON of the bound values:
/// keys sorted, no blanks.
pub(crate) fn content_hash(values: &BTreeMap<String, Json>) -> String {
    let text = serde_json::to_string(values).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of what the sign-off binds for `chain[0]` (the item, then its
/// ancestors); `None` when it binds nothing.
pub(crate) fn content_of(spec: &SignOff, chain: &[Item]) -> Option<String> {
    let (item, ancestors) = chain.split_first()?;
    (!spec.binds.is_empty()).then(|| content_hash(&bound_values(&spec.binds, item, ancestors)))
}

/// Whether any sign-off of the blueprint binds content.
pub(crate) fn binds_any(blueprint: &Blueprint) -> bool {
    signoffs(blueprint).any(|(_, s)| !s.binds.is_empty())
}

/// Whether a sign-off of the blueprint binds a field of `ancestor`'s
/// blueprint as an ancestor's (`ANCESTOR.field F`), one of `fields`.
pub(crate) fn binds_fields_of(blueprint: &Blueprint, ancestor: &str, fields: &[String]) -> bool {
    signoffs(blueprint).any(|(_, s)| {
        s.binds.iter().any(|b| {
            b.blueprint
                .as_ref()
                .is_some_and(|bp| bp.as_str() == ancestor)
                && fields.iter().any(|f| f == b.field.as_str())
        })
    })
}

fn signoffs(blueprint: &Blueprint) -> impl Iterator<Item = (&str, &SignOff)> {
    blueprint
        .workflow
        .iter()
        .flat_map(|w| &w.steps)
        .filter_map(|s| s.signoff.as_ref().map(|o| (s.id.as_str(), o)))
}

/// What a change of bound content did to the sign-offs of one item.
#[derive(Default)]
pub(crate) struct Rebound {
    /// The audit details: per sign-off, its step, states and event.
    pub(crate) details: Vec<Json>,
    /// The sign-off events, for the mail they send.
    pub(crate) events: Vec<SignOffEvents>,
}

/// An item and its ancestors (nearest first), as they were or are.
pub(crate) type Lineage<'a> = (&'a Item, &'a [Item]);

/// Applies a change from `before` to `item` under `ancestors` (as they are
/// now) to the sign-offs of `item`, in place: outdates what was given on
/// other content, or, with `keep`, stamps it with the new content. Nothing
/// happens to a sign-off whose content is unchanged.
pub(crate) fn rebind(
    blueprint: &Blueprint,
    before: Lineage<'_>,
    item: &mut Item,
    ancestors: &[Item],
    keep: bool,
    now: DateTime<Utc>,
) -> Rebound {
    let mut rebound = Rebound {
        details: Vec::new(),
        events: Vec::new(),
    };
    for (step, spec) in signoffs(blueprint) {
        if spec.binds.is_empty() {
            continue;
        }
        let old = bound_values(&spec.binds, before.0, before.1);
        let new = bound_values(&spec.binds, item, ancestors);
        if old == new {
            continue;
        }
        let changed: Vec<String> = new
            .iter()
            .filter(|(k, v)| old.get(*k) != Some(v))
            .map(|(k, _)| k.clone())
            .collect();
        let content = content_hash(&new);
        let Some(state) = item.signoffs.get(step) else {
            continue;
        };
        let (next, event) = if keep {
            let given = !state.reviews.is_empty() || state.decision.is_some();
            if !given {
                continue;
            }
            (
                signoff::keep(state, &content),
                Event::ApprovalsKept { changed },
            )
        } else {
            match signoff::outdate(
                state,
                &super::signoff::rules_of(spec),
                &content,
                &changed,
                now,
            ) {
                Some(done) => done,
                None => continue,
            }
        };
        rebound.details.push(json!({
            "step": step,
            "before": state.status,
            "after": next.status,
            "events": [&event],
        }));
        let note = match &event {
            Event::Outdated { changed, .. } | Event::ApprovalsKept { changed } => {
                Some(format!("changed: {}", changed.join(", ")))
            }
            _ => None,
        };
        rebound.events.push(SignOffEvents {
            step: step.to_string(),
            events: vec![event],
            notify: false,
            note,
        });
        item.signoffs.insert(step.to_string(), next);
    }
    rebound
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BlueprintId, FieldId};

    fn item(id: i64, blueprint: &str, fields: Json) -> Item {
        Item {
            id,
            blueprint: blueprint.into(),
            version: 1,
            parent: None,
            name: "x".into(),
            fields: fields.as_object().cloned().unwrap_or_default(),
            step: None,
            finished: false,
            signoffs: BTreeMap::new(),
            creator: "alice".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            revision: 1,
            subscribers: BTreeMap::new(),
            skipped: BTreeMap::new(),
        }
    }

    #[test]
    fn the_content_is_the_bound_values_of_the_item_and_its_ancestors() {
        let binds = vec![
            BoundField {
                blueprint: None,
                field: FieldId("metrics".into()),
            },
            BoundField {
                blueprint: Some(BlueprintId("project".into())),
                field: FieldId("uri".into()),
            },
        ];
        let chain = vec![
            item(
                2,
                "model_version",
                json!({"metrics": "auc 0.9", "other": 1}),
            ),
            item(1, "project", json!({"uri": "s3://m"})),
        ];
        let values = bound_values(&binds, &chain[0], &chain[1..]);
        assert_eq!(
            serde_json::to_string(&values).unwrap_or_default(),
            r#"{"metrics":"auc 0.9","project.field uri":"s3://m"}"#
        );
        // A field outside `binds` does not change the content; a bound one does.
        let mut other = chain.clone();
        other[0].fields.insert("other".into(), json!(2));
        let hash = |c: &[Item]| content_hash(&bound_values(&binds, &c[0], &c[1..]));
        assert_eq!(hash(&other), content_hash(&values));
        other[1].fields.insert("uri".into(), json!("s3://n"));
        assert_ne!(hash(&other), content_hash(&values));
        assert_eq!(content_hash(&values).len(), 64);
        // Without its ancestor, an ancestor's field is null.
        assert_eq!(
            bound_values(&binds, &chain[0], &[])["project.field uri"],
            Json::Null
        );
    }
}

//! The item as scripts see it (the book's "Hooks in rhai"): built directly as rhai
//! values, with its ancestors under `parent`.

use crate::model::BlueprintSet;
use crate::model::Item;

/// The view of `chain[at]` that scripts get (the book's "Hooks in rhai"), built
/// directly as rhai values and shared, so that passing it to several hooks
/// copies nothing.
pub(super) fn script_view(set: &BlueprintSet, chain: &[Item], at: usize) -> rhai::Dynamic {
    match chain.get(at) {
        Some(item) => item_script_view(set, item, &chain[at + 1..]),
        None => rhai::Dynamic::UNIT,
    }
}

/// The view of `item` whose ancestors, nearest first, are `ancestors`.
pub(super) fn item_script_view(
    set: &BlueprintSet,
    item: &Item,
    ancestors: &[Item],
) -> rhai::Dynamic {
    use rhai::{Dynamic, Map};
    let text = |s: &str| Dynamic::from(s.to_string());
    let opt = |s: &Option<String>| s.as_deref().map_or(Dynamic::UNIT, text);
    let mut fields = Map::new();
    match set.blueprint(&item.blueprint) {
        Some(b) => {
            for f in &b.fields {
                let value = item
                    .fields
                    .get(f.id.as_str())
                    .map_or(Dynamic::UNIT, crate::hooks::to_dynamic);
                fields.insert(f.id.as_str().into(), value);
            }
        }
        None => {
            for (k, v) in &item.fields {
                fields.insert(k.as_str().into(), crate::hooks::to_dynamic(v));
            }
        }
    }
    let mut signoffs = Map::new();
    for (step, s) in &item.signoffs {
        let feedback: rhai::Array = s
            .reviews
            .iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("group".into(), text(&r.group));
                m.insert("reviewer".into(), text(&r.reviewer));
                m.insert("verdict".into(), text(r.verdict.as_str()));
                m.insert("comment".into(), opt(&r.comment));
                Dynamic::from_map(m)
            })
            .collect();
        let decision = s.decision.as_ref().map_or(Dynamic::UNIT, |d| {
            let mut m = Map::new();
            m.insert("approved".into(), Dynamic::from(d.approved));
            m.insert("by".into(), text(&d.by));
            m.insert("comment".into(), opt(&d.comment));
            Dynamic::from_map(m)
        });
        let mut m = Map::new();
        m.insert("status".into(), text(s.status.as_str()));
        m.insert("requester".into(), opt(&s.requester));
        m.insert("feedback".into(), Dynamic::from_array(feedback));
        m.insert("final".into(), decision);
        signoffs.insert(step.as_str().into(), Dynamic::from_map(m));
    }
    let mut view = Map::new();
    view.insert("id".into(), text(&item.id.to_string()));
    view.insert("name".into(), text(&item.name));
    view.insert("blueprint".into(), text(&item.blueprint));
    view.insert("version".into(), Dynamic::from(i64::from(item.version)));
    view.insert("creator".into(), text(&item.creator));
    view.insert("step".into(), opt(&item.step));
    view.insert("fields".into(), Dynamic::from_map(fields));
    view.insert("signoffs".into(), Dynamic::from_map(signoffs));
    view.insert("parent".into(), script_view(set, ancestors, 0));
    Dynamic::from_map(view).into_shared()
}

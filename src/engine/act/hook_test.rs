//! `hook test`: one hook run on a stored item or on an item given as JSON,
//! writing nothing.

use serde_json::{Value as Json, json};

use crate::engine::access::{Identity, Resolver};
use crate::engine::core::Engine;
use crate::engine::error::{Refusal, Result, refuse, script_failed};
use crate::engine::script_view::script_view;

/// What `hook test` runs a hook on.
#[derive(Debug, Clone)]
pub enum HookSubject {
    /// An item of the database.
    Item(i64),
    /// An item described in JSON, of the newest version of a blueprint.
    Json {
        /// The blueprint whose script holds the hook.
        blueprint: String,
        /// The item view.
        item: Json,
    },
}

impl Engine {
    /// Runs one hook on an item of the database, or on an item described in
    /// JSON (a map like the item view; `fields` at least), and returns what
    /// it decided. Nothing is written.
    pub fn hook_test(
        &mut self,
        who: &Identity,
        function: &str,
        subject: HookSubject,
        args: &[String],
    ) -> Result<Json> {
        let tx = self.store.read()?;
        let (set, blueprint, view) = match subject {
            HookSubject::Item(id) => {
                let (chain, set) = Self::readable(&tx, &mut self.cache, who, id)?;
                // The hook sees the item as the caller may read it: what it
                // returns is shown to them.
                let resolver = Resolver {
                    set: &set,
                    chain: &chain,
                    who,
                };
                let view = script_view(&set, &resolver.blind_chain(), 0);
                (set, chain[0].blueprint.clone(), view)
            }
            HookSubject::Json { blueprint, item } => {
                let Some(version) = self.cache.latest(&tx, &blueprint)? else {
                    return refuse(Refusal::NotFound {
                        what: format!("blueprint `{blueprint}`"),
                    });
                };
                let set = self.cache.get(&tx, &blueprint, version)?;
                let mut item = item;
                if let Json::Object(map) = &mut item {
                    for (key, default) in [
                        ("fields", json!({})),
                        ("signoffs", json!({})),
                        ("parent", Json::Null),
                        ("step", Json::Null),
                    ] {
                        map.entry(key).or_insert(default);
                    }
                    map.entry("blueprint").or_insert(json!(blueprint));
                } else {
                    return refuse(Refusal::InvalidValue {
                        what: "item JSON".into(),
                        why: "it must be an object like the item view, e.g. {\"fields\": {…}}"
                            .into(),
                    });
                }
                (set, blueprint, crate::hooks::to_dynamic(&item))
            }
        };
        if !set.hooks.has(&blueprint, function) {
            let defined = set
                .blueprint(&blueprint)
                .and_then(|b| b.script.as_ref())
                .map(|s| s.hooks.join(", "))
                .unwrap_or_default();
            return refuse(Refusal::NotFound {
                what: format!(
                    "hook `{function}` in the script of `{blueprint}` (it defines: {})",
                    if defined.is_empty() { "none" } else { &defined }
                ),
            });
        }
        let mut call_args = vec![view];
        for a in args {
            let value = serde_json::from_str::<Json>(a).unwrap_or_else(|_| Json::String(a.clone()));
            call_args.push(crate::hooks::to_dynamic(&value));
        }
        let result = set
            .hooks
            .call(&blueprint, function, call_args)
            .map_err(script_failed)?;
        Ok(
            json!({"blueprint": blueprint, "function": function, "result": result.map_or(Json::Null, |r| crate::hooks::to_json(&r))}),
        )
    }
}

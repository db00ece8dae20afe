//! Field-level permissions (`field F: T "L" read = …  write = …`): who may
//! read a field of an item and who may set it, resolved like the
//! blueprint's permissions (admins may do both), and what the engine hands
//! out cut down to what the caller may read — an item's fields, the field
//! changes of its history, table cells, matrix points. A field without
//! `read` is read by whoever reads the item; without `write`, set by
//! whoever writes the item.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::access::{NoTrace, Permission, Resolver};
use super::error::{EngineError, Refusal, Result, refuse};
use super::read::history::{AuditEntry, Happened};
use super::read::views::{ItemView, SignOffView, StatusView};
use super::rules::bound::bound_values;
use crate::model::Item;
use crate::model::{BoundField, Field};

impl Resolver<'_> {
    /// The field `field` of the item at `at` of the chain.
    fn field_at(&self, at: usize, field: &str) -> Option<&Field> {
        self.blueprint(at).and_then(|b| b.field(field))
    }

    /// Whether the caller may read field `field` of the item at `at` (0:
    /// the item, then its ancestors).
    pub(super) fn may_read_field(&self, at: usize, field: &str) -> bool {
        if self.who.admin {
            return true;
        }
        match self.field_at(at, field).and_then(|f| f.read.as_ref()) {
            None => true,
            Some(list) => self.matches_any_traced(list, at, 0, &mut NoTrace),
        }
    }

    /// Whether the caller may set field `field` of the item.
    pub(super) fn may_write_field(&self, field: &str) -> bool {
        if self.who.admin {
            return true;
        }
        match self.field_at(0, field).and_then(|f| f.write.as_ref()) {
            None => self.has(Permission::Write),
            Some(list) => self.matches_any_traced(list, 0, 0, &mut NoTrace),
        }
    }

    /// Refuses unless the caller may set every field of `fields`.
    pub(super) fn require_fields_writable<'f>(
        &self,
        fields: impl IntoIterator<Item = &'f str>,
    ) -> Result<()> {
        for f in fields {
            if self.may_write_field(f) {
                continue;
            }
            let id = self.chain[0].id;
            let Some(list) = self.field_at(0, f).and_then(|d| d.write.as_ref()) else {
                // The blueprint's write permission: refused as any edit is.
                return self.require(Permission::Write, || format!("edit item {id}"));
            };
            let list: Vec<String> = list.iter().map(ToString::to_string).collect();
            return refuse(Refusal::NotPermitted {
                who: self.who.name.clone(),
                what: format!(
                    "set field `{f}` of item {id} (its `write = {}` does not include you)",
                    list.join(", ")
                ),
            });
        }
        Ok(())
    }

    /// The fields of the item the caller may not read, in declaration order.
    pub(super) fn hidden_fields(&self) -> Vec<String> {
        if self.who.admin {
            return Vec::new();
        }
        self.blueprint(0)
            .map(|b| {
                b.fields
                    .iter()
                    .filter(|f| f.read.is_some() && !self.may_read_field(0, f.id.as_str()))
                    .map(|f| f.id.to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether the caller may not read some field the item's blueprint or
    /// an ancestor's declares: whether a rule's message needs [`Self::censor`].
    pub(super) fn hides_any(&self) -> bool {
        !self.who.admin
            && (0..self.chain.len()).any(|at| {
                self.blueprint(at).is_some_and(|b| {
                    b.fields
                        .iter()
                        .any(|f| f.read.is_some() && !self.may_read_field(at, f.id.as_str()))
                })
            })
    }

    /// The item and its ancestors as the caller may read them: the fields
    /// they may not read left out, as if unset.
    pub(super) fn blind_chain(&self) -> Vec<Item> {
        self.chain
            .iter()
            .enumerate()
            .map(|(at, item)| {
                let mut item = item.clone();
                item.fields
                    .retain(|f, _| self.may_read_field(at, f.as_str()));
                item
            })
            .collect()
    }

    /// `view` as the caller may see it: the fields they may not read left
    /// out (and listed in `hidden`), those they may not set listed in
    /// `read_only`.
    pub(super) fn redact_view(&self, mut view: ItemView) -> ItemView {
        let hidden = self.hidden_fields();
        for f in &hidden {
            view.fields.remove(f);
        }
        view.read_only = self
            .blueprint(0)
            .map(|b| {
                b.fields
                    .iter()
                    .filter(|f| !self.may_write_field(f.id.as_str()))
                    .map(|f| f.id.to_string())
                    .collect()
            })
            .unwrap_or_default();
        view.hidden = hidden;
        view
    }

    /// `status` as the caller may see it (its item and sign-offs redacted).
    pub(super) fn redact_status(&self, mut status: StatusView) -> StatusView {
        status.item = self.redact_view(status.item);
        status.signoffs = status
            .signoffs
            .into_iter()
            .map(|s| self.redact_signoff(s))
            .collect();
        status
    }

    /// A sign-off as the caller may see it: when it binds a field they may
    /// not read, its reviews and decisions carry no hash of the bound
    /// content (a hash of a small value is the value, to whoever tries
    /// them all).
    pub(super) fn redact_signoff(&self, mut view: SignOffView) -> SignOffView {
        let spec = self
            .blueprint(0)
            .and_then(|b| b.step(&view.step))
            .and_then(|s| s.signoff.as_ref());
        let hidden = spec.is_some_and(|spec| spec.binds.iter().any(|b| !self.may_read_bound(b)));
        if !hidden {
            return view;
        }
        for g in &mut view.feedback {
            g.reviews.iter_mut().for_each(|r| r.content = None);
            g.outdated.iter_mut().for_each(|o| o.entry.content = None);
        }
        if let Some(d) = &mut view.decision {
            d.content = None;
        }
        view.outdated_decisions
            .iter_mut()
            .for_each(|o| o.entry.content = None);
        view
    }

    /// Whether the caller may read a bound field (of the item or of its
    /// nearest ancestor of the blueprint it names).
    fn may_read_bound(&self, b: &BoundField) -> bool {
        let at = match &b.blueprint {
            None => Some(0),
            Some(bp) => self.chain.iter().position(|i| i.blueprint == bp.as_str()),
        };
        at.is_none_or(|at| self.may_read_field(at, b.field.as_str()))
    }

    /// The value of field `field` of the item as the caller may see it:
    /// `None` when unset or when they may not read it.
    pub(super) fn readable_field(&self, field: &str) -> Option<&Json> {
        self.chain[0]
            .fields
            .get(field)
            .filter(|_| self.may_read_field(0, field))
    }

    /// The values of `fields` (of the item or its ancestors) as the caller
    /// may see them, keyed as [`bound_values`] keys them: those they may not
    /// read are unset.
    pub(super) fn readable_bound(&self, fields: &[BoundField]) -> BTreeMap<String, Json> {
        let mut values = bound_values(fields, &self.chain[0], &self.chain[1..]);
        for b in fields {
            if !self.may_read_bound(b) {
                values.insert(b.to_string(), Json::Null);
            }
        }
        values
    }

    /// `result`, a rule's outcome on `item` (the item as the change leaves
    /// it, before its hooks ran), with a refusal built from a field the
    /// caller may not read replaced by one that says so without it. What a
    /// message was built from is found by running the rule again (`rerun`)
    /// on the item and its ancestors as the caller may read them: a message
    /// that is not the same there came from what they may not read. Hooks
    /// see every field; their messages reach whoever acted.
    pub(super) fn censor<T>(
        &self,
        item: Option<Item>,
        result: Result<T>,
        rerun: impl FnOnce(Item, &[Item]) -> Result<()>,
    ) -> Result<T> {
        let Err(EngineError::Refused(Refusal::RefusedByRule { why })) = &result else {
            return result;
        };
        let Some(mut item) = item else {
            return result;
        };
        item.fields
            .retain(|f, _| self.may_read_field(0, f.as_str()));
        let blind = self.blind_chain();
        let same = match rerun(item, &blind[1..]) {
            Err(EngineError::Refused(Refusal::RefusedByRule { why: again })) => again == *why,
            _ => false,
        };
        if same {
            result
        } else {
            refuse(Refusal::RefusedByRule {
                why: "a rule refused this; its message names a field you may not read (ask someone who may, or an admin)".into(),
            })
        }
    }

    /// An audit event of the item as the caller may read it: the fields
    /// they may not read left out of what it says was set, and out of its
    /// stored details (the hash chain is verified on the stored events).
    pub(super) fn redact_entry(&self, hidden: &[String], mut e: AuditEntry) -> AuditEntry {
        if hidden.is_empty() {
            return e;
        }
        // The chain's hashes are over the stored details, restricted values
        // included: shown, they would give those values away to whoever
        // hashes every candidate. `audit verify` checks the stored events.
        e.hash = None;
        e.prev_hash = None;
        let shown = |f: &String| !hidden.contains(f);
        // Keeps the (field, value) pairs of fields the caller may read.
        let keep = |fields: &mut Vec<String>, values: &mut Vec<Json>| {
            let kept: Vec<(String, Json)> = fields
                .drain(..)
                .zip(values.drain(..))
                .filter(|(f, _)| shown(f))
                .collect();
            (*fields, *values) = kept.into_iter().unzip();
        };
        match &mut e.happened {
            Happened::Created { fields, values, .. } => keep(fields, values),
            Happened::FieldsChanged { fields, after } => keep(fields, after),
            _ => {}
        }
        for key in ["fields", "follow_up"] {
            if let Some(Json::Object(map)) = e.details.get_mut(key) {
                map.retain(|f, _| shown(f));
            }
        }
        e
    }
}

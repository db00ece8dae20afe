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
use super::bound::bound_values;
use super::error::{EngineError, Refusal, Result, refuse};
use super::history::{AuditEntry, Happened};
use super::views::{ItemView, StatusView};
use crate::model::{BoundField, Field};
use crate::store::ItemRow;

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

    /// `status` as the caller may see it (its item redacted).
    pub(super) fn redact_status(&self, mut status: StatusView) -> StatusView {
        status.item = self.redact_view(status.item);
        status
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
            let at = match &b.blueprint {
                None => Some(0),
                Some(bp) => self.chain.iter().position(|i| i.blueprint == bp.as_str()),
            };
            if at.is_some_and(|at| !self.may_read_field(at, b.field.as_str())) {
                values.insert(b.to_string(), Json::Null);
            }
        }
        values
    }

    /// `result` with a rule's refusal that names the value of a field the
    /// caller may not read (in the item as it was, or in `after`, the item
    /// as the change would leave it) replaced by one that does not: hooks
    /// see every field, their messages reach whoever acted.
    pub(super) fn censor<T>(&self, after: &ItemRow, result: Result<T>) -> Result<T> {
        let Err(EngineError::Refused(Refusal::RefusedByRule { why })) = &result else {
            return result;
        };
        let leaks = self.hidden_fields().iter().any(|f| {
            [&self.chain[0], after]
                .iter()
                .filter_map(|i| i.fields.get(f.as_str()))
                .any(|v| {
                    let text = super::values::display(v);
                    text.chars().count() >= 3 && why.contains(&text)
                })
        });
        if leaks {
            refuse(Refusal::RefusedByRule {
                why: "a rule refused this; its message names a field you may not read (ask someone who may, or an admin)".into(),
            })
        } else {
            result
        }
    }

    /// An audit event of the item as the caller may read it: the fields
    /// they may not read left out of what it says was set, and out of its
    /// stored details (the hash chain is verified on the stored events).
    pub(super) fn redact_entry(&self, hidden: &[String], mut e: AuditEntry) -> AuditEntry {
        if hidden.is_empty() {
            return e;
        }
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

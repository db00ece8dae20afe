//! Compliance controls: their declarations (`control ID "Label" { … }`),
//! the `controls ID, …` that fields, steps and sign-offs give evidence for,
//! unknown ids (an error) and declared controls nothing covers (a warning).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{Checker, duplicate_setting};
use crate::diag::{Code, Diagnostic, SourceFile, Span, did_you_mean};
use crate::model::Control;
use crate::syntax::ast;

impl Checker<'_> {
    /// The ids of a `controls` list, kept to be resolved once every control is known.
    pub(super) fn control_ids(
        &mut self,
        file: &Arc<SourceFile>,
        ids: &[ast::Ident],
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in ids {
            self.control_refs.push((Arc::clone(file), id.clone()));
            if !out.contains(&id.name) {
                out.push(id.name.clone());
            }
        }
        out
    }

    /// The declared controls; reports duplicates, unknown references and
    /// controls nothing covers.
    pub(super) fn resolve_controls(
        &mut self,
        decls: &[(Arc<SourceFile>, &ast::ControlDecl)],
    ) -> BTreeMap<String, Control> {
        let mut controls = BTreeMap::new();
        let firsts = self.first_of_each(decls, Code::DuplicateControl, "control", |c| &c.id);
        for (file, c) in &firsts {
            let mut framework: Option<(String, Span)> = None;
            let mut help: Option<(String, Span)> = None;
            for item in &c.items {
                let (slot, what, text, span) = match item {
                    ast::ControlItem::Framework(t, s) => (&mut framework, "framework", t, *s),
                    ast::ControlItem::Help(t, s) => (&mut help, "help", t, *s),
                };
                if let Some((_, first)) = slot {
                    let d = duplicate_setting(file, what, span, *first);
                    self.report(d);
                    continue;
                }
                *slot = Some((self.string(file, text), span));
            }
            let label = self.label(file, &c.label, &c.id.name);
            controls.insert(
                c.id.name.clone(),
                Control {
                    id: c.id.name.clone(),
                    label,
                    doc: c.docs.join("\n").trim().to_string(),
                    framework: framework.map(|(f, _)| f),
                    help: help.map(|(h, _)| h),
                },
            );
        }
        let mut covered = BTreeSet::new();
        for (file, id) in std::mem::take(&mut self.control_refs) {
            if controls.contains_key(&id.name) {
                covered.insert(id.name.clone());
                continue;
            }
            let help = did_you_mean(
                &id.name,
                controls.keys().map(String::as_str),
                format!(
                    "declare it: `control {} \"Label\" {{ framework \"...\" }}`",
                    id.name
                ),
            );
            self.report(
                Diagnostic::new(
                    Code::UnknownControl,
                    &file,
                    id.span,
                    "no such control",
                    format!("unknown control `{}`", id.name),
                )
                .with_help(help),
            );
        }
        for (file, c) in &firsts {
            if !covered.contains(&c.id.name) {
                self.report(
                    Diagnostic::new(
                        Code::UncoveredControl,
                        file,
                        c.id.span,
                        "nothing gives evidence for it",
                        format!("control `{}` is covered by no field, step or sign-off", c.id.name),
                    )
                    .with_help("add `controls ID` to the field, step or sign-off that gives its evidence, or remove the control"),
                );
            }
        }
        controls
    }
}

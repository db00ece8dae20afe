//! Workflows: steps, their sign-offs, feedback groups and final approvals.

use std::collections::HashMap;
use std::sync::Arc;

use super::conditions::Place;
use super::exclusions::Slot;
use super::principals::Scope;
use super::{Checker, duplicate_setting, unknown_word};
use super::{label_from_id, values};
use crate::diag::{Code, Diagnostic, SourceFile, Span};
use crate::model::condition::When;
use crate::model::*;
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn workflow(
        &mut self,
        file: &Arc<SourceFile>,
        w: &ast::WorkflowDecl,
        scope: &mut Scope<'_>,
    ) -> Option<Workflow> {
        if w.steps.is_empty() {
            self.report(
                Diagnostic::new(Code::EmptyWorkflow, file, w.span, "no step", "workflow has no step")
                    .with_help("add at least one `step ID \"Label\"`, or remove the workflow: an item without one has no steps"),
            );
            return None;
        }
        let mut steps = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for s in &w.steps {
            if !self.first_of(&mut seen, (Code::DuplicateStep, "step"), &s.id, file) {
                continue;
            }
            let mut help: Option<(String, Span)> = None;
            let mut signoff: Option<(Option<SignOff>, Span)> = None;
            let mut step_fields = Vec::new();
            let mut controls: Vec<String> = Vec::new();
            let mut when: Option<(Option<When>, Span)> = None;
            for item in s.block.iter().flatten() {
                match item {
                    ast::StepItem::When(c, disclosed, span) => {
                        if let Some((_, first)) = when {
                            self.report(duplicate_setting(file, "when", *span, first));
                            continue;
                        }
                        if std::ptr::eq(s, &w.steps[0]) {
                            self.report(
                                Diagnostic::new(Code::ConditionalFirstStep, file, *span, "on the first step", format!("the first step `{}` cannot be conditional", s.id.name))
                                    .with_help("items start on the first step, so it always applies: put the condition on a later step, or add a first step before it"),
                            );
                        }
                        let condition =
                            self.condition(file, c, scope, Place::When)
                                .map(|condition| When {
                                    text: crate::syntax::text::cond_text(c),
                                    restricted: scope.restricted_of(&condition),
                                    condition,
                                });
                        if let Some(w) = condition
                            .as_ref()
                            .filter(|w| !w.restricted.is_empty() && !*disclosed)
                        {
                            let fields = w
                                .restricted
                                .iter()
                                .map(|f| format!("`{f}`"))
                                .collect::<Vec<_>>()
                                .join(", ");
                            self.report(
                                Diagnostic::new(Code::RestrictedCondition, file, c.span(), format!("reads {fields}"), format!("whether step `{}` applies tells every reader of the item something of {fields}, which not every reader may read", s.id.name))
                                    .with_help("if that may be shown, say so: `when … disclosed`; if not, decide the step on a field every reader may read"),
                            );
                        }
                        when = Some((condition, *span));
                    }
                    ast::StepItem::Controls(ids, _) => {
                        for id in self.control_ids(file, ids) {
                            if !controls.contains(&id) {
                                controls.push(id);
                            }
                        }
                    }
                    ast::StepItem::Field(f) => step_fields.push(FieldId(f.id.name.clone())),
                    ast::StepItem::Help(h, span) => {
                        if let Some((_, first)) = help {
                            self.report(duplicate_setting(file, "help", *span, first));
                            continue;
                        }
                        help = Some((self.string(file, h), *span));
                    }
                    ast::StepItem::SignOff(o) => {
                        if let Some((_, first)) = signoff {
                            self.report(
                                Diagnostic::new(Code::MultipleSignOffs, file, o.span, "second sign-off", format!("step `{}` has more than one sign-off", s.id.name))
                                    .with_label(first, "first sign-off")
                                    .with_help("a step has at most one sign-off: merge their feedback groups, or split the step in two"),
                            );
                            continue;
                        }
                        signoff = Some((self.signoff(file, o, scope), o.span));
                    }
                }
            }
            steps.push(Step {
                id: StepId(s.id.name.clone()),
                label: self.label(file, &s.label, &s.id.name),
                doc: s.docs.join("\n").trim().to_string(),
                help: help.map(|(h, _)| h),
                fields: step_fields,
                signoff: signoff.and_then(|(o, _)| o),
                controls,
                when: when.and_then(|(w, _)| w),
            });
        }
        Some(Workflow { steps })
    }

    pub(super) fn signoff(
        &mut self,
        file: &Arc<SourceFile>,
        o: &ast::SignOffDecl,
        scope: &mut Scope<'_>,
    ) -> Option<SignOff> {
        let mut mandatory: Option<Span> = None;
        let mut keep_on_rework: Option<Span> = None;
        let mut gates: Option<(bool, Span)> = None;
        let mut reset: Option<(Option<Duration>, Span)> = None;
        let mut rerequest = false;
        let mut binds: Option<(Vec<BoundField>, Span)> = None;
        let mut controls: Vec<String> = Vec::new();
        let mut feedback = Vec::new();
        let mut groups_seen: HashMap<String, Span> = HashMap::new();
        let mut finals: Vec<(Option<FinalApproval>, Span)> = Vec::new();
        let mut valid = true;
        for item in &o.items {
            match item {
                ast::SignOffItem::Mandatory(span) => {
                    if let Some(first) = mandatory {
                        self.report(duplicate_setting(file, "mandatory", *span, first));
                    }
                    mandatory = Some(*span);
                }
                ast::SignOffItem::KeepOnRework(span) => {
                    if let Some(first) = keep_on_rework {
                        self.report(duplicate_setting(file, "keep on rework", *span, first));
                    }
                    keep_on_rework = Some(*span);
                }
                ast::SignOffItem::Gates(target, span) => {
                    if let Some((_, first)) = gates {
                        self.report(duplicate_setting(file, "gates", *span, first));
                        continue;
                    }
                    let Some(value) = self.gate(file, target) else {
                        valid = false;
                        continue;
                    };
                    gates = Some((value, *span));
                }
                ast::SignOffItem::Controls(ids, _) => {
                    for id in self.control_ids(file, ids) {
                        if !controls.contains(&id) {
                            controls.push(id);
                        }
                    }
                }
                ast::SignOffItem::Binds(fields, span) => {
                    if let Some((_, first)) = binds {
                        self.report(duplicate_setting(file, "binds", *span, first));
                        continue;
                    }
                    let mut bound = Vec::new();
                    for b in fields {
                        match self.bound_field(file, b, scope) {
                            Some(field) if !bound.contains(&field) => bound.push(field),
                            Some(_) => {}
                            None => valid = false,
                        }
                    }
                    binds = Some((bound, *span));
                }
                ast::SignOffItem::ResetEvery(d, again, span) => {
                    rerequest |= again.is_some();
                    if let Some((_, first)) = reset {
                        self.report(duplicate_setting(file, "reset every", *span, first));
                        continue;
                    }
                    let duration = self.reported(values::duration(file, d));
                    valid &= duration.is_some();
                    reset = Some((duration, *span));
                }
                ast::SignOffItem::Feedback(g) => {
                    let what = (Code::DuplicateFeedbackGroup, "feedback group");
                    if !self.first_of(&mut groups_seen, what, &g.id, file) {
                        continue;
                    }
                    if g.id.name == "final" {
                        self.report(reserved_final(file, g.id.span));
                        valid = false;
                        continue;
                    }
                    match self.feedback_group(file, g, scope) {
                        Some(group) => feedback.push(group),
                        None => valid = false,
                    }
                }
                ast::SignOffItem::Final(f) => {
                    let approval = self.final_approval(file, f, scope);
                    finals.push((approval, f.span));
                }
            }
        }
        let final_approval = self.one_final(file, o, &finals)?;
        if !valid {
            return None;
        }
        Some(SignOff {
            label: match &o.label {
                Some(l) => self.string(file, l),
                None => "Sign-off".to_string(),
            },
            doc: o.docs.join("\n").trim().to_string(),
            mandatory: mandatory.is_some(),
            keep_on_rework: keep_on_rework.is_some(),
            gates_deployment: gates.is_none_or(|(g, _)| g),
            feedback,
            final_approval,
            reset_every: reset.and_then(|(d, _)| d),
            rerequest,
            binds: binds.map(|(b, _)| b).unwrap_or_default(),
            controls,
        })
    }

    /// The one final approval of a sign-off: none, or more than one, is
    /// reported.
    fn one_final(
        &mut self,
        file: &Arc<SourceFile>,
        o: &ast::SignOffDecl,
        finals: &[(Option<FinalApproval>, Span)],
    ) -> Option<FinalApproval> {
        match finals {
            [] => {
                self.report(
                    Diagnostic::new(Code::MissingFinal, file, o.span, "no final approval", "sign-off has no final approval")
                        .with_help("add `final { reviewers = ... }`: every sign-off ends with one final approval"),
                );
                None
            }
            [(approval, _)] => approval.clone(),
            [(_, first), rest @ ..] => {
                for (_, span) in rest {
                    self.report(
                        Diagnostic::new(
                            Code::MultipleFinals,
                            file,
                            *span,
                            "another final approval",
                            "sign-off has more than one final approval",
                        )
                        .with_label(*first, "first final approval")
                        .with_help(
                            "keep one `final { ... }` and list every approver in its `reviewers`",
                        ),
                    );
                }
                None
            }
        }
    }

    /// What `gates TARGET` says: `deployment` (true) or `nothing` (false).
    fn gate(&mut self, file: &Arc<SourceFile>, target: &ast::Ident) -> Option<bool> {
        match target.name.as_str() {
            "deployment" => Some(true),
            "nothing" => Some(false),
            _ => {
                self.report(unknown_word(
                    Code::UnknownGate,
                    file,
                    target,
                    "gate",
                    &["deployment", "nothing"],
                    "write `gates deployment` (the default) or `gates nothing`",
                ));
                None
            }
        }
    }

    /// A field of `binds`: of the blueprint itself, or of an ancestor.
    fn bound_field(
        &mut self,
        file: &Arc<SourceFile>,
        b: &ast::BoundFieldExpr,
        scope: &Scope<'_>,
    ) -> Option<BoundField> {
        self.typed_bound_field(file, b, scope)
            .map(|(field, _)| field)
    }

    /// A field of the blueprint itself or of an ancestor (`binds`, `when`),
    /// with its declared type (`None` where the type did not check).
    pub(super) fn typed_bound_field(
        &mut self,
        file: &Arc<SourceFile>,
        b: &ast::BoundFieldExpr,
        scope: &Scope<'_>,
    ) -> Option<(BoundField, Option<crate::model::FieldType>)> {
        let (fields, owner) = match &b.blueprint {
            None => (scope.own_fields(), scope.blueprint_id()),
            Some(bp) => match scope.ancestor(file, bp) {
                Ok(target) => (&target.fields, bp.name.as_str()),
                Err(problem) => {
                    self.report(*problem);
                    return None;
                }
            },
        };
        let Some(declared) = fields.get(&b.field.name) else {
            let holder = b
                .blueprint
                .is_none()
                .then(|| scope.ancestor_declaring(&b.field.name))
                .flatten();
            self.report(super::principals::unknown_field(
                file, fields, owner, &b.field, "TYPE", holder,
            ));
            return None;
        };
        let field = BoundField {
            blueprint: b.blueprint.as_ref().map(|bp| BlueprintId(bp.name.clone())),
            field: FieldId(b.field.name.clone()),
        };
        Some((field, declared.clone()))
    }

    pub(super) fn feedback_group(
        &mut self,
        file: &Arc<SourceFile>,
        g: &ast::FeedbackDecl,
        scope: &mut Scope<'_>,
    ) -> Option<FeedbackGroup> {
        let mut reviewers: Option<(Vec<Principal>, Span)> = None;
        let mut min: Option<(u32, Span)> = None;
        let mut help: Option<(String, Span)> = None;
        let mut required: Option<Span> = None;
        let mut service = Vec::new();
        let mut excluded = Vec::new();
        let mut valid = true;
        for item in &g.items {
            match item {
                ast::FeedbackItem::Service(s) => service.push(s),
                ast::FeedbackItem::Not(e) => excluded.push(e),
                ast::FeedbackItem::Reviewers(list, span) => {
                    if let Some((_, first)) = reviewers {
                        self.report(duplicate_setting(file, "reviewers", *span, first));
                        continue;
                    }
                    reviewers = Some((self.principals(file, list, scope, None), *span));
                }
                ast::FeedbackItem::Min(n, span) => {
                    if let Some((_, first)) = min {
                        self.report(duplicate_setting(file, "min", *span, first));
                        continue;
                    }
                    match values::int(file, n) {
                        Ok(v) if v >= 1 && v <= i64::from(u32::MAX) => {
                            min = Some((v as u32, *span))
                        }
                        Ok(v) if v >= 1 => {
                            self.report(
                                Diagnostic::new(Code::NumberOutOfRange, file, n.span, "too large", format!("`min {v}` is out of range"))
                                    .with_help("`min` is how many reviews the group needs; keep it below 4294967296"),
                            );
                            valid = false;
                        }
                        Ok(_) => {
                            self.report(
                                Diagnostic::new(Code::ZeroMin, file, n.span, "must be at least 1", format!("feedback group `{}` needs `min` of at least 1", g.id.name))
                                    .with_help("`min N` is how many reviews the group needs to be complete; remove it for the default of 1"),
                            );
                            valid = false;
                        }
                        Err(d) => {
                            self.report(*d);
                            valid = false;
                        }
                    }
                }
                ast::FeedbackItem::Required(span) => {
                    if let Some(first) = required {
                        self.report(duplicate_setting(file, "required", *span, first));
                    }
                    required = Some(*span);
                }
                ast::FeedbackItem::Help(h, span) => {
                    if let Some((_, first)) = help {
                        self.report(duplicate_setting(file, "help", *span, first));
                        continue;
                    }
                    help = Some((self.string(file, h), *span));
                }
            }
        }
        let Some((reviewers, _)) = reviewers else {
            self.report(
                Diagnostic::new(
                    Code::MissingReviewers,
                    file,
                    g.id.span,
                    "no reviewers",
                    format!("feedback group `{}` has no reviewers", g.id.name),
                )
                .with_help("add `reviewers = ...`, e.g. `{ reviewers = group \"risk\" }`"),
            );
            return None;
        };
        let exclude = self.exclusions(file, &excluded, Slot::Group(&g.id.name), &reviewers, scope);
        let service = self.service_level(file, &service, scope);
        let service = service?;
        valid.then(|| FeedbackGroup {
            id: FeedbackGroupId(g.id.name.clone()),
            label: match &g.label {
                Some(l) => self.string(file, l),
                None => label_from_id(&g.id.name),
            },
            doc: g.docs.join("\n").trim().to_string(),
            reviewers,
            min: min.map_or(1, |(m, _)| m),
            required: required.is_some(),
            help: help.map(|(h, _)| h),
            exclude,
            service,
        })
    }

    pub(super) fn final_approval(
        &mut self,
        file: &Arc<SourceFile>,
        f: &ast::FinalDecl,
        scope: &mut Scope<'_>,
    ) -> Option<FinalApproval> {
        let mut reviewers: Option<(Vec<Principal>, Span)> = None;
        let requester: Vec<ast::Exclusion> = f
            .items
            .iter()
            .filter_map(|i| match i {
                ast::FinalItem::NotRequester(span) => Some(ast::Exclusion::Requester(*span)),
                _ => None,
            })
            .collect();
        let mut excluded: Vec<&ast::Exclusion> = requester.iter().collect();
        let mut no_major: Option<Span> = None;
        let mut service = Vec::new();
        for item in &f.items {
            match item {
                ast::FinalItem::Service(s) => service.push(s),
                ast::FinalItem::NotRequester(_) => {}
                ast::FinalItem::Not(e) => excluded.push(e),
                ast::FinalItem::Reviewers(list, span) => {
                    if let Some((_, first)) = reviewers {
                        self.report(duplicate_setting(file, "reviewers", *span, first));
                        continue;
                    }
                    reviewers = Some((self.principals(file, list, scope, None), *span));
                }
                ast::FinalItem::NoMajor(span) => {
                    if let Some(first) = no_major {
                        self.report(duplicate_setting(file, "no major", *span, first));
                    }
                    no_major = Some(*span);
                }
            }
        }
        let Some((reviewers, _)) = reviewers else {
            self.report(
                Diagnostic::new(Code::MissingReviewers, file, f.span, "no reviewers", "final approval has no reviewers")
                    .with_help("add `reviewers = ...`, e.g. `final { reviewers = role approvers  not requester }`"),
            );
            return None;
        };
        excluded.sort_by_key(|e| e.span().start);
        let exclude = self.exclusions(file, &excluded, Slot::Final, &reviewers, scope);
        let service = self.service_level(file, &service, scope)?;
        Some(FinalApproval {
            doc: f.docs.join("\n").trim().to_string(),
            reviewers,
            exclude,
            no_major: no_major.is_some(),
            service,
        })
    }
}

/// A feedback group named `final`, the final approval's name.
fn reserved_final(file: &Arc<SourceFile>, span: Span) -> Diagnostic {
    Diagnostic::new(Code::ReservedName, file, span, "reserved", "feedback group cannot be named `final`")
                                .with_help("`final` names the final approval in commands such as `govrt signoff delegate ITEM final USER`; choose another id")
}

//! The item page: workflow bar, one panel per sign-off with exactly the
//! actions the viewer may take, deploy decisions, fields and following.

use super::frame::{
    ItemPage, Notice, Viewer, csrf, error_box, layout, policy_name, refused_field, status_badge,
    verdict_badge, when_in, workflow_badge,
};
use crate::engine::actions::{ActionArgs, Verb};
use crate::engine::rules::signoff::{Action, Status, Verdict};
use crate::engine::rules::values::field_text;
use crate::engine::rules::workflow::{StepState, WorkflowState};
use crate::engine::{Allowed, SignOffView, StatusView};
use crate::model::FieldType;
use crate::model::invisible::shown;
use maud::{Markup, html};
use serde_json::Value;

pub(super) fn input_id(field: &str) -> String {
    format!("f-{field}")
}

/// What a field holds, in words for the form's label (`one of low, high`,
/// `users, separated by commas`), not the language's type syntax.
pub(super) fn type_in_words(ty: &FieldType) -> String {
    let one = |ty: &FieldType| -> String {
        match ty {
            FieldType::Text => "text".into(),
            FieldType::Int {
                min: Some(lo),
                max: Some(hi),
            } => format!("a whole number from {lo} to {hi}"),
            FieldType::Int { min: Some(lo), .. } => format!("a whole number from {lo}"),
            FieldType::Int { max: Some(hi), .. } => format!("a whole number up to {hi}"),
            FieldType::Int { .. } => "a whole number".into(),
            FieldType::Number => "a number".into(),
            FieldType::Bool => "yes or no".into(),
            FieldType::Date => "a date".into(),
            FieldType::DateTime => "a date and time, UTC".into(),
            FieldType::Url => "a web address".into(),
            FieldType::Enum { variants } => format!("one of {}", variants.join(", ")),
            FieldType::User => "a user name".into(),
            FieldType::Group => "a group name".into(),
            FieldType::Principal => "a user or group: user:NAME or group:NAME".into(),
            FieldType::Ref { blueprint } => format!("the id of an item of {blueprint}"),
            FieldType::Attachment => "an attachment name".into(),
            FieldType::List { of } => type_in_words(of),
        }
    };
    match ty {
        FieldType::List { of } => {
            let plural = match of.as_ref() {
                FieldType::User => "user names".to_string(),
                FieldType::Group => "group names".to_string(),
                FieldType::Principal => "users or groups (user:NAME, group:NAME)".to_string(),
                FieldType::Enum { variants } => format!("any of {}", variants.join(", ")),
                other => format!("values, each {}", one(other)),
            };
            format!("{plural}, separated by commas")
        }
        other => one(other),
    }
}

/// A typed input for a field, or its value when it cannot be edited.
pub(super) fn field_input(
    f: &crate::model::Field,
    value: Option<&Value>,
    editable: bool,
) -> Markup {
    let id = input_id(f.id.as_str());
    let name = format!("f.{}", f.id);
    let text = value.map(field_text).unwrap_or_default();
    let hint = type_in_words(&f.ty);
    html! {
        div.field {
            label for=(id) { (f.label) @if f.required { " *" } " " span.hint { "(" (hint) ")" } }
            @if let Some(help) = &f.help { p.hint id=(format!("{id}-help")) { (help) } }
            @if !editable {
                output #(id) { @if text.is_empty() { span.hint { "not set" } } @else { (shown(&text)) } }
            } @else {
                @match &f.ty {
                    FieldType::Text => textarea #(id) name=(name) rows="2" { (text) },
                    FieldType::Int { min, max } => input #(id) type="number" step="1" name=(name) value=(text) min=[min] max=[max];,
                    FieldType::Number => input #(id) type="number" step="any" name=(name) value=(text);,
                    FieldType::Bool => select #(id) name=(name) {
                        option value="" { "not set" }
                        option value="true" selected[text == "true"] { "yes" }
                        option value="false" selected[text == "false"] { "no" }
                    },
                    FieldType::Date => input #(id) type="date" name=(name) value=(text);,
                    FieldType::DateTime => input #(id) type="datetime-local" name=(name) value=(text.get(..16).unwrap_or(&text));,
                    FieldType::Url => input #(id) type="url" name=(name) value=(text);,
                    FieldType::Enum { variants } => select #(id) name=(name) {
                        option value="" { "not set" }
                        @for v in variants { option value=(v) selected[*v == text] { (v) } }
                    },
                    _ => input #(id) type="text" name=(name) value=(text);,
                }
            }
        }
    }
}

/// The item page: fields, step bar, sign-off panels, deploy status.
pub fn item(viewer: &Viewer, page: &ItemPage, notice: Option<&Notice>) -> Markup {
    let s = &page.status;
    let item = &s.item;
    layout(
        &shown(&item.name),
        Some(viewer),
        "/items",
        html! {
            p.hint {
                a href=(format!("/items?blueprint={}", item.blueprint)) { (page.blueprint.label) }
                @if let Some(p) = &item.parent {
                    " · parent " a href=(format!("/items/{p}")) {
                        @match &page.parent { Some(parent) => { (shown(&parent.name)) }, None => { "#" (p) } }
                    }
                }
                " · " a href=(format!("/items/{}/timeline", item.id)) { "Timeline" }
            }
            h1 { (shown(&item.name)) " " span.hint { "#" (item.id) } " " (workflow_badge(item.workflow)) }
            (error_box(notice, "page"))
            dl.facts {
                dt { "Blueprint" } dd { (item.blueprint) " v" (item.version) }
                dt { "Created by" } dd { (item.creator) " · " (item.created_at.format("%Y-%m-%d %H:%M UTC")) }
                dt { "Revision" } dd { (item.revision) }
            }
            @if !s.steps.is_empty() { (workflow_panel(viewer, page, notice)) }
            @for o in &s.signoffs { (signoff_panel(viewer, page, o, notice)) }
            (deploy_panel(s))
            (fields_panel(viewer, page, notice))
            @if !page.children.is_empty() {
                section.card {
                    h2 { "Children" }
                    ul { @for c in &page.children { li { a href=(format!("/items/{}", c.id)) { (shown(&c.name)) } " " span.hint { (c.blueprint) } } } }
                }
            }
            (subscription_panel(viewer, page, notice))
        },
    )
}

pub(super) fn workflow_panel(viewer: &Viewer, page: &ItemPage, notice: Option<&Notice>) -> Markup {
    let s = &page.status;
    let locked = s.item.workflow == Some(WorkflowState::Locked);
    html! {
        section.card #workflow aria-labelledby="workflow-h" {
            h2 #workflow-h { "Workflow" }
            ol.steps {
                @for step in &s.steps {
                    @let (class, word) = match step.state {
                        StepState::Finished => ("finished", "finished"),
                        StepState::Ongoing if locked => ("locked", "locked"),
                        StepState::Ongoing => ("ongoing", "ongoing"),
                        StepState::NotStarted => ("not-started", "not started"),
                        StepState::Skipped => ("skipped", "skipped"),
                    };
                    li class=(class) aria-current=[(step.state == StepState::Ongoing).then_some("step")] {
                        (step.label) span.state { (word) }
                    }
                }
            }
            (error_box(notice, "workflow"))
            @if page.permitted.write && locked {
                p.hint { "The workflow is locked: reset the rejected sign-off, or cancel its abandon, to move it again." }
            }
            @if page.permitted.write && !locked {
                div.actions {
                    @if s.item.workflow == Some(WorkflowState::Ongoing) {
                        form method="post" action=(format!("/items/{}/move", s.item.id)) {
                            (csrf(viewer)) input type="hidden" name="revision" value=(s.item.revision);
                            button type="submit" { "Advance to the next step" }
                        }
                    }
                    form method="post" action=(format!("/items/{}/move", s.item.id)) {
                        (csrf(viewer)) input type="hidden" name="revision" value=(s.item.revision);
                        label for="move-step" { "Move to step" }
                        select #move-step name="step" required {
                            @for step in &s.steps { option value=(step.id) selected[Some(&step.id) == s.item.step.as_ref()] { (step.label) } }
                        }
                        button.secondary type="submit" { "Move" }
                    }
                }
            }
        }
    }
}

pub(super) fn when(t: &chrono::DateTime<chrono::Utc>) -> Markup {
    when_in(t, chrono_tz::UTC)
}

/// One button posting a sign-off action, with an optional comment.
pub(super) fn action_form(
    viewer: &Viewer,
    item: &str,
    step: &str,
    action: &str,
    label: &str,
    comment: bool,
    class: &str,
) -> Markup {
    let comment_id = format!("{action}-{step}-comment");
    html! {
        form method="post" action=(format!("/items/{item}/signoff/{action}")) {
            (csrf(viewer)) input type="hidden" name="step" value=(step);
            @if comment {
                label for=(comment_id) { "Comment" span.hint { " (optional)" } }
                textarea #(comment_id) name="comment" rows="2" {}
            }
            button class=(class) type="submit" { (label) }
        }
    }
}

/// One form for the final decision: one comment box, Approve and Reject
/// (each only where it can succeed), and what the approver decides without.
pub(super) fn decision_form(
    viewer: &Viewer,
    item: &str,
    o: &SignOffView,
    revision: i64,
    approve: bool,
    reject: bool,
) -> Markup {
    let step = o.step.as_str();
    let comment_id = format!("decision-{step}-comment");
    let missing: Vec<&str> = o
        .feedback
        .iter()
        .filter(|g| !g.complete)
        .map(|g| g.label.as_str())
        .collect();
    html! {
        form method="post" action=(format!("/items/{item}/signoff/{}", Verb::Approve.name())) {
            (csrf(viewer)) input type="hidden" name="step" value=(step);
            input type="hidden" name="revision" value=(revision);
            @if !missing.is_empty() {
                p.warn.missing-feedback { "Missing feedback: " (missing.join(", ")) " — short of the reviews each group asks for." }
            }
            @if !o.open_major_issues.is_empty() {
                p.warn.major-issues { "Open major issues from " (o.open_major_issues.join(", ")) "." @if o.no_major { " This sign-off cannot be approved while they stand." } }
            }
            label for=(comment_id) { "Comment" span.hint { " (optional)" } }
            textarea #(comment_id) name="comment" rows="2" {}
            @if approve { button type="submit" { "Approve" } }
            @if reject {
                " " button.danger type="submit" formaction=(format!("/items/{item}/signoff/{}", Verb::Reject.name())) { "Reject" }
            }
        }
    }
}

/// The actions the sign-off's state allows that the viewer may not take,
/// each with the link to why not.
fn not_open(item: &str, o: &SignOffView, allowed: &[Allowed]) -> Vec<(String, String)> {
    let step = o.step.as_str();
    let mut out = Vec::new();
    let starts_here = |verb: Verb, group: Option<&str>| {
        let args = ActionArgs {
            group: group.map(str::to_string),
            verdict: Some(Verdict::Approved),
            comment: None,
            to: Some(String::new()),
            at: Some(chrono::Utc::now()),
        };
        Action::from_verb(verb, args)
            .is_ok_and(|a| crate::engine::rules::actions::allowed_from(&a).contains(&o.status))
    };
    let may = |verb: Verb, group: Option<&str>| {
        allowed
            .iter()
            .any(|a| a.verb == verb && a.group.as_deref() == group)
    };
    for verb in Verb::REQUESTED {
        if matches!(verb, Verb::GiveFeedback | Verb::Delegate) {
            continue;
        }
        // Approving an approval is not offered to anyone (nor rejecting a rejection).
        let same = matches!(
            (verb, o.status),
            (Verb::Approve, Status::Approved) | (Verb::Reject, Status::Rejected)
        );
        if !same && starts_here(verb, None) && !may(verb, None) {
            out.push((
                verb.words().to_string(),
                format!("/items/{item}/explain?action={}&step={step}", verb.name()),
            ));
        }
    }
    for g in &o.feedback {
        let group = g.id.as_str();
        if starts_here(Verb::GiveFeedback, Some(group)) && !may(Verb::GiveFeedback, Some(group)) {
            out.push((
                format!("give feedback for {}", g.label),
                format!(
                    "/items/{item}/explain?action={}&step={step}&group={group}",
                    Verb::GiveFeedback.name()
                ),
            ));
        }
    }
    out
}

pub(super) fn signoff_panel(
    viewer: &Viewer,
    page: &ItemPage,
    o: &SignOffView,
    notice: Option<&Notice>,
) -> Markup {
    let item = page.status.item.id.as_str();
    let step = o.step.as_str();
    let allowed = page
        .permitted
        .signoffs
        .get(step)
        .cloned()
        .unwrap_or_default();
    let may = |verb: Verb| allowed.iter().any(|a| a.verb == verb && a.group.is_none());
    let may_for = |verb: Verb, group: &str| {
        allowed
            .iter()
            .any(|a| a.verb == verb && a.group.as_deref() == Some(group))
    };
    let step_label = page
        .status
        .steps
        .iter()
        .find(|s| s.id == o.step)
        .map_or(step, |s| s.label.as_str());
    let place = format!("signoff:{step}");
    html! {
        section.card id=(format!("signoff-{step}")) aria-labelledby=(format!("signoff-{step}-h")) {
            h2 id=(format!("signoff-{step}-h")) { "Sign-off: " (o.label) " " (status_badge(o.status)) }
            @if let Some(skip) = page.status.steps.iter().find(|s| s.id == o.step).and_then(|s| s.skipped.as_ref()) {
                p.hint { "Not applicable: the step was skipped (" (skip.reason()) "). Move the workflow back before it to decide again." }
            }
            dl.facts {
                dt { "Step" } dd { (step_label) }
                dt { "Rules" } dd { @if o.mandatory { "mandatory" } @else { "optional" } @if o.gates_deployment { " · gates deployment" } }
                @if let Some(r) = &o.requester { dt { "Requested by" } dd { (r) } }
                @if let Some(t) = &o.approved_at { dt { "Approved at" } dd { (when(t)) } }
                @if let Some(t) = &o.next_reset_at { dt { "Re-certification due" } dd { (when(t)) } }
                @if let Some(t) = &o.scheduled_reset_at { dt { "Reset scheduled" } dd { (when(t)) } }
                @if o.rounds_archived > 0 { dt { "Earlier rounds" } dd { (o.rounds_archived) " archived (see the timeline)" } }
            }
            @if o.status != crate::engine::rules::signoff::Status::NotApplicable {
            h3 { "Feedback" }
            div.groups {
                @for g in &o.feedback {
                    div.group.complete[g.complete] {
                        strong { (g.label) } " "
                        span.hint { (g.reviews.len().min(usize::try_from(g.min).unwrap_or(usize::MAX))) " of " (g.min) " reviews needed" @if g.complete { " ✓" } }
                        @if let Some(v) = &g.service { (super::service::service(v)) }
                        (reviews_list(g))
                        @if may_for(Verb::GiveFeedback, g.id.as_str()) { (feedback_form(viewer, item, step, &g.id, g.reviews.iter().find(|r| r.reviewer == viewer.who.name))) }
                        @if may_for(Verb::Delegate, g.id.as_str()) { (delegate_form(viewer, item, step, &g.id)) }
                    }
                }
            }
            (final_section(o))
            }
            @if !o.binds.is_empty() {
                p.hint { "Reviews and the decision are of " (o.binds.join(", ")) ": a change of them outdates them." }
            }
            @if !o.delegations.is_empty() {
                h3 { "Delegations" }
                ul { @for d in &o.delegations { li { (d.from) " → " strong { (d.to) } " for " (d.group) " · " (when(&d.at)) } } }
            }
            (error_box(notice, &place))
            @if allowed.iter().any(|a| a.group.is_none() || a.group.as_deref() == Some("final")) {
                h3 { "Your actions" }
                div.actions {
                    @if may(Verb::RequestReview) { (action_form(viewer, item, step, Verb::RequestReview.name(), "Request review", false, "")) }
                    @if may(Verb::RequestFinalApproval) { (action_form(viewer, item, step, Verb::RequestFinalApproval.name(), "Request final approval", false, "")) }
                    @if may(Verb::BackToFeedback) { (action_form(viewer, item, step, Verb::BackToFeedback.name(), "Back to feedback", false, "secondary")) }
                    @if may(Verb::Approve) || may(Verb::Reject) { (decision_form(viewer, item, o, page.status.item.revision, may(Verb::Approve), may(Verb::Reject))) }
                    @if may_for(Verb::Delegate, "final") { (delegate_form(viewer, item, step, "final")) }
                    @if may(Verb::Abandon) { (action_form(viewer, item, step, Verb::Abandon.name(), "Abandon", false, "danger")) }
                    @if may(Verb::CancelAbandon) { (action_form(viewer, item, step, Verb::CancelAbandon.name(), "Cancel abandon", false, "secondary")) }
                    @if may(Verb::Reset) { (action_form(viewer, item, step, Verb::Reset.name(), "Reset", false, "secondary")) }
                    @if may(Verb::ScheduleReset) {
                        form method="post" action=(format!("/items/{item}/signoff/schedule-reset")) {
                            (csrf(viewer)) input type="hidden" name="step" value=(step);
                            label for=(format!("at-{step}")) { "Reset on" span.hint { " (UTC)" } }
                            input id=(format!("at-{step}")) type="datetime-local" name="at" required;
                            button.secondary type="submit" { "Schedule reset" }
                        }
                    }
                }
            }
            @let closed = not_open(item, o, &allowed);
            @if !closed.is_empty() {
                p.hint.why-not {
                    "Not open to you now: "
                    @for (i, (label, href)) in closed.iter().enumerate() {
                        @if i > 0 { " · " }
                        (label) " (" a href=(href) { "why?" } ")"
                    }
                }
            }
        }
    }
}

/// The reviews of a feedback group, current then outdated.
fn reviews_list(g: &crate::engine::GroupView) -> Markup {
    html! {
        ul.reviews {
            @for r in &g.reviews {
                li {
                    span class=(format!("badge v-{}", r.verdict.as_str())) { (r.verdict.as_str().replace('_', " ")) } " by " strong { (r.reviewer) }
                    @if r.as_admin { " (as admin)" } " · " (when(&r.at))
                    @if let Some(c) = &r.comment { br; q { (shown(c)) } }
                }
            }
            @if g.reviews.is_empty() { li.hint { "No feedback yet." } }
            @for o in &g.outdated {
                li.outdated {
                    span.badge.outdated { "OUTDATED" } " "
                    (o.entry.verdict.as_str().replace('_', " ")) " by " (o.entry.reviewer) " · "
                    "given on earlier content: " (o.changed.join(", ")) " changed " (when(&o.at))
                }
            }
        }
    }
}

/// The final approval of a sign-off: its clock, its decision, and the
/// decisions a change of content outdated.
fn final_section(o: &SignOffView) -> Markup {
    html! {
        h3 { "Final approval" }
        @if let Some(v) = &o.final_service { (super::service::service(v)) }
        @match &o.decision {
            Some(d) => p {
                @if d.approved { span.badge.s-APPROVED { "APPROVED" } } @else { span.badge.s-REJECTED { "REJECTED" } }
                " by " strong { (d.by) } @if d.as_admin { " (as admin)" } " · " (when(&d.at))
                @if let Some(c) = &d.comment { br; q { (shown(c)) } }
            },
            None => p.hint { "No decision yet." },
        }
        @for d in &o.outdated_decisions {
            p.outdated {
                span.badge.outdated { "OUTDATED" } " "
                @if d.entry.approved { "APPROVED" } @else { "REJECTED" } " by " (d.entry.by) " · "
                "given on earlier content: " (d.changed.join(", ")) " changed " (when(&d.at))
            }
        }
    }
}

pub(super) fn feedback_form(
    viewer: &Viewer,
    item: &str,
    step: &str,
    group: &str,
    mine: Option<&crate::engine::rules::signoff::Review>,
) -> Markup {
    let base = format!("fb-{step}-{group}");
    html! {
        form method="post" action=(format!("/items/{item}/signoff/feedback")) {
            (csrf(viewer)) input type="hidden" name="step" value=(step); input type="hidden" name="group" value=(group);
            fieldset {
                legend { @if mine.is_some() { "Edit your feedback" } @else { "Your feedback" } }
                @for v in ["approved", "minor", "major"] {
                    @let id = format!("{base}-{v}");
                    input id=(id) type="radio" name="verdict" value=(v) required checked[mine.is_some_and(|m| Some(m.verdict) == crate::engine::rules::signoff::Verdict::parse(v))];
                    label for=(id) style="display:inline;margin-right:12px" { (v) }
                }
                label for=(format!("{base}-comment")) { "Comment" span.hint { " (optional)" } }
                textarea id=(format!("{base}-comment")) name="comment" rows="2" { (mine.and_then(|m| m.comment.clone()).unwrap_or_default()) }
                button type="submit" { @if mine.is_some() { "Update feedback" } @else { "Give feedback" } }
            }
        }
    }
}

pub(super) fn delegate_form(viewer: &Viewer, item: &str, step: &str, group: &str) -> Markup {
    let id = format!("dg-{step}-{group}");
    html! {
        form method="post" action=(format!("/items/{item}/signoff/delegate")) {
            (csrf(viewer)) input type="hidden" name="step" value=(step); input type="hidden" name="group" value=(group);
            label for=(id) { "Delegate " @if group == "final" { "the final approval" } @else { "this review" } " to" span.hint { " (user name)" } }
            input id=(id) type="text" name="user" required;
            button.secondary type="submit" { "Delegate" }
        }
    }
}

pub(super) fn deploy_panel(s: &StatusView) -> Markup {
    html! {
        section.card #deploy aria-labelledby="deploy-h" {
            h2 #deploy-h { "Governance status" }
            @if s.steps.is_empty() {
                p.no-gate { (s.item.blueprint) " items have no workflow, so there is no deploy decision." }
            }
            @if !s.gated {
                // Nothing approves such an item: said plainly, never as green.
                p.no-gate { "No sign-off gates deployment of " (s.item.blueprint) " items: " span.badge { "nothing to approve" } }
            } @else {
                p { "Sign-offs that gate deployment: " @if s.approved { span.badge.s-APPROVED { "all approved" } } @else { span.badge.s-REJECTED { "not approved" } } }
            }
            @if !s.deploy.is_empty() {
                table {
                    thead { tr { th scope="col" { "Infrastructure" } th scope="col" { "Policy" } th scope="col" { "Decision" } th scope="col" { "Why" } } }
                    tbody {
                        @for d in &s.deploy {
                            tr { td { (d.infrastructure) } td { (policy_name(d.policy)) } td { (verdict_badge(d.decision)) } td { (d.reason) } }
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn fields_panel(viewer: &Viewer, page: &ItemPage, notice: Option<&Notice>) -> Markup {
    let item = &page.status.item;
    // After a refusal, what the user typed is shown again, and the error next
    // to the field it is about.
    // A field the user may not read is not on the page at all; one they may
    // not set is shown read-only.
    let visible = |f: &&crate::model::Field| !item.hidden.iter().any(|h| h == f.id.as_str());
    let writable = |f: &crate::model::Field| !item.read_only.iter().any(|r| r == f.id.as_str());
    let about = refused_field(
        notice,
        "fields",
        page.blueprint
            .fields
            .iter()
            .filter(visible)
            .map(|f| f.id.as_str()),
    );
    let editable = page.blueprint.fields.iter().filter(visible).any(writable);
    let shown = |f: &crate::model::Field| -> Option<Value> {
        match Notice::typed_at(notice, "fields", &format!("f.{}", f.id)) {
            Some(typed) => Some(Value::String(typed.to_string())),
            None => item.fields.get(f.id.as_str()).cloned(),
        }
    };
    let step_label = |id: &str| {
        page.blueprint
            .step(id)
            .map_or_else(|| id.to_string(), |s| s.label.clone())
    };
    html! {
        section.card #fields aria-labelledby="fields-h" {
            h2 #fields-h { "Fields" }
            @if !editable { p.hint { "You may read these fields; only those with write permission may change them." } }
            form method="post" action=(format!("/items/{}/fields", item.id)) {
                (csrf(viewer)) input type="hidden" name="revision" value=(item.revision);
                @for f in page.blueprint.fields.iter().filter(visible).filter(|f| f.step.is_none()) {
                    (field_input(f, shown(f).as_ref(), writable(f)))
                    @if about == Some(f.id.as_str()) { (error_box(notice, "fields")) }
                }
                @for step in page.blueprint.workflow.iter().flat_map(|w| &w.steps).filter(|s| page.blueprint.fields.iter().filter(visible).any(|f| f.step.as_ref() == Some(&s.id))) {
                    h3 { "Step " (step_label(step.id.as_str())) }
                    @for f in page.blueprint.fields.iter().filter(visible).filter(|f| f.step.as_ref() == Some(&step.id)) {
                        (field_input(f, shown(f).as_ref(), writable(f)))
                        @if about == Some(f.id.as_str()) { (error_box(notice, "fields")) }
                    }
                }
                @if about.is_none() { (error_box(notice, "fields")) }
                @if editable { div { button type="submit" { "Save fields" } } }
            }
        }
    }
}

pub(super) fn subscription_panel(
    viewer: &Viewer,
    page: &ItemPage,
    notice: Option<&Notice>,
) -> Markup {
    let id = &page.status.item.id;
    let button = |on: bool, label: &str| {
        html! {
            form method="post" action=(format!("/items/{id}/subscription")) {
                (csrf(viewer)) input type="hidden" name="subscribed" value=(on);
                button.secondary type="submit" { (label) }
            }
        }
    };
    html! {
        section.card #subscription aria-labelledby="subscription-h" {
            h2 #subscription-h { "Notifications" }
            @match page.subscribed {
                Some(true) => { p { "You are subscribed to this item and what lies under it." } (button(false, "Unsubscribe")) }
                Some(false) => { p { "You unsubscribed from this item." } (button(true, "Subscribe")) }
                None => { p { "You follow this item only through an ancestor you subscribed to, if any." } div.actions { (button(true, "Subscribe")) (button(false, "Unsubscribe")) } }
            }
            (error_box(notice, "subscription"))
        }
    }
}

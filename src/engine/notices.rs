//! Who is told about an action and what they read (the book's
//! "Notifications"): from the sign-off events of one action, one message per
//! person and event, queued in the outbox with the action.

use std::collections::BTreeMap;

use super::access::{Delegators, Identity, NoTrace, Resolver};
use super::error::Result;
use super::mail::unsubscribe_secret;
use super::rules::actions::Needed;
use super::rules::signoff::{Event, SignOffEvents, SignOffState};
use super::rules::sla;
use super::set_cache::LoadedSet;
use crate::model::{Item, SignOff};
use crate::store::{NewMessage, Tx};

/// Who is mailed about a notice.
pub(super) enum Audience {
    /// The item's subscribers (through its ancestors), but the actor.
    Subscribers,
    /// These users.
    Users(Vec<String>),
    /// Users eligible for a feedback group of the step's sign-off.
    Reviewers,
    /// The final approvers of the step's sign-off.
    Approvers,
    /// Who may review for a group (`final`: decide) and has not.
    Pending(String),
    /// The escalation principals of a group (`final`: of the final approval).
    Escalation(String),
}

/// The sign-off an action changed, as the messages about it read it.
struct Subject<'a> {
    tx: &'a Tx<'a>,
    set: &'a LoadedSet,
    chain: &'a [Item],
    spec: &'a SignOff,
    step: &'a str,
    /// The sign-off's state after the action.
    state: SignOffState,
}

impl Subject<'_> {
    fn item(&self) -> &Item {
        &self.chain[0]
    }

    /// A feedback group's label.
    fn label_of(&self, group: &str) -> String {
        self.spec
            .feedback
            .iter()
            .find(|g| g.id.as_str() == group)
            .map_or(group.to_string(), |g| g.label.clone())
    }

    /// What a reminder or escalation says is waiting.
    fn waiting_for(&self, group: &str) -> String {
        if group == "final" {
            "the final approval".to_string()
        } else {
            format!("the {} review", self.label_of(group))
        }
    }
}

/// The messages an action sends (the book's "Notifications"), from its
/// sign-off events.
pub(super) fn mails_for(
    tx: &Tx<'_>,
    set: &LoadedSet,
    chain: &[Item],
    who: &Identity,
    signoff: &SignOffEvents,
    base_url: &str,
) -> Result<Vec<NewMessage>> {
    let item = &chain[0];
    let Some(blueprint) = set.blueprint(&item.blueprint) else {
        return Ok(Vec::new());
    };
    let Some(spec) = blueprint
        .step(&signoff.step)
        .and_then(|s| s.signoff.as_ref())
    else {
        return Ok(Vec::new());
    };
    let subject = Subject {
        tx,
        set,
        chain,
        spec,
        step: &signoff.step,
        state: item
            .signoffs
            .get(&signoff.step)
            .cloned()
            .unwrap_or_default(),
    };
    let mut out = Vec::new();
    // One message per person and event: a request is told before the rest,
    // so a reviewer asked again by a lapse (`rerequest`) hears that.
    let mut events: Vec<&Event> = signoff.events.iter().collect();
    events.sort_by_key(|e| !matches!(e, Event::ReviewRequested));
    let lapsed = events
        .iter()
        .any(|e| matches!(e, Event::Reset { automatic: true }));
    let mut secret = None;
    for e in events {
        let Some((what, audience)) = wording(&subject, e, signoff.notify, lapsed) else {
            continue;
        };
        let notice = crate::notify::Notice {
            item: item.id,
            item_name: item.name.clone(),
            blueprint: blueprint.label.clone(),
            step: signoff.step.clone(),
            signoff: spec.label.clone(),
            state: subject.state.status.as_str().to_string(),
            actor: who.name.clone(),
            what,
            note: note_of(&subject, e, signoff),
        };
        for (user, address) in recipients(&subject, &audience)? {
            let Some(address) = address.filter(|_| user != who.name) else {
                continue;
            };
            let secret = match &mut secret {
                Some(s) => s,
                None => secret.insert(unsubscribe_secret(tx)?),
            };
            // The link works for a while from the action (the item's last change).
            let expires =
                item.updated_at.timestamp() + crate::notify::UNSUBSCRIBE_LINK_DAYS * 86_400;
            let token = crate::notify::unsubscribe_token(secret, &user, item.id, expires);
            out.push(crate::notify::compose(
                &notice, &user, &address, base_url, &token,
            ));
        }
    }
    Ok(out)
}

/// The note a message carries: what the clock says for a reminder or an
/// escalation, else what the actor wrote.
fn note_of(s: &Subject<'_>, e: &Event, signoff: &SignOffEvents) -> Option<String> {
    match e {
        Event::Reminded { group, .. } | Event::Escalated { group, .. } => {
            sla::level_of(s.spec, group).map(|level| {
                let clock = s.state.clocks.get(group.as_str());
                service_note(&sla::view(
                    level,
                    clock,
                    s.state.status,
                    s.item().updated_at,
                ))
            })
        }
        _ => signoff.note.clone(),
    }
}

/// What a message says the actor did, and to whom it goes; `None` for an
/// event no one is told about.
fn wording(s: &Subject<'_>, e: &Event, notify: bool, lapsed: bool) -> Option<(String, Audience)> {
    Some(match e {
        Event::FeedbackGiven {
            group,
            verdict,
            edited,
            status_changed,
        } if !edited || *status_changed => (
            format!(
                "{} feedback {} for {}",
                if *edited { "changed their" } else { "gave" },
                verdict.as_str(),
                s.label_of(group)
            ),
            Audience::Subscribers,
        ),
        Event::Decided {
            approved,
            edited,
            status_changed,
        } if !edited || *status_changed => (
            format!(
                "{} the sign-off{}",
                if *approved { "approved" } else { "rejected" },
                if *edited { " (a changed decision)" } else { "" }
            ),
            Audience::Subscribers,
        ),
        Event::Abandoned => ("abandoned the sign-off".to_string(), Audience::Subscribers),
        Event::AbandonCanceled => (
            "canceled the abandon of the sign-off".to_string(),
            Audience::Subscribers,
        ),
        Event::Reset { automatic } => (
            if *automatic {
                "reset the sign-off (it fell due)".to_string()
            } else {
                "reset the sign-off".to_string()
            },
            Audience::Subscribers,
        ),
        // The time as the audit trail writes it (chrono's serde format).
        Event::ResetScheduled { at } => (
            format!(
                "scheduled a reset of the sign-off for {}",
                at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            ),
            Audience::Subscribers,
        ),
        Event::Delegated { group, to } => {
            let group = if group == "final" {
                "final approval".to_string()
            } else {
                format!("{} review", s.label_of(group))
            };
            (
                format!("delegated their {group} to you"),
                Audience::Users(vec![to.clone()]),
            )
        }
        Event::Outdated { .. } => (
            format!("made {}", e.outdated_words().unwrap_or_default()),
            Audience::Subscribers,
        ),
        Event::Reminded { group, number } => (
            format!(
                "reminds you that {} is waiting for you (reminder {number})",
                s.waiting_for(group)
            ),
            Audience::Pending(group.clone()),
        ),
        Event::Escalated { group, grant, .. } => (
            format!(
                "escalated {} to you{}",
                s.waiting_for(group),
                if *grant {
                    ": you may now act on it"
                } else {
                    ""
                }
            ),
            Audience::Escalation(group.clone()),
        ),
        Event::ReviewRequested if notify && lapsed => (
            "reset the sign-off (it fell due) and requested your review again".to_string(),
            Audience::Reviewers,
        ),
        Event::ReviewRequested if notify => {
            ("requested your review".to_string(), Audience::Reviewers)
        }
        Event::FinalApprovalRequested if notify => (
            "requested your final approval".to_string(),
            Audience::Approvers,
        ),
        _ => return None,
    })
}

/// Who an audience is, with their address (none: they follow, but get no
/// mail).
fn recipients(s: &Subject<'_>, audience: &Audience) -> Result<Vec<(String, Option<String>)>> {
    let with_addresses = |users: Vec<String>| -> Result<Vec<(String, Option<String>)>> {
        let addresses = s.tx.addresses(&users)?;
        Ok(users.into_iter().zip(addresses).collect())
    };
    match audience {
        Audience::Users(users) => with_addresses(users.clone()),
        Audience::Subscribers => with_addresses(subscribers(s.chain)),
        _ => eligible(s, audience),
    }
}

/// The item's subscribers: the nearest subscription row (the item's, else
/// its parent's…) decides.
fn subscribers(chain: &[Item]) -> Vec<String> {
    let mut decided: BTreeMap<&str, bool> = BTreeMap::new();
    for it in chain {
        for (user, subscribed) in &it.subscribers {
            decided.entry(user).or_insert(*subscribed);
        }
    }
    decided
        .into_iter()
        .filter(|(_, s)| *s)
        .map(|(u, _)| u.to_string())
        .collect()
}

/// The users an audience of reviewers, approvers, pending reviewers or
/// escalation principals holds, with their addresses.
fn eligible(s: &Subject<'_>, audience: &Audience) -> Result<Vec<(String, Option<String>)>> {
    let mut eligible = Vec::new();
    let (spec, state, step) = (s.spec, &s.state, s.step);
    let delegators = Delegators::load(s.tx, state)?;
    for user in s.tx.users()? {
        let identity = Identity {
            groups: s.tx.groups_of(&user.name)?,
            name: user.name.clone(),
            api_key: false,
            admin: false,
            unrecorded_use: None,
            authentication: super::Authentication::System,
        };
        let resolver = Resolver {
            set: s.set,
            chain: s.chain,
            who: &identity,
        };
        let yes = match audience {
            Audience::Escalation(group) => sla::level_of(spec, group)
                .and_then(|l| l.escalate.as_ref())
                .is_some_and(|e| resolver.matches_any_traced(&e.to, 0, 0, &mut NoTrace)),
            Audience::Pending(group) if group == "final" => {
                resolver
                    .actor(step, state, Needed::Final, &delegators)?
                    .is_final_approver
                    && resolver.barred(spec, state, group).is_none()
            }
            Audience::Pending(group) => {
                let actor = resolver.actor(step, state, Needed::Group(group), &delegators)?;
                actor.feedback_groups.contains(group)
                    && !state.reviews_of(group).any(|r| r.reviewer == user.name)
                    && resolver.barred(spec, state, group).is_none()
            }
            Audience::Reviewers => !resolver
                .actor(step, state, Needed::Every, &delegators)?
                .feedback_groups
                .is_empty(),
            _ => {
                resolver
                    .actor(step, state, Needed::Every, &delegators)?
                    .is_final_approver
            }
        };
        if yes {
            eligible.push((user.name, user.email));
        }
    }
    Ok(eligible)
}

/// What a reminder or an escalation says of the clock: `Due … (SLA 5
/// business days); 3 business days 2 h elapsed.`
fn service_note(v: &sla::ServiceView) -> String {
    let stamp = |t| super::rules::calendar::stamp(t, v.timezone);
    let mut parts = Vec::new();
    if let Some(sla) = &v.sla {
        parts.push(match v.due_at {
            Some(due) if v.breached => format!("Overdue since {} (SLA {sla}).", stamp(due)),
            Some(due) => format!("Due {} (SLA {sla}).", stamp(due)),
            None => format!("SLA {sla}."),
        });
    }
    parts.push(format!("{} elapsed.", v.elapsed));
    parts.join(" ")
}

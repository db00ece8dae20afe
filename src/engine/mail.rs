//! Mail: who is told about an action and what they read (the book's
//! "Notifications"), queued with the action, and the delivery of the outbox.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::access::{Identity, Resolver};
use super::core::{Engine, new_secret, now_or};
use super::error::Result;
use super::rules::signoff::{Event, Needed, SignOffEvents};
use super::set_cache::LoadedSet;
use crate::model::Item;
use crate::store::Tx;

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

/// The messages an action sends (the book's "Notifications"), from its
/// sign-off events.
pub(super) fn mails_for(
    tx: &Tx<'_>,
    set: &LoadedSet,
    chain: &[Item],
    who: &Identity,
    signoff: &SignOffEvents,
    base_url: &str,
) -> Result<Vec<crate::store::NewMessage>> {
    let item = &chain[0];
    let step = signoff.step.clone();
    let Some(blueprint) = set.blueprint(&item.blueprint) else {
        return Ok(Vec::new());
    };
    let Some(spec) = blueprint.step(&step).and_then(|s| s.signoff.as_ref()) else {
        return Ok(Vec::new());
    };
    let state = item.signoffs.get(&step).cloned().unwrap_or_default();
    let notify = signoff.notify;
    let label_of = |group: &str| {
        spec.feedback
            .iter()
            .find(|g| g.id.as_str() == group)
            .map_or(group.to_string(), |g| g.label.clone())
    };
    let waiting_for = |group: &str| {
        if group == "final" {
            "the final approval".to_string()
        } else {
            format!("the {} review", label_of(group))
        }
    };
    let mut out = Vec::new();
    // One message per person and event: a request is told before the rest,
    // so a reviewer asked again by a lapse (`rerequest`) hears that.
    let mut events: Vec<&Event> = signoff.events.iter().collect();
    events.sort_by_key(|e| !matches!(e, Event::ReviewRequested));
    let lapsed = events
        .iter()
        .any(|e| matches!(e, Event::Reset { automatic: true }));
    for e in events {
        let note = match e {
            Event::Reminded { group, .. } | Event::Escalated { group, .. } => {
                super::rules::sla::level_of(spec, group).map(|level| {
                    let clock = state.clocks.get(group.as_str());
                    service_note(&super::rules::sla::view(
                        level,
                        clock,
                        state.status,
                        item.updated_at,
                    ))
                })
            }
            _ => signoff.note.clone(),
        };
        let (what, audience) = match e {
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
                    label_of(group)
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
                    format!("{} review", label_of(group))
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
                    waiting_for(group)
                ),
                Audience::Pending(group.clone()),
            ),
            Event::Escalated { group, grant, .. } => (
                format!(
                    "escalated {} to you{}",
                    waiting_for(group),
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
            _ => continue,
        };
        let with_addresses = |users: Vec<String>| -> Result<Vec<(String, Option<String>)>> {
            let addresses = tx.addresses(&users)?;
            Ok(users.into_iter().zip(addresses).collect())
        };
        // Who, with their address (none: they follow, but get no mail).
        let recipients: Vec<(String, Option<String>)> = match audience {
            Audience::Users(users) => with_addresses(users)?,
            Audience::Subscribers => {
                // The nearest subscription row (the item's, else its parent's…) decides.
                let mut decided: BTreeMap<&str, bool> = BTreeMap::new();
                for it in chain {
                    for (user, subscribed) in &it.subscribers {
                        decided.entry(user).or_insert(*subscribed);
                    }
                }
                with_addresses(
                    decided
                        .into_iter()
                        .filter(|(_, s)| *s)
                        .map(|(u, _)| u.to_string())
                        .collect(),
                )?
            }
            Audience::Reviewers
            | Audience::Approvers
            | Audience::Pending(_)
            | Audience::Escalation(_) => {
                let mut eligible = Vec::new();
                let delegators = super::access::Delegators::load(tx, &state)?;
                for user in tx.users()? {
                    let identity = Identity {
                        groups: tx.groups_of(&user.name)?,
                        name: user.name.clone(),
                        api_key: false,
                        admin: false,
                        unrecorded_use: None,
                        authentication: super::Authentication::System,
                    };
                    let resolver = Resolver {
                        set,
                        chain,
                        who: &identity,
                    };
                    let yes = match &audience {
                        Audience::Escalation(group) => super::rules::sla::level_of(spec, group)
                            .and_then(|l| l.escalate.as_ref())
                            .is_some_and(|e| {
                                resolver.matches_any_traced(
                                    &e.to,
                                    0,
                                    0,
                                    &mut super::access::NoTrace,
                                )
                            }),
                        Audience::Pending(group) if group == "final" => {
                            resolver
                                .actor(&step, &state, Needed::Final, &delegators)?
                                .is_final_approver
                                && resolver.barred(spec, &state, group).is_none()
                        }
                        Audience::Pending(group) => {
                            let actor =
                                resolver.actor(&step, &state, Needed::Group(group), &delegators)?;
                            actor.feedback_groups.contains(group)
                                && !state.reviews_of(group).any(|r| r.reviewer == user.name)
                                && resolver.barred(spec, &state, group).is_none()
                        }
                        Audience::Reviewers => !resolver
                            .actor(&step, &state, Needed::Every, &delegators)?
                            .feedback_groups
                            .is_empty(),
                        _ => {
                            resolver
                                .actor(&step, &state, Needed::Every, &delegators)?
                                .is_final_approver
                        }
                    };
                    if yes {
                        eligible.push((user.name, user.email));
                    }
                }
                eligible
            }
        };
        let notice = crate::notify::Notice {
            item: item.id,
            item_name: item.name.clone(),
            blueprint: blueprint.label.clone(),
            step: step.clone(),
            signoff: spec.label.clone(),
            state: state.status.as_str().to_string(),
            actor: who.name.clone(),
            what,
            note,
        };
        let mut secret = None;
        for (user, address) in recipients {
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

/// What a reminder or an escalation says of the clock: `Due … (SLA 5
/// business days); 3 business days 2 h elapsed.`
fn service_note(v: &super::rules::sla::ServiceView) -> String {
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

/// Delivery attempts before a message is given up on.
pub const MAX_ATTEMPTS: i64 = 10;

/// Seconds after which a claimed, unsent message is taken up again.
pub const CLAIM_TIMEOUT_SECS: i64 = 300;

/// What a delivery round did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryReport {
    /// Accepted by the server.
    pub sent: usize,
    /// Failed, to be retried.
    pub retried: usize,
    /// Failed for good.
    pub failed: usize,
}

/// The secret that signs unsubscribe links, made the first time it is needed.
pub(super) fn unsubscribe_secret(tx: &Tx<'_>) -> Result<String> {
    const KEY: &str = "unsubscribe_secret";
    match tx.setting(KEY)? {
        Some(secret) => Ok(secret),
        None => Ok(tx.setting_or_insert(KEY, &new_secret("unsub")?)?),
    }
}

impl Engine {
    /// The outbox (pending messages only with `pending_only`).
    pub fn outbox(&mut self, pending_only: bool) -> Result<Vec<crate::store::OutboxRow>> {
        Ok(self.store.read()?.outbox(pending_only)?)
    }

    /// The messages waiting to be delivered, and when the oldest was queued.
    pub fn outbox_backlog(&mut self) -> Result<(u64, Option<DateTime<Utc>>)> {
        let (count, oldest) = self.store.read()?.outbox_backlog()?;
        Ok((u64::try_from(count).unwrap_or_default(), oldest))
    }

    /// Delivers due messages: each is claimed, sent, and marked sent only
    /// once the server accepted it; a failure is retried with backoff.
    pub fn deliver(
        &mut self,
        sender: &crate::notify::Sender,
        now: Option<DateTime<Utc>>,
    ) -> Result<DeliveryReport> {
        let now = now_or(now);
        let stamp = now.timestamp();
        let mut report = DeliveryReport {
            sent: 0,
            retried: 0,
            failed: 0,
        };
        // One message claimed at a time, so a claim's lease covers one
        // attempt; a message tried in this round is due again only later.
        loop {
            let tx = self.store.claim()?;
            // A claim older than this was left by a sender that died mid-way.
            let claimed = tx.claim_next_message(stamp, stamp - CLAIM_TIMEOUT_SECS)?;
            tx.commit()?;
            let Some(message) = claimed else {
                break;
            };
            let message_id = format!("<govrt.{}.{}@govrt>", message.event_seq, message.recipient);
            let outcome = sender.send(&crate::notify::Outgoing {
                message_id: &message_id,
                to: &message.address,
                subject: &message.subject,
                text: &message.body_text,
                html: &message.body_html,
                unsubscribe: message.unsubscribe_url.as_deref(),
            });
            let tx = self.store.claim()?;
            match outcome {
                Ok(()) => {
                    tx.mark_sent(message.id, now)?;
                    report.sent += 1;
                }
                Err(error) => {
                    let attempt = message.attempts + 1;
                    if attempt >= MAX_ATTEMPTS {
                        tx.mark_failed(message.id, &error, None)?;
                        report.failed += 1;
                    } else {
                        let backoff = 30i64 << attempt.min(7);
                        tx.mark_failed(message.id, &error, Some(stamp + backoff))?;
                        report.retried += 1;
                    }
                }
            }
            tx.commit()?;
        }
        Ok(report)
    }
}

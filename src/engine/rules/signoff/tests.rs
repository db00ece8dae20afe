//! The sign-off rules' evidence: the table of the design notes case by
//! case, and property tests over random action sequences.

use super::*;
use crate::engine::rules::actions::{Needed, allowed_from};
use crate::model::DurationUnit;
use proptest::prelude::*;

fn t(h: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap()
}

fn rules() -> Rules<'static> {
    Rules {
        groups: vec!["it_ops", "risk"],
        mins: vec![],
        clocked: vec!["it_ops", "risk", "final"],
        not_requester: vec!["final"],
        not_reviewer: false,
        excluded: vec![],
        reset_every: Some(Duration {
            amount: 6,
            unit: DurationUnit::Month,
        }),
        rerequest: false,
        required: vec![],
        no_major: false,
        content: None,
    }
}

/// `risk` is required with two reviews, and the final approval says `no major`.
fn strict_rules() -> Rules<'static> {
    Rules {
        required: vec![("risk", 2)],
        no_major: true,
        ..rules()
    }
}

fn writer(name: &str) -> Actor<'_> {
    Actor {
        name,
        can_write: true,
        feedback_groups: vec![],
        is_final_approver: false,
        is_admin: false,
    }
}

fn reviewer<'a>(name: &'a str, group: &str) -> Actor<'a> {
    Actor {
        name,
        can_write: false,
        feedback_groups: vec![group.to_string()],
        is_final_approver: false,
        is_admin: false,
    }
}

fn approver(name: &str) -> Actor<'_> {
    Actor {
        name,
        can_write: false,
        feedback_groups: vec![],
        is_final_approver: true,
        is_admin: false,
    }
}

fn run(state: &SignOffState, action: Action, actor: &Actor<'_>) -> Result<SignOffState, Refusal> {
    apply(state, &action, actor, &rules(), t(0)).map(|(s, _)| s)
}

#[test]
fn the_happy_path_of_the_table() {
    let s = SignOffState::default();
    let s = run(&s, Action::RequestReview, &writer("owner")).unwrap();
    assert_eq!(s.status, Status::WaitingForFeedback);
    let s = run(
        &s,
        Action::GiveFeedback {
            group: "risk".into(),
            verdict: Verdict::MinorIssue,
            comment: None,
        },
        &reviewer("r", "risk"),
    )
    .unwrap();
    let (s, events) = apply(
        &s,
        &Action::GiveFeedback {
            group: "risk".into(),
            verdict: Verdict::MinorIssue,
            comment: Some("typo".into()),
        },
        &reviewer("r", "risk"),
        &rules(),
        t(1),
    )
    .unwrap();
    assert_eq!(s.reviews.len(), 1, "re-submitting edits the review");
    assert_eq!(
        events,
        vec![Event::FeedbackGiven {
            group: "risk".into(),
            verdict: Verdict::MinorIssue,
            edited: true,
            status_changed: false
        }]
    );
    let s = run(&s, Action::RequestFinalApproval, &writer("owner")).unwrap();
    let s = run(&s, Action::BackToFeedback, &approver("boss")).unwrap();
    assert_eq!(s.status, Status::WaitingForFeedback);
    let s = run(&s, Action::RequestFinalApproval, &writer("owner")).unwrap();
    let s = run(&s, Action::Approve { comment: None }, &approver("boss")).unwrap();
    assert_eq!(s.status, Status::Approved);
    assert_eq!(
        s.next_reset_at,
        Some(t(0).checked_add_months(chrono::Months::new(6)).unwrap())
    );
    let s = run(
        &s,
        Action::Reject {
            comment: Some("changed my mind".into()),
        },
        &approver("boss"),
    )
    .unwrap();
    assert_eq!(s.status, Status::Rejected);
    assert!(s.status.locks_workflow());
}

#[test]
fn refusals_name_what_was_wrong() {
    let s = SignOffState::default();
    assert!(matches!(
        run(&s, Action::RequestReview, &reviewer("r", "risk")),
        Err(Refusal::NotPermitted { .. })
    ));
    assert!(matches!(
        run(&s, Action::BackToFeedback, &approver("a")),
        Err(Refusal::InvalidTransition { .. })
    ));
    let s = run(&s, Action::RequestReview, &writer("owner")).unwrap();
    let outsider = reviewer("x", "it_ops");
    assert!(matches!(
        run(
            &s,
            Action::GiveFeedback {
                group: "risk".into(),
                verdict: Verdict::Approved,
                comment: None
            },
            &outsider
        ),
        Err(Refusal::NotPermitted { .. })
    ));
    let s = run(&s, Action::RequestFinalApproval, &writer("owner")).unwrap();
    let requester_as_approver = Actor {
        is_final_approver: true,
        ..writer("owner")
    };
    assert!(matches!(
        run(
            &s,
            Action::Approve { comment: None },
            &requester_as_approver
        ),
        Err(Refusal::NotPermitted { .. })
    ));
}

#[test]
fn final_approval_needs_no_feedback() {
    let s = run(
        &SignOffState::default(),
        Action::RequestFinalApproval,
        &writer("owner"),
    )
    .unwrap();
    let s = run(&s, Action::Approve { comment: None }, &approver("boss")).unwrap();
    assert_eq!(s.status, Status::Approved);
}

/// A sign-off `owner` requested and `boss` approved, and the scheduler.
fn approved_and_scheduler() -> (SignOffState, Actor<'static>) {
    let s = run(
        &SignOffState::default(),
        Action::RequestFinalApproval,
        &writer("owner"),
    )
    .unwrap();
    let s = run(&s, Action::Approve { comment: None }, &approver("boss")).unwrap();
    let scheduler = Actor {
        name: "scheduler",
        can_write: false,
        feedback_groups: vec![],
        is_final_approver: false,
        is_admin: true,
    };
    (s, scheduler)
}

#[test]
fn automatic_reset_waits_for_its_time_and_archives() {
    let (s, scheduler) = approved_and_scheduler();
    assert!(apply(&s, &Action::AutomaticReset, &scheduler, &rules(), t(24)).is_err());
    let later = s.next_reset_at.unwrap();
    let (s, events) = apply(&s, &Action::AutomaticReset, &scheduler, &rules(), later).unwrap();
    assert_eq!(s.status, Status::NotStarted);
    assert_eq!(s.history.len(), 1);
    assert_eq!(
        s.history[0].decision.as_ref().map(|d| d.approved),
        Some(true)
    );
    assert_eq!(events, vec![Event::Reset { automatic: true }]);
}

#[test]
fn a_rerequesting_reset_asks_the_same_reviewers_again_for_the_same_requester() {
    let (s, scheduler) = approved_and_scheduler();
    let again = Rules {
        rerequest: true,
        ..rules()
    };
    let due = s.next_reset_at.unwrap();
    let (s, events) = apply(&s, &Action::AutomaticReset, &scheduler, &again, due).unwrap();
    assert_eq!(s.status, Status::WaitingForFeedback);
    assert_eq!(s.requester.as_deref(), Some("owner"));
    assert_eq!(s.history.len(), 1);
    assert!(s.reviews.is_empty() && s.decision.is_none() && s.approved_at.is_none());
    assert_eq!(
        events,
        vec![Event::Reset { automatic: true }, Event::ReviewRequested]
    );
    // A manual reset does not request again: whoever resets may.
    let s = run(&s, Action::Reset, &writer("owner")).unwrap();
    assert_eq!(s.status, Status::NotStarted);
}

#[derive(Debug, Clone)]
enum Who {
    Writer,
    Reviewer(usize),
    Approver,
    Admin,
    Nobody,
}

fn any_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::RequestReview),
        (0usize..3, 0usize..3, any::<bool>()).prop_map(|(g, v, c)| Action::GiveFeedback {
            group: ["it_ops", "risk", "nope"][g].to_string(),
            verdict: [Verdict::Approved, Verdict::MinorIssue, Verdict::MajorIssue][v],
            comment: c.then(|| "c".to_string()),
        }),
        (0usize..3).prop_map(|g| Action::Delegate {
            group: ["it_ops", "risk", "final"][g].to_string(),
            to: "delegate".into()
        }),
        Just(Action::RequestFinalApproval),
        Just(Action::BackToFeedback),
        Just(Action::Approve { comment: None }),
        Just(Action::Reject { comment: None }),
        Just(Action::Abandon),
        Just(Action::CancelAbandon),
        Just(Action::Reset),
        (0i64..100).prop_map(|h| Action::ScheduleReset { at: t(h) }),
        Just(Action::AutomaticReset),
    ]
}

fn any_actor() -> impl Strategy<Value = Who> {
    prop_oneof![
        Just(Who::Writer),
        (0usize..2).prop_map(Who::Reviewer),
        Just(Who::Approver),
        Just(Who::Admin),
        Just(Who::Nobody)
    ]
}

fn actor_of(who: &Who) -> Actor<'static> {
    match who {
        Who::Writer => writer("owner"),
        Who::Reviewer(0) => reviewer("rev_it", "it_ops"),
        Who::Reviewer(_) => reviewer("rev_risk", "risk"),
        Who::Approver => approver("boss"),
        Who::Admin => Actor {
            name: "admin",
            can_write: false,
            feedback_groups: vec![],
            is_final_approver: false,
            is_admin: true,
        },
        Who::Nobody => Actor {
            name: "nobody",
            can_write: false,
            feedback_groups: vec![],
            is_final_approver: false,
            is_admin: false,
        },
    }
}

/// Whether the table of the design notes (docs/src/design.md) allows `action` from `from` (who aside).
fn table_allows(from: Status, action: &Action) -> bool {
    allowed_from(action).contains(&from)
}

fn reviews_count(s: &SignOffState) -> usize {
    s.reviews.len() + s.history.iter().map(|r| r.reviews.len()).sum::<usize>()
}

/// An actor with random eligibilities, and the same actor with the
/// eligibilities `needed` does not ask about changed at random.
fn actors_differing_outside(
    needed: Needed<'_>,
    groups: [bool; 3],
    final_approver: bool,
    noise: [bool; 4],
    can_write: bool,
    is_admin: bool,
) -> (Actor<'static>, Actor<'static>) {
    let names = ["it_ops", "risk", "nope"];
    let of = |flags: [bool; 3]| -> Vec<String> {
        names
            .iter()
            .zip(flags)
            .filter(|(_, on)| *on)
            .map(|(g, _)| g.to_string())
            .collect()
    };
    let mut other = groups;
    for (i, g) in names.iter().enumerate() {
        if !needed.asks(g) {
            other[i] = noise[i];
        }
    }
    let actor = |groups, is_final_approver| Actor {
        name: "someone",
        can_write,
        feedback_groups: of(groups),
        is_final_approver,
        is_admin,
    };
    let other_final = if needed.asks("final") {
        final_approver
    } else {
        noise[3]
    };
    (actor(groups, final_approver), actor(other, other_final))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Whatever the history given on content `a` or `b`, a change to `b`
    /// leaves no approving review or decision given on other content
    /// counted, keeps every MAJOR_ISSUE, loses nothing (current and
    /// outdated together are what there was), and leaves the sign-off
    /// waiting for feedback (or not started when nobody requested it).
    #[test]
    fn a_change_of_bound_content_outdates_exactly_what_was_given_on_other_content(
        steps in prop::collection::vec((any_action(), any_actor(), any::<bool>()), 1..30),
    ) {
        let mut state = SignOffState::default();
        for (action, who, on_b) in steps {
            let rules = Rules { content: Some(if on_b { "b" } else { "a" }.into()), ..rules() };
            if let Ok((next, _)) = apply(&state, &action, &actor_of(&who), &rules, t(1)) {
                state = next;
            }
        }
        let changed = vec!["metrics".to_string()];
        match outdate(&state, &rules(), "b", &changed, t(2)) {
            None => {
                let stale = state.reviews.iter().any(|r| r.approves() && r.content.as_deref() != Some("b"))
                    || state.decision.as_ref().is_some_and(|d| d.content.as_deref() != Some("b"));
                prop_assert!(!stale || matches!(state.status, Status::NotStarted | Status::Abandoned));
            }
            Some((next, event)) => {
                prop_assert!(next.reviews.iter().all(|r| !r.approves() || r.content.as_deref() == Some("b")));
                prop_assert!(next.decision.as_ref().is_none_or(|d| d.content.as_deref() == Some("b")));
                let majors = |s: &SignOffState| s.reviews.iter().filter(|r| !r.approves()).count();
                prop_assert_eq!(majors(&next), majors(&state));
                prop_assert_eq!(
                    next.reviews.len() + next.outdated_reviews.len(),
                    state.reviews.len() + state.outdated_reviews.len()
                );
                let expected = if next.requester.is_some() { Status::WaitingForFeedback } else { Status::NotStarted };
                prop_assert_eq!(next.status, expected);
                let Event::Outdated { reviews, decision, .. } = event else {
                    return Err(TestCaseError::fail("not an outdating"));
                };
                prop_assert_eq!(reviews.len(), next.outdated_reviews.len() - state.outdated_reviews.len());
                prop_assert_eq!(decision.is_some(), state.decision.is_some() && next.decision.is_none());
                // Outdating twice changes nothing more.
                prop_assert!(outdate(&next, &rules(), "b", &changed, t(3)).is_none());
            }
        }
    }

    /// `Needed::of` is what `apply` reads: eligibilities outside it never
    /// change the outcome, so the engine may skip asking hooks about them.
    #[test]
    fn apply_reads_only_the_needed_eligibilities(
        prefix in prop::collection::vec((any_action(), any_actor()), 0..12),
        action in any_action(),
        groups in any::<[bool; 3]>(),
        final_approver in any::<bool>(),
        noise in any::<[bool; 4]>(),
        can_write in any::<bool>(),
        is_admin in any::<bool>(),
    ) {
        let mut state = SignOffState::default();
        for (a, who) in prefix {
            if let Ok((next, _)) = apply(&state, &a, &actor_of(&who), &rules(), t(1)) {
                state = next;
            }
        }
        let (one, other) = actors_differing_outside(
            Needed::of(&action), groups, final_approver, noise, can_write, is_admin,
        );
        let a = apply(&state, &action, &one, &rules(), t(2));
        let b = apply(&state, &action, &other, &rules(), t(2));
        prop_assert_eq!(a, b);
    }

    /// Under a required group and `no major`, no sequence of actions by
    /// anyone reaches a final approval request or an approval without the
    /// group's `min` current reviews, nor an approval over a current
    /// MAJOR_ISSUE; and the strict rules refuse only what the plain ones
    /// allow for those reasons.
    #[test]
    fn required_feedback_and_no_major_cannot_be_skipped(
        steps in prop::collection::vec((any_action(), any_actor(), 0i64..48), 1..40),
    ) {
        let strict = strict_rules();
        let mut state = SignOffState::default();
        for (action, who, hour) in steps {
            let actor = actor_of(&who);
            let plain = apply(&state, &action, &actor, &rules(), t(hour));
            match apply(&state, &action, &actor, &strict, t(hour)) {
                Ok((next, events)) => {
                    prop_assert_eq!(plain, Ok((next.clone(), events.clone())));
                    let risk = state.reviews_of("risk").count();
                    let major = state.reviews.iter().any(|r| r.verdict == Verdict::MajorIssue);
                    if action == Action::RequestFinalApproval {
                        prop_assert!(risk >= 2);
                    }
                    if matches!(action, Action::Approve { .. }) {
                        prop_assert!(risk >= 2 && !major);
                    }
                    state = next;
                }
                Err(Refusal::FeedbackRequired { .. } | Refusal::MajorIssueOpen { .. }) => {
                    let gated = matches!(action, Action::RequestFinalApproval | Action::Approve { .. });
                    prop_assert!(gated);
                }
                Err(refusal) => prop_assert_eq!(plain, Err(refusal)),
            }
        }
    }

    #[test]
    fn random_sequences_stay_within_the_table(steps in prop::collection::vec((any_action(), any_actor(), 0i64..48), 1..40)) {
        let mut state = SignOffState::default();
        for (action, who, hour) in steps {
            let actor = actor_of(&who);
            let before = state.clone();
            match apply(&state, &action, &actor, &rules(), t(hour)) {
                Ok((next, events)) => {
                    prop_assert!(table_allows(before.status, &action), "{action:?} allowed from {:?}", before.status);
                    prop_assert!(!events.is_empty());
                    // No review is ever lost: current + archived never shrinks.
                    prop_assert!(reviews_count(&next) >= reviews_count(&before));
                    // At most one current review per reviewer and group.
                    let mut keys: Vec<_> = next.reviews.iter().map(|r| (&r.group, &r.reviewer)).collect();
                    keys.sort();
                    let n = keys.len();
                    keys.dedup();
                    prop_assert_eq!(n, keys.len());
                    if next.status == Status::Approved || next.status == Status::Rejected {
                        prop_assert!(next.decision.is_some());
                    }
                    // The clocks: exactly those that should run do, with one open
                    // run at most, their runs in order; none runs while abandoned.
                    for group in ["it_ops", "risk", "final"] {
                        let clock = next.clocks.get(group);
                        prop_assert_eq!(clock.is_some_and(|c| c.running()), clocks::should_run(&next, &rules(), group));
                        if let Some(c) = clock {
                            prop_assert!(c.runs.iter().rev().skip(1).all(|r| r.to.is_some()));
                            prop_assert!(c.runs.windows(2).all(|w| w[0].to.is_some_and(|to| to <= w[1].from)));
                            prop_assert!(c.runs.iter().all(|r| r.to.is_none_or(|to| r.from <= to)));
                        }
                        if next.status == Status::Abandoned {
                            prop_assert!(!clock.is_some_and(|c| c.running()));
                        }
                    }
                    // Abandon then cancel is the identity (but for the audit trail).
                    if action == Action::Abandon {
                        let (back, _) = apply(&next, &Action::CancelAbandon, &actor, &rules(), t(hour)).unwrap();
                        prop_assert_eq!(&back, &before);
                    }
                    state = next;
                }
                Err(_) => prop_assert_eq!(&state, &before),
            }
        }
    }
}

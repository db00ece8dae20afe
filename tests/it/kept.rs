//! The status kept for lists: after random sequences of actions (sign-offs,
//! moves, delegations, reviewer fields changed on an ancestor, group
//! changes), `db check` finds the kept index equal to what the items give,
//! and the reviews read from the index are exactly those the eligibility
//! rules give when evaluated on every item. `govrt db check` reports a
//! damaged index and `--repair` writes it again. On both stores.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::Sandbox;
use govrt::engine::rules::signoff::{Action, Verdict};
use govrt::engine::{Engine, FieldChange, Identity, ItemFilter, ItemSeek, PendingReview};
use govrt::store::Durability;
use proptest::prelude::*;

const USERS: &[&str] = &[
    "owner", "itops", "risk1", "risk2", "biz", "approver", "outsider",
];
const GROUPS: &[&str] = &["it_ops", "risk", "business", "final"];
const REVIEWERS: &[&str] = &[
    "user:risk1",
    "group:risk",
    "user:outsider,group:risk",
    "user:biz",
];

/// One step of a random sequence; indexes pick a version, a user, a group.
#[derive(Debug, Clone)]
enum Step {
    Create,
    ToReview(usize),
    RequestReview(usize),
    Feedback(usize, usize, usize, bool),
    RequestFinal(usize, usize),
    Approve(usize, usize),
    Reject(usize, usize),
    Delegate(usize, usize, usize, usize),
    Reset(usize),
    Abandon(usize),
    Reviewers(usize),
    JoinRisk,
}

fn step() -> impl Strategy<Value = Step> {
    let n = 0..6usize;
    let u = 0..USERS.len();
    let g = 0..GROUPS.len();
    prop_oneof![
        Just(Step::Create),
        n.clone().prop_map(Step::ToReview),
        n.clone().prop_map(Step::RequestReview),
        (n.clone(), u.clone(), g.clone(), any::<bool>())
            .prop_map(|(a, b, c, d)| Step::Feedback(a, b, c, d)),
        (n.clone(), u.clone()).prop_map(|(a, b)| Step::RequestFinal(a, b)),
        (n.clone(), u.clone()).prop_map(|(a, b)| Step::Approve(a, b)),
        (n.clone(), u.clone()).prop_map(|(a, b)| Step::Reject(a, b)),
        (n.clone(), u.clone(), g, u.clone()).prop_map(|(a, b, c, d)| Step::Delegate(a, b, c, d)),
        n.clone().prop_map(Step::Reset),
        n.prop_map(Step::Abandon),
        (0..REVIEWERS.len()).prop_map(Step::Reviewers),
        Just(Step::JoinRisk),
    ]
}

static CASE: AtomicUsize = AtomicUsize::new(0);

/// The reviews of a list as comparable entries.
fn entries(list: &[PendingReview]) -> Vec<(String, String, String, Option<i64>)> {
    let mut out: Vec<_> = list
        .iter()
        .map(|r| {
            (
                r.item.clone(),
                r.group.clone(),
                r.status.as_str().to_string(),
                r.due_at.map(|d| d.timestamp()),
            )
        })
        .collect();
    out.sort();
    out
}

fn run(steps: &[Step]) {
    let s = Sandbox::new(&format!("kept-{}", CASE.fetch_add(1, Ordering::SeqCst)));
    let (project, model) = s.standard_world();
    let (project, model): (i64, i64) = (project.parse().unwrap(), model.parse().unwrap());
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut e = Engine::open(&s.db(), Durability::Normal).unwrap();
                let admin = Identity::local_admin();
                let mut versions: Vec<i64> = Vec::new();
                let who =
                    |e: &mut Engine, i: usize| e.identify_user(USERS[i % USERS.len()]).unwrap();
                for st in steps {
                    let pick =
                        |i: usize| (!versions.is_empty()).then(|| versions[i % versions.len()]);
                    let owner = who(&mut e, 0);
                    // Refusals are part of the sequence: only the state they leave counts.
                    let _ = match st.clone() {
                        Step::Create => e
                            .create_item(&owner, "model_version", "v", Some(model), &[], None)
                            .map(|v| versions.push(v.id.parse().unwrap())),
                        Step::ToReview(i) => match pick(i) {
                            Some(v) => e.move_item(&owner, v, Some("review"), None, None).map(drop),
                            None => Ok(()),
                        },
                        Step::RequestReview(i) => match pick(i) {
                            Some(v) => e
                                .signoff(&owner, v, None, Action::RequestReview, None)
                                .map(drop),
                            None => Ok(()),
                        },
                        Step::Feedback(i, u, g, ok) => match pick(i) {
                            Some(v) => {
                                let by = who(&mut e, u);
                                let verdict = if ok {
                                    Verdict::Approved
                                } else {
                                    Verdict::MinorIssue
                                };
                                let group = GROUPS[g].replace("final", "risk");
                                e.signoff(
                                    &by,
                                    v,
                                    None,
                                    Action::GiveFeedback {
                                        group,
                                        verdict,
                                        comment: None,
                                    },
                                    None,
                                )
                                .map(drop)
                            }
                            None => Ok(()),
                        },
                        Step::RequestFinal(i, u) => match pick(i) {
                            Some(v) => {
                                let by = who(&mut e, u);
                                e.signoff(&by, v, None, Action::RequestFinalApproval, None)
                                    .map(drop)
                            }
                            None => Ok(()),
                        },
                        Step::Approve(i, u) | Step::Reject(i, u) if pick(i).is_none() => {
                            let _ = u;
                            Ok(())
                        }
                        Step::Approve(i, u) => {
                            let by = who(&mut e, u);
                            e.signoff(
                                &by,
                                pick(i).unwrap(),
                                None,
                                Action::Approve { comment: None },
                                None,
                            )
                            .map(drop)
                        }
                        Step::Reject(i, u) => {
                            let by = who(&mut e, u);
                            e.signoff(
                                &by,
                                pick(i).unwrap(),
                                None,
                                Action::Reject { comment: None },
                                None,
                            )
                            .map(drop)
                        }
                        Step::Delegate(i, u, g, to) => match pick(i) {
                            Some(v) => {
                                let by = who(&mut e, u);
                                let action = Action::Delegate {
                                    group: GROUPS[g].into(),
                                    to: USERS[to].into(),
                                };
                                e.signoff(&by, v, None, action, None).map(drop)
                            }
                            None => Ok(()),
                        },
                        Step::Reset(i) => match pick(i) {
                            Some(v) => e.signoff(&owner, v, None, Action::Reset, None).map(drop),
                            None => Ok(()),
                        },
                        Step::Abandon(i) => match pick(i) {
                            Some(v) => e.signoff(&owner, v, None, Action::Abandon, None).map(drop),
                            None => Ok(()),
                        },
                        Step::Reviewers(r) => e
                            .set_fields(
                                &owner,
                                project,
                                &[FieldChange::Set(
                                    "risk_reviewers".into(),
                                    REVIEWERS[r].into(),
                                )],
                                None,
                                None,
                            )
                            .map(drop),
                        Step::JoinRisk => e.add_member(&admin, "risk", "outsider"),
                    };
                }
                let report = e.check_index(false).unwrap();
                assert!(
                    report.differences.is_empty(),
                    "{:?} after {steps:?}",
                    report.differences
                );
                for name in USERS {
                    let me = e.identify_user(name).unwrap();
                    let indexed = e.reviews(&me).unwrap();
                    let evaluated = e.reviews_evaluated(&me).unwrap();
                    assert_eq!(
                        entries(&indexed),
                        entries(&evaluated),
                        "{name} after {steps:?}"
                    );
                    // The pages by item hold the same entries, each once.
                    let (mut paged, mut after) = (Vec::new(), None);
                    loop {
                        let (page, next) = e.reviews_page(&me, after, 2, None).unwrap();
                        paged.extend(page);
                        match next {
                            Some(n) => after = Some(n),
                            None => break,
                        }
                    }
                    assert_eq!(entries(&paged), entries(&evaluated), "{name} by pages");
                }
                // Everyone reads every item of the standard set: the list is whole.
                let outsider = e.identify_user("outsider").unwrap();
                let all = e
                    .items(&outsider, &ItemFilter::of(Some("model_version"), None))
                    .unwrap();
                assert_eq!(all.len(), versions.len());
                // A deploy filter lists the items whose verdict, evaluated,
                // is the one asked for: by id a page of the verdict index at
                // a time, by update time each item looked up.
                let ids = |views: Vec<govrt::engine::ItemView>| -> Vec<i64> {
                    views.iter().map(|v| v.id.parse().unwrap()).collect()
                };
                for infra in ["prod", "preprod", "dev"] {
                    let mut evaluated: Vec<(i64, &str)> = Vec::new();
                    for &v in &versions {
                        let d = e.deploy_check(&outsider, v, infra, false, None).unwrap();
                        evaluated.push((v, d.decision.as_str()));
                    }
                    for verdict in ["ALLOW", "CONFIRM", "BLOCK"] {
                        let expected: Vec<i64> = evaluated
                            .iter()
                            .filter(|(_, d)| *d == verdict)
                            .map(|(v, _)| *v)
                            .collect();
                        let filter = ItemFilter {
                            deploy: Some((infra.into(), verdict.into())),
                            ..ItemFilter::of(Some("model_version"), None)
                        };
                        let (mut paged, mut after) = (Vec::new(), None);
                        loop {
                            let (page, next) = e.items_page(&outsider, &filter, after, 2).unwrap();
                            paged.extend(ids(page));
                            match next {
                                Some(n) => after = Some(n),
                                None => break,
                            }
                        }
                        assert_eq!(paged, expected, "{infra} {verdict} by id");
                        let (by_update, _) = e
                            .statuses_page(&outsider, &filter, ItemSeek::Updated(None), 1000)
                            .unwrap();
                        let mut by_update: Vec<i64> = by_update
                            .iter()
                            .map(|s| s.item.id.parse().unwrap())
                            .collect();
                        by_update.sort_unstable();
                        assert_eq!(by_update, expected, "{infra} {verdict} by update");
                    }
                }
            })
            .join()
            .unwrap();
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_kept_index_is_what_the_rules_give(steps in prop::collection::vec(step(), 1..40)) {
        run(&steps);
    }
}

#[test]
fn db_check_reports_a_damaged_index_and_repairs_it() {
    let mut s = Sandbox::new("kept-check");
    let (_, model) = s.standard_world();
    let version = s.model_version(&model, "v1");
    s.quiet(&["--as", "owner", "item", "move", &version, "review"]);
    s.quiet(&["--as", "owner", "signoff", "request-review", &version]);
    let ok = s.ok(&["db", "check"]);
    assert!(
        ok.stdout
            .contains("kept status consistent: 3 items checked"),
        "{}",
        ok.stdout
    );
    s.sql("DELETE FROM review_queue; UPDATE items SET signoff = NULL");
    let bad = s.expect(1, &["db", "check"]);
    assert!(
        bad.stdout.contains(&format!(
            "item {version}: sign-off: kept None, computed Some(\"WAITING_FOR_FEEDBACK\")"
        )) && bad.stdout.contains("`govrt db check --repair`"),
        "{}",
        bad.stdout
    );
    let json = s.expect(1, &["--json", "db", "check"]).json();
    assert_eq!(
        json["differences"][0]["item"],
        version.parse::<i64>().unwrap()
    );
    s.ok(&["db", "check", "--repair"]);
    s.ok(&["db", "check"]);
    // What waits for a reviewer is back.
    let reviews = s.quiet(&["--json", "--as", "risk1", "reviews"]).json();
    assert_eq!(reviews.as_array().unwrap().len(), 1, "{reviews}");
}

#[test]
fn a_page_by_update_time_merges_every_blueprint_in_order() {
    let s = Sandbox::new("kept-updated");
    let (project, model) = s.standard_world();
    let first = s.model_version(&model, "v1");
    s.model_version(&model, "v2");
    s.quiet(&["--as", "owner", "item", "move", &first, "review"]);
    s.quiet(&[
        "--as",
        "owner",
        "item",
        "set",
        &project,
        "description=again",
    ]);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut e = Engine::open(&s.db(), Durability::Normal).unwrap();
                let admin = Identity::local_admin();
                let all = ItemFilter::of(None, None);
                let mut seen = Vec::new();
                let mut seek = govrt::engine::ItemSeek::Updated(None);
                loop {
                    let (page, next) = e.statuses_page(&admin, &all, seek, 2).unwrap();
                    assert!(page.len() <= 2);
                    seen.extend(page.into_iter().map(|st| st.item));
                    match next {
                        Some(n) => seek = n,
                        None => break,
                    }
                }
                let key =
                    |i: &govrt::engine::ItemView| (i.updated_at, i.id.parse::<i64>().unwrap());
                assert!(
                    seen.windows(2).all(|w| key(&w[0]) > key(&w[1])),
                    "not newest first: {:?}",
                    seen.iter().map(key).collect::<Vec<_>>()
                );
                let mut ids: Vec<String> = seen.iter().map(|i| i.id.clone()).collect();
                ids.sort();
                let mut every: Vec<String> = e
                    .items(&admin, &all)
                    .unwrap()
                    .into_iter()
                    .map(|i| i.id)
                    .collect();
                every.sort();
                assert_eq!(ids, every);
                assert_eq!(seen[0].id, project, "the project was changed last");
                assert!(seen.iter().any(|i| i.blueprint == "model"));
            })
            .join()
            .unwrap();
    });
}

//! `govrt explain ITEM --user U --action A` and `govrt who-can`: every grant
//! with its path (through an ancestor's field and a group, a delegation, a
//! hook), the `not requester` blocker with the event behind it; the API's
//! routes; and a property test that `explain` says "allowed" exactly when
//! the action succeeds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Daemon, Sandbox, http};
use govrt::engine::actions::{ActionArgs, Verb};
use govrt::engine::rules::signoff::{Action, Verdict};
use govrt::engine::{Engine, ExplainRequest, Explained, Identity};
use govrt::store::Durability;
use proptest::prelude::*;

/// The standard world with a model version on Review, its review requested by `owner`.
fn world(name: &str) -> (Sandbox, String) {
    let s = Sandbox::new(name);
    let (_, model) = s.standard_world();
    let v = s.model_version(&model, "Scorer v1");
    s.quiet(&["--as", "owner", "item", "move", &v, "review"]);
    s.quiet(&["--as", "owner", "signoff", "request-review", &v]);
    (s, v)
}

fn snapshot_filters() -> Vec<(&'static str, &'static str)> {
    vec![(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]")]
}

#[test]
fn explain_names_the_path_of_each_grant_and_the_blockers() {
    let (mut s, v) = world("explain-paths");
    // Through the project's field and the group `risk`.
    let risk = s.ok(&[
        "explain", &v, "--user", "risk1", "--action", "feedback", "--group", "risk",
    ]);
    // Not a reviewer of that group.
    let outsider = s.expect(
        0,
        &[
            "explain", &v, "--user", "outsider", "--action", "feedback", "--group", "risk",
        ],
    );
    // `not requester`: the owner is a final approver but requested the review.
    s.ok(&["--as", "owner", "signoff", "request-final", &v]);
    let owner = s.ok(&["explain", &v, "--user", "owner", "--action", "approve"]);
    let who = s.ok(&["who-can", &v, "approve"]);
    insta::with_settings!({filters => snapshot_filters()}, {
        insta::assert_snapshot!("explain_group_through_ancestor_field", risk.stdout);
        insta::assert_snapshot!("explain_not_a_reviewer", outsider.stdout);
        insta::assert_snapshot!("explain_not_requester", owner.stdout);
        insta::assert_snapshot!("who_can_approve", who.stdout);
    });
    let json = s
        .ok(&[
            "--json", "explain", &v, "--user", "owner", "--action", "approve",
        ])
        .json();
    assert_eq!(json["allowed"], false);
    assert_eq!(json["state"]["met"], true);
    assert_eq!(json["grants"][0]["as"], "final approval");
    assert!(
        json["blockers"][0]
            .as_str()
            .unwrap()
            .starts_with("`not requester`: `owner` requested this review (event #"),
        "{json}"
    );
    assert!(
        json["refusal"]
            .as_str()
            .unwrap()
            .contains("separation of duties"),
        "{json}"
    );
}

#[test]
fn explain_shows_delegations() {
    let (mut s, v) = world("explain-delegation");
    s.ok(&[
        "--as", "itops", "signoff", "delegate", &v, "it_ops", "outsider",
    ]);
    let to = s.ok(&[
        "explain", &v, "--user", "outsider", "--action", "feedback", "--group", "it_ops",
    ]);
    let from = s.ok(&[
        "explain", &v, "--user", "itops", "--action", "feedback", "--group", "it_ops",
    ]);
    insta::with_settings!({filters => snapshot_filters()}, {
        insta::assert_snapshot!("explain_delegate", to.stdout);
        insta::assert_snapshot!("explain_delegated_away", from.stdout);
    });
}

#[test]
fn explain_shows_what_the_reviewers_hook_added() {
    let mut s = Sandbox::new("explain-hook");
    let dir = s.dir.join("ai");
    std::fs::create_dir_all(&dir).unwrap();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ai_governance");
    for f in [
        "ai_governance.gov",
        "ai_model_version.rhai",
        "ai_project.rhai",
    ] {
        std::fs::copy(examples.join(f), dir.join(f)).unwrap();
    }
    s.ok(&["init", "--blueprints", "ai"]);
    s.ok(&["user", "add", "alice"]);
    s.ok(&["user", "add", "rita"]);
    s.ok(&["group", "add", "risk", "--member", "rita"]);
    let p = s
        .ok(&[
            "--as",
            "alice",
            "item",
            "create",
            "ai_project",
            "Churn",
            "--set",
            "owner=alice",
        ])
        .stdout
        .trim()
        .to_string();
    let v = s
        .ok(&[
            "--as",
            "alice",
            "item",
            "create",
            "ai_model_version",
            "Churn v1",
            "--parent",
            &p,
            "--set",
            "risk_tier=high",
            "--set",
            "owner=alice",
            "--set",
            "documentation=model-card.pdf",
        ])
        .stdout
        .trim()
        .to_string();
    s.ok(&["--as", "alice", "item", "advance", &v]);
    s.ok(&["--as", "alice", "signoff", "request-review", &v]);
    let rita = s.ok(&[
        "explain", &v, "--user", "rita", "--action", "feedback", "--group", "risk",
    ]);
    insta::with_settings!({filters => snapshot_filters()}, {
        insta::assert_snapshot!("explain_hook", rita.stdout);
    });
    let who = s
        .ok(&["--json", "who-can", &v, "feedback", "--group", "risk"])
        .json();
    let users: Vec<&str> = who["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["rita"]);
}

#[test]
fn the_api_explains_and_lists_who_can() {
    let (s, v) = world("explain-api");
    let token = s.token("risk1");
    let d = Daemon::start(&s, &[]);
    let r = http(
        d.port,
        "GET",
        &format!("/api/v1/items/{v}/explain?action=feedback&group=risk"),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let x = r.json();
    assert_eq!(x["user"], "risk1");
    assert_eq!(x["allowed"], true);
    assert!(
        x["grants"][0]["path"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().contains("group `risk`")),
        "{x}"
    );
    let r = http(
        d.port,
        "GET",
        &format!("/api/v1/items/{v}/explain?action=approve&user=biz"),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.json()["allowed"], false);
    let r = http(
        d.port,
        "GET",
        &format!("/api/v1/items/{v}/who-can?action=feedback&group=business"),
        Some(&token),
        &[],
        None,
    );
    let users: Vec<String> = r.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(users, ["admin", "biz"]);
    let r = http(
        d.port,
        "GET",
        &format!("/api/v1/items/{v}/explain?action=fly"),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.status, 400);
}

/// The users of the standard world, and the actions they try.
const USERS: [&str; 7] = [
    "owner", "itops", "risk1", "risk2", "biz", "approver", "outsider",
];

fn action_strategy() -> impl Strategy<Value = (Verb, Option<&'static str>)> {
    prop_oneof![
        Just((Verb::RequestReview, None)),
        Just((Verb::RequestFinalApproval, None)),
        Just((Verb::GiveFeedback, Some("it_ops"))),
        Just((Verb::GiveFeedback, Some("risk"))),
        Just((Verb::GiveFeedback, Some("business"))),
        Just((Verb::BackToFeedback, None)),
        Just((Verb::Approve, None)),
        Just((Verb::Reject, None)),
        Just((Verb::Abandon, None)),
        Just((Verb::CancelAbandon, None)),
        Just((Verb::Reset, None)),
        Just((Verb::Delegate, Some("it_ops"))),
        Just((Verb::Delegate, Some("final"))),
    ]
}

/// A rule of the test set's `validate` hook: `risk2` gives no feedback.
const VALIDATE: &str = r#"
fn validate(item) {
    let s = item.signoffs["review"];
    if s == () { return (); }
    for r in s.feedback {
        if r.reviewer == "risk2" { return ["risk2 reviews no model version (the test's rule)"]; }
    }
    ()
}
"#;

/// The standard set, its model versions with the hook above.
fn hooked_world(name: &str) -> Sandbox {
    let s = Sandbox::new(name);
    let set = s.dir.join("set");
    std::fs::create_dir_all(&set).unwrap();
    let standard = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints");
    for entry in std::fs::read_dir(standard).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replace(
            "blueprint model_version \"Model version\" {",
            "blueprint model_version \"Model version\" {\n  script \"version.rhai\"",
        );
        std::fs::write(set.join(path.file_name().unwrap()), text).unwrap();
    }
    std::fs::write(set.join("version.rhai"), VALIDATE).unwrap();
    s.standard_world_with(&["init", "--blueprints", set.to_str().unwrap()]);
    s
}

#[test]
fn explain_says_allowed_exactly_when_the_action_succeeds() {
    let s = hooked_world("explain-property");
    let model = "2";
    let engine = std::cell::RefCell::new(Engine::open(&s.db(), Durability::Normal).unwrap());
    let admin = Identity::local_admin();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(48));
    let steps = prop::collection::vec((0..USERS.len(), action_strategy(), 0..USERS.len()), 1..24);
    runner
        .run(&steps, |steps| {
            let mut engine = engine.borrow_mut();
            let item = engine
                .create_item(
                    &Identity {
                        name: "owner".into(),
                        api_key: false,
                        admin: false,
                        groups: vec![],
                        unrecorded_use: None,
                        authentication: govrt::engine::Authentication::System,
                    },
                    "model_version",
                    "case",
                    model.parse().ok(),
                    &[("owner".into(), "owner".into())],
                    None,
                )
                .unwrap();
            let id: i64 = item.id.parse().unwrap();
            engine
                .move_item(&admin, id, Some("review"), None, None)
                .unwrap();
            for (user, (verb, group), to) in steps {
                let name = USERS[user];
                let request = ExplainRequest {
                    action: Explained::SignOff(verb),
                    group,
                    step: None,
                };
                let explained = engine.explain(&admin, id, name, &request).unwrap();
                let args = ActionArgs {
                    group: group.map(str::to_string),
                    verdict: Some(Verdict::MinorIssue),
                    comment: None,
                    to: Some(USERS[to].to_string()),
                    at: None,
                };
                let action = Action::from_verb(verb, args).unwrap();
                let who = engine.identify_user(name).unwrap();
                let done = engine.signoff(&who, id, None, action, None);
                // A delegation to oneself is refused as an invalid value,
                // which the placeholder delegate of `explain` does not see.
                let to_self = verb == Verb::Delegate && USERS[to] == name;
                // Nor does it see a delegate the slot bars: the requester
                // (`owner`) as the delegate of the final approval.
                let to_barred =
                    verb == Verb::Delegate && group == Some("final") && USERS[to] == "owner";
                if !to_self && !to_barred {
                    prop_assert_eq!(
                        explained.allowed,
                        done.is_ok(),
                        "{} {:?} {:?}: explain {:?}, action {:?}",
                        name,
                        verb,
                        group,
                        explained,
                        done.err()
                    );
                }
                prop_assert_eq!(explained.allowed, explained.refusal.is_none());
                if !explained.allowed {
                    prop_assert!(!explained.blockers.is_empty(), "{:?}", explained);
                }
            }
            // Advancing: explain agrees with the move (required fields,
            // the mandatory sign-off, write permission).
            for name in ["owner", "outsider"] {
                let request = ExplainRequest {
                    action: Explained::Advance,
                    group: None,
                    step: None,
                };
                let explained = engine.explain(&admin, id, name, &request).unwrap();
                let who = engine.identify_user(name).unwrap();
                let done = engine.move_item(&who, id, None, None, None);
                prop_assert_eq!(
                    explained.allowed,
                    done.is_ok(),
                    "{} advance: {:?} {:?}",
                    name,
                    explained,
                    done.err()
                );
                if done.is_ok() {
                    engine
                        .move_item(&admin, id, Some("review"), None, None)
                        .unwrap();
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn explain_advance_names_the_missing_required_fields() {
    let mut s = Sandbox::new("explain-advance");
    let (p, _) = s.standard_world();
    s.ok(&["--as", "owner", "item", "move", &p, "qualification"]);
    let x = s.ok(&["explain", &p, "--user", "owner", "--action", "advance"]);
    let json = s
        .ok(&[
            "--json", "explain", &p, "--user", "owner", "--action", "advance",
        ])
        .json();
    assert_eq!(json["allowed"], false);
    insta::assert_snapshot!("explain_advance_missing_fields", x.stdout);
    s.ok(&[
        "--as",
        "owner",
        "item",
        "set",
        &p,
        "value=4",
        "risk=2",
        "feasibility=3",
    ]);
    let json = s
        .ok(&[
            "--json", "explain", &p, "--user", "owner", "--action", "advance",
        ])
        .json();
    assert_eq!(json["allowed"], true, "{json}");
}

#[test]
fn explain_reports_a_hook_that_would_refuse() {
    let mut s = hooked_world("explain-hook");
    let model = "2";
    let v = s.model_version(model, "Scorer v1");
    s.quiet(&["--as", "owner", "item", "move", &v, "review"]);
    s.quiet(&["--as", "owner", "signoff", "request-review", &v]);
    let explained = s
        .quiet(&[
            "--json", "explain", &v, "--user", "risk2", "--action", "feedback", "--group", "risk",
        ])
        .json();
    assert_eq!(explained["allowed"], false, "{explained}");
    let blockers = explained["blockers"].to_string();
    assert!(blockers.contains("hooks refuse"), "{blockers}");
    assert!(
        blockers.contains("risk2 reviews no model version"),
        "{blockers}"
    );
    let done = s.expect(
        1,
        &[
            "--as", "risk2", "signoff", "feedback", &v, "risk", "approved",
        ],
    );
    assert!(
        done.stderr.contains("risk2 reviews no model version"),
        "{}",
        done.stderr
    );
    // Another risk reviewer may, and explain says so.
    let explained = s
        .quiet(&[
            "--json", "explain", &v, "--user", "risk1", "--action", "feedback", "--group", "risk",
        ])
        .json();
    assert_eq!(explained["allowed"], true, "{explained}");
}

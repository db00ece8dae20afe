//! The life of a model version under the standard blueprints, through the
//! real binary: project with reviewers → model → model version → fields →
//! Review → feedback from three groups (one minor) → final requested → back
//! to feedback → feedback edited → final approval → deploy ALLOW; and the
//! refusals. The whole transcript is snapshotted (times redacted).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Sandbox, redactions};

#[test]
fn life_of_a_model_version() {
    let mut s = Sandbox::new("life");
    let (_project, model) = s.standard_world();

    let mv = s.ok(&[
        "--as",
        "owner",
        "item",
        "create",
        "model_version",
        "Scorer v1",
        "--parent",
        &model,
        "--set",
        "owner=owner",
        "--set",
        "risk_tier=high",
    ]);
    let mv = mv.stdout.trim().to_string();
    s.ok(&[
        "--as",
        "owner",
        "item",
        "set",
        &mv,
        "intended_use=card fraud scoring",
        "metrics=AUC 0.91",
    ]);
    s.ok(&["--as", "owner", "item", "advance", &mv]);
    s.ok(&["--as", "owner", "item", "advance", &mv]);
    s.ok(&["--as", "owner", "item", "advance", &mv]);
    // Refusal: leaving Review before its mandatory sign-off is approved.
    let r = s.expect(1, &["--as", "owner", "item", "advance", &mv]);
    assert!(r.stderr.contains("mandatory"), "{}", r.stderr);
    s.ok(&["--as", "owner", "signoff", "request-review", &mv]);
    s.ok(&[
        "--as", "itops", "signoff", "feedback", &mv, "it_ops", "approved",
    ]);
    s.ok(&[
        "--as",
        "risk1",
        "signoff",
        "feedback",
        &mv,
        "risk",
        "minor",
        "--comment",
        "document drift monitoring",
    ]);
    // Refusal: feedback from a user outside the group.
    let r = s.expect(
        1,
        &[
            "--as", "outsider", "signoff", "feedback", &mv, "business", "approved",
        ],
    );
    assert!(r.stderr.contains("may not give feedback"), "{}", r.stderr);
    s.ok(&[
        "--as", "biz", "signoff", "feedback", &mv, "business", "approved",
    ]);
    s.ok(&["--as", "itops", "reviews"]);
    s.ok(&["--as", "approver", "reviews"]);
    s.ok(&["--as", "owner", "signoff", "request-final", &mv]);
    s.ok(&["--as", "approver", "signoff", "back-to-feedback", &mv]);
    s.ok(&[
        "--as",
        "risk1",
        "signoff",
        "feedback",
        &mv,
        "risk",
        "approved",
        "--comment",
        "drift monitoring documented",
    ]);
    s.ok(&["--as", "owner", "signoff", "request-final", &mv]);
    // Refusal: the requester is a final approver, but `not requester` bars them.
    let r = s.expect(1, &["--as", "owner", "signoff", "approve", &mv]);
    assert!(r.stderr.contains("not requester"), "{}", r.stderr);
    s.ok(&[
        "--as",
        "approver",
        "signoff",
        "approve",
        &mv,
        "--comment",
        "good to go",
    ]);
    // A high-risk version also needs its independent validation.
    let r = s.expect(4, &["--as", "approver", "deploy", "check", &mv, "prod"]);
    assert!(
        r.stdout.contains("`validation` is NOT_STARTED"),
        "{}",
        r.stdout
    );
    s.ok(&["--as", "owner", "item", "advance", &mv]);
    let r = s.expect(1, &["--as", "owner", "item", "advance", &mv]);
    assert!(r.stderr.contains("validation_report"), "{}", r.stderr);
    s.ok(&[
        "--as",
        "owner",
        "item",
        "set",
        &mv,
        "validation_report=back-tested on 2025",
    ]);
    s.ok(&["--as", "owner", "signoff", "request-final", &mv]);
    s.ok(&["--as", "risk2", "signoff", "approve", &mv]);
    let r = s.expect(0, &["--as", "approver", "deploy", "check", &mv, "prod"]);
    assert!(r.stdout.starts_with("ALLOW"), "{}", r.stdout);
    s.ok(&["--as", "owner", "item", "advance", &mv]);
    s.ok(&["--as", "owner", "status", &mv]);
    s.ok(&["--as", "owner", "item", "history", &mv]);
    s.ok(&["audit", "verify"]);

    let status = s.quiet(&["--json", "--as", "owner", "status", &mv]).json();
    assert_eq!(status["signoffs"][0]["status"], "APPROVED");
    assert_eq!(status["item"]["step"], "deployed");
    assert_eq!(
        status["signoffs"][0]["feedback"][1]["reviews"][0]["verdict"],
        "APPROVED"
    );

    insta::with_settings!({filters => redactions()}, {
        insta::assert_snapshot!(s.transcript);
    });
}

#[test]
fn rejection_blocks_deployment_and_warn_needs_confirmation() {
    let mut s = Sandbox::new("reject");
    let (_, model) = s.standard_world();
    let mv = s.model_version(&model, "Scorer v2");
    s.quiet(&["--as", "owner", "item", "move", &mv, "review"]);
    s.ok(&["--as", "owner", "signoff", "request-final", &mv]);
    let r = s.expect(3, &["--as", "approver", "deploy", "check", &mv, "preprod"]);
    assert!(r.stdout.starts_with("CONFIRM"), "{}", r.stdout);
    let r = s.expect(
        0,
        &[
            "--as",
            "approver",
            "deploy",
            "check",
            &mv,
            "preprod",
            "--confirm",
        ],
    );
    assert!(r.stdout.starts_with("ALLOW"), "{}", r.stdout);
    s.ok(&[
        "--as",
        "approver",
        "signoff",
        "reject",
        &mv,
        "--comment",
        "not calibrated",
    ]);
    let r = s.expect(4, &["--as", "approver", "deploy", "check", &mv, "prod"]);
    assert!(
        r.stdout.starts_with("BLOCK") && r.stdout.contains("REJECTED"),
        "{}",
        r.stdout
    );
    let r = s.expect(1, &["--as", "owner", "item", "advance", &mv]);
    assert!(r.stderr.contains("locked"), "{}", r.stderr);
    s.expect(0, &["--as", "approver", "deploy", "check", &mv, "dev"]);
    assert!(
        s.history_actions("owner", &mv)
            .iter()
            .any(|a| a == "deploy.confirm"),
        "the confirmation is audited"
    );
    insta::with_settings!({filters => redactions()}, {
        insta::assert_snapshot!(s.transcript);
    });
}

#[test]
fn abandon_and_cancel_restore_reviews_and_reset_archives_them() {
    let mut s = Sandbox::new("abandon");
    let (_, model) = s.standard_world();
    let mv = s.model_version(&model, "Scorer v3");
    s.quiet(&["--as", "owner", "item", "move", &mv, "review"]);
    s.ok(&["--as", "owner", "signoff", "request-review", &mv]);
    s.ok(&[
        "--as",
        "risk2",
        "signoff",
        "feedback",
        &mv,
        "risk",
        "major",
        "--comment",
        "no validation set",
    ]);
    let before = s.quiet(&["--json", "--as", "owner", "status", &mv]).json()["signoffs"][0].clone();
    s.ok(&["--as", "owner", "signoff", "abandon", &mv]);
    s.expect(1, &["--as", "owner", "item", "move", &mv, "exploration"]);
    s.ok(&["--as", "owner", "signoff", "cancel-abandon", &mv]);
    let after = s.quiet(&["--json", "--as", "owner", "status", &mv]).json()["signoffs"][0].clone();
    assert_eq!(
        before, after,
        "cancel abandon restores the state and the reviews"
    );
    s.ok(&["--as", "owner", "signoff", "reset", &mv]);
    let reset = s.quiet(&["--json", "--as", "owner", "status", &mv]).json()["signoffs"][0].clone();
    assert_eq!(reset["status"], "NOT_STARTED");
    assert_eq!(reset["rounds_archived"], 1);
    s.ok(&["--as", "itops", "item", "show", &mv]);
    s.expect(
        1,
        &["--as", "itops", "item", "set", &mv, "description=hijacked"],
    );
    s.expect(2, &["item", "set", &mv, "description=anonymous"]);
    s.expect(0, &["item", "show", &mv]);
    s.expect(1, &["--as", "nobody", "item", "show", &mv]);
    s.expect(
        1,
        &["--as", "owner", "item", "set", &mv, "risk_tier=extreme"],
    );
    s.expect(1, &["--as", "owner", "item", "set", &mv, "owner=ghost"]);
    s.expect(1, &["--as", "owner", "item", "set", &mv, "nonexistent=1"]);
    let show = s
        .quiet(&["--json", "--as", "owner", "item", "show", &mv])
        .json();
    let revision = show["revision"].as_i64().unwrap().to_string();
    s.ok(&[
        "--as",
        "owner",
        "item",
        "set",
        &mv,
        "description=v3",
        "--expect-revision",
        &revision,
    ]);
    let r = s.expect(
        1,
        &[
            "--json",
            "--as",
            "owner",
            "item",
            "set",
            &mv,
            "description=v3b",
            "--expect-revision",
            &revision,
        ],
    );
    assert_eq!(r.json()["error"]["code"], "stale_revision");
    insta::with_settings!({filters => redactions()}, {
        insta::assert_snapshot!(s.transcript);
    });
}

#[test]
fn recurring_reset_is_applied_by_tick_and_kept_in_history() {
    let mut s = Sandbox::new("recur");
    let (_, model) = s.standard_world();
    let mv = s.model_version(&model, "Scorer v4");
    s.quiet(&["--as", "owner", "item", "move", &mv, "review"]);
    s.ok(&["--as", "owner", "signoff", "request-final", &mv]);
    s.ok(&["--as", "approver", "signoff", "approve", &mv]);
    let signoff =
        s.quiet(&["--json", "--as", "owner", "status", &mv]).json()["signoffs"][0].clone();
    let approved_at =
        chrono::DateTime::parse_from_rfc3339(signoff["approved_at"].as_str().unwrap()).unwrap();
    let due =
        chrono::DateTime::parse_from_rfc3339(signoff["next_reset_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        due,
        approved_at
            .checked_add_months(chrono::Months::new(12))
            .unwrap(),
        "`reset every 1 year`"
    );

    let day_before = (due - chrono::TimeDelta::days(1)).to_rfc3339();
    let r = s.ok(&["--json", "tick", "--now", &day_before]).json();
    assert_eq!(r["resets"].as_array().unwrap().len(), 0);
    let r = s.ok(&["--json", "tick", "--now", &due.to_rfc3339()]).json();
    assert_eq!(r["resets"], serde_json::json!([[mv, "review"]]));
    let after = s.quiet(&["--json", "--as", "owner", "status", &mv]).json()["signoffs"][0].clone();
    assert_eq!(after["status"], "NOT_STARTED");
    assert_eq!(after["rounds_archived"], 1);
    let actions = s.history_actions("owner", &mv);
    assert!(
        actions.iter().any(|a| a == "signoff.approve")
            && actions.iter().any(|a| a == "signoff.automatic_reset"),
        "{actions:?}"
    );
    // Nothing is due any more.
    let r = s.ok(&["--json", "tick", "--now", &due.to_rfc3339()]).json();
    assert_eq!(r["resets"].as_array().unwrap().len(), 0);

    // A scheduled reset, on another item, at a given time.
    let other = s.model_version(&model, "Scorer v5");
    s.quiet(&["--as", "owner", "item", "move", &other, "review"]);
    s.ok(&["--as", "owner", "signoff", "request-review", &other]);
    s.ok(&[
        "--as",
        "owner",
        "signoff",
        "schedule-reset",
        &other,
        "--at",
        "2030-01-01T00:00:00Z",
    ]);
    let r = s
        .ok(&["--json", "tick", "--now", "2030-01-01T00:00:00Z"])
        .json();
    assert!(
        r["resets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x[0] == other.as_str())
    );
    s.ok(&["audit", "verify"]);
}

//! Approvals bound to what was reviewed (`signoff { binds … }`), through the
//! real binary: a change of a bound field (of the item, or of an ancestor)
//! outdates the approving reviews and the decision in the same action, a
//! MAJOR_ISSUE survives, followers are mailed, an admin may keep them
//! (audited), and `deploy check` refuses an approval given on other content.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::Sandbox;

/// `--as WHO item set ITEM VALUES…`.
fn set_args<'a>(who: &'a str, item: &'a str, values: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--as", who, "item", "set", item];
    args.extend_from_slice(values);
    args
}

/// Feedback from IT & Operations, then the approver's approval.
fn approve(s: &mut Sandbox, v: &str) {
    s.ok(&[
        "--as", "itops", "signoff", "feedback", v, "it_ops", "approved",
    ]);
    s.ok(&["--as", "owner", "signoff", "request-final", v]);
    s.ok(&["--as", "approver", "signoff", "approve", v]);
    s.ok(&["deploy", "check", v, "prod"]);
}

/// A model version of the standard set on its Review step with the review
/// requested: (sandbox, item id).
fn in_review(name: &str) -> (Sandbox, String) {
    let mut s = Sandbox::new(name);
    let (_, model) = s.standard_world();
    let v = s.model_version(&model, "Scorer v1");
    s.ok(&set_args("owner", &v, &["owner=owner", "metrics=auc 0.90"]));
    s.ok(&["--as", "owner", "item", "move", &v, "review"]);
    s.ok(&["--as", "owner", "signoff", "request-review", &v]);
    (s, v)
}

fn signoff_of(s: &mut Sandbox, item: &str) -> serde_json::Value {
    let status = s.ok(&["--json", "status", item]).json();
    status["signoffs"][0].clone()
}

#[test]
fn a_change_of_a_bound_field_outdates_the_approval_and_keeps_the_major_issue() {
    let (mut s, v) = in_review("bound-own");
    s.ok(&[
        "--as", "itops", "signoff", "feedback", &v, "it_ops", "approved",
    ]);
    s.ok(&[
        "--as",
        "risk1",
        "signoff",
        "feedback",
        &v,
        "risk",
        "major",
        "--comment",
        "drift",
    ]);
    s.ok(&[
        "--as", "biz", "signoff", "feedback", &v, "business", "minor",
    ]);
    s.ok(&["--as", "owner", "signoff", "request-final", &v]);
    s.ok(&["--as", "approver", "signoff", "approve", &v]);
    s.ok(&["deploy", "check", &v, "prod"]);

    // A field the sign-off does not bind changes nothing.
    s.ok(&set_args("owner", &v, &["review_notes=see the appendix"]));
    assert_eq!(signoff_of(&mut s, &v)["status"], "APPROVED");

    // A bound one outdates the approval and the approving reviews.
    s.ok(&["--as", "owner", "item", "set", &v, "metrics=auc 0.93"]);
    let o = signoff_of(&mut s, &v);
    assert_eq!(o["status"], "WAITING_FOR_FEEDBACK");
    assert!(o["decision"].is_null());
    assert_eq!(o["outdated_decisions"][0]["entry"]["by"], "approver");
    assert_eq!(
        o["outdated_decisions"][0]["changed"],
        serde_json::json!(["metrics"])
    );
    let group = |id: &str| {
        o["feedback"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(group("it_ops")["reviews"], serde_json::json!([]));
    assert_eq!(group("it_ops")["outdated"][0]["entry"]["reviewer"], "itops");
    assert_eq!(group("it_ops")["outdated"][0]["current"], false);
    assert_eq!(group("risk")["reviews"][0]["current"], true);
    assert_eq!(
        group("business")["outdated"][0]["entry"]["verdict"],
        "MINOR_ISSUE"
    );
    // The veto survives the rework.
    assert_eq!(group("risk")["reviews"][0]["verdict"], "MAJOR_ISSUE");
    assert_eq!(o["open_major_issues"], serde_json::json!(["risk1"]));

    // Deployment waits for a new approval.
    let blocked = s.expect(4, &["deploy", "check", &v, "prod"]);
    assert!(
        blocked.stdout.contains("WAITING_FOR_FEEDBACK"),
        "{}",
        blocked.stdout
    );

    // The edit's audit event says what it outdated; the history shows it.
    let history = s.ok(&["--json", "item", "history", &v]).json();
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "item.set");
    let bound = &last["details"]["bound"][0];
    assert_eq!(bound["before"], "APPROVED");
    assert_eq!(bound["after"], "WAITING_FOR_FEEDBACK");
    assert_eq!(bound["events"][0]["event"], "outdated");
    assert_eq!(
        bound["events"][0]["changed"],
        serde_json::json!(["metrics"])
    );
    assert_eq!(bound["events"][0]["reviews"].as_array().unwrap().len(), 2);
    let text = s.ok(&["item", "history", &v]).stdout;
    assert!(
        text.contains(
            "sign-off of step review: the approval outdated by a change of metrics, with 2 reviews"
        ),
        "{text}"
    );

    // Followers hear of it (the actor does not).
    let outbox = s.ok(&["outbox"]).stdout;
    let outdated: Vec<&str> = outbox.lines().filter(|l| l.contains("outdated")).collect();
    assert!(!outdated.is_empty(), "{outbox}");
    assert!(
        outdated.iter().all(|l| l
            .contains("owner made the approval outdated by a change of metrics, with 2 reviews")),
        "{outbox}"
    );
    assert!(outdated.iter().all(|l| !l.contains("owner@")), "{outbox}");

    // Reviewed again on the new content, it is approved again.
    s.ok(&[
        "--as", "itops", "signoff", "feedback", &v, "it_ops", "approved",
    ]);
    s.ok(&[
        "--as", "risk1", "signoff", "feedback", &v, "risk", "approved",
    ]);
    s.ok(&["--as", "owner", "signoff", "request-final", &v]);
    s.ok(&["--as", "approver", "signoff", "approve", &v]);
    s.ok(&["deploy", "check", &v, "prod"]);
    s.ok(&["audit", "verify"]);
}

#[test]
fn keeping_approvals_through_a_change_is_for_admins_and_audited() {
    let (mut s, v) = in_review("bound-keep");
    approve(&mut s, &v);

    let refused = s.expect(
        1,
        &[
            "--as",
            "owner",
            "item",
            "set",
            &v,
            "metrics=auc 0.95",
            "--keep-approvals",
        ],
    );
    assert!(refused.stderr.contains("admins only"), "{}", refused.stderr);
    assert_eq!(signoff_of(&mut s, &v)["status"], "APPROVED");

    s.ok(&set_args(
        "admin",
        &v,
        &["metrics=auc 0.95", "--keep-approvals"],
    ));
    let o = signoff_of(&mut s, &v);
    assert_eq!(o["status"], "APPROVED");
    assert!(o.get("outdated_decisions").is_none(), "{o}");
    // Kept means kept for the new content: the deploy gate agrees.
    s.ok(&["deploy", "check", &v, "prod"]);
    let history = s.ok(&["--json", "item", "history", &v]).json();
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "admin");
    assert_eq!(last["details"]["keep_approvals"], true);
    assert_eq!(last["details"]["as_admin"], true);
    assert_eq!(
        last["details"]["bound"][0]["events"][0]["event"],
        "approvals_kept"
    );
    let text = s.ok(&["item", "history", &v]).stdout;
    assert!(text.contains("kept through a change of metrics"), "{text}");
}

#[test]
fn a_change_of_a_bound_ancestor_field_outdates_the_descendants_approval() {
    let mut s = Sandbox::new("bound-ancestor");
    let dir = s.dir.join("set");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("set.gov"),
        r#"
blueprint product "Product" {
  field model_uri: url "Model URI"
  field approvers: [principal] "Approvers"
  permission write = role creator
}
blueprint release "Release" {
  parent product
  field notes: text "Notes"
  permission write = role creator
  workflow {
    step review "Review" {
      signoff {
        binds notes, product.field model_uri
        feedback tech "Technical" { reviewers = user "tech" }
        final { reviewers = product.field approvers }
      }
    }
    step live "Live"
  }
}
infrastructure prod "Production" { policy prevent }
"#,
    )
    .unwrap();
    s.ok(&["init", "--blueprints", "set"]);
    for u in ["maker", "tech", "boss"] {
        s.ok(&["user", "add", u, "--email", &format!("{u}@example.com")]);
    }
    let p = s
        .ok(&[
            "--as",
            "maker",
            "item",
            "create",
            "product",
            "Scoring",
            "--set",
            "model_uri=s3://models/1",
            "--set",
            "approvers=user:boss",
        ])
        .stdout
        .trim()
        .to_string();
    let r = s
        .ok(&[
            "--as", "maker", "item", "create", "release", "R1", "--parent", &p,
        ])
        .stdout
        .trim()
        .to_string();
    s.ok(&["--as", "maker", "signoff", "request-review", &r]);
    s.ok(&[
        "--as", "tech", "signoff", "feedback", &r, "tech", "approved",
    ]);
    s.ok(&["--as", "maker", "signoff", "request-final", &r]);
    s.ok(&["--as", "boss", "signoff", "approve", &r]);
    s.ok(&["deploy", "check", &r, "prod"]);
    let revision = s.ok(&["--json", "item", "show", &r]).json()["revision"]
        .as_i64()
        .unwrap();

    // The product's model changes: the release's approval was of the old one.
    s.ok(&set_args("maker", &p, &["model_uri=s3://models/2"]));
    let o = signoff_of(&mut s, &r);
    assert_eq!(o["status"], "WAITING_FOR_FEEDBACK");
    assert_eq!(
        o["outdated_decisions"][0]["changed"],
        serde_json::json!(["product.field model_uri"])
    );
    s.expect(4, &["deploy", "check", &r, "prod"]);
    // The release has its own audit event, naming the change that caused it.
    let history = s.ok(&["--json", "item", "history", &r]).json();
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "signoff.outdated");
    assert_eq!(last["actor"], "maker");
    assert_eq!(
        last["details"]["cause"]["item"].as_i64(),
        p.parse::<i64>().ok()
    );
    assert_eq!(last["details"]["revision"].as_i64(), Some(revision + 1));
    let text = s.ok(&["item", "history", &r]).stdout;
    assert!(
        text.contains(&format!("after a change of item {p}")),
        "{text}"
    );
    assert!(
        text.contains("the approval outdated by a change of product.field model_uri"),
        "{text}"
    );
    // The reviewer and the approver, who follow the release, are told.
    let outbox = s.ok(&["outbox"]).stdout;
    assert!(
        outbox.lines().any(|l| l.contains("boss@example.com")
            && l.contains(
                "made the approval outdated by a change of product.field model_uri, with 1 review"
            )),
        "{outbox}"
    );
    // Reviewed again; a product field nothing binds outdates nothing.
    s.ok(&[
        "--as", "tech", "signoff", "feedback", &r, "tech", "approved",
    ]);
    s.ok(&set_args("maker", &p, &["approvers=user:boss,user:tech"]));
    let o = signoff_of(&mut s, &r);
    assert_eq!(o["feedback"][0]["reviews"][0]["reviewer"], "tech");
    assert_eq!(
        s.history_actions("maker", &r).last().map(String::as_str),
        Some("signoff.give_feedback")
    );
    s.ok(&["audit", "verify"]);
}

#[test]
fn deploy_check_refuses_an_approval_given_on_other_content() {
    let (mut s, v) = in_review("bound-deploy");
    approve(&mut s, &v);
    // A bound value changed outside govrt's rules (here, straight in the
    // database): the approval no longer matches the content.
    let fields = s
        .sql_texts(&format!("SELECT fields FROM items WHERE id = {v}"))
        .remove(0);
    let mut fields: serde_json::Value = serde_json::from_str(&fields).unwrap();
    fields["metrics"] = "auc 0.50".into();
    let fields = fields.to_string().replace('\'', "''");
    s.sql(&format!(
        "UPDATE items SET fields = '{fields}' WHERE id = {v}"
    ));
    let blocked = s.expect(4, &["deploy", "check", &v, "prod"]);
    assert!(
        blocked
            .stdout
            .contains("was given on other content than the current one"),
        "{}",
        blocked.stdout
    );
    let confirm = s.expect(3, &["deploy", "check", &v, "preprod"]);
    assert!(
        confirm.stdout.contains("other content"),
        "{}",
        confirm.stdout
    );
}

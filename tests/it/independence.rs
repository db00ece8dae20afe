//! Independence that can be stated: `not requester` and `not PRINCIPALS`
//! (a field, an ancestor's field, a group) on feedback groups and the final
//! approval, `not reviewer` on the final approval; each holds against
//! grants, delegations and admins, on the CLI and the API, in the review
//! queue, explain and who-can. Runs on the suite's store.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Daemon, Sandbox, http};

const SET: &str = r#"
blueprint model "Model" {
  field developer: user "Developer"
  permission write = everyone
  workflow { step build "Build" }
}

blueprint version "Model version" {
  parent model
  field trainer: user "Trainer"
  permission write = everyone
  workflow {
    step validation "Validation" {
      signoff "Independent validation" {
        mandatory
        feedback validation "Validation" {
          reviewers = group "validators"
          not requester
          not model.field developer, field trainer
        }
        feedback ops "Operations" { reviewers = group "ops"  not group "contractors" }
        final {
          reviewers = group "heads"
          not requester
          not reviewer
          not model.field developer
        }
      }
    }
    step done "Done"
  }
}
"#;

/// A model developed by `dev`, a version trained by `trainer`, its review
/// requested by `val2` (a validator and a head).
fn world(name: &str) -> (Sandbox, String) {
    let s = Sandbox::new(name);
    std::fs::write(s.dir.join("set.gov"), SET).unwrap();
    s.quiet(&["init", "--blueprints", "set.gov"]);
    for u in [
        "dev", "trainer", "val1", "val2", "op1", "op2", "head1", "head2",
    ] {
        s.quiet(&["user", "add", u]);
    }
    for (g, members) in [
        ("validators", &["dev", "trainer", "val1", "val2"][..]),
        ("ops", &["op1", "op2"][..]),
        ("contractors", &["op2"][..]),
        ("heads", &["dev", "val1", "val2", "head1", "head2"][..]),
    ] {
        let mut args = vec!["group", "add", g];
        for m in members {
            args.extend(["--member", m]);
        }
        s.quiet(&args);
    }
    let model = s
        .quiet(&[
            "--as",
            "dev",
            "item",
            "create",
            "model",
            "M",
            "--set",
            "developer=dev",
        ])
        .stdout
        .trim()
        .to_string();
    let version = s
        .quiet(&[
            "--as",
            "trainer",
            "item",
            "create",
            "version",
            "V1",
            "--parent",
            &model,
            "--set",
            "trainer=trainer",
        ])
        .stdout
        .trim()
        .to_string();
    s.quiet(&["--as", "val2", "signoff", "request-review", &version]);
    (s, version)
}

/// `who` takes a sign-off action on the item.
fn act(s: &mut Sandbox, who: &str, args: &[&str]) {
    let mut all = vec!["--as", who, "signoff"];
    all.extend(args);
    s.ok(&all);
}

/// What `who` is told when `args` (a sign-off command on the item) is refused.
fn refusal(s: &mut Sandbox, who: &str, args: &[&str]) -> String {
    let mut all = vec!["--as", who, "signoff"];
    all.extend(args);
    s.expect(1, &all).stderr
}

#[test]
fn feedback_groups_keep_out_the_requester_and_the_people_a_field_names() {
    let (mut s, v) = world("independence-feedback");
    let feedback = ["feedback", v.as_str(), "validation", "approved"];
    for (who, why) in [
        ("dev", "`not model.field developer` names them"),
        ("trainer", "`not field trainer` names them"),
        ("val2", "`not requester`"),
    ] {
        let told = refusal(&mut s, who, &feedback);
        assert!(told.contains("separation of duties"), "{who}: {told}");
        assert!(told.contains(why), "{who}: {told}");
    }
    // A group: the contractor in ops may not review for ops.
    let ops = ["feedback", v.as_str(), "ops", "approved"];
    let told = refusal(&mut s, "op2", &ops);
    assert!(
        told.contains("`not group \"contractors\"` names them"),
        "{told}"
    );
    // An admin acting for anyone is held by the exclusion too.
    s.quiet(&["user", "add", "boss", "--admin"]);
    s.quiet(&["group", "add", "contractors", "--member", "boss"]);
    refusal(&mut s, "boss", &ops);
    // The independent validator and the ops reviewer may.
    act(&mut s, "val1", &["feedback", &v, "validation", "approved"]);
    act(&mut s, "op1", &["feedback", &v, "ops", "approved"]);
}

#[test]
fn an_excluded_person_neither_delegates_nor_receives_the_slot() {
    let (mut s, v) = world("independence-delegation");
    // The developer, a validator by group, cannot hand the slot on.
    let told = refusal(&mut s, "dev", &["delegate", &v, "validation", "val1"]);
    assert!(told.contains("developer"), "{told}");
    // Nor can a validator hand it to the developer or the trainer.
    for to in ["dev", "trainer"] {
        let out = s.run(&["--as", "val1", "signoff", "delegate", &v, "validation", to]);
        assert_ne!(out.code, 0, "delegated to {to}");
        assert!(
            out.stderr.contains("may not act for `validation`"),
            "{}",
            out.stderr
        );
    }
    // A delegation given before someone became excluded counts for nothing.
    act(&mut s, "val1", &["delegate", &v, "validation", "head1"]);
    s.ok(&["--as", "val1", "item", "set", &v, "trainer=head1"]);
    let told = refusal(&mut s, "head1", &["feedback", &v, "validation", "approved"]);
    assert!(told.contains("`not field trainer` names them"), "{told}");
}

#[test]
fn the_final_approval_keeps_out_the_reviewers_of_the_round() {
    let (mut s, v) = world("independence-final");
    act(&mut s, "val1", &["feedback", &v, "validation", "approved"]);
    act(&mut s, "op1", &["feedback", &v, "ops", "approved"]);
    s.ok(&["--as", "head1", "signoff", "request-final", &v]);
    // val1 reviewed; val2 requested; dev developed the model: none decides.
    for (who, why) in [
        ("val1", "`not reviewer`"),
        ("val2", "`not requester`"),
        ("dev", "`not model.field developer`"),
    ] {
        let told = refusal(&mut s, who, &["approve", &v]);
        assert!(told.contains(why), "{who}: {told}");
    }
    // Nor may the reviewer delegate the decision away.
    s.expect(
        1,
        &["--as", "val1", "signoff", "delegate", &v, "final", "head2"],
    );
    // The queue, explain and who-can agree.
    let queue = s.ok(&["--as", "val1", "--json", "reviews"]).json();
    assert_eq!(queue.as_array().map(Vec::len), Some(0), "{queue}");
    let queue = s.ok(&["--as", "head2", "--json", "reviews"]).json();
    assert_eq!(queue.as_array().map(Vec::len), Some(1), "{queue}");
    let explain = s
        .ok(&[
            "--json", "explain", &v, "--user", "val1", "--action", "approve",
        ])
        .json();
    assert_eq!(explain["allowed"], false);
    let blockers = explain["blockers"].to_string();
    assert!(blockers.contains("`not reviewer`"), "{blockers}");
    let who = s.ok(&["--json", "who-can", &v, "approve"]).json();
    let names = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .filter_map(|u| u["user"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(names(&who["users"]), ["head1", "head2"], "{who}");
    // Those a grant names but the rules keep out, each with the reason.
    assert_eq!(names(&who["blocked"]), ["dev", "val1", "val2"], "{who}");
    let text = s.ok(&["who-can", &v, "approve"]).stdout;
    assert!(text.contains("holding a grant, but may not now:"), "{text}");
    assert!(text.contains("`not reviewer`"), "{text}");
    assert!(
        text.contains("`not model.field developer` names them"),
        "{text}"
    );
    s.ok(&["--as", "head2", "signoff", "approve", &v]);
}

#[test]
fn the_api_refuses_what_the_cli_refuses() {
    let (s, v) = world("independence-api");
    let daemon = Daemon::start(&s, &[]);
    let dev = s.token("dev");
    let val1 = s.token("val1");
    let path = format!("/api/v1/items/{v}/signoff/feedback");
    let body = serde_json::json!({"group": "validation", "verdict": "approved"});
    let refused = http(daemon.port, "POST", &path, Some(&dev), &[], Some(&body));
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("developer"), "{}", refused.body);
    let given = http(daemon.port, "POST", &path, Some(&val1), &[], Some(&body));
    assert_eq!(given.status, 200, "{}", given.body);
}

//! Conditional steps (`when COND`, the `visible` hook): a model version of
//! each risk tier through the standard workflow (independent validation is
//! SKIPPED for low and medium, required for high), the deploy decisions and
//! the audit that say why, moving back deciding again, a condition over an
//! ancestor's field, and the SKIPPED step and NOT_APPLICABLE sign-off as the
//! CLI, the API and the web UI show them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Daemon, Sandbox, get_page, http};
use serde_json::Value as Json;

/// The audit details of the item's last `item.move`.
fn last_move(s: &Sandbox, item: &str) -> Json {
    let history = s
        .quiet(&["--json", "--as", "owner", "item", "history", item])
        .json();
    let events = history["events"]
        .as_array()
        .or(history.as_array())
        .unwrap()
        .clone();
    events
        .iter()
        .rev()
        .find(|e| e["action"] == "item.move")
        .map(|e| e["details"].clone())
        .unwrap()
}

fn status(s: &Sandbox, item: &str) -> Json {
    s.quiet(&["--json", "--as", "owner", "status", item]).json()
}

fn step_state(status: &Json, step: &str) -> String {
    status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == step)
        .map(|x| x["state"].as_str().unwrap().to_string())
        .unwrap()
}

fn signoff_status(status: &Json, step: &str) -> String {
    status["signoffs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["step"] == step)
        .map(|x| x["status"].as_str().unwrap().to_string())
        .unwrap()
}

#[test]
fn each_risk_tier_through_the_standard_workflow() {
    let mut s = Sandbox::new("cond-tiers");
    let (_, model) = s.standard_world();
    for tier in ["low", "medium"] {
        let v = s.reviewed_version(&model, &format!("{tier} risk"), tier);
        // Not reached yet, and it will not apply: gating says so.
        let r = s.expect(0, &["--as", "approver", "deploy", "check", &v, "prod"]);
        assert!(
            r.stdout.starts_with("ALLOW") && r.stdout.contains("`validation` does not apply"),
            "{}",
            r.stdout
        );
        s.ok(&["--as", "owner", "item", "advance", &v]);
        let st = status(&s, &v);
        assert_eq!(st["item"]["step"], "deployed");
        assert_eq!(step_state(&st, "validation"), "SKIPPED");
        assert_eq!(signoff_status(&st, "validation"), "NOT_APPLICABLE");
        assert_eq!(st["approved"], true);
        let moved = last_move(&s, &v);
        assert_eq!(moved["skipped"][0]["step"], "validation", "{moved}");
        assert_eq!(moved["skipped"][0]["decided_by"], "when risk_tier == high");
        assert_eq!(moved["skipped"][0]["values"]["risk_tier"], tier);
        let r = s.expect(0, &["--as", "approver", "deploy", "check", &v, "prod"]);
        assert!(
            r.stdout
                .contains("`validation` is NOT_APPLICABLE (when risk_tier == high"),
            "{}",
            r.stdout
        );
        // No action applies to a NOT_APPLICABLE sign-off, and the step cannot be entered.
        let r = s.expect(
            1,
            &[
                "--as",
                "owner",
                "signoff",
                "request-final",
                &v,
                "--step",
                "validation",
            ],
        );
        assert!(r.stderr.contains("NOT_APPLICABLE"), "{}", r.stderr);
        let r = s.expect(1, &["--as", "owner", "item", "move", &v, "validation"]);
        assert!(r.stderr.contains("does not apply"), "{}", r.stderr);
        let history = s.ok(&["--as", "owner", "item", "history", &v]).stdout;
        assert!(
            history.contains("skipped validation (when risk_tier == high, with risk_tier = \""),
            "{history}"
        );
    }

    // High risk: the step applies, and gates deployment until approved.
    let high = s.reviewed_version(&model, "high risk", "high");
    let r = s.expect(4, &["--as", "approver", "deploy", "check", &high, "prod"]);
    assert!(
        r.stdout.contains("`validation` is NOT_STARTED"),
        "{}",
        r.stdout
    );
    s.ok(&["--as", "owner", "item", "advance", &high]);
    assert_eq!(status(&s, &high)["item"]["step"], "validation");
    assert!(last_move(&s, &high).get("skipped").is_none());
    s.expect(1, &["--as", "owner", "item", "move", &high, "deployed"]);
    s.ok(&[
        "--as",
        "owner",
        "item",
        "set",
        &high,
        "validation_report=ok",
    ]);
    s.ok(&["--as", "owner", "signoff", "request-final", &high]);
    s.ok(&["--as", "risk1", "signoff", "approve", &high]);
    s.ok(&["--as", "owner", "item", "advance", &high]);
    let st = status(&s, &high);
    assert_eq!(step_state(&st, "validation"), "FINISHED");
    assert_eq!(signoff_status(&st, "validation"), "APPROVED");
    s.expect(0, &["--as", "approver", "deploy", "check", &high, "prod"]);
    s.ok(&["audit", "verify"]);
}

#[test]
fn a_finished_step_is_not_decided_again_until_the_workflow_moves_back() {
    let mut s = Sandbox::new("cond-back");
    let (_, model) = s.standard_world();
    let v = s.reviewed_version(&model, "low risk", "low");
    s.ok(&["--as", "owner", "item", "advance", &v]);
    // The tier changes after the step was skipped: it stays SKIPPED (the
    // review, which binds the tier, is outdated by the change).
    s.ok(&["--as", "owner", "item", "set", &v, "risk_tier=high"]);
    let st = status(&s, &v);
    assert_eq!(step_state(&st, "validation"), "SKIPPED");
    assert_eq!(signoff_status(&st, "validation"), "NOT_APPLICABLE");
    assert_eq!(st["approved"], false, "the review was given on a low tier");
    // Moving back before it decides again: now it applies.
    s.ok(&["--as", "owner", "item", "move", &v, "review"]);
    let moved = last_move(&s, &v);
    assert_eq!(
        moved["reopened"],
        serde_json::json!(["validation"]),
        "{moved}"
    );
    let st = status(&s, &v);
    assert_eq!(step_state(&st, "validation"), "NOT_STARTED");
    assert_eq!(signoff_status(&st, "validation"), "NOT_STARTED");
    s.ok(&["--as", "owner", "signoff", "request-final", &v]);
    s.ok(&["--as", "approver", "signoff", "approve", &v]);
    s.ok(&["--as", "owner", "item", "advance", &v]);
    assert_eq!(status(&s, &v)["item"]["step"], "validation");
}

#[test]
fn a_condition_over_an_ancestor_field_and_the_visible_hook() {
    let mut s = Sandbox::new("cond-ancestor");
    let dir = s.dir.join("set");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("cases.gov"),
        r#"blueprint portfolio "Portfolio" {
  field regulated: bool "Regulated"
  permission read = everyone
  permission write = everyone
}

control legal.review "Legal review of large or regulated cases"

blueprint case "Case" {
  parent portfolio
  script "case.rhai"
  field amount: number "Amount"
  field tags: [text] "Tags"
  permission read = everyone
  permission write = everyone
  workflow {
    step intake "Intake"
    step legal "Legal review" {
      when portfolio.field regulated == true or amount >= 1000
      controls legal.review
      field opinion: text "Opinion" required
      signoff { mandatory  final { reviewers = user "lawyer" } }
    }
    step privacy "Privacy" {
      when tags == "pii" and not (amount is not set)
    }
    step extra "Extra checks"
    step done "Done"
  }
}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("case.rhai"),
        "fn visible(item, step) { if step == \"extra\" { item.fields.amount > 5000.0 } else { () } }\n",
    )
    .unwrap();
    s.ok(&["validate", "set", "--deny-warnings"]);
    s.ok(&["init", "--blueprints", "set"]);
    s.quiet(&["user", "add", "clerk"]);
    s.quiet(&["user", "add", "owner"]);
    s.quiet(&["user", "add", "lawyer"]);
    let create = |s: &mut Sandbox, bp: &str, args: &[&str]| {
        let mut all = vec!["--as", "clerk", "item", "create", bp];
        all.extend_from_slice(args);
        s.ok(&all).stdout.trim().to_string()
    };
    let open = create(&mut s, "portfolio", &["Open", "--set", "regulated=false"]);
    let regulated = create(&mut s, "portfolio", &["Banking", "--set", "regulated=true"]);

    // An unregulated portfolio, a small case with personal data: legal and
    // extra are skipped, privacy applies.
    let small = create(
        &mut s,
        "case",
        &[
            "small",
            "--parent",
            &open,
            "--set",
            "amount=10",
            "--set",
            "tags=pii,x",
        ],
    );
    s.ok(&["--as", "clerk", "item", "advance", &small]);
    assert_eq!(status(&s, &small)["item"]["step"], "privacy");
    let moved = last_move(&s, &small);
    assert_eq!(moved["skipped"][0]["step"], "legal", "{moved}");
    assert_eq!(
        moved["skipped"][0]["values"],
        serde_json::json!({"portfolio.field regulated": false, "amount": 10.0})
    );
    s.ok(&["--as", "clerk", "item", "advance", &small]);
    let moved = last_move(&s, &small);
    assert_eq!(moved["skipped"][0]["step"], "extra", "{moved}");
    assert_eq!(moved["skipped"][0]["decided_by"], "visible hook");
    assert_eq!(status(&s, &small)["item"]["step"], "done");
    // The control report says the step was skipped, and why, not finished.
    let report = s
        .quiet(&["--json", "--as", "clerk", "report", "controls"])
        .json();
    let evidence = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == small.as_str())
        .map(|i| i["controls"][0]["evidence"][0]["detail"].clone())
        .unwrap();
    assert_eq!(
        evidence,
        "step skipped (when portfolio.field regulated == true or amount >= 1000, with amount = 10.0, portfolio.field regulated = false)"
    );

    // The same case under a regulated portfolio needs its legal review.
    let big = create(
        &mut s,
        "case",
        &["big", "--parent", &regulated, "--set", "amount=9000"],
    );
    s.ok(&["--as", "clerk", "item", "advance", &big]);
    assert_eq!(status(&s, &big)["item"]["step"], "legal");
    let r = s.expect(1, &["--as", "clerk", "item", "advance", &big]);
    assert!(r.stderr.contains("opinion"), "{}", r.stderr);
    s.ok(&["--as", "clerk", "item", "set", &big, "opinion=fine"]);
    s.expect(1, &["--as", "clerk", "item", "advance", &big]);
    s.ok(&["--as", "clerk", "signoff", "request-final", &big]);
    s.ok(&["--as", "lawyer", "signoff", "approve", &big]);
    // Privacy does not apply (no tags), extra does (the hook: amount > 5000).
    s.ok(&["--as", "clerk", "item", "advance", &big]);
    let st = status(&s, &big);
    assert_eq!(st["item"]["step"], "extra");
    assert_eq!(step_state(&st, "privacy"), "SKIPPED");
    assert_eq!(step_state(&st, "legal"), "FINISHED");
}

#[test]
fn the_api_and_the_web_ui_show_a_skipped_step() {
    let s = Sandbox::new("cond-surfaces");
    let (_, model) = s.standard_world();
    let v = s.reviewed_version(&model, "low risk", "low");
    let d = Daemon::start(&s, &[]);
    let token = s.token("owner");
    let r = http(
        d.port,
        "POST",
        &format!("/api/v1/items/{v}/advance"),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let st = http(
        d.port,
        "GET",
        &format!("/api/v1/items/{v}/status"),
        Some(&token),
        &[],
        None,
    )
    .json();
    assert_eq!(step_state(&st, "validation"), "SKIPPED");
    assert_eq!(signoff_status(&st, "validation"), "NOT_APPLICABLE");
    let r = http(
        d.port,
        "POST",
        &format!("/api/v1/items/{v}/move"),
        Some(&token),
        &[],
        Some(&serde_json::json!({"step": "validation"})),
    );
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (409, Some("step_not_applicable")),
        "{}",
        r.body
    );
    let (cookie, _) = crate::support::sign_in(d.port, &token);
    let page = get_page(d.port, &format!("/items/{v}"), Some(&cookie)).body;
    assert!(page.contains("class=\"skipped\""), "{page}");
    assert!(page.contains("NOT_APPLICABLE"), "{page}");
    assert!(!page.contains("s-APPROVED\">NOT_APPLICABLE"), "{page}");
}

/// A conditional review with a required group and service levels.
const QUIET: &str = r#"
blueprint model "Model" {
  field tier: enum(low, high) "Tier" = low
  permission write = everyone
  workflow {
    step draft "Draft"
    step extra "Extra review" {
      when tier == high
      signoff {
        mandatory
        feedback risk "Risk" { reviewers = group "risk"  min 2  required  sla 3 days }
        final { reviewers = group "risk"  sla 2 days }
      }
    }
    step done "Done"
  }
}
"#;

#[test]
fn a_not_applicable_sign_off_is_quiet_on_every_surface() {
    let s = Sandbox::new("conditional-quiet");
    std::fs::write(s.dir.join("m.gov"), QUIET).unwrap();
    s.quiet(&["init", "--blueprints", "m.gov"]);
    s.quiet(&["user", "add", "owner"]);
    let item = s
        .quiet(&["--as", "owner", "item", "create", "model", "M"])
        .stdout;
    let item = item.trim().to_string();
    s.quiet(&["--as", "owner", "item", "move", &item, "done"]);
    let json = status(&s, &item);
    let signoff = json["signoffs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["step"] == "extra")
        .unwrap()
        .clone();
    assert_eq!(signoff["status"], "NOT_APPLICABLE", "{json}");
    assert!(signoff["final_service"].is_null(), "{signoff}");
    assert!(signoff["feedback"][0]["service"].is_null(), "{signoff}");
    assert_eq!(
        signoff["missing_feedback"],
        serde_json::json!([]),
        "{signoff}"
    );
    let text = s.quiet(&["--as", "owner", "status", &item]).stdout;
    assert!(
        text.contains("its step was skipped: no review or decision is wanted"),
        "{text}"
    );
    assert!(!text.contains("0/2 reviews"), "{text}");
    let daemon = Daemon::start(&s, &[]);
    let token = s.token("owner");
    let r = http(
        daemon.port,
        "GET",
        &format!("/api/v1/items/{item}/status"),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.contains("\"clock\""), "no SLA clock: {}", r.body);
    let (cookie, _) = crate::support::sign_in(daemon.port, &token);
    let page = get_page(daemon.port, &format!("/items/{item}"), Some(&cookie));
    assert!(
        page.body.contains("Not applicable: the step was skipped"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("reviews needed"), "{}", page.body);
    assert!(!page.body.contains("Missing feedback"), "{}", page.body);
}

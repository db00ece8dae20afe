//! The control coverage report on a database with model versions in every
//! sign-off state (and one approval outdated, one deleted item, a deployment
//! confirmed under `warn`, an admin action): JSON and CSV snapshots from the
//! CLI, the same from the API, and the HTML document.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Daemon, Sandbox, http};

/// Model versions in every state of the standard review.
fn every_state(name: &str) -> Sandbox {
    let s = Sandbox::new(name);
    let (_, model) = s.standard_world();
    let version = |name: &str, ready: bool| {
        let v = s.model_version(&model, name);
        if ready {
            s.quiet(&[
                "--as",
                "owner",
                "item",
                "set",
                &v,
                "owner=owner",
                "documentation=card.pdf",
                "intended_use=fraud scoring",
                "metrics=auc 0.91",
            ]);
        }
        s.quiet(&["--as", "owner", "item", "move", &v, "review"]);
        v
    };
    let requested = |v: &str| s.quiet(&["--as", "owner", "signoff", "request-review", v]);
    let decided = |v: &str, how: &str| {
        requested(v);
        s.quiet(&[
            "--as", "itops", "signoff", "feedback", v, "it_ops", "approved",
        ]);
        s.quiet(&["--as", "owner", "signoff", "request-final", v]);
        s.quiet(&["--as", "approver", "signoff", how, v]);
    };
    version("not started", false);
    let v = version("waiting for feedback", true);
    requested(&v);
    let v = version("waiting for approval", true);
    requested(&v);
    s.quiet(&["--as", "owner", "signoff", "request-final", &v]);
    let v = version("approved", true);
    decided(&v, "approve");
    let v = version("rejected", true);
    decided(&v, "reject");
    let v = version("abandoned", true);
    requested(&v);
    s.quiet(&["--as", "owner", "signoff", "abandon", &v]);
    let v = version("outdated", true);
    decided(&v, "approve");
    s.quiet(&["--as", "owner", "item", "set", &v, "metrics=auc 0.80"]);
    s.quiet(&[
        "--as",
        "owner",
        "deploy",
        "check",
        &v,
        "preprod",
        "--confirm",
    ]);
    s.quiet(&[
        "--as",
        "admin",
        "item",
        "set",
        &v,
        "description=checked by the admin",
    ]);
    let gone = s.model_version(&model, "retired");
    s.quiet(&["--as", "admin", "item", "delete", &gone]);
    s
}

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]")]
}

#[test]
fn the_report_in_json_and_csv() {
    let mut s = every_state("controls-report");
    // A table by default, for the terminal.
    let text = s
        .ok(&["report", "controls", "--blueprint", "model_version"])
        .stdout;
    assert!(
        text.contains("ITEM") && text.contains("MET") && text.contains("EVIDENCE"),
        "{text}"
    );
    assert!(text.contains("exceptions of item"), "{text}");
    let json = s
        .ok(&[
            "report",
            "controls",
            "--blueprint",
            "model_version",
            "--format",
            "json",
        ])
        .json();
    assert_eq!(json["audit"]["intact"], true);
    let satisfied = |name: &str, control: &str| {
        let item = json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap();
        let c = item["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["control"] == control)
            .unwrap();
        c["satisfied"].as_bool().unwrap()
    };
    assert!(satisfied("approved", "eu_ai_act.art14"));
    assert!(satisfied("approved", "sr_11_7.validation"));
    assert!(!satisfied("rejected", "eu_ai_act.art14"));
    assert!(!satisfied("outdated", "eu_ai_act.art14"));
    assert!(!satisfied("not started", "eu_ai_act.art11"));
    assert!(satisfied("waiting for feedback", "eu_ai_act.art11"));
    let outdated = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "outdated")
        .unwrap();
    let exceptions: Vec<&str> = outdated["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        exceptions
            .iter()
            .any(|e| e.contains("confirmed a deployment on preprod")),
        "{exceptions:?}"
    );
    assert!(
        exceptions
            .iter()
            .any(|e| e.contains("admin `admin` did item.set")),
        "{exceptions:?}"
    );
    let retired: Vec<&serde_json::Value> = json["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["state"] == "retired")
        .collect();
    assert_eq!(retired.len(), 1);
    assert_eq!(retired[0]["name"], "retired");
    let csv = s
        .ok(&[
            "report",
            "controls",
            "--blueprint",
            "model_version",
            "--format",
            "csv",
        ])
        .stdout;
    assert!(csv.starts_with("item,name,blueprint,version,step,control,satisfied,"));
    insta::with_settings!({filters => filters()}, {
        insta::assert_json_snapshot!("controls_report_json", json);
        insta::assert_snapshot!("controls_report_csv", csv);
    });
    let html = s.ok(&["report", "controls", "--format", "html"]).stdout;
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("Human oversight") && html.contains("Inventory"));
}

#[test]
fn the_api_serves_the_report_in_json_and_csv() {
    let s = every_state("controls-api");
    let token = s.token("owner");
    let d = Daemon::start(&s, &[]);
    let r = http(
        d.port,
        "GET",
        "/api/v1/reports/controls?blueprint=model_version",
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 7);
    let r = http(
        d.port,
        "GET",
        "/api/v1/reports/controls?format=csv",
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    assert!(r.body.contains("eu_ai_act.art14"));
    let r = http(
        d.port,
        "GET",
        "/api/v1/reports/controls?format=pdf",
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.status, 400);
    let r = http(d.port, "GET", "/api/v1/reports/controls", None, &[], None);
    assert_eq!(r.status, 401);
}

const VALIDATION: &str = r#"
control sr11_7.validation "Independent validation" { framework "SR 11-7" }

blueprint model "Model" {
  field owner: user "Owner"
  field card: text "Model card"
  permission read = everyone
  permission write = field owner
  workflow {
    step build "Build"
    step validation "Validation" {
      controls sr11_7.validation
      signoff {
        mandatory
        binds card
        controls sr11_7.validation
        final { reviewers = group "validators" }
      }
    }
    step live "Live"
  }
}

infrastructure prod "Production" { policy prevent }
"#;

/// The validation world: `dev` owns models, `val` validates.
fn validation_world(name: &str) -> Sandbox {
    let s = Sandbox::new(name);
    std::fs::write(s.dir.join("model.gov"), VALIDATION).unwrap();
    s.quiet(&["init", "--blueprints", "model.gov"]);
    for u in ["dev", "val"] {
        s.quiet(&["user", "add", u]);
    }
    s.quiet(&["group", "add", "validators", "--member", "val"]);
    s
}

/// A model on its validation step, its approval requested.
fn awaiting_validation(s: &Sandbox, name: &str) -> String {
    let m = s
        .quiet(&[
            "--as",
            "dev",
            "item",
            "create",
            "model",
            name,
            "--set",
            "owner=dev",
            "--set",
            "card=v1",
        ])
        .stdout
        .trim()
        .to_string();
    s.quiet(&["--as", "dev", "item", "advance", &m]);
    s.quiet(&["--as", "dev", "signoff", "request-final", &m]);
    m
}

/// A step's control is met only while its mandatory sign-off stands
/// approved on the current content: passed with the approval outdated, the
/// report says why not, as the gate blocks.
#[test]
fn a_step_passed_over_an_outdated_approval_is_no_evidence() {
    let mut s = validation_world("controls-outdated-step");
    let m = awaiting_validation(&s, "M");
    s.ok(&["--as", "val", "signoff", "approve", &m]);
    s.ok(&["--as", "dev", "item", "advance", &m]);
    let evidence = |s: &mut Sandbox| {
        let report = s
            .ok(&["--json", "report", "controls", "--format", "json"])
            .json();
        let item = report["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["item"] == m.as_str())
            .unwrap()
            .clone();
        item["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["control"] == "sr11_7.validation")
            .unwrap()
            .clone()
    };
    let met = evidence(&mut s);
    assert_eq!(met["satisfied"], true, "{met}");
    assert_eq!(s.ok(&["deploy", "check", &m, "prod"]).code, 0);
    // The card changes after the approval: outdated, the gate blocks, and
    // the step that was passed is evidence no more.
    s.ok(&["--as", "dev", "item", "set", &m, "card=v2"]);
    assert_eq!(s.expect(4, &["deploy", "check", &m, "prod"]).code, 4);
    let unmet = evidence(&mut s);
    assert_eq!(unmet["satisfied"], false, "{unmet}");
    let text = unmet.to_string();
    assert!(
        text.contains("step passed, but its mandatory sign-off is"),
        "{text}"
    );
}

/// The approval event of a history.
fn approval_in(history: &serde_json::Value) -> serde_json::Value {
    history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "signoff.approve")
        .unwrap()
        .clone()
}

/// An approval typed at the database's command line under the approver's
/// name (`--as`) is an exception, never independent evidence; the same
/// approval through the approver's own token is.
#[test]
fn an_approval_given_through_local_as_is_an_exception() {
    let mut s = validation_world("controls-impersonation");
    let typed = awaiting_validation(&s, "typed");
    s.ok(&["--as", "val", "signoff", "approve", &typed]);
    let signed = awaiting_validation(&s, "signed");
    let token = s.token("val");
    let d = Daemon::start(&s, &[]);
    let r = http(
        d.port,
        "POST",
        &format!("/api/v1/items/{signed}/signoff/approve"),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let history = http(
        d.port,
        "GET",
        &format!("/api/v1/items/{signed}/history"),
        Some(&token),
        &[],
        None,
    )
    .json();
    let approval = approval_in(&history);
    assert_eq!(approval["details"]["auth"]["method"], "token", "{approval}");
    drop(d);
    let local = s
        .ok(&["--json", "--as", "val", "item", "history", &typed])
        .json();
    let approval = approval_in(&local);
    assert_eq!(approval["details"]["auth"]["method"], "local", "{approval}");
    assert_eq!(approval["details"]["auth"]["as_user"], true, "{approval}");
    let report = s
        .ok(&["--json", "report", "controls", "--format", "json"])
        .json();
    let of = |id: &str| {
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["item"] == id)
            .unwrap()
            .clone()
    };
    let (typed, signed) = (of(&typed), of(&signed));
    let exceptions = typed["exceptions"].to_string();
    assert!(
        exceptions.contains("`--as`") && exceptions.contains("not independent evidence"),
        "{typed}"
    );
    let independent = |i: &serde_json::Value| {
        i["controls"][0]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "signoff")
            .map(|e| e["independent"].clone())
    };
    assert_eq!(
        independent(&typed),
        Some(serde_json::json!(false)),
        "{typed}"
    );
    assert_eq!(
        independent(&signed),
        Some(serde_json::json!(true)),
        "{signed}"
    );
    assert_eq!(signed["exceptions"], serde_json::json!([]), "{signed}");
}

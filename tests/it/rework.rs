//! A move back before a mandatory sign-off reopens it (audited, followers
//! told), so that a version back in development cannot deploy on its old
//! approval; `keep on rework` keeps it. The board chooses no step for the
//! user.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Daemon, Sandbox, get_page, sign_in};

fn world(name: &str, keep: bool) -> (Sandbox, String) {
    let s = Sandbox::new(name);
    let gov = format!(
        r#"blueprint model "Model" {{
  field owner: user "Owner"
  permission read = everyone
  permission write = field owner
  workflow {{
    step build "Build"
    step validation "Validation" {{
      signoff {{
        mandatory
        {}
        final {{ reviewers = group "validators" }}
      }}
    }}
    step live "Live"
  }}
}}

infrastructure prod "Production" {{ policy prevent }}
"#,
        if keep { "keep on rework" } else { "" }
    );
    std::fs::write(s.dir.join("model.gov"), gov).unwrap();
    s.quiet(&["init", "--blueprints", "model.gov"]);
    for u in ["dev", "val"] {
        s.quiet(&["user", "add", u]);
    }
    s.quiet(&["group", "add", "validators", "--member", "val"]);
    let m = s
        .quiet(&[
            "--as",
            "dev",
            "item",
            "create",
            "model",
            "M",
            "--set",
            "owner=dev",
        ])
        .stdout
        .trim()
        .to_string();
    s.quiet(&["--as", "dev", "item", "advance", &m]);
    s.quiet(&["--as", "dev", "signoff", "request-final", &m]);
    s.quiet(&["--as", "val", "signoff", "approve", &m]);
    s.quiet(&["--as", "dev", "item", "advance", &m]);
    (s, m)
}

fn signoff_status(s: &Sandbox, m: &str) -> String {
    s.quiet(&["--json", "--as", "dev", "status", m]).json()["signoffs"][0]["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_move_back_before_a_mandatory_signoff_reopens_it() {
    let (mut s, m) = world("rework-reopens", false);
    assert_eq!(s.ok(&["deploy", "check", &m, "prod"]).code, 0);
    s.ok(&["--as", "dev", "item", "move", &m, "build"]);
    assert_eq!(signoff_status(&s, &m), "NOT_STARTED");
    assert_eq!(s.expect(4, &["deploy", "check", &m, "prod"]).code, 4);
    let history = s
        .ok(&["--json", "--as", "dev", "item", "history", &m])
        .json();
    let moved = history
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["action"] == "item.move")
        .unwrap()
        .clone();
    assert_eq!(
        moved["details"]["reset_on_rework"],
        serde_json::json!(["validation"]),
        "{moved}"
    );
    // The round is archived, not lost.
    let status = s.ok(&["--json", "--as", "dev", "status", &m]).json();
    assert_eq!(status["signoffs"][0]["rounds_archived"], 1, "{status}");
    assert!(status["signoffs"][0]["approved_at"].is_null(), "{status}");
}

#[test]
fn keep_on_rework_keeps_the_approval() {
    let (mut s, m) = world("rework-keeps", true);
    s.ok(&["--as", "dev", "item", "move", &m, "build"]);
    assert_eq!(signoff_status(&s, &m), "APPROVED");
    s.ok(&["fmt", "--check", "model.gov"]);
}

#[test]
fn the_board_chooses_no_step_for_the_user() {
    let (s, _) = world("rework-board", false);
    let token = s.token("dev");
    let d = Daemon::start(&s, &[]);
    let (session, _) = sign_in(d.port, &token);
    let page = get_page(d.port, "/board?blueprint=model", Some(&session)).body;
    assert!(
        page.contains("<option value=\"\" selected disabled>Choose a step…</option>"),
        "{page}"
    );
}

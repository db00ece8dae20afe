//! Sign-offs and their safeguards, through the real binary: a `required`
//! feedback group and `no major` that neither a request nor an approval can
//! skip, an approval that records the feedback it was given on, no vacuous
//! ALLOW for items nothing approves, and deliberate destructive actions
//! (reasons audited, a scheduled reset in the past refused).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Daemon, Sandbox, get_page, http, sign_in};

const STRICT: &str = r#"
blueprint thing "Thing" {
  field owner: user required
  permission write = field owner
  workflow {
    step review "Review" {
      signoff {
        feedback risk "Risk" { reviewers = group "risk"  min 2  required }
        feedback style "Style" { reviewers = group "risk" }
        final { reviewers = user "approver"  no major }
      }
    }
  }
}

blueprint folder "Folder" {
  field owner: user required
}

infrastructure prod "Production" { policy prevent }
infrastructure test "Test" { policy warn }
"#;

fn strict_world(name: &str) -> (Sandbox, String) {
    let s = Sandbox::new(name);
    std::fs::write(s.dir.join("strict.gov"), STRICT).unwrap();
    s.quiet(&["init", "--blueprints", "strict.gov"]);
    for u in ["owner", "r1", "r2", "approver"] {
        s.quiet(&["user", "add", u]);
    }
    s.quiet(&["group", "add", "risk", "--member", "r1", "--member", "r2"]);
    let item = s
        .quiet(&[
            "--as",
            "owner",
            "item",
            "create",
            "thing",
            "T",
            "--set",
            "owner=owner",
        ])
        .stdout
        .trim()
        .to_string();
    s.quiet(&["--as", "owner", "signoff", "request-review", &item]);
    (s, item)
}

fn code(s: &mut Sandbox, args: &[&str]) -> String {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let run = s.expect(1, &all);
    let doc = run.json();
    doc["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{doc}"))
        .to_string()
}

#[test]
fn a_required_group_and_no_major_cannot_be_skipped() {
    let (mut s, item) = strict_world("safeguards-required");
    // No final approval without the required group's two reviews, from the
    // CLI as from the API.
    assert_eq!(
        code(
            &mut s,
            &["--as", "owner", "signoff", "request-final", &item]
        ),
        "feedback_required"
    );
    {
        let token = s.token("owner");
        let d = Daemon::start(&s, &[]);
        let r = http(
            d.port,
            "POST",
            &format!("/api/v1/items/{item}/signoff/request-final"),
            Some(&token),
            &[],
            None,
        );
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "feedback_required");
        let status = http(
            d.port,
            "GET",
            &format!("/api/v1/items/{item}/status"),
            Some(&token),
            &[],
            None,
        )
        .json();
        assert_eq!(
            status["signoffs"][0]["missing_feedback"],
            serde_json::json!(["risk", "style"])
        );
    }
    s.ok(&[
        "--as", "r1", "signoff", "feedback", &item, "risk", "approved",
    ]);
    assert_eq!(
        code(
            &mut s,
            &["--as", "owner", "signoff", "request-final", &item]
        ),
        "feedback_required"
    );
    s.ok(&[
        "--as",
        "r2",
        "signoff",
        "feedback",
        &item,
        "risk",
        "major",
        "--comment",
        "leaks",
    ]);
    // The status tells the approver what is missing and what is open.
    let status = s.ok(&["--json", "status", &item]).json();
    let signoff = &status["signoffs"][0];
    assert_eq!(signoff["missing_feedback"], serde_json::json!(["style"]));
    assert_eq!(signoff["open_major_issues"], serde_json::json!(["r2"]));
    assert_eq!(signoff["feedback"][0]["required"], true);
    let human = s.ok(&["status", &item]).stdout;
    assert!(human.contains("missing feedback: Style"), "{human}");
    assert!(human.contains("open major issues: r2"), "{human}");
    // The request goes through, but `no major` refuses the approval…
    s.ok(&["--as", "owner", "signoff", "request-final", &item]);
    assert_eq!(
        code(&mut s, &["--as", "approver", "signoff", "approve", &item]),
        "major_issue_open"
    );
    // …until the finding is addressed and its reviewer changes their review.
    s.ok(&["--as", "approver", "signoff", "back-to-feedback", &item]);
    s.ok(&["--as", "r2", "signoff", "feedback", &item, "risk", "minor"]);
    s.ok(&["--as", "owner", "signoff", "request-final", &item]);
    s.ok(&["--as", "approver", "signoff", "approve", &item]);
    // The approval records the feedback it was given on.
    let history = s.ok(&["--json", "item", "history", &item]).json();
    let approval = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "signoff.approve")
        .unwrap();
    let state = &approval["details"]["feedback_state"];
    assert_eq!(state["groups"]["risk"]["reviews"], 2);
    assert_eq!(state["groups"]["risk"]["required"], true);
    assert_eq!(state["groups"]["style"]["complete"], false);
    assert_eq!(state["major_issues"], serde_json::json!([]));
    s.ok(&["audit", "verify"]);
}

#[test]
fn allow_is_never_vacuous() {
    let (mut s, _) = strict_world("safeguards-allow");
    let folder = s
        .quiet(&[
            "--as",
            "owner",
            "item",
            "create",
            "folder",
            "F",
            "--set",
            "owner=owner",
        ])
        .stdout
        .trim()
        .to_string();
    let prod = s.expect(4, &["deploy", "check", &folder, "prod"]);
    assert!(
        prod.stdout
            .contains("no sign-off gates deployment of `folder` items"),
        "{}",
        prod.stdout
    );
    s.expect(3, &["deploy", "check", &folder, "test"]);
    let status = s.ok(&["--json", "status", &folder]).json();
    assert_eq!(status["approved"], false);
    assert_eq!(status["gated"], false);
    // The API and the web UI say the same.
    let token = s.token("owner");
    let d = Daemon::start(&s, &[]);
    let r = http(
        d.port,
        "GET",
        &format!("/api/v1/items/{folder}/deploy/prod"),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.json()["decision"], "BLOCK");
    assert!(
        r.json()["reason"]
            .as_str()
            .unwrap()
            .contains("no sign-off gates deployment")
    );
    let (cookie, _) = sign_in(d.port, &token);
    let page = get_page(d.port, &format!("/items/{folder}"), Some(&cookie));
    assert!(
        page.body
            .contains("No sign-off gates deployment of folder items"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("all approved"));
}

#[test]
fn destructive_actions_carry_their_reason_and_no_reset_is_scheduled_in_the_past() {
    let (mut s, item) = strict_world("safeguards-reasons");
    assert!(
        s.expect(
            1,
            &[
                "--as",
                "owner",
                "signoff",
                "schedule-reset",
                &item,
                "--at",
                "2020-01-01T00:00:00Z"
            ],
        )
        .stderr
        .contains("not in the future")
    );
    s.ok(&[
        "--as",
        "owner",
        "signoff",
        "abandon",
        &item,
        "--reason",
        "project paused",
    ]);
    s.ok(&["--as", "owner", "signoff", "cancel-abandon", &item]);
    s.ok(&[
        "--as", "owner", "signoff", "reset", &item, "--reason", "new data",
    ]);
    let history = s.ok(&["item", "history", &item]).stdout;
    assert!(history.contains("reason: project paused"), "{history}");
    assert!(history.contains("reason: new data"), "{history}");
    // API clients give the reason in the body.
    let token = s.token("owner");
    let d = Daemon::start(&s, &[]);
    let r = http(
        d.port,
        "POST",
        &format!("/api/v1/items/{item}/signoff/abandon"),
        Some(&token),
        &[],
        Some(&serde_json::json!({"reason": "budget frozen"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    drop(d);
    let json = s.ok(&["--json", "item", "history", &item]).json();
    let reasons: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["details"]["reason"].as_str())
        .collect();
    assert_eq!(reasons, ["project paused", "new data", "budget frozen"]);
}

//! Re-certification that does not wait for someone to remember: `reset
//! every … rerequest` requests the review again from the same reviewers
//! when the approval lapses (mailed, audited, the requester kept), and the
//! re-certifications due within a window are listed by `govrt reviews
//! --due-within`, the API and the web UI. Runs on the suite's store.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Daemon, Sandbox, get_page, http, sign_in};

const SET: &str = r#"
blueprint model "Model" {
  permission write = everyone
  workflow {
    step validation "Validation" {
      signoff "Yearly validation" {
        feedback risk "Risk" { reviewers = group "risk" }
        final { reviewers = user "head"  not requester }
        reset every 1 year  rerequest
      }
    }
  }
}

blueprint tool "Tool" {
  permission write = everyone
  workflow {
    step review "Review" {
      signoff {
        final { reviewers = user "head" }
        reset every 6 months
      }
    }
  }
}
"#;

/// A model approved on 2026-01-15, its review requested by `owner`; a
/// tool approved on 2026-03-01.
fn world(name: &str) -> (Sandbox, String, String) {
    let s = Sandbox::new(name);
    std::fs::write(s.dir.join("set.gov"), SET).unwrap();
    s.quiet(&["init", "--blueprints", "set.gov"]);
    for u in ["owner", "r1", "head", "outsider"] {
        s.quiet(&["user", "add", u, "--email", &format!("{u}@example.com")]);
    }
    s.quiet(&["group", "add", "risk", "--member", "r1"]);
    let t = "2026-01-15T10:00:00Z";
    let model = s
        .ok_at(t, &["--as", "owner", "item", "create", "model", "Scorer"])
        .stdout;
    let model = model.trim().to_string();
    s.ok_at(t, &["--as", "owner", "signoff", "request-review", &model]);
    s.ok_at(
        t,
        &[
            "--as", "r1", "signoff", "feedback", &model, "risk", "approved",
        ],
    );
    s.ok_at(t, &["--as", "owner", "signoff", "request-final", &model]);
    s.ok_at(t, &["--as", "head", "signoff", "approve", &model]);
    let t = "2026-03-01T10:00:00Z";
    let tool = s
        .ok_at(t, &["--as", "owner", "item", "create", "tool", "Linter"])
        .stdout;
    let tool = tool.trim().to_string();
    s.ok_at(t, &["--as", "owner", "signoff", "request-final", &tool]);
    s.ok_at(t, &["--as", "head", "signoff", "approve", &tool]);
    (s, model, tool)
}

#[test]
fn the_reviews_due_within_a_window_are_listed_soonest_first() {
    let (s, model, tool) = world("recert-list");
    let listed = |now: &str, window: &str| {
        s.ok_at(
            now,
            &[
                "--as",
                "outsider",
                "--json",
                "reviews",
                "--due-within",
                window,
            ],
        )
        .json()
    };
    // On 2026-08-15: the tool lapses 2026-09-01, the model 2027-01-15.
    let soon = listed("2026-08-15T00:00:00Z", "30d");
    assert_eq!(soon.as_array().unwrap().len(), 1, "{soon}");
    assert_eq!(soon[0]["item"], tool.as_str());
    assert_eq!(soon[0]["due_at"], "2026-09-01T10:00:00Z");
    assert_eq!(soon[0]["status"], "APPROVED");
    assert_eq!(soon[0]["rerequest"], false);
    let both = listed("2026-08-15T00:00:00Z", "26w");
    let items: Vec<&str> = both
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["item"].as_str().unwrap())
        .collect();
    assert_eq!(items, [tool.as_str(), model.as_str()], "{both}");
    assert_eq!(both[1]["rerequest"], true);
    assert_eq!(both[1]["approved_at"], "2026-01-15T10:00:00Z");
    // In words, and when nothing is due.
    let text = s
        .ok_at(
            "2026-08-15T00:00:00Z",
            &["--as", "outsider", "reviews", "--due-within", "30d"],
        )
        .stdout;
    assert!(
        text.contains(&format!(
            "item {tool} `Linter` (tool), step review: APPROVED"
        )),
        "{text}"
    );
    assert!(text.contains("reset 2026-09-01T10:00:00Z"), "{text}");
    let none = s
        .ok_at(
            "2026-03-02T00:00:00Z",
            &["--as", "outsider", "reviews", "--due-within", "7d"],
        )
        .stdout;
    assert_eq!(none.trim(), "no re-certification falls due within 7d");
    // A window that is not one says how to write it.
    let bad = s
        .command(&["--as", "outsider", "reviews", "--due-within", "soon"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("`30d`"));
}

#[test]
fn a_lapsed_approval_requests_the_review_again_and_mails_the_reviewers() {
    let (mut s, model, tool) = world("recert-rerequest");
    let ticked = s
        .ok(&["--json", "tick", "--now", "2027-01-16T00:00:00Z"])
        .json();
    assert_eq!(ticked["resets"].as_array().unwrap().len(), 2, "{ticked}");
    let state = s.ok(&["--json", "status", &model]).json();
    let signoff = &state["signoffs"][0];
    assert_eq!(signoff["status"], "WAITING_FOR_FEEDBACK", "{state}");
    // The requester stays the requester: `not requester` still holds.
    assert_eq!(signoff["requester"], "owner", "{state}");
    // Without `rerequest`, the sign-off waits, not started.
    let state = s.ok(&["--json", "status", &tool]).json();
    assert_eq!(state["signoffs"][0]["status"], "NOT_STARTED", "{state}");
    // The reviewers are asked again, by mail, and the audit trail says so.
    let outbox = s.ok(&["--json", "outbox"]).json();
    let asked: Vec<&str> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .unwrap_or("")
                .contains("requested your review again")
        })
        .filter_map(|m| m["address"].as_str())
        .collect();
    assert!(asked.contains(&"r1@example.com"), "{outbox}");
    let history = s.ok(&["--json", "item", "history", &model]).json();
    let reset = history
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["action"] == "signoff.automatic_reset")
        .unwrap();
    assert_eq!(reset["details"]["after"], "WAITING_FOR_FEEDBACK", "{reset}");
    // The same reviewers review again.
    s.ok(&[
        "--as", "r1", "signoff", "feedback", &model, "risk", "approved",
    ]);
}

#[test]
fn the_api_and_the_web_list_the_re_certifications_due() {
    // On the daemon's real clock: approved now, lapsing in six months and a year.
    let s = Sandbox::new("recert-api");
    std::fs::write(s.dir.join("set.gov"), SET).unwrap();
    s.quiet(&["init", "--blueprints", "set.gov"]);
    for u in ["owner", "r1", "head", "outsider"] {
        s.quiet(&["user", "add", u]);
    }
    s.quiet(&["group", "add", "risk", "--member", "r1"]);
    let tool = s
        .quiet(&["--as", "owner", "item", "create", "tool", "Linter"])
        .stdout;
    let tool = tool.trim().to_string();
    s.quiet(&["--as", "owner", "signoff", "request-final", &tool]);
    s.quiet(&["--as", "head", "signoff", "approve", &tool]);
    let model = s
        .quiet(&["--as", "owner", "item", "create", "model", "Scorer"])
        .stdout;
    let model = model.trim().to_string();
    s.quiet(&["--as", "owner", "signoff", "request-review", &model]);
    s.quiet(&[
        "--as", "r1", "signoff", "feedback", &model, "risk", "approved",
    ]);
    s.quiet(&["--as", "owner", "signoff", "request-final", &model]);
    s.quiet(&["--as", "head", "signoff", "approve", &model]);
    let daemon = Daemon::start(&s, &[]);
    let token = s.token("outsider");
    let list = |within: &str| {
        let r = http(
            daemon.port,
            "GET",
            &format!("/api/v1/recertifications?within={within}"),
            Some(&token),
            &[],
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    assert_eq!(list("30d"), serde_json::json!([]));
    let half = list("200d");
    assert_eq!(half.as_array().unwrap().len(), 1, "{half}");
    assert_eq!(half[0]["item"], tool.as_str());
    assert_eq!(list("400d").as_array().unwrap().len(), 2);
    let bad = http(
        daemon.port,
        "GET",
        "/api/v1/recertifications?within=soon",
        Some(&token),
        &[],
        None,
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    let (cookie, _) = sign_in(daemon.port, &token);
    let page = get_page(daemon.port, "/recertifications?within=30d", Some(&cookie));
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("No re-certification falls due within 30 days"),
        "{}",
        page.body
    );
    let year = get_page(daemon.port, "/recertifications?within=365d", Some(&cookie));
    assert!(year.body.contains("Linter"), "{}", year.body);
    assert!(year.body.contains("Scorer"), "{}", year.body);
    assert!(
        year.body.contains("review requested again"),
        "{}",
        year.body
    );
    let reviews = get_page(daemon.port, "/reviews", Some(&cookie));
    assert!(
        reviews.body.contains("href=\"/recertifications\""),
        "{}",
        reviews.body
    );
}

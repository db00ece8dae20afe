//! The promises an attacker with an ordinary account tries to break, by
//! feature: separation of duties and quorums through delegation, restricted
//! values through hashes, hook tests and messages, concurrent decisions,
//! nesting that would overflow the stack, look-alike names, and the web
//! sign-in. Each runs on the store the suite runs on (SQLite, or
//! PostgreSQL in the second pass).
//! Attaching a child takes a permission on the parent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::support::{Daemon, Sandbox, get_page, http, login_form, post_form, post_login, sign_in};
use serde_json::json;

const RELEASE: &str = r#"
blueprint release "Release" {
  field owner: user required
  permission write = field owner, role creator
  workflow {
    step review "Review" {
      signoff "Release review" {
        mandatory
        feedback risk "Risk" { reviewers = group "risk"  min 2  required }
        final { reviewers = group "approvers"  not requester }
      }
    }
    step shipped "Shipped"
  }
}

infrastructure prod "Production" { policy prevent }
"#;

/// A release item in review, its review requested by `owner`, who is also
/// an approver: the requester the final approval must not be.
fn release_world(name: &str) -> (Sandbox, String) {
    let s = Sandbox::new(name);
    std::fs::write(s.dir.join("release.gov"), RELEASE).unwrap();
    s.quiet(&["init", "--blueprints", "release.gov"]);
    for u in ["owner", "r1", "r2", "r3", "approver", "crony"] {
        s.quiet(&["user", "add", u]);
    }
    s.quiet(&[
        "group", "add", "risk", "--member", "r1", "--member", "r2", "--member", "r3",
    ]);
    s.quiet(&[
        "group",
        "add",
        "approvers",
        "--member",
        "owner",
        "--member",
        "approver",
    ]);
    let item = s
        .quiet(&[
            "--as",
            "owner",
            "item",
            "create",
            "release",
            "R1",
            "--set",
            "owner=owner",
        ])
        .stdout
        .trim()
        .to_string();
    s.quiet(&["--as", "owner", "signoff", "request-review", &item]);
    (s, item)
}

/// The release item with its two risk reviews, its final approval
/// requested by `owner`.
fn awaiting_decision(name: &str) -> (Sandbox, String) {
    let (s, item) = release_world(name);
    for r in ["r1", "r2"] {
        s.quiet(&["--as", r, "signoff", "feedback", &item, "risk", "approved"]);
    }
    s.quiet(&["--as", "owner", "signoff", "request-final", &item]);
    (s, item)
}

fn status(s: &Sandbox, item: &str) -> String {
    s.quiet(&["--json", "--as", "owner", "status", item]).json()["signoffs"][0]["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_requester_cannot_hand_the_final_approval_to_a_crony() {
    let (mut s, item) = awaiting_decision("sec-sod");
    let refused = s.expect(1, &["--as", "owner", "signoff", "approve", &item]);
    assert!(
        refused.stderr.contains("not requester"),
        "{}",
        refused.stderr
    );
    // Barred, the requester may not delegate the decision either.
    let refused = s.expect(
        1,
        &[
            "--as", "owner", "signoff", "delegate", &item, "final", "crony",
        ],
    );
    assert!(
        refused.stderr.contains("not requester"),
        "{}",
        refused.stderr
    );
    s.expect(1, &["--as", "crony", "signoff", "approve", &item]);
    assert_eq!(s.expect(4, &["deploy", "check", &item, "prod"]).code, 4);
    // Nor may an approver make the requester their delegate.
    let refused = s.expect(
        1,
        &[
            "--as", "approver", "signoff", "delegate", &item, "final", "owner",
        ],
    );
    assert!(
        refused.stderr.contains("not requester"),
        "{}",
        refused.stderr
    );
    // `who-can` does not list the crony.
    let who = s
        .ok(&["--json", "who-can", &item, "approve"])
        .json()
        .to_string();
    assert!(!who.contains("crony") && who.contains("approver"), "{who}");
}

#[test]
fn a_review_and_the_delegates_review_never_both_count() {
    let (mut s, item) = release_world("sec-quorum");
    s.ok(&[
        "--as", "r1", "signoff", "feedback", &item, "risk", "approved",
    ]);
    // A used slot cannot be handed over.
    let refused = s.expect(
        1,
        &["--as", "r1", "signoff", "delegate", &item, "risk", "crony"],
    );
    assert!(
        refused.stderr.contains("already reviewed"),
        "{}",
        refused.stderr
    );
    s.expect(
        1,
        &[
            "--as", "crony", "signoff", "feedback", &item, "risk", "approved",
        ],
    );
    // A slot not used is handed over whole: r2 gives it to the crony.
    s.ok(&["--as", "r2", "signoff", "delegate", &item, "risk", "crony"]);
    s.expect(
        1,
        &[
            "--as", "r2", "signoff", "feedback", &item, "risk", "approved",
        ],
    );
    s.ok(&[
        "--as", "crony", "signoff", "feedback", &item, "risk", "approved",
    ]);
    // The crony hands it on to r3: r3's own slot and the crony's are one now.
    s.ok(&["--as", "r3", "signoff", "delegate", &item, "risk", "r2"]);
    s.ok(&["--as", "owner", "signoff", "request-final", &item]);
    assert_eq!(status(&s, &item), "WAITING_FOR_APPROVAL");
}

#[test]
fn min_counts_distinct_people_when_a_delegate_was_a_reviewer_already() {
    let (mut s, item) = release_world("sec-distinct");
    s.ok(&[
        "--as", "r1", "signoff", "feedback", &item, "risk", "approved",
    ]);
    // r2 delegates to r1, who reviewed already: one person, one review.
    s.ok(&["--as", "r2", "signoff", "delegate", &item, "risk", "r1"]);
    let refused = s.expect(1, &["--as", "owner", "signoff", "request-final", &item]);
    assert!(refused.stderr.contains("risk"), "{}", refused.stderr);
    let view = s.ok(&["--json", "--as", "owner", "status", &item]).json();
    assert_eq!(
        view["signoffs"][0]["feedback"][0]["complete"], false,
        "{view}"
    );
    s.ok(&[
        "--as", "r3", "signoff", "feedback", &item, "risk", "approved",
    ]);
    s.ok(&["--as", "owner", "signoff", "request-final", &item]);
}

#[test]
fn a_delegation_lapses_with_the_delegators_authority() {
    let (mut s, item) = release_world("sec-lapse");
    for r in ["r1", "r2"] {
        s.ok(&["--as", r, "signoff", "feedback", &item, "risk", "approved"]);
    }
    s.ok(&["--as", "owner", "signoff", "request-final", &item]);
    s.ok(&[
        "--as", "approver", "signoff", "delegate", &item, "final", "crony",
    ]);
    // Removed from the approvers, the delegator's delegate may not decide.
    s.ok(&["group", "remove-member", "approvers", "approver"]);
    let refused = s.expect(1, &["--as", "crony", "signoff", "approve", &item]);
    assert!(refused.stderr.contains("crony"), "{}", refused.stderr);
    let explained = s
        .ok(&["explain", &item, "--user", "crony", "--action", "approve"])
        .stdout;
    assert!(
        explained.contains("no longer eligible"),
        "explain says why: {explained}"
    );
    let reviews = s.ok(&["--json", "--as", "crony", "reviews"]).json();
    assert_eq!(reviews.as_array().unwrap().len(), 0, "{reviews}");
    // Back in the group, but disabled: still nothing.
    s.ok(&["group", "add-member", "approvers", "approver"]);
    s.ok(&["user", "disable", "approver"]);
    s.expect(1, &["--as", "crony", "signoff", "approve", &item]);
    s.ok(&["user", "enable", "approver"]);
    let reviews = s.ok(&["--json", "--as", "crony", "reviews"]).json();
    assert_eq!(reviews.as_array().unwrap().len(), 1, "{reviews}");
    s.ok(&["--as", "crony", "signoff", "approve", &item]);
    s.ok(&["deploy", "check", &item, "prod"]);
}

#[test]
fn the_sign_in_form_carries_a_token_and_goes_back_only_to_this_site() {
    let s = Sandbox::new("sec-login");
    s.quiet(&["init"]);
    s.quiet(&["user", "add", "mallory"]);
    let token = s.token("mallory");
    let d = Daemon::start(&s, &[]);
    // A tab the browser drops would make `/\t/evil.example/` another site.
    let r = post_login(d.port, &[("token", &token), ("next", "/\t/evil.example/")]);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.header("set-cookie")
            .is_none_or(|c| !c.contains("govrt_session=g"))
    );
    let r = get_page(d.port, "/login?next=/%09/evil.example/", None);
    assert_eq!(r.status, 400, "{}", r.body);
    // A control character: 400, no session.
    let r = post_login(d.port, &[("token", &token), ("next", "/items\r\nX: y")]);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        !r.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("govrt_session=")),
        "no session is issued"
    );
    for next in [
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
    ] {
        let r = post_login(d.port, &[("token", &token), ("next", next)]);
        assert_eq!(r.status, 303, "{next}");
        assert_eq!(r.header("location"), Some("/items"), "{next}");
    }
    // Login CSRF: a form without the sign-in page's secret signs no one in,
    // nor one whose secret is not the cookie's.
    let r = post_form(d.port, "/login", None, &[], &[("token", &token)]);
    assert_eq!(r.status, 403, "{}", r.body);
    let (cookie, _) = login_form(d.port);
    let r = post_form(
        d.port,
        "/login",
        Some(&cookie),
        &[],
        &[("token", &token), ("csrf", "login_forged")],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    // `Origin: null` (a sandboxed frame elsewhere) is refused even with the secret.
    let (cookie, csrf) = login_form(d.port);
    let r = post_form(
        d.port,
        "/login",
        Some(&cookie),
        &[("Origin", "null")],
        &[("token", &token), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    // The form as served signs in.
    let (session, _) = sign_in(d.port, &token);
    assert!(session.starts_with("govrt_session="), "{session}");
}

#[test]
fn nesting_that_would_overflow_the_stack_is_a_diagnostic() {
    let mut s = Sandbox::new("sec-depth");
    let deep = |cond: String| {
        format!(
            "blueprint b {{\n  field tier: int\n  workflow {{\n    step s {{\n      when {cond}\n    }}\n  }}\n}}\n"
        )
    };
    let parens = format!("{}tier == 1{}", "(".repeat(3_000), ")".repeat(3_000));
    for (name, text) in [
        ("parens.gov", deep(parens)),
        (
            "nots.gov",
            deep(format!("{}tier == 1", "not ".repeat(20_000))),
        ),
    ] {
        let dir = s.dir.join(name.trim_end_matches(".gov"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
        let run = s.expect(1, &["validate", dir.to_str().unwrap()]);
        assert!(
            run.stderr.contains("E0004") || run.stdout.contains("E0004"),
            "{}{}",
            run.stdout,
            run.stderr
        );
    }
}

const VAULT: &str = r#"
control kyc "Know your customer" { framework "Internal" }

blueprint vault "Vault" {
  script "vault.rhai"
  field secret: int "Secret" read = group "risk"  controls kyc
  field doc: text "Doc"
  permission read = everyone
  permission write = everyone
  workflow {
    step review "Review" {
      signoff "Check" {
        binds secret, doc
        final { reviewers = group "risk" }
      }
    }
  }
}
"#;

const VAULT_SCRIPT: &str = r#"
fn validate(item) {
  if item.fields.doc == "bad" { ["refused by a rule: secret is " + item.fields.secret] }
  else if item.fields.doc == "plain" { ["doc may not be plain"] }
  else { [] }
}
fn reviewers(item, step, group) { if item.fields.secret == () { [] } else { ["user:u" + item.fields.secret] } }
"#;

/// A vault item whose secret (90) only the risk group reads, approved by
/// rita of the risk group; bob reads the item, not the secret.
fn vault_world(name: &str) -> (Sandbox, String) {
    let s = Sandbox::new(name);
    std::fs::write(s.dir.join("vault.gov"), VAULT).unwrap();
    std::fs::write(s.dir.join("vault.rhai"), VAULT_SCRIPT).unwrap();
    s.quiet(&["init", "--blueprints", "."]);
    for u in ["rita", "bob"] {
        s.quiet(&["user", "add", u]);
    }
    s.quiet(&["group", "add", "risk", "--member", "rita"]);
    let item = s
        .quiet(&[
            "--as",
            "rita",
            "item",
            "create",
            "vault",
            "V",
            "--set",
            "secret=90",
            "--set",
            "doc=fine",
        ])
        .stdout
        .trim()
        .to_string();
    s.quiet(&["--as", "rita", "signoff", "request-final", &item]);
    s.quiet(&["--as", "rita", "signoff", "approve", &item]);
    (s, item)
}

#[test]
fn a_reader_who_may_not_read_a_field_gets_no_hash_computed_from_it() {
    let (mut s, item) = vault_world("sec-hash");
    let history = |s: &mut Sandbox, who: &str| {
        s.ok(&["--json", "--as", who, "item", "history", &item])
            .json()
    };
    let rita = history(&mut s, "rita");
    assert!(rita[0]["hash"].is_string(), "{rita}");
    let bob = history(&mut s, "bob");
    for e in bob.as_array().unwrap() {
        assert!(
            e.get("hash").is_none() && e.get("prev_hash").is_none(),
            "{e}"
        );
    }
    let status = |s: &mut Sandbox, who: &str| {
        s.ok(&["--json", "--as", who, "status", &item]).json()["signoffs"][0]["decision"].clone()
    };
    assert!(status(&mut s, "rita")["content"].is_string());
    let bob = status(&mut s, "bob");
    assert!(
        bob.get("content").is_none() && bob["approved"] == true,
        "{bob}"
    );
    // The API says the same.
    let token = s.token("bob");
    let d = Daemon::start(&s, &["--blueprints", "."]);
    let r = crate::support::http(
        d.port,
        "GET",
        &format!("/api/v1/items/{item}/history"),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.contains("\"hash\""), "{}", r.body);
    let r = crate::support::http(
        d.port,
        "GET",
        &format!("/api/v1/items/{item}/status"),
        Some(&token),
        &[],
        None,
    );
    assert!(!r.body.contains("\"content\""), "{}", r.body);
    // A hook test runs on the item as bob may read it.
    let r = crate::support::http(
        d.port,
        "POST",
        "/api/v1/hooks/test",
        Some(&token),
        &[],
        Some(
            &serde_json::json!({"function": "reviewers", "item": item, "args": ["review", "final"]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["result"], serde_json::json!([]), "{}", r.body);
    let cli = s.ok(&[
        "--json",
        "--as",
        "bob",
        "hook",
        "test",
        "reviewers",
        "--item",
        &item,
        "--arg",
        "review",
        "--arg",
        "final",
    ]);
    assert_eq!(cli.json()["result"], serde_json::json!([]));
    let cli = s.ok(&[
        "--json",
        "--as",
        "rita",
        "hook",
        "test",
        "reviewers",
        "--item",
        &item,
        "--arg",
        "review",
        "--arg",
        "final",
    ]);
    assert_eq!(cli.json()["result"], serde_json::json!(["user:u90"]));
}

#[test]
fn a_refusal_built_from_a_restricted_value_is_censored_however_short() {
    let (mut s, item) = vault_world("sec-censor");
    let refused = s.expect(1, &["--as", "bob", "item", "set", &item, "doc=bad"]);
    assert!(!refused.stderr.contains("90"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("field you may not read"),
        "{}",
        refused.stderr
    );
    // A message that does not come from the secret is shown as it is.
    let refused = s.expect(1, &["--as", "bob", "item", "set", &item, "doc=plain"]);
    assert!(
        refused.stderr.contains("doc may not be plain"),
        "{}",
        refused.stderr
    );
    // Whoever may read the secret reads the message whole.
    let refused = s.expect(1, &["--as", "rita", "item", "set", &item, "doc=bad"]);
    assert!(
        refused.stderr.contains("secret is 90"),
        "{}",
        refused.stderr
    );
}

#[test]
fn the_controls_report_does_not_tell_whether_a_restricted_field_is_set() {
    let (mut s, item) = vault_world("sec-controls");
    let report = |s: &mut Sandbox, who: &str| {
        s.ok(&["--json", "--as", who, "report", "controls"]).json()["items"][0]["controls"][0]
            .clone()
    };
    let rita = report(&mut s, "rita");
    assert_eq!(rita["satisfied"], true, "{rita}");
    let bob = report(&mut s, "bob");
    assert_eq!(bob["withheld"], true, "{bob}");
    assert_eq!(bob["satisfied"], false, "{bob}");
    assert!(bob.to_string().contains("withheld"), "{bob}");
    // Unset, the same answer: nothing to tell the two apart.
    s.ok(&["--as", "rita", "item", "unset", &item, "secret"]);
    assert_eq!(report(&mut s, "bob"), bob);
}

#[test]
fn concurrent_approvals_naming_one_revision_have_one_winner() {
    let (mut s, item) = awaiting_decision("sec-if-match");
    let token = s.token("approver");
    let d = Daemon::start(&s, &[]);
    let read = http(
        d.port,
        "GET",
        &format!("/api/v1/items/{item}"),
        Some(&token),
        &[],
        None,
    );
    let etag = read.header("etag").unwrap().to_string();
    let path = format!("/api/v1/items/{item}/signoff/approve");
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..20)
            .map(|n| {
                let (path, token, etag) = (&path, &token, &etag);
                scope.spawn(move || {
                    let body = serde_json::json!({"comment": format!("approval {n}")});
                    let r = http(
                        d.port,
                        "POST",
                        path,
                        Some(token),
                        &[("If-Match", etag)],
                        Some(&body),
                    );
                    let code = r.json()["error"]["code"].as_str().unwrap_or("").to_string();
                    (r.status, code)
                })
            })
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    let won = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(won, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(status, code)| *status == 200 || (*status == 409 && code == "stale_revision")),
        "{answers:?}"
    );
    let decided = s
        .history_actions("approver", &item)
        .iter()
        .filter(|a| a.contains("approve"))
        .count();
    assert_eq!(decided, 1, "one decision event");
    // Without `If-Match`, the decision is not taken again: 409, and it stands.
    let r = http(
        d.port,
        "POST",
        &path,
        Some(&token),
        &[],
        Some(&serde_json::json!({"comment": "again"})),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "already_decided", "{}", r.body);
    let contract = http(d.port, "GET", "/api/v1/openapi.json", None, &[], None).json();
    let op = &contract["paths"]["/api/v1/items/{id}/signoff/{action}"]["post"];
    assert!(
        op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "If-Match"),
        "{op}"
    );
    assert!(op["responses"]["409"].is_object(), "{op}");
    drop(d);
    let refused = s.expect(
        1,
        &["--json", "--as", "approver", "signoff", "approve", &item],
    );
    assert_eq!(
        refused.json()["error"]["code"],
        "already_decided",
        "{}",
        refused.stdout
    );
    let show = s
        .quiet(&["--json", "--as", "approver", "item", "show", &item])
        .json();
    let revision = show["revision"].to_string();
    // Naming the revision read changes nothing: the first decision stands
    // with its comment (`approval N` of the winner), and no approved_at
    // survives a reset.
    let refused = s.expect(
        1,
        &[
            "--json",
            "--as",
            "approver",
            "signoff",
            "approve",
            &item,
            "--comment",
            "edited",
            "--expect-revision",
            &revision,
        ],
    );
    assert_eq!(refused.json()["error"]["code"], "already_decided");
    let status = s
        .quiet(&["--json", "--as", "approver", "status", &item])
        .json();
    let comment = status["signoffs"][0]["decision"]["comment"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(comment.starts_with("approval "), "{status}");
    s.ok(&["--as", "approver", "signoff", "reset", &item]);
    let status = s
        .quiet(&["--json", "--as", "approver", "status", &item])
        .json();
    assert!(status["signoffs"][0]["approved_at"].is_null(), "{status}");
}

const HIDDEN: &str = r#"
blueprint project "Project" {
  permission read = group "insiders"
  permission write = group "insiders"
  workflow {
    step review "Review" {
      signoff "Check" { final { reviewers = group "insiders" } }
    }
  }
}

blueprint model "Model" {
  parent project
  permission read = group "insiders"
  permission write = group "insiders"
}

blueprint note "Note" {
  parent model
  permission read = everyone
  permission write = everyone
}

infrastructure prod "Production" { policy prevent }
"#;

#[test]
fn an_unreadable_item_answers_exactly_like_a_missing_one_on_every_route() {
    let s = Sandbox::new("sec-unreadable");
    std::fs::write(s.dir.join("hidden.gov"), HIDDEN).unwrap();
    s.quiet(&["init", "--blueprints", "hidden.gov"]);
    for u in ["insider", "outsider"] {
        s.quiet(&["user", "add", u]);
    }
    s.quiet(&["group", "add", "insiders", "--member", "insider"]);
    let hidden = s
        .quiet(&["--as", "insider", "item", "create", "project", "P"])
        .stdout
        .trim()
        .to_string();
    let missing = "9999";
    let token = s.token("outsider");
    let d = Daemon::start(&s, &[]);
    let answer = |method: &str,
                  path: &str,
                  headers: &[(&str, &str)],
                  body: Option<serde_json::Value>,
                  id: &str| {
        let body: Option<serde_json::Value> =
            body.map(|b| serde_json::from_str(&b.to_string().replace("ID", id)).unwrap());
        let r = http(
            d.port,
            method,
            &path.replace("ID", id),
            Some(&token),
            headers,
            body.as_ref(),
        );
        let mut json = r.json();
        if let Some(message) = json.pointer_mut("/error/message") {
            *message = message
                .as_str()
                .unwrap_or("")
                .replace(&format!("item {id}"), "item ID")
                .into();
        }
        (r.status, json)
    };
    let routes: Vec<(&str, &str, Option<serde_json::Value>)> = vec![
        ("GET", "/api/v1/items/ID", None),
        (
            "PATCH",
            "/api/v1/items/ID",
            Some(serde_json::json!({"set": {"x": "1"}})),
        ),
        ("DELETE", "/api/v1/items/ID", None),
        ("POST", "/api/v1/items/ID/advance", None),
        (
            "POST",
            "/api/v1/items/ID/move",
            Some(serde_json::json!({"step": "review"})),
        ),
        ("GET", "/api/v1/items/ID/status", None),
        ("GET", "/api/v1/items/ID/history", None),
        ("POST", "/api/v1/items/ID/signoff/approve", None),
        ("POST", "/api/v1/items/ID/signoff/request-review", None),
        ("GET", "/api/v1/items/ID/explain?action=approve", None),
        ("GET", "/api/v1/items/ID/who-can?action=approve", None),
        ("GET", "/api/v1/items/ID/deploy/prod", None),
        ("POST", "/api/v1/items/ID/subscription", None),
        ("DELETE", "/api/v1/items/ID/subscription", None),
        ("GET", "/api/v1/items?parent=ID", None),
        // A child under it, of the right blueprint and of a wrong one.
        (
            "POST",
            "/api/v1/items",
            Some(serde_json::json!({"blueprint": "model", "name": "M", "parent": "ID"})),
        ),
        (
            "POST",
            "/api/v1/items",
            Some(serde_json::json!({"blueprint": "note", "name": "N", "parent": "ID"})),
        ),
    ];
    for (method, path, body) in routes {
        let theirs = answer(
            method,
            path,
            &[("If-Match", "\"1\"")],
            body.clone(),
            &hidden,
        );
        let none = answer(method, path, &[("If-Match", "\"1\"")], body, missing);
        assert_eq!(theirs, none, "{method} {path}");
        // A list under it is empty, as under a missing one.
        let expected = if path.contains("?parent") { 200 } else { 404 };
        assert_eq!(theirs.0, expected, "{method} {path}: {theirs:?}");
    }
    // The web pages too.
    let (session, _) = sign_in(d.port, &token);
    for path in [
        "/items/ID",
        "/items/ID/timeline",
        "/items/ID/explain?action=approve",
    ] {
        let theirs = get_page(d.port, &path.replace("ID", &hidden), Some(&session));
        let none = get_page(d.port, &path.replace("ID", missing), Some(&session));
        assert_eq!(theirs.status, none.status, "{path}");
        let same = |body: &str, id: &str| body.replace(&format!("item {id}"), "item ID");
        assert_eq!(
            same(&theirs.body, &hidden),
            same(&none.body, missing),
            "{path}"
        );
    }
    // And the CLI.
    for args in [
        vec!["item", "show", "ID"],
        vec!["item", "create", "model", "M", "--parent", "ID"],
        vec!["item", "create", "note", "N", "--parent", "ID"],
        vec!["status", "ID"],
    ] {
        let run = |id: &str| {
            let args: Vec<String> = args.iter().map(|a| a.replace("ID", id)).collect();
            let mut full = vec!["--json", "--as", "outsider"];
            full.extend(args.iter().map(String::as_str));
            let r = s.command(&full).output().unwrap();
            let stdout = String::from_utf8_lossy(&r.stdout).to_string();
            (
                r.status.code(),
                stdout.replace(&format!("item {id}"), "item ID"),
            )
        };
        assert_eq!(run(&hidden), run(missing), "{args:?}");
    }
}

#[test]
fn look_alike_names_are_refused_and_invisible_characters_shown() {
    let mut s = Sandbox::new("sec-look-alike");
    s.quiet(&["init"]);
    s.quiet(&["user", "add", "admin", "--admin"]);
    for (kind, name) in [
        ("user", "risk\u{200b}"),
        ("user", "\u{202e}nimda"),
        ("group", "ri\u{2066}sk"),
        ("group", "risk\u{feff}"),
    ] {
        let run = s.expect(1, &["--json", kind, "add", name]);
        assert_eq!(
            run.json()["error"]["code"],
            "invalid_value",
            "{kind} {name:?}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("<U+"),
            "the refusal shows the character: {}",
            run.stdout
        );
    }
    let token = s.token("admin");
    let d = Daemon::start(&s, &[]);
    let r = http(
        d.port,
        "POST",
        "/api/v1/users",
        Some(&token),
        &[],
        Some(&serde_json::json!({"name": "risk\u{200b}"})),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let r = http(
        d.port,
        "POST",
        "/api/v1/groups",
        Some(&token),
        &[],
        Some(&serde_json::json!({"name": "risk\u{200d}"})),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    // An item name is free text: kept as given, shown with the character written out.
    let item = s
        .ok(&[
            "--as",
            "admin",
            "item",
            "create",
            "business_initiative",
            "Churn\u{200b}",
            "--set",
            "owner=admin",
        ])
        .stdout
        .trim()
        .to_string();
    let shown = s.ok(&["--as", "admin", "item", "show", &item]).stdout;
    assert!(shown.contains("Churn<U+200B>"), "{shown}");
    let raw = http(
        d.port,
        "GET",
        &format!("/api/v1/items/{item}"),
        Some(&token),
        &[],
        None,
    )
    .json();
    assert_eq!(raw["name"], "Churn\u{200b}");
    let (session, _) = sign_in(d.port, &token);
    let page = get_page(d.port, &format!("/items/{item}"), Some(&session)).body;
    assert!(
        page.contains("Churn&lt;U+200B&gt;"),
        "the page writes it out"
    );
    assert!(
        !page.contains("Churn\u{200b}<"),
        "and never shows it bare in text"
    );
}

#[test]
fn a_step_decided_on_a_restricted_field_is_disclosed_only_when_its_author_says_so() {
    let mut s = Sandbox::new("sec-disclosed");
    let gov = |when: &str| {
        format!(
            r#"blueprint case "Case" {{
  field score: int "Score" read = group "risk"
  permission read = everyone
  permission write = everyone
  workflow {{
    step intake "Intake"
    step extra "Extra review" {{
      {when}
    }}
    step done "Done"
  }}
}}
"#
        )
    };
    std::fs::write(s.dir.join("case.gov"), gov("when score > 80")).unwrap();
    let warned = s.expect(1, &["validate", "--deny-warnings", "case.gov"]);
    assert!(
        format!("{}{}", warned.stdout, warned.stderr).contains("W0201"),
        "{}{}",
        warned.stdout,
        warned.stderr
    );
    std::fs::write(s.dir.join("case.gov"), gov("when score > 80 disclosed")).unwrap();
    s.ok(&["validate", "--deny-warnings", "case.gov"]);
    s.ok(&["fmt", "--check", "case.gov"]);
    s.ok(&["init", "--blueprints", "case.gov"]);
    for u in ["rita", "bob"] {
        s.ok(&["user", "add", u]);
    }
    s.ok(&["group", "add", "risk", "--member", "rita"]);
    let item = s
        .ok(&[
            "--as", "rita", "item", "create", "case", "C", "--set", "score=10",
        ])
        .stdout
        .trim()
        .to_string();
    s.ok(&["--as", "rita", "item", "advance", &item]);
    // bob sees the step skipped (disclosed), never the value it was decided on.
    let status = s.ok(&["--json", "--as", "bob", "status", &item]).json();
    let extra = status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["id"] == "extra")
        .unwrap()
        .clone();
    assert_eq!(extra["state"], "SKIPPED", "{status}");
    assert_eq!(
        extra["skipped"]["values"]["score"], "(restricted)",
        "{status}"
    );
    assert!(status["item"]["fields"].get("score").is_none(), "{status}");
}

/// The fuzz target's seeds (`fuzz/seeds/parse_and_check`) through what the
/// target runs: the nesting that overflowed the stack ends in E0004, and
/// nothing panics.
#[test]
fn the_fuzz_seeds_end_in_a_set_or_diagnostics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/parse_and_check");
    let mut deep = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let scripts = std::collections::BTreeMap::<std::path::PathBuf, String>::new();
        let source = govrt::diag::SourceFile::new("fuzz.gov", text.as_str());
        let checked = govrt::check::check_sources(&[source], &scripts);
        for d in &checked.diagnostics {
            let _ = d.to_string();
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let codes: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.as_str().to_string())
            .collect();
        if name.starts_with("nested_") && name != "nested_at_the_limit.gov" {
            assert!(
                codes.iter().any(|c| c.ends_with("E0004")),
                "{name}: {codes:?}"
            );
            deep += 1;
        }
    }
    assert_eq!(deep, 2, "both deep seeds are there");
}

/// One step of a sequence the delegation property tries.
#[derive(Debug, Clone)]
enum Step {
    Join(usize, usize),
    Leave(usize, usize),
    Disable(usize),
    Enable(usize),
    Delegate(usize, bool, usize),
    Review(usize),
    RequestFinal,
    Approve(usize),
    Reset,
}

const PEOPLE: [&str; 6] = ["owner", "r1", "r2", "r3", "approver", "crony"];
const GROUPS: [&str; 2] = ["risk", "approvers"];

fn step_strategy() -> impl Strategy<Value = Step> {
    let who = 0..PEOPLE.len();
    prop_oneof![
        1 => (0..2usize, who.clone()).prop_map(|(g, u)| Step::Join(g, u)),
        1 => (0..2usize, who.clone()).prop_map(|(g, u)| Step::Leave(g, u)),
        1 => who.clone().prop_map(Step::Disable),
        1 => who.clone().prop_map(Step::Enable),
        3 => (who.clone(), any::<bool>(), who.clone()).prop_map(|(u, f, t)| Step::Delegate(u, f, t)),
        3 => who.clone().prop_map(Step::Review),
        1 => Just(Step::RequestFinal),
        2 => who.prop_map(Step::Approve),
        1 => Just(Step::Reset),
    ]
}

/// What the rules allow, written apart from the engine: a person takes a
/// slot (a `risk` review, the final decision) if they are enabled, not
/// barred (`not requester` on the final approval), and either hold it
/// (a member of its group) or were handed it by someone who may take it now
/// and has not used it.
struct Rules {
    members: BTreeMap<String, BTreeSet<String>>,
    disabled: BTreeSet<String>,
    delegations: Vec<(String, String, bool)>,
    reviewed: BTreeSet<String>,
    decided: Option<String>,
}

impl Rules {
    fn may(&self, who: &str, is_final: bool, depth: usize) -> bool {
        if depth > 8 || self.disabled.contains(who) || (is_final && who == "owner") {
            return false;
        }
        let group = if is_final { "approvers" } else { "risk" };
        let used = |p: &str| {
            if is_final {
                self.decided.as_deref() == Some(p)
            } else {
                self.reviewed.contains(p)
            }
        };
        self.members[group].contains(who)
            || self.delegations.iter().any(|(from, to, f)| {
                to == who && *f == is_final && !used(from) && self.may(from, is_final, depth + 1)
            })
    }

    /// The people linked by delegations of the `risk` group to `who`.
    fn component(&self, who: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::from([who.to_string()]);
        loop {
            let before = seen.len();
            for (from, to, f) in &self.delegations {
                if !*f && (seen.contains(from) || seen.contains(to)) {
                    seen.insert(from.clone());
                    seen.insert(to.clone());
                }
            }
            if seen.len() == before {
                return seen;
            }
        }
    }
}

#[test]
fn no_sequence_of_delegations_and_role_changes_routes_around_an_approval() {
    use govrt::engine::rules::signoff::{Action, Verdict};
    use govrt::engine::{Engine, Identity};
    let (s, _) = release_world("sec-delegation-property");
    let engine =
        std::cell::RefCell::new(Engine::open(&s.db(), govrt::store::Durability::Normal).unwrap());
    let admin = Identity::local_admin();
    let config = ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let steps = prop::collection::vec(step_strategy(), 1..40);
    runner
        .run(&steps, |steps| {
            let mut e = engine.borrow_mut();
            // Each case starts from the same people and groups.
            for u in PEOPLE {
                e.set_user_disabled(&admin, u, false).unwrap();
                for g in GROUPS {
                    let _ = e.remove_member(&admin, g, u);
                }
            }
            for (g, members) in [
                ("risk", ["r1", "r2", "r3"].as_slice()),
                ("approvers", &["owner", "approver"]),
            ] {
                for m in members {
                    e.add_member(&admin, g, m).unwrap();
                }
            }
            let owner = e.identify_user("owner").unwrap();
            let item = e
                .create_item(
                    &owner,
                    "release",
                    "case",
                    None,
                    &[("owner".into(), "owner".into())],
                    None,
                )
                .unwrap();
            let id: i64 = item.id.parse().unwrap();
            e.signoff(&owner, id, None, Action::RequestReview, None)
                .unwrap();
            let mut delegations: Vec<(String, String, bool)> = Vec::new();
            for step in steps {
                let status = serde_json::to_value(e.status(&admin, id).unwrap()).unwrap();
                let signoff = &status["signoffs"][0];
                let reviewed: BTreeSet<String> = signoff["feedback"][0]["reviews"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["reviewer"].as_str().unwrap().to_string())
                    .collect();
                let users = e.users().unwrap();
                let rules = Rules {
                    members: e
                        .groups()
                        .unwrap()
                        .into_iter()
                        .map(|(g, m)| (g, m.into_iter().collect()))
                        .collect(),
                    disabled: users
                        .iter()
                        .filter(|u| u.disabled)
                        .map(|u| u.name.clone())
                        .collect(),
                    delegations: delegations.clone(),
                    reviewed: reviewed.clone(),
                    decided: signoff["decision"]["by"].as_str().map(str::to_string),
                };
                let act = |e: &mut Engine, who: &str, action: Action| {
                    let identity = e.identify_user(who)?;
                    e.signoff(&identity, id, None, action, None)
                };
                match step {
                    Step::Join(g, u) => drop(e.add_member(&admin, GROUPS[g], PEOPLE[u])),
                    Step::Leave(g, u) => drop(e.remove_member(&admin, GROUPS[g], PEOPLE[u])),
                    Step::Disable(u) => e.set_user_disabled(&admin, PEOPLE[u], true).unwrap(),
                    Step::Enable(u) => e.set_user_disabled(&admin, PEOPLE[u], false).unwrap(),
                    Step::Delegate(u, is_final, to) => {
                        let group = if is_final { "final" } else { "risk" }.to_string();
                        let done = act(
                            &mut e,
                            PEOPLE[u],
                            Action::Delegate {
                                group,
                                to: PEOPLE[to].to_string(),
                            },
                        );
                        if done.is_ok() {
                            prop_assert!(
                                rules.may(PEOPLE[u], is_final, 0),
                                "{} delegated a slot they may not take",
                                PEOPLE[u]
                            );
                            delegations.push((
                                PEOPLE[u].to_string(),
                                PEOPLE[to].to_string(),
                                is_final,
                            ));
                        }
                    }
                    Step::Review(u) => {
                        let action = Action::GiveFeedback {
                            group: "risk".into(),
                            verdict: Verdict::Approved,
                            comment: None,
                        };
                        if act(&mut e, PEOPLE[u], action).is_ok() {
                            prop_assert!(
                                rules.may(PEOPLE[u], false, 0),
                                "{} reviewed without the right: {:?}",
                                PEOPLE[u],
                                delegations
                            );
                        }
                    }
                    Step::RequestFinal => drop(act(&mut e, "owner", Action::RequestFinalApproval)),
                    Step::Approve(u) => {
                        if act(&mut e, PEOPLE[u], Action::Approve { comment: None }).is_ok() {
                            prop_assert!(
                                rules.may(PEOPLE[u], true, 0),
                                "{} approved without the right: {:?}",
                                PEOPLE[u],
                                delegations
                            );
                            // `min 2 required`: two reviews from two slots.
                            let mut slots: Vec<BTreeSet<String>> =
                                reviewed.iter().map(|r| rules.component(r)).collect();
                            slots.dedup();
                            prop_assert!(
                                slots.len() >= 2,
                                "approved on the reviews of {:?} through {:?}",
                                reviewed,
                                delegations
                            );
                        }
                    }
                    Step::Reset => {
                        if e.signoff(&admin, id, None, Action::Reset, None).is_ok() {
                            delegations.clear();
                            let _ = e.signoff(&owner, id, None, Action::RequestReview, None);
                        }
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn attaching_a_child_takes_a_permission_on_the_parent() {
    let s = Sandbox::new("hard-children");
    let (_, model) = s.standard_world();
    let outsider = s.token("outsider");
    let owner = s.token("owner");
    let d = Daemon::start(&s, &[]);
    let create = |token: &str| {
        http(
            d.port,
            "POST",
            "/api/v1/items",
            Some(token),
            &[],
            Some(&json!({"blueprint": "model_version", "name": "mine", "parent": model})),
        )
    };
    let r = create(&outsider);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("create a `model_version` under item")
    );
    assert_eq!(create(&owner).status, 201);
    // The CLI refuses it the same way.
    let cli = s
        .command(&[
            "--as",
            "outsider",
            "item",
            "create",
            "model_version",
            "x",
            "--parent",
            &model,
        ])
        .output()
        .unwrap();
    assert_eq!(cli.status.code(), Some(1));
}

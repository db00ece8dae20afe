//! Filters that answer real questions: a table's `filter` and `item list
//! --filter` test where an item stands (`step == S`, `signoff S == STATE`,
//! `sla S breached`, `due within N days`) as well as its fields, on the
//! CLI, the API and the web UI; a filter that names something unknown says
//! what a filter may name. Runs on the suite's store.

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
  field risk_tier: enum(low, high) "Risk tier" = low
  workflow {
    step development "Development"
    step validation "Validation" {
      signoff {
        feedback risk "Risk" {
          reviewers = group "risk"
          sla 2 days
        }
        final { reviewers = user "head" }
        reset every 1 year
      }
    }
  }
}

infrastructure prod "Production" { policy prevent }

table overdue "Overdue validations" {
  blueprint model
  columns name, step
  filter sla validation breached
}

table due "Re-certification due" {
  blueprint model
  columns name
  filter due within 30 days
}

table validated "Validated high risk" {
  blueprint model
  columns name, signoff validation
  filter signoff validation == APPROVED and risk_tier == high
}

table in_development "In development" {
  blueprint model
  columns name
  filter step == development or step != validation
}
"#;

/// When the world is made: a Monday.
const T0: &str = "2026-01-05T10:00:00Z";

/// Alpha in development; Beta in validation, its review requested at T0
/// and never given; Gamma (high risk) approved at T0, re-certified a year
/// later.
fn world(name: &str) -> (Sandbox, [String; 3]) {
    let s = Sandbox::new(name);
    std::fs::write(s.dir.join("set.gov"), SET).unwrap();
    s.quiet(&["init", "--blueprints", "set.gov"]);
    for u in ["owner", "r1", "head"] {
        s.quiet(&["user", "add", u]);
    }
    s.quiet(&["group", "add", "risk", "--member", "r1"]);
    let create = |name: &str, sets: &[&str]| {
        let mut args = vec!["--as", "owner", "item", "create", "model", name];
        args.extend(sets);
        s.ok_at(T0, &args).stdout.trim().to_string()
    };
    let alpha = create("Alpha", &[]);
    let beta = create("Beta", &[]);
    let gamma = create("Gamma", &["--set", "risk_tier=high"]);
    for item in [&beta, &gamma] {
        s.ok_at(T0, &["--as", "owner", "item", "advance", item]);
        s.ok_at(T0, &["--as", "owner", "signoff", "request-review", item]);
    }
    s.ok_at(
        T0,
        &[
            "--as", "r1", "signoff", "feedback", &gamma, "risk", "approved",
        ],
    );
    s.ok_at(T0, &["--as", "owner", "signoff", "request-final", &gamma]);
    s.ok_at(T0, &["--as", "head", "signoff", "approve", &gamma]);
    (s, [alpha, beta, gamma])
}

fn rows(s: &Sandbox, now: &str, table: &str) -> Vec<String> {
    let view = s
        .ok_at(now, &["--json", "--as", "owner", "table", table])
        .json();
    view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["item"].as_str().unwrap().to_string())
        .collect()
}

fn listed(s: &Sandbox, now: &str, filter: &str) -> Vec<String> {
    let list = s
        .ok_at(
            now,
            &[
                "--json", "--as", "owner", "item", "list", "--filter", filter,
            ],
        )
        .json();
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].to_string().trim_matches('"').to_string())
        .collect()
}

#[test]
fn table_filters_test_where_items_stand() {
    let (s, [alpha, beta, gamma]) = world("filters-tables");
    // Two days on the clock breach Beta's SLA; Gamma's review was given in time.
    assert!(rows(&s, "2026-01-06T10:00:00Z", "overdue").is_empty());
    assert_eq!(rows(&s, "2026-01-08T10:00:00Z", "overdue"), [beta.as_str()]);
    // Gamma is re-certified 2027-01-05: due within 30 days from December on.
    assert!(rows(&s, "2026-11-01T10:00:00Z", "due").is_empty());
    assert_eq!(rows(&s, "2026-12-10T10:00:00Z", "due"), [gamma.as_str()]);
    assert_eq!(rows(&s, T0, "validated"), [gamma.as_str()]);
    assert_eq!(rows(&s, T0, "in_development"), [alpha.as_str()]);
}

#[test]
fn item_list_takes_the_same_filters() {
    let (s, [alpha, beta, gamma]) = world("filters-list");
    assert_eq!(
        listed(&s, T0, "step == validation"),
        [beta.as_str(), gamma.as_str()]
    );
    assert_eq!(listed(&s, T0, "step != validation"), [alpha.as_str()]);
    assert_eq!(
        listed(&s, T0, "signoff validation == WAITING_FOR_FEEDBACK"),
        [beta.as_str()]
    );
    assert_eq!(
        listed(&s, T0, "signoff validation == NOT_STARTED"),
        [alpha.as_str()]
    );
    assert_eq!(
        listed(&s, "2026-01-08T10:00:00Z", "sla validation breached"),
        [beta.as_str()]
    );
    assert_eq!(
        listed(&s, "2026-12-10T10:00:00Z", "due within 30 days"),
        [gamma.as_str()]
    );
    assert!(listed(&s, "2026-12-10T10:00:00Z", "due within 3 days").is_empty());
    assert_eq!(
        listed(
            &s,
            T0,
            "risk_tier == high and not signoff validation != APPROVED"
        ),
        [gamma.as_str()]
    );
    // A page of a filtered list is full, and continues after its last item.
    let page = s.ok_at(
        T0,
        &[
            "--json",
            "--as",
            "owner",
            "item",
            "list",
            "--filter",
            "step == validation",
            "--limit",
            "1",
        ],
    );
    assert_eq!(page.json()[0]["id"].to_string().trim_matches('"'), beta);
}

#[test]
fn a_filter_naming_something_unknown_says_what_a_filter_may_name() {
    let (s, _) = world("filters-errors");
    let refused = |filter: &str| {
        let out = s
            .command(&["--as", "owner", "item", "list", "--filter", filter])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{filter}");
        // The help is wrapped to the terminal's width: read it as words.
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let unknown = refused("stage == validation");
    assert!(unknown.contains("gov::E0110"), "{unknown}");
    assert!(unknown.contains("`step == STEP`"), "{unknown}");
    assert!(unknown.contains("`sla STEP breached`"), "{unknown}");
    assert!(unknown.contains("the filter is not valid"), "{unknown}");
    let step = refused("sla development breached");
    assert!(step.contains("gov::E0125"), "{step}");
    assert!(step.contains("whose sign-off has an SLA"), "{step}");
    let state = refused("signoff validation == DONE");
    assert!(state.contains("gov::E0319"), "{state}");
    assert!(state.contains("APPROVED"), "{state}");
    let unit = refused("due within 3 fortnights");
    assert!(unit.contains("gov::E0308"), "{unit}");
    let syntax = refused("step = validation");
    assert!(syntax.contains("gov::E0001"), "{syntax}");
}

#[test]
fn the_api_and_the_web_filter_too() {
    let (s, [_, beta, gamma]) = world("filters-api");
    // The daemon runs on the real clock, long after Beta's SLA ran out.
    let daemon = Daemon::start(&s, &[]);
    let token = s.token("owner");
    let get = |path: &str| http(daemon.port, "GET", path, Some(&token), &[], None);
    let r = get("/api/v1/items?filter=sla%20validation%20breached");
    assert_eq!(r.status, 200, "{}", r.body);
    let ids: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].to_string().trim_matches('"').to_string())
        .collect();
    assert_eq!(ids, [beta.as_str()]);
    let r = get("/api/v1/tables/validated");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["rows"][0]["item"], gamma.as_str());
    let bad = get("/api/v1/items?filter=stage%20%3D%3D%20x");
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("invalid_filter"), "{}", bad.body);
    assert!(bad.body.contains("E0110"), "{}", bad.body);
    let (cookie, _) = sign_in(daemon.port, &token);
    let page = get_page(
        daemon.port,
        "/items?filter=sla+validation+breached",
        Some(&cookie),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Beta"), "{}", page.body);
    assert!(!page.body.contains("Gamma"), "{}", page.body);
    let overdue = get_page(daemon.port, "/tables/overdue", Some(&cookie));
    assert!(overdue.body.contains("Beta"), "{}", overdue.body);
}

#[test]
fn the_home_page_answers_what_stands_where() {
    let (s, [_, beta, _]) = world("filters-home");
    let daemon = Daemon::start(&s, &[]);
    let (cookie, _) = sign_in(daemon.port, &s.token("r1"));
    let home = get_page(daemon.port, "/", Some(&cookie));
    assert_eq!(home.status, 200, "{}", home.body);
    let text = home.body.split_whitespace().collect::<Vec<_>>().join(" ");
    // One item per state: Alpha not started, Beta waiting, Gamma approved.
    for state in ["NOT_STARTED", "WAITING_FOR_FEEDBACK", "APPROVED"] {
        assert!(
            text.contains(&format!("/items?state={state}")),
            "{state}: {text}"
        );
    }
    assert!(text.contains("<dd>1</dd>"), "{text}");
    // Beta's review ran out long ago, on the daemon's real clock, and waits for r1.
    assert!(
        text.contains("Past their SLA (breached)</dt> <dd>1</dd>")
            || text.contains("Past their SLA (breached)</dt><dd>1</dd>"),
        "{text}"
    );
    assert!(text.contains("Waiting for you"), "{text}");
    assert!(
        text.contains(&format!("/items/{beta}#signoff-validation")),
        "{text}"
    );
    assert!(text.contains("feedback for risk"), "{text}");
    assert!(
        text.contains("Re-certifications due within 30 days"),
        "{text}"
    );
    // Alpha and Beta are not approved: blocked from production.
    assert!(text.contains("/items?deploy=prod:BLOCK"), "{text}");
    assert!(text.contains("2 blocked"), "{text}");
    // Someone with nothing to do sees that.
    s.quiet(&["user", "add", "idle"]);
    let (idle, _) = sign_in(daemon.port, &s.token("idle"));
    let page = get_page(daemon.port, "/", Some(&idle));
    assert!(
        page.body.contains("Nothing waits for you."),
        "{}",
        page.body
    );
}

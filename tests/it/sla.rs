//! Service levels end to end, through the real binary at chosen times
//! (`GOVRT_NOW` for actions and reads, `tick --now` for the scheduler): an
//! SLA in business days of a Paris calendar across a weekend and a
//! holiday, reminders mailed once over a real SMTP server however many
//! ticks run at once, a clock paused by an abandon, escalation with and
//! without `grant`, and a breach shown by `status`, the API, the web page
//! and `/metrics`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::smtp::SmtpSink;
use crate::support::{Daemon, Sandbox, get_page, http};
use serde_json::Value;

const BLUEPRINTS: &str = r#"
calendar paris "Paris office" { timezone "Europe/Paris"  workdays mon..fri  hours 09:00..18:00  holidays 2027-01-01 }

/// Risk reviews count Paris working time; the heads hear of a late one.
blueprint model "Model" {
  permission write = everyone
  role approvers = user "approver"
  workflow {
    step review {
      signoff {
        feedback risk "Risk" { reviewers = group "risk"  sla 5 business days in paris  remind every 2 days  escalate after 7 days to group "heads" }
        final { reviewers = role approvers  sla 3 days  escalate after 5 days to group "heads" grant }
      }
    }
  }
}

/// Calendar days, and an escalation that hands the review over.
blueprint quick "Quick" {
  permission write = everyone
  workflow {
    step review {
      signoff {
        feedback risk "Risk" { reviewers = group "risk"  sla 3 days  remind every 1 day  escalate after 2 days to group "heads" grant }
        final { reviewers = user "approver" }
      }
    }
  }
}
"#;

/// A database with the two blueprints, users and groups.
fn world(name: &str) -> Sandbox {
    let s = Sandbox::new(name);
    std::fs::create_dir_all(s.dir.join("bp")).unwrap();
    std::fs::write(s.dir.join("bp/sla.gov"), BLUEPRINTS).unwrap();
    s.quiet(&["init", "--blueprints", "bp"]);
    for u in ["owner", "r1", "r2", "head", "approver", "admin"] {
        s.quiet(&["user", "add", u, "--email", &format!("{u}@example.com")]);
    }
    s.quiet(&["group", "add", "risk", "--member", "r1", "--member", "r2"]);
    s.quiet(&["group", "add", "heads", "--member", "head"]);
    s
}

/// An item of `blueprint` with its review requested at `now`.
fn requested(s: &Sandbox, blueprint: &str, name: &str, now: &str) -> String {
    let id = s
        .ok_at(now, &["--as", "owner", "item", "create", blueprint, name])
        .stdout
        .trim()
        .to_string();
    s.ok_at(
        now,
        &[
            "--as",
            "owner",
            "signoff",
            "request-review",
            &id,
            "--notify",
        ],
    );
    id
}

/// The `service` of feedback group 0 (or the final approval's) in the status at `now`.
fn service(s: &Sandbox, id: &str, now: &str, final_approval: bool) -> Value {
    let status = s.ok_at(now, &["--json", "status", id]).json();
    let signoff = &status["signoffs"][0];
    if final_approval {
        signoff["final_service"].clone()
    } else {
        signoff["feedback"][0]["service"].clone()
    }
}

/// An item's status read over the API by the holder of `secret`.
fn api_status(port: u16, secret: &str, id: &str) -> Value {
    let r = http(
        port,
        "GET",
        &format!("/api/v1/items/{id}/status"),
        Some(secret),
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn tick(s: &Sandbox, now: &str, smtp: Option<&str>) -> Value {
    let mut args = vec!["--json", "tick", "--now", now];
    if let Some(url) = smtp {
        args.splice(0..0, ["--smtp", url]);
    }
    s.quiet(&args).json()
}

#[test]
fn business_days_skip_a_weekend_and_a_holiday_in_the_calendars_time_zone() {
    let s = world("sla-business");
    // Wednesday 30 December, 15:00 in Paris; Friday 1 January is a holiday.
    let id = requested(&s, "model", "Scorer", "2026-12-30T15:00:00+01:00");
    // Monday 10:00 Paris: Wed 3 h + Thu 9 h + Mon 1 h of working time.
    let v = service(&s, &id, "2027-01-04T10:00:00+01:00", false);
    assert_eq!(v["clock"], "running");
    assert_eq!(v["sla"], "5 business days");
    assert_eq!(v["calendar"], "paris");
    assert_eq!(v["elapsed_seconds"], 13 * 3600);
    assert_eq!(v["remaining_seconds"], (45 - 13) * 3600);
    // Five 9-hour days after Wednesday 15:00, skipping Friday and the weekend: Thursday 7th 15:00 Paris.
    assert_eq!(v["due_at"], "2027-01-07T14:00:00Z");
    assert_eq!(v["breached"], false);
    assert_eq!(v["at_risk"], false);
    // The weekend itself adds nothing.
    let sunday = service(&s, &id, "2027-01-03T20:00:00+01:00", false);
    assert_eq!(sunday["elapsed_seconds"], 12 * 3600);
    // Thursday 7th: at risk in the morning, breached from 15:00 Paris.
    let morning = service(&s, &id, "2027-01-07T10:00:00+01:00", false);
    assert_eq!(morning["at_risk"], true);
    assert_eq!(morning["breached"], false);
    let late = service(&s, &id, "2027-01-07T15:00:00+01:00", false);
    assert_eq!(late["breached"], true);
    assert_eq!(late["remaining_seconds"], 0);
    let text = s
        .ok_at("2027-01-07T16:30:00+01:00", &["status", &id])
        .stdout;
    insta::assert_snapshot!("status_breached", text);
}

#[test]
fn my_reviews_come_most_urgent_first() {
    let s = world("sla-order");
    let later = requested(&s, "model", "Later", "2027-01-05T09:00:00+01:00");
    s.ok_at(
        "2027-01-04T09:00:00+01:00",
        &["--as", "owner", "item", "create", "model", "Unrequested"],
    );
    let sooner = requested(&s, "quick", "Sooner", "2027-01-05T09:00:00+01:00");
    let first = requested(&s, "model", "First", "2027-01-04T09:00:00+01:00");
    let list = s
        .ok_at(
            "2027-01-05T12:00:00+01:00",
            &["--json", "--as", "r1", "reviews"],
        )
        .json();
    let order: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["item"].as_str().unwrap())
        .collect();
    // quick: 3 calendar days (8th 08:00Z); model: 5 business days (First the 8th 17:00Z, Later the 11th).
    assert_eq!(order, [sooner.as_str(), first.as_str(), later.as_str()]);
    assert_eq!(list[0]["due_at"], "2027-01-08T08:00:00Z");
    let text = s
        .ok_at("2027-01-05T12:00:00+01:00", &["--as", "r1", "reviews"])
        .stdout;
    insta::assert_snapshot!("reviews_by_due_time", text);
}

#[test]
#[cfg_attr(
    not(govrt_has_aiosmtpd),
    ignore = "needs Debian's python3-aiosmtpd (/usr/bin/aiosmtpd); .ci/run installs it"
)]
fn a_reminder_is_mailed_once_however_many_ticks_run_at_once() {
    let s = world("sla-remind");
    let Some(sink) = SmtpSink::start(&s.dir, None) else {
        return;
    };
    let url = sink.url();
    let id = requested(&s, "model", "Scorer", "2027-01-04T09:00:00+01:00");
    tick(&s, "2027-01-04T09:00:00+01:00", Some(&url));
    // Two days on: two ticks at once, as two replicas' schedulers would.
    let now = "2027-01-06T09:30:00+01:00";
    let mut both: Vec<std::process::Child> = (0..2)
        .map(|_| {
            s.command(&["--json", "--smtp", &url, "tick", "--now", now])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut reminders = 0;
    for child in both.drain(..) {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        reminders += report["reminders"].as_array().unwrap().len();
    }
    assert_eq!(reminders, 1, "one of the two ticks sends the reminder");
    // And a third tick at the same time finds nothing left.
    assert_eq!(
        tick(&s, now, Some(&url))["reminders"],
        serde_json::json!([])
    );
    let subjects = |user: &str| -> Vec<String> {
        sink.messages()
            .into_iter()
            .filter(|(to, _, _)| to == &format!("{user}@example.com"))
            .map(|(_, subject, _)| subject)
            .collect()
    };
    for reviewer in ["r1", "r2"] {
        let got = subjects(reviewer);
        let reminded: Vec<&String> = got.iter().filter(|s| s.contains("reminds you")).collect();
        assert_eq!(reminded.len(), 1, "{reviewer} got {got:?}");
        assert!(
            reminded[0].contains("the Risk review is waiting for you (reminder 1)"),
            "{reminded:?}"
        );
    }
    let body = sink
        .messages()
        .into_iter()
        .find(|(to, subject, _)| to == "r1@example.com" && subject.contains("reminds you"))
        .unwrap()
        .2
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    assert!(
        body.contains("Due 2027-01-08T18:00:00+01:00 (SLA 5 business days)"),
        "{body}"
    );
    // r1 reviews: the next reminder (two days later) goes to r2 only.
    s.ok_at(
        "2027-01-06T10:00:00+01:00",
        &[
            "--as",
            "r1",
            "signoff",
            "feedback",
            &id,
            "risk",
            "minor_issue",
        ],
    );
    let min_two = tick(&s, "2027-01-08T09:30:00+01:00", Some(&url));
    // The group needs one review: it is complete, its clock stopped, nothing more is sent.
    assert_eq!(min_two["reminders"], serde_json::json!([]));
    assert_eq!(
        subjects("r2")
            .iter()
            .filter(|s| s.contains("reminds you"))
            .count(),
        1
    );
    assert_eq!(subjects("head").len(), 0);
    let history = s.history_actions("owner", &id);
    assert_eq!(
        history.iter().filter(|a| *a == "signoff.remind").count(),
        1,
        "{history:?}"
    );
}

#[test]
fn an_abandon_pauses_the_clock_and_a_reset_starts_it_afresh() {
    let s = world("sla-pause");
    let id = requested(&s, "quick", "Scorer", "2027-01-04T09:00:00Z");
    s.ok_at(
        "2027-01-05T09:00:00Z",
        &["--as", "owner", "signoff", "abandon", &id],
    );
    let paused = service(&s, &id, "2027-01-07T09:00:00Z", false);
    assert_eq!(paused["clock"], "paused");
    assert_eq!(paused["elapsed_seconds"], 86_400);
    assert_eq!(paused["breached"], false);
    // Nothing is sent while it is paused, though two days have passed.
    let quiet = tick(&s, "2027-01-07T09:00:00Z", None);
    assert_eq!(quiet["reminders"], serde_json::json!([]));
    assert_eq!(quiet["escalations"], serde_json::json!([]));
    s.ok_at(
        "2027-01-08T09:00:00Z",
        &["--as", "owner", "signoff", "cancel-abandon", &id],
    );
    let resumed = service(&s, &id, "2027-01-08T21:00:00Z", false);
    assert_eq!(resumed["clock"], "running");
    assert_eq!(resumed["elapsed_seconds"], 36 * 3600);
    // Due three days of running time after the request: one day before the abandon, two after it.
    assert_eq!(resumed["due_at"], "2027-01-10T09:00:00Z");
    s.ok_at(
        "2027-01-09T09:00:00Z",
        &["--as", "owner", "signoff", "reset", &id],
    );
    let afresh = service(&s, &id, "2027-01-09T10:00:00Z", false);
    assert_eq!(afresh["clock"], "not_started");
    assert_eq!(afresh["elapsed_seconds"], 0);
}

#[test]
fn an_escalation_mails_its_principals_and_grants_only_when_it_says_so() {
    let s = world("sla-escalate");
    // model: the Risk escalation only mails the heads.
    let model = requested(&s, "model", "Scorer", "2027-01-04T09:00:00Z");
    // quick: the Risk escalation makes them reviewers.
    let quick = requested(&s, "quick", "Quick", "2027-01-04T09:00:00Z");
    let report = tick(&s, "2027-01-11T10:00:00Z", None);
    let mut escalated: Vec<(&str, &str)> = report["escalations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["item"].as_str().unwrap(), e["group"].as_str().unwrap()))
        .collect();
    escalated.sort();
    let mut expected = [(model.as_str(), "risk"), (quick.as_str(), "risk")];
    expected.sort();
    assert_eq!(escalated, expected);
    let outbox = s.quiet(&["--json", "outbox"]).json();
    let to_head: Vec<&str> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["address"] == "head@example.com")
        .map(|m| m["subject"].as_str().unwrap())
        .filter(|s| s.contains("escalated"))
        .collect();
    assert_eq!(to_head.len(), 2, "{to_head:?}");
    assert!(
        to_head
            .iter()
            .any(|s| s.ends_with("escalated the Risk review to you")),
        "{to_head:?}"
    );
    assert!(
        to_head
            .iter()
            .any(|s| s.ends_with("escalated the Risk review to you: you may now act on it")),
        "{to_head:?}"
    );
    // Both reviews are in the head's queue: with `grant` to act on,
    // without it to follow up. The paged list reads the queue index.
    for args in [
        &["--json", "--as", "head", "reviews"][..],
        &["--json", "--as", "head", "reviews", "--limit", "10"],
    ] {
        let queue = s.ok_at("2027-01-11T11:00:00Z", args).json();
        let mut entries: Vec<(String, bool, bool)> = queue
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["item"].as_str().unwrap().to_string(),
                    r["escalated"] == true,
                    r["watch_only"] == true,
                )
            })
            .collect();
        entries.sort();
        let mut expected = vec![(model.clone(), true, true), (quick.clone(), true, false)];
        expected.sort();
        assert_eq!(entries, expected, "{args:?}: {queue}");
    }
    let text = s
        .ok_at("2027-01-11T11:00:00Z", &["--as", "head", "reviews"])
        .stdout;
    assert!(
        text.contains("feedback for risk, escalated to you (to follow up; its reviewers act)"),
        "{text}"
    );
    // The API and the My reviews page say the same.
    let secret = s.token("head");
    {
        let d = Daemon::start(&s, &[]);
        let listed = http(d.port, "GET", "/api/v1/reviews", Some(&secret), &[], None);
        assert_eq!(listed.status, 200, "{}", listed.body);
        let watched: Vec<Value> = listed
            .json()
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["watch_only"] == true)
            .cloned()
            .collect();
        assert_eq!(watched.len(), 1, "{}", listed.body);
        assert_eq!(watched[0]["item"], model.as_str());
        let (cookie, _) = crate::support::sign_in(d.port, &secret);
        let page = get_page(d.port, "/reviews", Some(&cookie));
        assert!(
            page.body
                .contains("feedback for risk, escalated to you (to follow up; its reviewers act)"),
            "{}",
            page.body
        );
    }
    // Without `grant`, the head still may not review.
    let refused = s.run_at(
        "2027-01-11T11:00:00Z",
        &[
            "--as", "head", "signoff", "feedback", &model, "risk", "approved",
        ],
    );
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    // With `grant`, they may, and `explain` says why.
    let why = s
        .ok_at(
            "2027-01-11T11:00:00Z",
            &[
                "explain", &quick, "--user", "head", "--action", "feedback", "--group", "risk",
            ],
        )
        .stdout;
    assert!(
        why.contains("the escalation of `risk` (`escalate … grant`) on 2027-01-11T10:00:00Z"),
        "{why}"
    );
    s.ok_at(
        "2027-01-11T11:00:00Z",
        &[
            "--as", "head", "signoff", "feedback", &quick, "risk", "approved",
        ],
    );
    let audit = s
        .quiet(&["--json", "--as", "owner", "item", "history", &quick])
        .json();
    let escalation = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "signoff.escalate")
        .unwrap();
    assert_eq!(escalation["actor"], "scheduler");
    assert_eq!(escalation["details"]["events"][0]["grant"], true);
    assert_eq!(
        escalation["details"]["events"][0]["to"][0],
        "group \"heads\""
    );
}

#[test]
fn a_breach_shows_in_the_status_the_api_the_web_page_and_the_metrics() {
    let s = world("sla-breach");
    // Requested long ago (on the real clock): breached now.
    let id = requested(&s, "quick", "Overdue", "2026-01-05T09:00:00Z");
    let fresh = requested(&s, "quick", "Fresh", &chrono::Utc::now().to_rfc3339());
    let text = s.quiet(&["status", &id]).stdout;
    assert!(text.contains("SLA 3 days: running"), "{text}");
    assert!(text.contains("BREACHED"), "{text}");
    assert!(!s.quiet(&["status", &fresh]).stdout.contains("BREACHED"));
    let secret = s.token("r1");
    let d = Daemon::start(&s, &[]);
    let status = api_status(d.port, &secret, &id);
    let v = &status["signoffs"][0]["feedback"][0]["service"];
    assert_eq!(v["breached"], true, "{v}");
    assert_eq!(v["due_at"], "2026-01-08T09:00:00Z");
    let (cookie, _) = crate::support::sign_in(d.port, &secret);
    let page = get_page(d.port, &format!("/items/{id}"), Some(&cookie));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("BREACHED"), "{}", page.body);
    assert!(
        page.body.contains("SLA <strong>3 days</strong>"),
        "{}",
        page.body
    );
    let reviews = get_page(d.port, "/reviews", Some(&cookie));
    assert!(reviews.body.contains("BREACHED"), "{}", reviews.body);
    let metrics = http(d.port, "GET", "/metrics", None, &[], None).body;
    assert!(metrics.contains("govrt_reviews_running 2"), "{metrics}");
    assert!(metrics.contains("govrt_reviews_breached 1"), "{metrics}");
    assert!(metrics.contains("govrt_reviews_at_risk 0"), "{metrics}");
}

#[test]
fn due_times_show_in_the_calendars_time_zone_on_every_surface() {
    let s = world("sla-zone");
    // Monday 5 January 2026, 09:00 Paris: five 9-hour days end Friday 18:00 Paris.
    let id = requested(&s, "model", "Scorer", "2026-01-05T09:00:00+01:00");
    let text = s.quiet(&["status", &id]).stdout;
    assert!(text.contains("due 2026-01-09T18:00:00+01:00"), "{text}");
    let reviews = s.quiet(&["--as", "r1", "reviews"]).stdout;
    assert!(
        reviews.contains("due 2026-01-09T18:00:00+01:00"),
        "{reviews}"
    );
    let secret = s.token("r1");
    let d = Daemon::start(&s, &[]);
    let status = api_status(d.port, &secret, &id);
    let v = &status["signoffs"][0]["feedback"][0]["service"];
    // The API keeps instants in UTC and says which zone they are shown in.
    assert_eq!(v["due_at"], "2026-01-09T17:00:00Z", "{v}");
    assert_eq!(v["timezone"], "Europe/Paris", "{v}");
    // The final approval counts in the built-in calendar: UTC.
    assert_eq!(status["signoffs"][0]["final_service"]["timezone"], "UTC");
    let listed = http(d.port, "GET", "/api/v1/reviews", Some(&secret), &[], None);
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        listed.json()[0]["timezone"],
        "Europe/Paris",
        "{}",
        listed.body
    );
    let (cookie, _) = crate::support::sign_in(d.port, &secret);
    let page = get_page(d.port, &format!("/items/{id}"), Some(&cookie));
    assert!(
        page.body.contains("2026-01-09 18:00 Europe/Paris"),
        "{}",
        page.body
    );
    let queue = get_page(d.port, "/reviews", Some(&cookie));
    assert!(
        queue.body.contains("2026-01-09 18:00 Europe/Paris"),
        "{}",
        queue.body
    );
}

//! Notifications end to end, through the real binary and a real SMTP server
//! (aiosmtpd from Debian's `python3-aiosmtpd`, on 127.0.0.1, keeping every
//! message in a maildir): who receives what for each event, comment-only
//! edits and the actor receiving nothing, delivery exactly once across an SMTP
//! outage, and unsubscribing by command and by signed link.
//! Unsubscribe links expire and act only on a POST.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::smtp::{SmtpSink, free_port};
use crate::support::{Daemon, Sandbox, get_page, http};

fn to(user: &str) -> String {
    format!("{user}@example.com")
}

fn deliver(s: &Sandbox, smtp: &str) -> serde_json::Value {
    s.quiet(&["--json", "--smtp", smtp, "tick"]).json()
}

/// A model version on Review, with the world of `standard_world`.
fn on_review(s: &Sandbox) -> String {
    let (_, model) = s.standard_world();
    let mv = s.model_version(&model, "Scorer v1");
    s.quiet(&["--as", "owner", "item", "move", &mv, "review"]);
    mv
}

#[test]
#[cfg_attr(
    not(govrt_has_aiosmtpd),
    ignore = "needs Debian's python3-aiosmtpd (/usr/bin/aiosmtpd); .ci/run installs it"
)]
fn who_receives_what() {
    let s = Sandbox::new("mail-who");
    let Some(smtp) = SmtpSink::start(&s.dir, None) else {
        return;
    };
    let mv = on_review(&s);
    let mut expected: Vec<(String, &str)> = Vec::new();

    // A request with --notify mails the eligible reviewers (not the actor).
    s.quiet(&[
        "--as",
        "owner",
        "signoff",
        "request-review",
        &mv,
        "--notify",
    ]);
    for u in ["itops", "risk1", "risk2", "biz"] {
        expected.push((to(u), "requested your review"));
    }
    // Feedback mails the subscribers but the actor: owner follows the project, model and version.
    s.quiet(&[
        "--as", "itops", "signoff", "feedback", &mv, "it_ops", "approved",
    ]);
    expected.push((to("owner"), "gave feedback APPROVED"));
    s.quiet(&[
        "--as",
        "risk1",
        "signoff",
        "feedback",
        &mv,
        "risk",
        "minor",
        "--comment",
        "typo",
    ]);
    expected.push((to("owner"), "gave feedback MINOR_ISSUE"));
    expected.push((to("itops"), "gave feedback MINOR_ISSUE"));
    // A comment-only edit mails nobody; a changed verdict does.
    s.quiet(&[
        "--as",
        "risk1",
        "signoff",
        "feedback",
        &mv,
        "risk",
        "minor",
        "--comment",
        "typo fixed?",
    ]);
    s.quiet(&[
        "--as",
        "risk1",
        "signoff",
        "feedback",
        &mv,
        "risk",
        "approved",
        "--comment",
        "fixed",
    ]);
    expected.push((to("owner"), "changed their feedback APPROVED"));
    expected.push((to("itops"), "changed their feedback APPROVED"));
    // A delegation mails the delegate directly.
    s.quiet(&[
        "--as", "biz", "signoff", "delegate", &mv, "business", "outsider",
    ]);
    expected.push((to("outsider"), "delegated their Business review to you"));
    s.quiet(&["--as", "owner", "signoff", "request-final", &mv, "--notify"]);
    expected.push((to("approver"), "requested your final approval"));
    // owner is a final approver too, but is the actor.
    s.quiet(&["--as", "approver", "signoff", "approve", &mv]);
    for u in ["owner", "itops", "risk1"] {
        expected.push((to(u), "approved the sign-off"));
    }
    // The same decision again is refused, and mails nobody.
    let again = s
        .command(&[
            "--as",
            "approver",
            "signoff",
            "approve",
            &mv,
            "--comment",
            "nice",
        ])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    // Changing the decision does.
    s.quiet(&[
        "--as",
        "approver",
        "signoff",
        "reject",
        &mv,
        "--comment",
        "on second thought",
    ]);
    for u in ["owner", "itops", "risk1"] {
        expected.push((to(u), "rejected the sign-off (a changed decision)"));
    }
    s.quiet(&["--as", "owner", "signoff", "abandon", &mv]);
    for u in ["itops", "risk1", "approver"] {
        expected.push((to(u), "abandoned the sign-off"));
    }
    s.quiet(&["--as", "owner", "signoff", "cancel-abandon", &mv]);
    for u in ["itops", "risk1", "approver"] {
        expected.push((to(u), "canceled the abandon"));
    }
    s.quiet(&[
        "--as",
        "owner",
        "signoff",
        "schedule-reset",
        &mv,
        "--at",
        "2031-01-01T00:00:00Z",
    ]);
    for u in ["itops", "risk1", "approver"] {
        expected.push((to(u), "scheduled a reset"));
    }
    s.quiet(&["--as", "approver", "signoff", "reset", &mv]);
    for u in ["owner", "itops", "risk1"] {
        expected.push((to(u), "reset the sign-off"));
    }

    let r = deliver(&s, &smtp.url());
    assert_eq!(
        r["mail"]["sent"].as_u64().unwrap() as usize,
        expected.len(),
        "{r}"
    );
    let got = smtp.messages();
    assert_eq!(
        got.len(),
        expected.len(),
        "{:#?}",
        got.iter().map(|m| (&m.0, &m.1)).collect::<Vec<_>>()
    );
    for (address, phrase) in &expected {
        assert!(
            got.iter()
                .any(|(t, subject, _)| t == address && subject.contains(phrase)),
            "no mail to {address} about `{phrase}`: {:#?}",
            got.iter().map(|m| (&m.0, &m.1)).collect::<Vec<_>>()
        );
    }
    // The parts of a message: plain text and HTML, a link to the item, a signed unsubscribe link.
    let (_, _, body) = &got[0];
    assert!(
        body.contains("text/plain") && body.contains("text/html"),
        "{body}"
    );
    assert!(body.contains(&format!("/items/{mv}")), "{body}");
    assert!(body.contains("/unsubscribe?user="), "{body}");
    // Delivered means delivered: nothing is sent twice.
    let r = deliver(&s, &smtp.url());
    assert_eq!(r["mail"]["sent"], 0);
    assert_eq!(smtp.messages().len(), expected.len());
}

#[test]
#[cfg_attr(
    not(govrt_has_aiosmtpd),
    ignore = "needs Debian's python3-aiosmtpd (/usr/bin/aiosmtpd); .ci/run installs it"
)]
fn an_smtp_outage_loses_nothing_and_sends_nothing_twice() {
    let s = Sandbox::new("mail-outage");
    let port = free_port();
    let down = format!("smtp://127.0.0.1:{port}");
    let mv = on_review(&s);
    s.quiet(&["--as", "owner", "signoff", "request-review", &mv]);
    s.quiet(&[
        "--as", "itops", "signoff", "feedback", &mv, "it_ops", "approved",
    ]);
    s.quiet(&["--as", "risk1", "signoff", "feedback", &mv, "risk", "major"]);
    let r = deliver(&s, &down);
    assert_eq!(r["mail"]["sent"], 0);
    assert_eq!(r["mail"]["retried"], 3, "{r}");
    let pending = s.quiet(&["--json", "outbox", "--pending"]).json();
    assert_eq!(pending.as_array().unwrap().len(), 3);
    assert!(pending[0]["last_error"].as_str().is_some());

    let Some(smtp) = SmtpSink::start(&s.dir, Some(port)) else {
        return;
    };
    // Retries wait for their backoff; an hour later they are due.
    let later = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let r = s
        .quiet(&["--json", "--smtp", &smtp.url(), "tick", "--now", &later])
        .json();
    assert_eq!(r["mail"]["sent"], 3, "{r}");
    let r = s
        .quiet(&["--json", "--smtp", &smtp.url(), "tick", "--now", &later])
        .json();
    assert_eq!(r["mail"]["sent"], 0);
    let got = smtp.messages();
    assert_eq!(got.len(), 3, "{got:#?}");
    let mut keys: Vec<_> = got.iter().map(|m| (m.0.clone(), m.1.clone())).collect();
    keys.dedup();
    assert_eq!(keys.len(), 3, "each message exactly once");
    assert_eq!(
        s.quiet(&["--json", "outbox", "--pending"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
#[cfg_attr(
    not(govrt_has_aiosmtpd),
    ignore = "needs Debian's python3-aiosmtpd (/usr/bin/aiosmtpd); .ci/run installs it"
)]
fn unsubscribing_by_command_or_signed_link_stops_mail() {
    let mut s = Sandbox::new("mail-unsub");
    let Some(smtp) = SmtpSink::start(&s.dir, None) else {
        return;
    };
    let mv = on_review(&s);
    s.quiet(&["--as", "owner", "signoff", "request-review", &mv]);
    s.quiet(&[
        "--as", "itops", "signoff", "feedback", &mv, "it_ops", "approved",
    ]);
    s.quiet(&[
        "--as", "risk1", "signoff", "feedback", &mv, "risk", "approved",
    ]);
    deliver(&s, &smtp.url());
    // itops got one message (risk1's feedback); its footer holds the link.
    let mail = smtp
        .messages()
        .into_iter()
        .find(|m| m.0 == to("itops"))
        .expect("a mail to itops");
    let body = mail
        .2
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let token = body
        .split("token=")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '.')
        .collect::<String>();
    // `EXPIRES.HMAC`: the link expires, and its expiry is signed.
    let (expires, mac) = token.split_once('.').unwrap();
    assert!(
        expires.parse::<i64>().unwrap() > chrono::Utc::now().timestamp(),
        "{body}"
    );
    assert_eq!(mac.len(), 64, "{body}");

    // A tampered token is refused.
    let mut forged = token.clone();
    forged.replace_range(0..1, if token.starts_with('0') { "1" } else { "0" });
    let r = s.expect(
        1,
        &[
            "--json",
            "unsubscribe",
            &mv,
            "--user",
            "itops",
            "--token",
            &forged,
        ],
    );
    assert_eq!(r.json()["error"]["code"], "not_permitted");
    s.expect(
        1,
        &[
            "--json",
            "unsubscribe",
            &mv,
            "--user",
            "risk1",
            "--token",
            &token,
        ],
    );
    // The real one works, and so does the command.
    s.ok(&["unsubscribe", &mv, "--user", "itops", "--token", &token]);
    s.ok(&["--as", "owner", "unsubscribe", &mv]);
    let subs = s
        .quiet(&["--json", "--as", "owner", "subscriptions"])
        .json();
    assert!(
        subs.as_array()
            .unwrap()
            .iter()
            .any(|x| x["item"] == mv.as_str() && x["subscribed"] == false),
        "{subs}"
    );

    let before = smtp.messages().len();
    s.quiet(&[
        "--as", "biz", "signoff", "feedback", &mv, "business", "approved",
    ]);
    deliver(&s, &smtp.url());
    let after = smtp.messages();
    let new: Vec<_> = after
        .iter()
        .filter(|m| m.1.contains("gave feedback APPROVED for Business"))
        .map(|m| m.0.clone())
        .collect();
    assert_eq!(new, vec![to("risk1")], "only risk1 still follows the item");
    assert_eq!(after.len(), before + 1);
}

#[test]
#[cfg_attr(
    not(govrt_has_aiosmtpd),
    ignore = "needs Debian's python3-aiosmtpd (/usr/bin/aiosmtpd); .ci/run installs it"
)]
fn mail_from_any_process_links_to_the_daemon_and_says_what_happened() {
    let s = Sandbox::new("mail-base-url");
    let Some(smtp) = SmtpSink::start(&s.dir, None) else {
        return;
    };
    let mv = on_review(&s);
    // The daemon's address is a setting of the database: `serve` (or `init`)
    // keeps it, and the CLI's mail uses it without being told.
    let d = crate::support::Daemon::start(&s, &["--base-url", "http://govrt.example.test:9000/"]);
    s.quiet(&["--as", "owner", "signoff", "request-review", &mv]);
    s.quiet(&[
        "--as",
        "itops",
        "signoff",
        "feedback",
        &mv,
        "it_ops",
        "minor",
        "--comment",
        "the drift report is missing",
    ]);
    deliver(&s, &smtp.url());
    let mail = smtp
        .messages()
        .into_iter()
        .find(|m| m.0 == to("owner"))
        .expect("a mail to the owner");
    let body = mail
        .2
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    assert!(
        body.contains(&format!("http://govrt.example.test:9000/items/{mv}")),
        "{body}"
    );
    // The feedback's comment is in the mail; the subject names the item plainly.
    assert!(body.contains("the drift report is missing"), "{body}");
    assert_eq!(
        mail.1,
        format!(
            "[govrt] Scorer v1 (item {mv}): itops gave feedback MINOR_ISSUE for IT & Operations"
        )
    );
    // Its unsubscribe link works against the daemon.
    let link = body
        .split("http://govrt.example.test:9000")
        .find(|part| part.starts_with("/unsubscribe?"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(['"', '>'])
        .to_string();
    let r = crate::support::get_page(d.port, &link.replace("&amp;", "&"), None);
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn unsubscribe_links_expire_and_act_only_on_a_post() {
    let s = Sandbox::new("hard-unsub");
    let (_, model) = s.standard_world();
    let mv = s.model_version(&model, "v1");
    s.quiet(&["--as", "owner", "item", "move", &mv, "review"]);
    s.quiet(&["--as", "owner", "signoff", "request-review", &mv]);
    // A feedback mails the owner, and so signs its first unsubscribe link.
    s.quiet(&[
        "--as", "itops", "signoff", "feedback", &mv, "it_ops", "approved",
    ]);
    let secret: String = s
        .sql_texts("SELECT value FROM settings WHERE key = 'unsubscribe_secret'")
        .remove(0);
    let item: i64 = mv.parse().unwrap();
    let now = chrono::Utc::now().timestamp();
    let fresh = govrt::notify::unsubscribe_token(&secret, "owner", item, now + 3600);
    let expired = govrt::notify::unsubscribe_token(&secret, "owner", item, now - 1);
    let link = |token: &str| format!("/unsubscribe?user=owner&item={mv}&token={token}");
    let followed = || {
        let subs = s
            .quiet(&["--json", "--as", "owner", "subscriptions"])
            .json();
        subs.as_array()
            .unwrap()
            .iter()
            .any(|x| x["item"] == mv.as_str() && x["subscribed"] == true)
    };
    let d = Daemon::start(&s, &[]);
    // Opening the link changes nothing: it asks.
    let page = get_page(d.port, &link(&fresh), None);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("method=\"post\""), "{}", page.body);
    assert!(followed());
    // An expired or altered link is refused; the fresh one works by a POST.
    assert_eq!(
        http(d.port, "POST", &link(&expired), None, &[], None).status,
        403
    );
    assert_eq!(
        http(
            d.port,
            "POST",
            &link(&fresh.to_uppercase()),
            None,
            &[],
            None
        )
        .status,
        403
    );
    assert!(followed());
    let done = http(d.port, "POST", &link(&fresh), None, &[], None);
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(!followed());
}

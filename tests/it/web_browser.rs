//! The web UI of `govrt serve` in a real browser: a full sign-off by five
//! users in headless Chromium (through ChromeDriver) with JavaScript
//! disabled, checking that each user sees only the actions they may take,
//! with screenshots of the item page and the matrix.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::path::{Path, PathBuf};

use crate::support::browser::{Driver, click};
use crate::support::web::{status_of, world};
use crate::support::{Daemon, Sandbox};
use fantoccini::{Client, Locator};

/// The browser session of one user.
struct User<'a> {
    c: &'a Client,
    base: String,
}

impl User<'_> {
    /// Clicks what `locator` finds and waits until the next page replaced this one.
    async fn click(&self, locator: Locator<'_>) {
        click(self.c, locator).await;
    }

    async fn sign_in(&self, secret: &str, item: &str) {
        self.c
            .goto(&format!("{}/items/{item}", self.base))
            .await
            .unwrap();
        // Sent to the sign-in form first, then back to the item.
        assert!(
            self.c
                .current_url()
                .await
                .unwrap()
                .path()
                .starts_with("/login")
        );
        self.fill("token", secret).await;
        self.click(Locator::Css("main button[type=submit]")).await;
        assert_eq!(
            self.c.current_url().await.unwrap().path(),
            format!("/items/{item}")
        );
    }

    async fn sign_out(&self) {
        self.click(Locator::Css("header form button")).await;
        let url = self.c.current_url().await.unwrap();
        assert_eq!(
            url.path(),
            "/login",
            "{url}: {}",
            self.c.source().await.unwrap()
        );
    }

    /// The sign-off buttons this user is shown, in order.
    async fn buttons(&self) -> Vec<String> {
        let mut out = Vec::new();
        for b in self
            .c
            .find_all(Locator::Css("#signoff-review form button"))
            .await
            .unwrap()
        {
            out.push(b.text().await.unwrap());
        }
        out
    }

    /// Presses the button `label` of the section `section`.
    async fn press_in(&self, section: &str, label: &str) {
        let xpath = format!("//section[@id='{section}']//button[normalize-space()='{label}']");
        self.click(Locator::XPath(&xpath)).await;
    }

    async fn press(&self, label: &str) {
        let xpath = format!("//section[@id='signoff-review']//button[normalize-space()='{label}']");
        self.click(Locator::XPath(&xpath)).await;
    }

    async fn badge(&self) -> String {
        self.c
            .find(Locator::Css("#signoff-review-h .badge"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn feedback(&self, group: &str, verdict: &str, comment: &str) {
        self.c
            .find(Locator::Id(&format!("fb-review-{group}-{verdict}")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.fill(&format!("fb-review-{group}-comment"), comment)
            .await;
        self.press("Give feedback").await;
    }

    /// Types `text` into the input with this id.
    async fn fill(&self, id: &str, text: &str) {
        let input = self.c.find(Locator::Id(id)).await.unwrap();
        input.send_keys(text).await.unwrap();
    }

    async fn text(&self, css: &str) -> String {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

fn screenshot(name: &str, png: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{name} is not a real screenshot"
    );
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(govrt_has_chromium),
    ignore = "needs Debian's chromium and chromium-driver; .ci/run installs them"
)]
async fn a_full_sign_off_in_a_real_browser_without_javascript() {
    let s = Sandbox::new("web-browser");
    let Some(driver) = Driver::start(&s.dir) else {
        return;
    };
    let (_, version) = world(&s);
    let secrets: std::collections::HashMap<&str, String> =
        ["owner", "itops", "risk1", "risk2", "biz", "approver"]
            .into_iter()
            .map(|u| (u, s.token(u)))
            .collect();
    let d = Daemon::start(&s, &[]);
    let client = driver.browser().await;
    let u = User {
        c: &client,
        base: format!("http://127.0.0.1:{}", d.port),
    };

    // The owner moves the version to its review step and asks for the review.
    u.sign_in(&secrets["owner"], &version).await;
    assert!(
        u.c.source()
            .await
            .unwrap()
            .contains("Signed in as <strong>owner</strong>")
    );
    u.c.find(Locator::Id("move-step"))
        .await
        .unwrap()
        .select_by_value("review")
        .await
        .unwrap();
    u.click(Locator::XPath(
        "//section[@id='workflow']//button[normalize-space()='Move']",
    ))
    .await;
    assert!(
        u.text("ol.steps li[aria-current=step]")
            .await
            .starts_with("Review")
    );
    assert_eq!(
        u.buttons().await,
        [
            "Request review",
            "Request final approval",
            "Abandon",
            "Reset",
            "Schedule reset"
        ]
    );
    u.press("Request review").await;
    assert_eq!(u.badge().await, "WAITING FOR FEEDBACK");
    // The owner reviews nothing: no feedback form.
    assert!(
        u.c.find_all(Locator::Css("form[action$='/signoff/feedback']"))
            .await
            .unwrap()
            .is_empty()
    );
    u.sign_out().await;

    // Each reviewer sees their own group's form and nothing they may not do.
    for (user, group, verdict, shown) in [
        ("itops", "it_ops", "approved", "APPROVED"),
        ("risk1", "risk", "minor", "MINOR ISSUE"),
        ("biz", "business", "approved", "APPROVED"),
    ] {
        u.sign_in(&secrets[user], &version).await;
        assert_eq!(u.buttons().await, ["Give feedback", "Delegate"], "{user}");
        let forms =
            u.c.find_all(Locator::Css(
                "form[action$='/signoff/feedback'] input[name=group]",
            ))
            .await
            .unwrap();
        assert_eq!(forms.len(), 1);
        assert_eq!(
            forms[0].attr("value").await.unwrap().as_deref(),
            Some(group)
        );
        u.feedback(group, verdict, &format!("checked by {user}"))
            .await;
        let panel = u.text("#signoff-review").await;
        assert!(panel.contains(&format!("{shown} by {user}")), "{panel}");
        u.sign_out().await;
    }

    // A refused action is explained next to the panel that caused it.
    // (risk1 reviewed: a used slot is not offered for delegation.)
    u.sign_in(&secrets["risk1"], &version).await;
    assert_eq!(u.buttons().await, ["Update feedback"]);
    u.sign_out().await;
    u.sign_in(&secrets["risk2"], &version).await;
    u.fill("dg-review-risk", "nobody").await;
    u.press("Delegate").await;
    assert!(
        u.text("#error-signoff-review")
            .await
            .contains("user `nobody`")
    );
    u.sign_out().await;

    // The owner asks for the final approval, but may not give it (`not requester`).
    u.sign_in(&secrets["owner"], &version).await;
    u.press("Request final approval").await;
    assert_eq!(u.badge().await, "WAITING FOR APPROVAL");
    let owner_buttons = u.buttons().await;
    assert!(
        !owner_buttons.iter().any(|b| b == "Approve"),
        "{owner_buttons:?}"
    );
    // Next to it, "why?" says why not: the owner requested the review.
    u.click(Locator::Css(&format!(
        "#signoff-review .why-not a[href='/items/{version}/explain?action=approve&step=review']"
    )))
    .await;
    let why =
        u.c.find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    assert!(why.contains("Why you may not approve"), "{why}");
    assert!(
        why.contains("`not requester`: `owner` requested this review (event #"),
        "{why}"
    );
    assert!(
        why.contains("final approval of step `review` → `project.field final_approvers`"),
        "{why}"
    );
    u.c.goto(&format!("{}/items/{version}", u.base))
        .await
        .unwrap();
    u.sign_out().await;

    // The approver finds it under "My reviews" and approves it.
    u.sign_in(&secrets["approver"], &version).await;
    assert_eq!(
        u.buttons().await,
        [
            "Back to feedback",
            "Approve",
            "Reject",
            "Delegate",
            "Abandon",
            "Reset",
            "Schedule reset"
        ]
    );
    u.c.goto(&format!("{}/reviews", u.base)).await.unwrap();
    u.click(Locator::LinkText("v1")).await;
    // Every group has its review: the decision form warns of nothing.
    assert!(
        u.c.find_all(Locator::Css(
            "#signoff-review .missing-feedback, #signoff-review .major-issues"
        ))
        .await
        .unwrap()
        .is_empty()
    );
    screenshot("signoff-panel.png", &u.c.screenshot().await.unwrap());
    u.fill("decision-review-comment", "fit for production")
        .await;
    u.press("Approve").await;
    assert_eq!(u.badge().await, "APPROVED");
    assert!(u.text("#deploy").await.contains("ALLOW"));
    // A decided sign-off can still be changed by its approver, but not
    // approved again.
    assert_eq!(
        u.buttons().await,
        ["Reject", "Abandon", "Reset", "Schedule reset"]
    );
    // The control coverage report, as auditors read it.
    u.c.goto(&format!("{}/reports/controls", u.base))
        .await
        .unwrap();
    let report = u.text("main").await;
    assert!(
        report.contains("Control coverage") && report.contains("Human oversight"),
        "{report}"
    );
    assert!(report.contains("signoff review: APPROVED"), "{report}");
    screenshot("controls-report.png", &u.c.screenshot().await.unwrap());
    u.c.goto(&format!("{}/items/{version}", u.base))
        .await
        .unwrap();
    // The page from its top: step bar, then the sign-off panel.
    u.c.goto(&format!("{}/items/{version}", u.base))
        .await
        .unwrap();
    screenshot("item-page.png", &u.c.screenshot().await.unwrap());

    // The timeline tells the story in words.
    u.c.goto(&format!("{}/items/{version}/timeline", u.base))
        .await
        .unwrap();
    let timeline = u.text("ol.timeline").await;
    assert!(
        timeline.contains("approver approve on the sign-off of step review"),
        "{timeline}"
    );
    assert!(timeline.contains("fit for production"), "{timeline}");

    // A refused form keeps what was typed, with the error next to its field;
    // a project needs no parent from the form, as from the CLI.
    u.c.goto(&format!("{}/items?blueprint=project", u.base))
        .await
        .unwrap();
    u.fill("new-name", "Fraud").await;
    u.fill("f-owner", "nobody").await;
    u.fill("f-description", "cards seen twice").await;
    u.click(Locator::XPath(
        "//section[@id='create']//button[normalize-space()='Create']",
    ))
    .await;
    let next_to_owner = "//div[contains(@class,'field')][.//*[@id='f-owner']]/following-sibling::*[1][@id='error-create']";
    assert!(
        u.c.find(Locator::XPath(next_to_owner))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("no user `nobody`")
    );
    let value_of = |id: &'static str| {
        let c = u.c.clone();
        async move {
            c.find(Locator::Id(id))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default()
        }
    };
    assert_eq!(value_of("new-name").await, "Fraud");
    assert_eq!(value_of("f-owner").await, "nobody");
    assert_eq!(value_of("f-description").await, "cards seen twice");
    screenshot("refused-form.png", &u.c.screenshot().await.unwrap());
    u.c.find(Locator::Id("f-owner"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    u.fill("f-owner", "owner").await;
    u.click(Locator::XPath(
        "//section[@id='create']//button[normalize-space()='Create']",
    ))
    .await;
    assert_eq!(u.text("h1").await.split(' ').next(), Some("Fraud"));
    for (field, value) in [("f-value", "2"), ("f-feasibility", "5"), ("f-risk", "1")] {
        u.fill(field, value).await;
    }
    u.press_in("fields", "Save fields").await;

    // The matrix: a linked point per rated project; Fraud shares Churn's
    // cell, and the two are stacked, each still readable and a link.
    u.c.goto(&format!("{}/matrix", u.base)).await.unwrap();
    let points =
        u.c.find_all(Locator::Css("svg.matrix a circle"))
            .await
            .unwrap();
    assert_eq!(points.len(), 3);
    let mut centres = Vec::new();
    for p in &points {
        centres.push((p.attr("cx").await.unwrap(), p.attr("cy").await.unwrap()));
    }
    centres.sort();
    centres.dedup();
    assert_eq!(
        centres.len(),
        3,
        "no two points drawn on one another: {centres:?}"
    );
    screenshot("matrix.png", &u.c.screenshot().await.unwrap());
    u.click(Locator::LinkText("Churn")).await;
    assert_eq!(u.text("h1").await.split(' ').next(), Some("Churn"));

    // What the browser did is what the engine holds.
    let status = s.quiet(&["--json", "status", &version]).json();
    assert_eq!(status["signoffs"][0]["status"], "APPROVED");
    assert_eq!(status["signoffs"][0]["decision"]["by"], "approver");
    assert_eq!(
        status["signoffs"][0]["feedback"][1]["reviews"][0]["verdict"],
        "MINOR_ISSUE"
    );

    // A reset is deliberate: a second page says what it undoes and asks why.
    u.c.goto(&format!("{}/items/{version}", u.base))
        .await
        .unwrap();
    u.press("Reset").await;
    assert_eq!(u.text("h1").await, "Confirm: reset");
    assert!(
        u.text("#confirm")
            .await
            .contains("archives the current reviews")
    );
    assert_eq!(
        status_of(&s, &version),
        "APPROVED",
        "nothing is reset before the confirmation"
    );
    u.fill("confirm-reason", "the training data changed").await;
    u.click(Locator::XPath(
        "//button[normalize-space()='Confirm: reset']",
    ))
    .await;
    assert_eq!(u.badge().await, "NOT STARTED");
    let timeline = {
        u.c.goto(&format!("{}/items/{version}/timeline", u.base))
            .await
            .unwrap();
        u.text("ol.timeline").await
    };
    assert!(timeline.contains("the training data changed"), "{timeline}");
    client.close().await.unwrap();
    let history = s.quiet(&["--json", "item", "history", &version]).json();
    let reset = history
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["action"] == "signoff.reset")
        .unwrap();
    assert_eq!(reset["details"]["reason"], "the training data changed");
    s.quiet(&["audit", "verify"]);
}

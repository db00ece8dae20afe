//! The web UI of `govrt serve`: a full sign-off by five users in headless
//! Chromium (through ChromeDriver) with JavaScript disabled, checking that
//! each user sees only the actions they may take, with screenshots of the
//! item page and the matrix; and, over plain HTTP, the session cookie, CSRF
//! protection and sign-in errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

mod support;

use std::path::{Path, PathBuf};

use fantoccini::{Client, Locator};
use support::browser::{Driver, click};
use support::{Daemon, Sandbox, get_page, post_form};

/// The standard world, rated projects for the matrix, and a model version.
fn world(s: &Sandbox) -> (String, String) {
    let (project, model) = s.standard_world();
    s.quiet(&[
        "--as",
        "owner",
        "item",
        "set",
        &project,
        "value=4",
        "feasibility=3",
        "risk=2",
    ]);
    s.quiet(&[
        "--as",
        "owner",
        "item",
        "create",
        "project",
        "Churn",
        "--set",
        "owner=owner",
        "--set",
        "value=2",
        "--set",
        "feasibility=5",
        "--set",
        "risk=5",
    ]);
    let version = s.model_version(&model, "v1");
    (project, version)
}

/// A session cookie for `user`, signed in over plain HTTP.
fn sign_in(port: u16, secret: &str) -> String {
    let (cookie, set) = support::sign_in(port, secret);
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    cookie
}

/// Every input a user fills has a label naming it; returns how many there are.
fn assert_labelled(page: &str) -> usize {
    let mut controls = 0;
    for tag in ["<input ", "<select ", "<textarea "] {
        for (at, _) in page.match_indices(tag) {
            let element = &page[at..at + page[at..].find('>').unwrap()];
            if element.contains("type=\"hidden\"") {
                continue;
            }
            let id = element
                .split("id=\"")
                .nth(1)
                .map(|r| r.split('"').next().unwrap());
            let id = id.unwrap_or_else(|| panic!("no id on {element}"));
            assert!(
                page.contains(&format!("for=\"{id}\"")),
                "no label for {element}"
            );
            controls += 1;
        }
    }
    controls
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    page[at..].split('"').next().unwrap().to_string()
}

#[test]
fn sessions_are_cookies_and_forms_need_their_csrf_secret() {
    let s = Sandbox::new("web-http");
    let (_, version) = world(&s);
    let owner = s.token("owner");
    let d = Daemon::start(&s, &[]);

    // Not signed in: every page sends to the sign-in form, which says where it returns.
    let r = get_page(d.port, &format!("/items/{version}"), None);
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location"),
        Some(format!("/login?next=%2Fitems%2F{version}").as_str())
    );
    let r = get_page(d.port, "/login?next=/items", None);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<label for=\"token\""), "{}", r.body);

    // A wrong token is refused next to the input; nothing is set.
    let r = post_form(d.port, "/login", None, &[], &[("token", "govt_nope")]);
    assert_eq!(r.status, 401);
    assert!(
        r.body.contains("id=\"error-token\"") && r.body.contains("not a user token"),
        "{}",
        r.body
    );
    assert!(r.header("set-cookie").is_none());

    // An off-site `next` is not followed.
    let r = post_form(
        d.port,
        "/login",
        None,
        &[],
        &[("token", &owner), ("next", "//evil.example/")],
    );
    assert_eq!(r.header("location"), Some("/items"));

    let cookie = sign_in(d.port, &owner);
    let page = get_page(d.port, &format!("/items/{version}"), Some(&cookie));
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(
        !page.body.contains("<script"),
        "the pages carry no JavaScript"
    );
    let csrf = csrf_of(&page.body);
    let request = format!("/items/{version}/signoff/request-review");
    let request_review = || {
        post_form(
            d.port,
            &request,
            Some(&cookie),
            &[],
            &[("step", "review"), ("csrf", &csrf)],
        )
    };

    // Without the form's secret, or from another site, nothing happens.
    let r = post_form(d.port, &request, Some(&cookie), &[], &[("step", "review")]);
    assert_eq!(r.status, 403);
    let r = post_form(
        d.port,
        &request,
        Some(&cookie),
        &[("Origin", "http://evil.example")],
        &[("step", "review"), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 403);
    let status = s.quiet(&["--json", "status", &version]).json();
    assert_eq!(status["signoffs"][0]["status"], "NOT_STARTED");

    // With it, the action is done and the browser is sent back to the panel.
    let r = request_review();
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("/items/{version}#signoff-review").as_str())
    );
    let status = s.quiet(&["--json", "status", &version]).json();
    assert_eq!(status["signoffs"][0]["status"], "WAITING_FOR_FEEDBACK");
    let history = s.quiet(&["--json", "item", "history", &version]).json();
    assert_eq!(
        history.as_array().unwrap().last().unwrap()["actor"],
        "owner"
    );

    // A refusal comes back as the page, with the engine's words by the panel.
    let r = request_review();
    assert_eq!(r.status, 409);
    assert!(r.body.contains("id=\"error-signoff-review\""), "{}", r.body);
    assert!(r.body.contains("WAITING_FOR_FEEDBACK"), "{}", r.body);

    // A stale form (an older revision) is refused, not applied over newer data.
    let r = post_form(
        d.port,
        &format!("/items/{version}/fields"),
        Some(&cookie),
        &[],
        &[
            ("csrf", &csrf),
            ("revision", "1"),
            ("f.description", "late edit"),
        ],
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("id=\"error-fields\""), "{}", r.body);

    // The list per blueprint shows step, sign-off state and deploy decision, and filters.
    let list = get_page(d.port, "/items?blueprint=model_version", Some(&cookie));
    assert_eq!(list.status, 200);
    assert!(assert_labelled(&list.body) > 0);
    assert!(
        list.body
            .contains(&format!("href=\"/items/{version}\">v1</a>")),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("WAITING FOR FEEDBACK") && list.body.contains("badge d-BLOCK"),
        "{}",
        list.body
    );
    let none = get_page(
        d.port,
        "/items?blueprint=model_version&state=APPROVED",
        Some(&cookie),
    );
    assert!(
        none.body.contains("No item matches.") && none.body.contains("0 items on this page"),
        "{}",
        none.body
    );
    // Creating an item with typed fields; a bad value is shown by the form.
    let model = s.quiet(&["--json", "item", "show", &version]).json()["parent"]
        .as_str()
        .unwrap()
        .to_string();
    // The tree opens a level at a time; a node's page nests the path to it:
    // project → model → version.
    let top = get_page(d.port, "/tree", Some(&cookie));
    assert!(
        top.body.contains(">Fraud scoring<") && !top.body.contains(">v1<"),
        "{}",
        top.body
    );
    let tree = get_page(d.port, &format!("/tree?parent={model}"), Some(&cookie));
    let (fraud, scorer, v1) = (
        tree.body.find(">Fraud scoring<").unwrap(),
        tree.body.find(">Scorer<").unwrap(),
        tree.body.find(">v1<").unwrap(),
    );
    assert!(fraud < scorer && scorer < v1);
    assert_eq!(
        tree.body.matches("<ul class=\"tree\">").count(),
        3,
        "{}",
        tree.body
    );
    let create_v2 = |fields: &[(&str, &str)]| {
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("blueprint", "model_version"),
            ("name", "v2"),
            ("parent", model.as_str()),
        ];
        form.extend_from_slice(fields);
        post_form(d.port, "/items", Some(&cookie), &[], &form)
    };
    let r = create_v2(&[("f.risk_tier", "extreme")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("id=\"error-create\"") && r.body.contains("extreme"),
        "{}",
        r.body
    );
    let r = create_v2(&[("f.risk_tier", "high"), ("f.owner", "owner")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let v2 = r
        .header("location")
        .unwrap()
        .trim_start_matches("/items/")
        .to_string();
    let shown = s.quiet(&["--json", "item", "show", &v2]).json();
    assert_eq!(shown["fields"]["risk_tier"], "high");
    let page = get_page(d.port, &format!("/items/{v2}"), Some(&cookie));
    assert!(
        page.body
            .contains("<select id=\"f-risk_tier\" name=\"f.risk_tier\">"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<option value=\"high\" selected>"),
        "{}",
        page.body
    );

    // Someone without write permission reads the fields and gets no form buttons.
    let outsider = s.token("outsider");
    let outsider = sign_in(d.port, &outsider);
    let page = get_page(d.port, &format!("/items/{v2}"), Some(&outsider));
    assert!(
        page.body
            .contains("<output id=\"f-risk_tier\">high</output>"),
        "{}",
        page.body
    );
    for hidden in [
        "Save fields",
        "Request review",
        "Advance to the next step",
        "Give feedback",
    ] {
        assert!(
            !page.body.contains(hidden),
            "an outsider is offered `{hidden}`"
        );
    }

    // Every page of every kind of item renders, with or without a workflow.
    let initiative = s
        .quiet(&[
            "--as",
            "owner",
            "item",
            "create",
            "business_initiative",
            "Growth",
        ])
        .stdout
        .trim()
        .to_string();
    let project = s.quiet(&["--json", "item", "show", &model]).json()["parent"]
        .as_str()
        .unwrap()
        .to_string();
    let bundle = s
        .quiet(&[
            "--as", "owner", "item", "create", "bundle", "B1", "--parent", &project,
        ])
        .stdout
        .trim()
        .to_string();
    for id in [&initiative, &project, &model, &version, &v2, &bundle] {
        for page in [format!("/items/{id}"), format!("/items/{id}/timeline")] {
            let r = get_page(d.port, &page, Some(&cookie));
            assert_eq!(r.status, 200, "{page}: {}", r.body);
            assert_labelled(&r.body);
        }
    }
    // A blueprint without a matrix is explained next to the views there are.
    let r = get_page(d.port, "/matrix?blueprint=model_version", Some(&cookie));
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(
        r.body.contains("id=\"error-matrix\"") && r.body.contains("Project qualification"),
        "{}",
        r.body
    );
    for page in ["/reviews", "/matrix", "/tree", "/items?q=v"] {
        let r = get_page(d.port, page, Some(&cookie));
        assert_eq!(r.status, 200, "{page}: {}", r.body);
    }
    let r = get_page(d.port, "/items/999999", Some(&cookie));
    assert_eq!(r.status, 404, "{}", r.body);

    // Long lists come in pages of 100, the filter kept in the links.
    // On a thread of its own: a PostgreSQL client may not block the test's runtime.
    std::thread::scope(|scope| {
        scope.spawn(|| bulk(&s, &model));
    });
    fn bulk(s: &Sandbox, model: &str) {
        let mut engine =
            govrt::engine::Engine::open(&s.db(), govrt::store::Durability::Normal).unwrap();
        let owner = engine.identify_user("owner").unwrap();
        let model: i64 = model.parse().unwrap();
        for i in 0..100 {
            engine
                .create_item(
                    &owner,
                    "model_version",
                    &format!("bulk {i}"),
                    Some(model),
                    &[],
                    None,
                )
                .unwrap();
        }
    }
    let first = get_page(d.port, "/items?blueprint=model_version", Some(&cookie));
    assert!(
        first.body.contains("100 items on this page"),
        "{}",
        first.body
    );
    let start = first
        .body
        .find("href=\"/items?blueprint=model_version&amp;after=")
        .unwrap();
    let next: String = first.body[start + 6..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let second = get_page(d.port, &next.replace("&amp;", "&"), Some(&cookie));
    assert!(
        second.body.contains("2 items on this page")
            && second.body.contains(">bulk 99<")
            && !second.body.contains("rel=\"next\""),
        "{}",
        second.body
    );
    // Filters and orders a reviewer needs; a bad one is explained.
    let due = get_page(
        d.port,
        "/items?blueprint=model_version&sort=due",
        Some(&cookie),
    );
    assert!(due.body.contains("0 items on this page"), "{}", due.body);
    let updated = get_page(
        d.port,
        "/items?blueprint=model_version&sort=updated",
        Some(&cookie),
    );
    assert!(updated.body.find(">bulk 99<").unwrap() < updated.body.find(">bulk 0<").unwrap());
    let blocked = get_page(
        d.port,
        "/items?blueprint=model_version&deploy=prod:BLOCK&owner=owner",
        Some(&cookie),
    );
    assert!(
        blocked.body.contains("100 items on this page"),
        "{}",
        blocked.body
    );
    let r = get_page(d.port, "/items?sort=sideways", Some(&cookie));
    assert_eq!(r.status, 400, "{}", r.body);

    // Signing out ends the session on the server.
    let r = post_form(d.port, "/logout", Some(&cookie), &[], &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    let r = get_page(d.port, "/items", Some(&cookie));
    assert_eq!(r.status, 303);
    // A form posted after that leads, once signed in again, back to its item.
    let r = request_review();
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location"),
        Some(format!("/login?next=%2Fitems%2F{version}").as_str())
    );
}

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
        ["owner", "itops", "risk1", "biz", "approver"]
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
    u.sign_in(&secrets["risk1"], &version).await;
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

#[test]
fn a_failing_reviewers_hook_shows_the_item_without_actions() {
    let s = Sandbox::new("web-hook");
    std::fs::write(
        s.dir.join("h.gov"),
        r#"blueprint thing {
  script "h.rhai"
  field note: text
  permission read = everyone
  permission write = everyone
  workflow {
    step review "Review" {
      signoff "Check" {
        feedback a "A" { reviewers = user "v" }
        final { reviewers = user "v" }
      }
    }
  }
}
"#,
    )
    .unwrap();
    std::fs::write(
        s.dir.join("h.rhai"),
        "fn reviewers(item, step, group) { throw \"the directory is down\"; }\n",
    )
    .unwrap();
    s.quiet(&["init", "--blueprints", "h.gov"]);
    s.quiet(&["user", "add", "u"]);
    s.quiet(&["user", "add", "v"]);
    let id = s
        .quiet(&["--as", "u", "item", "create", "thing", "T"])
        .stdout
        .trim()
        .to_string();
    let secret = s.token("u");
    let d = Daemon::start(&s, &[]);
    let cookie = sign_in(d.port, &secret);
    let page = get_page(d.port, &format!("/items/{id}"), Some(&cookie));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("id=\"error-page\"") && page.body.contains("the directory is down"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Request review"), "{}", page.body);
}

/// The state of the first sign-off of an item, read through the CLI.
fn status_of(s: &Sandbox, item: &str) -> String {
    let status = s.quiet(&["--json", "status", item]).json();
    status["signoffs"][0]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_session_is_known_to_every_daemon_and_survives_a_restart() {
    let s = Sandbox::new("web-replicas");
    world(&s);
    let secret = s.token("owner");
    let a = Daemon::start(&s, &[]);
    let b = Daemon::start(&s, &[]);
    let cookie = sign_in(a.port, &secret);
    // Signed in through A, signed in on B.
    assert_eq!(get_page(b.port, "/items", Some(&cookie)).status, 200);
    // A restart signs nobody out.
    drop(a);
    let a = Daemon::start(&s, &[]);
    assert_eq!(get_page(a.port, "/items", Some(&cookie)).status, 200);
    // Signing out on B ends the session on A too.
    let page = get_page(b.port, "/items", Some(&cookie));
    let r = post_form(
        b.port,
        "/logout",
        Some(&cookie),
        &[],
        &[("csrf", &csrf_of(&page.body))],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(get_page(a.port, "/items", Some(&cookie)).status, 303);
    // Revoking the token ends every session it began.
    let again = sign_in(a.port, &secret);
    assert_eq!(get_page(b.port, "/items", Some(&again)).status, 200);
    let tokens = s
        .quiet(&["--json", "token", "list", "--user", "owner"])
        .json();
    let id = tokens[0]["id"].to_string();
    s.quiet(&["token", "revoke", &id]);
    assert_eq!(get_page(b.port, "/items", Some(&again)).status, 303);
}

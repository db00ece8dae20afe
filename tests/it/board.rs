//! The board of a blueprint in the web UI: its steps as columns, a card per
//! item with its sign-off state and a badge when the workflow is locked, a
//! step that does not apply to the card never offered, and moves made with
//! a plain form by the workflow's rules and revision check — over HTTP, and
//! in headless Chromium with JavaScript disabled, a refused move showing its
//! reason on the card.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::browser::{Driver, click};
use crate::support::{Daemon, Sandbox, get_page, post_form, sign_in};
use fantoccini::Locator;

fn revision(s: &Sandbox, item: &str) -> String {
    s.quiet(&["--json", "--as", "owner", "item", "show", item])
        .json()["revision"]
        .to_string()
}

fn step(s: &Sandbox, item: &str) -> String {
    s.quiet(&["--json", "--as", "owner", "status", item]).json()["item"]["step"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The HTML of one card on a board page.
fn card<'a>(page: &'a str, item: &str) -> &'a str {
    let start = page
        .find(&format!("<article class=\"tile\" id=\"card-{item}\""))
        .unwrap_or_else(|| panic!("no card {item}: {page}"));
    let end = page[start..].find("</article>").unwrap() + start;
    &page[start..end]
}

/// The column (its `aria-label`) a card is in.
fn column_of(page: &str, item: &str) -> String {
    let at = page
        .find(&format!("id=\"card-{item}\""))
        .unwrap_or_else(|| panic!("no card {item}"));
    let open = page[..at]
        .rfind("<section class=\"column\" aria-label=\"")
        .unwrap()
        + 36;
    page[open..].split('"').next().unwrap().to_string()
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    page[at..].split('"').next().unwrap().to_string()
}

#[test]
fn the_board_moves_cards_by_the_workflow_rules() {
    let mut s = Sandbox::new("board-http");
    let (_, model) = s.standard_world();
    let low = s.reviewed_version(&model, "low one", "low");
    let high = s.reviewed_version(&model, "high one", "high");
    let fresh = s.model_version(&model, "fresh one");
    let locked = s.model_version(&model, "rejected one");
    s.ok(&["--as", "owner", "item", "move", &locked, "review"]);
    s.ok(&["--as", "owner", "signoff", "request-final", &locked]);
    s.ok(&[
        "--as",
        "approver",
        "signoff",
        "reject",
        &locked,
        "--comment",
        "no",
    ]);
    let d = Daemon::start(&s, &[]);
    let (cookie, _) = sign_in(d.port, &s.token("owner"));

    let page = get_page(d.port, "/board?blueprint=model_version", Some(&cookie));
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("<h1>Board: Model version</h1>"), "{body}");
    assert!(body.contains("href=\"/board\" aria-current=\"page\""));
    for column in [
        "Exploration",
        "Qualification",
        "In progress",
        "Review",
        "Independent validation",
        "Deployed",
        "Finished",
    ] {
        assert!(
            body.contains(&format!(
                "<section class=\"column\" aria-label=\"{column}\">"
            )),
            "{column}: {body}"
        );
    }
    assert_eq!(column_of(body, &low), "Review");
    assert_eq!(column_of(body, &fresh), "Exploration");
    // The sign-off state on the card; the independent validation is offered
    // to the high-risk version only.
    assert!(card(body, &low).contains("badge s-APPROVED"));
    assert!(!card(body, &low).contains("value=\"validation\""));
    assert!(card(body, &high).contains("value=\"validation\""));
    assert!(card(body, &locked).contains("workflow locked"));
    assert!(card(body, &locked).contains("badge s-REJECTED"));
    let csrf = csrf_of(body);

    // A move as any other: to Deployed, passing the validation that does not apply.
    let r = post_form(
        d.port,
        "/board/move",
        Some(&cookie),
        &[],
        &[
            ("csrf", &csrf),
            ("item", &low),
            ("revision", &revision(&s, &low)),
            ("blueprint", "model_version"),
            ("step", "deployed"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("/board?blueprint=model_version#card-{low}").as_str())
    );
    assert_eq!(step(&s, &low), "deployed");
    let page = get_page(d.port, "/board?blueprint=model_version", Some(&cookie));
    assert_eq!(column_of(&page.body, &low), "Deployed");

    // Refused: the high-risk version cannot pass its validation unapproved;
    // the reason is on its card, and nothing moved.
    let r = post_form(
        d.port,
        "/board/move",
        Some(&cookie),
        &[],
        &[
            ("csrf", &csrf),
            ("item", &high),
            ("revision", &revision(&s, &high)),
            ("blueprint", "model_version"),
            ("step", "deployed"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let refused = card(&r.body, &high);
    assert!(refused.contains("role=\"alert\""), "{refused}");
    assert!(
        refused.contains("step `validation` has required fields not set"),
        "{refused}"
    );
    assert_eq!(step(&s, &high), "review");
    // A stale revision is refused too: someone else changed the item since
    // the board was read.
    let seen = revision(&s, &fresh);
    s.ok(&[
        "--as",
        "owner",
        "item",
        "set",
        &fresh,
        "description=changed",
    ]);
    let r = post_form(
        d.port,
        "/board/move",
        Some(&cookie),
        &[],
        &[
            ("csrf", &csrf),
            ("item", &fresh),
            ("revision", &seen),
            ("blueprint", "model_version"),
            ("step", "qualification"),
        ],
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(card(&r.body, &fresh).contains("revision"), "{}", r.body);
    assert_eq!(step(&s, &fresh), "exploration");

    // A reader who may not write sees the cards without forms.
    let (other, _) = sign_in(d.port, &s.token("outsider"));
    let page = get_page(d.port, "/board?blueprint=model_version", Some(&other));
    assert!(card(&page.body, &fresh).contains("Read only"));
    assert!(!page.body.contains("action=\"/board/move\""));
    // A blueprint without a workflow has no board.
    let page = get_page(d.port, "/board?blueprint=model", Some(&cookie));
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("has no workflow"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(govrt_has_chromium),
    ignore = "needs Debian's chromium and chromium-driver; .ci/run installs them"
)]
async fn a_card_moves_in_a_real_browser_without_javascript() {
    let s = Sandbox::new("board-browser");
    let (_, model) = s.standard_world();
    let high = s.reviewed_version(&model, "high one", "high");
    let fresh = s.model_version(&model, "fresh one");
    let d = Daemon::start(&s, &[]);
    let secret = s.token("owner");
    let Some(driver) = Driver::start(&s.dir) else {
        return;
    };
    let c = driver.browser().await;
    let base = format!("http://127.0.0.1:{}", d.port);
    c.goto(&format!("{base}/board?blueprint=model_version"))
        .await
        .unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    c.find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(&secret)
        .await
        .unwrap();
    click(&c, Locator::Css("main button[type=submit]")).await;
    assert_eq!(c.current_url().await.unwrap().path(), "/board");

    // Move the fresh version to Review with its card's form.
    c.find(Locator::Id(&format!("move-{fresh}")))
        .await
        .unwrap()
        .select_by_value("review")
        .await
        .unwrap();
    click(
        &c,
        Locator::XPath(&format!(
            "//article[@id='card-{fresh}']//button[normalize-space()='Move']"
        )),
    )
    .await;
    let column = c
        .find(Locator::XPath(&format!(
            "//article[@id='card-{fresh}']/ancestor::section[1]"
        )))
        .await
        .unwrap()
        .attr("aria-label")
        .await
        .unwrap();
    assert_eq!(column.as_deref(), Some("Review"));
    assert_eq!(step(&s, &fresh), "review");

    // A refused move: the reason is shown on the card.
    c.find(Locator::Id(&format!("move-{high}")))
        .await
        .unwrap()
        .select_by_value("deployed")
        .await
        .unwrap();
    click(
        &c,
        Locator::XPath(&format!(
            "//article[@id='card-{high}']//button[normalize-space()='Move']"
        )),
    )
    .await;
    let why = c
        .find(Locator::Css(&format!("#card-{high} [role=alert]")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(why.starts_with("Refused:"), "{why}");
    assert!(why.contains("validation"), "{why}");
    assert_eq!(step(&s, &high), "review");

    // At 1400 px the whole board is in view: every column side by side,
    // none past the window's right edge.
    c.set_window_size(1400, 1000).await.unwrap();
    c.refresh().await.unwrap();
    let width = c
        .find(Locator::Css("html"))
        .await
        .unwrap()
        .rectangle()
        .await
        .unwrap()
        .2;
    assert!(width <= 1400.0, "{width}");
    let columns = c.find_all(Locator::Css("section.column")).await.unwrap();
    assert!(columns.len() >= 7, "{}", columns.len());
    let mut tops = Vec::new();
    for column in &columns {
        let (x, y, w, _) = column.rectangle().await.unwrap();
        assert!(
            x >= 0.0 && x + w <= width,
            "a column at {x}+{w} of {width} px"
        );
        tops.push(y);
    }
    assert!(
        tops.iter().all(|y| *y == tops[0]),
        "columns wrapped: {tops:?}"
    );
    for tile in c.find_all(Locator::Css("article.tile")).await.unwrap() {
        let (x, _, w, _) = tile.rectangle().await.unwrap();
        assert!(x + w <= width, "a card at {x}+{w} of {width} px");
    }
    c.close().await.unwrap();
}

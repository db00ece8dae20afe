//! The web UI of `govrt serve` over plain HTTP: the session cookie, CSRF
//! protection and sign-in errors, an item whose reviewers hook fails, and
//! sessions shared by several daemons (the full sign-off in a real browser
//! is in `web_browser.rs`).
//! Security headers and cookies; an unreadable item looks like a missing one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::web::world;
use crate::support::{Daemon, Sandbox, get_page, http, post_form, post_login};
use serde_json::json;

/// A session cookie for `user`, signed in over plain HTTP.
fn sign_in(port: u16, secret: &str) -> String {
    let (cookie, set) = crate::support::sign_in(port, secret);
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
    let r = post_login(d.port, &[("token", "govt_nope")]);
    assert_eq!(r.status, 401);
    assert!(
        r.body.contains("id=\"error-token\"") && r.body.contains("not a user token"),
        "{}",
        r.body
    );
    assert!(r.header("set-cookie").is_none());

    // An off-site `next` is not followed.
    let r = post_login(d.port, &[("token", &owner), ("next", "//evil.example/")]);
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

#[test]
fn headers_cookies_and_missing_looking_unreadable_items() {
    let s = Sandbox::new("hard-headers");
    std::fs::write(
        s.dir.join("secret.gov"),
        "blueprint vault {\n  field owner: user\n  role owner = field owner\n  permission read = role owner\n  permission write = role owner\n}\nblueprint note {\n  parent vault\n}\n",
    )
    .unwrap();
    s.quiet(&["init", "--blueprints", "secret.gov"]);
    s.quiet(&["user", "add", "alice"]);
    s.quiet(&["user", "add", "bob"]);
    let vault = s
        .quiet(&[
            "--as",
            "alice",
            "item",
            "create",
            "vault",
            "V",
            "--set",
            "owner=alice",
        ])
        .stdout
        .trim()
        .to_string();
    let bob = s.token("bob");
    let d = Daemon::start(&s, &["--secure-cookies"]);
    // Unreadable answers like missing, everywhere.
    let unreadable = http(
        d.port,
        "GET",
        &format!("/api/v1/items/{vault}"),
        Some(&bob),
        &[],
        None,
    );
    let missing = http(d.port, "GET", "/api/v1/items/9999", Some(&bob), &[], None);
    assert_eq!((unreadable.status, missing.status), (404, 404));
    let as_parent = |parent: &str| {
        http(
            d.port,
            "POST",
            "/api/v1/items",
            Some(&bob),
            &[],
            Some(&json!({"blueprint": "note", "name": "n", "parent": parent})),
        )
    };
    let (a, b) = (as_parent(&vault), as_parent("9999"));
    assert_eq!((a.status, b.status), (404, 404));
    assert_eq!(a.json()["error"]["message"], format!("no item {vault}"));
    let patch = http(
        d.port,
        "PATCH",
        &format!("/api/v1/items/{vault}"),
        Some(&bob),
        &[],
        Some(&json!({"set": {"owner": "bob"}})),
    );
    assert_eq!(patch.status, 404);
    // Headers on pages, the API and the unsubscribe page.
    for (path, token) in [
        ("/login", None),
        ("/api/v1/items", Some(bob.as_str())),
        ("/unsubscribe?user=bob&item=1&token=x", None),
    ] {
        let r = http(d.port, "GET", path, token, &[], None);
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("referrer-policy"), Some("same-origin"), "{path}");
        if path != "/api/v1/items" {
            assert!(r.header("content-security-policy").is_some(), "{path}");
        }
    }
    let (_, cookie) = crate::support::sign_in(d.port, &bob);
    assert!(cookie.contains("; Secure"), "{cookie}");
}

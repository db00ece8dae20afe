//! Field-level permissions (`read = …`, `write = …`): a reader without the
//! read permission sees no trace of a field's value — not in `item show`,
//! status, lists, history, a table, a hook's refusal, the API, the web UI's
//! item page and timeline, or mail — while those who may read it see it; a
//! write without the permission is refused with a clear error from the CLI,
//! the API and the web UI.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Daemon, Sandbox, get_page, http, post_form, sign_in};

/// The value only the risk group and the owner may read.
const SECRET: &str = "Bankrupt-Vendor-77";

/// A set with restricted fields, its users, and a case whose notes the
/// risk officer wrote; the case's id.
fn world(s: &mut Sandbox) -> String {
    let dir = s.dir.join("set");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("cases.gov"),
        r#"blueprint case "Case" {
  script "case.rhai"
  field owner: user "Owner"
  /// Findings of the risk office: not for every reader.
  field notes: text "Risk notes" read = group "risk", role owner  write = group "risk"
  field reviewers: [principal] "Reviewers" write = group "admins"
  field amount: number "Amount"
  role owner = field owner
  permission read = everyone
  permission write = role owner, group "risk", group "editors"
  workflow {
    step intake "Intake"
    step deep "Deep review" {
      when notes is set disclosed
      signoff { final { reviewers = group "risk" } }
    }
    step done "Done"
  }
}

table noted "Cases with notes" {
  blueprint case
  columns name, notes, amount
  filter notes is set
}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("case.rhai"),
        "fn validate(item) { if item.fields.amount != () && item.fields.amount > 100.0 { [`amount too high given the notes: ${item.fields.notes}`] } else { [] } }\n",
    )
    .unwrap();
    s.ok(&["validate", "set", "--deny-warnings"]);
    s.ok(&["init", "--blueprints", "set"]);
    for u in ["ann", "rita", "carol", "dave"] {
        s.quiet(&["user", "add", u, "--email", &format!("{u}@example.com")]);
    }
    s.quiet(&["user", "add", "admin", "--admin"]);
    s.quiet(&["group", "add", "risk", "--member", "rita"]);
    s.quiet(&["group", "add", "editors", "--member", "carol"]);
    let case = s
        .ok(&[
            "--as",
            "ann",
            "item",
            "create",
            "case",
            "Vendor X",
            "--set",
            "owner=ann",
            "--set",
            "amount=10",
        ])
        .stdout
        .trim()
        .to_string();
    s.ok(&["--as", "carol", "subscribe", &case]);
    write_secret(s, &case);
    case
}

/// The risk officer writes the secret notes on the case.
fn write_secret(s: &mut Sandbox, case: &str) {
    let notes = format!("notes={SECRET}");
    s.ok(&["--as", "rita", "item", "set", case, &notes]);
}

fn json_of(s: &Sandbox, who: &str, args: &[&str]) -> String {
    let mut all = vec!["--json", "--as", who];
    all.extend_from_slice(args);
    let r = s.quiet(&all);
    assert_eq!(r.code, 0, "{all:?}: {}", r.stderr);
    r.stdout
}

#[test]
fn a_reader_without_the_permission_sees_no_trace_of_the_value() {
    let mut s = Sandbox::new("fields-read");
    let case = world(&mut s);

    // The owner and the risk group read it; an editor and a reader do not.
    for who in ["ann", "rita", "admin"] {
        let shown = json_of(&s, who, &["item", "show", &case]);
        assert!(shown.contains(SECRET), "{who}: {shown}");
    }
    for who in ["carol", "dave"] {
        let item: serde_json::Value =
            serde_json::from_str(&json_of(&s, who, &["item", "show", &case])).unwrap();
        assert!(item["fields"].get("notes").is_none(), "{who}: {item}");
        assert_eq!(item["fields"]["amount"], 10.0);
        for args in [
            &["item", "show", &case][..],
            &["status", &case],
            &["item", "list", "--blueprint", "case"],
            &["item", "history", &case],
            &["table", "noted"],
        ] {
            let out = json_of(&s, who, args);
            assert!(!out.contains(SECRET), "{who} {args:?}: {out}");
        }
        let text = s.ok(&["--as", who, "item", "show", &case]).stdout;
        assert!(!text.contains(SECRET) && !text.contains("notes"), "{text}");
    }
    // The table keeps only rows whose notes the caller may read.
    let rows = |who: &str| {
        let t: serde_json::Value =
            serde_json::from_str(&json_of(&s, who, &["table", "noted"])).unwrap();
        t["rows"].as_array().unwrap().len()
    };
    assert_eq!(rows("rita"), 1);
    assert_eq!(rows("carol"), 0);
    // Read from the kept index a page at a time, the filter kept for each
    // item as the caller may read it: a second case with notes, two pages.
    let second = s
        .ok(&[
            "--as",
            "rita",
            "item",
            "create",
            "case",
            "Second",
            "--set",
            "notes=seen",
        ])
        .stdout
        .trim()
        .to_string();
    let page = |who: &str, after: Option<&str>| {
        let mut args = vec!["--limit", "1"];
        args.extend(after.map(|a| ["--after", a]).into_iter().flatten());
        s.table_rows(who, "noted", &args)
    };
    let (first, next) = page("rita", None);
    assert_eq!(first, std::slice::from_ref(&case));
    let next = next.unwrap();
    assert!(next.starts_with('w'), "a cursor of the kept index: {next}");
    assert_eq!(page("rita", Some(&next)), (vec![second], None));
    assert_eq!(page("carol", None), (vec![], None));

    // A hook's refusal naming the value is not shown to whoever may not read it.
    let r = s.expect(1, &["--as", "carol", "item", "set", &case, "amount=500"]);
    assert!(!r.stderr.contains(SECRET), "{}", r.stderr);
    assert!(
        r.stderr.contains("names a field you may not read"),
        "{}",
        r.stderr
    );
    let r = s.expect(1, &["--as", "rita", "item", "set", &case, "amount=500"]);
    assert!(r.stderr.contains(SECRET), "{}", r.stderr);

    // The step that applies because of the notes: the skip record and the
    // history say why without the value; mail carries no field values.
    s.ok(&["--as", "carol", "item", "advance", &case]);
    s.ok(&["--as", "ann", "signoff", "request-final", &case, "--notify"]);
    s.ok(&["--as", "rita", "signoff", "approve", &case]);
    let status = json_of(&s, "carol", &["status", &case]);
    assert!(status.contains("\"step\":\"deep\""), "{status}");
    assert!(!status.contains(SECRET));
    let outbox = json_of(&s, "admin", &["outbox"]);
    assert!(outbox.contains("@example.com"), "{outbox}");
    assert!(!outbox.contains(SECRET), "{outbox}");
    // A case without notes skips the deep review; its record keeps no value
    // of the restricted field.
    let other = s
        .ok(&[
            "--as",
            "ann",
            "item",
            "create",
            "case",
            "Vendor Y",
            "--set",
            "owner=ann",
        ])
        .stdout
        .trim()
        .to_string();
    s.ok(&["--as", "ann", "item", "advance", &other]);
    let history = json_of(&s, "ann", &["item", "history", &other]);
    assert!(history.contains("\"notes\":\"(restricted)\""), "{history}");
    s.ok(&["audit", "verify"]);
}

#[test]
fn a_write_without_the_permission_is_refused() {
    let mut s = Sandbox::new("fields-write");
    let case = world(&mut s);
    // The owner may write the item, not its notes.
    let r = s.expect(1, &["--as", "ann", "item", "set", &case, "notes=fine"]);
    assert!(
        r.stderr.contains("may not set field `notes` of item"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`write = group \"risk\"`"),
        "{}",
        r.stderr
    );
    // Not at creation either; an admin may.
    let r = s.expect(
        1,
        &[
            "--as",
            "ann",
            "item",
            "create",
            "case",
            "Z",
            "--set",
            "reviewers=user:ann",
        ],
    );
    assert!(r.stderr.contains("field `reviewers`"), "{}", r.stderr);
    s.ok(&["--as", "admin", "item", "set", &case, "reviewers=user:ann"]);
    // Other fields are written as the blueprint permits.
    s.ok(&["--as", "ann", "item", "set", &case, "amount=20"]);
    let r = s.expect(1, &["--as", "dave", "item", "set", &case, "amount=30"]);
    assert!(r.stderr.contains("may not edit item"), "{}", r.stderr);
    let item: serde_json::Value =
        serde_json::from_str(&json_of(&s, "rita", &["item", "show", &case])).unwrap();
    assert_eq!(item["fields"]["notes"], SECRET);
    assert_eq!(item["fields"]["amount"], 20.0);
}

#[test]
fn the_api_and_the_web_ui_enforce_field_permissions() {
    let mut s = Sandbox::new("fields-http");
    let case = world(&mut s);
    let d = Daemon::start(&s, &[]);
    let carol = s.token("carol");
    let rita = s.token("rita");
    let get = |token: &str, path: &str| http(d.port, "GET", path, Some(token), &[], None);

    let item = get(&carol, &format!("/api/v1/items/{case}"));
    assert_eq!(item.status, 200, "{}", item.body);
    assert!(
        item.json()["fields"].get("notes").is_none(),
        "{}",
        item.body
    );
    for path in [
        format!("/api/v1/items/{case}/history"),
        format!("/api/v1/items/{case}/status"),
        "/api/v1/items?blueprint=case".to_string(),
        "/api/v1/tables/noted".to_string(),
    ] {
        let r = get(&carol, &path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(!r.body.contains(SECRET), "{path}: {}", r.body);
    }
    assert!(
        get(&rita, &format!("/api/v1/items/{case}"))
            .body
            .contains(SECRET)
    );
    let patch = |token: &str, body: serde_json::Value| {
        http(
            d.port,
            "PATCH",
            &format!("/api/v1/items/{case}"),
            Some(token),
            &[],
            Some(&body),
        )
    };
    let r = patch(&carol, serde_json::json!({"set": {"notes": "mine"}}));
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("field `notes`"), "{}", r.body);
    let r = patch(
        &rita,
        serde_json::json!({"set": {"notes": "updated by risk"}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["fields"]["notes"], "updated by risk");
    write_secret(&mut s, &case);

    // The web UI: the field is absent for carol, not blank; read-only where
    // she may not set it; an input for the risk officer.
    let (cookie, _) = sign_in(d.port, &carol);
    let page = get_page(d.port, &format!("/items/{case}"), Some(&cookie));
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(SECRET));
    assert!(
        !page.body.contains("Risk notes"),
        "the field is not on the page"
    );
    assert!(page.body.contains("name=\"f.amount\""));
    assert!(
        !page.body.contains("name=\"f.reviewers\""),
        "read-only for carol"
    );
    let timeline = get_page(d.port, &format!("/items/{case}/timeline"), Some(&cookie));
    assert_eq!(timeline.status, 200);
    assert!(!timeline.body.contains(SECRET), "{}", timeline.body);
    let tables = get_page(d.port, "/tables/noted", Some(&cookie));
    assert!(!tables.body.contains(SECRET));
    // A forged form for the hidden field is refused, and changes nothing.
    let csrf = {
        let at = page.body.find("name=\"csrf\" value=\"").unwrap() + 19;
        page.body[at..].split('"').next().unwrap().to_string()
    };
    let revision = s
        .quiet(&["--json", "--as", "rita", "item", "show", &case])
        .json()["revision"]
        .to_string();
    let r = post_form(
        d.port,
        &format!("/items/{case}/fields"),
        Some(&cookie),
        &[],
        &[
            ("csrf", &csrf),
            ("revision", &revision),
            ("f.notes", "overwritten"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("field `notes`"), "{}", r.body);
    assert!(!r.body.contains(SECRET));
    let (risk, _) = sign_in(d.port, &rita);
    let page = get_page(d.port, &format!("/items/{case}"), Some(&risk));
    assert!(page.body.contains("name=\"f.notes\"") && page.body.contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(govrt_has_chromium),
    ignore = "needs Debian's chromium and chromium-driver; .ci/run installs them"
)]
async fn a_browser_shows_no_trace_of_a_hidden_field() {
    use crate::support::browser::{Driver, click};
    use fantoccini::Locator;

    let mut s = Sandbox::new("fields-browser");
    let case = world(&mut s);
    let d = Daemon::start(&s, &[]);
    let Some(driver) = Driver::start(&s.dir) else {
        return;
    };
    let c = driver.browser().await;
    let base = format!("http://127.0.0.1:{}", d.port);
    for (who, sees) in [("carol", false), ("rita", true)] {
        c.goto(&format!("{base}/items/{case}")).await.unwrap();
        c.find(Locator::Id("token"))
            .await
            .unwrap()
            .send_keys(&s.token(who))
            .await
            .unwrap();
        click(&c, Locator::Css("main button[type=submit]")).await;
        for path in [
            format!("/items/{case}"),
            format!("/items/{case}/timeline"),
            "/tables/noted".to_string(),
            "/items?blueprint=case".to_string(),
        ] {
            c.goto(&format!("{base}{path}")).await.unwrap();
            let text = c
                .find(Locator::Css("main"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if path.ends_with(&case) {
                assert_eq!(text.contains("Risk notes"), sees, "{who} {path}: {text}");
            }
            if !sees {
                assert!(!text.contains(SECRET), "{who} {path}: {text}");
                assert!(!c.source().await.unwrap().contains(SECRET), "{who} {path}");
            }
        }
        if sees {
            c.goto(&format!("{base}/items/{case}")).await.unwrap();
            assert!(c.source().await.unwrap().contains(SECRET));
        }
        click(&c, Locator::Css("header form button")).await;
    }
    c.close().await.unwrap();
}

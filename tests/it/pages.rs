//! Every list of the API in pages (`limit`, the opaque `cursor`, the next
//! one in `X-Next-Cursor`), against a real daemon: items, an item's
//! history, the reviews waiting for a user, subscriptions and users. A walk
//! through the pages sees every entry once, in the list's order, while
//! entries are added between pages; a page is full when more follow.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Daemon, Sandbox, http};
use serde_json::{Value, json};

/// Walks the pages of `path` (`limit` a page) as `token`, calling `between`
/// after the first page; returns the pages' entries and the number of pages.
fn walk(
    port: u16,
    token: &str,
    path: &str,
    limit: usize,
    mut between: impl FnMut(),
) -> (Vec<Value>, usize) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut query = format!("{path}{sep}limit={limit}");
    let (mut seen, mut pages) = (Vec::new(), 0);
    loop {
        let r = http(port, "GET", &query, Some(token), &[], None);
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        let page = r.json().as_array().unwrap().clone();
        pages += 1;
        let next = r.header("x-next-cursor").map(str::to_string);
        if next.is_some() {
            assert!(
                page.len() >= limit,
                "{query}: a page before the last is full"
            );
        }
        seen.extend(page);
        if pages == 1 {
            between();
        }
        match next {
            Some(cursor) => query = format!("{path}{sep}limit={limit}&cursor={cursor}"),
            None => break,
        }
        assert!(pages < 100, "the pages of {path} do not end");
    }
    (seen, pages)
}

fn texts(entries: &[Value], key: &str) -> Vec<String> {
    entries
        .iter()
        .map(|e| match &e[key] {
            Value::String(t) => t.clone(),
            other => other.to_string(),
        })
        .collect()
}

fn create(port: u16, token: &str, model: &str, name: &str) -> String {
    let body = json!({"blueprint": "model_version", "name": name, "parent": model});
    let r = http(port, "POST", "/api/v1/items", Some(token), &[], Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

#[test]
fn item_lists_come_in_pages_that_miss_and_repeat_nothing() {
    let s = Sandbox::new("api-pages");
    let (_, model) = s.standard_world();
    let owner = s.token("owner");
    let d = Daemon::start(&s, &[]);
    let mut expected: Vec<String> = (0..23)
        .map(|n| create(d.port, &owner, &model, &format!("v{n}")))
        .collect();
    let mut late = Vec::new();
    let path = "/api/v1/items?blueprint=model_version";
    let (seen, pages) = walk(d.port, &owner, path, 10, || {
        // Items added between pages come in a later page.
        late.extend((0..3).map(|n| create(d.port, &owner, &model, &format!("late{n}"))));
    });
    expected.extend(late);
    assert_eq!(texts(&seen, "id"), expected, "every item once, in id order");
    assert_eq!(pages, 3);
    // The whole list without a limit is one page of the default size.
    let all = http(d.port, "GET", path, Some(&owner), &[], None).json();
    assert_eq!(all.as_array().unwrap().len(), expected.len());
    for bad in [
        "limit=0",
        "limit=1001",
        "cursor=nonsense",
        "limit=ten",
        "cursor=e1",
    ] {
        let r = http(
            d.port,
            "GET",
            &format!("{path}&{bad}"),
            Some(&owner),
            &[],
            None,
        );
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "invalid_request", "{bad}");
    }
}

#[test]
fn history_reviews_subscriptions_and_users_come_in_pages() {
    let s = Sandbox::new("api-pages-lists");
    let (_, model) = s.standard_world();
    let (owner, itops, admin) = (s.token("owner"), s.token("itops"), s.token("admin"));
    let d = Daemon::start(&s, &[]);
    let port = d.port;
    let set = |item: &str, n: usize| {
        let body = json!({"set": {"description": format!("take {n}")}});
        let path = format!("/api/v1/items/{item}");
        let r = http(port, "PATCH", &path, Some(&owner), &[], Some(&body));
        assert_eq!(r.status, 200, "{}", r.body);
    };

    // An item's history: oldest first, events added meanwhile at the end.
    let item = create(port, &owner, &model, "busy");
    for n in 0..20 {
        set(&item, n);
    }
    let history = format!("/api/v1/items/{item}/history");
    let (events, pages) = walk(port, &owner, &history, 6, || set(&item, 99));
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs.len(), 22, "create, 20 edits and the late one");
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(pages, 4);
    assert_eq!(
        events.last().unwrap()["details"]["fields"]["description"]["after"],
        "take 99"
    );

    // The reviews waiting for itops: one entry per waiting version.
    let mut waiting = Vec::new();
    let request = |name: &str| {
        let v = create(port, &owner, &model, name);
        let moved = http(
            port,
            "POST",
            &format!("/api/v1/items/{v}/move"),
            Some(&owner),
            &[],
            Some(&json!({"step": "review"})),
        );
        assert_eq!(moved.status, 200, "{}", moved.body);
        let r = http(
            port,
            "POST",
            &format!("/api/v1/items/{v}/signoff/request-review"),
            Some(&owner),
            &[],
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        v
    };
    for n in 0..9 {
        waiting.push(request(&format!("w{n}")));
    }
    let mut late = Vec::new();
    let (reviews, _) = walk(port, &itops, "/api/v1/reviews", 4, || {
        late.push(request("late"))
    });
    waiting.extend(late);
    assert_eq!(
        texts(&reviews, "item"),
        waiting,
        "every waiting version once, by item"
    );
    assert!(reviews.iter().all(|r| r["group"] == "it_ops"));
    // Nothing waits for the outsider, whatever the page size.
    let outsider = s.token("outsider");
    assert!(
        walk(port, &outsider, "/api/v1/reviews", 2, || {})
            .0
            .is_empty()
    );

    // Subscriptions, by item.
    for v in &waiting {
        let r = http(
            port,
            "POST",
            &format!("/api/v1/items/{v}/subscription"),
            Some(&itops),
            &[],
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let (subscribed, pages) = walk(port, &itops, "/api/v1/subscriptions", 3, || {});
    assert_eq!(texts(&subscribed, "item"), waiting);
    assert_eq!(pages, 4);

    // Users, by name; names added meanwhile after the cursor come later.
    for n in 0..12 {
        s.quiet(&["user", "add", &format!("u{n:02}")]);
    }
    let (users, _) = walk(port, &admin, "/api/v1/users", 5, || {
        s.quiet(&["user", "add", "zz-late"]);
    });
    let names = texts(&users, "name");
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted, "by name, each once");
    assert!(names.contains(&"u11".to_string()) && names.contains(&"zz-late".to_string()));
    assert_eq!(
        names.len(),
        8 + 12 + 1,
        "the standard world's eight, twelve and the late one"
    );
}

#[test]
fn the_cli_lists_come_in_pages_too() {
    let mut s = Sandbox::new("cli-pages");
    let (_, model) = s.standard_world();
    let versions: Vec<String> = (0..7)
        .map(|n| s.model_version(&model, &format!("v{n}")))
        .collect();
    // Walks `args` with `--limit 3`, following the cursor printed on stderr.
    let walk = |s: &mut Sandbox, args: &[&str], key: &str| {
        let mut after: Option<String> = None;
        let (mut seen, mut pages) = (Vec::new(), 0);
        loop {
            let mut call: Vec<&str> = vec!["--json", "--as", "owner"];
            call.extend_from_slice(args);
            call.extend_from_slice(&["--limit", "3"]);
            if let Some(a) = &after {
                call.extend_from_slice(&["--after", a]);
            }
            let run = s.ok(&call);
            let page = run.json();
            seen.extend(texts(page.as_array().unwrap(), key));
            pages += 1;
            after = run
                .stderr
                .lines()
                .find_map(|l| l.strip_prefix("next page: --after "))
                .map(str::to_string);
            if after.is_none() {
                return (seen, pages);
            }
            assert!(pages < 20);
        }
    };
    let (listed, pages) = walk(
        &mut s,
        &["item", "list", "--blueprint", "model_version"],
        "id",
    );
    assert_eq!(listed, versions);
    assert_eq!(pages, 3);
    let (history, _) = walk(&mut s, &["item", "history", &versions[0]], "seq");
    assert_eq!(history.len(), 1, "the creation");
    // A cursor of another list, or none at all, is refused; a limit of 0 is a usage error.
    s.expect(1, &["--as", "owner", "item", "list", "--after", "e1"]);
    s.expect(1, &["--as", "owner", "reviews", "--after", "nonsense"]);
    s.expect(2, &["--as", "owner", "item", "list", "--limit", "0"]);
    let reviews = s
        .ok(&["--json", "--as", "itops", "reviews", "--limit", "5"])
        .json();
    assert!(reviews.as_array().unwrap().is_empty());
}

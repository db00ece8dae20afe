//! Hardening, one test per finding of the security probe: bounded script
//! output and values, hook tests rate-limited, a permission to attach
//! children, scripts confined to their folder (and shared ones stored once),
//! security headers and cookies, unreadable items looking like missing
//! ones, and expiring unsubscribe links that act only on a POST.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::time::Duration;

use crate::support::{Daemon, Sandbox, get_page, http, sign_in};
use serde_json::json;

#[test]
fn script_output_is_bounded_and_hook_tests_are_rate_limited() {
    let s = Sandbox::new("hard-print");
    std::fs::write(
        s.dir.join("noisy.gov"),
        "blueprint thing {\n  script \"noisy.rhai\"\n  field owner: user\n}\n",
    )
    .unwrap();
    std::fs::write(
        s.dir.join("noisy.rhai"),
        "fn validate(item) { let s = \"x\"; while s.len() < 60000 { s += s; } loop { print(s); } }\n",
    )
    .unwrap();
    s.quiet(&["init", "--blueprints", "."]);
    s.quiet(&["user", "add", "bob"]);
    let token = s.token("bob");
    let log = s.dir.join("daemon.log");
    let d = Daemon::start_logging(&s, &["--blueprints", "."], Some(&log));
    let port = d.port;
    let call = || {
        http(
            port,
            "POST",
            "/api/v1/hooks/test",
            Some(&token),
            &[],
            Some(
                &json!({"function": "validate", "blueprint": "thing", "item_json": {"fields": {}}}),
            ),
        )
    };
    let first = call();
    assert_eq!(first.status, 422, "the loop is stopped: {}", first.body);
    let size = std::fs::metadata(&log).unwrap().len();
    assert!(size < 200_000, "the log grew by {size} bytes for one call");
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("output over its limit")
    );
    // An ordinary user may not keep the daemon busy with hook tests.
    let statuses: Vec<u16> = (0..40).map(|_| call().status).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    let r = call();
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["error"]["code"], "too_many_requests");
    drop(d);
}

#[test]
fn values_are_bounded_and_memory_stays_flat_under_many_large_lists() {
    let s = Sandbox::new("hard-values");
    let (_, _) = s.standard_world();
    let token = s.token("owner");
    let d = Daemon::start(&s, &[]);
    let huge = "n".repeat(1024 * 1024 - 1024);
    let r = http(
        d.port,
        "POST",
        "/api/v1/items",
        Some(&token),
        &[],
        Some(&json!({"blueprint": "project", "name": huge})),
    );
    assert_eq!(r.status, 422, "{}", &r.body[..200.min(r.body.len())]);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the limit is 200")
    );
    // The largest values allowed, many times over.
    let name = "n".repeat(200);
    let text = "t".repeat(20_000);
    for _ in 0..40 {
        let r = http(
            d.port,
            "POST",
            "/api/v1/items",
            Some(&token),
            &[],
            Some(&json!({"blueprint": "project", "name": name, "fields": {"description": text}})),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let rss = || -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", d.child.id())).unwrap();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse().ok())
            .unwrap()
    };
    let before = rss();
    let mut peak = before;
    let port = d.port;
    std::thread::scope(|scope| {
        let lists: Vec<_> = (0..48)
            .map(|_| {
                let token = token.clone();
                scope.spawn(move || {
                    http(
                        port,
                        "GET",
                        "/api/v1/items?blueprint=project",
                        Some(&token),
                        &[],
                        None,
                    )
                    .status
                })
            })
            .collect();
        while !lists.iter().all(|l| l.is_finished()) {
            peak = peak.max(rss());
            std::thread::sleep(Duration::from_millis(5));
        }
        for l in lists {
            assert_eq!(l.join().unwrap(), 200);
        }
    });
    assert!(
        peak < 400 * 1024,
        "the daemon grew from {before} kB to {peak} kB"
    );
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

#[test]
fn scripts_stay_in_their_folder_and_may_be_shared() {
    let s = Sandbox::new("hard-scripts");
    let check = |text: &str| {
        std::fs::write(s.dir.join("b.gov"), text).unwrap();
        let out = s
            .command(&["validate", "b.gov", "--format", "json"])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    for path in [
        "../../../../etc/passwd",
        "/etc/hostname",
        "sub/../../x.rhai",
    ] {
        let (code, out) = check(&format!("blueprint t {{ script \"{path}\" }}\n"));
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("gov::E0403"), "{out}");
        assert!(
            !out.contains("root:"),
            "the file's content never shows: {out}"
        );
    }
    // A link out of the folder is refused too.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/hostname", s.dir.join("link.rhai")).unwrap();
        let (code, out) = check("blueprint t { script \"link.rhai\" }\n");
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("gov::E0403"), "{out}");
    }
    // Two blueprints may share one script file: it is stored once.
    std::fs::write(s.dir.join("shared.rhai"), "fn validate(item) { [] }\n").unwrap();
    std::fs::write(
        s.dir.join("b.gov"),
        "blueprint a { script \"shared.rhai\" }\nblueprint b { script \"shared.rhai\" }\n",
    )
    .unwrap();
    std::fs::remove_file(s.dir.join("link.rhai")).ok();
    let out = s
        .command(&["init", "--blueprints", "b.gov"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let (_, cookie) = sign_in(d.port, &bob);
    assert!(cookie.contains("; Secure"), "{cookie}");
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

//! The HTTP API of `govrt serve`, with a real server on 127.0.0.1 and real
//! HTTP requests: the life of a model version and its refusals, bearer
//! authentication, and If-Match conflicts; every error in the one JSON
//! shape, authentication before anything else of a request.
//! Values are bounded, and memory stays flat under many large lists.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Daemon, Sandbox, http, http_raw};
use std::time::Duration;

use serde_json::json;

#[test]
fn life_of_a_model_version_over_http() {
    let s = Sandbox::new("api-life");
    let (_, model) = s.standard_world();
    let t: std::collections::HashMap<&str, String> = [
        "owner", "itops", "risk1", "risk2", "biz", "approver", "outsider",
    ]
    .into_iter()
    .map(|u| (u, s.token(u)))
    .collect();
    let d = Daemon::start(&s, &[]);
    let call = |who: &str, method: &str, path: &str, body: Option<serde_json::Value>| {
        http(
            d.port,
            method,
            &format!("/api/v1{path}"),
            Some(&t[who]),
            &[],
            body.as_ref(),
        )
    };

    let r = call(
        "owner",
        "POST",
        "/items",
        Some(
            json!({"blueprint": "model_version", "name": "Scorer v1", "parent": model, "fields": {"owner": "owner", "risk_tier": "high"}}),
        ),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("etag"), Some("\"1\""));
    let mv = r.json()["id"].as_str().unwrap().to_string();
    let r = call(
        "owner",
        "PATCH",
        &format!("/items/{mv}"),
        Some(json!({"set": {"intended_use": "fraud", "metrics": "AUC 0.91"}})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    for _ in 0..3 {
        assert_eq!(
            call("owner", "POST", &format!("/items/{mv}/advance"), None).status,
            200
        );
    }
    let r = call("owner", "POST", &format!("/items/{mv}/advance"), None);
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (409, Some("signoff_required"))
    );
    let sign = |who: &str, action: &str, body: serde_json::Value| {
        call(
            who,
            "POST",
            &format!("/items/{mv}/signoff/{action}"),
            Some(body),
        )
    };
    assert_eq!(sign("owner", "request-review", json!({})).status, 200);
    assert_eq!(
        sign(
            "itops",
            "feedback",
            json!({"group": "it_ops", "verdict": "approved"})
        )
        .status,
        200
    );
    assert_eq!(
        sign(
            "risk1",
            "feedback",
            json!({"group": "risk", "verdict": "minor", "comment": "drift"})
        )
        .status,
        200
    );
    let r = sign(
        "outsider",
        "feedback",
        json!({"group": "business", "verdict": "approved"}),
    );
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (403, Some("not_permitted"))
    );
    assert_eq!(
        sign(
            "biz",
            "feedback",
            json!({"group": "business", "verdict": "approved"})
        )
        .status,
        200
    );
    assert_eq!(sign("owner", "request-final", json!({})).status, 200);
    assert_eq!(sign("approver", "back-to-feedback", json!({})).status, 200);
    assert_eq!(
        sign(
            "risk1",
            "feedback",
            json!({"group": "risk", "verdict": "approved", "comment": "fixed"})
        )
        .status,
        200
    );
    assert_eq!(sign("owner", "request-final", json!({})).status, 200);
    let r = sign("owner", "approve", json!({}));
    assert_eq!(r.status, 403, "not requester: {}", r.body);
    let r = sign("approver", "approve", json!({"comment": "ok"}));
    assert_eq!(
        (r.status, r.json()["status"].as_str()),
        (200, Some("APPROVED"))
    );
    // A high-risk version is not approved before its independent validation.
    let r = call("approver", "GET", &format!("/items/{mv}/deploy/prod"), None);
    assert_eq!(r.json()["decision"], "BLOCK", "{}", r.body);
    assert!(
        r.json()["reason"]
            .as_str()
            .unwrap()
            .contains("`validation` is NOT_STARTED"),
        "{}",
        r.body
    );
    let r = call("owner", "POST", &format!("/items/{mv}/advance"), None);
    assert_eq!(r.json()["step"], "validation", "{}", r.body);
    let r = call(
        "owner",
        "PATCH",
        &format!("/items/{mv}"),
        Some(json!({"set": {"validation_report": "back-tested on 2025"}})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(sign("owner", "request-final", json!({})).status, 200);
    let r = sign(
        "risk2",
        "approve",
        json!({"comment": "independent check done"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call("approver", "GET", &format!("/items/{mv}/deploy/prod"), None);
    assert_eq!(r.json()["decision"], "ALLOW", "{}", r.body);
    let r = call("owner", "GET", &format!("/items/{mv}/status"), None);
    assert_eq!(
        r.json()["signoffs"][0]["feedback"][1]["reviews"][0]["verdict"],
        "APPROVED"
    );
    assert!(
        call("owner", "GET", &format!("/items/{mv}/history"), None)
            .json()
            .as_array()
            .unwrap()
            .len()
            > 10
    );

    // A rejection blocks deployment.
    let review = |who: &str, action: &str, body: serde_json::Value| {
        call(
            who,
            "POST",
            &format!("/items/{mv}/signoff/{action}"),
            Some(json!({"step": "review", "comment": body["comment"]})),
        )
    };
    let r = review("approver", "reject", json!({"comment": "no"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call("approver", "GET", &format!("/items/{mv}/deploy/prod"), None);
    assert_eq!(r.json()["decision"], "BLOCK");
    let r = call(
        "approver",
        "GET",
        &format!("/items/{mv}/deploy/preprod"),
        None,
    );
    assert_eq!(r.json()["decision"], "CONFIRM");
    drop(d);
    s.quiet(&["audit", "verify"]);
}

#[test]
fn authentication_and_if_match() {
    let s = Sandbox::new("api-auth");
    let (project, _) = s.standard_world();
    let owner = s.token("owner");
    let bot = s.quiet(&["--json", "apikey", "create", "ci-bot"]).json()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let d = Daemon::start(&s, &[]);
    assert_eq!(http(d.port, "GET", "/health", None, &[], None).status, 200);
    let path = format!("/api/v1/items/{project}");
    let r = http(d.port, "GET", &path, None, &[], None);
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(
        http(
            d.port,
            "GET",
            &path,
            Some("govt_not-a-real-token"),
            &[],
            None
        )
        .status,
        401
    );
    // An API key reads (read = everyone) but may not write.
    assert_eq!(
        http(d.port, "GET", &path, Some(&bot), &[], None).status,
        200
    );
    let r = http(
        d.port,
        "PATCH",
        &path,
        Some(&bot),
        &[],
        Some(&json!({"set": {"description": "x"}})),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    // If-Match: the ETag of what was read; a stale one conflicts.
    let etag = http(d.port, "GET", &path, Some(&owner), &[], None)
        .header("etag")
        .unwrap()
        .to_string();
    let r = http(
        d.port,
        "PATCH",
        &path,
        Some(&owner),
        &[("If-Match", &etag)],
        Some(&json!({"set": {"description": "first"}})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = http(
        d.port,
        "PATCH",
        &path,
        Some(&owner),
        &[("If-Match", &etag)],
        Some(&json!({"set": {"description": "second"}})),
    );
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (409, Some("stale_revision"))
    );
    let r = http(
        d.port,
        "PATCH",
        &path,
        Some(&owner),
        &[],
        Some(&json!({"set": {"value": "9"}})),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let r = http(d.port, "GET", "/api/v1/items/9999", Some(&owner), &[], None);
    assert_eq!(r.status, 404);
    let big = "x".repeat(2 * 1024 * 1024);
    let r = http(
        d.port,
        "PATCH",
        &path,
        Some(&owner),
        &[],
        Some(&json!({"set": {"description": big}})),
    );
    assert_eq!(r.status, 413);
    assert!(
        http(d.port, "GET", "/metrics", None, &[], None)
            .body
            .contains("govrt_http_requests_total")
    );
}

#[test]
fn a_killed_daemon_keeps_every_acknowledged_action() {
    let s = Sandbox::new("api-crash");
    let (_, model) = s.standard_world();
    let owner = s.token("owner");
    let items: Vec<String> = (0..4)
        .map(|i| s.model_version(&model, &format!("v{i}")))
        .collect();
    let mut d = Daemon::start(&s, &[]);
    let port = d.port;
    let writers: Vec<_> = items
        .iter()
        .cloned()
        .enumerate()
        .map(|(w, item)| {
            let owner = owner.clone();
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for n in 0..10_000 {
                    let value = format!("writer {w} write {n}");
                    let body = json!({"set": {"description": value}});
                    let ok = std::panic::catch_unwind(|| {
                        http(
                            port,
                            "PATCH",
                            &format!("/api/v1/items/{item}"),
                            Some(&owner),
                            &[],
                            Some(&body),
                        )
                        .status
                    });
                    match ok {
                        Ok(200) => acknowledged.push(value),
                        _ => break,
                    }
                }
                (item, acknowledged)
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(400));
    d.child.kill().unwrap();
    d.child.wait().unwrap();
    let results: Vec<(String, Vec<String>)> =
        writers.into_iter().map(|w| w.join().unwrap()).collect();
    let total: usize = results.iter().map(|(_, a)| a.len()).sum();
    assert!(
        total > 0,
        "the writers got some writes acknowledged before the kill"
    );

    if !s.on_postgres() {
        let integrity = s.sql_texts("PRAGMA integrity_check");
        assert_eq!(integrity, ["ok"]);
    }
    s.quiet(&["audit", "verify"]);
    // Restarted, the daemon serves every acknowledged write.
    let d = Daemon::start(&s, &[]);
    for (item, acknowledged) in &results {
        let history = http(
            d.port,
            "GET",
            &format!("/api/v1/items/{item}/history"),
            Some(&owner),
            &[],
            None,
        )
        .json();
        let written: std::collections::HashSet<String> = history
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| {
                e["details"]["fields"]["description"]["after"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        for value in acknowledged {
            assert!(
                written.contains(value),
                "item {item}: acknowledged `{value}` is missing after the crash"
            );
        }
    }
}

#[test]
fn every_documented_route_is_served() {
    let s = Sandbox::new("api-routes");
    let (project, _) = s.standard_world();
    let admin = s.token("admin");
    let d = Daemon::start(&s, &[]);
    let doc = http(d.port, "GET", "/api/v1/openapi.json", None, &[], None).json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc,
        serde_json::from_str::<serde_json::Value>(govrt::server::document_json()).unwrap()
    );
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push((method.clone(), path.clone()));
        }
    }
    assert!(operations.len() > 40, "{operations:?}");
    for (method, path) in &operations {
        let concrete = path
            .replace("{id}", &project)
            .replace("{action}", "request-review")
            .replace("{infrastructure}", "prod")
            .replace("{group}", "risk");
        let body = (method == "post" || method == "patch").then(|| json!({}));
        let r = http(
            d.port,
            &method.to_uppercase(),
            &concrete,
            Some(&admin),
            &[],
            body.as_ref(),
        );
        // The router's own 404 (pointing to the document) and 405, not a handler's refusal.
        let routed = r.status != 405
            && !(r.status == 404
                && r.body
                    .contains("the routes are listed in GET /api/v1/openapi.json"));
        assert!(
            routed,
            "{method} {path} is documented but not served ({})",
            r.status
        );
    }
}

#[test]
fn admins_manage_identities_over_http() {
    let s = Sandbox::new("api-identities");
    s.standard_world();
    let admin = s.token("admin");
    let owner = s.token("owner");
    let d = Daemon::start(&s, &[]);
    let r = http(
        d.port,
        "POST",
        "/api/v1/users",
        Some(&owner),
        &[],
        Some(&json!({"name": "mallory", "admin": true})),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = http(
        d.port,
        "POST",
        "/api/v1/users",
        Some(&admin),
        &[],
        Some(&json!({"name": "dana", "email": "dana@example.com"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = http(
        d.port,
        "POST",
        "/api/v1/groups",
        Some(&admin),
        &[],
        Some(&json!({"name": "validators", "members": ["dana"]})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = http(
        d.port,
        "POST",
        "/api/v1/groups/risk/members",
        Some(&admin),
        &[],
        Some(&json!({"name": "dana"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = http(
        d.port,
        "POST",
        "/api/v1/tokens",
        Some(&admin),
        &[],
        Some(&json!({"name": "dana"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let dana = r.json()["secret"].as_str().unwrap().to_string();
    let r = http(d.port, "GET", "/api/v1/reviews", Some(&dana), &[], None);
    assert_eq!(r.status, 200, "the new token works: {}", r.body);
    let groups = http(d.port, "GET", "/api/v1/groups", Some(&admin), &[], None).json();
    assert!(groups.as_array().unwrap().iter().any(
        |g| g["name"] == "risk" && g["members"].as_array().unwrap().iter().any(|m| m == "dana")
    ));
    let r = http(
        d.port,
        "POST",
        "/api/v1/apikeys",
        Some(&admin),
        &[],
        Some(&json!({"name": "deployer"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}

#[test]
fn every_error_under_the_api_is_json_and_401_comes_first() {
    let s = Sandbox::new("api-errors");
    let (_, model) = s.standard_world();
    let owner = s.token("owner");
    let d = Daemon::start(&s, &[]);
    let bearer = format!("Bearer {owner}");
    let json_type = ("Content-Type", "application/json");
    let auth = ("Authorization", bearer.as_str());
    let expect = |r: &crate::support::HttpResponse, status: u16, code: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        assert!(
            r.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{:?}",
            r.headers
        );
        let body = r.json();
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        assert!(
            body["error"]["help"]
                .as_str()
                .is_some_and(|h| !h.is_empty()),
            "{body}"
        );
        body
    };
    let raw = |method: &str, path: &str, headers: &[(&str, &str)], body: &str| {
        http_raw(d.port, method, &format!("/api/v1{path}"), headers, body)
    };
    // Without a valid token: 401, whatever the body, path or method.
    for (method, path, body) in [
        ("POST", "/items", "{bad"),
        ("GET", "/items/abc", ""),
        ("GET", "/no-such-route", ""),
        ("PUT", "/items", ""),
        ("DELETE", "/reviews", ""),
    ] {
        expect(&raw(method, path, &[json_type], body), 401, "unauthorized");
        let wrong = [json_type, ("Authorization", "Bearer govt_not_a_token")];
        expect(&raw(method, path, &wrong, body), 401, "unauthorized");
    }
    // With one: each malformed request in the one shape, with its code.
    expect(
        &raw("POST", "/items", &[auth], "{bad"),
        415,
        "unsupported_media_type",
    );
    expect(
        &raw("POST", "/items", &[auth, json_type], "{bad"),
        400,
        "invalid_request",
    );
    expect(
        &raw("GET", "/items/abc", &[auth], ""),
        400,
        "invalid_request",
    );
    expect(
        &raw("GET", "/items/99999999999999999999", &[auth], ""),
        400,
        "invalid_request",
    );
    expect(&raw("GET", "/no-such-route", &[auth], ""), 404, "not_found");
    let r = raw("PUT", "/items", &[auth], "");
    expect(&r, 405, "method_not_allowed");
    assert!(
        r.header("allow").is_some_and(|a| a.contains("POST")),
        "{:?}",
        r.headers
    );
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(1_100_000));
    expect(
        &raw("POST", "/items", &[auth, json_type], &huge),
        413,
        "payload_too_large",
    );
    // Unknown keys are refused, naming them; nothing is created.
    let typo = json!({"blueprint": "model_version", "name": "typo", "parent": model, "feilds": {}});
    let body = expect(
        &raw("POST", "/items", &[auth, json_type], &typo.to_string()),
        400,
        "invalid_request",
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("feilds"),
        "{body}"
    );
    let items = http(d.port, "GET", "/api/v1/items", Some(&owner), &[], None).json();
    assert!(!items.to_string().contains("typo"), "{items}");
    // Ids go back as they came: the id string of an answer is a parent.
    let created = http(
        d.port,
        "POST",
        "/api/v1/items",
        Some(&owner),
        &[],
        Some(&json!({"blueprint": "model_version", "name": "v9", "parent": model})),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_string();
    // An edit that changes nothing is refused, and writes no event.
    let call = |method: &str, path: &str, body: Option<serde_json::Value>| {
        let path = format!("/api/v1/items/{id}{path}");
        http(d.port, method, &path, Some(&owner), &[], body.as_ref())
    };
    let before = call("GET", "/history", None).json();
    for nothing in [json!({}), json!({"set": {}})] {
        expect(&call("PATCH", "", Some(nothing)), 422, "invalid_input");
    }
    let typo = json!({"sets": {"a": 1}});
    expect(&call("PATCH", "", Some(typo)), 400, "invalid_request");
    let after = call("GET", "/history", None).json();
    assert_eq!(before, after);
}

#[test]
fn a_retried_post_with_an_idempotency_key_acts_once() {
    let s = Sandbox::new("api-idempotency");
    let (_, model) = s.standard_world();
    let owner = s.token("owner");
    let other = s.token("itops");
    let d = Daemon::start(&s, &[]);
    let post = |token: &str, key: &str, body: &serde_json::Value| {
        http(
            d.port,
            "POST",
            "/api/v1/items",
            Some(token),
            &[("Idempotency-Key", key)],
            Some(body),
        )
    };
    let body = json!({"blueprint": "model_version", "name": "once", "parent": model});
    let first = post(&owner, "k-1", &body);
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);
    // The retry gets the first answer, and nothing is created again.
    let retry = post(&owner, "k-1", &body);
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json(), first.json());
    let items = http(d.port, "GET", "/api/v1/items", Some(&owner), &[], None).json();
    let named = items
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["name"] == "once")
        .count();
    assert_eq!(named, 1, "{items}");
    // The same key with another body is refused; another caller's key is its own.
    let changed = json!({"blueprint": "model_version", "name": "twice", "parent": model});
    let reused = post(&owner, "k-1", &changed);
    assert_eq!(reused.status, 409, "{}", reused.body);
    assert_eq!(reused.json()["error"]["code"], "idempotency_key_reused");
    let theirs = post(&other, "k-1", &body);
    assert_ne!(
        theirs.header("idempotent-replayed"),
        Some("true"),
        "{}",
        theirs.body
    );
    // A refusal is an answer too: its retry is answered the same, without acting.
    let bad = json!({"blueprint": "no_such_blueprint", "name": "x"});
    let refused = post(&owner, "k-2", &bad);
    assert!(
        refused.status >= 400 && refused.status < 500,
        "{}",
        refused.body
    );
    let again = post(&owner, "k-2", &bad);
    assert_eq!(
        (again.status, again.json()),
        (refused.status, refused.json())
    );
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    // A malformed key is refused.
    let r = post(&owner, "", &body);
    assert_eq!(r.status, 400, "{}", r.body);
}

#[test]
fn json_logs_carry_each_request_id() {
    let s = Sandbox::new("api-json-logs");
    s.quiet(&["init"]);
    let log = s.dir.join("daemon.log");
    let env = [("GOVRT_LOG_FORMAT", "json")];
    let mut d = Daemon::start_with_env(&s, &[], Some(&log), &env);
    let port = d.port;
    let r = http(
        port,
        "GET",
        "/health",
        None,
        &[("X-Request-Id", "req-42")],
        None,
    );
    assert_eq!(r.header("x-request-id"), Some("req-42"));
    // Without one, the daemon makes an id and answers with it.
    let r = http(port, "GET", "/api/v1/items", None, &[], None);
    let made = r.header("x-request-id").unwrap().to_string();
    assert!(!made.is_empty());
    std::thread::sleep(std::time::Duration::from_millis(300));
    d.child.kill().unwrap();
    d.child.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    // Log lines are JSON (the daemon's first-run advice is plain text).
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for id in ["req-42", made.as_str()] {
        assert!(
            lines.iter().any(|l| l["span"]["id"] == id),
            "no log line of request {id}: {text}"
        );
    }
}

#[test]
fn metrics_count_requests_actions_refusals_and_the_background() {
    let s = Sandbox::new("api-metrics");
    let (_, model) = s.standard_world();
    let owner = s.token("owner");
    let d = Daemon::start(&s, &["--tick-seconds", "1"]);
    let body = json!({"blueprint": "model_version", "name": "v1", "parent": model});
    let r = http(
        d.port,
        "POST",
        "/api/v1/items",
        Some(&owner),
        &[],
        Some(&body),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/items/{id}");
    let stale = json!({"set": {"description": "x"}});
    let r = http(
        d.port,
        "PATCH",
        &path,
        Some(&owner),
        &[("If-Match", "\"7\"")],
        Some(&stale),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(
        http(
            d.port,
            "GET",
            "/api/v1/items/99999",
            Some(&owner),
            &[],
            None
        )
        .status,
        404
    );
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let metrics = http(d.port, "GET", "/metrics", None, &[], None);
    assert_eq!(metrics.status, 200);
    let text = metrics.body;
    for line in [
        r#"govrt_http_requests_total{method="POST",route="/api/v1/items",status="201"} 1"#,
        r#"govrt_http_request_duration_seconds_count{method="GET",route="/api/v1/items/{id}",status="404"} 1"#,
        r#"govrt_actions_total{kind="POST /api/v1/items"} 1"#,
        r#"govrt_refusals_total{code="stale_revision"} 1"#,
        r#"govrt_refusals_total{code="not_found"} 1"#,
        "govrt_outbox_pending 0",
        "govrt_outbox_oldest_pending_seconds 0",
        "govrt_reviews_running 0",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    for name in [
        "govrt_tick_lag_seconds ",
        "govrt_tick_duration_seconds_count ",
        "govrt_background_ticks_total ",
        "govrt_writer_batch_size_count ",
        "govrt_pool_wait_seconds_count ",
        "# HELP govrt_http_request_duration_seconds ",
    ] {
        assert!(text.contains(name), "{name} in:\n{text}");
    }
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

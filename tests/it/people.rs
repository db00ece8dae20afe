//! People and credentials have a life cycle: tokens and API keys are listed
//! (never their secrets), revoked or expire, users are disabled and enabled,
//! addresses change, members leave groups, and each of it ends API calls and
//! web sessions at once and is audited with who did it (the local owner as
//! `local:admin`, never confused with a user called `admin`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Daemon, Sandbox, get_page, http, sign_in};

fn world(name: &str) -> Sandbox {
    let s = Sandbox::new(name);
    s.quiet(&["init"]);
    s.quiet(&["user", "add", "admin", "--admin"]);
    s.quiet(&["user", "add", "alice", "--email", "alice@example.com"]);
    s.quiet(&["group", "add", "risk", "--member", "alice"]);
    s
}

#[test]
fn a_revoked_token_ends_api_calls_and_web_sessions_at_once() {
    let s = world("people-revoke");
    let token = s.token("alice");
    let d = Daemon::start(&s, &[]);
    assert_eq!(
        http(d.port, "GET", "/api/v1/items", Some(&token), &[], None).status,
        200
    );
    let (cookie, _) = sign_in(d.port, &token);
    assert_eq!(get_page(d.port, "/items", Some(&cookie)).status, 200);

    // Listed without its secret, with its use recorded.
    let list = s
        .quiet(&["--json", "token", "list", "--user", "alice"])
        .json();
    let listed = &list.as_array().unwrap()[0];
    assert_eq!(listed["user"], "alice");
    assert!(!list.to_string().contains(&token));
    let id = listed["id"].to_string();
    let mut used = false;
    for _ in 0..50 {
        let list = s.quiet(&["--json", "token", "list"]).json();
        if !list[0]["last_used_at"].is_null() {
            used = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(used, "the token's use is recorded");

    s.quiet(&["token", "revoke", &id]);
    assert_eq!(
        http(d.port, "GET", "/api/v1/items", Some(&token), &[], None).status,
        401
    );
    let page = get_page(d.port, "/items", Some(&cookie));
    assert_eq!(page.status, 303, "the session ends with its token");
    assert!(
        s.quiet(&["--json", "token", "list"])
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Revoking twice is refused: it is gone.
    assert_eq!(
        s.command(&["token", "revoke", &id])
            .output()
            .unwrap()
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn admins_manage_people_and_credentials_over_the_api() {
    let s = world("people-api");
    let admin = s.token("admin");
    let alice = s.token("alice");
    let d = Daemon::start(&s, &[]);
    let call = |method: &str, path: &str, token: &str, body: Option<serde_json::Value>| {
        http(d.port, method, path, Some(token), &[], body.as_ref())
    };
    // Only admins.
    assert_eq!(call("GET", "/api/v1/tokens", &alice, None).status, 403);
    // A key with an expiry, listed, then revoked.
    let key = call(
        "POST",
        "/api/v1/apikeys",
        &admin,
        Some(serde_json::json!({"name": "ci", "expires": "90d"})),
    );
    assert_eq!(key.status, 201, "{}", key.body);
    let secret = key.json()["secret"].as_str().unwrap().to_string();
    assert!(key.json()["expires_at"].is_string());
    assert_eq!(call("GET", "/api/v1/items", &secret, None).status, 200);
    let keys = call("GET", "/api/v1/apikeys", &admin, None).json();
    assert_eq!(keys[0]["name"], "ci");
    assert_eq!(
        call("DELETE", "/api/v1/apikeys/ci", &admin, None).status,
        204
    );
    assert_eq!(call("GET", "/api/v1/items", &secret, None).status, 401);
    // A bad duration is a clear 400.
    let bad = call(
        "POST",
        "/api/v1/tokens",
        &admin,
        Some(serde_json::json!({"name": "alice", "expires": "soon"})),
    );
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["error"]["code"], "invalid_value");
    // A disabled user's tokens stop at once; enabling restores them.
    assert_eq!(
        call("POST", "/api/v1/users/alice/disable", &admin, None).status,
        200
    );
    assert_eq!(call("GET", "/api/v1/items", &alice, None).status, 401);
    assert_eq!(
        call("POST", "/api/v1/users/alice/enable", &admin, None).status,
        200
    );
    assert_eq!(call("GET", "/api/v1/items", &alice, None).status, 200);
    // E-mail and membership.
    let r = call(
        "PATCH",
        "/api/v1/users/alice",
        &admin,
        Some(serde_json::json!({"email": "a@example.org"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        call("DELETE", "/api/v1/groups/risk/members/alice", &admin, None).status,
        204
    );
    let groups = call("GET", "/api/v1/groups", &admin, None).json();
    assert_eq!(groups[0]["members"], serde_json::json!([]));
    let users = call("GET", "/api/v1/users", &admin, None).json();
    let a = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "alice")
        .unwrap();
    assert_eq!(a["email"], "a@example.org");
    assert_eq!(a["disabled"], false);
    drop(d);
    // Each change is audited with the admin who made it; the CLI's are the
    // local owner's, told apart from the user called `admin`.
    let actors = |action: &str| -> Vec<String> {
        s.sql_texts(&format!(
            "SELECT actor FROM audit_events WHERE action = '{action}' ORDER BY seq"
        ))
    };
    assert_eq!(actors("api_key.revoke"), ["admin"]);
    assert_eq!(actors("user.disable"), ["admin"]);
    assert_eq!(actors("user.set_email"), ["admin"]);
    assert_eq!(actors("group.remove_member"), ["admin"]);
    assert_eq!(actors("user.add"), ["local:admin", "local:admin"]);
}

#[test]
fn an_expired_token_no_longer_works() {
    let s = world("people-expiry");
    let out = s
        .quiet(&["--json", "token", "create", "alice", "--expires", "1h"])
        .json();
    let token = out["secret"].as_str().unwrap().to_string();
    assert!(out["expires_at"].is_string());
    let d = Daemon::start(&s, &[]);
    assert_eq!(
        http(d.port, "GET", "/api/v1/items", Some(&token), &[], None).status,
        200
    );
    // An hour later (the clock of the database moved on).
    s.sql("UPDATE credentials SET expires_at = '2000-01-01T00:00:00Z' WHERE kind = 'token'");
    assert_eq!(
        http(d.port, "GET", "/api/v1/items", Some(&token), &[], None).status,
        401
    );
    // A duration that is no duration is refused before anything is made.
    let bad = s
        .command(&["token", "create", "alice", "--expires", "0d"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("whole number from 1 to 9999 and a unit")
    );
}

#[test]
fn disabled_users_and_removed_members_through_the_cli() {
    let mut s = world("people-cli");
    s.ok(&["user", "disable", "alice"]);
    let list = s.ok(&["user", "list"]).stdout;
    assert!(
        list.contains("alice <alice@example.com> (disabled)"),
        "{list}"
    );
    s.expect(1, &["--as", "alice", "item", "list"]);
    s.ok(&["user", "enable", "alice"]);
    s.ok(&["--as", "alice", "item", "list"]);
    s.ok(&["user", "set-email", "alice", "-"]);
    let users = s.ok(&["--json", "user", "list"]).json();
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "alice" && u["email"].is_null())
    );
    s.ok(&["group", "remove-member", "risk", "alice"]);
    s.expect(1, &["group", "remove-member", "risk", "alice"]);
    assert_eq!(
        s.ok(&["--json", "apikey", "list"]).json(),
        serde_json::json!([])
    );
}

//! Several daemons on one PostgreSQL database, on a server of the test's
//! own (so it can be stopped): concurrent edits through three daemons lose
//! nothing and the audit chain holds; a blueprint reload on one daemon
//! reaches the others; losing the database answers 503 with `Retry-After`
//! (never a 500), readiness goes down while liveness stays up, and the
//! daemons recover by themselves when it comes back, with every
//! acknowledged action kept; a daemon killed under write load loses no
//! acknowledged action and the others go on.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::pg::PgServer;
use crate::support::{Daemon, Sandbox, http, try_http};
use serde_json::json;

/// The history actions and descriptions of an item, as the API gives them.
fn descriptions(port: u16, token: &str, item: &str) -> Vec<String> {
    let history = http(
        port,
        "GET",
        &format!("/api/v1/items/{item}/history"),
        Some(token),
        &[],
        None,
    )
    .json();
    history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "item.set")
        .map(|e| e.to_string())
        .collect()
}

/// An item's revision, as the API gives it.
fn revision(port: u16, token: &str, item: &str) -> u64 {
    let path = format!("/api/v1/items/{item}");
    let got = http(port, "GET", &path, Some(token), &[], None).json();
    got["revision"].as_u64().unwrap()
}

#[test]
#[cfg_attr(
    not(govrt_has_postgres),
    ignore = "needs Debian's postgresql (initdb, pg_ctl); .ci/tools installs it"
)]
fn three_daemons_on_one_database_lose_nothing_and_share_blueprint_reloads() {
    let Some(server) = PgServer::start("replicas") else {
        return;
    };
    let s = Sandbox::on("pg-replicas", Some(server.url()));
    std::fs::create_dir_all(s.dir.join("bp")).unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/blueprints")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, s.dir.join("bp").join(path.file_name().unwrap())).unwrap();
    }
    s.quiet(&["init", "--blueprints", "bp"]);
    let (_, model) = s.standard_world();
    let item = s.model_version(&model, "v1");
    let owner = s.token("owner");
    s.quiet(&["user", "add", "root", "--admin"]);
    let root = s.token("root");
    let daemons: Vec<Daemon> = (0..3)
        .map(|_| Daemon::start(&s, &["--blueprints", "bp"]))
        .collect();
    let ports: Vec<u16> = daemons.iter().map(|d| d.port).collect();
    // Three clients, each on its own daemon, edit the same item at once.
    let clients: Vec<_> = ports
        .iter()
        .enumerate()
        .map(|(c, &port)| {
            let (owner, item) = (owner.clone(), item.clone());
            std::thread::spawn(move || {
                let mut acknowledged = 0;
                for n in 0..40 {
                    let body = json!({"set": {"description": format!("client {c} edit {n}")}});
                    let r = http(
                        port,
                        "PATCH",
                        &format!("/api/v1/items/{item}"),
                        Some(&owner),
                        &[],
                        Some(&body),
                    );
                    assert_eq!(r.status, 200, "{}", r.body);
                    acknowledged += 1;
                }
                acknowledged
            })
        })
        .collect();
    let acknowledged: usize = clients.into_iter().map(|c| c.join().unwrap()).sum();
    // Every acknowledged edit is in the audit trail, read through any daemon,
    // and the revisions follow each other without a gap.
    for &port in &ports {
        assert_eq!(descriptions(port, &owner, &item).len(), acknowledged);
        assert_eq!(revision(port, &owner, &item), 1 + acknowledged as u64);
    }
    s.quiet(&["audit", "verify"]);
    // A reload on one daemon reaches the others without a restart.
    let gov = s.dir.join("bp/model_version.gov");
    let text = std::fs::read_to_string(&gov).unwrap();
    let changed = text.replacen(
        "blueprint model_version \"Model version\" {",
        "blueprint model_version \"Model version\" {\n  field reload_note: text \"Reload note\"",
        1,
    );
    assert_ne!(changed, text);
    std::fs::write(&gov, changed).unwrap();
    let reload = http(
        ports[0],
        "POST",
        "/api/v1/blueprints",
        Some(&root),
        &[],
        None,
    );
    assert_eq!(reload.status, 200, "{}", reload.body);
    let body = json!({"blueprint": "model_version", "name": "after the reload", "parent": model});
    let created = http(
        ports[2],
        "POST",
        "/api/v1/items",
        Some(&owner),
        &[],
        Some(&body),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let versions = http(
        ports[1],
        "GET",
        "/api/v1/blueprints",
        Some(&owner),
        &[],
        None,
    )
    .json();
    let newest = versions
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["blueprint"] == "model_version")
        .map(|v| v["version"].as_u64().unwrap())
        .max()
        .unwrap();
    assert_eq!(created.json()["version"].as_u64().unwrap(), newest);
    assert!(newest >= 2, "the reload stored a new version: {versions}");
}

#[test]
#[cfg_attr(
    not(govrt_has_postgres),
    ignore = "needs Debian's postgresql (initdb, pg_ctl); .ci/tools installs it"
)]
fn a_daemon_killed_under_write_load_loses_no_acknowledged_action() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let Some(server) = PgServer::start("kill") else {
        return;
    };
    let s = Sandbox::on("pg-kill", Some(server.url()));
    s.quiet(&["init"]);
    let (_, model) = s.standard_world();
    let item = s.model_version(&model, "v1");
    let owner = s.token("owner");
    let mut daemons: Vec<Daemon> = (0..3).map(|_| Daemon::start(&s, &[])).collect();
    let ports: Vec<u16> = daemons.iter().map(|d| d.port).collect();
    // The edits daemon 1 acknowledged so far.
    let progress = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = ports
        .iter()
        .enumerate()
        .map(|(c, &port)| {
            let (owner, item, progress) = (owner.clone(), item.clone(), progress.clone());
            std::thread::spawn(move || {
                // (acknowledged, sent without an answer)
                let (mut acknowledged, mut unanswered) = (Vec::new(), Vec::new());
                for n in 0..60 {
                    let description = format!("client {c} edit {n}");
                    let body = json!({"set": {"description": description}});
                    let path = format!("/api/v1/items/{item}");
                    match try_http(port, "PATCH", &path, Some(&owner), Some(&body)) {
                        Ok(r) if r.status == 200 => {
                            acknowledged.push(description);
                            if c == 1 {
                                progress.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        Ok(r) if r.status == 0 => unanswered.push(description),
                        Ok(r) => panic!("client {c}: {} {}", r.status, r.body),
                        // The killed daemon: nothing more goes to it.
                        Err(_) => {
                            assert_eq!(c, 1, "only daemon 1 was killed");
                            unanswered.push(description);
                            break;
                        }
                    }
                }
                (acknowledged, unanswered)
            })
        })
        .collect();
    while progress.load(Ordering::SeqCst) < 15 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // SIGKILL, in the middle of its writes.
    daemons[1].child.kill().unwrap();
    daemons[1].child.wait().unwrap();
    let results: Vec<_> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    assert_eq!(results[0].0.len(), 60, "daemon 0 went on");
    assert_eq!(results[2].0.len(), 60, "daemon 2 went on");
    assert!(
        results[1].0.len() < 60,
        "daemon 1 was killed before its last edit"
    );
    let history = descriptions(ports[0], &owner, &item);
    let recorded = |d: &str| {
        history
            .iter()
            .filter(|e| e.contains(&format!("\"after\":\"{d}\"")))
            .count()
    };
    for (acknowledged, unanswered) in &results {
        for d in acknowledged {
            assert_eq!(
                recorded(d),
                1,
                "the acknowledged edit {d:?} is in the trail once"
            );
        }
        // An edit in flight when the daemon died is there once or not at all.
        for d in unanswered {
            assert!(recorded(d) <= 1, "{d:?} is in the trail at most once");
        }
    }
    assert_eq!(
        revision(ports[2], &owner, &item),
        1 + history.len() as u64,
        "no revision skipped"
    );
    s.quiet(&["audit", "verify"]);
}

#[test]
#[cfg_attr(
    not(govrt_has_postgres),
    ignore = "needs Debian's postgresql (initdb, pg_ctl); .ci/tools installs it"
)]
fn losing_the_database_answers_503_and_the_daemon_recovers_by_itself() {
    let Some(server) = PgServer::start("outage") else {
        return;
    };
    let s = Sandbox::on("pg-outage", Some(server.url()));
    let (_, model) = s.standard_world();
    let item = s.model_version(&model, "v1");
    let owner = s.token("owner");
    let d = Daemon::start(&s, &[]);
    let patch = |n: usize| {
        let body = json!({"set": {"description": format!("edit {n}")}});
        http(
            d.port,
            "PATCH",
            &format!("/api/v1/items/{item}"),
            Some(&owner),
            &[],
            Some(&body),
        )
    };
    let mut acknowledged = Vec::new();
    for n in 0..5 {
        assert_eq!(patch(n).status, 200);
        acknowledged.push(n);
    }
    server.crash();
    // While it is down: 503 with Retry-After, never a 500; alive, not ready.
    for n in 5..10 {
        let r = patch(n);
        assert_eq!(r.status, 503, "{}", r.body);
        assert_eq!(r.header("retry-after"), Some("5"));
        assert_eq!(r.json()["error"]["code"], "unavailable");
    }
    let read = http(
        d.port,
        "GET",
        &format!("/api/v1/items/{item}"),
        Some(&owner),
        &[],
        None,
    );
    assert_eq!(read.status, 503, "{}", read.body);
    assert_eq!(http(d.port, "GET", "/health", None, &[], None).status, 200);
    assert_eq!(
        http(d.port, "GET", "/health/ready", None, &[], None).status,
        503
    );
    server.resume();
    // Back: the same daemon serves again, without a restart.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while http(d.port, "GET", "/health/ready", None, &[], None).status != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "the daemon did not reconnect"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    for n in 10..15 {
        assert_eq!(patch(n).status, 200);
        acknowledged.push(n);
    }
    let edits = descriptions(d.port, &owner, &item);
    assert_eq!(
        edits.len(),
        acknowledged.len(),
        "every acknowledged edit, and no refused one"
    );
    for n in &acknowledged {
        assert!(
            edits.iter().any(|e| e.contains(&format!("edit {n}\""))),
            "edit {n} kept: {edits:?}"
        );
    }
    s.quiet(&["audit", "verify"]);
}

#[test]
#[cfg_attr(
    not(govrt_has_postgres),
    ignore = "needs Debian's postgresql (initdb, pg_ctl); .ci/tools installs it"
)]
fn db_copy_round_trips_sqlite_to_postgresql_and_back() {
    let Some(server) = PgServer::start("copy") else {
        return;
    };
    // A database built as the lifecycle tests build one.
    let mut original = Sandbox::on("pg-copy-sqlite", None);
    let (_, model) = original.standard_world();
    let v = original.model_version(&model, "Scorer v1");
    for args in [
        vec![
            "--as",
            "owner",
            "item",
            "set",
            &v,
            "owner=owner",
            "documentation=card.pdf",
        ],
        vec!["--as", "owner", "item", "move", &v, "review"],
        vec!["--as", "owner", "signoff", "request-review", &v, "--notify"],
        vec![
            "--as", "itops", "signoff", "feedback", &v, "it_ops", "approved",
        ],
        vec!["--as", "owner", "signoff", "request-final", &v],
        vec!["--as", "approver", "signoff", "approve", &v],
    ] {
        original.quiet(&args);
    }
    let token = original.token("owner");
    let on_postgres = Sandbox::on("pg-copy-target", Some(server.url()));
    let back = Sandbox::on("pg-copy-back", None);
    let (a, b, c) = (original.db(), on_postgres.db(), back.db());
    let (a, b, c) = (
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        c.to_str().unwrap(),
    );
    let there = original.quiet(&["db", "copy", a, b]).stdout;
    assert!(there.contains("audit chain intact"), "{there}");
    let home = original.quiet(&["db", "copy", b, c]).stdout;
    assert!(home.contains("audit chain intact"), "{home}");
    // The same items and the same history on all three, and the chain verifies.
    let view = |s: &Sandbox| {
        let items = s.quiet(&["--json", "item", "list"]).stdout;
        let history = s
            .quiet(&["--json", "--as", "owner", "item", "history", &v])
            .stdout;
        let status = s.quiet(&["--json", "status", &v]).stdout;
        s.quiet(&["audit", "verify"]);
        (items, history, status)
    };
    let first = view(&original);
    assert_eq!(view(&on_postgres), first);
    assert_eq!(view(&back), first);
    // The copy goes on: the same token works, new ids follow the copied ones.
    let d = Daemon::start(&on_postgres, &[]);
    let me = http(
        d.port,
        "GET",
        &format!("/api/v1/items/{v}"),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(me.status, 200, "{}", me.body);
    let next = on_postgres.model_version(&model, "Scorer v2");
    assert!(next.parse::<i64>().unwrap() > v.parse::<i64>().unwrap());
    // A destination that holds anything is refused, and nothing is copied.
    let refused = original.run(&["db", "copy", a, b]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("not empty"), "{}", refused.stderr);
}

#[test]
#[cfg_attr(
    not(all(govrt_has_postgres, govrt_has_aiosmtpd)),
    ignore = "needs Debian's postgresql and python3-aiosmtpd; .ci/tools installs them"
)]
fn three_daemons_send_each_message_once_and_apply_a_reset_once() {
    let Some(server) = PgServer::start("mail") else {
        return;
    };
    let s = Sandbox::on("pg-mail", Some(server.url()));
    let Some(sink) = crate::support::smtp::SmtpSink::start(&s.dir, None) else {
        return;
    };
    let (_, model) = s.standard_world();
    let mut versions = Vec::new();
    for n in 0..4 {
        let v = s.model_version(&model, &format!("v{n}"));
        s.quiet(&["--as", "owner", "item", "move", &v, "review"]);
        s.quiet(&["--as", "owner", "signoff", "request-review", &v, "--notify"]);
        versions.push(v);
    }
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    s.quiet(&[
        "--as",
        "owner",
        "signoff",
        "schedule-reset",
        &versions[0],
        "--at",
        &at,
        "--reason",
        "test",
    ]);
    let queued = s
        .quiet(&["--json", "outbox"])
        .json()
        .as_array()
        .unwrap()
        .len();
    assert!(queued >= 4, "review requests were mailed: {queued}");
    let url = sink.url();
    let daemons: Vec<Daemon> = (0..3)
        .map(|_| Daemon::start(&s, &["--smtp", &url, "--tick-seconds", "1"]))
        .collect();
    // Every message delivered, the reset applied (by one of them).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let pending = s.quiet(&["--json", "outbox", "--pending"]).json();
        let resets = s
            .history_actions("owner", &versions[0])
            .iter()
            .filter(|a| *a == "signoff.automatic_reset")
            .count();
        if pending.as_array().unwrap().is_empty() && resets > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still pending: {pending}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // A few more ticks of all three: nothing is sent or reset again.
    std::thread::sleep(std::time::Duration::from_secs(3));
    drop(daemons);
    let outbox = s.quiet(&["--json", "outbox"]).json();
    let sent = outbox.as_array().unwrap().len();
    let received = sink.messages();
    let mut keys: Vec<(String, String)> = received
        .iter()
        .map(|(to, subject, _)| (to.clone(), subject.clone()))
        .collect();
    keys.sort();
    let n = keys.len();
    keys.dedup();
    assert_eq!(n, keys.len(), "no message was delivered twice");
    assert_eq!(
        received.len(),
        sent,
        "each message of the outbox was delivered once"
    );
    let resets = s
        .history_actions("owner", &versions[0])
        .iter()
        .filter(|a| *a == "signoff.automatic_reset")
        .count();
    assert_eq!(resets, 1, "the scheduled reset was applied once");
    s.quiet(&["audit", "verify"]);
}

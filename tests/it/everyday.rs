//! Small things a user meets every day, through the real binary: a list
//! piped into `head` ends quietly, and creating an item without its
//! required fields says which `--set` to add, and mail links follow where
//! the daemon listens when no base URL is given.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::Sandbox;
use govrt::engine::Engine;
use govrt::store::Durability;

#[test]
fn a_list_read_only_in_part_ends_quietly() {
    let s = Sandbox::new("everyday-pipe");
    let (_, model) = s.standard_world();
    {
        let mut e = Engine::open(&s.db(), Durability::Normal).unwrap();
        let owner = e.identify_user("owner").unwrap();
        for n in 0..1000 {
            let sets = [("owner".to_string(), "owner".to_string())];
            e.create_item(
                &owner,
                "model_version",
                &format!("v{n}"),
                model.parse().ok(),
                &sets,
                None,
            )
            .unwrap();
        }
    }
    // `govrt item list | head -1`: the reader goes away after one line.
    let mut child = s
        .command(&["item", "list", "--limit", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("BLUEPRINT"), "{first}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
}

#[test]
fn creating_an_item_without_its_required_fields_says_which_to_give() {
    let mut s = Sandbox::new("everyday-required");
    std::fs::write(
        s.dir.join("thing.gov"),
        "blueprint thing \"Thing\" {\n  field owner: user required\n  field tier: int \"Tier\" required\n}\n",
    )
    .unwrap();
    s.ok(&["init", "--blueprints", "thing.gov"]);
    s.ok(&["user", "add", "u"]);
    let run = s.expect(1, &["--as", "u", "item", "create", "thing", "T"]);
    assert!(run.stderr.contains("owner, tier"), "{}", run.stderr);
    assert!(
        run.stderr.contains("--set owner=… --set tier=…"),
        "{}",
        run.stderr
    );
    let token = s.token("u");
    let d = crate::support::Daemon::start(&s, &[]);
    let body = serde_json::json!({"blueprint": "thing", "name": "T"});
    let r = crate::support::http(
        d.port,
        "POST",
        "/api/v1/items",
        Some(&token),
        &[],
        Some(&body),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let help = r.json()["error"]["help"].as_str().unwrap().to_string();
    assert!(
        help.contains(r#""fields": {"owner": …, "tier": …}"#),
        "{help}"
    );
}

#[test]
fn mail_links_follow_where_the_daemon_listens_without_a_base_url() {
    let s = Sandbox::new("everyday-base-url");
    let (_, model) = s.standard_world();
    let log = s.dir.join("daemon.log");
    let daemon = crate::support::Daemon::start_logging(&s, &[], Some(&log));
    let said = std::fs::read_to_string(&log).unwrap();
    let base = format!("http://127.0.0.1:{}", daemon.port);
    assert!(
        said.contains(&format!("links in mail use {base}")),
        "{said}"
    );
    // Mail queued by another process links to the daemon too.
    let v = s.model_version(&model, "Scorer v1");
    s.quiet(&["--as", "owner", "item", "move", &v, "review"]);
    s.quiet(&["--as", "owner", "signoff", "request-review", &v, "--notify"]);
    let outbox = s.quiet(&["--json", "outbox"]).json();
    let urls: Vec<&str> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["unsubscribe_url"].as_str())
        .collect();
    assert!(!urls.is_empty(), "{outbox}");
    assert!(urls.iter().all(|u| u.starts_with(&base)), "{urls:?}");
    // An explicit one wins, and stays.
    drop(daemon);
    let daemon = crate::support::Daemon::start_logging(
        &s,
        &["--base-url", "https://govrt.example.com"],
        Some(&log),
    );
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(
        said.contains("links in mail use https://govrt.example.com"),
        "{said}"
    );
    drop(daemon);
}

#[test]
fn an_item_without_a_workflow_shows_no_deploy_decision() {
    let s = Sandbox::new("everyday-no-workflow");
    std::fs::write(
        s.dir.join("note.gov"),
        "blueprint note \"Note\" {\n  permission write = everyone\n  field text: text \"Text\"\n}\n\ninfrastructure prod \"Production\" { policy prevent }\n",
    )
    .unwrap();
    s.quiet(&["init", "--blueprints", "note.gov"]);
    s.quiet(&["user", "add", "u"]);
    let item = s
        .quiet(&["--as", "u", "item", "create", "note", "N"])
        .stdout;
    let item = item.trim().to_string();
    let text = s.quiet(&["status", &item]).stdout;
    assert!(
        text.contains("no workflow: `note` items are not deployed"),
        "{text}"
    );
    assert!(!text.contains("deploy on prod"), "{text}");
    let json = s.quiet(&["--json", "status", &item]).json();
    assert_eq!(json["deploy"], serde_json::json!([]), "{json}");
    // A deployer who asks still gets an answer.
    let asked = s
        .command(&["deploy", "check", &item, "prod"])
        .output()
        .unwrap();
    assert_eq!(asked.status.code(), Some(4));
    let daemon = crate::support::Daemon::start(&s, &[]);
    let token = s.token("u");
    let (cookie, _) = crate::support::sign_in(daemon.port, &token);
    let page = crate::support::get_page(daemon.port, &format!("/items/{item}"), Some(&cookie));
    assert!(page.body.contains("have no workflow"), "{}", page.body);
    assert!(
        !page.body.contains("<th scope=\"col\">Infrastructure</th>"),
        "{}",
        page.body
    );
}

#[test]
fn the_item_page_speaks_in_words_and_names_the_parent() {
    let s = Sandbox::new("everyday-words");
    let (project, model) = s.standard_world();
    let version = s.model_version(&model, "Scorer v1");
    let daemon = crate::support::Daemon::start(&s, &[]);
    let (cookie, _) = crate::support::sign_in(daemon.port, &s.token("owner"));
    let page = crate::support::get_page(daemon.port, &format!("/items/{version}"), Some(&cookie));
    assert_eq!(page.status, 200, "{}", page.body);
    // The parent by name, linked by id.
    assert!(
        page.body
            .contains(&format!("parent <a href=\"/items/{model}\">Scorer</a>")),
        "{}",
        page.body
    );
    // Field labels say what a field holds, not its type's syntax.
    assert!(
        page.body.contains("one of low, medium, high"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("enum(low, medium, high)"),
        "{}",
        page.body
    );
    let project_page =
        crate::support::get_page(daemon.port, &format!("/items/{project}"), Some(&cookie));
    assert!(
        project_page
            .body
            .contains("users or groups (user:NAME, group:NAME), separated by commas")
            || project_page
                .body
                .contains("user names, separated by commas")
            || project_page.body.contains("a user name"),
        "{}",
        project_page.body
    );
    assert!(
        !project_page.body.contains("([principal])"),
        "{}",
        project_page.body
    );
}

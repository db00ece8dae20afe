//! Table views (`table ID { … }`): the standard `high_risk` table in the
//! three formats of `govrt table` (text, JSON, CSV), paged, with its errors;
//! a table that only lists what the caller may read, sorted and filtered;
//! and the same rows from the API and the web UI.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::{Daemon, Sandbox, get_page, http, sign_in};

/// A sandbox, and the folder `set` in it that its blueprint set is written to.
fn with_set_dir(name: &str) -> (Sandbox, std::path::PathBuf) {
    let s = Sandbox::new(name);
    let dir = s.dir.join("set");
    std::fs::create_dir_all(&dir).unwrap();
    (s, dir)
}

/// Every page of `limit` rows of a table read from the kept index, put
/// together: each page at most `limit` rows, each cursor the kept index's.
fn table_paged(s: &Sandbox, who: &str, table: &str, limit: &str) -> Vec<String> {
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut page = vec!["--limit", limit];
        if let Some(a) = &after {
            page.extend(["--after", a.as_str()]);
        }
        let (items, next) = s.table_rows(who, table, &page);
        assert!(items.len() <= limit.parse().unwrap());
        // A cursor of the kept index: the last item shown.
        assert!(next.as_ref().is_none_or(|n| n.starts_with('w')), "{next:?}");
        paged.extend(items);
        match next {
            Some(n) => after = Some(n),
            None => return paged,
        }
    }
}

/// Three model versions (high, low, high); the first high one reviewed.
fn versions(s: &mut Sandbox, model: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for (name, tier) in [("alpha", "high"), ("beta", "low"), ("gamma", "high")] {
        let v = s
            .ok(&[
                "--as",
                "owner",
                "item",
                "create",
                "model_version",
                name,
                "--parent",
                model,
                "--set",
                &format!("risk_tier={tier}"),
            ])
            .stdout
            .trim()
            .to_string();
        ids.push(v);
    }
    s.ok(&["--as", "owner", "item", "move", &ids[0], "review"]);
    s.ok(&["--as", "owner", "signoff", "request-final", &ids[0]]);
    s.ok(&["--as", "approver", "signoff", "approve", &ids[0]]);
    ids
}

#[test]
fn the_standard_table_in_three_formats_paged() {
    let mut s = Sandbox::new("tables-cli");
    let (_, model) = s.standard_world();
    let ids = versions(&mut s, &model);
    let list = s.ok(&["--as", "owner", "table"]).stdout;
    assert_eq!(
        list,
        "high_risk  High-risk model versions (of model_version)\n"
    );

    // JSON: the high-risk versions only, the most recently changed first
    // (alpha, reviewed last, before gamma).
    let view = s
        .ok(&["--json", "--as", "owner", "table", "high_risk"])
        .json();
    assert_eq!(
        view["columns"],
        serde_json::json!([
            "name",
            "step",
            "signoff review",
            "signoff validation",
            "deploy prod",
            "updated"
        ])
    );
    let rows = view["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{view}");
    assert_eq!(rows[0]["item"], ids[0].as_str());
    assert_eq!(
        rows[0]["cells"].as_array().unwrap()[..5],
        serde_json::json!(["alpha", "review", "APPROVED", "NOT_STARTED", "BLOCK"])
            .as_array()
            .unwrap()[..]
    );
    assert_eq!(rows[1]["item"], ids[2].as_str());
    assert_eq!(rows[1]["cells"][0], "gamma");
    assert_eq!(rows[1]["cells"][2], "NOT_STARTED");
    assert!(view.get("next").is_none());
    let same = s
        .ok(&["--as", "owner", "table", "high_risk", "--format", "json"])
        .json();
    assert_eq!(same, view);

    // CSV: a header, then one line per row, the same values.
    let csv = s
        .ok(&["--as", "owner", "table", "high_risk", "--format", "csv"])
        .stdout;
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "id,name,step,signoff review,signoff validation,deploy prod,updated"
    );
    assert!(
        lines[1].starts_with(&format!(
            "{},alpha,review,APPROVED,NOT_STARTED,BLOCK,",
            ids[0]
        )),
        "{csv}"
    );
    assert!(lines[2].starts_with(&format!("{},gamma,exploration,", ids[2])));
    assert_eq!(lines.len(), 4, "{csv}");

    // Text: the label, the headers, one aligned line per row.
    let text = s.ok(&["--as", "owner", "table", "high_risk"]).stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "High-risk model versions (table high_risk of model_version): 2 items"
    );
    assert!(
        lines[1].starts_with("ID  NAME   STEP         SIGNOFF REVIEW"),
        "{text}"
    );
    assert!(lines[2].contains("alpha  review       APPROVED"), "{text}");
    assert!(!text.contains("beta"));

    // A page at a time: the next cursor on stderr, then the rest.
    let first = s.ok(&["--as", "owner", "table", "high_risk", "--limit", "1"]);
    assert!(first.stdout.contains("alpha") && !first.stdout.contains("gamma"));
    let next = first
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("next page: --after "))
        .unwrap()
        .to_string();
    let rest = s
        .ok(&[
            "--json",
            "--as",
            "owner",
            "table",
            "high_risk",
            "--limit",
            "1",
            "--after",
            &next,
        ])
        .json();
    assert_eq!(rest["rows"][0]["cells"][0], "gamma");
    assert!(rest.get("next").is_none());

    // Errors say what exists.
    let r = s.expect(1, &["--as", "owner", "table", "risky"]);
    assert!(
        r.stderr
            .contains("no table `risky` (the tables are high_risk)"),
        "{}",
        r.stderr
    );
    let r = s.expect(1, &["--as", "owner", "table", "high_risk", "--after", "x"]);
    assert!(r.stderr.contains("is not a cursor"), "{}", r.stderr);
}

#[test]
fn a_table_lists_only_what_the_caller_may_read() {
    let mut s = Sandbox::new("tables-read");
    let dir = s.dir.join("set");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("cases.gov"),
        r#"blueprint case "Case" {
  field owner: user "Owner"
  field amount: number "Amount"
  field region: enum(eu, us) "Region"
  role owner = field owner
  permission read = role owner, group "audit"
  permission write = everyone
  workflow {
    step intake "Intake"
    step done "Done"
  }
}

/// Large cases, the largest first; unset amounts last.
table large "Large cases" {
  blueprint case
  columns name, amount, region, step
  filter amount >= 100 or amount is not set
  sort amount desc
}
"#,
    )
    .unwrap();
    s.ok(&["validate", "set", "--deny-warnings"]);
    s.ok(&["init", "--blueprints", "set"]);
    for u in ["ann", "bob", "carol"] {
        s.quiet(&["user", "add", u]);
    }
    s.quiet(&["group", "add", "audit", "--member", "carol"]);
    let create = |s: &mut Sandbox, who: &str, name: &str, set: &[&str]| {
        let mut args = vec!["--as", who, "item", "create", "case", name];
        for v in set {
            args.extend(["--set", v]);
        }
        let owner = format!("owner={who}");
        args.extend(["--set", &owner]);
        s.ok(&args).stdout.trim().to_string()
    };
    create(&mut s, "ann", "a-small", &["amount=5"]);
    create(&mut s, "ann", "a-big", &["amount=500", "region=eu"]);
    create(&mut s, "bob", "b-bigger", &["amount=900"]);
    create(&mut s, "ann", "a-open", &[]);
    let names = |s: &Sandbox, who: &str| -> Vec<String> {
        s.quiet(&["--json", "--as", who, "table", "large"]).json()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["cells"][0].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&s, "ann"), ["a-big", "a-open"]);
    assert_eq!(names(&s, "bob"), ["b-bigger"]);
    assert_eq!(names(&s, "carol"), ["b-bigger", "a-big", "a-open"]);
    let csv = s
        .ok(&["--as", "carol", "table", "large", "--format", "csv"])
        .stdout;
    assert!(csv.contains(",a-open,,,intake\r\n"), "{csv}");
    let text = s.ok(&["--as", "carol", "table", "large"]).stdout;
    assert!(text.contains("a-open    -       -       intake"), "{text}");
}

#[test]
fn the_api_and_the_web_ui_show_the_same_rows() {
    let mut s = Sandbox::new("tables-http");
    let (_, model) = s.standard_world();
    let ids = versions(&mut s, &model);
    let d = Daemon::start(&s, &[]);
    let token = s.token("owner");
    let list = http(d.port, "GET", "/api/v1/tables", Some(&token), &[], None);
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(
        list.json(),
        serde_json::json!([{"id": "high_risk", "label": "High-risk model versions", "blueprint": "model_version"}])
    );
    let cli = s
        .quiet(&["--json", "--as", "owner", "table", "high_risk"])
        .json();
    let api = http(
        d.port,
        "GET",
        "/api/v1/tables/high_risk",
        Some(&token),
        &[],
        None,
    );
    assert_eq!(api.status, 200, "{}", api.body);
    assert_eq!(api.json(), cli);
    let page = http(
        d.port,
        "GET",
        "/api/v1/tables/high_risk?limit=1",
        Some(&token),
        &[],
        None,
    );
    let next = page.header("x-next-cursor").unwrap().to_string();
    assert_eq!(page.json()["next"], next.as_str());
    let rest = http(
        d.port,
        "GET",
        &format!("/api/v1/tables/high_risk?limit=1&cursor={next}"),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(rest.json()["rows"][0]["item"], ids[2].as_str());
    let missing = http(
        d.port,
        "GET",
        "/api/v1/tables/nope",
        Some(&token),
        &[],
        None,
    );
    assert_eq!(missing.status, 404, "{}", missing.body);
    assert_eq!(missing.json()["error"]["code"], "not_found");
    let bad = http(
        d.port,
        "GET",
        "/api/v1/tables/high_risk?cursor=zz",
        Some(&token),
        &[],
        None,
    );
    assert_eq!(bad.status, 400, "{}", bad.body);

    let (cookie, _) = sign_in(d.port, &token);
    let page = get_page(d.port, "/tables", Some(&cookie));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<h1>High-risk model versions</h1>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("<a href=\"/items/{}\">", ids[0]))
    );
    assert!(page.body.contains("badge s-APPROVED"), "{}", page.body);
    assert!(page.body.contains("badge d-BLOCK"));
    assert!(page.body.contains("gamma") && !page.body.contains("beta"));
    assert!(page.body.contains("href=\"/tables\" aria-current=\"page\""));
    let missing = get_page(d.port, "/tables/nope", Some(&cookie));
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("the tables are high_risk"),
        "{}",
        missing.body
    );
}

/// A table in the kept index's order (by update time either way, or by
/// id) is read a page of the index at a time: over more items than one
/// read takes, with rows the filter drops and rows the caller may not
/// read, its pages put together are the whole table, in order, with the
/// rows the same table sorted in memory keeps.
#[test]
fn a_table_in_the_kept_order_pages_through_the_index() {
    let (mut s, dir) = with_set_dir("tables-kept");
    let tables = [
        ("recent", "sort updated desc"),
        ("by_id", ""),
        ("oldest", "sort updated asc"),
        ("by_amount", "sort amount asc"),
    ];
    let mut text = String::from(
        r#"blueprint case "Case" {
  field owner: user "Owner"
  field amount: number "Amount"
  role owner = field owner
  permission read = role owner, group "audit"
  permission write = everyone
  workflow { step intake "Intake"  step done "Done" }
}
"#,
    );
    for (id, sort) in tables {
        text.push_str(&format!(
            "table {id} {{ blueprint case  columns name, amount  filter amount >= 50  {sort} }}\n"
        ));
    }
    std::fs::write(dir.join("cases.gov"), text).unwrap();
    s.ok(&["validate", "set", "--deny-warnings"]);
    s.ok(&["init", "--blueprints", "set"]);
    for u in ["ann", "bob", "carol"] {
        s.quiet(&["user", "add", u]);
    }
    s.quiet(&["group", "add", "audit", "--member", "carol"]);
    let mut ids = Vec::new();
    for i in 0..130 {
        let who = if i % 3 == 0 { "bob" } else { "ann" };
        let amount = format!("amount={}", (i * 37) % 100);
        let owner = format!("owner={who}");
        let name = format!("case-{i:03}");
        let args = [
            "--as", who, "item", "create", "case", &name, "--set", &amount, "--set", &owner,
        ];
        ids.push(s.ok(&args).stdout.trim().to_string());
    }
    // Changed last, so first by update time.
    for id in [&ids[4], &ids[1]] {
        s.ok(&["--as", "ann", "item", "set", id, "amount=99"]);
    }
    for who in ["ann", "carol"] {
        let (sorted, _) = s.table_rows(who, "by_amount", &[]);
        let mut expected_ids = sorted.clone();
        expected_ids.sort_by_key(|i| i.parse::<i64>().unwrap());
        for (table, _) in &tables[..3] {
            let (whole, next) = s.table_rows(who, table, &[]);
            assert!(next.is_none());
            assert_eq!(table_paged(&s, who, table, "7"), whole, "{who} {table}");
            let mut same = whole.clone();
            same.sort_by_key(|i| i.parse::<i64>().unwrap());
            assert_eq!(same, expected_ids, "{who} {table}");
            match *table {
                "by_id" => assert_eq!(whole, expected_ids),
                "oldest" => {
                    let (mut recent, _) = s.table_rows(who, "recent", &[]);
                    recent.reverse();
                    assert_eq!(whole, recent, "{who}");
                }
                _ => assert_eq!(whole[..2], [ids[1].clone(), ids[4].clone()], "{who}"),
            }
        }
    }
    // Ann reads her cases only; the auditor reads them all.
    let (ann, _) = s.table_rows("ann", "by_id", &[]);
    let (carol, _) = s.table_rows("carol", "by_id", &[]);
    assert!(
        ann.len() < carol.len() && carol.len() > 50,
        "{} {}",
        ann.len(),
        carol.len()
    );
    // A cursor of one order is refused by the other.
    let (_, next) = s.table_rows("carol", "recent", &["--limit", "3"]);
    let next = next.unwrap();
    let r = s.expect(1, &["--as", "carol", "table", "by_id", "--after", &next]);
    assert!(
        r.stderr.contains("is not a cursor of table `by_id`"),
        "{}",
        r.stderr
    );
}

/// A table by name or by step, either way, is read from the kept index a
/// page at a time: with names many items share and items without a step
/// (made on a version of the blueprint without a workflow), its pages put
/// together are the readable items in the table's order — by value,
/// bytewise, ties by id, those without a value last, in the same
/// direction — and every cursor is the last item shown.
#[test]
fn a_table_by_name_or_step_pages_through_the_index() {
    let (mut s, dir) = with_set_dir("tables-text");
    let tables = [
        ("by_name", "sort name asc"),
        ("by_name_desc", "sort name desc"),
        ("by_step", "sort step asc"),
        ("by_step_desc", "sort step desc"),
    ];
    let set = |workflow: &str| {
        let mut text = format!(
            r#"blueprint note "Note" {{
  field owner: user "Owner"
  role owner = field owner
  permission read = role owner, group "audit"
  permission write = everyone
  {workflow}
}}
"#
        );
        for (id, sort) in tables {
            text.push_str(&format!(
                "table {id} {{ blueprint note  columns name, step  {sort} }}\n"
            ));
        }
        text
    };
    std::fs::write(dir.join("notes.gov"), set("")).unwrap();
    s.ok(&["init", "--blueprints", "set"]);
    for u in ["ann", "bob", "carol"] {
        s.quiet(&["user", "add", u]);
    }
    s.quiet(&["group", "add", "audit", "--member", "carol"]);
    // (id, name, step, owner) of every note.
    let mut notes: Vec<(i64, String, Option<String>, &str)> = Vec::new();
    let create = |s: &mut Sandbox, i: usize| {
        let who = if i % 3 == 0 { "bob" } else { "ann" };
        let name = format!("note-{}", (i * 5) % 7);
        let owner = format!("owner={who}");
        let args = [
            "--as", who, "item", "create", "note", &name, "--set", &owner,
        ];
        let id: i64 = s.ok(&args).stdout.trim().parse().unwrap();
        (id, name, who)
    };
    for i in 0..12 {
        let (id, name, who) = create(&mut s, i);
        notes.push((id, name, None, who));
    }
    std::fs::write(
        dir.join("notes.gov"),
        set(r#"workflow { step draft "Draft"  step final "Final" }"#),
    )
    .unwrap();
    s.ok(&["blueprint", "load", "set/notes.gov"]);
    for i in 12..40 {
        let (id, name, who) = create(&mut s, i);
        let step = if i % 4 == 0 {
            s.ok(&["--as", who, "item", "move", &id.to_string(), "final"]);
            "final"
        } else {
            "draft"
        };
        notes.push((id, name, Some(step.to_string()), who));
    }
    for who in ["ann", "carol"] {
        for (table, _) in tables {
            let descending = table.ends_with("_desc");
            let mut expected: Vec<(Option<String>, i64)> = notes
                .iter()
                .filter(|n| who == "carol" || n.3 == who)
                .map(|(id, name, step, _)| {
                    let key = if table.starts_with("by_name") {
                        Some(name.clone())
                    } else {
                        step.clone()
                    };
                    (key, *id)
                })
                .collect();
            expected.sort_by(|(ka, ia), (kb, ib)| match (ka, kb) {
                (None, None) if descending => ib.cmp(ia),
                (None, None) => ia.cmp(ib),
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(_), None) => std::cmp::Ordering::Less,
                (Some(a), Some(b)) if descending => (b, ib).cmp(&(a, ia)),
                (Some(a), Some(b)) => (a, ia).cmp(&(b, ib)),
            });
            let expected: Vec<String> =
                expected.into_iter().map(|(_, id)| id.to_string()).collect();
            let (whole, next) = s.table_rows(who, table, &[]);
            assert!(next.is_none());
            assert_eq!(whole, expected, "{who} {table}");
            assert_eq!(
                table_paged(&s, who, table, "4"),
                expected,
                "{who} {table}, in pages of 4"
            );
        }
    }
    // A cursor of one order is refused by another.
    let (_, next) = s.table_rows("carol", "by_name", &["--limit", "3"]);
    let r = s.expect(
        1,
        &[
            "--as",
            "carol",
            "table",
            "by_step",
            "--after",
            &next.unwrap(),
        ],
    );
    assert!(
        r.stderr.contains("is not a cursor of table `by_step`"),
        "{}",
        r.stderr
    );
}

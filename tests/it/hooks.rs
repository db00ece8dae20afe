//! Each hook point changes the outcome it should, through the real binary, on
//! the `examples/ai_governance` set; runaway and malicious scripts are stopped
//! with a clear error and leave the database unchanged.
//! Script output is bounded, hook tests are rate-limited, and scripts stay
//! in their folder (a shared one is stored once).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::path::Path;

use crate::support::{Daemon, Sandbox, http};
use serde_json::json;

fn ai_world(name: &str) -> (Sandbox, String) {
    let s = Sandbox::new(name);
    let set = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ai_governance");
    s.quiet(&["init", "--blueprints", set.to_str().unwrap()]);
    for u in ["owner", "tech", "approver", "risk1"] {
        s.quiet(&["user", "add", u]);
    }
    s.quiet(&["group", "add", "risk", "--member", "risk1"]);
    let project = s
        .quiet(&[
            "--as",
            "owner",
            "item",
            "create",
            "ai_project",
            "Chatbot",
            "--set",
            "owner=owner",
            "--set",
            "reviewers=user:tech",
            "--set",
            "approvers=user:approver",
        ])
        .stdout
        .trim()
        .to_string();
    (s, project)
}

fn field(s: &Sandbox, item: &str, name: &str) -> serde_json::Value {
    s.quiet(&["--json", "--as", "owner", "item", "show", item])
        .json()["fields"][name]
        .clone()
}

#[test]
fn computed_fields_and_after_change_follow_every_change() {
    let (s, project) = ai_world("hooks-compute");
    assert_eq!(
        field(&s, &project, "qualification_score"),
        serde_json::json!(5.0)
    );
    assert_eq!(field(&s, &project, "fast_track"), serde_json::json!(false));
    s.quiet(&[
        "--as",
        "owner",
        "item",
        "set",
        &project,
        "value=5",
        "feasibility=5",
        "risk=1",
    ]);
    assert_eq!(
        field(&s, &project, "qualification_score"),
        serde_json::json!(10.0)
    );
    assert_eq!(
        field(&s, &project, "fast_track"),
        serde_json::json!(true),
        "after_change put it on the fast track"
    );
    let history = s
        .quiet(&["--json", "--as", "owner", "item", "history", &project])
        .json();
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["details"]["follow_up"],
        serde_json::json!({"fast_track": true}),
        "the follow-up is audited"
    );
}

#[test]
fn before_advance_requires_documentation() {
    let (mut s, project) = ai_world("hooks-advance");
    let mv = s
        .quiet(&[
            "--as",
            "owner",
            "item",
            "create",
            "ai_model_version",
            "Bot v1",
            "--parent",
            &project,
        ])
        .stdout
        .trim()
        .to_string();
    let r = s.expect(1, &["--json", "--as", "owner", "item", "advance", &mv]);
    assert_eq!(r.json()["error"]["code"], "refused_by_rule");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("attach the model documentation")
    );
    s.ok(&[
        "--as",
        "owner",
        "item",
        "set",
        &mv,
        "documentation=model-card.pdf",
    ]);
    s.ok(&["--as", "owner", "item", "advance", &mv]);
}

#[test]
fn high_risk_adds_reviewers_makes_the_review_mandatory_and_recertifies_yearly() {
    let (mut s, project) = ai_world("hooks-risk");
    let make = |s: &Sandbox, name: &str, tier: &str| {
        let mv = s
            .quiet(&[
                "--as",
                "owner",
                "item",
                "create",
                "ai_model_version",
                name,
                "--parent",
                &project,
                "--set",
                &format!("risk_tier={tier}"),
                "--set",
                "owner=owner",
                "--set",
                "documentation=card.pdf",
            ])
            .stdout
            .trim()
            .to_string();
        s.quiet(&["--as", "owner", "item", "advance", &mv]);
        s.quiet(&["--as", "owner", "signoff", "request-review", &mv]);
        mv
    };
    let low = make(&s, "Bot low", "low");
    let high = make(&s, "Bot high", "high");
    // reviewers: the Risk group reviews high-risk versions only.
    s.expect(
        1,
        &[
            "--as", "risk1", "signoff", "feedback", &low, "risk", "approved",
        ],
    );
    s.ok(&[
        "--as", "risk1", "signoff", "feedback", &high, "risk", "approved",
    ]);
    // mandatory: a low-risk version may leave Review without approval, a high-risk one may not.
    s.ok(&["--as", "owner", "item", "advance", &low]);
    let r = s.expect(1, &["--json", "--as", "owner", "item", "advance", &high]);
    assert_eq!(r.json()["error"]["code"], "signoff_required");
    // reset_at: a year for high risk, the blueprint's two years otherwise.
    for (mv, years) in [(&high, 1u32), (&low, 2u32)] {
        s.quiet(&[
            "--as",
            "owner",
            "signoff",
            "request-final",
            mv,
            "--step",
            "review",
        ]);
        s.quiet(&[
            "--as", "approver", "signoff", "approve", mv, "--step", "review",
        ]);
        let signoff =
            s.quiet(&["--json", "--as", "owner", "status", mv]).json()["signoffs"][0].clone();
        let approved =
            chrono::DateTime::parse_from_rfc3339(signoff["approved_at"].as_str().unwrap()).unwrap();
        let next = chrono::DateTime::parse_from_rfc3339(signoff["next_reset_at"].as_str().unwrap())
            .unwrap();
        let days = (next - approved).num_days();
        assert!(
            (365 * i64::from(years)..=366 * i64::from(years)).contains(&days),
            "{mv}: {days} days"
        );
    }
}

#[test]
fn validate_refuses_a_change_and_nothing_is_written() {
    let (mut s, project) = ai_world("hooks-validate");
    let r = s.expect(
        1,
        &[
            "--json",
            "--as",
            "owner",
            "item",
            "create",
            "ai_model_version",
            "Bot",
            "--parent",
            &project,
            "--set",
            "risk_tier=high",
        ],
    );
    assert_eq!(r.json()["error"]["code"], "refused_by_rule");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("owner: a high-risk model version needs an owner")
    );
    let items = s
        .quiet(&[
            "--json",
            "--as",
            "owner",
            "item",
            "list",
            "--blueprint",
            "ai_model_version",
        ])
        .json();
    assert_eq!(items.as_array().unwrap().len(), 0);
}

/// A set whose `validate` hook misbehaves as `body` says.
fn hostile(name: &str, body: &str) -> (Sandbox, Option<String>) {
    let s = Sandbox::new(name);
    std::fs::write(
        s.dir.join("h.gov"),
        "blueprint thing {\n  script \"h.rhai\"\n  field note: text\n}\n",
    )
    .unwrap();
    std::fs::write(s.dir.join("h.rhai"), body).unwrap();
    let init = s
        .command(&["init", "--blueprints", "h.gov"])
        .output()
        .unwrap();
    if !init.status.success() {
        return (s, Some(String::from_utf8_lossy(&init.stderr).into_owned()));
    }
    s.quiet(&["user", "add", "u"]);
    (s, None)
}

#[test]
fn runaway_and_malicious_scripts_are_stopped_and_change_nothing() {
    let cases = [
        ("loop", "fn validate(item) { loop { } }", "operations"),
        (
            "recursion",
            "fn deep(n) { deep(n + 1) }\nfn validate(item) { deep(0) }",
            "nested deeper",
        ),
        (
            "string",
            "fn validate(item) { let s = \"x\"; loop { s += s; } }",
            "beyond its limit",
        ),
        (
            "file",
            "fn validate(item) { import \"/etc/passwd\" as secrets; () }",
            "script `h.rhai`, function `validate`",
        ),
    ];
    for (name, body, expected) in cases {
        let (mut s, refused) = hostile(&format!("hostile-{name}"), body);
        assert!(refused.is_none(), "{name}: the set loads: {refused:?}");
        let before = s.quiet(&["--json", "audit", "verify"]).json()["events"].clone();
        let r = s.expect(1, &["--json", "--as", "u", "item", "create", "thing", "T"]);
        let err = r.json()["error"].clone();
        assert_eq!(err["code"], "script_error", "{name}: {err}");
        let message = err["message"].as_str().unwrap();
        assert!(message.contains(expected), "{name}: {message}");
        assert!(
            message.contains("line"),
            "{name}: the error gives a position: {message}"
        );
        let after = s.quiet(&["--json", "audit", "verify"]).json()["events"].clone();
        assert_eq!(before, after, "{name}: nothing was written");
        let items = s.quiet(&["--json", "--as", "u", "item", "list"]).json();
        assert_eq!(items.as_array().unwrap().len(), 0, "{name}");
    }
    // `eval` is refused when the set is loaded.
    let (_, refused) = hostile("hostile-eval", "fn validate(item) { eval(\"1\") }");
    assert!(refused.unwrap().contains("gov::E0402"));
}

#[test]
fn hook_test_runs_one_hook_on_an_item_or_on_json() {
    let (mut s, project) = ai_world("hooks-try");
    let mv = s
        .quiet(&[
            "--as",
            "owner",
            "item",
            "create",
            "ai_model_version",
            "Bot",
            "--parent",
            &project,
            "--set",
            "risk_tier=high",
            "--set",
            "owner=owner",
        ])
        .stdout
        .trim()
        .to_string();
    let r = s.ok(&[
        "--json",
        "--as",
        "owner",
        "hook",
        "test",
        "reviewers",
        "--item",
        &mv,
        "--arg",
        "review",
        "--arg",
        "risk",
    ]);
    assert_eq!(r.json()["result"], serde_json::json!(["group:risk"]));
    let r = s.ok(&[
        "--as",
        "owner",
        "hook",
        "test",
        "before_advance",
        "--item",
        &mv,
        "--arg",
        "build",
        "--arg",
        "review",
    ]);
    assert!(
        r.stdout.contains("attach the model documentation"),
        "{}",
        r.stdout
    );
    std::fs::write(
        s.dir.join("item.json"),
        r#"{"fields": {"risk_tier": "low", "owner": null}}"#,
    )
    .unwrap();
    let r = s.ok(&[
        "--json",
        "--as",
        "owner",
        "hook",
        "test",
        "mandatory",
        "--blueprint",
        "ai_model_version",
        "--item-json",
        "item.json",
        "--arg",
        "review",
    ]);
    assert_eq!(r.json()["result"], serde_json::json!(false));
    let r = s.expect(
        1,
        &[
            "--json", "--as", "owner", "hook", "test", "nope", "--item", &mv,
        ],
    );
    assert_eq!(r.json()["error"]["code"], "not_found");
    s.expect(2, &["--as", "owner", "hook", "test", "validate"]);
    let history = s
        .quiet(&["--json", "--as", "owner", "item", "history", &mv])
        .json();
    assert_eq!(
        history.as_array().unwrap().len(),
        1,
        "trying hooks writes nothing"
    );
}

#[test]
fn an_edited_script_is_picked_up_by_blueprint_load_without_a_restart() {
    let s = Sandbox::new("hooks-reload");
    std::fs::write(
        s.dir.join("t.gov"),
        "blueprint thing {\n  script \"t.rhai\"\n  field note: text\n}\n",
    )
    .unwrap();
    std::fs::write(s.dir.join("t.rhai"), "fn validate(item) { [] }\n").unwrap();
    s.quiet(&["init", "--blueprints", "t.gov"]);
    s.quiet(&["user", "add", "u"]);
    s.quiet(&["--as", "u", "item", "create", "thing", "first"]);
    std::fs::write(
        s.dir.join("t.rhai"),
        "fn validate(item) { if item.fields.note == () { [\"write a note\"] } else { [] } }\n",
    )
    .unwrap();
    let r = s.quiet(&["--json", "blueprint", "load", "t.gov"]).json();
    assert_eq!(
        r["new_versions"],
        serde_json::json!([["thing", 2]]),
        "a changed script is a new version"
    );
    let refused = s
        .command(&["--json", "--as", "u", "item", "create", "thing", "second"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("write a note"));
    s.quiet(&[
        "--as",
        "u",
        "item",
        "create",
        "thing",
        "third",
        "--set",
        "note=hello",
    ]);
    // The first item stays pinned to version 1 and its rules.
    s.quiet(&["--as", "u", "item", "set", "1", "note=still fine"]);
    s.quiet(&["--as", "u", "item", "unset", "1", "note"]);
}

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

//! A client generated from the API's OpenAPI document by a standard
//! generator (openapi-python-client, from PyPI) runs a full sign-off against
//! a real daemon, using only its generated methods and types
//! (tests/client/signoff.py): the document is exact enough to build a
//! working client from. `.ci/python` installs the generator.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::path::Path;
use std::process::Command;

use crate::support::{Daemon, Sandbox, http};

/// The virtual environment with the generator (as build.rs found it).
const VENV: &str = env!("GOVRT_PYTHON_VENV");

#[test]
#[cfg_attr(
    not(govrt_has_python_client),
    ignore = "needs openapi-python-client in the virtual environment that .ci/python makes (target/python); .ci/run installs it"
)]
fn a_generated_client_runs_a_full_signoff() {
    let s = Sandbox::new("api-client");
    let (_, model) = s.standard_world();
    let d = Daemon::start(&s, &[]);
    let document = http(d.port, "GET", "/api/v1/openapi.json", None, &[], None);
    assert_eq!(document.status, 200);
    let out = s.dir.join("client");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("openapi.json"), &document.body).unwrap();
    std::fs::write(
        out.join("config.yml"),
        "project_name_override: govrt-client\npackage_name_override: govrt_client\n",
    )
    .unwrap();
    let bin = Path::new(VENV).join("bin");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let generated = Command::new(bin.join("openapi-python-client"))
        .args([
            "generate",
            "--path",
            "openapi.json",
            "--config",
            "config.yml",
        ])
        .args([
            "--meta",
            "none",
            "--output-path",
            "govrt_client",
            "--overwrite",
        ])
        .current_dir(&out)
        .env("PATH", &path)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&generated.stdout).to_string()
        + &*String::from_utf8_lossy(&generated.stderr);
    assert!(generated.status.success(), "{report}");
    // Every schema and operation made it into the client.
    assert!(!report.contains("Warning"), "{report}");

    let tokens: serde_json::Map<String, serde_json::Value> =
        ["owner", "itops", "risk1", "biz", "approver"]
            .iter()
            .map(|u| (u.to_string(), s.token(u).into()))
            .collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/client/signoff.py");
    let run = Command::new(bin.join("python"))
        .arg(script)
        .arg(format!("http://127.0.0.1:{}", d.port))
        .arg(&model)
        .current_dir(&out)
        .env("PYTHONPATH", &out)
        .env("PATH", &path)
        .env(
            "GOVRT_TOKENS",
            serde_json::Value::Object(tokens).to_string(),
        )
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&run.stdout).to_string() + &*String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{said}");
    assert!(said.starts_with("signed off "), "{said}");
    let id = said.trim().trim_start_matches("signed off ");
    let history = s.history_actions("owner", id);
    assert!(
        history.contains(&"signoff.approve".to_string()),
        "{history:?}"
    );
}

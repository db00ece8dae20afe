//! Tells the tests which real servers this machine has: the mail tests need
//! Debian's aiosmtpd, the browser test Chromium and ChromeDriver, the
//! documentation's API transcripts curl, the PostgreSQL outage tests a
//! server of their own (initdb and pg_ctl), the generated API client test
//! openapi-python-client in the virtual environment of `.ci/python`. A test
//! whose tool is missing is compiled as ignored, so `cargo test` counts it
//! as ignored, never as passed. `.ci/run` installs the tools before testing.

use std::path::Path;

/// (cfg flag, the tools it needs).
const TOOLS: &[(&str, &[&str])] = &[
    ("govrt_has_aiosmtpd", &["/usr/bin/aiosmtpd"]),
    ("govrt_has_curl", &["/usr/bin/curl"]),
    (
        "govrt_has_chromium",
        &["/usr/bin/chromium", "/usr/bin/chromedriver"],
    ),
];

fn main() {
    for (flag, tools) in TOOLS {
        println!("cargo::rustc-check-cfg=cfg({flag})");
        for tool in *tools {
            // Probed again when a tool appears or goes.
            println!("cargo::rerun-if-changed={tool}");
        }
        if tools.iter().all(|t| Path::new(t).exists()) {
            println!("cargo::rustc-cfg={flag}");
        }
    }
    // PostgreSQL's binaries are under a versioned folder on Debian.
    println!("cargo::rustc-check-cfg=cfg(govrt_has_postgres)");
    let mut initdb: Vec<std::path::PathBuf> = ["/usr/local/bin/initdb", "/usr/bin/initdb"]
        .iter()
        .map(std::path::PathBuf::from)
        .collect();
    if let Ok(versions) = std::fs::read_dir("/usr/lib/postgresql") {
        initdb.extend(versions.flatten().map(|v| v.path().join("bin/initdb")));
    }
    println!("cargo::rerun-if-changed=/usr/lib/postgresql");
    if initdb.iter().any(|p| p.exists()) {
        println!("cargo::rustc-cfg=govrt_has_postgres");
    }
    // The Python tools of the API tests (.ci/python makes them).
    println!("cargo::rustc-check-cfg=cfg(govrt_has_python_client)");
    println!("cargo::rerun-if-env-changed=GOVRT_PYTHON_VENV");
    println!("cargo::rerun-if-env-changed=CARGO_TARGET_DIR");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let venv = std::env::var("GOVRT_PYTHON_VENV").unwrap_or_else(|_| {
        let target =
            std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| format!("{manifest}/target"));
        format!("{target}/python")
    });
    let generator = format!("{venv}/bin/openapi-python-client");
    println!("cargo::rerun-if-changed={generator}");
    println!("cargo::rustc-env=GOVRT_PYTHON_VENV={venv}");
    if Path::new(&generator).exists() {
        println!("cargo::rustc-cfg=govrt_has_python_client");
    }
    println!("cargo::rerun-if-changed=build.rs");
}

//! Tells the tests which real servers this machine has: the mail tests need
//! Debian's aiosmtpd, the browser test Chromium and ChromeDriver, the
//! documentation's API transcripts curl, the PostgreSQL outage tests a
//! server of their own (initdb and pg_ctl). A test
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
    println!("cargo::rerun-if-changed=build.rs");
}

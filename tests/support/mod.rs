//! Helpers for tests that drive the real `govrt` binary on a fresh database.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// A scratch folder with a database, removed when dropped.
pub struct Sandbox {
    pub dir: PathBuf,
    pub transcript: String,
}

/// What a command printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

impl Sandbox {
    pub fn new(name: &str) -> Sandbox {
        let dir = std::env::temp_dir().join(format!("govrt-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Sandbox {
            dir,
            transcript: String::new(),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.join("govrt.db")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_govrt"));
        c.args(args)
            .current_dir(&self.dir)
            .env("GOVRT_DB", self.db())
            .env("NO_COLOR", "1")
            .env_remove("GOVRT_USER")
            .env_remove("GOVRT_SYNC");
        c
    }

    fn output(&self, args: &[&str]) -> Run {
        let Output {
            status,
            stdout,
            stderr,
        } = self.command(args).output().unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Runs `govrt ARGS` and records it in the transcript.
    pub fn run(&mut self, args: &[&str]) -> Run {
        let run = self.output(args);
        self.transcript
            .push_str(&format!("$ govrt {}\n", args.join(" ")));
        self.transcript.push_str(&run.stdout);
        self.transcript.push_str(&run.stderr);
        self.transcript
            .push_str(&format!("[exit {}]\n\n", run.code));
        run
    }

    /// Runs and asserts the exit code.
    pub fn ok(&mut self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(
            run.code, 0,
            "govrt {args:?} failed:\n{}{}",
            run.stdout, run.stderr
        );
        run
    }

    /// Runs and asserts a given exit code.
    pub fn expect(&mut self, code: i32, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(
            run.code, code,
            "govrt {args:?} exited {} not {code}:\n{}{}",
            run.code, run.stdout, run.stderr
        );
        run
    }

    /// Runs without recording (setup noise).
    pub fn quiet(&self, args: &[&str]) -> Run {
        let run = self.output(args);
        assert_eq!(
            run.code, 0,
            "govrt {args:?} failed:\n{}{}",
            run.stdout, run.stderr
        );
        run
    }

    /// The standard world: users, a risk group, a project with reviewers, a model.
    /// Returns (project, model) ids.
    pub fn standard_world(&self) -> (String, String) {
        self.quiet(&["init"]);
        for u in [
            "owner", "itops", "risk1", "risk2", "biz", "approver", "outsider",
        ] {
            self.quiet(&["user", "add", u, "--email", &format!("{u}@example.com")]);
        }
        self.quiet(&["user", "add", "admin", "--admin"]);
        self.quiet(&[
            "group", "add", "risk", "--member", "risk1", "--member", "risk2",
        ]);
        let project = self
            .quiet(&[
                "--as",
                "owner",
                "item",
                "create",
                "project",
                "Fraud scoring",
                "--set",
                "owner=owner",
                "--set",
                "it_ops_reviewers=user:itops",
                "--set",
                "risk_reviewers=group:risk",
                "--set",
                "business_reviewers=user:biz",
                "--set",
                "final_approvers=user:approver,user:owner",
            ])
            .stdout
            .trim()
            .to_string();
        let model = self
            .quiet(&[
                "--as", "owner", "item", "create", "model", "Scorer", "--parent", &project,
            ])
            .stdout
            .trim()
            .to_string();
        (project, model)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Timestamps and secrets replaced, for snapshots.
pub fn redactions() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "[time]",
        ),
        (r"gov[kt]_[0-9a-f]{48}", "[secret]"),
        (r"govrt-test-[a-z-]+-\d+", "[sandbox]"),
    ]
}

//! A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping every
//! message in a maildir, stopped when dropped.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const AIOSMTPD: &str = "/usr/bin/aiosmtpd";

/// A real SMTP server on 127.0.0.1, stopped when dropped.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

impl SmtpSink {
    pub fn start(dir: &Path, port: Option<u16>) -> Option<SmtpSink> {
        if !Path::new(AIOSMTPD).exists() {
            eprintln!(
                "\n!!! SKIPPED: {AIOSMTPD} is missing; install Debian's python3-aiosmtpd (.ci/run does) !!!\n"
            );
            return None;
        }
        let port = port.unwrap_or_else(free_port);
        let maildir = dir.join("maildir");
        let child = Command::new(AIOSMTPD)
            .args([
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(SmtpSink {
            child,
            port,
            maildir,
        })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received: (recipient, subject, body).
    pub fn messages(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) else {
                continue;
            };
            for e in entries {
                let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
                // Unfold long header lines (RFC 5322 folding) before reading them.
                let head = text
                    .split("\n\n")
                    .next()
                    .unwrap_or_default()
                    .replace("\r\n", "\n")
                    .replace("\n ", " ")
                    .replace("\n\t", " ");
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim().to_string())
                        .unwrap_or_default()
                };
                out.push((header("To:"), header("Subject:"), text.clone()));
            }
        }
        out.sort();
        out
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

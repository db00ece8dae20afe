//! A PostgreSQL server of a test's own (initdb into a scratch folder,
//! pg_ctl on a free port of 127.0.0.1), for tests that stop and start it;
//! stopped and removed when dropped.

use std::path::PathBuf;
use std::process::Command;

/// A throwaway PostgreSQL server.
pub struct PgServer {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
}

/// Where Debian's (or a local) PostgreSQL binaries are.
fn bin_dir() -> Option<PathBuf> {
    let which = Command::new("sh")
        .args([
            "-c",
            "command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1",
        ])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&which.stdout).trim().to_string();
    let path = PathBuf::from(path);
    path.is_file()
        .then(|| path.parent().map(PathBuf::from))
        .flatten()
}

fn as_postgres(command: &str) -> bool {
    Command::new("su")
        .args(["postgres", "-s", "/bin/sh", "-c", command])
        .status()
        .is_ok_and(|s| s.success())
}

impl PgServer {
    /// Starts one, or says SKIPPED loudly and answers `None` when
    /// PostgreSQL (or its `postgres` user, or root to become it) is missing.
    pub fn start(name: &str) -> Option<PgServer> {
        let Some(bin) = bin_dir() else {
            eprintln!(
                "\n!!! SKIPPED: initdb is missing; install Debian's postgresql (.ci/tools does) !!!\n"
            );
            return None;
        };
        let dir = std::env::temp_dir().join(format!("govrt-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let owned = Command::new("chown")
            .args(["postgres"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !owned
            || !as_postgres(&format!(
                "'{}/initdb' -D '{}/data' -A trust -U postgres >/dev/null",
                bin.display(),
                dir.display()
            ))
        {
            eprintln!(
                "\n!!! SKIPPED: cannot run initdb as the postgres user (needs root and Debian's postgresql) !!!\n"
            );
            return None;
        }
        let port = super::smtp::free_port();
        let server = PgServer { bin, dir, port };
        server.resume();
        Some(server)
    }

    /// The server's URL (no database).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// Stops it at once, as a crash would (`pg_ctl stop -m immediate`).
    pub fn crash(&self) {
        assert!(as_postgres(&format!(
            "'{}/pg_ctl' -D '{}/data' -m immediate stop >/dev/null",
            self.bin.display(),
            self.dir.display()
        )));
    }

    /// Starts it (again), waiting until it accepts connections.
    pub fn resume(&self) {
        assert!(as_postgres(&format!(
            "'{}/pg_ctl' -D '{d}/data' -l '{d}/log' -w -o \"-p {} -k '{d}' -c listen_addresses=127.0.0.1\" start >/dev/null",
            self.bin.display(),
            self.port,
            d = self.dir.display()
        )));
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        as_postgres(&format!(
            "'{}/pg_ctl' -D '{}/data' -m immediate stop >/dev/null 2>&1",
            self.bin.display(),
            self.dir.display()
        ));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

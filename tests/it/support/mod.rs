//! Helpers for tests that drive the real `govrt` binary on a fresh database.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

pub mod browser;
pub mod pg;
pub mod smtp;
pub mod web;

use std::path::PathBuf;
use std::process::{Command, Output};

/// A scratch folder with a database, removed when dropped. The database
/// is an SQLite file in the folder, or, when `GOVRT_TEST_POSTGRES` holds a
/// server's URL (`postgres://user@host:port`), a fresh PostgreSQL database
/// on that server, dropped with the sandbox.
pub struct Sandbox {
    pub dir: PathBuf,
    pub transcript: String,
    /// The PostgreSQL database: (server URL, database name).
    pub postgres: Option<(String, String)>,
}

/// The PostgreSQL server the tests run against, if they do.
pub fn postgres_server() -> Option<String> {
    std::env::var("GOVRT_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_string())
}

/// Runs `f` with a client of the PostgreSQL database at `url`, on a thread
/// of its own (the synchronous client may not block an async test's runtime).
fn with_client<T: Send>(url: &str, f: impl FnOnce(&mut postgres::Client) -> T + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut client = postgres::Client::connect(url, postgres::NoTls)
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {url}: {e}"));
                f(&mut client)
            })
            .join()
            .unwrap()
    })
}

/// Runs statements on the server's `postgres` database.
fn on_server(server: &str, sql: &str) {
    with_client(&format!("{server}/postgres"), |client| {
        // One statement at a time: `DROP DATABASE` may not run in a block.
        for statement in sql.split(';') {
            client.batch_execute(statement).unwrap();
        }
    })
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
        Sandbox::on(name, postgres_server())
    }

    /// A sandbox whose database is on the PostgreSQL server at `server`
    /// (an SQLite file with `None`).
    pub fn on(name: &str, server: Option<String>) -> Sandbox {
        let dir = std::env::temp_dir().join(format!("govrt-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let postgres = server.map(|server| {
            let db: String = format!("govrt_{name}_{}", std::process::id())
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            on_server(
                &server,
                &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE); CREATE DATABASE {db}"),
            );
            (server, db)
        });
        Sandbox {
            dir,
            transcript: String::new(),
            postgres,
        }
    }

    /// The database: the SQLite file's path, or the PostgreSQL URL.
    pub fn db(&self) -> PathBuf {
        match &self.postgres {
            Some((server, db)) => PathBuf::from(format!("{server}/{db}")),
            None => self.dir.join("govrt.db"),
        }
    }

    /// Whether the database is PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// Runs SQL statements straight on the database, whichever backend
    /// (to tamper with it, as an attacker with access to it would).
    pub fn sql(&self, statements: &str) {
        match &self.postgres {
            Some(_) => with_client(&self.db().display().to_string(), |client| {
                client.batch_execute(statements).unwrap()
            }),
            None => rusqlite::Connection::open(self.db())
                .unwrap()
                .execute_batch(statements)
                .unwrap(),
        }
    }

    /// The first column of a query's rows, as text, whichever backend.
    pub fn sql_texts(&self, query: &str) -> Vec<String> {
        match &self.postgres {
            Some(_) => with_client(&self.db().display().to_string(), |client| {
                client
                    .query(query, &[])
                    .unwrap()
                    .iter()
                    .map(|r| r.get::<_, String>(0))
                    .collect()
            }),
            None => {
                let conn = rusqlite::Connection::open(self.db()).unwrap();
                let mut stmt = conn.prepare(query).unwrap();
                stmt.query_map([], |r| r.get::<_, String>(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            }
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_govrt"));
        c.args(args)
            .current_dir(&self.dir)
            .env("GOVRT_DB", self.db())
            .env("NO_COLOR", "1")
            // The OS user the audit trail records for local commands.
            .env("USER", "tester")
            .env_remove("LOGNAME")
            .env_remove("USERNAME")
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

    /// Runs `govrt ARGS` at `now` (`GOVRT_NOW`), without recording.
    pub fn run_at(&self, now: &str, args: &[&str]) -> Run {
        let out = self.command(args).env("GOVRT_NOW", now).output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Like [`Sandbox::run_at`], asserting success.
    pub fn ok_at(&self, now: &str, args: &[&str]) -> Run {
        let run = self.run_at(now, args);
        assert_eq!(
            run.code, 0,
            "govrt {args:?} at {now}:\n{}{}",
            run.stdout, run.stderr
        );
        run
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

    /// The items of one page of a table as `who` reads it (`page`: `--limit`
    /// and `--after` arguments), and the next page's cursor.
    pub fn table_rows(
        &self,
        who: &str,
        table: &str,
        page: &[&str],
    ) -> (Vec<String>, Option<String>) {
        let mut args = vec!["--json", "--as", who, "table", table];
        args.extend(page);
        let view = self.quiet(&args).json();
        let items = view["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["item"].as_str().unwrap().to_string())
            .collect();
        (items, view["next"].as_str().map(str::to_string))
    }

    /// The standard world: users, a risk group, a project with reviewers, a model.
    /// Returns (project, model) ids.
    pub fn standard_world(&self) -> (String, String) {
        self.standard_world_with(&["init"])
    }

    /// [`Sandbox::standard_world`], the database made by `init` (e.g. with
    /// `--blueprints DIR` for a variant of the standard set).
    pub fn standard_world_with(&self, init: &[&str]) -> (String, String) {
        self.quiet(init);
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

impl Sandbox {
    /// A new user token for `user`: its secret.
    pub fn token(&self, user: &str) -> String {
        self.quiet(&["--json", "token", "create", user]).json()["secret"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The actions of an item's timeline, as `user` reads it, oldest first.
    pub fn history_actions(&self, user: &str, item: &str) -> Vec<String> {
        let history = self
            .quiet(&["--json", "--as", user, "item", "history", item])
            .json();
        history
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_string())
            .collect()
    }

    /// A model version `name` of risk `tier` under `model`, moved to the
    /// review step by `owner` and its review approved by `approver`.
    pub fn reviewed_version(&self, model: &str, name: &str, tier: &str) -> String {
        let tier = format!("risk_tier={tier}");
        let v = self
            .quiet(&[
                "--as",
                "owner",
                "item",
                "create",
                "model_version",
                name,
                "--parent",
                model,
                "--set",
                &tier,
            ])
            .stdout
            .trim()
            .to_string();
        for args in [
            &["--as", "owner", "item", "move", &v, "review"][..],
            &["--as", "owner", "signoff", "request-final", &v],
            &["--as", "approver", "signoff", "approve", &v],
        ] {
            let r = self.quiet(args);
            assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        }
        v
    }

    /// Creates a model version under `model` as `owner`; returns its id.
    pub fn model_version(&self, model: &str, name: &str) -> String {
        self.quiet(&[
            "--as",
            "owner",
            "item",
            "create",
            "model_version",
            name,
            "--parent",
            model,
        ])
        .stdout
        .trim()
        .to_string()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((server, db)) = &self.postgres {
            on_server(
                server,
                &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
            );
        }
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

/// A response of the daemon.
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A plain HTTP/1.1 request to 127.0.0.1:`port` (one connection per request).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> HttpResponse {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut headers = Vec::new();
    if !body.is_empty() {
        headers.push(("Content-Type", "application/json".to_string()));
    }
    if let Some(t) = token {
        headers.push(("Authorization", format!("Bearer {t}")));
    }
    headers.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    send(port, method, path, &headers, &body).unwrap()
}

/// A request with a body as it is (not JSON-encoded) and exactly `headers`.
pub fn http_raw(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpResponse {
    let headers: Vec<(&str, String)> = headers.iter().map(|(k, v)| (*k, v.to_string())).collect();
    send(port, method, path, &headers, body).unwrap()
}

/// Like [`http`], for a daemon that may be gone: the connection's error
/// instead of a failed test.
pub fn try_http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> std::io::Result<HttpResponse> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut headers = vec![("Content-Type", "application/json".to_string())];
    if let Some(t) = token {
        headers.push(("Authorization", format!("Bearer {t}")));
    }
    send(port, method, path, &headers, &body)
}

/// A form posted like a browser does (`application/x-www-form-urlencoded`),
/// with a `Cookie` header when `cookie` is given.
pub fn post_form(
    port: u16,
    path: &str,
    cookie: Option<&str>,
    extra: &[(&str, &str)],
    fields: &[(&str, &str)],
) -> HttpResponse {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut headers = vec![(
        "Content-Type",
        "application/x-www-form-urlencoded".to_string(),
    )];
    if let Some(c) = cookie {
        headers.push(("Cookie", c.to_string()));
    }
    headers.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    send(port, "POST", path, &headers, &body).unwrap()
}

/// The sign-in form as a browser gets it: the cookie that carries its CSRF
/// secret (`NAME=VALUE`) and the secret the form holds.
pub fn login_form(port: u16) -> (String, String) {
    let r = get_page(port, "/login", None);
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = r
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    (cookie, csrf_in(&r.body))
}

/// The CSRF secret of the first form of a page.
pub fn csrf_in(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    page[at..].split('"').next().unwrap().to_string()
}

/// Posts the sign-in form with `fields`, as a browser does from the form
/// it was given (its CSRF secret and cookie).
pub fn post_login(port: u16, fields: &[(&str, &str)]) -> HttpResponse {
    let (cookie, csrf) = login_form(port);
    let mut all = fields.to_vec();
    all.push(("csrf", &csrf));
    post_form(port, "/login", Some(&cookie), &[], &all)
}

/// Signs in to the web UI with a token, as a browser does: the session
/// cookie to send back (`NAME=VALUE`) and the whole `Set-Cookie` header.
pub fn sign_in(port: u16, secret: &str) -> (String, String) {
    let r = post_login(port, &[("token", secret), ("next", "/items")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let set = r.header("set-cookie").unwrap().to_string();
    let cookie = set.split(';').next().unwrap().to_string();
    (cookie, set)
}

/// A page fetched like a browser does, with a `Cookie` header when given.
pub fn get_page(port: u16, path: &str, cookie: Option<&str>) -> HttpResponse {
    let headers: Vec<(&str, String)> = cookie
        .map(|c| ("Cookie", c.to_string()))
        .into_iter()
        .collect();
    send(port, "GET", path, &headers, "").unwrap()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn send(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> std::io::Result<HttpResponse> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    // The connection closes after the response; a server that answered
    // without reading all of a request may reset it instead, after the
    // response: what was read by then is the whole response.
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !raw.is_empty() => break,
            Err(e) => return Err(e),
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&after[..n.min(after.len())]);
        rest = after.get(n + 2..).unwrap_or("");
    }
    out
}

/// A running daemon on a free port, killed when dropped.
pub struct Daemon {
    pub child: std::process::Child,
    pub port: u16,
}

impl Daemon {
    pub fn start(sandbox: &Sandbox, args: &[&str]) -> Daemon {
        Daemon::start_logging(sandbox, args, None)
    }

    /// Like [`Daemon::start`], with the daemon's log written to `log`.
    pub fn start_logging(
        sandbox: &Sandbox,
        args: &[&str],
        log: Option<&std::path::Path>,
    ) -> Daemon {
        Daemon::start_with_env(sandbox, args, log, &[])
    }

    /// Like [`Daemon::start_logging`], with `env` set for the daemon.
    pub fn start_with_env(
        sandbox: &Sandbox,
        args: &[&str],
        log: Option<&std::path::Path>,
        env: &[(&str, &str)],
    ) -> Daemon {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("127.0.0.1:{port}");
        let mut all = vec!["serve", "--listen", &listen];
        all.extend_from_slice(args);
        let child = sandbox
            .command(&all)
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(match log {
                Some(path) => std::process::Stdio::from(std::fs::File::create(path).unwrap()),
                None => std::process::Stdio::null(),
            })
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the daemon did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Daemon { child, port }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

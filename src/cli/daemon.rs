//! Background work and the daemon: `govrt tick` and `govrt serve`.

use super::global::{CliError, Global, Outcome, exit};
use super::runtime::{engine_error, open, parse_time, print_json};
use std::io::IsTerminal;
use std::path::PathBuf;

/// `govrt tick [--now]`: due resets, then pending mail (with `--smtp`).
pub fn tick(cli: &Global, now: Option<&String>) -> Outcome {
    let now = match now {
        Some(t) => Some(tryo!(parse_time(t, "--now"))),
        None => None,
    };
    let mut engine = tryo!(open(cli, false));
    let sender = tryo!(sender(cli, &mut engine));
    let report = match engine.tick(now) {
        Ok(r) => r,
        Err(e) => return engine_error(e, cli.json),
    };
    let delivery = match &sender {
        Some(s) => match engine.deliver(s, now) {
            Ok(d) => Some(d),
            Err(e) => return engine_error(e, cli.json),
        },
        None => None,
    };
    if cli.json {
        print_json(
            &serde_json::json!({"resets": report.resets, "reminders": report.reminders, "escalations": report.escalations, "mail": delivery}),
        );
    } else {
        for (item, step) in &report.resets {
            println!("reset the sign-off of step `{step}` on item {item}");
        }
        let whose = |group: &str| {
            if group == "final" {
                "the final approval".to_string()
            } else {
                format!("group `{group}`")
            }
        };
        for e in &report.escalations {
            println!(
                "escalated {} of the sign-off of step `{}` on item {}",
                whose(&e.group),
                e.step,
                e.item
            );
        }
        for r in &report.reminders {
            println!(
                "sent reminder {} for {} of the sign-off of step `{}` on item {}",
                r.number,
                whose(&r.group),
                r.step,
                r.item
            );
        }
        println!(
            "{} reset{} applied",
            report.resets.len(),
            if report.resets.len() == 1 { "" } else { "s" }
        );
        match delivery {
            Some(d) => println!(
                "mail: {} sent, {} to retry, {} failed",
                d.sent, d.retried, d.failed
            ),
            None => println!("mail: no SMTP server given (`--smtp`); messages stay in the outbox"),
        }
    }
    Outcome::Exit(exit::OK)
}

/// Connections the daemon keeps open.
pub(super) const POOL_SIZE: usize = 8;

/// The options of `govrt serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// A blueprint folder to load now and on reload (SIGHUP, POST /api/v1/blueprints); default: the standard set on a new database.
    #[arg(long)]
    blueprints: Option<PathBuf>,
    /// Seconds between runs of the scheduler and the mail sender.
    #[arg(long, default_value_t = 30)]
    tick_seconds: u64,
    /// Serve the files of this folder under /static (used by the load benchmark).
    #[arg(long)]
    static_dir: Option<PathBuf>,
    /// Mark the session cookie `Secure` (implied when the base URL is https://).
    #[arg(long)]
    secure_cookies: bool,
}

/// `govrt serve`.
pub fn serve(cli: &Global, args: &ServeArgs) -> Outcome {
    let ServeArgs {
        listen,
        blueprints,
        tick_seconds,
        static_dir,
        secure_cookies,
    } = args;
    let (blueprints, tick_seconds, static_dir) =
        (blueprints.as_ref(), *tick_seconds, static_dir.clone());
    let filter = tracing_subscriber::EnvFilter::try_from_env("GOVRT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Text for a terminal, or one JSON object a line (with the request's
    // span, and so its id) for a log collector.
    let _ = match std::env::var("GOVRT_LOG_FORMAT").as_deref() {
        Ok("json") => log.json().with_current_span(true).try_init(),
        Ok("text") | Err(_) => log.with_ansi(std::io::stderr().is_terminal()).try_init(),
        Ok(other) => {
            return Outcome::Error(CliError::invalid_input(
                format!("GOVRT_LOG_FORMAT is `{other}`"),
                Some("set it to `json` (one JSON object a line) or `text` (the default)".into()),
            ));
        }
    };
    let Ok(listen) = listen.parse::<std::net::SocketAddr>() else {
        return Outcome::Error(CliError::invalid_input(
            format!("`{listen}` is not an address to listen on"),
            Some("write it as `127.0.0.1:8080`".into()),
        ));
    };
    let mut engine = tryo!(open(cli, true));
    // The daemon's address and sender are kept for every process's mail.
    // Without `--base-url`, and none kept yet, mail links lead to where the
    // daemon listens (unless that is every interface: no one address).
    let stored = tryo!(
        engine
            .stored_base_url()
            .map_err(|e| engine_error(e, cli.json))
    );
    let base_url = cli.base_url.clone().or_else(|| {
        (stored.is_none() && !listen.ip().is_unspecified()).then(|| format!("http://{listen}"))
    });
    let by = super::runtime::local_admin();
    if let Err(e) = engine.store_public_settings(&by, base_url.as_deref(), cli.mail_from.as_deref())
    {
        return engine_error(e, cli.json);
    }
    match engine.public_settings() {
        Ok(s) if stored.is_none() && cli.base_url.is_none() && listen.ip().is_unspecified() => {
            eprintln!(
                "govrt: links in mail use {} (listening on every interface, no one address reaches the daemon: give `--base-url https://govrt.example.com`)",
                s.base_url
            )
        }
        Ok(s) => eprintln!(
            "govrt: links in mail use {} (`--base-url` changes it)",
            s.base_url
        ),
        Err(e) => return engine_error(e, cli.json),
    }
    let sender = tryo!(sender(cli, &mut engine));
    // Behind HTTPS (the public base URL says so, or the flag does), the
    // session cookie is only ever sent over TLS.
    let secure_cookies = *secure_cookies
        || engine
            .public_settings()
            .is_ok_and(|s| s.base_url.starts_with("https://"));
    let loaded = match blueprints {
        Some(dir) => engine
            .load_blueprints(std::slice::from_ref(dir), None)
            .map(|r| r.new_versions.len()),
        None => match engine.blueprint_versions() {
            Ok(v) if v.is_empty() => engine
                .load_blueprint_texts(crate::standard::STANDARD_BLUEPRINTS, &[], None)
                .map(|r| r.new_versions.len()),
            Ok(_) => Ok(0),
            Err(e) => Err(e),
        },
    };
    if let Err(e) = loaded {
        return engine_error(e, cli.json);
    }
    match engine.users() {
        Ok(users) if users.is_empty() => eprintln!(
            "govrt: no users yet. Create an admin and a token:\n  govrt --db {db} user add admin --admin\n  govrt --db {db} token create admin\nthen sign in to the web UI with the token, or call the API with `Authorization: Bearer TOKEN`.",
            db = crate::store::shown(&cli.db)
        ),
        Ok(_) => eprintln!(
            "govrt: create a token to sign in to the web UI or call the API with `govrt --db {} token create USER`",
            crate::store::shown(&cli.db)
        ),
        Err(e) => return engine_error(e, cli.json),
    }
    eprintln!(
        "govrt: serving the web UI on http://{listen}/ and the API under /api/v1 (database `{}`); stop with Ctrl-C",
        crate::store::shown(&cli.db)
    );
    let config = crate::server::ServerConfig {
        listen,
        blueprints: blueprints.cloned(),
        sender,
        tick_every: std::time::Duration::from_secs(tick_seconds.max(1)),
        static_dir,
        secure_cookies,
    };
    // One connection per concurrent read (readers proceed while one writes),
    // and one more for the writer thread.
    let mut engines = vec![engine];
    for _ in 0..POOL_SIZE {
        engines.push(tryo!(open(cli, false)));
    }
    match crate::server::serve(engines, config) {
        Ok(()) => Outcome::Exit(exit::OK),
        Err(e) => Outcome::Error(CliError::invalid_input(e, None)),
    }
}

/// The mail sender of `--smtp`, if given, sending as `--mail-from` or as the
/// database's sender.
fn sender(
    cli: &Global,
    engine: &mut crate::engine::Engine,
) -> Result<Option<crate::notify::Sender>, Outcome> {
    let Some(url) = &cli.smtp else {
        return Ok(None);
    };
    let mail_from = match &cli.mail_from {
        Some(m) => m.clone(),
        None => match engine.public_settings() {
            Ok(s) => s.mail_from,
            Err(e) => return Err(engine_error(e, cli.json)),
        },
    };
    crate::notify::SmtpConfig::parse(url)
        .map_err(|e| {
            (
                e,
                "e.g. `--smtp smtp://127.0.0.1:2525` or `smtp://user:pass@host:587?tls=starttls`",
            )
        })
        .and_then(|c| {
            crate::notify::Sender::new(&c, &mail_from)
                .map_err(|e| (e, "check `--smtp` and `--mail-from`"))
        })
        .map(Some)
        .map_err(|(e, help)| Outcome::Error(CliError::invalid_input(e, Some(help.into()))))
}

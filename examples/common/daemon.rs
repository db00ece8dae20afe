//! A daemon in the benchmark's own process, shared by the benchmarks that
//! measure over HTTP: it serves one database with a number of engines and
//! answers once its port accepts connections.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use govrt::engine::Engine;
use govrt::server::{ServerConfig, serve};
use govrt::store::Durability;

/// How the daemon is started.
pub struct Daemon<'a> {
    /// The database (a SQLite file, or a PostgreSQL URL).
    pub db: &'a Path,
    /// How many engines (connections) serve requests.
    pub engines: usize,
    /// Their durability.
    pub durability: Durability,
    /// The folder of static files it serves, if any.
    pub static_dir: Option<PathBuf>,
}

/// Starts `daemon` on a free port of 127.0.0.1 and waits until it accepts
/// connections (at most 20 s): its port.
pub fn start(daemon: Daemon<'_>) -> Result<u16, Box<dyn std::error::Error>> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut engines = Vec::new();
    for _ in 0..daemon.engines {
        engines.push(Engine::open(daemon.db, daemon.durability)?);
    }
    let config = ServerConfig {
        listen: format!("127.0.0.1:{port}").parse()?,
        blueprints: None,
        sender: None,
        tick_every: Duration::from_secs(3600),
        static_dir: daemon.static_dir,
        secure_cookies: false,
    };
    std::thread::spawn(move || serve(engines, config));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("the daemon did not start".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(port)
}

//! What the daemon's handlers share: its configuration, the state behind
//! every request (engine pool, writer queue), and the
//! types of what goes through them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::engine::Engine;
use crate::notify::Sender;

/// How the daemon runs.
pub struct ServerConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The blueprint folder reloaded on SIGHUP and `POST /api/v1/blueprints` (default: none, the stored set stays).
    pub blueprints: Option<PathBuf>,
    /// The mail sender, if `--smtp` was given.
    pub sender: Option<Sender>,
    /// How often due resets and mail are processed.
    pub tick_every: Duration,
    /// A folder served as static files under `/static` (the load benchmark's ceiling).
    pub static_dir: Option<PathBuf>,
    /// Session cookies carry `Secure` (the daemon is reached over HTTPS).
    pub secure_cookies: bool,
}

pub(super) struct AppState {
    /// One engine (one SQLite connection) per concurrent request: readers
    /// never wait for a writer (WAL), writers queue on SQLite's lock.
    pub(super) engines: Mutex<Vec<Engine>>,
    pub(super) permits: tokio::sync::Semaphore,
    /// Every write goes to the writer thread (see [`write_loop`]).
    pub(super) jobs: std::sync::mpsc::Sender<Job>,
    pub(super) blueprints: Option<PathBuf>,
    pub(super) sender: Option<Sender>,
    /// Session cookies carry `Secure`.
    pub(super) secure_cookies: bool,
    /// Hook test calls per user in the current minute: (minute start, calls).
    pub(super) hook_tests: Mutex<HashMap<String, (Instant, u32)>>,
}

pub(super) type Shared = Arc<AppState>;

/// Reports a job's result once its batch is committed (or failed to be).
pub(super) type Finish = Box<dyn FnOnce(Result<(), CommitFailure>) + Send>;

/// Why a batch of writes was not committed.
#[derive(Debug, Clone)]
pub(super) struct CommitFailure {
    /// The database could not be reached (answered 503, not 500).
    pub(super) unavailable: bool,
    /// What failed.
    pub(super) message: String,
}

/// A write for the writer thread.
pub(super) type Job = Box<dyn FnOnce(&mut Engine) -> Finish + Send>;

/// The largest request body the daemon reads.
pub(super) const BODY_LIMIT: usize = 1024 * 1024;

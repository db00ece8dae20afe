//! Where engine calls run: a pool of reading connections on the blocking
//! pool, and one writer thread that commits waiting writes together.

use std::sync::Arc;

use axum::http::StatusCode;

use crate::engine::Engine;

use super::error::ApiError;
use super::state::{AppState, CommitFailure, Finish, Job, Shared};

/// Puts an engine back into the pool when dropped, even if its user panicked.
pub(super) struct Lease<'a> {
    pub(super) state: &'a AppState,
    pub(super) engine: Option<Engine>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let (Some(engine), Ok(mut pool)) = (self.engine.take(), self.state.engines.lock()) {
            pool.push(engine);
        }
    }
}

/// Runs `f` on an engine of the pool, on the blocking pool.
pub(super) async fn run_blocking<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&mut Engine) -> T + Send + 'static,
) -> Result<T, String> {
    let asked = std::time::Instant::now();
    let permit = state.permits.acquire().await.map_err(|e| e.to_string())?;
    super::telemetry::pool_wait(asked.elapsed());
    let state = Arc::clone(state);
    let result = tokio::task::spawn_blocking(move || {
        let engine = state
            .engines
            .lock()
            .map_err(|_| "the engine pool lock is poisoned".to_string())?
            .pop();
        let Some(engine) = engine else {
            return Err("no engine is free".to_string());
        };
        let mut lease = Lease {
            state: &state,
            engine: Some(engine),
        };
        let engine = lease.engine.as_mut().ok_or("no engine is free")?;
        Ok(f(engine))
    })
    .await
    .map_err(|e| e.to_string())?;
    drop(permit);
    result
}

/// Most writes committed together.
pub(super) const MAX_BATCH: usize = 64;

/// The writer thread: one connection, writes one after the other, with
/// group commit. It takes every write waiting when it is free, runs each in
/// its own savepoint (a refused one leaves no trace), commits them with one
/// sync, and only then answers each: no request hears "done" before its
/// change is durable. Under load, the writes that arrive while a batch is
/// syncing make up the next batch; alone, a write is a batch of one.
pub(super) fn write_loop(mut engine: Engine, jobs: std::sync::mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        super::telemetry::batch(batch.len());
        // If the batch cannot start, each write runs as its own transaction.
        let batched = engine.begin_batch().is_ok();
        let finishes: Vec<Finish> = batch
            .into_iter()
            .filter_map(|job| {
                // A panicking job drops its answer: that request gets a 500.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut engine))).ok()
            })
            .collect();
        let committed = if batched {
            engine.commit_batch().map_err(|e| CommitFailure {
                unavailable: matches!(&e, crate::engine::EngineError::Store(s) if s.is_unavailable()),
                message: e.to_string(),
            })
        } else {
            Ok(())
        };
        if let Err(e) = &committed {
            tracing::error!(error = %e.message, writes = finishes.len(), "a batch of writes could not be committed; none of it was saved");
        }
        for finish in finishes {
            finish(committed.clone());
        }
    }
}

/// Runs a writing `f` on the writer thread; answers once it is committed.
pub(super) async fn with_writer<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&mut Engine) -> crate::engine::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, ApiError>>();
    let job: Job = Box::new(move |engine: &mut Engine| {
        let result = f(engine);
        Box::new(move |committed: Result<(), CommitFailure>| {
            let result = match committed {
                Ok(()) => result.map_err(ApiError::from),
                // Lost while committing: the commit may have happened.
                Err(e) if e.unavailable => Err(ApiError::lost_commit(&e.message)),
                Err(CommitFailure { message: e, .. }) => Err(ApiError::internal(
                    "storage",
                    &format!(
                        "a batch of writes could not be committed, nothing of it was saved: {e}"
                    ),
                )),
            };
            let _ = answer.send(result);
        })
    });
    let lost = || {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the writer stopped before answering; the change may not be saved",
            None,
        )
    };
    state.jobs.send(job).map_err(|_| lost())?;
    answered.await.map_err(|_| lost())?
}

/// Runs `f` on an engine, mapping its errors to API errors.
pub(super) async fn with_engine<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&mut Engine) -> crate::engine::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    run_blocking(state, f)
        .await
        .map_err(|e| ApiError::internal("internal", &e))?
        .map_err(ApiError::from)
}

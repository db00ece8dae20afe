//! The daemon's life: the background work (due resets, mail), blueprint
//! reload on SIGHUP, graceful shutdown, and `serve` itself.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine::Engine;

use super::pool::{run_blocking, write_loop};
use super::routes::router;
use super::state::{AppState, ServerConfig, Shared};

pub(super) async fn background(state: Shared, every: Duration) {
    let mut interval = tokio::time::interval(every);
    loop {
        let due = interval.tick().await;
        let started = tokio::time::Instant::now();
        let sender_state = Arc::clone(&state);
        let result = run_blocking(&state, move |engine| {
            let resets = engine.tick(None).map_err(|e| e.to_string())?;
            let mail = match &sender_state.sender {
                Some(sender) => Some(engine.deliver(sender, None).map_err(|e| e.to_string())?),
                None => None,
            };
            Ok::<_, String>((resets, mail))
        })
        .await
        .and_then(|r| r);
        let lag = started.saturating_duration_since(due);
        match result {
            Ok((resets, mail)) => {
                super::telemetry::ticked(lag, started.elapsed(), resets.resets.len());
                if !resets.resets.is_empty()
                    || !resets.reminders.is_empty()
                    || !resets.escalations.is_empty()
                    || mail
                        .as_ref()
                        .is_some_and(|m| m.sent + m.retried + m.failed > 0)
                {
                    tracing::info!(resets = resets.resets.len(), reminders = resets.reminders.len(), escalations = resets.escalations.len(), mail = ?mail, "background work done");
                }
            }
            Err(e) => tracing::error!(error = %e, "background work failed; will try again"),
        }
    }
}

pub(super) async fn reload_on_hangup(state: Shared) {
    #[cfg(unix)]
    {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hangups.recv().await.is_some() {
            let Some(dir) = state.blueprints.clone() else {
                tracing::warn!("SIGHUP: no `--blueprints DIR` to reload");
                continue;
            };
            let result = run_blocking(&state, move |e| {
                e.load_blueprints(&[dir], None).map_err(|e| e.to_string())
            })
            .await
            .and_then(|r| r);
            match result {
                Ok(report) => tracing::info!(new = ?report.new_versions, "blueprints reloaded"),
                Err(e) => {
                    tracing::error!(error = %e, "blueprint reload refused; the loaded set is kept")
                }
            }
        }
    }
}

pub(super) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Runs the daemon until SIGINT or SIGTERM; requests in flight finish.
pub fn serve(mut engines: Vec<Engine>, config: ServerConfig) -> Result<(), String> {
    let Some(writer) = engines.pop() else {
        return Err("the daemon needs at least two database connections".into());
    };
    let (jobs, queue) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("govrt-writer".into())
        .spawn(move || write_loop(writer, queue))
        .map_err(|e| format!("cannot start the writer thread: {e}"))?;
    let size = engines.len().max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let state = Arc::new(AppState {
            engines: Mutex::new(engines),
            permits: tokio::sync::Semaphore::new(size),
            jobs,
            blueprints: config.blueprints,
            sender: config.sender,
            secure_cookies: config.secure_cookies,
            hook_tests: Mutex::new(std::collections::HashMap::new()),
        });
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        // Small JSON answers must not wait for Nagle's algorithm.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tracing::info!(address = %config.listen, "govrt is serving");
        let workers = [
            tokio::spawn(background(Arc::clone(&state), config.tick_every)),
            tokio::spawn(reload_on_hangup(Arc::clone(&state))),
        ];
        let result = axum::serve(listener, router(state, config.static_dir))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| e.to_string());
        for w in workers {
            w.abort();
        }
        result
    })
}

//! Why an action failed: the typed refusals (stable codes shared by every
//! front end) and the engine's error type over storage and the system.

pub use super::rules::refusal::{HelpWords, Refusal};
use crate::diag::Diagnostic;
use crate::store::StoreError;

/// An engine failure: a refusal, an invalid blueprint set, or storage.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The action was refused.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A blueprint set to load is invalid.
    #[error("the blueprint set is invalid ({} problems)", .0.len())]
    InvalidBlueprints(Vec<Diagnostic>),
    /// A filter given as text (`item list --filter`) fits no blueprint.
    #[error("the filter is not valid ({} problems)", .0.len())]
    InvalidFilter(Vec<Diagnostic>),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The operating system failed us.
    #[error("{0}")]
    System(String),
}

/// The result of engine calls.
pub type Result<T> = std::result::Result<T, EngineError>;

pub(super) fn refuse<T>(r: Refusal) -> Result<T> {
    Err(EngineError::Refused(r))
}

pub(super) fn script_failed(e: crate::hooks::ScriptError) -> EngineError {
    EngineError::Refused(Refusal::ScriptFailed {
        error: e.to_string(),
    })
}

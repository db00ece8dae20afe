//! Why an action failed: the typed refusals (stable codes shared by every
//! front end) and the engine's error type over storage and the system.

use crate::diag::Diagnostic;
use crate::store::StoreError;

/// Why the engine refused an action. Codes are stable (CLI `--json`, HTTP API).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// The caller may not do this.
    #[error("`{who}` may not {what}")]
    NotPermitted {
        /// Who tried.
        who: String,
        /// What they tried.
        what: String,
    },
    /// The action is not allowed from the sign-off's state.
    #[error("cannot {action} a sign-off that is {state}")]
    InvalidTransition {
        /// The action.
        action: String,
        /// The state it was in.
        state: String,
    },
    /// The workflow is locked by a rejected or abandoned sign-off.
    #[error("the workflow is locked: {why}")]
    LockedWorkflow {
        /// Why, and how to unlock it.
        why: String,
    },
    /// Required fields of a step are not set.
    #[error("step `{step}` has required fields not set: {}", fields.join(", "))]
    MissingRequiredFields {
        /// The step (or `item` for item-level fields).
        step: String,
        /// The fields.
        fields: Vec<String>,
    },
    /// A mandatory sign-off is not approved.
    #[error("the sign-off of step `{step}` is mandatory and is {status}, not APPROVED")]
    SignOffRequired {
        /// The step.
        step: String,
        /// Its state.
        status: String,
    },
    /// A `required` feedback group does not have its `min` current reviews.
    #[error("feedback group `{group}` is required and has {have} of its {min} reviews")]
    FeedbackRequired {
        /// The group.
        group: String,
        /// Its current reviews.
        have: usize,
        /// The reviews it needs.
        min: u32,
    },
    /// The final approval says `no major` and a current review is MAJOR_ISSUE.
    #[error("the final approval says `no major` and {} gave MAJOR_ISSUE", reviewers.join(", "))]
    MajorIssueOpen {
        /// Who gave MAJOR_ISSUE.
        reviewers: Vec<String>,
    },
    /// The item changed since the revision the caller expected.
    #[error("item {item} is at revision {actual}, not {expected}")]
    StaleRevision {
        /// The item.
        item: i64,
        /// What the caller expected.
        expected: i64,
        /// What it is.
        actual: i64,
    },
    /// Something named does not exist.
    #[error("no {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// A value does not fit.
    #[error("invalid {what}: {why}")]
    InvalidValue {
        /// What was given.
        what: String,
        /// Why it does not fit.
        why: String,
    },
    /// A hook refused the change.
    #[error("refused by a rule: {why}")]
    RefusedByRule {
        /// The rule's reason.
        why: String,
    },
    /// A hook failed (an error in the script, or a sandbox limit).
    #[error("{error}")]
    ScriptFailed {
        /// Script, function, position and message.
        error: String,
    },
}

impl Refusal {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotPermitted { .. } => "not_permitted",
            Refusal::InvalidTransition { .. } => "invalid_transition",
            Refusal::LockedWorkflow { .. } => "locked_workflow",
            Refusal::MissingRequiredFields { .. } => "missing_required_fields",
            Refusal::SignOffRequired { .. } => "signoff_required",
            Refusal::FeedbackRequired { .. } => "feedback_required",
            Refusal::MajorIssueOpen { .. } => "major_issue_open",
            Refusal::StaleRevision { .. } => "stale_revision",
            Refusal::NotFound { .. } => "not_found",
            Refusal::InvalidValue { .. } => "invalid_value",
            Refusal::RefusedByRule { .. } => "refused_by_rule",
            Refusal::ScriptFailed { .. } => "script_error",
        }
    }

    /// How to get past it, in words every front end can use (no command,
    /// flag or route: the CLI and the API add their own hints).
    pub fn help(&self) -> Option<String> {
        Some(match self {
            Refusal::NotPermitted { .. } => {
                "act as a user the blueprint allows, or ask an admin".into()
            }
            Refusal::InvalidTransition { .. } => {
                "the item's status shows where the sign-off stands and what can come next".into()
            }
            Refusal::LockedWorkflow { .. } => {
                "resetting the sign-off, or canceling its abandon, unlocks it".into()
            }
            Refusal::MissingRequiredFields { fields, .. } => format!(
                "set them first (`{}` …)",
                fields.first().map_or("FIELD", String::as_str)
            ),
            Refusal::SignOffRequired { .. } => {
                "get the sign-off approved first: the item's status shows what it waits for".into()
            }
            Refusal::StaleRevision { .. } => {
                "read the item again and retry with its current revision".into()
            }
            Refusal::FeedbackRequired { .. } => {
                "wait for the group's reviews: the item's status shows who may give them".into()
            }
            Refusal::MajorIssueOpen { .. } => {
                "the reviewers who found a major issue must change their review; rejecting stays possible".into()
            }
            Refusal::NotFound { .. } => return None,
            Refusal::InvalidValue { .. } => return None,
            Refusal::ScriptFailed { .. } => {
                "fix the script (validating the blueprints checks it; a hook test runs one hook); nothing was changed".into()
            }
            Refusal::RefusedByRule { .. } => {
                "the blueprint's script refused it; fix what it says and retry".into()
            }
        })
    }
}

/// An engine failure: a refusal, an invalid blueprint set, or storage.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The action was refused.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A blueprint set to load is invalid.
    #[error("the blueprint set is invalid ({} problems)", .0.len())]
    InvalidBlueprints(Vec<Diagnostic>),
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

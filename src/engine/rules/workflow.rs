//! Workflow moves as a pure function (the design notes, "Workflow rules"): whether an
//! item may go from its current step to another, given what the engine found
//! about each step (missing required fields, mandatory sign-offs, hooks).

use serde::Serialize;

use super::refusal::Refusal;
use super::signoff::Status;

/// Where an item's workflow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowState {
    /// On a step.
    Ongoing,
    /// Advanced past the last step.
    Finished,
    /// A sign-off is rejected or abandoned: no step moves.
    Locked,
}

impl WorkflowState {
    /// The state as the design notes name it: `ONGOING`, `FINISHED`, `LOCKED`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowState::Ongoing => "ONGOING",
            WorkflowState::Finished => "FINISHED",
            WorkflowState::Locked => "LOCKED",
        }
    }
}

/// The state of one step as the workflow shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StepState {
    /// Before the current step.
    Finished,
    /// The current step.
    Ongoing,
    /// After the current step.
    NotStarted,
    /// Passed by the workflow because it does not apply to the item.
    Skipped,
}

impl StepState {
    /// The state as the design notes name it: `FINISHED`, `ONGOING`,
    /// `NOT_STARTED`, `SKIPPED`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Finished => "FINISHED",
            StepState::Ongoing => "ONGOING",
            StepState::NotStarted => "NOT_STARTED",
            StepState::Skipped => "SKIPPED",
        }
    }
}

/// What the engine knows about a step when a move is checked.
#[derive(Debug, Clone)]
pub struct StepFacts {
    /// The step id.
    pub id: String,
    /// Required step fields that are not set.
    pub missing_fields: Vec<String>,
    /// Whether its sign-off is mandatory (static flag or hook).
    pub mandatory: bool,
    /// Its sign-off's status, if it has one.
    pub signoff: Option<Status>,
    /// Whether it does not apply to the item (its `when` is false): a move
    /// past it waives its required fields and sign-off.
    pub skipped: bool,
}

/// Checks a move from step index `from` (`finished` when past the last step)
/// to `to` (`steps.len()` means past the last step).
pub fn check_move(
    steps: &[StepFacts],
    from: usize,
    finished: bool,
    to: usize,
    locked: bool,
) -> Result<(), Refusal> {
    if locked {
        return Err(Refusal::LockedWorkflow {
            why: "a sign-off is rejected or abandoned; reset it or cancel the abandon first".into(),
        });
    }
    let from = if finished { steps.len() } else { from };
    if to <= from {
        return Ok(());
    }
    for step in steps[from..to].iter().filter(|s| !s.skipped) {
        if !step.missing_fields.is_empty() {
            return Err(Refusal::MissingRequiredFields {
                step: step.id.clone(),
                fields: step.missing_fields.clone(),
            });
        }
        if step.mandatory && step.signoff.is_some_and(|s| s != Status::Approved) {
            return Err(Refusal::SignOffRequired {
                step: step.id.clone(),
                status: step.signoff.unwrap_or_default().as_str().to_string(),
            });
        }
    }
    Ok(())
}

/// The state of each step given the current index and which steps were
/// skipped.
pub fn step_states(skipped: &[bool], current: usize, finished: bool) -> Vec<StepState> {
    (0..skipped.len())
        .map(|i| {
            if skipped[i] && (finished || i < current) {
                StepState::Skipped
            } else if finished || i < current {
                StepState::Finished
            } else if i == current {
                StepState::Ongoing
            } else {
                StepState::NotStarted
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps() -> Vec<StepFacts> {
        vec![
            StepFacts {
                id: "a".into(),
                missing_fields: vec![],
                mandatory: false,
                signoff: None,
                skipped: false,
            },
            StepFacts {
                id: "b".into(),
                missing_fields: vec!["rationale".into()],
                mandatory: false,
                signoff: None,
                skipped: false,
            },
            StepFacts {
                id: "c".into(),
                missing_fields: vec![],
                mandatory: true,
                signoff: Some(Status::WaitingForFeedback),
                skipped: false,
            },
            StepFacts {
                id: "d".into(),
                missing_fields: vec![],
                mandatory: false,
                signoff: None,
                skipped: false,
            },
        ]
    }

    #[test]
    fn forward_needs_required_fields_and_mandatory_signoffs() {
        assert!(check_move(&steps(), 0, false, 1, false).is_ok());
        assert!(matches!(
            check_move(&steps(), 1, false, 2, false),
            Err(Refusal::MissingRequiredFields { .. })
        ));
        assert!(matches!(
            check_move(&steps(), 2, false, 3, false),
            Err(Refusal::SignOffRequired { .. })
        ));
        let mut s = steps();
        s[2].signoff = Some(Status::Approved);
        assert!(check_move(&s, 2, false, 4, false).is_ok());
    }

    #[test]
    fn a_skipped_step_waives_its_fields_and_signoff() {
        let mut s = steps();
        s[1].skipped = true;
        s[2].skipped = true;
        assert!(check_move(&s, 0, false, 3, false).is_ok());
        assert!(check_move(&s, 0, false, 3, true).is_err());
        assert_eq!(
            step_states(&[false, true, true, false], 3, false),
            vec![
                StepState::Finished,
                StepState::Skipped,
                StepState::Skipped,
                StepState::Ongoing
            ]
        );
    }

    #[test]
    fn backward_is_free_and_a_lock_stops_everything() {
        assert!(check_move(&steps(), 3, false, 0, false).is_ok());
        assert!(matches!(
            check_move(&steps(), 3, false, 0, true),
            Err(Refusal::LockedWorkflow { .. })
        ));
        assert_eq!(
            step_states(&[false; 3], 1, false),
            vec![
                StepState::Finished,
                StepState::Ongoing,
                StepState::NotStarted
            ]
        );
    }
}

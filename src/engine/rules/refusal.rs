//! Why an action is refused: the typed refusals, with stable codes shared
//! by every front end, and the help each one carries.

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
    /// The step was skipped, or would be: its condition does not hold for the item.
    #[error("step `{step}` does not apply to this item: {why}")]
    StepNotApplicable {
        /// The step.
        step: String,
        /// The condition and the values it was decided on.
        why: String,
    },
    /// The workflow is locked by a rejected or abandoned sign-off.
    #[error("the workflow is locked: {why}")]
    LockedWorkflow {
        /// Why, and how to unlock it.
        why: String,
    },
    /// Required fields of a step are not set (`item` for the item-level
    /// fields a new item needs).
    #[error("{}", missing_fields(step, fields))]
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
    /// The sign-off is already decided that way: a decision taken is edited
    /// only by a caller who names the revision they read.
    #[error("the sign-off of step `{step}` is already {status} (decided by `{by}`)")]
    AlreadyDecided {
        /// The step.
        step: String,
        /// Its state (APPROVED or REJECTED).
        status: String,
        /// Who decided.
        by: String,
    },
    /// Something named does not exist.
    #[error("no {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// Something to create exists already.
    #[error("{what} `{name}` already exists")]
    AlreadyExists {
        /// What kind of thing.
        what: String,
        /// Its name.
        name: String,
        /// How to get past it.
        help: String,
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
            Refusal::StepNotApplicable { .. } => "step_not_applicable",
            Refusal::LockedWorkflow { .. } => "locked_workflow",
            Refusal::MissingRequiredFields { .. } => "missing_required_fields",
            Refusal::SignOffRequired { .. } => "signoff_required",
            Refusal::FeedbackRequired { .. } => "feedback_required",
            Refusal::MajorIssueOpen { .. } => "major_issue_open",
            Refusal::StaleRevision { .. } => "stale_revision",
            Refusal::AlreadyDecided { .. } => "already_decided",
            Refusal::NotFound { .. } => "not_found",
            Refusal::AlreadyExists { .. } => "already_exists",
            Refusal::InvalidValue { .. } => "invalid_value",
            Refusal::RefusedByRule { .. } => "refused_by_rule",
            Refusal::ScriptFailed { .. } => "script_error",
        }
    }

    /// How to get past it, in words every front end can use (no command,
    /// flag or route: the CLI and the API add their own hints).
    pub fn help(&self) -> Option<String> {
        self.help_in(&HelpWords::PLAIN)
    }

    /// The help of the refusals no front end words differently.
    fn common_help(&self) -> Option<String> {
        Some(match self {
            Refusal::FeedbackRequired { .. } => {
                "wait for the group's reviews: the item's status shows who may give them".into()
            }
            Refusal::MajorIssueOpen { .. } => {
                "the reviewers who found a major issue must change their review; rejecting stays possible".into()
            }
            Refusal::RefusedByRule { .. } => {
                "the blueprint's script refused it; fix what it says and retry".into()
            }
            _ => return None,
        })
    }
}

/// How a front end names what a refusal's help points at: its commands or
/// routes for the same few steps (see [`Refusal::help_in`]).
#[derive(Debug, Clone, Copy)]
pub struct HelpWords {
    /// How to act as someone else, or ask for rights.
    pub act_as: &'static str,
    /// How to see where a sign-off stands.
    pub status: &'static str,
    /// How to unlock a workflow.
    pub unlock: &'static str,
    /// How to set a field, with `FIELD` in it.
    pub set_field: &'static str,
    /// How to give fields when creating an item.
    pub give_fields: fn(&[String]) -> String,
    /// How to read an item again.
    pub read_again: &'static str,
    /// How to name the revision read, with an edit.
    pub with_revision: &'static str,
    /// How to check a script and run one hook.
    pub check_script: &'static str,
}

impl HelpWords {
    /// Words without a command or a route, for every front end (the web UI).
    pub const PLAIN: HelpWords = HelpWords {
        act_as: "act as a user the blueprint allows",
        status: "the item's status",
        unlock: "resetting the sign-off, or canceling its abandon,",
        set_field: "`FIELD` …",
        give_fields: |fields| format!("fill in {} in the form", fields.join(", ")),
        read_again: "its current revision is on its page",
        with_revision: "send the form again from the item's current page",
        check_script: "validating the blueprints checks it; a hook test runs one hook",
    };
}

impl Refusal {
    /// How to get past it, in the words of a front end; the neutral
    /// [`Refusal::help`] where the front end has nothing more precise.
    pub fn help_in(&self, w: &HelpWords) -> Option<String> {
        Some(match self {
            Refusal::NotPermitted { .. } => format!("{}, or ask an admin", w.act_as),
            Refusal::InvalidTransition { .. } => {
                format!(
                    "{} shows where the sign-off stands and what can come next",
                    w.status
                )
            }
            Refusal::LockedWorkflow { .. } => format!("{} unlocks it", w.unlock),
            Refusal::StepNotApplicable { .. } => format!(
                "{} shows which steps apply; move to one of those, or change the fields the condition reads",
                w.status
            ),
            Refusal::MissingRequiredFields { step, fields } if step == "item" => {
                format!("give them when creating it: {}", (w.give_fields)(fields))
            }
            Refusal::MissingRequiredFields { fields, .. } => format!(
                "set them first: {}",
                w.set_field
                    .replace("FIELD", fields.first().map_or("FIELD", String::as_str))
            ),
            Refusal::SignOffRequired { .. } => {
                format!(
                    "get the sign-off approved first: {} shows what it waits for",
                    w.status
                )
            }
            Refusal::StaleRevision { .. } => {
                format!(
                    "read the item again ({}) and retry with its current revision",
                    w.read_again
                )
            }
            Refusal::AlreadyDecided { .. } => format!(
                "nothing was changed: the decision stands with its comment ({} shows it); changing it to the other decision is taken",
                w.status
            ),
            Refusal::ScriptFailed { .. } => {
                format!("fix the script ({}); nothing was changed", w.check_script)
            }
            Refusal::AlreadyExists { help, .. } => help.clone(),
            Refusal::NotFound { .. }
            | Refusal::InvalidValue { .. }
            | Refusal::RefusedByRule { .. }
            | Refusal::FeedbackRequired { .. }
            | Refusal::MajorIssueOpen { .. } => return self.common_help(),
        })
    }
}

/// The message of [`Refusal::MissingRequiredFields`].
fn missing_fields(step: &str, fields: &[String]) -> String {
    if step == "item" {
        format!(
            "a new item needs its required fields set: {}",
            fields.join(", ")
        )
    } else {
        format!(
            "step `{step}` has required fields not set: {}",
            fields.join(", ")
        )
    }
}

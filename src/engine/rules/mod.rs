//! The pure rules: what the engine decides, as functions of the model and
//! of values given to them (the item, its ancestors, the time). They import
//! only `model` and each other: no store, no mail, no clock; what an action
//! causes (events to audit, mail to send) they return as values.
//!
//! `signoff` is the sign-off state machine, `workflow` the steps, `bound`
//! the content an approval is bound to, `conditions` the `when` of a step,
//! `deploy` the deploy decision, `sla` and `calendar` the review clocks,
//! `values` the typed field values, `refusal` why an action is refused,
//! `actions` the sign-off actions' table.

pub mod actions;
pub mod bound;
pub mod calendar;
pub mod conditions;
pub mod deploy;
pub mod refusal;
pub mod signoff;
pub mod sla;
pub mod values;
pub mod workflow;

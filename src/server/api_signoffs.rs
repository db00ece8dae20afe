//! API handlers for sign-offs and what depends on them: sign-off actions,
//! deploy checks, pending reviews, matrix views.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::engine::signoff::{Action, Verdict as FeedbackVerdict};

use super::Shared;
use super::api_items::ok;
use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::pool::{with_engine, with_writer};

#[derive(Deserialize, Default)]
pub(super) struct SignOffBody {
    pub(super) step: Option<String>,
    pub(super) group: Option<String>,
    pub(super) verdict: Option<String>,
    pub(super) comment: Option<String>,
    pub(super) user: Option<String>,
    pub(super) at: Option<String>,
    #[serde(default)]
    pub(super) notify: bool,
}

#[derive(Deserialize)]
pub(super) struct DeployQuery {
    #[serde(default)]
    pub(super) confirm: bool,
}

#[derive(Deserialize)]
pub(super) struct MatrixQuery {
    pub(super) blueprint: Option<String>,
    pub(super) view: Option<String>,
}

/// The sign-off action `action` names (`request-review`, `feedback`, …: the
/// API's and the web UI's paths), with its arguments from `body`.
pub(super) fn signoff_action(action: &str, body: &SignOffBody) -> Result<Action, ApiError> {
    let missing = |what: &str| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("`{action}` needs `{what}` in the body"),
            None,
        )
    };
    Ok(match action {
        "request-review" => Action::RequestReview,
        "request-final" => Action::RequestFinalApproval,
        "feedback" => {
            let verdict = body.verdict.as_deref().ok_or_else(|| missing("verdict"))?;
            let verdict = FeedbackVerdict::parse(verdict).ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", format!("`{verdict}` is not a verdict"), Some("use `approved`, `minor` or `major`".into())))?;
            Action::GiveFeedback { group: body.group.clone().ok_or_else(|| missing("group"))?, verdict, comment: body.comment.clone() }
        }
        "back-to-feedback" => Action::BackToFeedback,
        "approve" => Action::Approve { comment: body.comment.clone() },
        "reject" => Action::Reject { comment: body.comment.clone() },
        "abandon" => Action::Abandon,
        "cancel-abandon" => Action::CancelAbandon,
        "reset" => Action::Reset,
        "schedule-reset" => {
            let at = body.at.as_deref().ok_or_else(|| missing("at"))?;
            let at = crate::check::values::parse_date_time(at).ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", format!("`{at}` is not an RFC 3339 date-time"), None))?;
            Action::ScheduleReset { at }
        }
        "delegate" => Action::Delegate { group: body.group.clone().ok_or_else(|| missing("group"))?, to: body.user.clone().ok_or_else(|| missing("user"))? },
        other => return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no sign-off action `{other}`"), Some("the actions are request-review, request-final, feedback, back-to-feedback, approve, reject, abandon, cancel-abandon, reset, schedule-reset, delegate".into()))),
    })
}

pub(super) async fn signoff(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path((id, action)): Path<(i64, String)>,
    body: Option<Json<SignOffBody>>,
) -> ApiResult {
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let action = signoff_action(&action, &body)?;
    let view = with_writer(&state, move |e| {
        e.signoff_notify(&who, id, body.step.as_deref(), action, body.notify, None)
    })
    .await?;
    ok(StatusCode::OK, &view)
}

pub(super) async fn deploy(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path((id, infra)): Path<(i64, String)>,
    Query(q): Query<DeployQuery>,
) -> ApiResult {
    let d = with_engine(&state, move |e| {
        e.deploy_check(&who, id, &infra, q.confirm, None)
    })
    .await?;
    ok(StatusCode::OK, &d)
}

pub(super) async fn reviews(State(state): State<Shared>, Caller(who): Caller) -> ApiResult {
    let list = with_engine(&state, move |e| e.reviews(&who)).await?;
    ok(StatusCode::OK, &list)
}

pub(super) async fn matrix(
    State(state): State<Shared>,
    Caller(who): Caller,
    Query(q): Query<MatrixQuery>,
) -> ApiResult {
    let m = with_engine(&state, move |e| {
        e.matrix(&who, q.blueprint.as_deref(), q.view.as_deref())
    })
    .await?;
    ok(StatusCode::OK, &m)
}

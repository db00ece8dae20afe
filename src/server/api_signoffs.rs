//! API handlers for sign-offs and what depends on them: sign-off actions,
//! deploy checks, pending reviews, matrix views.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::engine::actions::{ActionArgs, MissingArgument, Verb};
use crate::engine::signoff::{Action, Verdict as FeedbackVerdict};
use crate::engine::{ExplainRequest, Explained, SignOffRequest};

use super::api_items::ok;
use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::pool::{with_engine, with_writer};
use super::state::Shared;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct SignOffBody {
    pub(super) step: Option<String>,
    pub(super) group: Option<String>,
    pub(super) verdict: Option<String>,
    pub(super) comment: Option<String>,
    pub(super) user: Option<String>,
    pub(super) at: Option<String>,
    /// Why (reset, abandon, reject, schedule-reset): audited and mailed.
    pub(super) reason: Option<String>,
    #[serde(default)]
    pub(super) notify: bool,
}

#[derive(Deserialize)]
pub(super) struct DeployQuery {
    #[serde(default)]
    pub(super) confirm: bool,
}

/// `?user=&action=&group=&step=` of `…/explain` and `…/who-can`.
#[derive(Deserialize)]
pub(super) struct ExplainQuery {
    /// Who would act (default: the caller); `who-can` takes none.
    pub(super) user: Option<String>,
    pub(super) action: String,
    pub(super) group: Option<String>,
    pub(super) step: Option<String>,
}

impl ExplainQuery {
    fn verb(&self) -> Result<Explained, ApiError> {
        Explained::from_name(&self.action).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                format!("no action `{}`", self.action),
                Some(format!("the actions are {}", Explained::listed())),
            )
        })
    }

    fn request(&self, action: Explained) -> ExplainRequest<'_> {
        ExplainRequest {
            action,
            group: self.group.as_deref(),
            step: self.step.as_deref(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct MatrixQuery {
    pub(super) blueprint: Option<String>,
    pub(super) view: Option<String>,
}

/// The sign-off action `action` names (`request-review`, `feedback`, …: the
/// API's and the web UI's paths), with its arguments from `body`.
pub(super) fn signoff_action(action: &str, body: &SignOffBody) -> Result<Action, ApiError> {
    let invalid = |message: String, help: Option<String>| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", message, help)
    };
    let Some(verb) = Verb::from_name(action) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no sign-off action `{action}`"),
            Some(format!("the actions are {}", Verb::listed())),
        ));
    };
    let verdict = match &body.verdict {
        Some(v) => Some(FeedbackVerdict::parse(v).ok_or_else(|| {
            invalid(
                format!("`{v}` is not a verdict"),
                Some("use `approved`, `minor` or `major`".into()),
            )
        })?),
        None => None,
    };
    let at = match &body.at {
        Some(at) => Some(
            crate::check::values::parse_date_time(at)
                .ok_or_else(|| invalid(format!("`{at}` is not an RFC 3339 date-time"), None))?,
        ),
        None => None,
    };
    let args = ActionArgs {
        group: body.group.clone(),
        verdict,
        comment: body.comment.clone(),
        to: body.user.clone(),
        at,
    };
    Action::from_verb(verb, args).map_err(|MissingArgument(what)| {
        invalid(format!("`{action}` needs `{what}` in the body"), None)
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
        let request = SignOffRequest {
            step: body.step.as_deref(),
            action,
            notify: body.notify,
            reason: body.reason.clone(),
            now: None,
        };
        e.signoff_with(&who, id, request)
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

/// Why a user (default: the caller) may or may not take an action now.
pub(super) async fn explain(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
    Query(q): Query<ExplainQuery>,
) -> ApiResult {
    let verb = q.verb()?;
    let x = with_engine(&state, move |e| {
        let user = q.user.clone().unwrap_or_else(|| who.name.clone());
        e.explain(&who, id, &user, &q.request(verb))
    })
    .await?;
    ok(StatusCode::OK, &x)
}

/// Everyone who may take an action now, each with why.
pub(super) async fn who_can(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
    Query(q): Query<ExplainQuery>,
) -> ApiResult {
    let verb = q.verb()?;
    let w = with_engine(&state, move |e| e.who_can(&who, id, &q.request(verb))).await?;
    ok(StatusCode::OK, &w)
}

pub(super) async fn reviews(State(state): State<Shared>, Caller(who): Caller) -> ApiResult {
    let list = with_engine(&state, move |e| e.reviews(&who)).await?;
    ok(StatusCode::OK, &list)
}

/// `?blueprint=&format=json|csv` of the controls report.
#[derive(Deserialize)]
pub(super) struct ReportQuery {
    pub(super) blueprint: Option<String>,
    pub(super) format: Option<String>,
}

/// The control coverage report, as JSON or CSV.
pub(super) async fn controls_report(
    State(state): State<Shared>,
    Caller(who): Caller,
    Query(q): Query<ReportQuery>,
) -> ApiResult {
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                format!("`{other}` is not a report format"),
                Some("use `json` or `csv`".into()),
            ));
        }
    };
    let report = with_engine(&state, move |e| {
        e.controls_report(&who, q.blueprint.as_deref(), None)
    })
    .await?;
    if csv {
        let body = crate::render::controls::csv(&report);
        return Ok((
            [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            body,
        )
            .into_response());
    }
    ok(StatusCode::OK, &report)
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

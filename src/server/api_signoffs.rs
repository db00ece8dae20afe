//! API handlers for sign-offs and what depends on them: sign-off actions,
//! deploy checks, pending reviews, matrix views.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::engine::actions::{ActionArgs, MissingArgument, Verb};
use crate::engine::rules::signoff::{Action, Verdict as FeedbackVerdict};
use crate::engine::{
    ControlsReport, DeployDecision, ExplainRequest, Explained, Explanation, MatrixView,
    PendingReview, Recertification, SignOffRequest, SignOffView, WhoCan,
};

use super::api_common::{IfMatch, if_match, ok};
use super::auth::Caller;
use super::contract_values::ItemPath;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::optional_body::OptionalJson;
use super::paging::{self, List, ReviewsQuery};
use super::pool::{with_engine, with_writer};
use super::state::Shared;

/// The arguments of a sign-off action (each action reads the ones it needs).
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SignOffBody {
    /// The step of the sign-off (default: the current step).
    pub(super) step: Option<String>,
    /// The feedback group (`feedback`, `delegate`: `final` for the final approval).
    pub(super) group: Option<String>,
    /// `feedback`: `approved`, `minor` or `major`.
    #[schema(pattern = "^(approved|minor|major)$")]
    pub(super) verdict: Option<String>,
    /// A comment, kept with the review or decision.
    pub(super) comment: Option<String>,
    /// `delegate`: the user to delegate to.
    pub(super) user: Option<String>,
    /// `schedule-reset`: when (RFC 3339).
    #[schema(format = DateTime)]
    pub(super) at: Option<String>,
    /// Why (reset, abandon, reject, schedule-reset): audited and mailed.
    pub(super) reason: Option<String>,
    /// Mail the people concerned.
    #[serde(default)]
    pub(super) notify: bool,
}

/// `?confirm=` of the deploy check.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DeployQuery {
    /// Confirm a deployment the policy lets through with a confirmation (audited).
    #[serde(default)]
    pub(super) confirm: bool,
}

/// `?user=&action=&group=&step=` of `…/explain` and `…/who-can`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ExplainQuery {
    /// Who would act (default: the caller); `who-can` ignores it.
    pub(super) user: Option<String>,
    /// The action: a sign-off action's name, or `advance`.
    #[param(value_type = Explained)]
    pub(super) action: String,
    /// The feedback group, for `feedback` and `delegate`.
    pub(super) group: Option<String>,
    /// The step of the sign-off (default: the current step).
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct MatrixQuery {
    /// The blueprint (default: the first with a matrix view).
    pub(super) blueprint: Option<String>,
    /// The view (default: the blueprint's first).
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
            crate::model::parse::parse_date_time(at)
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
        // The body is well formed (every key is optional in the document);
        // this action needs one of them: refused as a value, not a shape.
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_argument",
            format!("`{action}` needs `{what}` in the body"),
            Some(format!("send `{{\"{what}\": …}}` with `{action}`")),
        )
    })
}

/// Takes a sign-off action: `request-review`, `feedback`, `approve`, …
///
/// With `If-Match`, the action is refused (409 `stale_revision`) if the item
/// changed since that revision: of concurrent actions naming the same
/// revision, one wins. A decision is never taken again the way it stands
/// (409 `already_decided`: approving an APPROVED sign-off, rejecting a
/// REJECTED one); changing it is an edit of the decision.
#[utoipa::path(post, path = "/items/{id}/signoff/{action}", tag = "signoffs",
    params(ItemPath, ("action" = Verb, Path, description = "The action"), IfMatch),
    request_body(content = Option<SignOffBody>, description = "The action's arguments (none for most)"),
    responses((status = 200, description = "The sign-off after the action", body = SignOffView),
        (status = 409, description = "`stale_revision`: the item changed since `If-Match`; `already_decided`: the decision stands that way already; or the sign-off's state refuses the action", body = ErrorBody)))]
pub(super) async fn signoff(
    State(state): State<Shared>,
    Caller(who): Caller,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    OptionalJson(body): OptionalJson<SignOffBody>,
) -> ApiResult {
    let expected = if_match(&headers)?;
    let body = body.unwrap_or_default();
    let action = signoff_action(&action, &body)?;
    let view = with_writer(&state, move |e| {
        let request = SignOffRequest {
            step: body.step.as_deref(),
            action,
            notify: body.notify,
            reason: body.reason.clone(),
            now: None,
            expect_revision: expected,
        };
        e.signoff_with(&who, id, request)
    })
    .await?;
    ok(StatusCode::OK, &view)
}

/// Whether the item may be deployed on an infrastructure now.
#[utoipa::path(get, path = "/items/{id}/deploy/{infrastructure}", tag = "signoffs",
    params(ItemPath, ("infrastructure" = String, Path, description = "The infrastructure"), DeployQuery),
    responses((status = 200, description = "The decision", body = DeployDecision)))]
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
#[utoipa::path(get, path = "/items/{id}/explain", tag = "signoffs", params(ItemPath, ExplainQuery),
    responses((status = 200, description = "The explanation", body = Explanation)))]
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
#[utoipa::path(get, path = "/items/{id}/who-can", tag = "signoffs", params(ItemPath, ExplainQuery),
    responses((status = 200, description = "Who may act", body = WhoCan)))]
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

/// Sign-offs waiting for the caller, by item (`due_at` says which are the
/// most urgent).
#[utoipa::path(get, path = "/reviews", tag = "signoffs", params(ReviewsQuery),
    responses((status = 200, description = "The pending reviews", body = Vec<PendingReview>)))]
pub(super) async fn reviews(
    State(state): State<Shared>,
    Caller(who): Caller,
    Query(q): Query<ReviewsQuery>,
) -> ApiResult {
    let limit = paging::limit(q.limit)?;
    let after = paging::number_after(List::Reviews, q.cursor.as_deref())?;
    let (list, next) =
        with_engine(&state, move |e| e.reviews_page(&who, after, limit, None)).await?;
    paging::page(&list, next.map(|n| List::Reviews.number_cursor(n)))
}

/// `?within=30d` of the re-certifications due.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct RecertificationsQuery {
    /// The window: `30d` (the default), `4w`, `12h`, a number of days.
    pub(super) within: Option<String>,
}

/// The re-certifications due within a window: sign-offs whose automatic
/// reset (`reset every`, the `reset_at` hook, a scheduled reset) comes by
/// then, on the items the caller may read, soonest first.
#[utoipa::path(get, path = "/recertifications", tag = "signoffs", params(RecertificationsQuery),
    responses((status = 200, description = "The re-certifications due", body = Vec<Recertification>),
        (status = 422, description = "`invalid_value`: the window is not a positive number of days, weeks or hours", body = ErrorBody)))]
pub(super) async fn recertifications(
    State(state): State<Shared>,
    Caller(who): Caller,
    Query(q): Query<RecertificationsQuery>,
) -> ApiResult {
    let within = crate::engine::parse_window(q.within.as_deref().unwrap_or("30d"))?;
    let list = with_engine(&state, move |e| e.recertifications_due(&who, within, None)).await?;
    ok(StatusCode::OK, &list)
}

/// `?blueprint=&format=json|csv` of the controls report.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ReportQuery {
    /// Only this blueprint's controls and items.
    pub(super) blueprint: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub(super) format: Option<String>,
}

/// The control coverage report.
#[utoipa::path(get, path = "/reports/controls", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "The report", content(
        (ControlsReport = "application/json"),
        (String = "text/csv")))))]
pub(super) async fn controls_report(
    State(state): State<Shared>,
    Caller(who): Caller,
    Query(q): Query<ReportQuery>,
) -> ApiResult {
    let csv = super::export::wants_csv(q.format.as_deref(), "a report format")?;
    let report = with_engine(&state, move |e| {
        e.controls_report(&who, q.blueprint.as_deref(), None)
    })
    .await?;
    if csv {
        return Ok(super::export::csv(crate::render::controls::csv(&report)));
    }
    ok(StatusCode::OK, &report)
}

/// The points of a matrix view.
#[utoipa::path(get, path = "/matrix", tag = "reports", params(MatrixQuery),
    responses((status = 200, description = "The view", body = MatrixView)))]
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

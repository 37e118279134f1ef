//! The OpenAPI document: what the annotations of the handlers do not say by themselves.

use crate::problem::{ProblemBody, responses};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Simpa API",
        description = "Subsidies to associations, end to end: associations, their documents and requests, \
            instruction by the city's directions, decisions, payments and open data.\n\n\
            Errors are `application/problem+json` (RFC 9457) with a stable `code` and, for invalid input, \
            one entry per field in `errors`. Money is in integer euro cents. Lists are paginated with \
            `cursor` and `limit`. Edits carry `If-Match` with the `ETag` read.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerAuth),
    components(
        schemas(ProblemBody),
        responses(
            responses::BadRequest,
            responses::Unauthenticated,
            responses::Forbidden,
            responses::NotFound,
            responses::Conflict,
            responses::PreconditionFailed,
            responses::RequestTimeout,
            responses::PayloadTooLarge,
            responses::UnsupportedMediaType,
            responses::Invalid,
            responses::PreconditionRequired,
            responses::TooManyRequests,
            responses::Internal,
            responses::Unavailable,
        )
    ),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "reference", description = "Districts, directions and activity sectors (public)"),
        (name = "auth", description = "Access and refresh tokens; API clients' client-credentials grant"),
        (name = "accounts", description = "People's accounts and staff roles"),
        (name = "service accounts", description = "Directions' API clients (admins)"),
        (name = "associations", description = "Associations' profiles"),
        (name = "members", description = "Members of associations"),
        (name = "documents", description = "The document vault: supporting documents filed once, reviewed, and the profile status they make"),
        (name = "campaigns", description = "Campaigns and calls for projects requests are filed in"),
        (name = "requests", description = "Subsidy requests: drafts, submission, actions along the instruction circuits"),
        (name = "messages", description = "Talking about a request: the thread between the association and the city's staff, the city's internal notes, read marks, files, and the staff's search"),
        (name = "tracking", description = "Worklists, the change feed, and the verification of histories"),
        (name = "notifications", description = "E-mail and webhooks through the transactional outbox"),
        (name = "audit", description = "The audit trail (admins): sign-ins and those refused, changes of staff roles, API clients and members, exports"),
        (name = "webhooks", description = "Signed HTTP calls to directions' systems on every change of their requests"),
        (name = "deliberations", description = "Deliberations: a council's agenda and its vote, which grants or refuses every line at once"),
        (name = "indicators", description = "The indicators the city steers by: states, durations per step, amounts, refusal rate, overdue reports and the alerts; the whole city for the bureau, their own requests for a direction or a town hall"),
        (name = "open data", description = "The open data of subsidies (no authentication): the SCDL « subventions » 2.1.1 in CSV and JSON, and the layout of Paris's dataset « subventions associations votées »; streamed"),
        (name = "directory", description = "The public directory of associations (no authentication): consenting associations' cards, searched without accents, cached, callable from the configured origins"),
        (name = "grants", description = "Grants: the amount voted, the payment schedule, payments and the payments due"),
        (name = "agreements", description = "Agreements (conventions d'objectifs) required above 23,000 €: terms, signatures, the text as HTML and PDF"),
        (name = "juries", description = "Juries of calls for projects: scoring grid, seats, conflicts of interest, scores, ranking within the envelope, minutes"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        scheme.description = Some("Access token from POST /api/v1/auth/token (15 minutes).".into());
        components.add_security_scheme(crate::contract::BEARER, SecurityScheme::Http(scheme));
        let mut metrics = Http::new(HttpAuthScheme::Bearer);
        metrics.description = Some("The scrapers' token, SIMPA_METRICS_TOKEN.".into());
        components.add_security_scheme("metrics_token", SecurityScheme::Http(metrics));
    }
}

/// Adds the answers that come from the shared machinery rather than from each handler, once
/// the routes are collected: any call may fail unexpectedly (500) or find the database
/// unavailable (503); any call under `/api/v1` may carry an invalid token (401); any JSON body
/// may be malformed (400), stall (408), too large (413), of another type (415) or invalid (422); any path
/// parameter may name nothing (404); any query may be invalid (400); an edit under `If-Match`
/// may name an outdated version (412) or none (428).
pub fn complete(document: &mut utoipa::openapi::OpenApi) {
    for (path, item) in document.paths.paths.iter_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let has_body = operation.request_body.is_some();
            let parameters: Vec<&Parameter> = operation
                .parameters
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    RefOr::T(parameter) => Some(parameter),
                    RefOr::Ref(_) => None,
                })
                .collect();
            let has_query = parameters
                .iter()
                .any(|p| p.parameter_in == ParameterIn::Query);
            let has_if_match = parameters
                .iter()
                .any(|p| p.parameter_in == ParameterIn::Header && p.name == "If-Match");
            let answers = &mut operation.responses.responses;
            let mut add = |status: &str, response: &str| {
                answers
                    .entry(status.into())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(response)));
            };
            add("500", "Internal");
            add("503", "Unavailable");
            if path.starts_with("/api/v1/") {
                add("401", "Unauthenticated");
            }
            if has_body {
                add("400", "BadRequest");
                add("408", "RequestTimeout");
                add("413", "PayloadTooLarge");
                add("415", "UnsupportedMediaType");
                add("422", "Invalid");
            }
            if path.contains('{') {
                add("404", "NotFound");
            }
            if has_query {
                add("400", "BadRequest");
            }
            if has_if_match {
                add("412", "PreconditionFailed");
                add("428", "PreconditionRequired");
            }
        }
    }
}

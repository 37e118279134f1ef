//! A person's second factor (an authenticator app, TOTP): adding it, renewing its recovery
//! codes, turning it off; and for admins, resetting a lost one.

use crate::auth::{Caller, Enrolling};
use crate::input::Json;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use simpa_app::two_factor::{self as app, TwoFactorStatus};
use simpa_domain::ids::AccountId;
use utoipa::ToSchema;
use uuid::Uuid;

/// Where one's second factor stands.
#[derive(Serialize, ToSchema)]
pub struct TwoFactorView {
    /// Sign-ins ask for a code of the app (or a recovery code).
    pub enabled: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
    /// One's staff role requires it: it cannot be turned off, and until it is added the
    /// tokens of a sign-in serve only to add it.
    pub required: bool,
}

impl From<TwoFactorStatus> for TwoFactorView {
    fn from(s: TwoFactorStatus) -> Self {
        TwoFactorView {
            enabled: s.enabled,
            recovery_codes_left: s.recovery_codes_left,
            required: s.required,
        }
    }
}

/// What an authenticator app is given to add the account.
#[derive(Serialize, ToSchema)]
pub struct EnrolmentView {
    /// The secret, in base32, for apps where it is typed.
    pub secret: String,
    /// The `otpauth://` address, for a QR code.
    #[schema(
        example = "otpauth://totp/Simpa:marie%40exemple.org?secret=JBSWY3DPEHPK3PXP&issuer=Simpa"
    )]
    pub otpauth_uri: String,
}

/// A code of the app (6 digits), or a recovery code.
#[derive(Deserialize, ToSchema)]
pub struct CodeInput {
    #[schema(example = "492039")]
    pub code: String,
}

/// Recovery codes, shown this once: each signs in once when the app is lost.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    #[schema(example = json!(["abcd-efgh-2345", "k7mn-pq3r-stuv"]))]
    pub recovery_codes: Vec<String>,
}

/// One's second factor: whether it is on, required, and how many recovery codes are left.
/// Also with a token good only to add it.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = TwoFactorView),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
    )
)]
#[get("/me/two-factor")]
pub async fn get_two_factor(
    state: web::Data<AppState>,
    caller: Enrolling,
) -> Result<web::Json<TwoFactorView>, Problem> {
    let required = state.config.staff_two_factor;
    let status = state
        .read(move |conn| app::status(conn, caller.0, required))
        .await?;
    Ok(web::Json(status.into()))
}

/// Starts adding an authenticator app: answers its secret (and the `otpauth://` address for
/// a QR code); the next step confirms it with a first code. Starting again replaces a secret
/// not confirmed yet; 409 `two_factor.already_enabled` once it is on.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 201, body = EnrolmentView),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/me/two-factor")]
pub async fn start_two_factor(
    state: web::Data<AppState>,
    caller: Enrolling,
) -> Result<HttpResponse, Problem> {
    let now = state.now();
    let secret = simpa_app::secrets::random_totp_secret();
    let enrolment = state
        .write(move |conn| app::start_enrolment(conn, caller.0, secret, now))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(EnrolmentView {
            secret: enrolment.secret,
            otpauth_uri: enrolment.uri,
        }))
}

/// Confirms the app with the code it shows: from now on each sign-in asks for a code. Answers
/// ten recovery codes, shown this once (keep them apart from the device). A wrong code: 422
/// on `code`. Every session of the account ends, this one too: sign in again, with a code of
/// the app. The owner is told by e-mail.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = CodeInput,
    responses(
        (status = 200, body = RecoveryCodes),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/me/two-factor/confirm")]
pub async fn confirm_two_factor(
    state: web::Data<AppState>,
    caller: Enrolling,
    body: Json<CodeInput>,
) -> Result<HttpResponse, Problem> {
    let code = body.value.code;
    let now = state.now();
    let notifier = state.notifier.clone();
    let codes = state
        .write(move |conn| app::confirm_enrolment(conn, caller.0, &code, now, &notifier))
        .await?;
    Ok(recovery_codes(codes))
}

/// Replaces one's recovery codes with ten new ones (the old ones stop working), proven by a
/// current code (five wrong ones within 15 minutes: 429 `two_factor.too_many_attempts`). The
/// owner is told by e-mail.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = CodeInput,
    responses(
        (status = 200, body = RecoveryCodes),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 422, response = responses::Invalid),
        (status = 429, response = responses::TooManyRequests),
    )
)]
#[post("/me/two-factor/recovery-codes")]
pub async fn renew_recovery_codes(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CodeInput>,
) -> Result<HttpResponse, Problem> {
    let code = body.value.code;
    let now = state.now();
    let notifier = state.notifier.clone();
    let policy = state.config.throttle;
    // A wrong code is counted (committed), then answered.
    let codes = state
        .write(move |conn| app::renew_recovery_codes(conn, caller.0, &code, policy, now, &notifier))
        .await??;
    Ok(recovery_codes(codes))
}

fn recovery_codes(codes: Vec<String>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(RecoveryCodes {
            recovery_codes: codes,
        })
}

/// Turns one's second factor off, proven by a current code (or a recovery code; five wrong
/// ones within 15 minutes: 429 `two_factor.too_many_attempts`). 409 `two_factor.required`
/// when one's staff role requires it. The owner is told by e-mail.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = CodeInput,
    responses(
        (status = 204, description = "Sign-ins ask for the password alone"),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
        (status = 422, response = responses::Invalid),
        (status = 429, response = responses::TooManyRequests),
    )
)]
#[post("/me/two-factor/disable")]
pub async fn disable_two_factor(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CodeInput>,
) -> Result<HttpResponse, Problem> {
    let code = body.value.code;
    let now = state.now();
    let notifier = state.notifier.clone();
    let (required, policy) = (state.config.staff_two_factor, state.config.throttle);
    // A wrong code is counted (committed), then answered.
    state
        .write(move |conn| app::disable(conn, caller.0, &code, required, policy, now, &notifier))
        .await??;
    Ok(HttpResponse::NoContent().finish())
}

/// Resets a person's second factor (admins), when they lost their device and their recovery
/// codes: their sessions end, they are told by e-mail, and at their next sign-in they add an
/// app again if their role requires one. 409 `two_factor.not_enabled` when there is none. In
/// the audit trail.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The second factor is off; the person's sessions ended"),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/accounts/{account_id}/two-factor/reset")]
pub async fn reset_two_factor(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let account = AccountId::from_uuid(path.into_inner());
    let now = state.now();
    let notifier = state.notifier.clone();
    state
        .write(move |conn| app::reset(conn, caller.0, account, now, &notifier))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

//! The second factor (TOTP, RFC 6238) on a server that requires it of staff, as by default:
//! codes computed from the secret Simpa gave, at the time of the application's clock (which
//! the tests move), e-mails read from a real SMTP server on loopback.

use chrono::TimeDelta;
use serde_json::{Value, json};
use simpa_app::clock::Clock;
use simpa_domain::two_factor::TotpSecret;
use simpa_tests::client::{PASSWORD, User};
use simpa_tests::smtp::SmtpSink;
use simpa_tests::{Backend, TestApp, on_both_backends};
use std::time::Duration;

const CHANGED: &str = "La double authentification de votre compte a changé";

pub(crate) fn app_mailing_to(sink: &SmtpSink, backend: Backend) -> TestApp {
    let port = sink.port().to_string();
    TestApp::start_with(
        backend,
        &[
            ("SIMPA_SMTP_HOST", "127.0.0.1"),
            ("SIMPA_SMTP_PORT", port.as_str()),
            ("SIMPA_SMTP_TLS", "none"),
            ("SIMPA_OUTBOX_POLL_MS", "50"),
            ("SIMPA_STAFF_TWO_FACTOR", "on"),
        ],
    )
}

/// The text of each message about the second factor that reached `email`, once `count` did.
fn changes_told(sink: &SmtpSink, email: &str, count: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let told: Vec<String> = sink
            .deliveries()
            .into_iter()
            .filter(|d| d.to.iter().any(|t| t == email) && d.subject() == CHANGED)
            .map(|d| d.body("text/plain"))
            .collect();
        if told.len() >= count || std::time::Instant::now() > deadline {
            assert_eq!(told.len(), count, "{told:?}");
            return told;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sign_in_with(app: &TestApp, email: &str, code: Option<&str>) -> simpa_tests::Reply {
    let mut body = json!({"grant_type": "password", "email": email, "password": PASSWORD});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    app.post("/api/v1/auth/token", None, &body)
}

/// The code the app shows `steps_from_now` steps (of 30 seconds) from now, by the
/// application's clock.
pub(crate) fn code(app: &TestApp, secret: &TotpSecret, steps_from_now: i64) -> String {
    secret.code_at(app.clock.now() + TimeDelta::seconds(30 * steps_from_now))
}

/// Adds an app to `user`'s account: its secret, and the recovery codes shown once.
pub(crate) fn enrol(app: &TestApp, user: &User) -> (TotpSecret, Vec<String>) {
    let started = app
        .post("/api/v1/me/two-factor", Some(&user.access), &json!({}))
        .expect(201)
        .clone();
    let secret = TotpSecret::from_base32(started["secret"].as_str().expect("secret"))
        .expect("a base32 secret");
    let uri = started["otpauth_uri"].as_str().expect("uri");
    assert_eq!(uri, secret.provisioning_uri(&user.email), "{started}");
    let confirmed = app.post(
        "/api/v1/me/two-factor/confirm",
        Some(&user.access),
        &json!({"code": code(app, &secret, 0)}),
    );
    let codes: Vec<String> = confirmed.expect(200)["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("a code").to_owned())
        .collect();
    (secret, codes)
}

/// Signs in with the password and the code of the next step (the one that confirmed the app,
/// or signed in last, has served): the tokens.
fn signed_in_with_code(app: &TestApp, email: &str, secret: &TotpSecret) -> Value {
    app.clock.advance(TimeDelta::seconds(30));
    let tokens = sign_in_with(app, email, Some(&code(app, secret, 0)));
    tokens.expect(200).clone()
}

fn audit_actions(app: &TestApp, admin: &str, account: &str) -> Vec<String> {
    let events = app.get("/api/v1/audit-events?limit=200", Some(admin));
    events.expect(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["subject"].as_str().is_some_and(|s| s.ends_with(account)))
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .collect()
}

fn staff_add_an_app_before_acting_and_each_code_works_once(backend: Backend) {
    let sink = SmtpSink::start();
    let app = app_mailing_to(&sink, backend);
    let admin = app.admin();
    // Signed in with the password alone, the admin may only add their app.
    let first = app.sign_in(&admin.email, PASSWORD);
    assert_eq!(first.expect(200)["second_factor_enrolment_required"], true);
    app.get("/api/v1/accounts", Some(&admin.access))
        .expect_problem(403, "auth.second_factor_enrolment_required");
    let me = app.get("/api/v1/me", Some(&admin.access));
    assert_eq!(me.expect(200)["two_factor_enabled"], false);
    let status = app.get("/api/v1/me/two-factor", Some(&admin.access));
    assert_eq!(
        status.expect(200),
        &json!({"enabled": false, "recovery_codes_left": 0, "required": true})
    );
    // A first code that is wrong does not confirm it.
    app.post("/api/v1/me/two-factor", Some(&admin.access), &json!({}))
        .expect(201);
    let wrong = app.post(
        "/api/v1/me/two-factor/confirm",
        Some(&admin.access),
        &json!({"code": "12345"}),
    );
    assert_eq!(
        wrong.field_errors(),
        vec![("code".to_owned(), "two_factor.code_invalid".to_owned())]
    );
    let (secret, recovery) = enrol(&app, &admin);
    assert_eq!(recovery.len(), 10);
    let distinct: std::collections::HashSet<_> = recovery.iter().collect();
    assert_eq!(distinct.len(), 10);
    assert!(
        recovery
            .iter()
            .all(|c| c.len() == 14 && c.matches('-').count() == 2),
        "{recovery:?}"
    );
    app.post("/api/v1/me/two-factor", Some(&admin.access), &json!({}))
        .expect_problem(409, "two_factor.already_enabled");
    let told = changes_told(&sink, &admin.email, 1);
    assert!(told[0].contains("vient d'être activée"), "{}", told[0]);
    // Every session opened with the password alone ended (another one, which whoever stole
    // the password might hold, too); signed in again with a code, the admin acts.
    app.refresh(&admin.refresh)
        .expect_problem(401, "auth.invalid_refresh_token");
    let tokens = signed_in_with_code(&app, &admin.email, &secret);
    assert!(tokens.get("second_factor_enrolment_required").is_none());
    let access = tokens["access_token"].as_str().expect("access").to_owned();
    app.get("/api/v1/accounts", Some(&access)).expect(200);
    // Its refresh keeps the session's strength.
    let again = app.refresh(tokens["refresh_token"].as_str().expect("refresh"));
    assert!(
        again
            .expect(200)
            .get("second_factor_enrolment_required")
            .is_none()
    );

    // The password alone no longer signs in; the code confirming the app already served.
    let alone = sign_in_with(&app, &admin.email, None);
    let problem = alone.expect_problem(401, "auth.second_factor_required");
    assert_eq!(problem["error"], "invalid_grant");
    sign_in_with(&app, &admin.email, Some(&code(&app, &secret, 0)))
        .expect_problem(401, "two_factor.code_reused");
    // One step either side of the clock's is accepted, once; two are not.
    app.clock.advance(TimeDelta::seconds(90));
    sign_in_with(&app, &admin.email, Some(&code(&app, &secret, -2)))
        .expect_problem(401, "two_factor.code_invalid");
    let late = sign_in_with(&app, &admin.email, Some(&code(&app, &secret, -1)));
    assert!(late.expect(200)["access_token"].is_string());
    let early = code(&app, &secret, 1);
    sign_in_with(&app, &admin.email, Some(&early)).expect(200);
    sign_in_with(&app, &admin.email, Some(&early)).expect_problem(401, "two_factor.code_reused");
    // A code of a step before one used is refused too.
    sign_in_with(&app, &admin.email, Some(&code(&app, &secret, 0)))
        .expect_problem(401, "two_factor.code_reused");
    // A recovery code signs in once, typed in any case, and its owner is told.
    let upper = recovery[3].to_uppercase();
    sign_in_with(&app, &admin.email, Some(&upper)).expect(200);
    sign_in_with(&app, &admin.email, Some(&recovery[3]))
        .expect_problem(401, "two_factor.code_invalid");
    let told = changes_told(&sink, &admin.email, 2);
    assert!(
        told.iter().any(|t| t.contains("Il vous en reste 9")),
        "{told:?}"
    );
    let status = app.get("/api/v1/me/two-factor", Some(&access));
    assert_eq!(
        status.expect(200),
        &json!({"enabled": true, "recovery_codes_left": 9, "required": true})
    );
    // Staff keep it.
    app.post(
        "/api/v1/me/two-factor/disable",
        Some(&access),
        &json!({"code": code(&app, &secret, 2)}),
    )
    .expect_problem(409, "two_factor.required");
    let trail = audit_actions(&app, &access, &admin.id);
    for action in ["auth.two_factor_enabled", "auth.recovery_code_used"] {
        assert!(trail.iter().any(|a| a == action), "{action}: {trail:?}");
    }
    let listed = app.get("/api/v1/accounts?q=Admin", Some(&access));
    let listed = listed.expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let file = app.get(&format!("/api/v1/accounts/{}", admin.id), Some(&access));
    assert_eq!(file.expect(200)["two_factor_enabled"], true);
}

fn members_may_add_one_and_admins_reset_a_lost_one(backend: Backend) {
    let sink = SmtpSink::start();
    let app = app_mailing_to(&sink, backend);
    let admin = app.admin();
    let (admin_secret, _) = enrol(&app, &admin);
    let admin_access = signed_in_with_code(&app, &admin.email, &admin_secret)["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let email = "tresoriere@exemple.org";
    let member = app.new_user(email);
    // Optional for members: their sign-in serves everything.
    let status = app.get("/api/v1/me/two-factor", Some(&member.access));
    assert_eq!(status.expect(200)["required"], false);
    let (secret, recovery) = enrol(&app, &member);
    app.clock.advance(TimeDelta::seconds(30));
    // New recovery codes replace the old ones.
    let renewed_codes = app.post(
        "/api/v1/me/two-factor/recovery-codes",
        Some(&member.access),
        &json!({"code": code(&app, &secret, 0)}),
    );
    let renewed_codes = renewed_codes.expect(200)["recovery_codes"].clone();
    sign_in_with(&app, email, Some(&recovery[0])).expect_problem(401, "two_factor.code_invalid");
    sign_in_with(&app, email, renewed_codes[0].as_str()).expect(200);
    // Turning it off takes a current code; wrong ones count, five at most in 15 minutes.
    let wrong = |code: &str| {
        app.post(
            "/api/v1/me/two-factor/disable",
            Some(&member.access),
            &json!({ "code": code }),
        )
    };
    for _ in 0..5 {
        assert_eq!(
            wrong("000000").field_errors(),
            vec![("code".to_owned(), "two_factor.code_invalid".to_owned())]
        );
    }
    let stopped = wrong(&code(&app, &secret, 0));
    stopped.expect_problem(429, "two_factor.too_many_attempts");
    assert!(stopped.header("retry-after").is_some());
    app.clock.advance(TimeDelta::minutes(16));
    app.post(
        "/api/v1/me/two-factor/disable",
        Some(&member.access),
        &json!({"code": code(&app, &secret, 0)}),
    )
    .expect(204);
    sign_in_with(&app, email, None).expect(200);
    let (secret, _) = enrol(&app, &member);
    let member_tokens = signed_in_with_code(&app, email, &secret);

    // A member cannot reset anyone's, not even their own, nor may an admin signed in with the
    // password alone.
    let path = format!("/api/v1/accounts/{}/two-factor/reset", member.id);
    app.post(&path, Some(&member.access), &json!({}))
        .expect_problem(403, "access.forbidden");
    app.post(&path, Some(&admin.access), &json!({}))
        .expect_problem(403, "auth.second_factor_enrolment_required");
    // The admin resets it: the member's sessions end, and their password alone signs in.
    app.post(&path, Some(&admin_access), &json!({})).expect(204);
    let member_refresh = member_tokens["refresh_token"].as_str().expect("refresh");
    app.refresh(member_refresh)
        .expect_problem(401, "auth.invalid_refresh_token");
    sign_in_with(&app, email, None).expect(200);
    app.post(&path, Some(&admin_access), &json!({}))
        .expect_problem(409, "two_factor.not_enabled");
    // Activated twice, new recovery codes, one used, turned off, reset.
    let told = changes_told(&sink, email, 6);
    for (said, times) in [
        ("vient d'être activée", 2),
        ("De nouveaux codes de secours", 1),
        ("Un code de secours vient de servir", 1),
        ("vient d'être désactivée", 1),
        ("Un administrateur a réinitialisé", 1),
    ] {
        let found = told.iter().filter(|text| text.contains(said)).count();
        assert_eq!(found, times, "{said}: {told:?}");
    }
    let trail = audit_actions(&app, &admin_access, &member.id);
    for action in [
        "auth.two_factor_enabled",
        "auth.recovery_codes_renewed",
        "auth.two_factor_disabled",
        "auth.two_factor_reset",
    ] {
        assert!(trail.iter().any(|a| a == action), "{action}: {trail:?}");
    }
    // The admin's own codes still work as before.
    app.clock.advance(TimeDelta::seconds(30));
    sign_in_with(&app, &admin.email, Some(&code(&app, &admin_secret, 0))).expect(200);
}

on_both_backends!(
    staff_add_an_app_before_acting_and_each_code_works_once,
    members_may_add_one_and_admins_reset_a_lost_one,
);

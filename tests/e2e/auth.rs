use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use simpa_tests::client::{PASSWORD, association_body};
use simpa_tests::{Backend, JWT_SECRET, TestApp, on_both_backends};

fn refresh(app: &TestApp, token: &str) -> simpa_tests::Reply {
    app.post(
        "/api/v1/auth/token",
        None,
        &json!({"grant_type": "refresh_token", "refresh_token": token}),
    )
}

fn refresh_tokens_rotate_and_a_reused_one_revokes_the_session(backend: Backend) {
    let app = TestApp::start(backend);
    let user = app.new_user("camille@exemple.org");

    let first = refresh(&app, &user.refresh);
    let rotated = first.expect(200).clone();
    assert_eq!(first.header("cache-control"), Some("no-store"));
    assert_eq!(rotated["token_type"], "Bearer");
    assert_eq!(rotated["expires_in"], 900, "access tokens live 15 minutes");
    let second_refresh = rotated["refresh_token"]
        .as_str()
        .expect("a new refresh token")
        .to_owned();
    assert_ne!(second_refresh, user.refresh);
    let access = rotated["access_token"].as_str().expect("access token");
    assert_eq!(
        app.get("/api/v1/me", Some(access)).expect(200)["email"],
        "camille@exemple.org"
    );

    // OAuth clients send the same request form-encoded.
    let form = app.send(
        app.request(reqwest::Method::POST, "/api/v1/auth/token")
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", second_refresh.as_str()),
            ]),
    );
    let third_refresh = form.expect(200)["refresh_token"]
        .as_str()
        .expect("rotated again")
        .to_owned();

    // The first token was used already: presenting it again revokes the whole session…
    refresh(&app, &user.refresh).expect_problem(401, "auth.refresh_token_reused");
    // …including the latest token of that session.
    refresh(&app, &third_refresh).expect_problem(401, "auth.invalid_refresh_token");
    refresh(&app, "not-a-token").expect_problem(401, "auth.invalid_refresh_token");
    // Signing in again starts a new session.
    app.sign_in("camille@exemple.org", PASSWORD).expect(200);
}

fn logout_revokes_the_session(backend: Backend) {
    let app = TestApp::start(backend);
    let user = app.new_user("camille@exemple.org");
    let rotated = refresh(&app, &user.refresh).expect(200)["refresh_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let out = app.post(
        "/api/v1/auth/logout",
        None,
        &json!({"refresh_token": user.refresh}),
    );
    assert_eq!(out.status, 204);
    refresh(&app, &rotated).expect_problem(401, "auth.invalid_refresh_token");
    // Logging out twice, or with an unknown token, is harmless.
    assert_eq!(
        app.post(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": "unknown"})
        )
        .status,
        204
    );
}

fn token(claims: Value, key: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(key),
    )
    .expect("signed")
}

fn expired_tampered_foreign_and_unsigned_tokens_are_refused(backend: Backend) {
    let app = TestApp::start(backend);
    let user = app.new_user("camille@exemple.org");
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64| json!({"iss": "simpa", "sub": user.id, "kind": "person", "iat": now - 60, "exp": exp, "jti": "t"});

    // Control: a token signed with the server's key works, so the refusals below are about
    // what was changed, not about how tokens are built here.
    assert_eq!(
        app.get(
            "/api/v1/me",
            Some(&token(claims(now + 600), JWT_SECRET.as_bytes()))
        )
        .expect(200)["id"],
        user.id
    );

    let expired = token(claims(now - 3600), JWT_SECRET.as_bytes());
    let foreign = token(claims(now + 600), b"another-secret-of-at-least-32-bytes!!");
    let mut parts: Vec<String> = user.access.split('.').map(str::to_owned).collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).expect("base64")).expect("json");
    payload["sub"] = json!(uuid::Uuid::now_v7().to_string());
    parts[1] = URL_SAFE_NO_PAD.encode(payload.to_string());
    let tampered = parts.join(".");
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims(now + 600).to_string())
    );
    for (what, bad) in [
        ("expired", expired),
        ("foreign key", foreign),
        ("tampered", tampered),
        ("alg none", unsigned),
        ("malformed", "abc.def".into()),
    ] {
        let reply = app.get("/api/v1/me", Some(&bad));
        reply.expect_problem(401, "auth.invalid_token");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{what}");
    }
    let basic = app.send(
        app.request(reqwest::Method::GET, "/api/v1/me")
            .header("Authorization", "Basic Y2FtaWxsZTpwYXNz"),
    );
    basic.expect_problem(401, "auth.invalid_token");
    // An invalid token is refused even where none is needed.
    app.get("/api/v1/districts", Some("abc.def"))
        .expect_problem(401, "auth.invalid_token");
}

fn repeated_failed_sign_ins_on_an_account_are_throttled(backend: Backend) {
    let app = TestApp::start_with(backend, &[("SIMPA_LOGIN_MAX_FAILURES", "3")]);
    app.register("camille@exemple.org");
    app.register("dominique@exemple.org");
    for _ in 0..3 {
        app.sign_in("camille@exemple.org", "wrong password!")
            .expect_problem(401, "auth.invalid_credentials");
    }
    // Even the right password is refused now, with the time to wait.
    let throttled = app.sign_in("Camille@Exemple.org", PASSWORD);
    throttled.expect_problem(429, "auth.too_many_attempts");
    let wait: i64 = throttled
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=900).contains(&wait), "{wait}");
    // Other accounts are not affected.
    app.sign_in("dominique@exemple.org", PASSWORD).expect(200);
}

/// Guesses sent all at once count like guesses sent one after the other.
fn parallel_guesses_are_counted_too(backend: Backend) {
    let app = TestApp::start_with(backend, &[("SIMPA_LOGIN_MAX_FAILURES", "3")]);
    app.register("camille@exemple.org");
    let app = &app;
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..8)
            .map(|n| {
                scope.spawn(move || {
                    app.sign_in("camille@exemple.org", &format!("guess number {n}"))
                        .status
                })
            })
            .collect();
        guesses
            .into_iter()
            .map(|g| g.join().expect("guess"))
            .collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        5,
        "{statuses:?}"
    );
}

fn repeated_failed_sign_ins_from_an_address_are_throttled(backend: Backend) {
    let app = TestApp::start_with(backend, &[("SIMPA_LOGIN_MAX_FAILURES_PER_ADDRESS", "4")]);
    app.register("camille@exemple.org");
    for n in 0..4 {
        app.sign_in(&format!("inconnu{n}@exemple.org"), "whatever password")
            .expect_problem(401, "auth.invalid_credentials");
    }
    app.sign_in("camille@exemple.org", PASSWORD)
        .expect_problem(429, "auth.too_many_attempts");
}

fn emails_are_unique_whatever_their_case(backend: Backend) {
    let app = TestApp::start(backend);
    app.register("Camille@Exemple.org");
    let duplicate = app.post(
        "/api/v1/accounts",
        None,
        &json!({"email": "camille@exemple.ORG", "password": PASSWORD, "display_name": "Autre"}),
    );
    duplicate.expect_problem(409, "account.email_taken");
    assert_eq!(
        duplicate.field_errors(),
        vec![("email".to_owned(), "account.email_taken".to_owned())]
    );
    let tokens = app.sign_in("CAMILLE@EXEMPLE.ORG", PASSWORD);
    let access = tokens.expect(200)["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(
        app.get("/api/v1/me", Some(&access)).expect(200)["email"],
        "Camille@Exemple.org"
    );
    app.sign_in("nobody@exemple.org", PASSWORD)
        .expect_problem(401, "auth.invalid_credentials");
}

fn registration_checks_every_field_at_once(backend: Backend) {
    let app = TestApp::start(backend);
    let reply = app.post(
        "/api/v1/accounts",
        None,
        &json!({"email": "nope", "password": "Zq7#pw", "display_name": " "}),
    );
    reply.expect_problem(422, "validation.failed");
    assert_eq!(
        reply.field_errors(),
        vec![
            ("email".to_owned(), "email.invalid".to_owned()),
            ("password".to_owned(), "password.too_short".to_owned()),
            ("display_name".to_owned(), "text.required".to_owned()),
        ]
    );
    assert!(
        !reply.text.contains("Zq7#pw"),
        "the password is never echoed"
    );
}

fn api_clients_sign_in_with_client_credentials_and_act_for_their_direction(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let dac = app.direction_id("DAC");
    let alice = app.new_user("alice@exemple.org");
    let association = app.create_association(
        &alice,
        &association_body("Théâtre du Faubourg", "W751000001", "52499120500013"),
    );

    let refused = app.post(
        "/api/v1/service-accounts",
        Some(&alice.access),
        &json!({"name": "Progiciel", "direction_id": dac}),
    );
    refused.expect_problem(403, "access.forbidden");
    app.post(
        "/api/v1/service-accounts",
        None,
        &json!({"name": "Progiciel", "direction_id": dac}),
    )
    .expect_problem(401, "auth.required");
    let dases = app.direction_id("DASES");
    let inactive = app.post(
        "/api/v1/service-accounts",
        Some(&admin.access),
        &json!({"name": "Ancien", "direction_id": dases}),
    );
    assert_eq!(
        inactive.field_errors(),
        vec![("direction_id".to_owned(), "direction.inactive".to_owned())]
    );

    let created = app.post(
        "/api/v1/service-accounts",
        Some(&admin.access),
        &json!({"name": "Progiciel de la DAC", "direction_id": dac}),
    );
    let client = created.expect(201).clone();
    assert_eq!(
        created.header("cache-control"),
        Some("no-store"),
        "the secret must not be cached"
    );
    assert_eq!(client["direction_code"], "DAC");
    assert_eq!(client["active"], true);
    let (client_id, secret) = (
        client["client_id"].as_str().expect("id"),
        client["client_secret"].as_str().expect("secret"),
    );
    let listed = app.get("/api/v1/service-accounts", Some(&admin.access));
    assert_eq!(listed.expect(200)["items"][0]["client_id"], client_id);
    assert!(
        !listed.text.contains(secret),
        "the secret is shown once only"
    );

    let grant = |secret: &str| {
        app.send(
            app.request(reqwest::Method::POST, "/api/v1/auth/token")
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_secret", secret),
                ]),
        )
    };
    let tokens = grant(secret).expect(200).clone();
    assert_eq!(
        tokens.get("refresh_token"),
        None,
        "clients sign in again instead"
    );
    let access = tokens["access_token"].as_str().expect("token").to_owned();
    grant("wrong secret").expect_problem(401, "auth.invalid_client");
    let nul = app.post("/api/v1/auth/token", None, &json!({"grant_type": "client_credentials", "client_id": "simpa-\u{0}", "client_secret": "x"}));
    nul.expect_problem(401, "auth.invalid_client");

    // The client acts as an instructor of its direction.
    assert_eq!(
        app.get("/api/v1/associations", Some(&access)).expect(200)["items"][0]["id"],
        association["id"]
    );
    app.get("/api/v1/me", Some(&access))
        .expect_problem(403, "access.forbidden");
    app.post(
        "/api/v1/associations",
        Some(&access),
        &association_body("X", "W751000009", "38033590100027"),
    )
    .expect_problem(403, "access.forbidden");
    app.get("/api/v1/service-accounts", Some(&access))
        .expect_problem(403, "access.forbidden");

    // Revoked: its tokens stop working at once.
    let id = client["id"].as_str().expect("id");
    assert_eq!(
        app.delete(
            &format!("/api/v1/service-accounts/{id}"),
            Some(&admin.access)
        )
        .status,
        204
    );
    app.get("/api/v1/associations", Some(&access))
        .expect_problem(401, "auth.account_inactive");
    grant(secret).expect_problem(401, "auth.invalid_client");
    app.delete(
        &format!("/api/v1/service-accounts/{}", uuid::Uuid::now_v7()),
        Some(&admin.access),
    )
    .expect_problem(404, "service_account.not_found");
    app.delete(
        &format!("/api/v1/service-accounts/{id}"),
        Some(&alice.access),
    )
    .expect_problem(403, "access.forbidden");
    app.get("/api/v1/service-accounts", Some(&alice.access))
        .expect_problem(403, "access.forbidden");
}

on_both_backends!(
    refresh_tokens_rotate_and_a_reused_one_revokes_the_session,
    logout_revokes_the_session,
    expired_tampered_foreign_and_unsigned_tokens_are_refused,
    repeated_failed_sign_ins_on_an_account_are_throttled,
    repeated_failed_sign_ins_from_an_address_are_throttled,
    parallel_guesses_are_counted_too,
    emails_are_unique_whatever_their_case,
    registration_checks_every_field_at_once,
    api_clients_sign_in_with_client_credentials_and_act_for_their_direction,
);

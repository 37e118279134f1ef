use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use simpa_tests::client::{PASSWORD, association_body};
use simpa_tests::{Backend, JWT_SECRET, Reply, TestApp, on_both_backends};

fn refresh_tokens_rotate_and_a_reused_one_revokes_the_session(backend: Backend) {
    let app = TestApp::start(backend);
    let user = app.new_user("camille@exemple.org");

    let first = app.refresh(&user.refresh);
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
    app.refresh(&user.refresh)
        .expect_problem(401, "auth.refresh_token_reused");
    // …including the latest token of that session.
    app.refresh(&third_refresh)
        .expect_problem(401, "auth.invalid_refresh_token");
    app.refresh("not-a-token")
        .expect_problem(401, "auth.invalid_refresh_token");
    // Signing in again starts a new session.
    app.sign_in("camille@exemple.org", PASSWORD).expect(200);
}

fn logout_revokes_the_session(backend: Backend) {
    let app = TestApp::start(backend);
    let user = app.new_user("camille@exemple.org");
    let rotated = app.refresh(&user.refresh).expect(200)["refresh_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let out = app.post(
        "/api/v1/auth/logout",
        None,
        &json!({"refresh_token": user.refresh}),
    );
    assert_eq!(out.status, 204);
    app.refresh(&rotated)
        .expect_problem(401, "auth.invalid_refresh_token");
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
    // The scheme's name is case-insensitive (RFC 9110 §11.1).
    for scheme in ["BEARER", "bearer", "BeArEr"] {
        let reply = app.send(
            app.request(reqwest::Method::GET, "/api/v1/me")
                .header("Authorization", format!("{scheme} {}", user.access)),
        );
        assert_eq!(reply.expect(200)["id"], json!(user.id), "{scheme}");
    }
    // An invalid token is refused even where none is needed.
    app.get("/api/v1/districts", Some("abc.def"))
        .expect_problem(401, "auth.invalid_token");
}

/// A sign-in from `address` (the server trusts `X-Forwarded-For` in these tests).
fn sign_in_from(app: &TestApp, address: &str, email: &str, password: &str) -> Reply {
    app.send(
        app.request(reqwest::Method::POST, "/api/v1/auth/token")
            .header("X-Forwarded-For", address)
            .json(&json!({"grant_type": "password", "email": email, "password": password})),
    )
}

const FROM_ADDRESSES: (&str, &str) = ("SIMPA_TRUST_FORWARDED_FOR", "true");

fn repeated_failed_sign_ins_on_an_account_are_throttled_from_their_address_only(backend: Backend) {
    let app = TestApp::start_with(
        backend,
        &[("SIMPA_LOGIN_MAX_FAILURES", "3"), FROM_ADDRESSES],
    );
    app.register("camille@exemple.org");
    app.register("dominique@exemple.org");
    let guesser = "198.51.100.66";
    for _ in 0..3 {
        sign_in_from(&app, guesser, "camille@exemple.org", "wrong password!")
            .expect_problem(401, "auth.invalid_credentials");
    }
    // From there, even the right password is refused now, with the time to wait.
    let throttled = sign_in_from(&app, guesser, "Camille@Exemple.org", PASSWORD);
    throttled.expect_problem(429, "auth.too_many_attempts");
    let wait: i64 = throttled
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=900).contains(&wait), "{wait}");
    assert!(
        throttled.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("minutes"))
    );
    // The owner, from their usual address, is not locked out; other accounts are not affected.
    sign_in_from(&app, "203.0.113.10", "camille@exemple.org", PASSWORD).expect(200);
    sign_in_from(&app, guesser, "dominique@exemple.org", PASSWORD).expect(200);
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

/// Guesses spread over many addresses stop at the account's own limit, but for the
/// addresses its owner signed in from; an IPv6 network counts as one address.
fn guesses_from_many_addresses_stop_at_the_account_but_its_owner_gets_in(backend: Backend) {
    let app = TestApp::start_with(
        backend,
        &[
            ("SIMPA_LOGIN_MAX_FAILURES", "3"),
            ("SIMPA_LOGIN_MAX_FAILURES_PER_ACCOUNT", "4"),
            FROM_ADDRESSES,
        ],
    );
    app.register("camille@exemple.org");
    let home = "203.0.113.10";
    sign_in_from(&app, home, "camille@exemple.org", PASSWORD).expect(200);
    for n in 1..=4 {
        sign_in_from(
            &app,
            &format!("198.51.100.{n}"),
            "camille@exemple.org",
            "guess!",
        )
        .expect_problem(401, "auth.invalid_credentials");
    }
    sign_in_from(&app, "198.51.100.5", "camille@exemple.org", PASSWORD)
        .expect_problem(429, "auth.too_many_attempts");
    sign_in_from(&app, home, "camille@exemple.org", PASSWORD).expect(200);
    // One IPv6 network, many addresses: one address for the limits.
    app.register("dominique@exemple.org");
    for host in ["1", "2", "3"] {
        sign_in_from(
            &app,
            &format!("2001:db8:7:8::{host}"),
            "dominique@exemple.org",
            "guess!",
        )
        .expect_problem(401, "auth.invalid_credentials");
    }
    sign_in_from(
        &app,
        "2001:db8:7:8:ffff::4",
        "dominique@exemple.org",
        PASSWORD,
    )
    .expect_problem(429, "auth.too_many_attempts");
    sign_in_from(&app, "2001:db8:7:9::1", "dominique@exemple.org", PASSWORD).expect(200);
}

/// An address failing on many accounts slows down (1 s after its latest failure, then 2 s,
/// 4 s…), then stops at its limit until its oldest failure leaves the window.
fn an_address_failing_on_many_accounts_backs_off_then_stops(backend: Backend) {
    let app = TestApp::start_with(
        backend,
        &[
            ("SIMPA_LOGIN_MAX_FAILURES_PER_ADDRESS", "10"),
            FROM_ADDRESSES,
        ],
    );
    app.register("camille@exemple.org");
    let scanner = "198.51.100.77";
    let fail = |n: u32| {
        sign_in_from(
            &app,
            scanner,
            &format!("inconnu{n}@exemple.org"),
            "whatever password",
        )
    };
    // A fifth of the limit costs nothing.
    fail(0).expect_problem(401, "auth.invalid_credentials");
    fail(1).expect_problem(401, "auth.invalid_credentials");
    // Then a second after the latest failure, even for the right password.
    let slowed = sign_in_from(&app, scanner, "camille@exemple.org", PASSWORD);
    slowed.expect_problem(429, "auth.too_many_attempts");
    assert_eq!(slowed.header("retry-after"), Some("1"));
    app.clock.advance(chrono::TimeDelta::seconds(1));
    sign_in_from(&app, scanner, "camille@exemple.org", PASSWORD).expect(200);
    // Each failure doubles the wait.
    for n in 2..10 {
        fail(n).expect_problem(401, "auth.invalid_credentials");
        if n < 9 {
            let wait = (1_i64 << (n - 1)).min(60);
            let early = fail(100 + n);
            early.expect_problem(429, "auth.too_many_attempts");
            assert_eq!(early.header("retry-after"), Some(wait.to_string().as_str()));
            app.clock.advance(chrono::TimeDelta::seconds(wait));
        }
    }
    // Ten failures: the address waits for the window, however long it waits.
    app.clock.advance(chrono::TimeDelta::seconds(660));
    let stopped = sign_in_from(&app, scanner, "camille@exemple.org", PASSWORD);
    stopped.expect_problem(429, "auth.too_many_attempts");
    let wait: i64 = stopped
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(wait > 0 && wait < 900 - 600, "{wait}");
    // Other addresses are not affected.
    sign_in_from(&app, "203.0.113.10", "camille@exemple.org", PASSWORD).expect(200);
}

/// Registration answers the same whether the address has an account or not; its owner is
/// told by e-mail, and nothing of the account changes.
fn registration_tells_no_one_which_addresses_have_an_account(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let register = |email: &str, password: &str, name: &str| {
        app.post(
            "/api/v1/accounts",
            None,
            &json!({"email": email, "password": password, "display_name": name}),
        )
    };
    let new = register("Camille@Exemple.org", PASSWORD, "Camille Martin");
    let again = register("camille@exemple.ORG", "another password entirely", "Autre");
    let unknown = register("dominique@exemple.org", PASSWORD, "Dominique");
    let once_more = register("CAMILLE@exemple.org", "a third password here", "Encore");
    for reply in [&new, &again, &unknown, &once_more] {
        assert_eq!(reply.status, 202, "{}", reply.text);
        assert_eq!(reply.body["detail"], new.body["detail"]);
        assert_eq!(
            reply
                .body
                .as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>()),
            Some(vec!["detail".to_owned(), "email".to_owned()])
        );
        assert_eq!(reply.header("location"), None);
    }
    // Nothing changed of the account: its password is the first one.
    let camille = app.signed_in_as("CAMILLE@EXEMPLE.ORG", PASSWORD);
    assert_eq!(
        app.get("/api/v1/me", Some(&camille.access)).expect(200)["email"],
        "Camille@Exemple.org"
    );
    app.sign_in("camille@exemple.org", "another password entirely")
        .expect_problem(401, "auth.invalid_credentials");
    app.sign_in("nobody@exemple.org", PASSWORD)
        .expect_problem(401, "auth.invalid_credentials");
    // Its owner was told, once a day however many tried; nobody else was written to.
    let outbox = app.outbox_settled(&admin, std::time::Duration::from_secs(10));
    let told: Vec<(&str, &str)> = outbox
        .iter()
        .map(|m| {
            (
                m["recipient"].as_str().unwrap_or_default(),
                m["subject"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    // The new accounts were each sent the link that verifies their address (newest first).
    assert_eq!(
        told,
        [
            (
                "Dominique <dominique@exemple.org>",
                "Confirmez votre adresse e-mail"
            ),
            (
                "Camille Martin <Camille@Exemple.org>",
                "Vous avez déjà un compte Simpa"
            ),
            (
                "Camille Martin <Camille@Exemple.org>",
                "Confirmez votre adresse e-mail"
            ),
        ]
    );
}

fn registrations_are_throttled_per_address(backend: Backend) {
    let app = TestApp::start_with(
        backend,
        &[("SIMPA_REGISTRATIONS_PER_ADDRESS", "3"), FROM_ADDRESSES],
    );
    let register_from = |address: &str, n: u32| {
        app.send(
            app.request(reqwest::Method::POST, "/api/v1/accounts")
                .header("X-Forwarded-For", address)
                .json(&json!({"email": format!("personne{n}@exemple.org"), "password": PASSWORD, "display_name": "Personne"})),
        )
    };
    for n in 0..3 {
        register_from("198.51.100.5", n).expect(202);
    }
    let refused = register_from("198.51.100.5", 3);
    refused.expect_problem(429, "account.too_many_registrations");
    assert!(refused.header("retry-after").is_some());
    app.sign_in("personne3@exemple.org", PASSWORD)
        .expect_problem(401, "auth.invalid_credentials");
    register_from("203.0.113.10", 4).expect(202);
    // Registering an address that has an account counts the same: the third from this
    // address is the last.
    register_from("203.0.113.10", 0).expect(202);
    register_from("203.0.113.10", 5).expect(202);
    register_from("203.0.113.10", 6).expect_problem(429, "account.too_many_registrations");
    // An IPv6 network counts as one address, whatever the interface part; another network,
    // and an IPv4 peer reaching a dual-stack listener, count apart.
    for n in 7..10 {
        register_from(&format!("2001:db8:5:6::{n}"), n).expect(202);
    }
    register_from("2001:db8:5:6:ffff::1", 10).expect_problem(429, "account.too_many_registrations");
    register_from("2001:db8:5:7::1", 11).expect(202);
    for n in 12..16 {
        register_from(&format!("::ffff:192.0.2.{n}"), n).expect(202);
    }
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
            ("display_name".to_owned(), "text.required".to_owned()),
            ("email".to_owned(), "email.invalid".to_owned()),
            ("password".to_owned(), "password.too_short".to_owned()),
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
    // Client ids are not secret: someone guessing its secret does not cut the client off.
    for _ in 0..6 {
        grant("another wrong secret").expect_problem(401, "auth.invalid_client");
    }
    grant(secret).expect(200);
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
    repeated_failed_sign_ins_on_an_account_are_throttled_from_their_address_only,
    guesses_from_many_addresses_stop_at_the_account_but_its_owner_gets_in,
    an_address_failing_on_many_accounts_backs_off_then_stops,
    parallel_guesses_are_counted_too,
    registration_tells_no_one_which_addresses_have_an_account,
    registrations_are_throttled_per_address,
    registration_checks_every_field_at_once,
    api_clients_sign_in_with_client_credentials_and_act_for_their_direction,
);

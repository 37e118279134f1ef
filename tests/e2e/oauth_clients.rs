//! Directions' programs authenticate the standard way (OAuth 2.0, RFC 6749): with HTTP Basic
//! or in the body, told errors in OAuth's words, and their secrets rotate with an overlap.

use base64::Engine;
use chrono::TimeDelta;
use reqwest::Method;
use serde_json::{Value, json};
use simpa_tests::client::PASSWORD;
use simpa_tests::{Backend, Reply, TestApp, on_both_backends};

/// Form-encoded, as RFC 6749 §2.3.1 wants each part before it is joined and base64-encoded.
fn form_encoded(part: &str) -> String {
    part.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn basic(id: &str, secret: &str) -> String {
    let pair = format!("{}:{}", form_encoded(id), form_encoded(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

fn token_with(app: &TestApp, authorization: Option<&str>, form: &[(&str, &str)]) -> Reply {
    let mut request = app.request(Method::POST, "/api/v1/auth/token").form(form);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    app.send(request)
}

/// The OAuth 2.0 error of a token endpoint's answer, with Simpa's code beside it.
fn oauth_error(reply: &Reply, status: u16) -> (String, String) {
    assert_eq!(reply.status, status, "{}", reply.text);
    let body = &reply.body;
    assert_eq!(body["error_description"], body["detail"], "{body}");
    (
        body["error"].as_str().unwrap_or_default().to_owned(),
        body["code"].as_str().unwrap_or_default().to_owned(),
    )
}

fn clients_authenticate_with_http_basic_and_read_errors_in_oauth_words(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let (client, _) = app.api_client(&admin, "DAC");
    let id = client["client_id"].as_str().expect("id");
    let secret = client["client_secret"].as_str().expect("secret");
    let grant = [("grant_type", "client_credentials")];
    let signed_in = token_with(&app, Some(&basic(id, secret)), &grant);
    let token = signed_in.expect(200)["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    app.get("/api/v1/worklist", Some(&token)).expect(200);
    // Wrong secret with Basic: asked for Basic again.
    let wrong = token_with(&app, Some(&basic(id, "pas le secret")), &grant);
    assert_eq!(
        oauth_error(&wrong, 401),
        ("invalid_client".into(), "auth.invalid_client".into())
    );
    assert!(
        wrong
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Basic")),
        "{:?}",
        wrong.headers
    );
    // Not both ways at once.
    let both = token_with(
        &app,
        Some(&basic(id, secret)),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ],
    );
    assert_eq!(
        oauth_error(&both, 400),
        (
            "invalid_request".into(),
            "auth.two_client_authentications".into()
        )
    );
    let garbled = token_with(&app, Some("Basic pas-du-base64"), &grant);
    assert_eq!(oauth_error(&garbled, 401).0, "invalid_client");
    // A person's wrong password, a grant Simpa does not know, a missing field.
    let person = app.new_user("camille@exemple.org");
    let refused = token_with(
        &app,
        None,
        &[
            ("grant_type", "password"),
            ("email", &person.email),
            ("password", "pas le mot de passe"),
        ],
    );
    assert_eq!(
        oauth_error(&refused, 401),
        ("invalid_grant".into(), "auth.invalid_credentials".into())
    );
    let unknown = token_with(&app, None, &[("grant_type", "authorization_code")]);
    assert_eq!(oauth_error(&unknown, 422).0, "unsupported_grant_type");
    let missing = token_with(
        &app,
        None,
        &[("grant_type", "password"), ("email", &person.email)],
    );
    assert_eq!(oauth_error(&missing, 422).0, "invalid_request");
    token_with(
        &app,
        None,
        &[
            ("grant_type", "password"),
            ("email", &person.email),
            ("password", PASSWORD),
        ],
    )
    .expect(200);
    // Admins see when each client last signed in.
    let clients = app.get("/api/v1/service-accounts", Some(&admin.access));
    let listed: Vec<Value> = clients.expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    let ours = listed
        .iter()
        .find(|c| c["client_id"] == id)
        .expect("the client");
    assert!(ours["last_used_at"].is_string(), "{ours}");
}

fn client_secrets_rotate_with_an_overlap(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let (client, _) = app.api_client(&admin, "DJS");
    let id = client["client_id"].as_str().expect("id").to_owned();
    let first = client["client_secret"].as_str().expect("secret").to_owned();
    let rotate = format!(
        "/api/v1/service-accounts/{}/secret",
        client["id"].as_str().expect("id")
    );
    let outsider = app.new_user("curieux@exemple.org");
    app.post(&rotate, Some(&outsider.access), &json!({}))
        .expect_problem(403, "access.forbidden");
    let too_long = app.post(&rotate, Some(&admin.access), &json!({"overlap_hours": 200}));
    assert_eq!(
        too_long.field_errors(),
        vec![(
            "overlap_hours".to_owned(),
            "service_account.overlap_out_of_range".to_owned()
        )]
    );
    let rotated = app.post(&rotate, Some(&admin.access), &json!({"overlap_hours": 1}));
    assert_eq!(rotated.header("cache-control"), Some("no-store"));
    let rotated = rotated.expect(201).clone();
    let second = rotated["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert_ne!(second, first);
    assert!(
        rotated["previous_secret_valid_until"].is_string(),
        "{rotated}"
    );
    let sign_in = |secret: &str| {
        token_with(
            &app,
            Some(&basic(&id, secret)),
            &[("grant_type", "client_credentials")],
        )
    };
    // Both work for an hour, then only the new one.
    sign_in(&first).expect(200);
    sign_in(&second).expect(200);
    app.clock.advance(TimeDelta::minutes(61));
    assert_eq!(oauth_error(&sign_in(&first), 401).0, "invalid_client");
    sign_in(&second).expect(200);
    let trail = app.get(
        "/api/v1/audit-events?action=service_account.secret_rotated",
        Some(&admin.access),
    );
    assert_eq!(trail.expect(200)["items"].as_array().map(Vec::len), Some(1));
}

on_both_backends!(
    clients_authenticate_with_http_basic_and_read_errors_in_oauth_words,
    client_secrets_rotate_with_an_overlap,
);

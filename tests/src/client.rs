//! Calling the application over HTTP, and reading its answers.

use crate::TestApp;
use reqwest::Method;
use reqwest::blocking::RequestBuilder;
use serde_json::{Value, json};
use simpa_app::passwords;
use simpa_domain::contact::EmailAddress;

/// The password of every test person.
pub const PASSWORD: &str = "correct horse battery";

/// An answer: status, headers and body (JSON when it is JSON, `Null` otherwise).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        &self.body
    }

    /// Asserts a problem+json answer with this status and code, and returns its body.
    #[track_caller]
    pub fn expect_problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text
        );
        assert_eq!(self.body["status"], status, "body: {}", self.text);
        assert_eq!(self.body["code"], code, "body: {}", self.text);
        assert_eq!(self.body["type"], format!("urn:simpa:problem:{code}"));
        assert!(
            self.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "a problem explains itself: {}",
            self.text
        );
        &self.body
    }

    /// The `(field, code)` pairs of a problem's `errors`.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or("").to_owned(),
                            e["code"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http_client().request(method, self.url(path))
    }

    pub fn http_client(&self) -> &reqwest::blocking::Client {
        &self.http
    }

    pub fn send(&self, request: RequestBuilder) -> Reply {
        let response = request.send().expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().expect("a readable body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        let problem = headers
            .get("content-type")
            .is_some_and(|t| t.as_bytes().starts_with(b"application/problem+json"));
        if problem {
            reads_as_french(&body);
        }
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    fn with_token(request: RequestBuilder, token: Option<&str>) -> RequestBuilder {
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// A GET whose body is bytes (a download): status, headers and the bytes.
    pub fn download(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let mut request = Self::with_token(self.request(Method::GET, path), token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.bytes().expect("a body").to_vec())
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Self::with_token(self.request(Method::GET, path), token))
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(Self::with_token(self.request(Method::POST, path), token).json(body))
    }

    pub fn put(
        &self,
        path: &str,
        token: Option<&str>,
        if_match: Option<&str>,
        body: &Value,
    ) -> Reply {
        let mut request = Self::with_token(self.request(Method::PUT, path), token).json(body);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        self.send(request)
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Self::with_token(self.request(Method::DELETE, path), token))
    }

    /// Registers a person (asserting that the registration was received).
    pub fn register(&self, email: &str) {
        let received = self.post(
            "/api/v1/accounts",
            None,
            &json!({"email": email, "password": PASSWORD, "display_name": format!("Test {email}")}),
        );
        assert_eq!(received.expect(202)["email"], email);
    }

    pub fn sign_in(&self, email: &str, password: &str) -> Reply {
        self.post(
            "/api/v1/auth/token",
            None,
            &json!({"grant_type": "password", "email": email, "password": password}),
        )
    }

    /// Exchanges a refresh token for new tokens.
    pub fn refresh(&self, refresh_token: &str) -> Reply {
        self.post(
            "/api/v1/auth/token",
            None,
            &json!({"grant_type": "refresh_token", "refresh_token": refresh_token}),
        )
    }

    /// The account `id` (registered with the test password), signed in.
    pub fn signed_in(&self, id: String, email: &str) -> User {
        let tokens = self.sign_in(email, PASSWORD).expect(200).clone();
        user_of(id, email, &tokens)
    }

    /// An account of the demo data (`simpa fixtures load`), signed in with the demo password.
    pub fn demo_user(&self, email: &str) -> User {
        self.signed_in_as(email, simpa_fixtures::DEMO_PASSWORD)
    }

    /// A newly registered person who verified their address, signed in.
    pub fn new_user(&self, email: &str) -> User {
        self.register(email);
        self.verify_address(email);
        self.signed_in_as(email, PASSWORD)
    }

    /// The token of the latest link e-mailed to `email` under `subject`, as the message
    /// queued in the outbox carries it (`…?jeton=TOKEN`).
    pub fn mailed_token(&self, email: &str, subject: &str) -> String {
        token_in(&self.mailed(email, subject)).expect("a link with its token")
    }

    /// The text of the latest message queued to `email` whose subject is like `subject` (SQL
    /// `LIKE`: `%` stands for anything).
    pub fn mailed(&self, email: &str, subject: &str) -> String {
        // Named (`Name <address>`) when it has an account, bare when it has none yet.
        let (named, bare) = (format!("%<{email}>"), email.to_owned());
        let subject = subject.to_owned();
        self.db
            .read(move |conn| {
                use diesel::prelude::*;
                use simpa_persistence::schema::outbox;
                Ok(outbox::table
                    .filter(outbox::recipient.like(named).or(outbox::recipient.eq(bare)))
                    .filter(outbox::subject.like(subject))
                    .order(outbox::created_at.desc())
                    .select(outbox::body)
                    .first::<String>(conn)?)
            })
            .expect("a message e-mailed")
    }

    /// Verifies `email` with the link of the latest verification e-mail it received.
    pub fn verify_address(&self, email: &str) {
        let token = self.mailed_token(email, "Confirmez votre adresse e-mail");
        self.post(
            "/api/v1/accounts/verification",
            None,
            &json!({ "token": token }),
        )
        .expect(204);
    }

    /// The person of `email`, signed in with `password`, their id read from `/me`.
    pub fn signed_in_as(&self, email: &str, password: &str) -> User {
        let tokens = self.sign_in(email, password).expect(200).clone();
        let access = tokens["access_token"].as_str().expect("access token");
        let me = self.get("/api/v1/me", Some(access)).expect(200).clone();
        user_of(me["id"].as_str().expect("id").to_owned(), email, &tokens)
    }

    /// Waits until the outbox has nothing pending (failing past `within`); returns its
    /// messages, newest first.
    pub fn outbox_settled(&self, admin: &User, within: std::time::Duration) -> Vec<Value> {
        let deadline = std::time::Instant::now() + within;
        loop {
            let items = self
                .get("/api/v1/outbox?limit=200", Some(&admin.access))
                .expect(200)["items"]
                .as_array()
                .expect("items")
                .clone();
            if items.iter().all(|m| m["status"] != "pending") {
                return items;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still pending: {items:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// A signed-in admin, created the way `simpa admin create` does.
    pub fn admin(&self) -> User {
        let email = EmailAddress::parse("admin@ville.test").expect("e-mail");
        let hash = passwords::hash(PASSWORD).expect("hash");
        let id = self
            .db
            .write(|conn| {
                simpa_app::admin::create_admin(conn, &email, "Admin", &hash, chrono::Utc::now())
            })
            .expect("admin created");
        self.signed_in(id.to_string(), email.as_str())
    }

    /// A signed-in person holding the staff role `grant` (e.g. `{"kind": "bureau"}`).
    pub fn staff(&self, admin: &User, email: &str, grant: Value) -> User {
        let user = self.new_user(email);
        self.post(
            &format!("/api/v1/accounts/{}/staff-roles", user.id),
            Some(&admin.access),
            &grant,
        )
        .expect(201);
        user
    }

    /// An API client of the direction `code`, made by `admin`: its record (with the secret,
    /// shown once) and an access token of the client-credentials grant.
    pub fn api_client(&self, admin: &User, code: &str) -> (Value, String) {
        let client = self
            .post(
                "/api/v1/service-accounts",
                Some(&admin.access),
                &json!({"name": format!("Progiciel {code}"), "direction_id": self.direction_id(code)}),
            )
            .expect(201)
            .clone();
        let granted = self.send(self.request(Method::POST, "/api/v1/auth/token").form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client["client_id"].as_str().expect("id")),
            (
                "client_secret",
                client["client_secret"].as_str().expect("secret"),
            ),
        ]));
        let token = granted.expect(200)["access_token"]
            .as_str()
            .expect("access token")
            .to_owned();
        (client, token)
    }

    /// The id of a direction, by its code.
    pub fn direction_id(&self, code: &str) -> String {
        let directions = self.get("/api/v1/directions", None);
        directions.expect(200)["items"]
            .as_array()
            .and_then(|items| items.iter().find(|d| d["code"] == code))
            .and_then(|d| d["id"].as_str())
            .expect("direction")
            .to_owned()
    }

    /// Creates an association as `user` (asserting success).
    pub fn create_association(&self, user: &User, body: &Value) -> Value {
        self.post("/api/v1/associations", Some(&user.access), body)
            .expect(201)
            .clone()
    }
}

/// A valid association profile. SIRETs come from the official SCDL example (Luhn-valid).
pub fn association_body(name: &str, rna: &str, siret: &str) -> Value {
    json!({
        "name": name,
        "acronym": null,
        "rna": rna,
        "siret": siret,
        "object": "Favoriser la pratique artistique des habitants du quartier.",
        "sectors": ["culture_arts"],
        "address": {"street": "12 rue de la Roquette", "postal_code": "75011", "city": "Paris"},
        "creation_date": "2004-03-15",
        "website": "https://exemple.org",
        "email": "contact@exemple.org",
        "phone": "01 43 55 00 00",
        "directory_consent": false,
        "legal_representative": {"name": "Dominique Leroy", "function": "Présidente", "email": null, "phone": null}
    })
}

/// A Luhn-valid SIRET, different for each `n`.
pub fn siret(n: u32) -> String {
    let body = format!("{:013}", 7_510_000_000_000_u64 + u64::from(n) * 7);
    let sum: u32 = body
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap_or(0);
            // The check digit will be the rightmost, so these positions double from the first.
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// An RNA number, different for each `n`.
pub fn rna(n: u32) -> String {
    format!("W75{:07}", 1_000 + n)
}

/// A person signed in, from the tokens their sign-in answered.
fn user_of(id: String, email: &str, tokens: &Value) -> User {
    User {
        id,
        email: email.to_owned(),
        access: tokens["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
        refresh: tokens["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
    }
}

/// The token of the first account link in a message's text (`…?jeton=TOKEN`).
pub fn token_in(text: &str) -> Option<String> {
    let after = text.split("jeton=").nth(1)?;
    let token: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}

/// Every problem any test meets says its title and details in French a person reads without
/// stumbling (`french::slips`): the whole suite's refusals, as the server words them.
fn reads_as_french(problem: &Value) {
    let errors = problem["errors"].as_array().into_iter().flatten();
    let texts = [&problem["title"], &problem["detail"]]
        .into_iter()
        .chain(errors.map(|e| &e["detail"]))
        .filter_map(Value::as_str);
    for text in texts {
        let slips = simpa_domain::french::slips(text);
        assert!(slips.is_empty(), "« {text} » reads wrong: {slips:?}");
    }
}

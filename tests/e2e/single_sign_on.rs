//! Single sign-on through a real OpenID provider on loopback (`simpa_tests::oidc`): a browser
//! goes from Simpa to the provider, signs a person in there, and comes back with the code.

use serde_json::{Value, json};
use simpa_tests::browser::Browser;
use simpa_tests::client::User;
use simpa_tests::oidc::{OidcProvider, REDIRECT_URI};
use simpa_tests::{Backend, TestApp, on_both_backends};

struct Person<'a> {
    sub: &'a str,
    email: &'a str,
    verified: bool,
}

/// An application using `provider`, with these settings too.
fn app_using(provider: &OidcProvider, backend: Backend, vars: &[(&str, &str)]) -> TestApp {
    let settings = provider.simpa_settings();
    let mut all: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(vars);
    TestApp::start_with(backend, &all)
}

/// Starts a sign-in in `browser` and signs `person` in at the provider: the address the
/// provider sends the browser back to, on the test server.
fn through_provider(app: &TestApp, browser: &Browser, person: &Person<'_>) -> String {
    let (status, to_provider, body) = browser.go(&app.url("/api/v1/auth/oidc/authorize"));
    assert_eq!(status, 302, "{body}");
    let to_provider = to_provider.expect("to the provider");
    let asked = reqwest::Url::parse(&to_provider).expect("an address");
    let asked: std::collections::HashMap<_, _> = asked.query_pairs().into_owned().collect();
    assert_eq!(asked["client_id"], simpa_tests::oidc::CLIENT_ID);
    assert_eq!(asked["redirect_uri"], REDIRECT_URI);
    assert_eq!(asked["code_challenge_method"], "S256");
    for random in ["state", "nonce", "code_challenge"] {
        assert!(asked[random].len() >= 43, "{random}: {asked:?}");
    }
    let (status, interaction, body) = browser.go(&to_provider);
    assert!(matches!(status, 302 | 303), "{status} {body}");
    let mut login = reqwest::Url::parse(&interaction.expect("to the login")).expect("address");
    login
        .query_pairs_mut()
        .append_pair("sub", person.sub)
        .append_pair("email", person.email)
        .append_pair("email_verified", &person.verified.to_string())
        .append_pair("name", "Agent de la Ville");
    let (status, resume, body) = browser.go(login.as_str());
    assert!(matches!(status, 302 | 303), "{status} {body}");
    let (status, back, body) = browser.go(&resume.expect("to resume"));
    assert!(matches!(status, 302 | 303), "{status} {body}");
    let back = back.expect("back to Simpa");
    assert!(back.starts_with(REDIRECT_URI), "{back}");
    back.replace("http://simpa.test", &app.base)
}

/// The answer of Simpa's callback: its status and body.
fn come_back(browser: &Browser, callback: &str) -> (u16, Value) {
    let (status, _, body) = browser.go(callback);
    (status, serde_json::from_str(&body).expect("JSON"))
}

fn signed_in_as(app: &TestApp, tokens: &Value) -> Value {
    let access = tokens["access_token"].as_str().expect("an access token");
    app.get("/api/v1/me", Some(access)).expect(200).clone()
}

fn refused(answer: (u16, Value), status: u16, code: &str) {
    assert_eq!(
        (answer.0, answer.1["code"].as_str()),
        (status, Some(code)),
        "{}",
        answer.1
    );
}

fn audit_actions(app: &TestApp, admin: &User) -> Vec<String> {
    app.get("/api/v1/audit-events?limit=200", Some(&admin.access))
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .collect()
}

fn accounts_matching(app: &TestApp, admin: &User, text: &str) -> usize {
    app.get(&format!("/api/v1/accounts?q={text}"), Some(&admin.access))
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .len()
}

fn staff_sign_in_through_the_citys_provider(backend: Backend) {
    let Some(mut provider) = OidcProvider::start() else {
        return;
    };
    let app = app_using(&provider, backend, &[]);
    let admin = app.admin();
    let agent = app.staff(&admin, "agent@ville.test", json!({"kind": "bureau"}));
    let person = Person {
        sub: "agent-0042",
        email: "Agent@Ville.test",
        verified: true,
    };

    // A state that is not the one this browser started is refused; the sign-in it altered is
    // still good afterwards (nothing was used up).
    let browser = Browser::default();
    let callback = through_provider(&app, &browser, &person);
    let altered = callback.replace("state=", "state=x");
    refused(come_back(&browser, &altered), 401, "auth.sso_state_invalid");
    // Another browser (no cookie of this sign-in) cannot use it either.
    refused(
        come_back(&Browser::default(), &callback),
        401,
        "auth.sso_state_invalid",
    );
    let (status, tokens) = come_back(&browser, &callback);
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["refresh_token"].is_string());
    let me = signed_in_as(&app, &tokens);
    assert_eq!(me["id"], agent.id.as_str());
    assert_eq!(me["staff_roles"][0]["kind"], "bureau");
    // The provider's answer works once, even with the cookie of its sign-in.
    let state = reqwest::Url::parse(&callback)
        .expect("address")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state");
    let replay = app.send(
        app.request(reqwest::Method::GET, callback.trim_start_matches(&app.base))
            .header("cookie", format!("simpa_sso={state}")),
    );
    replay.expect_problem(401, "auth.sso_replayed");
    let trail = audit_actions(&app, &admin);
    assert!(trail.iter().any(|a| a == "auth.sso_linked"), "{trail:?}");

    // Linked by its subject: the address the provider gives may change.
    let moved = Person {
        email: "agent.nouvelle-adresse@ville.test",
        ..person
    };
    let browser = Browser::default();
    let (status, tokens) = come_back(&browser, &through_provider(&app, &browser, &moved));
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(signed_in_as(&app, &tokens)["id"], agent.id.as_str());

    // An ID token for another application, or expired, signs no one in.
    provider.tamper_next_id_token(json!({"aud": "une-autre-application"}));
    let browser = Browser::default();
    let callback = through_provider(&app, &browser, &person);
    refused(
        come_back(&browser, &callback),
        401,
        "auth.sso_wrong_audience",
    );
    provider.tamper_next_id_token(json!({"expired": true}));
    let browser = Browser::default();
    let callback = through_provider(&app, &browser, &person);
    refused(
        come_back(&browser, &callback),
        401,
        "auth.sso_token_expired",
    );

    // A person Simpa does not know gets no account; nor does an address the provider did not
    // verify open the account that has it.
    for stranger in [
        Person {
            sub: "inconnu-1",
            email: "inconnu@ville.test",
            verified: true,
        },
        Person {
            sub: "usurpateur",
            email: "bureau@ville.test",
            verified: false,
        },
    ] {
        let browser = Browser::default();
        let callback = through_provider(&app, &browser, &stranger);
        refused(
            come_back(&browser, &callback),
            403,
            "auth.sso_unknown_person",
        );
    }
    assert_eq!(accounts_matching(&app, &admin, "inconnu"), 0);
    // Nor is an account taken over whose address was never confirmed in Simpa (anyone may
    // register any address), nor one linked to another identity of the provider (an address
    // given again to someone else).
    app.register("squatteur@ville.test");
    for (sub, email) in [
        ("vrai-agent", "squatteur@ville.test"),
        ("agent-0043", "agent@ville.test"),
    ] {
        let browser = Browser::default();
        let person = Person {
            sub,
            email,
            verified: true,
        };
        let callback = through_provider(&app, &browser, &person);
        refused(come_back(&browser, &callback), 403, "auth.sso_cannot_link");
    }

    // A deactivated account does not sign in this way either.
    app.post(
        &format!("/api/v1/accounts/{}/deactivate", agent.id),
        Some(&admin.access),
        &json!({}),
    )
    .expect(200);
    let browser = Browser::default();
    let callback = through_provider(&app, &browser, &person);
    refused(come_back(&browser, &callback), 401, "auth.account_inactive");
    app.post(
        &format!("/api/v1/accounts/{}/reactivate", agent.id),
        Some(&admin.access),
        &json!({}),
    )
    .expect(200);

    // The provider down: a clear answer, nothing written, and the sign-in still good once it
    // is back (here it is not: its state lived in its memory).
    let browser = Browser::default();
    let callback = through_provider(&app, &browser, &person);
    let trail_before = audit_actions(&app, &admin).len();
    provider.stop();
    let down = come_back(&browser, &callback);
    refused(down, 503, "auth.sso_unavailable");
    let (status, _, body) = Browser::default().go(&app.url("/api/v1/auth/oidc/authorize"));
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("auth.sso_unavailable")),
        "{body}"
    );
    assert_eq!(audit_actions(&app, &admin).len(), trail_before);
}

fn provisioning_gives_known_people_an_account_without_role(backend: Backend) {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    let app = app_using(&provider, backend, &[("SIMPA_OIDC_PROVISIONING", "on")]);
    let admin = app.admin();
    let newcomer = Person {
        sub: "nouvelle-7",
        email: "nouvelle@ville.test",
        verified: true,
    };
    let browser = Browser::default();
    let (status, tokens) = come_back(&browser, &through_provider(&app, &browser, &newcomer));
    assert_eq!(status, 200, "{tokens}");
    let me = signed_in_as(&app, &tokens);
    assert_eq!(me["email"], "nouvelle@ville.test");
    assert_eq!(me["display_name"], "Agent de la Ville");
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["staff_roles"], json!([]));
    // Without a role, the staff's lists stay closed; an admin grants one.
    let access = tokens["access_token"].as_str().expect("access");
    app.get("/api/v1/associations", Some(access))
        .expect_problem(403, "access.forbidden");
    let trail = audit_actions(&app, &admin);
    assert!(
        trail.iter().any(|a| a == "account.provisioned"),
        "{trail:?}"
    );
    // The same person again: the same account.
    let browser = Browser::default();
    let (status, again) = come_back(&browser, &through_provider(&app, &browser, &newcomer));
    assert_eq!(status, 200, "{again}");
    assert_eq!(signed_in_as(&app, &again)["id"], me["id"]);
    assert_eq!(accounts_matching(&app, &admin, "nouvelle"), 1);
    // Not for an address the provider did not verify.
    let unverified = Person {
        sub: "anonyme-8",
        email: "anonyme@ville.test",
        verified: false,
    };
    let browser = Browser::default();
    let callback = through_provider(&app, &browser, &unverified);
    refused(
        come_back(&browser, &callback),
        403,
        "auth.sso_unknown_person",
    );
    assert_eq!(accounts_matching(&app, &admin, "anonyme"), 0);
}

fn without_a_provider_single_sign_on_says_it_is_off(backend: Backend) {
    let app = TestApp::start(backend);
    let (status, location, body) = Browser::default().go(&app.url("/api/v1/auth/oidc/authorize"));
    assert_eq!((status, location), (404, None));
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["code"], "auth.sso_disabled");
}

on_both_backends!(
    staff_sign_in_through_the_citys_provider,
    provisioning_gives_known_people_an_account_without_role,
    without_a_provider_single_sign_on_says_it_is_off,
);

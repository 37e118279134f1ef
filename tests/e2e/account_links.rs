//! The links mailed about an account, read from the messages that reached a real SMTP server
//! on loopback: verifying an address, "forgot password", and changing one's password.

use crate::members::{accept, invite};
use crate::requests::{City, act, create_draft, id, ready_association};
use chrono::TimeDelta;
use serde_json::json;
use simpa_tests::client::{PASSWORD, token_in};
use simpa_tests::documents::file_everything;
use simpa_tests::smtp::{Delivery, SmtpSink};
use simpa_tests::{Backend, TestApp, on_both_backends};
use std::time::Duration;

const PUBLIC_URL: &str = "https://subventions.ville.test";
const VERIFY: &str = "Confirmez votre adresse e-mail";
const RESET: &str = "Choisissez un nouveau mot de passe";
const CHANGED: &str = "Votre mot de passe a changé";

fn city_mailing_to(sink: &SmtpSink, backend: Backend, vars: &[(&str, &str)]) -> City {
    let port = sink.port().to_string();
    let mut all = vec![
        ("SIMPA_SMTP_HOST", "127.0.0.1"),
        ("SIMPA_SMTP_PORT", port.as_str()),
        ("SIMPA_SMTP_TLS", "none"),
        ("SIMPA_OUTBOX_POLL_MS", "50"),
        ("SIMPA_PUBLIC_URL", PUBLIC_URL),
    ];
    all.extend_from_slice(vars);
    City::start_with(backend, &all)
}

/// The messages to `email` under `subject` that arrived within ten seconds, at least `count`.
fn arrived(sink: &SmtpSink, email: &str, subject: &str, count: usize) -> Vec<Delivery> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found: Vec<Delivery> = sink
            .deliveries()
            .into_iter()
            .filter(|d| d.to.iter().any(|t| t == email) && d.subject() == subject)
            .collect();
        if found.len() >= count || std::time::Instant::now() > deadline {
            assert!(
                found.len() >= count,
                "{count} « {subject} » to {email}: {found:?}"
            );
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The link of a message, checked to lead to `page` of the portal, and its token.
fn link_token(delivery: &Delivery, page: &str) -> String {
    let text = delivery.body("text/plain");
    let link = format!("{PUBLIC_URL}/{page}?jeton=");
    assert!(text.contains(&link), "{text}");
    // The HTML part escapes the slashes of the link, as HTML allows.
    let html = delivery.body("text/html").replace("&#x2f;", "/");
    let token = token_in(&text).expect("a token");
    assert!(html.contains(&format!("{link}{token}")), "{html}");
    token
}

/// A link that is no good, told as any other: 422, its token field named.
fn refused_link(reply: simpa_tests::Reply) {
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert_eq!(
        reply.field_errors(),
        vec![("token".to_owned(), "token.invalid".to_owned())]
    );
}

fn verify(app: &TestApp, token: &str) -> simpa_tests::Reply {
    app.post(
        "/api/v1/accounts/verification",
        None,
        &json!({ "token": token }),
    )
}

fn an_address_is_verified_by_the_link_mailed_to_it(backend: Backend) {
    let sink = SmtpSink::start();
    let city = city_mailing_to(&sink, backend, &[]);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let email = "camille@exemple.org";
    app.register(email);
    // Signed in and filling in drafts before the address is proved.
    let camille = app.signed_in_as(email, PASSWORD);
    let me = app.get("/api/v1/me", Some(&camille.access));
    assert_eq!(me.expect(200)["email_verified"], false);
    let association = app.create_association(
        &camille,
        &simpa_tests::client::association_body(
            "Les Plumes du 11e",
            &simpa_tests::client::rna(71),
            &simpa_tests::client::siret(71),
        ),
    );
    file_everything(app, &camille, &association, "plumes");
    let draft = create_draft(app, &camille, &campaign, &association);
    // Neither submitting nor joining an association until then.
    act(app, &camille, &id(&draft), json!({"action": "submit"}))
        .expect_problem(409, "account.email_unverified");
    let (president, other) = ready_association(app, 72);
    let invitation = invite(app, &president, &other, email, "manager");
    accept(app, &camille, &invitation).expect_problem(409, "account.email_unverified");

    let mail = arrived(&sink, email, VERIFY, 1);
    let text = mail[0].body("text/plain");
    assert!(text.contains("48 heures"), "{text}");
    let token = link_token(&mail[0], "compte/verification");
    // A token altered, or made up, is told as any link that is no good.
    let mut altered = token.clone();
    altered.replace_range(0..1, if token.starts_with('A') { "B" } else { "A" });
    for wrong in [altered.as_str(), "inconnu", ""] {
        refused_link(verify(app, wrong));
    }
    assert_eq!(verify(app, &token).status, 204);
    refused_link(verify(app, &token));
    let me = app.get("/api/v1/me", Some(&camille.access));
    assert_eq!(me.expect(200)["email_verified"], true);
    act(app, &camille, &id(&draft), json!({"action": "submit"})).expect(200);
    accept(app, &camille, &invitation).expect(201);
    app.post("/api/v1/me/verification", Some(&camille.access), &json!({}))
        .expect_problem(409, "account.email_already_verified");
}

fn verification_links_are_resent_five_times_a_day_and_expire_after_48_hours(backend: Backend) {
    let sink = SmtpSink::start();
    let city = city_mailing_to(&sink, backend, &[]);
    let app = &city.app;
    let email = "dora@exemple.org";
    app.register(email);
    let dora = app.signed_in_as(email, PASSWORD);
    for _ in 0..4 {
        let resent = app.post("/api/v1/me/verification", Some(&dora.access), &json!({}));
        assert!(resent.expect(202)["detail"].as_str().is_some());
    }
    let refused = app.post("/api/v1/me/verification", Some(&dora.access), &json!({}));
    refused.expect_problem(429, "account.too_many_links");
    assert_eq!(refused.header("retry-after"), Some("86400"));
    let mail = arrived(&sink, email, VERIFY, 5);
    let tokens: Vec<String> = mail
        .iter()
        .map(|m| link_token(m, "compte/verification"))
        .collect();
    assert_eq!(
        tokens
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        5,
        "each link has its own token"
    );
    // Two days later, every link sent has expired.
    app.clock.advance(TimeDelta::hours(49));
    refused_link(verify(app, &tokens[4]));
    // A new one works, and uses up those before it.
    app.post("/api/v1/me/verification", Some(&dora.access), &json!({}))
        .expect(202);
    let mail = arrived(&sink, email, VERIFY, 6);
    let fresh = mail
        .iter()
        .map(|m| link_token(m, "compte/verification"))
        .find(|t| !tokens.contains(t))
        .expect("a sixth link");
    assert_eq!(verify(app, &fresh).status, 204);
    let me = app.get("/api/v1/me", Some(&dora.access));
    assert_eq!(me.expect(200)["email_verified"], true);
}

fn reset(app: &TestApp, email: &str) -> simpa_tests::Reply {
    app.post(
        "/api/v1/auth/password-reset",
        None,
        &json!({ "email": email }),
    )
}

fn confirm(app: &TestApp, token: &str, password: &str) -> simpa_tests::Reply {
    app.post(
        "/api/v1/auth/password-reset/confirm",
        None,
        &json!({ "token": token, "password": password }),
    )
}

fn a_forgotten_password_is_reset_by_the_link_mailed_to_the_address(backend: Backend) {
    let sink = SmtpSink::start();
    let city = city_mailing_to(&sink, backend, &[]);
    let app = &city.app;
    let email = "alice@exemple.org";
    let alice = app.new_user(email);
    // The same answer whether the address has an account or not.
    let known = reset(app, email).expect(202).clone();
    let unknown = reset(app, "personne@exemple.org").expect(202).clone();
    assert_eq!(known, unknown);
    reset(app, "pas une adresse").expect_problem(422, "validation.failed");

    let mail = arrived(&sink, email, RESET, 1);
    assert!(mail[0].body("text/plain").contains("1 heure"));
    let token = link_token(&mail[0], "compte/mot-de-passe/nouveau");
    // Rules of the new password first: the link stays good meanwhile.
    let weak = confirm(app, &token, "password1234");
    assert_eq!(
        weak.field_errors(),
        vec![("password".to_owned(), "password.too_common".to_owned())]
    );
    // Nor built on the address of the account the link was sent to (a password that would
    // do for anyone else).
    let personal = confirm(app, &token, "alice.exemple.org.1987");
    assert_eq!(
        personal.field_errors(),
        vec![("password".to_owned(), "password.personal".to_owned())]
    );
    let new_password = "girafe orageuse 42 tambours";
    assert_eq!(confirm(app, &token, new_password).status, 204);
    refused_link(confirm(app, &token, "une autre phrase bien longue 7"));
    // Every sign-in ended; the old password is no more, the new one works.
    app.refresh(&alice.refresh)
        .expect_problem(401, "auth.invalid_refresh_token");
    app.sign_in(email, PASSWORD)
        .expect_problem(401, "auth.invalid_credentials");
    app.sign_in(email, new_password).expect(200);
    let told = arrived(&sink, email, CHANGED, 1);
    assert!(
        told[0]
            .body("text/plain")
            .contains(&format!("{PUBLIC_URL}/compte/mot-de-passe-oublie"))
    );
    // Nobody was sent anything for the address without an account.
    assert!(
        sink.deliveries()
            .iter()
            .all(|d| d.to.iter().all(|t| t != "personne@exemple.org"))
    );
    // A link is good for an hour.
    reset(app, email).expect(202);
    let mail = arrived(&sink, email, RESET, 2);
    let late = link_token(&mail[1], "compte/mot-de-passe/nouveau");
    app.clock.advance(TimeDelta::minutes(61));
    refused_link(confirm(app, &late, "encore une phrase assez longue 9"));
    app.sign_in(email, new_password).expect(200);
}

fn forgot_password_is_throttled_per_client_address(backend: Backend) {
    let app = &TestApp::start_with(backend, &[("SIMPA_REGISTRATIONS_PER_ADDRESS", "3")]);
    for n in 0..3 {
        reset(app, &format!("quelqu.un{n}@exemple.org")).expect(202);
    }
    let refused = reset(app, "quelqu.un3@exemple.org");
    refused.expect_problem(429, "auth.too_many_password_resets");
    assert!(refused.header("retry-after").is_some());
}

fn a_person_changes_their_password_with_the_current_one(backend: Backend) {
    let sink = SmtpSink::start();
    let city = city_mailing_to(&sink, backend, &[]);
    let app = &city.app;
    let email = "bob@exemple.org";
    let bob = app.new_user(email);
    let change = |current: &str, new: &str| {
        app.put(
            "/api/v1/me/password",
            Some(&bob.access),
            None,
            &json!({"current_password": current, "new_password": new}),
        )
    };
    let wrong = change("pas le bon mot de passe", "girafe orageuse 42 tambours");
    assert_eq!(
        wrong.field_errors(),
        vec![("current_password".to_owned(), "password.wrong".to_owned())]
    );
    let short = change(PASSWORD, "court");
    assert_eq!(
        short.field_errors(),
        vec![("new_password".to_owned(), "password.too_short".to_owned())]
    );
    // Not built on one's own address.
    let personal = change(PASSWORD, "bob@exemple.org2026");
    assert_eq!(
        personal.field_errors(),
        vec![("new_password".to_owned(), "password.too_common".to_owned())]
    );
    assert_eq!(change(PASSWORD, "girafe orageuse 42 tambours").status, 204);
    app.refresh(&bob.refresh)
        .expect_problem(401, "auth.invalid_refresh_token");
    app.sign_in(email, PASSWORD)
        .expect_problem(401, "auth.invalid_credentials");
    app.sign_in(email, "girafe orageuse 42 tambours")
        .expect(200);
    arrived(&sink, email, CHANGED, 1);
    // A program has no password of its own to change.
    let (_, client) = app.api_client(&city.admin, "DAC");
    app.put(
        "/api/v1/me/password",
        Some(&client),
        None,
        &json!({"current_password": "x", "new_password": "girafe orageuse 42 tambours"}),
    )
    .expect_problem(403, "access.forbidden");
}

fn an_invitation_is_mailed_with_its_link_and_sent_again_with_a_new_one(backend: Backend) {
    let sink = SmtpSink::start();
    let city = city_mailing_to(&sink, backend, &[]);
    let app = &city.app;
    let (president, association) = ready_association(app, 81);
    let email = "eve@exemple.org";
    let answered = invite(app, &president, &association, email, "treasurer");
    let subject = "Vous êtes invité·e à rejoindre une association : Association 81";
    let mail = arrived(&sink, email, subject, 1);
    let text = mail[0].body("text/plain");
    for said in [
        "Test president81@exemple.org vous invite à rejoindre « Association 81 »",
        "avec le rôle de trésorier·ère",
        "L'invitation reste valable jusqu'au",
    ] {
        assert!(text.contains(said), "{said}: {text}");
    }
    let first = link_token(&mail[0], "compte/invitation");
    assert_eq!(first, answered, "the link carries the invitation's token");
    // Sent again: a new link, the one before no longer works.
    let pending = app.get(
        &format!("/api/v1/associations/{}/members", id(&association)),
        Some(&president.access),
    );
    let invitation = pending.expect(200)["invitations"][0]["id"]
        .as_str()
        .expect("an invitation")
        .to_owned();
    let resend = format!(
        "/api/v1/associations/{}/invitations/{invitation}/resend",
        id(&association)
    );
    let stranger = app.new_user("mallory@exemple.org");
    app.post(&resend, Some(&stranger.access), &json!({}))
        .expect_problem(404, "association.not_found");
    let again = app.post(&resend, Some(&president.access), &json!({}));
    let second = again.expect(200)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_ne!(second, first);
    let mail = arrived(&sink, email, subject, 2);
    let mailed: Vec<String> = mail
        .iter()
        .map(|m| link_token(m, "compte/invitation"))
        .collect();
    assert!(mailed.contains(&second), "{mailed:?}");
    let eve = app.new_user(email);
    accept(app, &eve, &first).expect_problem(404, "invitation.not_found");
    accept(app, &eve, &second).expect(201);
    app.post(&resend, Some(&president.access), &json!({}))
        .expect_problem(404, "invitation.not_found");
}

on_both_backends!(
    an_invitation_is_mailed_with_its_link_and_sent_again_with_a_new_one,
    an_address_is_verified_by_the_link_mailed_to_it,
    verification_links_are_resent_five_times_a_day_and_expire_after_48_hours,
    a_forgotten_password_is_reset_by_the_link_mailed_to_the_address,
    forgot_password_is_throttled_per_client_address,
    a_person_changes_their_password_with_the_current_one,
);

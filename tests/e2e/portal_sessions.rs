//! Accounts in the portal: signing up, signing in (with the second factor's step), the
//! account's page and its sessions, signing out, a revoked session, changing the password,
//! accepting an invitation; each form posted as a browser posts it, cookies kept.

use crate::members::invite;
use crate::portal::{hidden, shown};
use crate::two_factor::{app_mailing_to, code, enrol};
use chrono::TimeDelta;
use simpa_domain::two_factor::TotpSecret;
use simpa_tests::browser::{Browser, Sent};
use simpa_tests::client::{PASSWORD, association_body};
use simpa_tests::smtp::SmtpSink;
use simpa_tests::{Backend, TestApp, on_both_backends};

/// The browser's anti-forgery token, from a page with a form.
pub(crate) fn csrf_of(browser: &Browser, app: &TestApp, path: &str) -> String {
    let (status, _, page) = browser.go(&app.url(path));
    assert_eq!(status, 200, "{path}: {page}");
    hidden(&page, "csrf")
}

/// Signs `browser` in with `password` through the sign-in page, going back to `retour`.
pub(crate) fn sign_in(
    browser: &Browser,
    app: &TestApp,
    email: &str,
    password: &str,
    retour: &str,
) -> Sent {
    let csrf = csrf_of(browser, app, "/connexion");
    browser.submit(
        &app.url("/connexion"),
        &[
            ("csrf", &csrf),
            ("email", email),
            ("password", password),
            ("retour", retour),
        ],
        Some(&app.base),
    )
}

/// The value a `Set-Cookie` header gives.
fn value_of(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().expect("a pair");
    pair.split_once('=').expect("name=value").1.to_owned()
}

/// The ids of the sessions of the account signed in with `access`, as the API lists them.
fn session_ids(app: &TestApp, access: &str) -> Vec<String> {
    let listed = app
        .get("/api/v1/me/sessions", Some(access))
        .expect(200)
        .clone();
    listed["items"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The account's page as a browser holding only the session cookie `token` sees it: its
/// status.
fn account_page_with(app: &TestApp, token: &str) -> u16 {
    let answer = Browser::default()
        .http
        .get(app.url("/compte"))
        .header("cookie", format!("simpa_session={token}"))
        .send()
        .expect("an answer");
    answer.status().as_u16()
}

fn a_person_signs_up_signs_in_and_out_through_the_pages(backend: Backend) {
    let app = TestApp::start(backend);
    let browser = Browser::default();
    let csrf = csrf_of(&browser, &app, "/inscription");
    let target = app.url("/inscription");

    // Every mistake at once, at the top and at its field; what was typed is kept but the
    // password.
    let (status, page) = browser.post_form(
        &target,
        &[
            ("csrf", &csrf),
            ("display_name", ""),
            ("email", "ines-at-exemple"),
            ("password", "court"),
        ],
        Some(&app.base),
    );
    assert_eq!(status, 422, "{page}");
    let page = shown(&page);
    for field in ["display_name", "email", "password"] {
        assert!(
            page.contains(&format!("href=\"#{field}\"")),
            "{field}: {page}"
        );
        assert!(
            page.contains(&format!("id=\"{field}-erreur\"")),
            "{field}: {page}"
        );
    }
    let at = |field: &str| {
        page.find(&format!("href=\"#{field}\""))
            .expect("in the summary")
    };
    assert!(
        at("display_name") < at("email") && at("email") < at("password"),
        "the form's order: {page}"
    );
    assert!(page.contains("value=\"ines-at-exemple\""), "{page}");
    assert!(!page.contains("court"), "{page}");
    assert!(page.contains("<title>Erreur : Créer un compte"), "{page}");
    assert!(
        page.contains("Saisissez votre prénom et votre nom."),
        "{page}"
    );

    let email = "ines@exemple.org";
    let (status, page) = browser.post_form(
        &target,
        &[
            ("csrf", &csrf),
            ("display_name", "Inès Martin"),
            ("email", email),
            ("password", PASSWORD),
        ],
        Some(&app.base),
    );
    assert_eq!(status, 200, "{page}");
    assert!(shown(&page).contains("Vérifiez votre messagerie"), "{page}");
    assert!(
        !app.mailed_token(email, "Confirmez votre adresse e-mail")
            .is_empty()
    );

    // A form without its token, or that does not parse, does nothing.
    let (status, page) = browser.post_form(
        &app.url("/connexion"),
        &[("email", email), ("password", PASSWORD)],
        Some(&app.base),
    );
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("Formulaire refusé"), "{page}");
    let (status, page) =
        browser.post_form(&app.url("/connexion"), &[("csrf", &csrf)], Some(&app.base));
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Formulaire refusé"), "{page}");

    // The account's page asks to sign in first, and comes back.
    let (status, location, _) = browser.go(&app.url("/compte"));
    assert_eq!(status, 303);
    assert_eq!(location, Some(app.url("/connexion?retour=%2Fcompte")));

    let wrong = sign_in(&browser, &app, email, "pas le bon mot de passe", "/compte");
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let page = shown(&wrong.body);
    assert!(
        page.contains("Adresse e-mail ou mot de passe incorrect."),
        "{page}"
    );
    assert!(page.contains(&format!("value=\"{email}\"")), "{page}");
    assert!(wrong.cookie("simpa_session").is_none());

    let signed_in = sign_in(&browser, &app, email, PASSWORD, "/compte");
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.location, Some(app.url("/compte")));
    let cookie = signed_in
        .cookie("simpa_session")
        .expect("the session's cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let token = value_of(cookie);
    assert_eq!(account_page_with(&app, &token), 200);
    // Signing in renews the forms' token, kept as long as the session.
    let renewed = signed_in.cookie("simpa_csrf").expect("a new token");
    assert!(renewed.contains("Max-Age=43200"), "{renewed}");
    assert_ne!(value_of(renewed), csrf);
    // A browser that kept its session but lost its token gets one, the same in every form of
    // the page (the header's signing out included).
    let answer = Browser::default()
        .http
        .get(app.url("/compte"))
        .header("cookie", format!("simpa_session={token}"))
        .send()
        .expect("an answer");
    let set: Vec<String> = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok().map(str::to_owned))
        .collect();
    let page = answer.text().expect("the page");
    let given = set
        .iter()
        .find(|c| c.starts_with("simpa_csrf="))
        .map(|c| value_of(c))
        .expect("a token given");
    let fields: Vec<&str> = page.split("name=\"csrf\" value=\"").skip(1).collect();
    assert!(fields.len() >= 2, "{page}");
    assert!(fields.iter().all(|f| f.starts_with(&given)), "{page}");

    // Signed in through the API too: both sessions are listed, this browser's marked.
    let api = app.signed_in_as(email, PASSWORD);
    let (status, _, page) = browser.go(&app.url("/compte"));
    assert_eq!(status, 200, "{page}");
    let page = shown(&page);
    assert!(
        page.contains("Inès Martin") && page.contains(email),
        "{page}"
    );
    assert!(page.contains("À confirmer"), "{page}");
    assert!(page.contains("Se déconnecter"), "{page}");
    assert_eq!(page.matches("/fin\"").count(), 2, "{page}");
    assert_eq!(page.matches("Ce navigateur").count(), 1, "{page}");
    let listed = app
        .get("/api/v1/me/sessions", Some(&api.access))
        .expect(200)
        .clone();
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );

    // Her e-mail preferences; a person who is not staff is not asked about work.
    let (status, _, page) = browser.go(&app.url("/compte/preferences"));
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("name=\"work_emails\""), "{page}");
    let csrf = hidden(&page, "csrf");
    let saved = browser.submit(
        &app.url("/compte/preferences"),
        &[("csrf", &csrf), ("request_emails", "non")],
        Some(&app.base),
    );
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(shown(&saved.body).contains("Vos préférences d'e-mail sont enregistrées."));
    let preferences = app
        .get("/api/v1/me/preferences", Some(&api.access))
        .expect(200)
        .clone();
    assert_eq!(preferences["request_emails"], false, "{preferences}");
    assert!(
        saved.body.contains("value=\"non\" checked"),
        "{}",
        saved.body
    );

    // Going back elsewhere than this site is not followed.
    let elsewhere = sign_in(
        &Browser::default(),
        &app,
        email,
        PASSWORD,
        "//ailleurs.example/",
    );
    assert_eq!(elsewhere.location, Some(app.url("/compte")));
    for away in [
        "/\t/ailleurs.example/",
        "/\\ailleurs.example/",
        "/compte\r\nX-Autre: 1",
    ] {
        let elsewhere = sign_in(&Browser::default(), &app, email, PASSWORD, away);
        assert_eq!(elsewhere.location, Some(app.url("/compte")), "{away:?}");
    }
    // An empty token is no token, even against an empty cookie.
    let forged = Browser::default()
        .http
        .post(app.url("/connexion"))
        .header("cookie", "simpa_csrf=")
        .form(&[("csrf", ""), ("email", email), ("password", PASSWORD)])
        .send()
        .expect("an answer");
    assert_eq!(forged.status().as_u16(), 403);

    // Signing out ends the session on the server: its cookie, replayed, no longer serves.
    let (status, _, page) = browser.go(&app.url("/compte"));
    assert_eq!(status, 200);
    let csrf = hidden(&page, "csrf");
    let out = browser.submit(
        &app.url("/deconnexion"),
        &[("csrf", &csrf)],
        Some(&app.base),
    );
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(
        shown(&out.body).contains("Vous êtes déconnecté"),
        "{}",
        out.body
    );
    assert!(
        out.cookie("simpa_session")
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    let (status, _, _) = browser.go(&app.url("/compte"));
    assert_eq!(status, 303);
    assert_eq!(account_page_with(&app, &token), 303);
    // The API's session is not the browser's: it stays.
    app.get("/api/v1/me", Some(&api.access)).expect(200);
}

fn a_second_factor_is_asked_and_a_revoked_session_is_signed_out(backend: Backend) {
    let sink = SmtpSink::start();
    let app = app_mailing_to(&sink, backend);
    let email = "jade@exemple.org";
    let user = app.new_user(email);
    let (secret, _) = enrol(&app, &user);
    app.clock.advance(TimeDelta::seconds(30));

    let browser = Browser::default();
    let first = sign_in(&browser, &app, email, PASSWORD, "/compte");
    assert_eq!(first.status, 303, "{}", first.body);
    assert_eq!(
        first.location,
        Some(app.url("/connexion/code?retour=%2Fcompte"))
    );
    assert!(first.cookie("simpa_session").is_none(), "not signed in yet");
    assert!(
        first
            .cookie("simpa_connexion")
            .is_some_and(|c| c.contains("HttpOnly"))
    );
    let (status, _, _) = browser.go(&app.url("/compte"));
    assert_eq!(status, 303, "the password alone opens nothing");

    let csrf = csrf_of(&browser, &app, "/connexion/code?retour=%2Fcompte");
    let target = app.url("/connexion/code");
    let wrong = browser.submit(
        &target,
        &[("csrf", &csrf), ("code", "000000"), ("retour", "/compte")],
        Some(&app.base),
    );
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(
        shown(&wrong.body).contains("href=\"#code\""),
        "{}",
        wrong.body
    );
    let right = browser.submit(
        &target,
        &[
            ("csrf", &csrf),
            ("code", &code(&app, &secret, 0)),
            ("retour", "/compte"),
        ],
        Some(&app.base),
    );
    assert_eq!(right.status, 303, "{}", right.body);
    assert_eq!(right.location, Some(app.url("/compte")));
    assert!(
        right
            .cookie("simpa_connexion")
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    let (status, _, page) = browser.go(&app.url("/compte"));
    assert_eq!(status, 200, "{page}");
    assert!(shown(&page).contains("Activée"), "{page}");
    // The step served once (and the token of the forms before signing in serves no more).
    let stale = browser.submit(
        &target,
        &[("csrf", &csrf), ("code", "000000")],
        Some(&app.base),
    );
    assert_eq!(stale.status, 403, "{}", stale.body);
    let csrf = hidden(&page, "csrf");
    let again = browser.submit(
        &target,
        &[
            ("csrf", &csrf),
            ("code", &code(&app, &secret, 0)),
            ("retour", "/compte"),
        ],
        Some(&app.base),
    );
    assert_eq!(again.status, 303, "back to the first step: {}", again.body);

    // A second browser; the first ends it from the account's page.
    let before = session_ids(&app, &user.access);
    app.clock.advance(TimeDelta::seconds(30));
    let other = Browser::default();
    sign_in(&other, &app, email, PASSWORD, "/compte");
    let csrf_other = csrf_of(&other, &app, "/connexion/code");
    let opened = other.submit(
        &target,
        &[
            ("csrf", &csrf_other),
            ("code", &code(&app, &secret, 0)),
            ("retour", "/compte"),
        ],
        Some(&app.base),
    );
    assert_eq!(opened.status, 303, "{}", opened.body);
    assert_eq!(other.go(&app.url("/compte")).0, 200);
    let others: Vec<String> = session_ids(&app, &user.access)
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect();
    let [other_session] = others.as_slice() else {
        panic!("one session more: {others:?}");
    };
    let path = format!("/compte/sessions/{other_session}/fin");
    let (_, _, page) = browser.go(&app.url("/compte"));
    assert!(page.contains(&path), "{page}");
    let csrf = hidden(&page, "csrf");
    // Not without this browser's token.
    let (status, _) = other.post_form(&app.url(&path), &[("csrf", &csrf)], Some(&app.base));
    assert_eq!(status, 403);
    let ended = browser.submit(&app.url(&path), &[("csrf", &csrf)], Some(&app.base));
    assert_eq!(ended.status, 303, "{}", ended.body);
    assert_eq!(
        other.go(&app.url("/compte")).0,
        303,
        "the other browser is signed out"
    );
    assert_eq!(browser.go(&app.url("/compte")).0, 200, "this one is not");
    // Someone else's session is no one's to end: not found, and it stays.
    let (_, _, page) = browser.go(&app.url("/compte"));
    let mine = page.find("Ce navigateur").expect("this browser's row");
    let start = page[mine..].find("/compte/sessions/").expect("its button") + mine;
    let path = &page[start..start + page[start..].find('"').expect("its end")];
    let stranger = Browser::default();
    app.new_user("autre@exemple.org");
    sign_in(&stranger, &app, "autre@exemple.org", PASSWORD, "/compte");
    let csrf_stranger = csrf_of(&stranger, &app, "/compte");
    let (status, page) =
        stranger.post_form(&app.url(path), &[("csrf", &csrf_stranger)], Some(&app.base));
    assert_eq!(status, 404, "{page}");
    assert_eq!(browser.go(&app.url("/compte")).0, 200);

    // Staff whose role asks for a second factor they have not added: their account's page
    // says so, and no other page serves them yet.
    let admin = app.admin();
    let staff = Browser::default();
    let signed_in = sign_in(&staff, &app, &admin.email, PASSWORD, "/compte/mot-de-passe");
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let (status, location, _) = staff.go(&app.url("/compte/mot-de-passe"));
    assert_eq!((status, location), (303, Some(app.url("/compte"))));
    let (status, _, page) = staff.go(&app.url("/compte"));
    assert_eq!(status, 200, "{page}");
    assert!(
        shown(&page).contains("demande la double authentification"),
        "{page}"
    );

    // Ended through the API (every session): this browser is signed out too.
    app.delete("/api/v1/me/sessions", Some(&user.access))
        .expect(204);
    let (status, location, _) = browser.go(&app.url("/compte"));
    assert_eq!(status, 303);
    assert_eq!(location, Some(app.url("/connexion?retour=%2Fcompte")));
}

fn a_password_is_changed_and_an_invitation_accepted_from_the_pages(backend: Backend) {
    let app = TestApp::start(backend);
    let president = app.new_user("presidente@exemple.org");
    let association = app.create_association(
        &president,
        &association_body("Théâtre du Faubourg", "W751000001", "52499120500013"),
    );
    let email = "tresorier@exemple.org";
    app.new_user(email);
    let token = invite(&app, &president, &association, email, "treasurer");

    // The invitation's link asks to sign in first, then comes back to it.
    let browser = Browser::default();
    let link = format!("/compte/invitation?jeton={token}");
    let (status, location, _) = browser.go(&app.url(&link));
    assert_eq!(status, 303);
    let retour = location.expect("to the sign-in page");
    assert!(
        retour.starts_with(&app.url("/connexion?retour=%2Fcompte%2Finvitation%3Fjeton%3D")),
        "{retour}"
    );
    let signed_in = sign_in(&browser, &app, email, PASSWORD, &link);
    assert_eq!(signed_in.location, Some(app.url(&link)));
    let (status, _, page) = browser.go(&app.url(&link));
    assert_eq!(status, 200, "{page}");
    let csrf = hidden(&page, "csrf");
    let accepted = browser.submit(
        &app.url("/compte/invitation"),
        &[("csrf", &csrf), ("jeton", &token)],
        Some(&app.base),
    );
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert!(
        shown(&accepted.body).contains("Vous rejoignez « Théâtre du Faubourg » : Trésorier·ère"),
        "{}",
        accepted.body
    );
    let again = browser.submit(
        &app.url("/compte/invitation"),
        &[("csrf", &csrf), ("jeton", &token)],
        Some(&app.base),
    );
    assert_eq!(again.status, 422, "{}", again.body);
    let (_, _, page) = browser.go(&app.url("/compte"));
    assert!(
        shown(&page).contains("Théâtre du Faubourg</a> (Trésorier·ère)"),
        "{page}"
    );

    // Changing the password: the current one is asked, and every session ends.
    let api = app.signed_in_as(email, PASSWORD);
    let target = app.url("/compte/mot-de-passe");
    let wrong = browser.submit(
        &target,
        &[
            ("csrf", &csrf),
            ("current_password", "pas le bon"),
            ("new_password", "hibou savant 31 lanternes"),
        ],
        Some(&app.base),
    );
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(
        shown(&wrong.body).contains("href=\"#current_password\""),
        "{}",
        wrong.body
    );
    let changed = browser.submit(
        &target,
        &[
            ("csrf", &csrf),
            ("current_password", PASSWORD),
            ("new_password", "hibou savant 31 lanternes"),
        ],
        Some(&app.base),
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(
        shown(&changed.body).contains("Votre mot de passe a changé"),
        "{}",
        changed.body
    );
    assert_eq!(browser.go(&app.url("/compte")).0, 303);
    app.refresh(&api.refresh)
        .expect_problem(401, "auth.invalid_refresh_token");
    app.sign_in(email, "hibou savant 31 lanternes").expect(200);
}

fn staff_add_their_app_from_the_pages_and_sign_in_with_it(backend: Backend) {
    let sink = SmtpSink::start();
    let app = app_mailing_to(&sink, backend);
    let admin = app.admin();
    let browser = Browser::default();
    sign_in(&browser, &app, &admin.email, PASSWORD, "/compte");
    let (status, _, page) = browser.go(&app.url("/compte"));
    assert_eq!(status, 200, "{page}");
    assert!(
        shown(&page).contains("href=\"/compte/double-authentification\""),
        "{page}"
    );
    // Until they add it, the other pages send them there, a request's page too.
    for page in [
        "/associations/nouvelle",
        "/demandes/00000000-0000-0000-0000-000000000000",
        "/agents",
        "/agents/demandes/00000000-0000-0000-0000-000000000000",
    ] {
        let (status, location, _) = browser.go(&app.url(page));
        assert_eq!(
            (status, location),
            (303, Some(app.url("/compte"))),
            "{page}"
        );
    }

    let csrf = csrf_of(&browser, &app, "/compte/double-authentification");
    let started = browser.submit(
        &app.url("/compte/double-authentification"),
        &[("csrf", &csrf)],
        Some(&app.base),
    );
    assert_eq!(started.status, 200, "{}", started.body);
    let page = shown(&started.body);
    assert!(
        page.contains("src=\"data:image/svg+xml;base64,"),
        "a QR code: {page}"
    );
    let secret = hidden(&page, "secret");
    let uri = hidden(&page, "uri");
    assert!(page.contains(&secret[..4]), "the key to type: {page}");
    let secret = TotpSecret::from_base32(&secret).expect("the secret shown");
    let target = app.url("/compte/double-authentification/confirmation");
    let wrong = browser.submit(
        &target,
        &[
            ("csrf", &csrf),
            ("code", "000000"),
            ("secret", &hidden(&page, "secret")),
            ("uri", &uri),
        ],
        Some(&app.base),
    );
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let again = shown(&wrong.body);
    assert!(
        again.contains("href=\"#code\"") && again.contains("data:image/svg+xml"),
        "{again}"
    );
    let confirmed = browser.submit(
        &target,
        &[
            ("csrf", &csrf),
            ("code", &code(&app, &secret, 0)),
            ("secret", "x"),
            ("uri", &uri),
        ],
        Some(&app.base),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let codes: Vec<String> = confirmed
        .body
        .split("<li>")
        .skip(1)
        .filter_map(|item| item.split("</li>").next())
        .filter(|item| item.len() == 14 && item.matches('-').count() == 2)
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10, "{}", confirmed.body);
    assert!(
        confirmed
            .cookie("simpa_session")
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    assert_eq!(
        browser.go(&app.url("/compte")).0,
        303,
        "every session ended"
    );

    // Signed in again with a recovery code: the staff member is past the requirement.
    let step = sign_in(
        &browser,
        &app,
        &admin.email,
        PASSWORD,
        "/compte/mot-de-passe",
    );
    assert_eq!(
        step.location,
        Some(app.url("/connexion/code?retour=%2Fcompte%2Fmot-de-passe"))
    );
    let csrf = csrf_of(&browser, &app, "/connexion/code");
    let opened = browser.submit(
        &app.url("/connexion/code"),
        &[
            ("csrf", &csrf),
            ("code", &codes[0]),
            ("retour", "/compte/mot-de-passe"),
        ],
        Some(&app.base),
    );
    assert_eq!(opened.status, 303, "{}", opened.body);
    assert_eq!(browser.go(&app.url("/compte/mot-de-passe")).0, 200);
    let (_, _, page) = browser.go(&app.url("/compte/double-authentification"));
    assert!(
        shown(&page).contains("Il vous reste 9 codes de secours"),
        "{page}"
    );
    // Staff choose how they hear of new work.
    let (_, _, page) = browser.go(&app.url("/compte/preferences"));
    assert!(page.contains("name=\"work_emails\""), "{page}");
    let csrf = hidden(&page, "csrf");
    let saved = browser.submit(
        &app.url("/compte/preferences"),
        &[
            ("csrf", &csrf),
            ("request_emails", "oui"),
            ("work_emails", "daily"),
        ],
        Some(&app.base),
    );
    assert_eq!(saved.status, 200, "{}", saved.body);
    let strong = app
        .post(
            "/api/v1/auth/token",
            None,
            &serde_json::json!({"grant_type": "password", "email": admin.email, "password": PASSWORD, "code": codes[1]}),
        )
        .expect(200)
        .clone();
    let access = strong["access_token"].as_str().expect("access");
    let preferences = app
        .get("/api/v1/me/preferences", Some(access))
        .expect(200)
        .clone();
    assert_eq!(preferences["work_emails"], "daily", "{preferences}");
}

/// Behind HTTPS (the portal's public address is `https://…`), the browser's cookies are
/// `Secure`: never sent over plain HTTP.
fn cookies_are_secure_behind_https(backend: Backend) {
    let app = TestApp::start_with(
        backend,
        &[("SIMPA_PUBLIC_URL", "https://subventions.exemple.org")],
    );
    let answer = Browser::default()
        .http
        .get(app.url("/connexion"))
        .send()
        .expect("an answer");
    let cookies: Vec<String> = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().expect("text").to_owned())
        .collect();
    let csrf = cookies
        .iter()
        .find(|c| c.starts_with("simpa_csrf="))
        .expect("the forms' token");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(csrf.contains(attribute), "{attribute}: {csrf}");
    }
    // Signing in (the token sent back by hand: a Secure cookie is not sent over HTTP).
    let email = "prudente@exemple.org";
    app.new_user(email);
    let token = value_of(csrf);
    let signed_in = Browser::default()
        .http
        .post(app.url("/connexion"))
        .header("cookie", format!("simpa_csrf={token}"))
        .header("origin", &app.base)
        .form(&[
            ("csrf", token.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .expect("an answer");
    assert_eq!(signed_in.status(), 303);
    let session = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().expect("text").to_owned())
        .find(|c| c.starts_with("simpa_session="))
        .expect("the session's cookie");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(session.contains(attribute), "{attribute}: {session}");
    }
}

on_both_backends!(
    cookies_are_secure_behind_https,
    staff_add_their_app_from_the_pages_and_sign_in_with_it,
    a_person_signs_up_signs_in_and_out_through_the_pages,
    a_second_factor_is_asked_and_a_revoked_session_is_signed_out,
    a_password_is_changed_and_an_invitation_accepted_from_the_pages,
);

//! The portal's pages over HTTP: the home page and its styles, and the pages the links of
//! Simpa's e-mails lead to, their forms posted as a browser posts them.

use crate::grants::{granted_today, submit_asking};
use crate::members::{accept, invite};
use crate::requests::{City, act, campaign_body, create_draft, id, opinion};
use serde_json::json;
use simpa_tests::browser::Browser;
use simpa_tests::client::{PASSWORD, association_body};
use simpa_tests::documents::file_everything;
use simpa_tests::{Backend, TestApp, on_both_backends};

/// The value of the hidden field `name` of a page's form.
pub(crate) fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    let end = page[start..].find('"').expect("the value's end") + start;
    page[start..end].to_owned()
}

/// A page's text as the browser shows it (minijinja escapes the slashes of attributes).
pub(crate) fn shown(page: &str) -> String {
    page.replace("&#x2f;", "/").replace("&#x27;", "'")
}

/// The page a step of a journey in Chromium left in `target/screenshots`, as served.
pub(crate) fn served(name: &str) -> String {
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    shown(&std::fs::read_to_string(shots.join(format!("{name}.html"))).expect("the page"))
}

/// A form's fields typed in, then its button pressed: the end of a journey's address.
pub(crate) fn submit(fields: &[(&str, &str)]) -> String {
    format!(
        "#submit:{}",
        serde_urlencoded::to_string(fields).expect("encoded")
    )
}

fn the_home_page_lists_the_campaigns_open_now_in_plain_french(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let open = city.campaign(&city.bureau, "QUARTIERS_2027", "central", None);
    // One still in preparation is not shown.
    app.post(
        "/api/v1/campaigns",
        Some(&city.bureau.access),
        &campaign_body(app, "PREPARATION_2027", "central", None),
    )
    .expect(201);
    let page = app.send(app.request(reqwest::Method::GET, "/"));
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.header("content-security-policy")
            .is_some_and(|p| p.contains("style-src 'self'") && p.contains("form-action 'self'")),
        "{:?}",
        page.header("content-security-policy")
    );
    let html = shown(&page.text);
    assert!(html.contains("<html lang=\"fr\""), "{html}");
    assert!(
        html.contains("<title>Accueil – Subventions aux associations – Ville de Paris</title>"),
        "{html}"
    );
    assert!(html.contains("href=\"#contenu\""), "a skip link: {html}");
    assert!(
        html.contains(open["title"].as_str().expect("title")),
        "{html}"
    );
    assert!(!html.contains("PREPARATION_2027"), "{html}");
    assert!(
        html.contains("Statuts") && html.contains("Relevé d'identité bancaire"),
        "{html}"
    );
    assert!(!html.contains("2027-"), "dates are said in words: {html}");

    // Its styles: one file, named by its digest, kept a year, compressed.
    let start = html.find("/static/simpa.").expect("the styles' address");
    let end = html[start..].find('"').expect("its end") + start;
    let styles = app.send(
        app.request(reqwest::Method::GET, &html[start..end])
            .header("accept-encoding", "gzip"),
    );
    assert_eq!(styles.status, 200);
    assert_eq!(
        styles.header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(
        styles.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(styles.header("content-encoding"), Some("gzip"));
    let plain = app.send(app.request(reqwest::Method::GET, &html[start..end]));
    assert!(
        plain.text.contains(".govuk-error-summary"),
        "the foundation's styles"
    );
    let stale = app.send(app.request(reqwest::Method::GET, "/static/simpa.000000000000.css"));
    assert_eq!(stale.status, 404);

    // What matches no page is a page too; what matches nothing of the API stays a problem.
    let missing = app.send(app.request(reqwest::Method::GET, "/nulle-part"));
    assert_eq!(missing.status, 404);
    assert!(
        missing.text.contains("Page introuvable"),
        "{}",
        missing.text
    );
    app.get("/api/v1/nulle-part", None)
        .expect_problem(404, "route.not_found");
}

fn an_address_is_verified_from_the_page_its_link_opens(backend: Backend) {
    let app = TestApp::start(backend);
    let email = "ines@exemple.org";
    app.register(email);
    let token = app.mailed_token(email, "Confirmez votre adresse e-mail");
    let browser = Browser::default();
    let link = app.url(&format!("/compte/verification?jeton={token}"));
    // Opening the link does nothing by itself (a mail filter may open it): a button does.
    let (status, _, page) = browser.go(&link);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Confirmer mon adresse"), "{page}");
    let csrf = hidden(&page, "csrf");
    assert_eq!(hidden(&page, "jeton"), token);
    let user = app.signed_in_as(email, PASSWORD);
    let verified =
        || app.get("/api/v1/me", Some(&user.access)).expect(200)["email_verified"].clone();
    assert_eq!(verified(), json!(false));

    // Posted from another browser (no token of its own), or from another site: refused.
    let target = app.url("/compte/verification");
    let form = [("csrf", csrf.as_str()), ("jeton", token.as_str())];
    let (status, page) = Browser::default().post_form(&target, &form, None);
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("Formulaire refusé"), "{page}");
    let (status, _) = browser.post_form(&target, &form, Some("https://ailleurs.example"));
    assert_eq!(status, 403);
    assert_eq!(verified(), json!(false));

    let (status, page) = browser.post_form(&target, &form, Some(&app.base));
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Votre adresse e-mail est confirmée"),
        "{page}"
    );
    assert_eq!(verified(), json!(true));
    // The link works once.
    let (status, page) = browser.post_form(&target, &form, Some(&app.base));
    assert_eq!(status, 422, "{page}");
    assert!(
        shown(&page).contains("Ce lien ne fonctionne plus"),
        "{page}"
    );
}

fn a_forgotten_password_is_replaced_through_the_pages(backend: Backend) {
    let app = TestApp::start(backend);
    let email = "jules@exemple.org";
    app.new_user(email);
    let browser = Browser::default();
    let (status, _, page) = browser.go(&app.url("/compte/mot-de-passe-oublie"));
    assert_eq!(status, 200, "{page}");
    let csrf = hidden(&page, "csrf");
    let target = app.url("/compte/mot-de-passe-oublie");

    // A mistake is said at the top, linked to its field, and what was typed is kept.
    let (status, page) = browser.post_form(
        &target,
        &[("csrf", &csrf), ("email", "jules-at-exemple")],
        Some(&app.base),
    );
    assert_eq!(status, 422, "{page}");
    let page = shown(&page);
    assert!(
        page.contains("govuk-error-summary") && page.contains("href=\"#email\""),
        "{page}"
    );
    assert!(page.contains("value=\"jules-at-exemple\""), "{page}");
    assert!(
        page.contains("<title>Erreur : Mot de passe oublié"),
        "{page}"
    );
    // The same answer whether the address has an account or not.
    let (status, known) = browser.post_form(&target, &[("csrf", &csrf), ("email", email)], None);
    assert_eq!(status, 200, "{known}");
    let (_, unknown) = browser.post_form(
        &target,
        &[("csrf", &csrf), ("email", "personne@exemple.org")],
        None,
    );
    assert_eq!(known, unknown);
    assert!(
        shown(&known).contains("Vérifiez votre messagerie"),
        "{known}"
    );

    let token = app.mailed_token(email, "Choisissez un nouveau mot de passe");
    let (status, _, page) =
        browser.go(&app.url(&format!("/compte/mot-de-passe/nouveau?jeton={token}")));
    assert_eq!(status, 200, "{page}");
    let target = app.url("/compte/mot-de-passe/nouveau");
    let (status, page) = browser.post_form(
        &target,
        &[
            ("csrf", &csrf),
            ("jeton", &token),
            ("password", "motdepasse123"),
        ],
        Some(&app.base),
    );
    assert_eq!(status, 422, "{page}");
    let page = shown(&page);
    assert!(page.contains("href=\"#password\""), "{page}");
    assert!(
        !page.contains("motdepasse123"),
        "a password is never shown again: {page}"
    );
    let new_password = "hibou savant 31 lanternes";
    let (status, page) = browser.post_form(
        &target,
        &[
            ("csrf", &csrf),
            ("jeton", &token),
            ("password", new_password),
        ],
        Some(&app.base),
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Votre mot de passe a changé"), "{page}");
    app.sign_in(email, PASSWORD)
        .expect_problem(401, "auth.invalid_credentials");
    app.sign_in(email, new_password).expect(200);
}

fn the_pages_pass_axe_in_a_real_browser(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "QUARTIERS_2027", "central", None);
    let email = "lea@exemple.org";
    app.register(email);
    let token = app.mailed_token(email, "Confirmez votre adresse e-mail");
    // An association of hers, in the directory.
    let lea = app.signed_in_as(email, PASSWORD);
    let mut body = association_body(
        "Jardin partagé des Récollets",
        "W751000003",
        "52499120500013",
    );
    body["directory_consent"] = json!(true);
    body["email"] = json!("jardin@exemple.org");
    body["public_contact"] = json!({"email": true});
    let garden_json = app.create_association(&lea, &body);
    let garden = garden_json["id"].as_str().expect("id");
    // Its documents filed, and a request of it written in full, ready to submit.
    file_everything(app, &lea, &garden_json, "jardin");
    let request = create_draft(app, &lea, &campaign, &garden_json);
    let request = request["id"].as_str().expect("id");
    let step = |slug: &str| app.url(&format!("/demandes/{request}/{slug}"));
    // Another of its requests, voted above 23,000 €: its agreement to sign, its report.
    // Filed by its treasurer: Léa confirms her address in the browser, later.
    let treasurer = app.new_user("tresoriere@exemple.org");
    let invitation = invite(
        app,
        &lea,
        &garden_json,
        "tresoriere@exemple.org",
        "treasurer",
    );
    accept(app, &treasurer, &invitation).expect(201);
    let granted = submit_asking(app, &treasurer, &garden_json, &campaign, 3_000_000, None);
    granted_today(&city, "2027 DAC 50", &[(&granted, 2_500_000)]);
    let grant = |slug: &str| app.url(&format!("/demandes/{granted}{slug}"));
    // Another association's grant under 23,000 €, due at once: the list of payments due
    // shows it with its form (the garden's grants add up past 23,000 € in twelve months).
    let (_, small) = crate::grants::submitted_asking(app, 30, &campaign, 1_000_000);
    granted_today(&city, "2027 DAC 51", &[(&small, 1_000_000)]);
    // Its statutes, waiting for the bureau's check.
    let statuts = app
        .get(
            &format!("/api/v1/associations/{garden}/documents"),
            Some(&city.bureau.access),
        )
        .expect(200)["items"]
        .as_array()
        .and_then(|items| items.iter().find(|v| v["kind"] == "statuts"))
        .and_then(|v| v["id"].as_str())
        .expect("its statutes")
        .to_owned();
    // A council's agenda in preparation: one instructed request on it, another to add; and
    // the deliberation voted above.
    let instructed: Vec<String> = [31, 32]
        .iter()
        .map(|n| {
            let (_, r) = crate::grants::submitted_asking(app, *n, &campaign, 800_000);
            city.admit_and_dispatch(&r, "DAC", &[]);
            act(app, &city.dac, &r, opinion("favourable", 800_000)).expect(200);
            r
        })
        .collect();
    let deliberations = app.get("/api/v1/deliberations", Some(&city.bureau.access));
    let voted = deliberations.expect(200)["items"]
        .as_array()
        .and_then(|items| items.iter().find(|d| d["reference"] == "2027 DAC 50"))
        .and_then(|d| d["id"].as_str())
        .expect("the deliberation voted")
        .to_owned();
    let draft = app.post(
        "/api/v1/deliberations",
        Some(&city.bureau.access),
        &json!({"reference": "2027 DAC 52", "council": "conseil_de_paris",
                "session_on": app.today(), "title": "Subventions aux jardins"}),
    );
    let draft = id(draft.expect(201));
    app.post(
        &format!("/api/v1/deliberations/{draft}/lines"),
        Some(&city.bureau.access),
        &json!({"request_id": instructed[0]}),
    )
    .expect(200);
    // A call for projects whose jury works: one request before it, a juror yet to declare.
    let mut call_body = campaign_body(app, "AAP_JARDINS", "call_for_projects", None);
    call_body["envelope_cents"] = json!(2_000_000);
    let call = app.post("/api/v1/campaigns", Some(&city.bureau.access), &call_body);
    let call = call.expect(201).clone();
    let call_id = id(&call);
    app.post(
        &format!("/api/v1/campaigns/{call_id}/publish"),
        Some(&city.bureau.access),
        &json!({}),
    )
    .expect(200);
    let (_, candidate) = crate::grants::submitted_asking(app, 33, &call, 600_000);
    city.admit_and_dispatch(&candidate, "DAC", &[]);
    act(app, &city.dac, &candidate, opinion("favourable", 500_000)).expect(200);
    let juror = app.staff(&city.admin, "jure@ville.test", json!({"kind": "juror"}));
    let jury = format!("/api/v1/campaigns/{call_id}/jury");
    let grid = json!({
        "criteria": [
            {"label": "Utilité pour le quartier", "description": "Qui en profite, combien", "weight": 3, "max_points": 10},
            {"label": "Faisabilité", "weight": 1, "max_points": 5}
        ],
        "min_score": 0, "min_scores": 1, "normalise": true, "last_request": "partial"
    });
    app.post(&jury, Some(&city.bureau.access), &grid)
        .expect(201);
    app.post(
        &format!("{jury}/members"),
        Some(&city.bureau.access),
        &json!({"account_id": juror.id}),
    )
    .expect(200);
    app.post(
        &format!("{jury}/seats"),
        Some(&city.bureau.access),
        &json!({}),
    )
    .expect(200);
    // One more, waiting for the bureau's check.
    let waiting = submit_asking(app, &treasurer, &garden_json, &campaign, 500_000, None);
    // Someone else's association.
    let stranger = app.new_user("autre@exemple.org");
    let other = app.create_association(
        &stranger,
        &association_body("Les Voisins", "W751000005", "73282932000074"),
    );
    let other = other["id"].as_str().expect("id");
    // A file to drop on a drop zone.
    let folder = tempfile::tempdir().expect("a folder");
    let budget_file = folder.path().join("budget-2027.pdf");
    std::fs::write(&budget_file, simpa_tests::documents::pdf("budget 2027")).expect("written");
    let dropped = format!(
        "/associations/{garden}/documents#submit:{}",
        serde_urlencoded::to_string([(
            "budget_previsionnel-file",
            budget_file.to_string_lossy().as_ref()
        )])
        .expect("encoded")
    );
    let pages = [
        ("accueil", app.url("/")),
        ("annuaire", app.url("/annuaire")),
        (
            "annuaire-recherche",
            app.url("/annuaire?q=jardin&arrondissement=11"),
        ),
        ("fiche", app.url(&format!("/annuaire/{garden}"))),
        (
            "fiche-integree",
            app.url(&format!("/annuaire/{garden}/carte")),
        ),
        ("donnees-ouvertes", app.url("/donnees-ouvertes")),
        (
            "verification",
            app.url(&format!("/compte/verification?jeton={token}")),
        ),
        (
            "verification-faite",
            app.url(&format!("/compte/verification?jeton={token}#submit")),
        ),
        (
            "mot-de-passe-oublie",
            app.url("/compte/mot-de-passe-oublie"),
        ),
        (
            "mot-de-passe-oublie-erreur",
            app.url("/compte/mot-de-passe-oublie#submit"),
        ),
        (
            "lien-envoye",
            app.url("/compte/mot-de-passe-oublie#submit:email=personne%40exemple.org"),
        ),
        (
            "nouveau-mot-de-passe",
            app.url("/compte/mot-de-passe/nouveau?jeton=perime"),
        ),
        (
            "lien-perime",
            app.url("/compte/mot-de-passe/nouveau?jeton=perime#submit"),
        ),
        ("introuvable", app.url("/nulle-part")),
        ("inscription", app.url("/inscription")),
        ("inscription-erreur", app.url("/inscription#submit")),
        ("connexion", app.url("/connexion")),
        ("connexion-erreur", app.url("/connexion#submit")),
        (
            "compte",
            app.url(&format!(
                "/connexion?retour=%2Fcompte#submit:{}",
                serde_urlencoded::to_string([("email", email), ("password", PASSWORD)])
                    .expect("encoded")
            )),
        ),
        ("accueil-connecte", app.url("/")),
        (
            "double-authentification",
            app.url("/compte/double-authentification"),
        ),
        (
            "double-authentification-ajout",
            app.url("/compte/double-authentification#submit"),
        ),
        ("changer-mot-de-passe", app.url("/compte/mot-de-passe")),
        ("preferences", app.url("/compte/preferences")),
        (
            "preferences-enregistrees",
            app.url("/compte/preferences#submit"),
        ),
        (
            "changer-mot-de-passe-erreur",
            app.url("/compte/mot-de-passe#submit"),
        ),
        ("invitation", app.url("/compte/invitation?jeton=inconnu")),
        (
            "invitation-refusee",
            app.url("/compte/invitation?jeton=inconnu#submit"),
        ),
        // Forbidden paths: another association's pages are not found; a form sent without
        // its token, or from a page of another origin, is refused.
        ("autre-association", app.url(&format!("/associations/{other}"))),
        (
            "autre-association-documents",
            app.url(&format!("/associations/{other}/documents")),
        ),
        ("sans-jeton", app.url("/compte/preferences#forge")),
        ("d-ailleurs", app.url("/compte/preferences#elsewhere")),
        (
            "documents",
            app.url(&format!("/associations/{garden}/documents")),
        ),
        ("document-depose", app.url(&dropped)),
        ("nouvelle-association", app.url("/associations/nouvelle")),
        (
            "nouvelle-association-rna-en-direct",
            app.url("/associations/nouvelle#type:rna=W75100001"),
        ),
        (
            "nouvelle-association-code-postal-en-direct",
            app.url("/associations/nouvelle#type:address_postal_code=75011"),
        ),
        (
            "nouvelle-association-erreur",
            app.url("/associations/nouvelle#submit:siret=52499120500014"),
        ),
        (
            "association",
            app.url(&format!(
                "/associations/nouvelle#submit:{}",
                serde_urlencoded::to_string([
                    ("name", "Les Amis du Canal"),
                    ("rna", "W751000002"),
                    ("object", "Animer les berges du canal Saint-Martin."),
                    ("address_street", "3 quai de Valmy"),
                    ("address_postal_code", "75010"),
                    ("address_city", "Paris"),
                ])
                .expect("encoded")
            )),
        ),
        (
            "nouvelle-demande",
            app.url(&format!("/associations/{garden}/demandes/nouvelle")),
        ),
        (
            "nouvelle-demande-erreur",
            app.url(&format!("/associations/{garden}/demandes/nouvelle#submit")),
        ),
        ("demande", app.url(&format!("/demandes/{request}"))),
        ("etape-projet", step("projet")),
        ("etape-projet-erreur", step("projet#submit:title=")),
        ("etape-dates", step("dates-et-lieux")),
        ("etape-public", step("public")),
        ("etape-budget", step("budget")),
        ("etape-budget-erreur", step("budget#submit:l60=12,50")),
        (
            "etape-budget-en-direct",
            step("budget#type:l60=7000&l74_commune=4500"),
        ),
        ("etape-verification", step("verification")),
        ("depot-sans-attestation", step("verification#submit")),
        ("recepisse", step("verification#submit:attestation=oui")),
        ("demande-deposee", app.url(&format!("/demandes/{request}"))),
        ("retrait", step("retrait")),
        (
            "demande-retiree",
            step("retrait#submit:reason=Projet%20report%C3%A9"),
        ),
        ("subvention", grant("")),
        ("convention", grant("/convention")),
        ("convention-erreur", grant("/convention#submit")),
        ("convention-signee", grant("/convention#submit:read=oui")),
        ("compte-rendu", grant("/compte-rendu")),
        (
            "compte-rendu-erreur",
            grant("/compte-rendu#submit:r0=12,50"),
        ),
        // A request filed by keyboard alone: each field reached with Tab, each form sent with
        // Enter, each step leading to the next.
        (
            "clavier-nouvelle-demande",
            app.url(&format!(
                "/associations/{garden}/demandes/nouvelle#keyboard:campaign=oui&title=F%C3%AAte%20du%20jardin"
            )),
        ),
        (
            "clavier-projet",
            "#keyboard:summary=Une%20f%C3%AAte%20au%20jardin.&objectives=Faire%20venir%20les%20voisins."
                .to_owned(),
        ),
        (
            "clavier-dates",
            "#keyboard:start_date=2027-06-01&end_date=2027-06-30&district_10=oui".to_owned(),
        ),
        (
            "clavier-public",
            "#keyboard:target_public=Les%20voisins&indicators_0__name=Visiteurs&indicators_0__unit=personnes&indicators_0__target=200"
                .to_owned(),
        ),
        ("clavier-budget", "#keyboard:l60=500&l74_commune=500".to_owned()),
        ("clavier-depot", "#keyboard:attestation=oui".to_owned()),
        (
            "deconnexion",
            app.url("/compte#press:Se déconnecter"),
        ),
        // The city's agents: the bureau's work, a request's whole file.
        (
            "agents",
            app.url(&format!(
                "/connexion?retour=%2Fagents#submit:{}",
                serde_urlencoded::to_string([("email", "bureau@ville.test"), ("password", PASSWORD)])
                    .expect("encoded")
            )),
        ),
        ("agents-demande", app.url(&format!("/agents/demandes/{request}"))),
        ("agents-subvention", app.url(&format!("/agents/demandes/{granted}"))),
        ("agents-liste", app.url("/agents/demandes")),
        ("agents-associations", app.url("/agents/associations?q=jardin")),
        ("agents-pieces", app.url("/agents/pieces")),
        ("agents-versements", app.url("/agents/versements")),
        ("agents-comptes-rendus", app.url("/agents/comptes-rendus")),
        (
            "agents-pieces-refus-erreur",
            app.url(&format!("/agents/pieces#submit:reason-{statuts}=%20")),
        ),
        (
            "agents-liste-filtree",
            app.url("/agents/demandes?etat=submitted&en_retard=oui"),
        ),
        ("agents-a-verifier", app.url(&format!("/agents/demandes/{waiting}"))),
        (
            "agents-demande-de-pieces-erreur",
            app.url(&format!(
                "/agents/demandes/{waiting}#submit:ask_documents-message=Statuts%20sign%C3%A9s"
            )),
        ),
        (
            "agents-recevable",
            app.url(&format!(
                "/agents/demandes/{waiting}#submit:declare_admissible-message=Dossier%20complet"
            )),
        ),
        (
            "agents-introuvable",
            app.url("/agents/demandes/01890000-0000-7000-8000-000000000000"),
        ),
        (
            "agents-liste-erreur",
            app.url("/agents/demandes?montant_min=dix&depose_du=2027-02-30"),
        ),
        ("agents-deliberations", app.url("/agents/deliberations")),
        (
            "agents-deliberation-erreur",
            app.url("/agents/deliberations#submit:reference=DAC"),
        ),
        ("agents-deliberation", app.url(&format!("/agents/deliberations/{draft}"))),
        (
            "agents-deliberation-vote-erreur",
            app.url(&format!("/agents/deliberations/{draft}#submit:voted_on=")),
        ),
        ("agents-deliberation-votee", app.url(&format!("/agents/deliberations/{voted}"))),
        (
            "agents-deliberation-liste",
            app.url(&format!("/agents/deliberations/{voted}/liste")),
        ),
        ("agents-subventions", app.url("/agents/subventions")),
        (
            "agents-subvention-votee",
            app.url(&format!("/agents/subventions/{granted}")),
        ),
        ("agents-reversements", app.url("/agents/reversements")),
        ("agents-campagnes", app.url("/agents/campagnes")),
        ("agents-campagne-nouvelle", app.url("/agents/campagnes/nouvelle")),
        (
            "agents-campagne-erreur",
            app.url("/agents/campagnes/nouvelle#submit:code=a%20b&envelope=dix"),
        ),
        (
            "agents-campagne",
            app.url(&format!("/agents/campagnes/{}", id(&campaign))),
        ),
        (
            "agents-campagne-modifier",
            app.url(&format!("/agents/campagnes/{}/modifier", id(&campaign))),
        ),
        ("agents-tableau-de-bord", app.url("/agents/tableau-de-bord")),
        (
            "agents-tableau-de-bord-erreur",
            app.url("/agents/tableau-de-bord?annee=deux&par=secteur"),
        ),
        (
            "agents-jury-reglage",
            app.url(&format!("/agents/campagnes/{call_id}/jury")),
        ),
        (
            "agents-jury-reglage-erreur",
            app.url(&format!(
                "/agents/campagnes/{call_id}/jury#submit:critere-0-weight=trois"
            )),
        ),
        ("agents-jurys", app.url("/jury")),
        ("agents-jury", app.url(&format!("/jury/{call_id}"))),
        (
            "agents-jury-classement",
            app.url(&format!("/jury/{call_id}/classement")),
        ),
        (
            "agents-lot",
            app.url(&format!("/agents/demandes#submit:choisie-{waiting}=oui")),
        ),
        // A juror, before and after their declaration of interests.
        (
            "agents-deconnexion",
            app.url("/compte#press:Se déconnecter"),
        ),
        (
            "jure",
            app.url(&format!(
                "/connexion?retour=%2Fjury%2Fdemandes%2F{candidate}#submit:{}",
                serde_urlencoded::to_string([("email", "jure@ville.test"), ("password", PASSWORD)])
                    .expect("encoded")
            )),
        ),
        (
            "jure-declaration-erreur",
            app.url(&format!("/jury/demandes/{candidate}#submit")),
        ),
        (
            "jure-fiche",
            app.url(&format!(
                "/jury/demandes/{candidate}#submit:declaration=oui"
            )),
        ),
        // The administration.
        ("jure-deconnexion", app.url("/compte#press:Se déconnecter")),
        (
            "admin",
            app.url(&format!(
                "/connexion?retour=%2Fadmin#submit:{}",
                serde_urlencoded::to_string([("email", "admin@ville.test"), ("password", PASSWORD)])
                    .expect("encoded")
            )),
        ),
        ("admin-comptes", app.url("/admin/comptes?q=ville.test")),
        (
            "admin-compte-erreur",
            app.url(&format!(
                "/admin/comptes/{}#submit:kind-instructor=oui",
                city.bureau.id
            )),
        ),
        ("admin-envois", app.url("/admin/envois?etat=sent")),
        ("admin-journal", app.url("/admin/journal")),
        ("admin-clients", app.url("/admin/clients")),
        (
            "admin-clients-erreur",
            app.url("/admin/clients#submit:name="),
        ),
        ("admin-webhooks", app.url("/admin/webhooks")),
        ("admin-referentiel", app.url("/admin/referentiel")),
        ("admin-referentiel-piece", app.url("/admin/referentiel/pieces/rib")),
        (
            "admin-referentiel-erreur",
            app.url("/admin/referentiel/nouveau/pieces#submit:validity_rule-dated=oui"),
        ),
    ];
    // Each database's run keeps its own pages and pictures: both run at once, and the HTML
    // checker must not read a page the other run is writing.
    let prefix = format!("{backend:?}-").to_lowercase();
    let pages: Vec<(String, String)> = pages
        .into_iter()
        .map(|(name, address)| (format!("{prefix}{name}"), address))
        .collect();
    let pages: Vec<(&str, String)> = pages
        .iter()
        .map(|(name, address)| (name.as_str(), address.clone()))
        .collect();
    let Some(visits) = simpa_tests::browser::visit(&pages) else {
        return;
    };
    assert_eq!(
        visits.html_errors,
        Vec::<String>::new(),
        "the Nu Html Checker"
    );
    let visited: Vec<_> = visits
        .pages
        .into_iter()
        .map(|mut page| {
            page.name = page.name.trim_start_matches(&prefix).to_owned();
            page
        })
        .collect();
    let statuses: Vec<(&str, u16)> = visited
        .iter()
        .map(|v| (v.name.as_str(), v.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("accueil", 200),
            ("annuaire", 200),
            ("annuaire-recherche", 200),
            ("fiche", 200),
            ("fiche-integree", 200),
            ("donnees-ouvertes", 200),
            ("verification", 200),
            ("verification-faite", 200),
            ("mot-de-passe-oublie", 200),
            ("mot-de-passe-oublie-erreur", 422),
            ("lien-envoye", 200),
            ("nouveau-mot-de-passe", 200),
            ("lien-perime", 422),
            ("introuvable", 404),
            ("inscription", 200),
            ("inscription-erreur", 422),
            ("connexion", 200),
            ("connexion-erreur", 422),
            ("compte", 200),
            ("accueil-connecte", 200),
            ("double-authentification", 200),
            ("double-authentification-ajout", 200),
            ("changer-mot-de-passe", 200),
            ("preferences", 200),
            ("preferences-enregistrees", 200),
            ("changer-mot-de-passe-erreur", 422),
            ("invitation", 200),
            ("invitation-refusee", 422),
            ("autre-association", 404),
            ("autre-association-documents", 404),
            ("sans-jeton", 403),
            ("d-ailleurs", 200),
            ("documents", 200),
            ("document-depose", 200),
            ("nouvelle-association", 200),
            ("nouvelle-association-rna-en-direct", 200),
            ("nouvelle-association-code-postal-en-direct", 200),
            ("nouvelle-association-erreur", 422),
            ("association", 200),
            ("nouvelle-demande", 200),
            ("nouvelle-demande-erreur", 422),
            ("demande", 200),
            ("etape-projet", 200),
            ("etape-projet-erreur", 422),
            ("etape-dates", 200),
            ("etape-public", 200),
            ("etape-budget", 200),
            ("etape-budget-erreur", 422),
            ("etape-budget-en-direct", 200),
            ("etape-verification", 200),
            ("depot-sans-attestation", 422),
            ("recepisse", 200),
            ("demande-deposee", 200),
            ("retrait", 200),
            ("demande-retiree", 200),
            ("subvention", 200),
            ("convention", 200),
            ("convention-erreur", 422),
            ("convention-signee", 200),
            ("compte-rendu", 200),
            ("compte-rendu-erreur", 422),
            ("clavier-nouvelle-demande", 200),
            ("clavier-projet", 200),
            ("clavier-dates", 200),
            ("clavier-public", 200),
            ("clavier-budget", 200),
            ("clavier-depot", 200),
            ("deconnexion", 200),
            ("agents", 200),
            ("agents-demande", 200),
            ("agents-subvention", 200),
            ("agents-liste", 200),
            ("agents-associations", 200),
            ("agents-pieces", 200),
            ("agents-versements", 200),
            ("agents-comptes-rendus", 200),
            ("agents-pieces-refus-erreur", 422),
            ("agents-liste-filtree", 200),
            ("agents-a-verifier", 200),
            ("agents-demande-de-pieces-erreur", 422),
            ("agents-recevable", 200),
            ("agents-introuvable", 404),
            ("agents-liste-erreur", 422),
            ("agents-deliberations", 200),
            ("agents-deliberation-erreur", 422),
            ("agents-deliberation", 200),
            ("agents-deliberation-vote-erreur", 422),
            ("agents-deliberation-votee", 200),
            ("agents-deliberation-liste", 200),
            ("agents-subventions", 200),
            ("agents-subvention-votee", 200),
            ("agents-reversements", 200),
            ("agents-campagnes", 200),
            ("agents-campagne-nouvelle", 200),
            ("agents-campagne-erreur", 422),
            ("agents-campagne", 200),
            ("agents-campagne-modifier", 200),
            ("agents-tableau-de-bord", 200),
            ("agents-tableau-de-bord-erreur", 422),
            ("agents-jury-reglage", 200),
            ("agents-jury-reglage-erreur", 422),
            ("agents-jurys", 200),
            ("agents-jury", 200),
            ("agents-jury-classement", 200),
            ("agents-lot", 200),
            ("agents-deconnexion", 200),
            ("jure", 200),
            ("jure-declaration-erreur", 422),
            ("jure-fiche", 200),
            ("jure-deconnexion", 200),
            ("admin", 200),
            ("admin-comptes", 200),
            ("admin-compte-erreur", 422),
            ("admin-envois", 200),
            ("admin-journal", 200),
            ("admin-clients", 200),
            ("admin-clients-erreur", 422),
            ("admin-webhooks", 200),
            ("admin-referentiel", 200),
            ("admin-referentiel-piece", 200),
            ("admin-referentiel-erreur", 422),
        ],
        "{visited:?}"
    );
    // The button of the real browser did the deed (its form said where it came from).
    let me = app.signed_in_as(email, PASSWORD);
    assert_eq!(
        app.get("/api/v1/me", Some(&me.access)).expect(200)["email_verified"],
        true
    );
    let named = |name: &str| visited.iter().find(|v| v.name == name).expect("visited");
    assert_eq!(
        named("mot-de-passe-oublie-erreur").title,
        "Erreur : Mot de passe oublié – Subventions aux associations – Ville de Paris"
    );
    // The budget's script totals what is typed before it is saved (the draft's own lines
    // give 10,000 € of charges: 60 typed as 7,000 makes 11,000; income 10,000 - 4,000 + 4,500).
    assert_eq!(
        named("etape-budget-en-direct").live.as_deref(),
        Some(
            "Le total des charges (11\u{202f}000\u{a0}€) doit être égal au total des produits (10\u{202f}500\u{a0}€)."
        )
    );
    assert!(
        named("lien-envoye")
            .title
            .starts_with("Vérifiez votre messagerie")
    );
    // A file dropped on its drop zone, sent by the page's script.
    assert_eq!(named("document-depose").sent.as_deref(), Some("script"));
    assert!(
        named("deconnexion")
            .title
            .starts_with("Vous êtes déconnecté")
    );
    // A form sent without its token is refused; one sent from a page of another site carries
    // no session (SameSite=Lax): it is sent to sign in, nothing done (and were it signed in,
    // its `Origin: null` would be refused).
    assert_eq!(named("sans-jeton").posted, Some(403));
    let elsewhere = named("d-ailleurs");
    assert_eq!(
        named("preferences-enregistrees").posted,
        Some(200),
        "saved: a page"
    );
    assert_eq!(elsewhere.posted, Some(303), "to sign in");
    assert!(
        elsewhere.url.ends_with("/compte/preferences"),
        "{}",
        elsewhere.url
    );
    // The association's identifiers are checked as they are typed, by the rules of sending.
    assert_eq!(
        named("nouvelle-association-rna-en-direct").live.as_deref(),
        Some(
            simpa_domain::rna::Rna::parse("W75100001")
                .expect_err("too short")
                .message
                .as_str()
        )
    );
    assert_eq!(
        named("nouvelle-association-code-postal-en-direct")
            .live
            .as_deref(),
        Some("11e arrondissement de Paris")
    );
    assert_eq!(
        named("recepisse").title,
        "Demande déposée – Ateliers d'écriture – Subventions aux associations – Ville de Paris"
    );
    // What the keyboard typed is what the request says.
    let lea = app.signed_in_as(email, PASSWORD);
    let listed = app
        .get("/api/v1/requests", Some(&lea.access))
        .expect(200)
        .clone();
    let typed = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["title"] == "Fête du jardin")
        .expect("the request typed by keyboard");
    let typed = app
        .get(
            &format!("/api/v1/requests/{}", typed["id"].as_str().expect("id")),
            Some(&lea.access),
        )
        .expect(200)
        .clone();
    assert_eq!(
        (
            &typed["state"],
            &typed["start_date"],
            &typed["end_date"],
            &typed["districts"]
        ),
        (
            &json!("submitted"),
            &json!("2027-06-01"),
            &json!("2027-06-30"),
            &json!([10])
        )
    );
    assert_eq!(typed["summary"], "Une fête au jardin.");
    assert_eq!(
        typed["indicators"],
        json!([{"name": "Visiteurs", "unit": "personnes", "target": 200}])
    );
    assert_eq!(typed["requested_cents"], 50_000);
    // The keyboard's journey ends on the receipt of what it typed.
    assert_eq!(
        named("clavier-depot").title,
        "Demande déposée – Fête du jardin – Subventions aux associations – Ville de Paris"
    );
    let too_wide: Vec<(&str, u32)> = visited
        .iter()
        .filter(|v| v.phone_width > 375)
        .map(|v| (v.name.as_str(), v.phone_width))
        .collect();
    assert_eq!(too_wide, vec![], "pages wider than a phone");
    for page in &visited {
        let serious = page.serious_violations();
        assert!(serious.is_empty(), "{}: {serious:?}", page.name);
        // Nothing the pages do is refused by their own policy, enforced by the browser.
        assert_eq!(page.blocked, Vec::<String>::new(), "{}", page.name);
    }
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    // The form sent empty asks for the address, in words.
    let empty =
        std::fs::read_to_string(shots.join(format!("{prefix}mot-de-passe-oublie-erreur.html")))
            .expect("the page");
    assert!(
        shown(&empty).contains("Saisissez une adresse e-mail."),
        "{empty}"
    );
    assert!(
        shots.join(format!("{prefix}accueil-375.png")).is_file()
            && shots.join(format!("{prefix}accueil-1280.png")).is_file()
    );
}

on_both_backends!(
    the_home_page_lists_the_campaigns_open_now_in_plain_french,
    the_pages_pass_axe_in_a_real_browser,
    an_address_is_verified_from_the_page_its_link_opens,
    a_forgotten_password_is_replaced_through_the_pages,
);

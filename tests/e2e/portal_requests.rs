//! A request filed in the portal: started in an open campaign, its CERFA sections saved step
//! by step (each mistake said at its field, what was typed kept), its budget balanced, the
//! page that lists what is missing, the attestation, the receipt; what the API then reads is
//! what the pages wrote. Someone else's request is not found, a forged form is refused.

use crate::grants::{grant_path, granted_today, submitted_asking};
use crate::portal::shown;
use crate::portal_associations::signed_in_browser;
use crate::portal_sessions::{csrf_of, sign_in};
use crate::requests::{City, act, create_draft, ready_association};
use serde_json::json;
use simpa_tests::browser::Browser;
use simpa_tests::client::{PASSWORD, association_body, rna, siret};
use simpa_tests::{Backend, TestApp, on_both_backends};

/// A browser signed in through the sign-in page as `email` (with the tests' password).
pub(crate) fn browser_of(app: &TestApp, email: &str) -> Browser {
    let browser = Browser::default();
    let signed = sign_in(&browser, app, email, PASSWORD, "/compte");
    assert_eq!(signed.status, 303, "{}", signed.body);
    browser
}

/// A page as `browser` reads it (it must answer 200), as the browser shows it.
fn page_of(browser: &Browser, app: &TestApp, path: &str) -> String {
    let (status, _, page) = browser.go(&app.url(path));
    assert_eq!(status, 200, "{path}: {page}");
    shown(&page)
}

fn a_treasurer_files_a_request_step_by_step_in_the_pages(backend: Backend) {
    // Where people reach the portal: the links of the e-mails carry it.
    let city = City::start_with(
        backend,
        &[("SIMPA_PUBLIC_URL", "http://portail.ville.test")],
    );
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "QUARTIERS_2027", "central", None);
    let campaign_id = campaign["id"].as_str().expect("id").to_owned();
    let (president, association) = ready_association(app, 1);
    let association_id = association["id"].as_str().expect("id").to_owned();
    let browser = Browser::default();
    let signed = sign_in(&browser, app, "president1@exemple.org", PASSWORD, "/compte");
    assert_eq!(signed.status, 303, "{}", signed.body);
    let post = |path: &str, fields: &[(&str, &str)]| {
        browser.submit(&app.url(path), fields, Some(&app.base))
    };

    // The association's page offers to start one; the form lists the campaigns open now.
    let (_, _, page) = browser.go(&app.url(&format!("/associations/{association_id}")));
    let new = format!("/associations/{association_id}/demandes/nouvelle");
    assert!(shown(&page).contains(&format!("href=\"{new}\"")), "{page}");
    let csrf = csrf_of(&browser, app, &new);
    let (_, _, page) = browser.go(&app.url(&new));
    assert!(page.contains("Campagne QUARTIERS_2027"), "{page}");
    let no_campaign = post(&new, &[("csrf", &csrf), ("title", "Ateliers d'écriture")]);
    assert_eq!(no_campaign.status, 422, "{}", no_campaign.body);
    assert!(
        shown(&no_campaign.body).contains("href=\"#campaign\"")
            && no_campaign.body.contains("Choisissez la campagne"),
        "{}",
        no_campaign.body
    );
    assert!(
        shown(&no_campaign.body).contains("value=\"Ateliers d'écriture\""),
        "what was typed stays: {}",
        no_campaign.body
    );
    let started = post(
        &new,
        &[
            ("csrf", &csrf),
            ("campaign", &campaign_id),
            ("title", "Ateliers d'écriture"),
        ],
    );
    assert_eq!(started.status, 303, "{}", started.body);
    let first_step = started.location.expect("the first step");
    let request = first_step
        .strip_prefix(&app.url("/demandes/"))
        .and_then(|rest| rest.strip_suffix("/projet"))
        .unwrap_or_else(|| panic!("{first_step}"))
        .to_owned();
    let at = |step: &str| format!("/demandes/{request}/{step}");

    // Its page: a draft, every step to complete, the check not ready.
    let (status, _, page) = browser.go(&app.url(&format!("/demandes/{request}")));
    assert_eq!(status, 200, "{page}");
    let page = shown(&page);
    assert!(page.contains("Brouillon</strong> depuis le"), "{page}");
    assert!(
        page.contains(&format!("href=\"{}\"", at("projet"))),
        "{page}"
    );
    assert!(page.contains("À compléter"), "{page}");

    // The project.
    let saved = post(
        &at("projet"),
        &[
            ("csrf", &csrf),
            ("title", "Ateliers d'écriture"),
            ("summary", "Des ateliers chaque semaine.\nAu centre social."),
            ("objectives", "Faire écrire 80 jeunes du quartier."),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.location.as_deref(),
        Some(app.url(&at("dates-et-lieux")).as_str())
    );

    // Dates: a date that does not exist is said at its field, and nothing is saved.
    let wrong = post(
        &at("dates-et-lieux"),
        &[
            ("csrf", &csrf),
            ("start_date", "31/02/2027"),
            ("end_date", "2027-12-31"),
            ("district_11", "oui"),
        ],
    );
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let body = shown(&wrong.body);
    assert!(
        body.contains("href=\"#start_date\"") && body.contains("id=\"start_date-erreur\""),
        "{body}"
    );
    assert!(body.contains("Saisissez une date réelle"), "{body}");
    assert!(body.contains("value=\"31/02/2027\""), "{body}");
    assert!(
        body.contains(
            "id=\"district_11\" name=\"district_11\" type=\"checkbox\" value=\"oui\" checked"
        ),
        "{body}"
    );
    let saved = post(
        &at("dates-et-lieux"),
        &[
            ("csrf", &csrf),
            ("start_date", "15/01/2027"),
            ("end_date", "2027-12-31"),
            ("district_11", "oui"),
            ("district_20", "oui"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);

    // Public and indicators: a count that is no number is said at its field.
    let public = [
        ("csrf", csrf.as_str()),
        ("target_public", "Jeunes de 12 à 18 ans"),
        ("expected_beneficiaries", "quatre-vingts"),
        ("indicators_0__name", "Jeunes accompagnés"),
        ("indicators_0__unit", "personnes"),
        ("indicators_0__target", "80"),
    ];
    let wrong = post(&at("public"), &public);
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(
        shown(&wrong.body).contains("href=\"#expected_beneficiaries\""),
        "{}",
        wrong.body
    );
    // A blank indicator row is left out, and a mistake is said at the row it was typed in.
    let second_row = post(
        &at("public"),
        &[
            ("csrf", csrf.as_str()),
            ("target_public", "Jeunes de 12 à 18 ans"),
            ("expected_beneficiaries", "-3"),
            ("indicators_1__name", "Ateliers tenus"),
            ("indicators_1__target", "40"),
        ],
    );
    assert_eq!(second_row.status, 422, "{}", second_row.body);
    let body = shown(&second_row.body);
    assert!(body.contains("ne peut pas être négatif"), "{body}");
    let second_row = post(
        &at("public"),
        &[
            ("csrf", csrf.as_str()),
            ("target_public", "Jeunes de 12 à 18 ans"),
            ("indicators_1__name", "Ateliers tenus"),
            ("indicators_1__target", "40"),
        ],
    );
    assert_eq!(second_row.status, 422, "{}", second_row.body);
    let body = shown(&second_row.body);
    assert!(body.contains("href=\"#indicators_1__unit\""), "{body}");
    assert!(!body.contains("href=\"#indicators_0__unit\""), "{body}");
    let mut public = public.to_vec();
    public[2].1 = "80";
    let saved = post(&at("public"), &public);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.location.as_deref(),
        Some(app.url(&at("budget")).as_str())
    );

    // The budget: an amount with cents is refused at its line, what was typed stays.
    let (_, _, page) = browser.go(&app.url(&at("budget")));
    let page = shown(&page);
    assert!(
        page.contains("<label for=\"l74_commune\">74 · Subvention : Commune(s)</label>"),
        "{page}"
    );
    assert!(page.contains("<script src=\"/static/budget."), "{page}");
    let mut budget = vec![
        ("csrf", csrf.as_str()),
        ("l60", "6 000"),
        ("l64", "4000"),
        ("l70", "2000"),
        ("l74_commune", "4000,50"),
    ];
    let wrong = post(&at("budget"), &budget);
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let body = shown(&wrong.body);
    assert!(body.contains("href=\"#l74_commune\""), "{body}");
    assert!(body.contains("en euros entiers, sans centimes"), "{body}");
    assert!(body.contains("value=\"6 000\""), "{body}");
    // Unbalanced, it is saved as the draft; the check lists what to fix, with its link.
    budget[4].1 = "4000";
    let saved = post(&at("budget"), &budget);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.location.as_deref(),
        Some(app.url(&at("verification")).as_str())
    );
    let (_, _, page) = browser.go(&app.url(&at("verification")));
    let page = shown(&page);
    assert!(
        page.contains(&format!("<a class=\"govuk-link\" href=\"{}#budget\">Le total des charges (10\u{202f}000\u{a0}€) doit être égal au total des produits (6\u{202f}000\u{a0}€).</a>", at("budget"))),
        "{page}"
    );
    assert!(
        !page.contains("name=\"attestation\""),
        "nothing to submit yet: {page}"
    );
    let (_, _, page) = browser.go(&app.url(&at("budget")));
    assert!(
        shown(&page).contains("Le total des charges (10\u{202f}000\u{a0}€) doit être égal"),
        "{page}"
    );
    budget.push(("l74_etat", "4000"));
    let saved = post(&at("budget"), &budget);
    assert_eq!(saved.status, 303, "{}", saved.body);

    // Nothing missing: the answers to read again, and the attestation to tick.
    let (_, _, page) = browser.go(&app.url(&at("verification")));
    let page = shown(&page);
    assert!(page.contains("Il ne manque rien"), "{page}");
    assert!(
        page.contains("Du 15 janvier 2027 au 31 décembre 2027"),
        "{page}"
    );
    assert!(
        page.contains("11e arrondissement, 20e arrondissement"),
        "{page}"
    );
    assert!(page.contains("Jeunes accompagnés : 80 personnes"), "{page}");
    assert!(
        page.contains("4\u{202f}000\u{a0}€ (40 % des produits)"),
        "{page}"
    );
    let unticked = post(&format!("/demandes/{request}/depot"), &[("csrf", &csrf)]);
    assert_eq!(unticked.status, 422, "{}", unticked.body);
    assert!(
        shown(&unticked.body).contains("href=\"#attestation\""),
        "{}",
        unticked.body
    );
    let (status, _, page) = browser.go(&app.url(&format!("/demandes/{request}")));
    assert_eq!(status, 200);
    assert!(
        page.contains("Brouillon</strong> depuis le"),
        "not submitted: {page}"
    );

    // Another person's browser: not found, whatever the page; a form without its token or
    // from another site is refused before anything is read.
    let stranger = signed_in_browser(app, "curieux@exemple.org");
    let stranger_csrf = csrf_of(&stranger, app, "/compte");
    for path in [
        format!("/demandes/{request}"),
        at("budget"),
        at("verification"),
    ] {
        let (status, _, page) = stranger.go(&app.url(&path));
        assert_eq!(status, 404, "{path}: {page}");
    }
    let (status, _) = stranger.post_form(
        &app.url(&at("projet")),
        &[("csrf", &stranger_csrf), ("title", "Volé")],
        Some(&app.base),
    );
    assert_eq!(status, 404);
    let (status, _) = browser.post_form(
        &app.url(&at("projet")),
        &[("title", "Sans jeton")],
        Some(&app.base),
    );
    assert_eq!(status, 403);
    let (status, _) = browser.post_form(
        &app.url(&at("projet")),
        &[("csrf", &csrf), ("title", "D'ailleurs")],
        Some("https://ailleurs.example"),
    );
    assert_eq!(status, 403);

    // Submitted: the receipt, then the request's page says where it stands.
    let submitted = post(
        &format!("/demandes/{request}/depot"),
        &[("csrf", &csrf), ("attestation", "oui")],
    );
    assert_eq!(submitted.status, 303, "{}", submitted.body);
    let receipt = submitted.location.expect("the receipt");
    assert_eq!(receipt, app.url(&format!("/demandes/{request}/recepisse")));
    let (status, _, page) = browser.go(&receipt);
    assert_eq!(status, 200, "{page}");
    let page = shown(&page);
    assert!(page.contains("Demande déposée"), "{page}");
    let view = app
        .get(
            &format!("/api/v1/requests/{request}"),
            Some(&president.access),
        )
        .expect(200)
        .clone();
    let number = view["number"].as_str().expect("a number");
    assert!(
        page.contains(&format!("<strong>{number}</strong>")),
        "{page}"
    );
    assert!(
        page.contains("vérifie que le dossier est complet"),
        "{page}"
    );
    // The acknowledgement's link leads to the request's page in the portal, where people
    // reach it (SIMPA_PUBLIC_URL).
    let acknowledgement = app.mailed("president1@exemple.org", &format!("%{number}%"));
    assert!(
        acknowledgement.contains(&format!("\nhttp://portail.ville.test/demandes/{request}")),
        "{acknowledgement}"
    );
    // What the API reads is what the pages wrote.
    assert_eq!(view["state"], "submitted");
    assert_eq!(
        view["summary"],
        "Des ateliers chaque semaine.\nAu centre social."
    );
    assert_eq!(view["start_date"], "2027-01-15");
    assert_eq!(view["districts"], serde_json::json!([11, 20]));
    assert_eq!(view["requested_cents"], 400_000);
    assert_eq!(view["expected_beneficiaries"], 80);
    let lines: Vec<(String, i64)> = view["budget"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["account"].as_str().unwrap_or("").to_owned(),
                l["amount_cents"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let expected: Vec<(String, i64)> = [
        ("60", 600_000),
        ("64", 400_000),
        ("70", 200_000),
        ("74", 400_000),
        ("74", 400_000),
    ]
    .iter()
    .map(|(a, c)| (a.to_string(), *c))
    .collect();
    assert_eq!(lines, expected);
    let (_, _, page) = browser.go(&app.url(&format!("/demandes/{request}")));
    let page = shown(&page);
    assert!(page.contains("Déposée") && page.contains(number), "{page}");
    assert!(!page.contains("Vérifier et déposer"), "{page}");
    // Its steps are no longer open: their pages lead back to the request, and a form posted
    // anyway is refused with the reason.
    let (status, location, _) = browser.go(&app.url(&at("budget")));
    assert_eq!(
        (status, location),
        (303, Some(app.url(&format!("/demandes/{request}"))))
    );
    let late = post(&at("projet"), &[("csrf", &csrf), ("title", "Trop tard")]);
    assert_eq!(
        late.location,
        Some(app.url(&format!("/demandes/{request}"))),
        "{}",
        late.body
    );
    let view = app
        .get(
            &format!("/api/v1/requests/{request}"),
            Some(&president.access),
        )
        .expect(200)
        .clone();
    assert_eq!(view["title"], "Ateliers d'écriture");
    let (_, _, page) = browser.go(&app.url(&format!("/associations/{association_id}")));
    assert!(
        shown(&page).contains(&format!("href=\"/demandes/{request}\"")),
        "{page}"
    );
}

fn a_treasurer_follows_answers_and_withdraws_a_request_in_the_pages(backend: Backend) {
    // Where people reach the portal: the links of the e-mails carry it.
    let city = City::start_with(
        backend,
        &[("SIMPA_PUBLIC_URL", "http://portail.ville.test")],
    );
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "QUARTIERS_2027", "central", None);
    let (president, association) = ready_association(app, 2);
    let draft = create_draft(app, &president, &campaign, &association);
    let request = draft["id"].as_str().expect("id").to_owned();
    act(app, &president, &request, json!({"action": "submit"})).expect(200);
    let browser = browser_of(app, "president2@exemple.org");
    let page_of = |path: &str| page_of(&browser, app, path);
    let request_page = format!("/demandes/{request}");

    // Submitted: where it stands, the city's deadline, the documents attached, the history.
    let page = page_of(&request_page);
    assert!(page.contains("Déposée</strong> depuis le"), "{page}");
    assert!(
        page.contains("Le bureau des subventions vérifie que le dossier est complet"),
        "{page}"
    );
    let holder = |page: &str, who: &str| {
        page.contains(&format!(
            "Entre les mains de</dt>\n    <dd class=\"govuk-summary-list__value\">{who}</dd>"
        ))
    };
    assert!(holder(&page, "Bureau des subventions"), "{page}");
    assert!(
        page.contains("La vérification du dossier doit aboutir en"),
        "{page}"
    );
    assert!(
        page.contains("<h2 class=\"govuk-heading-m\">Pièces jointes au dépôt</h2>"),
        "{page}"
    );
    assert!(page.contains("<strong>Demande déposée</strong>"), "{page}");
    assert!(
        page.contains(
            "href=\"/demandes/{request}/retrait\""
                .replace("{request}", &request)
                .as_str()
        ),
        "{page}"
    );
    assert!(!page.contains("Compléter la demande"), "{page}");

    // The bureau asks for a document and a part of the request: the page lists them, each
    // linked to where it is answered, and the e-mail leads to the page.
    let due_on = (app.today() + chrono::Duration::days(15)).to_string();
    let ask = json!({"action": "ask_documents", "items": [{"document_kind": "rib", "reason": "incorrect"}, {"field": "budget", "reason": "incorrect"}], "message": "Le RIB ne porte pas le nom de l'association.", "due_on": due_on});
    act(app, &city.bureau, &request, ask).expect(200);
    let mail = app.mailed(
        "president2@exemple.org",
        "Pièces ou informations demandées%",
    );
    assert!(
        mail.contains(&format!("http://portail.ville.test{request_page}")),
        "{mail}"
    );
    let page = page_of(&request_page);
    let association_id = association["id"].as_str().expect("id");
    assert!(page.contains("La Ville vous demande"), "{page}");
    assert!(holder(&page, "L'association"), "{page}");
    assert!(
        page.contains("Le RIB ne porte pas le nom de l'association."),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<a class=\"govuk-link\" href=\"/associations/{association_id}/documents#piece-rib\">"
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!("<a class=\"govuk-link\" href=\"/demandes/{request}/budget\">Le budget : le budget</a> (incorrect)")),
        "{page}"
    );
    assert!(page.contains("Le délai de la Ville est suspendu"), "{page}");
    assert!(page.contains("Vérifier et renvoyer"), "{page}");

    // Three days later, the treasurer files a RIB in the association's name, corrects the
    // budget and sends the request back.
    app.clock.advance(chrono::TimeDelta::days(3));
    simpa_tests::documents::file_kind(app, &president, &association, "rib", "corrigé");
    let signed = sign_in(&browser, app, "president2@exemple.org", PASSWORD, "/compte");
    assert_eq!(signed.status, 303, "signed in again: {}", signed.body);
    let csrf = csrf_of(&browser, app, &format!("/demandes/{request}/budget"));
    let post = |path: &str, fields: &[(&str, &str)]| {
        browser.submit(&app.url(path), fields, Some(&app.base))
    };
    let budget = [
        ("csrf", csrf.as_str()),
        ("l60", "6000"),
        ("l64", "4000"),
        ("l70", "2000"),
        ("l74_commune", "4000"),
        ("l74_etat", "4000"),
        ("l864", "1000"),
        ("l870", "1500"),
    ];
    let saved = post(&format!("/demandes/{request}/budget"), &budget);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = page_of(&format!("/demandes/{request}/verification"));
    assert!(page.contains("Les emplois des contributions volontaires en nature (compte 86 : 1\u{202f}000\u{a0}€) doivent égaler les contributions reçues (compte 87 : 1\u{202f}500\u{a0}€)."), "{page}");
    let mut budget = budget.to_vec();
    budget[7].1 = "1000";
    let saved = post(&format!("/demandes/{request}/budget"), &budget);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = page_of(&format!("/demandes/{request}/verification"));
    assert!(page.contains("Renvoyer la demande</button>"), "{page}");
    let sent = post(
        &format!("/demandes/{request}/depot"),
        &[("csrf", &csrf), ("attestation", "oui")],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let receipt = page_of(&format!("/demandes/{request}/recepisse"));
    assert!(
        receipt.contains("<h1 class=\"govuk-panel__title\">Demande renvoyée</h1>"),
        "{receipt}"
    );
    assert!(receipt.contains("la Ville reprend son examen"), "{receipt}");
    let view = app
        .get(
            &format!("/api/v1/requests/{request}"),
            Some(&president.access),
        )
        .expect(200)
        .clone();
    assert_eq!(view["state"], "submitted");
    let page = page_of(&request_page);
    assert!(
        page.contains("<strong>Demande complétée et renvoyée</strong>"),
        "{page}"
    );
    assert!(
        page.contains("elle a attendu votre réponse 3 jours."),
        "{page}"
    );

    // Someone else may not withdraw it; the president does, saying why.
    let stranger = signed_in_browser(app, "intrus@exemple.org");
    let stranger_csrf = csrf_of(&stranger, app, "/compte");
    let (status, _, _) = stranger.go(&app.url(&format!("/demandes/{request}/retrait")));
    assert_eq!(status, 404);
    let (status, _) = stranger.post_form(
        &app.url(&format!("/demandes/{request}/retrait")),
        &[("csrf", &stranger_csrf)],
        Some(&app.base),
    );
    assert_eq!(status, 404);
    let page = page_of(&format!("/demandes/{request}/retrait"));
    assert!(
        page.contains("Une demande retirée ne peut plus être instruite"),
        "{page}"
    );
    let withdrawn = post(
        &format!("/demandes/{request}/retrait"),
        &[
            ("csrf", &csrf),
            ("reason", "Le projet est reporté à l'an prochain."),
        ],
    );
    assert_eq!(
        withdrawn.location,
        Some(app.url(&request_page)),
        "{}",
        withdrawn.body
    );
    let page = page_of(&request_page);
    assert!(page.contains("Retirée</strong>"), "{page}");
    assert!(page.contains("<strong>Demande retirée</strong>"), "{page}");
    assert!(
        page.contains("Le projet est reporté à l'an prochain."),
        "{page}"
    );
    assert!(!page.contains("/retrait"), "no second withdrawal: {page}");
    let (status, location, _) = browser.go(&app.url(&format!("/demandes/{request}/retrait")));
    assert_eq!((status, location), (303, Some(app.url(&request_page))));
}

fn the_president_reads_and_signs_the_agreement_and_follows_the_payments(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, request) = submitted_asking(app, 3, &campaign, 3_000_000);
    granted_today(&city, "2027 DAC 41", &[(&request, 2_500_000)]);
    let browser = browser_of(app, "president3@exemple.org");
    let page_of = |path: &str| page_of(&browser, app, path);
    let request_page = format!("/demandes/{request}");
    let agreement_page = format!("/demandes/{request}/convention");

    // Voted: less than asked, by which deliberation; the agreement waits for the association.
    let page = page_of(&request_page);
    assert!(page.contains("Subvention accordée</strong>"), "{page}");
    assert!(
        page.contains("<strong>25\u{202f}000\u{a0}€</strong> pour 30\u{202f}000\u{a0}€ demandés : la Ville accorde moins que le montant demandé"),
        "{page}"
    );
    assert!(
        page.contains("délibération 2027 DAC 41 « Subventions »"),
        "{page}"
    );
    assert!(
        page.contains(&format!("href=\"{agreement_page}\"")),
        "{page}"
    );
    assert!(page.contains(": à signer par l'association"), "{page}");
    assert!(
        page.contains("0\u{a0}€ versés, 25\u{202f}000\u{a0}€ restant à verser"),
        "{page}"
    );
    assert!(page.contains("À déposer avant le 30 juin 2028"), "{page}");

    // The agreement's text, and the form that signs it: the box must be ticked.
    let page = page_of(&agreement_page);
    assert!(
        page.contains(
            "Pour l'association</dt>\n    <dd class=\"govuk-summary-list__value\">Pas encore signée"
        ),
        "{page}"
    );
    assert!(
        page.contains("une subvention de 25\u{202f}000\u{a0}€ pour l'année 2027"),
        "{page}"
    );
    let csrf = crate::portal::hidden(&page, "csrf");
    let version = crate::portal::hidden(&page, "version");
    // A treasurer of the association reads it but may not sign it: no form, and one sent
    // anyway is refused, saying who signs (the president signs below, which an earlier
    // signature would forbid).
    let association = app
        .get(
            &format!("/api/v1/requests/{request}"),
            Some(&president.access),
        )
        .expect(200)["association"]
        .clone();
    let treasurer_email = "tresorier3@exemple.org";
    let treasurer = app.new_user(treasurer_email);
    let token = crate::members::invite(app, &president, &association, treasurer_email, "treasurer");
    crate::members::accept(app, &treasurer, &token).expect(201);
    let treasurer = browser_of(app, treasurer_email);
    let (status, _, their_page) = treasurer.go(&app.url(&agreement_page));
    assert_eq!(status, 200, "{their_page}");
    assert!(!their_page.contains("je la signe"), "{their_page}");
    let their_csrf = csrf_of(&treasurer, app, &agreement_page);
    let refused = treasurer.submit(
        &app.url(&agreement_page),
        &[
            ("csrf", &their_csrf),
            ("version", &version),
            ("read", "oui"),
        ],
        Some(&app.base),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        shown(&refused.body).contains("Seul le président ou la présidente de l'association signe"),
        "{}",
        refused.body
    );
    let unticked = browser.submit(
        &app.url(&agreement_page),
        &[("csrf", &csrf), ("version", &version)],
        Some(&app.base),
    );
    assert_eq!(unticked.status, 422, "{}", unticked.body);
    assert!(
        shown(&unticked.body).contains("href=\"#read\""),
        "{}",
        unticked.body
    );
    let stranger = signed_in_browser(app, "voisin@exemple.org");
    let (status, _, _) = stranger.go(&app.url(&agreement_page));
    assert_eq!(status, 404);
    let signing = browser.submit(
        &app.url(&agreement_page),
        &[("csrf", &csrf), ("version", &version), ("read", "oui")],
        Some(&app.base),
    );
    assert_eq!(
        signing.location,
        Some(app.url(&agreement_page)),
        "{}",
        signing.body
    );
    let page = page_of(&agreement_page);
    assert!(
        page.contains("Signée par Test president3@exemple.org le"),
        "{page}"
    );
    assert!(!page.contains("Signer la convention</button>"), "{page}");
    let grant = app
        .get(&grant_path(&request), Some(&president.access))
        .expect(200)
        .clone();
    assert_eq!(grant["agreement"]["status"], "signed_by_association");

    // The city countersigns, finance pays: the payment shows on the request's page.
    let agreement = grant["agreement"]["id"].as_str().expect("id");
    app.send(
        app.request(
            reqwest::Method::POST,
            &format!("/api/v1/agreements/{agreement}/countersign"),
        )
        .bearer_auth(&city.bureau.access)
        .header("If-Match", "*")
        .json(&json!({})),
    )
    .expect(200);
    let finance = app.staff(
        &city.admin,
        "finance@ville.test",
        json!({"kind": "finance"}),
    );
    app.post(
        &format!("{}/payments", grant_path(&request)),
        Some(&finance.access),
        &json!({"amount_cents": 1_000_000, "paid_on": app.today(), "reference": "MDT-2027-0042"}),
    )
    .expect(201);
    let page = page_of(&request_page);
    assert!(page.contains(": signée par les deux parties"), "{page}");
    assert!(page.contains("MDT-2027-0042"), "{page}");
    assert!(
        page.contains("10\u{202f}000\u{a0}€ versés, 15\u{202f}000\u{a0}€ restant à verser"),
        "{page}"
    );

    // The final report: each line planned beside what was carried out.
    let report = format!("/demandes/{request}/compte-rendu");
    assert!(
        page.contains(&format!(
            "href=\"{report}\">Déposer ou consulter le compte rendu financier"
        )),
        "{page}"
    );
    let page = page_of(&report);
    assert!(
        page.contains("<label for=\"r0\">60 · Achats</label>"),
        "{page}"
    );
    assert!(page.contains("32\u{202f}000\u{a0}€"), "{page}");
    let csrf = crate::portal::hidden(&page, "csrf");
    let post = |fields: &[(&str, &str)]| browser.submit(&app.url(&report), fields, Some(&app.base));
    let mut lines = vec![
        ("csrf", csrf.as_str()),
        ("r0", "trente"),
        ("r1", "4000"),
        ("r2", "2000"),
        ("r3", "30000"),
        ("r4", "0"),
        ("r5", "1000"),
        ("r6", "1000"),
        ("summary", "Quarante ateliers, au centre social."),
    ];
    let wrong = post(&lines);
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(
        shown(&wrong.body).contains("href=\"#r0\""),
        "{}",
        wrong.body
    );
    assert!(
        shown(&wrong.body).contains(">Quarante ateliers, au centre social.</textarea>"),
        "what was typed stays"
    );
    // Unbalanced, an indicator without its value, a line far from the plan without the annex:
    // every rule at its place.
    lines[1].1 = "20000";
    let wrong = post(&lines);
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let body = shown(&wrong.body);
    for anchor in ["#budget", "#indicators", "#annex"] {
        assert!(
            body.contains(&format!("href=\"{anchor}\"")),
            "{anchor}: {body}"
        );
    }
    assert!(
        body.contains("Indiquez la valeur atteinte de l'indicateur prévu « Jeunes accompagnés »"),
        "{body}"
    );
    lines[1].1 = "28000";
    lines.push(("achieved_0", "75"));
    lines.push((
        "annex",
        "La DRAC n'a finalement rien versé : les achats ont été réduits.",
    ));
    let filed = post(&lines);
    assert_eq!(filed.location, Some(app.url(&report)), "{}", filed.body);
    let page = page_of(&report);
    assert!(page.contains("Déposé, en cours d'examen"), "{page}");
    assert!(
        page.contains("<span class=\"simpa-nowrap\">0\u{a0}€</span> <span class=\"simpa-nowrap\">(0\u{a0}%)</span> <strong>écart de plus de 15 %</strong>"),
        "{page}"
    );
    assert!(!page.contains("Déposer le compte rendu</button>"), "{page}");
    let stranger_page = stranger.go(&app.url(&report));
    assert_eq!(stranger_page.0, 404);
    let view = app
        .get(
            &format!("/api/v1/requests/{request}/final-report"),
            Some(&president.access),
        )
        .expect(200)
        .clone();
    assert_eq!(view["status"], "filed");
    // The whole report as filed: the indicator against its target, the summary, the annex.
    for said in [
        "Jeunes accompagnés",
        "Quarante ateliers, au centre social.",
        "La DRAC n'a finalement rien versé",
    ] {
        assert!(page.contains(said), "{said}: {page}");
    }

    // The city asks for changes: the page says why, the form comes back as it was filed.
    let report_path = format!("/api/v1/requests/{request}/final-report");
    app.post(
        &format!("{report_path}/ask-changes"),
        Some(&city.dac.access),
        &json!({"reason": "Joignez le détail des achats."}),
    )
    .expect(200);
    let page = page_of(&report);
    assert!(page.contains("À reprendre"), "{page}");
    assert!(
        page.contains("La Ville demande de le reprendre : <span class=\"simpa-paragraphs\">Joignez le détail des achats.</span>"),
        "{page}"
    );
    assert!(page.contains("Déposer le compte rendu</button>"), "{page}");
    assert!(page.contains("value=\"28000\""), "{page}");
    // Filed again, and accepted: the page says so.
    let annex = "La DRAC n'a finalement rien versé : les achats ont été réduits (détail joint).";
    *lines.last_mut().expect("the annex") = ("annex", annex);
    let filed = post(&lines);
    assert_eq!(filed.location, Some(app.url(&report)), "{}", filed.body);
    app.post(
        &format!("{report_path}/accept"),
        Some(&city.dac.access),
        &json!({}),
    )
    .expect(200);
    let page = page_of(&report);
    assert!(page.contains(">Accepté</strong>"), "{page}");
    assert!(page.contains("(détail joint)"), "{page}");
    assert!(!page.contains("Déposer le compte rendu</button>"), "{page}");
}

/// Once submitted, a request's page is kept for its association's members: read again, it is
/// the same page, with the clock and the browser's anti-forgery token filled in at each
/// answer (each browser its own); once what it is made from changes (here the association's
/// name), it is made again.
fn a_request_page_is_kept_for_its_members_until_what_it_shows_changes(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, request) = submitted_asking(app, 3, &campaign, 3_000_000);
    let path = format!("/demandes/{request}");
    let browser = browser_of(app, "president3@exemple.org");
    let (status, _, made) = browser.go(&app.url(&path));
    assert_eq!(status, 200, "{made}");
    let (status, _, kept) = browser.go(&app.url(&path));
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept, made);
    // The header's form carries the browser's own token, the one its forms were given.
    let token = crate::portal::hidden(&kept, "csrf");
    assert_eq!(token, csrf_of(&browser, app, "/compte"));
    assert!(
        !kept.contains("<token>") && !kept.contains("<!--simpa:"),
        "{kept}"
    );
    assert!(
        shown(&kept).contains("La Ville a eu la demande pendant moins d'un jour."),
        "{kept}"
    );
    assert!(shown(&kept).contains("Association 3 · "), "{kept}");

    // Another browser of the same member: the same page, with its own token.
    let other = browser_of(app, "president3@exemple.org");
    let (_, _, theirs) = other.go(&app.url(&path));
    let their_token = crate::portal::hidden(&theirs, "csrf");
    assert_ne!(their_token, token);
    assert!(theirs.contains(&their_token) && !theirs.contains(&token));
    assert_eq!(theirs.replace(&their_token, &token), kept);

    // The association is renamed: the page is made again.
    let read = app
        .get(
            &format!("/api/v1/requests/{request}"),
            Some(&president.access),
        )
        .expect(200)
        .clone();
    let association = read["association"]["id"].as_str().expect("an id");
    app.put(
        &format!("/api/v1/associations/{association}"),
        Some(&president.access),
        Some("\"1\""),
        &association_body("Les Tréteaux du Onzième", &rna(3), &siret(3)),
    )
    .expect(200);
    let page = page_of(&browser, app, &path);
    assert!(page.contains("Les Tréteaux du Onzième · "), "{page}");
    assert!(!page.contains("Association 3 · "), "{page}");

    // Someone else's request is still not found, kept or not; without a session, or once
    // signed out, the page is the sign-in page's, which comes back here.
    let stranger = signed_in_browser(app, "voisin@exemple.org");
    let (status, _, _) = stranger.go(&app.url(&path));
    assert_eq!(status, 404);
    let to_sign_in = Some(app.url(&format!("/connexion?retour=%2Fdemandes%2F{request}")));
    let (status, location, _) = Browser::default().go(&app.url(&path));
    assert_eq!((status, location), (303, to_sign_in.clone()));
    let signed_out = browser.submit(
        &app.url("/deconnexion"),
        &[("csrf", &token)],
        Some(&app.base),
    );
    assert!(
        shown(&signed_out.body).contains("Vous êtes déconnecté"),
        "{}",
        signed_out.body
    );
    let (status, location, _) = browser.go(&app.url(&path));
    assert_eq!((status, location), (303, to_sign_in));

    // A day later the clock reads a day more: the kept page is made again.
    app.clock.advance(chrono::TimeDelta::days(1));
    let next_day = browser_of(app, "president3@exemple.org");
    let page = page_of(&next_day, app, &path);
    assert!(
        page.contains("La Ville a eu la demande pendant 1 jour."),
        "{page}"
    );
    assert_eq!(page_of(&next_day, app, &path), page);
}

on_both_backends!(
    a_request_page_is_kept_for_its_members_until_what_it_shows_changes,
    the_president_reads_and_signs_the_agreement_and_follows_the_payments,
    a_treasurer_files_a_request_step_by_step_in_the_pages,
    a_treasurer_follows_answers_and_withdraws_a_request_in_the_pages,
);

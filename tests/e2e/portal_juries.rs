//! The juries of calls for projects in the portal, over HTTP, on both databases: a juror
//! declares their interests before reading, scores a draft then hands it in (each mistake said
//! at its field), recuses themselves from another; the chair sees who has scored what, closes
//! the session, reads the ranking with and without normalisation and validates it. What the
//! policy refuses is not found.

use crate::portal::shown;
use crate::portal_requests::browser_of;
use crate::portal_sessions::csrf_of;
use crate::requests::{City, act, campaign_body, id, opinion, path, submitted};
use serde_json::json;
use simpa_tests::browser::{Browser, Sent};
use simpa_tests::{Backend, TestApp, on_both_backends};

fn read(browser: &Browser, app: &TestApp, path: &str) -> (u16, String) {
    let (status, _, page) = browser.go(&app.url(path));
    (status, shown(&page))
}

fn post(browser: &Browser, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Sent {
    let csrf = csrf_of(browser, app, "/compte");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    browser.submit(&app.url(path), &form, Some(&app.base))
}

fn a_jury_works_in_the_portal_from_declaration_to_validation(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let bureau = &city.bureau;
    let mut body = campaign_body(app, "AAP_QUARTIERS", "call_for_projects", None);
    body["envelope_cents"] = json!(1_000_000);
    let campaign = app.post("/api/v1/campaigns", Some(&bureau.access), &body);
    let campaign = campaign.expect(201).clone();
    let call = id(&campaign);
    app.post(
        &format!("/api/v1/campaigns/{call}/publish"),
        Some(&bureau.access),
        &json!({}),
    )
    .expect(200);
    let mut requests = Vec::new();
    for n in 1..=3 {
        let (president, _, request) = submitted(app, n, &campaign);
        city.admit_and_dispatch(&request, "DAC", &[]);
        act(app, &city.dac, &request, opinion("favourable", 400_000)).expect(200);
        requests.push((president, request));
    }
    let juror = |email: &str| app.staff(&city.admin, email, json!({"kind": "juror"}));
    let (chair, second) = (juror("presidente@ville.test"), juror("jure@ville.test"));
    let jury = format!("/api/v1/campaigns/{call}/jury");
    let grid = json!({
        "criteria": [
            {"label": "Utilité pour le quartier", "description": "Qui en profite, combien", "weight": 3, "max_points": 10},
            {"label": "Faisabilité", "weight": 1, "max_points": 5}
        ],
        "min_score": 0, "min_scores": 1, "normalise": false, "last_request": "partial"
    });
    app.post(&jury, Some(&bureau.access), &grid).expect(201);
    for (juror, chairs) in [(&chair, true), (&second, false)] {
        let member = json!({"account_id": juror.id, "chair": chairs});
        app.post(&format!("{jury}/members"), Some(&bureau.access), &member)
            .expect(200);
    }
    app.post(&format!("{jury}/seats"), Some(&chair.access), &json!({}))
        .expect(200);
    let [(member, first), (_, recused), (_, third)] = &requests[..] else {
        unreachable!()
    };

    // The juror finds the call and what waits for them.
    let juror_page = browser_of(app, "jure@ville.test");
    let (_, account) = read(&juror_page, app, "/compte");
    assert!(account.contains("href=\"/jury\""), "{account}");
    let (status, list) = read(&juror_page, app, "/jury");
    assert_eq!(status, 200, "{list}");
    assert!(list.contains(&format!("href=\"/jury/{call}\"")), "{list}");
    let jury_page = format!("/jury/{call}");
    let (_, work) = read(&juror_page, app, &jury_page);
    assert_eq!(work.matches("Déclaration à faire").count(), 3, "{work}");
    assert!(!work.contains("Clore la session"), "{work}");

    // Before reading: the declaration, then the request and its grid.
    let seat = format!("/jury/demandes/{first}");
    let (_, before) = read(&juror_page, app, &seat);
    assert!(before.contains("Votre déclaration d'intérêts"), "{before}");
    assert!(!before.contains("La grille de notation"), "{before}");
    let silent = post(&juror_page, app, &format!("{seat}/declaration"), &[]);
    assert_eq!(silent.status, 422, "{}", silent.body);
    assert!(shown(&silent.body).contains("href=\"#declaration\""));
    let cleared = post(
        &juror_page,
        app,
        &format!("{seat}/declaration"),
        &[("declaration", "no_conflict")],
    );
    assert_eq!(
        cleared.location,
        Some(app.url(&format!("{seat}?fait=declaration")))
    );
    let (_, sheet) = read(&juror_page, app, &seat);
    assert!(
        sheet.contains("Utilité pour le quartier") && sheet.contains("(coefficient 3)"),
        "{sheet}"
    );
    assert!(
        sheet.contains("name=\"comment-1\" rows=\"5\"></textarea>"),
        "an empty comment is empty: {sheet}"
    );
    assert!(
        sheet.contains("Ateliers d'écriture"),
        "the request is read: {sheet}"
    );

    // A draft: a point out of range said at its field, then kept; handing in an incomplete
    // sheet is refused; complete, it is handed in and no longer changes.
    let score = |fields: &[(&str, &str)]| post(&juror_page, app, &format!("{seat}/fiche"), fields);
    let beyond = score(&[
        ("points-0", "12"),
        ("points-1", ""),
        ("comment-0", ""),
        ("comment-1", ""),
        ("rendre", "non"),
    ]);
    assert_eq!(beyond.status, 422, "{}", beyond.body);
    assert!(
        shown(&beyond.body).contains("href=\"#points-0\""),
        "{}",
        beyond.body
    );
    let draft = score(&[
        ("points-0", "8"),
        ("points-1", ""),
        ("comment-0", "Bien ancré"),
        ("comment-1", ""),
        ("rendre", "non"),
    ]);
    assert_eq!(
        draft.location,
        Some(app.url(&format!("{seat}?fait=brouillon")))
    );
    let (_, sheet) = read(&juror_page, app, &seat);
    assert!(
        sheet.contains("value=\"8\"") && sheet.contains("Bien ancré"),
        "{sheet}"
    );
    let incomplete = score(&[
        ("points-0", "8"),
        ("points-1", ""),
        ("comment-0", ""),
        ("comment-1", ""),
        ("rendre", "oui"),
    ]);
    assert_eq!(incomplete.status, 422, "{}", incomplete.body);
    let body = shown(&incomplete.body);
    assert!(
        body.contains("href=\"#points-1\"")
            && body.contains("Notez « Faisabilité » avant de remettre la fiche."),
        "{body}"
    );
    let handed = score(&[
        ("points-0", "8"),
        ("points-1", "4"),
        ("comment-0", "Bien ancré"),
        ("comment-1", ""),
        ("rendre", "oui"),
    ]);
    assert_eq!(
        handed.location,
        Some(app.url(&format!("{seat}?fait=rendue")))
    );
    let (_, sheet) = read(&juror_page, app, &seat);
    // (3 × 8 + 4) / (3 × 10 + 5) = 80 out of 100.
    assert!(sheet.contains("note pondérée : 80,0 sur 100"), "{sheet}");
    assert!(!sheet.contains("Remettre la fiche</button>"), "{sheet}");
    let again = score(&[("points-0", "1"), ("points-1", "1"), ("rendre", "oui")]);
    assert_eq!(again.status, 422, "{}", again.body);

    // A conflict recuses them: the request leaves their page and their reach.
    let conflict = post(
        &juror_page,
        app,
        &format!("/jury/demandes/{recused}/declaration"),
        &[
            ("declaration", "conflict"),
            ("reason", "Je suis bénévole dans cette association."),
        ],
    );
    assert_eq!(conflict.location, Some(app.url(&jury_page)));
    assert_eq!(
        read(&juror_page, app, &format!("/jury/demandes/{recused}")).0,
        404
    );
    let (_, work) = read(&juror_page, app, &jury_page);
    assert!(
        !work.contains(&format!("/jury/demandes/{recused}\"")),
        "{work}"
    );
    assert!(work.contains("Remise le"), "{work}");

    // The chair scores through the API (the same use cases), sees who scored what, closes.
    for request in [first, recused, third] {
        let sheet_path = format!("{}/jury", path(request));
        app.put(
            &format!("{sheet_path}/declaration"),
            Some(&chair.access),
            None,
            &json!({"declaration": "no_conflict"}),
        )
        .expect(200);
        let marks = json!({"scores": [{"points": 6}, {"points": 3}], "hand_in": true});
        app.put(
            &format!("{sheet_path}/sheet"),
            Some(&chair.access),
            None,
            &marks,
        )
        .expect(200);
    }
    let chair_page = browser_of(app, "presidente@ville.test");
    let (_, work) = read(&chair_page, app, &jury_page);
    assert!(work.contains("Test jure@ville.test : récusé·e"), "{work}");
    assert!(work.contains("Test jure@ville.test : remise le"), "{work}");
    assert!(
        work.contains("Test jure@ville.test : déclaration à faire"),
        "{work}"
    );
    // The ranking is the chair's once the session is closed, not the juror's.
    let ranking = format!("{jury_page}/classement");
    assert_eq!(read(&chair_page, app, &ranking).0, 404);
    assert_eq!(
        post(&juror_page, app, &format!("{jury_page}/cloture"), &[]).status,
        404
    );
    let closed = post(&chair_page, app, &format!("{jury_page}/cloture"), &[]);
    assert_eq!(
        closed.location,
        Some(app.url(&format!("{jury_page}?fait=cloture")))
    );
    let twice = post(&chair_page, app, &format!("{jury_page}/cloture"), &[]);
    assert_eq!(twice.status, 422, "{}", twice.body);
    assert!(
        shown(&twice.body).contains("href=\"#cloture\""),
        "{}",
        twice.body
    );
    let (status, minutes) = read(&chair_page, app, &ranking);
    assert_eq!(status, 200, "{minutes}");
    // The first: its two sheets' mean (80 and 60), above the others' 60.
    let number = |r: &str| {
        app.get(&path(r), Some(&bureau.access)).expect(200)["number"]
            .as_str()
            .expect("a number")
            .to_owned()
    };
    let at = |r: &str| minutes.find(&number(r)).expect("ranked");
    assert!(
        at(first) < at(third) && at(first) < at(recused),
        "{minutes}"
    );
    assert!(minutes.contains("70,0"), "{minutes}");
    assert!(minutes.contains("Avec normalisation"), "{minutes}");
    assert!(
        minutes.contains(&simpa_domain::money::euros(1_000_000)),
        "{minutes}"
    );
    assert_eq!(read(&juror_page, app, &ranking).0, 404);
    let validated = post(&chair_page, app, &format!("{jury_page}/validation"), &[]);
    assert_eq!(
        validated.location,
        Some(app.url(&format!("{ranking}?fait=validee"))),
        "{}",
        validated.body
    );
    let state = |r: &str| app.get(&path(r), Some(&bureau.access)).expect(200)["state"].clone();
    assert_eq!(state(first), "ranked");
    let (_, minutes) = read(&chair_page, app, &format!("{ranking}?fait=validee"));
    assert!(minutes.contains("Classement validé"), "{minutes}");
    assert!(
        !minutes.contains("Valider le classement</button>"),
        "{minutes}"
    );

    // No one else: a direction, an applicant, nor a juror on another's seat.
    let dac = browser_of(app, "dac@ville.test");
    assert_eq!(read(&dac, app, &jury_page).0, 404);
    let (_, none) = read(&dac, app, "/jury");
    assert!(none.contains("Vous ne siégez dans aucun jury"), "{none}");
    let applicant = browser_of(app, &member.email);
    assert_eq!(read(&applicant, app, &seat).0, 404);
    assert_eq!(
        post(
            &applicant,
            app,
            &format!("{seat}/declaration"),
            &[("declaration", "no_conflict")]
        )
        .status,
        404
    );
    // The bureau sees every jury.
    let bureau_page = browser_of(app, "bureau@ville.test");
    let (_, all) = read(&bureau_page, app, "/jury");
    assert!(all.contains(&format!("href=\"/jury/{call}\"")), "{all}");
}

/// The bureau sets up a call's jury in the portal: its grid and rules (a number typed wrong,
/// a criterion without its label on its own line, a minimum out of range, each said at its
/// field; a stale version refused), its jurors (holders of the juror's role only), seats them
/// and withdraws one. Nobody else reaches it, and a campaign that is no call has no jury.
fn the_bureau_sets_up_a_call_s_jury_in_the_portal(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let body = campaign_body(app, "AAP_JARDINS", "call_for_projects", None);
    let campaign = app.post("/api/v1/campaigns", Some(&city.bureau.access), &body);
    let call = id(campaign.expect(201));
    let juror = app.staff(&city.admin, "jure@ville.test", json!({"kind": "juror"}));
    let bureau = browser_of(app, "bureau@ville.test");
    let (_, page) = read(&bureau, app, &format!("/agents/campagnes/{call}"));
    assert!(
        page.contains(&format!("href=\"/agents/campagnes/{call}/jury\"")),
        "{page}"
    );
    let setup = format!("/agents/campagnes/{call}/jury");
    let (status, page) = read(&bureau, app, &setup);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Créer le jury"), "{page}");
    let jury = || {
        app.get(
            &format!("/api/v1/campaigns/{call}/jury"),
            Some(&city.bureau.access),
        )
    };
    // Refused at their fields, the second criterion's label on the line it was typed on.
    let refused = post(
        &bureau,
        app,
        &setup,
        &[
            ("critere-0-label", "Utilité"),
            ("critere-0-weight", "trois"),
            ("critere-0-max_points", "10"),
            ("critere-2-weight", "1"),
            ("critere-2-max_points", "5"),
            ("min_scores", "1"),
            ("min_score", "0"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        shown(&refused.body).contains("href=\"#critere-0-weight\""),
        "{}",
        refused.body
    );
    let refused = post(
        &bureau,
        app,
        &setup,
        &[
            ("critere-0-label", "Utilité"),
            ("critere-0-weight", "3"),
            ("critere-0-max_points", "10"),
            ("critere-2-weight", "1"),
            ("critere-2-max_points", "5"),
            ("min_scores", "1"),
            ("min_score", "150"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    let body = shown(&refused.body);
    assert!(
        body.contains("href=\"#critere-2-label\"") && body.contains("href=\"#min_score\""),
        "{body}"
    );
    assert_eq!(jury().status, 404, "nothing made");
    let rules = [
        ("critere-0-label", "Utilité pour le quartier"),
        ("critere-0-description", "Qui en profite"),
        ("critere-0-weight", "3"),
        ("critere-0-max_points", "10"),
        ("critere-1-label", "Faisabilité"),
        ("critere-1-weight", "1"),
        ("critere-1-max_points", "5"),
        ("min_scores", "1"),
        ("min_score", "0"),
        ("last_request", "skip"),
        ("jurors_per_request", "1"),
        ("closes_on", "2027-03-15"),
    ];
    let created = post(&bureau, app, &setup, &rules);
    assert_eq!(
        created.location,
        Some(app.url(&format!("{setup}?fait=regles"))),
        "{}",
        created.body
    );
    let made = jury().expect(200).clone();
    assert_eq!(
        (
            made["criteria"].as_array().map(Vec::len),
            &made["last_request"],
            &made["jurors_per_request"],
            &made["closes_on"]
        ),
        (Some(2), &json!("skip"), &json!(1), &json!("2027-03-15")),
        "{made}"
    );
    // Changed from the version read; a stale version is refused.
    let (_, page) = read(&bureau, app, &setup);
    let version = made["version"].to_string();
    assert!(
        page.contains(&format!("name=\"version\" value=\"{version}\"")),
        "{page}"
    );
    let mut normalised = rules.to_vec();
    normalised.extend([("normalise", "oui"), ("version", version.as_str())]);
    let changed = post(&bureau, app, &setup, &normalised);
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(jury().expect(200)["normalise"], true);
    let stale = post(&bureau, app, &setup, &normalised);
    assert_eq!(stale.status, 422, "{}", stale.body);
    assert!(
        shown(&stale.body).contains("Quelqu'un a modifié ces informations")
            && shown(&stale.body).contains("href=\"#critere-0-label\""),
        "{}",
        stale.body
    );
    // Jurors: a holder of the juror's role, as chair; anyone else refused at the field.
    let (_, page) = read(&bureau, app, &setup);
    assert!(
        page.contains(&format!("<option value=\"{}\">", juror.id)),
        "{page}"
    );
    let dac_id = app.get("/api/v1/me", Some(&city.dac.access)).expect(200)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let not_a_juror = post(
        &bureau,
        app,
        &format!("{setup}/jures"),
        &[("account_id", &dac_id)],
    );
    assert_eq!(not_a_juror.status, 422, "{}", not_a_juror.body);
    assert!(
        shown(&not_a_juror.body).contains("href=\"#account_id\""),
        "{}",
        not_a_juror.body
    );
    let added = post(
        &bureau,
        app,
        &format!("{setup}/jures"),
        &[("account_id", &juror.id), ("chair", "oui")],
    );
    assert_eq!(
        added.location,
        Some(app.url(&format!("{setup}?fait=jure"))),
        "{}",
        added.body
    );
    let members = jury().expect(200)["members"].clone();
    assert_eq!(
        (&members[0]["id"], &members[0]["chair"]),
        (&json!(juror.id), &json!(true)),
        "{members}"
    );
    let seated = post(&bureau, app, &format!("{setup}/places"), &[]);
    assert_eq!(
        seated.location,
        Some(app.url(&format!("{setup}?fait=places"))),
        "{}",
        seated.body
    );
    let withdrawn = post(
        &bureau,
        app,
        &format!("{setup}/jures/{}/retrait", juror.id),
        &[],
    );
    assert_eq!(withdrawn.status, 303, "{}", withdrawn.body);
    assert!(!jury().expect(200)["members"][0]["withdrawn_at"].is_null());

    // Nobody else: not found; and a campaign that is no call has no jury page.
    let them = [
        browser_of(app, "dac@ville.test"),
        browser_of(app, "jure@ville.test"),
    ];
    for browser in &them {
        assert_eq!(read(browser, app, &setup).0, 404);
        assert_eq!(post(browser, app, &setup, &rules).status, 404);
        assert_eq!(
            post(
                browser,
                app,
                &format!("{setup}/jures"),
                &[("account_id", &juror.id)]
            )
            .status,
            404
        );
    }
    let annual = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    assert_eq!(
        read(
            &bureau,
            app,
            &format!("/agents/campagnes/{}/jury", id(&annual))
        )
        .0,
        404
    );
}

on_both_backends!(
    the_bureau_sets_up_a_call_s_jury_in_the_portal,
    a_jury_works_in_the_portal_from_declaration_to_validation
);

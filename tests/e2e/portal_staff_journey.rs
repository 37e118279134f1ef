//! The city's side of a request in a real browser (Debian's Chromium), each agent signed in
//! in turn: the bureau asks for a document, declares the request admissible and dispatches it
//! to two directions; each gives its opinion; the bureau puts it on a deliberation with
//! another and records the council's vote with one amendment; finance splits the grant and
//! pays; the lead direction accepts the final report. A juror declares, scores and hands in;
//! the bureau closes and validates the ranking. The bureau admits twenty requests in one bulk
//! action, two of which must be refused. The association's part goes through the API between
//! the steps; every page is checked by axe-core and the Nu Html Checker.

use crate::grants::{carried_out, submitted_asking};
use crate::portal::{served, submit};
use crate::requests::{City, act, campaign_body, id, opinion, path, submitted};
use serde_json::{Value, json};
use simpa_tests::browser::Journey;
use simpa_tests::client::PASSWORD;
use simpa_tests::{Backend, on_both_backends};

fn the_city_takes_a_request_from_its_submission_to_its_final_report_in_a_browser(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let Some(mut browser) = Journey::start() else {
        return;
    };
    let journey = match backend {
        Backend::Sqlite => "agents-parcours-sqlite",
        Backend::Postgres => "agents-parcours-postgres",
    };
    let mut step = |name: &str, address: String| -> (String, u16) {
        let seen = browser.visit(&format!("{journey}-{name}"), &address);
        (seen.url.clone(), seen.status)
    };
    let page = |name: &str| served(&format!("{journey}-{name}"));
    let sign_in = |email: &str, back_to: &str| {
        app.url(&format!(
            "/connexion?retour={}{}",
            serde_urlencoded::to_string([("", back_to)])
                .expect("encoded")
                .trim_start_matches('='),
            submit(&[("email", email), ("password", PASSWORD)])
        ))
    };
    let sign_out = app.url("/compte#press:Se déconnecter");
    let state = |r: &str| -> Value {
        app.get(&path(r), Some(&city.bureau.access)).expect(200)["state"].clone()
    };

    // The requests: one submitted, one instructed beside it, twenty for the bulk action.
    let mut body = campaign_body(app, "ANNUELLE_2027", "central", None);
    body["envelope_cents"] = json!(50_000_000);
    let campaign = crate::grants::published_campaign(&city, body);
    let (president, association) = crate::requests::ready_association(app, 1);
    let request =
        crate::grants::submit_asking(app, &president, &association, &campaign, 2_000_000, None);
    let (_, other) = submitted_asking(app, 2, &campaign, 1_000_000);
    city.admit_and_dispatch(&other, "DAC", &[]);
    act(app, &city.dac, &other, opinion("favourable", 1_000_000)).expect(200);
    let (dac, djs) = (app.direction_id("DAC"), app.direction_id("DJS"));

    // The bureau asks for the statutes; the association answers; admissible; dispatched.
    let file = format!("/agents/demandes/{request}");
    step("connexion-bureau", sign_in("bureau@ville.test", &file));
    let (url, _) = step(
        "pieces",
        app.url(&format!(
            "{file}{}",
            submit(&[
                ("ask_documents-kind-statuts", "oui"),
                (
                    "ask_documents-message",
                    "Les statuts signés, s'il vous plaît."
                )
            ])
        )),
    );
    assert!(url.ends_with("?fait=ask_documents"), "{url}");
    assert_eq!(state(&request), "incomplete");
    simpa_tests::documents::file_kind(app, &president, &association, "statuts", "signés");
    act(
        app,
        &president,
        &request,
        json!({"action": "resubmit", "message": "Statuts déposés."}),
    )
    .expect(200);
    let (url, _) = step(
        "recevable",
        app.url(&format!(
            "{file}{}",
            submit(&[("declare_admissible-message", "Dossier complet.")])
        )),
    );
    assert!(url.ends_with("?fait=declare_admissible"), "{url}");
    let co = format!("dispatch-co-{djs}");
    let (url, _) = step(
        "confiee",
        app.url(&format!(
            "{file}{}",
            submit(&[("dispatch-lead", dac.as_str()), (co.as_str(), "oui")])
        )),
    );
    assert!(url.ends_with("?fait=dispatch"), "{url}");

    // Each direction gives its opinion, the associated one first.
    for (agent, who, amount) in [
        ("djs@ville.test", "djs", "15000"),
        ("dac@ville.test", "dac", "20000"),
    ] {
        step(&format!("deconnexion-avant-{who}"), sign_out.clone());
        step(&format!("connexion-{who}"), sign_in(agent, &file));
        let (url, _) = step(
            &format!("avis-{who}"),
            app.url(&format!(
                "{file}{}",
                submit(&[
                    ("give_opinion-opinion", "oui"),
                    ("give_opinion-proposed", amount),
                    ("give_opinion-public_comment", "Projet utile au quartier.")
                ])
            )),
        );
        assert!(url.ends_with("?fait=give_opinion"), "{url}");
    }
    assert_eq!(state(&request), "instructed");

    // The bureau prepares the deliberation, puts both on it and records the vote, amended.
    step("deconnexion-avant-deliberation", sign_out.clone());
    step(
        "connexion-bureau-deliberation",
        sign_in("bureau@ville.test", "/agents/deliberations"),
    );
    let today = app.today().to_string();
    let (url, _) = step(
        "deliberation",
        app.url(&format!(
            "/agents/deliberations{}",
            submit(&[
                ("reference", "2027 DAC 77"),
                ("title", "Subventions aux associations de quartier"),
                ("session_on", &today)
            ])
        )),
    );
    let agenda = url
        .trim_end_matches("?fait=creee")
        .trim_start_matches(&app.url(""))
        .to_owned();
    let (first, second) = (format!("choisie-{request}"), format!("choisie-{other}"));
    step(
        "inscription",
        app.url(&format!(
            "{agenda}{}",
            submit(&[(first.as_str(), "oui"), (second.as_str(), "oui")])
        )),
    );
    assert!(
        page("inscription").contains("2 demandes traitées"),
        "{}",
        page("inscription")
    );
    let amended = format!("vote-{request}");
    // More than the 20,000 € asked: the council says why, or nothing is voted.
    let (_, status) = step(
        "vote-au-dela",
        app.url(&format!(
            "{agenda}{}",
            submit(&[
                ("outcome-adopted_with_amendments", "oui"),
                ("voted_on", &today),
                (amended.as_str(), "25000")
            ])
        )),
    );
    assert_eq!(status, 422);
    let refused = page("vote-au-dela");
    assert!(
        refused.contains("Le montant voté (25\u{202f}000\u{a0}€) dépasse le montant demandé (20\u{202f}000\u{a0}€) : dites pourquoi le conseil accorde davantage."),
        "{refused}"
    );
    assert_eq!(state(&request), "scheduled");
    let (url, _) = step(
        "vote",
        app.url(&format!(
            "{agenda}{}",
            submit(&[
                ("outcome-adopted_with_amendments", "oui"),
                ("voted_on", &today),
                (amended.as_str(), "18000")
            ])
        )),
    );
    assert!(url.ends_with("?fait=votee"), "{url}");
    let grant = |r: &str| -> Value {
        app.get(
            &format!("/api/v1/requests/{r}/grant"),
            Some(&president.access),
        )
        .expect(200)
        .clone()
    };
    assert_eq!(grant(&request)["granted_cents"], 1_800_000);

    // Finance splits the grant (under 23,000 €, no agreement to wait for) and pays its first
    // part.
    app.staff(
        &city.admin,
        "finances@ville.test",
        json!({"kind": "finance"}),
    );
    step("deconnexion-avant-finances", sign_out.clone());
    let grant_page = format!("/agents/subventions/{request}");
    step(
        "connexion-finances",
        sign_in("finances@ville.test", &grant_page),
    );
    let (url, _) = step(
        "echeancier",
        app.url(&format!(
            "{grant_page}{}",
            submit(&[
                ("tranche-0-montant", "10000"),
                ("tranche-1-montant", "8000"),
                ("tranche-1-echeance", "after_final_report")
            ])
        )),
    );
    assert!(url.ends_with("?fait=echeancier"), "{url}");
    let (amount, reference) = (format!("{request}-amount"), format!("{request}-reference"));
    let (url, _) = step(
        "versement",
        app.url(&format!(
            "/agents/versements{}",
            submit(&[
                (amount.as_str(), "10000"),
                (reference.as_str(), "MDT-2027-77")
            ])
        )),
    );
    assert!(url.ends_with("?fait=oui"), "{url}");
    assert_eq!(grant(&request)["paid_cents"], 1_000_000);

    // The association files its final report; the lead direction accepts it.
    let report = json!({
        "budget": carried_out(2_000_000),
        "indicators": [{"name": "Jeunes accompagnés", "achieved": 72}],
        "summary": "Ateliers tenus chaque mercredi.",
        "annex": "Un animateur de plus, des achats moindres."
    });
    app.put(
        &format!("/api/v1/requests/{request}/final-report"),
        Some(&president.access),
        None,
        &report,
    )
    .expect(200);
    step("deconnexion-avant-compte-rendu", sign_out.clone());
    step(
        "connexion-dac-compte-rendu",
        sign_in("dac@ville.test", "/agents/comptes-rendus"),
    );
    let (url, _) = step(
        "compte-rendu",
        app.url(&format!("{file}#press:Accepter le compte rendu")),
    );
    assert!(url.ends_with("?fait=accept_final_report"), "{url}");
    let report = app.get(
        &format!("/api/v1/requests/{request}/final-report"),
        Some(&president.access),
    );
    assert_eq!(report.expect(200)["status"], "accepted");
    // The balance, due once the report is accepted, is now owed.
    assert_eq!(grant(&request)["owed_cents"], 800_000);

    // A juror of a call for projects declares, scores and hands in; the bureau closes the
    // session and validates the ranking.
    let mut call = campaign_body(app, "AAP_QUARTIERS", "call_for_projects", None);
    call["envelope_cents"] = json!(1_000_000);
    let call = crate::grants::published_campaign(&city, call);
    let call_id = id(&call).to_owned();
    let (_, _, candidate) = submitted(app, 3, &call);
    city.admit_and_dispatch(&candidate, "DAC", &[]);
    act(app, &city.dac, &candidate, opinion("favourable", 400_000)).expect(200);
    let juror = app.staff(&city.admin, "jure@ville.test", json!({"kind": "juror"}));
    let jury = format!("/api/v1/campaigns/{call_id}/jury");
    let grid = json!({
        "criteria": [
            {"label": "Utilité pour le quartier", "weight": 3, "max_points": 10},
            {"label": "Faisabilité", "weight": 1, "max_points": 5}
        ],
        "min_score": 0, "min_scores": 1, "last_request": "partial"
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
    let seat = format!("/jury/demandes/{candidate}");
    step("deconnexion-avant-jure", sign_out.clone());
    step("connexion-jure", sign_in("jure@ville.test", "/jury"));
    let (url, _) = step(
        "declaration",
        app.url(&format!("{seat}{}", submit(&[("declaration", "oui")]))),
    );
    assert!(url.ends_with("?fait=declaration"), "{url}");
    let (url, _) = step(
        "fiche",
        app.url(&format!(
            "{seat}{}",
            submit(&[
                ("points-0", "8"),
                ("points-1", "4"),
                ("comment-0", "Bien ancré dans le quartier.")
            ])
        )),
    );
    assert!(url.ends_with("?fait=rendue"), "{url}");
    assert!(
        page("fiche").contains("note pondérée : 80,0 sur 100"),
        "{}",
        page("fiche")
    );
    step("deconnexion-avant-validation", sign_out.clone());
    step(
        "connexion-bureau-jury",
        sign_in("bureau@ville.test", &format!("/jury/{call_id}")),
    );
    let (url, _) = step("cloture", app.url(&format!("/jury/{call_id}#submit")));
    assert!(url.ends_with("?fait=cloture"), "{url}");
    let (url, _) = step(
        "validation",
        app.url(&format!("/jury/{call_id}/classement#submit")),
    );
    assert!(url.ends_with("?fait=validee"), "{url}");
    assert_eq!(state(&candidate), "ranked");

    // Twenty requests admitted in one go: eighteen waiting, two already admitted (refused).
    let mut twenty: Vec<String> = (10..28).map(|n| submitted(app, n, &campaign).2).collect();
    for n in 28..30 {
        let (_, _, admitted) = submitted(app, n, &campaign);
        act(
            app,
            &city.bureau,
            &admitted,
            json!({"action": "declare_admissible"}),
        )
        .expect(200);
        twenty.push(admitted);
    }
    let boxes: Vec<(String, &str)> = twenty
        .iter()
        .map(|r| (format!("choisie-{r}"), "oui"))
        .collect();
    let fields: Vec<(&str, &str)> = boxes.iter().map(|(b, v)| (b.as_str(), *v)).collect();
    let (_, status) = step(
        "lot",
        app.url(&format!("/agents/demandes{}", submit(&fields))),
    );
    assert_eq!(status, 200);
    let done = page("lot");
    assert!(
        done.contains("18 demandes traitées, 2 refusées (rien n'a changé pour elles)"),
        "{done}"
    );
    for r in &twenty {
        assert_eq!(state(r), "in_instruction");
    }

    let visits = browser.end();
    assert_eq!(
        visits.html_errors,
        Vec::<String>::new(),
        "the Nu Html Checker"
    );
    let serious: Vec<(&str, Vec<&str>)> = visits
        .pages
        .iter()
        .filter(|v| !v.serious_violations().is_empty())
        .map(|v| {
            (
                v.name.as_str(),
                v.serious_violations()
                    .iter()
                    .map(|x| x.id.as_str())
                    .collect(),
            )
        })
        .collect();
    assert!(serious.is_empty(), "axe: {serious:?}");
}

on_both_backends!(the_city_takes_a_request_from_its_submission_to_its_final_report_in_a_browser);

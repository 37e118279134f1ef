//! The city's agents' workspace over HTTP, on both databases: what waits for each service, the
//! oldest first and the late marked, and a request's whole file as the city sees it (its
//! internal history and notes, its opinions, whether its history is intact); what the policy
//! refuses is not found.

use crate::grants::{carried_out, granted_today, published_campaign, submitted_asking};
use crate::portal::shown;
use crate::portal_requests::browser_of;
use crate::portal_sessions::csrf_of;
use crate::requests::{
    City, act, campaign_body, create_draft, id, opinion, ready_association, submitted,
};
use chrono::TimeDelta;
use serde_json::{Value, json};
use simpa_domain::money::euros;
use simpa_tests::browser::{Browser, Sent};
use simpa_tests::{Backend, TestApp, User, on_both_backends};

/// The page at `path` as `browser` reads it: its status and what it shows.
fn read(browser: &Browser, app: &TestApp, path: &str) -> (u16, String) {
    let (status, _, page) = browser.go(&app.url(path));
    (status, shown(&page))
}

fn agents_find_their_work_and_a_request_s_whole_file(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    // Two requests filed ten days apart: twenty days on, the first is past the bureau's
    // fifteen days of admissibility, the second is not.
    let (president, older_association, older) = submitted(app, 1, &campaign);
    app.clock.advance(TimeDelta::days(10));
    let (_, _, newer) = submitted(app, 2, &campaign);
    app.clock.advance(TimeDelta::days(10));
    let bureau = browser_of(app, "bureau@ville.test");

    let (status, page) = read(&bureau, app, "/agents");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("2 demandes attendent"), "{page}");
    assert!(page.contains("dont 1 en retard"), "{page}");
    let (first, second) = (
        page.find(&format!("/agents/demandes/{older}")),
        page.find(&format!("/agents/demandes/{newer}")),
    );
    assert!(
        first.is_some_and(|f| second.is_some_and(|s| f < s)),
        "the oldest first: {page}"
    );
    let late = page.find("En retard</strong>").expect("one marked late");
    assert!(
        late < second.expect("listed"),
        "the older is the late one: {page}"
    );
    assert_eq!(page.matches("En retard</strong>").count(), 1, "{page}");
    // The account's page leads there.
    let (_, account) = read(&bureau, app, "/compte");
    assert!(account.contains("href=\"/agents\""), "{account}");

    // Dispatched to the DAC with the DJS, which gives a reserved opinion with a note for the
    // city only.
    // Every request, filtered: by words or number, by lateness.
    let number = app
        .get(
            &format!("/api/v1/requests/{older}"),
            Some(&city.bureau.access),
        )
        .expect(200)["number"]
        .as_str()
        .expect("a number")
        .to_owned();
    let listed = |browser: &Browser, query: &str| {
        let (status, page) = read(browser, app, &format!("/agents/demandes{query}"));
        assert_eq!(status, 200, "{query}: {page}");
        [&older, &newer]
            .into_iter()
            .filter(|r| page.contains(&format!("/agents/demandes/{r}\"")))
            .cloned()
            .collect::<Vec<String>>()
    };
    assert_eq!(listed(&bureau, "").len(), 2);
    assert_eq!(
        listed(&bureau, &format!("?q={number}")),
        vec![older.clone()]
    );
    assert_eq!(listed(&bureau, "?en_retard=oui"), vec![older.clone()]);
    assert_eq!(listed(&bureau, "?etat=submitted&en_retard=").len(), 2);
    assert_eq!(listed(&bureau, "?etat=granted"), Vec::<String>::new());
    // A token no page gave starts the list from its beginning.
    assert_eq!(listed(&bureau, "?apres=%25%25%25").len(), 2);
    // An association found by its name leads to its requests.
    let (status, found) = read(&bureau, app, "/agents/associations?q=Association+1");
    assert_eq!(status, 200, "{found}");
    let association = app
        .get(
            &format!("/api/v1/requests/{older}"),
            Some(&city.bureau.access),
        )
        .expect(200)["association"]["id"]
        .as_str()
        .expect("its association")
        .to_owned();
    assert!(
        found.contains(&format!("/agents/demandes?association={association}")),
        "{found}"
    );
    assert!(!found.contains("Association 2"), "{found}");
    assert_eq!(
        listed(&bureau, &format!("?association={association}")),
        vec![older.clone()]
    );
    // The list as filtered, downloaded: CSV for spreadsheets, and an XLSX workbook.
    let download = |browser: &Browser, path: &str| download(browser, app, path);
    let (status, media, csv) = download(&bureau, "/agents/demandes.csv?en_retard=oui");
    assert_eq!((status, media.as_str()), (200, "text/csv; charset=utf-8"));
    let csv = String::from_utf8(csv).expect("UTF-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "a header and the late request: {csv}");
    assert!(
        lines[0].starts_with("Numéro;Titre;Association;Campagne;État"),
        "{csv}"
    );
    assert!(
        lines[1].starts_with(&format!("{number};Ateliers d'écriture;Association 1;")),
        "{csv}"
    );
    assert!(
        lines[1].contains(";4000,00;") && lines[1].ends_with(";oui;"),
        "{csv}"
    );
    let (status, media, xlsx) = download(&bureau, "/agents/demandes.xlsx");
    assert_eq!(status, 200);
    assert_eq!(
        media,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let sheet = sheet_of(xlsx);
    assert_eq!(
        sheet.matches("<row ").count(),
        3,
        "a header and both: {sheet}"
    );
    assert!(
        sheet.contains(&number) && sheet.contains("<v>4000</v>"),
        "{sheet}"
    );

    city.admit_and_dispatch(&older, "DAC", &["DJS"]);
    let dac_id = app.direction_id("DAC");
    assert_eq!(
        listed(&bureau, &format!("?direction={dac_id}")),
        vec![older.clone()]
    );
    let note = "Budget de fonctionnement à revoir";
    let reserved = json!({"action": "give_opinion", "opinion": "reserved", "proposed_cents": 300_000, "internal_comment": note});
    act(app, &city.djs, &older, reserved).expect(200);
    let file = format!("/agents/demandes/{older}");
    let dac = browser_of(app, "dac@ville.test");
    for browser in [&bureau, &dac] {
        let (status, page) = read(browser, app, &file);
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains("Note interne : Budget de fonctionnement à revoir"),
            "{page}"
        );
        assert!(
            page.contains(&format!(
                "<strong>Réservé</strong>, {} proposés",
                euros(300_000)
            )),
            "{page}"
        );
        assert!(
            page.contains("Interne</strong>"),
            "an internal event: {page}"
        );
        assert!(page.contains("Historique intègre : les "), "{page}");
        assert!(page.contains("(pilote)"), "{page}");
    }
    let (_, page) = read(&dac, app, "/agents");
    assert!(
        page.contains(&format!("/agents/demandes/{older}")),
        "{page}"
    );
    assert!(
        !page.contains(&format!("/agents/demandes/{newer}")),
        "{page}"
    );
    // The DAC lists what it may read: the request dispatched to it, not the other.
    assert_eq!(listed(&dac, ""), vec![older.clone()]);
    // What the DAC may do now, said; the association's page says nothing of the note.
    let (_, page) = read(&dac, app, &file);
    assert!(
        page.contains("Ce que vous pouvez faire maintenant"),
        "{page}"
    );
    let member = browser_of(app, &president.email);
    let (status, theirs) = read(&member, app, &format!("/demandes/{older}"));
    assert_eq!(status, 200);
    assert!(!theirs.contains("Note interne"), "{theirs}");

    // The documents filed with it, and where the association's stand today: its statutes
    // filed again since, waiting for the city's review.
    let (_, page) = read(&bureau, app, &file);
    assert!(
        page.contains("Au dépôt : <a class=\"govuk-link\" href=\"/associations/")
            && page.contains("statuts.pdf</a>, déposée le")
            && page.contains("Aujourd'hui : en attente de vérification."),
        "{page}"
    );
    simpa_tests::documents::file(
        app,
        Some(&president),
        &older_association,
        &[("kind", "statuts")],
        Some((
            "statuts-2027.pdf",
            simpa_tests::documents::pdf("statuts modifiés"),
        )),
    )
    .expect(201);
    let (_, page) = read(&bureau, app, &file);
    assert!(
        page.contains("Aujourd'hui : remplacée par <a class=\"govuk-link\" href=\"/associations/")
            && page.contains("statuts-2027.pdf</a>, déposée le"),
        "{page}"
    );

    // Forbidden paths: not found, as the API answers.
    let ddct = browser_of(app, "ddct@ville.test");
    let mairie = browser_of(app, "mairie11@ville.test");
    let (draft_owner, association) = ready_association(app, 3);
    let draft = id(&create_draft(app, &draft_owner, &campaign, &association));
    for (who, browser, path) in [
        ("a direction it was not dispatched to", &ddct, file.as_str()),
        ("a town hall of a central campaign", &mairie, file.as_str()),
        (
            "a member, on the staff's page of her own request",
            &member,
            file.as_str(),
        ),
        ("a member, on the staff's home", &member, "/agents"),
        ("a member, on the staff's list", &member, "/agents/demandes"),
        (
            "a member, on the staff's export",
            &member,
            "/agents/demandes.csv",
        ),
        (
            "a member, on the staff's associations",
            &member,
            "/agents/associations",
        ),
        (
            "the bureau, on a draft",
            &bureau,
            &format!("/agents/demandes/{draft}"),
        ),
        (
            "the bureau, on no request",
            &bureau,
            "/agents/demandes/01890000-0000-7000-8000-000000000000",
        ),
    ] {
        let (status, page) = read(browser, app, path);
        assert_eq!(status, 404, "{who}: {page}");
        assert!(!page.contains(note), "{who}: {page}");
    }
    // Someone signed out is sent to sign in, and back.
    let (status, location, _) = Browser::default().go(&app.url(&file));
    assert_eq!(status, 303);
    assert!(
        location.is_some_and(|l| l.contains("/connexion?retour=%2Fagents%2Fdemandes%2F")),
        "to sign in"
    );
}

/// The file at `path` as `browser` downloads it: its status, media type and bytes.
fn download(browser: &Browser, app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let answer = browser.http.get(app.url(path)).send().expect("an answer");
    let status = answer.status().as_u16();
    let media = answer
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, media, answer.bytes().expect("a body").to_vec())
}

/// The lines of the CSV file at `path` as `browser` downloads it (asserting it is one).
fn csv_lines(browser: &Browser, app: &TestApp, path: &str) -> Vec<String> {
    let (status, media, bytes) = download(browser, app, path);
    assert_eq!(
        (status, media.as_str()),
        (200, "text/csv; charset=utf-8"),
        "{path}"
    );
    let text = String::from_utf8(bytes).expect("UTF-8");
    text.lines().map(str::to_owned).collect()
}

/// The XML of the one sheet of an XLSX workbook.
fn sheet_of(xlsx: Vec<u8>) -> String {
    let mut workbook = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("a workbook");
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut workbook
            .by_name("xl/worksheets/sheet1.xml")
            .expect("its sheet"),
        &mut sheet,
    )
    .expect("XML");
    sheet
}

/// Where `needle` first shows in `page`, which must show it.
fn at(page: &str, needle: &str) -> usize {
    page.find(needle)
        .unwrap_or_else(|| panic!("{needle} in {page}"))
}

/// The associations and the documents to review, like the requests: filtered, ordered, their
/// filters saved, downloaded as CSV and XLSX; a wrong day said at its field; and none of it
/// for whom may not read the list.
fn agents_filter_order_and_download_every_list(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let (president, _) = ready_association(app, 1);
    app.clock.advance(TimeDelta::days(2));
    ready_association(app, 2);
    let bureau = browser_of(app, "bureau@ville.test");
    let read_ok = |path: &str| {
        let (status, page) = read(&bureau, app, path);
        assert_eq!(status, 200, "{path}: {page}");
        page
    };
    // The associations: by name, or the last registered first.
    let (first, second) = (
        "<h2 class=\"govuk-summary-card__title simpa-breakable\">Association 1",
        "<h2 class=\"govuk-summary-card__title simpa-breakable\">Association 2",
    );
    let page = read_ok("/agents/associations");
    assert!(at(&page, first) < at(&page, second), "by name: {page}");
    let page = read_ok("/agents/associations?tri=recentes");
    assert!(
        at(&page, second) < at(&page, first),
        "the last first: {page}"
    );
    assert!(
        page.contains("<option value=\"recentes\" selected>"),
        "{page}"
    );
    let lines = csv_lines(&bureau, app, "/agents/associations.csv?q=Association+2");
    assert_eq!(lines.len(), 2, "a header and one: {lines:?}");
    assert!(
        lines[0].starts_with(
            "Nom;Sigle;RNA;SIRET;Adresse du siège;Arrondissement;Secteurs;Inscrite le"
        ),
        "{lines:?}"
    );
    assert!(lines[1].starts_with("Association 2;"), "{lines:?}");
    let (status, _, xlsx) = download(&bureau, app, "/agents/associations.xlsx?tri=recentes");
    assert_eq!(status, 200);
    let sheet = sheet_of(xlsx);
    assert_eq!(
        sheet.matches("<row ").count(),
        3,
        "a header and both: {sheet}"
    );

    // The documents to review: by kind, the last filed first, by day filed.
    let page = read_ok("/agents/pieces");
    let (statuts_1, statuts_2) = ("Statuts · Association 1", "Statuts · Association 2");
    assert!(
        at(&page, statuts_1) < at(&page, statuts_2),
        "the longest waiting first"
    );
    let page = read_ok("/agents/pieces?tri=recentes&piece=statuts");
    assert!(
        at(&page, statuts_2) < at(&page, statuts_1),
        "the last first: {page}"
    );
    assert_eq!(
        page.matches("<h2 class=\"govuk-summary-card__title simpa-breakable\">")
            .count(),
        2,
        "the statutes only: {page}"
    );
    let today = app.today();
    let page = read_ok(&format!("/agents/pieces?piece=statuts&depose_du={today}"));
    assert!(
        page.contains(statuts_2) && !page.contains(statuts_1),
        "filed today: {page}"
    );
    let (status, page) = read(&bureau, app, "/agents/pieces?depose_du=hier");
    assert_eq!(status, 422, "{page}");
    assert!(shown(&page).contains("href=\"#depose_du\""), "{page}");
    let lines = csv_lines(&bureau, app, "/agents/pieces.csv?piece=statuts");
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with("Pièce;Association;Arrondissement;Fichier;Déposée le"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("Statuts;Association 1;") && lines[1].contains(";statuts.pdf;"),
        "{lines:?}"
    );

    // A filter of the documents saved: it shows on their list, not on the requests'.
    let save = |fields: &[(&str, &str)]| {
        let csrf = csrf_of(&bureau, app, "/compte");
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        bureau.submit(&app.url("/agents/filtres"), &form, Some(&app.base))
    };
    let saved = save(&[
        ("liste", "pieces"),
        ("nom", "Statuts"),
        ("partage", ""),
        ("requete", "piece=statuts&tri=recentes"),
    ]);
    assert_eq!(
        saved.location,
        Some(app.url("/agents/pieces?piece=statuts&tri=recentes&fait=filtre")),
        "{}",
        saved.body
    );
    let page = read_ok("/agents/pieces?fait=filtre");
    assert!(
        page.contains("Filtre enregistré")
            && page.contains("href=\"/agents/pieces?piece=statuts&amp;tri=recentes\">Statuts</a>"),
        "{page}"
    );
    assert!(!read_ok("/agents/demandes").contains(">Statuts</a>"));
    // Refused, the list comes back with the form's error and the criteria.
    let refused = save(&[
        ("liste", "associations"),
        ("nom", " "),
        ("partage", ""),
        ("requete", "q=Association"),
    ]);
    assert_eq!(refused.status, 422, "{}", refused.body);
    let body = shown(&refused.body);
    assert!(
        body.contains("href=\"#nom\"")
            && body.contains("<h1 class=\"govuk-heading-l\">Associations</h1>"),
        "{body}"
    );
    let filter_id = page
        .split("/agents/filtres/")
        .nth(1)
        .map(|rest| rest[..36].to_owned())
        .expect("its delete form");
    let csrf = csrf_of(&bureau, app, "/compte");
    let deleted = bureau.submit(
        &app.url(&format!("/agents/filtres/{filter_id}/suppression")),
        &[("csrf", csrf.as_str()), ("liste", "pieces")],
        Some(&app.base),
    );
    assert_eq!(
        deleted.location,
        Some(app.url("/agents/pieces?fait=filtre-supprime"))
    );

    // None of it for whom may not read the list: not found, as the API answers.
    let member = browser_of(app, &president.email);
    let dac = browser_of(app, "dac@ville.test");
    for (who, browser, path) in [
        ("a member", &member, "/agents/associations.csv"),
        ("a member", &member, "/agents/pieces.xlsx"),
        ("a member", &member, "/agents/versements.csv"),
        ("a member", &member, "/agents/comptes-rendus.csv"),
        ("a direction", &dac, "/agents/pieces.csv"),
        ("a direction", &dac, "/agents/versements.xlsx"),
    ] {
        assert_eq!(download(browser, app, path).0, 404, "{who}: {path}");
    }
}

/// An action's form on the agents' page of `request`, sent by `browser` with `fields` (each
/// named after the action): where it leads, or the page that answers.
fn send(
    browser: &Browser,
    app: &TestApp,
    request: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> Sent {
    let page = format!("/agents/demandes/{request}");
    // The browser's token, the same in all its forms (read where anyone signed in may).
    let csrf = csrf_of(browser, app, "/compte");
    let named: Vec<(String, String)> = fields
        .iter()
        .map(|(name, value)| (format!("{action}-{name}"), (*value).to_owned()))
        .collect();
    let mut form = vec![("csrf", csrf.as_str()), ("action", action)];
    form.extend(named.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    browser.submit(&app.url(&format!("{page}/actions")), &form, Some(&app.base))
}

fn agents_instruct_a_request_from_its_page(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, association, request) = submitted(app, 1, &campaign);
    let bureau = browser_of(app, "bureau@ville.test");
    let page = format!("/agents/demandes/{request}");
    let done = |action: &str| Some(app.url(&format!("{page}?fait={action}")));
    let state = || {
        app.get(
            &format!("/api/v1/requests/{request}"),
            Some(&city.bureau.access),
        )
        .expect(200)
        .clone()
    };

    // The bureau asks for the statutes again, with a message; the association is told.
    let (_, before) = read(&bureau, app, &page);
    assert!(before.contains("Demander ces pièces</button>"), "{before}");
    assert!(before.contains("Déclarer recevable</button>"), "{before}");
    let asked = send(
        &bureau,
        app,
        &request,
        "ask_documents",
        &[("message", "Statuts à jour, svp.")],
    );
    assert_eq!(asked.status, 422, "nothing ticked: {}", asked.body);
    assert!(
        shown(&asked.body).contains("href=\"#ask_documents-action\"")
            && shown(&asked.body).contains("href=\"#ask_documents-ask_reason\""),
        "nothing ticked, no reason: {}",
        asked.body
    );
    assert!(shown(&asked.body).contains("Cochez au moins une pièce à demander."));
    assert!(
        asked.body.contains("Statuts à jour, svp.</textarea>"),
        "what was typed is kept"
    );
    assert_eq!(state()["state"], "submitted");
    let asked = send(
        &bureau,
        app,
        &request,
        "ask_documents",
        &[
            ("kind-statuts", "oui"),
            ("ask_reason", "outdated"),
            ("message", "Statuts à jour, svp."),
        ],
    );
    assert_eq!(asked.location, done("ask_documents"), "{}", asked.body);
    assert_eq!(state()["state"], "incomplete");
    let (_, after) = read(&bureau, app, &format!("{page}?fait=ask_documents"));
    assert!(
        after.contains("Pièces ou informations demandées. Ceux qui doivent le savoir"),
        "{after}"
    );
    let mail = app.mailed(&president.email, "Pièces ou informations demandées%");
    assert!(mail.contains("Statuts à jour, svp."), "{mail}");

    // She sends it back; the bureau declares it admissible and dispatches it to the DAC with
    // the DJS; an action no longer possible is said at its form.
    simpa_tests::documents::file_kind(app, &president, &association, "statuts", "à jour");
    act(app, &president, &request, json!({"action": "resubmit"})).expect(200);
    let admitted = send(&bureau, app, &request, "declare_admissible", &[]);
    assert_eq!(
        admitted.location,
        done("declare_admissible"),
        "{}",
        admitted.body
    );
    let again = send(&bureau, app, &request, "declare_admissible", &[]);
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(
        shown(&again.body).contains("href=\"#declare_admissible-action\""),
        "{}",
        again.body
    );
    let no_lead = send(&bureau, app, &request, "dispatch", &[]);
    assert!(
        shown(&no_lead.body).contains("Choisissez la direction pilote."),
        "{}",
        no_lead.body
    );
    let (dac_id, djs_id) = (app.direction_id("DAC"), app.direction_id("DJS"));
    let co = format!("co-{djs_id}");
    let dispatched = send(
        &bureau,
        app,
        &request,
        "dispatch",
        &[("lead", &dac_id), (&co, "oui")],
    );
    assert_eq!(dispatched.location, done("dispatch"), "{}", dispatched.body);
    assert_eq!(state()["state"], "in_instruction");

    // The DAC gives its opinion: an amount with cents is refused at its field, then given.
    let dac = browser_of(app, "dac@ville.test");
    let (_, theirs) = read(&dac, app, &page);
    assert!(theirs.contains("Rendre l'avis</button>"), "{theirs}");
    assert!(
        !theirs.contains("Confier l'instruction</button>"),
        "not theirs to dispatch: {theirs}"
    );
    let cents = send(
        &dac,
        app,
        &request,
        "give_opinion",
        &[("opinion", "favourable"), ("proposed", "3500,50")],
    );
    assert_eq!(cents.status, 422, "{}", cents.body);
    assert!(
        shown(&cents.body).contains("href=\"#give_opinion-proposed\""),
        "{}",
        cents.body
    );
    let given = send(
        &dac,
        app,
        &request,
        "give_opinion",
        &[
            ("opinion", "favourable"),
            ("proposed", "3 500"),
            ("internal_comment", "Solide."),
        ],
    );
    assert_eq!(given.location, done("give_opinion"), "{}", given.body);
    let view = state();
    let lead = &view["instruction"]["instructors"][0];
    assert_eq!(lead["opinion"]["proposed_cents"], 350_000, "{view}");
    assert_eq!(lead["opinion"]["internal_comment"], "Solide.", "{view}");

    // Forbidden: a direction it was not dispatched to, a member, a forged form.
    let ddct = browser_of(app, "ddct@ville.test");
    let theirs = send(
        &ddct,
        app,
        &request,
        "give_opinion",
        &[("opinion", "favourable"), ("proposed", "1")],
    );
    assert_eq!(theirs.status, 404, "{}", theirs.body);
    let member = browser_of(app, &president.email);
    let hers = send(&member, app, &request, "declare_admissible", &[]);
    assert_eq!(hers.status, 404, "{}", hers.body);
    let forged = bureau.submit(
        &app.url(&format!("{page}/actions")),
        &[("action", "declare_admissible")],
        Some(&app.base),
    );
    assert_eq!(forged.status, 403, "{}", forged.body);
}

/// The documents the bureau (or a town hall) checks: each waiting version, accepted or refused
/// with a reason the association reads.
fn agents_check_the_documents_associations_file(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let (president, association) = ready_association(app, 1);
    let id = association["id"].as_str().expect("id");
    let versions = || {
        app.get(
            &format!("/api/v1/associations/{id}/documents"),
            Some(&city.bureau.access),
        )
        .expect(200)["items"]
            .as_array()
            .expect("items")
            .clone()
    };
    let version_of = |kind: &str| {
        versions()
            .into_iter()
            .find(|v| v["kind"] == kind)
            .unwrap_or_else(|| panic!("a {kind}"))
    };
    let (statuts, rib) = (version_of("statuts"), version_of("rib"));
    let bureau = browser_of(app, "bureau@ville.test");
    let (status, page) = read(&bureau, app, "/agents/pieces");
    assert_eq!(status, 200, "{page}");
    for expected in [
        "Statuts · Association 1",
        "statuts.pdf",
        "Titulaire du compte : Association 1",
    ] {
        assert!(page.contains(expected), "{expected}: {page}");
    }
    let review = |browser: &Browser, version: &Value, fields: &[(&str, &str)]| {
        let csrf = csrf_of(browser, app, "/compte");
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let path = format!(
            "/agents/pieces/{id}/{}",
            version["id"].as_str().expect("id")
        );
        browser.submit(&app.url(&path), &form, Some(&app.base))
    };
    // A refusal without its reason is said at the reason's field; nothing changes.
    let reason = format!("reason-{}", statuts["id"].as_str().expect("id"));
    let silent = review(
        &bureau,
        &statuts,
        &[("decision", "rejected"), (&reason, " ")],
    );
    assert_eq!(silent.status, 422, "{}", silent.body);
    assert!(
        shown(&silent.body).contains(&format!("href=\"#{reason}\"")),
        "{}",
        silent.body
    );
    assert_eq!(version_of("statuts")["review"]["state"], "pending");
    let refused = review(
        &bureau,
        &statuts,
        &[("decision", "rejected"), (&reason, "Statuts non signés.")],
    );
    assert_eq!(
        refused.location,
        Some(app.url("/agents/pieces?fait=rejected")),
        "{}",
        refused.body
    );
    let accepted = review(&bureau, &rib, &[("decision", "accepted")]);
    assert_eq!(
        accepted.location,
        Some(app.url("/agents/pieces?fait=accepted")),
        "{}",
        accepted.body
    );
    let (statuts, rib) = (version_of("statuts"), version_of("rib"));
    assert_eq!(statuts["review"]["state"], "rejected", "{statuts}");
    assert_eq!(
        statuts["review"]["reason"], "Statuts non signés.",
        "{statuts}"
    );
    assert_eq!(rib["review"]["state"], "accepted", "{rib}");
    let (_, page) = read(&bureau, app, "/agents/pieces?fait=rejected");
    assert!(page.contains("Pièce refusée"), "{page}");
    assert!(
        !page.contains("statuts.pdf"),
        "reviewed, gone from the list: {page}"
    );
    // The association reads why on its documents' page.
    let member = browser_of(app, &president.email);
    let (_, vault) = read(&member, app, &format!("/associations/{id}/documents"));
    assert!(vault.contains("Statuts non signés."), "{vault}");

    // A direction reviews nothing; a member neither, not even through the form.
    let dac = browser_of(app, "dac@ville.test");
    assert_eq!(read(&dac, app, "/agents/pieces").0, 404);
    assert_eq!(read(&member, app, "/agents/pieces").0, 404);
    let liste = version_of("liste_dirigeants");
    assert_eq!(
        review(&dac, &liste, &[("decision", "accepted")]).status,
        404
    );
    assert_eq!(
        review(&member, &liste, &[("decision", "accepted")]).status,
        404
    );
    assert_eq!(version_of("liste_dirigeants")["review"]["state"], "pending");
}

/// The lead direction reviews a final report from the request's page: it reads it, asks for
/// changes (a reason is needed), then accepts it once filed again.
fn agents_review_a_final_report_from_the_request_s_page(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, request) = submitted_asking(app, 1, &campaign, 2_000_000);
    granted_today(&city, "2027 DAC 12", &[(&request, 2_000_000)]);
    let dac = browser_of(app, "dac@ville.test");
    let page = format!("/agents/demandes/{request}");
    let (_, before) = read(&dac, app, &page);
    assert!(
        !before.contains("Accepter le compte rendu</button>"),
        "nothing filed yet: {before}"
    );
    let report_path = format!("/api/v1/requests/{request}/final-report");
    let report = json!({
        "budget": carried_out(2_000_000),
        "indicators": [{"name": "Jeunes accompagnés", "achieved": 72}],
        "summary": "Ateliers tenus chaque mercredi.",
        "annex": "Un animateur de plus, des achats moindres."
    });
    app.put(&report_path, Some(&president.access), None, &report)
        .expect(200);
    // The list of reports to examine shows it to the lead direction, not to another.
    let (_, reports) = read(&dac, app, "/agents/comptes-rendus");
    assert!(
        reports.contains(&format!("/agents/demandes/{request}\""))
            && reports.contains("à examiner"),
        "{reports}"
    );
    let lines = csv_lines(&dac, app, "/agents/comptes-rendus.csv");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].ends_with(";Suivie par;Compte rendu déposé le"),
        "{lines:?}"
    );
    assert!(
        lines[1].ends_with(&app.today().format(";%d/%m/%Y").to_string()),
        "{lines:?}"
    );
    let ddct = browser_of(app, "ddct@ville.test");
    let (status, theirs) = read(&ddct, app, "/agents/comptes-rendus");
    assert_eq!(status, 200);
    assert!(
        !theirs.contains(&format!("/agents/demandes/{request}\"")),
        "{theirs}"
    );
    let member = browser_of(app, &president.email);
    assert_eq!(read(&member, app, "/agents/comptes-rendus").0, 404);
    let (_, filed) = read(&dac, app, &page);
    for expected in [
        "Compte rendu financier",
        "Ateliers tenus chaque mercredi.",
        "Accepter le compte rendu</button>",
    ] {
        assert!(filed.contains(expected), "{expected}: {filed}");
    }
    let status = || app.get(&report_path, Some(&president.access)).expect(200)["status"].clone();
    let silent = send(&dac, app, &request, "ask_report_changes", &[("reason", "")]);
    assert_eq!(silent.status, 422, "{}", silent.body);
    assert!(
        shown(&silent.body).contains("href=\"#ask_report_changes-reason\""),
        "{}",
        silent.body
    );
    assert_eq!(status(), "filed");
    let asked = send(
        &dac,
        app,
        &request,
        "ask_report_changes",
        &[("reason", "Joignez le détail des achats.")],
    );
    assert_eq!(
        asked.location,
        Some(app.url(&format!("{page}?fait=ask_report_changes"))),
        "{}",
        asked.body
    );
    assert_eq!(status(), "changes_asked");
    let (_, waiting) = read(&dac, app, &page);
    assert!(
        !waiting.contains("Accepter le compte rendu</button>"),
        "until filed again: {waiting}"
    );
    app.put(&report_path, Some(&president.access), None, &report)
        .expect(200);
    let accepted = send(&dac, app, &request, "accept_final_report", &[]);
    assert_eq!(
        accepted.location,
        Some(app.url(&format!("{page}?fait=accept_final_report"))),
        "{}",
        accepted.body
    );
    assert_eq!(status(), "accepted");
    let (_, reports) = read(&dac, app, "/agents/comptes-rendus");
    assert!(
        reports.contains("Aucun compte rendu n'attend votre examen."),
        "{reports}"
    );
    // Not a direction's that does not instruct it.
    assert_eq!(
        send(&ddct, app, &request, "accept_final_report", &[]).status,
        404
    );
}

/// The bureau acts on many requests at once from the list: each through the action it goes
/// through alone, those refused left as they were, and the page says which and why.
fn agents_act_on_a_selection_of_requests(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let waiting: Vec<String> = (1..=3).map(|n| submitted(app, n, &campaign).2).collect();
    let (_, _, admitted) = submitted(app, 4, &campaign);
    act(
        app,
        &city.bureau,
        &admitted,
        json!({"action": "declare_admissible"}),
    )
    .expect(200);
    let (owner, association) = ready_association(app, 5);
    let draft = id(&create_draft(app, &owner, &campaign, &association));
    let state = |r: &str| {
        app.get(&format!("/api/v1/requests/{r}"), Some(&city.bureau.access))
            .expect(200)["state"]
            .clone()
    };
    let bureau = browser_of(app, "bureau@ville.test");
    let (status, list) = read(&bureau, app, "/agents/demandes");
    assert_eq!(status, 200);
    assert!(
        list.contains("Appliquer aux demandes choisies</button>"),
        "{list}"
    );
    assert!(
        list.contains(&format!("name=\"choisie-{}\"", waiting[0])),
        "{list}"
    );
    let bulk = |browser: &Browser, fields: &[(&str, &str)], chosen: &[&String]| {
        let csrf = csrf_of(browser, app, "/compte");
        let boxes: Vec<String> = chosen.iter().map(|r| format!("choisie-{r}")).collect();
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        form.extend(boxes.iter().map(|b| (b.as_str(), "oui")));
        let sent = browser.submit(&app.url("/agents/demandes/lot"), &form, Some(&app.base));
        (sent.status, shown(&sent.body))
    };
    let everyone: Vec<&String> = waiting.iter().chain([&admitted, &draft]).collect();
    let (status, page) = bulk(&bureau, &[("action", "declare_admissible")], &everyone);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("3 demandes traitées, 2 refusées (rien n'a changé pour elles)"),
        "{page}"
    );
    assert_eq!(page.matches(">Fait</strong>").count(), 3, "{page}");
    assert!(
        page.contains("Demande introuvable"),
        "the draft is not the bureau's to see: {page}"
    );
    for r in &waiting {
        assert_eq!(state(r), "in_instruction");
    }
    assert_eq!(state(&admitted), "in_instruction");
    assert_eq!(
        app.get(&format!("/api/v1/requests/{draft}"), Some(&owner.access))
            .expect(200)["state"],
        "draft"
    );

    // Dispatching them without a lead: each refused, said why; with it, done.
    let three: Vec<&String> = waiting.iter().collect();
    let (_, page) = bulk(&bureau, &[("action", "dispatch")], &three);
    assert!(page.contains("0 demandes traitées, 3 refusées"), "{page}");
    assert!(page.contains("Choisissez la direction pilote."), "{page}");
    let dac_id = app.direction_id("DAC");
    let (_, page) = bulk(
        &bureau,
        &[("action", "dispatch"), ("dispatch-lead", &dac_id)],
        &three,
    );
    assert!(page.contains("3 demandes traitées"), "{page}");
    let view = app
        .get(
            &format!("/api/v1/requests/{}", waiting[0]),
            Some(&city.bureau.access),
        )
        .expect(200)
        .clone();
    assert_eq!(
        view["instruction"]["instructors"][0]["direction"]["code"], "DAC",
        "{view}"
    );

    // A direction may not do the bureau's part: each refused; a member finds nothing here.
    let dac = browser_of(app, "dac@ville.test");
    let (status, page) = bulk(
        &dac,
        &[("action", "dispatch"), ("dispatch-lead", &dac_id)],
        &[&admitted],
    );
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("0 demandes traitées, une refusée (rien n'a changé pour elle)"),
        "{page}"
    );
    let member = browser_of(app, &owner.email);
    let (status, _) = bulk(&member, &[("action", "declare_admissible")], &[&draft]);
    assert_eq!(status, 404);
    assert_eq!(
        app.get(&format!("/api/v1/requests/{draft}"), Some(&owner.access))
            .expect(200)["state"],
        "draft"
    );
}

/// Finance records the payments due from their list: never more than is due.
fn finance_records_the_payments_due(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, request) = submitted_asking(app, 1, &campaign, 2_000_000);
    granted_today(&city, "2027 DAC 13", &[(&request, 2_000_000)]);
    app.staff(
        &city.admin,
        "finances@ville.test",
        json!({"kind": "finance"}),
    );
    let finance = browser_of(app, "finances@ville.test");
    let (status, page) = read(&finance, app, "/agents/versements");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!("<strong>{}</strong> depuis le", euros(2_000_000))),
        "{page}"
    );
    // Filtered by campaign, district or day due; downloaded.
    let elsewhere = "/agents/versements?campagne=01890000-0000-7000-8000-000000000000";
    assert!(
        read(&finance, app, elsewhere)
            .1
            .contains("parmi ceux que ces critères retiennent")
    );
    let lines = csv_lines(
        &finance,
        app,
        &format!(
            "/agents/versements.csv?campagne={}&tri=montant",
            campaign["id"].as_str().expect("id")
        ),
    );
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        lines[0],
        "Numéro;Association;Subvention;Déjà versé;Reste dû;Échéance;Jours de retard"
    );
    assert!(
        lines[1].contains(";Association 1;20000,00;0,00;20000,00;"),
        "{lines:?}"
    );
    let (status, page) = read(&finance, app, "/agents/versements?au=31/02/2027");
    assert_eq!(status, 422, "{page}");
    assert!(shown(&page).contains("href=\"#au\""), "{page}");
    let (_, home) = read(&finance, app, "/agents");
    assert!(home.contains("href=\"/agents/versements\""), "{home}");
    assert!(
        !home.contains("href=\"/agents/pieces\""),
        "finance checks no documents: {home}"
    );
    let pay = |browser: &Browser, amount: &str, reference: &str| {
        let csrf = csrf_of(browser, app, "/compte");
        let (a, d, r) = (
            format!("{request}-amount"),
            format!("{request}-paid_on"),
            format!("{request}-reference"),
        );
        let today = app.today().to_string();
        let form = [
            ("csrf", csrf.as_str()),
            (&a, amount),
            (&d, &today),
            (&r, reference),
        ];
        browser.submit(
            &app.url(&format!("/agents/versements/{request}")),
            &form,
            Some(&app.base),
        )
    };
    let paid = || {
        app.get(
            &format!("/api/v1/requests/{request}/grant"),
            Some(&president.access),
        )
        .expect(200)["paid_cents"]
            .clone()
    };
    let beyond = pay(&finance, "25000", "MDT-1");
    assert_eq!(beyond.status, 422, "{}", beyond.body);
    assert!(
        shown(&beyond.body).contains(&format!("href=\"#{request}-amount\"")),
        "{}",
        beyond.body
    );
    assert_eq!(paid(), 0);
    let done = pay(&finance, "20000", "MDT-1");
    assert_eq!(
        done.location,
        Some(app.url("/agents/versements?fait=oui")),
        "{}",
        done.body
    );
    assert_eq!(paid(), 2_000_000);
    let (_, page) = read(&finance, app, "/agents/versements?fait=oui");
    assert!(
        page.contains("Versement enregistré.") && page.contains("Aucun versement n'est dû"),
        "{page}"
    );
    // The request's page tells the grant and what was paid.
    let bureau = browser_of(app, "bureau@ville.test");
    let (_, file) = read(&bureau, app, &format!("/agents/demandes/{request}"));
    assert!(
        file.contains("La subvention") && file.contains("(MDT-1)"),
        "{file}"
    );
    // The lead direction orders part of it repaid, with the reason; a reason is needed.
    let dac = browser_of(app, "dac@ville.test");
    let silent = send(
        &dac,
        app,
        &request,
        "order_repayment",
        &[("amount", "5000")],
    );
    assert_eq!(silent.status, 422, "{}", silent.body);
    let ordered = send(
        &dac,
        app,
        &request,
        "order_repayment",
        &[("amount", "5000"), ("reason", "Projet réduit de moitié.")],
    );
    assert_eq!(
        ordered.location,
        Some(app.url(&format!("/agents/demandes/{request}?fait=order_repayment"))),
        "{}",
        ordered.body
    );
    let grant = app
        .get(
            &format!("/api/v1/requests/{request}/grant"),
            Some(&president.access),
        )
        .expect(200)
        .clone();
    assert_eq!(grant["repayments"][0]["cents"], 500_000, "{grant}");
    assert_eq!(
        grant["repayments"][0]["reason"], "Projet réduit de moitié.",
        "{grant}"
    );
    // A direction neither reads nor records payments.
    assert_eq!(read(&dac, app, "/agents/versements").0, 404);
    assert_eq!(pay(&dac, "1", "MDT-2").status, 404);

    // Finance settles the repayment: a day to come refused at its field, then the day it was
    // paid back; half came back, so the file waits for the final report. The bureau reads the
    // list without its forms.
    let repayment = grant["repayments"][0]["id"]
        .as_str()
        .expect("its id")
        .to_owned();
    let (status, owed) = read(&finance, app, "/agents/reversements");
    assert_eq!(status, 200, "{owed}");
    assert!(
        owed.contains(&format!("<strong>{}</strong>", euros(500_000)))
            && owed.contains("Projet réduit de moitié."),
        "{owed}"
    );
    let field = format!("{repayment}-settled_on");
    let settle = |browser: &Browser, on: &str| {
        let csrf = csrf_of(browser, app, "/compte");
        browser.submit(
            &app.url(&format!("/agents/reversements/{request}/{repayment}")),
            &[("csrf", csrf.as_str()), (field.as_str(), on)],
            Some(&app.base),
        )
    };
    let tomorrow = (app.today() + chrono::Days::new(1)).to_string();
    let early = settle(&finance, &tomorrow);
    assert_eq!(early.status, 422, "{}", early.body);
    assert!(
        shown(&early.body).contains(&format!("href=\"#{field}\"")),
        "{}",
        early.body
    );
    let (_, bureau_view) = read(&bureau, app, "/agents/reversements");
    assert!(
        bureau_view.contains("Projet réduit de moitié.") && !bureau_view.contains(&field),
        "{bureau_view}"
    );
    assert_eq!(settle(&dac, &app.today().to_string()).status, 404);
    assert_eq!(read(&dac, app, "/agents/reversements").0, 404);
    let settled = settle(&finance, &app.today().to_string());
    assert_eq!(
        settled.location,
        Some(app.url("/agents/reversements?fait=oui")),
        "{}",
        settled.body
    );
    let grant = app
        .get(
            &format!("/api/v1/requests/{request}/grant"),
            Some(&president.access),
        )
        .expect(200)
        .clone();
    assert_eq!(
        grant["repayments"][0]["settled_on"],
        app.today().to_string(),
        "{grant}"
    );
    let state = app.get(
        &format!("/api/v1/requests/{request}"),
        Some(&president.access),
    );
    assert_eq!(state.expect(200)["state"], "granted");
    let (_, owed) = read(&finance, app, "/agents/reversements?fait=oui");
    assert!(
        owed.contains("Aucun reversement n'attend d'être réglé."),
        "{owed}"
    );
}

/// The bureau prepares a deliberation in the portal: creates it, puts instructed requests on
/// its agenda in one go (the one not instructed refused), sees the total against the
/// campaign's envelope, takes one off, prints the list, and records the vote with one
/// amendment; the grants follow. No one else reaches it.
fn the_bureau_prepares_a_deliberation_and_records_the_council_s_vote(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let mut body = campaign_body(app, "CULTURE_2027", "central", None);
    body["envelope_cents"] = json!(10_000_000);
    let campaign = published_campaign(&city, body);
    let asked = [3_000_000, 1_000_000, 2_000_000];
    let requests: Vec<(User, String)> = asked
        .iter()
        .zip(1..)
        .map(|(cents, n)| submitted_asking(app, n, &campaign, *cents))
        .collect();
    for ((_, request), cents) in requests.iter().zip(asked) {
        city.admit_and_dispatch(request, "DAC", &[]);
        act(app, &city.dac, request, opinion("favourable", cents)).expect(200);
    }
    let (_, _, waiting) = submitted(app, 4, &campaign);
    let [(president, first), (_, second), (_, third)] = &requests[..] else {
        unreachable!()
    };
    let bureau = browser_of(app, "bureau@ville.test");
    let (status, list) = read(&bureau, app, "/agents/deliberations");
    assert_eq!(status, 200, "{list}");
    assert!(
        list.contains("Aucune délibération en préparation."),
        "{list}"
    );
    let (_, home) = read(&bureau, app, "/agents");
    assert!(home.contains("href=\"/agents/deliberations\""), "{home}");

    let create = |fields: &[(&str, &str)]| {
        let csrf = csrf_of(&bureau, app, "/compte");
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        bureau.submit(&app.url("/agents/deliberations"), &form, Some(&app.base))
    };
    let today = app.today().to_string();
    let fields = |reference: &'static str| {
        [
            ("reference", reference),
            ("title", "Subventions à des associations culturelles"),
            ("council", "conseil_de_paris"),
            ("district_number", ""),
            ("session_on", today.as_str()),
        ]
    };
    let wrong = create(&fields("DAC 12"));
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(
        shown(&wrong.body).contains("href=\"#reference\""),
        "{}",
        wrong.body
    );
    let created = create(&fields("2027 DAC 12"));
    let location = created.location.expect("the agenda's page");
    let deliberation = location
        .trim_start_matches(&app.url("/agents/deliberations/"))
        .trim_end_matches("?fait=creee")
        .to_owned();
    let agenda_path = format!("/agents/deliberations/{deliberation}");
    let (_, agenda) = read(&bureau, app, &format!("{agenda_path}?fait=creee"));
    assert!(agenda.contains("Délibération créée"), "{agenda}");
    for (_, r) in &requests {
        assert!(
            agenda.contains(&format!("name=\"choisie-{r}\"")),
            "{agenda}"
        );
    }
    assert!(
        !agenda.contains(&format!("name=\"choisie-{waiting}\"")),
        "not instructed: {agenda}"
    );
    // The reference is the council's: a second one is refused at its field.
    let again = create(&fields("2027 DAC 12"));
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(
        shown(&again.body).contains("Une délibération porte déjà la référence 2027 DAC 12."),
        "{}",
        again.body
    );

    // Three instructed and one still waiting, chosen together: three on the agenda.
    let schedule = |chosen: &[&String]| {
        let csrf = csrf_of(&bureau, app, "/compte");
        let boxes: Vec<String> = chosen.iter().map(|r| format!("choisie-{r}")).collect();
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("action", "schedule"),
            ("schedule-deliberation", deliberation.as_str()),
        ];
        form.extend(boxes.iter().map(|b| (b.as_str(), "oui")));
        let sent = bureau.submit(&app.url("/agents/demandes/lot"), &form, Some(&app.base));
        (sent.status, shown(&sent.body))
    };
    let (status, done) = schedule(&[first, second, third, &waiting]);
    assert_eq!(status, 200, "{done}");
    assert!(
        done.contains("3 demandes traitées, une refusée (rien n'a changé pour elle)"),
        "{done}"
    );
    assert!(done.contains(&format!("href=\"{agenda_path}\"")), "{done}");
    let state = |r: &str| {
        app.get(&format!("/api/v1/requests/{r}"), Some(&city.bureau.access))
            .expect(200)["state"]
            .clone()
    };
    assert_eq!(state(first), "scheduled");
    assert_eq!(state(&waiting), "submitted");
    let (_, agenda) = read(&bureau, app, &agenda_path);
    assert!(
        agenda.contains(&format!("3 demandes, {} proposés", euros(6_000_000))),
        "{agenda}"
    );
    // The envelope of 100,000 €: 60,000 on this agenda, 40,000 left.
    assert!(agenda.contains(&euros(10_000_000)), "{agenda}");
    assert!(agenda.contains(&euros(4_000_000)), "{agenda}");

    // The second taken off: instructed again, the total follows.
    let csrf = csrf_of(&bureau, app, "/compte");
    let off = bureau.submit(
        &app.url(&format!("{agenda_path}/retrait/{second}")),
        &[("csrf", csrf.as_str())],
        Some(&app.base),
    );
    assert_eq!(
        off.location,
        Some(app.url(&format!("{agenda_path}?fait=retiree"))),
        "{}",
        off.body
    );
    assert_eq!(state(second), "instructed");
    let (_, agenda) = read(&bureau, app, &agenda_path);
    assert!(
        agenda.contains(&format!("2 demandes, {} proposés", euros(5_000_000))),
        "{agenda}"
    );

    // The printed list, the largest amount first.
    let (status, printed) = read(&bureau, app, &format!("{agenda_path}/liste?ordre=montant"));
    assert_eq!(status, 200, "{printed}");
    let at = |amount: i64| printed.find(&euros(amount)).expect("an amount listed");
    assert!(at(3_000_000) < at(2_000_000), "{printed}");
    assert!(printed.contains("2 subventions proposées"), "{printed}");

    // The vote: an amendment needs the outcome that allows it; then the first is amended.
    let vote = |fields: &[(&str, &str)]| {
        let csrf = csrf_of(&bureau, app, "/compte");
        let mut form = vec![("csrf", csrf.as_str()), ("voted_on", today.as_str())];
        form.extend_from_slice(fields);
        bureau.submit(
            &app.url(&format!("{agenda_path}/vote")),
            &form,
            Some(&app.base),
        )
    };
    let amended = format!("vote-{first}");
    let refused = vote(&[("outcome", "adopted"), (&amended, "25000")]);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        shown(&refused.body).contains(
            "Des amendements ne se donnent qu'avec un vote « adoptée avec amendements »."
        ),
        "{}",
        refused.body
    );
    assert_eq!(state(first), "scheduled");
    let voted = vote(&[("outcome", "adopted_with_amendments"), (&amended, "25000")]);
    assert_eq!(
        voted.location,
        Some(app.url(&format!("{agenda_path}?fait=votee"))),
        "{}",
        voted.body
    );
    let grant = |r: &str, user: &User| {
        app.get(&format!("/api/v1/requests/{r}/grant"), Some(&user.access))
            .expect(200)["granted_cents"]
            .clone()
    };
    assert_eq!(grant(first, president), 2_500_000);
    assert_eq!(grant(third, &city.bureau), 2_000_000);
    assert_eq!(state(second), "instructed");
    let (_, agenda) = read(&bureau, app, &agenda_path);
    assert!(agenda.contains("Adoptée avec amendements le"), "{agenda}");
    assert!(
        !agenda.contains("Enregistrer le vote</button>") && !agenda.contains("Retirer<"),
        "a voted deliberation changes no more: {agenda}"
    );

    // The list offers the bulk action to the bureau only while a deliberation is prepared.
    create(&fields("2027 DAC 13"));
    let (_, list) = read(&bureau, app, "/agents/demandes");
    assert!(list.contains("name=\"schedule-deliberation\""), "{list}");
    let dac = browser_of(app, "dac@ville.test");
    let (_, list) = read(&dac, app, "/agents/demandes");
    assert!(!list.contains("schedule-deliberation"), "{list}");

    // No one else: a direction, a town hall on the city's council, a member.
    let mairie = browser_of(app, "mairie11@ville.test");
    let member = browser_of(app, &president.email);
    for browser in [&dac, &mairie, &member] {
        assert_eq!(read(browser, app, &agenda_path).0, 404);
        assert_eq!(read(browser, app, &format!("{agenda_path}/liste")).0, 404);
    }
    assert_eq!(read(&dac, app, "/agents/deliberations").0, 404);
    assert_eq!(read(&member, app, "/agents/deliberations").0, 404);
    let (status, own) = read(&mairie, app, "/agents/deliberations");
    assert_eq!(status, 200, "{own}");
    assert!(!own.contains(">2027 DAC 12<"), "{own}");
    let csrf = csrf_of(&dac, app, "/compte");
    let off = dac.submit(
        &app.url(&format!("{agenda_path}/retrait/{third}")),
        &[("csrf", csrf.as_str())],
        Some(&app.base),
    );
    assert_eq!(off.status, 404);
    assert_eq!(state(third), "granted");
}

/// An agent of a service holding a request names who follows it ("suivi par"), among that
/// service's agents only; any agent reading it may keep an eye on it; both fill their "mine"
/// list. No one else may.
fn agents_name_who_follows_a_request_and_find_their_own(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, _, request) = submitted(app, 1, &campaign);
    let (_, _, other) = submitted(app, 2, &campaign);
    city.admit_and_dispatch(&request, "DAC", &[]);
    let dac_id = app.direction_id("DAC");
    let dac2 = app.staff(
        &city.admin,
        "dac2@ville.test",
        json!({"kind": "instructor", "direction_id": dac_id}),
    );
    let bureau = browser_of(app, "bureau@ville.test");
    let page_path = format!("/agents/demandes/{request}");
    let (_, page) = read(&bureau, app, &page_path);
    assert!(
        page.contains("Personne n'est encore désigné pour la suivre."),
        "{page}"
    );
    for agent in [&city.bureau, &city.dac, &dac2] {
        assert!(
            page.contains(&format!("<option value=\"{}\"", agent.id)),
            "{page}"
        );
    }
    for outsider in [&city.djs, &city.mairie11, &city.admin] {
        assert!(
            !page.contains(&format!("value=\"{}\"", outsider.id)),
            "{page}"
        );
    }
    let name = |browser: &Browser, agent: &str| {
        let csrf = csrf_of(browser, app, "/compte");
        browser.submit(
            &app.url(&format!("{page_path}/suivi")),
            &[("csrf", csrf.as_str()), ("agent", agent)],
            Some(&app.base),
        )
    };
    let named = name(&bureau, &dac2.id);
    assert_eq!(
        named.location,
        Some(app.url(&format!("{page_path}?fait=suivi"))),
        "{}",
        named.body
    );
    let (_, page) = read(&bureau, app, &format!("{page_path}?fait=suivi"));
    assert!(
        page.contains("Test dac2@ville.test, désigné·e par Test bureau@ville.test le"),
        "{page}"
    );
    // Not an agent of the services holding it: said at the field, nothing changed.
    let outside = name(&bureau, &city.djs.id);
    assert_eq!(outside.status, 422, "{}", outside.body);
    let body = shown(&outside.body);
    assert!(body.contains("href=\"#agent\""), "{body}");
    assert!(
        body.contains("Cette personne n'est pas agent d'un service qui traite la demande"),
        "{body}"
    );
    assert!(
        body.contains("Test dac2@ville.test, désigné·e par"),
        "{body}"
    );

    // The agent named finds it among theirs, the other not; the cards say who follows.
    let mine = |browser: &Browser| read(browser, app, "/agents/demandes?miennes=oui").1;
    let theirs = browser_of(app, "dac2@ville.test");
    let list = mine(&theirs);
    assert!(
        list.contains(&format!("/agents/demandes/{request}\"")),
        "{list}"
    );
    assert!(list.contains("Suivie par"), "{list}");
    let (status, _, csv) = theirs.go(&app.url("/agents/demandes.csv?miennes=oui"));
    assert_eq!(status, 200);
    assert_eq!(csv.lines().count(), 2, "a header and theirs: {csv}");
    assert!(
        csv.lines()
            .next()
            .is_some_and(|h| h.ends_with(";Suivie par"))
            && csv.contains(";Test dac2@ville.test"),
        "{csv}"
    );
    let (_, all) = read(&bureau, app, "/agents/demandes");
    assert!(
        all.contains(&format!("/agents/demandes/{other}\"")),
        "{all}"
    );
    assert!(!mine(&bureau).contains(&format!("/agents/demandes/{request}\"")));

    // Keeping an eye on it: the DAC's other agent, then no longer.
    let dac = browser_of(app, "dac@ville.test");
    let keep = |browser: &Browser, on: &str| {
        let csrf = csrf_of(browser, app, "/compte");
        browser.submit(
            &app.url(&format!("{page_path}/suivre")),
            &[("csrf", csrf.as_str()), ("suivre", on)],
            Some(&app.base),
        )
    };
    assert_eq!(
        keep(&dac, "oui").location,
        Some(app.url(&format!("{page_path}?fait=suivie")))
    );
    assert!(mine(&dac).contains(&format!("/agents/demandes/{request}\"")));
    let (_, page) = read(&dac, app, &page_path);
    assert!(page.contains("Ne plus suivre cette demande"), "{page}");
    keep(&dac, "non");
    assert!(!mine(&dac).contains(&format!("/agents/demandes/{request}\"")));
    // The direction gives the follow-up back to no one.
    assert_eq!(name(&dac, "").status, 303);
    assert!(!mine(&theirs).contains(&format!("/agents/demandes/{request}\"")));
    let (_, page) = read(&dac, app, &page_path);
    assert!(
        page.contains("Personne n'est encore désigné pour la suivre."),
        "{page}"
    );

    // No one else: another direction, a town hall, a member.
    let djs = browser_of(app, "djs@ville.test");
    let mairie = browser_of(app, "mairie11@ville.test");
    let member = browser_of(app, &president.email);
    for browser in [&djs, &mairie, &member] {
        assert_eq!(name(browser, &city.djs.id).status, 404);
        assert_eq!(keep(browser, "oui").status, 404);
    }
    assert!(!mine(&djs).contains(&format!("/agents/demandes/{request}\"")));
    let (_, page) = read(&bureau, app, &page_path);
    assert!(
        page.contains("Personne n'est encore désigné pour la suivre."),
        "{page}"
    );
}

/// The list filters by amount and day of submission (a wrong amount said at its field), and
/// an agent saves a filter under a name, for them or shared with their service, whose other
/// agents use it; only its author deletes it.
fn agents_save_a_list_s_filter_and_share_it_with_their_service(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, large) = submitted_asking(app, 1, &campaign, 2_000_000);
    app.clock.advance(TimeDelta::minutes(1));
    let (_, small) = submitted_asking(app, 2, &campaign, 500_000);
    app.staff(&city.admin, "bureau2@ville.test", json!({"kind": "bureau"}));
    let bureau = browser_of(app, "bureau@ville.test");
    let listed = |browser: &Browser, query: &str| {
        let (status, page) = read(browser, app, &format!("/agents/demandes?{query}"));
        let found: Vec<bool> = [&large, &small]
            .iter()
            .map(|r| page.contains(&format!("/agents/demandes/{r}\"")))
            .collect();
        (status, found, page)
    };
    assert_eq!(listed(&bureau, "montant_min=10000").1, [true, false]);
    assert_eq!(listed(&bureau, "montant_max=10000").1, [false, true]);
    let today = app.today();
    let (status, found, _) = listed(&bureau, &format!("depose_du={today}&depose_au={today}"));
    assert_eq!((status, found), (200, vec![true, true]));
    assert_eq!(listed(&bureau, "depose_au=2026-01-01").1, [false, false]);
    // Ordered: the latest first, or the oldest, or by the amount asked either way.
    for (order, first, then) in [
        ("", &small, &large),
        ("tri=anciennes", &large, &small),
        ("tri=montant_decroissant", &large, &small),
        ("tri=montant_croissant", &small, &large),
        ("tri=attente", &large, &small),
    ] {
        let (status, _, page) = listed(&bureau, order);
        assert_eq!(status, 200, "{page}");
        let (first, then) = (
            at(&page, &format!("/agents/demandes/{first}\"")),
            at(&page, &format!("/agents/demandes/{then}\"")),
        );
        assert!(first < then, "{order}: {page}");
    }
    let (status, found, page) = listed(&bureau, "montant_min=dix");
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("href=\"#montant_min\""), "{page}");
    assert_eq!(found, [true, true], "the wrong criterion left out");

    let save = |browser: &Browser, fields: &[(&str, &str)]| {
        let csrf = csrf_of(browser, app, "/compte");
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        browser.submit(&app.url("/agents/filtres"), &form, Some(&app.base))
    };
    let large_ones = [
        ("nom", "Gros montants"),
        ("partage", "bureau"),
        ("requete", "montant_min=10000"),
    ];
    let saved = save(&bureau, &large_ones);
    assert_eq!(
        saved.location,
        Some(app.url("/agents/demandes?montant_min=10000&fait=filtre")),
        "{}",
        saved.body
    );
    let (_, found, page) = listed(&bureau, "montant_min=10000&fait=filtre");
    assert_eq!(found, [true, false]);
    assert!(page.contains("Filtre enregistré"), "{page}");
    assert!(
        page.contains("href=\"/agents/demandes?montant_min=10000\">Gros montants</a>")
            && page.contains("partagé avec Bureau des subventions"),
        "{page}"
    );
    // Refused at their fields: a name taken, no criterion, a service not the agent's.
    for (fields, field, message) in [
        (
            large_ones.to_vec(),
            "nom",
            "Vous avez déjà un filtre nommé « Gros montants »",
        ),
        (
            vec![("nom", "Tout"), ("partage", ""), ("requete", "")],
            "nom",
            "Choisissez au moins un critère",
        ),
        (
            vec![
                ("nom", "DAC"),
                ("partage", &format!("direction:{}", app.direction_id("DAC"))),
                ("requete", "etat=submitted"),
            ],
            "partage",
            "Partagez un filtre avec l'un de vos services seulement.",
        ),
    ] {
        let refused = save(&bureau, &fields);
        assert_eq!(refused.status, 422, "{}", refused.body);
        let body = shown(&refused.body);
        assert!(
            body.contains(&format!("href=\"#{field}\"")) && body.contains(message),
            "{body}"
        );
    }

    // Another agent of the bureau uses it; only its author deletes it.
    let colleague = browser_of(app, "bureau2@ville.test");
    let (_, _, page) = listed(&colleague, "");
    assert!(
        page.contains(">Gros montants</a>")
            && page.contains("de Test bureau@ville.test, Bureau des subventions"),
        "{page}"
    );
    assert!(!page.contains("le filtre Gros montants</span>"), "{page}");
    let filter_id = page
        .split("/agents/filtres/")
        .nth(1)
        .map(|rest| rest[..36].to_owned());
    assert_eq!(filter_id, None, "no delete form for the colleague");
    let (_, _, mine) = listed(&bureau, "");
    let filter_id = mine
        .split("/agents/filtres/")
        .nth(1)
        .map(|rest| rest[..36].to_owned())
        .expect("the author's delete form");
    let delete = |browser: &Browser| {
        let csrf = csrf_of(browser, app, "/compte");
        browser.submit(
            &app.url(&format!("/agents/filtres/{filter_id}/suppression")),
            &[("csrf", csrf.as_str())],
            Some(&app.base),
        )
    };
    assert_eq!(delete(&colleague).status, 404);
    // A direction sees neither the bureau's filter nor shares with it; its own stays its own.
    let dac = browser_of(app, "dac@ville.test");
    assert!(!listed(&dac, "").2.contains("Gros montants"));
    let own = save(
        &dac,
        &[
            ("nom", "En retard"),
            ("partage", ""),
            ("requete", "en_retard=oui"),
        ],
    );
    assert_eq!(own.status, 303, "{}", own.body);
    assert!(listed(&dac, "").2.contains(">En retard</a>"));
    assert!(!listed(&bureau, "").2.contains(">En retard</a>"));
    // Its author deletes it: gone for the colleague too.
    assert_eq!(
        delete(&bureau).location,
        Some(app.url("/agents/demandes?fait=filtre-supprime"))
    );
    assert!(!listed(&colleague, "").2.contains("Gros montants"));
    // A member of an association has no list to filter.
    let member = browser_of(app, &president.email);
    assert_eq!(save(&member, &large_ones).status, 404);
}

/// The dashboard draws the indicators as charts, each said in a sentence with its table, and
/// lists the alerts leading to the requests; its filters narrow it, a wrong one is said at its
/// field; finance and the associations find nothing there.
fn agents_read_the_indicators_as_charts(backend: Backend) {
    use simpa_domain::request::RequestState;
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, granted) = submitted_asking(app, 1, &campaign, 2_000_000);
    granted_today(&city, "2027 DAC 13", &[(&granted, 2_000_000)]);
    let (_, _, waiting) = submitted(app, 2, &campaign);
    // Seventy days on: the waiting request is past its deadline, the grant's payment too.
    app.clock.advance(TimeDelta::days(70));
    let bureau = browser_of(app, "bureau@ville.test");
    let (_, home) = read(&bureau, app, "/agents");
    assert!(home.contains("href=\"/agents/tableau-de-bord\""), "{home}");
    let (status, page) = read(&bureau, app, "/agents/tableau-de-bord");
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page.matches("<svg class=\"simpa-chart__svg\"").count(),
        3,
        "{page}"
    );
    assert!(
        page.contains("role=\"img\" aria-labelledby=\"etats-titre etats-desc\""),
        "{page}"
    );
    for said in [
        format!("{} : 1 demande ; ", RequestState::Submitted.label()),
        format!("{} : 1 demande.", RequestState::Granted.label()),
        format!(
            "DAC : demandé {}, proposé {}, voté {}, versé {}.",
            euros(2_000_000 + 400_000),
            euros(2_000_000),
            euros(2_000_000),
            euros(0)
        ),
    ] {
        assert!(page.contains(&said), "{said} in {page}");
    }
    // The table behind a chart, and the alerts leading to the requests.
    assert!(
        page.contains("<th scope=\"row\" class=\"govuk-table__header\">DAC</th>"),
        "{page}"
    );
    let steps = page.find("Les étapes en retard").expect("the late steps");
    let payments = page
        .find("Les versements en retard")
        .expect("the late payments");
    let waiting_at = page
        .find(&format!("/agents/demandes/{waiting}\""))
        .expect("late");
    let granted_at = page
        .rfind(&format!("/agents/demandes/{granted}\""))
        .expect("late");
    assert!(
        steps < waiting_at && waiting_at < payments && payments < granted_at,
        "{page}"
    );

    // Narrowed: grouped by district; another district has nothing; wrong filters said.
    let (_, by_district) = read(&bureau, app, "/agents/tableau-de-bord?par=arrondissement");
    assert!(
        by_district.contains("Les montants par arrondissement")
            && by_district.contains("11e arrondissement : demandé"),
        "{by_district}"
    );
    let (_, elsewhere) = read(&bureau, app, "/agents/tableau-de-bord?arrondissement=5");
    assert!(elsewhere.contains("Aucune donnée."), "{elsewhere}");
    assert!(
        !elsewhere.contains(&format!("/agents/demandes/{waiting}\"")),
        "{elsewhere}"
    );
    for (query, field) in [("direction=XYZ", "direction"), ("annee=deux", "annee")] {
        let (status, wrong) = read(&bureau, app, &format!("/agents/tableau-de-bord?{query}"));
        assert_eq!(status, 422, "{wrong}");
        assert!(wrong.contains(&format!("href=\"#{field}\"")), "{wrong}");
    }

    // A direction sees what it instructs; finance and a member nothing.
    let dac = browser_of(app, "dac@ville.test");
    assert_eq!(read(&dac, app, "/agents/tableau-de-bord").0, 200);
    app.staff(
        &city.admin,
        "finances@ville.test",
        json!({"kind": "finance"}),
    );
    let finance = browser_of(app, "finances@ville.test");
    assert_eq!(read(&finance, app, "/agents/tableau-de-bord").0, 404);
    let (_, home) = read(&finance, app, "/agents");
    assert!(!home.contains("tableau-de-bord"), "{home}");
    let member = browser_of(app, &president.email);
    assert_eq!(read(&member, app, "/agents/tableau-de-bord").0, 404);
}

/// Finance splits a grant's payments from the request's page: the schedule must add up to the
/// amount voted (said at the form), then holds; no one else may change it.
fn finance_sets_a_grant_s_schedule(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, request) = submitted_asking(app, 1, &campaign, 2_000_000);
    granted_today(&city, "2027 DAC 13", &[(&request, 2_000_000)]);
    app.staff(
        &city.admin,
        "finances@ville.test",
        json!({"kind": "finance"}),
    );
    let finance = browser_of(app, "finances@ville.test");
    let page_path = format!("/agents/subventions/{request}");
    let (_, list) = read(&finance, app, "/agents/subventions?annee=2027&a_verser=oui");
    assert!(list.contains(&format!("href=\"{page_path}\"")), "{list}");
    let (_, paid_up) = read(&finance, app, "/agents/subventions?annee=2026");
    assert!(
        paid_up.contains("Aucune subvention ne répond à ces critères."),
        "{paid_up}"
    );
    let (status, page) = read(&finance, app, &page_path);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Enregistrer l'échéancier"), "{page}");
    assert!(
        page.contains(
            "name=\"tranche-0-montant\" type=\"text\" inputmode=\"numeric\" value=\"20000\""
        ),
        "{page}"
    );
    let schedule = |browser: &Browser, lines: &[(&str, &str)]| {
        let csrf = csrf_of(browser, app, "/compte");
        let mut form = vec![("csrf", csrf.as_str()), ("version", "1")];
        form.extend_from_slice(lines);
        browser.submit(
            &app.url(&format!("{page_path}/echeancier")),
            &form,
            Some(&app.base),
        )
    };
    let short = schedule(
        &finance,
        &[
            ("tranche-0-montant", "10000"),
            ("tranche-0-echeance", "on_notification"),
            ("tranche-1-montant", "5000"),
            ("tranche-1-echeance", "after_final_report"),
        ],
    );
    assert_eq!(short.status, 422, "{}", short.body);
    let body = shown(&short.body);
    assert!(
        body.contains("href=\"#tranche-0-montant\"")
            && body.contains("il doit verser exactement le montant accordé"),
        "{body}"
    );
    let wrong = schedule(
        &finance,
        &[
            ("tranche-0-montant", "12000"),
            ("tranche-1-montant", "8000,50"),
        ],
    );
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(
        shown(&wrong.body).contains("href=\"#tranche-1-montant\""),
        "{}",
        wrong.body
    );
    let split = schedule(
        &finance,
        &[
            ("tranche-0-montant", "12000"),
            ("tranche-0-echeance", "on_notification"),
            ("tranche-1-montant", "8000"),
            ("tranche-1-echeance", "after_final_report"),
        ],
    );
    assert_eq!(
        split.location,
        Some(app.url(&format!("{page_path}?fait=echeancier"))),
        "{}",
        split.body
    );
    let grant = app
        .get(
            &format!("/api/v1/requests/{request}/grant"),
            Some(&president.access),
        )
        .expect(200)
        .clone();
    assert_eq!(grant["installments"][0]["cents"], 1_200_000, "{grant}");
    assert_eq!(
        grant["installments"][1]["due"], "after_final_report",
        "{grant}"
    );
    // The version read is no longer the grant's: refused, nothing lost.
    let stale = schedule(&finance, &[("tranche-0-montant", "20000")]);
    assert_eq!(stale.status, 422, "{}", stale.body);
    assert!(
        shown(&stale.body).contains("Quelqu'un a modifié ces informations"),
        "{}",
        stale.body
    );
    // The bureau and the direction read it, change nothing.
    for agent in ["bureau@ville.test", "dac@ville.test"] {
        let browser = browser_of(app, agent);
        let (_, page) = read(&browser, app, &page_path);
        assert!(
            !page.contains("Enregistrer l'échéancier")
                && page.contains("après acceptation du compte rendu financier"),
            "{page}"
        );
        assert_eq!(
            schedule(&browser, &[("tranche-0-montant", "20000")]).status,
            404
        );
    }
}

on_both_backends!(
    agents_filter_order_and_download_every_list,
    finance_sets_a_grant_s_schedule,
    agents_read_the_indicators_as_charts,
    agents_save_a_list_s_filter_and_share_it_with_their_service,
    agents_name_who_follows_a_request_and_find_their_own,
    the_bureau_prepares_a_deliberation_and_records_the_council_s_vote,
    finance_records_the_payments_due,
    agents_act_on_a_selection_of_requests,
    agents_review_a_final_report_from_the_request_s_page,
    agents_find_their_work_and_a_request_s_whole_file,
    agents_instruct_a_request_from_its_page,
    agents_check_the_documents_associations_file
);

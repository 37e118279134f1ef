//! Talking about a request in a real browser (Debian's Chromium): the treasurer writes to the
//! city with a file, the bureau sees it unread in its pages, answers and leaves an internal
//! note, finds it by its words; the treasurer sees the answer unread on the association's
//! page, reads that the city read them, and never sees the note. Every page is checked by
//! axe-core and the Nu Html Checker, and fits a phone.

use crate::portal::{served, submit};
use crate::requests::{City, submitted};
use simpa_tests::browser::Journey;
use simpa_tests::client::PASSWORD;
use simpa_tests::documents::pdf;
use simpa_tests::{Backend, on_both_backends};

on_both_backends!(a_treasurer_and_the_bureau_talk_about_a_request_in_a_browser);

fn a_treasurer_and_the_bureau_talk_about_a_request_in_a_browser(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let Some(mut browser) = Journey::start() else {
        return;
    };
    let journey = match backend {
        Backend::Sqlite => "messages-sqlite",
        Backend::Postgres => "messages-postgres",
    };
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, association, request) = submitted(app, 1, &campaign);
    let association = association["id"].as_str().expect("id").to_owned();
    let devis = app.data_dir().join("devis-atelier.pdf");
    std::fs::write(&devis, pdf("devis-atelier")).expect("the file to upload");
    let mut step = |name: &str, address: String| -> (String, u16, u32) {
        let seen = browser.visit(&format!("{journey}-{name}"), &address);
        (seen.url.clone(), seen.status, seen.phone_width)
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
    let mut widths = Vec::new();

    // The treasurer writes to the city, with a file.
    let thread = format!("/demandes/{request}/messages");
    step("connexion-association", sign_in(&president.email, &thread));
    let written = step(
        "ecrit",
        app.url(&format!(
            "{thread}{}",
            submit(&[
                ("association-text", "Bonjour,\nvoici le devis de l'atelier."),
                ("association-file", devis.to_str().expect("a path")),
            ])
        )),
    );
    assert_eq!(written.1, 200);
    widths.push(written.2);
    let shown = page("ecrit");
    assert!(shown.contains("Votre message est envoyé."), "{shown}");
    assert!(shown.contains("voici le devis de l'atelier."), "{shown}");
    assert!(shown.contains("devis-atelier.pdf"), "{shown}");
    assert!(shown.contains("Pas encore lu par la Ville"), "{shown}");
    // Nothing written: said at the field, nothing sent.
    let refused = step("vide", app.url(&format!("{thread}#submit")));
    assert_eq!(refused.1, 422);
    assert!(
        page("vide").contains("Ce champ est obligatoire"),
        "{}",
        page("vide")
    );
    step("deconnexion-association", sign_out.clone());

    // The bureau sees it unread, reads it, answers, and leaves a note.
    let file = format!("/agents/demandes/{request}");
    step("connexion-bureau", sign_in("bureau@ville.test", &file));
    // The history counts the message among its events, said apart from those it shows.
    assert!(
        page("connexion-bureau").contains("les 3 événements, dont un message, s'enchaînent"),
        "{}",
        page("connexion-bureau")
    );
    assert!(
        page("connexion-bureau").contains("1 non lu"),
        "{}",
        page("connexion-bureau")
    );
    let staff_thread = format!("{file}/messages");
    let read = step("lu", app.url(&staff_thread));
    widths.push(read.2);
    let shown = page("lu");
    assert!(
        shown.contains("voici le devis de l'atelier.") && shown.contains("Nouveau"),
        "{shown}"
    );
    let answered = step(
        "repondu",
        app.url(&format!(
            "{staff_thread}{}",
            submit(&[("association-text", "Merci, le devis est bien reçu.")])
        )),
    );
    assert!(answered.0.contains("/agents/demandes/"), "{}", answered.0);
    let noted = step(
        "note",
        app.url(&format!(
            "{staff_thread}{}",
            submit(&[("internal-text", "Devis à comparer avec celui de 2026.")])
        )),
    );
    widths.push(noted.2);
    let shown = page("note");
    assert!(
        shown.contains("Devis à comparer avec celui de 2026."),
        "{shown}"
    );
    let found = step("recherche", app.url("/agents/messages?q=DEVIS"));
    widths.push(found.2);
    let shown = page("recherche");
    assert!(
        shown.contains("Merci, le devis est bien reçu.")
            && shown.contains("Devis à comparer avec celui de 2026.")
            && shown.contains("note interne"),
        "{shown}"
    );
    step("deconnexion-bureau", sign_out);

    // The treasurer sees the answer unread, and that the city read them; never the note.
    let home = format!("/associations/{association}");
    step("retour-association", sign_in(&president.email, &home));
    let shown = page("retour-association");
    assert!(shown.contains("1 message non lu"), "{shown}");
    let answer = step("reponse", app.url(&thread));
    widths.push(answer.2);
    let shown = page("reponse");
    assert!(shown.contains("Merci, le devis est bien reçu."), "{shown}");
    assert!(shown.contains("Lu par la Ville le"), "{shown}");
    assert!(!shown.contains("Devis à comparer"), "{shown}");
    assert!(!shown.contains("Notes internes"), "{shown}");

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
            let ids = v
                .serious_violations()
                .iter()
                .map(|x| x.id.as_str())
                .collect();
            (v.name.as_str(), ids)
        })
        .collect();
    assert!(serious.is_empty(), "axe: {serious:?}");
    assert!(widths.iter().all(|w| *w <= 375), "fits a phone: {widths:?}");
}

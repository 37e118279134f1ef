//! The association's whole journey in a real browser (Debian's Chromium), by keyboard alone
//! (every field and button reached with Tab, the files chosen from their drop zone's button):
//! from signing up to the final report and its rework, the city's part done through the API
//! between the steps; then her account's care (an invitation accepted, her password changed,
//! an authentication app added and signing in with its code); every page checked by axe-core
//! and the Nu Html Checker.

use crate::grants::granted_today;
use crate::portal::{hidden, served};
use crate::requests::{City, act};
use crate::two_factor::code;
use chrono::TimeDelta;
use serde_json::json;
use simpa_domain::two_factor::TotpSecret;
use simpa_tests::browser::{Journey, Visited};
use simpa_tests::client::{PASSWORD, association_body};
use simpa_tests::documents::pdf;
use simpa_tests::{Backend, on_both_backends};

/// The path of the first link of a message that leads to `start` (the host is the city's
/// public address, which the tests' server answers on under another name).
fn link_in(mail: &str, start: &str) -> String {
    let at = mail
        .find(start)
        .unwrap_or_else(|| panic!("no link to {start} in {mail}"));
    let end = mail[at..]
        .find(char::is_whitespace)
        .map_or(mail.len(), |n| at + n);
    mail[at..end].to_owned()
}

/// A form's fields typed by keyboard alone (each reached with Tab), then the form's button reached
/// with Tab and pressed with Enter.
fn typed(fields: &[(&str, &str)]) -> String {
    format!(
        "#keyboard:{}",
        serde_urlencoded::to_string(fields).expect("encoded")
    )
}

fn a_treasurer_goes_from_signing_up_to_the_final_report_in_a_browser(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    // The campaign open now, the one she applies to.
    city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let Some(mut browser) = Journey::start() else {
        return;
    };
    // Named by their database: the journeys on both run at once, and keep their pages apart.
    let journey = match backend {
        Backend::Sqlite => "parcours-sqlite",
        Backend::Postgres => "parcours-postgres",
    };
    let page_html = |name: &str| served(&format!("{journey}-{name}"));
    let mut step = |name: &str, address: &str| -> String {
        let seen: &Visited = browser.visit(&format!("{journey}-{name}"), address);
        seen.url.clone()
    };
    let email = "camille@exemple.org";

    // She signs up, and confirms her address from the e-mail's link.
    step(
        "inscription",
        &app.url(&format!(
            "/inscription{}",
            typed(&[
                ("display_name", "Camille Martin"),
                ("email", email),
                ("password", PASSWORD),
            ])
        )),
    );
    let mail = app.mailed(email, "Confirmez votre adresse e-mail");
    let verify = link_in(&mail, "/compte/verification?jeton=");
    step("confirmation", &format!("{}#keyboard", app.url(&verify)));
    step(
        "connexion",
        &app.url(&format!(
            "/connexion?retour=%2Fcompte{}",
            typed(&[("email", email), ("password", PASSWORD)])
        )),
    );
    let lea = app.signed_in_as(email, PASSWORD);
    assert_eq!(
        app.get("/api/v1/me", Some(&lea.access)).expect(200)["email_verified"],
        true
    );

    // She creates the association, then files its documents once.
    let association_page = step(
        "association",
        &app.url(&format!(
            "/associations/nouvelle{}",
            typed(&[
                ("name", "Les Ateliers du Faubourg"),
                ("rna", "W751000007"),
                ("siret", "52499120500013"),
                (
                    "object",
                    "Des ateliers d'écriture pour les jeunes du quartier."
                ),
                ("address_street", "12 rue du Faubourg du Temple"),
                ("address_postal_code", "75011"),
                ("address_city", "Paris"),
            ])
        )),
    );
    let association = association_page
        .rsplit("/associations/")
        .next()
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .expect("the association's address")
        .to_owned();
    let folder = tempfile::tempdir().expect("a folder for the files");
    let file = |name: &str| {
        let path = folder.path().join(name);
        std::fs::write(&path, pdf(name)).expect("the file written");
        path.to_string_lossy().into_owned()
    };
    let vault = app.url(&format!("/associations/{association}/documents"));
    for kind in ["statuts", "liste_dirigeants", "recepisse_prefecture"] {
        let field = format!("{kind}-file");
        let path = file(&format!("{kind}.pdf"));
        step(kind, &format!("{vault}{}", typed(&[(&field, &path)])));
    }
    // Her first RIB has a mistyped IBAN: the page that answers says what to fix.
    let rib = file("rib.pdf");
    step(
        "rib-erreur",
        &format!(
            "{vault}{}",
            typed(&[
                ("rib-iban", "FR76 3000 6000 0112 3456 7890 180"),
                ("rib-bic", "AGRIFRPP"),
                ("rib-file", &rib),
            ])
        ),
    );
    let page = page_html("rib-erreur");
    assert!(page.contains("govuk-error-summary"), "{page}");
    step(
        "rib",
        &format!(
            "{vault}{}",
            typed(&[
                ("rib-iban", "FR76 3000 6000 0112 3456 7890 189"),
                ("rib-bic", "AGRIFRPP"),
                ("rib-file", &rib),
            ])
        ),
    );
    step(
        "contrat-engagement",
        &format!("{vault}#keypress:Signer au nom de l'association"),
    );
    // She lists the association in the directory, its e-mail shown.
    let profile = app.url(&format!("/associations/{association}/profil"));
    step(
        "profil",
        &format!(
            "{profile}{}",
            typed(&[
                ("email", "contact@ateliers-faubourg.fr"),
                ("directory", "oui"),
                ("public_email", "oui"),
            ])
        ),
    );
    let page = page_html("profil");
    assert!(page.contains("Profil enregistré"), "{page}");
    assert!(
        page.contains("Voici ce que tout le monde en voit"),
        "{page}"
    );

    // She starts a request and writes it step by step.
    let started = step(
        "nouvelle-demande",
        &app.url(&format!(
            "/associations/{association}/demandes/nouvelle{}",
            typed(&[("campaign", "oui"), ("title", "Ateliers d'écriture")])
        )),
    );
    let request = started
        .split("/demandes/")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .expect("the request's address")
        .to_owned();
    let at = |slug: &str| app.url(&format!("/demandes/{request}/{slug}"));
    step(
        "projet",
        &format!(
            "{}{}",
            at("projet"),
            typed(&[
                ("summary", "Quarante ateliers d'écriture au centre social."),
                ("objectives", "Donner aux jeunes le goût d'écrire."),
            ])
        ),
    );
    step(
        "dates",
        &format!(
            "{}{}",
            at("dates-et-lieux"),
            typed(&[
                ("start_date", "2027-03-01"),
                ("end_date", "2027-11-30"),
                ("district_11", "oui"),
            ])
        ),
    );
    step(
        "public",
        &format!(
            "{}{}",
            at("public"),
            typed(&[
                ("target_public", "Les jeunes de 12 à 18 ans du quartier."),
                ("indicators_0__name", "Jeunes accompagnés"),
                ("indicators_0__unit", "personnes"),
                ("indicators_0__target", "80"),
            ])
        ),
    );
    // A budget mistake: the message says what is wrong, and where.
    let budget = |city_part: &str| {
        typed(&[
            ("l60", "20000"),
            ("l64", "10000"),
            ("l70", "5000"),
            ("l74_commune", city_part),
        ])
    };
    step(
        "budget-erreur",
        &format!("{}{}", at("budget"), budget("25 000,50")),
    );
    let page = page_html("budget-erreur");
    assert!(page.contains("href=\"#l74_commune\""), "{page}");
    step("budget", &format!("{}{}", at("budget"), budget("25000")));
    step("verification", &at("verification"));
    let page = page_html("verification");
    assert!(page.contains("Déposer la demande</button>"), "{page}");
    step(
        "depot",
        &format!("{}{}", at("verification"), typed(&[("attestation", "oui")])),
    );
    assert!(page_html("depot").contains("Demande déposée"));

    // The bureau asks for another RIB (through the API); she answers from the e-mail's link.
    let ask = json!({"action": "ask_documents", "items": [{"document_kind": "rib", "reason": "incorrect"}], "message": "Le RIB ne porte pas le nom de l'association.", "due_on": (app.today() + chrono::Duration::days(15)).to_string()});
    act(app, &city.bureau, &request, ask).expect(200);
    let mail = app.mailed(email, "Pièces ou informations demandées%");
    let asked = link_in(&mail, &format!("/demandes/{request}"));
    step("demande-completer", &app.url(&asked));
    let page = page_html("demande-completer");
    assert!(
        page.contains("Le RIB ne porte pas le nom de l'association."),
        "{page}"
    );
    let new_rib = file("rib-corrige.pdf");
    step(
        "rib-corrige",
        &format!(
            "{vault}{}",
            typed(&[
                ("rib-iban", "FR76 3000 6000 0112 3456 7890 189"),
                ("rib-bic", "AGRIFRPP"),
                ("rib-file", &new_rib),
            ])
        ),
    );
    step(
        "renvoi",
        &format!(
            "{}{}",
            at("verification"),
            typed(&[
                ("attestation", "oui"),
                ("message", "Voici le RIB au nom de l'association."),
            ])
        ),
    );
    assert!(page_html("renvoi").contains("Demande renvoyée"));

    // The city instructs it and votes 25,000 €; the president signs the agreement.
    granted_today(&city, "2027 DAC 77", &[(&request, 2_500_000)]);
    step("subvention", &app.url(&format!("/demandes/{request}")));
    let page = page_html("subvention");
    assert!(page.contains("Subvention accordée</strong>"), "{page}");
    // Her message, sent with the request back, is in its timeline.
    assert!(
        page.contains("Voici le RIB au nom de l'association."),
        "{page}"
    );
    step(
        "convention-signee",
        &format!("{}{}", at("convention"), typed(&[("read", "oui")])),
    );
    let signed = app
        .get(
            &format!("/api/v1/requests/{request}/grant"),
            Some(&lea.access),
        )
        .expect(200)
        .clone();
    assert_eq!(
        signed["agreement"]["status"], "signed_by_association",
        "{signed}"
    );

    // The final report: what was carried out, line by line, and the indicator achieved.
    step(
        "compte-rendu",
        &format!(
            "{}{}",
            at("compte-rendu"),
            typed(&[
                ("r0", "20000"),
                ("r1", "10000"),
                ("r2", "5000"),
                ("r3", "25000"),
                ("achieved_0", "85"),
                ("summary", "Quarante ateliers, au centre social."),
            ])
        ),
    );
    let report = app
        .get(
            &format!("/api/v1/requests/{request}/final-report"),
            Some(&lea.access),
        )
        .expect(200)
        .clone();
    assert_eq!(report["status"], "filed", "{report}");
    // The city asks her to rework it: the page says why and gives the form back as filed.
    app.post(
        &format!("/api/v1/requests/{request}/final-report/ask-changes"),
        Some(&city.dac.access),
        &json!({"reason": "Joignez le détail des achats."}),
    )
    .expect(200);
    step("compte-rendu-a-reprendre", &at("compte-rendu"));
    let page = page_html("compte-rendu-a-reprendre");
    assert!(page.contains("Joignez le détail des achats."), "{page}");
    assert!(page.contains("value=\"20000\""), "{page}");
    assert!(page.contains("Déposer le compte rendu</button>"), "{page}");

    // She ends all her sessions from elsewhere: this browser is signed out at its next page.
    app.delete("/api/v1/me/sessions", Some(&lea.access))
        .expect(204);
    let signed_out = step(
        "session-terminee",
        &app.url(&format!("/demandes/{request}")),
    );
    assert!(signed_out.contains("/connexion"), "{signed_out}");
    // She signs in again and is back where she was.
    let back = step(
        "reconnexion",
        &typed(&[("email", email), ("password", PASSWORD)]),
    );
    assert!(back.ends_with(&format!("/demandes/{request}")), "{back}");

    // A neighbouring association invites her; she accepts from the e-mail's link.
    let neighbour = app.new_user("voisine@exemple.org");
    let voisins = app.create_association(
        &neighbour,
        &association_body("Les Voisins du Canal", "W751000005", "73282932000074"),
    );
    crate::members::invite(app, &neighbour, &voisins, email, "manager");
    let mail = app.mailed(email, "%Les Voisins du Canal");
    let invitation = link_in(&mail, "/compte/invitation?jeton=");
    step(
        "invitation-acceptee",
        &format!("{}#keypress:Accepter l'invitation", app.url(&invitation)),
    );
    let page = page_html("invitation-acceptee");
    assert!(
        page.contains("Vous rejoignez « Les Voisins du Canal »"),
        "{page}"
    );

    // She changes her password: every session ends, this one too.
    let new_password = "un autre mot de passe, plus long";
    step(
        "mot-de-passe-change",
        &app.url(&format!(
            "/compte/mot-de-passe{}",
            typed(&[
                ("current_password", PASSWORD),
                ("new_password", new_password),
            ])
        )),
    );
    assert!(page_html("mot-de-passe-change").contains("Votre mot de passe a changé"));
    let signed_in = |password: &str| {
        app.url(&format!(
            "/connexion?retour=%2Fcompte{}",
            typed(&[("email", email), ("password", password)])
        ))
    };
    let home = step("connexion-nouveau-mot-de-passe", &signed_in(new_password));
    assert!(home.ends_with("/compte"), "{home}");

    // She adds an authentication app: the key shown, the app's code typed, her recovery
    // codes shown once; signing in then asks for a code.
    step(
        "double-authentification",
        &app.url("/compte/double-authentification#keypress:Ajouter une application"),
    );
    let secret = hidden(&page_html("double-authentification"), "secret");
    let secret = TotpSecret::from_base32(&secret).expect("the key shown");
    step(
        "codes-de-secours",
        &typed(&[("code", &code(app, &secret, 0))]),
    );
    let page = page_html("codes-de-secours");
    assert!(page.contains("Double authentification activée"), "{page}");
    let recovery = page
        .split("<li>")
        .skip(1)
        .filter(|item| item.len() > 14 && item.as_bytes()[4] == b'-' && item.as_bytes()[9] == b'-')
        .count();
    assert_eq!(recovery, 10, "{page}");
    app.clock.advance(TimeDelta::seconds(30));
    let asked = step("connexion-code", &signed_in(new_password));
    assert!(asked.contains("/connexion/code"), "{asked}");
    let home = step(
        "compte-avec-code",
        &typed(&[("code", &code(app, &secret, 0))]),
    );
    assert!(home.ends_with("/compte"), "{home}");

    let visits = browser.end();
    // The files were dropped on their drop zones and sent by the page's script, which says
    // how much is sent; what answered is the page shown.
    let seen = |name: &str| {
        let name = format!("{journey}-{name}");
        visits
            .pages
            .iter()
            .find(|p| p.name == name)
            .expect("visited")
    };
    for (name, status) in [("statuts", 200), ("rib-erreur", 422), ("rib-corrige", 200)] {
        let page = seen(name);
        assert_eq!(page.sent.as_deref(), Some("script"), "{name}");
        assert_eq!(page.status, status, "{name}");
        assert!(page.url.ends_with("/documents"), "{name}: {}", page.url);
    }
    assert!(page_html("statuts").contains("Document déposé"));
    assert_eq!(
        visits.html_errors,
        Vec::<String>::new(),
        "the Nu Html Checker"
    );
    for page in &visits.pages {
        assert!(
            page.status < 400 || page.name.ends_with("-erreur"),
            "{}: {} at {}",
            page.name,
            page.status,
            page.url
        );
        let serious = page.serious_violations();
        assert!(serious.is_empty(), "{}: {serious:?}", page.name);
        assert_eq!(page.blocked, Vec::<String>::new(), "{}", page.name);
        assert!(
            page.phone_width <= 375,
            "{} is wider than a phone",
            page.name
        );
    }
}

on_both_backends!(a_treasurer_goes_from_signing_up_to_the_final_report_in_a_browser);

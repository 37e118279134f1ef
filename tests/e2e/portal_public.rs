//! The portal's directory (searching, a card, the card to embed in another site) and an
//! association's documents page (each kind's state and what to do, the versions filed, a
//! rejection's reason, confirming the profile).

use crate::portal::{hidden, shown};
use crate::portal_associations::signed_in_browser;
use crate::portal_sessions::sign_in;
use chrono::TimeDelta;
use serde_json::json;
use simpa_tests::browser::Browser;
use simpa_tests::client::association_body;
use simpa_tests::documents::{documents_path, file, file_everything, pdf};
use simpa_tests::{Backend, TestApp, on_both_backends};

fn the_directory_shows_only_what_associations_made_public(backend: Backend) {
    let app = TestApp::start(backend);
    let president = app.new_user("presidente@exemple.org");
    let mut body = association_body("Théâtre du Faubourg", "W751000001", "52499120500013");
    body["directory_consent"] = json!(true);
    body["email"] = json!("contact@theatre-faubourg.fr");
    body["phone"] = json!("01 43 55 00 00");
    body["public_contact"] = json!({"email": true});
    let theatre = app.create_association(&president, &body);
    let hidden_one = app.create_association(
        &president,
        &association_body("Club discret", "W751000002", "38033590100027"),
    );
    let id = theatre["id"].as_str().expect("id");

    let browser = Browser::default();
    let search = |query: &str| {
        let (status, _, page) = browser.go(&app.url(&format!("/annuaire{query}")));
        assert_eq!(status, 200, "{query}: {page}");
        shown(&page)
    };
    let all = search("");
    assert!(all.contains("Théâtre du Faubourg"), "{all}");
    assert!(!all.contains("Club discret"), "only who consented: {all}");
    assert!(search("?q=THEATRE").contains(&format!("href=\"/annuaire/{id}\"")));
    assert!(search("?q=cirque").contains("Aucune association trouvée"));
    assert!(search("?arrondissement=11").contains("Théâtre du Faubourg"));
    assert!(!search("?arrondissement=12").contains("Théâtre du Faubourg"));
    assert!(
        search("?arrondissement=99").contains("Théâtre du Faubourg"),
        "no such district: no filter"
    );

    let card = app.send(app.request(reqwest::Method::GET, &format!("/annuaire/{id}")));
    assert_eq!(card.status, 200, "{}", card.text);
    let page = shown(&card.text);
    assert!(page.contains("contact@theatre-faubourg.fr"), "{page}");
    assert!(
        !page.contains("01 43 55 00 00"),
        "a contact not made public: {page}"
    );
    assert_eq!(card.header("x-frame-options"), Some("DENY"));
    let hidden_path = format!("/annuaire/{}", hidden_one["id"].as_str().expect("id"));
    let (status, _, _) = browser.go(&app.url(&hidden_path));
    assert_eq!(status, 404);
    let (status, _, _) = browser.go(&app.url(&format!("{hidden_path}/carte")));
    assert_eq!(status, 404);

    // The card to embed: framed by any site, cached five minutes, linking to the full card.
    let embedded = app.send(app.request(reqwest::Method::GET, &format!("/annuaire/{id}/carte")));
    assert_eq!(embedded.status, 200, "{}", embedded.text);
    assert_eq!(embedded.header("x-frame-options"), None);
    assert!(
        embedded
            .header("content-security-policy")
            .is_some_and(|p| p.contains("frame-ancestors *") && p.contains("style-src 'self'")),
        "{:?}",
        embedded.header("content-security-policy")
    );
    assert_eq!(
        embedded.header("cache-control"),
        Some("public, max-age=300")
    );
    let page = shown(&embedded.text);
    assert!(
        page.contains("Théâtre du Faubourg") && !page.contains("govuk-skip-link"),
        "{page}"
    );
    assert!(
        page.contains(&format!("/annuaire/{id}\" target=\"_top\"")),
        "{page}"
    );
}

fn the_documents_page_says_where_each_document_stands(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let bureau = app.staff(&admin, "bureau@ville.test", json!({"kind": "bureau"}));
    let email = "presidente@exemple.org";
    let browser = signed_in_browser(&app, email);
    let president = app.signed_in_as(email, simpa_tests::client::PASSWORD);
    let theatre = app.create_association(
        &president,
        &association_body("Théâtre du Faubourg", "W751000001", "52499120500013"),
    );
    let path = format!(
        "/associations/{}/documents",
        theatre["id"].as_str().expect("id")
    );
    let page = |browser: &Browser| {
        let (status, _, page) = browser.go(&app.url(&path));
        assert_eq!(status, 200, "{page}");
        shown(&page)
    };

    let empty = page(&browser);
    assert!(empty.contains("À compléter"), "{empty}");
    assert!(
        empty.contains("Statuts") && empty.contains("À déposer."),
        "{empty}"
    );

    let filed = file(
        &app,
        Some(&president),
        &theatre,
        &[("kind", "statuts")],
        Some(("statuts-2024.pdf", pdf("statuts"))),
    );
    let version = filed.expect(201)["version"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let pending = page(&browser);
    assert!(pending.contains("En attente de vérification"), "{pending}");
    assert!(pending.contains("statuts-2024.pdf"), "{pending}");
    app.post(
        &format!("{}/{version}/review", documents_path(&theatre)),
        Some(&bureau.access),
        &json!({"decision": "rejected", "reason": "Statuts non signés"}),
    )
    .expect(200);
    let rejected = page(&browser);
    assert!(rejected.contains("Refusé"), "{rejected}");
    assert!(
        rejected.contains("La Ville l'a refusé (« Statuts non signés »)"),
        "{rejected}"
    );

    // A new version, filed from the page (a multipart form, as a browser sends it).
    let csrf = hidden(&rejected, "csrf");
    let upload = |kind: &str| app.url(&format!("{path}/{kind}"));
    let filed = browser.post_multipart(
        &upload("statuts"),
        &[("csrf", &csrf)],
        Some(("statuts-signes.pdf", pdf("statuts signés"))),
        &app.base,
    );
    assert_eq!(filed.status, 200, "{}", filed.body);
    let body = shown(&filed.body);
    assert!(
        body.contains("Document déposé") && body.contains("Statuts : la Ville le vérifiera"),
        "{body}"
    );
    assert!(body.contains("statuts-signes.pdf"), "{body}");
    // The file filed comes back from its link, as it was filed; to no one else.
    let start = body.find("/fichier\"").expect("a file's link");
    let from = body[..start].rfind("href=\"").expect("its start") + 6;
    let link = app.url(&body[from..start + 8]);
    let download = browser.http.get(&link).send().expect("an answer");
    assert_eq!(download.status(), 200);
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        disposition.ends_with("statuts%2Dsignes.pdf"),
        "{disposition}"
    );
    assert_eq!(
        download.bytes().expect("bytes").to_vec(),
        pdf("statuts signés")
    );
    assert_eq!(Browser::default().go(&link).0, 303, "signed in first");

    // What cannot be filed is said at the field of its kind's form, that form open.
    let wrong = |kind: &str, fields: &[(&str, &str)], file: Option<(&str, Vec<u8>)>| {
        let sent = browser.post_multipart(&upload(kind), fields, file, &app.base);
        assert_eq!(sent.status, 422, "{}", sent.body);
        shown(&sent.body)
    };
    let text = wrong(
        "statuts",
        &[("csrf", &csrf)],
        Some(("notes.pdf", b"juste du texte".to_vec())),
    );
    assert!(
        text.contains("href=\"#statuts-file\"") && text.contains("pas d'un type accepté"),
        "{text}"
    );
    assert!(
        text.contains("<details class=\"govuk-details\" open>"),
        "{text}"
    );
    let none = wrong("statuts", &[("csrf", &csrf)], None);
    assert!(none.contains("href=\"#statuts-file\""), "{none}");
    let iban = wrong(
        "rib",
        &[
            ("csrf", &csrf),
            ("iban", "FR76 0000"),
            ("bic", "AGRIFRPP"),
            ("account_holder", "Théâtre du Faubourg"),
        ],
        Some(("rib.pdf", pdf("rib"))),
    );
    assert!(iban.contains("href=\"#rib-iban\""), "{iban}");
    // A RIB in another name is filed, and the page says to check it.
    let other_name = browser.post_multipart(
        &upload("rib"),
        &[
            ("csrf", &csrf),
            ("iban", "FR76 3000 6000 0112 3456 7890 189"),
            ("bic", "AGRIFRPP"),
            ("account_holder", "Jean Dupont"),
        ],
        Some(("rib.pdf", pdf("rib dupont"))),
        &app.base,
    );
    assert_eq!(other_name.status, 200, "{}", other_name.body);
    assert!(
        shown(&other_name.body).contains("À vérifier : Le titulaire du compte"),
        "{}",
        other_name.body
    );
    // Not without this browser's token, nor for someone else's association.
    let stranger = signed_in_browser(&app, "intrus@exemple.org");
    let (_, _, account) = stranger.go(&app.url("/compte"));
    let stranger_csrf = hidden(&account, "csrf");
    let forged = stranger.post_multipart(
        &upload("statuts"),
        &[("csrf", &csrf)],
        Some(("s.pdf", pdf("x"))),
        &app.base,
    );
    assert_eq!(forged.status, 404, "not theirs: {}", forged.body);
    assert_eq!(stranger.go(&link).0, 404, "not theirs to read");
    let rejected_again = browser.post_multipart(
        &upload("statuts"),
        &[("csrf", &stranger_csrf)],
        Some(("s.pdf", pdf("y"))),
        &app.base,
    );
    assert_eq!(rejected_again.status, 403, "another browser's token");

    // The president signs the contrat d'engagement républicain from the page.
    assert!(
        rejected.contains("Signer au nom de l'association"),
        "{rejected}"
    );
    let csrf = hidden(&rejected, "csrf");
    let attestations = format!(
        "/associations/{}/attestations",
        theatre["id"].as_str().expect("id")
    );
    let signed = browser.submit(
        &app.url(&attestations),
        &[("csrf", &csrf), ("kind", "contrat_engagement_republicain")],
        Some(&app.base),
    );
    assert_eq!(signed.status, 303, "{}", signed.body);
    let after = page(&browser);
    assert!(!after.contains("Signer au nom de l'association"), "{after}");
    // A document to upload is not signed.
    let (status, _) = browser.post_form(
        &app.url(&attestations),
        &[("csrf", &csrf), ("kind", "statuts")],
        Some(&app.base),
    );
    assert_eq!(status, 404);

    // Checked by the city, a document is valid; one valid until a date is said to expire soon
    // within 30 days (until the day written on it), and expired once that day is past.
    let reviewed = |kind: &str, fields: &[(&str, &str)]| {
        let mut fields = fields.to_vec();
        fields.push(("kind", kind));
        let filed = file(
            &app,
            Some(&president),
            &theatre,
            &fields,
            Some((&format!("{kind}.pdf"), pdf(kind))),
        );
        let version = filed.expect(201)["version"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        app.post(
            &format!("{}/{version}/review", documents_path(&theatre)),
            Some(&bureau.access),
            &json!({"decision": "accepted"}),
        )
        .expect(200);
    };
    reviewed("liste_dirigeants", &[]);
    let until = app.today() + TimeDelta::days(20);
    reviewed(
        "attestation_assurance",
        &[("valid_until", &until.to_string())],
    );
    let states = page(&browser);
    let section = |page: &str, label: &str| -> String {
        let start = page.find(&format!(">{label}")).expect("the kind");
        let end = page[start..].find("</section>").expect("its end") + start;
        page[start..end].to_owned()
    };
    let list = section(&states, "Liste des dirigeants");
    assert!(
        list.contains(">Valide</strong>") && list.contains("Rien à faire."),
        "{list}"
    );
    let insurance = section(&states, "Attestation d'assurance");
    assert!(
        insurance.contains(">Expire bientôt</strong>"),
        "{insurance}"
    );
    assert!(
        insurance.contains(&format!(
            "Valable jusqu'au {} : pensez à le remplacer.",
            simpa_domain::french::long_french_date(until)
        )),
        "{insurance}"
    );

    // Everything filed; a year later, the profile asks to be confirmed, and is.
    file_everything(&app, &president, &theatre, "tout");
    app.clock.advance(TimeDelta::days(400));
    // Sessions end after twelve hours at most.
    assert_eq!(browser.go(&app.url(&path)).0, 303);
    let browser = Browser::default();
    sign_in(
        &browser,
        &app,
        email,
        simpa_tests::client::PASSWORD,
        "/compte",
    );
    let old = page(&browser);
    assert!(old.contains("À actualiser"), "{old}");
    let insurance = section(&old, "Attestation d'assurance");
    assert!(
        insurance.contains(">Expiré</strong>")
            && insurance.contains("Il n'est plus valable : déposez-en un nouveau."),
        "{insurance}"
    );
    let csrf = hidden(&old, "csrf");
    let confirmation = format!(
        "/associations/{}/confirmation",
        theatre["id"].as_str().expect("id")
    );
    let confirmed = browser.submit(&app.url(&confirmation), &[("csrf", &csrf)], Some(&app.base));
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    let now = page(&browser);
    assert!(
        !now.contains("À actualiser") && now.contains("À jour"),
        "{now}"
    );

    // Someone else's association: not found, and not confirmed by them.
    let stranger = signed_in_browser(&app, "autre@exemple.org");
    assert_eq!(stranger.go(&app.url(&path)).0, 404);
    let (_, _, account) = stranger.go(&app.url("/compte"));
    let csrf = hidden(&account, "csrf");
    let (status, _) =
        stranger.post_form(&app.url(&confirmation), &[("csrf", &csrf)], Some(&app.base));
    assert_eq!(status, 404);
}

fn the_open_data_page_links_to_every_export(backend: Backend) {
    let app = TestApp::start(backend);
    let page = app.send(app.request(reqwest::Method::GET, "/donnees-ouvertes"));
    assert_eq!(page.status, 200, "{}", page.text);
    let html = shown(&page.text).replace("&amp;", "&");
    let year = app.today().format("%Y").to_string();
    assert!(
        html.contains(&format!(">{year}</th>")),
        "this year's row: {html}"
    );
    let links: Vec<&str> = html
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with("/api/v1/open-data/"))
        .collect();
    // Two formats, for three years and all of them, of the SCDL (all, and the legal scope)
    // and of the city's layout.
    assert_eq!(links.len(), 2 * 4 * 2 + 2 * 4, "{links:?}");
    for link in links {
        let export = app.send(app.request(reqwest::Method::GET, link));
        assert_eq!(export.status, 200, "{link}: {}", export.text);
        let kind = export.header("content-type").unwrap_or_default().to_owned();
        let expected = if link.contains(".csv") {
            "text/csv"
        } else {
            "application/json"
        };
        assert!(kind.starts_with(expected), "{link}: {kind}");
    }
}

/// The address a page gives for a static file named `stem.…` (between `prefix` and `"`).
fn static_address(page: &str, prefix: &str) -> String {
    let start = page
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {page}"));
    let end = page[start..].find('"').expect("its end") + start;
    page[start..end].to_owned()
}

fn another_city_runs_the_portal_under_its_own_identity(backend: Backend) {
    let files = tempfile::tempdir().expect("a folder");
    let logo = files.path().join("lyon.svg");
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#7a0026"/></svg>"##;
    std::fs::write(&logo, svg).expect("the logo written");
    let logo = logo.display().to_string();
    let app = TestApp::start_with(
        backend,
        &[
            ("SIMPA_CITY", "Ville de Lyon"),
            ("SIMPA_CITY_COLOUR", "#7a0026"),
            ("SIMPA_CITY_ACCENT", "#c8102e"),
            ("SIMPA_CITY_LOGO", &logo),
            (
                "SIMPA_CITY_LINKS",
                "Mentions légales=https://ville.test/mentions;Accessibilité=https://ville.test/accessibilite",
            ),
        ],
    );
    let home = app.send(app.request(reqwest::Method::GET, "/"));
    assert_eq!(home.status, 200, "{}", home.text);
    let page = shown(&home.text);
    assert!(page.contains("– Ville de Lyon</title>"), "{page}");
    assert!(
        page.contains("Demander une subvention à la Ville de Lyon"),
        "{page}"
    );
    assert!(
        page.contains("href=\"https://ville.test/mentions\">Mentions légales</a>"),
        "{page}"
    );
    assert!(
        page.contains("href=\"https://ville.test/accessibilite\">Accessibilité</a>"),
        "{page}"
    );
    let styles = app.send(app.request(
        reqwest::Method::GET,
        &static_address(&page, "/static/ville."),
    ));
    assert_eq!(styles.status, 200);
    assert!(
        styles.text.contains("--simpa-city-colour:#7a0026")
            && styles.text.contains("--simpa-city-accent:#c8102e"),
        "{}",
        styles.text
    );
    let served = app.send(app.request(
        reqwest::Method::GET,
        &static_address(&page, "/static/logo."),
    ));
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("image/svg+xml"));
    assert_eq!(served.text, svg);
    let plain = TestApp::start(backend);
    let home = plain.send(plain.request(reqwest::Method::GET, "/"));
    assert!(
        !home.text.contains("simpa-header__logo"),
        "no logo unless given"
    );
    assert!(shown(&home.text).contains("Ville de Paris"));
}

on_both_backends!(
    another_city_runs_the_portal_under_its_own_identity,
    the_open_data_page_links_to_every_export,
    the_directory_shows_only_what_associations_made_public,
    the_documents_page_says_where_each_document_stands,
);

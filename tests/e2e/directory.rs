//! The public directory, over HTTP, on both databases: consent, accents, ranking, filters,
//! pagination that holds under inserts, revalidation, CORS.

use serde_json::{Value, json};
use simpa_tests::client::{association_body, rna, siret};
use simpa_tests::{Backend, TestApp, User, on_both_backends};

const DIRECTORY: &str = "/api/v1/directory/associations";

/// An association of `postal_code` with this name and object, listed or not.
fn listed(
    app: &TestApp,
    user: &User,
    n: u32,
    name: &str,
    object: &str,
    postal_code: &str,
    consent: bool,
) -> String {
    let mut body = association_body(name, &rna(n), &siret(n));
    body["object"] = json!(object);
    body["address"]["postal_code"] = json!(postal_code);
    body["directory_consent"] = json!(consent);
    body["target_publics"] = json!(["enfants", "familles"]);
    body["public_contact"] = json!({"email": true, "phone": false, "website": false});
    app.create_association(user, &body)["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn search(app: &TestApp, query: &str) -> Value {
    app.get(&format!("{DIRECTORY}?{query}"), None)
        .expect(200)
        .clone()
}

fn the_public_directory_finds_consenting_associations_without_accents_ranked_and_paged(
    backend: Backend,
) {
    let app = TestApp::start_with(backend, &[("SIMPA_PUBLIC_ORIGINS", "https://www.paris.fr")]);
    let user = app.new_user("fondatrice@exemple.org");
    let faubourg = listed(
        &app,
        &user,
        1,
        "Théâtre du Faubourg",
        "École de théâtre pour les enfants du quartier.",
        "75011",
        true,
    );
    let hidden = listed(
        &app,
        &user,
        2,
        "Théâtre Caché",
        "Un théâtre qui ne veut pas figurer à l'annuaire.",
        "75011",
        false,
    );
    listed(
        &app,
        &user,
        3,
        "Compagnie des Lilas",
        "Ateliers de théâtre et de danse.",
        "75020",
        true,
    );
    listed(
        &app,
        &user,
        4,
        "Club de judo",
        "Le judo pour tous.",
        "75012",
        true,
    );

    // Consent: the hidden one is neither found nor shown; no account is needed.
    let found = search(&app, "q=theatre");
    assert_eq!(
        names(&found),
        ["Théâtre du Faubourg", "Compagnie des Lilas"],
        "the name weighs more than the object"
    );
    app.get(&format!("{DIRECTORY}/{hidden}"), None)
        .expect_problem(404, "association.not_found");
    let card = app.get(&format!("{DIRECTORY}/{faubourg}"), None);
    let card = card.expect(200).clone();
    let mut keys: Vec<&str> = card
        .as_object()
        .expect("a card")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "acronym",
            "action_districts",
            "address",
            "contact",
            "district_number",
            "id",
            "name",
            "object",
            "rna",
            "sectors",
            "target_publics",
            "updated_at"
        ],
        "a public card shows nothing else"
    );
    assert_eq!(
        card["contact"],
        json!({"email": "contact@exemple.org", "phone": null, "website": null}),
        "only the contacts it chose to show"
    );

    // Accents and case do not matter; a word finds the words it begins; every word counts.
    for query in [
        "q=THEATRE",
        "q=th%C3%A9%C3%A2",
        "q=ecole",
        "q=%C3%89COLE%20enfants",
    ] {
        assert!(
            names(&search(&app, query)).contains(&"Théâtre du Faubourg".to_owned()),
            "{query}"
        );
    }
    assert_eq!(
        names(&search(&app, "q=theatre%20danse")),
        ["Compagnie des Lilas"]
    );
    assert_eq!(names(&search(&app, "q=opera")), Vec::<String>::new());

    // Filters.
    assert_eq!(
        names(&search(&app, "q=theatre&district=11")),
        ["Théâtre du Faubourg"]
    );
    assert_eq!(names(&search(&app, "district=12")), ["Club de judo"]);
    assert_eq!(
        names(&search(&app, "public=enfants&sector=culture_arts")),
        ["Club de judo", "Compagnie des Lilas", "Théâtre du Faubourg"],
        "without words, by name"
    );
    let refused = app.get(&format!("{DIRECTORY}?district=21"), None);
    refused.expect_problem(400, "query.invalid");
    assert_eq!(
        refused.field_errors(),
        [("district".to_owned(), "district.unknown".to_owned())]
    );

    // Pages hold while associations are added: nothing skipped, nothing twice.
    for n in 10..16 {
        listed(
            &app,
            &user,
            n,
            &format!("Atelier théâtre n° {n}"),
            "Théâtre amateur.",
            "75011",
            true,
        );
    }
    let first = search(&app, "q=theatre&limit=3");
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    listed(
        &app,
        &user,
        30,
        "Atelier théâtre n° 0",
        "Théâtre amateur.",
        "75011",
        true,
    );
    let mut seen = names(&first);
    let mut cursor = Some(cursor);
    while let Some(at) = cursor {
        let page = search(&app, &format!("q=theatre&limit=3&cursor={at}"));
        seen.extend(names(&page));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
    for name in (10..16)
        .map(|n| format!("Atelier théâtre n° {n}"))
        .chain(["Théâtre du Faubourg".into(), "Compagnie des Lilas".into()])
    {
        assert!(seen.contains(&name), "{name} in {seen:?}");
    }

    // Revalidation: the same page answers 304 without a body.
    let page = app.get(&format!("{DIRECTORY}?q=judo"), None);
    let tag = page.header("etag").expect("ETag").to_owned();
    assert_eq!(page.header("cache-control"), Some("public, max-age=300"));
    let (status, _, body) = app.download(
        &format!("{DIRECTORY}?q=judo"),
        None,
        &[("If-None-Match", &tag)],
    );
    assert_eq!((status, body.len()), (304, 0));
    let card_page = app.get(&format!("{DIRECTORY}/{faubourg}"), None);
    let modified = card_page
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned();
    let (status, _, _) = app.download(
        &format!("{DIRECTORY}/{faubourg}"),
        None,
        &[("If-Modified-Since", &modified)],
    );
    assert_eq!(status, 304);
    // A change of the association changes its card.
    let association = app.get(
        &format!("/api/v1/associations/{faubourg}"),
        Some(&user.access),
    );
    let version = association.header("etag").expect("ETag").to_owned();
    let mut profile = association.expect(200).clone();
    profile["object"] = json!("École de théâtre et de marionnettes.");
    app.put(
        &format!("/api/v1/associations/{faubourg}"),
        Some(&user.access),
        Some(&version),
        &profile,
    )
    .expect(200);
    let (status, _, _) = app.download(
        &format!("{DIRECTORY}/{faubourg}"),
        None,
        &[("If-None-Match", card_page.header("etag").expect("ETag"))],
    );
    assert_eq!(status, 200);
    assert_eq!(
        names(&search(&app, "q=marionnettes")),
        ["Théâtre du Faubourg"]
    );

    // CORS for the configured origin only.
    let (_, headers, _) = app.download(DIRECTORY, None, &[("Origin", "https://www.paris.fr")]);
    assert_eq!(
        headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://www.paris.fr")
    );
    let (_, headers, _) = app.download(DIRECTORY, None, &[("Origin", "https://ailleurs.example")]);
    assert!(headers.get("access-control-allow-origin").is_none());
    let preflight = app.send(
        app.request(reqwest::Method::OPTIONS, DIRECTORY)
            .header("Origin", "https://www.paris.fr")
            .header("Access-Control-Request-Method", "GET"),
    );
    assert_eq!(preflight.status, 200);
    assert!(
        preflight
            .header("access-control-allow-methods")
            .is_some_and(|m| m.contains("GET"))
    );
}

on_both_backends!(
    the_public_directory_finds_consenting_associations_without_accents_ranked_and_paged
);

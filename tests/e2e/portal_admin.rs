//! The administration in the portal, over HTTP, on both databases: an admin finds an account,
//! grants it a role (a role without its scope, then one held already, said at their fields)
//! and revokes it, reads the audit trail, and puts a message given up back in line; no one
//! else reaches it.

use crate::portal::shown;
use crate::portal_requests::browser_of;
use crate::portal_sessions::csrf_of;
use crate::requests::{City, submitted};
use crate::webhooks::{FAST_OUTBOX, assert_signed, types};
use simpa_domain::audit::AuditAction;
use simpa_tests::browser::{Browser, Sent};
use simpa_tests::receiver::Receiver;
use simpa_tests::{Backend, TestApp, on_both_backends};
use std::time::Duration;

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

fn an_admin_manages_roles_reads_the_trail_and_sends_again_what_was_given_up(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let agent = app.new_user("agent@ville.test");
    let admin = browser_of(app, "admin@ville.test");
    let (_, account) = read(&admin, app, "/compte");
    assert!(account.contains("href=\"/admin\""), "{account}");
    let (status, home) = read(&admin, app, "/admin");
    assert_eq!(status, 200, "{home}");
    let (_, found) = read(&admin, app, "/admin/comptes?q=AGENT@");
    assert!(
        found.contains(&format!("href=\"/admin/comptes/{}\"", agent.id)),
        "{found}"
    );
    assert!(!found.contains("dac@ville.test"), "{found}");

    let page = format!("/admin/comptes/{}", agent.id);
    let roles = |user: &simpa_tests::User| {
        app.get(
            &format!("/api/v1/accounts/{}", user.id),
            Some(&city.admin.access),
        )
        .expect(200)["staff_roles"]
            .as_array()
            .expect("roles")
            .clone()
    };
    let unscoped = post(
        &admin,
        app,
        &format!("{page}/roles"),
        &[
            ("kind", "instructor"),
            ("direction_id", ""),
            ("district_number", ""),
        ],
    );
    assert_eq!(unscoped.status, 422, "{}", unscoped.body);
    assert!(
        shown(&unscoped.body).contains("href=\"#direction_id\""),
        "{}",
        unscoped.body
    );
    assert!(roles(&agent).is_empty());
    let dac = app.direction_id("DAC");
    let granted = post(
        &admin,
        app,
        &format!("{page}/roles"),
        &[
            ("kind", "instructor"),
            ("direction_id", &dac),
            ("district_number", ""),
        ],
    );
    assert_eq!(
        granted.location,
        Some(app.url(&format!("{page}?fait=role"))),
        "{}",
        granted.body
    );
    let held = roles(&agent);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["kind"], "instructor");
    let twice = post(
        &admin,
        app,
        &format!("{page}/roles"),
        &[
            ("kind", "instructor"),
            ("direction_id", &dac),
            ("district_number", ""),
        ],
    );
    assert_eq!(twice.status, 422, "{}", twice.body);
    assert!(
        shown(&twice.body).contains("Cette personne a déjà ce rôle."),
        "{}",
        twice.body
    );
    let (_, file) = read(&admin, app, &page);
    assert!(
        file.contains("Direction instructrice : Direction des Affaires Culturelles"),
        "{file}"
    );
    let role = held[0]["id"].as_str().expect("its id");
    let revoked = post(&admin, app, &format!("{page}/roles/{role}/retrait"), &[]);
    assert_eq!(
        revoked.location,
        Some(app.url(&format!("{page}?fait=retrait")))
    );
    assert!(roles(&agent).is_empty());

    // The trail says both, the latest first.
    let (_, trail) = read(
        &admin,
        app,
        &format!(
            "/admin/journal?action={}",
            AuditAction::StaffRoleGranted.code()
        ),
    );
    let cell =
        |action: AuditAction| format!("<td class=\"govuk-table__cell\">{}</td>", action.label());
    assert!(
        trail.contains(&cell(AuditAction::StaffRoleGranted)),
        "{trail}"
    );
    assert!(
        !trail.contains(&cell(AuditAction::StaffRoleRevoked)),
        "{trail}"
    );
    let (_, all) = read(&admin, app, "/admin/journal");
    let (revoked_at, granted_at) = (
        all.find(&cell(AuditAction::StaffRoleRevoked))
            .expect("revoked"),
        all.find(&cell(AuditAction::StaffRoleGranted))
            .expect("granted"),
    );
    assert!(revoked_at < granted_at, "{all}");

    // A message given up goes back in line, and is sent; one that was not is refused.
    let sent = app.outbox_settled(&city.admin, Duration::from_secs(10));
    let message = sent
        .iter()
        .find(|m| {
            m["recipient"]
                .as_str()
                .is_some_and(|r| r.contains("agent@ville.test"))
        })
        .and_then(|m| m["id"].as_str())
        .expect("the agent's e-mail")
        .to_owned();
    app.execute_sql(format!(
        "UPDATE outbox SET status = 'failed', last_error = 'Connexion refusée par le serveur' WHERE id = '{message}'"
    ))
    .expect("given up");
    let (_, failed) = read(&admin, app, "/admin/envois");
    assert!(
        failed.contains("Connexion refusée par le serveur")
            && failed.contains(&format!("/admin/envois/{message}/renvoi")),
        "{failed}"
    );
    let again = post(&admin, app, &format!("/admin/envois/{message}/renvoi"), &[]);
    assert_eq!(
        again.location,
        Some(app.url("/admin/envois?etat=failed&fait=oui"))
    );
    let settled = app.outbox_settled(&city.admin, Duration::from_secs(10));
    let resent = settled
        .iter()
        .find(|m| m["id"] == message.as_str())
        .expect("the message");
    assert_eq!(resent["status"], "sent", "{resent}");
    let refused = post(&admin, app, &format!("/admin/envois/{message}/renvoi"), &[]);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        shown(&refused.body).contains("Ce message n'a pas été abandonné"),
        "{}",
        refused.body
    );

    // No one else: the bureau, an agent.
    let bureau = browser_of(app, "bureau@ville.test");
    for path in [
        "/admin",
        "/admin/comptes",
        &page,
        "/admin/envois",
        "/admin/journal",
    ] {
        assert_eq!(read(&bureau, app, path).0, 404, "{path}");
    }
    assert_eq!(
        post(&bureau, app, &format!("{page}/roles"), &[("kind", "admin")]).status,
        404
    );
    assert_eq!(
        post(
            &bureau,
            app,
            &format!("/admin/envois/{message}/renvoi"),
            &[]
        )
        .status,
        404
    );
    assert!(roles(&agent).is_empty());
}

/// The items of a public list of the API's reference data.
fn listed(app: &TestApp, path: &str) -> Vec<serde_json::Value> {
    app.get(path, None).expect(200)["items"]
        .as_array()
        .expect("items")
        .clone()
}

/// An admin changes the reference data in the portal: a direction created (its code checked
/// and unique), renamed and made inactive; a sector created and renamed; a district's town
/// hall; a kind of document created (its rules checked) and another's label changed, what the
/// form does not show kept. The API says each at once, the audit trail keeps it, and no one
/// else reaches any of it.
fn an_admin_changes_the_reference_data(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let admin = browser_of(app, "admin@ville.test");
    let (status, page) = read(&admin, app, "/admin/referentiel");
    assert_eq!(status, 200, "{page}");
    for expected in [
        "DAC – Direction des Affaires Culturelles",
        "Culture &amp; Arts",
        "Relevé d'identité bancaire (RIB)",
    ] {
        assert!(page.contains(expected), "{expected}: {page}");
    }
    // A direction: every wrong field said at once, a code taken said at its field.
    let refused = post(
        &admin,
        app,
        "/admin/referentiel/directions",
        &[("code", "D-1"), ("name", " ")],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    let body = shown(&refused.body);
    assert!(
        body.contains("href=\"#code\"") && body.contains("href=\"#name\""),
        "{body}"
    );
    let taken = post(
        &admin,
        app,
        "/admin/referentiel/directions",
        &[("code", "dac"), ("name", "Doublon")],
    );
    assert_eq!(taken.status, 422, "{}", taken.body);
    assert!(
        shown(&taken.body).contains("Le code DAC est déjà pris"),
        "{}",
        taken.body
    );
    let directions = || listed(app, "/api/v1/directions");
    assert!(!directions().iter().any(|d| d["code"] == "DCPA"));
    let created = post(
        &admin,
        app,
        "/admin/referentiel/directions",
        &[
            ("code", "dcpa"),
            (
                "name",
                "Direction des Constructions Publiques et de l'Architecture",
            ),
        ],
    );
    assert_eq!(
        created.location,
        Some(app.url("/admin/referentiel?fait=oui")),
        "{}",
        created.body
    );
    let dvd = directions()
        .into_iter()
        .find(|d| d["code"] == "DCPA")
        .expect("created");
    assert_eq!(dvd["active"], true, "{dvd}");
    let dvd_id = dvd["id"].as_str().expect("id").to_owned();
    let (status, form) = read(
        &admin,
        app,
        &format!("/admin/referentiel/directions/{dvd_id}"),
    );
    assert_eq!(status, 200, "{form}");
    assert!(
        form.contains("value=\"Direction des Constructions Publiques et de l'Architecture\"")
            && form
                .contains("id=\"active\" name=\"active\" type=\"checkbox\" value=\"oui\" checked"),
        "{form}"
    );
    let renamed = post(
        &admin,
        app,
        &format!("/admin/referentiel/directions/{dvd_id}"),
        &[("name", "Direction des Constructions Publiques")],
    );
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    let dvd = directions()
        .into_iter()
        .find(|d| d["code"] == "DCPA")
        .expect("kept");
    assert_eq!(
        (dvd["name"].as_str(), dvd["active"].as_bool()),
        (Some("Direction des Constructions Publiques"), Some(false)),
        "unticked, inactive: {dvd}"
    );

    // A sector, then its label.
    let sector = post(
        &admin,
        app,
        "/admin/referentiel/secteurs",
        &[("code", "economie_sociale"), ("label", "Économie sociale")],
    );
    assert_eq!(sector.status, 303, "{}", sector.body);
    let relabelled = post(
        &admin,
        app,
        "/admin/referentiel/secteurs/economie_sociale",
        &[("label", "Économie sociale et solidaire")],
    );
    assert_eq!(relabelled.status, 303, "{}", relabelled.body);
    let sectors = listed(app, "/api/v1/sectors");
    assert_eq!(
        sectors
            .last()
            .map(|s| (s["code"].clone(), s["label"].clone())),
        Some((
            "economie_sociale".into(),
            "Économie sociale et solidaire".into()
        )),
        "last of the list"
    );
    // A district's town hall.
    let district = post(
        &admin,
        app,
        "/admin/referentiel/arrondissements/11",
        &[
            ("name", "Paris 11e"),
            ("town_hall", "Mairie du 11e, 12 place Léon-Blum"),
        ],
    );
    assert_eq!(district.status, 303, "{}", district.body);
    let eleventh = listed(app, "/api/v1/districts")
        .into_iter()
        .find(|d| d["number"] == 11)
        .expect("11");
    assert_eq!(
        eleventh["town_hall"], "Mairie du 11e, 12 place Léon-Blum",
        "{eleventh}"
    );

    // A kind of document: a dated one says for how long; then created, last of the list.
    let kind = [
        ("code", "charte_signee"),
        ("label", "Charte signée"),
        ("validity_rule", "dated"),
        ("fiscal_year_offset", "0"),
        ("grace_months", "0"),
        ("max_age_months", ""),
    ];
    let refused = post(&admin, app, "/admin/referentiel/pieces", &kind);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        shown(&refused.body).contains("href=\"#max_age_months\""),
        "{}",
        refused.body
    );
    let mut with_age = kind.to_vec();
    with_age[5] = ("max_age_months", "douze");
    let refused = post(&admin, app, "/admin/referentiel/pieces", &with_age);
    assert!(
        shown(&refused.body).contains("« douze » n'est pas un nombre entier"),
        "{}",
        refused.body
    );
    with_age[5] = ("max_age_months", "12");
    let created = post(&admin, app, "/admin/referentiel/pieces", &with_age);
    assert_eq!(created.status, 303, "{}", created.body);
    let kinds = || listed(app, "/api/v1/document-kinds");
    let charte = kinds()
        .into_iter()
        .find(|k| k["code"] == "charte_signee")
        .expect("created");
    assert_eq!(
        (
            charte["validity_rule"].as_str(),
            charte["max_age_months"].as_i64()
        ),
        (Some("dated"), Some(12)),
        "{charte}"
    );
    // The RIB relabelled: its bank details, which the form does not show, stay.
    let rib = post(
        &admin,
        app,
        "/admin/referentiel/pieces/rib",
        &[
            ("label", "RIB du compte de l'association"),
            ("validity_rule", "permanent"),
            ("fiscal_year_offset", "0"),
            ("grace_months", "0"),
            ("max_age_months", ""),
        ],
    );
    assert_eq!(rib.status, 303, "{}", rib.body);
    let rib = kinds()
        .into_iter()
        .find(|k| k["code"] == "rib")
        .expect("rib");
    assert_eq!(
        (rib["label"].as_str(), rib["bank_details"].as_bool()),
        (Some("RIB du compte de l'association"), Some(true)),
        "{rib}"
    );
    // The audit trail keeps each change.
    let (_, trail) = read(&admin, app, "/admin/journal");
    assert!(
        trail
            .matches(AuditAction::ReferenceDataChanged.label())
            .count()
            >= 6,
        "{trail}"
    );

    // No one else: not found, and nothing changed.
    let bureau = browser_of(app, "bureau@ville.test");
    let member = browser_of(app, &app.new_user("membre@example.org").email);
    for browser in [&bureau, &member] {
        for path in [
            "/admin/referentiel",
            "/admin/referentiel/nouveau/directions",
            "/admin/referentiel/secteurs/culture_arts",
        ] {
            assert_eq!(read(browser, app, path).0, 404, "{path}");
        }
        let sent = post(
            browser,
            app,
            "/admin/referentiel/directions",
            &[("code", "DX"), ("name", "Interdite")],
        );
        assert_eq!(sent.status, 404, "{}", sent.body);
        let sent = post(
            browser,
            app,
            "/admin/referentiel/secteurs/culture_arts",
            &[("label", "Interdit")],
        );
        assert_eq!(sent.status, 404, "{}", sent.body);
    }
    assert!(!directions().iter().any(|d| d["code"] == "DX"));
    assert!(
        listed(app, "/api/v1/sectors")
            .iter()
            .any(|s| s["label"] == "Culture & Arts")
    );
    // What names nothing is not found.
    for path in [
        "/admin/referentiel/nouveau/arrondissements",
        "/admin/referentiel/planetes/1",
        "/admin/referentiel/directions/01890000-0000-7000-8000-000000000000",
        "/admin/referentiel/pieces/inconnue",
    ] {
        assert_eq!(read(&admin, app, path).0, 404, "{path}");
    }
}

/// The text of the element `<code…>` after `marker` in `page`.
fn code_after(page: &str, marker: &str) -> String {
    let rest = &page[page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {page}"))..];
    let rest = &rest[rest.find("<code").expect("its code")..];
    let start = rest.find('>').expect("its tag") + 1;
    let end = rest.find("</code>").expect("its end");
    rest[start..end].to_owned()
}

/// An admin connects the directions' systems in the portal: an API client created (its
/// secret shown once, never cached), which signs in; its secret renewed (the old one at once
/// refused when no overlap is asked), then revoked; a webhook registered (its address checked,
/// its signing secret shown once) that receives signed calls, one sent again from its page,
/// then removed. No one else reaches any of it.
fn an_admin_connects_the_directions_systems(backend: Backend) {
    let city = City::start_with(backend, &FAST_OUTBOX);
    let app = &city.app;
    let admin = browser_of(app, "admin@ville.test");
    let dac = app.direction_id("DAC");
    // An API client: its name and direction needed.
    for (fields, field) in [
        ([("name", " "), ("direction_id", dac.as_str())], "name"),
        (
            [("name", "Progiciel"), ("direction_id", "")],
            "direction_id",
        ),
        // Both wrong: both said in one round.
        ([("name", ""), ("direction_id", "")], "name"),
        ([("name", ""), ("direction_id", "")], "direction_id"),
    ] {
        let refused = post(&admin, app, "/admin/clients", &fields);
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            shown(&refused.body).contains(&format!("href=\"#{field}\"")),
            "{}",
            refused.body
        );
    }
    let created = post(
        &admin,
        app,
        "/admin/clients",
        &[("name", "Progiciel de la DAC"), ("direction_id", &dac)],
    );
    assert_eq!(
        (created.status, created.cache_control.as_deref()),
        (200, Some("no-store")),
        "{}",
        created.body
    );
    let (client_id, secret) = (
        code_after(&created.body, "Identifiant</dt>"),
        code_after(&created.body, "Secret</dt>"),
    );
    let grant = |secret: &str| {
        app.send(
            app.request(reqwest::Method::POST, "/api/v1/auth/token")
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", secret),
                ]),
        )
    };
    grant(&secret).expect(200);
    let (status, list) = read(&admin, app, "/admin/clients");
    assert_eq!(status, 200, "{list}");
    assert!(
        list.contains(&client_id)
            && list.contains("Progiciel de la DAC")
            && !list.contains(&secret),
        "{list}"
    );
    let id = list
        .split("/admin/clients/")
        .nth(1)
        .map(|rest| rest[..36].to_owned())
        .expect("its forms");
    let overlap = format!("overlap-{id}");
    let refused = post(
        &admin,
        app,
        &format!("/admin/clients/{id}/secret"),
        &[(&overlap, "999")],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        shown(&refused.body).contains(&format!("href=\"#{overlap}\"")),
        "{}",
        refused.body
    );
    let renewed = post(
        &admin,
        app,
        &format!("/admin/clients/{id}/secret"),
        &[(&overlap, "0")],
    );
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    let new_secret = code_after(&renewed.body, "Secret</dt>");
    assert_ne!(new_secret, secret);
    grant(&secret).expect_problem(401, "auth.invalid_client");
    grant(&new_secret).expect(200);
    let revoked = post(&admin, app, &format!("/admin/clients/{id}/revocation"), &[]);
    assert_eq!(
        revoked.location,
        Some(app.url("/admin/clients?fait=revoque")),
        "{}",
        revoked.body
    );
    grant(&new_secret).expect_problem(401, "auth.invalid_client");
    assert!(read(&admin, app, "/admin/clients").1.contains("Révoqué"));

    // A webhook: an address Simpa may call, then the calls of the DAC's requests, signed.
    let receiver = Receiver::start();
    for url in ["pas une adresse", "http://10.1.2.3/simpa"] {
        let refused = post(
            &admin,
            app,
            "/admin/webhooks",
            &[("url", url), ("direction_id", "")],
        );
        assert_eq!(refused.status, 422, "{url}: {}", refused.body);
        assert!(
            shown(&refused.body).contains("href=\"#url\""),
            "{}",
            refused.body
        );
    }
    let registered = post(
        &admin,
        app,
        "/admin/webhooks",
        &[
            ("url", &receiver.url("/simpa")),
            ("direction_id", &dac),
            ("event-dispatch", "oui"),
        ],
    );
    assert_eq!(
        (registered.status, registered.cache_control.as_deref()),
        (200, Some("no-store")),
        "{}",
        registered.body
    );
    let signing = code_after(&registered.body, "Secret de signature</dt>");
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (_, _, request) = submitted(app, 1, &campaign);
    city.admit_and_dispatch(&request, "DAC", &[]);
    app.outbox_settled(&city.admin, Duration::from_secs(10));
    let calls = receiver.calls();
    assert_eq!(types(&calls), ["dispatch"], "the dispatch only");
    assert_signed(&calls[0], &signing);
    let (_, list) = read(&admin, app, "/admin/webhooks");
    let endpoint = list
        .split("href=\"/admin/webhooks/")
        .nth(1)
        .map(|rest| rest[..36].to_owned())
        .expect("its page");
    assert!(
        list.contains(
            "Direction des Affaires Culturelles. confier l'instruction à des directions."
        ),
        "{list}"
    );
    let (status, page) = read(&admin, app, &format!("/admin/webhooks/{endpoint}"));
    assert_eq!(status, 200, "{page}");
    let delivery = page
        .split(&format!("/admin/webhooks/{endpoint}/envois/"))
        .nth(1)
        .map(|rest| rest[..36].to_owned())
        .expect("a call to send again");
    let again = post(
        &admin,
        app,
        &format!("/admin/webhooks/{endpoint}/envois/{delivery}"),
        &[],
    );
    assert_eq!(
        again.location,
        Some(app.url(&format!("/admin/webhooks/{endpoint}?fait=renvoi"))),
        "{}",
        again.body
    );
    app.outbox_settled(&city.admin, Duration::from_secs(10));
    assert_eq!(types(&receiver.calls()), ["dispatch", "dispatch"]);
    let removed = post(
        &admin,
        app,
        &format!("/admin/webhooks/{endpoint}/retrait"),
        &[],
    );
    assert_eq!(
        removed.location,
        Some(app.url("/admin/webhooks?fait=retrait")),
        "{}",
        removed.body
    );
    assert!(read(&admin, app, "/admin/webhooks").1.contains("Retiré"));

    // No one else: not found, and nothing made.
    let dac_agent = browser_of(app, "dac@ville.test");
    let bureau = browser_of(app, "bureau@ville.test");
    for browser in [&dac_agent, &bureau] {
        for path in [
            "/admin/clients",
            "/admin/webhooks",
            &format!("/admin/webhooks/{endpoint}"),
        ] {
            assert_eq!(read(browser, app, path).0, 404, "{path}");
        }
        let sent = post(
            browser,
            app,
            "/admin/clients",
            &[("name", "Pirate"), ("direction_id", &dac)],
        );
        assert_eq!(sent.status, 404, "{}", sent.body);
        let sent = post(
            browser,
            app,
            "/admin/webhooks",
            &[("url", &receiver.url("/pirate")), ("direction_id", &dac)],
        );
        assert_eq!(sent.status, 404, "{}", sent.body);
        assert_eq!(
            post(
                browser,
                app,
                &format!("/admin/clients/{id}/secret"),
                &[(&overlap, "0")]
            )
            .status,
            404
        );
    }
    let clients = app
        .get("/api/v1/service-accounts", Some(&city.admin.access))
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .len();
    let webhooks = app
        .get("/api/v1/webhooks", Some(&city.admin.access))
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .len();
    assert_eq!((clients, webhooks), (1, 1), "the admin's only");
}

on_both_backends!(
    an_admin_connects_the_directions_systems,
    an_admin_manages_roles_reads_the_trail_and_sends_again_what_was_given_up,
    an_admin_changes_the_reference_data
);

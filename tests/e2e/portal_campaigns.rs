//! The campaigns in the agents' workspace, over HTTP, on both databases: the bureau prepares
//! one (every mistake said at its field), edits it (a stale version refused), publishes and
//! closes it; a town hall prepares its district's local campaigns only; a direction reads
//! them; an association's member finds nothing.

use crate::portal::shown;
use crate::portal_requests::browser_of;
use crate::portal_sessions::csrf_of;
use crate::requests::City;
use chrono::Duration;
use serde_json::Value;
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

/// The form's fields with these changed (or added).
fn with<'a>(
    changes: &[(&'static str, &'a str)],
    fields: &[(&'static str, &'a str)],
) -> Vec<(&'static str, &'a str)> {
    let mut changed = fields.to_vec();
    for (name, value) in changes {
        match changed.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value,
            None => changed.push((name, value)),
        }
    }
    changed
}

fn the_bureau_prepares_publishes_and_closes_a_campaign(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let bureau = browser_of(app, "bureau@ville.test");
    let (status, list) = read(&bureau, app, "/agents/campagnes");
    assert_eq!(status, 200, "{list}");
    assert!(
        list.contains("href=\"/agents/campagnes/nouvelle\""),
        "{list}"
    );
    let (status, form) = read(&bureau, app, "/agents/campagnes/nouvelle");
    assert_eq!(status, 200, "{form}");
    let dac = app.direction_id("DAC");
    let local = |days: i64| {
        (chrono::Utc::now() + Duration::days(days))
            .format("%Y-%m-%dT09:00")
            .to_string()
    };
    let (opens, closes) = (local(1), local(60));
    let mut fields: Vec<(&str, &str)> = vec![
        ("code", "PRINTEMPS_2028"),
        ("title", "Campagne de printemps 2028"),
        ("description", "Pour les projets de l'été."),
        ("owner_direction", &dac),
        ("circuit", "central"),
        ("district_number", ""),
        ("nature", "projet"),
        ("budget_year", "2028"),
        ("opens_at", &opens),
        ("closes_at", &closes),
        ("envelope", "100000"),
        ("document-statuts", "oui"),
        ("eligible-11", "oui"),
        ("max_requested", ""),
        ("min_age_months", "12"),
        ("admissibility_days", "10"),
        ("instruction_days", "45"),
    ];
    // What cannot be read, then what the rules refuse: each at its field.
    let unread = post(
        &bureau,
        app,
        "/agents/campagnes",
        &with(
            &[
                ("envelope", "dix"),
                ("owner_direction", ""),
                ("budget_year", ""),
            ],
            &fields,
        ),
    );
    assert_eq!(unread.status, 422, "{}", unread.body);
    let body = shown(&unread.body);
    for field in ["envelope", "owner_direction", "budget_year"] {
        assert!(
            body.contains(&format!("href=\"#{field}\"")),
            "{field}: {body}"
        );
    }
    assert!(
        body.contains("value=\"PRINTEMPS_2028\""),
        "what was typed stays: {body}"
    );
    // What is read wrong and what the rules refuse, said in one go.
    let both = post(
        &bureau,
        app,
        "/agents/campagnes",
        &with(
            &[("envelope", "dix"), ("code", "printemps 2028 !")],
            &fields,
        ),
    );
    assert_eq!(both.status, 422, "{}", both.body);
    let body = shown(&both.body);
    for field in ["envelope", "code"] {
        assert!(
            body.contains(&format!("href=\"#{field}\"")),
            "{field}: {body}"
        );
    }
    let refused = post(
        &bureau,
        app,
        "/agents/campagnes",
        &with(
            &[("code", "printemps 2028 !"), ("opens_at", "demain")],
            &fields,
        ),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    let body = shown(&refused.body);
    for field in ["code", "opens_at"] {
        assert!(
            body.contains(&format!("href=\"#{field}\"")),
            "{field}: {body}"
        );
    }
    let created = post(&bureau, app, "/agents/campagnes", &fields);
    let location = created.location.clone().expect("the campaign's page");
    let id = location
        .trim_start_matches(&app.url("/agents/campagnes/"))
        .trim_end_matches("?fait=creee")
        .to_owned();
    let api = |id: &str| -> Value {
        app.get(
            &format!("/api/v1/campaigns/{id}"),
            Some(&city.bureau.access),
        )
        .expect(200)
        .clone()
    };
    let stored = api(&id);
    assert_eq!(stored["status"], "draft");
    assert_eq!(stored["envelope_cents"], 10_000_000);
    assert_eq!(stored["required_documents"], serde_json::json!(["statuts"]));
    assert_eq!(stored["eligibility"]["districts"], serde_json::json!([11]));
    assert_eq!(stored["eligibility"]["min_association_age_months"], 12);
    assert_eq!(stored["sla"]["admissibility_days"], 10);
    assert_eq!(stored["budget_year"], 2028);
    let (_, page) = read(&bureau, app, &format!("/agents/campagnes/{id}?fait=creee"));
    assert!(
        page.contains("Campagne créée") && page.contains("Publier la campagne"),
        "{page}"
    );

    // Edited from the version read; a stale version is refused, nothing changes.
    let (_, edit) = read(&bureau, app, &format!("/agents/campagnes/{id}/modifier"));
    assert!(
        edit.contains("value=\"PRINTEMPS_2028\"") && edit.contains("name=\"version\" value=\"1\""),
        "{edit}"
    );
    let version = ("version", "1");
    fields.push(version);
    let renamed = with(&[("title", "Printemps 2028 : projets d'été")], &fields);
    let edited = post(&bureau, app, &format!("/agents/campagnes/{id}"), &renamed);
    assert_eq!(
        edited.location,
        Some(app.url(&format!("/agents/campagnes/{id}?fait=modifiee"))),
        "{}",
        edited.body
    );
    assert_eq!(api(&id)["title"], "Printemps 2028 : projets d'été");
    let stale = post(
        &bureau,
        app,
        &format!("/agents/campagnes/{id}"),
        &with(&[("title", "Autre titre")], &fields),
    );
    assert_eq!(stale.status, 422, "{}", stale.body);
    assert!(
        shown(&stale.body).contains("Quelqu'un a modifié ces informations"),
        "{}",
        stale.body
    );
    assert_eq!(api(&id)["title"], "Printemps 2028 : projets d'été");

    // Published, then closed: no longer edited.
    let moved = post(
        &bureau,
        app,
        &format!("/agents/campagnes/{id}/etat"),
        &[("vers", "published")],
    );
    assert_eq!(
        moved.location,
        Some(app.url(&format!("/agents/campagnes/{id}?fait=publiee")))
    );
    assert_eq!(api(&id)["status"], "published");
    let closed = post(
        &bureau,
        app,
        &format!("/agents/campagnes/{id}/etat"),
        &[("vers", "closed")],
    );
    assert_eq!(
        closed.location,
        Some(app.url(&format!("/agents/campagnes/{id}?fait=close")))
    );
    assert_eq!(api(&id)["status"], "closed");
    let (_, page) = read(&bureau, app, &format!("/agents/campagnes/{id}"));
    assert!(
        !page.contains("/modifier\"") && !page.contains("Publier la campagne"),
        "{page}"
    );
    let again = post(
        &bureau,
        app,
        &format!("/agents/campagnes/{id}/etat"),
        &[("vers", "published")],
    );
    assert_eq!(again.status, 422, "{}", again.body);

    // A town hall prepares its district's local campaigns, and nothing else.
    let mairie = browser_of(app, "mairie11@ville.test");
    let (_, form) = read(&mairie, app, "/agents/campagnes/nouvelle");
    assert!(
        form.contains("value=\"local\"") && !form.contains("value=\"central\""),
        "{form}"
    );
    let central = post(
        &mairie,
        app,
        "/agents/campagnes",
        &with(&[("code", "MAIRIE_CENTRALE")], &fields),
    );
    assert_eq!(central.status, 404, "{}", central.body);
    let own = with(
        &[
            ("code", "QUARTIER_11"),
            ("circuit", "local"),
            ("district_number", "11"),
        ],
        &fields,
    );
    let own = post(&mairie, app, "/agents/campagnes", &own);
    assert_eq!(own.status, 303, "{}", own.body);

    // A direction reads them, prepares none; a member finds nothing.
    let direction = browser_of(app, "dac@ville.test");
    let (status, list) = read(&direction, app, "/agents/campagnes");
    assert_eq!(status, 200);
    assert!(
        list.contains("Printemps 2028") && !list.contains("/agents/campagnes/nouvelle"),
        "{list}"
    );
    assert_eq!(read(&direction, app, "/agents/campagnes/nouvelle").0, 404);
    assert_eq!(
        post(
            &direction,
            app,
            &format!("/agents/campagnes/{id}/etat"),
            &[("vers", "closed")]
        )
        .status,
        404
    );
    let member = app.new_user("membre@exemple.org");
    let member = browser_of(app, &member.email);
    assert_eq!(read(&member, app, "/agents/campagnes").0, 404);
    // Not even the form's errors: not found, whatever was typed.
    for typed in [&[("code", "MEMBRE")][..], &[("envelope", "dix")][..]] {
        let sent = post(&member, app, "/agents/campagnes", &with(typed, &fields));
        assert_eq!(sent.status, 404, "{}", sent.body);
    }
}

on_both_backends!(the_bureau_prepares_publishes_and_closes_a_campaign);

//! The administration in the portal, over HTTP, on both databases: an admin finds an account,
//! grants it a role (a role without its scope, then one held already, said at their fields)
//! and revokes it, reads the audit trail, and puts a message given up back in line; no one
//! else reaches it.

use crate::portal::shown;
use crate::portal_requests::browser_of;
use crate::portal_sessions::csrf_of;
use crate::requests::City;
use simpa_domain::audit::AuditAction;
use simpa_tests::browser::{Browser, Sent};
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

on_both_backends!(an_admin_manages_roles_reads_the_trail_and_sends_again_what_was_given_up);

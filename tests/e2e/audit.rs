//! The audit trail: sign-ins (and those refused or throttled), changes of staff roles, API
//! clients and members, and exports, each recorded once, in order, without a secret.

use crate::fixtures;
use crate::members::invite;
use serde_json::{Value, json};
use simpa_fixtures::DEMO_PASSWORD;
use simpa_tests::client::{User, association_body, rna, siret};
use simpa_tests::{Backend, TestApp, on_both_backends};

on_both_backends!(the_audit_trail_records_sign_ins_role_changes_and_exports);

/// An event as the test follows it: action, actor account, identifier typed, subject.
type Seen = (String, Option<String>, Option<String>, Option<String>);

fn seen(
    action: &str,
    account: Option<String>,
    identifier: Option<String>,
    subject: Option<String>,
) -> Seen {
    (action.to_owned(), account, identifier, subject)
}

/// Every event of the trail, the latest first, read page by page.
fn trail(app: &TestApp, admin: &User, query: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => format!("/api/v1/audit-events?limit=4{query}"),
            Some(c) => format!("/api/v1/audit-events?limit=4{query}&cursor={c}"),
        };
        let page = app.get(&path, Some(&admin.access)).expect(200).clone();
        events.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return events,
        }
    }
}

fn the_audit_trail_records_sign_ins_role_changes_and_exports(backend: Backend) {
    let app = TestApp::start(backend);
    fixtures::load(&app);
    // What the trail must hold, in the order it happens.
    let mut expected: Vec<Seen> = Vec::new();
    let signed_in = |user: &User| seen("auth.signed_in", Some(user.id.clone()), None, None);

    let admin = app.demo_user("admin@demo.simpa.fr");
    expected.push(signed_in(&admin));
    let president = app.demo_user("president@demo.simpa.fr");
    expected.push(signed_in(&president));

    // Refused: a wrong password, an unknown address; then too many failures in a row.
    app.sign_in("tresoriere@demo.simpa.fr", "not-the-password")
        .expect_problem(401, "auth.invalid_credentials");
    expected.push(seen(
        "auth.sign_in_refused",
        None,
        Some("tresoriere@demo.simpa.fr".into()),
        None,
    ));
    app.sign_in("nobody@exemple.org", "whatever")
        .expect_problem(401, "auth.invalid_credentials");
    expected.push(seen(
        "auth.sign_in_refused",
        None,
        Some("nobody@exemple.org".into()),
        None,
    ));
    for _ in 0..5 {
        app.sign_in("jure@demo.simpa.fr", "guess")
            .expect_problem(401, "auth.invalid_credentials");
        expected.push(seen(
            "auth.sign_in_refused",
            None,
            Some("jure@demo.simpa.fr".into()),
            None,
        ));
    }
    app.sign_in("jure@demo.simpa.fr", DEMO_PASSWORD)
        .expect_problem(429, "auth.too_many_attempts");
    expected.push(seen(
        "auth.sign_in_throttled",
        None,
        Some("jure@demo.simpa.fr".into()),
        None,
    ));
    // Refused again within the window: one event for the burst, not one per call.
    app.sign_in("jure@demo.simpa.fr", DEMO_PASSWORD)
        .expect_problem(429, "auth.too_many_attempts");

    // Staff roles: granted, then revoked.
    let carol = app.new_user("carol@exemple.org");
    expected.push(signed_in(&carol));
    let role = app
        .post(
            &format!("/api/v1/accounts/{}/staff-roles", carol.id),
            Some(&admin.access),
            &json!({"kind": "finance"}),
        )
        .expect(201)
        .clone();
    let carol_subject = Some(format!("account:{}", carol.id));
    expected.push(seen(
        "staff_role.granted",
        Some(admin.id.clone()),
        None,
        carol_subject.clone(),
    ));
    app.delete(
        &format!(
            "/api/v1/accounts/{}/staff-roles/{}",
            carol.id,
            role["id"].as_str().expect("id")
        ),
        Some(&admin.access),
    )
    .expect(204);
    expected.push(seen(
        "staff_role.revoked",
        Some(admin.id.clone()),
        None,
        carol_subject,
    ));

    // An API client: created, signed in, refused with a wrong secret, revoked.
    let dac = app.direction_id("DAC");
    let client = app
        .post(
            "/api/v1/service-accounts",
            Some(&admin.access),
            &json!({"name": "Progiciel de la DAC", "direction_id": dac}),
        )
        .expect(201)
        .clone();
    let (client_id, secret) = (
        client["client_id"].as_str().expect("client id").to_owned(),
        client["client_secret"].as_str().expect("secret").to_owned(),
    );
    let client_subject = Some(format!(
        "service_account:{}",
        client["id"].as_str().expect("id")
    ));
    expected.push(seen(
        "service_account.created",
        Some(admin.id.clone()),
        None,
        client_subject.clone(),
    ));
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
    expected.push(seen(
        "auth.client_signed_in",
        None,
        Some(client_id.clone()),
        None,
    ));
    grant("not-the-secret").expect_problem(401, "auth.invalid_client");
    expected.push(seen(
        "auth.client_sign_in_refused",
        None,
        Some(client_id.clone()),
        None,
    ));
    // The secret typed as the client id: what is not shaped like a client id is not kept.
    let swapped = app.send(
        app.request(reqwest::Method::POST, "/api/v1/auth/token")
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", secret.as_str()),
                ("client_secret", client_id.as_str()),
            ]),
    );
    swapped.expect_problem(401, "auth.invalid_client");
    expected.push(seen(
        "auth.client_sign_in_refused",
        None,
        Some("(pas un identifiant de client)".into()),
        None,
    ));
    app.delete(
        &format!(
            "/api/v1/service-accounts/{}",
            client["id"].as_str().expect("id")
        ),
        Some(&admin.access),
    )
    .expect(204);
    expected.push(seen(
        "service_account.revoked",
        Some(admin.id.clone()),
        None,
        client_subject,
    ));

    // Members: invited, joined, role changed, removed.
    let me = app
        .get("/api/v1/me", Some(&president.access))
        .expect(200)
        .clone();
    let association_id = me["memberships"][0]["association_id"]
        .as_str()
        .expect("the president's association")
        .to_owned();
    let association = json!({"id": association_id});
    let association_subject = Some(format!("association:{association_id}"));
    let token = invite(
        &app,
        &president,
        &association,
        "carol@exemple.org",
        "treasurer",
    );
    expected.push(seen(
        "member.invited",
        Some(president.id.clone()),
        None,
        association_subject.clone(),
    ));
    app.post(
        "/api/v1/invitations/accept",
        Some(&carol.access),
        &json!({"token": token}),
    )
    .expect(201);
    expected.push(seen(
        "member.joined",
        Some(carol.id.clone()),
        None,
        association_subject.clone(),
    ));
    let member = format!("/api/v1/associations/{association_id}/members/{}", carol.id);
    app.put(
        &member,
        Some(&president.access),
        None,
        &json!({"role": "manager"}),
    )
    .expect(200);
    expected.push(seen(
        "member.role_changed",
        Some(president.id.clone()),
        None,
        association_subject.clone(),
    ));
    app.delete(&member, Some(&president.access)).expect(204);
    expected.push(seen(
        "member.removed",
        Some(president.id.clone()),
        None,
        association_subject.clone(),
    ));
    let invited = app
        .post(
            &format!("/api/v1/associations/{association_id}/members"),
            Some(&president.access),
            &json!({"email": "dora@exemple.org", "role": "manager"}),
        )
        .expect(201)["invitation"]["id"]
        .as_str()
        .expect("invitation")
        .to_owned();
    expected.push(seen(
        "member.invited",
        Some(president.id.clone()),
        None,
        association_subject.clone(),
    ));
    app.delete(
        &format!("/api/v1/associations/{association_id}/invitations/{invited}"),
        Some(&president.access),
    )
    .expect(204);
    expected.push(seen(
        "member.invitation_cancelled",
        Some(president.id.clone()),
        None,
        association_subject,
    ));
    // Creating an association makes its creator its president.
    let created = app.create_association(
        &carol,
        &association_body("Les Amis de Carol", &rna(950), &siret(950)),
    );
    expected.push(seen(
        "association.created",
        Some(carol.id.clone()),
        None,
        Some(format!(
            "association:{}",
            created["id"].as_str().expect("id")
        )),
    ));

    // A refresh token presented twice revokes the session.
    let refresh = |token: &str| {
        app.post(
            "/api/v1/auth/token",
            None,
            &json!({"grant_type": "refresh_token", "refresh_token": token}),
        )
    };
    refresh(&carol.refresh).expect(200);
    refresh(&carol.refresh).expect_problem(401, "auth.refresh_token_reused");
    expected.push(seen(
        "auth.refresh_token_reused",
        Some(carol.id.clone()),
        None,
        None,
    ));

    // Exports: the indicators as CSV (not as the JSON page), a jury's minutes as CSV.
    let bureau = app.demo_user("bureau@demo.simpa.fr");
    expected.push(signed_in(&bureau));
    app.get("/api/v1/indicators?year=2026", Some(&bureau.access))
        .expect(200);
    let csv = app.get(
        "/api/v1/indicators?year=2026&format=csv",
        Some(&bureau.access),
    );
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(
        csv.text.starts_with("rubrique;groupe;mesure;valeur"),
        "{}",
        csv.text
    );
    expected.push(seen(
        "export.indicators",
        Some(bureau.id.clone()),
        None,
        None,
    ));
    let campaigns = app
        .get("/api/v1/campaigns?limit=200", None)
        .expect(200)
        .clone();
    let minutes = campaigns["items"]
        .as_array()
        .expect("campaigns")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .find(|id| {
            app.get(
                &format!("/api/v1/campaigns/{id}/jury/minutes?format=csv"),
                Some(&bureau.access),
            )
            .status
                == 200
        })
        .expect("a jury of the demo has minutes")
        .to_owned();
    expected.push(seen(
        "export.jury_minutes",
        Some(bureau.id.clone()),
        None,
        Some(format!("campaign:{minutes}")),
    ));

    // The trail, read by the admin, the latest first: exactly what happened.
    let events = trail(&app, &admin, "");
    let got: Vec<Seen> = events
        .iter()
        .rev()
        .map(|e| {
            let text = |name: &str| e[name].as_str().map(str::to_owned);
            let identifier =
                text("actor_identifier").filter(|_| text("actor_account_id").is_none());
            (
                text("action").expect("action"),
                text("actor_account_id"),
                identifier,
                text("subject"),
            )
        })
        .collect();
    assert_eq!(got, expected);
    let by_action = |action: &str| {
        events
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("{action} recorded"))
            .clone()
    };
    assert_eq!(
        by_action("auth.signed_in")["client_address"],
        "ip:127.0.0.1"
    );
    assert_eq!(
        by_action("staff_role.granted")["details"]["kind"],
        "finance"
    );
    assert_eq!(
        by_action("staff_role.revoked")["details"],
        by_action("staff_role.granted")["details"],
        "the role revoked is named"
    );
    assert_eq!(
        by_action("member.role_changed")["details"],
        json!({"account_id": carol.id, "from": "treasurer", "to": "manager"})
    );
    assert_eq!(by_action("export.indicators")["details"]["year"], 2026);
    let signed_client = by_action("auth.client_signed_in");
    assert_eq!(signed_client["actor_service_account_id"], client["id"]);
    // No secret anywhere: passwords tried, the client's secret, refresh tokens.
    let whole = serde_json::to_string(&events).expect("JSON");
    for secret in [
        DEMO_PASSWORD,
        "not-the-password",
        "guess",
        &secret,
        &carol.refresh,
    ] {
        assert!(
            !whole.contains(secret),
            "the trail holds a secret: {secret}"
        );
    }

    // An admin made from the command line (`simpa admin create`) is in the trail too.
    let made = app.admin();
    let latest = app
        .get(
            "/api/v1/audit-events?action=staff_role.granted&limit=1",
            Some(&admin.access),
        )
        .expect(200)["items"][0]
        .clone();
    assert_eq!(latest["action"], "staff_role.granted");
    assert_eq!(latest["actor_identifier"], "simpa admin create");
    assert_eq!(latest["subject"], format!("account:{}", made.id));
    assert_eq!(latest["details"], json!({"kind": "admin"}));

    // One action; an unknown one is refused; only admins read the trail.
    let granted = trail(&app, &admin, "&action=staff_role.granted");
    assert_eq!(
        granted.len(),
        2,
        "carol's role and the admin made: {granted:?}"
    );
    let unknown = app.get("/api/v1/audit-events?action=nonsense", Some(&admin.access));
    assert_eq!(
        unknown.expect_problem(400, "query.invalid")["errors"][0]["field"],
        "action"
    );
    app.get("/api/v1/audit-events", Some(&bureau.access))
        .expect_problem(403, "access.forbidden");
    app.get("/api/v1/audit-events", None)
        .expect_problem(401, "auth.required");
}

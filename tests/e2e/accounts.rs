use serde_json::json;
use simpa_tests::{Backend, TestApp, on_both_backends};

fn staff_roles_granted_or_revoked_take_effect_at_the_next_request(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let user = app.new_user("agent@ville.test");
    let roles = format!("/api/v1/accounts/{}/staff-roles", user.id);

    app.get("/api/v1/associations", Some(&user.access))
        .expect_problem(403, "access.forbidden");
    let granted = app.post(&roles, Some(&admin.access), &json!({"kind": "bureau"}));
    let role = granted.expect(201).clone();
    assert_eq!(role["kind"], "bureau");
    assert_eq!(role["label"], "Bureau des subventions");
    // Same access token as before: roles are read at each request.
    app.get("/api/v1/associations", Some(&user.access))
        .expect(200);
    let me = app.get("/api/v1/me", Some(&user.access));
    assert_eq!(me.expect(200)["staff_roles"][0]["id"], role["id"]);

    let revoked = app.delete(
        &format!("{roles}/{}", role["id"].as_str().expect("id")),
        Some(&admin.access),
    );
    assert_eq!(revoked.status, 204);
    app.get("/api/v1/associations", Some(&user.access))
        .expect_problem(403, "access.forbidden");
    app.delete(
        &format!("{roles}/{}", role["id"].as_str().expect("id")),
        Some(&admin.access),
    )
    .expect_problem(404, "staff_role.not_found");
    // Only admins revoke.
    let again = app
        .post(&roles, Some(&admin.access), &json!({"kind": "finance"}))
        .expect(201)
        .clone();
    let path = format!("{roles}/{}", again["id"].as_str().expect("id"));
    app.delete(&path, Some(&user.access))
        .expect_problem(403, "access.forbidden");
    app.delete(&path, None).expect_problem(401, "auth.required");
    assert_eq!(
        app.get("/api/v1/me", Some(&user.access)).expect(200)["staff_roles"][0]["kind"],
        "finance"
    );
}

fn staff_roles_carry_exactly_the_scope_their_kind_needs(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let user = app.new_user("agent@ville.test");
    let roles = format!("/api/v1/accounts/{}/staff-roles", user.id);
    let errors = |body: serde_json::Value| {
        let reply = app.post(&roles, Some(&admin.access), &body);
        reply.expect_problem(422, "validation.failed");
        reply.field_errors()
    };
    let dac = app.direction_id("DAC");
    let pair = |f: &str, c: &str| (f.to_owned(), c.to_owned());
    assert_eq!(
        errors(json!({"kind": "instructor"})),
        [pair("direction_id", "role.scope_required")]
    );
    assert_eq!(
        errors(json!({"kind": "district"})),
        [pair("district_number", "role.scope_required")]
    );
    assert_eq!(
        errors(json!({"kind": "admin", "district_number": 3})),
        [pair("district_number", "role.scope_not_allowed")]
    );
    assert_eq!(
        errors(json!({"kind": "instructor", "direction_id": uuid::Uuid::now_v7()})),
        [pair("direction_id", "direction.unknown")]
    );
    assert_eq!(
        errors(json!({"kind": "district", "district_number": 21})),
        [pair("district_number", "district.unknown")]
    );
    assert_eq!(
        errors(json!({"kind": "mayor"})),
        [pair("kind", "field.unknown_value")]
    );

    let instructor = app.post(
        &roles,
        Some(&admin.access),
        &json!({"kind": "instructor", "direction_id": dac}),
    );
    assert_eq!(instructor.expect(201)["direction_id"], dac);
    let district = app.post(
        &roles,
        Some(&admin.access),
        &json!({"kind": "district", "district_number": 11}),
    );
    assert_eq!(district.expect(201)["district_number"], 11);
    app.post(
        &roles,
        Some(&admin.access),
        &json!({"kind": "district", "district_number": 11}),
    )
    .expect_problem(409, "staff_role.duplicate");
    let me = app.get("/api/v1/me", Some(&user.access));
    assert_eq!(
        me.expect(200)["staff_roles"].as_array().map(Vec::len),
        Some(2)
    );
}

fn only_admins_manage_accounts(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let bureau = app.staff(&admin, "bureau@ville.test", json!({"kind": "bureau"}));
    let user = app.new_user("camille@exemple.org");
    let roles = format!("/api/v1/accounts/{}/staff-roles", user.id);

    app.post(&roles, Some(&bureau.access), &json!({"kind": "admin"}))
        .expect_problem(403, "access.forbidden");
    app.post(&roles, Some(&user.access), &json!({"kind": "admin"}))
        .expect_problem(403, "access.forbidden");
    app.post(&roles, None, &json!({"kind": "admin"}))
        .expect_problem(401, "auth.required");
    app.get("/api/v1/accounts", Some(&bureau.access))
        .expect_problem(403, "access.forbidden");
    app.get("/api/v1/accounts", Some(&user.access))
        .expect_problem(403, "access.forbidden");
    app.get("/api/v1/accounts", None)
        .expect_problem(401, "auth.required");

    let listed = app.get("/api/v1/accounts?email=CAMILLE", Some(&admin.access));
    let items = listed.expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], user.id);

    let own = format!("/api/v1/accounts/{}", user.id);
    assert_eq!(
        app.get(&own, Some(&user.access)).expect(200)["email"],
        "camille@exemple.org"
    );
    assert_eq!(
        app.get(&own, Some(&admin.access)).expect(200)["id"],
        user.id
    );
    app.get(&own, Some(&bureau.access))
        .expect_problem(404, "account.not_found");
    app.get(
        &format!("/api/v1/accounts/{}", uuid::Uuid::now_v7()),
        Some(&admin.access),
    )
    .expect_problem(404, "account.not_found");
    app.get("/api/v1/me", None)
        .expect_problem(401, "auth.required");
}

fn the_account_list_pages_in_email_order(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    for email in ["Zoe@exemple.org", "bruno@exemple.org", "Anne@exemple.org"] {
        app.register(email);
    }
    let first = app.get("/api/v1/accounts?limit=2", Some(&admin.access));
    let page = first.expect(200);
    let emails: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["email"].as_str())
        .collect();
    assert_eq!(
        emails,
        ["admin@ville.test", "Anne@exemple.org"],
        "case-insensitive order"
    );
    let cursor = page["next_cursor"].as_str().expect("more");
    let second = app.get(
        &format!("/api/v1/accounts?limit=2&cursor={cursor}"),
        Some(&admin.access),
    );
    let rest = second.expect(200);
    let emails: Vec<&str> = rest["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["email"].as_str())
        .collect();
    assert_eq!(emails, ["bruno@exemple.org", "Zoe@exemple.org"]);
    assert_eq!(rest["next_cursor"], serde_json::Value::Null);
}

/// A juror is not city staff: until a jury gives them requests (issue 7), they see no association.
fn jurors_see_no_association_list(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let juror = app.staff(&admin, "jure@exemple.org", json!({"kind": "juror"}));
    let me = app.get("/api/v1/me", Some(&juror.access));
    assert_eq!(me.expect(200)["staff_roles"][0]["label"], "Juré·e");
    app.get("/api/v1/associations", Some(&juror.access))
        .expect_problem(403, "access.forbidden");
}

fn an_admin_deactivates_an_account_and_its_tokens_die_at_once(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let user = app.new_user("agent@exemple.org");
    let path = |what: &str, id: &str| format!("/api/v1/accounts/{id}/{what}");
    app.post(
        &path("deactivate", &admin.id),
        Some(&user.access),
        &json!({}),
    )
    .expect_problem(403, "access.forbidden");
    app.post(
        &path("deactivate", &admin.id),
        Some(&admin.access),
        &json!({}),
    )
    .expect_problem(409, "account.self_deactivation");
    let deactivated = app.post(
        &path("deactivate", &user.id),
        Some(&admin.access),
        &json!({}),
    );
    let view = deactivated.expect(200);
    assert_eq!(view["active"], false);
    assert!(view["last_signed_in_at"].is_string(), "{view}");
    // Its access token, its refresh token and its password stop working at once.
    app.get("/api/v1/me", Some(&user.access))
        .expect_problem(401, "auth.account_inactive");
    app.post(
        "/api/v1/auth/token",
        None,
        &json!({"grant_type": "refresh_token", "refresh_token": user.refresh}),
    )
    .expect_problem(401, "auth.invalid_refresh_token");
    app.sign_in(&user.email, simpa_tests::client::PASSWORD)
        .expect_problem(401, "auth.invalid_credentials");
    let trail = app.get(
        "/api/v1/audit-events?action=account.deactivated",
        Some(&admin.access),
    );
    let events = trail.expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["subject"], format!("account:{}", user.id));
    // Reactivated, its owner signs in again.
    let reactivated = app.post(
        &path("reactivate", &user.id),
        Some(&admin.access),
        &json!({}),
    );
    assert_eq!(reactivated.expect(200)["active"], true);
    app.sign_in(&user.email, simpa_tests::client::PASSWORD)
        .expect(200);
    app.post(
        &path("deactivate", &uuid::Uuid::now_v7().to_string()),
        Some(&admin.access),
        &json!({}),
    )
    .expect_problem(404, "account.not_found");
}

fn sign_in_from(app: &TestApp, email: &str, device: &str) -> serde_json::Value {
    app.send(
        app.request(reqwest::Method::POST, "/api/v1/auth/token")
            .header("user-agent", device)
            .json(&json!({"grant_type": "password", "email": email, "password": simpa_tests::client::PASSWORD})),
    )
    .expect(200)
    .clone()
}

fn people_see_their_sessions_and_end_one_or_all(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let user = app.new_user("camille@exemple.org");
    let phone = sign_in_from(
        &app,
        &user.email,
        "Mozilla/5.0 (Android 15; Mobile) Firefox/140.0",
    );
    // A User-Agent is kept to 200 characters.
    let long = format!(
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/141 {}",
        "x".repeat(300)
    );
    let laptop = sign_in_from(&app, &user.email, &long);
    let sessions = |token: &str| {
        app.get("/api/v1/me/sessions", Some(token)).expect(200)["items"]
            .as_array()
            .expect("items")
            .clone()
    };
    let open = sessions(&user.access);
    assert_eq!(open.len(), 3, "{open:?}");
    assert_eq!(
        open[0]["device"].as_str(),
        Some(&long[..200]),
        "the latest used first"
    );
    assert_eq!(
        open[1]["device"],
        "Mozilla/5.0 (Android 15; Mobile) Firefox/140.0"
    );
    assert!(open.iter().all(|s| s["address"] == "127.0.0.1"), "{open:?}");
    let refresh = |token: &serde_json::Value| {
        app.post(
            "/api/v1/auth/token",
            None,
            &json!({"grant_type": "refresh_token", "refresh_token": token}),
        )
    };
    // Ending the phone's session: its refresh token dies, the others live.
    let phone_session = open[1]["id"].as_str().expect("id").to_owned();
    let ended = app.delete(
        &format!("/api/v1/me/sessions/{phone_session}"),
        Some(&user.access),
    );
    assert_eq!(ended.status, 204);
    refresh(&phone["refresh_token"]).expect_problem(401, "auth.invalid_refresh_token");
    assert_eq!(sessions(&user.access).len(), 2);
    // Nobody ends another's session: it does not exist for them.
    let other = app.new_user("dominique@exemple.org");
    let laptop_session = open[0]["id"].as_str().expect("id").to_owned();
    app.delete(
        &format!("/api/v1/me/sessions/{laptop_session}"),
        Some(&other.access),
    )
    .expect_problem(404, "session.not_found");
    let renewed = refresh(&laptop["refresh_token"]).expect(200).clone();
    // All at once, this one too.
    assert_eq!(
        app.delete("/api/v1/me/sessions", Some(&user.access)).status,
        204
    );
    refresh(&renewed["refresh_token"]).expect_problem(401, "auth.invalid_refresh_token");
    refresh(&json!(user.refresh)).expect_problem(401, "auth.invalid_refresh_token");
    assert!(sessions(&user.access).is_empty());
    // A program has no sessions of its own.
    let (_, client) = app.api_client(&admin, "DAC");
    app.get("/api/v1/me/sessions", Some(&client))
        .expect_problem(403, "access.forbidden");
}

on_both_backends!(
    an_admin_deactivates_an_account_and_its_tokens_die_at_once,
    people_see_their_sessions_and_end_one_or_all,
    jurors_see_no_association_list,
    the_account_list_pages_in_email_order,
    staff_roles_granted_or_revoked_take_effect_at_the_next_request,
    staff_roles_carry_exactly_the_scope_their_kind_needs,
    only_admins_manage_accounts,
);

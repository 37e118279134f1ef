use serde_json::{Value, json};
use simpa_tests::client::association_body;
use simpa_tests::{Backend, TestApp, User, on_both_backends};

fn members_path(association: &Value) -> String {
    format!(
        "/api/v1/associations/{}/members",
        association["id"].as_str().expect("id")
    )
}

fn roles(app: &TestApp, user: &User, association: &Value) -> Vec<(String, String)> {
    let reply = app.get(&members_path(association), Some(&user.access));
    reply.expect(200)["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap_or_default().to_owned(),
                m["role"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn the_president_invites_members_and_invitations_are_honoured_at_registration(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let bob = app.new_user("bob@exemple.org");
    let association = app.create_association(
        &alice,
        &association_body("Théâtre du Faubourg", "W751000001", "52499120500013"),
    );
    let path = members_path(&association);

    let added = app.post(
        &path,
        Some(&alice.access),
        &json!({"email": "Bob@Exemple.org", "role": "treasurer"}),
    );
    let added = added.expect(201);
    assert_eq!(
        (
            added["status"].as_str(),
            added["role"].as_str(),
            added["account_id"].as_str()
        ),
        (Some("member"), Some("treasurer"), Some(bob.id.as_str()))
    );
    let invited = app.post(
        &path,
        Some(&alice.access),
        &json!({"email": "carol@exemple.org", "role": "manager"}),
    );
    assert_eq!(invited.expect(201)["status"], "invited");
    let listed = app.get(&path, Some(&alice.access));
    assert_eq!(
        listed.expect(200)["invitations"][0]["email"],
        "carol@exemple.org"
    );

    // Carol registers: she is a member at once.
    let carol = app.register("carol@exemple.org");
    assert_eq!(carol["memberships"][0]["association_id"], association["id"]);
    assert_eq!(carol["memberships"][0]["role"], "manager");
    let after = app.get(&path, Some(&alice.access));
    assert_eq!(after.expect(200)["invitations"], json!([]));
    assert_eq!(
        roles(&app, &alice, &association),
        [
            ("alice@exemple.org".into(), "president".into()),
            ("bob@exemple.org".into(), "treasurer".into()),
            ("carol@exemple.org".into(), "manager".into())
        ]
    );

    // Members read and edit the profile; only the president manages members.
    assert_eq!(roles(&app, &bob, &association).len(), 3);
    app.post(
        &path,
        Some(&bob.access),
        &json!({"email": "dave@exemple.org", "role": "manager"}),
    )
    .expect_problem(403, "access.forbidden");
    let dave = app.new_user("dave@exemple.org");
    app.get(&path, Some(&dave.access))
        .expect_problem(404, "association.not_found");
    app.post(
        &path,
        Some(&dave.access),
        &json!({"email": "dave@exemple.org", "role": "president"}),
    )
    .expect_problem(404, "association.not_found");

    app.post(
        &path,
        Some(&alice.access),
        &json!({"email": "bob@exemple.org", "role": "manager"}),
    )
    .expect_problem(409, "member.already_member");
    app.post(
        &path,
        Some(&alice.access),
        &json!({"email": "erin@exemple.org", "role": "manager"}),
    )
    .expect(201);
    app.post(
        &path,
        Some(&alice.access),
        &json!({"email": "ERIN@exemple.org", "role": "manager"}),
    )
    .expect_problem(409, "member.already_invited");
    let unknown_role = app.post(
        &path,
        Some(&alice.access),
        &json!({"email": "frank@exemple.org", "role": "owner"}),
    );
    unknown_role.expect_problem(422, "validation.failed");
    assert_eq!(
        unknown_role.field_errors(),
        vec![("role".to_owned(), "field.unknown_value".to_owned())]
    );

    let invitation = app.get(&path, Some(&alice.access)).body["invitations"][0]["id"]
        .as_str()
        .expect("invitation")
        .to_owned();
    let cancel = format!(
        "/api/v1/associations/{}/invitations/{invitation}",
        association["id"].as_str().expect("id")
    );
    assert_eq!(app.delete(&cancel, Some(&alice.access)).status, 204);
    app.delete(&cancel, Some(&alice.access))
        .expect_problem(404, "invitation.not_found");
    // A cancelled invitation is not honoured.
    assert_eq!(app.register("erin@exemple.org")["memberships"], json!([]));
}

fn the_last_president_cannot_leave(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let bob = app.new_user("bob@exemple.org");
    let association = app.create_association(
        &alice,
        &association_body("Théâtre du Faubourg", "W751000001", "52499120500013"),
    );
    let path = members_path(&association);
    app.post(
        &path,
        Some(&alice.access),
        &json!({"email": "bob@exemple.org", "role": "treasurer"}),
    )
    .expect(201);
    let alice_path = format!("{path}/{}", alice.id);
    let bob_path = format!("{path}/{}", bob.id);

    app.delete(&alice_path, Some(&alice.access))
        .expect_problem(409, "member.last_president");
    app.put(
        &alice_path,
        Some(&alice.access),
        None,
        &json!({"role": "manager"}),
    )
    .expect_problem(409, "member.last_president");
    assert_eq!(
        app.put(
            &bob_path,
            Some(&alice.access),
            None,
            &json!({"role": "president"})
        )
        .expect(200)["role"],
        "president"
    );
    assert_eq!(
        app.put(
            &alice_path,
            Some(&alice.access),
            None,
            &json!({"role": "manager"})
        )
        .expect(200)["role_label"],
        "Gestionnaire"
    );

    // Alice is no longer president: she cannot manage members; Bob removes her.
    app.delete(&bob_path, Some(&alice.access))
        .expect_problem(403, "access.forbidden");
    assert_eq!(app.delete(&alice_path, Some(&bob.access)).status, 204);
    assert_eq!(
        roles(&app, &bob, &association),
        [("bob@exemple.org".to_owned(), "president".to_owned())]
    );
    app.get(
        &format!(
            "/api/v1/associations/{}",
            association["id"].as_str().expect("id")
        ),
        Some(&alice.access),
    )
    .expect_problem(404, "association.not_found");
    app.delete(&alice_path, Some(&bob.access))
        .expect_problem(404, "member.not_found");
}

on_both_backends!(
    the_president_invites_members_and_invitations_are_honoured_at_registration,
    the_last_president_cannot_leave
);

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

/// Invites `email` as `role` (asserting success) and returns the token.
pub(crate) fn invite(
    app: &TestApp,
    president: &User,
    association: &Value,
    email: &str,
    role: &str,
) -> String {
    let reply = app.post(
        &members_path(association),
        Some(&president.access),
        &json!({"email": email, "role": role}),
    );
    assert_eq!(
        reply.header("cache-control"),
        Some("no-store"),
        "the token is shown once"
    );
    let body = reply.expect(201);
    assert_eq!(body["invitation"]["email"], email);
    assert_eq!(body["invitation"]["role"], role);
    body["token"].as_str().expect("a token").to_owned()
}

pub(crate) fn accept(app: &TestApp, user: &User, token: &str) -> simpa_tests::Reply {
    app.post(
        "/api/v1/invitations/accept",
        Some(&user.access),
        &json!({"token": token}),
    )
}

fn invitations_are_accepted_with_their_token_by_the_invited_person(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let bob = app.new_user("bob@exemple.org");
    let mallory = app.new_user("mallory@exemple.org");
    let association = app.create_association(
        &alice,
        &association_body("Théâtre du Faubourg", "W751000001", "52499120500013"),
    );
    let path = members_path(&association);

    // Registered or not, an invited person joins only by accepting.
    let bob_token = invite(&app, &alice, &association, "Bob@Exemple.org", "treasurer");
    let carol_token = invite(&app, &alice, &association, "carol@exemple.org", "manager");
    assert_eq!(
        roles(&app, &alice, &association),
        [("alice@exemple.org".to_owned(), "president".to_owned())]
    );
    let listed = app.get(&path, Some(&alice.access));
    let pending: Vec<&str> = listed.expect(200)["invitations"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|i| i["email"].as_str())
        .collect();
    assert_eq!(pending, ["Bob@Exemple.org", "carol@exemple.org"]);
    assert!(!listed.text.contains(&bob_token), "tokens are never listed");

    // Someone else holding the token cannot use it.
    accept(&app, &mallory, &bob_token).expect_problem(409, "invitation.other_recipient");
    accept(&app, &mallory, "not-a-token").expect_problem(404, "invitation.not_found");
    app.post(
        "/api/v1/invitations/accept",
        None,
        &json!({"token": bob_token}),
    )
    .expect_problem(401, "auth.required");

    let joined = accept(&app, &bob, &bob_token);
    assert_eq!(
        joined.expect(201),
        &json!({"association_id": association["id"], "association_name": "Théâtre du Faubourg", "role": "treasurer", "role_label": "Trésorier·ère"})
    );
    accept(&app, &bob, &bob_token).expect_problem(404, "invitation.not_found");

    // Carol registers later, then accepts.
    let carol = app.new_user("carol@exemple.org");
    assert_eq!(
        app.get("/api/v1/me", Some(&carol.access)).expect(200)["memberships"],
        json!([]),
        "registering alone joins nothing"
    );
    accept(&app, &carol, &carol_token).expect(201);
    assert_eq!(
        roles(&app, &alice, &association),
        [
            ("alice@exemple.org".into(), "president".into()),
            ("bob@exemple.org".into(), "treasurer".into()),
            ("carol@exemple.org".into(), "manager".into())
        ]
    );
    assert_eq!(
        app.get(&path, Some(&alice.access)).body["invitations"],
        json!([])
    );

    // Members read the members; only the president invites.
    assert_eq!(roles(&app, &bob, &association).len(), 3);
    app.post(
        &path,
        Some(&bob.access),
        &json!({"email": "dave@exemple.org", "role": "manager"}),
    )
    .expect_problem(403, "access.forbidden");
    app.get(&path, Some(&mallory.access))
        .expect_problem(404, "association.not_found");
    app.post(
        &path,
        Some(&mallory.access),
        &json!({"email": "mallory@exemple.org", "role": "president"}),
    )
    .expect_problem(404, "association.not_found");

    app.post(
        &path,
        Some(&alice.access),
        &json!({"email": "BOB@exemple.org", "role": "manager"}),
    )
    .expect_problem(409, "member.already_member");
    let erin_token = invite(&app, &alice, &association, "erin@exemple.org", "manager");
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

    // A cancelled invitation's token stops working.
    let invitation = app.get(&path, Some(&alice.access)).body["invitations"][0]["id"]
        .as_str()
        .expect("invitation")
        .to_owned();
    let cancel = format!(
        "/api/v1/associations/{}/invitations/{invitation}",
        association["id"].as_str().expect("id")
    );
    app.delete(&cancel, Some(&bob.access))
        .expect_problem(403, "access.forbidden");
    app.delete(&cancel, Some(&mallory.access))
        .expect_problem(404, "association.not_found");
    assert_eq!(app.delete(&cancel, Some(&alice.access)).status, 204);
    app.delete(&cancel, Some(&alice.access))
        .expect_problem(404, "invitation.not_found");
    let erin = app.new_user("erin@exemple.org");
    accept(&app, &erin, &erin_token).expect_problem(404, "invitation.not_found");
}

fn an_invitation_of_one_association_cannot_be_cancelled_through_another(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let zoe = app.new_user("zoe@exemple.org");
    let theatre = app.create_association(
        &alice,
        &association_body("Théâtre du Faubourg", "W751000001", "52499120500013"),
    );
    let club = app.create_association(
        &zoe,
        &association_body("Club de Belleville", "W751000002", "38033590100027"),
    );
    invite(&app, &alice, &theatre, "carol@exemple.org", "manager");
    let invitation =
        app.get(&members_path(&theatre), Some(&alice.access)).body["invitations"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
    let through_club = format!(
        "/api/v1/associations/{}/invitations/{invitation}",
        club["id"].as_str().expect("id")
    );
    app.delete(&through_club, Some(&zoe.access))
        .expect_problem(404, "invitation.not_found");
    assert_eq!(
        app.get(&members_path(&theatre), Some(&alice.access)).body["invitations"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Admins manage any association's members, but not one that does not exist.
    let admin = app.admin();
    let missing = format!("/api/v1/associations/{}/members", uuid::Uuid::now_v7());
    app.get(&missing, Some(&admin.access))
        .expect_problem(404, "association.not_found");
    app.post(
        &missing,
        Some(&admin.access),
        &json!({"email": "x@exemple.org", "role": "manager"}),
    )
    .expect_problem(404, "association.not_found");
}

fn the_last_president_cannot_leave(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let bob = app.new_user("bob@exemple.org");
    let mallory = app.new_user("mallory@exemple.org");
    let association = app.create_association(
        &alice,
        &association_body("Théâtre du Faubourg", "W751000001", "52499120500013"),
    );
    let path = members_path(&association);
    let token = invite(&app, &alice, &association, "bob@exemple.org", "treasurer");
    accept(&app, &bob, &token).expect(201);
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
    app.put(
        &bob_path,
        Some(&bob.access),
        None,
        &json!({"role": "president"}),
    )
    .expect_problem(403, "access.forbidden");
    app.put(
        &bob_path,
        Some(&mallory.access),
        None,
        &json!({"role": "president"}),
    )
    .expect_problem(404, "association.not_found");
    app.put(&bob_path, None, None, &json!({"role": "president"}))
        .expect_problem(401, "auth.required");
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
    app.delete(&alice_path, Some(&mallory.access))
        .expect_problem(404, "association.not_found");
    app.delete(&alice_path, None)
        .expect_problem(401, "auth.required");
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

/// Two presidents stepping down at the same moment cannot leave the association without one.
fn concurrent_demotions_keep_a_president(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let bob = app.new_user("bob@exemple.org");
    let association = app.create_association(
        &alice,
        &association_body("Théâtre du Faubourg", "W751000001", "52499120500013"),
    );
    let path = members_path(&association);
    let token = invite(&app, &alice, &association, "bob@exemple.org", "president");
    accept(&app, &bob, &token).expect(201);
    for round in 0..8 {
        let (a, b) = (format!("{path}/{}", alice.id), format!("{path}/{}", bob.id));
        // Each president demotes the other, at once.
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let first = scope.spawn(|| {
                app.put(&b, Some(&alice.access), None, &json!({"role": "manager"}))
                    .status
            });
            let second = scope.spawn(|| {
                app.put(&a, Some(&bob.access), None, &json!({"role": "manager"}))
                    .status
            });
            vec![first.join().expect("first"), second.join().expect("second")]
        });
        let presidents: Vec<(String, String)> = roles(&app, &alice, &association)
            .into_iter()
            .filter(|(_, role)| role == "president")
            .collect();
        assert_eq!(presidents.len(), 1, "round {round}: {statuses:?}");
        assert!(
            statuses.contains(&200) && statuses.iter().any(|s| *s == 409 || *s == 403),
            "round {round}: {statuses:?}"
        );
        // Whoever is left president names the other president again.
        let (president, other) = if presidents[0].0 == "alice@exemple.org" {
            (&alice, &bob)
        } else {
            (&bob, &alice)
        };
        app.put(
            &format!("{path}/{}", other.id),
            Some(&president.access),
            None,
            &json!({"role": "president"}),
        )
        .expect(200);
    }
}

on_both_backends!(
    invitations_are_accepted_with_their_token_by_the_invited_person,
    an_invitation_of_one_association_cannot_be_cancelled_through_another,
    the_last_president_cannot_leave,
    concurrent_demotions_keep_a_president,
);

//! The access matrix: every operation of the served OpenAPI document, called over HTTP by
//! every role, each with the outcome the policy promises it. An operation without a row fails
//! the test, and so does a row for an operation the document does not have.
//!
//! The world is the demo data: a granted request `G` of an association `O` whose lead
//! direction is the DJS (and which the DAC instructs nothing of), its agreement, deliberation
//! and campaign, and a call for projects whose jury session is open, with a request `X` the
//! demo's juror sits on and another juror declared a conflict on.
//!
//! An outcome is judged by the answer: 401, 403, 404 with the code that hides the resource, or
//! anything else (allowed: the policy let the call through, even if a rule of the domain then
//! refused it). Roles refused are tried before the roles allowed, and writes allowed are sent so
//! that they change little (a stale `If-Match`, an amount beyond the grant), so that the world
//! stays what the next rows expect.

use crate::fixtures;
use diesel::prelude::*;
use serde_json::{Value, json};
use simpa_persistence::StoreError;
use simpa_persistence::schema::{
    accounts, association_members, associations, document_versions, grants, juries, jury_members,
    jury_seats, request_instructors, requests,
};
use simpa_tests::client::{association_body, rna, siret};
use simpa_tests::{Backend, TestApp, on_both_backends};
use std::collections::{BTreeSet, HashMap};

on_both_backends!(every_operation_answers_every_role_as_the_policy_says);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Role {
    Anonymous,
    /// The president of `O`, the association that owns `G`.
    Owner,
    /// The president of another association.
    Stranger,
    Admin,
    Bureau,
    Finance,
    /// An instructor of the DJS, `G`'s lead direction.
    DirectionIn,
    /// An instructor of the DAC, which instructs nothing of `O`'s.
    DirectionOut,
    /// The town hall of `O`'s district.
    TownHallIn,
    /// The town hall of another district.
    TownHallOut,
    /// The demo's juror, seated on `X`.
    Juror,
    /// A juror of the same jury who declared a conflict on `X`.
    RecusedJuror,
    /// The DJS's API client.
    ClientIn,
    /// The DAC's API client.
    ClientOut,
}

use Role::*;

const ROLES: [Role; 14] = [
    Anonymous,
    Owner,
    Stranger,
    Admin,
    Bureau,
    Finance,
    DirectionIn,
    DirectionOut,
    TownHallIn,
    TownHallOut,
    Juror,
    RecusedJuror,
    ClientIn,
    ClientOut,
];

/// The staff roles and API clients (`is_staff` in the policy): jurors are not staff.
fn staff() -> Vec<Role> {
    ROLES
        .into_iter()
        .filter(|r| !matches!(r, Anonymous | Owner | Stranger | Juror | RecusedJuror))
        .collect()
}

/// People (not API clients), signed in.
fn people() -> Vec<Role> {
    ROLES
        .into_iter()
        .filter(|r| !matches!(r, Anonymous | ClientIn | ClientOut))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Forbidden,
    Hidden,
    Unauthenticated,
    /// A server error: never expected.
    Broken,
}

enum Body {
    None,
    Json(Value),
    Multipart,
}

/// One operation: how to call it, and who may.
struct Row {
    method: &'static str,
    /// The path as the OpenAPI document names it.
    template: &'static str,
    path: String,
    body: Body,
    if_match: bool,
    /// Those the policy lets through.
    allowed: Vec<Role>,
    /// Those told it does not exist, and the code that tells them.
    hidden: Vec<Role>,
    hidden_code: &'static str,
    /// Anonymous callers are let through.
    public: bool,
    /// Only the scrapers' token opens it: every caller here is unauthenticated.
    scrapers_only: bool,
}

impl Row {
    fn new(method: &'static str, template: &'static str, path: String) -> Row {
        Row {
            method,
            template,
            path,
            body: Body::None,
            if_match: false,
            allowed: vec![],
            hidden: vec![],
            hidden_code: "",
            public: false,
            scrapers_only: false,
        }
    }

    fn json(mut self, body: Value) -> Row {
        self.body = Body::Json(body);
        self
    }

    fn stale(mut self) -> Row {
        self.if_match = true;
        self
    }

    fn allow(mut self, roles: &[Role]) -> Row {
        self.allowed.extend_from_slice(roles);
        self
    }

    fn hide(mut self, code: &'static str, roles: &[Role]) -> Row {
        self.hidden.extend_from_slice(roles);
        self.hidden_code = code;
        self
    }

    /// Everyone, anonymous callers included.
    fn public(mut self) -> Row {
        self.public = true;
        self.allowed.extend_from_slice(&ROLES);
        self
    }

    fn scrapers_only(mut self) -> Row {
        self.scrapers_only = true;
        self
    }

    fn expected(&self, role: Role) -> Outcome {
        if self.scrapers_only {
            Outcome::Unauthenticated
        } else if self.allowed.contains(&role) {
            Outcome::Allowed
        } else if role == Anonymous {
            Outcome::Unauthenticated
        } else if self.hidden.contains(&role) {
            Outcome::Hidden
        } else {
            Outcome::Forbidden
        }
    }
}

/// Reads the database past the application.
fn read<T: Send + 'static>(
    app: &TestApp,
    query: impl FnOnce(&mut simpa_persistence::DbConnection) -> QueryResult<T> + Send + 'static,
) -> T {
    app.db
        .read(move |conn| query(conn).map_err(StoreError::from))
        .expect("read the database")
}

/// What the rows are about.
struct World {
    tokens: HashMap<Role, String>,
    association: String,
    request: String,
    agreement: String,
    deliberation: String,
    campaign: String,
    jury_campaign: String,
    jury_request: String,
    juror_chairs: bool,
    /// Whether the DJS and the DAC instruct `X`.
    jury_request_directions: (bool, bool),
    document: String,
    owner_id: String,
    scratch_account: String,
    scratch_role: String,
    scratch_client: String,
    members: Vec<String>,
    invitation: String,
    webhook: String,
    stranger_password: String,
    stranger_email: String,
    djs: String,
    /// An association of the public directory.
    directory_card: String,
    /// Today in the city.
    today: String,
    /// The kind `statuts` as `GET /document-kinds` shows it.
    statuts_kind: Value,
}

fn world(app: &TestApp) -> World {
    let djs = app.direction_id("DJS");
    let dac = app.direction_id("DAC");
    let (djs_key, dac_key) = (format!("direction:{djs}"), format!("direction:{dac}"));
    // G: granted on the central circuit with an agreement, led by the DJS; O: its association,
    // of a district, of which the DAC instructs nothing.
    type Candidate = (String, String, Option<String>, String, String, Option<i32>);
    let candidates: Vec<Candidate> = read(app, |conn| {
        requests::table
            .inner_join(grants::table.on(grants::request_id.eq(requests::id)))
            .inner_join(associations::table.on(associations::id.eq(requests::association_id)))
            .filter(requests::state.eq("granted"))
            .filter(requests::circuit.eq("central"))
            .filter(grants::agreement_id.is_not_null())
            .select((
                requests::id,
                requests::association_id,
                grants::agreement_id,
                requests::campaign_id,
                grants::deliberation_id,
                associations::district_number,
            ))
            .order(requests::id)
            .load(conn)
    });
    let instructors_of_association = |association: String| -> Vec<String> {
        read(app, move |conn| {
            request_instructors::table
                .inner_join(requests::table.on(requests::id.eq(request_instructors::request_id)))
                .filter(requests::association_id.eq(association))
                .select(request_instructors::instructor)
                .load(conn)
        })
    };
    let (request, association, agreement, campaign, deliberation, district) = candidates
        .into_iter()
        .find(|(id, association, _, _, _, district)| {
            let (id, key) = (id.clone(), djs_key.clone());
            let led: i64 = read(app, move |conn| {
                request_instructors::table
                    .filter(request_instructors::request_id.eq(id))
                    .filter(request_instructors::instructor.eq(key))
                    .filter(request_instructors::lead.eq(true))
                    .count()
                    .get_result(conn)
            });
            led == 1
                && district.is_some()
                && !instructors_of_association(association.clone()).contains(&dac_key)
        })
        .expect("the demo has a granted request led by the DJS with an agreement");
    let agreement = agreement.expect("agreement");
    let district = district.expect("district");
    let other_district = (1..=20)
        .find(|d| {
            *d != district
                && !instructors_of_association(association.clone())
                    .contains(&format!("district:{d}"))
        })
        .expect("another district");

    let of = association.clone();
    let owner_email: String = read(app, move |conn| {
        association_members::table
            .inner_join(accounts::table.on(accounts::id.eq(association_members::account_id)))
            .filter(association_members::association_id.eq(of))
            .filter(association_members::role.eq("president"))
            .select(accounts::email)
            .first(conn)
    });
    let of = association.clone();
    let document: String = read(app, move |conn| {
        document_versions::table
            .filter(document_versions::association_id.eq(of))
            .filter(document_versions::blob_sha256.is_not_null())
            .select(document_versions::id)
            .first(conn)
    });
    // J: a call for projects whose session is open; X: a request of it the demo's juror sits on.
    let jury_campaign: String = read(app, |conn| {
        juries::table
            .filter(juries::status.eq("open"))
            .select(juries::campaign_id)
            .first(conn)
    });
    let juror_id: String = read(app, |conn| {
        accounts::table
            .filter(accounts::email.eq("jure@demo.simpa.fr"))
            .select(accounts::id)
            .first(conn)
    });
    let (j, me) = (jury_campaign.clone(), juror_id.clone());
    let juror_chairs: bool = read(app, move |conn| {
        jury_members::table
            .filter(jury_members::campaign_id.eq(j))
            .filter(jury_members::account_id.eq(me))
            .select(jury_members::chair)
            .first(conn)
    });
    let (j, me) = (jury_campaign.clone(), juror_id.clone());
    let jury_request: String = read(app, move |conn| {
        jury_seats::table
            .inner_join(requests::table.on(requests::id.eq(jury_seats::request_id)))
            .filter(jury_seats::campaign_id.eq(j))
            .filter(jury_seats::account_id.eq(me))
            .filter(
                jury_seats::declaration
                    .is_null()
                    .or(jury_seats::declaration.eq("no_conflict")),
            )
            .filter(requests::state.eq_any(["in_instruction", "instructed"]))
            .select(jury_seats::request_id)
            .first(conn)
    });
    let x = jury_request.clone();
    let x_instructors: Vec<String> = read(app, move |conn| {
        request_instructors::table
            .filter(request_instructors::request_id.eq(x))
            .select(request_instructors::instructor)
            .load(conn)
    });
    let jury_request_directions = (
        x_instructors.contains(&djs_key),
        x_instructors.contains(&dac_key),
    );

    let mut tokens = HashMap::new();
    let demo = |email: &str| app.demo_user(email).access;
    let admin = app.demo_user("admin@demo.simpa.fr");
    tokens.insert(Admin, admin.access.clone());
    let owner = app.demo_user(&owner_email);
    tokens.insert(Owner, owner.access.clone());
    tokens.insert(Bureau, demo("bureau@demo.simpa.fr"));
    tokens.insert(Finance, demo("finances@demo.simpa.fr"));
    tokens.insert(DirectionIn, demo("djs@demo.simpa.fr"));
    tokens.insert(DirectionOut, demo("dac@demo.simpa.fr"));
    tokens.insert(Juror, demo("jure@demo.simpa.fr"));
    let staff = |email: &str, grant: Value| app.staff(&admin, email, grant).access;
    tokens.insert(
        TownHallIn,
        staff(
            "mairie-in@ville.test",
            json!({"kind": "district", "district_number": district}),
        ),
    );
    tokens.insert(
        TownHallOut,
        staff(
            "mairie-out@ville.test",
            json!({"kind": "district", "district_number": other_district}),
        ),
    );
    let recused = app.staff(&admin, "recuse@ville.test", json!({"kind": "juror"}));
    let bureau = tokens[&Bureau].clone();
    app.post(
        &format!("/api/v1/campaigns/{jury_campaign}/jury/members"),
        Some(&bureau),
        &json!({"account_id": recused.id}),
    )
    .expect(200);
    app.put(
        &format!(
            "/api/v1/campaigns/{jury_campaign}/jury/seats/{jury_request}/{}",
            recused.id
        ),
        Some(&bureau),
        None,
        &json!({}),
    )
    .expect(200);
    app.put(
        &format!("/api/v1/requests/{jury_request}/jury/declaration"),
        Some(&recused.access),
        None,
        &json!({"declaration": "conflict", "reason": "Je préside cette association."}),
    )
    .expect(200);
    tokens.insert(RecusedJuror, recused.access.clone());
    tokens.insert(ClientIn, app.api_client(&admin, "DJS").1);
    tokens.insert(ClientOut, app.api_client(&admin, "DAC").1);
    let scratch_client = app.api_client(&admin, "DEVE").0["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let stranger = app.new_user("etranger@exemple.org");
    app.create_association(
        &stranger,
        &association_body("Les Voisins d'ailleurs", &rna(901), &siret(901)),
    );
    tokens.insert(Stranger, stranger.access.clone());

    // Things rows act on: a person with a staff role to revoke, members and an invitation of
    // O, a webhook of the DJS.
    let scratch = app.new_user("scratch@exemple.org");
    let role = app
        .post(
            &format!("/api/v1/accounts/{}/staff-roles", scratch.id),
            Some(&admin.access),
            &json!({"kind": "finance"}),
        )
        .expect(201)["id"]
        .as_str()
        .expect("role")
        .to_owned();
    let owner_token = tokens[&Owner].clone();
    let members_path = format!("/api/v1/associations/{association}/members");
    let members: Vec<String> = ["membre-un@exemple.org", "membre-deux@exemple.org"]
        .iter()
        .map(|email| {
            let member = app.new_user(email);
            let token = app
                .post(
                    &members_path,
                    Some(&owner_token),
                    &json!({"email": email, "role": "manager"}),
                )
                .expect(201)["token"]
                .as_str()
                .expect("token")
                .to_owned();
            app.post(
                "/api/v1/invitations/accept",
                Some(&member.access),
                &json!({"token": token}),
            )
            .expect(201);
            member.id
        })
        .collect();
    let invitation = app
        .post(
            &members_path,
            Some(&owner_token),
            &json!({"email": "invite@exemple.org", "role": "treasurer"}),
        )
        .expect(201)["invitation"]["id"]
        .as_str()
        .expect("invitation")
        .to_owned();
    let webhook = app
        .post(
            "/api/v1/webhooks",
            Some(&admin.access),
            &json!({"url": "https://hooks.exemple.org/simpa", "direction_id": djs}),
        )
        .expect(201)["id"]
        .as_str()
        .expect("webhook")
        .to_owned();
    let directory_card =
        app.get("/api/v1/directory/associations", None).expect(200)["items"][0]["id"]
            .as_str()
            .expect("a card")
            .to_owned();
    let kinds = app.get("/api/v1/document-kinds", None).expect(200).clone();
    let statuts_kind = kinds["items"]
        .as_array()
        .expect("kinds")
        .iter()
        .find(|k| k["code"] == "statuts")
        .expect("statuts")
        .clone();
    let owner_id = owner.id;
    World {
        today: app.today().to_string(),
        tokens,
        association,
        request,
        agreement,
        deliberation,
        campaign,
        jury_campaign,
        jury_request,
        juror_chairs,
        jury_request_directions,
        document,
        owner_id,
        scratch_account: scratch.id,
        scratch_role: role,
        scratch_client,
        members,
        invitation,
        webhook,
        stranger_password: simpa_tests::client::PASSWORD.to_owned(),
        stranger_email: stranger.email,
        statuts_kind,
        djs,
        directory_card,
    }
}

/// The operations of the served OpenAPI document, as `METHOD template`.
fn documented_operations(app: &TestApp) -> BTreeSet<String> {
    let document = app.get("/openapi.json", None).expect(200).clone();
    document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .filter(|m| ["get", "put", "post", "delete", "patch"].contains(&m.as_str()))
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect()
}

/// Sends a row's call as a role, and judges the answer.
fn outcome_of(app: &TestApp, world: &World, row: &Row, role: Role) -> (Outcome, u16, String) {
    let method: reqwest::Method = row.method.parse().expect("method");
    let mut request = app.request(method, &row.path);
    if let Some(token) = world.tokens.get(&role) {
        request = request.bearer_auth(token);
    }
    if row.if_match {
        request = request.header("If-Match", "\"999999\"");
    }
    request = match &row.body {
        Body::None => request,
        Body::Json(body) => request.json(body),
        Body::Multipart => {
            let file =
                reqwest::blocking::multipart::Part::bytes(simpa_tests::documents::pdf("matrice"))
                    .file_name("statuts.pdf")
                    .mime_str("application/pdf")
                    .expect("media type");
            request.multipart(
                reqwest::blocking::multipart::Form::new()
                    .text("kind", "statuts")
                    .part("file", file),
            )
        }
    };
    let reply = app.send(request);
    // No answer to someone signed in is kept by a cache, but the public ones'.
    let public = ["/api/v1/directory", "/api/v1/open-data"]
        .iter()
        .any(|p| row.path.starts_with(p));
    if world.tokens.contains_key(&role) && !public {
        assert_eq!(
            reply.header("cache-control"),
            Some("no-store"),
            "{} {} as {role:?}",
            row.method,
            row.path
        );
    }
    let code = reply.body["code"].as_str().unwrap_or_default().to_owned();
    let outcome = match reply.status {
        401 => Outcome::Unauthenticated,
        403 => Outcome::Forbidden,
        404 if code == row.hidden_code => Outcome::Hidden,
        405 => panic!(
            "{} {}: no such route ({})",
            row.method, row.path, reply.text
        ),
        // The row's path names no route, or an id that does not parse.
        404 if code == "route.not_found" || code == "resource.not_found" => Outcome::Broken,
        500.. => Outcome::Broken,
        _ => Outcome::Allowed,
    };
    (outcome, reply.status, code)
}

fn every_operation_answers_every_role_as_the_policy_says(backend: Backend) {
    let app = TestApp::start_with(
        backend,
        &[
            ("SIMPA_METRICS_TOKEN", "le-jeton-des-collecteurs"),
            // The webhooks registered here are never called: their host need not resolve.
            ("SIMPA_WEBHOOK_ALLOWED_HOSTS", "hooks.exemple.org"),
        ],
    );
    fixtures::load(&app);
    let world = world(&app);
    let rows = rows(&world);

    let documented = documented_operations(&app);
    let covered: BTreeSet<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.method, r.template))
        .collect();
    let missing: Vec<&String> = documented.difference(&covered).collect();
    let unknown: Vec<&String> = covered.difference(&documented).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "operations without a row in the access matrix: {missing:?}; rows for no operation: {unknown:?}"
    );

    for row in &rows {
        let path = row.path.split('?').next().unwrap_or_default();
        assert!(
            actix_web::dev::ResourceDef::new(row.template).is_match(path),
            "the row of {} {} calls {path}",
            row.method,
            row.template
        );
    }
    let mut wrong = Vec::new();
    let mut cells = 0;
    let mut statuses: std::collections::BTreeMap<(String, u16, String), usize> = Default::default();
    for row in &rows {
        // Those refused first: what the allowed do must not change their answer.
        let mut order: Vec<Role> = ROLES.to_vec();
        order.sort_by_key(|r| row.expected(*r) == Outcome::Allowed);
        for role in order {
            let expected = row.expected(role);
            let (got, status, code) = outcome_of(&app, &world, row, role);
            cells += 1;
            *statuses
                .entry((format!("{expected:?}"), status, code.clone()))
                .or_default() += 1;
            if got != expected {
                wrong.push(format!(
                    "{} {} as {role:?}: expected {expected:?}, got {status} {code}",
                    row.method, row.template
                ));
            }
        }
    }
    eprintln!("access matrix, {cells} cells (expected outcome, status, code: count): {statuses:?}");
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells answer otherwise than the policy says:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Every operation, with who may call it (the policy, domain/src/policy.rs, read for this
/// world).
fn rows(w: &World) -> Vec<Row> {
    let (o, g, x) = (&w.association, &w.request, &w.jury_request);
    let (c, j, d, a) = (&w.campaign, &w.jury_campaign, &w.deliberation, &w.agreement);
    let all_people = &people();
    let staff = &staff();
    let everyone_signed_in: Vec<Role> = ROLES.iter().copied().filter(|r| *r != Anonymous).collect();
    // Who reads G (and O's documents), and who reads its grant.
    let g_readers = [Owner, Admin, Bureau, DirectionIn, ClientIn];
    let g_others = [
        Stranger,
        Finance,
        DirectionOut,
        TownHallIn,
        TownHallOut,
        Juror,
        RecusedJuror,
        ClientOut,
    ];
    let grant_readers = [Owner, Admin, Bureau, DirectionIn, ClientIn, Finance];
    let grant_others = [
        Stranger,
        DirectionOut,
        TownHallIn,
        TownHallOut,
        Juror,
        RecusedJuror,
        ClientOut,
    ];
    let outsiders = [Stranger, Juror, RecusedJuror];
    let document_readers = [
        Owner,
        Admin,
        Bureau,
        Finance,
        TownHallIn,
        DirectionIn,
        ClientIn,
    ];
    let document_others = [
        Stranger,
        DirectionOut,
        TownHallOut,
        Juror,
        RecusedJuror,
        ClientOut,
    ];
    let central = [Admin, Bureau];
    let town_halls_and_directions = [
        DirectionIn,
        DirectionOut,
        TownHallIn,
        TownHallOut,
        ClientIn,
        ClientOut,
    ];
    // X is read by the central staff and whoever instructs it.
    let mut x_readers = vec![Admin, Bureau];
    if w.jury_request_directions.0 {
        x_readers.extend([DirectionIn, ClientIn]);
    }
    if w.jury_request_directions.1 {
        x_readers.extend([DirectionOut, ClientOut]);
    }
    let x_others: Vec<Role> = everyone_signed_in
        .iter()
        .copied()
        .filter(|r| !x_readers.contains(r))
        .collect();
    let mut chairs = vec![Admin, Bureau];
    if w.juror_chairs {
        chairs.push(Juror);
    }
    let today = w.today.clone();
    let profile = association_body("Matrice", &rna(902), &siret(902));
    let p = |path: String| path;

    let mut rows = vec![
        // Health, metrics, reference data, the public directory and open data.
        Row::new("GET", "/healthz", p("/healthz".into())).public(),
        Row::new("GET", "/readyz", p("/readyz".into())).public(),
        // Only the scrapers' token: every access token is refused.
        Row::new("GET", "/metrics", p("/metrics".into())).scrapers_only(),
        Row::new("GET", "/api/v1/districts", p("/api/v1/districts".into())).public(),
        Row::new("GET", "/api/v1/directions", p("/api/v1/directions".into())).public(),
        Row::new("GET", "/api/v1/sectors", p("/api/v1/sectors".into())).public(),
        Row::new("GET", "/api/v1/document-kinds", p("/api/v1/document-kinds".into())).public(),
        Row::new("GET", "/api/v1/campaigns", p("/api/v1/campaigns".into())).public(),
        Row::new("GET", "/api/v1/campaigns/{campaign_id}", format!("/api/v1/campaigns/{c}")).public(),
        Row::new("GET", "/api/v1/directory/associations", p("/api/v1/directory/associations".into())).public(),
        Row::new("GET", "/api/v1/directory/associations/{association_id}", format!("/api/v1/directory/associations/{}", w.directory_card)).public(),
        Row::new("GET", "/api/v1/open-data/subsidies.csv", p("/api/v1/open-data/subsidies.csv".into())).public(),
        Row::new("GET", "/api/v1/open-data/subsidies.json", p("/api/v1/open-data/subsidies.json".into())).public(),
        Row::new("GET", "/api/v1/open-data/voted-subsidies.csv", p("/api/v1/open-data/voted-subsidies.csv".into())).public(),
        Row::new("GET", "/api/v1/open-data/voted-subsidies.json", p("/api/v1/open-data/voted-subsidies.json".into())).public(),
        // Signing in and out, registering: anyone.
        Row::new("POST", "/api/v1/auth/token", p("/api/v1/auth/token".into()))
            .json(json!({"grant_type": "password", "email": w.stranger_email, "password": w.stranger_password}))
            .public(),
        Row::new("POST", "/api/v1/auth/logout", p("/api/v1/auth/logout".into()))
            .json(json!({"refresh_token": "inconnu"}))
            .public(),
        // Single sign-on: anyone starts one (not configured here: told so).
        Row::new("GET", "/api/v1/auth/oidc/authorize", p("/api/v1/auth/oidc/authorize".into())).public(),
        Row::new("GET", "/api/v1/auth/oidc/callback", p("/api/v1/auth/oidc/callback?code=c&state=s".into()))
            .public(),
        Row::new("POST", "/api/v1/accounts", p("/api/v1/accounts".into()))
            .json(json!({"email": "inscription@exemple.org", "password": "une phrase de passe", "display_name": "Inscrite"}))
            .public(),
        Row::new("POST", "/api/v1/accounts/verification", p("/api/v1/accounts/verification".into()))
            .json(json!({"token": "inconnu"}))
            .public(),
        Row::new("POST", "/api/v1/auth/password-reset", p("/api/v1/auth/password-reset".into()))
            .json(json!({"email": "personne@exemple.org"}))
            .public(),
        Row::new("POST", "/api/v1/auth/password-reset/confirm", p("/api/v1/auth/password-reset/confirm".into()))
            .json(json!({"token": "inconnu", "password": "girafe orageuse 42 tambours"}))
            .public(),
        // Accounts and staff roles.
        Row::new("GET", "/api/v1/me", p("/api/v1/me".into())).allow(all_people),
        // Demo people proved their address already: allowed, then told so.
        Row::new("POST", "/api/v1/me/verification", p("/api/v1/me/verification".into()))
            .allow(all_people),
        // The current password is wrong: allowed, then refused by the rule.
        Row::new("PUT", "/api/v1/me/password", p("/api/v1/me/password".into()))
            .json(json!({"current_password": "pas le bon", "new_password": "girafe orageuse 42 tambours"}))
            .allow(all_people),
        Row::new("GET", "/api/v1/me/preferences", p("/api/v1/me/preferences".into())).allow(all_people),
        Row::new("PUT", "/api/v1/me/preferences", p("/api/v1/me/preferences".into()))
            .json(json!({"request_emails": true, "work_emails": "immediate"}))
            .allow(all_people),
        Row::new("GET", "/api/v1/accounts", p("/api/v1/accounts".into())).allow(&[Admin]),
        Row::new("GET", "/api/v1/accounts/{account_id}", format!("/api/v1/accounts/{}", w.owner_id))
            .allow(&[Admin, Owner])
            .hide("account.not_found", &everyone_signed_in),
        Row::new("POST", "/api/v1/accounts/{account_id}/staff-roles", format!("/api/v1/accounts/{}/staff-roles", w.scratch_account))
            .json(json!({"kind": "bureau"}))
            .allow(&[Admin]),
        Row::new("DELETE", "/api/v1/accounts/{account_id}/staff-roles/{role_id}", format!("/api/v1/accounts/{}/staff-roles/{}", w.scratch_account, w.scratch_role))
            .allow(&[Admin]),
        Row::new("POST", "/api/v1/accounts/{account_id}/deactivate", format!("/api/v1/accounts/{}/deactivate", w.scratch_account))
            .allow(&[Admin]),
        Row::new("POST", "/api/v1/accounts/{account_id}/reactivate", format!("/api/v1/accounts/{}/reactivate", w.scratch_account))
            .allow(&[Admin]),
        // The second factor: one's own (wrong codes are allowed, then refused by the rule);
        // an admin resets another's (this one has none: allowed, then told so).
        Row::new("GET", "/api/v1/me/two-factor", p("/api/v1/me/two-factor".into())).allow(all_people),
        Row::new("POST", "/api/v1/me/two-factor", p("/api/v1/me/two-factor".into())).allow(all_people),
        Row::new("POST", "/api/v1/me/two-factor/confirm", p("/api/v1/me/two-factor/confirm".into()))
            .json(json!({"code": "abcd-efgh-ijkl"}))
            .allow(all_people),
        Row::new("POST", "/api/v1/me/two-factor/recovery-codes", p("/api/v1/me/two-factor/recovery-codes".into()))
            .json(json!({"code": "abcd-efgh-ijkl"}))
            .allow(all_people),
        Row::new("POST", "/api/v1/me/two-factor/disable", p("/api/v1/me/two-factor/disable".into()))
            .json(json!({"code": "abcd-efgh-ijkl"}))
            .allow(all_people),
        Row::new("POST", "/api/v1/accounts/{account_id}/two-factor/reset", format!("/api/v1/accounts/{}/two-factor/reset", w.scratch_account))
            .allow(&[Admin]),
        Row::new("GET", "/api/v1/me/sessions", p("/api/v1/me/sessions".into())).allow(all_people),
        Row::new("DELETE", "/api/v1/me/sessions/{session_id}", format!("/api/v1/me/sessions/{}", uuid::Uuid::nil()))
            .allow(all_people),
        Row::new("DELETE", "/api/v1/me/sessions", p("/api/v1/me/sessions".into())).allow(all_people),
        Row::new("GET", "/api/v1/service-accounts", p("/api/v1/service-accounts".into())).allow(&[Admin]),
        Row::new("POST", "/api/v1/service-accounts", p("/api/v1/service-accounts".into()))
            .json(json!({"name": "Progiciel de la matrice", "direction_id": w.djs}))
            .allow(&[Admin]),
        Row::new("POST", "/api/v1/service-accounts/{service_account_id}/secret", format!("/api/v1/service-accounts/{}/secret", w.scratch_client))
            .json(json!({"overlap_hours": 1}))
            .allow(&[Admin]),
        Row::new("DELETE", "/api/v1/service-accounts/{service_account_id}", format!("/api/v1/service-accounts/{}", w.scratch_client))
            .allow(&[Admin]),
        Row::new("GET", "/api/v1/outbox", p("/api/v1/outbox".into())).allow(&[Admin]),
        Row::new("GET", "/api/v1/audit-events", p("/api/v1/audit-events".into())).allow(&[Admin]),
        Row::new("PUT", "/api/v1/document-kinds/{code}", p("/api/v1/document-kinds/statuts".into()))
            .json(w.statuts_kind.clone())
            .allow(&[Admin]),
    ];
    rows.extend([
        // Associations: staff read them, their members edit them, their president speaks for them.
        Row::new("POST", "/api/v1/associations", p("/api/v1/associations".into()))
            .json(association_body("Matrice des droits", &rna(903), &siret(903)))
            .allow(all_people),
        Row::new("GET", "/api/v1/associations", p("/api/v1/associations".into())).allow(staff),
        Row::new("GET", "/api/v1/associations/{association_id}", format!("/api/v1/associations/{o}"))
            .allow(staff)
            .allow(&[Owner])
            .hide("association.not_found", &outsiders),
        Row::new("PUT", "/api/v1/associations/{association_id}", format!("/api/v1/associations/{o}"))
            .json(profile.clone())
            .stale()
            .allow(&[Owner, Admin, Bureau])
            .hide("association.not_found", &outsiders),
        Row::new("POST", "/api/v1/associations/{association_id}/confirmation", format!("/api/v1/associations/{o}/confirmation"))
            .allow(&[Owner, Admin, Bureau])
            .hide("association.not_found", &outsiders),
        Row::new("PUT", "/api/v1/associations/{association_id}/public-funding/{fiscal_year}", format!("/api/v1/associations/{o}/public-funding/2025"))
            .json(json!({"cash_subsidies_cents": 0}))
            .allow(&[Owner, Admin, Bureau])
            .hide("association.not_found", &outsiders),
        Row::new("POST", "/api/v1/associations/{association_id}/attestations", format!("/api/v1/associations/{o}/attestations"))
            .json(json!({"kind": "contrat_engagement_republicain"}))
            .allow(&[Owner])
            .hide("association.not_found", &outsiders),
        Row::new("GET", "/api/v1/associations/{association_id}/members", format!("/api/v1/associations/{o}/members"))
            .allow(&[Owner, Admin, Bureau])
            .hide("association.not_found", &outsiders),
        Row::new("POST", "/api/v1/associations/{association_id}/members", format!("/api/v1/associations/{o}/members"))
            .json(json!({"email": "nouvelle@exemple.org", "role": "manager"}))
            .allow(&[Owner, Admin])
            .hide("association.not_found", &outsiders),
        Row::new("PUT", "/api/v1/associations/{association_id}/members/{account_id}", format!("/api/v1/associations/{o}/members/{}", w.members[0]))
            .json(json!({"role": "treasurer"}))
            .allow(&[Owner, Admin])
            .hide("association.not_found", &outsiders),
        Row::new("DELETE", "/api/v1/associations/{association_id}/members/{account_id}", format!("/api/v1/associations/{o}/members/{}", w.members[1]))
            .allow(&[Owner, Admin])
            .hide("association.not_found", &outsiders),
        Row::new("POST", "/api/v1/associations/{association_id}/invitations/{invitation_id}/resend", format!("/api/v1/associations/{o}/invitations/{}/resend", w.invitation))
            .allow(&[Owner, Admin])
            .hide("association.not_found", &outsiders),
        Row::new("DELETE", "/api/v1/associations/{association_id}/invitations/{invitation_id}", format!("/api/v1/associations/{o}/invitations/{}", w.invitation))
            .allow(&[Owner, Admin])
            .hide("association.not_found", &outsiders),
        Row::new("POST", "/api/v1/invitations/accept", p("/api/v1/invitations/accept".into()))
            .json(json!({"token": "inconnu"}))
            .allow(all_people),
        // Documents: read by members, central staff, finance, the district's town hall and the
        // directions instructing the association; filed by members; reviewed by the bureau or
        // the town hall.
        Row::new("GET", "/api/v1/associations/{association_id}/documents", format!("/api/v1/associations/{o}/documents"))
            .allow(&document_readers)
            .hide("association.not_found", &document_others),
        Row::new("GET", "/api/v1/associations/{association_id}/documents/status", format!("/api/v1/associations/{o}/documents/status"))
            .allow(&document_readers)
            .hide("association.not_found", &document_others),
        Row::new("GET", "/api/v1/associations/{association_id}/documents/{version_id}/file", format!("/api/v1/associations/{o}/documents/{}/file", w.document))
            .allow(&document_readers)
            .hide("association.not_found", &document_others),
        Row {
            body: Body::Multipart,
            ..Row::new("POST", "/api/v1/associations/{association_id}/documents", format!("/api/v1/associations/{o}/documents"))
                .allow(&[Owner, Admin])
                .hide("association.not_found", &outsiders)
        },
        Row::new("POST", "/api/v1/associations/{association_id}/documents/{version_id}/review", format!("/api/v1/associations/{o}/documents/{}/review", w.document))
            .json(json!({"decision": "accepted"}))
            .allow(&[Admin, Bureau, TownHallIn])
            .hide("association.not_found", &outsiders),
        // Campaigns: the bureau manages the city's.
        Row::new("POST", "/api/v1/campaigns", p("/api/v1/campaigns".into()))
            .json(json!({"code": "MATRICE", "title": "Matrice", "owner_direction_id": w.djs, "district_number": null,
                "nature": "projet", "circuit": "central", "budget_year": 2027,
                "opens_at": "2026-11-01T09:00:00Z", "closes_at": "2027-12-31T12:00:00Z", "required_documents": ["statuts"]}))
            .allow(&central),
        Row::new("PUT", "/api/v1/campaigns/{campaign_id}", format!("/api/v1/campaigns/{c}"))
            .json(json!({"code": "MATRICE_BIS", "title": "Matrice", "owner_direction_id": w.djs, "district_number": null,
                "nature": "projet", "circuit": "central", "budget_year": 2027,
                "opens_at": "2026-11-01T09:00:00Z", "closes_at": "2027-12-31T12:00:00Z", "required_documents": ["statuts"]}))
            .stale()
            .allow(&central),
        Row::new("DELETE", "/api/v1/campaigns/{campaign_id}", format!("/api/v1/campaigns/{c}"))
            .stale()
            .allow(&central),
        Row::new("POST", "/api/v1/campaigns/{campaign_id}/publish", format!("/api/v1/campaigns/{c}/publish")).allow(&central),
        Row::new("POST", "/api/v1/campaigns/{campaign_id}/close", format!("/api/v1/campaigns/{c}/close")).allow(&central),
        // Requests: members start them; G is read by its association, the central staff and the
        // directions instructing it (not finance, which reads the grant).
        Row::new("POST", "/api/v1/requests", p("/api/v1/requests".into()))
            .json(json!({"campaign_id": c, "association_id": o, "title": "Matrice"}))
            .allow(&[Owner])
            .hide("association.not_found", &outsiders),
        Row::new("GET", "/api/v1/requests", p("/api/v1/requests".into()))
            .allow(staff)
            .allow(&[Owner, Stranger]),
        Row::new("GET", "/api/v1/requests/changes", p("/api/v1/requests/changes".into())).allow(staff),
        Row::new("GET", "/api/v1/worklist", p("/api/v1/worklist".into())).allow(staff),
        Row::new("GET", "/api/v1/requests/{request_id}", format!("/api/v1/requests/{g}"))
            .allow(&g_readers)
            .hide("request.not_found", &g_others),
        Row::new("GET", "/api/v1/requests/{request_id}/history/verify", format!("/api/v1/requests/{g}/history/verify"))
            .allow(&g_readers)
            .hide("request.not_found", &g_others),
        Row::new("PUT", "/api/v1/requests/{request_id}", format!("/api/v1/requests/{g}"))
            .json(json!({"title": "Matrice"}))
            .stale()
            .allow(&g_readers)
            .hide("request.not_found", &g_others),
        Row::new("POST", "/api/v1/requests/{request_id}/actions", format!("/api/v1/requests/{g}/actions"))
            .json(json!({"action": "withdraw"}))
            .allow(&g_readers)
            .hide("request.not_found", &g_others),
        // G's threads: those who read it, the association's for its members too; read marks
        // are people's; the search is the staff's.
        Row::new("GET", "/api/v1/requests/{request_id}/messages", format!("/api/v1/requests/{g}/messages"))
            .allow(&g_readers)
            .hide("thread.not_found", &g_others),
        Row {
            body: Body::Multipart,
            ..Row::new("POST", "/api/v1/requests/{request_id}/messages", format!("/api/v1/requests/{g}/messages"))
                .allow(&g_readers)
                .hide("thread.not_found", &g_others)
        },
        Row::new("POST", "/api/v1/requests/{request_id}/messages/read", format!("/api/v1/requests/{g}/messages/read"))
            .json(json!({"seq": 1}))
            .allow(&[Owner, Admin, Bureau, DirectionIn])
            .hide("thread.not_found", &g_others),
        Row::new("GET", "/api/v1/requests/{request_id}/messages/attachments/{attachment_id}", format!("/api/v1/requests/{g}/messages/attachments/{}", uuid::Uuid::nil()))
            .allow(&g_readers)
            .hide("thread.not_found", &g_others),
        Row::new("GET", "/api/v1/messages", p("/api/v1/messages?q=matrice".into())).allow(staff),
        // G's grant: its readers and finance; finance pays; the bureau, the lead direction and
        // finance order repayments; the association files the final report, the bureau or the
        // lead direction accepts it.
        Row::new("GET", "/api/v1/requests/{request_id}/grant", format!("/api/v1/requests/{g}/grant"))
            .allow(&grant_readers)
            .hide("grant.not_found", &grant_others),
        Row::new("PUT", "/api/v1/requests/{request_id}/grant/schedule", format!("/api/v1/requests/{g}/grant/schedule"))
            .json(json!({"installments": [{"cents": 100, "due": "on_notification"}]}))
            .stale()
            .allow(&[Admin, Finance]),
        Row::new("POST", "/api/v1/requests/{request_id}/grant/payments", format!("/api/v1/requests/{g}/grant/payments"))
            .json(json!({"amount_cents": 999_999_999_999i64, "paid_on": today, "reference": "MATRICE-1"}))
            .allow(&[Admin, Finance]),
        Row::new("POST", "/api/v1/requests/{request_id}/grant/repayments", format!("/api/v1/requests/{g}/grant/repayments"))
            .json(json!({"amount_cents": 999_999_999_999i64, "reason": "Matrice."}))
            .allow(&[Admin, Bureau, DirectionIn, ClientIn, Finance])
            .hide("grant.not_found", &grant_others),
        Row::new("POST", "/api/v1/requests/{request_id}/grant/repayments/{repayment_id}/settle", format!("/api/v1/requests/{g}/grant/repayments/{}/settle", uuid::Uuid::nil()))
            .json(json!({"settled_on": today}))
            .allow(&[Admin, Finance]),
        Row::new("GET", "/api/v1/payments/due", p("/api/v1/payments/due".into())).allow(&[Admin, Bureau, Finance]),
        Row::new("GET", "/api/v1/grants", p("/api/v1/grants".into())).allow(&[Admin, Bureau, Finance]),
        Row::new("GET", "/api/v1/requests/{request_id}/final-report", format!("/api/v1/requests/{g}/final-report"))
            .allow(&grant_readers)
            .hide("grant.not_found", &grant_others),
        Row::new("PUT", "/api/v1/requests/{request_id}/final-report", format!("/api/v1/requests/{g}/final-report"))
            .json(json!({"budget": [], "indicators": [], "summary": "Matrice."}))
            .allow(&[Owner])
            .hide("grant.not_found", &grant_others),
        Row::new("POST", "/api/v1/requests/{request_id}/final-report/accept", format!("/api/v1/requests/{g}/final-report/accept"))
            .allow(&[Admin, Bureau, DirectionIn, ClientIn])
            .hide("grant.not_found", &grant_others),
        Row::new("POST", "/api/v1/requests/{request_id}/final-report/ask-changes", format!("/api/v1/requests/{g}/final-report/ask-changes"))
            .json(json!({"reason": "Matrice."}))
            .allow(&[Admin, Bureau, DirectionIn, ClientIn])
            .hide("grant.not_found", &grant_others),
        // G's agreement: read with its grant; edited and countersigned by the bureau, signed by
        // the association's president.
        Row::new("GET", "/api/v1/agreements", p("/api/v1/agreements?status=signed".into())).allow(&central),
        Row::new("GET", "/api/v1/agreements/{agreement_id}", format!("/api/v1/agreements/{a}"))
            .allow(&grant_readers)
            .hide("agreement.not_found", &grant_others),
        Row::new("GET", "/api/v1/agreements/{agreement_id}/document.{format}", format!("/api/v1/agreements/{a}/document.html"))
            .allow(&grant_readers)
            .hide("agreement.not_found", &grant_others),
        Row::new("PUT", "/api/v1/agreements/{agreement_id}", format!("/api/v1/agreements/{a}"))
            .json(json!({"object": "Matrice.", "years": [{"year": 2026, "cents": 100}], "payment_days": 30}))
            .stale()
            .allow(&central),
        Row::new("POST", "/api/v1/agreements/{agreement_id}/sign", format!("/api/v1/agreements/{a}/sign"))
            .stale()
            .allow(&[Owner])
            .hide("agreement.not_found", &grant_others),
        Row::new("POST", "/api/v1/agreements/{agreement_id}/countersign", format!("/api/v1/agreements/{a}/countersign"))
            .stale()
            .allow(&central)
            .hide("agreement.not_found", &grant_others),
        // Deliberations: the bureau for the Conseil de Paris.
        Row::new("POST", "/api/v1/deliberations", p("/api/v1/deliberations".into()))
            .json(json!({"reference": "2026 DJS 99", "council": "conseil_de_paris", "session_on": today, "title": "Matrice"}))
            .allow(&central),
        // A town hall lists its own council's (none here).
        Row::new("GET", "/api/v1/deliberations", p("/api/v1/deliberations".into()))
            .allow(&central)
            .allow(&[TownHallIn, TownHallOut]),
        Row::new("GET", "/api/v1/deliberations/{deliberation_id}", format!("/api/v1/deliberations/{d}")).allow(&central),
        Row::new("PUT", "/api/v1/deliberations/{deliberation_id}", format!("/api/v1/deliberations/{d}"))
            .json(json!({"reference": "2026 DJS 98", "council": "conseil_de_paris", "session_on": today, "title": "Matrice"}))
            .stale()
            .allow(&central),
        Row::new("DELETE", "/api/v1/deliberations/{deliberation_id}", format!("/api/v1/deliberations/{d}"))
            .allow(&central),
        Row::new("POST", "/api/v1/deliberations/{deliberation_id}/lines", format!("/api/v1/deliberations/{d}/lines"))
            .json(json!({"request_id": g}))
            .allow(&central),
        Row::new("DELETE", "/api/v1/deliberations/{deliberation_id}/lines/{request_id}", format!("/api/v1/deliberations/{d}/lines/{g}"))
            .allow(&central),
        Row::new("POST", "/api/v1/deliberations/{deliberation_id}/vote", format!("/api/v1/deliberations/{d}/vote"))
            .json(json!({"outcome": "adopted", "voted_on": today}))
            .allow(&central),
        // Indicators: the central staff, the directions and their clients, the town halls.
        Row::new("GET", "/api/v1/indicators", p("/api/v1/indicators".into()))
            .allow(&central)
            .allow(&town_halls_and_directions),
        // Webhooks of the DJS: its instructors and client, and admins.
        Row::new("POST", "/api/v1/webhooks", p("/api/v1/webhooks".into()))
            .json(json!({"url": "https://hooks.exemple.org/matrice", "direction_id": w.djs}))
            .allow(&[Admin, DirectionIn, ClientIn]),
        Row::new("GET", "/api/v1/webhooks", p("/api/v1/webhooks".into()))
            .allow(&[Admin, DirectionIn, DirectionOut, ClientIn, ClientOut]),
        Row::new("GET", "/api/v1/webhooks/{webhook_id}/deliveries", format!("/api/v1/webhooks/{}/deliveries", w.webhook))
            .allow(&[Admin, DirectionIn, ClientIn])
            .hide("webhook.not_found", &everyone_signed_in),
        Row::new("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", format!("/api/v1/webhooks/{}/deliveries/{}/redeliver", w.webhook, uuid::Uuid::nil()))
            .allow(&[Admin, DirectionIn, ClientIn])
            .hide("webhook.not_found", &everyone_signed_in),
        Row::new("DELETE", "/api/v1/webhooks/{webhook_id}", format!("/api/v1/webhooks/{}", w.webhook))
            .allow(&[Admin, DirectionIn, ClientIn])
            .hide("webhook.not_found", &everyone_signed_in),
        // The jury of J: the bureau sets it up; its jurors read it; its chair runs it; a juror
        // works on the requests they are seated on, unless recused.
        Row::new("POST", "/api/v1/campaigns/{campaign_id}/jury", format!("/api/v1/campaigns/{j}/jury"))
            .json(json!({"criteria": [{"label": "Impact", "weight": 1, "max_points": 10}], "min_score": 50, "min_scores": 1, "last_request": "partial"}))
            .allow(&central),
        Row::new("PUT", "/api/v1/campaigns/{campaign_id}/jury", format!("/api/v1/campaigns/{j}/jury"))
            .json(json!({"criteria": [{"label": "Impact", "weight": 1, "max_points": 10}], "min_score": 50, "min_scores": 1, "last_request": "partial"}))
            .stale()
            .allow(&central),
        Row::new("GET", "/api/v1/campaigns/{campaign_id}/jury", format!("/api/v1/campaigns/{j}/jury"))
            .allow(&[Admin, Bureau, Juror, RecusedJuror]),
        Row::new("GET", "/api/v1/campaigns/{campaign_id}/jury/requests", format!("/api/v1/campaigns/{j}/jury/requests"))
            .allow(&[Admin, Bureau, Juror, RecusedJuror]),
        // While the session is open, only the central staff read the minutes.
        Row::new("GET", "/api/v1/campaigns/{campaign_id}/jury/minutes", format!("/api/v1/campaigns/{j}/jury/minutes"))
            .allow(&central),
        Row::new("POST", "/api/v1/campaigns/{campaign_id}/jury/members", format!("/api/v1/campaigns/{j}/jury/members"))
            .json(json!({"account_id": w.scratch_account}))
            .allow(&central),
        Row::new("DELETE", "/api/v1/campaigns/{campaign_id}/jury/members/{account_id}", format!("/api/v1/campaigns/{j}/jury/members/{}", w.scratch_account))
            .allow(&central),
        Row::new("POST", "/api/v1/campaigns/{campaign_id}/jury/seats", format!("/api/v1/campaigns/{j}/jury/seats"))
            .allow(&chairs),
        Row::new("PUT", "/api/v1/campaigns/{campaign_id}/jury/seats/{request_id}/{account_id}", format!("/api/v1/campaigns/{j}/jury/seats/{x}/{}", w.scratch_account))
            .allow(&chairs),
        Row::new("PUT", "/api/v1/requests/{request_id}/jury/declaration", format!("/api/v1/requests/{x}/jury/declaration"))
            .json(json!({"declaration": "no_conflict"}))
            .allow(&[Juror])
            .hide("request.not_found", &everyone_signed_in),
        Row::new("GET", "/api/v1/requests/{request_id}/jury/sheet", format!("/api/v1/requests/{x}/jury/sheet"))
            .allow(&[Juror])
            .hide("request.not_found", &everyone_signed_in),
        Row::new("PUT", "/api/v1/requests/{request_id}/jury/sheet", format!("/api/v1/requests/{x}/jury/sheet"))
            .json(json!({"scores": [{"points": 1}], "hand_in": false}))
            .allow(&[Juror])
            .hide("request.not_found", &everyone_signed_in),
        Row::new("GET", "/api/v1/requests/{request_id}/jury/result", format!("/api/v1/requests/{x}/jury/result"))
            .allow(&x_readers)
            .hide("request.not_found", &x_others),
        // Last: closing and validating change the session the rows above read.
        Row::new("POST", "/api/v1/campaigns/{campaign_id}/jury/validate", format!("/api/v1/campaigns/{j}/jury/validate"))
            .allow(&chairs),
        Row::new("POST", "/api/v1/campaigns/{campaign_id}/jury/close", format!("/api/v1/campaigns/{j}/jury/close"))
            .allow(&chairs),
    ]);
    rows
}

//! The open data of subsidies over HTTP, on both databases: the SCDL export checked by the
//! `frictionless` Table Schema validator and by our own checks, its JSON twin, the filters,
//! Paris's layout with and without refusals, and an export streamed across batches.

use diesel::prelude::*;
use serde_json::Value;
use simpa_app::clock::Clock;
use simpa_domain::open_data::{PARIS_COLUMNS, SCDL_FIELDS, check_scdl_csv, decimal_euros};
use simpa_persistence::StoreError;
use simpa_persistence::schema::{
    agreements, associations, deliberations, grants, payments, requests,
};
use simpa_tests::{Backend, TestApp, frictionless, on_both_backends};

const SCDL: &str = "/api/v1/open-data/subsidies";
const VOTED: &str = "/api/v1/open-data/voted-subsidies";

/// The records of a CSV answer, its header first.
fn records(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

fn column(name: &str) -> usize {
    SCDL_FIELDS
        .iter()
        .position(|f| *f == name)
        .expect("a column")
}

/// What `frictionless validate` says of `csv` against the official SCDL schema.
fn validated_by_frictionless(app: &TestApp, csv: &str) -> Option<Value> {
    let validator = frictionless()?;
    let file = app.data_dir().join("subventions.csv");
    std::fs::write(&file, csv).expect("write the export");
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/../standards/scdl/schema.json");
    let output = std::process::Command::new(validator)
        .args(["validate", "--trusted", "--json", "--schema", schema])
        .arg(&file)
        .output()
        .expect("run frictionless");
    Some(serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "frictionless answered no report ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    }))
}

/// How many grants each export should publish, counted in the database.
fn publishable(app: &TestApp, year: Option<i32>) -> i64 {
    app.db
        .read(move |conn| {
            let mut query = grants::table
                .inner_join(requests::table.inner_join(associations::table))
                .left_join(agreements::table)
                .filter(
                    grants::agreement_id
                        .is_null()
                        .or(agreements::status.eq("signed")),
                )
                .filter(
                    associations::siret
                        .is_not_null()
                        .or(associations::rna.is_not_null()),
                )
                .into_boxed();
            if let Some(year) = year {
                query = query.filter(grants::year.eq(year));
            }
            query.count().get_result(conn).map_err(StoreError::from)
        })
        .expect("count")
}

/// The budget years of the grants.
fn budget_years(app: &TestApp) -> Vec<i32> {
    app.db
        .read(|conn| {
            grants::table
                .select(grants::year)
                .distinct()
                .order(grants::year)
                .load(conn)
                .map_err(StoreError::from)
        })
        .expect("years")
}

/// The deliberation of a grant whose agreement the city has not signed.
fn an_unsigned_grant(app: &TestApp) -> Option<String> {
    app.db
        .read(|conn| {
            grants::table
                .inner_join(requests::table.inner_join(associations::table))
                .inner_join(deliberations::table)
                .inner_join(agreements::table)
                .filter(agreements::status.ne("signed"))
                .select(deliberations::reference)
                .load::<String>(conn)
                .map_err(StoreError::from)
        })
        .expect("grants")
        .into_iter()
        .next()
}

/// How many published grants the law requires to publish: above 23,000 €, or adding up above it
/// with the association's grants within twelve months before or after (counted here on its
/// own, from every grant's association, date and amount).
fn required_by_law(app: &TestApp) -> i64 {
    type Row = (String, chrono::NaiveDate, i64, Option<String>, bool);
    let rows: Vec<Row> = app
        .db
        .read(|conn| {
            grants::table
                .inner_join(requests::table.inner_join(associations::table))
                .left_join(agreements::table)
                .select((
                    grants::association_id,
                    grants::voted_on,
                    grants::cents,
                    agreements::status.nullable(),
                    associations::siret
                        .is_not_null()
                        .or(associations::rna.is_not_null()),
                ))
                .load(conn)
                .map_err(StoreError::from)
        })
        .expect("grants");
    let year = chrono::Months::new(12);
    let published = |status: &Option<String>, identified: bool| {
        identified && status.as_deref().is_none_or(|s| s == "signed")
    };
    rows.iter()
        .filter(|(association, on, _, status, identified)| {
            published(status, *identified)
                && rows.iter().any(|(a, end, ..)| {
                    // The twelve months ending on a grant of the association on or after it.
                    let start = *end - year;
                    a == association
                        && end >= on
                        && *on > start
                        && rows
                            .iter()
                            .filter(|(b, d, ..)| b == association && *d > start && d <= end)
                            .map(|(_, _, cents, ..)| cents)
                            .sum::<i64>()
                            > 2_300_000
                })
        })
        .count() as i64
}

/// The requests refused after submission, and the grants.
fn decided(app: &TestApp) -> (i64, i64) {
    app.db
        .read(|conn| {
            let refused = requests::table
                .filter(requests::state.eq("rejected"))
                .filter(requests::number.is_not_null())
                .count()
                .get_result(conn)?;
            let granted = grants::table.count().get_result(conn)?;
            Ok((refused, granted))
        })
        .expect("count")
}

/// A grant paid in full whose agreement the city signed: its deliberation, beneficiary,
/// amount, city signature's date and first and last payments.
type SignedGrant = (String, String, i64, String, String, String);

fn a_signed_and_paid_grant(app: &TestApp) -> Option<SignedGrant> {
    app.db
        .read(|conn| {
            let found: Option<(String, String, String, i64, chrono::NaiveDateTime)> = grants::table
                .inner_join(requests::table.inner_join(associations::table))
                .inner_join(deliberations::table)
                .inner_join(agreements::table)
                .filter(agreements::status.eq("signed"))
                .filter(grants::paid_cents.eq(grants::cents))
                .select((
                    grants::request_id,
                    deliberations::reference,
                    associations::name,
                    grants::cents,
                    agreements::city_signed_at.assume_not_null(),
                ))
                .order(grants::request_id)
                .first(conn)
                .optional()?;
            let Some((request, reference, name, cents, signed_at)) = found else {
                return Ok(None);
            };
            let paid: Vec<chrono::NaiveDate> = payments::table
                .filter(payments::request_id.eq(&request))
                .select(payments::paid_on)
                .order(payments::paid_on)
                .load(conn)?;
            Ok(Some((
                reference,
                name,
                cents,
                signed_at.date().to_string(),
                paid.first().expect("paid").to_string(),
                paid.last().expect("paid").to_string(),
            )))
        })
        .expect("a grant")
}

fn the_open_data_of_subsidies_follows_the_scdl_and_paris_layout_and_streams(backend: Backend) {
    // Batches of 500 rows: the large export below streams in several.
    let app = TestApp::start_with(
        backend,
        &[
            ("SIMPA_PUBLIC_ORIGINS", "https://www.paris.fr"),
            ("SIMPA_EXPORT_BATCH", "500"),
        ],
    );
    crate::fixtures::load(&app);

    // The SCDL as CSV: the 16 columns in order, a row per publishable grant, each meeting the
    // schema's rules; no account is needed.
    let answer = app.get(&format!("{SCDL}.csv"), None);
    answer.expect(200);
    assert_eq!(
        answer.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    let csv = answer.text.clone();
    let rows = records(&csv, b',');
    assert_eq!(rows[0], SCDL_FIELDS);
    let all = publishable(&app, None);
    assert!(
        all >= 20,
        "the demo data grants at least 20 subsidies: {all}"
    );
    assert_eq!(rows.len() as i64 - 1, all);
    assert_eq!(check_scdl_csv(csv.as_bytes()), vec![]);
    for row in &rows[1..] {
        assert_eq!(row[column("idAttribuant")], "21750001600019");
        assert_eq!(row[column("nomAttribuant")], "Ville de Paris");
        assert_eq!(row[column("nature")], "aide en numéraire");
        assert_eq!(row[column("notificationUE")], "non");
        assert_eq!(row[column("pourcentageSubvention")], "1.00");
        assert!(
            ["unique", "échelonné"].contains(&row[column("conditionsVersement")].as_str()),
            "{row:?}"
        );
    }

    // A grant above the threshold: its agreement's date is the city's signature, and its
    // payments give the period.
    let (reference, name, cents, signed_on, first_paid, last_paid) =
        a_signed_and_paid_grant(&app).expect("the demo data pays a grant with an agreement");
    let row = rows
        .iter()
        .find(|r| {
            r[column("referenceDecision")] == reference
                && r[column("nomBeneficiaire")] == name
                && r[column("montant")] == decimal_euros(cents)
        })
        .unwrap_or_else(|| panic!("{reference} {name} is published"));
    assert_eq!(row[column("dateConvention")], signed_on);
    let period = if first_paid == last_paid {
        first_paid
    } else {
        format!("{first_paid}/{last_paid}")
    };
    assert_eq!(row[column("datesPeriodeVersement")], period);

    // The same rows as JSON, with the schema's names and types.
    let json = app.get(&format!("{SCDL}.json"), None);
    let objects = json.expect(200).as_array().expect("an array").clone();
    assert_eq!(objects.len() as i64, all);
    for (object, row) in objects.iter().zip(&rows[1..]) {
        let mut keys: Vec<&str> = object
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = SCDL_FIELDS.to_vec();
        keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(
            object["referenceDecision"],
            row[column("referenceDecision")]
        );
        let montant: f64 = row[column("montant")].parse().expect("a number");
        assert_eq!(object["montant"].as_f64(), Some(montant));
        assert_eq!(object["notificationUE"], false);
        assert_eq!(object["pourcentageSubvention"], 1.0);
    }

    // Filters: the grants the law requires to publish, a budget year.
    let legal = records(
        &app.get(&format!("{SCDL}.csv?scope=legal"), None).text,
        b',',
    );
    let required = required_by_law(&app);
    assert!(
        required > 0 && required < all,
        "{required} of {all} are published by law"
    );
    assert_eq!(legal.len() as i64 - 1, required);
    // Each budget year's export holds its grants, and together they are the whole export.
    let mut by_year = 0;
    for year in budget_years(&app) {
        let of_year = records(
            &app.get(&format!("{SCDL}.csv?year={year}"), None).text,
            b',',
        );
        assert_eq!(
            of_year.len() as i64 - 1,
            publishable(&app, Some(year)),
            "{year}"
        );
        by_year += of_year.len() as i64 - 1;
    }
    assert_eq!(by_year, all);
    app.get(&format!("{SCDL}.csv?scope=everything"), None)
        .expect_problem(400, "query.invalid");
    app.get(&format!("{SCDL}.json?year=last"), None)
        .expect_problem(400, "query.invalid");

    // Browsers of the configured origins may read it.
    let cors = app
        .http_client()
        .get(app.url(&format!("{SCDL}.csv")))
        .header("Origin", "https://www.paris.fr")
        .send()
        .expect("answer");
    assert_eq!(
        cors.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://www.paris.fr")
    );

    // Paris's layout: one row per request granted or refused (0 voted), `;`-separated.
    let (refused, granted) = decided(&app);
    assert!(
        refused > 0 && granted > 0,
        "{refused} refused, {granted} granted"
    );
    let voted = records(&app.get(&format!("{VOTED}.csv"), None).text, b';');
    assert_eq!(voted[0], PARIS_COLUMNS);
    assert_eq!(voted.len() as i64 - 1, refused + granted);
    assert_eq!(
        voted[1..].iter().filter(|r| r[6] == "0").count() as i64,
        refused
    );
    assert!(voted[1..].iter().all(|r| r[2] == "Ville de Paris"
        && ["Fonctionnement", "Projet", "Investissement"].contains(&r[8].as_str())
        && r[7].len() >= 2));
    let objects = app.get(&format!("{VOTED}.json"), None);
    let objects = objects.expect(200).as_array().expect("an array").clone();
    assert_eq!(objects.len() as i64, refused + granted);
    assert_eq!(objects[0]["numero_de_dossier"], voted[1][0]);
    assert!(objects[0]["secteurs_d_activites_definies_par_l_association"].is_array());

    // A city that withholds its refusals.
    let app = app.restart_with(&[("SIMPA_PUBLISH_REFUSALS", "false")]);
    let voted = records(&app.get(&format!("{VOTED}.csv"), None).text, b';');
    assert_eq!(voted.len() as i64 - 1, granted);
    assert!(voted[1..].iter().all(|r| r[6] != "0"));

    // 2,500 more requests voted at once: the exports stream batch after batch, each row once.
    let now = app.clock.now();
    app.db
        .write(move |conn| {
            simpa_fixtures::batches::deliberation_of_campaign(conn, 2_500, None, true, now)
                .map(|_| ())
        })
        .expect("a large vote");
    // At 3,000 € each, they take their associations above 23,000 € in twelve months: each
    // needs an agreement, and waits for its signatures before it is published.
    let reference = an_unsigned_grant(&app).expect("agreements drafted by the vote");
    let waiting = records(&app.get(&format!("{SCDL}.csv"), None).text, b',');
    assert!(
        !waiting
            .iter()
            .any(|r| r[column("referenceDecision")] == reference),
        "{reference} waits for the city's signature"
    );
    assert_eq!(waiting.len() as i64 - 1, publishable(&app, None));
    // Both parties sign them all, past the application (four thousand
    // signatures over HTTP would only slow the test).
    let signed = app
        .execute_sql(
            "UPDATE agreements SET status = 'signed', \
             association_signer = 'Présidence', association_signed_at = CURRENT_TIMESTAMP, \
             city_signer = 'Bureau des subventions', city_signed_at = CURRENT_TIMESTAMP \
             WHERE status = 'drafted'"
                .into(),
        )
        .expect("sign");
    assert!(signed > 1_000, "{signed} agreements signed");
    let (_, granted) = decided(&app);
    let answer = app.get(&format!("{VOTED}.csv"), None);
    assert_eq!(answer.header("transfer-encoding"), Some("chunked"));
    assert_eq!(answer.header("content-length"), None);
    let voted = records(&answer.text, b';');
    assert_eq!(voted.len() as i64 - 1, granted);
    let numbers: Vec<&String> = voted[1..].iter().map(|r| &r[0]).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "in the order of numbers, each once"
    );
    // An association named like a spreadsheet formula is published as text, in every CSV
    // (and as it is in JSON): opening the open data must not run it.
    let formula = r#"=HYPERLINK("https://piege.exemple/","Cliquez")"#;
    let renamed = app
        .execute_sql(format!(
            "UPDATE associations SET name = '{formula}' WHERE id IN \
             (SELECT association_id FROM requests WHERE id IN (SELECT request_id FROM grants))"
        ))
        .expect("rename");
    assert!(renamed > 0);
    let csv = app.get(&format!("{SCDL}.csv"), None).text;
    let rows = records(&csv, b',');
    assert_eq!(rows.len() as i64 - 1, publishable(&app, None));
    let voted = records(&app.get(&format!("{VOTED}.csv"), None).text, b';');
    for row in rows.iter().chain(&voted) {
        for cell in row {
            let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
                && cell.replace(',', ".").parse::<f64>().is_err();
            assert!(!formula, "a formula in {row:?}");
        }
    }
    let text = format!("'{formula}");
    assert!(rows.iter().any(|r| r[column("nomBeneficiaire")] == text));
    assert!(voted.iter().any(|r| r.contains(&text)));
    let objects = app.get(&format!("{SCDL}.json"), None);
    assert!(
        objects
            .expect(200)
            .as_array()
            .expect("an array")
            .iter()
            .any(|o| o["nomBeneficiaire"] == formula),
        "JSON keeps the name as it is"
    );
    assert!(rows.len() > 2_000, "{} rows", rows.len());
    assert_eq!(check_scdl_csv(csv.as_bytes()), vec![]);
    let objects = app.get(&format!("{SCDL}.json"), None);
    assert_eq!(
        objects.expect(200).as_array().expect("an array").len(),
        rows.len() - 1
    );

    // The official validator finds nothing to say.
    if let Some(report) = validated_by_frictionless(&app, &csv) {
        assert_eq!(report["valid"], true, "{report}");
        assert_eq!(report["tasks"][0]["stats"]["errors"], 0, "{report}");
        assert_eq!(
            report["tasks"][0]["stats"]["rows"].as_i64(),
            Some(rows.len() as i64 - 1),
            "{report}"
        );
    }
}

on_both_backends!(the_open_data_of_subsidies_follows_the_scdl_and_paris_layout_and_streams);

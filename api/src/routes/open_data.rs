//! The open data of subsidies, public: the SCDL "subventions" 2.1.1 (the national standard,
//! CSV or JSON) and the layout of Paris's dataset "subventions associations votées". Each
//! export streams: it reads a batch of rows, sends it, reads the next, so that memory does
//! not grow with the number of rows.

use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use simpa_app::open_data;
use simpa_app::spreadsheet::Csv;
use simpa_domain::open_data::{
    Grantor, NATURE, NOTIFIED_TO_EU, PARIS_COLUMNS, ParisRow, SCDL_FIELDS, SHARE, ScdlRow,
    whole_euros,
};
use simpa_persistence::open_data::{Batch, GrantFilter};
use simpa_persistence::{DbConnection, StoreResult};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// The public routes, under `/api/v1/open-data`, callable from browsers on `origins`.
pub fn scope(
    origins: Vec<String>,
) -> utoipa_actix_web::scope::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope::scope(crate::cors::OPEN_DATA)
        .wrap(crate::cors::public(&origins))
        .service(scdl_csv)
        .service(scdl_json)
        .service(voted_csv)
        .service(voted_json)
}

/// Open data changes with each vote and payment: caches keep it an hour at most.
const CACHE_CONTROL: &str = "public, max-age=3600";

/// How an export writes its rows.
#[derive(Clone, Copy)]
enum Format {
    /// A header, then one record per row.
    Csv {
        header: &'static [&'static str],
        delimiter: u8,
    },
    /// An array of objects.
    Json,
}

/// A row an export writes: its cells for CSV, its object for JSON.
trait Published: Send + 'static {
    type Object: Serialize;
    fn cells(&self) -> Vec<String>;
    fn object(&self) -> Self::Object;
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Csv { .. } => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }

    /// The bytes of a batch; `written`, the rows written so far, is `None` before anything
    /// is (the header or the array's opening comes first), and the array closes on the `last`.
    fn write<R: Published>(
        self,
        rows: &[R],
        written: &mut Option<usize>,
        last: bool,
    ) -> Result<Bytes, Problem> {
        let mut out = Vec::with_capacity(rows.len() * 256);
        let before = *written;
        match self {
            Format::Csv { header, delimiter } => {
                let mut writer = Csv::new(&mut out, delimiter);
                if before.is_none() {
                    writer.row(header).map_err(|_| Problem::internal())?;
                }
                for row in rows {
                    writer.row(row.cells()).map_err(|_| Problem::internal())?;
                }
                writer.flush().map_err(|_| Problem::internal())?;
            }
            Format::Json => {
                if before.is_none() {
                    out.push(b'[');
                }
                for (i, row) in rows.iter().enumerate() {
                    let separator: &[u8] = if before.unwrap_or(0) + i == 0 {
                        b"\n"
                    } else {
                        b",\n"
                    };
                    out.extend_from_slice(separator);
                    serde_json::to_writer(&mut out, &row.object())
                        .map_err(|_| Problem::internal())?;
                }
                if last {
                    out.extend_from_slice(b"\n]\n");
                }
            }
        }
        *written = Some(before.unwrap_or(0) + rows.len());
        Ok(Bytes::from(out))
    }
}

type Reader<R> =
    Arc<dyn Fn(&mut DbConnection, Option<String>) -> StoreResult<Batch<R>> + Send + Sync>;

/// The error that ends a stream already begun: the client sees the answer cut short.
fn cut_short(problem: Problem) -> std::io::Error {
    tracing::warn!(?problem, "open data export cut short");
    std::io::Error::other("open data export cut short")
}

/// The export as a streamed answer. The first batch is read before answering, so that a
/// failure gives a problem; a failure later cuts the stream short. Each batch is read while
/// the one before is written: at most two are in memory.
async fn export<R: Published>(
    state: web::Data<AppState>,
    format: Format,
    filename: String,
    read: Reader<R>,
) -> Result<HttpResponse, Problem> {
    let first = {
        let read = read.clone();
        state.read(move |conn| read(conn, None)).await?
    };
    type Reading<R> = actix_web::rt::task::JoinHandle<Result<Batch<R>, Problem>>;
    enum Step<R> {
        Write(Batch<R>),
        Wait(Reading<R>),
        Done,
    }
    let stream =
        futures_util::stream::try_unfold((Step::Write(first), None), move |(step, mut written)| {
            let state = state.clone();
            let read = read.clone();
            async move {
                let batch = match step {
                    Step::Done => return Ok(None),
                    Step::Write(batch) => batch,
                    Step::Wait(reading) => reading
                        .await
                        .map_err(|_| cut_short(Problem::internal()))?
                        .map_err(cut_short)?,
                };
                // The database reads the next batch while this one is written out.
                let next = match batch.next.clone() {
                    Some(after) => Step::Wait(actix_web::rt::spawn(async move {
                        state.read(move |conn| read(conn, Some(after))).await
                    })),
                    None => Step::Done,
                };
                let bytes = format
                    .write(&batch.items, &mut written, batch.next.is_none())
                    .map_err(cut_short)?;
                Ok::<_, std::io::Error>(Some((bytes, (next, written))))
            }
        });
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        ))
        .streaming(crate::panics::cut_short_on_panic(stream)))
}

/// The grants an SCDL export publishes.
#[derive(Deserialize, IntoParams)]
pub struct SubsidiesParams {
    /// The budget year.
    pub year: Option<i32>,
    /// `all` (the default): every grant whose agreement is signed (or that needs none);
    /// `legal`: only those the law requires to publish: above 23,000 €, alone or with the
    /// association's grants within twelve months before or after.
    #[param(inline)]
    pub scope: Option<Scope>,
}

#[derive(Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    All,
    Legal,
}

/// A grant in the SCDL "subventions" 2.1.1, with the names and types of its schema.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScdlSubsidy {
    pub nom_attribuant: String,
    /// The city's SIRET.
    pub id_attribuant: String,
    /// The city's signature of the agreement; the vote when the grant needs none.
    pub date_convention: String,
    /// The deliberation's reference.
    pub reference_decision: String,
    pub nom_beneficiaire: String,
    pub id_beneficiaire: Option<String>,
    pub rna_beneficiaire: Option<String>,
    pub objet: String,
    /// In euros.
    pub montant: f64,
    pub nature: String,
    /// `unique` or `échelonné`.
    pub conditions_versement: String,
    /// A date, or a period `from/to`.
    pub dates_periode_versement: String,
    #[serde(rename = "idRAE")]
    pub id_rae: Option<String>,
    #[serde(rename = "notificationUE")]
    pub notification_ue: bool,
    /// The beneficiary's share, 1 (Simpa's grants have one beneficiary each).
    pub pourcentage_subvention: f64,
    pub dispositif_aide: Option<String>,
}

impl Published for ScdlRow {
    type Object = ScdlSubsidy;

    fn cells(&self) -> Vec<String> {
        ScdlRow::cells(self).to_vec()
    }

    fn object(&self) -> ScdlSubsidy {
        ScdlSubsidy {
            nom_attribuant: self.grantor_name.clone(),
            id_attribuant: self.grantor_siret.clone(),
            date_convention: self.convention_on.format("%Y-%m-%d").to_string(),
            reference_decision: self.decision_reference.clone(),
            nom_beneficiaire: self.beneficiary_name.clone(),
            id_beneficiaire: self.beneficiary_siret.clone(),
            rna_beneficiaire: self.beneficiary_rna.clone(),
            objet: self.objet(),
            montant: self.cents as f64 / 100.0,
            nature: NATURE.to_owned(),
            conditions_versement: self.payment_terms.to_owned(),
            dates_periode_versement: self.payment_period.to_string(),
            id_rae: None,
            notification_ue: NOTIFIED_TO_EU,
            pourcentage_subvention: SHARE,
            dispositif_aide: None,
        }
    }
}

fn scdl_reader(state: &AppState, params: SubsidiesParams) -> Reader<ScdlRow> {
    let grantor = Grantor {
        name: state.config.city.clone(),
        siret: state.config.city_siret.clone(),
    };
    let filter = GrantFilter {
        year: params.year,
        legal_only: params.scope == Some(Scope::Legal),
    };
    let size = state.config.export_batch;
    Arc::new(move |conn, after| {
        open_data::scdl_batch(conn, &grantor, filter, after.as_deref(), size)
    })
}

fn filename(stem: &str, year: Option<i32>, extension: &str) -> String {
    match year {
        Some(year) => format!("{stem}-{year}.{extension}"),
        None => format!("{stem}.{extension}"),
    }
}

/// The subsidies granted, in the SCDL "subventions" 2.1.1 as CSV: one row per grant, its 16
/// columns in order, UTF-8, comma-separated, decimal point, `oui`/`non`, ISO dates. Grants
/// appear once their agreement is signed by the city (or when they need none). Public.
#[utoipa::path(
    tag = "open data",
    params(SubsidiesParams),
    responses(
        (status = 200, body = String, content_type = "text/csv"),
        (status = 400, response = responses::BadRequest),
    )
)]
#[get("/subsidies.csv")]
pub async fn scdl_csv(
    state: web::Data<AppState>,
    params: crate::input::Query<SubsidiesParams>,
) -> Result<HttpResponse, Problem> {
    let year = params.0.year;
    let read = scdl_reader(&state, params.0);
    let format = Format::Csv {
        header: &SCDL_FIELDS,
        delimiter: b',',
    };
    export(state, format, filename("subventions", year, "csv"), read).await
}

/// The same subsidies as a JSON array of SCDL objects (the schema's names, numbers as
/// numbers, `notificationUE` as a boolean). Public.
#[utoipa::path(
    tag = "open data",
    params(SubsidiesParams),
    responses(
        (status = 200, body = Vec<ScdlSubsidy>),
        (status = 400, response = responses::BadRequest),
    )
)]
#[get("/subsidies.json")]
pub async fn scdl_json(
    state: web::Data<AppState>,
    params: crate::input::Query<SubsidiesParams>,
) -> Result<HttpResponse, Problem> {
    let year = params.0.year;
    let read = scdl_reader(&state, params.0);
    export(
        state,
        Format::Json,
        filename("subventions", year, "json"),
        read,
    )
    .await
}

/// The requests decided an export in Paris's layout lists.
#[derive(Deserialize, IntoParams)]
pub struct VotedParams {
    /// The budget year.
    pub year: Option<i32>,
}

/// A request decided, with the names of Paris's dataset "subventions associations votées".
#[derive(Serialize, ToSchema)]
pub struct VotedSubsidy {
    /// `YYYY_NNNNN`.
    pub numero_de_dossier: String,
    pub annee_budgetaire: i32,
    pub collectivite: String,
    pub nom_beneficiaire: String,
    pub numero_siret: Option<String>,
    pub objet_du_dossier: String,
    /// In whole euros; 0 for a refusal.
    pub montant_vote: i64,
    /// The code of the lead direction; the campaign's when no direction leads.
    pub direction: String,
    /// `Fonctionnement`, `Projet` or `Investissement`.
    pub nature_de_la_subvention: String,
    pub secteurs_d_activites_definies_par_l_association: Vec<String>,
}

impl Published for ParisRow {
    type Object = VotedSubsidy;

    fn cells(&self) -> Vec<String> {
        ParisRow::cells(self).to_vec()
    }

    fn object(&self) -> VotedSubsidy {
        VotedSubsidy {
            numero_de_dossier: self.number.clone(),
            annee_budgetaire: self.budget_year,
            collectivite: self.collectivity.clone(),
            nom_beneficiaire: self.beneficiary_name.clone(),
            numero_siret: self.siret.clone(),
            objet_du_dossier: self.object.clone(),
            montant_vote: whole_euros(self.voted_cents),
            direction: self.direction.clone(),
            nature_de_la_subvention: self.nature.to_owned(),
            secteurs_d_activites_definies_par_l_association: self.sectors.clone(),
        }
    }
}

fn voted_reader(state: &AppState, params: VotedParams) -> Reader<ParisRow> {
    let collectivity = state.config.city.clone();
    let refused = state.config.publish_refusals;
    let size = state.config.export_batch;
    Arc::new(move |conn, after| {
        open_data::voted_batch(
            conn,
            &collectivity,
            params.year,
            refused,
            after.as_deref(),
            size,
        )
    })
}

/// The requests decided, in the layout of Paris's dataset "subventions associations votées"
/// as CSV: `;`-separated like opendata.paris.fr, sectors `;`-joined within their cell, one row
/// per request granted and, unless the city withholds them (`SIMPA_PUBLISH_REFUSALS`), per
/// request refused with 0 voted. Public.
#[utoipa::path(
    tag = "open data",
    params(VotedParams),
    responses(
        (status = 200, body = String, content_type = "text/csv"),
        (status = 400, response = responses::BadRequest),
    )
)]
#[get("/voted-subsidies.csv")]
pub async fn voted_csv(
    state: web::Data<AppState>,
    params: crate::input::Query<VotedParams>,
) -> Result<HttpResponse, Problem> {
    let year = params.0.year;
    let read = voted_reader(&state, params.0);
    let format = Format::Csv {
        header: &PARIS_COLUMNS,
        delimiter: b';',
    };
    let name = filename("subventions-associations-votees", year, "csv");
    export(state, format, name, read).await
}

/// The same requests as a JSON array, with the field names of Paris's open data API. Public.
#[utoipa::path(
    tag = "open data",
    params(VotedParams),
    responses(
        (status = 200, body = Vec<VotedSubsidy>),
        (status = 400, response = responses::BadRequest),
    )
)]
#[get("/voted-subsidies.json")]
pub async fn voted_json(
    state: web::Data<AppState>,
    params: crate::input::Query<VotedParams>,
) -> Result<HttpResponse, Problem> {
    let year = params.0.year;
    let read = voted_reader(&state, params.0);
    let name = filename("subventions-associations-votees", year, "json");
    export(state, Format::Json, name, read).await
}

//! Campaigns: the bureau (or a town hall, for the local campaigns of its district) creates
//! them, edits them, publishes and closes them; anyone reads the published ones.

use crate::access::person;
use crate::clock::{CityNow, parse_city_time};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use simpa_domain::association::unknown_sectors;
use simpa_domain::campaign::{
    self as rules, Campaign, CampaignSettings, CampaignStatus, CircuitKind, Eligibility, Nature,
    Sla, Spanning,
};
use simpa_domain::ids::{CampaignId, DirectionId, DistrictNumber};
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_domain::reference::{
    Direction, check_assignable_direction, known_district, known_document_kind,
};
use simpa_domain::{Checks, DomainError, FieldError};
use simpa_persistence::accounts::load_actor;
use simpa_persistence::campaigns::CampaignFilter;
use simpa_persistence::reference::district_numbers;
use simpa_persistence::{DbConnection, StoreResult, campaigns, documents, reference};
use uuid::Uuid;

/// The campaign, if the caller may know of it (a draft is its managers' alone).
#[tracing::instrument(name = "campaigns::load_visible", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn load_visible(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
) -> StoreResult<(Actor, Campaign)> {
    let campaign = campaigns::get(conn, id)?;
    let actor = load_actor(conn, subject)?;
    let campaign = visible(&actor, campaign)?;
    Ok((actor, campaign))
}

/// The campaign read, if the actor may know of it (a draft is its managers' alone).
pub fn visible(actor: &Actor, campaign: Option<Campaign>) -> StoreResult<Campaign> {
    let published = campaign
        .as_ref()
        .is_some_and(|c| c.status != CampaignStatus::Draft);
    policy::authorize(actor, Action::ReadCampaign { published })?;
    Ok(campaign.ok_or(DomainError::NotFound { what: "campaign" })?)
}

/// What a campaign's settings are checked against: the city's directions, districts, sectors
/// and kinds of documents.
pub struct Known {
    pub directions: Vec<Direction>,
    pub districts: Vec<i32>,
    pub sectors: Vec<String>,
    pub kinds: Vec<String>,
}

impl Known {
    pub fn load(conn: &mut DbConnection) -> StoreResult<Known> {
        Ok(Known {
            directions: reference::directions(conn)?,
            districts: district_numbers(conn)?,
            sectors: reference::sector_codes(conn)?,
            kinds: documents::kinds(conn)?
                .into_iter()
                .map(|k| k.code)
                .collect(),
        })
    }

    /// The district numbered `number` if the city has it; otherwise the error for `field`.
    pub fn district(&self, field: String, number: i32) -> Result<DistrictNumber, FieldError> {
        known_district(&self.districts, field, number)
    }
}

/// Who may apply, as typed (see [`Eligibility`]).
#[derive(Debug, Clone, Default)]
pub struct EligibilityInput {
    pub districts: Vec<i32>,
    pub sectors: Vec<String>,
    pub max_requested_cents: Option<i64>,
    pub min_association_age_months: Option<u32>,
    pub final_reports_delivered: bool,
}

/// A campaign's settings as a front door received them (the API's JSON, the portal's form),
/// before they are checked.
#[derive(Debug, Clone)]
pub struct CampaignInput {
    pub code: String,
    pub title: String,
    pub description: String,
    /// None for a local campaign, which its town hall runs.
    pub owner_direction: Option<DirectionId>,
    /// For the local circuit: the district whose town hall runs it.
    pub district_number: Option<i32>,
    pub nature: Nature,
    pub circuit: CircuitKind,
    pub budget_year: i32,
    /// RFC 3339, or a local time of the city.
    pub opens_at: String,
    pub closes_at: Option<String>,
    pub envelope_cents: Option<i64>,
    pub required_documents: Vec<String>,
    pub eligibility: EligibilityInput,
    pub sla: Sla,
}

impl CampaignInput {
    /// The district of a local campaign, as written: who may manage it depends on it.
    pub fn district(&self) -> Option<DistrictNumber> {
        self.district_number.map(DistrictNumber)
    }

    /// Checks every field at once, against the rules and the reference data; a field refused
    /// is named as the API names it (`eligibility.districts[0]`).
    pub fn into_settings(
        self,
        known: &Known,
        timezone: Tz,
        today: NaiveDate,
    ) -> Result<CampaignSettings, DomainError> {
        let mut c = Checks::default();
        let code = c.check("code", rules::parse_code(&self.code));
        let title = c.check("title", rules::parse_title(&self.title));
        let description = c.check("description", rules::parse_description(&self.description));
        let owner = self.owner_direction;
        if let Some(owner) = owner {
            c.check(
                "owner_direction_id",
                check_assignable_direction(known.directions.iter().find(|d| d.id == owner)),
            );
        }
        let district = match self.district_number {
            None => Some(None),
            Some(n) => known
                .district("district_number".into(), n)
                .map(Some)
                .map_err(|e| c.push(e))
                .ok(),
        };
        let opens_at = c.check("opens_at", parse_city_time(&self.opens_at, timezone));
        let closes_at = c.optional("closes_at", self.closes_at.as_deref(), |raw| {
            parse_city_time(raw, timezone)
        });
        if let Some(cents) = self.envelope_cents {
            c.check(
                "envelope_cents",
                simpa_domain::money::check_whole_euros(cents, false),
            );
        }
        for (i, kind) in self.required_documents.iter().enumerate() {
            let field = format!("required_documents[{i}]");
            if let Err(unknown) = known_document_kind(&known.kinds, field, kind) {
                c.push(unknown);
            }
        }
        let e = self.eligibility;
        let eligible_districts: Vec<DistrictNumber> = e
            .districts
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                known
                    .district(format!("eligibility.districts[{i}]"), *n)
                    .map_err(|e| c.push(e))
                    .ok()
            })
            .collect();
        c.extend(
            unknown_sectors(&e.sectors, &known.sectors)
                .into_iter()
                .map(|mut err| {
                    err.field = format!("eligibility.{}", err.field);
                    err
                }),
        );
        if let Some(cents) = e.max_requested_cents {
            c.check(
                "eligibility.max_requested_cents",
                simpa_domain::money::check_whole_euros(cents, true),
            );
        }
        c.extend(
            Spanning {
                opens_at,
                closes_at,
                district,
                owner_direction: owner,
                circuit: self.circuit,
                budget_year: self.budget_year,
                min_association_age_months: e.min_association_age_months,
                sla: self.sla,
            }
            .check(today),
        );
        let (
            Some(code),
            Some(title),
            Some(description),
            Some(district),
            Some(opens_at),
            Some(closes_at),
        ) = (code, title, description, district, opens_at, closes_at)
        else {
            return Err(c.into_error());
        };
        c.finish()?;
        let mut required_documents: Vec<String> = Vec::new();
        for kind in self.required_documents {
            if !required_documents.contains(&kind) {
                required_documents.push(kind);
            }
        }
        let settings = CampaignSettings {
            code,
            title,
            description,
            owner_direction: owner,
            district,
            nature: self.nature,
            circuit: self.circuit,
            budget_year: self.budget_year,
            opens_at,
            closes_at,
            envelope_cents: self.envelope_cents,
            required_documents,
            eligibility: Eligibility {
                districts: eligible_districts,
                sectors: e.sectors.iter().map(|s| s.trim().to_owned()).collect(),
                max_requested_cents: e.max_requested_cents,
                min_association_age_months: e.min_association_age_months,
                final_reports_delivered: e.final_reports_delivered,
            },
            sla: self.sla,
        };
        Ok(settings)
    }
}

/// A campaign's code is its own.
fn ensure_code_free(
    conn: &mut DbConnection,
    code: &str,
    except: Option<CampaignId>,
) -> StoreResult<()> {
    if campaigns::code_taken(conn, code, except)? {
        return Err(DomainError::conflict(
            "campaign.code_taken",
            Some("code"),
            format!("Une campagne porte déjà le code {code}."),
        )
        .into());
    }
    Ok(())
}

fn load(conn: &mut DbConnection, id: CampaignId) -> StoreResult<Campaign> {
    Ok(campaigns::get(conn, id)?.ok_or(DomainError::NotFound { what: "campaign" })?)
}

/// Creates a campaign, in preparation until published (the bureau; a town hall for the local
/// campaigns of its district).
#[tracing::instrument(name = "campaigns::create", skip_all, fields(actor = actor.kind()))]
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    fields: CampaignInput,
    now: CityNow,
) -> StoreResult<Campaign> {
    policy::authorize(
        actor,
        Action::ManageCampaign {
            district: fields.district(),
        },
    )?;
    let person = person(actor)?;
    let settings = fields.into_settings(&Known::load(conn)?, now.timezone, now.today())?;
    ensure_code_free(conn, &settings.code, None)?;
    let id = CampaignId::from_uuid(Uuid::now_v7());
    campaigns::insert(conn, id, &settings, person, now.at)?;
    load(conn, id)
}

/// Campaigns, the latest opened first: published and closed ones for everyone, those in
/// preparation too for the city's staff; `status`, `circuit`: only those.
#[tracing::instrument(name = "campaigns::list", skip_all, fields(actor = Subject::kind(subject)))]
pub fn list(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    status: Option<CampaignStatus>,
    circuit: Option<CircuitKind>,
) -> StoreResult<Vec<Campaign>> {
    let actor = load_actor(conn, subject)?;
    policy::authorize(&actor, Action::ReadCampaign { published: true })?;
    let staff = policy::decide(&actor, Action::ReadCampaign { published: false }).is_ok();
    let visible: Vec<CampaignStatus> = CampaignStatus::ALL
        .iter()
        .copied()
        .filter(|s| staff || *s != CampaignStatus::Draft)
        .filter(|s| status.is_none_or(|wanted| wanted == *s))
        .collect();
    if visible.is_empty() {
        return Ok(vec![]);
    }
    campaigns::list(
        conn,
        &CampaignFilter {
            statuses: visible,
            circuit,
        },
    )
}

/// A campaign open to requests now, as the portal's home page shows it: with the labels of
/// the documents it asks for.
pub struct OpenCampaign {
    pub campaign: Campaign,
    pub documents: Vec<String>,
}

/// The campaigns that take requests now (published, their window holding `now`), the latest
/// opened first.
#[tracing::instrument(name = "campaigns::open_now", skip_all, fields(actor = Subject::kind(subject)))]
pub fn open_now(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<OpenCampaign>> {
    let published = list(conn, subject, Some(CampaignStatus::Published), None)?;
    let kinds = documents::kinds(conn)?;
    Ok(published
        .into_iter()
        .filter(|c| c.settings.window_contains(now))
        .map(|campaign| {
            let documents = campaign
                .settings
                .required_documents
                .iter()
                .map(|code| {
                    kinds
                        .iter()
                        .find(|k| &k.code == code)
                        .map_or_else(|| code.clone(), |k| k.label.clone())
                })
                .collect();
            OpenCampaign {
                campaign,
                documents,
            }
        })
        .collect())
}

/// The campaign, locked, if the caller may manage it (and, when its district changes, the
/// district it moves to).
fn managed(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    moving_to: Option<Option<DistrictNumber>>,
) -> StoreResult<Campaign> {
    let (actor, current) = load_visible(conn, subject, id)?;
    let districts = std::iter::once(current.settings.district).chain(moving_to);
    for district in districts {
        policy::authorize(&actor, Action::ManageCampaign { district })?;
    }
    Ok(campaigns::get_locked(conn, id)?.ok_or(DomainError::NotFound { what: "campaign" })?)
}

/// Replaces a campaign's settings, if it is still the version the editor read (`expected`;
/// `None`: whichever is stored). Once a request was submitted to it, only its title and
/// description change; a closed campaign no longer changes.
#[tracing::instrument(name = "campaigns::update", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn update(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    expected: Option<i64>,
    fields: CampaignInput,
    now: CityNow,
) -> StoreResult<Campaign> {
    let current = managed(conn, subject, id, Some(fields.district()))?;
    let expected = expected.unwrap_or(current.version);
    simpa_domain::association::check_version(current.version, expected)?;
    let settings = fields.into_settings(&Known::load(conn)?, now.timezone, now.today())?;
    let (submitted, started) = campaigns::request_counts(conn, id)?;
    current.check_edit(&settings, submitted, started)?;
    ensure_code_free(conn, &settings.code, Some(id))?;
    campaigns::update(conn, id, &settings, expected, now.at)?;
    load(conn, id)
}

/// Deletes a campaign in preparation, if it is still the version read (`expected`; `None`:
/// whichever is stored): a code typed wrong is free again. A published campaign is closed
/// instead (409 `campaign.not_draft`).
#[tracing::instrument(name = "campaigns::discard", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn discard(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    expected: Option<i64>,
) -> StoreResult<()> {
    let current = managed(conn, subject, id, None)?;
    let expected = expected.unwrap_or(current.version);
    simpa_domain::association::check_version(current.version, expected)?;
    current.check_discard()?;
    campaigns::delete_draft(conn, id, expected)
}

/// Moves a campaign along: published (associations see it and may start requests in it),
/// then closed (no request starts or is submitted in it any more).
#[tracing::instrument(name = "campaigns::move_to", skip_all, fields(actor = Subject::kind(subject), campaign = %id, to = to.code()))]
pub fn move_to(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    to: CampaignStatus,
    now: DateTime<Utc>,
) -> StoreResult<Campaign> {
    let current = managed(conn, subject, id, None)?;
    current.check_move(to)?;
    campaigns::set_status(conn, id, to, current.version, now)?;
    load(conn, id)
}

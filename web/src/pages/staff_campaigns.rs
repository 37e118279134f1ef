//! The campaigns and calls for projects, for the city's agents (`/agents/campagnes`): every
//! one with its window and state; for the bureau (and a town hall, for the local campaigns
//! of its district) the form that prepares one or edits it (its circuit, window, envelope,
//! required documents, who may apply and the days each step of instruction is given), and
//! the buttons that publish and close it. Each change goes through the API's use case.

use super::staff::DoneQuery;
use super::staff::chosen;
use super::typed::{Typed, field, whole_number};
use crate::Portal;
use crate::answers::{city_moment, see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::{answered, errors_page, field_error, form_page, refused_at};
use crate::render::Page;
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use minijinja::context;
use simpa_app::access::require;
use simpa_app::campaigns::{self as app, CampaignInput, EligibilityInput};
use simpa_domain::campaign::{Campaign, CampaignStatus, CircuitKind, Nature, Sla};
use simpa_domain::french::ordinal;
use simpa_domain::ids::{CampaignId, DirectionId, DistrictNumber};
use simpa_domain::money::{euros, parse_whole_euros};
use simpa_domain::policy::{self, Action, Actor};
use simpa_domain::{DomainError, FieldError};
use std::collections::HashMap;
use uuid::Uuid;

const LIST: &str = "/agents/campagnes";

/// Whether the actor prepares campaigns: the bureau's, or a town hall's local ones.
fn prepares(actor: &Actor) -> bool {
    let scope = policy::work_scope(actor);
    policy::decide(actor, Action::ManageCampaign { district: None }).is_ok()
        || scope
            .districts
            .iter()
            .any(|d| policy::decide(actor, Action::ManageCampaign { district: Some(*d) }).is_ok())
}

#[get("/agents/campagnes")]
pub async fn campaign_list(portal: web::Data<Portal>, visitor: Visitor) -> HttpResponse {
    let subject = visitor.subject();
    let found = portal
        .runtime
        .read(move |conn| {
            let actor = require(conn, subject, Action::FollowRequests)?;
            Ok((prepares(&actor), app::list(conn, subject, None, None)?))
        })
        .await;
    let (prepares, campaigns) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(&portal, error),
    };
    let data = context! {
        prepares => prepares,
        campaigns => campaigns.iter().map(|c| context! {
            id => c.id.to_string(),
            code => c.settings.code,
            title => c.settings.title,
            circuit => c.settings.circuit.label(),
            status => c.status.label(),
            draft => c.status == CampaignStatus::Draft,
            opens => city_moment(&portal, c.settings.opens_at),
            closes => c.settings.closes_at.map(|t| city_moment(&portal, t)),
        }).collect::<Vec<_>>(),
    };
    Page::new("staff_campaigns.html", data)
        .visitor(&visitor)
        .answer(&portal)
}

#[get("/agents/campagnes/{id}")]
pub async fn campaign_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = match query.fait.as_deref() {
        Some("creee") => Some("Campagne créée, en préparation : publiez-la quand elle est prête."),
        Some("modifiee") => Some("Campagne modifiée."),
        Some("publiee") => Some(
            "Campagne publiée : les associations la voient et peuvent y déposer leurs demandes à son ouverture.",
        ),
        Some("close") => {
            Some("Campagne clôturée : aucune demande n'y commence ni n'y est déposée.")
        }
        _ => None,
    };
    shown(&portal, &req, &visitor, path.into_inner(), done, vec![]).await
}

/// The campaign's page, after `done` or with a move refused (`errors`).
async fn shown(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
) -> HttpResponse {
    let subject = visitor.subject();
    let campaign = CampaignId::from_uuid(id);
    let found = portal
        .runtime
        .read(move |conn| {
            require(conn, subject, Action::FollowRequests)?;
            let (actor, c) = app::load_visible(conn, subject, campaign)?;
            let manages = policy::decide(
                &actor,
                Action::ManageCampaign {
                    district: c.settings.district,
                },
            )
            .is_ok();
            let jury = c.settings.circuit == CircuitKind::CallForProjects
                && policy::decide(&actor, Action::ManageJury).is_ok();
            let directions = simpa_app::reference::directions(conn, subject)?;
            let kinds = simpa_app::documents::kinds(conn, subject)?;
            Ok((c, (manages, jury), directions, kinds))
        })
        .await;
    let (c, (manages, jury), directions, kinds) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let s = &c.settings;
    let e = &s.eligibility;
    let data = context! {
        id => id.to_string(),
        code => s.code, title => s.title, description => s.description,
        status => c.status.label(),
        circuit => s.circuit.label(), nature => s.nature.label(), budget_year => s.budget_year,
        direction => directions.iter().find(|d| Some(d.id) == s.owner_direction).map(|d| d.name.clone()),
        district => s.district.map(simpa_domain::french::district),
        opens => city_moment(portal, s.opens_at),
        closes => s.closes_at.map(|t| city_moment(portal, t)),
        envelope => s.envelope_cents.map(euros),
        documents => s.required_documents.iter().map(|k| kinds.iter().find(|d| &d.code == k).map_or_else(|| k.clone(), |d| d.label.clone())).collect::<Vec<_>>(),
        eligibility => context! {
            districts => e.districts.iter().map(|d| ordinal(*d)).collect::<Vec<_>>(),
            sectors => e.sectors,
            max_requested => e.max_requested_cents.map(euros),
            min_age_months => e.min_association_age_months,
            final_reports_delivered => e.final_reports_delivered,
        },
        delays => format!(
            "Recevabilité en {} jours, instruction en {} jours",
            s.sla.admissibility_days, s.sla.instruction_days
        ),
        manages => manages,
        moves => match c.status {
            CampaignStatus::Draft if manages => Some(context! { to => "published", label => "Publier la campagne" }),
            CampaignStatus::Published if manages => Some(context! { to => "closed", label => "Clôturer la campagne" }),
            _ => None,
        },
        editable => manages && c.status != CampaignStatus::Closed,
        jury => jury,
        done => done,
    };
    let page = errors_page("staff_campaign.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// The campaign published, or closed.
#[post("/agents/campagnes/{id}/etat")]
pub async fn move_to(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let to = match field(&form, "vers") {
        "published" => CampaignStatus::Published,
        "closed" => CampaignStatus::Closed,
        _ => {
            let errors = vec![field_error(
                "vers",
                "Choisissez ce que devient la campagne.",
            )];
            return shown(&portal, &req, &visitor, id, None, errors).await;
        }
    };
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let campaign = CampaignId::from_uuid(id);
    let moved = portal
        .runtime
        .write(move |conn| app::move_to(conn, subject, campaign, to, now).map(|_| ()))
        .await;
    let done = if to == CampaignStatus::Published {
        "publiee"
    } else {
        "close"
    };
    let next = format!("{LIST}/{id}?fait={done}");
    answered(
        &portal,
        moved,
        &next,
        |_| "vers".to_owned(),
        "vers",
        |errors| shown(&portal, &req, &visitor, id, None, errors),
    )
    .await
}

#[get("/agents/campagnes/nouvelle")]
pub async fn new_campaign(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
) -> HttpResponse {
    form(&portal, &req, &visitor, None, vec![], None).await
}

#[get("/agents/campagnes/{id}/modifier")]
pub async fn edit_campaign(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
) -> HttpResponse {
    form(
        &portal,
        &req,
        &visitor,
        Some(path.into_inner()),
        vec![],
        None,
    )
    .await
}

/// The form that prepares a campaign or edits one (`id`), as stored or as typed.
async fn form(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Option<Uuid>,
    errors: Vec<FieldError>,
    typed: Option<Typed>,
) -> HttpResponse {
    let subject = visitor.subject();
    let found = portal
        .runtime
        .read(move |conn| {
            let actor = require(conn, subject, Action::FollowRequests)?;
            let current = match id {
                Some(id) => {
                    let c = app::load_visible(conn, subject, CampaignId::from_uuid(id))?.1;
                    policy::authorize(
                        &actor,
                        Action::ManageCampaign {
                            district: c.settings.district,
                        },
                    )?;
                    Some(c)
                }
                None if prepares(&actor) => None,
                None => return Err(DomainError::Forbidden.into()),
            };
            let scope = policy::work_scope(&actor);
            let city = policy::decide(&actor, Action::ManageCampaign { district: None }).is_ok();
            let directions = simpa_app::reference::directions(conn, subject)?;
            let kinds = simpa_app::documents::kinds(conn, subject)?;
            let sectors = simpa_app::reference::sectors(conn, subject)?;
            Ok((current, city, scope.districts, directions, kinds, sectors))
        })
        .await;
    let (current, city, own_districts, directions, kinds, sectors) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let typed = typed.unwrap_or_else(|| match &current {
        Some(c) => typed_of(portal, c),
        None => defaults(portal),
    });
    let choice = |code: String, label: String, field: String| {
        let ticked = typed.get(&field).is_some_and(|v| v == "oui");
        context! { code => code, label => label, field => field, ticked => ticked }
    };
    let districts: Vec<i32> = if city {
        DistrictNumber::PARIS.collect()
    } else {
        own_districts.iter().map(|d| d.0).collect()
    };
    let data = context! {
        id => id.map(|i| i.to_string()),
        version => current.as_ref().map(|c| c.version),
        typed => typed.clone(),
        circuits => CircuitKind::ALL.iter().filter(|c| city || **c == CircuitKind::Local).map(|c| context! { code => c.code(), label => c.label() }).collect::<Vec<_>>(),
        natures => Nature::ALL.iter().map(|n| context! { code => n.code(), label => n.label() }).collect::<Vec<_>>(),
        directions => directions.iter().filter(|d| d.active).map(|d| context! { code => d.id.to_string(), label => d.name }).collect::<Vec<_>>(),
        districts => districts.iter().map(|n| context! { code => n.to_string(), label => simpa_domain::french::district(DistrictNumber(*n)) }).collect::<Vec<_>>(),
        city => city,
        kinds => kinds.iter().map(|k| choice(k.code.clone(), k.label.clone(), format!("document-{}", k.code))).collect::<Vec<_>>(),
        eligible_districts => DistrictNumber::PARIS.map(|n| choice(n.to_string(), ordinal(DistrictNumber(n)), format!("eligible-{n}"))).collect::<Vec<_>>(),
        eligible_sectors => sectors.iter().map(|s| choice(s.code.clone(), s.label.clone(), format!("secteur-{}", s.code))).collect::<Vec<_>>(),
    };
    let page = errors_page("staff_campaign_form.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// A time as a `datetime-local` field holds it, in the city's time.
fn local(portal: &Portal, at: DateTime<Utc>) -> String {
    at.with_timezone(&portal.runtime.timezone)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A new campaign's form: the next budget year, the default days of instruction.
fn defaults(portal: &Portal) -> Typed {
    let sla = Sla::default();
    let year = portal.runtime.city_now().today().format("%Y").to_string();
    HashMap::from([
        (
            "budget_year".to_owned(),
            (year.parse::<i32>().unwrap_or(2027) + 1).to_string(),
        ),
        (
            "admissibility_days".to_owned(),
            sla.admissibility_days.to_string(),
        ),
        (
            "instruction_days".to_owned(),
            sla.instruction_days.to_string(),
        ),
        ("circuit".to_owned(), CircuitKind::Central.code().to_owned()),
        ("nature".to_owned(), Nature::Project.code().to_owned()),
    ])
}

/// A campaign as its form holds it.
fn typed_of(portal: &Portal, c: &Campaign) -> Typed {
    let s = &c.settings;
    let e = &s.eligibility;
    let mut typed = HashMap::from([
        ("code".to_owned(), s.code.clone()),
        ("title".to_owned(), s.title.clone()),
        ("description".to_owned(), s.description.clone()),
        (
            "owner_direction".to_owned(),
            s.owner_direction.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (
            "district_number".to_owned(),
            s.district.map(|d| d.0.to_string()).unwrap_or_default(),
        ),
        ("nature".to_owned(), s.nature.code().to_owned()),
        ("circuit".to_owned(), s.circuit.code().to_owned()),
        ("budget_year".to_owned(), s.budget_year.to_string()),
        ("opens_at".to_owned(), local(portal, s.opens_at)),
        (
            "closes_at".to_owned(),
            s.closes_at.map(|t| local(portal, t)).unwrap_or_default(),
        ),
        (
            "envelope".to_owned(),
            s.envelope_cents
                .map(|c| (c / 100).to_string())
                .unwrap_or_default(),
        ),
        (
            "max_requested".to_owned(),
            e.max_requested_cents
                .map(|c| (c / 100).to_string())
                .unwrap_or_default(),
        ),
        (
            "min_age_months".to_owned(),
            e.min_association_age_months
                .map(|m| m.to_string())
                .unwrap_or_default(),
        ),
        (
            "admissibility_days".to_owned(),
            s.sla.admissibility_days.to_string(),
        ),
        (
            "instruction_days".to_owned(),
            s.sla.instruction_days.to_string(),
        ),
    ]);
    let ticked = s
        .required_documents
        .iter()
        .map(|k| format!("document-{k}"))
        .chain(e.districts.iter().map(|d| format!("eligible-{}", d.0)))
        .chain(e.sectors.iter().map(|s| format!("secteur-{s}")))
        .chain(
            e.final_reports_delivered
                .then(|| "final_reports_delivered".to_owned()),
        );
    typed.extend(ticked.map(|f| (f, "oui".to_owned())));
    typed
}

/// The fields ticked `prefix-…`, without the prefix.
fn ticked(typed: &Typed, prefix: &str) -> Vec<String> {
    let mut found: Vec<String> = typed
        .iter()
        .filter(|(_, v)| v.as_str() == "oui")
        .filter_map(|(k, _)| k.strip_prefix(prefix).map(str::to_owned))
        .collect();
    found.sort();
    found
}

/// The campaign as typed, read as the use case takes it; what cannot be read (a year, an
/// amount, a number of days, no direction) is said at its field.
fn input_of(typed: &Typed) -> (CampaignInput, Vec<FieldError>) {
    let mut errors = vec![];
    let mut euros_at = |name: &str| -> Option<i64> {
        chosen(&typed.get(name).cloned())?;
        parse_whole_euros(field(typed, name))
            .map_err(|v| errors.push(field_error(name, v.message)))
            .ok()
    };
    let envelope = euros_at("envelope");
    let max_requested = euros_at("max_requested");
    // None chosen: a local campaign needs none, the rules say when one is required.
    let owner = match field(typed, "owner_direction").trim() {
        "" => None,
        chosen => {
            let parsed = Uuid::parse_str(chosen).ok().map(DirectionId::from_uuid);
            if parsed.is_none() {
                errors.push(field_error(
                    "owner_direction",
                    "Choisissez la direction qui porte la campagne dans la liste.",
                ));
            }
            parsed
        }
    };
    let circuit = CircuitKind::from_code(field(typed, "circuit"));
    if circuit.is_none() {
        errors.push(field_error(
            "circuit",
            "Choisissez le circuit d'instruction.",
        ));
    }
    let nature = Nature::from_code(field(typed, "nature"));
    if nature.is_none() {
        errors.push(field_error(
            "nature",
            "Choisissez ce que la subvention finance.",
        ));
    }
    let year = whole_number(typed, "budget_year", &mut errors);
    if year.is_none() && errors.iter().all(|e| e.field != "budget_year") {
        errors.push(field_error(
            "budget_year",
            "Saisissez l'année budgétaire, par exemple 2027.",
        ));
    }
    let days = |name: &str, errors: &mut Vec<FieldError>| {
        whole_number(typed, name, errors).and_then(|d| u32::try_from(d).ok())
    };
    let admissibility = days("admissibility_days", &mut errors);
    let instruction = days("instruction_days", &mut errors);
    let min_age = days("min_age_months", &mut errors);
    for (name, value) in [
        ("admissibility_days", admissibility),
        ("instruction_days", instruction),
    ] {
        if value.is_none() && errors.iter().all(|e| e.field != name) {
            errors.push(field_error(
                name,
                "Saisissez un nombre de jours, par exemple 15.",
            ));
        }
    }
    // What was read wrong stands in as nothing (or the first choice), so that the rules can
    // still say what else is wrong; its own error is said already.
    let (circuit, nature) = (
        circuit.unwrap_or(CircuitKind::ALL[0]),
        nature.unwrap_or(Nature::ALL[0]),
    );
    let (year, admissibility, instruction) = (
        year.unwrap_or(0),
        admissibility.unwrap_or(0),
        instruction.unwrap_or(0),
    );
    let closes_at = Some(field(typed, "closes_at").trim()).filter(|c| !c.is_empty());
    let input = CampaignInput {
        code: field(typed, "code").to_owned(),
        title: field(typed, "title").to_owned(),
        description: field(typed, "description").to_owned(),
        owner_direction: owner,
        district_number: field(typed, "district_number").parse().ok(),
        nature,
        circuit,
        budget_year: i32::try_from(year).unwrap_or(i32::MAX),
        opens_at: field(typed, "opens_at").to_owned(),
        closes_at: closes_at.map(str::to_owned),
        envelope_cents: envelope,
        required_documents: ticked(typed, "document-"),
        eligibility: EligibilityInput {
            districts: ticked(typed, "eligible-")
                .iter()
                .filter_map(|d| d.parse().ok())
                .collect(),
            sectors: ticked(typed, "secteur-"),
            max_requested_cents: max_requested,
            min_association_age_months: min_age,
            final_reports_delivered: field(typed, "final_reports_delivered") == "oui",
        },
        sla: Sla {
            admissibility_days: admissibility,
            instruction_days: instruction,
        },
    };
    (input, errors)
}

/// Where the form says what a rule refused: the use case names fields as the API does.
fn form_field(rule: &str) -> String {
    let named = match rule.split(['.', '[']).collect::<Vec<_>>().as_slice() {
        ["owner_direction_id", ..] => "owner_direction",
        ["envelope_cents", ..] => "envelope",
        ["required_documents", ..] => "documents",
        ["eligibility", "districts", ..] => "eligible_districts",
        ["eligibility", "sectors", ..] => "eligible_sectors",
        ["eligibility", "max_requested_cents", ..] => "max_requested",
        ["eligibility", "min_association_age_months", ..] => "min_age_months",
        ["sla", "admissibility_days", ..] => "admissibility_days",
        ["sla", "instruction_days", ..] => "instruction_days",
        ["sla", ..] => "admissibility_days",
        [
            name @ ("code" | "title" | "description" | "district_number" | "nature" | "circuit"
            | "budget_year" | "opens_at" | "closes_at"),
            ..,
        ] => name,
        _ => "code",
    };
    named.to_owned()
}

/// A campaign prepared: its page next.
#[post("/agents/campagnes")]
pub async fn create(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    save(&portal, &req, &visitor, None, typed).await
}

/// A campaign edited, from the version its editor read.
#[post("/agents/campagnes/{id}")]
pub async fn update(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    save(&portal, &req, &visitor, Some(path.into_inner()), typed).await
}

async fn save(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Option<Uuid>,
    typed: Typed,
) -> HttpResponse {
    let (input, mut errors) = input_of(&typed);
    if !errors.is_empty() {
        // What the rules refuse besides, said at once with what was read wrong.
        let (subject, timezone) = (visitor.subject(), portal.runtime.timezone);
        let today = portal.runtime.city_now().today();
        let checked = portal
            .runtime
            .read(move |conn| {
                let district = input.district();
                require(conn, subject, Action::ManageCampaign { district })?;
                let known = app::Known::load(conn)?;
                Ok(input.into_settings(&known, timezone, today).err())
            })
            .await;
        match checked {
            Ok(Some(DomainError::Invalid(refused))) => {
                for e in refused {
                    let at = form_field(&e.field);
                    if errors.iter().all(|said| said.field != at) {
                        errors.push(field_error(&at, e.message));
                    }
                }
            }
            Ok(_) => {}
            Err(error) => return unless_hidden(portal, error),
        }
        return form(portal, req, visitor, id, errors, Some(typed)).await;
    }
    let version = field(&typed, "version").parse::<i64>().ok();
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    let saved = portal
        .runtime
        .write(move |conn| match id {
            Some(id) => app::update(
                conn,
                subject,
                CampaignId::from_uuid(id),
                version,
                input,
                now,
            ),
            None => {
                let district = input.district();
                let actor = require(conn, subject, Action::ManageCampaign { district })?;
                app::create(conn, &actor, input, now)
            }
        })
        .await;
    match saved {
        Ok(c) => {
            let done = if id.is_some() { "modifiee" } else { "creee" };
            see_other(&format!("{LIST}/{}?fait={done}", c.id))
        }
        Err(error) => match refused_at(&error, form_field, "code") {
            Some(errors) => form(portal, req, visitor, id, errors, Some(typed)).await,
            None => unless_hidden(portal, error),
        },
    }
}

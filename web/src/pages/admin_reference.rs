//! The city's reference data, for its admins (`/admin/referentiel`): the directions (created,
//! renamed, made inactive or active again), the activity sectors (created, renamed), the
//! districts (their name and town hall), the kinds of documents (created, their label and
//! rules changed). Each form runs the application's use case, each change is in the audit
//! trail; codes never change once created. Anyone else finds nothing here (404).

use super::typed::{Typed, field, whole_number};
use crate::Portal;
use crate::answers::unless_hidden;
use crate::csrf::Posted;
use crate::forms::{answered, errors_page, form_page};
use crate::render::Page;
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::reference;
use simpa_domain::FieldError;
use simpa_domain::document::{DocumentKind, ValidityRule};
use simpa_domain::french::ordinal;
use simpa_domain::ids::{DirectionId, DistrictNumber};
use simpa_domain::policy::{Action, Subject};
use simpa_persistence::{DbConnection, StoreResult};
use uuid::Uuid;

/// The reference data's overview.
const HOME: &str = "/admin/referentiel";

/// The tables of reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    Directions,
    Sectors,
    Districts,
    Kinds,
}

impl Table {
    const ALL: [Table; 4] = [
        Table::Directions,
        Table::Sectors,
        Table::Districts,
        Table::Kinds,
    ];

    /// Its part of the pages' addresses.
    fn segment(self) -> &'static str {
        match self {
            Table::Directions => "directions",
            Table::Sectors => "secteurs",
            Table::Districts => "arrondissements",
            Table::Kinds => "pieces",
        }
    }

    fn of(segment: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.segment() == segment)
    }

    /// A new one's title; `None` for the districts, which the State numbers.
    fn new_title(self) -> Option<&'static str> {
        match self {
            Table::Directions => Some("Nouvelle direction"),
            Table::Sectors => Some("Nouveau secteur d'activité"),
            Table::Districts => None,
            Table::Kinds => Some("Nouvelle pièce"),
        }
    }

    /// The fields of its form: to create one (with its code), or to change one.
    fn fields(self, creating: bool) -> Vec<Spec> {
        let code = |hint| Spec::text("code", "Code", hint);
        let mut fields = match self {
            Table::Directions => vec![
                code(
                    "De 2 à 10 lettres capitales ou chiffres, par exemple DAE. Il ne change plus.",
                ),
                Spec::text("name", "Nom", ""),
                Spec::check(
                    "active",
                    "Active : on peut lui confier des demandes, des rôles et des clients d'API",
                ),
            ],
            Table::Sectors => vec![
                code(
                    "Lettres minuscules sans accent, chiffres et « _ », par exemple sport_loisirs. Il ne change plus.",
                ),
                Spec::text("label", "Libellé", ""),
            ],
            Table::Districts => vec![
                Spec::text("name", "Nom", ""),
                Spec::text(
                    "town_hall",
                    "Mairie d'arrondissement",
                    "Son nom et son adresse, tels que les associations les lisent.",
                ),
            ],
            Table::Kinds => vec![
                code(
                    "Lettres minuscules sans accent, chiffres et « _ », par exemple charte_signee. Il ne change plus.",
                ),
                Spec::text("label", "Libellé", ""),
                Spec {
                    name: "validity_rule",
                    label: "Durée de validité",
                    hint: "",
                    widget: "rule",
                },
                Spec::number(
                    "fiscal_year_offset",
                    "Exercice exigé (pièce annuelle)",
                    "0 : celui de l'année ; −1 : celui de l'année précédente.",
                ),
                Spec::number(
                    "grace_months",
                    "Mois de grâce (pièce annuelle)",
                    "Mois de l'année avant que l'exercice exigé change, par exemple 6 pour des comptes approuvés en juin.",
                ),
                Spec::number(
                    "max_age_months",
                    "Mois de validité (pièce datée)",
                    "Combien de mois après sa date une pièce datée reste valable.",
                ),
                Spec::check(
                    "required_for_profile",
                    "Exigée de toute association : sans elle, son dossier est « à compléter »",
                ),
            ],
        };
        if !creating {
            fields.retain(|f| f.name != "code");
        }
        if creating {
            fields.retain(|f| f.name != "active");
        }
        fields
    }
}

/// A field of a form: its name (the use case's), its label and hint, and how it is typed
/// (`text`, `number`, `check`, or the `rule` of validity).
struct Spec {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    widget: &'static str,
}

impl Spec {
    fn text(name: &'static str, label: &'static str, hint: &'static str) -> Spec {
        Spec {
            name,
            label,
            hint,
            widget: "text",
        }
    }

    fn number(name: &'static str, label: &'static str, hint: &'static str) -> Spec {
        Spec {
            widget: "number",
            ..Spec::text(name, label, hint)
        }
    }

    fn check(name: &'static str, label: &'static str) -> Spec {
        Spec {
            widget: "check",
            ..Spec::text(name, label, "")
        }
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    fait: Option<String>,
}

/// Every table of reference data, each row leading to its form, and the forms that add one.
#[get("/admin/referentiel")]
pub async fn reference_home(
    portal: web::Data<Portal>,
    visitor: Visitor,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let subject = visitor.subject();
    let found = portal
        .runtime
        .read(move |conn| {
            require(conn, subject, Action::ManageReferenceData)?;
            Ok((
                reference::directions(conn, subject)?,
                reference::sectors(conn, subject)?,
                reference::districts(conn, subject)?,
                simpa_app::documents::kinds(conn, subject)?,
            ))
        })
        .await;
    let (directions, sectors, districts, kinds) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(&portal, error),
    };
    let line = |key: String, label: String, more: String| context! { key, label, more };
    let data = context! {
        done => query.fait.is_some(),
        directions => directions.iter().map(|d| line(d.id.to_string(), format!("{} – {}", d.code, d.name), if d.active { "Active".to_owned() } else { "Inactive : plus rien ne lui est confié".to_owned() })).collect::<Vec<_>>(),
        sectors => sectors.iter().map(|s| line(s.code.clone(), s.label.clone(), s.code.clone())).collect::<Vec<_>>(),
        districts => districts.iter().map(|d| line(d.number.0.to_string(), format!("{} ({} arrondissement)", d.name, ordinal(d.number)), d.town_hall.clone())).collect::<Vec<_>>(),
        kinds => kinds.iter().map(|k| line(k.code.clone(), k.label.clone(), k.rule.label().to_owned())).collect::<Vec<_>>(),
    };
    Page::new("admin_reference.html", data)
        .visitor(&visitor)
        .answer(&portal)
}

/// What the form of one row of `table` says now, as typed: `None` if there is no such row.
fn stored(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    table: Table,
    key: &str,
) -> StoreResult<Option<Typed>> {
    let typed = |pairs: Vec<(&str, String)>| {
        pairs
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Typed>()
    };
    let yes = |b: bool| if b { "oui" } else { "" }.to_owned();
    Ok(match table {
        Table::Directions => reference::directions(conn, subject)?
            .into_iter()
            .find(|d| d.id.to_string() == key)
            .map(|d| typed(vec![("name", d.name), ("active", yes(d.active))])),
        Table::Sectors => reference::sectors(conn, subject)?
            .into_iter()
            .find(|s| s.code == key)
            .map(|s| typed(vec![("label", s.label)])),
        Table::Districts => reference::districts(conn, subject)?
            .into_iter()
            .find(|d| d.number.0.to_string() == key)
            .map(|d| typed(vec![("name", d.name), ("town_hall", d.town_hall)])),
        Table::Kinds => simpa_app::documents::kinds(conn, subject)?
            .into_iter()
            .find(|k| k.code == key)
            .map(|k| {
                typed(vec![
                    ("label", k.label),
                    ("validity_rule", k.rule.code().to_owned()),
                    ("fiscal_year_offset", k.fiscal_year_offset.to_string()),
                    ("grace_months", k.grace_months.to_string()),
                    (
                        "max_age_months",
                        k.max_age_months.map(|m| m.to_string()).unwrap_or_default(),
                    ),
                    ("required_for_profile", yes(k.required_for_profile)),
                ])
            }),
    })
}

/// The form of `table`'s row `key` (or of a new row, `key` being `None`), with what was typed
/// and what was wrong.
async fn form(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    (table, key): (Table, Option<String>),
    errors: Vec<FieldError>,
    typed: Option<Typed>,
) -> HttpResponse {
    let subject = visitor.subject();
    let looked_up = key.clone();
    let found = portal
        .runtime
        .read(move |conn| {
            require(conn, subject, Action::ManageReferenceData)?;
            match looked_up {
                Some(key) => stored(conn, subject, table, &key),
                None => Ok(Some(Typed::new())),
            }
        })
        .await;
    let stored = match found {
        Ok(Some(stored)) => stored,
        Ok(None) => return unless_hidden(portal, not_found()),
        Err(error) => return unless_hidden(portal, error),
    };
    let creating = key.is_none();
    let named = [field(&stored, "name"), field(&stored, "label")]
        .into_iter()
        .find(|n| !n.is_empty())
        .unwrap_or_default();
    let title = match table.new_title().filter(|_| creating) {
        Some(title) => title.to_owned(),
        None => format!("Modifier : {named}"),
    };
    let typed = typed.unwrap_or(stored);
    let specs = table.fields(creating);
    // Said in the order of the form.
    let mut errors = errors;
    errors.sort_by_key(|e| specs.iter().position(|f| f.name == e.field));
    let fields: Vec<Value> = specs
        .iter()
        .map(|f| {
            context! {
                name => f.name, label => f.label, hint => f.hint, widget => f.widget,
                value => field(&typed, f.name),
            }
        })
        .collect();
    let segment = table.segment();
    let data = context! {
        title => title,
        action => match &key {
            Some(key) => format!("{HOME}/{segment}/{key}"),
            None => format!("{HOME}/{segment}"),
        },
        fields => fields,
        rules => ValidityRule::ALL.iter().map(|r| context! { code => r.code(), label => r.label() }).collect::<Vec<_>>(),
    };
    let page = errors_page("admin_reference_form.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// Nothing of that name: the page of what is not found.
fn not_found() -> simpa_app::runtime::RunError {
    simpa_app::runtime::RunError::Store(
        simpa_domain::DomainError::NotFound { what: "reference" }.into(),
    )
}

/// The form that adds a row to a table (not to the districts).
#[get("/admin/referentiel/nouveau/{table}")]
pub async fn new_row_form(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<String>,
) -> HttpResponse {
    match Table::of(&path).filter(|t| t.new_title().is_some()) {
        Some(table) => form(&portal, &req, &visitor, (table, None), vec![], None).await,
        None => unless_hidden(&portal, not_found()),
    }
}

/// The form that changes a row.
#[get("/admin/referentiel/{table}/{key}")]
pub async fn row_form(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (table, key) = path.into_inner();
    match Table::of(&table) {
        Some(table) => form(&portal, &req, &visitor, (table, Some(key)), vec![], None).await,
        None => unless_hidden(&portal, not_found()),
    }
}

/// A row added.
#[post("/admin/referentiel/{table}")]
pub async fn create(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<String>,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    match Table::of(&path).filter(|t| t.new_title().is_some()) {
        Some(table) => saved(&portal, &req, &visitor, (table, None), typed).await,
        None => unless_hidden(&portal, not_found()),
    }
}

/// A row changed.
#[post("/admin/referentiel/{table}/{key}")]
pub async fn update(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    let (table, key) = path.into_inner();
    match Table::of(&table) {
        Some(table) => saved(&portal, &req, &visitor, (table, Some(key)), typed).await,
        None => unless_hidden(&portal, not_found()),
    }
}

/// The form's row saved through its use case: back to the overview, or the form again with
/// what was wrong at its fields.
async fn saved(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    (table, key): (Table, Option<String>),
    typed: Typed,
) -> HttpResponse {
    let mut errors = vec![];
    let kind = kind_of(&typed, key.as_deref(), &mut errors);
    if table == Table::Kinds && !errors.is_empty() {
        return form(portal, req, visitor, (table, key), errors, Some(typed)).await;
    }
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let said = |name: &str| field(&typed, name).to_owned();
    let (name, label, code) = (said("name"), said("label"), said("code"));
    let (town_hall, active) = (said("town_hall"), field(&typed, "active") == "oui");
    let row = key.clone();
    let done = portal
        .runtime
        .write(move |conn| {
            match (table, row.as_deref()) {
                (Table::Directions, None) => {
                    reference::create_direction(conn, subject, &code, &name, now).map(|_| ())
                }
                (Table::Directions, Some(id)) => {
                    let id = Uuid::parse_str(id)
                        .map_err(|_| simpa_domain::DomainError::NotFound { what: "direction" })?;
                    let id = DirectionId::from_uuid(id);
                    reference::update_direction(conn, subject, id, &name, active, now).map(|_| ())
                }
                (Table::Sectors, None) => {
                    reference::create_sector(conn, subject, &code, &label, now).map(|_| ())
                }
                (Table::Sectors, Some(code)) => {
                    reference::update_sector(conn, subject, code, &label, now).map(|_| ())
                }
                (Table::Districts, Some(number)) => {
                    let number = number
                        .parse::<i32>()
                        .map(DistrictNumber)
                        .map_err(|_| simpa_domain::DomainError::NotFound { what: "district" })?;
                    reference::update_district(conn, subject, number, &name, &town_hall, now)
                }
                (Table::Kinds, None) => {
                    reference::create_kind(conn, subject, kind, now).map(|_| ())
                }
                (Table::Kinds, Some(code)) => {
                    // What the form does not show stays: a RIB's bank details, the
                    // auditor's report's condition.
                    let stored = simpa_app::documents::kinds(conn, subject)?
                        .into_iter()
                        .find(|k| k.code == code)
                        .ok_or(simpa_domain::DomainError::NotFound {
                            what: "document_kind",
                        })?;
                    let kind = DocumentKind {
                        bank_details: stored.bank_details,
                        condition: stored.condition,
                        ..kind
                    };
                    reference::update_kind(conn, subject, kind, now).map(|_| ())
                }
                (Table::Districts, None) => {
                    Err(simpa_domain::DomainError::NotFound { what: "district" }.into())
                }
            }
        })
        .await;
    let first = table.fields(key.is_none())[0].name;
    answered(
        portal,
        done,
        &format!("{HOME}?fait=oui"),
        |f| {
            if f == "bank_details" {
                first.to_owned()
            } else {
                f.to_owned()
            }
        },
        first,
        |errors| {
            form(
                portal,
                req,
                visitor,
                (table, key),
                errors,
                Some(typed.clone()),
            )
        },
    )
    .await
}

/// A kind of document as its form says it (its code from the form when created, from the
/// address when changed); a number typed wrong is said at its field.
fn kind_of(typed: &Typed, code: Option<&str>, errors: &mut Vec<FieldError>) -> DocumentKind {
    let mut number = |name: &str| whole_number(typed, name, errors);
    let (offset, grace, max_age) = (
        number("fiscal_year_offset"),
        number("grace_months"),
        number("max_age_months"),
    );
    DocumentKind {
        code: code.unwrap_or(field(typed, "code")).to_owned(),
        label: field(typed, "label").to_owned(),
        rule: ValidityRule::from_code(field(typed, "validity_rule"))
            .unwrap_or(ValidityRule::Permanent),
        fiscal_year_offset: offset.map_or(0, |o| i32::try_from(o).unwrap_or(i32::MAX)),
        grace_months: grace.map_or(0, |g| u32::try_from(g).unwrap_or(u32::MAX)),
        max_age_months: max_age.map(|m| u32::try_from(m).unwrap_or(0)),
        bank_details: false,
        required_for_profile: field(typed, "required_for_profile") == "oui",
        condition: None,
    }
}

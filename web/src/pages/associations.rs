//! An association's pages: creating one (`/associations/nouvelle`: its creator becomes its
//! president), and its page (`/associations/{id}`: its profile, its members, and for its
//! president the forms that invite someone, change a member's role, remove a member, send an
//! invitation again or cancel it). Another association's page is not found.

use crate::Portal;
use crate::answers::{failed, not_found_page, said, see_other, unless_hidden};
use crate::csrf::{NoFields, Posted};
use crate::forms::{
    asking_for, errors_page, errors_shown, field_error, field_errors, form_page, unprocessable,
};
use crate::render::Page;
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::associations::{self as app, AddressInput, ProfileInput};
use simpa_app::directory::PublicCard;
use simpa_app::members;
use simpa_app::runtime::RunError;
use simpa_domain::DomainError;
use simpa_domain::association::INVITATION_VALIDITY_DAYS;
use simpa_domain::association::{Association, PublicContact};
use simpa_domain::contact::EmailAddress;
use simpa_domain::french::{long_french_date, ordinal};
use simpa_domain::ids::AccountId;
use simpa_domain::ids::AssociationId;
use simpa_domain::policy::Action;
use simpa_domain::policy::Subject;
use simpa_domain::roles::MemberRole;
use simpa_persistence::StoreError;
use simpa_persistence::{DbConnection, StoreResult};
use uuid::Uuid;

/// What the profile's forms ask (inscribing one, editing it), as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AssociationForm {
    name: String,
    acronym: String,
    rna: String,
    siret: String,
    object: String,
    address_street: String,
    address_complement: String,
    address_postal_code: String,
    address_city: String,
    email: String,
    phone: String,
    website: String,
    /// Editing it: whether it appears in the directory (`oui`), which contacts its card shows
    /// (`oui` each), and the version of the profile the form was made from.
    directory: String,
    public_email: String,
    public_phone: String,
    public_website: String,
    version: String,
}

/// An optional field: left empty, not given.
fn given(typed: &str) -> Option<String> {
    let typed = typed.trim();
    (!typed.is_empty()).then(|| typed.to_owned())
}

impl AssociationForm {
    fn profile(&self) -> ProfileInput {
        self.onto(ProfileInput::default())
    }

    /// `profile` with what this form asks as typed; what it does not ask stays.
    fn onto(&self, profile: ProfileInput) -> ProfileInput {
        let ticked = |field: &str| field == "oui";
        ProfileInput {
            name: self.name.clone(),
            acronym: given(&self.acronym),
            rna: given(&self.rna),
            siret: given(&self.siret),
            object: self.object.clone(),
            address: AddressInput {
                street: self.address_street.clone(),
                complement: given(&self.address_complement),
                postal_code: self.address_postal_code.clone(),
                city: self.address_city.clone(),
            },
            email: given(&self.email),
            phone: given(&self.phone),
            website: given(&self.website),
            directory_consent: ticked(&self.directory),
            public_contact: PublicContact {
                email: ticked(&self.public_email),
                phone: ticked(&self.public_phone),
                website: ticked(&self.public_website),
            },
            ..profile
        }
    }

    /// A profile as its form shows it.
    fn of(association: &Association) -> AssociationForm {
        let p = ProfileInput::from(association.profile.clone());
        let yes = |said: bool| if said { "oui" } else { "non" }.to_owned();
        AssociationForm {
            name: p.name,
            acronym: p.acronym.unwrap_or_default(),
            rna: p.rna.unwrap_or_default(),
            siret: p.siret.unwrap_or_default(),
            object: p.object,
            address_street: p.address.street,
            address_complement: p.address.complement.unwrap_or_default(),
            address_postal_code: p.address.postal_code,
            address_city: p.address.city,
            email: p.email.unwrap_or_default(),
            phone: p.phone.unwrap_or_default(),
            website: p.website.unwrap_or_default(),
            directory: yes(p.directory_consent),
            public_email: yes(p.public_contact.email),
            public_phone: yes(p.public_contact.phone),
            public_website: yes(p.public_contact.website),
            version: association.version.to_string(),
        }
    }

    /// What was typed in `field`.
    fn value(&self, field: &str) -> String {
        match field {
            "name" => &self.name,
            "object" => &self.object,
            "address_street" => &self.address_street,
            "address_postal_code" => &self.address_postal_code,
            "address_city" => &self.address_city,
            _ => "",
        }
        .to_owned()
    }

    /// What was typed, to show again.
    fn typed(&self) -> Value {
        context! {
            name => self.name, acronym => self.acronym, rna => self.rna, siret => self.siret,
            object => self.object, address_street => self.address_street,
            address_complement => self.address_complement,
            address_postal_code => self.address_postal_code, address_city => self.address_city,
            email => self.email, phone => self.phone, website => self.website,
            directory => self.directory, public_email => self.public_email,
            public_phone => self.public_phone, public_website => self.public_website,
            version => self.version,
        }
    }
}

#[get("/associations/nouvelle")]
pub async fn new_association_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
) -> HttpResponse {
    let data = AssociationForm::default().typed();
    form_page(
        &portal,
        &req,
        Page::new("new_association.html", data).visitor(&visitor),
    )
}

#[derive(Deserialize)]
pub struct TypedQuery {
    #[serde(default)]
    champ: String,
    #[serde(default)]
    valeur: String,
}

#[derive(serde::Serialize)]
struct Told {
    refused: Option<String>,
    noted: Option<String>,
}

/// One identifier checked as it is typed in a profile's form (by `fields.js`): JSON
/// `{"refused": message or null, "noted": message or null}`; 404 for a field not checked so.
#[get("/associations/verification")]
pub async fn check_typed(
    portal: web::Data<Portal>,
    _visitor: Visitor,
    query: web::Query<TypedQuery>,
) -> HttpResponse {
    let TypedQuery { champ, valeur } = query.into_inner();
    let checked = portal
        .runtime
        .look_up(move |conn| app::check_typed(conn, &champ, &valeur))
        .await;
    match checked {
        Ok(Some(told)) => HttpResponse::Ok().json(Told {
            refused: told.refused,
            noted: told.noted,
        }),
        Ok(None) => not_found_page(&portal),
        Err(error) => failed(&portal, error),
    }
}

#[post("/associations/nouvelle")]
pub async fn create_association(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    Posted(form): Posted<AssociationForm>,
) -> HttpResponse {
    let (profile, subject, now) = (form.profile(), visitor.subject(), portal.runtime.city_now());
    let created = portal
        .runtime
        .write(move |conn| {
            let actor = require(conn, subject, Action::CreateAssociation)?;
            app::create(conn, &actor, profile, now)
        })
        .await;
    let refused = |errors: &[simpa_domain::FieldError]| {
        let page = errors_page("new_association.html", errors, form.typed());
        form_page(&portal, &req, page.visitor(&visitor))
    };
    match created {
        Ok(association) => see_other(&format!("/associations/{}", association.id)),
        Err(RunError::Store(StoreError::Domain(DomainError::Conflict {
            field: Some(field),
            message,
            ..
        }))) => refused(&[field_error(&field, message)]),
        Err(error) => match field_errors(&error) {
            Some(errors) => {
                let errors = asking_for(errors, |field| form.value(field), NAMED);
                refused(&errors)
            }
            None => failed(&portal, error),
        },
    }
}

/// The creation form's fields that must be typed, as the error summary names them.
const NAMED: &[(&str, &str)] = &[
    ("name", "le nom de l'association"),
    ("object", "l'objet de l'association"),
    ("address_street", "le numéro et la voie du siège"),
    ("address_postal_code", "le code postal du siège"),
    ("address_city", "la commune du siège"),
];

#[get("/associations/{id}")]
pub async fn association_view(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
) -> HttpResponse {
    association_page(&portal, &req, &visitor, path.into_inner(), context! {}).await
}

/// The association's page, with `more` (an invitation just sent, a form's errors).
async fn association_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Uuid,
    more: Value,
) -> HttpResponse {
    let (id, subject) = (AssociationId::from_uuid(id), visitor.subject());
    let (timezone, now) = (portal.runtime.timezone, portal.runtime.now());
    let found = portal
        .runtime
        .read(move |conn| {
            let association = app::read(conn, subject, id)?;
            let members = members::list(conn, subject, id)?;
            let presides = require(conn, subject, Action::ManageMembers(id)).is_ok();
            let may_edit = require(conn, subject, Action::UpdateAssociation(id)).is_ok();
            let requests = super::requests::listed(conn, subject, id, timezone, now)?;
            let may_request = require(conn, subject, Action::CreateRequest(id)).is_ok();
            Ok((
                association,
                members,
                (presides, may_edit),
                requests,
                may_request,
            ))
        })
        .await;
    let (association, members, (presides, may_edit), requests, may_request) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let profile = association.profile;
    let data = context! {
        id => association.id.to_string(),
        name => profile.name,
        acronym => profile.acronym,
        rna => profile.rna.map(|r| r.to_string()),
        siret => profile.siret.map(|s| s.to_string()),
        object => profile.object,
        address => profile.address.on_one_line(),
        district => association.district.map(ordinal),
        members => members.members.iter().map(|m| context! {
            account => m.account_id.to_string(), name => m.display_name, email => m.email,
            role => m.role.label(), role_code => m.role.code(),
        }).collect::<Vec<_>>(),
        invitations => members.invitations.iter().map(|i| context! {
            id => i.id.to_string(), email => i.email, role => i.role.label(),
            until => long_french_date(i.expires_at.with_timezone(&timezone).date_naive()),
        }).collect::<Vec<_>>(),
        invitation_days => INVITATION_VALIDITY_DAYS,
        presides => presides,
        may_edit => may_edit,
        requests => requests,
        may_request => may_request,
        roles => [MemberRole::Treasurer, MemberRole::Manager, MemberRole::President]
            .map(|r| context! { code => r.code(), label => r.label() }),
        ..more
    };
    form_page(
        portal,
        req,
        Page::new("association.html", data).visitor(visitor),
    )
}

#[derive(Deserialize)]
pub struct InvitationForm {
    #[serde(rename = "invite_email")]
    email: String,
    #[serde(rename = "invite_role", default)]
    role: String,
}

/// The president invites someone: the e-mail leaves with its link, and the page says so.
#[post("/associations/{id}/invitations")]
pub async fn invite(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<InvitationForm>,
) -> HttpResponse {
    let id = path.into_inner();
    let InvitationForm {
        email: typed, role, ..
    } = form;
    let typed_back = context! { invite_email => typed.clone(), invite_role => role.clone() };
    let mut errors = Vec::new();
    let email = EmailAddress::parse(&typed)
        .map_err(|v| errors.push(v.at("invite_email")))
        .ok();
    let role = MemberRole::from_code(&role);
    if role.is_none() {
        errors.push(field_error(
            "invite_role",
            "Choisissez le rôle de la personne invitée.",
        ));
    }
    let (Some(email), Some(role)) = (email, role) else {
        let more = context! { errors => errors_shown(&errors), ..typed_back };
        return unprocessable(association_page(&portal, &req, &visitor, id, more).await);
    };
    let (subject, now, notifier) = (
        visitor.subject(),
        portal.runtime.now(),
        portal.runtime.notifier.clone(),
    );
    let association = AssociationId::from_uuid(id);
    let invited = portal
        .runtime
        .write(move |conn| members::invite(conn, subject, association, email, role, now, &notifier))
        .await;
    match invited {
        Ok(invited) => {
            let more = context! { invited => invited.invitation.email };
            association_page(&portal, &req, &visitor, id, more).await
        }
        Err(RunError::Store(StoreError::Domain(
            DomainError::NotFound { .. } | DomainError::Forbidden,
        ))) => not_found_page(&portal),
        Err(RunError::Store(StoreError::Domain(refusal @ DomainError::Conflict { .. }))) => {
            let errors = [field_error("invite_email", said(refusal))];
            let more = context! { errors => errors_shown(&errors), ..typed_back };
            unprocessable(association_page(&portal, &req, &visitor, id, more).await)
        }
        Err(error) => failed(&portal, error),
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// The president changes a member's role; the association keeps a president.
#[post("/associations/{id}/membres/{account}/role")]
pub async fn change_role(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
    Posted(form): Posted<RoleForm>,
) -> HttpResponse {
    let (id, account) = path.into_inner();
    let field = format!("role-{account}");
    let Some(role) = MemberRole::from_code(&form.role) else {
        let errors = [field_error(
            &field,
            "Choisissez un rôle parmi ceux proposés.",
        )];
        let more = context! { errors => errors_shown(&errors), open => account.to_string() };
        return unprocessable(association_page(&portal, &req, &visitor, id, more).await);
    };
    let account = AccountId::from_uuid(account);
    let deed = move |conn: &mut DbConnection, subject, association, now| {
        let m = members::change_role(conn, subject, association, account, role, now)?;
        let role = m.role.label().to_lowercase();
        Ok(format!(
            "{} est désormais {role} de l'association.",
            m.display_name
        ))
    };
    manage(&portal, &req, &visitor, id, &field, false, deed).await
}

/// The president removes a member (themselves too, while another presides); the association
/// keeps a president.
#[post("/associations/{id}/membres/{account}/retrait")]
pub async fn remove_member(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
    Posted(_): Posted<NoFields>,
) -> HttpResponse {
    let (id, account) = path.into_inner();
    let member = AccountId::from_uuid(account);
    let deed = move |conn: &mut DbConnection, subject, association, now| {
        let m = members::remove(conn, subject, association, member, now)?;
        Ok(format!(
            "{} ne fait plus partie de l'association.",
            m.display_name
        ))
    };
    manage(
        &portal,
        &req,
        &visitor,
        id,
        &format!("retrait-{account}"),
        member == visitor.account,
        deed,
    )
    .await
}

/// The president sends a pending invitation again: a new link, valid from now.
#[post("/associations/{id}/invitations/{invitation}/renvoi")]
pub async fn resend_invitation(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
    Posted(_): Posted<NoFields>,
) -> HttpResponse {
    let (id, invitation) = path.into_inner();
    let notifier = portal.runtime.notifier.clone();
    let deed = move |conn: &mut DbConnection, subject, association, now| {
        let sent =
            members::resend_invitation(conn, subject, association, invitation, now, &notifier)?;
        let to = sent.invitation.email;
        Ok(format!(
            "L'invitation est repartie à {to}, avec un nouveau lien."
        ))
    };
    manage(
        &portal,
        &req,
        &visitor,
        id,
        &format!("renvoi-{invitation}"),
        false,
        deed,
    )
    .await
}

/// The president cancels a pending invitation: its link stops working.
#[post("/associations/{id}/invitations/{invitation}/annulation")]
pub async fn cancel_invitation(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
    Posted(_): Posted<NoFields>,
) -> HttpResponse {
    let (id, invitation) = path.into_inner();
    let deed = move |conn: &mut DbConnection, subject, association, now| {
        let to = members::cancel_invitation(conn, subject, association, invitation, now)?.email;
        Ok(format!(
            "L'invitation de {to} est annulée : son lien ne sert plus."
        ))
    };
    manage(
        &portal,
        &req,
        &visitor,
        id,
        &format!("annulation-{invitation}"),
        false,
        deed,
    )
    .await
}

/// Does, in one transaction, what the president asked to the association's people (`deed`,
/// which says what it did), then shows the association's page saying so, or why it was
/// refused at `field` (what the association may not lose: a president). Another
/// association's, or someone who may not, is not found; the president `leaving` it goes to
/// their account's page once done (its page is no longer theirs).
async fn manage(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Uuid,
    field: &str,
    leaving: bool,
    deed: impl FnOnce(
        &mut DbConnection,
        Option<Subject>,
        AssociationId,
        DateTime<Utc>,
    ) -> StoreResult<String>
    + Send
    + 'static,
) -> HttpResponse {
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let association = AssociationId::from_uuid(id);
    let done = portal
        .runtime
        .write(move |conn| deed(conn, subject, association, now))
        .await;
    match done {
        Ok(said_done) => {
            if leaving {
                return see_other("/compte");
            }
            let more = context! { managed => said_done };
            association_page(portal, req, visitor, id, more).await
        }
        Err(RunError::Store(StoreError::Domain(
            DomainError::NotFound { .. } | DomainError::Forbidden,
        ))) => not_found_page(portal),
        Err(RunError::Store(StoreError::Domain(refusal @ DomainError::Conflict { .. }))) => {
            let errors = [field_error(field, said(refusal))];
            let more = context! { errors => errors_shown(&errors) };
            unprocessable(association_page(portal, req, visitor, id, more).await)
        }
        Err(error) => failed(portal, error),
    }
}

/// The association's profile to edit (its members), with its card in the directory as anyone
/// sees it.
#[get("/associations/{id}/profil")]
pub async fn profile_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
) -> HttpResponse {
    let (id, subject) = (
        AssociationId::from_uuid(path.into_inner()),
        visitor.subject(),
    );
    let found = portal
        .runtime
        .read(move |conn| {
            require(conn, subject, Action::UpdateAssociation(id))?;
            app::read(conn, subject, id)
        })
        .await;
    match found {
        Ok(association) => {
            let typed = AssociationForm::of(&association);
            profile_form(&portal, &req, &visitor, &association, &typed, &[], false)
        }
        Err(error) => unless_hidden(&portal, error),
    }
}

/// Saves the profile as edited, if nobody changed it since the form was made.
#[post("/associations/{id}/profil")]
pub async fn update_profile(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<AssociationForm>,
) -> HttpResponse {
    let (id, subject, now) = (
        AssociationId::from_uuid(path.into_inner()),
        visitor.subject(),
        portal.runtime.city_now(),
    );
    let expected = form.version.parse::<i64>().ok();
    let typed = form.clone();
    let updated = portal
        .runtime
        .write(move |conn| {
            let current = app::read(conn, subject, id)?;
            let profile = form.onto(ProfileInput::from(current.profile));
            app::update(conn, subject, id, expected, profile, now)
        })
        .await;
    let errors = match updated {
        Ok(saved) => {
            let shown = AssociationForm::of(&saved);
            return profile_form(&portal, &req, &visitor, &saved, &shown, &[], true);
        }
        Err(RunError::Store(StoreError::Domain(DomainError::Conflict {
            field: Some(field),
            message,
            ..
        }))) => vec![field_error(&field, message)],
        Err(RunError::Store(StoreError::Domain(DomainError::StaleVersion { .. }))) => {
            vec![field_error(
                "profil",
                "Quelqu'un a modifié le profil depuis que vous l'avez ouvert : rechargez la page pour partir de sa version enregistrée, puis refaites vos changements.",
            )]
        }
        Err(error) => match field_errors(&error) {
            Some(errors) => asking_for(errors, |field| typed.value(field), NAMED),
            None => return unless_hidden(&portal, error),
        },
    };
    let current = portal
        .runtime
        .read(move |conn| app::read(conn, subject, id))
        .await;
    match current {
        Ok(association) => profile_form(
            &portal,
            &req,
            &visitor,
            &association,
            &typed,
            &errors,
            false,
        ),
        Err(error) => unless_hidden(&portal, error),
    }
}

/// The profile's form as `typed`, with its `errors`, after the profile stored (`saved` just
/// now): its directory card previewed from what is stored.
fn profile_form(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    association: &Association,
    typed: &AssociationForm,
    errors: &[simpa_domain::FieldError],
    saved: bool,
) -> HttpResponse {
    let data = context! {
        id => association.id.to_string(),
        association_name => association.profile.name.clone(),
        listed => association.profile.directory_consent,
        card => super::directory::card_shown(portal, PublicCard::from(association.clone())),
        saved => saved,
        ..typed.typed()
    };
    let page = errors_page("association_profile.html", errors, data).visitor(visitor);
    let page = form_page(portal, req, page);
    if errors.is_empty() {
        page
    } else {
        unprocessable(page)
    }
}

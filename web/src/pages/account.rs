//! The signed-in person's account (`/compte`): who they are, their associations, their
//! sessions (each can be ended), changing their password, and accepting an invitation to join
//! an association (`/compte/invitation?jeton=…`, the link of the invitation's e-mail).

use crate::Portal;
use crate::answers::{city_moment, failed, see_other};
use crate::csrf::{NoFields, Posted};
use crate::forms::{errors_page, field_errors, form_page};
use crate::render::Page;
use crate::session::{self, Enrolling, Visitor};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::runtime::RunError;
use simpa_app::{accounts, members, sign_in};
use simpa_domain::DomainError;
use simpa_domain::french::device_in_words;
use simpa_domain::notification::WorkEmails;
use simpa_domain::policy::Action;
use simpa_persistence::StoreError;
use uuid::Uuid;

#[get("/compte")]
pub async fn account(
    portal: web::Data<Portal>,
    req: HttpRequest,
    Enrolling(visitor): Enrolling,
) -> HttpResponse {
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let found = portal
        .runtime
        .read(move |conn| {
            let file = accounts::me(conn, subject)?;
            let sessions = sign_in::sessions(conn, subject, now)?;
            // Whether the city's work is theirs: the policy's word, not a list of roles.
            let works = !file.staff_roles.is_empty()
                && require(conn, subject, Action::FollowRequests).is_ok();
            // And the juries they sit on, or prepare.
            let judges = !file.staff_roles.is_empty()
                && !simpa_app::juries::of_caller(conn, subject)?.is_empty();
            let administers = require(conn, subject, Action::ManageAccounts).is_ok();
            Ok((file, sessions, (works, judges, administers)))
        })
        .await;
    let (file, sessions, (works, judges, administers)) = match found {
        Ok(found) => found,
        Err(error) => return failed(&portal, error),
    };
    let sessions: Vec<Value> = sessions
        .into_iter()
        .map(|s| {
            context! {
                id => s.id.to_string(),
                this => s.id == visitor.session,
                device => s.device.user_agent.as_deref().map_or_else(|| "Appareil inconnu".to_owned(), device_in_words),
                address => s.device.address,
                signed_in => city_moment(&portal, s.signed_in_at),
                last_used => s.last_used_at.map(|at| city_moment(&portal, at)),
            }
        })
        .collect();
    let associations: Vec<Value> = file
        .memberships
        .iter()
        .map(|m| context! { id => m.association_id.to_string(), name => m.association_name, role => m.role.label() })
        .collect();
    let data = context! {
        name => file.account.display_name,
        email => file.account.email,
        verified => file.account.email_verified_at.is_some(),
        two_factor => file.two_factor,
        works => works,
        judges => judges,
        administers => administers,
        associations => associations,
        sessions => sessions,
    };
    form_page(
        &portal,
        &req,
        Page::new("account.html", data).visitor(&visitor),
    )
}

/// Ends one of the person's sessions: another device's, or this one (signed out).
#[post("/compte/sessions/{session}/fin")]
pub async fn end_session(
    portal: web::Data<Portal>,
    _req: HttpRequest,
    Enrolling(visitor): Enrolling,
    path: web::Path<Uuid>,
    Posted(_form): Posted<NoFields>,
) -> HttpResponse {
    let (session, subject, now) = (path.into_inner(), visitor.subject(), portal.runtime.now());
    let ended = portal
        .runtime
        .write(move |conn| sign_in::end_sessions(conn, subject, Some(session), now))
        .await;
    match ended {
        Ok(()) if session == visitor.session => {
            let mut answer = Page::new("signed_out.html", context! {}).answer(&portal);
            if let Err(e) = answer.add_cookie(&session::session_removal()) {
                tracing::error!(error = %e, "a cookie cannot be removed");
            }
            answer
        }
        Ok(()) => see_other("/compte"),
        Err(RunError::Store(StoreError::Domain(DomainError::NotFound { .. }))) => {
            crate::answers::not_found_page(&portal)
        }
        Err(error) => failed(&portal, error),
    }
}

#[get("/compte/mot-de-passe")]
pub async fn change_password_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
) -> HttpResponse {
    let page = Page::new("change_password.html", context! {}).visitor(&visitor);
    form_page(&portal, &req, page)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// Changes the password: every session ends, this one too, and the person signs in again.
#[post("/compte/mot-de-passe")]
pub async fn change_password(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    Posted(form): Posted<PasswordForm>,
) -> HttpResponse {
    let PasswordForm {
        current_password,
        new_password,
        ..
    } = form;
    let subject = visitor.subject();
    match accounts::change_own_password(&portal.runtime, subject, current_password, new_password)
        .await
    {
        Ok(()) => {
            let mut answer = Page::new("password_changed.html", context! {}).answer(&portal);
            if let Err(e) = answer.add_cookie(&session::session_removal()) {
                tracing::error!(error = %e, "a cookie cannot be removed");
            }
            answer
        }
        Err(error) => match field_errors(&error) {
            Some(errors) => {
                let page = errors_page("change_password.html", errors, context! {});
                form_page(&portal, &req, page.visitor(&visitor))
            }
            None => failed(&portal, error),
        },
    }
}

#[derive(Deserialize)]
pub struct InvitationQuery {
    jeton: Option<String>,
}

/// The invitation's link: a button accepts it (signed in with the address invited).
#[get("/compte/invitation")]
pub async fn invitation_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<InvitationQuery>,
) -> HttpResponse {
    let data = context! { token => query.jeton.clone().unwrap_or_default() };
    form_page(
        &portal,
        &req,
        Page::new("invitation.html", data).visitor(&visitor),
    )
}

#[derive(Deserialize)]
pub struct InvitationForm {
    jeton: String,
}

#[post("/compte/invitation")]
pub async fn accept_invitation(
    portal: web::Data<Portal>,
    _req: HttpRequest,
    visitor: Visitor,
    Posted(form): Posted<InvitationForm>,
) -> HttpResponse {
    let (token, subject, now) = (form.jeton, visitor.subject(), portal.runtime.now());
    let accepted = portal
        .runtime
        .write(move |conn| members::accept_invitation(conn, subject, &token, now))
        .await;
    match accepted {
        Ok(membership) => {
            let data = context! {
                association => membership.association_name,
                role => membership.role.label(),
            };
            Page::new("invitation_accepted.html", data)
                .visitor(&visitor)
                .answer(&portal)
        }
        Err(RunError::Store(StoreError::Domain(refusal))) => {
            let message = match refusal {
                DomainError::NotFound { .. } => {
                    "Cette invitation n'existe pas ou a été annulée : demandez au président ou à la présidente de l'association de vous inviter de nouveau.".to_owned()
                }
                other => crate::answers::said(other),
            };
            Page::new("invitation_refused.html", context! { message => message })
                .status(StatusCode::UNPROCESSABLE_ENTITY)
                .visitor(&visitor)
                .answer(&portal)
        }
        Err(error) => failed(&portal, error),
    }
}

/// What the preferences' page shows: the person's choices, and whether they are staff (who
/// choose how they hear of new work).
async fn preferences_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    more: Value,
) -> HttpResponse {
    let subject = visitor.subject();
    let found = portal
        .runtime
        .read(move |conn| {
            let staff = !accounts::me(conn, subject)?.staff_roles.is_empty();
            Ok((accounts::preferences(conn, subject)?, staff))
        })
        .await;
    let (preferences, staff) = match found {
        Ok(found) => found,
        Err(error) => return failed(portal, error),
    };
    let choices: Vec<Value> = [WorkEmails::Immediate, WorkEmails::Daily, WorkEmails::Never]
        .iter()
        .map(|w| context! { code => w.code(), label => w.label() })
        .collect();
    let data = context! {
        request_emails => preferences.request_emails,
        work_emails => preferences.work_emails.code(),
        staff => staff,
        choices => choices,
        request_choices => [
            context! { code => "oui", label => "Me prévenir par e-mail à chaque étape" },
            context! { code => "non", label => "Ne pas me prévenir" },
        ],
        ..more
    };
    form_page(
        portal,
        req,
        Page::new("preferences.html", data).visitor(visitor),
    )
}

#[get("/compte/preferences")]
pub async fn preferences_view(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
) -> HttpResponse {
    preferences_page(&portal, &req, &visitor, context! {}).await
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    /// `oui` or `non`.
    request_emails: String,
    /// A staff member's choice; absent for others.
    work_emails: Option<String>,
}

/// Saves one's e-mail preferences: the page again, saying so.
#[post("/compte/preferences")]
pub async fn set_preferences(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    Posted(form): Posted<PreferencesForm>,
) -> HttpResponse {
    let subject = visitor.subject();
    let request_emails = form.request_emails != "non";
    let work_emails = form.work_emails.as_deref().and_then(WorkEmails::from_code);
    let saved = portal
        .runtime
        .write(move |conn| {
            let mut wanted = accounts::preferences(conn, subject)?;
            wanted.request_emails = request_emails;
            if let Some(work_emails) = work_emails {
                wanted.work_emails = work_emails;
            }
            accounts::set_preferences(conn, subject, wanted)
        })
        .await;
    match saved {
        Ok(_) => preferences_page(&portal, &req, &visitor, context! { saved => true }).await,
        Err(error) => failed(&portal, error),
    }
}

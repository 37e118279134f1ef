//! The pages' templates (minijinja, as the e-mails', HTML escaped): parsed once, each page
//! rendered inside the layout with the city's name and the styles' address.

use crate::Portal;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use minijinja::{Environment, Value, context};

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// Every template of the portal.
pub const FILES: &[(&str, &str)] = templates!(
    "layout.html",
    "macros.html",
    "home.html",
    "not_found.html",
    "refused.html",
    "verify_email.html",
    "verified.html",
    "forgotten_password.html",
    "reset_link_sent.html",
    "new_password.html",
    "password_changed.html",
    "link_refused.html",
    "sign_in.html",
    "sign_in_code.html",
    "signed_out.html",
    "sign_up.html",
    "signed_up.html",
    "account.html",
    "change_password.html",
    "invitation.html",
    "invitation_accepted.html",
    "invitation_refused.html",
    "new_association.html",
    "association_fields.html",
    "association.html",
    "association_profile.html",
    "vault.html",
    "messages.html",
    "staff_messages.html",
    "directory.html",
    "card_body.html",
    "card.html",
    "card_embedded.html",
    "open_data.html",
    "two_factor.html",
    "two_factor_enrol.html",
    "two_factor_codes.html",
    "preferences.html",
    "request_macros.html",
    "request_new.html",
    "request.html",
    "request_project.html",
    "request_dates.html",
    "request_public.html",
    "request_budget.html",
    "request_check.html",
    "request_receipt.html",
    "request_withdrawal.html",
    "agreement.html",
    "final_report.html",
    "staff_home.html",
    "staff_request.html",
    "staff_requests.html",
    "staff_associations.html",
    "staff_documents.html",
    "staff_bulk.html",
    "staff_deliberations.html",
    "staff_deliberation.html",
    "staff_deliberation_list.html",
    "charts.html",
    "staff_dashboard.html",
    "staff_campaigns.html",
    "staff_campaign.html",
    "staff_campaign_form.html",
    "jury_list.html",
    "jury.html",
    "jury_ranking.html",
    "jury_seat.html",
    "staff_payments.html",
    "staff_repayments.html",
    "staff_grants.html",
    "admin_home.html",
    "admin_reference.html",
    "admin_reference_form.html",
    "admin_clients.html",
    "staff_jury_setup.html",
    "admin_client_secret.html",
    "admin_webhooks.html",
    "admin_webhook.html",
    "admin_webhook_secret.html",
    "admin_accounts.html",
    "admin_account.html",
    "admin_outbox.html",
    "admin_audit.html",
    "staff_grant.html",
    "staff_macros.html",
);

/// The templates that are parts of pages, not pages.
#[cfg(test)]
const PARTS: &[&str] = &[
    "macros.html",
    "card_body.html",
    "request_macros.html",
    "association_fields.html",
    "staff_macros.html",
    "charts.html",
];

pub struct Pages(Environment<'static>);

/// Where the browser's anti-forgery token goes in a page kept for whoever reads it (see
/// [`Page::render_kept`]): markup that no escaped text can contain.
const TOKEN_HOLE: &str = "<token>";

/// A kept page with the browser's anti-forgery token in its holes.
pub fn fill(kept: &str, token: &str) -> String {
    let mut html = String::with_capacity(kept.len() + 2 * token.len());
    let mut from = 0;
    for hole in memchr::memmem::find_iter(kept.as_bytes(), TOKEN_HOLE) {
        html.push_str(&kept[from..hole]);
        html.push_str(token);
        from = hole + TOKEN_HOLE.len();
    }
    html.push_str(&kept[from..]);
    html
}

impl Pages {
    pub fn load() -> Result<Pages, minijinja::Error> {
        let mut env = Environment::new();
        // `.html` templates escape what they print.
        for (name, source) in FILES {
            env.add_template(name, source)?;
        }
        simpa_app::notify::add_french_filters(&mut env);
        env.add_filter("date", |date: String| -> String {
            chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                .map(simpa_domain::french::long_french_date)
                .unwrap_or(date)
        });
        Ok(Pages(env))
    }
}

/// A page to answer: its template, its data, its status.
pub struct Page {
    template: &'static str,
    data: Value,
    status: StatusCode,
}

/// Who is signed in, as a page's header shows them.
pub trait SignedIn {
    /// The browser's anti-forgery token, for the header's form (signing out).
    fn csrf(&self) -> &str;
    /// Their role requires a second factor they have not proved yet: the header says so.
    fn must_enrol(&self) -> bool;
}

impl Page {
    pub fn new(template: &'static str, data: Value) -> Page {
        Page {
            template,
            data,
            status: StatusCode::OK,
        }
    }

    pub fn status(mut self, status: StatusCode) -> Page {
        self.status = status;
        self
    }

    /// More data for the template.
    pub fn with(mut self, data: Value) -> Page {
        self.data = context! { ..data, ..self.data };
        self
    }

    /// The page of someone signed in: its header offers their account and signing out.
    pub fn visitor(self, visitor: &impl SignedIn) -> Page {
        let signed_in = context! { csrf => visitor.csrf(), must_enrol => visitor.must_enrol() };
        self.with(context! { signed_in => signed_in })
    }

    /// The page rendered in the layout; a template that fails is a bug, answered with a
    /// plain 500.
    pub fn answer(self, portal: &Portal) -> HttpResponse {
        let status = self.status;
        html_answer(status, self.render(portal))
    }

    /// The page of a member signed in, rendered in the layout as it is kept for every member
    /// who reads it: the browser's token is a hole, filled at each answer by [`fill`].
    pub fn render_kept(self, portal: &Portal) -> Result<String, minijinja::Error> {
        let hole = Value::from_safe_string(TOKEN_HOLE.into());
        let signed_in = context! { csrf => hole.clone(), must_enrol => false };
        self.with(context! { signed_in => signed_in, csrf => hole })
            .render(portal)
    }

    fn render(self, portal: &Portal) -> Result<String, minijinja::Error> {
        let theme = &portal.settings.theme;
        let data = context! {
            city => portal.settings.city.clone(),
            stylesheet => portal.assets.url("simpa.css"),
            city_stylesheet => portal.assets.url("ville.css"),
            budget_script => portal.assets.url("budget.js"),
            fields_script => portal.assets.url("fields.js"),
            upload_scripts => [portal.assets.url("govuk-file-upload.js"), portal.assets.url("upload.js")],
            logo => portal.assets.logo(),
            footer_links => theme.links.iter().map(|l| context! { label => l.label, url => l.url }).collect::<Vec<_>>(),
            ..self.data
        };
        portal.pages.render(self.template, &data)
    }
}

impl Pages {
    /// A page's template rendered (in its layout).
    fn render(&self, template: &str, data: &Value) -> Result<String, minijinja::Error> {
        self.0.get_template(template).and_then(|t| t.render(data))
    }
}

/// What the kept pages are made from besides their data: every template, the layout as this
/// configuration renders it (the city, its styles, logo and links), and `sources`, the code
/// that gathers their data. A page kept under another fingerprint is made again.
pub fn fingerprint(portal: &Portal, sources: &[&str]) -> String {
    let mut made_of = String::new();
    for source in FILES.iter().map(|(_, source)| source).chain(sources) {
        made_of.push_str(source);
    }
    let layout = Page::new("layout.html", context! {}).render(portal);
    made_of.push_str(&layout.unwrap_or_default());
    simpa_domain::digest::sha256_hex(made_of.as_bytes())
}

/// A page's HTML, or a plain 500 when its template failed (a bug).
pub fn html_answer(status: StatusCode, html: Result<String, minijinja::Error>) -> HttpResponse {
    match html {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "a page does not render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Une erreur est survenue de notre côté : réessayez dans un instant.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_hole_is_filled_and_nothing_else_changes() {
        let kept = "<token><p>a</p><input value=\"<token>\"><p>é</p><token>";
        assert_eq!(
            fill(kept, "T0K"),
            "T0K<p>a</p><input value=\"T0K\"><p>é</p>T0K"
        );
        assert_eq!(fill("<p>sans jeton</p>", "T0K"), "<p>sans jeton</p>");
        assert_eq!(fill("", "T0K"), "");
    }

    /// Every page renders, with and without its optional parts.
    #[test]
    fn every_template_renders() {
        let pages = Pages::load().expect("the templates parse");
        let errors = vec![context! { field => "email", message => "Adresse invalide" }];
        let campaign = context! {
            title => "Campagne", description => "…", circuit => "Circuit central",
            opens_on => "2026-12-01", closes_on => "2027-01-31", documents => vec!["Statuts"],
        };
        for data in [
            context! {},
            context! {
                errors => errors, failed => true, busy => true, campaigns => vec![campaign],
                signed_in => context! { csrf => "jeton", must_enrol => true },
                sessions => vec![context! { id => "s", this => true, device => "Firefox", signed_in => "hier", address => "192.0.2.1" }],
                associations => vec![context! { id => "a", name => "Les Amis", role => "Trésorier·ère" }],
                kinds => vec![context! {
                    code => "statuts", label => "Statuts", status => "Refusé", tag => "govuk-tag--red",
                    next => "Déposez-en un nouveau.", to_sign => true, to_file => true,
                    rule => "fiscal_year", bank => true, required_year => 2025,
                    history => vec![context! {
                        filed_on => "1er décembre 2026", file => context! { name => "s.pdf", size => "3 Ko" },
                        fiscal_year => 2025, review => "Refusé", rejected => true, reason => "Illisible",
                    }],
                }],
                cards => vec![context! { id => "c", name => "Les Amis", excerpt => "…", district => "11e" }],
                districts => vec![context! { number => 11, label => "11e arrondissement" }],
                district => 11, more => true, may_confirm => true, presides => true,
                filed => "Statuts", warnings => vec!["Le titulaire diffère."], open => "statuts",
                accepted => ".pdf", years => vec![2026, 2025],
                enabled => false, required => true, codes_left => 9, grouped => "JBSW Y3DP",
                qr => "data:image/svg+xml;base64,PHN2Zy8+", codes => vec!["abcd-efgh-ijkl"],
                saved => true, staff => true, request_emails => true, work_emails => "daily",
                choices => vec![context! { code => "daily", label => "Un récapitulatif par jour" }],
                answers => context! { title => "T", summary => "S", districts => vec!["11e arrondissement"], indicators => vec!["Jeunes : 80 personnes"], charges => "1 €", share => "50 %" },
                typed => context! { title => "T", l60 => "100", district_11 => "oui", indicators_0__name => "Jeunes" },
                totals => context! { charges => "100 €", balance => vec!["Le total des charges…"] },
                steps => vec![context! { name => "Le projet", address => "/demandes/d/projet", to_do => true }],
                missing => vec![context! { message => "Manque", address => "/demandes/d/projet#summary", step => "Le projet" }],
                indicator_rows => vec![0, 1, 2], editable => true, submittable => true, number => 2,
                charges => vec![context! { field => "l60", account => "60", label => "Achats", side => "charges" }],
                others => vec![context! { account => "756", label => "Cotisations", amount => "5 €" }],
            },
            context! { message => "Trop de demandes", again => "mot-de-passe-oublie" },
        ] {
            for (name, _) in FILES.iter().filter(|(n, _)| !PARTS.contains(n)) {
                // What a page cannot be without: a card's page, its card.
                let card =
                    context! { id => "c", name => "Les Amis", object => "…", address => "1 rue X" };
                let data = context! {
                    city => "Ville de Paris", stylesheet => "/static/s.css", card => card,
                    ..data.clone()
                };
                let html = pages.0.get_template(name).and_then(|t| t.render(&data));
                assert!(html.is_ok(), "{name}: {html:?}");
            }
        }
        let home = pages.0.get_template("home.html").unwrap().render(context! {
            city => "Ville de Paris",
            campaigns => vec![context! { title => "C", opens_on => "2026-12-01", closes_on => "2027-01-31" }],
        });
        assert!(
            home.unwrap()
                .contains("du 1er décembre 2026 au 31 janvier 2027")
        );
    }
}

//! The pages, one module per part of the portal.

mod account;
mod account_links;
mod admin;
mod admin_clients;
mod admin_reference;
mod admin_webhooks;
mod associations;
mod directory;
mod final_report;
mod grant;
mod home;
mod jury;
mod listing;
mod messages;
mod open_data;
mod request_steps;
mod requests;
mod sign_in;
mod sign_up;
mod staff;
mod staff_actions;
mod staff_associations;
mod staff_bulk;
mod staff_campaigns;
mod staff_dashboard;
mod staff_deliberations;
mod staff_documents;
mod staff_filters;
mod staff_follow_up;
mod staff_grants;
mod staff_jury_setup;
mod staff_list;
mod staff_payments;
mod two_factor;
mod typed;
mod vault;

pub(crate) use requests::KEPT_SOURCES;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Routes are tried in this order: the page read most comes first.
    cfg.service(requests::request_page)
        .service(home::home)
        .service(staff::work)
        .service(staff_bulk::act_on_many)
        .service(staff_list::request_list)
        .service(staff_associations::association_list)
        .service(staff_associations::association_export)
        .service(staff_list::report_list)
        .service(staff_list::report_export)
        .service(staff_list::request_export)
        .service(staff::request_file)
        .service(messages::messages_page)
        .service(messages::write)
        .service(messages::attachment)
        .service(messages::search)
        .service(staff_actions::act)
        .service(staff_filters::save)
        .service(staff_filters::delete)
        .service(staff_follow_up::assign)
        .service(staff_follow_up::follow)
        .service(staff_documents::documents_to_review)
        .service(staff_documents::documents_export)
        .service(staff_documents::review)
        .service(staff_payments::payments_due)
        .service(staff_payments::payments_export)
        .service(staff_payments::record_payment)
        .service(staff_payments::repayments)
        .service(staff_payments::settle)
        .service(staff_grants::grant_list)
        .service(staff_grants::grant_page)
        .service(staff_grants::set_schedule)
        .service(staff_dashboard::dashboard)
        .service(admin::admin_home)
        .service(admin::account_list)
        .service(admin::account_page)
        .service(admin::grant_role)
        .service(admin::revoke_role)
        .service(admin::outbox)
        .service(admin::requeue)
        .service(admin::audit_trail)
        .service(admin_clients::client_list)
        .service(admin_clients::create_client)
        .service(admin_clients::revoke_client)
        .service(admin_clients::renew_secret)
        .service(admin_webhooks::endpoint_list)
        .service(admin_webhooks::register)
        .service(admin_webhooks::endpoint_page)
        .service(admin_webhooks::remove)
        .service(admin_webhooks::redeliver)
        .service(staff_jury_setup::jury_setup)
        .service(staff_jury_setup::save_rules)
        .service(staff_jury_setup::add_juror)
        .service(staff_jury_setup::withdraw_juror)
        .service(staff_jury_setup::seat_jurors)
        .service(admin_reference::reference_home)
        .service(admin_reference::new_row_form)
        .service(admin_reference::row_form)
        .service(admin_reference::create)
        .service(admin_reference::update)
        .service(staff_campaigns::campaign_list)
        .service(staff_campaigns::new_campaign)
        .service(staff_campaigns::create)
        .service(staff_campaigns::campaign_page)
        .service(staff_campaigns::edit_campaign)
        .service(staff_campaigns::update)
        .service(staff_campaigns::move_to)
        .service(jury::juries_page)
        .service(jury::seat_page)
        .service(jury::declare)
        .service(jury::save_sheet)
        .service(jury::jury_page)
        .service(jury::close)
        .service(jury::ranking_page)
        .service(jury::validate)
        .service(staff_deliberations::deliberation_list)
        .service(staff_deliberations::create_deliberation)
        .service(staff_deliberations::agenda_view)
        .service(staff_deliberations::take_off)
        .service(staff_deliberations::record_vote)
        .service(staff_deliberations::printed_list)
        .service(account_links::verify_email_page)
        .service(account_links::verify_email)
        .service(account_links::forgotten_password_page)
        .service(account_links::forgotten_password)
        .service(account_links::new_password_page)
        .service(account_links::new_password)
        .service(sign_in::sign_in_page)
        .service(sign_in::sign_in)
        .service(sign_in::code_page)
        .service(sign_in::code)
        .service(sign_in::sign_out)
        .service(sign_up::sign_up_page)
        .service(sign_up::sign_up)
        .service(account::account)
        .service(account::end_session)
        .service(account::change_password_page)
        .service(account::change_password)
        .service(account::preferences_view)
        .service(account::set_preferences)
        .service(account::invitation_page)
        .service(account::accept_invitation)
        .service(associations::new_association_page)
        .service(associations::create_association)
        .service(associations::check_typed)
        .service(associations::association_view)
        .service(associations::invite)
        .service(associations::profile_page)
        .service(associations::update_profile)
        .service(associations::change_role)
        .service(associations::remove_member)
        .service(associations::resend_invitation)
        .service(associations::cancel_invitation)
        .service(vault::vault)
        .service(vault::confirm_profile)
        .service(vault::attest)
        .service(vault::file_document)
        .service(vault::download_file)
        .service(directory::directory)
        .service(directory::card_page)
        .service(directory::embedded_card)
        .service(open_data::open_data)
        .service(two_factor::two_factor_page)
        .service(two_factor::start)
        .service(two_factor::confirm)
        .service(requests::new_request_page)
        .service(requests::start)
        .service(requests::check_page)
        .service(requests::submit)
        .service(requests::receipt)
        .service(requests::withdrawal_page)
        .service(requests::withdraw)
        .service(grant::agreement_view)
        .service(grant::sign)
        .service(final_report::report_view)
        .service(final_report::file_report)
        .service(request_steps::step_view)
        .service(request_steps::save_step);
}

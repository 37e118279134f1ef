//! The routes of `/api/v1`, one module per resource.

pub mod accounts;
pub mod agreements;
pub mod associations;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod deliberations;
pub mod directory;
pub mod documents;
pub mod final_reports;
pub mod grants;
pub mod health;
pub mod indicators;
pub mod instruction;
pub mod juries;
pub mod jury_sheets;
pub mod members;
pub mod messages;
pub mod notifications;
pub mod open_data;
pub mod reference;
pub mod requests;
pub mod service_accounts;
pub mod sso;
pub mod tracking;
pub mod two_factor;
pub mod webhooks;

use utoipa_actix_web::service_config::ServiceConfig;

/// Every route of `/api/v1`. A route added here appears in the OpenAPI document too.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(reference::list_districts)
        .service(reference::list_directions)
        .service(reference::list_sectors)
        .service(auth::request_token)
        .service(auth::logout)
        .service(sso::authorize)
        .service(sso::callback)
        .service(accounts::register)
        .service(accounts::verify_email)
        .service(accounts::resend_verification)
        .service(accounts::request_password_reset)
        .service(accounts::reset_password)
        .service(accounts::change_password)
        .service(accounts::deactivate_account)
        .service(accounts::reactivate_account)
        .service(accounts::list_sessions)
        .service(accounts::end_session)
        .service(accounts::end_all_sessions)
        .service(accounts::me)
        .service(two_factor::get_two_factor)
        .service(two_factor::start_two_factor)
        .service(two_factor::confirm_two_factor)
        .service(two_factor::renew_recovery_codes)
        .service(two_factor::disable_two_factor)
        .service(two_factor::reset_two_factor)
        .service(accounts::list_accounts)
        .service(accounts::get_account)
        .service(accounts::grant_staff_role)
        .service(accounts::revoke_staff_role)
        .service(service_accounts::create_client)
        .service(service_accounts::list_clients)
        .service(service_accounts::revoke_client)
        .service(service_accounts::rotate_secret)
        .service(associations::create_association)
        .service(associations::list_associations)
        .service(associations::get_association)
        .service(associations::update_association)
        .service(members::list_members)
        .service(members::invite_member)
        .service(members::change_member_role)
        .service(members::remove_member)
        .service(members::cancel_invitation)
        .service(members::resend_invitation)
        .service(members::accept_invitation)
        .service(documents::list_kinds)
        .service(documents::update_kind)
        .service(documents::file_document)
        .service(documents::list_documents)
        .service(documents::vault)
        .service(documents::download_document)
        .service(documents::review_document)
        .service(documents::attest)
        .service(documents::confirm_profile)
        .service(documents::declare_public_funding)
        .service(campaigns::create_campaign)
        .service(campaigns::list_campaigns)
        .service(campaigns::get_campaign)
        .service(campaigns::update_campaign)
        .service(campaigns::delete_campaign)
        .service(campaigns::publish_campaign)
        .service(campaigns::close_campaign)
        // Before `/requests/{request_id}`, which would take "changes" for an id.
        .service(tracking::changes)
        .service(requests::create_request)
        .service(requests::list_requests)
        .service(requests::get_request)
        .service(requests::update_request)
        .service(instruction::act_on_request)
        .service(messages::list_messages)
        .service(messages::write_message)
        .service(messages::mark_read)
        .service(messages::download_attachment)
        .service(messages::search_messages)
        .service(juries::create_jury)
        .service(juries::update_jury)
        .service(juries::get_jury)
        .service(juries::add_juror)
        .service(juries::withdraw_juror)
        .service(juries::jury_requests)
        .service(juries::seat_jurors)
        .service(juries::seat_juror)
        .service(juries::close_session)
        .service(juries::jury_minutes)
        .service(juries::validate_ranking)
        .service(jury_sheets::declare_interests)
        .service(jury_sheets::get_sheet)
        .service(jury_sheets::save_sheet)
        .service(jury_sheets::jury_result)
        .service(deliberations::create_deliberation)
        .service(deliberations::list_deliberations)
        .service(deliberations::get_deliberation)
        .service(deliberations::update_deliberation)
        .service(deliberations::delete_deliberation)
        .service(deliberations::add_line)
        .service(deliberations::remove_line)
        .service(deliberations::record_vote)
        .service(grants::get_grant)
        .service(grants::set_schedule)
        .service(grants::record_payment)
        .service(grants::payments_due)
        .service(grants::list_grants)
        .service(indicators::get_indicators)
        .service(grants::order_repayment)
        .service(grants::settle_repayment)
        .service(final_reports::get_final_report)
        .service(final_reports::file_final_report)
        .service(final_reports::accept_final_report)
        .service(final_reports::ask_report_changes)
        .service(agreements::list_agreements)
        .service(agreements::get_agreement)
        .service(agreements::update_agreement)
        .service(agreements::sign_agreement)
        .service(agreements::countersign_agreement)
        .service(agreements::agreement_document)
        .service(tracking::verify_history)
        .service(tracking::worklist)
        .service(notifications::get_preferences)
        .service(notifications::set_preferences)
        .service(notifications::list_outbox)
        .service(audit::list_audit_events)
        .service(webhooks::register_webhook)
        .service(webhooks::list_webhooks)
        .service(webhooks::remove_webhook)
        .service(webhooks::list_deliveries)
        .service(webhooks::redeliver);
}

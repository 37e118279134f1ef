//! The Diesel schema, one for both backends: UUIDs as Text, times as Timestamp (UTC).

diesel::table! {
    account_tokens (id) {
        id -> Text,
        account_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    districts (number) {
        number -> Integer,
        name -> Text,
        insee_code -> Text,
        town_hall -> Text,
    }
}

diesel::table! {
    district_postal_codes (postal_code) {
        postal_code -> Text,
        district_number -> Integer,
    }
}

diesel::table! {
    directions (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        active -> Bool,
    }
}

diesel::table! {
    sectors (code) {
        code -> Text,
        label -> Text,
        position -> Integer,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        email -> Text,
        email_key -> Text,
        display_name -> Text,
        password_hash -> Text,
        active -> Bool,
        created_at -> Timestamp,
        request_emails -> Bool,
        work_emails -> Text,
        email_verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_roles (id) {
        id -> Text,
        account_id -> Text,
        kind -> Text,
        direction_id -> Nullable<Text>,
        district_number -> Nullable<Integer>,
        granted_at -> Timestamp,
        granted_by -> Nullable<Text>,
    }
}

diesel::table! {
    service_accounts (id) {
        id -> Text,
        client_id -> Text,
        secret_hash -> Text,
        name -> Text,
        direction_id -> Text,
        active -> Bool,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
        previous_secret_hash -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    browser_sessions (token_hash) {
        token_hash -> Text,
        account_id -> Text,
        family_id -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    refresh_token_families (id) {
        id -> Text,
        account_id -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        user_agent -> Nullable<Text>,
        client_address -> Nullable<Text>,
        last_used_at -> Nullable<Timestamp>,
        strong -> Bool,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        token_hash -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Text,
        throttle_key -> Text,
        attempted_at -> Timestamp,
    }
}

diesel::table! {
    associations (id) {
        id -> Text,
        name -> Text,
        acronym -> Nullable<Text>,
        rna -> Nullable<Text>,
        siret -> Nullable<Text>,
        object -> Text,
        street -> Text,
        address_complement -> Nullable<Text>,
        postal_code -> Text,
        city -> Text,
        district_number -> Nullable<Integer>,
        creation_date -> Nullable<Date>,
        website -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        directory_consent -> Bool,
        legal_representative_name -> Nullable<Text>,
        legal_representative_function -> Nullable<Text>,
        legal_representative_email -> Nullable<Text>,
        legal_representative_phone -> Nullable<Text>,
        target_publics -> Text,
        action_districts -> Text,
        public_email -> Bool,
        public_phone -> Bool,
        public_website -> Bool,
        search_text -> Text,
        sort_key -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    document_kinds (code) {
        code -> Text,
        label -> Text,
        validity_rule -> Text,
        fiscal_year_offset -> Integer,
        grace_months -> Integer,
        max_age_months -> Nullable<Integer>,
        bank_details -> Bool,
        required_for_profile -> Bool,
        required_when -> Nullable<Text>,
        position -> Integer,
    }
}

diesel::table! {
    document_versions (id) {
        id -> Text,
        association_id -> Text,
        kind_code -> Text,
        fiscal_year -> Nullable<Integer>,
        valid_until -> Nullable<Date>,
        event_date -> Nullable<Date>,
        blob_sha256 -> Nullable<Text>,
        size_bytes -> Nullable<BigInt>,
        media_type -> Nullable<Text>,
        file_name -> Nullable<Text>,
        iban -> Nullable<Text>,
        bic -> Nullable<Text>,
        account_holder -> Nullable<Text>,
        filed_by -> Text,
        filed_at -> Timestamp,
        review_state -> Text,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        review_reason -> Nullable<Text>,
    }
}

diesel::table! {
    association_public_funding (association_id, fiscal_year) {
        association_id -> Text,
        fiscal_year -> Integer,
        cash_subsidies_cents -> BigInt,
        declared_by -> Text,
        declared_at -> Timestamp,
    }
}

diesel::table! {
    association_sectors (association_id, sector_code) {
        association_id -> Text,
        sector_code -> Text,
        position -> Integer,
    }
}

diesel::table! {
    association_members (association_id, account_id) {
        association_id -> Text,
        account_id -> Text,
        role -> Text,
        joined_at -> Timestamp,
    }
}

diesel::table! {
    association_invitations (id) {
        id -> Text,
        association_id -> Text,
        email -> Text,
        email_key -> Text,
        role -> Text,
        token_hash -> Text,
        invited_by -> Text,
        invited_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        accepted_by -> Nullable<Text>,
        cancelled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (account_id, idempotency_key) {
        account_id -> Text,
        idempotency_key -> Text,
        operation -> Text,
        request_hash -> Text,
        status -> Integer,
        response_headers -> Text,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Text,
        code -> Text,
        title -> Text,
        description -> Text,
        owner_direction_id -> Nullable<Text>,
        district_number -> Nullable<Integer>,
        nature -> Text,
        circuit -> Text,
        budget_year -> Integer,
        opens_at -> Timestamp,
        closes_at -> Nullable<Timestamp>,
        envelope_cents -> Nullable<BigInt>,
        required_documents -> Text,
        eligible_districts -> Text,
        eligible_sectors -> Text,
        max_requested_cents -> Nullable<BigInt>,
        min_association_age_months -> Nullable<Integer>,
        final_reports_required -> Bool,
        sla_admissibility_days -> Integer,
        sla_instruction_days -> Integer,
        status -> Text,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    request_counters (year) {
        year -> Integer,
        last_serial -> Integer,
    }
}

diesel::table! {
    requests (id) {
        id -> Text,
        number -> Nullable<Text>,
        campaign_id -> Text,
        association_id -> Text,
        circuit -> Text,
        local_district -> Nullable<Integer>,
        state -> Text,
        state_since -> Timestamp,
        resume_state -> Nullable<Text>,
        title -> Text,
        search_text -> Text,
        summary -> Text,
        objectives -> Text,
        target_public -> Text,
        expected_beneficiaries -> Nullable<Integer>,
        districts -> Text,
        start_date -> Nullable<Date>,
        end_date -> Nullable<Date>,
        nature -> Text,
        renews_request_id -> Nullable<Text>,
        requested_cents -> BigInt,
        proposed_cents -> Nullable<BigInt>,
        budget -> Text,
        indicators -> Text,
        sla_due_at -> Nullable<Timestamp>,
        submitted_at -> Nullable<Timestamp>,
        head_hash -> Text,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        dispatch_waiting_since -> Nullable<Timestamp>,
    }
}

diesel::table! {
    request_figures (request_id) {
        request_id -> Text,
        association_id -> Text,
        campaign_id -> Text,
        state -> Text,
        nature -> Text,
        requested_cents -> BigInt,
        proposed_cents -> Nullable<BigInt>,
        sla_due_at -> Nullable<Timestamp>,
        lead -> Nullable<Text>,
        voted_cents -> Nullable<BigInt>,
        paid_cents -> Nullable<BigInt>,
        voted_on -> Nullable<Date>,
        first_paid_on -> Nullable<Date>,
    }
}

diesel::table! {
    request_spans (request_id, step) {
        request_id -> Text,
        step -> Text,
        days_tenths -> BigInt,
        waiting_tenths -> BigInt,
    }
}

diesel::table! {
    backfills (name) {
        name -> Text,
    }
}

diesel::table! {
    request_instructors (request_id, instructor) {
        request_id -> Text,
        instructor -> Text,
        lead -> Bool,
        position -> Integer,
        opinion -> Nullable<Text>,
        proposed_cents -> Nullable<BigInt>,
        public_comment -> Nullable<Text>,
        internal_comment -> Nullable<Text>,
        opinion_at -> Nullable<Timestamp>,
        waiting_since -> Nullable<Timestamp>,
    }
}

diesel::table! {
    request_documents (request_id, kind_code) {
        request_id -> Text,
        kind_code -> Text,
        version_id -> Text,
    }
}

diesel::table! {
    kept_views (request_id, kind) {
        request_id -> Text,
        kind -> Text,
        key -> Text,
        body -> Text,
        fresh_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    request_events (id) {
        id -> Text,
        request_id -> Text,
        seq -> Integer,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        actor_account_id -> Nullable<Text>,
        actor_service_id -> Nullable<Text>,
        actor_name -> Text,
        occurred_at -> Timestamp,
        visibility -> Text,
        public_message -> Nullable<Text>,
        internal_note -> Nullable<Text>,
        details -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    request_messages (event_id) {
        event_id -> Text,
        request_id -> Text,
        seq -> Integer,
        thread -> Text,
        side -> Text,
        author_account_id -> Nullable<Text>,
        written_at -> Timestamp,
        search_text -> Text,
    }
}

diesel::table! {
    message_attachments (id) {
        id -> Text,
        event_id -> Text,
        request_id -> Text,
        position -> Integer,
        file_name -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        blob_sha256 -> Text,
        document_version_id -> Nullable<Text>,
    }
}

diesel::table! {
    late_steps_told (account_id, request_id, due_at) {
        account_id -> Text,
        request_id -> Text,
        due_at -> Timestamp,
        told_at -> Timestamp,
    }
}

diesel::table! {
    message_reads (request_id, account_id) {
        request_id -> Text,
        account_id -> Text,
        side -> Text,
        read_seq -> Integer,
        read_at -> Timestamp,
    }
}

diesel::table! {
    request_changes (audience, seq) {
        seq -> BigInt,
        audience -> Text,
        request_id -> Text,
        changed_at -> Timestamp,
        kept -> Bool,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        channel -> Text,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        html -> Nullable<Text>,
        request_id -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        available_at -> Timestamp,
        leased_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        direction_id -> Nullable<Text>,
        url -> Text,
        secret -> Text,
        event_types -> Text,
        active -> Bool,
        created_by_account -> Nullable<Text>,
        created_by_service -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    digest_items (id) {
        id -> Text,
        account_id -> Text,
        request_id -> Text,
        created_at -> Timestamp,
        digested_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    juries (campaign_id) {
        campaign_id -> Text,
        criteria -> Text,
        normalise -> Bool,
        min_scores -> Integer,
        min_score -> Integer,
        last_request -> Text,
        jurors_per_request -> Nullable<Integer>,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closes_on -> Nullable<Date>,
    }
}

diesel::table! {
    jury_members (campaign_id, account_id) {
        campaign_id -> Text,
        account_id -> Text,
        chair -> Bool,
        joined_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    jury_seats (request_id, account_id) {
        request_id -> Text,
        account_id -> Text,
        campaign_id -> Text,
        seated_at -> Timestamp,
        declaration -> Nullable<Text>,
        conflict_reason -> Nullable<Text>,
        automatic -> Bool,
        declared_at -> Nullable<Timestamp>,
        points -> Nullable<Text>,
        handed_in_at -> Nullable<Timestamp>,
        score -> Nullable<Double>,
    }
}

diesel::table! {
    jury_results (request_id) {
        request_id -> Text,
        campaign_id -> Text,
        place -> Integer,
        score -> Nullable<Double>,
        normalised -> Nullable<Double>,
        sheets -> Integer,
        flagged -> Bool,
        funded_cents -> BigInt,
        allotment -> Text,
    }
}

diesel::table! {
    deliberations (id) {
        id -> Text,
        reference -> Text,
        council -> Text,
        district_number -> Nullable<Integer>,
        session_on -> Date,
        title -> Text,
        status -> Text,
        outcome -> Nullable<Text>,
        voted_on -> Nullable<Date>,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    deliberation_lines (deliberation_id, request_id) {
        deliberation_id -> Text,
        request_id -> Text,
        proposed_cents -> BigInt,
        voted_cents -> Nullable<BigInt>,
        added_at -> Timestamp,
    }
}

diesel::table! {
    agreements (id) {
        id -> Text,
        reference -> Text,
        association_id -> Text,
        object -> Text,
        years -> Text,
        first_year -> Integer,
        last_year -> Integer,
        payment_days -> Integer,
        status -> Text,
        association_signer_id -> Nullable<Text>,
        association_signer -> Nullable<Text>,
        association_signed_at -> Nullable<Timestamp>,
        city_signer_id -> Nullable<Text>,
        city_signer -> Nullable<Text>,
        city_signed_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    grants (request_id) {
        request_id -> Text,
        association_id -> Text,
        deliberation_id -> Text,
        cents -> BigInt,
        year -> Integer,
        voted_on -> Date,
        notified_on -> Date,
        agreement_id -> Nullable<Text>,
        final_report_due_on -> Date,
        paid_cents -> BigInt,
        payable_cents -> BigInt,
        due_on -> Nullable<Date>,
        report_accepted_on -> Nullable<Date>,
        claimed_cents -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    installments (request_id, position) {
        request_id -> Text,
        position -> Integer,
        cents -> BigInt,
        due -> Text,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        request_id -> Text,
        cents -> BigInt,
        paid_on -> Date,
        reference -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    association_terms (term, association_id) {
        term -> Text,
        association_id -> Text,
    }
}

diesel::table! {
    directory_terms (term, association_id) {
        term -> Text,
        association_id -> Text,
        weight -> Integer,
        sort_key -> Text,
    }
}

diesel::table! {
    final_reports (request_id) {
        request_id -> Text,
        status -> Text,
        budget -> Text,
        indicators -> Text,
        summary -> Text,
        beneficiaries_reached -> Nullable<BigInt>,
        annex -> Nullable<Text>,
        attachments -> Text,
        times_filed -> Integer,
        filed_by -> Text,
        filed_at -> Timestamp,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        review_reason -> Nullable<Text>,
        version -> BigInt,
    }
}

diesel::table! {
    repayments (id) {
        id -> Text,
        request_id -> Text,
        cents -> BigInt,
        reason -> Text,
        breach_on -> Nullable<Date>,
        ordered_by -> Text,
        ordered_at -> Timestamp,
        settled_on -> Nullable<Date>,
        settled_by -> Nullable<Text>,
        settled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    request_assignees (request_id) {
        request_id -> Text,
        account_id -> Text,
        assigned_by -> Text,
        assigned_at -> Timestamp,
    }
}

diesel::table! {
    request_followers (account_id, request_id) {
        account_id -> Text,
        request_id -> Text,
        followed_at -> Timestamp,
    }
}

diesel::table! {
    saved_filters (id) {
        id -> Text,
        account_id -> Text,
        list -> Text,
        name -> Text,
        query -> Text,
        shared_with -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(district_postal_codes -> districts (district_number));
diesel::joinable!(staff_roles -> directions (direction_id));
diesel::joinable!(staff_roles -> accounts (account_id));
diesel::joinable!(service_accounts -> directions (direction_id));
diesel::joinable!(association_sectors -> associations (association_id));
diesel::joinable!(request_figures -> requests (request_id));
diesel::joinable!(request_spans -> requests (request_id));
diesel::joinable!(association_sectors -> sectors (sector_code));
diesel::joinable!(association_members -> associations (association_id));
diesel::joinable!(association_members -> accounts (account_id));
diesel::joinable!(account_tokens -> accounts (account_id));
diesel::joinable!(refresh_tokens -> refresh_token_families (family_id));
diesel::joinable!(browser_sessions -> refresh_token_families (family_id));
diesel::joinable!(browser_sessions -> accounts (account_id));
diesel::joinable!(document_versions -> document_kinds (kind_code));
diesel::joinable!(requests -> campaigns (campaign_id));
diesel::joinable!(requests -> associations (association_id));
diesel::joinable!(request_instructors -> requests (request_id));
diesel::joinable!(request_documents -> requests (request_id));
diesel::joinable!(request_documents -> document_versions (version_id));
diesel::joinable!(request_events -> requests (request_id));
diesel::joinable!(kept_views -> requests (request_id));
diesel::joinable!(request_assignees -> requests (request_id));
diesel::joinable!(request_followers -> requests (request_id));
diesel::joinable!(saved_filters -> accounts (account_id));
diesel::joinable!(request_messages -> requests (request_id));
diesel::joinable!(message_reads -> requests (request_id));
diesel::joinable!(digest_items -> accounts (account_id));
diesel::joinable!(digest_items -> requests (request_id));
diesel::joinable!(request_changes -> requests (request_id));
diesel::joinable!(jury_members -> accounts (account_id));
diesel::joinable!(jury_seats -> accounts (account_id));
diesel::joinable!(jury_seats -> requests (request_id));
diesel::joinable!(jury_results -> requests (request_id));
diesel::joinable!(deliberation_lines -> deliberations (deliberation_id));
diesel::joinable!(deliberation_lines -> requests (request_id));
diesel::joinable!(grants -> requests (request_id));
diesel::joinable!(grants -> deliberations (deliberation_id));
diesel::joinable!(grants -> agreements (agreement_id));
diesel::joinable!(installments -> grants (request_id));
diesel::joinable!(payments -> grants (request_id));
diesel::joinable!(final_reports -> grants (request_id));
diesel::joinable!(directory_terms -> associations (association_id));
diesel::joinable!(association_terms -> associations (association_id));
diesel::joinable!(repayments -> grants (request_id));

diesel::table! {
    audit_events (id) {
        id -> Text,
        occurred_at -> Timestamp,
        action -> Text,
        actor_account_id -> Nullable<Text>,
        actor_service_id -> Nullable<Text>,
        actor_identifier -> Nullable<Text>,
        subject -> Nullable<Text>,
        client_address -> Nullable<Text>,
        details -> Text,
    }
}

diesel::table! {
    totp_credentials (account_id) {
        account_id -> Text,
        secret -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        last_used_step -> Nullable<BigInt>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Text,
        account_id -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sso_logins (id) {
        id -> Text,
        state_hash -> Text,
        nonce -> Text,
        code_verifier -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sso_identities (issuer, subject) {
        issuer -> Text,
        subject -> Text,
        account_id -> Text,
        linked_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    account_tokens,
    audit_events,
    totp_credentials,
    recovery_codes,
    sso_logins,
    sso_identities,
    districts,
    district_postal_codes,
    directions,
    sectors,
    accounts,
    staff_roles,
    service_accounts,
    refresh_token_families,
    browser_sessions,
    refresh_tokens,
    login_attempts,
    associations,
    association_sectors,
    association_members,
    association_invitations,
    idempotency_keys,
    document_kinds,
    document_versions,
    association_public_funding,
    campaigns,
    request_counters,
    requests,
    request_instructors,
    request_documents,
    kept_views,
    request_events,
    request_changes,
    outbox,
    digest_items,
    webhook_endpoints,
    juries,
    jury_members,
    jury_seats,
    jury_results,
    deliberations,
    deliberation_lines,
    agreements,
    grants,
    installments,
    payments,
    final_reports,
    repayments,
    directory_terms,
    association_terms,
    request_assignees,
    request_followers,
    saved_filters,
    request_messages,
    message_attachments,
    message_reads,
    late_steps_told,
    request_figures,
    request_spans,
    backfills,
);

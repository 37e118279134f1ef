//! What `simpa serve` puts together: the JSON API (simpa-api) and the portal (simpa-web),
//! side by side on the same application layer.

use simpa_api::Services;

/// Plugs the portal's pages into the services, after the API's routes.
pub fn mount_portal(services: &mut Services) -> Result<(), String> {
    let config = &services.state.config;
    let settings = simpa_web::PortalSettings::new(
        config.city.clone(),
        config.throttle,
        config.session_rules(),
        config.trust_forwarded_for,
        config.upload_limit,
        &config.mail.account_links.0,
        config.hsts,
    );
    let theme = simpa_web::theme::Theme {
        colour: config.city_colour,
        accent: config.city_accent,
        logo: config
            .city_logo
            .as_deref()
            .map(simpa_web::theme::Logo::read)
            .transpose()?,
        links: config.city_links.clone(),
    };
    let settings = simpa_web::PortalSettings {
        webhook_allowed_hosts: config.webhook_allowed_hosts.clone(),
        ..settings.themed(theme)
    };
    let portal = simpa_web::Portal::new(services.state.runtime.clone(), settings)?;
    services.pages = Some(std::sync::Arc::new(simpa_web::mount(portal)));
    Ok(())
}

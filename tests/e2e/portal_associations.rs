//! An association's pages in the portal: creating one (its numbers checked, each mistake said
//! at its field), its page with its members, and its president inviting someone; another
//! association's page is not found.

use crate::portal::{hidden, shown};
use crate::portal_sessions::{csrf_of, sign_in};
use simpa_tests::browser::Browser;
use simpa_tests::client::PASSWORD;
use simpa_tests::{Backend, TestApp, on_both_backends};

/// A browser signed in as a new person of `email`.
pub(crate) fn signed_in_browser(app: &TestApp, email: &str) -> Browser {
    app.new_user(email);
    let browser = Browser::default();
    let signed_in = sign_in(&browser, app, email, PASSWORD, "/compte");
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    browser
}

/// The creation form's fields, `changes` replacing the good ones.
fn association_form<'a>(csrf: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("csrf", csrf),
        ("name", "Théâtre du Faubourg"),
        ("acronym", ""),
        ("rna", "W751000001"),
        ("siret", "52499120500013"),
        ("object", "Faire vivre le théâtre dans le quartier."),
        ("address_street", "12 rue de la Roquette"),
        ("address_complement", ""),
        ("address_postal_code", "75011"),
        ("address_city", "Paris"),
        ("email", ""),
        ("phone", ""),
        ("website", ""),
    ];
    for (name, value) in changes {
        let field = fields.iter_mut().find(|(n, _)| n == name).expect("a field");
        field.1 = value;
    }
    fields
}

fn an_association_is_created_and_its_president_invites_from_the_pages(backend: Backend) {
    let app = TestApp::start(backend);
    let president = signed_in_browser(&app, "presidente@exemple.org");
    let csrf = csrf_of(&president, &app, "/associations/nouvelle");
    let target = app.url("/associations/nouvelle");

    // Every mistake at once, each at its field, in words that say how to fix it.
    let wrong = association_form(
        &csrf,
        &[
            ("name", ""),
            ("rna", "X12"),
            ("siret", "52499120500014"),
            ("address_postal_code", "7501"),
        ],
    );
    let (status, page) = president.post_form(&target, &wrong, Some(&app.base));
    assert_eq!(status, 422, "{page}");
    let page = shown(&page);
    for field in ["name", "rna", "siret", "address_postal_code"] {
        assert!(
            page.contains(&format!("href=\"#{field}\"")),
            "{field}: {page}"
        );
        assert!(
            page.contains(&format!("id=\"{field}-erreur\"")),
            "{field}: {page}"
        );
    }
    assert!(!page.contains("href=\"#object\""), "{page}");
    assert!(
        page.contains("Saisissez le nom de l'association."),
        "{page}"
    );
    assert!(page.contains("clé de contrôle incorrecte"), "{page}");
    assert!(
        page.contains("value=\"52499120500014\""),
        "what was typed stays: {page}"
    );
    assert!(
        page.contains("Faire vivre le théâtre dans le quartier.</textarea>"),
        "{page}"
    );

    let created = president.submit(&target, &association_form(&csrf, &[]), Some(&app.base));
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.location.expect("the association's page");
    let path = location
        .strip_prefix(&app.base)
        .expect("on this site")
        .to_owned();
    assert!(path.starts_with("/associations/"), "{path}");
    let (status, _, page) = president.go(&location);
    assert_eq!(status, 200, "{page}");
    let page = shown(&page);
    assert!(page.contains("<title>Théâtre du Faubourg – "), "{page}");
    assert!(
        page.contains("W751000001") && page.contains("52499120500013"),
        "{page}"
    );
    assert!(page.contains("11e arrondissement"), "{page}");
    assert!(page.contains("Président·e"), "{page}");
    let (_, _, account) = president.go(&app.url("/compte"));
    assert!(
        shown(&account).contains(&format!("href=\"{path}\"")),
        "{account}"
    );

    // The same RNA again, by someone else: said at its field.
    let other = signed_in_browser(&app, "autre@exemple.org");
    let csrf_other = csrf_of(&other, &app, "/associations/nouvelle");
    let (status, page) = other.post_form(
        &target,
        &association_form(&csrf_other, &[("siret", "")]),
        Some(&app.base),
    );
    assert_eq!(status, 422, "{page}");
    assert!(
        shown(&page).contains("déjà inscrite avec le numéro RNA W751000001"),
        "{page}"
    );
    assert!(shown(&page).contains("href=\"#rna\""), "{page}");
    // Another association's page, or its invitations: not found.
    let (status, _, page) = other.go(&location);
    assert_eq!(status, 404, "{page}");
    assert!(page.contains("Page introuvable"), "{page}");
    let invitations = format!("{location}/invitations");
    let invitation = [
        ("csrf", csrf_other.as_str()),
        ("invite_email", "x@exemple.org"),
        ("invite_role", "manager"),
    ];
    let (status, _) = other.post_form(&invitations, &invitation, Some(&app.base));
    assert_eq!(status, 404);

    // The president invites: a mistake is said at its field; then the e-mail leaves.
    let (_, _, page) = president.go(&location);
    let csrf = hidden(&page, "csrf");
    let (status, page) = president.post_form(
        &invitations,
        &[("csrf", &csrf), ("invite_email", "tresorier-at-exemple")],
        Some(&app.base),
    );
    assert_eq!(status, 422, "{page}");
    let page = shown(&page);
    assert!(
        page.contains("href=\"#invite_email\"") && page.contains("href=\"#invite_role\""),
        "{page}"
    );
    let email = "tresorier@exemple.org";
    let (status, page) = president.post_form(
        &invitations,
        &[
            ("csrf", &csrf),
            ("invite_email", email),
            ("invite_role", "treasurer"),
        ],
        Some(&app.base),
    );
    assert_eq!(status, 200, "{page}");
    let page = shown(&page);
    assert!(
        page.contains(&format!("Un e-mail d'invitation est parti à {email}")),
        "{page}"
    );
    assert!(
        page.contains(&format!("{email} (Trésorier·ère)")),
        "pending: {page}"
    );
    let token = app.mailed_token(
        email,
        "Vous êtes invité·e à rejoindre une association : Théâtre du Faubourg",
    );
    // Invited again while pending: said at the field.
    let (status, page) = president.post_form(
        &invitations,
        &[
            ("csrf", &csrf),
            ("invite_email", email),
            ("invite_role", "treasurer"),
        ],
        Some(&app.base),
    );
    assert_eq!(status, 422, "{page}");
    assert!(
        shown(&page).contains("Cette adresse est déjà invitée."),
        "{page}"
    );

    // The treasurer joins from the link; they see the page but not the form to invite.
    let treasurer = signed_in_browser(&app, email);
    let link = format!("/compte/invitation?jeton={token}");
    let csrf_treasurer = csrf_of(&treasurer, &app, &link);
    let joined = treasurer.submit(
        &app.url("/compte/invitation"),
        &[("csrf", &csrf_treasurer), ("jeton", &token)],
        Some(&app.base),
    );
    assert_eq!(joined.status, 200, "{}", joined.body);
    let (status, _, page) = treasurer.go(&location);
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("Inviter une personne"), "{page}");
    let (status, _) = treasurer.post_form(
        &invitations,
        &[
            ("csrf", &csrf_treasurer),
            ("invite_email", "x@exemple.org"),
            ("invite_role", "manager"),
        ],
        Some(&app.base),
    );
    assert_eq!(status, 404, "only the president invites");

    // The president manages the people: the address of each deed is on her page.
    let (_, _, page) = president.go(&location);
    let deeds = |page: &str| -> String {
        let page = shown(page);
        page[page.find(">Membres</h2>").expect("the members")..].to_owned()
    };
    let page = deeds(&page);
    // The first form after the person's address whose address ends so.
    let deed = |page: &str, after: &str, ends: &str| -> String {
        let from = page.find(after).expect("the person on the page");
        let address = page[from..]
            .split("action=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().expect("its end"))
            .find(|address| address.ends_with(ends))
            .expect("the form");
        app.url(address)
    };
    let treasurer_role = deed(&page, email, "/role");
    let treasurer_removal = deed(&page, email, "/retrait");
    let own_role = deed(&page, "presidente@exemple.org", "/role");
    // Only she may: the treasurer's attempt is not found, and changes nothing.
    let (status, _) = treasurer.post_form(
        &own_role,
        &[("csrf", &csrf_treasurer), ("role", "treasurer")],
        Some(&app.base),
    );
    assert_eq!(status, 404, "only the president manages the members");
    // The association keeps a president: said at her own role's field.
    let (status, page) = president.post_form(
        &own_role,
        &[("csrf", &csrf), ("role", "treasurer")],
        Some(&app.base),
    );
    assert_eq!(status, 422, "{page}");
    let page = shown(&page);
    assert!(
        page.contains("doit garder au moins un·e président·e"),
        "{page}"
    );
    assert!(page.contains("href=\"#role-"), "{page}");
    let (status, page) = president.post_form(
        &treasurer_role,
        &[("csrf", &csrf), ("role", "manager")],
        Some(&app.base),
    );
    assert_eq!(status, 200, "{page}");
    assert!(
        shown(&page).contains("est désormais gestionnaire de l'association"),
        "{page}"
    );
    // An invitation sent again leaves with a new link; cancelled, it is gone.
    let invited = "benevole@exemple.org";
    let (status, _) = president.post_form(
        &invitations,
        &[
            ("csrf", &csrf),
            ("invite_email", invited),
            ("invite_role", "manager"),
        ],
        Some(&app.base),
    );
    assert_eq!(status, 200);
    let first = app.mailed_token(invited, "Vous êtes invité·e%");
    let (_, _, page) = president.go(&location);
    let resend = deed(&deeds(&page), invited, "/renvoi");
    let (status, page) = president.post_form(&resend, &[("csrf", &csrf)], Some(&app.base));
    assert_eq!(status, 200, "{page}");
    assert!(
        shown(&page).contains(&format!("L'invitation est repartie à {invited}")),
        "{page}"
    );
    assert_ne!(app.mailed_token(invited, "Vous êtes invité·e%"), first);
    let cancel = resend.replace("/renvoi", "/annulation");
    let (status, page) = president.post_form(&cancel, &[("csrf", &csrf)], Some(&app.base));
    assert_eq!(status, 200, "{page}");
    let page = shown(&page);
    assert!(
        page.contains(&format!("L'invitation de {invited} est annulée")),
        "{page}"
    );
    assert!(
        !page.contains(&format!("{invited} (Gestionnaire)")),
        "{page}"
    );
    // The former treasurer removed, the association's page is no longer theirs.
    let (status, page) =
        president.post_form(&treasurer_removal, &[("csrf", &csrf)], Some(&app.base));
    assert_eq!(status, 200, "{page}");
    assert!(
        shown(&page).contains("ne fait plus partie de l'association"),
        "{page}"
    );
    let (status, _, _) = treasurer.go(&location);
    assert_eq!(status, 404);

    // She leaves once another presides: to her account's page, the association no longer hers.
    let invited = "copresident@exemple.org";
    let (status, _) = president.post_form(
        &invitations,
        &[
            ("csrf", &csrf),
            ("invite_email", invited),
            ("invite_role", "president"),
        ],
        Some(&app.base),
    );
    assert_eq!(status, 200);
    let token = app.mailed_token(invited, "Vous êtes invité·e%");
    let other = app.new_user(invited);
    crate::members::accept(&app, &other, &token).expect(201);
    let own_removal = own_role.replace("/role", "/retrait");
    let left = president.submit(&own_removal, &[("csrf", &csrf)], Some(&app.base));
    assert_eq!(left.status, 303, "{}", left.body);
    assert_eq!(left.location, Some(app.url("/compte")));
    let (status, _, _) = president.go(&location);
    assert_eq!(status, 404);
}

fn the_profile_is_edited_and_its_directory_card_previewed(backend: Backend) {
    let app = TestApp::start(backend);
    let president = signed_in_browser(&app, "presidente@exemple.org");
    let csrf = csrf_of(&president, &app, "/associations/nouvelle");
    let created = president.submit(
        &app.url("/associations/nouvelle"),
        &association_form(&csrf, &[]),
        Some(&app.base),
    );
    let location = created.location.expect("the association's page");
    let profile = format!("{location}/profil");
    let (_, _, page) = president.go(&location);
    assert!(
        shown(&page).contains("/profil\">Modifier le profil"),
        "{page}"
    );
    let (status, _, page) = president.go(&profile);
    assert_eq!(status, 200, "{page}");
    let page = shown(&page);
    assert!(
        page.contains("<title>Profil – Théâtre du Faubourg"),
        "{page}"
    );
    assert!(
        page.contains("L'association n'apparaît pas dans l'annuaire"),
        "{page}"
    );
    assert!(page.contains("value=\"12 rue de la Roquette\""), "{page}");
    let version = hidden(&page, "version");

    // The identifiers checked as they are typed: for someone signed in, the fields it checks.
    let check = |field: &str, value: &str| {
        app.url(&format!(
            "/associations/verification?champ={field}&valeur={value}"
        ))
    };
    let (status, _, body) = president.go(&check("siret", "52499120500014"));
    assert_eq!(status, 200, "{body}");
    let told: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert!(
        told["refused"]
            .as_str()
            .is_some_and(|m| m.contains("52499120500014")),
        "{told}"
    );
    let (_, _, body) = president.go(&check("address_postal_code", "75011"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).expect("JSON"),
        serde_json::json!({"refused": null, "noted": "11e arrondissement de Paris"})
    );
    let (status, _, _) = president.go(&check("name", "x"));
    assert_eq!(status, 404, "not a field checked so");
    let (status, location_to, _) = Browser::default().go(&check("rna", "W1"));
    assert_eq!(status, 303, "signed in first");
    assert!(location_to.is_some_and(|to| to.contains("/connexion")));

    // Someone else: not found, whether reading or sending.
    let stranger = signed_in_browser(&app, "curieux@exemple.org");
    let (status, _, _) = stranger.go(&profile);
    assert_eq!(status, 404);
    let stranger_csrf = csrf_of(&stranger, &app, "/compte");
    let mut fields = association_form(&stranger_csrf, &[("name", "Pris")]);
    fields.push(("version", &version));
    let (status, _) = stranger.post_form(&profile, &fields, Some(&app.base));
    assert_eq!(status, 404);

    // A mistake is said at its field, what was typed kept.
    let mut fields = association_form(&csrf, &[("address_postal_code", "7501")]);
    fields.extend([("version", version.as_str()), ("directory", "oui")]);
    let (status, page) = president.post_form(&profile, &fields, Some(&app.base));
    assert_eq!(status, 422, "{page}");
    let page = shown(&page);
    assert!(page.contains("href=\"#address_postal_code\""), "{page}");
    assert!(page.contains("value=\"7501\""), "{page}");

    // Listed, with its e-mail shown and not its phone: the card says so, to anyone.
    let object = "Du théâtre pour les enfants du quartier, le mercredi.";
    let changes = [
        ("object", object),
        ("email", "contact@theatre-faubourg.fr"),
        ("phone", "01 43 55 00 00"),
    ];
    let mut fields = association_form(&csrf, &changes);
    fields.extend([
        ("version", version.as_str()),
        ("directory", "oui"),
        ("public_email", "oui"),
    ]);
    let (status, page) = president.post_form(&profile, &fields, Some(&app.base));
    assert_eq!(status, 200, "{page}");
    let page = shown(&page);
    assert!(page.contains("Profil enregistré"), "{page}");
    let preview = &page[page.find("Sa fiche dans l'annuaire").expect("the preview")..];
    assert!(preview.contains(object), "{preview}");
    assert!(preview.contains("contact@theatre-faubourg.fr"), "{preview}");
    assert!(!preview.contains("01 43 55 00 00"), "{preview}");
    let id = location.rsplit('/').next().expect("its id");
    let (status, _, card) = Browser::default().go(&app.url(&format!("/annuaire/{id}")));
    assert_eq!(status, 200, "{card}");
    assert!(
        shown(&card).contains("contact@theatre-faubourg.fr"),
        "{card}"
    );

    // The form made before that change is out of date: said, nothing changed.
    let mut fields = association_form(&csrf, &[("name", "Un autre nom")]);
    fields.extend([("version", version.as_str()), ("directory", "oui")]);
    let (status, page) = president.post_form(&profile, &fields, Some(&app.base));
    assert_eq!(status, 422, "{page}");
    assert!(
        shown(&page).contains("Quelqu'un a modifié le profil"),
        "{page}"
    );
    let (_, _, page) = president.go(&location);
    assert!(
        shown(&page).contains("<title>Théâtre du Faubourg – "),
        "{page}"
    );
}

on_both_backends!(
    an_association_is_created_and_its_president_invites_from_the_pages,
    the_profile_is_edited_and_its_directory_card_previewed
);

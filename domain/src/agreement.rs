//! Agreements (conventions d'objectifs): a grant above 23,000 € (or taking its association
//! above it over twelve months) is paid only once an agreement defining its object, amount,
//! payment terms and conditions of use is signed by the association's legal representative,
//! then by the city. A multi-year agreement (up to four years) states each year's amount; the
//! grants of its later years are covered by it. French rules §4.2, §4.7.

use crate::coded_enum;
use crate::funding::{
    AgreementGate, GrantMoney, Installment, MAX_AGREEMENT_YEARS, PAYMENT_DAYS, agreement_required,
    default_schedule, final_report_due_on, financial_year_end,
};
use crate::ids::AssociationId;
use crate::money::euros;
use crate::text;
use crate::{Checks, DomainError, Violation};
use chrono::NaiveDate;

coded_enum! {
    /// Where an agreement's signatures stand.
    pub enum AgreementStatus {
        /// Drawn up from the template; the bureau may still edit its terms.
        Drafted = ("drafted", "À signer par l'association"),
        SignedByAssociation = ("signed_by_association", "Signée par l'association, à signer par la Ville"),
        Signed = ("signed", "Signée par les deux parties"),
    }
}

/// One year's amount of an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearAmount {
    pub year: i32,
    pub cents: i64,
}

/// What the bureau may change in an agreement before the association signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementTerms {
    pub object: String,
    /// The first year is the grant that opened the agreement; the others follow it.
    pub years: Vec<YearAmount>,
    /// Days within which the city pays what is due (60 unless the agreement says otherwise).
    pub payment_days: u32,
}

pub const MAX_PAYMENT_DAYS: u32 = 365;

/// Terms that hold: an object; one to four consecutive years starting with the first grant it
/// covers, whose amount is the one voted, and still covering the later grants it covers
/// (`covered`, the first first); positive amounts; a payment delay of 1 to 365 days.
pub fn check_terms(
    object: &str,
    years: &[YearAmount],
    payment_days: u32,
    covered: &[YearAmount],
) -> Result<AgreementTerms, DomainError> {
    let mut checks = Checks::default();
    let first = covered
        .first()
        .copied()
        .unwrap_or(YearAmount { year: 0, cents: 0 });
    let object = checks.check("object", text::paragraphs(object, 1, 4000));
    if years.is_empty() || years.len() > MAX_AGREEMENT_YEARS as usize {
        checks.push(
            Violation::new(
                "agreement.years",
                format!("Une convention couvre de 1 à {MAX_AGREEMENT_YEARS} années."),
            )
            .at("years"),
        );
    }
    for (i, year) in years.iter().enumerate() {
        let expected = first.year + i as i32;
        if year.year != expected {
            checks.push(
                Violation::new(
                    "agreement.years_consecutive",
                    format!(
                        "Les années d'une convention se suivent à partir de celle de la subvention : {expected} est attendue ici."
                    ),
                )
                .at(format!("years[{i}].year")),
            );
        }
        if let Err(v) = crate::money::check_whole_euros(year.cents, true) {
            checks.push(v.at(format!("years[{i}].cents")));
        }
    }
    if years.first().is_some_and(|y| y.cents != first.cents) {
        checks.push(
            Violation::new(
                "agreement.first_year_amount",
                format!(
                    "La première année est celle de la subvention votée : {}.",
                    euros(first.cents)
                ),
            )
            .at("years[0].cents"),
        );
    }
    // The grants it already covers stay covered.
    for grant in covered.iter().skip(1) {
        if !years
            .iter()
            .any(|y| y.year == grant.year && y.cents >= grant.cents)
        {
            checks.push(
                Violation::new(
                    "agreement.grant_uncovered",
                    format!(
                        "La convention couvre déjà une subvention de {} en {} : cette année et ce montant restent.",
                        euros(grant.cents),
                        grant.year
                    ),
                )
                .at("years"),
            );
        }
    }
    if !(1..=MAX_PAYMENT_DAYS).contains(&payment_days) {
        checks.push(
            Violation::new(
                "agreement.payment_days",
                format!("Le délai de paiement compte de 1 à {MAX_PAYMENT_DAYS} jours."),
            )
            .at("payment_days"),
        );
    }
    match (checks.is_empty(), object) {
        (true, Some(object)) => Ok(AgreementTerms {
            object,
            years: years.to_vec(),
            payment_days,
        }),
        _ => Err(checks.into_error()),
    }
}

/// The bureau edits the terms of a drafted agreement only: once the association has signed,
/// they are what it agreed to.
pub fn check_editable(status: AgreementStatus) -> Result<(), DomainError> {
    match status {
        AgreementStatus::Drafted => Ok(()),
        _ => Err(DomainError::conflict(
            "agreement.signed",
            None,
            "La convention a déjà été signée : ses termes ne changent plus.",
        )),
    }
}

/// The association's legal representative signs first.
pub fn sign_by_association(status: AgreementStatus) -> Result<AgreementStatus, DomainError> {
    match status {
        AgreementStatus::Drafted => Ok(AgreementStatus::SignedByAssociation),
        _ => Err(already_signed()),
    }
}

/// Then the city countersigns.
pub fn countersign(status: AgreementStatus) -> Result<AgreementStatus, DomainError> {
    match status {
        AgreementStatus::SignedByAssociation => Ok(AgreementStatus::Signed),
        AgreementStatus::Drafted => Err(DomainError::conflict(
            "agreement.association_signature_missing",
            None,
            "L'association n'a pas encore signé la convention : la Ville signe après elle.",
        )),
        AgreementStatus::Signed => Err(already_signed()),
    }
}

fn already_signed() -> DomainError {
    DomainError::conflict(
        "agreement.already_signed",
        None,
        "Cette signature a déjà été donnée.",
    )
}

/// An agreement of the association, as a new grant is matched against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cover<Id> {
    pub id: Id,
    pub years: Vec<YearAmount>,
    /// The years for which a grant already uses it.
    pub used: Vec<i32>,
}

impl<Id> Cover<Id> {
    /// Whether it covers a grant of `cents` for `year`: it states that year with at least that
    /// amount, and no other grant of that year uses it yet.
    pub fn covers(&self, grant: YearAmount) -> bool {
        !self.used.contains(&grant.year)
            && self
                .years
                .iter()
                .any(|y| y.year == grant.year && y.cents >= grant.cents)
    }
}

/// A grant a vote has just made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Voted {
    pub association: AssociationId,
    pub grant: YearAmount,
}

/// What a new grant needs before it is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementNeed<Id> {
    Nothing,
    /// An agreement of the association already covers it.
    CoveredBy(Id),
    /// An agreement of its own, to draw up.
    New,
}

/// What each grant of a vote needs: nothing at or under the threshold; else the agreement of
/// its association that already covers it, or a new one. The grants of one vote to the same
/// association count together with those of the twelve months before (`earlier`).
pub fn agreements_for<Id: Copy>(
    voted: &[Voted],
    earlier: &[(AssociationId, NaiveDate, i64)],
    covers: &mut [(AssociationId, Cover<Id>)],
    voted_on: NaiveDate,
) -> Vec<AgreementNeed<Id>> {
    voted
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let others: Vec<(NaiveDate, i64)> = earlier
                .iter()
                .filter(|(a, _, _)| *a == v.association)
                .map(|(_, on, cents)| (*on, *cents))
                .chain(
                    voted
                        .iter()
                        .enumerate()
                        .filter(|(j, o)| *j != i && o.association == v.association)
                        .map(|(_, o)| (voted_on, o.grant.cents)),
                )
                .collect();
            if !agreement_required(v.grant.cents, &others, voted_on) {
                return AgreementNeed::Nothing;
            }
            match covers
                .iter_mut()
                .find(|(a, c)| *a == v.association && c.covers(v.grant))
            {
                Some((_, cover)) => {
                    cover.used.push(v.grant.year);
                    AgreementNeed::CoveredBy(cover.id)
                }
                None => AgreementNeed::New,
            }
        })
        .collect()
}

/// A grant as a council's vote opens it: the agreement it needs, its money and when its
/// final report is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened<Id> {
    pub agreement: AgreementNeed<Id>,
    pub money: GrantMoney,
    pub final_report_due_on: NaiveDate,
}

/// What a vote on `voted_on`, notified on `notified_on`, opens for each of its grants (see
/// [`agreements_for`] for `earlier` and `covers`): paid in one installment on notification,
/// once the agreement it needs, if any, is signed (`signed`: the existing agreements signed,
/// with their gates); its final report due after its financial year.
pub fn open_grants<Id: Copy + PartialEq>(
    voted: &[Voted],
    earlier: &[(AssociationId, NaiveDate, i64)],
    covers: &mut [(AssociationId, Cover<Id>)],
    signed: &[(Id, AgreementGate)],
    voted_on: NaiveDate,
    notified_on: NaiveDate,
) -> Vec<Opened<Id>> {
    // Nothing is notified before it is voted.
    let notified_on = notified_on.max(voted_on);
    let needs = agreements_for(voted, earlier, covers, voted_on);
    voted
        .iter()
        .zip(needs)
        .map(|(v, need)| {
            let gate = match need {
                AgreementNeed::Nothing => AgreementGate::NotRequired,
                AgreementNeed::CoveredBy(id) => signed
                    .iter()
                    .find(|(s, _)| *s == id)
                    .map_or(AgreementGate::Unsigned, |(_, g)| *g),
                AgreementNeed::New => AgreementGate::Unsigned,
            };
            Opened {
                agreement: need,
                money: GrantMoney {
                    granted_cents: v.grant.cents,
                    paid_cents: 0,
                    installments: default_schedule(v.grant.cents),
                    agreement: gate,
                    notified_on,
                    report_accepted_on: None,
                    claimed_cents: 0,
                },
                final_report_due_on: final_report_due_on(financial_year_end(v.grant.year, None)),
            }
        })
        .collect()
}

impl AgreementTerms {
    /// The terms of an agreement drawn up for one grant: its object, its year, the usual
    /// delay of payment.
    pub fn of_grant(object: String, grant: YearAmount) -> AgreementTerms {
        AgreementTerms {
            object,
            years: vec![grant],
            payment_days: PAYMENT_DAYS as u32,
        }
    }
}

/// What the agreement's text is drawn from.
#[derive(Debug, Clone)]
pub struct AgreementDocument {
    pub reference: String,
    pub city: String,
    pub association_name: String,
    pub association_identifiers: String,
    pub association_address: String,
    pub legal_representative: String,
    pub terms: AgreementTerms,
    pub deliberation: String,
    pub voted_on: NaiveDate,
    pub installments: Vec<Installment>,
    pub final_report_due_on: NaiveDate,
    pub signatures: Vec<String>,
}

/// One article of the agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub heading: String,
    pub paragraphs: Vec<String>,
}

/// The agreement's text: the template every agreement follows, filled in. Its articles are
/// those the law requires (object, amount, payment terms, conditions of use) and those Paris
/// adds (final report, repayment, term).
pub fn articles(doc: &AgreementDocument) -> Vec<Article> {
    let article = |heading: &str, paragraphs: Vec<String>| Article {
        heading: heading.to_owned(),
        paragraphs,
    };
    let t = &doc.terms;
    let total = crate::money::total(t.years.iter().map(|y| y.cents));
    let (first, last) = (
        t.years.first().map_or(0, |y| y.year),
        t.years.last().map_or(0, |y| y.year),
    );
    let mut amounts = vec![format!(
        "Par délibération {} du {}, la Ville attribue à l'association une subvention de {} pour l'année {first}.",
        doc.deliberation,
        crate::french::long_french_date(doc.voted_on),
        euros(t.years.first().map_or(0, |y| y.cents)),
    )];
    if t.years.len() > 1 {
        amounts.push(format!(
            "La convention est pluriannuelle ({first}–{last}). Sous réserve du vote des crédits chaque année, la Ville prévoit : {}, soit {} au total.",
            t.years
                .iter()
                .map(|y| format!("{} en {}", euros(y.cents), y.year))
                .collect::<Vec<_>>()
                .join(", "),
            euros(total)
        ));
    }
    let mut payment: Vec<String> = doc
        .installments
        .iter()
        .enumerate()
        .map(|(i, installment)| {
            format!(
                "Versement {} : {}, {}.",
                i + 1,
                euros(installment.cents),
                installment.due.label().to_lowercase()
            )
        })
        .collect();
    payment.push(format!(
        "Chaque versement dû est payé dans les {} jours, sur le compte bancaire de l'association dont le RIB figure à son dossier. Aucun versement n'a lieu avant la signature de la présente convention par les deux parties.",
        t.payment_days
    ));
    vec![
        article(
            "Parties",
            vec![
                format!("Entre {}, ci-après « la Ville »,", doc.city),
                format!(
                    "et l'association {} ({}), dont le siège est {}, représentée par {}, ci-après « l'association ».",
                    doc.association_name,
                    doc.association_identifiers,
                    doc.association_address,
                    doc.legal_representative
                ),
                "Vu la loi n° 2000-321 du 12 avril 2000, notamment son article 10, et le décret n° 2001-495 du 6 juin 2001.".to_owned(),
            ],
        ),
        article("Article 1 — Objet", vec![t.object.clone()]),
        article("Article 2 — Montant de la subvention", amounts),
        article("Article 3 — Modalités de versement", payment),
        article(
            "Article 4 — Conditions d'utilisation",
            vec![
                "La subvention est affectée exclusivement à l'objet défini à l'article 1. L'association ne peut la reverser à un autre organisme.".to_owned(),
                "L'association respecte le contrat d'engagement républicain qu'elle a souscrit, tient une comptabilité conforme au plan comptable des associations et informe la Ville de tout changement de ses statuts, de son bureau ou de ses coordonnées bancaires.".to_owned(),
            ],
        ),
        article(
            "Article 5 — Compte rendu financier",
            vec![format!(
                "L'association remet le compte rendu financier de l'action (CERFA n° 15059) au plus tard le {} : budget réalisé au regard du budget prévisionnel, indicateurs atteints, bilan qualitatif et explication des écarts de plus de 15 %.",
                crate::french::long_french_date(doc.final_report_due_on)
            )],
        ),
        article(
            "Article 6 — Reversement",
            vec![
                "Si l'action n'est pas réalisée, ou ne l'est qu'en partie, ou si la subvention est employée à un autre objet, la Ville émet un titre de recette du montant à reverser.".to_owned(),
                "En cas de manquement au contrat d'engagement républicain, la subvention est retirée au prorata de la période restant à courir à la date du manquement (décret n° 2021-1947, article 4).".to_owned(),
            ],
        ),
        article(
            "Article 7 — Durée",
            vec![format!(
                "La convention prend effet à sa signature par les deux parties et couvre les années {}.",
                if first == last {
                    first.to_string()
                } else {
                    format!("{first} à {last}")
                }
            )],
        ),
        article(
            "Signatures",
            if doc.signatures.is_empty() {
                vec!["Non signée.".to_owned()]
            } else {
                doc.signatures.clone()
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funding::InstallmentDue;

    fn year(year: i32, cents: i64) -> YearAmount {
        YearAmount { year, cents }
    }

    #[test]
    fn a_vote_opens_each_grant_with_the_agreement_it_needs_and_its_schedule() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let (small, big, covered) = (
            AssociationId::from_uuid(uuid::Uuid::from_u128(1)),
            AssociationId::from_uuid(uuid::Uuid::from_u128(2)),
            AssociationId::from_uuid(uuid::Uuid::from_u128(3)),
        );
        let voted = [
            Voted {
                association: small,
                grant: year(2027, 5_000_00),
            },
            Voted {
                association: big,
                grant: year(2027, 40_000_00),
            },
            Voted {
                association: covered,
                grant: year(2027, 30_000_00),
            },
        ];
        let mut covers = vec![(
            covered,
            Cover {
                id: 7,
                years: vec![year(2027, 30_000_00)],
                used: vec![],
            },
        )];
        let signed_on = day(2027, 1, 10);
        let signed = [(
            7,
            AgreementGate::Signed {
                on: signed_on,
                payment_days: 30,
            },
        )];
        let (voted_on, notified_on) = (day(2027, 3, 9), day(2027, 3, 1));
        let opened = open_grants(&voted, &[], &mut covers, &signed, voted_on, notified_on);
        let needs: Vec<_> = opened.iter().map(|o| o.agreement).collect();
        assert_eq!(
            needs,
            vec![
                AgreementNeed::Nothing,
                AgreementNeed::New,
                AgreementNeed::CoveredBy(7)
            ]
        );
        let gates: Vec<_> = opened.iter().map(|o| o.money.agreement).collect();
        assert_eq!(
            gates,
            vec![
                AgreementGate::NotRequired,
                AgreementGate::Unsigned,
                AgreementGate::Signed {
                    on: signed_on,
                    payment_days: 30
                }
            ]
        );
        for (o, v) in opened.iter().zip(&voted) {
            // Notified no earlier than voted; the whole amount in one installment.
            assert_eq!(o.money.notified_on, voted_on);
            assert_eq!(o.money.granted_cents, v.grant.cents);
            assert_eq!(o.money.installments, default_schedule(v.grant.cents));
            assert_eq!(
                o.final_report_due_on,
                final_report_due_on(day(2027, 12, 31))
            );
        }
        // Only what needs no agreement, or a signed one, is payable.
        let payable: Vec<i64> = opened.iter().map(|o| o.money.payable_cents()).collect();
        assert_eq!(payable, vec![5_000_00, 0, 30_000_00]);
    }

    fn codes(error: DomainError) -> Vec<(String, String)> {
        match error {
            DomainError::Invalid(errors) => errors
                .into_iter()
                .map(|e| (e.field, e.code.to_owned()))
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn terms_cover_one_to_four_consecutive_years_from_the_grant() {
        let first = year(2027, 30_000_00);
        assert!(check_terms("Objet", &[first], 60, &[first]).is_ok());
        let four = [
            first,
            year(2028, 31_000_00),
            year(2029, 100),
            year(2030, 500),
        ];
        assert_eq!(
            check_terms(" Objet ", &four, 30, &[first]).unwrap().object,
            "Objet"
        );
        let five = [four.as_slice(), &[year(2031, 500)]].concat();
        assert_eq!(
            codes(check_terms("Objet", &five, 60, &[first]).unwrap_err()),
            [("years".to_owned(), "agreement.years".to_owned())]
        );
        let errors = codes(
            check_terms("", &[year(2027, 29_000_00), year(2029, 0)], 0, &[first]).unwrap_err(),
        );
        assert_eq!(
            errors,
            [
                ("object", "text.required"),
                ("years[1].year", "agreement.years_consecutive"),
                ("years[1].cents", "amount.not_positive"),
                ("years[0].cents", "agreement.first_year_amount"),
                ("payment_days", "agreement.payment_days"),
            ]
            .map(|(f, c)| (f.to_owned(), c.to_owned()))
        );
    }

    #[test]
    fn edited_terms_keep_covering_the_grants_already_covered() {
        let covered = [year(2027, 30_000_00), year(2028, 25_000_00)];
        let two = [year(2027, 30_000_00), year(2028, 25_000_00)];
        assert!(check_terms("Objet", &two, 60, &covered).is_ok());
        for shrunk in [
            vec![year(2027, 30_000_00)],
            vec![year(2027, 30_000_00), year(2028, 24_999_00)],
        ] {
            assert_eq!(
                codes(check_terms("Objet", &shrunk, 60, &covered).unwrap_err()),
                [("years".to_owned(), "agreement.grant_uncovered".to_owned())]
            );
        }
    }

    #[test]
    fn the_association_signs_then_the_city() {
        use AgreementStatus::*;
        assert_eq!(sign_by_association(Drafted).unwrap(), SignedByAssociation);
        assert_eq!(countersign(SignedByAssociation).unwrap(), Signed);
        for (result, code) in [
            (
                countersign(Drafted),
                "agreement.association_signature_missing",
            ),
            (countersign(Signed), "agreement.already_signed"),
            (
                sign_by_association(SignedByAssociation),
                "agreement.already_signed",
            ),
            (
                check_editable(SignedByAssociation).map(|_| Drafted),
                "agreement.signed",
            ),
        ] {
            match result {
                Err(DomainError::Conflict { code: c, .. }) => assert_eq!(c, code),
                other => panic!("{other:?}"),
            }
        }
        assert!(check_editable(Drafted).is_ok());
    }

    #[test]
    fn a_multi_year_agreement_covers_a_later_grant_within_its_amount() {
        let (a, b) = (
            AssociationId::from_uuid(uuid::Uuid::from_u128(1)),
            AssociationId::from_uuid(uuid::Uuid::from_u128(2)),
        );
        let on = NaiveDate::from_ymd_opt(2028, 3, 14).unwrap();
        let mut covers = vec![
            (
                a,
                Cover {
                    id: 1,
                    years: vec![year(2027, 30_000_00), year(2028, 30_000_00)],
                    used: vec![2027],
                },
            ),
            (
                b,
                Cover {
                    id: 2,
                    years: vec![year(2028, 50_000_00)],
                    used: vec![],
                },
            ),
        ];
        let voted = |association, cents| Voted {
            association,
            grant: year(2028, cents),
        };
        let needs = agreements_for(
            &[
                voted(a, 30_000_00),
                // The same year again: the agreement is used already.
                voted(a, 25_000_00),
                // Over the year's amount.
                voted(b, 50_000_01),
                // 20,000 € alone, but 12,000 € granted in the twelve months before.
                voted(
                    AssociationId::from_uuid(uuid::Uuid::from_u128(3)),
                    20_000_00,
                ),
                voted(
                    AssociationId::from_uuid(uuid::Uuid::from_u128(4)),
                    23_000_00,
                ),
            ],
            &[(
                AssociationId::from_uuid(uuid::Uuid::from_u128(3)),
                NaiveDate::from_ymd_opt(2027, 9, 1).unwrap(),
                12_000_00,
            )],
            &mut covers,
            on,
        );
        assert_eq!(
            needs,
            [
                AgreementNeed::CoveredBy(1),
                AgreementNeed::New,
                AgreementNeed::New,
                AgreementNeed::New,
                AgreementNeed::Nothing,
            ]
        );
        assert_eq!(covers[0].1.used, [2027, 2028]);
        // Two grants of one vote to one association count together: 12,000 € + 12,000 €.
        let c = AssociationId::from_uuid(uuid::Uuid::from_u128(5));
        assert_eq!(
            agreements_for::<u8>(
                &[voted(c, 12_000_00), voted(c, 12_000_00)],
                &[],
                &mut [],
                on
            ),
            [AgreementNeed::New, AgreementNeed::New]
        );
    }

    #[test]
    fn the_text_states_the_amounts_the_schedule_and_the_report_due_date() {
        let doc = AgreementDocument {
            reference: "2027_00042".into(),
            city: "la Ville de Paris".into(),
            association_name: "Théâtre du Faubourg".into(),
            association_identifiers: "RNA W751000001".into(),
            association_address: "1 rue de Lyon, 75012 Paris".into(),
            legal_representative: "Mme Anne Martin, présidente".into(),
            terms: AgreementTerms {
                object: "Ateliers de théâtre".into(),
                years: vec![year(2027, 30_000_00), year(2028, 32_000_00)],
                payment_days: 60,
            },
            deliberation: "2027 DAC 12".into(),
            voted_on: NaiveDate::from_ymd_opt(2027, 3, 9).unwrap(),
            installments: vec![
                Installment {
                    cents: 15_000_00,
                    due: InstallmentDue::OnNotification,
                },
                Installment {
                    cents: 15_000_00,
                    due: InstallmentDue::AfterFinalReport,
                },
            ],
            final_report_due_on: NaiveDate::from_ymd_opt(2028, 6, 30).unwrap(),
            signatures: vec![],
        };
        let text: Vec<String> = articles(&doc)
            .into_iter()
            .flat_map(|a| std::iter::once(a.heading).chain(a.paragraphs))
            .collect();
        let all = text.join("\n");
        for expected in [
            format!("subvention de {} pour l'année 2027", euros(30_000_00)),
            format!("soit {} au total", euros(62_000_00)),
            format!("Versement 2 : {}, après acceptation", euros(15_000_00)),
            "au plus tard le 30 juin 2028".to_owned(),
            "délibération 2027 DAC 12 du 9 mars 2027".to_owned(),
            "couvre les années 2027 à 2028".to_owned(),
            "Non signée.".to_owned(),
        ] {
            assert!(all.contains(&expected), "{expected} not in\n{all}");
        }
    }
}

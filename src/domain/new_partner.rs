//! A new partner's details and their rules (SPEC §3, "Validation rules"), written once for the
//! wizard's steps and for `POST /api/v1/partners`, which takes the whole wizard in one call.
//! The rules that need the database (a name or domain already taken, the partner limit) are
//! checked by `db::registration::create`, in the transaction that makes the partner.

use super::{Domain, EmailAddress, PartnerName, PersonName};

pub const ADD_ONE_DOMAIN: &str = "Add at least one domain.";

pub fn name_taken(name: &str) -> String {
    format!("Another partner is already called “{name}”. Choose a different name.")
}

pub fn domain_in_list(domain: &str) -> String {
    format!("{domain} is already in the list.")
}

pub fn domain_taken(domain: &str) -> String {
    format!("{domain} is already registered to another partner.")
}

/// The administrator's address is outside the partner's domains (`domains` as typed/stored).
pub fn email_outside(domains: &[String]) -> String {
    format!("The email must use one of the partner's registered domains: {}.", domains.join(", "))
}

/// The wizard's three steps, checked.
#[derive(Debug, Clone)]
pub struct NewPartner {
    pub name: PartnerName,
    pub domains: Vec<Domain>,
    pub first_name: PersonName,
    pub surname: PersonName,
    pub email: EmailAddress,
}

/// The details as sent; field names are the API's (`domains[1]`, `administrator.email`).
pub struct PartnerInput<'a> {
    pub name: &'a str,
    pub domains: &'a [String],
    pub first_name: &'a str,
    pub surname: &'a str,
    pub email: &'a str,
}

impl NewPartner {
    /// Every rule that needs no database, each failure as (field, message) with the wizard's
    /// words; all failures are reported, not only the first.
    pub fn check(input: &PartnerInput<'_>) -> Result<NewPartner, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let name = PartnerName::parse(input.name).map_err(|e| errors.push(("name".to_string(), e.to_string()))).ok();
        let mut domains: Vec<Domain> = Vec::new();
        for (i, raw) in input.domains.iter().enumerate() {
            match Domain::parse_for_partner(raw) {
                Err(e) => errors.push((format!("domains[{i}]"), e.to_string())),
                Ok(d) if domains.contains(&d) => errors.push((format!("domains[{i}]"), domain_in_list(d.as_str()))),
                Ok(d) => domains.push(d),
            }
        }
        if input.domains.is_empty() {
            errors.push(("domains".to_string(), ADD_ONE_DOMAIN.to_string()));
        }
        let first_name = PersonName::parse(input.first_name)
            .map_err(|e| errors.push(("administrator.first_name".to_string(), e.to_string())))
            .ok();
        let surname = PersonName::parse(input.surname)
            .map_err(|e| errors.push(("administrator.surname".to_string(), e.to_string())))
            .ok();
        let email = match EmailAddress::parse(input.email) {
            Err(e) => {
                errors.push(("administrator.email".to_string(), e.to_string()));
                None
            }
            // Judged against the domains that are valid; with none, the domains' own errors say it.
            Ok(e) if !domains.is_empty() && !e.belongs_to(&domains) => {
                let listed: Vec<String> = domains.iter().map(|d| d.as_str().to_string()).collect();
                errors.push(("administrator.email".to_string(), email_outside(&listed)));
                None
            }
            Ok(e) => Some(e),
        };
        match (name, first_name, surname, email) {
            (Some(name), Some(first_name), Some(surname), Some(email)) if errors.is_empty() => {
                Ok(NewPartner { name, domains, first_name, surname, email })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input<'a>(domains: &'a [String], email: &'a str) -> PartnerInput<'a> {
        PartnerInput { name: "Globex", domains, first_name: "Hank", surname: "Scorpio", email }
    }

    #[test]
    fn a_complete_partner_passes_normalised() {
        let domains = vec!["Globex.COM.".to_string()];
        let p = NewPartner::check(&input(&domains, "hank@globex.com")).unwrap();
        assert_eq!(p.domains[0].as_str(), "globex.com");
        assert_eq!(p.email.as_str(), "hank@globex.com");
    }

    #[test]
    fn every_failure_is_named_by_its_field_with_the_wizards_words() {
        let domains = vec!["globex.com".to_string(), "GLOBEX.com".to_string(), "http://x".to_string()];
        let errors = NewPartner::check(&PartnerInput {
            name: " ",
            domains: &domains,
            first_name: "Hank",
            surname: "",
            email: "hank@eu.globex.com",
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["name", "domains[1]", "domains[2]", "administrator.surname", "administrator.email"]);
        assert_eq!(errors[1].1, "globex.com is already in the list.");
        assert_eq!(errors[4].1, "The email must use one of the partner's registered domains: globex.com.");
    }

    #[test]
    fn no_domains_is_its_own_error() {
        let errors = NewPartner::check(&input(&[], "hank@globex.com")).unwrap_err();
        assert_eq!(errors, [("domains".to_string(), ADD_ONE_DOMAIN.to_string())]);
    }
}

//! Who makes a change: a person signed in to the portal (`Principal`) or an API token
//! (`routes::api::ApiActor`). The rules of a change (what may change, its audit event, its
//! emails) are written once, against this trait, and run for both (SPEC §14: "same
//! validation, limit, transactions and audit as the UI").

use crate::domain::{EnterpriseId, UserId};
use crate::render::time::Clock;

pub trait Actor {
    /// The enterprise whose data the change is about; every query filters on it.
    fn enterprise_id(&self) -> EnterpriseId;
    /// The person making the change; None for an API token.
    fn user_id(&self) -> Option<UserId>;
    /// The audit event's actor: "Ada Lovelace <ada@acme.example>", "API token CRM sync".
    fn actor_label(&self) -> String;
    /// The audit event's membership: "Enterprise admin of Acme", "API token of Acme".
    fn membership_label(&self) -> String;
    /// How an email names who made the change ("Ada Lovelace invited you …").
    fn display_name(&self) -> String;
    fn enterprise_name(&self) -> &str;
    /// Today and the time of day in the enterprise's time zone.
    fn clock(&self) -> Clock;
}

impl Actor for super::session::Principal {
    fn enterprise_id(&self) -> EnterpriseId {
        self.enterprise_id
    }

    fn user_id(&self) -> Option<UserId> {
        Some(self.user_id)
    }

    fn actor_label(&self) -> String {
        super::session::Principal::actor_label(self)
    }

    fn membership_label(&self) -> String {
        super::session::Principal::membership_label(self)
    }

    fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.surname)
    }

    fn enterprise_name(&self) -> &str {
        &self.enterprise_name
    }

    fn clock(&self) -> Clock {
        super::session::Principal::clock(self)
    }
}

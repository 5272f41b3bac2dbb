//! The events a webhook endpoint can subscribe to (SPEC §14), with what each means. The stored
//! form is the event's `type` in the payload and in `webhook_deliveries.event_type`.

use super::text_enum::text_enum;

text_enum! {
    /// What happened, as a webhook names it.
    pub enum WebhookEvent {
        PartnerCreated = "partner.created" => "A partner was registered",
        PartnerActivated = "partner.activated" => "A partner became active (its administrator accepted)",
        PartnerDeactivated = "partner.deactivated" => "A partnership ended (deactivated, or the partner left)",
        InvitationAccepted = "invitation.accepted" => "Someone accepted an invitation to a partner",
        GrantAdded = "grant.added" => "A partner was granted a product, or an API in an environment",
        GrantRemoved = "grant.removed" => "A product or API grant was revoked or expired",
        MemberAdded = "member.added" => "A person joined a partner",
        MemberRemoved = "member.removed" => "A person was removed from a partner, or left it",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_events_are_spec_14s_in_its_order() {
        let stored: Vec<&str> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(
            stored,
            [
                "partner.created",
                "partner.activated",
                "partner.deactivated",
                "invitation.accepted",
                "grant.added",
                "grant.removed",
                "member.added",
                "member.removed"
            ]
        );
        assert_eq!(WebhookEvent::from_stored("grant.added"), Ok(WebhookEvent::GrantAdded));
        assert!(WebhookEvent::from_stored("partner.exploded").is_err());
    }
}

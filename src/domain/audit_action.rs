//! `audit_events.action`: every action the portal records, with the sentence the Activity
//! pages and the CSV export show for it.

use super::text_enum::text_enum;

text_enum! {
    /// What an audit event records. The stored form is also the Activity filter's
    /// `?action=` value.
    pub enum AuditAction {
        EnterpriseCreated = "enterprise.created" => "Created the enterprise",
        PartnerRegistered = "partner.registered" => "Registered the partner",
        PartnerRenamed = "partner.renamed" => "Renamed the partner",
        PartnerLogoChanged = "partner.logo_changed" => "Changed the logo",
        PartnerLogoRemoved = "partner.logo_removed" => "Removed the logo",
        PartnerDomainAdded = "partner.domain_added" => "Added a domain",
        PartnerDomainRemoved = "partner.domain_removed" => "Removed a domain",
        PartnerDomainVerified = "partner.domain_verified" => "Verified a domain",
        PartnerDomainVerificationFailed = "partner.domain_verification_failed" => "Checked a domain that is not verified",
        PartnerDomainUnverified = "partner.domain_unverified" => "A domain lost its verification",
        PartnerActivated = "partner.activated" => "The partner became active",
        PartnerAdministratorChanged = "partner.administrator_changed" => "Changed the partner administrator",
        PartnerDeactivated = "partner.deactivated" => "Deactivated the partner",
        PartnerProductGranted = "partner.product_granted" => "Granted a product",
        PartnerProductRevoked = "partner.product_revoked" => "Revoked a product",
        PartnerApiEnvironmentGranted = "partner.api_environment_granted" => "Granted an API in an environment",
        PartnerApiEnvironmentRevoked = "partner.api_environment_revoked" => "Revoked an API in an environment",
        PartnerApiRevoked = "partner.api_revoked" => "Revoked an API",
        /// A reviewed change (Add Products, Add APIs, Revoke all API access): its list.
        PartnerAccessChanged = "partner.access_changed" => "Changed access",
        /// **Extend**: a grant's end moved.
        PartnerAccessExtended = "partner.access_extended" => "Extended access",
        /// A grant reached its *Expires on* day and was revoked by the portal.
        PartnerAccessExpired = "partner.access_expired" => "Access expired",
        /// A grant held in an environment that requires approval was approved (moved into force).
        PartnerGrantApproved = "partner.grant_approved" => "Approved a grant",
        PartnerGrantDeclined = "partner.grant_declined" => "Declined a grant",
        AccessRequested = "partner.access_requested" => "Requested access",
        AccessRequestApproved = "partner.access_request_approved" => "Approved an access request",
        AccessRequestDeclined = "partner.access_request_declined" => "Declined an access request",
        CatalogRequestsChanged = "catalog.requests_changed" => "Changed who can request an item",
        /// No longer recorded (now `invitation.sent`); older events may still hold it.
        InvitationCreated = "invitation.created" => "Sent an invitation",
        InvitationSent = "invitation.sent" => "Sent an invitation",
        InvitationResent = "invitation.resent" => "Resent an invitation",
        InvitationRevoked = "invitation.revoked" => "Revoked an invitation",
        InvitationAccepted = "invitation.accepted" => "Accepted the invitation",
        MemberRoleChanged = "member.role_changed" => "Changed a member's role",
        MemberRemoved = "member.removed" => "Removed a member",
        MemberLeft = "member.left" => "Left the partner",
        TeamRoleChanged = "team.role_changed" => "Changed a team member's role",
        TeamMemberRemoved = "team.member_removed" => "Removed a team member",
        PartnerConnectionRequested = "partner.connection_requested" => "Asked to connect by Partner ID",
        PartnerConnectionAccepted = "partner.connection_accepted" => "Accepted the connection request",
        PartnerConnectionDeclined = "partner.connection_declined" => "Declined the connection request",
        PartnerLeftEnterprise = "partner.left_enterprise" => "The partner left the enterprise",
        PartnerStaffAccessChanged = "partner.staff_access_changed" => "Changed staff access",
        PartnerConnectionLinkRegenerated = "partner.connection_link_regenerated" => "Regenerated the connection link",
        PartnerApplicationCreated = "partner.application_created" => "Created an application",
        PartnerApplicationRenamed = "partner.application_renamed" => "Renamed an application",
        PartnerApplicationDeleted = "partner.application_deleted" => "Deleted an application",
        PartnerCredentialsCreated = "partner.credentials_created" => "Created client credentials",
        PartnerSecretRotated = "partner.secret_rotated" => "Rotated a client secret",
        PartnerCredentialsRevoked = "partner.credentials_revoked" => "Revoked client credentials",
        GatewayCredentialCreated = "enterprise.gateway_credential_created" => "Created a gateway credential",
        GatewayCredentialRevoked = "enterprise.gateway_credential_revoked" => "Revoked a gateway credential",
        ApiTokenCreated = "enterprise.api_token_created" => "Created an API token",
        ApiTokenRevoked = "enterprise.api_token_revoked" => "Revoked an API token",
        WebhookCreated = "enterprise.webhook_created" => "Added a webhook endpoint",
        WebhookDeleted = "enterprise.webhook_deleted" => "Deleted a webhook endpoint",
        GroupCreated = "enterprise.group_created" => "Created a partner group",
        GroupChanged = "enterprise.group_changed" => "Edited a partner group",
        GroupAccessChanged = "enterprise.group_access_changed" => "Changed a group's default access",
        GroupDeleted = "enterprise.group_deleted" => "Deleted a partner group",
        PartnerGroupChanged = "partner.group_changed" => "Moved the partner to another group",
        GroupFormChanged = "enterprise.group_form_changed" => "Changed a group's application form",
        GroupJoinLinkChanged = "enterprise.group_join_link_changed" => "Changed a group's join link",
        /// An application to a group was submitted (through a join link, or after Invite to apply).
        ApplicationSubmitted = "enterprise.application_submitted" => "Applied to join a partner program",
        ApplicationApproved = "partner.application_approved" => "Approved the partner's application",
        ApplicationDeclined = "enterprise.application_declined" => "Declined an application",
        /// Import partners: one event for the whole file, beside each partner's `partner.registered`.
        PartnersImported = "enterprise.partners_imported" => "Imported partners",
        EnterpriseSettingsChanged = "enterprise.settings_changed" => "Changed the enterprise settings",
        EnterpriseTimeZoneChanged = "enterprise.time_zone_changed" => "Changed the time zone",
        /// The default *Personal note* of invitations was saved (or cleared).
        EnterpriseInvitationNoteChanged = "enterprise.invitation_note_changed" => "Changed the invitation note",
        UserPasswordResetRequested = "user.password_reset_requested" => "Asked to reset a password",
        UserPasswordSet = "user.password_set" => "Set a new password",
        CatalogProductCreated = "catalog.product_created" => "Created a product",
        CatalogProductUpdated = "catalog.product_updated" => "Edited a product",
        CatalogProductArchived = "catalog.product_archived" => "Archived a product",
        CatalogProductUnarchived = "catalog.product_unarchived" => "Unarchived a product",
        CatalogProductDeleted = "catalog.product_deleted" => "Deleted a product",
        CatalogApiCreated = "catalog.api_created" => "Created an API",
        CatalogApiUpdated = "catalog.api_updated" => "Edited an API",
        CatalogApiArchived = "catalog.api_archived" => "Archived an API",
        CatalogApiUnarchived = "catalog.api_unarchived" => "Unarchived an API",
        CatalogApiDeleted = "catalog.api_deleted" => "Deleted an API",
        CatalogEnvironmentCreated = "catalog.environment_created" => "Created an environment",
        CatalogEnvironmentUpdated = "catalog.environment_updated" => "Edited an environment",
        CatalogEnvironmentDeleted = "catalog.environment_deleted" => "Deleted an environment",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_and_has_a_sentence() {
        let mut seen = std::collections::HashSet::new();
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::from_stored(action.as_str()), Ok(*action));
            assert!(seen.insert(action.as_str()), "{} stored twice", action.as_str());
            let area = action.as_str().split('.').next().unwrap_or_default();
            assert!(["enterprise", "partner", "invitation", "member", "team", "user", "catalog"].contains(&area));
            assert!(action.label().chars().next().is_some_and(char::is_uppercase), "{action:?}");
        }
        assert_eq!(AuditAction::CatalogProductCreated.as_str(), "catalog.product_created");
        assert_eq!(AuditAction::PartnerDeactivated.label(), "Deactivated the partner");
        assert_eq!(AuditAction::InvitationCreated.label(), AuditAction::InvitationSent.label());
    }

    #[test]
    fn an_unknown_action_is_refused() {
        for raw in ["", "partner.exploded", "Partner.renamed", "partner.renamed "] {
            assert!(AuditAction::from_stored(raw).is_err(), "{raw:?}");
        }
    }
}

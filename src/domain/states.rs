//! The states stored as text: partner and invitation status, the kind of user, email kinds
//! and flash kinds. Stored strings are the ones the migrations' CHECK constraints allow.

use super::text_enum::text_enum;
use super::Role;

text_enum! {
    /// `partners.status` (a partnership): requested by Partner ID until the organisation
    /// accepts or declines; invited (registered by the wizard) until its administrator
    /// accepts; then active; deactivated (by either side) or declined for good.
    pub enum PartnerStatus {
        Requested = "requested" => "Requested",
        Invited = "invited" => "Invited",
        /// **Invite to apply** (SPEC §12): registered, its administrator invited, and its
        /// application waiting to be submitted or approved.
        Applied = "applied" => "Applied",
        Active = "active" => "Active",
        Deactivated = "deactivated" => "Deactivated",
        Declined = "declined" => "Declined",
    }
}

impl PartnerStatus {
    /// Not ended: counts toward the enterprise's partner limit.
    pub const fn is_live(self) -> bool {
        matches!(
            self,
            PartnerStatus::Requested | PartnerStatus::Invited | PartnerStatus::Applied | PartnerStatus::Active
        )
    }
}

text_enum! {
    /// `application_questions.kind`: how an application form question is answered (SPEC §12).
    pub enum QuestionKind {
        ShortText = "short_text" => "Short text",
        LongText = "long_text" => "Long text",
        SingleChoice = "single_choice" => "Single choice",
        MultipleChoice = "multiple_choice" => "Multiple choice",
        Url = "url" => "URL",
    }
}

impl QuestionKind {
    /// Answered by picking among the question's choices.
    pub const fn has_choices(self) -> bool {
        matches!(self, QuestionKind::SingleChoice | QuestionKind::MultipleChoice)
    }
}

text_enum! {
    /// `program_applications.status`: an application to join a partner program (SPEC §12).
    pub enum ApplicationStatus {
        Pending = "pending" => "Waiting for an answer",
        Approved = "approved" => "Approved",
        Declined = "declined" => "Declined",
    }
}

text_enum! {
    /// `access_requests.status` (SPEC §15 Request access).
    pub enum AccessRequestStatus {
        Pending = "pending" => "Waiting for an answer",
        Approved = "approved" => "Approved",
        Declined = "declined" => "Declined",
    }
}

text_enum! {
    /// `partners.ended_by`: which side ended a partnership.
    pub enum EndedBy {
        Enterprise = "enterprise" => "The enterprise",
        Organisation = "organisation" => "The partner",
    }
}

text_enum! {
    /// `invitations.status`. An expired invitation is still `Pending` (see
    /// `Invitation::state`).
    pub enum InvitationStatus {
        Pending = "pending" => "Pending",
        Accepted = "accepted" => "Accepted",
        Revoked = "revoked" => "Revoked",
    }
}

text_enum! {
    /// `memberships.role` and `invitations.role`: an Enterprise admin or Viewer (no partner),
    /// or a partnership's Admin or Member.
    pub enum UserRole {
        EnterpriseAdmin = "enterprise_admin" => "Enterprise admin",
        Viewer = "viewer" => "Viewer",
        Admin = "admin" => "Admin",
        Member = "member" => "Member",
    }
}

impl UserRole {
    /// The role within a partner; None for an enterprise admin.
    pub const fn partner_role(self) -> Option<Role> {
        match self {
            UserRole::EnterpriseAdmin | UserRole::Viewer => None,
            UserRole::Admin => Some(Role::Admin),
            UserRole::Member => Some(Role::Member),
        }
    }
}

impl UserRole {
    /// A role in the enterprise's own team (§16), not in a partnership.
    pub const fn is_team(self) -> bool {
        matches!(self, UserRole::EnterpriseAdmin | UserRole::Viewer)
    }
}

impl From<Role> for UserRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => UserRole::Admin,
            Role::Member => UserRole::Member,
        }
    }
}

text_enum! {
    /// `outbox_emails.kind`: what an email is about.
    pub enum EmailKind {
        Invitation = "invitation" => "Invitation",
        PasswordReset = "password_reset" => "Password reset",
        /// An enterprise asked to connect with a partner organisation (to its Admins).
        ConnectionRequest = "connection_request" => "Connection request",
        /// A person of a partner organisation was given access to one of its partnerships.
        AccessGranted = "access_granted" => "Access granted",
        /// A reviewed change of a partner's products or API access (to its Admins).
        AccessChanged = "access_changed" => "Access changed",
        /// A grant ends soon (14, 3 or 1 days before), to both sides.
        AccessEnding = "access_ending" => "Access ending",
        /// A partner Admin asked for access (to the enterprise's admins).
        AccessRequested = "access_requested" => "Access requested",
        /// The enterprise answered an access request (to the person who asked).
        AccessRequestAnswered = "access_request_answered" => "Access request answered",
        /// The link that confirms the address of an account made on a join link.
        EmailConfirmation = "email_confirmation" => "Email confirmation",
        /// The enterprise approved or declined an application (to the applicant).
        ApplicationAnswered = "application_answered" => "Application answered",
    }
}

text_enum! {
    /// `outbox_emails.status`: queued, claimed by a worker (sending), then sent, failed for
    /// good or cancelled (its invitation was revoked or replaced).
    pub enum EmailStatus {
        Queued = "queued" => "Queued",
        Sending = "sending" => "Sending",
        Sent = "sent" => "Sent",
        Failed = "failed" => "Failed",
        Cancelled = "cancelled" => "Cancelled",
    }
}

text_enum! {
    /// A flash message's kind; `as_str()` is also its CSS modifier (`flash-success`).
    pub enum FlashKind {
        Success = "success" => "Success",
        Info = "info" => "Information",
        Warning = "warning" => "Warning",
        Error = "error" => "Error",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn stored_forms_round_trip_and_labels_are_what_pages_show() {
        for s in PartnerStatus::ALL {
            assert_eq!(PartnerStatus::from_stored(s.as_str()), Ok(*s));
        }
        for s in InvitationStatus::ALL {
            assert_eq!(s.as_str().parse::<InvitationStatus>(), Ok(*s));
        }
        for r in UserRole::ALL {
            assert_eq!(UserRole::from_stored(r.as_str()), Ok(*r));
        }
        for k in EmailKind::ALL {
            assert_eq!(EmailKind::from_stored(k.as_str()), Ok(*k));
        }
        for s in EmailStatus::ALL {
            assert_eq!(EmailStatus::from_stored(s.as_str()), Ok(*s));
        }
        for k in FlashKind::ALL {
            assert_eq!(FlashKind::from_stored(k.as_str()), Ok(*k));
        }
        assert_eq!(PartnerStatus::Active.label(), "Active");
        assert_eq!(PartnerStatus::Deactivated.as_str(), "deactivated");
        assert_eq!(InvitationStatus::Pending.label(), "Pending");
        assert_eq!(UserRole::EnterpriseAdmin.label(), "Enterprise admin");
        assert_eq!(UserRole::EnterpriseAdmin.as_str(), "enterprise_admin");
        assert_eq!(EmailKind::PasswordReset.as_str(), "password_reset");
        assert_eq!(FlashKind::Success.as_str(), "success");
    }

    #[test]
    fn unknown_or_differently_cased_stored_strings_are_refused() {
        for raw in ["", "Active", "ACTIVE", " active", "archived", "active\0"] {
            let err = PartnerStatus::from_stored(raw).unwrap_err();
            assert_eq!(err.to_string(), format!("unknown PartnerStatus {raw:?}"));
        }
        assert!(InvitationStatus::from_stored("expired").is_err(), "expired is derived, never stored");
        assert!(UserRole::from_stored("owner").is_err());
        assert!(FlashKind::from_stored("notice").is_err());
    }

    #[test]
    fn user_roles_map_to_partner_roles() {
        assert_eq!(UserRole::EnterpriseAdmin.partner_role(), None);
        for role in Role::ALL {
            assert_eq!(UserRole::from(role).partner_role(), Some(role));
            assert_eq!(UserRole::from(role).as_str(), role.as_str());
        }
    }

    #[test]
    fn serde_uses_the_stored_form() {
        assert_eq!(serde_json::to_string(&FlashKind::Error).unwrap(), "\"error\"");
        assert_eq!(serde_json::from_str::<UserRole>("\"admin\"").unwrap(), UserRole::Admin);
        assert!(serde_json::from_str::<UserRole>("\"Admin\"").is_err());
    }
}

//! Validated domain types (domain, email, names, password, role) and the states stored as
//! text (statuses, audit actions, email and flash kinds), the enterprise's time zone: parse
//! once, then trust.

pub mod application_form;
mod audit_action;
mod catalog;
mod chars;
mod domain_name;
mod email;
pub mod expiry;
mod ids;
mod invitees;
mod logo;
mod names;
pub mod new_partner;
mod note;
pub mod partner_import;
mod password;
mod role;
mod states;
mod text_enum;
mod time_zone;
mod webhook_event;

pub use audit_action::AuditAction;
pub use catalog::{
    BasePath, BasePathError, CatalogName, ClientName, Description, DescriptionError, EnvironmentName, ItemEvent,
    ItemId, ItemKind, NameError, Position, PositionError,
};
pub use domain_name::{Domain, DomainError};
pub use email::{EmailAddress, EmailError};
pub use ids::{
    ApiId, ApplicationId, CredentialId, DomainId, DraftId, EmailId, EnterpriseId, EnvironmentId, GatewayCredentialId,
    InvitationId, MembershipId, NotAnId, OrganisationId, PartnerId, ProductId, UserId,
};
pub use invitees::{parse_invitees, Invitee, InviteeLine, InviteesError, MAX_INVITEES};
pub use logo::{png_header_only, sample_png, Logo, LogoError, LogoFormat, MAX_LOGO_BYTES};
pub use names::{normalise_for_compare, PartnerName, PartnerNameError, PersonName, PersonNameError};
pub use note::{NoteError, PersonalNote, NOTE_MAX_CHARS};
pub use password::{NewPassword, PasswordError};
pub use role::{Role, RoleError};
pub use states::{
    AccessRequestStatus, ApplicationStatus, EmailKind, EmailStatus, EndedBy, FlashKind, InvitationStatus,
    PartnerStatus, QuestionKind, UserRole,
};
pub use text_enum::UnknownValue;
pub use time_zone::{TimeZone, TimeZoneError, ZONE_GROUPS};
pub use webhook_event::WebhookEvent;

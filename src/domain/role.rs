//! The role a user has within a partner.

use std::fmt;
use std::str::FromStr;

/// Why a role was refused. The `Display` text is shown next to the form field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("Choose a role: Admin or Member.")]
    Unknown,
}

/// A user's role within a partner. Stored as text (`invitations.role`; `users.role` holds
/// it as a `UserRole`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    /// All roles, in the order a form should list them.
    pub const ALL: [Role; 2] = [Role::Admin, Role::Member];

    /// Parses `"admin"` or `"member"`, ignoring case and surrounding spaces.
    pub fn parse(input: &str) -> Result<Role, RoleError> {
        let trimmed = input.trim();
        if trimmed.eq_ignore_ascii_case("admin") {
            Ok(Role::Admin)
        } else if trimmed.eq_ignore_ascii_case("member") {
            Ok(Role::Member)
        } else {
            Err(RoleError::Unknown)
        }
    }

    /// The role whose stored form is exactly `text` (no trimming, no case folding).
    pub fn from_stored(text: &str) -> Result<Role, super::UnknownValue> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| super::UnknownValue { kind: "Role", value: text.to_string() })
    }

    /// The stored / form value: `"admin"` or `"member"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    /// The label shown to people: `"Admin"` or `"Member"`.
    pub fn label(&self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Member => "Member",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Role {
    type Err = RoleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::parse(s)
    }
}

super::text_enum::text_codec!(Role);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_parsed_case_insensitively() {
        assert_eq!(Role::parse("admin"), Ok(Role::Admin));
        assert_eq!(Role::parse("ADMIN"), Ok(Role::Admin));
        assert_eq!(Role::parse("Member"), Ok(Role::Member));
        assert_eq!(Role::parse(" member "), Ok(Role::Member));
    }

    #[test]
    fn unknown_roles_are_refused() {
        for input in ["", "owner", "administrator", "admi", "mémber", "admin\0"] {
            assert_eq!(Role::parse(input), Err(RoleError::Unknown), "{input:?}");
        }
    }

    #[test]
    fn as_str_round_trips_through_parse() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }

    #[test]
    fn as_str_is_lower_case_and_label_is_capitalised() {
        assert_eq!(Role::Admin.as_str(), "admin");
        assert_eq!(Role::Member.as_str(), "member");
        assert_eq!(Role::Admin.label(), "Admin");
        assert_eq!(Role::Member.label(), "Member");
    }

    #[test]
    fn the_stored_form_is_exact() {
        assert_eq!(Role::from_stored("admin"), Ok(Role::Admin));
        assert!(Role::from_stored("Admin").is_err());
        assert!(Role::from_stored(" member").is_err());
    }

    #[test]
    fn display_shows_the_label() {
        assert_eq!(Role::Admin.to_string(), "Admin");
        assert_eq!(Role::Member.to_string(), "Member");
    }

    #[test]
    fn error_message_is_a_user_facing_sentence() {
        assert_eq!(RoleError::Unknown.to_string(), "Choose a role: Admin or Member.");
    }
}

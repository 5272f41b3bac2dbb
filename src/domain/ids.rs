//! Id newtypes: a partner id can't be passed where a user id is wanted. They are taken
//! straight from paths (`web::Path<PartnerId>`): anything but a positive number doesn't
//! parse, and the path extractor answers 404. Stored as `BIGINT` through diesel.

use std::{fmt, str::FromStr};

use diesel::{
    deserialize::{self, FromSql, FromSqlRow},
    expression::AsExpression,
    pg::{Pg, PgValue},
    serialize::{self, Output, ToSql},
    sql_types::BigInt,
};

/// The text of a path segment that is not an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an id")]
pub struct NotAnId;

fn parse_positive(raw: &str) -> Result<i64, NotAnId> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or(NotAnId)
}

macro_rules! id_types {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, AsExpression, FromSqlRow, serde::Serialize)]
        #[diesel(sql_type = BigInt)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a value read from the database or another trusted source.
            pub const fn new(id: i64) -> Self {
                $name(id)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = NotAnId;

            fn from_str(s: &str) -> Result<Self, NotAnId> {
                parse_positive(s).map($name)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // Paths and forms carry text; JSON may carry a number.
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a positive id")
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        v.parse().map_err(|_| E::custom("not an id"))
                    }
                    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<$name, E> {
                        (v > 0).then_some($name(v)).ok_or_else(|| E::custom("not an id"))
                    }
                    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<$name, E> {
                        i64::try_from(v).map_err(|_| E::custom("not an id")).and_then(|v| self.visit_i64(v))
                    }
                }
                d.deserialize_any(V)
            }
        }

        impl ToSql<BigInt, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <i64 as ToSql<BigInt, Pg>>::to_sql(&self.0, out)
            }
        }

        impl FromSql<BigInt, Pg> for $name {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                <i64 as FromSql<BigInt, Pg>>::from_sql(bytes).map($name)
            }
        }
    )*};
}

id_types! {
    EnterpriseId;
    PartnerId;
    UserId;
    /// One person's role in one enterprise or partnership (`memberships`).
    MembershipId;
    /// A partner company that may work with several enterprises (`partner_organisations`).
    OrganisationId;
    InvitationId;
    ProductId;
    ApiId;
    EnvironmentId;
    /// A register-partner wizard draft.
    DraftId;
    /// One of a partner's email domains (`partner_domains`).
    DomainId;
    /// A queued email (`email_outbox`).
    EmailId;
    /// A partnership's Application (`partner_applications`, SPEC §18).
    ApplicationId;
    /// An application's client credentials in one environment (`application_credentials`).
    CredentialId;
    /// A gateway credential of the enterprise (`gateway_credentials`).
    GatewayCredentialId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_numbers_are_ids() {
        assert_eq!("42".parse::<PartnerId>(), Ok(PartnerId::new(42)));
        for raw in ["0", "-1", "abc", "", "1.5", " 1", "99999999999999999999", "1\0"] {
            assert_eq!(raw.parse::<PartnerId>(), Err(NotAnId), "{raw:?}");
        }
    }

    #[test]
    fn ids_deserialize_from_text_and_numbers() {
        let from_text: UserId = serde_json::from_str("\"7\"").unwrap_or(UserId::new(0));
        let from_number: UserId = serde_json::from_str("7").unwrap_or(UserId::new(0));
        assert_eq!(from_text, UserId::new(7));
        assert_eq!(from_number, UserId::new(7));
        assert!(serde_json::from_str::<UserId>("\"x\"").is_err());
        assert!(serde_json::from_str::<UserId>("0").is_err());
    }
}

//! States stored as `TEXT` columns: one macro gives each enum its stored form (`as_str`), one
//! `label()` for people, diesel `ToSql`/`FromSql` and serde, after crates.io's `pg_enum!` (ours
//! are TEXT columns with CHECK constraints, not PostgreSQL enums).

/// A stored string no variant has. Reading one from the database is a deserialisation
/// error (the row is refused), never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

/// Diesel (`Text`) and serde (a string) for a type with `as_str()` and `from_stored()`.
macro_rules! text_codec {
    ($name:ident) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = std::str::from_utf8(bytes.as_bytes())?;
                Ok($name::from_stored(text)?)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::from_stored(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// An enum stored as text: `Variant = "stored" => "Label"`, in the order `ALL` lists them.
macro_rules! text_enum {
    (
        $(#[$doc:meta])*
        pub enum $name:ident {
            $($(#[$vdoc:meta])* $variant:ident = $stored:literal => $label:literal,)+
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in the order a form or filter lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored form (also the value in forms and query strings).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $stored,)+
                }
            }

            /// What people see.
            pub const fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            /// The value whose stored form is exactly `text`.
            pub fn from_stored(text: &str) -> Result<Self, $crate::domain::UnknownValue> {
                match text {
                    $($stored => Ok($name::$variant),)+
                    _ => Err($crate::domain::UnknownValue { kind: stringify!($name), value: text.to_string() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::from_stored(s)
            }
        }

        $crate::domain::text_enum::text_codec!($name);
    };
}

pub(crate) use {text_codec, text_enum};

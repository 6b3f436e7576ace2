//! Closed sets stored as TEXT (statuses, kinds, modes): one Rust enum each,
//! declared with `text_enum!`, read and written through Diesel on both
//! backends. The column's CHECK constraint (migrations 2026-12-07-000100 and
//! 2026-12-09-000200) and the enum list the same strings; a stored string the
//! enum does not know is an error when read (`UnknownValue`), never a default.

use std::fmt;

/// A stored or typed string outside the closed set it should belong to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownValue {
    /// The enum's name, for the log.
    pub kind: &'static str,
    pub value: String,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} value {:?}", self.kind, self.value)
    }
}

impl std::error::Error for UnknownValue {}

impl From<UnknownValue> for crate::Error {
    fn from(err: UnknownValue) -> Self {
        crate::Error::internal(err)
    }
}

/// Declares `enum Name { Variant = "stored text", … }` with `as_str`, `ALL`,
/// `parse` (typed input: trimmed, `None` when unknown), `FromStr`/`TryFrom<&str>`
/// (exact, `UnknownValue` when unknown), `Display` and `Serialize` (the stored
/// text), and Diesel's `FromSql`/`ToSql` for `Text` on every backend.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored (and serialized) text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Typed input (a form field, a query value): surrounding blanks
            /// ignored, `None` when not one of the values.
            pub fn parse(s: &str) -> Option<Self> {
                s.trim().parse().ok()
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::db::text_enum::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::db::text_enum::UnknownValue {
                        kind: stringify!($name),
                        value: s.to_string(),
                    }),
                }
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::db::text_enum::UnknownValue;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                text.parse::<$name>().map_err(|e| {
                    log::error!("stored value outside its closed set: {e}");
                    e.into()
                })
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::text_enum! {
        enum Colour {
            Red = "red",
            DarkBlue = "dark_blue",
        }
    }

    #[test]
    fn text_round_trips_and_unknown_is_an_error() {
        for c in Colour::ALL {
            assert_eq!(c.as_str().parse::<Colour>(), Ok(*c));
        }
        let err = "purple".parse::<Colour>().unwrap_err();
        assert_eq!(err.to_string(), "unknown Colour value \"purple\"");
        assert_eq!(Colour::parse(" red "), Some(Colour::Red));
        assert_eq!(Colour::parse("Red"), None);
        assert_eq!(
            serde_json::to_string(&Colour::DarkBlue).unwrap(),
            "\"dark_blue\""
        );
    }
}

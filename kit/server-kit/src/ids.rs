//! Identifiers with a type per kind of row. [`id_type!`](crate::id_type) declares one: a UUID
//! kept as text, serialised and stored as that text (the JSON and the columns are unchanged),
//! so an agent's id cannot be passed where a command's is expected. A value from outside (a
//! URL path, a request body) is taken as given: an id that names no row is "not found", not a
//! malformed request, exactly as when ids were plain strings.

/// `id_type! { /// docs  pub struct AgentId; }`: the newtype with `new` (a fresh UUID v7),
/// `as_str`, `Display`, `From<String>` and back, `Borrow<str>` (maps keyed by it are read with `&str`),
/// transparent serde, an OpenAPI schema of type string, and sqlx encoding for the `Any` driver.
/// The product's crate needs `serde`, `sqlx` and `utoipa`, which both servers have.
#[macro_export]
macro_rules! id_type {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema,
        )]
        #[serde(transparent)]
        $vis struct $name(String);

        impl $name {
            /// A new id: a random UUID.
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                Self($crate::ids::fresh())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::convert::From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl ::std::convert::From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl ::std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl ::std::convert::AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::sqlx::Type<::sqlx::Any> for $name {
            fn type_info() -> ::sqlx::any::AnyTypeInfo {
                <String as ::sqlx::Type<::sqlx::Any>>::type_info()
            }
            fn compatible(ty: &::sqlx::any::AnyTypeInfo) -> bool {
                <String as ::sqlx::Type<::sqlx::Any>>::compatible(ty)
            }
        }

        impl<'q> ::sqlx::Encode<'q, ::sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <::sqlx::Any as ::sqlx::Database>::ArgumentBuffer<'q>,
            ) -> ::std::result::Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                <String as ::sqlx::Encode<'q, ::sqlx::Any>>::encode_by_ref(&self.0, buf)
            }
        }

        impl<'r> ::sqlx::Decode<'r, ::sqlx::Any> for $name {
            fn decode(
                value: ::sqlx::any::AnyValueRef<'r>,
            ) -> ::std::result::Result<Self, ::sqlx::error::BoxDynError> {
                <String as ::sqlx::Decode<'r, ::sqlx::Any>>::decode(value).map(Self)
            }
        }
    };
}

/// A UUID v7 as text, the form every id column holds: 74 random bits behind the time, and ids
/// this process makes one after another sort in that order, so `ORDER BY created_at, id`
/// keeps rows made in the same millisecond (two commands queued at once) in the order they
/// were made.
#[doc(hidden)]
pub fn fresh() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
#[path = "ids_tests.rs"]
mod tests;

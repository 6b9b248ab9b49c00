//! Enums stored as text. [`stored_enum!`](crate::stored_enum) declares one from a list of
//! variants and their stored words, with `as_str`, `parse`, `ALL`, `Display`, `Serialize` (the
//! word) and `TryFrom<String>`, which is what `#[sqlx(try_from = "String")]` reads a column
//! with: a word no variant has is a decode error that names it, not a silent default.

/// Stored text that names no variant: a row written by something other than this server.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} `{value}` in the database")]
pub struct UnknownValue {
    kind: &'static str,
    value: String,
}

impl UnknownValue {
    pub fn new(kind: &'static str, value: String) -> Self {
        Self { kind, value }
    }
}

/// `stored_enum! { /// docs  pub enum Name as "what it is" { /// docs  Variant = "word", … } }`
#[macro_export]
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident as $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            pub fn parse(value: &str) -> Option<Self> {
                match value {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::convert::TryFrom<String> for $name {
            type Error = $crate::stored::UnknownValue;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value).ok_or_else(|| $crate::stored::UnknownValue::new($kind, value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::stored::__Serialize for $name {
            fn serialize<S: $crate::stored::__Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

#[doc(hidden)]
pub use serde::{Serialize as __Serialize, Serializer as __Serializer};

/// The values `T`'s OpenAPI schema lists: a stored enum that also derives `utoipa::ToSchema`
/// should list exactly its stored words, which each product's tests check with this.
pub fn schema_values<T: utoipa::PartialSchema>() -> Vec<String> {
    let schema = serde_json::to_value(T::schema()).unwrap_or_default();
    let values = schema["enum"].as_array().cloned().unwrap_or_default();
    values
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    crate::stored_enum! {
        /// A test enum.
        #[derive(utoipa::ToSchema)]
        #[schema(rename_all = "snake_case")]
        pub enum Light as "light" {
            /// Stop.
            Red = "red",
            Amber = "amber",
            Green = "green_light",
        }
    }

    #[test]
    fn every_variant_reads_back_as_itself_and_strangers_are_named() {
        for light in Light::ALL {
            assert_eq!(
                Light::try_from(light.as_str().to_owned()).ok(),
                Some(*light)
            );
        }
        assert_eq!(Light::Green.to_string(), "green_light");
        assert_eq!(Light::parse("Red"), None, "words are exact");
        let err = Light::try_from("blue".to_owned()).expect_err("unknown");
        assert_eq!(err.to_string(), "unknown light `blue` in the database");
    }

    #[test]
    fn serialises_as_its_word() {
        let json = serde_json::to_string(&[Light::Red, Light::Green]).expect("json");
        assert_eq!(json, r#"["red","green_light"]"#);
    }

    #[test]
    fn the_schema_lists_what_utoipa_derives_so_a_word_it_misses_shows() {
        let words: Vec<_> = Light::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(words, ["red", "amber", "green_light"]);
        // `Green` is stored as `green_light`, which snake_case cannot derive: the check the
        // products run (schema values == stored words) fails for such an enum, as it must.
        assert_eq!(super::schema_values::<Light>(), ["red", "amber", "green"]);
    }
}

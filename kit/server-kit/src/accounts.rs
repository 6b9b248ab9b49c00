//! What both products' accounts share: the accounts table, the two roles a person signs in
//! with, and the two ways they prove who they are before the second step.

mod table;

pub use table::{
    sign_in_key, Account, AccountTable, CreateAccountError, PasswordRefused, SignInColumn,
};

crate::stored_enum! {
    /// What an account may do: a technician works on machines, an admin also manages
    /// accounts, keys and settings.
    #[derive(utoipa::ToSchema)]
    #[schema(rename_all = "lowercase")]
    pub enum Role as "role" {
        Admin = "admin",
        Technician = "technician",
    }
}

crate::stored_enum! {
    /// How a sign-in's first step was passed (audited with each sign-in).
    pub enum SignInMethod as "sign-in method" {
        Password = "password",
        SingleSignOn = "sso",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_lists_exactly_the_stored_words() {
        let words: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(crate::stored::schema_values::<Role>(), words);
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("Admin"), None);
    }
}

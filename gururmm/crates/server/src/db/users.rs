//! User accounts (technicians and admins): the kit's accounts table, signed in to by email.

use crate::model::UserId;
use server_kit::accounts::{AccountTable, SignInColumn};
pub use server_kit::accounts::{CreateAccountError, Role};

/// A technician's or admin's account.
pub type UserRow = server_kit::accounts::Account<UserId>;

/// GuruRMM's people sign in with their email address.
pub const USERS: AccountTable<UserId> = AccountTable::new(SignInColumn::Email);

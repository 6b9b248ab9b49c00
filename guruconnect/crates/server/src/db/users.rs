//! Technician and admin accounts: the kit's accounts table, signed in to by username.

use crate::model::UserId;
use server_kit::accounts::{AccountTable, SignInColumn};
pub use server_kit::accounts::{CreateAccountError, Role};

/// A technician's or admin's account.
pub type UserRow = server_kit::accounts::Account<UserId>;

/// GuruConnect's people sign in with a username.
pub const USERS: AccountTable<UserId> = AccountTable::new(SignInColumn::Username);

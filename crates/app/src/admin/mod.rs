//! The system administrator's desk.

pub mod config;
mod users;

pub use users::{CreateUserInput, CreatedUser, UserView, create_user, list_users};

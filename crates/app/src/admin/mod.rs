//! The system administrator's desk.

mod users;

pub use users::{CreateUserInput, CreatedUser, UserView, create_user, list_users};

//! 个人: people who apply without an organisation, known by their ID number.

use domain::ident::IdNumber;
use domain::ids::UserId;
use jiff::Timestamp;
use sqlx::AnyConnection;

use crate::{StoreError, micros};

pub async fn insert(
    conn: &mut AnyConnection,
    user: UserId,
    id_number: &IdNumber,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO individuals (user_id, id_number, created_at) VALUES ($1, $2, $3)")
        .bind(user.to_text())
        .bind(id_number.as_str())
        .bind(micros(at))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn id_number_of(
    conn: &mut AnyConnection,
    user: UserId,
) -> Result<Option<IdNumber>, StoreError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT id_number FROM individuals WHERE user_id = $1")
            .bind(user.to_text())
            .fetch_optional(conn)
            .await?;
    row.map(|(s,)| {
        IdNumber::parse(&s).map_err(|e| StoreError::Corrupt(format!("individual {user}: {e}")))
    })
    .transpose()
}

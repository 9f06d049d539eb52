//! Who belongs to which organisation (人员管理). A membership ends; it is never deleted.

use domain::ident::Phone;
use domain::ids::{OrganisationId, UserId};
use domain::organisation::MemberRole;
use jiff::Timestamp;
use sqlx::{AnyConnection, FromRow};

use crate::{StoreError, from_micros, micros};

#[derive(Clone, Debug)]
pub struct Membership {
    pub organisation_id: OrganisationId,
    pub role: MemberRole,
}

/// A member as shown on the people page.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: UserId,
    pub name: String,
    pub mobile: Phone,
    pub email: Option<String>,
    pub role: MemberRole,
    pub added_at: Timestamp,
}

pub async fn add(
    conn: &mut AnyConnection,
    org: OrganisationId,
    user: UserId,
    role: MemberRole,
    added_by: UserId,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO memberships (organisation_id, user_id, role, added_by, added_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(org.to_text())
    .bind(user.to_text())
    .bind(role.as_str())
    .bind(added_by.to_text())
    .bind(micros(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The person's current organisation, if any.
pub async fn active_of(
    conn: &mut AnyConnection,
    user: UserId,
) -> Result<Option<Membership>, StoreError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT organisation_id, role FROM memberships WHERE user_id = $1 AND removed_at IS NULL",
    )
    .bind(user.to_text())
    .fetch_optional(conn)
    .await?;
    row.map(|(org, role)| {
        Ok(Membership {
            organisation_id: OrganisationId::parse(&org)
                .map_err(|e| StoreError::Corrupt(format!("membership org: {e}")))?,
            role: MemberRole::parse(&role)
                .map_err(|e| StoreError::Corrupt(format!("membership role: {e}")))?,
        })
    })
    .transpose()
}

#[derive(FromRow)]
struct MemberRow {
    id: String,
    name: String,
    mobile: String,
    email: Option<String>,
    role: String,
    added_at: i64,
}

/// Current members, admins first, then by when they joined.
pub async fn list(
    conn: &mut AnyConnection,
    org: OrganisationId,
) -> Result<Vec<Member>, StoreError> {
    let rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT u.id, u.name, u.mobile, u.email, m.role, m.added_at \
         FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.organisation_id = $1 AND m.removed_at IS NULL \
         ORDER BY CASE m.role WHEN 'admin' THEN 0 ELSE 1 END, m.added_at, u.id",
    )
    .bind(org.to_text())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let corrupt = |what: &str| StoreError::Corrupt(format!("member {}: {what}", r.id));
            Ok(Member {
                user_id: UserId::parse(&r.id).map_err(|_| corrupt("id"))?,
                mobile: Phone::parse(&r.mobile).map_err(|_| corrupt("mobile"))?,
                role: MemberRole::parse(&r.role).map_err(|_| corrupt("role"))?,
                added_at: from_micros(r.added_at)?,
                name: r.name,
                email: r.email,
            })
        })
        .collect()
}

pub async fn count_admins(
    conn: &mut AnyConnection,
    org: OrganisationId,
) -> Result<i64, StoreError> {
    let n: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM memberships WHERE organisation_id = $1 AND role = 'admin' AND removed_at IS NULL",
    )
    .bind(org.to_text())
    .fetch_one(conn)
    .await?;
    Ok(n.0)
}

/// Ends a membership. Returns false when the person was not a current member.
pub async fn end(
    conn: &mut AnyConnection,
    org: OrganisationId,
    user: UserId,
    removed_by: UserId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE memberships SET removed_at = $1, removed_by = $2 \
         WHERE organisation_id = $3 AND user_id = $4 AND removed_at IS NULL",
    )
    .bind(micros(at))
    .bind(removed_by.to_text())
    .bind(org.to_text())
    .bind(user.to_text())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

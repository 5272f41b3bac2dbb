//! Failed-login bookkeeping for throttling (see `auth::throttle`).

use diesel::prelude::*;

use crate::db::schema::login_failures;

/// Failures for `subject` within the last `window_secs`.
pub fn recent_failures(conn: &mut PgConnection, scope: &str, subject: &str, window_secs: i64) -> QueryResult<i64> {
    let since = chrono::Utc::now() - chrono::Duration::seconds(window_secs);
    login_failures::table
        .filter(login_failures::scope.eq(scope))
        .filter(login_failures::subject.eq(subject))
        .filter(login_failures::failed_at.gt(since))
        .count()
        .get_result(conn)
}

pub fn record_failure(conn: &mut PgConnection, scope: &str, subject: &str) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((login_failures::scope.eq(scope), login_failures::subject.eq(subject)))
        .execute(conn)
        .map(|_| ())
}

/// A successful login clears the account's failures (not the client's).
pub fn clear_account(conn: &mut PgConnection, subject: &str) -> QueryResult<()> {
    diesel::delete(
        login_failures::table.filter(login_failures::scope.eq("account")).filter(login_failures::subject.eq(subject)),
    )
    .execute(conn)
    .map(|_| ())
}

pub fn delete_older_than(conn: &mut PgConnection, secs: i64) -> QueryResult<usize> {
    let before = chrono::Utc::now() - chrono::Duration::seconds(secs);
    diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(before))).execute(conn)
}

//! Statuses, roles, actions and kinds go through PostgreSQL as their stored text, and text no
//! variant has is refused when read (an error, not a panic).

use diesel::{prelude::*, sql_query, sql_types::Text};
use partner_portal::{
    db::audit,
    domain::{AuditAction, EmailKind, EmailStatus, FlashKind, InvitationStatus, PartnerStatus, Role, UserRole},
};

use crate::helpers::TestDatabase;

#[derive(QueryableByName)]
struct One<T: diesel::deserialize::FromSql<Text, diesel::pg::Pg> + 'static> {
    #[diesel(sql_type = Text)]
    v: T,
}

fn select_text<T>(conn: &mut PgConnection, text: &str) -> QueryResult<T>
where
    T: diesel::deserialize::FromSql<Text, diesel::pg::Pg> + 'static,
{
    sql_query("SELECT $1::text AS v").bind::<Text, _>(text).get_result::<One<T>>(conn).map(|r| r.v)
}

/// Binds `value` as a parameter and reads back what PostgreSQL holds: its stored text, and it
/// again as the enum.
fn round_trip<T>(conn: &mut PgConnection, value: T) -> (String, T)
where
    T: diesel::deserialize::FromSql<Text, diesel::pg::Pg>
        + diesel::serialize::ToSql<Text, diesel::pg::Pg>
        + std::fmt::Debug
        + 'static,
{
    let text = sql_query("SELECT $1 AS v").bind::<Text, _>(&value).get_result::<One<String>>(conn).unwrap().v;
    let back = select_text::<T>(conn, &text).unwrap();
    (text, back)
}

#[test]
fn every_value_is_stored_as_its_text_and_read_back() {
    let db = TestDatabase::create();
    let mut conn = db.connect();
    for &s in PartnerStatus::ALL {
        assert_eq!(round_trip(&mut conn, s), (s.as_str().to_string(), s));
    }
    for &s in InvitationStatus::ALL {
        assert_eq!(round_trip(&mut conn, s), (s.as_str().to_string(), s));
    }
    for &r in UserRole::ALL {
        assert_eq!(round_trip(&mut conn, r), (r.as_str().to_string(), r));
    }
    for r in Role::ALL {
        assert_eq!(round_trip(&mut conn, r), (r.as_str().to_string(), r));
    }
    for &a in AuditAction::ALL {
        assert_eq!(round_trip(&mut conn, a), (a.as_str().to_string(), a));
    }
    for &k in EmailKind::ALL {
        assert_eq!(round_trip(&mut conn, k), (k.as_str().to_string(), k));
    }
    for &s in EmailStatus::ALL {
        assert_eq!(round_trip(&mut conn, s), (s.as_str().to_string(), s));
    }
    for &k in FlashKind::ALL {
        assert_eq!(round_trip(&mut conn, k), (k.as_str().to_string(), k));
    }
    assert_eq!(select_text::<PartnerStatus>(&mut conn, "active").unwrap(), PartnerStatus::Active);
    assert_eq!(select_text::<UserRole>(&mut conn, "enterprise_admin").unwrap(), UserRole::EnterpriseAdmin);
}

#[test]
fn unknown_stored_text_is_an_error_not_a_panic() {
    let db = TestDatabase::create();
    let mut conn = db.connect();
    let err = select_text::<PartnerStatus>(&mut conn, "archived").expect_err("archived is no partner status");
    assert!(err.to_string().contains("unknown PartnerStatus \"archived\""), "{err}");
    assert!(select_text::<PartnerStatus>(&mut conn, "Active").is_err(), "the stored form is exact");
    assert!(select_text::<Role>(&mut conn, "enterprise_admin").is_err(), "not a partner role");
    assert!(select_text::<AuditAction>(&mut conn, "partner.exploded").is_err());
}

#[test]
fn an_audit_event_with_an_action_the_portal_does_not_know_fails_to_load() {
    // audit_events.action has no CHECK constraint: a row written by something else must not
    // be shown as if it were a known action.
    let db = TestDatabase::create();
    let mut conn = db.connect();
    let enterprise = partner_portal::db::enterprises::insert(&mut conn, "Acme", 10).unwrap();
    let insert = |conn: &mut PgConnection, action: &str| {
        sql_query("INSERT INTO audit_events (enterprise_id, actor_label, action, target) VALUES ($1, 'x', $2, 't')")
            .bind::<diesel::sql_types::BigInt, _>(enterprise.id)
            .bind::<Text, _>(action)
            .execute(conn)
            .unwrap();
    };
    insert(&mut conn, "partner.renamed");
    let filter = audit::EventFilter::default();
    let events = audit::page(&mut conn, enterprise.id, &filter, 0, 10).unwrap();
    assert_eq!(events.iter().map(|(e, _)| e.action).collect::<Vec<_>>(), [AuditAction::PartnerRenamed]);
    assert_eq!(audit::actions_present(&mut conn, enterprise.id).unwrap(), [AuditAction::PartnerRenamed]);

    insert(&mut conn, "partner.exploded");
    assert!(audit::page(&mut conn, enterprise.id, &filter, 0, 10).is_err());
    assert!(audit::actions_present(&mut conn, enterprise.id).is_err());
}

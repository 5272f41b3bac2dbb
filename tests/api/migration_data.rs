//! The memberships migration (2026-12-01-000001) keeps every person, role, partner, session and
//! invitation of a database made by the previous schema.

use diesel::connection::SimpleConnection;
use diesel::{
    migration::MigrationSource,
    pg::Pg,
    prelude::*,
    sql_types::{BigInt, Bool, Nullable, Text},
};
use diesel_migrations::MigrationHarness;
use partner_portal::db::MIGRATIONS;

use crate::helpers::TestDatabase;

const MEMBERSHIPS: &str = "2026-12-01-000001_memberships";

/// Applies the migrations before `MEMBERSHIPS`, one by one.
fn migrate_to_previous_schema(conn: &mut PgConnection) {
    // Reading what is pending creates diesel's bookkeeping table.
    conn.pending_migrations(MIGRATIONS).unwrap();
    let all = MigrationSource::<Pg>::migrations(&MIGRATIONS).unwrap();
    for migration in all.iter().take_while(|m| m.name().to_string() != MEMBERSHIPS) {
        conn.run_migration(migration).unwrap();
    }
    assert!(all.iter().any(|m| m.name().to_string() == MEMBERSHIPS), "the migration under test exists");
}

#[derive(QueryableByName, Debug, PartialEq)]
struct MembershipRow {
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Nullable<Text>)]
    partner: Option<String>,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Bool)]
    ended: bool,
}

#[test]
fn existing_people_partners_and_sessions_survive_the_memberships_migration() {
    let db = TestDatabase::empty();
    let mut conn = db.connect();
    migrate_to_previous_schema(&mut conn);

    // Data as the previous schema held it: one enterprise admin; Globex (active) with its
    // Admin, a Member and a removed member; Initech (deactivated) with a disabled user; a
    // logged-in session; a pending invitation.
    conn.batch_execute(
        "INSERT INTO enterprises (id, name) VALUES (1, 'Acme');
         INSERT INTO partners (id, enterprise_id, name, status) VALUES (1, 1, 'Globex', 'active');
         INSERT INTO partners (id, enterprise_id, name, status, deactivated_at)
              VALUES (2, 1, 'Initech', 'deactivated', now());
         INSERT INTO users (id, enterprise_id, partner_id, role, email, first_name, surname, password_hash, disabled_at) VALUES
              (1, 1, NULL, 'enterprise_admin', 'erin@acme.example', 'Erin', 'Admin', 'hash-erin', NULL),
              (2, 1, 1, 'admin', 'ana@globex.example', 'Ana', 'Lima', 'hash-ana', NULL),
              (3, 1, 1, 'member', 'mo@globex.example', 'Mo', 'Okafor', 'hash-mo', NULL),
              (4, 1, 1, 'member', 'gone@globex.example', 'Gone', 'Member', 'hash-gone', now()),
              (5, 1, 2, 'admin', 'peter@initech.example', 'Peter', 'G', 'hash-peter', now());
         UPDATE partners SET account_admin_user_id = 2 WHERE id = 1;
         INSERT INTO sessions (key_hash, user_id, state, expires_at, absolute_expires_at)
              VALUES ('\\x01', 2, '{}', now() + interval '1 hour', now() + interval '1 day');
         INSERT INTO invitations (enterprise_id, partner_id, email, first_name, surname, role, token_hash, expires_at)
              VALUES (1, 1, 'ivy@globex.example', 'Ivy', 'I', 'member', '\\x02', now() + interval '7 days');",
    )
    .unwrap();

    partner_portal::db::run_migrations(&mut conn).unwrap();

    // People keep their address, names and password.
    let people: Vec<(String, Option<String>)> = diesel::sql_query("SELECT email, password_hash FROM users ORDER BY id")
        .load::<PersonRow>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|p| (p.email, p.password_hash))
        .collect();
    assert_eq!(people.len(), 5);
    assert_eq!(people[1], ("ana@globex.example".to_string(), Some("hash-ana".to_string())));

    // Each old user is one membership with the same role; disabled ones are ended.
    let memberships: Vec<MembershipRow> = diesel::sql_query(
        "SELECT u.email, p.name AS partner, m.role, m.ended_at IS NOT NULL AS ended
           FROM memberships m JOIN users u ON u.id = m.user_id LEFT JOIN partners p ON p.id = m.partner_id
          ORDER BY u.id",
    )
    .load(&mut conn)
    .unwrap();
    let row = |email: &str, partner: Option<&str>, role: &str, ended: bool| MembershipRow {
        email: email.into(),
        partner: partner.map(Into::into),
        role: role.into(),
        ended,
    };
    assert_eq!(
        memberships,
        [
            row("erin@acme.example", None, "enterprise_admin", false),
            row("ana@globex.example", Some("Globex"), "admin", false),
            row("mo@globex.example", Some("Globex"), "member", false),
            row("gone@globex.example", Some("Globex"), "member", true),
            row("peter@initech.example", Some("Initech"), "admin", true),
        ]
    );

    // Every partner starts its own organisation with a Partner ID and a connection link.
    #[derive(QueryableByName)]
    struct Org {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        partner_code: String,
        #[diesel(sql_type = BigInt)]
        partnerships: i64,
    }
    let orgs: Vec<Org> = diesel::sql_query(
        "SELECT o.name, o.partner_code, (SELECT count(*) FROM partners p WHERE p.organisation_id = o.id) AS partnerships
           FROM partner_organisations o ORDER BY o.id",
    )
    .load(&mut conn)
    .unwrap();
    assert_eq!(orgs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["Globex", "Initech"]);
    assert!(orgs.iter().all(|o| o.partnerships == 1));
    assert!(orgs.iter().all(|o| o.partner_code.len() == 10 && o.partner_code.starts_with("PRT-")));
    assert_ne!(orgs[0].partner_code, orgs[1].partner_code);

    // The open session now acts in Ana's Globex membership; the invitation is untouched.
    #[derive(QueryableByName)]
    struct Session {
        #[diesel(sql_type = Nullable<Text>)]
        role: Option<String>,
    }
    let session: Session = diesel::sql_query(
        "SELECT m.role FROM sessions s LEFT JOIN memberships m ON m.id = s.membership_id WHERE s.user_id = 2",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(session.role.as_deref(), Some("admin"));
    #[derive(QueryableByName)]
    struct Invitation {
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = Nullable<BigInt>)]
        partner_id: Option<i64>,
    }
    let invitation: Invitation =
        diesel::sql_query("SELECT status, partner_id FROM invitations").get_result(&mut conn).unwrap();
    assert_eq!((invitation.status.as_str(), invitation.partner_id), ("pending", Some(1)));

    // And the migration can be reverted and applied again (down.sql keeps one membership),
    // after reverting the later ones.
    let all = MigrationSource::<Pg>::migrations(&MIGRATIONS).unwrap();
    let later = all.iter().skip_while(|m| m.name().to_string() != MEMBERSHIPS).count();
    for _ in 0..later {
        conn.revert_last_migration(MIGRATIONS).unwrap();
    }
    let roles: Vec<RoleRow> = diesel::sql_query("SELECT role FROM users ORDER BY id").load(&mut conn).unwrap();
    assert_eq!(
        roles.iter().map(|r| r.role.as_str()).collect::<Vec<_>>(),
        ["enterprise_admin", "admin", "member", "member", "admin"]
    );
    partner_portal::db::run_migrations(&mut conn).unwrap();
}

#[derive(QueryableByName)]
struct PersonRow {
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Nullable<Text>)]
    password_hash: Option<String>,
}

#[derive(QueryableByName)]
struct RoleRow {
    #[diesel(sql_type = Text)]
    role: String,
}

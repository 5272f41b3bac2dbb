//! The `partner-portal` command line, run as a user would.

use std::process::Command;

use crate::helpers::TestDatabase;

fn portal(db: &TestDatabase, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_partner-portal"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("APP_ENV", "development")
        .env("PUBLIC_BASE_URL", "https://portal.example")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn enterprise_create_prints_a_single_use_link_and_refuses_a_duplicate() {
    let db = TestDatabase::create();

    let out = portal(&db, &["enterprise", "create", "--name", "Initech", "--admin-email", "Bill@Initech.example"]);

    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let link = stdout.lines().find(|l| l.starts_with("https://portal.example/password/set/")).expect(&stdout);
    let token = link.rsplit('/').next().unwrap();
    assert!(token.len() >= 22, "at least 128 bits of randomness");
    use diesel::prelude::*;
    let stored: Vec<Vec<u8>> = partner_portal::db::schema::password_tokens::table
        .select(partner_portal::db::schema::password_tokens::token_hash)
        .load(&mut db.connect())
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].windows(token.len()).any(|w| w == token.as_bytes()), "only a hash is stored");

    let again = portal(&db, &["enterprise", "create", "--name", "Initech", "--admin-email", "other@initech.example"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn seed_demo_is_idempotent_and_prints_a_working_login() {
    let db = TestDatabase::create();

    let first = portal(&db, &["seed-demo"]);
    let second = portal(&db, &["seed-demo"]);

    assert!(first.status.success() && second.status.success());
    let out = String::from_utf8(second.stdout).unwrap();
    assert!(out.contains("admin@acme.example"));
    let password = out.lines().find_map(|l| l.trim().strip_prefix("Password: ")).unwrap().trim().to_string();
    use diesel::prelude::*;
    let (count, hash): (i64, Option<String>) = {
        let mut conn = db.connect();
        let count = partner_portal::db::schema::enterprises::table.count().get_result(&mut conn).unwrap();
        let user = partner_portal::db::users::find_by_email(&mut conn, "admin@acme.example").unwrap().unwrap();
        (count, user.password_hash)
    };
    assert_eq!(count, 1, "running twice creates nothing twice");
    use argon2::PasswordVerifier;
    let parsed = argon2::PasswordHash::new(hash.as_deref().unwrap()).unwrap();
    assert!(argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
}

#[test]
fn a_bad_setting_in_production_stops_start_up_with_one_line_naming_the_variable() {
    let db = TestDatabase::create();
    let out = Command::new(env!("CARGO_BIN_EXE_partner-portal"))
        .args(["serve"])
        .env("DATABASE_URL", &db.url)
        .env("APP_ENV", "production")
        .env("PUBLIC_BASE_URL", "https://portal.example")
        .env_remove("SESSION_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("SESSION_KEY"));
}

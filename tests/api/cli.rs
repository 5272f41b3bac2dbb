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

/// `-h` of a command line, as a user types it.
fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_partner-portal")).args(args).arg("-h").output().unwrap();
    assert!(out.status.success(), "{args:?} -h: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The entries (`name  description`) of a help section such as `Commands:` or `Options:`.
fn entries<'a>(help: &'a str, section: &str) -> Vec<(&'a str, &'a str)> {
    help.lines()
        .skip_while(|l| *l != section)
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            let l = l.trim_start();
            match l.find("  ") {
                Some(gap) => (&l[..gap], l[gap..].trim()),
                None => (l, ""),
            }
        })
        .collect()
}

#[test]
fn every_command_and_every_flag_has_a_sentence_of_help() {
    let mut to_visit = vec![Vec::<String>::new()];
    let mut seen = Vec::new();
    while let Some(path) = to_visit.pop() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&args);
        assert!(text.lines().next().is_some_and(|l| l.len() > 10), "{args:?} has an about line: {text}");
        for (flag, description) in entries(&text, "Options:") {
            assert!(description.len() > 5, "{args:?}: {flag} has no help text:\n{text}");
        }
        for (command, description) in entries(&text, "Commands:") {
            assert!(description.len() > 5, "{args:?}: {command} has no help text:\n{text}");
            if command != "help" {
                to_visit.push(path.iter().cloned().chain([command.to_string()]).collect());
            }
        }
        seen.push(args.join(" "));
    }
    for expected in ["", "serve", "migrate", "enterprise", "enterprise create", "seed-demo"] {
        assert!(seen.iter().any(|s| s == expected), "{expected:?} visited: {seen:?}");
    }
    let create = help(&["enterprise", "create"]);
    assert!(create.contains("--admin-email <ADMIN_EMAIL>  Email address of the first enterprise admin"), "{create}");
    assert!(help(&["serve"]).contains("the default command"));
}

#[test]
fn without_a_command_the_portal_serves_and_sigterm_lets_a_request_in_flight_finish() {
    use std::io::{BufRead, BufReader};
    let db = TestDatabase::create();
    let mut child = Command::new(env!("CARGO_BIN_EXE_partner-portal"))
        .env("DATABASE_URL", &db.url)
        .env("APP_ENV", "development")
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut log = Vec::new();
    // actix logs "listening on: <address>" as the server starts (and takes over SIGTERM).
    let address = loop {
        let line = lines.next().expect("the portal logs where it listens").unwrap();
        log.push(line.clone());
        if let Some((_, rest)) = line.split_once("listening on: ") {
            break rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':').collect::<String>();
        }
    };
    use std::io::{Read, Write};
    let mut healthz = std::net::TcpStream::connect(&address).unwrap();
    healthz.write_all(b"GET /healthz HTTP/1.1\r\nHost: portal\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    healthz.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "it serves: {answer}");

    // A request in flight when SIGTERM comes: opening an invitation link looks the invitation
    // up, and the test holds a lock on the invitations table, so the request waits inside the
    // portal (seen in pg_stat_activity) until the test lets it go, after the signal.
    while !log.iter().any(|l| l.contains("database schema is up to date")) {
        log.push(lines.next().expect("the portal applies the migrations").unwrap());
    }
    use diesel::{connection::SimpleConnection, prelude::*};
    let mut locker = db.connect();
    locker.batch_execute("BEGIN; LOCK TABLE invitations IN ACCESS EXCLUSIVE MODE").unwrap();
    let mut in_flight = std::net::TcpStream::connect(&address).unwrap();
    in_flight
        .write_all(b"GET /invitations/no-such-token HTTP/1.1\r\nHost: portal\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut watcher = db.connect();
    let started = std::time::Instant::now();
    loop {
        let waiting: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
               AND query LIKE '%FROM \"invitations\"%')",
        ))
        .get_result(&mut watcher)
        .unwrap();
        if waiting == 1 {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the request reaches the database");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    for line in lines.by_ref() {
        let line = line.unwrap();
        let stopping = line.contains("graceful shutdown");
        log.push(line);
        if stopping {
            break;
        }
    }
    // The server is stopping; the request in flight still gets its page (410: the link is
    // unknown, which the portal could tell only once the lock was released).
    locker.batch_execute("COMMIT").unwrap();
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).unwrap();
    if !answer.starts_with("HTTP/1.1 410") {
        let _ = child.wait();
        log.extend(lines.by_ref().map(|l| l.unwrap()));
        panic!("the request in flight is answered: {answer:?} {log:#?}");
    }
    // The listener is closed as the shutdown begins; on a busy machine that can trail the
    // log line by a moment, so the check allows it a second.
    let closing = std::time::Instant::now();
    while std::net::TcpStream::connect(&address).is_ok() {
        assert!(closing.elapsed() < std::time::Duration::from_secs(1), "no new connection is accepted");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    let status = child.wait().unwrap();
    log.extend(lines.map(|l| l.unwrap()));

    assert!(status.success(), "exits 0 after SIGTERM: {status:?}\n{log:#?}");
    let position = |needle: &str| log.iter().position(|l| l.contains(needle));
    let (started, graceful, worker) =
        (position("email worker started"), position("graceful shutdown"), position("email worker stopped"));
    assert!(started.is_some() && graceful.is_some() && worker.is_some(), "{log:#?}");
    assert!(graceful < worker, "the worker stops after the server: {log:#?}");
    let rechecks = (position("domain re-check worker started"), position("domain re-check worker stopped"));
    assert!(rechecks.0.is_some() && graceful < rechecks.1, "the domain re-check stops after the server: {log:#?}");
}

#[test]
fn env_example_and_the_readme_list_every_setting_of_config_rs() {
    let config = include_str!("../../src/config.rs");
    let example = include_str!("../../.env.example");
    let readme = include_str!("../../README.md");
    let variables: Vec<&str> =
        config.lines().filter_map(|l| l.strip_prefix("//! | `")).filter_map(|l| l.split('`').next()).collect();
    assert!(variables.len() >= 15 && variables.contains(&"DATABASE_URL"), "{variables:?}");
    for variable in variables.iter().copied().chain(["STATIC_DIR", "RUST_LOG"]) {
        let line = example.lines().position(|l| l.trim_start_matches('#').starts_with(&format!("{variable}=")));
        let line = line.unwrap_or_else(|| panic!("{variable} is in .env.example"));
        assert!(
            example.lines().nth(line - 1).is_some_and(|l| l.starts_with("# ")),
            "{variable} has a comment above it"
        );
        assert!(readme.contains(&format!("`{variable}`")), "{variable} is in the README");
    }
}

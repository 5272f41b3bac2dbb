//! How the API changes things: as an [`ApiActor`] (the token, named in the audit log), in one
//! transaction per request, with the request's `Idempotency-Key` and its answer stored in that
//! same transaction (SPEC §14: "a retried create never makes two partners").
//!
//! A key is kept per token for 24 hours with a fingerprint of the request (method, path,
//! body). Its answer is stored only when the change commits: a refused request changes nothing
//! and stores nothing, so a retry after fixing the cause is not answered with the old refusal.
//! Two requests with the same key at once: the second waits on the key's unique index until
//! the first commits, then gets the first one's answer.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Bytea, Nullable, SmallInt, Text},
    PgConnection,
};
use sha2::{Digest, Sha256};

use super::{admit, ApiCaller, Bearer, Problem};
use crate::{
    auth::actor::Actor,
    db,
    domain::{EnterpriseId, TimeZone, UserId},
    error::AppError,
    render::time::Clock,
    state::AppState,
};

/// The API token as the author of a change.
pub struct ApiActor {
    pub caller: ApiCaller,
    pub enterprise_name: String,
    pub time_zone: TimeZone,
}

impl ApiActor {
    fn load(conn: &mut PgConnection, caller: ApiCaller) -> Result<ApiActor, AppError> {
        use crate::db::schema::enterprises as e;
        let (name, zone): (String, String) =
            e::table.find(caller.enterprise_id).select((e::name, e::time_zone)).first(conn)?;
        Ok(ApiActor { caller, enterprise_name: name, time_zone: TimeZone::from_stored(&zone) })
    }
}

impl Actor for ApiActor {
    fn enterprise_id(&self) -> EnterpriseId {
        self.caller.enterprise_id
    }

    fn user_id(&self) -> Option<UserId> {
        None
    }

    fn actor_label(&self) -> String {
        format!("API token {}", self.caller.name)
    }

    fn membership_label(&self) -> String {
        format!("API token of {}", self.enterprise_name)
    }

    fn display_name(&self) -> String {
        self.enterprise_name.clone()
    }

    fn enterprise_name(&self) -> &str {
        &self.enterprise_name
    }

    fn clock(&self) -> Clock {
        Clock::new(self.time_zone, chrono::Utc::now())
    }
}

/// A successful write's answer: its status, JSON body and (for a create) where the new thing is.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    /// The JSON, serialised once: what is sent is what a retry gets back, byte for byte.
    pub body: String,
    pub location: Option<String>,
}

impl Answer {
    pub fn ok(body: &impl serde::Serialize) -> Self {
        Answer { status: StatusCode::OK, body: serde_json::to_string(body).unwrap_or_default(), location: None }
    }

    pub fn created(location: String, body: &impl serde::Serialize) -> Self {
        Answer {
            status: StatusCode::CREATED,
            body: serde_json::to_string(body).unwrap_or_default(),
            location: Some(location),
        }
    }

    fn respond(self, replayed: bool) -> HttpResponse {
        let mut r = HttpResponse::build(self.status);
        r.content_type("application/json").insert_header(("cache-control", "no-store"));
        if let Some(location) = &self.location {
            r.insert_header(("location", location.as_str()));
        }
        if replayed {
            r.insert_header(("idempotent-replayed", "true"));
        }
        r.body(self.body)
    }
}

/// The request's `Idempotency-Key` and fingerprint, when it has a key.
pub struct Idempotency {
    key: String,
    fingerprint: Vec<u8>,
}

impl Idempotency {
    /// None without the header; 400 for a key that is empty, longer than 255 characters or not
    /// printable ASCII.
    pub fn of(req: &HttpRequest, body: &[u8]) -> Result<Option<Idempotency>, Problem> {
        let Some(raw) = req.headers().get("idempotency-key") else { return Ok(None) };
        let key = raw
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| (0x21..=0x7e).contains(&b)))
            .ok_or_else(|| {
                Problem::invalid(vec![super::FieldError {
                    field: "Idempotency-Key".into(),
                    message: "Use 1 to 255 printable ASCII characters without spaces, such as a UUID.".into(),
                }])
            })?;
        let mut hash = Sha256::new();
        hash.update(req.method().as_str().as_bytes());
        hash.update(b" ");
        hash.update(req.path().as_bytes());
        hash.update(b"\n");
        hash.update(body);
        Ok(Some(Idempotency { key: key.to_string(), fingerprint: hash.finalize().to_vec() }))
    }
}

/// Why a write's transaction rolled back.
enum Rollback {
    Refused(Problem),
    Failed(AppError),
}

impl From<diesel::result::Error> for Rollback {
    fn from(e: diesel::result::Error) -> Self {
        Rollback::Failed(AppError::Database(e))
    }
}

impl From<AppError> for Rollback {
    fn from(e: AppError) -> Self {
        Rollback::Failed(e)
    }
}

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = Bytea)]
    fingerprint: Vec<u8>,
    #[diesel(sql_type = SmallInt)]
    status: i16,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = Nullable<Text>)]
    location: Option<String>,
}

enum Outcome {
    Done(Answer),
    Replayed(Answer),
}

/// Runs the change `f` as the token of `bearer` (which must have `scope`), in one transaction
/// that also stores its answer under the request's idempotency key.
pub async fn run_write<F>(
    state: &web::Data<AppState>,
    bearer: Bearer,
    scope: &'static str,
    idempotency: Option<Idempotency>,
    f: F,
) -> Result<HttpResponse, Problem>
where
    F: FnOnce(&mut PgConnection, &ApiActor) -> Result<Result<Answer, Problem>, AppError> + Send + 'static,
{
    let state = state.clone();
    let outcome = db::run(&state.pool.clone(), move |conn| {
        let caller = match admit(conn, &state, &bearer, scope)? {
            Ok(caller) => caller,
            Err(problem) => return Ok(Err(problem)),
        };
        let actor = ApiActor::load(conn, caller)?;
        let result = conn.transaction::<Outcome, Rollback, _>(|conn| {
            if let Some(idem) = &idempotency {
                if let Some(answer) = claim(conn, &actor.caller, idem)? {
                    return Ok(Outcome::Replayed(answer));
                }
            }
            let answer = f(conn, &actor)?.map_err(Rollback::Refused)?;
            if let Some(idem) = &idempotency {
                store(conn, &actor.caller, idem, &answer)?;
            }
            Ok(Outcome::Done(answer))
        });
        match result {
            Ok(outcome) => Ok(Ok(outcome)),
            Err(Rollback::Refused(problem)) => Ok(Err(problem)),
            Err(Rollback::Failed(e)) => Err(e),
        }
    })
    .await??;
    Ok(match outcome {
        Outcome::Done(answer) => answer.respond(false),
        Outcome::Replayed(answer) => answer.respond(true),
    })
}

/// Takes the key for this request, or, when a request with it committed within the last
/// 24 hours, returns that request's answer (422 when it was a different request). The key's
/// row is inserted first: a concurrent twin waits on it here until this transaction ends, then
/// finds the answer (or, if this one rolled back, takes the key itself).
fn claim(conn: &mut PgConnection, caller: &ApiCaller, idem: &Idempotency) -> Result<Option<Answer>, Rollback> {
    db::static_query(
        "DELETE FROM api_idempotency_keys
          WHERE token_id = $1 AND idempotency_key = $2 AND created_at < now() - interval '24 hours'",
    )
    .bind::<BigInt, _>(caller.token_id)
    .bind::<Text, _>(&idem.key)
    .execute(conn)?;
    let taken = db::static_query(
        "INSERT INTO api_idempotency_keys (enterprise_id, token_id, idempotency_key, fingerprint, status, body)
         VALUES ($1, $2, $3, $4, 0, '')
         ON CONFLICT (token_id, idempotency_key) DO NOTHING",
    )
    .bind::<BigInt, _>(caller.enterprise_id)
    .bind::<BigInt, _>(caller.token_id)
    .bind::<Text, _>(&idem.key)
    .bind::<Bytea, _>(&idem.fingerprint)
    .execute(conn)?;
    if taken == 1 {
        return Ok(None);
    }
    let stored: Stored = db::static_query(
        "SELECT fingerprint, status, body, location FROM api_idempotency_keys
          WHERE token_id = $1 AND idempotency_key = $2",
    )
    .bind::<BigInt, _>(caller.token_id)
    .bind::<Text, _>(&idem.key)
    .get_result(conn)?;
    if stored.fingerprint != idem.fingerprint {
        return Err(Rollback::Refused(Problem::field(
            "Idempotency-Key",
            "This key was used for a different request in the last 24 hours. Use a new key for a new request.",
        )));
    }
    Ok(Some(Answer {
        status: StatusCode::from_u16(stored.status as u16).unwrap_or(StatusCode::OK),
        body: stored.body,
        location: stored.location,
    }))
}

/// Stores the answer under the key claimed by [`claim`], in the change's transaction.
fn store(conn: &mut PgConnection, caller: &ApiCaller, idem: &Idempotency, answer: &Answer) -> Result<(), Rollback> {
    db::static_query(
        "UPDATE api_idempotency_keys SET status = $3, body = $4, location = $5
          WHERE token_id = $1 AND idempotency_key = $2",
    )
    .bind::<BigInt, _>(caller.token_id)
    .bind::<Text, _>(&idem.key)
    .bind::<SmallInt, _>(answer.status.as_u16() as i16)
    .bind::<Text, _>(&answer.body)
    .bind::<Nullable<Text>, _>(answer.location.as_deref())
    .execute(conn)?;
    Ok(())
}

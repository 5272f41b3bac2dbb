//! Import partners (SPEC §13): the rules of a row that need the database, for **Preview
//! import** (read only) and **Import** (one transaction), and the import itself.
//!
//! The rules are Add Partner's, through its functions: `partners::name_taken`,
//! `partners::domains_taken` and the limit of `registration::create`, which makes each
//! partner; and the `group` column names one of the enterprise's groups (any case), where
//! the partner is placed with that group's default access (empty: the default group). Invalid rows are skipped; the valid ones are added together or not at all:
//! when they would take the enterprise past its partner limit, nothing is added (the preview
//! says so first), so an import never stops half-way at an arbitrary row.

use diesel::prelude::*;

use crate::{
    auth::actor::Actor,
    config::Settings,
    db::{
        audit, domain_verification, enterprises, groups, partners,
        registration::{self, InvitationDelivery, RegisterError},
    },
    domain::{
        new_partner,
        partner_import::{count, shown, Checked},
        AuditAction, EnterpriseId,
    },
    error::AppError,
};

/// One row as the preview lists it.
#[derive(Debug, Clone)]
pub struct RowVerdict {
    pub line: u64,
    pub name: String,
    pub domains: String,
    pub administrator: String,
    /// The group it goes to: the `group` cell as written, or the default group's name.
    pub group: String,
    /// Why the row can't be added; empty when it can (and the limit allows it).
    pub reasons: Vec<String>,
}

/// Every row judged, and the limit.
pub struct Judgement {
    pub rows: Vec<RowVerdict>,
    /// The partners of the rows that pass every rule, in file order, each with the group it
    /// goes to (None: the default group).
    pub valid: Vec<(new_partner::NewPartner, Option<i64>)>,
    /// Partners that count toward the limit now, and the limit.
    pub live: i64,
    pub limit: i64,
    /// Adding every valid row would cross the limit: nothing is added.
    pub over_limit: bool,
    /// The enterprise requires verified domains: the invitations wait whatever the box says.
    pub verification_required: bool,
}

impl Judgement {
    pub fn skipped(&self) -> usize {
        self.rows.len() - self.valid.len()
    }

    /// How many more partners the limit allows.
    pub fn free(&self) -> i64 {
        (self.limit - self.live).max(0)
    }

    /// The reason every valid row gets when the import would cross the limit.
    pub fn limit_reason(&self) -> String {
        format!(
            "Over the partner limit: {} of {} partners are registered, so at most {} more can be added and this \
             file has {} valid rows. Nothing will be imported.",
            self.live,
            self.limit,
            self.free(),
            self.valid.len()
        )
    }
}

/// Judges the rows of a file against the database; writes nothing. Inside [`import`]'s
/// transaction the enterprise row is locked first, so what it finds still holds.
pub fn judge(conn: &mut PgConnection, enterprise_id: EnterpriseId, checked: Vec<Checked>) -> QueryResult<Judgement> {
    let enterprise = enterprises::find(conn, enterprise_id)?;
    let groups: Vec<(i64, String, bool)> =
        groups::list(conn, enterprise_id)?.into_iter().map(|g| (g.id, g.name, g.is_default)).collect();
    let default_name = groups.iter().find(|g| g.2).map(|g| g.1.clone()).unwrap_or_default();
    let mut rows = Vec::with_capacity(checked.len());
    let mut valid = Vec::new();
    for Checked { row, partner, mut reasons } in checked {
        let group = if row.group.is_empty() {
            None
        } else {
            let wanted = crate::domain::normalise_for_compare(&row.group);
            let found = groups.iter().find(|g| crate::domain::normalise_for_compare(&g.1) == wanted);
            if found.is_none() {
                reasons.push(format!(
                    "group: No group is called “{}”. Create it under Groups first, or leave the cell empty to add the partner to {default_name}.",
                    shown(&row.group)
                ));
            }
            found.filter(|g| !g.2).map(|g| g.0)
        };
        if let Some(new) = &partner {
            if partners::name_taken(conn, enterprise_id, new.name.as_str(), None)? {
                reasons.push(format!("name: {}", new_partner::name_taken(new.name.as_str())));
            }
            let domains: Vec<String> = new.domains.iter().map(|d| d.as_str().to_string()).collect();
            for taken in partners::domains_taken(conn, enterprise_id, &domains, None)? {
                reasons.push(format!("domains: {}", new_partner::domain_taken(&taken)));
            }
        }
        let administrator = match (row.first_name.is_empty() && row.surname.is_empty(), row.email.is_empty()) {
            (true, _) => shown(&row.email),
            (false, true) => shown(&format!("{} {}", row.first_name, row.surname)),
            (false, false) => shown(&format!("{} {} <{}>", row.first_name, row.surname, row.email)),
        };
        if let (Some(new), true) = (partner, reasons.is_empty()) {
            valid.push((new, group));
        }
        rows.push(RowVerdict {
            line: row.line,
            name: shown(&row.name),
            domains: shown(&row.domains.join("; ")),
            administrator,
            group: if row.group.is_empty() { default_name.clone() } else { shown(&row.group) },
            reasons,
        });
    }
    let live = partners::count_toward_limit(conn, enterprise_id)?;
    let limit = i64::from(enterprise.partner_limit);
    let over_limit = valid.len() as i64 > (limit - live).max(0);
    let verification_required = domain_verification::required(conn, enterprise_id)?;
    Ok(Judgement { rows, valid, live, limit, over_limit, verification_required })
}

pub enum Imported {
    Added {
        added: usize,
        skipped: usize,
        /// The invitations were not emailed because the enterprise requires verified domains.
        held_for_verification: bool,
    },
    /// Nothing was added: no valid row, or the valid rows would cross the limit.
    Nothing(Judgement),
}

/// Adds every valid row of the file in one transaction, after judging them again with the
/// enterprise row locked (the file may have been previewed a while ago, or changed since).
pub fn import(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &dyn Actor,
    checked: Vec<Checked>,
    delivery: InvitationDelivery,
) -> Result<Imported, AppError> {
    conn.transaction::<_, AppError, _>(|conn| {
        let enterprise_id = actor.enterprise_id();
        enterprises::lock(conn, enterprise_id)?;
        let judgement = judge(conn, enterprise_id, checked)?;
        if judgement.over_limit || judgement.valid.is_empty() {
            return Ok(Imported::Nothing(judgement));
        }
        let mut held_for_verification = false;
        for (new, group) in &judgement.valid {
            // Judged under the lock just now, so a refusal here is a fault: roll everything back.
            let extras = registration::Extras { group: *group, note: None, status: None };
            let created = registration::create_with(conn, settings, actor, new, None, delivery, &extras);
            let created = created.map_err(|e| match e {
                RegisterError::App(e) => e,
                other => AppError::Conflict(other.to_string()),
            })?;
            held_for_verification |= created.held_for.is_some();
        }
        let (added, skipped) = (judgement.valid.len(), judgement.skipped());
        audit::record(
            conn,
            &audit::NewAuditEvent {
                enterprise_id,
                partner_id: None,
                actor_user_id: actor.user_id(),
                actor_label: &actor.actor_label(),
                actor_membership: &actor.membership_label(),
                action: AuditAction::PartnersImported,
                target: &format!("Import of {}", count(added, "partner", "partners")),
                details: serde_json::json!({
                    "added": added,
                    "skipped": skipped,
                    "invitation_emails": delivery == InvitationDelivery::Send,
                }),
            },
        )?;
        Ok(Imported::Added { added, skipped, held_for_verification })
    })
}

//! Add Partner: turns a complete draft into a partner, in one transaction.
//!
//! The enterprise row is locked first, so concurrent submissions (20 admins clicking at once
//! at 9 of 10 partners) are serialised and exactly one gets the last place. The draft row is
//! locked too: a double click or a resubmitted form finds the partner already made.

use crate::auth::actor::Actor;
use crate::domain::{DraftId, InvitationId, PartnerId};
use chrono::Utc;
use diesel::{prelude::*, sql_types::BigInt};

use crate::{
    auth::{session::Principal, tokens},
    config::Settings,
    db::{
        audit, domain_verification, drafts, enterprises, invitation_flow, invitations, organisations, partners,
        schema::partners as p,
    },
    domain::new_partner::{NewPartner, PartnerInput},
    domain::{AuditAction, PartnerStatus, UserRole},
    error::AppError,
};

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("not found")]
    NotFound,
    #[error("The draft is not complete: {0}")]
    Incomplete(&'static str),
    #[error(
        "Your enterprise already has {0} of {0} partners registered. Deactivate a partner before registering another."
    )]
    LimitReached(i64),
    #[error("Another partner is already called “{0}”. Choose a different name.")]
    NameTaken(String),
    #[error("These domains are already registered to another partner: {0}.")]
    DomainsTaken(String),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<diesel::result::Error> for RegisterError {
    fn from(e: diesel::result::Error) -> Self {
        RegisterError::App(AppError::Database(e))
    }
}

pub enum Registered {
    Created {
        partner_id: PartnerId,
        invitation_id: InvitationId,
        /// *Require verified domains for invitations* is on: a new partner's domains can't be
        /// verified before it exists, so the administrator's invitation is made but not
        /// emailed; **Resend invitation** sends it once the domain is verified. Names the domain.
        held_for: Option<String>,
    },
    /// The same draft was submitted before: here is the partner it made.
    AlreadySubmitted { partner_id: PartnerId },
}

/// How the wizard's Review tab registers the partner (SPEC §12 "Create or invite").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// **Add Partner**: `invited`, active once its administrator accepts.
    AddPartner,
    /// **Invite to apply**: `applied`; its administrator accepts, then submits the group's
    /// application form, and the enterprise approves it.
    InviteToApply,
}

pub fn register(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Principal,
    draft_id: DraftId,
    how: Registration,
) -> Result<Registered, RegisterError> {
    conn.transaction::<_, RegisterError, _>(|conn| {
        let draft = drafts::lock(conn, actor.enterprise_id, actor.user_id, draft_id)?.ok_or(RegisterError::NotFound)?;
        if let Some(partner_id) = draft.submitted_partner_id {
            return Ok(Registered::AlreadySubmitted { partner_id });
        }
        // The draft was validated step by step; check again, the rules may have changed.
        let new = NewPartner::check(&PartnerInput {
            name: &draft.name,
            domains: &draft.domains,
            first_name: &draft.admin_first_name,
            surname: &draft.admin_surname,
            email: &draft.admin_email,
        })
        .map_err(|errors| {
            RegisterError::Incomplete(match errors.first().map(|(field, _)| field.as_str()) {
                Some("name") => "Partner info",
                Some(f) if f.starts_with("domains") => "Register Domain",
                _ => "Partner account administrator",
            })
        })?;
        let note = crate::domain::PersonalNote::parse(draft.admin_note.as_deref().unwrap_or_default())
            .map_err(|_| RegisterError::Incomplete("Partner account administrator"))?;
        let logo = draft.has_logo().then_some(draft.id);
        let status = match how {
            Registration::AddPartner => PartnerStatus::Invited,
            Registration::InviteToApply => PartnerStatus::Applied,
        };
        let extras = Extras { group: None, note: note.as_ref().map(|n| n.as_str()), status: Some(status) };
        let created = create_with(conn, settings, actor, &new, logo, InvitationDelivery::Send, &extras)?;
        drafts::mark_submitted(conn, draft.id, created.partner_id)?;
        Ok(Registered::Created {
            partner_id: created.partner_id,
            invitation_id: created.invitation_id,
            held_for: created.held_for,
        })
    })
}

/// Whether [`create`] emails the administrator's invitation now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationDelivery {
    /// Queued in the outbox with the partner (Add Partner, the API, an import with *Send
    /// invitation emails* on), unless the enterprise requires verified domains.
    Send,
    /// Made but not emailed (an import with *Send invitation emails* off): **Resend invitation**
    /// on the partner's General tab sends it later, with a new link.
    Hold,
}

/// A partner made by [`create`].
pub struct Created {
    pub partner_id: PartnerId,
    pub invitation_id: InvitationId,
    /// See [`Registered::Created`].
    pub held_for: Option<String>,
}

/// Makes the partner `new` describes, in the caller's transaction: the enterprise row is
/// locked, then the limit, the name and the domains are checked against the database; the
/// partner, its domains, its organisation, the administrator's invitation (and its email), and
/// the audit event are written. `logo_of` copies a draft's logo. The wizard's Add Partner,
/// `POST /api/v1/partners` and Import partners (one call per row) all end here.
pub fn create(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &dyn Actor,
    new: &NewPartner,
    logo_of: Option<DraftId>,
    delivery: InvitationDelivery,
) -> Result<Created, RegisterError> {
    create_with(conn, settings, actor, new, logo_of, delivery, &Extras::default())
}

/// What a new partner may come with besides `NewPartner`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Extras<'a> {
    /// One of the enterprise's groups (checked by the caller: Import partners' `group`
    /// column): the partner is placed there with that group's default access instead of the
    /// default group's. None: the default group.
    pub group: Option<i64>,
    /// The *Personal note* of the administrator's invitation (checked by the caller:
    /// `PersonalNote`): the wizard's administrator step, the API's `administrator.note`.
    pub note: Option<&'a str>,
    /// The partner's first status: `applied` for **Invite to apply**; None: `invited`.
    pub status: Option<PartnerStatus>,
}

/// [`create`] with [`Extras`].
pub fn create_with(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &dyn Actor,
    new: &NewPartner,
    logo_of: Option<DraftId>,
    delivery: InvitationDelivery,
    extras: &Extras<'_>,
) -> Result<Created, RegisterError> {
    let Extras { group, note, status } = *extras;
    let status = status.unwrap_or(PartnerStatus::Invited);
    let invite_ttl = chrono::Duration::from_std(settings.invite_ttl).unwrap_or_else(|_| chrono::Duration::days(7));
    let NewPartner { name, domains, first_name: first, surname, email } = new;
    let enterprise = enterprises::lock(conn, actor.enterprise_id())?;
    let held_for = domain_verification::required(conn, enterprise.id)?.then(|| email.domain().as_str().to_string());
    let limit = i64::from(enterprise.partner_limit);
    if partners::count_toward_limit(conn, enterprise.id)? >= limit {
        return Err(RegisterError::LimitReached(limit));
    }
    if partners::name_taken(conn, enterprise.id, name.as_str(), None)? {
        return Err(RegisterError::NameTaken(name.as_str().to_string()));
    }
    let domain_strings: Vec<String> = domains.iter().map(|d| d.as_str().to_string()).collect();
    let taken = partners::domains_taken(conn, enterprise.id, &domain_strings, None)?;
    if !taken.is_empty() {
        return Err(RegisterError::DomainsTaken(taken.join(", ")));
    }
    // A partnership made by the wizard starts a new partner organisation (SPEC §11).
    let organisation = organisations::create(conn, name.as_str())?;
    let partner: partners::Partner = diesel::insert_into(p::table)
        .values((
            p::enterprise_id.eq(enterprise.id),
            p::name.eq(name.as_str()),
            p::status.eq(status),
            p::created_by.eq(actor.user_id()),
            p::organisation_id.eq(organisation.id),
        ))
        .returning(partners::Partner::as_returning())
        .get_result(conn)?;
    for d in &domain_strings {
        partners::add_domain(conn, enterprise.id, partner.id, d)?;
    }
    if let Some(draft_id) = logo_of {
        diesel::sql_query(
            "INSERT INTO partner_logos (partner_id, content_type, bytes, width, height)
             SELECT $1, logo_content_type, logo_bytes, logo_width, logo_height
               FROM partner_drafts WHERE id = $2 AND enterprise_id = $3 AND logo_bytes IS NOT NULL",
        )
        .bind::<BigInt, _>(partner.id)
        .bind::<BigInt, _>(draft_id)
        .bind::<BigInt, _>(enterprise.id)
        .execute(conn)?;
    }

    let token = tokens::random_token();
    let hash = tokens::token_hash(&token);
    let invitation = invitations::insert(
        conn,
        &invitations::NewInvitation {
            enterprise_id: enterprise.id,
            partner_id: Some(partner.id),
            email: email.as_str(),
            first_name: first.as_str(),
            surname: surname.as_str(),
            role: UserRole::Admin,
            for_account_admin: true,
            token_hash: &hash,
            invited_by: actor.user_id(),
            expires_at: Utc::now() + invite_ttl,
            note,
        },
    )?;
    // The email is queued in this same transaction: it exists only if the partner does.
    // Held while the enterprise requires verified domains (none of a new partner's is), or
    // when the caller asked for it.
    if held_for.is_none() && delivery == InvitationDelivery::Send {
        invitation_flow::queue_for_new(conn, settings, actor, invitation.id, &token)?;
    }

    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id: enterprise.id,
            partner_id: Some(partner.id),
            actor_user_id: actor.user_id(),
            actor_label: &actor.actor_label(),
            actor_membership: &actor.membership_label(),
            action: AuditAction::PartnerRegistered,
            target: &format!("Partner {}", partner.name),
            details: serde_json::json!({
                "domains": domain_strings,
                "administrator": email.as_str(),
                "logo": logo_of.is_some(),
                "invitation_held_until_verified": held_for.is_some(),
                "invitation_held": delivery == InvitationDelivery::Hold,
                "status": status,
            }),
        },
    )?;
    crate::webhooks::emit(
        conn,
        enterprise.id,
        crate::domain::WebhookEvent::PartnerCreated,
        serde_json::json!({ "partner_id": partner.id, "partner_name": partner.name, "domains": domain_strings }),
    )?;
    // It joins the default group (a trigger puts it there) and gets that group's default access,
    // or joins the group asked for and gets that one's.
    match group {
        None => crate::routes::partners::groups::grant_default_access(conn, actor, settings, partner.id)?,
        Some(group) => {
            crate::db::groups::move_partner(conn, enterprise.id, partner.id, group)?;
            crate::routes::partners::groups::grant_group_access(conn, actor, settings, partner.id, group)?;
        }
    }
    Ok(Created { partner_id: partner.id, invitation_id: invitation.id, held_for })
}

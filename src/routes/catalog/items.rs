//! Catalog → Products and APIs alike: **Archive** / **Unarchive**, **Delete** (a confirm page,
//! then the POST; only for an item never granted to a partner) and the name rules of their
//! *New* and *Edit* forms. One flow for both kinds: the words, paths, audit actions and tables
//! that differ come from [`ItemKind`]. Each change is one transaction with its audit event;
//! the row is locked first so concurrent changes queue.
//!
//! The handlers are generic over the id in the path (`ProductId` or `ApiId`); the route table
//! names the kind: `catalog::items::archive::<ProductId>`.

use crate::domain::FlashKind;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::de::DeserializeOwned;

use crate::{
    auth::{
        guards::{EnterpriseAdmin, EnterpriseEditor},
        session::Principal,
    },
    db::{self, catalog},
    domain::{CatalogName, EnterpriseId, ItemEvent, ItemId, ItemKind},
    error::{AppError, FieldErrors},
    render::{render, see_other, Layout},
    routes::catalog::tabs::{changes, granted_conflict, partners_phrase, record, MENU_KEY},
    state::AppState,
};

// ---- the name rules of both forms ----------------------------------------------------------------

/// The name as typed, checked against the rules and the kind's other names (`except` is the
/// item being edited); what is wrong goes into `errors`.
pub fn check_name(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    kind: ItemKind,
    raw: &str,
    except: Option<ItemId>,
    errors: &mut FieldErrors,
) -> Result<Option<CatalogName>, AppError> {
    let Some(name) = errors.check("name", CatalogName::parse(raw)) else {
        return Ok(None);
    };
    if catalog::item_name_taken(conn, enterprise_id, kind, name.as_str(), except)? {
        errors.add("name", kind.name_taken(name.as_str()));
        return Ok(None);
    }
    Ok(Some(name))
}

/// A unique violation on the kind's name means another admin saved the same name a moment ago:
/// the form says so next to *Name*.
pub fn name_race(e: AppError, kind: ItemKind, raw_name: &str) -> Result<FieldErrors, AppError> {
    e.unique_as_field(kind.name_index(), "name", || kind.name_taken(raw_name.trim()))
}

/// Saves an edit of `before` and records what changed (with `extra`, e.g. the environments an
/// API was added to); nothing at all when nothing changed. True when something was saved.
pub fn save_edit(
    conn: &mut PgConnection,
    actor: &Principal,
    id: ItemId,
    before: &catalog::Item,
    after: &catalog::ItemFields<'_>,
    extra: serde_json::Map<String, serde_json::Value>,
) -> Result<bool, AppError> {
    let kind = id.kind();
    let mut fields =
        vec![("name", before.name.as_str(), after.name), ("description", &before.description, after.description)];
    if kind == ItemKind::Api {
        fields.push(("base_path", &before.base_path, after.base_path));
    }
    let mut details = changes(&fields);
    if let Some(map) = details.as_object_mut() {
        map.extend(extra);
    }
    if details.as_object().is_some_and(|m| m.is_empty()) {
        return Ok(false);
    }
    catalog::update_item(conn, id, after)?;
    record(conn, actor, kind.action(ItemEvent::Updated), kind.target(after.name), details)?;
    Ok(true)
}

// ---- archive, unarchive ----------------------------------------------------------------------

pub async fn archive<I: Into<ItemId> + DeserializeOwned>(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<I>,
) -> Result<HttpResponse, AppError> {
    change_archived(user, state, path.into_inner().into(), true).await
}

pub async fn unarchive<I: Into<ItemId> + DeserializeOwned>(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<I>,
) -> Result<HttpResponse, AppError> {
    change_archived(user, state, path.into_inner().into(), false).await
}

async fn change_archived(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    id: ItemId,
    archive: bool,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let message = db::run(&state.pool, move |conn| set_archived(conn, &actor, id, archive)).await?;
    user.flash(FlashKind::Success, message)?;
    Ok(see_other(id.kind().list_path()))
}

/// Archives (or unarchives) the item; doing it twice changes nothing the second time.
fn set_archived(conn: &mut PgConnection, actor: &Principal, id: ItemId, archive: bool) -> Result<String, AppError> {
    let kind = id.kind();
    conn.transaction(|conn| {
        let item = catalog::lock_item(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
        if item.archived() != archive {
            catalog::set_item_archived(conn, id, archive)?;
            let event = if archive { ItemEvent::Archived } else { ItemEvent::Unarchived };
            record(conn, actor, kind.action(event), kind.target(&item.name), serde_json::json!({}))?;
        }
        Ok(if archive {
            format!(
                "{} “{}” archived: partners who have it keep it, and it can't be granted to anyone else until you unarchive it.",
                kind.title(),
                item.name
            )
        } else {
            format!("{} “{}” unarchived: it can be granted to partners again.", kind.title(), item.name)
        })
    })
}

// ---- delete ----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "catalog/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    /// "product", "API", "environment".
    pub kind: &'static str,
    pub name: String,
    pub action: String,
    pub back: &'static str,
    /// Why it can't be deleted (it is granted); None when it can.
    pub refusal: Option<String>,
    /// Where archiving is the alternative: the archive action.
    pub archive_action: Option<String>,
    /// What else goes with it, e.g. "It is offered in 2 environments…".
    pub note: Option<String>,
}

pub async fn confirm_delete<I: Into<ItemId> + DeserializeOwned>(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<I>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let id: ItemId = path.into_inner().into();
    let kind = id.kind();
    let enterprise_id = user.user.enterprise_id;
    let (item, partners) = db::run(&state.pool, move |conn| {
        let item = catalog::find_item(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
        Ok((item, catalog::item_partner_count(conn, id)?))
    })
    .await?;
    let refusal = (partners > 0).then(|| {
        format!("“{}” is granted to {}, so it can't be deleted. Archive it instead: partners who have it keep it, and nobody else can be granted it.", item.name, partners_phrase(partners))
    });
    let page = DeletePage {
        layout: user.layout(format!("Delete {} · Catalog", item.name), MENU_KEY)?,
        kind: kind.label(),
        action: format!("{}/{id}/delete", kind.path()),
        back: kind.list_path(),
        archive_action: (partners > 0 && !item.archived()).then(|| format!("{}/{id}/archive", kind.path())),
        refusal,
        note: None,
        name: item.name,
    };
    Ok(render(&page))
}

pub async fn delete<I: Into<ItemId> + DeserializeOwned>(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<I>,
) -> Result<HttpResponse, AppError> {
    let id: ItemId = path.into_inner().into();
    let kind = id.kind();
    let actor = user.user.clone();
    let name = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let item = catalog::lock_item(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
            let partners = catalog::item_partner_count(conn, id)?;
            if partners > 0 {
                return Err(granted_conflict(&item.name, partners));
            }
            catalog::delete_item(conn, id)?;
            let mut details = serde_json::json!({ "name": item.name, "description": item.description });
            if kind == ItemKind::Api {
                details["base_path"] = item.base_path.into();
            }
            record(conn, &actor, kind.action(ItemEvent::Deleted), kind.target(&item.name), details)?;
            Ok(item.name)
        })
        // A grant was added between our count and our delete.
        .map_err(|e| {
            e.foreign_key_as_conflict(|| {
                format!("The {} was just granted to a partner; archive it instead.", kind.label())
            })
        })
    })
    .await?;
    user.flash(FlashKind::Success, format!("{} “{name}” deleted.", kind.title()))?;
    Ok(see_other(kind.list_path()))
}

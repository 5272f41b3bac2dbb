//! Route guards: extractors that load the current person and enforce who may open a route.
//!
//! A handler that takes `EnterpriseAdmin` cannot run for anyone else: anonymous visitors are
//! sent to the login page and logged-in people without the role get 403.

use std::{
    future::{ready, Ready},
    marker::PhantomData,
};

use actix_web::{dev::Payload, http::Method, FromRequest, HttpRequest};

use crate::{
    auth::session::{Principal, TypedSession},
    error::AppError,
    render::{time::Clock, Layout, Nav},
};

pub trait Rule {
    /// Whether `p` may make a request with `method` (`GET` and `HEAD` only read).
    fn allows(p: &Principal, method: &Method) -> bool;
}

fn reads(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

pub struct AnyUser;
pub struct EnterpriseRule;
pub struct EnterpriseEditorRule;
pub struct PartnerUserRule;
pub struct PartnerAdminRule;

impl Rule for AnyUser {
    fn allows(_: &Principal, _: &Method) -> bool {
        true
    }
}
/// Enterprise admins; Viewers too, but only to read (SPEC §16): every state-changing
/// request of theirs answers 403 here, whatever the handler.
impl Rule for EnterpriseRule {
    fn allows(p: &Principal, method: &Method) -> bool {
        p.is_enterprise_admin() || (p.is_viewer() && reads(method))
    }
}
/// Enterprise admins only, whatever the method: the pages that are nothing but a form for a
/// change (wizard steps, edit forms, delete confirmations) answer 403 to a Viewer.
impl Rule for EnterpriseEditorRule {
    fn allows(p: &Principal, _: &Method) -> bool {
        p.is_enterprise_admin()
    }
}
impl Rule for PartnerUserRule {
    fn allows(p: &Principal, _: &Method) -> bool {
        p.partner_id.is_some()
    }
}
impl Rule for PartnerAdminRule {
    fn allows(p: &Principal, _: &Method) -> bool {
        p.is_partner_admin()
    }
}

/// A logged-in person allowed by rule `R`, with their session.
pub struct Auth<R> {
    pub user: Principal,
    pub session: TypedSession,
    _rule: PhantomData<R>,
}

pub type CurrentUser = Auth<AnyUser>;
pub type EnterpriseAdmin = Auth<EnterpriseRule>;
pub type EnterpriseEditor = Auth<EnterpriseEditorRule>;
pub type PartnerUser = Auth<PartnerUserRule>;
pub type PartnerAdmin = Auth<PartnerAdminRule>;

impl<R: Rule> Auth<R> {
    /// The page frame: menu for this person, CSRF token, pending flash messages.
    pub fn layout(&self, title: impl Into<String>, active: &'static str) -> Result<Layout, AppError> {
        Ok(Layout {
            title: title.into(),
            nav: Some(Nav::from_principal(&self.user)),
            csrf: self.session.csrf_token()?,
            flashes: self.session.take_flashes(),
            active,
            clock: self.user.clock(),
        })
    }

    pub fn flash(&self, kind: crate::domain::FlashKind, message: impl Into<String>) -> Result<(), AppError> {
        self.session.flash(kind, message)
    }
}

/// An Enterprise admin passes `EnterpriseRule` too: a form page's handler shares the render
/// helpers of its POST handler.
impl From<EnterpriseEditor> for EnterpriseAdmin {
    fn from(a: EnterpriseEditor) -> Self {
        Auth { user: a.user, session: a.session, _rule: PhantomData }
    }
}

fn extract<R: Rule>(req: &HttpRequest) -> Result<Auth<R>, AppError> {
    let session = TypedSession::from_request(req, &mut Payload::None)
        .into_inner()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
    let Some(user) = session.principal()? else {
        return Err(if session.person().is_some() { AppError::ChooseOrganisation } else { AppError::LoginRequired });
    };
    if !R::allows(&user, req.method()) {
        return Err(AppError::Forbidden);
    }
    Ok(Auth { user, session, _rule: PhantomData })
}

impl<R: Rule> FromRequest for Auth<R> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(extract::<R>(req))
    }
}

/// Anyone, logged in or not (login page, invitation pages).
pub struct Visitor {
    pub user: Option<Principal>,
    pub session: TypedSession,
}

impl Visitor {
    pub fn layout(&self, title: impl Into<String>) -> Result<Layout, AppError> {
        Ok(Layout {
            title: title.into(),
            nav: None,
            csrf: self.session.csrf_token()?,
            flashes: self.session.take_flashes(),
            active: "",
            clock: self.user.as_ref().map_or_else(Clock::utc, Principal::clock),
        })
    }
}

impl FromRequest for Visitor {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            let session = TypedSession::from_request(req, &mut Payload::None)
                .into_inner()
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
            let user = session.principal()?;
            Ok(Visitor { user, session })
        })())
    }
}

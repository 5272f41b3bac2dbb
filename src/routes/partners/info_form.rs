//! The *Partner name* + *Logo* form, shared by the wizard's first step and "Edit partner",
//! and the multipart configuration of every upload form.

use actix_multipart::{
    form::{bytes::Bytes as FileBytes, text::Text, MultipartForm, MultipartFormConfig},
    MultipartError,
};
use actix_web::{error::PayloadError, http::StatusCode, web};
use tokio::sync::Semaphore;

use crate::{
    auth::csrf::UPLOAD_LIMIT,
    domain::{Logo, LogoError, PartnerName},
    error::AppError,
};

/// Upload forms: the whole body at most 2 MiB (the CSRF layer enforces the same bound
/// first); unreadable bodies are a plain 400, oversized ones 413.
pub fn multipart_config() -> MultipartFormConfig {
    MultipartFormConfig::default()
        .total_limit(UPLOAD_LIMIT)
        .memory_limit(UPLOAD_LIMIT)
        .error_handler(|e, _| multipart_error(e))
}

fn multipart_error(e: MultipartError) -> actix_web::Error {
    let too_large = match &e {
        MultipartError::Payload(PayloadError::Overflow) => true,
        MultipartError::Field { source, .. } => {
            source.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE
        }
        _ => false,
    };
    if too_large {
        AppError::PayloadTooLarge.into()
    } else {
        AppError::bad_request("The form could not be read. Go back, reload the page and try again.").into()
    }
}

#[derive(MultipartForm)]
pub struct InfoForm {
    pub name: Option<Text<String>>,
    #[multipart(limit = "2MiB")]
    pub logo: Option<FileBytes>,
    pub remove_logo: Option<Text<String>>,
}

pub enum LogoChange {
    Keep,
    Remove,
    Replace(Logo),
}

/// What the form says, validated: the name (or its error) and the logo change (or its error).
pub struct InfoInput {
    pub name_raw: String,
    pub name: Result<PartnerName, String>,
    pub logo: Result<LogoChange, String>,
}

impl InfoInput {
    pub async fn from_form(form: InfoForm) -> Result<Self, AppError> {
        let name_raw = form.name.map(|t| t.into_inner()).unwrap_or_default();
        let name = PartnerName::parse(&name_raw).map_err(|e| e.to_string());
        let logo = match form.logo {
            // Browsers send an empty part when no file was chosen.
            Some(file) if !file.data.is_empty() => {
                parse_logo(file.data.to_vec()).await?.map(LogoChange::Replace).map_err(|e| e.to_string())
            }
            _ if form.remove_logo.is_some() => Ok(LogoChange::Remove),
            _ => Ok(LogoChange::Keep),
        };
        Ok(InfoInput { name_raw, name, logo })
    }
}

/// Decodes and re-encodes an upload on the blocking pool, two at a time in the process: a
/// 16-megapixel image needs up to about 200 MB while it is decoded and scaled down.
async fn parse_logo(bytes: Vec<u8>) -> Result<Result<Logo, LogoError>, AppError> {
    static DECODING: Semaphore = Semaphore::const_new(2);
    let unexpected = |e: String| AppError::Unexpected(anyhow::anyhow!("logo decoding failed: {e}"));
    let _turn = DECODING.acquire().await.map_err(|e| unexpected(e.to_string()))?;
    web::block(move || Logo::parse(bytes)).await.map_err(|e| unexpected(e.to_string()))
}

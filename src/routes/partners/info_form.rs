//! The *Partner name* + *Logo* form, shared by the wizard's first step and "Edit partner".

use actix_multipart::form::{bytes::Bytes as FileBytes, text::Text, MultipartForm};

use crate::domain::{Logo, PartnerName};

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
    pub fn from_form(form: InfoForm) -> Self {
        let name_raw = form.name.map(|t| t.into_inner()).unwrap_or_default();
        let name = PartnerName::parse(&name_raw).map_err(|e| e.to_string());
        let logo = match form.logo {
            // Browsers send an empty part when no file was chosen.
            Some(file) if !file.data.is_empty() => {
                Logo::parse(file.data.to_vec()).map(LogoChange::Replace).map_err(|e| e.to_string())
            }
            _ if form.remove_logo.is_some() => Ok(LogoChange::Remove),
            _ => Ok(LogoChange::Keep),
        };
        InfoInput { name_raw, name, logo }
    }
}

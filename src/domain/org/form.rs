//! An org's editable fields: the draft as typed and its validation into values.

use serde::Serialize;

use super::{Org, OrgKind};
use crate::domain::validate;
use crate::error::{FieldErrors, Result};

/// An org's editable fields as typed (forms and JSON), before validation.
#[derive(Clone, Debug, Default, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OrgDraft {
    pub name: String,
    pub code: String,
    pub kind: String,
    pub description: String,
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub postal_code: String,
    pub phone: String,
    pub website: String,
    /// Separated by commas, spaces or new lines.
    pub email_domains: String,
    /// Separated by commas.
    pub tags: String,
}

impl OrgDraft {
    pub fn from_org(org: &Org) -> Self {
        OrgDraft {
            name: org.name.clone(),
            code: org.code.clone(),
            kind: org.kind.to_string(),
            description: org.description.clone(),
            address_line1: org.address_line1.clone(),
            address_line2: org.address_line2.clone(),
            city: org.city.clone(),
            state: org.state.clone(),
            country: org.country.clone(),
            postal_code: org.postal_code.clone(),
            phone: org.phone.clone(),
            website: org.website.clone(),
            email_domains: org.email_domains.replace(',', ", "),
            tags: org.tags.replace(',', ", "),
        }
    }

    /// Validates every field, collecting a message per field.
    pub fn validate(&self) -> Result<OrgValues> {
        let mut errors = FieldErrors::new();
        let mut line = |field: &str, raw: &str, what: &str, max: usize| {
            validate::optional_line(raw, what, max).unwrap_or_else(|m| {
                errors.add(field, m);
                String::new()
            })
        };
        let address_line1 = line("address_line1", &self.address_line1, "Address line 1", 200);
        let address_line2 = line("address_line2", &self.address_line2, "Address line 2", 200);
        let city = line("city", &self.city, "City", 100);
        let state = line("state", &self.state, "State", 100);
        let country = line("country", &self.country, "Country", 100);
        let postal_code = line("postal_code", &self.postal_code, "Postal code", 20);
        let phone = line("phone", &self.phone, "Phone", 50);
        let website = line("website", &self.website, "Website", 300);
        let name = parse_name(&self.name)
            .map_err(|m| errors.add("name", m))
            .unwrap_or_default();
        let code = parse_code(&self.code)
            .map_err(|m| errors.add("code", m))
            .unwrap_or_default();
        let kind = if self.kind.trim().is_empty() {
            OrgKind::Other
        } else {
            OrgKind::parse(&self.kind).unwrap_or_else(|| {
                errors.add("kind", "Choose one of the listed kinds.");
                OrgKind::Other
            })
        };
        let description =
            crate::domain::validate::text_block(&self.description, "Description", 2000)
                .map_err(|m| errors.add("description", m))
                .unwrap_or_default();
        let web_address = website.starts_with("https://") || website.starts_with("http://");
        if !website.is_empty() && !web_address {
            errors.add("website", "Enter a full address starting with https://.");
        }
        let email_domains = parse_domains(&self.email_domains)
            .map_err(|m| errors.add("email_domains", m))
            .unwrap_or_default();
        let tags = parse_tags(&self.tags)
            .map_err(|m| errors.add("tags", m))
            .unwrap_or_default();
        errors.into_result()?;
        Ok(OrgValues {
            name,
            code,
            kind,
            description,
            address_line1,
            address_line2,
            city,
            state,
            country,
            postal_code,
            phone,
            website,
            email_domains,
            tags,
        })
    }
}

/// Validated org fields.
#[derive(Clone, Debug)]
pub struct OrgValues {
    pub name: String,
    pub code: String,
    pub kind: OrgKind,
    pub description: String,
    pub address_line1: String,
    pub address_line2: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub postal_code: String,
    pub phone: String,
    pub website: String,
    pub email_domains: Vec<String>,
    pub tags: Vec<String>,
}

/// An org name: 1 to 200 characters on one line, no markup.
pub fn parse_name(raw: &str) -> std::result::Result<String, String> {
    let name = validate::required_line(raw, "Name", 200)?;
    if name.contains(['<', '>']) {
        return Err("Name may not contain < or >.".into());
    }
    Ok(name)
}

/// A code: 1 to 32 letters, digits, `-`, `_` or `.`, stored upper-case.
pub fn parse_code(raw: &str) -> std::result::Result<String, String> {
    let code = raw.trim();
    if code.is_empty() {
        return Err("Code is required.".into());
    }
    if code.len() > 32
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err("Code must be 1 to 32 letters, digits, - _ or .".into());
    }
    Ok(code.to_ascii_uppercase())
}

pub fn parse_domains(raw: &str) -> std::result::Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in raw
        .split([',', ' ', '\n', '\r', '\t'])
        .filter(|p| !p.is_empty())
    {
        let domain = part.trim().trim_start_matches('@').to_lowercase();
        validate::Email::parse(&format!("x@{domain}"))
            .map_err(|_| format!("{part:?} is not a domain like example.com."))?;
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    if out.len() > 50 {
        return Err("At most 50 email domains.".into());
    }
    Ok(out)
}

fn parse_tags(raw: &str) -> std::result::Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let tag = validate::optional_line(part, "Tag", 50)?;
        if tag.contains(['<', '>']) {
            return Err("Tags may not contain < or >.".into());
        }
        if !out.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            out.push(tag);
        }
    }
    if out.len() > 50 {
        return Err("At most 50 tags.".into());
    }
    Ok(out)
}

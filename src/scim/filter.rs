//! The `filter` parameter (RFC 7644 §3.4.2.2), the small part Canopy answers:
//! `attribute eq "value"` with `userName`, `externalId` or `displayName`
//! (attribute and operator names in any case, the attribute optionally
//! prefixed by its schema URN). Anything else is refused as `invalidFilter`.

use super::ScimError;
use crate::domain::scim::Filter;

/// Which resource's attributes a filter may name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum On {
    Users,
    Groups,
}

fn refuse(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidFilter", detail)
}

/// Parses `raw` into the one comparison it may be.
pub fn parse(raw: &str, on: On) -> Result<Filter, ScimError> {
    let text = raw.trim();
    let (attr, rest) = text
        .split_once(char::is_whitespace)
        .ok_or_else(|| refuse("Use attribute eq \"value\"."))?;
    let rest = rest.trim_start();
    let (op, rest) = rest
        .split_once(char::is_whitespace)
        .ok_or_else(|| refuse("Use attribute eq \"value\"."))?;
    if !op.eq_ignore_ascii_case("eq") {
        return Err(refuse(format!(
            "Only the eq operator is supported, not {op:?}."
        )));
    }
    let value = quoted(rest.trim())?;
    let name = attr.rsplit_once(':').map_or(attr, |(_, n)| n);
    let urn_ok = !attr.contains(':')
        || attr.to_ascii_lowercase().starts_with(match on {
            On::Users => "urn:ietf:params:scim:schemas:core:2.0:user:",
            On::Groups => "urn:ietf:params:scim:schemas:core:2.0:group:",
        });
    let lower = name.to_ascii_lowercase();
    match (lower.as_str(), on) {
        _ if !urn_ok => Err(refuse(format!("Unknown attribute {attr:?}."))),
        ("username", On::Users) => Ok(Filter::UserName(value)),
        ("externalid", _) => Ok(Filter::ExternalId(value)),
        ("displayname", _) => Ok(Filter::DisplayName(value)),
        _ => Err(refuse(format!(
            "Filtering on {attr:?} is not supported; use userName, externalId or displayName."
        ))),
    }
}

/// A JSON string literal that is the whole of `text`.
fn quoted(text: &str) -> Result<String, ScimError> {
    if !text.starts_with('"') {
        return Err(refuse("The value must be a string in double quotes."));
    }
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => {
                if !text[i + 1..].trim().is_empty() {
                    return Err(refuse(
                        "Only one comparison is supported (no and, or, not).",
                    ));
                }
                return serde_json::from_str(&text[..=i])
                    .map_err(|_| refuse("The value is not a valid string."));
            }
            _ => {}
        }
    }
    Err(refuse("The value's closing quote is missing."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_supported_comparisons() {
        assert_eq!(
            parse(r#"userName eq "a@b.c""#, On::Users).unwrap(),
            Filter::UserName("a@b.c".into())
        );
        assert_eq!(
            parse(r#"  EXTERNALID Eq "x \"y\"" "#, On::Groups).unwrap(),
            Filter::ExternalId("x \"y\"".into())
        );
        assert_eq!(
            parse(
                r#"urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "Ops""#,
                On::Groups
            )
            .unwrap(),
            Filter::DisplayName("Ops".into())
        );
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "userName",
            r#"userName co "a""#,
            r#"userName eq a"#,
            r#"userName eq "a" and active eq true"#,
            r#"emails eq "a""#,
            r#"userName eq "a"#,
        ] {
            let err = parse(bad, On::Users).unwrap_err();
            assert_eq!(err.scim_type, Some("invalidFilter"), "{bad}");
        }
        assert!(parse(r#"userName eq "a""#, On::Groups).is_err());
    }
}

//! Parsing raw input into domain values once, at the edge ("parse, don't
//! validate"). Each parser returns the message shown next to the field.

/// Trims `raw` and checks it is a single line of `1..=max` characters.
pub fn required_line(raw: &str, what: &str, max: usize) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(format!("{what} is required."));
    }
    optional_line(value, what, max)
}

/// Trims `raw` and checks it is a single line of at most `max` characters.
pub fn optional_line(raw: &str, what: &str, max: usize) -> Result<String, String> {
    let value = raw.trim();
    if value.chars().count() > max {
        return Err(format!("{what} must be at most {max} characters."));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{what} must be a single line of text."));
    }
    Ok(value.to_string())
}

/// An optional query value: trimmed, `None` when absent or blank.
pub fn query_text(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// An optional id from a query value; a message on `field` when it is not one.
pub fn query_id(
    errors: &mut crate::error::FieldErrors,
    field: &str,
    raw: &Option<String>,
) -> Option<i64> {
    let text = query_text(raw)?;
    text.parse().ok().or_else(|| {
        errors.add(field, format!("{field} must be a number."));
        None
    })
}

/// An optional `YYYY-MM-DD` date from a query value; a message on `field` otherwise.
pub fn query_date(
    errors: &mut crate::error::FieldErrors,
    field: &str,
    raw: &Option<String>,
) -> Option<chrono::NaiveDate> {
    let text = query_text(raw)?;
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            errors.add(field, "Enter the date as YYYY-MM-DD.");
            None
        })
}

/// The case-insensitive key used for uniqueness: trimmed and lower-cased.
pub fn key(value: &str) -> String {
    value.trim().to_lowercase()
}

/// A syntactically valid email address, trimmed, as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("Email is required.".into());
        }
        let invalid = || Err("Enter an email address like name@example.com.".to_string());
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid();
        }
        let Some((local, domain)) = value.split_once('@') else {
            return invalid();
        };
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return invalid();
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return invalid();
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return invalid();
        }
        if local.chars().any(|c| "<>()[]\\,;:\"".contains(c)) {
            return invalid();
        }
        Ok(Email(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The unique key: the whole address lower-cased.
    pub fn key(&self) -> String {
        key(&self.0)
    }

    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

/// A password someone chose: at least 10 characters.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<NewPassword, String> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(format!(
                "Password must be at least {} characters.",
                Self::MIN_CHARS
            ));
        }
        if n > Self::MAX_CHARS {
            return Err(format!(
                "Password must be at most {} characters.",
                Self::MAX_CHARS
            ));
        }
        Ok(NewPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_that_people_type_are_accepted() {
        for ok in [
            "ann@example.com",
            " Ann.Lee+work@Sub.Example.CO ",
            "x@a-b.io",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Email::parse(" Ann@Example.com").unwrap().key(),
            "ann@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@@example.com",
            "an n@example.com",
            "ann@-example.com",
            "<b>@example.com",
            "ann@exa_mple.com",
            ".ann@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("123456789").is_err());
        assert!(NewPassword::parse("1234567890").is_ok());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn lines_are_trimmed_bounded_and_single() {
        assert_eq!(required_line("  Acme ", "Name", 10).unwrap(), "Acme");
        assert!(required_line("   ", "Name", 10).is_err());
        assert!(required_line(&"a".repeat(11), "Name", 10).is_err());
        assert!(required_line("a\nb", "Name", 10).is_err());
    }
}

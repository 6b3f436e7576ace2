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

/// The years a date someone types may fall in. Kept well inside what chrono
/// and both databases hold, so a day or a week added to or taken from such a
/// date, or stored, never overflows.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// The one parser for every date someone supplies (forms, query strings, URL
/// paths, JSON bodies, settings): `YYYY-MM-DD`, trimmed, in [`DATE_YEARS`].
/// The error is the message shown next to the field, naming it as `what`.
pub fn date(raw: &str, what: &str) -> Result<chrono::NaiveDate, String> {
    let value = raw.trim();
    let parsed = if value.len() == 10 && value.is_ascii() {
        chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
    } else {
        None
    };
    match parsed {
        Some(d) if DATE_YEARS.contains(&chrono::Datelike::year(&d)) => Ok(d),
        Some(_) => Err(format!("{what} must be between 1900-01-01 and 9999-12-31.")),
        None => Err(format!("{what} must be a date like 2026-11-22.")),
    }
}

/// An optional date: empty (or blank) means none.
pub fn optional_date(raw: &str, what: &str) -> Result<Option<chrono::NaiveDate>, String> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        date(raw, what).map(Some)
    }
}

/// An optional date from a query value; a message on `field` when it is not one.
pub fn query_date(
    errors: &mut crate::error::FieldErrors,
    field: &str,
    raw: &Option<String>,
) -> Option<chrono::NaiveDate> {
    let text = query_text(raw)?;
    date(text, "The date")
        .map_err(|message| errors.add(field, message))
        .ok()
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
    fn dates_are_iso_days_from_1900_to_9999() {
        let day = |s: &str| date(s, "Day").map(|d| d.to_string());
        assert_eq!(day(" 2026-11-22 ").unwrap(), "2026-11-22");
        assert_eq!(day("1900-01-01").unwrap(), "1900-01-01");
        assert_eq!(day("9999-12-31").unwrap(), "9999-12-31");
        for bad in ["1899-12-31", "0000-01-01", "0999-06-30"] {
            assert!(day(bad).unwrap_err().contains("between"), "{bad}");
        }
        for bad in [
            "",
            "2026-02-30",
            "2026-1-5",
            "+10000-01-01",
            "-5000-01-01",
            "-262143-01-01",
            "22.11.2026",
            "２０２６-01-01",
        ] {
            assert!(day(bad).unwrap_err().contains("like 2026-11-22"), "{bad}");
        }
        assert_eq!(optional_date(" ", "Day"), Ok(None));
    }

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

//! Parsing raw input into domain values once, at the edge ("parse, don't
//! validate"). Each parser returns the message shown next to the field.

/// Bidirectional embedding, override and isolate characters (U+202A–U+202E,
/// U+2066–U+2069): they reorder the text around them, so a name holding one can
/// read as another. Refused in single-line values.
/// A path on this site to send someone to: it starts with one `/`, holds
/// only visible ASCII and no backslash (browsers drop tabs and newlines from
/// a URL, so `/\t/evil` would become `//evil`, and `/\evil` reads as
/// `//evil`), and is at most 2,000 bytes. Anything else would lead off the
/// site or cannot go into a `Location` header.
pub fn is_local_path(path: &str) -> bool {
    const MAX_LEN: usize = 2_000;
    path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= MAX_LEN
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing: zero-width space and joiners, direction marks,
/// word joiner and invisible operators, the byte-order mark, the soft hyphen.
/// Allowed inside a value (emoji and many scripts join with them), but a value
/// made only of these (and spaces) is blank.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{034F}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    ) || is_bidi_control(c)
}

/// Trims `raw` and checks it is a single line of `1..=max` characters, not
/// only invisible ones.
pub fn required_line(raw: &str, what: &str, max: usize) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(format!("{what} is required."));
    }
    let value = optional_line(value, what, max)?;
    if value.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err(format!(
            "{what} must contain visible characters, not only invisible ones."
        ));
    }
    Ok(value)
}

/// Trims `raw` and checks it is a single line of at most `max` characters,
/// without control characters (tab, newline, NUL…) or bidirectional overrides.
pub fn optional_line(raw: &str, what: &str, max: usize) -> Result<String, String> {
    let value = raw.trim();
    if value.chars().count() > max {
        return Err(format!("{what} must be at most {max} characters."));
    }
    if value.contains(['\n', '\r']) {
        return Err(format!("{what} must be a single line of text."));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{what} must not contain control characters."));
    }
    if value.chars().any(is_bidi_control) {
        return Err(format!(
            "{what} must not contain bidirectional override characters (U+202A–U+202E, U+2066–U+2069)."
        ));
    }
    Ok(value.to_string())
}

/// Trims `raw` and checks it is text of at most `max` characters that may run
/// over several lines (descriptions, notes, reasons): line ends become `\n`;
/// tabs and line ends are the only control characters allowed.
pub fn text_block(raw: &str, what: &str, max: usize) -> Result<String, String> {
    let value = raw.trim().replace("\r\n", "\n").replace('\r', "\n");
    if value.chars().count() > max {
        return Err(format!("{what} must be at most {max} characters."));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(format!(
            "{what} must not contain control characters (only tabs and line breaks)."
        ));
    }
    Ok(value)
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

/// A `LIKE` pattern (escape character `\\`) for a `_key` column containing a
/// search text. `key`: trimmed and lower-cased with `%` and `_` dropped (how
/// the pages search); `as_typed`: lower-cased only, every character matched
/// as itself (how the API lists' `q` has always matched names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contains(String);

impl Contains {
    pub fn key(q: &str) -> Contains {
        Contains::escaped(&key(q).replace(['%', '_'], ""))
    }

    pub fn as_typed(q: &str) -> Contains {
        Contains::escaped(&q.to_lowercase())
    }

    fn escaped(text: &str) -> Contains {
        let mut pattern = String::with_capacity(text.len() + 2);
        pattern.push('%');
        for c in text.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        Contains(pattern)
    }

    /// The pattern, for `.like(..).escape('\\')`.
    pub fn pattern(&self) -> String {
        self.0.clone()
    }
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
        if raw.chars().any(char::is_control) {
            return Err("Password must not contain control characters.".into());
        }
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

    #[test]
    fn names_refuse_controls_bidi_overrides_and_invisible_only_values() {
        for ok in [
            "Zoë Ødegård",
            "東京 本社",
            "Team 🚀",
            "👩\u{200D}💻 Devs",
            "שלום עולם",
            "a\u{200B}b",
        ] {
            assert_eq!(required_line(ok, "Name", 50).as_deref(), Ok(ok), "{ok:?}");
        }
        let err = |raw: &str| required_line(raw, "Name", 50).unwrap_err();
        assert!(err("a\u{0}b").contains("control characters"));
        assert!(err("a\tb").contains("control characters"));
        assert!(err("a\u{7f}").contains("control characters"));
        assert!(err("evil\u{202E}gpj.exe").contains("bidirectional"));
        assert!(err("x\u{2066}y\u{2069}").contains("bidirectional"));
        assert!(err("\u{200B}\u{200B}").contains("visible characters"));
        assert!(err("\u{FEFF} \u{200D}").contains("visible characters"));
        assert!(optional_line("a\u{0}", "Job title", 50).is_err());
        assert_eq!(optional_line("  ", "Job title", 50).as_deref(), Ok(""));
    }

    #[test]
    fn text_blocks_keep_lines_and_tabs_and_refuse_other_controls() {
        assert_eq!(
            text_block(" one\r\ntwo\n\tthree\r", "Description", 100).as_deref(),
            Ok("one\ntwo\n\tthree")
        );
        assert!(text_block("a\u{0}b", "Description", 100).is_err());
        assert!(text_block("a\u{1b}[31m", "Note", 100).is_err());
        assert!(text_block(&"é".repeat(101), "Note", 100).is_err());
        assert_eq!(
            text_block("Zoë 🚀\nØ", "Note", 100).as_deref(),
            Ok("Zoë 🚀\nØ")
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn no_control_character_survives_a_line(raw in "\\PC{0,10}[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}]\\PC{0,10}") {
                prop_assert!(optional_line(&raw, "X", 100).map(|v| !v.chars().any(char::is_control)).unwrap_or(true));
                prop_assert!(required_line(&raw, "X", 100).map(|v| !v.chars().any(char::is_control)).unwrap_or(true));
            }

            #[test]
            fn no_bidi_override_survives_a_line(raw in "\\PC{0,10}[\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}]\\PC{0,10}") {
                prop_assert!(optional_line(&raw, "X", 100).is_err());
                prop_assert!(required_line(&raw, "X", 100).is_err());
            }

            #[test]
            fn only_tabs_and_line_breaks_survive_a_block(raw in "(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}]){0,40}") {
                if let Ok(v) = text_block(&raw, "X", 1000) {
                    prop_assert!(v.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'));
                    prop_assert!(!v.contains('\r'));
                }
            }

            #[test]
            fn printable_text_round_trips_trimmed(raw in "[^\\p{C}\\u{2028}\\u{2029}]{0,60}") {
                let trimmed = raw.trim();
                prop_assert_eq!(optional_line(&raw, "X", 60), Ok(trimmed.to_string()));
                prop_assert_eq!(text_block(&raw, "X", 60), Ok(trimmed.to_string()));
                if trimmed.chars().any(|c| !c.is_whitespace() && !is_invisible(c)) {
                    prop_assert_eq!(required_line(&raw, "X", 60), Ok(trimmed.to_string()));
                }
            }

            #[test]
            fn parsers_never_panic(raw in any::<String>(), max in 0usize..50) {
                let _ = required_line(&raw, "X", max);
                let _ = optional_line(&raw, "X", max);
                let _ = text_block(&raw, "X", max);
                let _ = Email::parse(&raw);
                let _ = NewPassword::parse(&raw);
                let _ = date(&raw, "X");
            }
        }
    }
}

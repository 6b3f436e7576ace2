//! Typed configuration, read once from `CANOPY_*` environment variables and passed
//! down. Nothing reads the environment after start-up.

use std::env;

/// Everything `canopy` needs to run, whatever the command.
#[derive(Clone, Debug)]
pub struct Config {
    /// `postgres://…` or `postgresql://…` selects PostgreSQL; anything else is a
    /// SQLite file path.
    pub database_url: String,
    /// Address `canopy serve` listens on (`127.0.0.1:0` picks a free port).
    pub bind: String,
    /// The address people use to reach Canopy, e.g. `https://canopy.example.com`.
    /// Used for links in mail, the setup link, the Origin check and `Secure` cookies.
    pub public_url: Option<String>,
    /// Hex-encoded key (at least 64 bytes) that signs and encrypts session cookies.
    /// When absent, a key generated once and stored in the database is used.
    pub session_key: Option<String>,
    /// bcrypt cost for new password hashes: 12 in production, 4 in tests.
    pub bcrypt_cost: u32,
    /// Name given to the root organization when the database is first created.
    pub root_name: String,
    /// Trust `X-Forwarded-For` / `Forwarded` for the client address (behind a proxy).
    pub trust_proxy: bool,
    /// HTTP worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// Largest number of pooled database connections.
    pub pool_size: u32,
    /// `smtp://…` or `smtps://…`: deliver the mail outbox there. When absent, mail
    /// stays in the outbox (and the log); admins read it at `/admin/outbox`.
    pub smtp_url: Option<String>,
    /// The `From` of every message, e.g. `Canopy <canopy@example.com>`.
    pub mail_from: String,
    /// A signed-in session unused this long ends (`CANOPY_SESSION_IDLE_MINUTES`).
    pub session_idle_minutes: u32,
    /// A signed-in session ends this long after sign-in, however busy
    /// (`CANOPY_SESSION_MAX_HOURS`).
    pub session_max_hours: u32,
    /// The hour (UTC) from which `canopy serve` sends each day's reminders
    /// (`CANOPY_REMIND_HOUR`, default 7); `None` (`off`) leaves them to
    /// `canopy remind`.
    pub remind_hour: Option<u32>,
    /// The DNS server that domain checks ask for TXT records
    /// (`CANOPY_DNS_RESOLVER`, `ip` or `ip:port`); `None` asks the system's
    /// resolvers (`/etc/resolv.conf`).
    pub dns_resolver: Option<std::net::SocketAddr>,
}

/// A configuration value that could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

impl Config {
    pub const DEFAULT_DATABASE_URL: &'static str = "canopy.db";
    pub const DEFAULT_BIND: &'static str = "127.0.0.1:8080";
    pub const DEFAULT_MAIL_FROM: &'static str = "Canopy <canopy@localhost>";
    /// A working day without a click ends the session.
    pub const DEFAULT_SESSION_IDLE_MINUTES: u32 = 8 * 60;
    /// Everyone signs in again at least once a day.
    pub const DEFAULT_SESSION_MAX_HOURS: u32 = 24;
    /// Reminders go out from 07:00 UTC on each org's reminder day.
    pub const DEFAULT_REMIND_HOUR: u32 = 7;

    /// Reads the configuration from the process environment.
    /// Every variable [`Config::from_env`] reads, with what it sets: the
    /// command line's help prints this table (`canopy --help`).
    pub const ENVIRONMENT: &'static [(&'static str, &'static str)] = &[
        (
            "CANOPY_DATABASE_URL",
            "a SQLite file path, or postgres://user@host:port/db (default canopy.db)",
        ),
        (
            "CANOPY_BIND",
            "address and port to serve on (default 127.0.0.1:8080)",
        ),
        (
            "CANOPY_PUBLIC_URL",
            "the address people reach Canopy at, for links in mail (default: the bound address)",
        ),
        (
            "CANOPY_SESSION_KEY",
            "128 hex digits signing session cookies (default: generated once, kept in the database)",
        ),
        (
            "CANOPY_SESSION_IDLE_MINUTES",
            "a session unused this long ends (default 480)",
        ),
        (
            "CANOPY_SESSION_MAX_HOURS",
            "a session ends this long after sign-in (default 24)",
        ),
        (
            "CANOPY_TRUST_PROXY",
            "true behind a reverse proxy: the client address comes from X-Forwarded-For (default false)",
        ),
        (
            "CANOPY_SMTP_URL",
            "smtp:// or smtps:// server for mail, ?tls=required for STARTTLS (default: mail stays in the outbox)",
        ),
        (
            "CANOPY_MAIL_FROM",
            "the sender of mail (default Canopy <canopy@localhost>)",
        ),
        (
            "CANOPY_BCRYPT_COST",
            "password hashing cost, 4 to 31 (default 12)",
        ),
        (
            "CANOPY_ROOT_NAME",
            "the root organization's name when it is created (default Root)",
        ),
        (
            "CANOPY_WORKERS",
            "HTTP worker threads (default: one per core)",
        ),
        (
            "CANOPY_POOL_SIZE",
            "database connections, 2 to 500 (default 10)",
        ),
        (
            "CANOPY_REMIND_HOUR",
            "UTC hour serve sends reminders on each org's reminder day, 0 to 23 or off (default 7)",
        ),
        (
            "CANOPY_DNS_RESOLVER",
            "DNS server for domain verification checks, ip or ip:port (default: the system's resolvers)",
        ),
    ];

    /// [`Config::ENVIRONMENT`] as the command line's help prints it.
    pub fn environment_help() -> String {
        let mut text = String::from("Environment (every command reads these):\n");
        for (name, meaning) in Self::ENVIRONMENT {
            text.push_str(&format!("  {name:<28} {meaning}\n"));
        }
        text
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let parse_u32 =
            |name: &'static str, default: u32, range: std::ops::RangeInclusive<u32>| match lookup(
                name,
            ) {
                None => Ok(default),
                Some(raw) => match raw.trim().parse::<u32>() {
                    Ok(v) if range.contains(&v) => Ok(v),
                    _ => Err(ConfigError {
                        name,
                        message: format!(
                            "expected a whole number from {} to {}, got {raw:?}",
                            range.start(),
                            range.end()
                        ),
                    }),
                },
            };
        let public_url = lookup("CANOPY_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string());
        if let Some(url) = &public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError {
                name: "CANOPY_PUBLIC_URL",
                message: format!("must start with http:// or https://, got {url:?}"),
            });
        }
        let session_key = lookup("CANOPY_SESSION_KEY");
        if let Some(key) = &session_key {
            match hex::decode(key.trim()) {
                Ok(bytes) if bytes.len() >= 64 => {}
                _ => {
                    return Err(ConfigError {
                        name: "CANOPY_SESSION_KEY",
                        message: "must be at least 64 bytes written as hex (128 hex digits)".into(),
                    });
                }
            }
        }
        let trust_proxy = match lookup("CANOPY_TRUST_PROXY").as_deref().map(str::trim) {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(other) => {
                return Err(ConfigError {
                    name: "CANOPY_TRUST_PROXY",
                    message: format!("expected true or false, got {other:?}"),
                });
            }
        };
        let smtp_url = lookup("CANOPY_SMTP_URL").map(|u| u.trim().to_string());
        if let Some(url) = &smtp_url {
            crate::domain::mail::sender::check_smtp_url(url).map_err(|message| ConfigError {
                name: "CANOPY_SMTP_URL",
                message,
            })?;
        }
        let mail_from = lookup("CANOPY_MAIL_FROM")
            .map(|f| f.trim().to_string())
            .unwrap_or_else(|| Self::DEFAULT_MAIL_FROM.into());
        crate::domain::mail::sender::parse_mailbox(&mail_from).map_err(|message| ConfigError {
            name: "CANOPY_MAIL_FROM",
            message,
        })?;
        let workers = match lookup("CANOPY_WORKERS") {
            None => None,
            Some(_) => Some(parse_u32("CANOPY_WORKERS", 1, 1..=512)? as usize),
        };
        let session_idle_minutes = parse_u32(
            "CANOPY_SESSION_IDLE_MINUTES",
            Self::DEFAULT_SESSION_IDLE_MINUTES,
            1..=30 * 24 * 60,
        )?;
        let session_max_hours = parse_u32(
            "CANOPY_SESSION_MAX_HOURS",
            Self::DEFAULT_SESSION_MAX_HOURS,
            1..=365 * 24,
        )?;
        let remind_hour = match lookup("CANOPY_REMIND_HOUR").as_deref().map(str::trim) {
            Some("off") => None,
            _ => Some(parse_u32(
                "CANOPY_REMIND_HOUR",
                Self::DEFAULT_REMIND_HOUR,
                0..=23,
            )?),
        };
        let dns_resolver = match lookup("CANOPY_DNS_RESOLVER") {
            None => None,
            Some(raw) => Some(parse_resolver(raw.trim()).ok_or_else(|| ConfigError {
                name: "CANOPY_DNS_RESOLVER",
                message: format!("expected an IP address, optionally with :port, got {raw:?}"),
            })?),
        };
        Ok(Config {
            database_url: lookup("CANOPY_DATABASE_URL")
                .unwrap_or_else(|| Self::DEFAULT_DATABASE_URL.into()),
            bind: lookup("CANOPY_BIND").unwrap_or_else(|| Self::DEFAULT_BIND.into()),
            public_url,
            session_key,
            bcrypt_cost: parse_u32("CANOPY_BCRYPT_COST", 12, 4..=31)?,
            root_name: lookup("CANOPY_ROOT_NAME").unwrap_or_else(|| "Root".into()),
            trust_proxy,
            workers,
            pool_size: parse_u32("CANOPY_POOL_SIZE", 10, 2..=500)?,
            smtp_url,
            mail_from,
            session_idle_minutes,
            session_max_hours,
            remind_hour,
            dns_resolver,
        })
    }

    /// How long signed-in sessions last.
    pub fn session_lifetimes(&self) -> crate::domain::session::Lifetimes {
        crate::domain::session::Lifetimes {
            idle: chrono::Duration::minutes(i64::from(self.session_idle_minutes)),
            absolute: chrono::Duration::hours(i64::from(self.session_max_hours)),
        }
    }

    /// True when people reach Canopy over https, so cookies must be `Secure`.
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// The base address for links Canopy prints or mails.
    pub fn base_url(&self, bound: &str) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
    }
}

/// `ip:port`, `[ipv6]:port`, or an address alone (port 53).
fn parse_resolver(raw: &str) -> Option<std::net::SocketAddr> {
    raw.parse::<std::net::SocketAddr>().ok().or_else(|| {
        let ip = raw.trim_start_matches('[').trim_end_matches(']');
        ip.parse::<std::net::IpAddr>()
            .ok()
            .map(|ip| std::net::SocketAddr::new(ip, 53))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The names `from_lookup` asks for, in order.
    fn names_read() -> Vec<String> {
        let asked = std::cell::RefCell::new(Vec::new());
        Config::from_lookup(|name| {
            asked.borrow_mut().push(name.to_string());
            None
        })
        .unwrap();
        asked.into_inner()
    }

    #[test]
    fn the_environment_table_names_every_variable_read_and_no_other() {
        let mut read = names_read();
        read.sort();
        read.dedup();
        let mut listed: Vec<String> = Config::ENVIRONMENT
            .iter()
            .map(|(name, _)| name.to_string())
            .collect();
        listed.sort();
        assert_eq!(listed, read);
        let help = Config::environment_help();
        assert!(
            read.iter().all(|name| help.contains(name.as_str())),
            "{help}"
        );
    }

    #[test]
    fn the_readme_documents_the_same_variables() {
        let readme = include_str!("../README.md");
        let documented: Vec<&str> = readme
            .lines()
            .filter_map(|line| line.strip_prefix("| `CANOPY_"))
            .filter_map(|rest| rest.split('`').next())
            .collect();
        let mut documented: Vec<String> =
            documented.iter().map(|n| format!("CANOPY_{n}")).collect();
        documented.sort();
        let mut read = names_read();
        read.sort();
        read.dedup();
        assert_eq!(documented, read, "README's table of variables");
    }

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_serve_sqlite_on_localhost() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, "canopy.db");
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.bcrypt_cost, 12);
        assert!(!c.is_https());
        assert_eq!(c.session_idle_minutes, 480);
        assert_eq!(c.session_max_hours, 24);
    }

    #[test]
    fn session_lifetimes_are_settings() {
        let c = config(&[
            ("CANOPY_SESSION_IDLE_MINUTES", "30"),
            ("CANOPY_SESSION_MAX_HOURS", "4"),
        ])
        .unwrap();
        let life = c.session_lifetimes();
        assert_eq!(life.idle, chrono::Duration::minutes(30));
        assert_eq!(life.absolute, chrono::Duration::hours(4));
        for (name, bad) in [
            ("CANOPY_SESSION_IDLE_MINUTES", "0"),
            ("CANOPY_SESSION_IDLE_MINUTES", "soon"),
            ("CANOPY_SESSION_MAX_HOURS", "0"),
            ("CANOPY_SESSION_MAX_HOURS", "99999"),
        ] {
            assert_eq!(config(&[(name, bad)]).unwrap_err().name, name);
        }
    }

    #[test]
    fn the_reminder_hour_is_an_hour_or_off() {
        assert_eq!(config(&[]).unwrap().remind_hour, Some(7));
        assert_eq!(
            config(&[("CANOPY_REMIND_HOUR", "0")]).unwrap().remind_hour,
            Some(0)
        );
        assert_eq!(
            config(&[("CANOPY_REMIND_HOUR", "off")])
                .unwrap()
                .remind_hour,
            None
        );
        for bad in ["24", "-1", "noon"] {
            let err = config(&[("CANOPY_REMIND_HOUR", bad)]).unwrap_err();
            assert_eq!(err.name, "CANOPY_REMIND_HOUR", "{bad}");
        }
    }

    #[test]
    fn rejects_bad_values_with_the_variable_name() {
        let err = config(&[("CANOPY_BCRYPT_COST", "99")]).unwrap_err();
        assert_eq!(err.name, "CANOPY_BCRYPT_COST");
        let err = config(&[("CANOPY_SESSION_KEY", "abcd")]).unwrap_err();
        assert_eq!(err.name, "CANOPY_SESSION_KEY");
        let err = config(&[("CANOPY_PUBLIC_URL", "canopy.example.com")]).unwrap_err();
        assert_eq!(err.name, "CANOPY_PUBLIC_URL");
    }

    #[test]
    fn mail_stays_in_the_outbox_unless_smtp_is_configured() {
        let c = config(&[]).unwrap();
        assert_eq!(c.smtp_url, None);
        assert_eq!(c.mail_from, "Canopy <canopy@localhost>");
        let c = config(&[
            (
                "CANOPY_SMTP_URL",
                " smtps://canopy:secret@mail.example.com:465 ",
            ),
            ("CANOPY_MAIL_FROM", "Acme Portal <portal@acme.example>"),
        ])
        .unwrap();
        assert_eq!(
            c.smtp_url.as_deref(),
            Some("smtps://canopy:secret@mail.example.com:465")
        );
        assert_eq!(c.mail_from, "Acme Portal <portal@acme.example>");
        assert!(config(&[("CANOPY_SMTP_URL", "smtp://localhost:1025?tls=required")]).is_ok());
    }

    #[test]
    fn bad_mail_settings_are_refused_without_echoing_secrets() {
        let err =
            config(&[("CANOPY_SMTP_URL", "https://user:secret@mail.example.com")]).unwrap_err();
        assert_eq!(err.name, "CANOPY_SMTP_URL");
        assert!(!err.message.contains("secret"), "{err}");
        let err = config(&[(
            "CANOPY_SMTP_URL",
            "smtp://user:secret@mail.example.com?tls=maybe",
        )])
        .unwrap_err();
        assert_eq!(err.name, "CANOPY_SMTP_URL");
        assert!(!err.message.contains("secret"), "{err}");
        let err = config(&[("CANOPY_MAIL_FROM", "nobody")]).unwrap_err();
        assert_eq!(err.name, "CANOPY_MAIL_FROM");
    }

    #[test]
    fn the_dns_resolver_is_an_address_with_an_optional_port() {
        assert_eq!(config(&[]).unwrap().dns_resolver, None);
        for (raw, want) in [
            ("127.0.0.1:5353", "127.0.0.1:5353"),
            ("10.0.0.2", "10.0.0.2:53"),
            ("[::1]:5300", "[::1]:5300"),
            ("::1", "[::1]:53"),
        ] {
            let c = config(&[("CANOPY_DNS_RESOLVER", raw)]).unwrap();
            assert_eq!(c.dns_resolver.unwrap().to_string(), want, "{raw}");
        }
        for bad in ["dns.example.com", "127.0.0.1:x", "1.2.3"] {
            let err = config(&[("CANOPY_DNS_RESOLVER", bad)]).unwrap_err();
            assert_eq!(err.name, "CANOPY_DNS_RESOLVER", "{bad}");
        }
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let c = config(&[("CANOPY_PUBLIC_URL", "https://canopy.example.com/")]).unwrap();
        assert!(c.is_https());
        assert_eq!(c.base_url("127.0.0.1:1"), "https://canopy.example.com");
    }
}

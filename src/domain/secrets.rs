//! Installation secrets kept in the database, and random tokens with their hashes.

use diesel::prelude::*;
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::db::{self, Conn, schema::app_secrets};
use crate::error::{Error, Result};

const SESSION_KEY: &str = "session_key";
const DATA_KEY: &str = "data_key";

/// A random token of `len` URL-safe characters (about 5.95 bits each).
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The stored form of a high-entropy token: its SHA-256, hex-encoded. (Slow hashes
/// are for guessable passwords; these tokens are not guessable.)
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two strings in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn get(conn: &mut Conn, name: &str) -> Result<Option<String>> {
    Ok(app_secrets::table
        .find(name)
        .select(app_secrets::value)
        .first(conn)
        .optional()?)
}

pub fn put(conn: &mut Conn, name: &str, value: &str) -> Result<()> {
    diesel::delete(app_secrets::table.find(name)).execute(conn)?;
    diesel::insert_into(app_secrets::table)
        .values((
            app_secrets::name.eq(name),
            app_secrets::value.eq(value),
            app_secrets::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores `value` under `name` unless something is stored there already (by
/// another app instance starting at the same moment, say); either way the
/// stored value is returned.
fn put_if_absent(conn: &mut Conn, name: &str, value: &str) -> Result<String> {
    let row = (
        app_secrets::name.eq(name),
        app_secrets::value.eq(value),
        app_secrets::created_at.eq(db::now()),
    );
    crate::with_backend!(conn, |c| diesel::insert_into(app_secrets::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    get(conn, name)?.ok_or_else(|| Error::internal(format!("secret {name} vanished")))
}

/// Deletes the secret `name` if it holds `value`, and says whether it did. Two
/// transactions racing to take the same value cannot both succeed: the loser's
/// delete waits for the winner's row lock and then finds nothing.
pub fn take(conn: &mut Conn, name: &str, value: &str) -> Result<bool> {
    let deleted = diesel::delete(
        app_secrets::table
            .filter(app_secrets::name.eq(name))
            .filter(app_secrets::value.eq(value)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// The key that signs and encrypts session cookies: the configured one, else one
/// generated on first start and kept in the database so restarts (and every other
/// app instance) keep people signed in.
pub fn session_key(conn: &mut Conn, configured: Option<&str>) -> Result<Vec<u8>> {
    if let Some(hex_key) = configured {
        return hex::decode(hex_key.trim()).map_err(Error::internal);
    }
    if let Some(stored) = get(conn, SESSION_KEY)? {
        return hex::decode(stored).map_err(Error::internal);
    }
    let key: [u8; 64] = rand::random();
    let stored = put_if_absent(conn, SESSION_KEY, &hex::encode(key))?;
    hex::decode(stored).map_err(Error::internal)
}

/// The key that seals secrets Canopy must read back (a person's TOTP seed):
/// generated on first use and kept in the database like the session key, so
/// every instance shares it. A dump of one table alone (`two_factor`) reveals
/// no seed; whoever holds the whole database holds the key too, so backups
/// are guarded like the database (docs/security.md).
pub fn data_key(conn: &mut Conn) -> Result<[u8; 32]> {
    let stored = match get(conn, DATA_KEY)? {
        Some(stored) => stored,
        None => put_if_absent(conn, DATA_KEY, &hex::encode(rand::random::<[u8; 32]>()))?,
    };
    let bytes = hex::decode(stored).map_err(Error::internal)?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(Error::internal)
}

/// `plain` sealed with AES-256-GCM under `key`: a fresh 96-bit nonce and the
/// ciphertext with its tag, hex-encoded as `v1:<nonce><ciphertext>`.
pub fn seal(key: &[u8; 32], plain: &[u8]) -> Result<String> {
    use aes_gcm::aead::{Aead, KeyInit};
    let cipher = aes_gcm::Aes256Gcm::new(key.into());
    let nonce: [u8; 12] = rand::random();
    let sealed = cipher
        .encrypt(&nonce.into(), plain)
        .map_err(|_| Error::internal("sealing failed"))?;
    Ok(format!("v1:{}{}", hex::encode(nonce), hex::encode(sealed)))
}

/// What [`seal`] sealed, or an error when it was sealed under another key or
/// altered.
pub fn open(key: &[u8; 32], sealed: &str) -> Result<Vec<u8>> {
    use aes_gcm::aead::{Aead, KeyInit};
    let bytes = sealed
        .strip_prefix("v1:")
        .and_then(|h| hex::decode(h).ok())
        .filter(|b| b.len() > 12)
        .ok_or_else(|| Error::internal("a sealed secret is malformed"))?;
    let (nonce, body) = bytes.split_at(12);
    let cipher = aes_gcm::Aes256Gcm::new(key.into());
    cipher
        .decrypt(aes_gcm::Nonce::from_slice(nonce), body)
        .map_err(|_| Error::internal("a sealed secret does not open with this key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let a = random_token(40);
        let b = random_token(40);
        assert_eq!(a.len(), 40);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(token_hash("").len(), 64);
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_unaltered() {
        let key: [u8; 32] = rand::random();
        let sealed = seal(&key, b"seed").unwrap();
        assert_ne!(
            sealed,
            seal(&key, b"seed").unwrap(),
            "a fresh nonce each time"
        );
        assert!(!sealed.contains(&hex::encode(b"seed")));
        assert_eq!(open(&key, &sealed).unwrap(), b"seed");
        assert!(open(&rand::random(), &sealed).is_err(), "another key");
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('0') { '1' } else { '0' });
        assert!(open(&key, &altered).is_err(), "altered");
        assert!(open(&key, "v1:00").is_err() && open(&key, "plain").is_err());
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}

//! Password hashing. bcrypt is deliberately slow: call these on a blocking thread,
//! never while holding a database write lock.

use crate::error::{Error, Result};

pub fn hash(password: &str, cost: u32) -> Result<String> {
    bcrypt::hash(password, cost).map_err(Error::internal)
}

/// True when `password` matches `hash`. A malformed stored hash never matches.
pub fn verify(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).unwrap_or(false)
}

/// A hash of nothing anyone knows, verified against when the email is unknown so
/// that a failed sign-in takes as long whether or not the account exists.
pub fn dummy_hash(cost: u32) -> Result<String> {
    let random: [u8; 16] = rand::random();
    hash(&hex::encode(random), cost)
}

//! An org's email domains as claims that become verified (issue 16, point 3).
//!
//! CONTRACT (being built): single sign-on routing and the home-org suggestion
//! ask `verified_owner_of_email`; tests and the DNS check mark a claim
//! verified through `mark_verified`. The bodies below are placeholders that
//! the verified-domains work replaces.

use crate::db::Conn;
use crate::error::Result;

use super::Org;

/// The one org whose verified claim covers this email's domain, if any.
pub fn verified_owner_of_email(conn: &mut Conn, email: &str) -> Result<Option<Org>> {
    let mut orgs = super::with_email_domain(conn, email)?;
    Ok(if orgs.len() == 1 { orgs.pop() } else { None })
}

/// Records that `org_id` proved it holds `domain` (lower-case, no '@').
pub fn mark_verified(_conn: &mut Conn, _org_id: i64, _domain: &str) -> Result<()> {
    Ok(())
}

//! Who may do what. `permission` is the fixed catalogue, `roles` the built-in
//! roles. Both are pure data; the resolver that decides arrives on top of them.

pub mod access;
pub mod epoch;
pub mod memo;
pub mod parts;
pub mod permission;
pub mod roles;
pub mod search;
pub mod snapshot;
pub mod store;

pub use access::Access;
pub use parts::Part;
pub use permission::{Permission, PermissionSet};
pub use roles::BuiltinRole;
pub use snapshot::{Decision, Reason, Snapshot};
pub use store::AuthzStore;

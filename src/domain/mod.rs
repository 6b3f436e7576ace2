//! The rules of Canopy, one module per concept: types, validation and the database
//! functions that keep each concept's invariants. Nothing here knows about HTTP.

pub mod access;
pub mod account;
pub mod approval;
pub mod assignment;
pub mod audit;
pub mod auth;
pub mod context;
pub mod customer;
pub mod demo;
pub mod dns;
pub mod grant;
pub mod grant_invite;
pub mod group;
pub mod ids;
pub mod import;
pub mod inbox;
pub mod logo;
pub mod mail;
pub mod membership;
pub mod nav_counts;
pub mod notification;
pub mod org;
pub mod paging;
pub mod password;
pub mod pick;
pub mod privacy;
pub mod project;
pub mod report;
pub mod role;
pub mod rollup;
pub mod schedule;
pub mod scim;
pub mod seats;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod setup;
pub mod sso;
pub mod team;
pub mod tenant;
pub mod timesheet;
pub mod token;
pub mod two_factor;
pub mod user;
pub mod validate;

/// `authz_epoch` lives with the resolver it keeps fresh (`authz::epoch`);
/// domain writes bump it by this name.
pub use crate::authz::epoch;

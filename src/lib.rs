//! Canopy: a self-hosted portal for a tree of organizations, their people and
//! the work they log.
//!
//! Dependencies point one way: `web` and `api` (HTTP) → `domain` and `authz`
//! (rules, no HTTP) → `db` (connections, schema). `http` holds what the two HTTP
//! faces share; neither of them imports the other.

pub mod api;
pub mod authz;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod ids;
pub mod scim;
pub mod startup;
pub mod web;

pub use config::Config;
pub use error::{Error, FieldErrors};

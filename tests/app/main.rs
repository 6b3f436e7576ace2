//! Integration tests: each starts the real app on port 0 with a fresh database
//! and talks HTTP to it. One test binary, so the app is linked once.

mod access_paging;
mod account;
mod api;
mod audit;
mod auth;
mod border;
mod cli;
mod escalation;
mod hardening;
mod helpers;
mod hidden_ids;
mod inbox_filters;
mod inbox_paging;
mod month_totals;
mod nav_counts;
mod openapi;
mod org_pages;
mod org_tree;
mod orgs;
mod outbox;
mod overload;
mod overview;
mod paging;
mod people;
mod pickers;
mod projects;
mod reports;
mod reports_scale;
mod reports_teams;
mod sessions;
mod sign_in_throttle;
mod tenant_codes;
mod text_input;
mod timesheet_pages;
mod timesheets;

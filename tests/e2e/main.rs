//! End-to-end tests over real HTTP. Every test body runs on SQLite and on PostgreSQL.

mod access;
mod account_links;
mod accounts;
mod associations;
mod audit;
mod auth;
mod contract;
mod deliberations;
mod directory;
mod documents;
mod fixtures;
mod grants;
mod http;
mod indicators;
mod juries;
mod members;
mod notifications;
mod oauth_clients;
mod open_data;
mod panics;
mod portal;
mod requests;
mod single_sign_on;
mod statements;
mod two_factor;
mod webhooks;

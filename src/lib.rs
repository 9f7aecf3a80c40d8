//! kaohe (考核): a batch pipeline for the offices that run subsidised rural insurance
//! programmes — quotas, year-end rankings and official-style PDF annexes from the
//! population, enrollment and audit data they already have.
//!
//! Stages, one module each: [`ingest`] → [`validate`] → [`metrics`] → [`quota`] /
//! [`rank`] → [`report`] → [`render`] / [`export`] → [`archive`]; [`pipeline`] runs them.

pub mod archive;
pub mod assess;
pub mod cell;
pub mod cli;
pub mod config;
pub mod dataset;
pub mod declared;
pub mod error;
pub mod export;
pub mod ingest;
pub mod measure;
pub mod outputs;
pub mod pipeline;
pub mod problem;
pub mod programme;
pub mod quota;
pub mod rank;
pub mod reconcile;
pub mod redact;
pub mod render;
pub mod report;
pub mod rubric;
pub mod serve;
pub mod timings;
pub mod validate;
pub mod views;

//! kaohe (考核): a batch pipeline for the offices that run subsidised rural insurance
//! programmes — quotas, year-end rankings and official-style PDF annexes from the
//! population, enrollment and audit data they already have.
//!
//! One folder per stage, data flowing down once: [`programme`] (the model: what a
//! programme file declares; imports no stage) → [`ingest`] (one reader per format) →
//! [`validate`] (declared columns and types → clean frames + set-aside rows) →
//! [`measure`] (declared measures per unit level) → [`score`] (rubrics, ranks, grades) →
//! [`report`] (tables and document payloads) → [`render`] (Typst → PDF) → [`archive`]
//! (staging, manifest, verify). [`pipeline`] runs them; [`problem`] and [`error`] are what
//! the clerk reads.

pub mod archive;
pub mod cli;
pub mod error;
pub mod ingest;
pub mod measure;
pub mod parallel;
pub mod pipeline;
pub mod problem;
pub mod programme;
pub mod redact;
pub mod render;
pub mod report;
pub mod score;
pub mod serve;
pub mod timings;
pub mod validate;

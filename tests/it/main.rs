//! kaohe's end-to-end tests: one test binary (one link of polars + typst), one module per topic.

mod common;

/// The bundled 南通 agri assessment: hand-computed units, ranking, grades, evidence, bad inputs.
mod agri;
/// The micro-insurance programme on the bundled sample and the hand-computed mini programme.
mod cli;
/// Programmes declared in their file: the bundled 岚皋 towns, every measure kind, the messages.
mod declared;
/// Reasons that print the real figure: an `expr` shortfall in 元, a missed or blank deadline.
mod figures;
/// Both bundled programmes, every published cell against the capture made before issue 9.
mod golden;
/// The bundled 平利 programme: 新农合 member rosters with only, set_aside, keep_first, a named deadline.
mod members;
/// The bad-input corpus: files as clerks send them, read / refused / set aside as asserted.
mod messy;
/// Seeded corruptions of every input format: no panic, a Chinese message, no full ID.
mod mutation;
/// `[[pdf]]` and `[[table]]`: declared documents, checked declarations, defaults.
mod outputs;
/// The rubric files against the seed's wording; hand-computed scores for every rule kind.
mod rubric;
/// `kaohe serve`: the security rules over HTTP, and a clerk's year in a real headless chromium.
mod serve;

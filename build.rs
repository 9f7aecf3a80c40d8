//! Lists every template of report-templates/ for the copies built into the binary, so a
//! template is found by its file name and no list of them lives in Rust.

use std::path::Path;

fn main() {
    // Read when the script runs, not when it was compiled: a build script compiled for one
    // checkout may be reused by cargo for another at a different path.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("report-templates");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("report-templates/ is part of the source")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".typ"))
        .collect();
    names.sort();
    let mut out = String::from("&[\n");
    for n in &names {
        out += &format!("    ({n:?}, include_str!({:?})),\n", dir.join(n).display().to_string());
    }
    out += "]\n";
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_templates.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

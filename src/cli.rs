//! Command-line definitions only (clap). Stage code never sees these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// kaohe (考核): quota tables, year-end participation rankings and official-style
/// PDF annexes (GB/T 9704) for subsidised rural insurance programmes.
#[derive(Debug, Parser)]
#[command(name = "kaohe", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Process every programme folder under the input into the output folder.
    Run(RunArgs),
    /// Check the input without writing anything (exit 0 clean, 1 data errors, 2 usage errors).
    Check(CheckArgs),
    /// Re-hash an output folder against its manifest.json and name every changed file.
    Verify(VerifyArgs),
    /// Compare a quota table the office already published with kaohe's.
    Reconcile(ReconcileArgs),
    /// The clerk's page: a local web server (127.0.0.1 only) to add files, check, run and verify.
    Serve(ServeArgs),
    /// Write a deterministic sample input into a folder (the bundled samples, or a larger workload).
    Generate(GenerateArgs),
    /// Measurements for bench/run.sh.
    #[command(hide = true)]
    Bench(BenchArgs),
}

/// `kaohe bench`
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchWhat,
}

/// What `kaohe bench` measures.
#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// In-process rendering: an empty page and a one-page annex table.
    Render {
        #[arg(long, default_value_t = 50)]
        docs: usize,
    },
    /// Write the annex table as a Typst project for `typst compile`.
    ExportTypst {
        #[arg(long)]
        out: PathBuf,
    },
    /// The ingest floor: read every roster under --input and count rows.
    Scan {
        #[arg(long)]
        input: PathBuf,
    },
    /// One view of one programme rendered again and again on one core (ms per document),
    /// to measure a template change: `bench document --input input/x --view data-quality`.
    Document {
        /// One programme folder.
        #[arg(long)]
        input: PathBuf,
        /// The view's name (for a per-unit view, its first unit's document).
        #[arg(long)]
        view: String,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Template folder (default: the built-in templates).
        #[arg(long)]
        templates: Option<PathBuf>,
    },
}

/// Where the programme folders are.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Folder with programme folders (each with programme.toml), or one programme folder.
    #[arg(long, default_value = "input")]
    pub input: PathBuf,
}

/// How documents are made and how many threads work: the same for `run` and `check`, so
/// `check` judges templates and fonts as `run` will use them.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Template folder (default: ./report-templates if present, else the built-in templates).
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Extra font folder (e.g. licensed 方正小标宋, 仿宋_GB2312); these fonts take precedence.
    #[arg(long = "font-dir")]
    pub font_dirs: Vec<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub jobs: Option<usize>,
}

/// `kaohe run`
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output folder; each programme-year gets its own subfolder.
    #[arg(long, default_value = "output")]
    pub output: PathBuf,
    /// Replace an existing finished programme-year folder.
    #[arg(long)]
    pub force: bool,
    /// Print the wall time of each stage to stderr (for the benchmark).
    #[arg(long)]
    pub timings: bool,
}

/// `kaohe check`
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Also fail (exit 1) when roster rows were set aside.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `kaohe serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output folder; each programme-year gets its own subfolder.
    #[arg(long, default_value = "output")]
    pub output: PathBuf,
    /// Port on 127.0.0.1 (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The largest file one upload may hold, in MB.
    #[arg(long, default_value_t = 64, hide = true)]
    pub max_upload_mb: usize,
    /// The most files one upload may hold.
    #[arg(long, default_value_t = 60, hide = true)]
    pub max_files: usize,
}

/// `kaohe verify`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A programme-year output folder (with manifest.json).
    pub dir: PathBuf,
}

/// `kaohe reconcile`
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The published quota table (CSV or xlsx with a unit column and a quota column).
    #[arg(long)]
    pub published: PathBuf,
    /// Which programme folder to compare with, when the input holds several.
    #[arg(long)]
    pub programme: Option<String>,
}

/// `kaohe generate`
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Destination folder: for district, population.csv and rosters/; for nantong and
    /// city, the datasets (a programme folder's data/).
    #[arg(long)]
    pub out: PathBuf,
    /// district: the 汉滨区 2015 sample; nantong: the 南通 2012 datasets (about 30,000
    /// claims); city: the same with a claims ledger of about 200,000 rows; province: one
    /// programme folder per county (100 counties, 1,500 towns, 15,000 villages, 20 million rows).
    #[arg(long, value_enum, default_value_t = Workload::District)]
    pub workload: Workload,
    /// province only: number of counties.
    #[arg(long, default_value_t = 100)]
    pub counties: usize,
    /// province only: roster rows per county.
    #[arg(long, default_value_t = 200_000)]
    pub rows_per_county: usize,
    /// Random seed; the same seed always gives the same bytes.
    #[arg(long, default_value_t = 2015)]
    pub seed: u64,
}

/// What `kaohe generate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    District,
    Nantong,
    City,
    Province,
}

//! The `canopy` binary: parse the command line and configuration, then hand over.

use clap::Parser;

/// mimalloc instead of glibc's malloc: glibc keeps each thread arena's peak
/// long after it is freed, so RSS grew past 400 MB over the page sweep on the
/// large set. With the crate's `override` feature (Cargo.toml) mimalloc is also
/// the `malloc` the bundled SQLite and libpq call, which took the sweep from
/// 257–321 MB to 150–163 MB, flat over two rounds (docs/performance.md,
/// "Memory and saves", "Memory, third round").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = canopy::cli::Cli::parse();
    let config = match canopy::Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: configuration: {err}");
            std::process::exit(2);
        }
    };
    if let Err(err) = canopy::cli::run(cli, config).await {
        eprintln!("error: {}", canopy::cli::describe_error(&err));
        std::process::exit(1);
    }
}

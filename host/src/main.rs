//! The `cifix` command line: parse arguments, set up tracing, run.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cifix::cli::Cli::parse();
    cifix::cli::init_tracing(cli.global.verbose);
    match cifix::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cifix::cli::exit_code(&e))
        }
    }
}

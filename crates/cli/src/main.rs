//! `cifix`: parse the command line, make one library call, hand the result to a
//! reporter. Everything else lives in `cifix-host`.

mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = commands::Cli::parse();
    commands::init_tracing(cli.global.verbose);
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) if commands::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "error: {}",
                cifix_host::reporters::terminal::sanitize(&format!("{e:#}"))
            );
            ExitCode::from(if cifix_host::is_bad_input(&e) {
                cifix_model::exit::BAD_INPUT
            } else {
                cifix_model::exit::FAILED
            })
        }
    }
}

//! The `council` command.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = council_app::cli::Cli::parse();
    match council_app::cli::run(cli, &mut std::io::stdout()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("hint: {hint}");
            }
            std::process::ExitCode::from(e.exit_code())
        }
    }
}

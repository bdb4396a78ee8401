//! `council init`.

use std::io::Write;

use clap::{Args, ValueEnum};
use crdt_model::Rules;

use super::{CliError, now_ms, warn_if_loosened};
use crate::profile::{CreateError, Profile};

/// Which country's rules of procedure to start from.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Preset {
    /// Quorum and adoption by more than half of all seats.
    Ukraine,
    /// Quorum by more than half of all seats, adoption by more than half of those present.
    Bulgaria,
}

/// Create a new council.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The council's name.
    #[arg(long)]
    pub name: String,
    /// Total seats of the council.
    #[arg(long)]
    pub seats: u32,
    /// Your name as the founder.
    #[arg(long, default_value = "Secretary")]
    pub founder_name: String,
    /// Rules of procedure to start from.
    #[arg(long, value_enum, default_value = "ukraine")]
    pub preset: Preset,
}

/// Creates the council in this device's store (made now if `council key` has not made it).
pub fn cmd_init(profile: &Profile, args: InitArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if args.seats == 0 {
        return Err(CliError::Usage("--seats must be at least 1".into()));
    }
    if args.name.trim().is_empty() {
        return Err(CliError::Usage("--name must not be empty".into()));
    }
    let rules = match args.preset {
        Preset::Ukraine => Rules::ukraine(args.seats),
        Preset::Bulgaria => Rules::bulgaria(args.seats),
    };
    let genesis = profile
        .create_council(&args.name, &args.founder_name, rules, now_ms())
        .map_err(|e| match e {
            CreateError::Open(o) => CliError::Open(o),
            CreateError::Genesis(g) => CliError::Genesis(g),
            CreateError::Invalid(m) => CliError::Usage(m),
        })?;
    if let Ok(store) = profile.store() {
        warn_if_loosened(&store);
    }
    writeln!(out, "council: {}", genesis.id())?;
    writeln!(
        out,
        "founder (you, secretary): {}",
        genesis.genesis().founder
    )?;
    Ok(())
}

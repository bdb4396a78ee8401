//! `council init`.

use std::io::Write;

use clap::{Args, ValueEnum};
use crdt_model::{Genesis, Role, Roles, Rules};

use super::{CliError, now_ms, warn_if_loosened};
use crate::profile::Profile;

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
    let mut store = profile.store()?;
    warn_if_loosened(&store);
    if store.genesis().is_some() {
        return Err(council_sync::OpenError::AlreadyExists {
            path: profile.store_path(),
        }
        .into());
    }
    let device = store.identity().clone();
    let rules = match args.preset {
        Preset::Ukraine => Rules::ukraine(args.seats),
        Preset::Bulgaria => Rules::bulgaria(args.seats),
    };
    let mut nonce = [0u8; 16];
    nonce.copy_from_slice(&crdt_model::DeviceId::generate().0);
    let genesis = Genesis {
        name: args.name,
        rules,
        founder: device.member_id(),
        founder_name: args.founder_name,
        founder_roles: Roles::of(&[Role::Secretary]),
        created_ms: now_ms(),
        nonce,
    }
    .sign(device.key())
    .map_err(|e| CliError::Usage(e.to_string()))?;
    let id = genesis.id();
    store.set_genesis(&genesis)?;
    writeln!(out, "council: {id}")?;
    writeln!(out, "founder (you, secretary): {}", device.member_id())?;
    Ok(())
}

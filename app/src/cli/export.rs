//! `council export`: the council's signed record held by this device, as a bundle anyone can
//! verify (`docs/format.md` §10).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::{CliError, warn_if_loosened};
use crate::bundle::{Bundle, Scope};
use crate::profile::Profile;

/// Write a bundle of the council's signed data held by this device: the founding record, every
/// signed item, and each poll with its context, open and close statements and ballots. Anyone
/// can check it with `council verify --bundle FILE` or an independent verifier.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The file to write (replaced if it exists).
    #[arg(long)]
    pub out: PathBuf,
    /// Leave out document changes: only what the polls' verification needs.
    #[arg(long)]
    pub polls_only: bool,
}

/// Writes the bundle and says what it holds.
pub fn cmd_export(
    profile: &Profile,
    args: ExportArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let node = profile.node()?;
    warn_if_loosened(node.store());
    let scope = if args.polls_only {
        Scope::PollsOnly
    } else {
        Scope::Everything
    };
    let bundle = Bundle::from_replica(node.replica(), scope);
    std::fs::write(&args.out, bundle.to_text()).map_err(|source| CliError::WriteFile {
        path: args.out.clone(),
        source,
    })?;
    writeln!(
        out,
        "wrote {}: council {}, {} signed items, {} polls",
        args.out.display(),
        bundle.council,
        bundle.items.len(),
        bundle.polls.len()
    )?;
    Ok(())
}

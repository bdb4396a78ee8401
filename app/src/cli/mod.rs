//! The `council` subcommands, one file each.

mod init;
mod member;
mod roster;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use thiserror::Error;

use crate::profile::ProfileError;

/// Council: a local-first council of deputies, with signed documents and votes.
#[derive(Debug, Parser)]
#[command(name = "council", version, about)]
pub struct Cli {
    /// The profile directory of this device (key, device id, council store).
    #[arg(
        long,
        global = true,
        env = "COUNCIL_DIR",
        default_value = "council-data"
    )]
    pub dir: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new council on this device; you become its founder (secretary).
    Init(init::InitArgs),
    /// Print this device's member key, to give to the secretary who adds you.
    Key,
    /// Add, remove or change the roles of members (secretary or chair).
    #[command(subcommand)]
    Member(member::MemberCommand),
    /// List the council's members, roles and committees.
    Roster,
}

/// A command that failed, with what to do about it.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CliError {
    /// The profile could not be used.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The council store could not be opened or created.
    #[error(transparent)]
    Open(#[from] council_sync::OpenError),
    /// Saving failed.
    #[error(transparent)]
    Write(#[from] council_sync::WriteError),
    /// The council refused the operation.
    #[error("the council refused this: {0}")]
    Refused(#[from] crdt_model::log::OpRejected),
    /// An argument is wrong.
    #[error("{0}")]
    Usage(String),
    /// Printing failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl CliError {
    /// What the person should do next.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            CliError::Open(council_sync::OpenError::AlreadyExists { .. }) => {
                Some("this device already has a council; use another --dir to create a second one")
            }
            CliError::Open(council_sync::OpenError::Damaged { .. }) => Some(
                "run `council init` first, or point --dir at the profile that holds your council",
            ),
            CliError::Open(_) => Some("check that --dir points at a Council profile"),
            CliError::Refused(_) => {
                Some("only the roles the rules of procedure name may do this; see `council roster`")
            }
            CliError::Usage(_) => Some("see `council --help`"),
            _ => None,
        }
    }

    /// Exit status: 2 for wrong usage, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// Runs a parsed command, writing its output to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<(), CliError> {
    let profile = crate::profile::Profile::new(&cli.dir);
    match cli.command {
        Command::Init(args) => init::cmd_init(&profile, args, out),
        Command::Key => {
            writeln!(out, "{}", profile.device()?.member_id())?;
            Ok(())
        }
        Command::Member(m) => member::cmd_member(&profile, m, out),
        Command::Roster => roster::cmd_roster(&profile, out),
    }
}

/// Milliseconds since the epoch, for the informational time of operations.
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

//! The `council` subcommands, one file each.

mod init;
mod invite;
mod member;
mod roster;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use thiserror::Error;

/// Council: a local-first council of deputies, with signed documents and votes.
#[derive(Debug, Parser)]
#[command(name = "council", version, about)]
pub struct Cli {
    /// The profile directory of this device (its council store, which holds its identity).
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
    /// Print an invite ticket for a newcomer or for the council's relay and replica.
    Invite(invite::InviteArgs),
}

/// A command that failed, with what to do about it.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CliError {
    /// The council store could not be opened or created.
    #[error(transparent)]
    Open(#[from] council_sync::OpenError),
    /// The store could not take the council.
    #[error(transparent)]
    Genesis(#[from] council_sync::GenesisError),
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
            CliError::Open(council_sync::OpenError::NotFound { .. }) => Some(
                "run `council init` to create a council, or `council key` to get a key to join \
                 one; or point --dir at the profile that holds your council",
            ),
            CliError::Open(council_sync::OpenError::NoCouncil { .. }) => Some(
                "run `council init` to create a council, or give the key `council key` prints to \
                 the council's secretary and join",
            ),
            CliError::Open(council_sync::OpenError::Damaged { .. }) => Some(
                "the file was damaged or edited and has been left as it is; restore it from a \
                 backup",
            ),
            CliError::Open(council_sync::OpenError::Io { .. }) => {
                Some("check that --dir is a directory you may write to")
            }
            CliError::Open(_) => Some(
                "check that --dir points at a Council profile; the file has been left as it is",
            ),
            CliError::Genesis(_) => {
                Some("this device already belongs to a council; use another --dir for another one")
            }
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
            let store = profile.store()?;
            warn_if_loosened(&store);
            writeln!(out, "{}", store.identity().member_id())?;
            Ok(())
        }
        Command::Member(m) => member::cmd_member(&profile, m, out),
        Command::Roster => roster::cmd_roster(&profile, out),
        Command::Invite(args) => invite::cmd_invite(&profile, args, out),
    }
}

/// Tells the person when the store was readable by others (it has been made private).
fn warn_if_loosened(store: &council_sync::Store) {
    if let Some(mode) = store.tightened_from() {
        eprintln!(
            "warning: {} was readable by other users (mode {mode:o}); it holds your key, so it \
             is now readable by you only (mode 600)",
            store.path().display()
        );
    }
}

/// Milliseconds since the epoch, for the informational time of operations.
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

//! The `council` subcommands, one file each.

mod demo;
mod export;
mod init;
mod invite;
mod join;
mod member;
mod minutes;
mod publish;
mod roster;
mod search;
mod serve;
mod verify;

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
    /// What to do; with nothing, the desktop app opens on this profile.
    #[command(subcommand)]
    pub command: Option<Command>,
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
    /// Write the council's signed record held here to a bundle anyone can verify.
    ///
    /// The bundle holds the council's founding record, every signed item this device holds,
    /// and each poll with its context, open and close statements and ballots. Check it on any
    /// machine with `council verify --bundle FILE` or an independent verifier written from
    /// docs/format.md (§10).
    Export(export::ExportArgs),
    /// Verify every poll's tally, of this device or of a bundle.
    ///
    /// Checks each poll's signatures, who could vote, the ballots counted, the counts and the
    /// declared outcome, and prints a report per poll. With --bundle, first rebuilds the council
    /// from the bundle's signed items and checks that what the bundle states about each poll
    /// agrees with them. Exits with status 1 if anything fails.
    Verify(verify::VerifyArgs),
    /// Join a council with an invite ticket and fetch the roster that admits this device.
    ///
    /// Give the key `council key` prints to the council's secretary first: the ticket itself
    /// grants nothing. This device's store becomes the council's, the relay and the members'
    /// addresses in the ticket are saved, and the council's data is fetched until the roster
    /// listing this device has arrived.
    Join(join::JoinArgs),
    /// Run this device as a headless peer of the council until Ctrl-C or SIGTERM.
    ///
    /// Keeps connections to the other members, receives, stores and forwards every signed item,
    /// and prints a status line whenever something changes. On Ctrl-C or SIGTERM it closes its
    /// connections and stops once everything received is on disk.
    Serve(serve::ServeArgs),
    /// Open the desktop app on this profile (the same as giving no command).
    App,
    /// Try Council with a simulated council of colleagues, in the app or headless.
    Demo(demo::DemoArgs),
    /// Search drafts, decisions, opinions, amendments, agendas, minutes and your own notes.
    Search(search::SearchArgs),
    /// Write a session's minutes (Markdown, HTML or PDF), approve them, or check approvals.
    ///
    /// `council minutes SESSION --out FILE.pdf` writes the minutes generated from the session's
    /// signed record; `council minutes approve SESSION` signs their hash as the chair, a deputy
    /// chair or the secretary; `council minutes check SESSION` shows whether they are approved
    /// and whether the approvals match the record now; `council minutes list` lists sessions.
    Minutes(minutes::MinutesArgs),
    /// Write the council's public record as a static website anyone can verify.
    Publish(publish::PublishArgs),
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
    /// The store could not be read.
    #[error(transparent)]
    Read(#[from] council_sync::ReadError),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not a Council bundle.
    #[error("{path}: {source}")]
    Bundle {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: crate::bundle::BundleError,
    },
    /// Some poll (or the bundle itself) did not verify.
    #[error("{}", unverified(*failed, *polls, *problems))]
    Unverified {
        /// Polls that failed.
        failed: usize,
        /// Polls verified in all.
        polls: usize,
        /// Problems of the bundle beyond its polls.
        problems: usize,
    },
    /// The invite ticket is not usable.
    #[error(transparent)]
    Ticket(#[from] council_sync::ticket::TicketError),
    /// The network side failed.
    #[error(transparent)]
    Net(#[from] council_sync::net::NetError),
    /// The async runtime (or a signal handler) could not start.
    #[error("cannot start the network runtime: {0}")]
    Runtime(std::io::Error),
    /// The demo or the window could not run.
    #[error("{0}")]
    Demo(String),
    /// The council's peers refuse this device's key.
    #[error(
        "the council's peers refused this device: its key {key} is not on the council's roster"
    )]
    NotOnRoster {
        /// This device's member key.
        key: String,
    },
    /// No peer could be reached in time.
    #[error("no member of the council could be reached within {secs} s")]
    NoPeer {
        /// How long it waited.
        secs: u64,
    },
    /// Peers were reached, but the roster admitting this device did not arrive in time.
    #[error("peers answered, but no roster listing this device arrived within {secs} s")]
    NotAdmittedYet {
        /// How long it waited.
        secs: u64,
    },
    /// The search index failed.
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    /// The session named is not on this device, or the name fits several.
    #[error("{message}\n{}", sessions.trim_end())]
    Session {
        /// What is wrong.
        message: String,
        /// The sessions this device holds, one per line.
        sessions: String,
    },
    /// Minutes could not be made.
    #[error(transparent)]
    Minutes(#[from] crate::minutes::MinutesError),
    /// The public site could not be written.
    #[error(transparent)]
    Publish(#[from] crate::publish::PublishError),
    /// The engine did not carry out a command.
    #[error(transparent)]
    Command(#[from] crate::engine::CommandError),
    /// The minutes are not approved by a chair and the secretary.
    #[error("{}", not_approved(*approvals, *stale))]
    NotApproved {
        /// Approvals held.
        approvals: usize,
        /// Of those, approvals of minutes the record no longer gives.
        stale: usize,
    },
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
            CliError::Open(council_sync::OpenError::InUse { .. }) => Some(
                "another Council window or `council serve` has this profile open; close it, or                  point --dir at another profile",
            ),
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
            CliError::Bundle { .. } => {
                Some("a bundle is the file `council export` writes, unchanged; ask for it again")
            }
            CliError::Unverified { .. } => {
                Some("the report above names each failed check and the items at fault")
            }
            CliError::Ticket(_) => {
                Some("ask for the ticket again and copy all of it: it starts with council1")
            }
            CliError::Net(_) => Some(
                "check that --bind is an address of this machine with a free port, and that no \
                 other `council serve` or app uses this profile",
            ),
            CliError::NotOnRoster { .. } => Some(
                "give the key `council key` prints to the council's secretary; once they have \
                 added you (`council member add`), run `council join` again",
            ),
            CliError::NoPeer { .. } => Some(
                "check that a member's device is running (`council serve` or the app), that the \
                 addresses or relay in the ticket are reachable from this network, and run \
                 `council join` again (a longer --wait, or a fresh ticket if addresses changed)",
            ),
            CliError::Search(crate::search::SearchError::Busy { .. }) => Some(
                "close the app or the other `council` command using this profile, then search \
                 again",
            ),
            CliError::Session { .. } => {
                Some("give the session's id, the start of it, or its label, as listed above")
            }
            CliError::Command(crate::engine::CommandError::NotAllowed(_)) => {
                Some("minutes are approved by the chair, a deputy chair or the secretary")
            }
            CliError::NotApproved { stale: 0, .. } => Some(
                "the chair (or a deputy chair) and the secretary approve the minutes with \
                 `council minutes approve SESSION`",
            ),
            CliError::NotApproved { .. } => Some(
                "the record changed after the approval: generate the minutes again, read them, \
                 and approve them again with `council minutes approve SESSION`",
            ),
            CliError::NotAdmittedYet { .. } => Some(
                "make sure the secretary added the key `council key` prints, then run `council \
                 join` again, or wait longer with --wait",
            ),
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

/// The message of [`CliError::NotApproved`].
fn not_approved(approvals: usize, stale: usize) -> String {
    match (approvals, stale) {
        (0, _) => "the minutes are not approved yet".into(),
        (_, 0) => "the minutes are not approved by both a chair and the secretary yet".into(),
        (_, s) => {
            format!("the minutes are not approved: {s} approvals do not match the record now")
        }
    }
}

/// The message of [`CliError::Unverified`].
fn unverified(failed: usize, polls: usize, problems: usize) -> String {
    match (failed, problems) {
        (0, p) => format!("the bundle did not verify: {p} problems, listed above"),
        (f, 0) => format!("{f} of {polls} polls failed verification"),
        (f, p) => format!(
            "{f} of {polls} polls failed verification, and the bundle has {p} other problems"
        ),
    }
}

/// Runs a parsed command, writing its output to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<(), CliError> {
    let profile = crate::profile::Profile::new(&cli.dir);
    let Some(command) = cli.command else {
        return open_app(&cli.dir);
    };
    match command {
        Command::App => open_app(&cli.dir),
        Command::Demo(args) => demo::cmd_demo(args, out),
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
        Command::Export(args) => export::cmd_export(&profile, args, out),
        Command::Verify(args) => verify::cmd_verify(&profile, args, out),
        Command::Join(args) => join::cmd_join(&profile, args, out),
        Command::Serve(args) => serve::cmd_serve(&profile, args, out),
        Command::Search(args) => search::cmd_search(&profile, args, out),
        Command::Minutes(args) => minutes::cmd_minutes(&profile, args, out),
        Command::Publish(args) => publish::cmd_publish(&profile, args, out),
    }
}

/// Opens the desktop app on the profile in `dir`: the council it belongs to, or the welcome
/// screen.
fn open_app(dir: &std::path::Path) -> Result<(), CliError> {
    let host = crate::host::DesktopHost::new(dir).map_err(CliError::Demo)?;
    let opening = host.open_in_background();
    crate::ui::run_native_opening(Box::new(host), opening)
        .map_err(|e| CliError::Demo(format!("the window could not open: {e}")))
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

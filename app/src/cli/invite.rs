//! `council invite`: an invite ticket for a newcomer (or the council's relay and replica).

use std::io::Write;
use std::net::SocketAddr;

use clap::Args;
use council_sync::ticket::Ticket;

use super::CliError;
use crate::profile::Profile;

/// Print an invite ticket: the council's founding record, its relay, and how to reach this
/// device. Admit the newcomer's key first (`council member add`); the ticket itself grants
/// nothing.
#[derive(Debug, Args)]
pub struct InviteArgs {
    /// The council's relay URL (e.g. http://192.168.1.10:3340).
    #[arg(long)]
    pub relay: Option<String>,
    /// An address this device listens on, to reach it directly; repeat for more.
    #[arg(long = "addr")]
    pub addrs: Vec<SocketAddr>,
}

/// Prints the ticket.
pub fn cmd_invite(
    profile: &Profile,
    args: InviteArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if let Some(r) = &args.relay
        && !(r.starts_with("http://") || r.starts_with("https://"))
    {
        return Err(CliError::Usage(format!(
            "--relay {r}: a relay URL starts with http:// or https://"
        )));
    }
    let node = profile.node()?;
    let genesis = node.replica().log().genesis().clone();
    let me = *node.identity().member_id().as_bytes();
    let ticket = Ticket {
        genesis,
        relay: args.relay,
        peers: vec![(me, args.addrs)],
    };
    writeln!(out, "{}", ticket.encode())?;
    Ok(())
}

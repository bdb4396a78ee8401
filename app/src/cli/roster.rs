//! `council roster`.

use std::io::Write;

use super::{CliError, warn_if_loosened};
use crate::profile::Profile;

/// Prints members, roles and committees.
pub fn cmd_roster(profile: &Profile, out: &mut dyn Write) -> Result<(), CliError> {
    let node = profile.node()?;
    warn_if_loosened(node.store());
    let log = node.replica().log();
    let state = log.state();
    writeln!(
        out,
        "{} ({})",
        log.genesis().genesis().name,
        log.council_id()
    )?;
    writeln!(
        out,
        "seats: {}, quorum: {}",
        state.rules.seats,
        state.rules.quorum_needed(state.rules.seats)
    )?;
    for (id, m) in &state.members {
        let roles: Vec<&str> = m.roles.iter().map(|r| r.name()).collect();
        let status = if m.removed { " (removed)" } else { "" };
        writeln!(out, "{}  {}  [{}]{}", id, m.name, roles.join(", "), status)?;
    }
    for c in state.committees.values() {
        writeln!(out, "committee: {} ({} members)", c.name, c.members.len())?;
    }
    Ok(())
}

//! `council member add|remove|role`.

use std::io::Write;

use clap::{Args, Subcommand};
use crdt_model::log::OpBody;
use crdt_model::replica::Item;
use crdt_model::{MemberId, Role, Roles};

use super::{CliError, now_ms, warn_if_loosened};
use crate::profile::Profile;

/// Roster changes.
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Admit a member with roles.
    Add(AddArgs),
    /// Remove a member: their later writes are refused everywhere.
    Remove(KeyArg),
    /// Replace a member's roles.
    Role(RoleArgs),
}

/// Whose key.
#[derive(Debug, Args)]
pub struct KeyArg {
    /// The member's key, as printed by `council key` on their device.
    #[arg(long)]
    pub key: String,
}

/// A member to add.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The member's key, as printed by `council key` on their device.
    #[arg(long)]
    pub key: String,
    /// Their name.
    #[arg(long)]
    pub name: String,
    /// Their roles (chair, deputy-chair, secretary, deputy, observer, replica); repeat for more.
    #[arg(long = "role", required = true)]
    pub roles: Vec<String>,
}

/// New roles.
#[derive(Debug, Args)]
pub struct RoleArgs {
    /// The member's key.
    #[arg(long)]
    pub key: String,
    /// Their roles; repeat for more.
    #[arg(long = "role", required = true)]
    pub roles: Vec<String>,
}

fn parse_key(s: &str) -> Result<MemberId, CliError> {
    MemberId::from_hex(s.trim()).map_err(|e| CliError::Usage(format!("--key {s}: {e}")))
}

fn parse_roles(names: &[String]) -> Result<Roles, CliError> {
    let roles: Result<Vec<Role>, CliError> = names
        .iter()
        .map(|n| {
            Role::from_name(n).ok_or_else(|| {
                CliError::Usage(format!(
                    "unknown role {n:?}; use chair, deputy-chair, secretary, deputy, observer or replica"
                ))
            })
        })
        .collect();
    Ok(Roles::of(&roles?))
}

/// Signs and stores one roster operation.
pub fn cmd_member(
    profile: &Profile,
    cmd: MemberCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let body = match &cmd {
        MemberCommand::Add(a) => OpBody::AddMember {
            member: parse_key(&a.key)?,
            name: a.name.clone(),
            roles: parse_roles(&a.roles)?,
        },
        MemberCommand::Remove(k) => OpBody::RemoveMember {
            member: parse_key(&k.key)?,
        },
        MemberCommand::Role(r) => OpBody::SetRoles {
            member: parse_key(&r.key)?,
            roles: parse_roles(&r.roles)?,
        },
    };
    let mut node = profile.node()?;
    warn_if_loosened(node.store());
    let key = node.identity().key().clone();
    let op = node.replica_mut().log_mut().create(&key, body, now_ms())?;
    node.persist(&[Item::Op(op.clone())])?;
    writeln!(out, "signed and saved operation {}", op.id())?;
    Ok(())
}

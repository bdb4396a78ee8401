//! Roles a member holds in the council, as a small set.

use std::fmt;

/// One role. A member may hold several (a deputy who is also the chair).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Role {
    /// Opens and closes the session, items, the speakers' queue and polls.
    Chair = 0,
    /// Stands in for the chair.
    DeputyChair = 1,
    /// Keeps the roster and dossiers, builds the agenda, publishes the minutes.
    Secretary = 2,
    /// A voting member of the council.
    Deputy = 3,
    /// Follows read-only; never writes anything.
    Observer = 4,
    /// An always-on replica: stores and forwards, holds no write rights.
    Replica = 5,
}

impl Role {
    /// Every role, in tag order.
    pub const ALL: [Role; 6] = [
        Role::Chair,
        Role::DeputyChair,
        Role::Secretary,
        Role::Deputy,
        Role::Observer,
        Role::Replica,
    ];

    /// The stable name used in the CLI and the public format.
    pub fn name(self) -> &'static str {
        match self {
            Role::Chair => "chair",
            Role::DeputyChair => "deputy-chair",
            Role::Secretary => "secretary",
            Role::Deputy => "deputy",
            Role::Observer => "observer",
            Role::Replica => "replica",
        }
    }

    /// Parses [`Role::name`].
    pub fn from_name(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s)
    }
}

/// A set of roles, encoded as one byte (bit `n` = role with tag `n`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Roles(pub u8);

impl Roles {
    /// No role.
    pub const NONE: Roles = Roles(0);
    /// Bits that name a role; any other bit is invalid in the format.
    pub const VALID_BITS: u8 = 0b0011_1111;

    /// A set of the given roles.
    pub fn of(roles: &[Role]) -> Roles {
        Roles(roles.iter().fold(0, |acc, r| acc | 1 << *r as u8))
    }

    /// Whether `role` is in the set.
    pub fn has(self, role: Role) -> bool {
        self.0 & (1 << role as u8) != 0
    }

    /// Whether the two sets share a role.
    pub fn intersects(self, other: Roles) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether a holder of these roles may write anything at all: observers and replicas never
    /// write, whatever else they hold.
    pub fn may_write(self) -> bool {
        !self.is_empty() && !self.has(Role::Observer) && !self.has(Role::Replica)
    }

    /// Whether a holder of these roles votes (has a seat).
    pub fn votes(self) -> bool {
        self.may_write() && (self.has(Role::Deputy) || self.has(Role::Chair))
    }

    /// The roles in the set.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.has(*r))
    }
}

impl fmt::Debug for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(Role::name)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observers_and_replicas_never_write_whatever_else_they_hold() {
        assert!(!Roles::of(&[Role::Observer]).may_write());
        assert!(!Roles::of(&[Role::Observer, Role::Secretary]).may_write());
        assert!(!Roles::of(&[Role::Replica]).may_write());
        assert!(Roles::of(&[Role::Deputy]).may_write());
        assert!(!Roles::NONE.may_write());
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_name(r.name()), Some(r));
        }
    }
}

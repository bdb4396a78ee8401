//! Who may connect to a council's peers and relay, from the roster: the rule the network layer
//! and the relay both apply at the handshake, before any byte of council data moves.

use std::collections::BTreeMap;

use crate::identity::MemberId;
use crate::log::CouncilState;
use crate::roles::Role;
use thiserror::Error;

/// What an endpoint may do once connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Receive and send signed items (members who may write).
    ReadWrite,
    /// Receive only: observers and replicas. Anything they send is refused.
    ReadOnly,
}

/// Why an endpoint is refused at the door.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denied {
    /// Not on the roster.
    #[error("endpoint {0:?} is not a member, observer or replica of this council")]
    Stranger(MemberId),
    /// Removed from the roster.
    #[error("endpoint {0:?} was removed from the council")]
    Removed(MemberId),
}

/// The endpoints allowed to connect, from the roster. Rebuilt whenever the log changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessList {
    allowed: BTreeMap<MemberId, Access>,
    removed: Vec<MemberId>,
}

impl AccessList {
    /// The access list of the council in `state`.
    pub fn from_state(state: &CouncilState) -> Self {
        let mut list = AccessList::default();
        for (id, m) in &state.members {
            if m.removed {
                list.removed.push(*id);
                continue;
            }
            let roles = m.active_roles();
            let access = if roles.may_write() {
                Access::ReadWrite
            } else if roles.has(Role::Observer) || roles.has(Role::Replica) {
                Access::ReadOnly
            } else {
                continue;
            };
            list.allowed.insert(*id, access);
        }
        list
    }

    /// Whether the endpoint with this id (its member key) may connect, and how.
    pub fn check(&self, endpoint: &MemberId) -> Result<Access, Denied> {
        if let Some(a) = self.allowed.get(endpoint) {
            Ok(*a)
        } else if self.removed.contains(endpoint) {
            Err(Denied::Removed(*endpoint))
        } else {
            Err(Denied::Stranger(*endpoint))
        }
    }

    /// Number of endpoints allowed.
    pub fn len(&self) -> usize {
        self.allowed.len()
    }

    /// Whether nobody is allowed.
    pub fn is_empty(&self) -> bool {
        self.allowed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::OpBody;
    use crate::roles::{Role, Roles};
    use crate::sample::{SampleCouncil, key};

    #[test]
    fn members_write_observers_and_replicas_only_read_strangers_are_refused() {
        let (c, mut log) = SampleCouncil::new(10, 3).expect("council");
        log.create(
            &c.secretary,
            OpBody::AddMember {
                member: key(500).member_id(),
                name: "replica".into(),
                roles: Roles::of(&[Role::Replica]),
            },
            1,
        )
        .expect("replica added");
        let list = AccessList::from_state(log.state());
        assert_eq!(
            list.check(&c.deputies[0].member_id()),
            Ok(Access::ReadWrite)
        );
        assert_eq!(list.check(&c.observer.member_id()), Ok(Access::ReadOnly));
        assert_eq!(list.check(&key(500).member_id()), Ok(Access::ReadOnly));
        assert_eq!(
            list.check(&key(4242).member_id()),
            Err(Denied::Stranger(key(4242).member_id()))
        );
    }

    #[test]
    fn a_removed_member_is_refused_by_name() {
        let (c, mut log) = SampleCouncil::new(10, 3).expect("council");
        let d = c.deputies[0].member_id();
        log.create(&c.secretary, OpBody::RemoveMember { member: d }, 1)
            .expect("removed");
        assert_eq!(
            AccessList::from_state(log.state()).check(&d),
            Err(Denied::Removed(d))
        );
    }
}

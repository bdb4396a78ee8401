//! What a peer keeps aside while an item waits for what it depends on (its parents, its
//! document, its session, its poll), and the bounds on it.
//!
//! Parking is where a flood would land: anything that names something unknown waits. So only a
//! writer's signed items are parked — signature checked, author a member who may write in the
//! peer's current state (a stranger, an observer or a removed member waits nowhere) — and the
//! room is bounded in items and in bytes, in all and per author, so that one member cannot take
//! the room the others need. An item refused a place is not remembered as refused: its sender
//! offers it again once what it waits for has arrived (catch-up sends parents first).

use std::collections::HashMap;

use thiserror::Error;

use crate::identity::MemberId;
use crate::log::{CouncilState, Unauthorized};

/// Most items parked, in all.
pub const MAX_PARKED_ITEMS: usize = 100_000;
/// Most bytes parked, in all.
pub const MAX_PARKED_BYTES: usize = 64 * 1024 * 1024;
/// Most items one author may have parked.
pub const MAX_PARKED_ITEMS_PER_AUTHOR: usize = 10_000;
/// Most bytes one author may have parked: an eighth of the room.
pub const MAX_PARKED_BYTES_PER_AUTHOR: usize = MAX_PARKED_BYTES / 8;

/// Why an item that waits for something was not kept aside.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParkRefused {
    /// Its author may not write here (a stranger, an observer, a removed member): nothing of
    /// theirs waits.
    #[error("it waits for items this peer lacks, and its author may not write here: {0}")]
    NotAWriter(Unauthorized),
    /// The room for waiting items is full.
    #[error("too many items wait for items this peer lacks")]
    Full,
    /// Its author already has as much waiting as one author may.
    #[error("its author already has as many items waiting as one member may")]
    AuthorFull,
}

/// The accounts of the items kept aside: in all and per author.
#[derive(Debug, Default, Clone)]
pub(crate) struct Parking {
    items: usize,
    bytes: usize,
    per_author: HashMap<MemberId, (usize, usize)>,
}

impl Parking {
    /// Takes in an item of `bytes` by `author`, judged against `state` (the peer's current
    /// council state), or says why not.
    pub(crate) fn admit(
        &mut self,
        state: &CouncilState,
        author: &MemberId,
        bytes: usize,
    ) -> Result<(), ParkRefused> {
        state.writer(author).map_err(ParkRefused::NotAWriter)?;
        self.admit_participant(author, bytes)
    }

    /// Takes in an item of `bytes` by `author`, whom the caller has already found allowed to
    /// write where the item waits (a session's participant), or says why not.
    pub(crate) fn admit_participant(
        &mut self,
        author: &MemberId,
        bytes: usize,
    ) -> Result<(), ParkRefused> {
        if self.items >= MAX_PARKED_ITEMS || self.bytes.saturating_add(bytes) > MAX_PARKED_BYTES {
            return Err(ParkRefused::Full);
        }
        let (n, b) = self.per_author.get(author).copied().unwrap_or((0, 0));
        if n >= MAX_PARKED_ITEMS_PER_AUTHOR || b.saturating_add(bytes) > MAX_PARKED_BYTES_PER_AUTHOR
        {
            return Err(ParkRefused::AuthorFull);
        }
        self.items += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        self.per_author
            .insert(*author, (n + 1, b.saturating_add(bytes)));
        Ok(())
    }

    /// Gives back the room of an item that left the parking (applied or refused).
    pub(crate) fn release(&mut self, author: &MemberId, bytes: usize) {
        self.items = self.items.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(bytes);
        if let Some((n, b)) = self.per_author.get_mut(author) {
            *n = n.saturating_sub(1);
            *b = b.saturating_sub(bytes);
            if *n == 0 {
                self.per_author.remove(author);
            }
        }
    }

    /// Items parked.
    pub(crate) fn len(&self) -> usize {
        self.items
    }

    /// Bytes parked.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

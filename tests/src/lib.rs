//! Workspace-level tests that run several peers of Council together, each with its own store on
//! disk. The tests live in `tests/`; this library holds what they share.
#![deny(missing_docs)]

use council_sync::Node;

/// Sends everything `from` holds to `to`, as a reconnecting peer would; returns how many items
/// `to` took (new or parked).
pub fn exchange(from: &Node, to: &mut Node) -> Result<usize, council_sync::NodeError> {
    let mut taken = 0;
    for item in from.replica().items() {
        if to.receive(item)? != crdt_model::replica::Outcome::Duplicate {
            taken += 1;
        }
    }
    Ok(taken)
}

/// Items a peer holds, for comparisons.
pub fn item_count(node: &Node) -> usize {
    node.replica().items().len()
}

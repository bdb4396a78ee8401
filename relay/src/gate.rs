//! The relay's door: admits only endpoints the roster knows.

use std::sync::{Arc, RwLock};

use crdt_model::MemberId;
use crdt_model::access::AccessList;
use iroh_relay::server::{Access, AccessControl, ClientRequest};

/// Admits relay clients by the council's roster. Cheap to clone; [`RosterGate::update`] swaps
/// the list in when the roster changes.
#[derive(Debug, Clone, Default)]
pub struct RosterGate {
    list: Arc<RwLock<AccessList>>,
}

impl RosterGate {
    /// A gate admitting `list`.
    pub fn new(list: AccessList) -> Self {
        RosterGate {
            list: Arc::new(RwLock::new(list)),
        }
    }

    /// Replaces the list (after roster changes).
    pub fn update(&self, list: AccessList) {
        *self.list.write().unwrap_or_else(|p| p.into_inner()) = list;
    }

    /// Whether an endpoint id would be admitted.
    pub fn admits(&self, endpoint: &[u8; 32]) -> Result<(), String> {
        self.list
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .check(&MemberId(*endpoint))
            .map(|_| ())
            .map_err(|d| d.to_string())
    }
}

impl AccessControl for RosterGate {
    async fn on_connect(&self, request: &ClientRequest) -> Access {
        match self.admits(request.endpoint_id().as_bytes()) {
            Ok(()) => Access::Allow,
            Err(reason) => Access::Deny {
                reason: Some(reason),
            },
        }
    }
}

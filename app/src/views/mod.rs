//! View models: plain data the screens draw, built from the replica by pure functions. They
//! hold names rather than keys and enums rather than words (the UI translates), so the same view
//! serves the app, the tests and the demo's colleagues.

mod dossiers;
mod members;
mod session;

pub use dossiers::{
    AgendaRow, AgendaView, AmendmentView, AttachmentView, ChangeRow, DossierFilter, DossierRow,
    DraftView, OpinionView, agenda, agendas, dossiers, draft,
};
pub use members::{CommitteeRow, MemberRow, MembersView, VoidKind, VoidedRow, members, voided};
pub use session::{
    ItemRow, PollView, QueueRow, ResultView, SessionRow, SessionView, session, sessions,
};

use crdt_model::MemberId;
use crdt_model::log::CouncilState;

/// A member's displayed name, or a short key for someone the roster does not know.
pub fn name_of(state: &CouncilState, who: &MemberId) -> String {
    state
        .members
        .get(who)
        .map(|m| m.name.clone())
        .unwrap_or_else(|| who.short())
}

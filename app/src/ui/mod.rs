//! The desktop app's screens (egui/eframe).
//!
//! [`App`] is the shell: the welcome screen until the device belongs to a council, then a left
//! navigation over one view per screen (`dossiers.rs`, `draft.rs`, `agenda.rs`, `session.rs`,
//! `members.rs`, `sync.rs`, `settings.rs`), and the search screen (`search.rs`) the top bar's
//! search field leads to. Views own their state and read view models from the
//! engine ([`crate::views`]), rebuilt when [`crate::engine::Engine::revision`] moves; what a click
//! asks for is queued as an [`Action`] and carried out once, at the end of the frame, by the shell.

mod agenda;
mod app;
mod dossiers;
mod draft;
pub mod editor;
mod members;
mod qr;
mod search;
mod session;
mod settings;
mod sync;
mod welcome;
mod widgets;

pub use app::{App, Opening, Screen, run_native, run_native_opening};

use crate::engine::{Command, Engine};
use crate::i18n::{Lang, Msg};
use editor::Splice;

/// What a click asks for; the shell carries it out at the end of the frame.
#[derive(Debug)]
#[must_use]
pub(crate) enum Action {
    /// Run a command as this member; then do `After` with what it made.
    Run(Command, After),
    /// Send the draft editor's changes of this frame.
    EditDraft(Vec<Splice>),
    /// Show another screen.
    Go(Screen),
    /// Switch the language and remember it.
    SetLang(Lang),
    /// Save the relay URL (empty: none).
    SaveRelay(String),
    /// Write a backup of the identity to this path.
    Backup(String),
    /// Put text on the clipboard.
    Copy(String),
    /// Show an error that did not come from a command (e.g. a malformed key).
    Error(String),
    /// Open this draft (or decision) in the dossiers.
    OpenDraft(crdt_model::DocId),
    /// Show this session.
    OpenSession(crdt_model::session::SessionId),
    /// Show this agenda.
    OpenAgenda(crdt_model::DocId),
    /// Write these bytes to the file at this path (e.g. exported minutes).
    WriteFile {
        /// Where, as typed.
        path: String,
        /// What.
        bytes: Vec<u8>,
    },
}

/// What to do once a command succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After {
    /// Nothing more.
    Nothing,
    /// Open the draft it created.
    OpenDraft,
    /// Clear the opinion form.
    ClearOpinion,
    /// Clear the amendment form.
    ClearAmendment,
    /// Select the agenda it created.
    OpenAgenda,
    /// Clear the agenda's item form.
    ClearAgendaItem,
    /// Show the session it opened.
    OpenSession,
    /// Clear the add-member form.
    ClearMember,
}

/// What a view needs while it draws: the engine to read, the language, the revision the views
/// should reflect, and the queue of actions.
pub(crate) struct Cx<'a> {
    /// This device's engine.
    pub engine: &'a Engine,
    /// The interface language.
    pub lang: Lang,
    /// `engine.revision()` at the start of the frame.
    pub rev: usize,
    /// Actions to carry out at the end of the frame.
    pub out: &'a mut Vec<Action>,
}

impl Cx<'_> {
    /// `msg` in the interface language.
    pub fn tr(&self, msg: impl Into<Msg>) -> &'static str {
        self.lang.tr(msg)
    }

    /// Queues `cmd`, then `after`.
    pub fn run(&mut self, cmd: Command, after: After) {
        self.out.push(Action::Run(cmd, after));
    }

    /// Queues an action.
    pub fn push(&mut self, action: Action) {
        self.out.push(action);
    }
}

/// A view model kept until the revision it was built at moves.
#[derive(Debug)]
pub(crate) struct Cached<T> {
    rev: Option<usize>,
    value: Option<T>,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached {
            rev: None,
            value: None,
        }
    }
}

impl<T> Cached<T> {
    /// The value for revision `rev`, rebuilt with `build` if it was built at another one.
    pub fn get(&mut self, rev: usize, build: impl FnOnce() -> T) -> &T {
        if self.rev != Some(rev) || self.value.is_none() {
            self.rev = Some(rev);
            self.value = None;
        }
        self.value.get_or_insert_with(build)
    }

    /// Forgets the value: the next [`Cached::get`] rebuilds it.
    pub fn invalidate(&mut self) {
        self.rev = None;
        self.value = None;
    }
}

//! The dossier list: drafts filtered by status, committee, author and title; a form for a new
//! draft; and the open draft (`draft.rs`).

use egui::{Grid, RichText, ScrollArea, Ui};

use super::draft::DraftScreen;
use super::editor::Splice;
use super::widgets::{combo, section, text_area_row, text_row};
use super::{After, Cached, Cx};
use crate::engine::{Command, CommandError, Engine};
use crate::i18n::Msg;
use crate::views::{self, DossierFilter, DossierRow};
use crdt_model::log::CommitteeId;
use crdt_model::{DocId, DraftStatus, MemberId};

/// The dossiers screen.
#[derive(Default)]
pub(crate) struct Dossiers {
    filter: DossierFilter,
    /// The list, with the revision and filter it was built for.
    rows: Option<(usize, DossierFilter, Vec<DossierRow>)>,
    choices: Cached<Choices>,
    new_title: String,
    new_body: String,
    open: Option<DraftScreen>,
}

/// What the filters offer.
struct Choices {
    committees: Vec<(CommitteeId, String)>,
    authors: Vec<(MemberId, String)>,
}

impl Dossiers {
    /// Draws the list, or the open draft.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        if let Some(d) = self.open.as_mut() {
            if d.ui(ui, cx) {
                self.open = None;
            }
            return;
        }
        let engine = cx.engine;
        let choices = self.choices.get(cx.rev, || {
            let m = engine.read(|r| views::members(r, &engine.me()));
            Choices {
                committees: m
                    .committees
                    .iter()
                    .map(|c| (c.id, c.name.clone()))
                    .collect(),
                authors: m
                    .members
                    .iter()
                    .filter(|r| !r.removed)
                    .map(|r| (r.id, r.name.clone()))
                    .collect(),
            }
        });
        ScrollArea::vertical().show(ui, |ui| {
            ui.label(RichText::new(cx.tr(Msg::NavDossiers)).size(24.0).strong());
            filters(ui, cx, &mut self.filter, choices);
            let stale = self
                .rows
                .as_ref()
                .is_none_or(|(rev, f, _)| *rev != cx.rev || *f != self.filter);
            if stale {
                let rows = engine.read(|r| views::dossiers(r, &self.filter));
                self.rows = Some((cx.rev, self.filter.clone(), rows));
            }
            let rows = self.rows.as_ref().map_or(&[][..], |(_, _, rows)| rows);
            if let Some(id) = table(ui, cx, rows) {
                self.open = Some(DraftScreen::new(id));
            }
            section(ui, cx.tr(Msg::NewDraft));
            Grid::new("new-draft").num_columns(2).show(ui, |ui| {
                text_row(ui, cx.tr(Msg::Title), &mut self.new_title);
                text_area_row(ui, cx.tr(Msg::Text), &mut self.new_body, 5);
            });
            if ui.button(cx.tr(Msg::Create)).clicked() {
                cx.run(
                    Command::CreateDraft {
                        title: self.new_title.trim().to_string(),
                        body: self.new_body.clone(),
                    },
                    After::OpenDraft,
                );
            }
        });
    }

    /// Opens draft `id`.
    pub fn open(&mut self, id: DocId) {
        self.open = Some(DraftScreen::new(id));
    }

    /// Empties the new-draft form.
    pub fn clear_new(&mut self) {
        self.new_title.clear();
        self.new_body.clear();
    }

    /// Empties the open draft's opinion form.
    pub fn clear_opinion(&mut self) {
        if let Some(d) = self.open.as_mut() {
            d.clear_opinion();
        }
    }

    /// Empties the open draft's amendment form.
    pub fn clear_amendment(&mut self) {
        if let Some(d) = self.open.as_mut() {
            d.clear_amendment();
        }
    }

    /// Sends the editor's changes of this frame to the open draft.
    pub fn apply_edits(
        &mut self,
        engine: &Engine,
        splices: Vec<Splice>,
    ) -> Result<(), CommandError> {
        match self.open.as_mut() {
            Some(d) => d.apply_edits(engine, splices),
            None => Ok(()),
        }
    }
}

fn filters(ui: &mut Ui, cx: &Cx<'_>, f: &mut DossierFilter, choices: &Choices) {
    let any = cx.tr(Msg::Any);
    ui.horizontal_wrapped(|ui| {
        combo(
            ui,
            "filter-status",
            cx.tr(Msg::Status),
            f.status.map_or(any, |s| cx.tr(s)),
            |ui| {
                ui.selectable_value(&mut f.status, None, any);
                for s in DraftStatus::ALL {
                    ui.selectable_value(&mut f.status, Some(s), cx.tr(s));
                }
            },
        );
        let committee = f
            .committee
            .and_then(|c| choices.committees.iter().find(|x| x.0 == c))
            .map_or(any, |x| x.1.as_str());
        combo(
            ui,
            "filter-committee",
            cx.tr(Msg::Committee),
            committee,
            |ui| {
                ui.selectable_value(&mut f.committee, None, any);
                for (id, name) in &choices.committees {
                    ui.selectable_value(&mut f.committee, Some(*id), name.as_str());
                }
            },
        );
        let author = f
            .author
            .and_then(|a| choices.authors.iter().find(|x| x.0 == a))
            .map_or(any, |x| x.1.as_str());
        combo(ui, "filter-author", cx.tr(Msg::Author), author, |ui| {
            ui.selectable_value(&mut f.author, None, any);
            for (id, name) in &choices.authors {
                ui.selectable_value(&mut f.author, Some(*id), name.as_str());
            }
        });
        let l = ui.label(cx.tr(Msg::SearchTitles));
        ui.add(egui::TextEdit::singleline(&mut f.text).desired_width(200.0))
            .labelled_by(l.id);
    });
}

/// The list; returns the dossier clicked.
fn table(ui: &mut Ui, cx: &Cx<'_>, rows: &[DossierRow]) -> Option<DocId> {
    if rows.is_empty() {
        ui.label(cx.tr(Msg::NoDossiers));
        return None;
    }
    let mut clicked = None;
    Grid::new("dossiers")
        .num_columns(6)
        .striped(true)
        .spacing([16.0, 8.0])
        .show(ui, |ui| {
            for h in [
                Msg::Title,
                Msg::Status,
                Msg::Committee,
                Msg::Author,
                Msg::Opinions,
                Msg::Amendments,
            ] {
                ui.label(RichText::new(cx.tr(h)).strong());
            }
            ui.end_row();
            for row in rows {
                let title = if row.title.trim().is_empty() {
                    format!("#{}", row.id.short())
                } else {
                    row.title.clone()
                };
                if ui.link(title).clicked() {
                    clicked = Some(row.id);
                }
                ui.label(cx.tr(row.status));
                ui.label(row.committee.as_deref().unwrap_or("—"));
                ui.label(row.author.as_str());
                ui.label(row.opinions.to_string());
                ui.label(row.amendments.to_string());
                ui.end_row();
            }
        });
    clicked
}

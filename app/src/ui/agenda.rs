//! Agendas: the list, a new one, its numbered items (dossiers or plain items) to add, move and
//! remove, publishing it, and opening a session with it (the chair).

use egui::{Grid, RichText, ScrollArea, Ui};

use super::widgets::{column_layout, combo, good_bad, section, text_row};
use super::{After, Cached, Cx};
use crate::engine::Command;
use crate::i18n::Msg;
use crate::views::{self, AgendaRow, AgendaView, DossierFilter, DossierRow};
use crdt_model::DocId;

/// The agenda screen.
#[derive(Default)]
pub(crate) struct Agendas {
    list: Cached<Vec<AgendaRow>>,
    selected: Option<DocId>,
    view: Cached<Option<AgendaView>>,
    dossiers: Cached<Vec<DossierRow>>,
    new_label: String,
    pick: Option<DocId>,
    item_title: String,
}

impl Agendas {
    /// Selects the agenda just created and empties the form.
    pub fn created(&mut self, id: DocId) {
        self.selected = Some(id);
        self.view.invalidate();
        self.new_label.clear();
    }

    /// Empties the item form.
    pub fn clear_item(&mut self) {
        self.item_title.clear();
        self.pick = None;
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let engine = cx.engine;
        let list = self
            .list
            .get(cx.rev, || engine.read(views::agendas))
            .clone();
        if self
            .selected
            .is_none_or(|s| !list.iter().any(|a| a.id == s))
        {
            self.selected = list.first().map(|a| a.id);
            self.view.invalidate();
        }
        ui.columns(2, |cols| {
            let [left, right] = cols else { return };
            left.with_layout(column_layout(), |ui| {
                ScrollArea::vertical().id_salt("agendas").show(ui, |ui| {
                    ui.label(RichText::new(cx.tr(Msg::Agendas)).size(24.0).strong());
                    if list.is_empty() {
                        ui.label(cx.tr(Msg::NoAgendas));
                    }
                    for a in &list {
                        let state = if a.published {
                            cx.tr(Msg::Published)
                        } else {
                            cx.tr(Msg::NotPublished)
                        };
                        let text = format!("{} · {} ({state})", a.label, a.items);
                        if ui
                            .selectable_label(self.selected == Some(a.id), text)
                            .clicked()
                        {
                            self.selected = Some(a.id);
                            self.view.invalidate();
                        }
                    }
                    section(ui, cx.tr(Msg::NewAgenda));
                    Grid::new("new-agenda").num_columns(2).show(ui, |ui| {
                        text_row(ui, cx.tr(Msg::SessionLabel), &mut self.new_label);
                    });
                    if ui.button(cx.tr(Msg::Create)).clicked() {
                        cx.run(
                            Command::CreateAgenda {
                                label: self.new_label.trim().to_string(),
                            },
                            After::OpenAgenda,
                        );
                    }
                });
            });
            right.with_layout(column_layout(), |ui| {
                ScrollArea::vertical()
                    .id_salt("agenda")
                    .show(ui, |ui| self.agenda(ui, cx));
            });
        });
    }

    fn agenda(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let Some(id) = self.selected else { return };
        let engine = cx.engine;
        let me = engine.me();
        let Some(view) = self
            .view
            .get(cx.rev, || engine.read(|r| views::agenda(r, &id, &me)))
            .clone()
        else {
            return;
        };
        ui.label(RichText::new(&view.label).size(22.0).strong());
        let (state, good) = if view.published {
            (Msg::Published, true)
        } else {
            (Msg::NotPublished, false)
        };
        ui.colored_label(good_bad(ui, good), cx.tr(state));
        section(ui, cx.tr(Msg::AgendaItems));
        if view.items.is_empty() {
            ui.label(cx.tr(Msg::EmptyAgenda));
        }
        let n = view.items.len();
        Grid::new("agenda-items")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                for (i, (number, title, _doc)) in view.items.iter().enumerate() {
                    ui.label(RichText::new(format!("{number}. {title}")).strong());
                    ui.push_id(i, |ui| {
                        ui.horizontal(|ui| {
                            if !view.may_edit {
                                return;
                            }
                            if ui
                                .add_enabled(i > 0, egui::Button::new(cx.tr(Msg::MoveUp)))
                                .clicked()
                            {
                                cx.run(
                                    Command::AgendaMove {
                                        agenda: id,
                                        from: i,
                                        to: i - 1,
                                    },
                                    After::Nothing,
                                );
                            }
                            if ui
                                .add_enabled(i + 1 < n, egui::Button::new(cx.tr(Msg::MoveDown)))
                                .clicked()
                            {
                                cx.run(
                                    Command::AgendaMove {
                                        agenda: id,
                                        from: i,
                                        to: i + 1,
                                    },
                                    After::Nothing,
                                );
                            }
                            if ui.button(cx.tr(Msg::Remove)).clicked() {
                                cx.run(
                                    Command::AgendaRemove {
                                        agenda: id,
                                        index: i,
                                    },
                                    After::Nothing,
                                );
                            }
                        });
                    });
                    ui.end_row();
                }
            });
        if view.may_edit {
            self.add_items(ui, cx, id);
            if !view.published && ui.button(cx.tr(Msg::Publish)).clicked() {
                cx.run(Command::PublishAgenda { agenda: id }, After::Nothing);
            }
        }
        if view.may_open && ui.button(cx.tr(Msg::OpenSession)).clicked() {
            cx.run(Command::OpenSession { agenda: id }, After::OpenSession);
        }
    }

    fn add_items(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, agenda: DocId) {
        let engine = cx.engine;
        let dossiers = self.dossiers.get(cx.rev, || {
            engine.read(|r| views::dossiers(r, &DossierFilter::default()))
        });
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            let picked = self
                .pick
                .and_then(|p| dossiers.iter().find(|d| d.id == p))
                .map_or("—", |d| d.title.as_str());
            combo(ui, "pick-dossier", cx.tr(Msg::PickDossier), picked, |ui| {
                for d in dossiers {
                    ui.selectable_value(&mut self.pick, Some(d.id), d.title.as_str());
                }
            });
            if ui.button(cx.tr(Msg::AddDossier)).clicked()
                && let Some(d) = self.pick.and_then(|p| dossiers.iter().find(|d| d.id == p))
            {
                cx.run(
                    Command::AgendaAdd {
                        agenda,
                        title: d.title.clone(),
                        doc: Some(d.id),
                    },
                    After::ClearAgendaItem,
                );
            }
        });
        Grid::new("agenda-item").num_columns(2).show(ui, |ui| {
            text_row(ui, cx.tr(Msg::ItemTitle), &mut self.item_title);
        });
        if ui.button(cx.tr(Msg::AddItem)).clicked() && !self.item_title.trim().is_empty() {
            cx.run(
                Command::AgendaAdd {
                    agenda,
                    title: self.item_title.trim().to_string(),
                    doc: None,
                },
                After::ClearAgendaItem,
            );
        }
    }
}

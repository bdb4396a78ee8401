//! An open draft decision: its text in the [`DraftEditor`], its workflow, committee opinions,
//! amendments, attachments, history and a diff between two versions.

use egui::{Grid, RichText, ScrollArea, Ui};

use super::editor::{DraftEditor, Splice};
use super::widgets::{
    column_layout, combo, format_time, good_bad, number_row, section, text_area_row,
};
use super::{Action, After, Cx};
use crate::engine::{Command, CommandError, Engine};
use crate::i18n::{self, Msg};
use crate::views::{self, DraftView};
use crdt_model::document::{ChangeHash, ParagraphDiff, TextField};
use crdt_model::log::{AmendmentStatus, CommitteeId};
use crdt_model::replica::Replica;
use crdt_model::{DocId, DocSpec, DraftStatus, MemberId, OpBody};

/// Recommendations a committee may give, as stored.
const RECOMMENDATIONS: [&str; 3] = ["support", "amend", "reject"];

/// The open draft.
pub(crate) struct DraftScreen {
    id: DocId,
    view: Option<DraftView>,
    side: Side,
    rev: Option<usize>,
    editor: DraftEditor,
    /// The version the editor's text reflects: the base of the next edit.
    base: Vec<ChangeHash>,
    loaded: bool,
    refer_to: Option<CommitteeId>,
    opinion_committee: Option<CommitteeId>,
    opinion_rec: &'static str,
    opinion_text: String,
    am_from: u32,
    am_to: u32,
    am_text: String,
    am_rationale: String,
    diff_from: usize,
    diff_to: usize,
    diff: Option<Vec<ParagraphDiff>>,
}

/// What the draft view does not carry: committee ids for referral and opinions.
#[derive(Default)]
struct Side {
    committees: Vec<(CommitteeId, String)>,
    /// Committees this member may write an opinion for.
    may_opine: Vec<(CommitteeId, String)>,
    referred: Option<CommitteeId>,
}

fn side(r: &Replica, draft: &DocId, me: &MemberId) -> Side {
    let state = r.log().state();
    let committees: Vec<(CommitteeId, String)> = state
        .committees
        .iter()
        .map(|(id, c)| (*id, c.name.clone()))
        .collect();
    let may_opine = committees
        .iter()
        .filter(|(c, _)| {
            let spec = DocSpec::Opinion {
                draft: *draft,
                committee: *c,
            };
            state
                .authorize(me, &OpBody::CreateDocument { spec })
                .is_ok()
        })
        .cloned()
        .collect();
    Side {
        committees,
        may_opine,
        referred: state.documents.get(draft).and_then(|m| m.referred_to),
    }
}

/// The body of `draft` at `version` (empty before the first change).
fn body_at(engine: &Engine, draft: &DocId, version: &[ChangeHash]) -> String {
    if version.is_empty() {
        return String::new();
    }
    engine.read(|r| {
        r.documents()
            .get(draft)
            .and_then(|d| d.text_at(TextField::Body, version).ok())
            .unwrap_or_default()
    })
}

impl DraftScreen {
    /// A screen for draft `id`; it loads on its first frame.
    pub fn new(id: DocId) -> Self {
        DraftScreen {
            id,
            view: None,
            side: Side::default(),
            rev: None,
            editor: DraftEditor::new("").with_id_salt(("draft", id)),
            base: Vec::new(),
            loaded: false,
            refer_to: None,
            opinion_committee: None,
            opinion_rec: RECOMMENDATIONS[0],
            opinion_text: String::new(),
            am_from: 1,
            am_to: 1,
            am_text: String::new(),
            am_rationale: String::new(),
            diff_from: 0,
            diff_to: 0,
            diff: None,
        }
    }

    fn refresh(&mut self, cx: &Cx<'_>) {
        if self.rev == Some(cx.rev) {
            return;
        }
        self.rev = Some(cx.rev);
        let (me, now) = (cx.engine.me(), cx.engine.now_ms());
        let (view, side) = cx
            .engine
            .read(|r| (views::draft(r, &self.id, &me, now), side(r, &self.id, &me)));
        if let Some(v) = &view
            && (!self.loaded || v.version != self.base)
        {
            self.editor.set_text(&v.body);
            self.base = v.version.clone();
            self.loaded = true;
            if self.diff.is_none() {
                // Compare the last change with the one before by default.
                self.diff_to = v.history.len().saturating_sub(1);
                self.diff_from = self.diff_to.saturating_sub(1);
            }
        }
        self.view = view;
        self.side = side;
    }

    /// Sends the editor's changes, one signed change each, and takes the text back from the
    /// document (it may hold others' changes, merged).
    pub fn apply_edits(
        &mut self,
        engine: &Engine,
        splices: Vec<Splice>,
    ) -> Result<(), CommandError> {
        let mut result = Ok(());
        for s in splices {
            let r = engine.run(Command::EditText {
                doc: self.id,
                field: TextField::Body,
                base: self.base.clone(),
                pos: s.pos,
                del: s.del,
                insert: s.insert,
            });
            self.base = engine.read(|r| {
                r.documents()
                    .get(&self.id)
                    .map(|d| d.heads())
                    .unwrap_or_default()
            });
            if let Err(e) = r {
                result = Err(e);
                break;
            }
        }
        let body = body_at(engine, &self.id, &self.base);
        if body != self.editor.text() {
            self.editor.set_text(&body);
        }
        self.rev = None;
        result
    }

    /// Empties the opinion form.
    pub fn clear_opinion(&mut self) {
        self.opinion_text.clear();
    }

    /// Empties the amendment form.
    pub fn clear_amendment(&mut self) {
        self.am_text.clear();
        self.am_rationale.clear();
    }

    /// Draws the draft; returns whether the person went back to the list.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) -> bool {
        self.refresh(cx);
        if ui.button(cx.tr(Msg::Back)).clicked() {
            return true;
        }
        let Some(view) = self.view.clone() else {
            ui.label(cx.tr(Msg::NoDossiers));
            return false;
        };
        self.header(ui, cx, &view);
        ui.columns(2, |cols| {
            let [left, right] = cols else { return };
            left.with_layout(column_layout(), |ui| {
                if !view.may_edit {
                    ui.label(RichText::new(cx.tr(Msg::ReadOnlyDraft)).italics());
                }
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    let splices = self.editor.show(ui, !view.may_edit);
                    if !splices.is_empty() {
                        cx.push(Action::EditDraft(splices));
                    }
                });
            });
            right.with_layout(column_layout(), |ui| {
                ScrollArea::vertical().id_salt("draft-side").show(ui, |ui| {
                    self.opinions(ui, cx, &view);
                    self.amendments(ui, cx, &view);
                    attachments(ui, cx, &view);
                    self.history(ui, cx, &view);
                });
            });
        });
        false
    }

    fn header(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, view: &DraftView) {
        let title = if view.title.trim().is_empty() {
            format!("#{}", view.id.short())
        } else {
            view.title.clone()
        };
        ui.label(RichText::new(title).size(24.0).strong());
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("{}: {}", cx.tr(Msg::Status), cx.tr(view.status)));
            ui.separator();
            ui.label(format!(
                "{}: {}",
                cx.tr(Msg::DossierAuthors),
                view.authors.join(", ")
            ));
            if let Some(c) = &view.committee {
                ui.separator();
                ui.label(format!("{}: {c}", cx.tr(Msg::Committee)));
            }
        });
        if !view.editing_now.is_empty() {
            ui.label(
                RichText::new(format!(
                    "{}: {}",
                    cx.tr(Msg::EditingNow),
                    view.editing_now.join(", ")
                ))
                .color(good_bad(ui, true)),
            );
        }
        if view.next.is_empty() {
            return;
        }
        ui.horizontal_wrapped(|ui| {
            ui.label(cx.tr(Msg::MoveTo));
            for s in &view.next {
                let committee = if *s == DraftStatus::InCommittee {
                    let chosen = self
                        .refer_to
                        .or(self.side.referred)
                        .or_else(|| self.side.committees.first().map(|c| c.0));
                    let name = chosen
                        .and_then(|c| self.side.committees.iter().find(|x| x.0 == c))
                        .map_or("—", |x| x.1.as_str());
                    combo(ui, "refer-to", cx.tr(Msg::ReferTo), name, |ui| {
                        for (id, n) in &self.side.committees {
                            ui.selectable_value(&mut self.refer_to, Some(*id), n.as_str());
                        }
                    });
                    chosen
                } else {
                    None
                };
                if ui.button(cx.tr(*s)).clicked() {
                    cx.run(
                        Command::SetDraftStatus {
                            draft: self.id,
                            status: *s,
                            committee,
                        },
                        After::Nothing,
                    );
                }
            }
        });
    }

    fn opinions(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, view: &DraftView) {
        section(ui, cx.tr(Msg::Opinions));
        if view.opinions.is_empty() {
            ui.label(cx.tr(Msg::NoOpinions));
        }
        for o in &view.opinions {
            ui.group(|ui| {
                ui.label(RichText::new(&o.committee).strong());
                ui.label(format!(
                    "{}: {}",
                    cx.tr(Msg::Recommendation),
                    i18n::recommendation(cx.lang, &o.recommendation)
                ));
                ui.label(&o.text);
            });
        }
        if self.side.may_opine.is_empty() {
            return;
        }
        ui.label(RichText::new(cx.tr(Msg::WriteOpinion)).strong());
        let chosen = self
            .opinion_committee
            .filter(|c| self.side.may_opine.iter().any(|x| x.0 == *c))
            .or_else(|| self.side.may_opine.first().map(|c| c.0));
        let name = chosen
            .and_then(|c| self.side.may_opine.iter().find(|x| x.0 == c))
            .map_or("—", |x| x.1.as_str());
        combo(ui, "opinion-committee", cx.tr(Msg::Committee), name, |ui| {
            for (id, n) in &self.side.may_opine {
                ui.selectable_value(&mut self.opinion_committee, Some(*id), n.as_str());
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label(cx.tr(Msg::Recommendation));
            for r in RECOMMENDATIONS {
                ui.radio_value(&mut self.opinion_rec, r, i18n::recommendation(cx.lang, r));
            }
        });
        Grid::new("opinion-form").num_columns(2).show(ui, |ui| {
            text_area_row(ui, cx.tr(Msg::Text), &mut self.opinion_text, 3);
        });
        if ui.button(cx.tr(Msg::Save)).clicked()
            && let Some(committee) = chosen
        {
            cx.run(
                Command::WriteOpinion {
                    draft: self.id,
                    committee,
                    recommendation: self.opinion_rec.to_string(),
                    text: self.opinion_text.clone(),
                },
                After::ClearOpinion,
            );
        }
    }

    fn amendments(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, view: &DraftView) {
        section(ui, cx.tr(Msg::Amendments));
        if view.amendments.is_empty() {
            ui.label(cx.tr(Msg::NoAmendments));
        }
        for a in &view.amendments {
            ui.push_id(a.id, |ui| {
                ui.group(|ui| {
                    ui.label(
                        RichText::new(format!(
                            "{} · {} · {}",
                            i18n::lines(cx.lang, a.from_line, a.to_line),
                            a.author,
                            cx.tr(a.status)
                        ))
                        .strong(),
                    );
                    ui.label(RichText::new(&a.text).monospace());
                    if !a.rationale.is_empty() {
                        ui.label(format!("{}: {}", cx.tr(Msg::Rationale), a.rationale));
                    }
                    if a.may_decide {
                        ui.horizontal(|ui| {
                            for (msg, status) in [
                                (Msg::Accept, AmendmentStatus::Accepted),
                                (Msg::Reject, AmendmentStatus::Rejected),
                            ] {
                                if ui.button(cx.tr(msg)).clicked() {
                                    cx.run(
                                        Command::DecideAmendment {
                                            amendment: a.id,
                                            status,
                                        },
                                        After::Nothing,
                                    );
                                }
                            }
                        });
                    }
                });
            });
        }
        ui.label(RichText::new(cx.tr(Msg::ProposeAmendment)).strong());
        let lines = u32::try_from(view.body.split('\n').count()).unwrap_or(u32::MAX);
        Grid::new("amendment-form").num_columns(2).show(ui, |ui| {
            number_row(
                ui,
                cx.tr(Msg::FromLine),
                &mut self.am_from,
                1..=lines.saturating_add(1),
            );
            let lo = self.am_from.saturating_sub(1);
            number_row(ui, cx.tr(Msg::ToLine), &mut self.am_to, lo..=lines.max(lo));
            text_area_row(ui, cx.tr(Msg::Text), &mut self.am_text, 3);
            text_area_row(ui, cx.tr(Msg::Rationale), &mut self.am_rationale, 2);
        });
        if ui.button(cx.tr(Msg::Propose)).clicked() {
            cx.run(
                Command::ProposeAmendment {
                    draft: self.id,
                    from_line: self.am_from,
                    to_line: self.am_to,
                    text: self.am_text.clone(),
                    rationale: self.am_rationale.clone(),
                },
                After::ClearAmendment,
            );
        }
    }

    fn history(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, view: &DraftView) {
        section(ui, cx.tr(Msg::History));
        if view.history.is_empty() {
            ui.label(cx.tr(Msg::NoHistory));
            return;
        }
        Grid::new("history")
            .num_columns(4)
            .striped(true)
            .show(ui, |ui| {
                for (i, c) in view.history.iter().enumerate() {
                    ui.label(format!("{}.", i + 1));
                    ui.label(&c.author);
                    ui.label(format_time(c.time_ms));
                    ui.label(i18n::edits(cx.lang, c.ops));
                    ui.end_row();
                }
            });
        // Version i is the text right after change i of the history.
        let name = |i: usize| -> String {
            view.history
                .get(i)
                .map(|c| format!("{}. {}, {}", i + 1, c.author, format_time(c.time_ms)))
                .unwrap_or_default()
        };
        ui.label(RichText::new(cx.tr(Msg::CompareVersions)).strong());
        for (salt, msg, value) in [
            ("diff-from", Msg::EarlierVersion, &mut self.diff_from),
            ("diff-to", Msg::LaterVersion, &mut self.diff_to),
        ] {
            combo(ui, salt, cx.tr(msg), &name(*value), |ui| {
                for i in 0..view.history.len() {
                    ui.selectable_value(value, i, name(i));
                }
            });
        }
        if ui.button(cx.tr(Msg::CompareVersions)).clicked() {
            let version = |i: usize| -> Vec<ChangeHash> {
                view.history
                    .get(i)
                    .map(|c| c.version.clone())
                    .unwrap_or_default()
            };
            let (from, to) = (version(self.diff_from), version(self.diff_to));
            let diff = cx.engine.read(|r| {
                r.documents()
                    .get(&self.id)
                    .map(|d| d.diff(TextField::Body, &from, &to))
            });
            match diff {
                Some(Ok(d)) => self.diff = Some(d),
                Some(Err(e)) => cx.push(Action::Error(e.to_string())),
                None => {}
            }
        }
        if let Some(diff) = &self.diff {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                for d in diff {
                    match d {
                        ParagraphDiff::Same(t) => {
                            ui.label(RichText::new(format!("  {t}")).monospace().weak());
                        }
                        ParagraphDiff::Added(t) => {
                            ui.label(
                                RichText::new(format!("+ {t}"))
                                    .monospace()
                                    .color(good_bad(ui, true)),
                            );
                        }
                        ParagraphDiff::Removed(t) => {
                            ui.label(
                                RichText::new(format!("− {t}"))
                                    .monospace()
                                    .color(good_bad(ui, false))
                                    .strikethrough(),
                            );
                        }
                    }
                }
            });
        }
    }
}

fn attachments(ui: &mut Ui, cx: &Cx<'_>, view: &DraftView) {
    section(ui, cx.tr(Msg::Attachments));
    if view.attachments.is_empty() {
        ui.label(cx.tr(Msg::NoAttachments));
        return;
    }
    Grid::new("attachments")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            for a in &view.attachments {
                ui.label(&a.name);
                ui.label(i18n::human_size(cx.lang, a.size));
                ui.label(&a.by);
                ui.end_row();
            }
        });
}

//! The live session: registration, the quorum meter, the agenda in progress, the speakers'
//! queue with its countdown, the chair's controls, voting and verified results, and the
//! session's minutes: a preview, export to PDF, HTML or Markdown, and their approval.

use egui::{Button, Grid, ProgressBar, RichText, ScrollArea, TextEdit, TextStyle, Ui, vec2};

use super::widgets::{badge, column_layout, combo, good_bad, mmss, section, text_row};
use super::{Action, After, Cached, Cx};
use crate::engine::{Command, SessionAct};
use crate::i18n::{self, Msg};
use crate::minutes::{self, Minutes, MinutesCheck};
use crate::views::{self, PollView, SessionRow, SessionView};
use crdt_model::session::{Choice, FloorKind, ItemStatus, Outcome, SessionId};

/// The session screen.
pub(crate) struct Sessions {
    list: Cached<Vec<SessionRow>>,
    chosen: Option<SessionId>,
    view: Option<SessionView>,
    /// The revision the view was built at, and when (by the engine's clock).
    built: Option<(usize, u64)>,
    kind: FloorKind,
    /// The minutes section's state.
    minutes: MinutesPanel,
}

/// The minutes section: the file path typed for export and the minutes last made.
#[derive(Default)]
struct MinutesPanel {
    path: String,
    /// The minutes last made, and for what.
    made: Option<(MadeFor, Result<Made, String>)>,
}

/// What minutes were made for: a session, at a revision of the engine, in a language.
type MadeFor = (SessionId, usize, minutes::Lang);

/// Minutes made from the record, with what the screen shows of them.
struct Made {
    minutes: Minutes,
    markdown: String,
    hash: crdt_model::Hash,
    check: Result<MinutesCheck, String>,
    /// This member may approve minutes (chair, deputy chair or secretary).
    may_approve: bool,
}

/// The formats minutes are exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Pdf,
    Html,
    Markdown,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            list: Cached::default(),
            chosen: None,
            view: None,
            built: None,
            kind: FloorKind::Speech,
            minutes: MinutesPanel::default(),
        }
    }
}

impl Sessions {
    /// Shows session `id` (e.g. the one just opened).
    pub fn choose(&mut self, id: SessionId) {
        self.chosen = Some(id);
        self.built = None;
        self.list.invalidate();
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let engine = cx.engine;
        let list = self
            .list
            .get(cx.rev, || engine.read(views::sessions))
            .clone();
        let current = self
            .chosen
            .filter(|c| list.iter().any(|s| s.id == *c))
            .or_else(|| {
                list.iter()
                    .find(|s| !s.closed)
                    .or(list.first())
                    .map(|s| s.id)
            });
        let Some(id) = current else {
            ui.label(RichText::new(cx.tr(Msg::NavSession)).size(24.0).strong());
            ui.label(cx.tr(Msg::NoSession));
            return;
        };
        let now = engine.now_ms();
        let stale = self.built.is_none_or(|(rev, _)| rev != cx.rev)
            || self.view.as_ref().is_none_or(|v| v.id != id);
        if stale {
            let me = engine.me();
            self.view = engine.read(|r| views::session(r, &id, &me, now));
            self.built = Some((cx.rev, now));
        }
        let Some(view) = self.view.clone() else {
            return;
        };
        let elapsed = self.built.map_or(0, |(_, t)| {
            i64::try_from(now.saturating_sub(t)).unwrap_or(i64::MAX)
        });
        ScrollArea::vertical().id_salt("session").show(ui, |ui| {
            self.header(ui, cx, &list, &view);
            egui::CollapsingHeader::new(RichText::new(cx.tr(Msg::Minutes)).strong())
                .id_salt("minutes")
                .default_open(false)
                .show(ui, |ui| self.minutes.ui(ui, cx, view.id));
            ui.columns(2, |cols| {
                let [left, right] = cols else { return };
                left.with_layout(column_layout(), |ui| items(ui, cx, &view));
                right.with_layout(column_layout(), |ui| {
                    self.speakers(ui, cx, &view, elapsed);
                    for poll in view.polls.iter().rev() {
                        ui.push_id(poll.id, |ui| poll_panel(ui, cx, &view, poll));
                    }
                });
            });
        });
    }

    fn header(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, list: &[SessionRow], view: &SessionView) {
        ui.horizontal(|ui| {
            ui.label(RichText::new(&view.label).size(26.0).strong());
            if list.len() > 1 {
                combo(
                    ui,
                    "sessions",
                    cx.tr(Msg::Sessions),
                    view.label.as_str(),
                    |ui| {
                        for s in list {
                            let text = if s.closed {
                                format!("{} ({})", s.label, cx.tr(Msg::SessionClosed))
                            } else {
                                s.label.clone()
                            };
                            if ui.selectable_label(s.id == view.id, text).clicked() {
                                self.choose(s.id);
                            }
                        }
                    },
                );
            }
        });
        if view.closed {
            ui.label(RichText::new(cx.tr(Msg::SessionClosed)).strong());
        }
        let session = view.id;
        if view.voter && !view.closed {
            if view.present {
                ui.horizontal(|ui| {
                    badge(ui, cx.tr(Msg::RegisteredPresent), true, 20.0);
                    if ui.button(cx.tr(Msg::LeaveHall)).clicked() {
                        cx.run(
                            Command::Session {
                                session,
                                act: SessionAct::Leave,
                            },
                            After::Nothing,
                        );
                    }
                });
            } else {
                let b = Button::new(RichText::new(cx.tr(Msg::IAmPresent)).size(24.0).strong())
                    .min_size(vec2(280.0, 60.0));
                if ui.add(b).clicked() {
                    cx.run(
                        Command::Session {
                            session,
                            act: SessionAct::Register,
                        },
                        After::Nothing,
                    );
                }
            }
        }
        // The quorum meter.
        let present = view.present_names.len();
        let needed = view.quorum_needed.max(1);
        ui.horizontal(|ui| {
            ui.add(
                ProgressBar::new((present as f32 / needed as f32).min(1.0))
                    .desired_width(320.0)
                    .fill(good_bad(ui, view.quorum)),
            );
            let state = if view.quorum {
                Msg::QuorumPresent
            } else {
                Msg::NoQuorum
            };
            ui.label(
                RichText::new(cx.tr(state))
                    .strong()
                    .color(good_bad(ui, view.quorum)),
            );
        });
        ui.label(i18n::quorum(
            cx.lang,
            present,
            view.quorum_needed,
            view.seats,
        ));
        if !view.present_names.is_empty() {
            ui.label(
                RichText::new(format!(
                    "{}: {}",
                    cx.tr(Msg::PresentMembers),
                    view.present_names.join(", ")
                ))
                .small(),
            );
        }
        if view.chair && !view.closed {
            ui.horizontal(|ui| {
                ui.label(RichText::new(cx.tr(Msg::ChairControls)).strong());
                if ui.button(cx.tr(Msg::CloseSession)).clicked() {
                    cx.run(
                        Command::Session {
                            session,
                            act: SessionAct::Close,
                        },
                        After::Nothing,
                    );
                }
            });
        }
    }

    fn speakers(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, view: &SessionView, elapsed: i64) {
        let session = view.id;
        section(ui, cx.tr(Msg::SpeakersQueue));
        match &view.speaker {
            Some((request, name, kind, left)) => {
                let left = left.saturating_sub(elapsed);
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new(format!(
                            "{}: {name} ({})",
                            cx.tr(Msg::Speaking),
                            cx.tr(*kind)
                        ))
                        .strong(),
                    );
                    ui.label(
                        RichText::new(mmss(left))
                            .size(28.0)
                            .monospace()
                            .color(good_bad(ui, left >= 0)),
                    );
                    if view.chair && ui.button(cx.tr(Msg::EndSpeech)).clicked() {
                        cx.run(
                            Command::Session {
                                session,
                                act: SessionAct::EndFloor(*request),
                            },
                            After::Nothing,
                        );
                    }
                });
            }
            None => {
                ui.label(cx.tr(Msg::NobodySpeaking));
            }
        }
        if view.queue.is_empty() {
            ui.label(cx.tr(Msg::NoSpeakers));
        }
        for (i, q) in view.queue.iter().enumerate() {
            ui.push_id(q.request, |ui| {
                ui.horizontal(|ui| {
                    let text = format!("{}. {} — {}", i + 1, q.name, cx.tr(q.kind));
                    let text = if q.mine {
                        RichText::new(text).strong()
                    } else {
                        RichText::new(text)
                    };
                    ui.label(text);
                    if view.chair
                        && view.speaker.is_none()
                        && ui.button(cx.tr(Msg::GiveFloor)).clicked()
                    {
                        cx.run(
                            Command::Session {
                                session,
                                act: SessionAct::Grant(q.request),
                            },
                            After::Nothing,
                        );
                    }
                });
            });
        }
        if view.closed || view.current_item.is_none() {
            return;
        }
        if let Some(mine) = view.my_request {
            ui.horizontal(|ui| {
                ui.label(cx.tr(Msg::YourRequestWaiting));
                if ui.button(cx.tr(Msg::Withdraw)).clicked() {
                    cx.run(
                        Command::Session {
                            session,
                            act: SessionAct::Withdraw(mine),
                        },
                        After::Nothing,
                    );
                }
            });
        } else {
            ui.horizontal_wrapped(|ui| {
                combo(
                    ui,
                    "floor-kind",
                    cx.tr(Msg::FloorKindLabel),
                    cx.tr(self.kind),
                    |ui| {
                        for k in FloorKind::ALL {
                            ui.selectable_value(&mut self.kind, k, cx.tr(k));
                        }
                    },
                );
                if ui.button(cx.tr(Msg::RequestToSpeak)).clicked() {
                    cx.run(
                        Command::Session {
                            session,
                            act: SessionAct::RequestFloor(self.kind),
                        },
                        After::Nothing,
                    );
                }
            });
        }
    }
}

/// The agenda as the session runs it, with the chair's item controls.
fn items(ui: &mut Ui, cx: &mut Cx<'_>, view: &SessionView) {
    let session = view.id;
    section(ui, cx.tr(Msg::AgendaItems));
    let poll_open = view.polls.iter().any(|p| p.open);
    for item in &view.items {
        let index = item.number.saturating_sub(1);
        let current = view.current_item == Some(index);
        let fill = if current {
            ui.visuals().selection.bg_fill.linear_multiply(0.35)
        } else {
            egui::Color32::TRANSPARENT
        };
        ui.push_id(index, |ui| {
            egui::Frame::new()
                .fill(fill)
                .inner_margin(6.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    let mut title = RichText::new(format!("{}. {}", item.number, item.title));
                    if current {
                        title = title.strong().size(18.0);
                    }
                    ui.label(title);
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(cx.tr(&item.status)).italics());
                        if !view.chair || view.closed {
                            return;
                        }
                        let startable =
                            matches!(item.status, ItemStatus::Waiting | ItemStatus::Postponed)
                                && view.current_item.is_none();
                        if startable && ui.button(cx.tr(Msg::StartItem)).clicked() {
                            cx.run(
                                Command::Session {
                                    session,
                                    act: SessionAct::StartItem(index),
                                },
                                After::Nothing,
                            );
                        }
                        if item.status != ItemStatus::InProgress {
                            return;
                        }
                        if !poll_open && ui.button(cx.tr(Msg::OpenPoll)).clicked() {
                            cx.run(
                                Command::Session {
                                    session,
                                    act: SessionAct::OpenPoll {
                                        item: index,
                                        doc: None,
                                        title: None,
                                    },
                                },
                                After::Nothing,
                            );
                        }
                        if ui.button(cx.tr(Msg::EndItem)).clicked() {
                            cx.run(
                                Command::Session {
                                    session,
                                    act: SessionAct::EndItem(index),
                                },
                                After::Nothing,
                            );
                        }
                    });
                });
        });
    }
}

/// One poll: the vote buttons while it is open, the result once closed.
fn poll_panel(ui: &mut Ui, cx: &mut Cx<'_>, view: &SessionView, poll: &PollView) {
    let session = view.id;
    section(ui, &format!("{}: {}", cx.tr(Msg::Vote), poll.title));
    if poll.open {
        ui.label(RichText::new(cx.tr(Msg::PollOpen)).strong());
        if poll.may_vote {
            ui.horizontal(|ui| {
                for c in Choice::ALL {
                    let b = Button::new(RichText::new(cx.tr(c)).size(26.0).strong())
                        .min_size(vec2(150.0, 72.0))
                        .selected(poll.my_choice == Some(c));
                    if ui.add(b).clicked() {
                        cx.run(
                            Command::Vote {
                                session,
                                poll: poll.id,
                                choice: c,
                            },
                            After::Nothing,
                        );
                    }
                }
            });
            let mine = poll.my_choice.map_or_else(
                || cx.tr(Msg::NotVotedYet).to_string(),
                |c| format!("{}: {}", cx.tr(Msg::YourVote), cx.tr(c)),
            );
            ui.label(RichText::new(mine).size(18.0));
        } else if view.voter {
            ui.label(cx.tr(Msg::NotEligible));
        }
        let eligible = poll.voted.len() + poll.not_voted.len();
        ui.label(RichText::new(i18n::voted_of(cx.lang, poll.voted.len(), eligible)).strong());
        ui.label(format!(
            "{}: {}",
            cx.tr(Msg::VotedMembers),
            poll.voted.join(", ")
        ));
        ui.label(format!(
            "{}: {}",
            cx.tr(Msg::NotVotedMembers),
            poll.not_voted.join(", ")
        ));
        if view.chair && ui.button(cx.tr(Msg::ClosePoll)).clicked() {
            cx.run(
                Command::Session {
                    session,
                    act: SessionAct::ClosePoll(poll.id),
                },
                After::Nothing,
            );
        }
        return;
    }
    ui.label(cx.tr(Msg::PollClosed));
    let Some(result) = &poll.result else { return };
    ui.label(RichText::new(cx.tr(Msg::Result)).strong());
    let adopted = result.outcome == Outcome::Adopted;
    ui.label(
        RichText::new(cx.tr(result.outcome))
            .size(26.0)
            .strong()
            .color(good_bad(ui, adopted)),
    );
    ui.label(i18n::counts(cx.lang, &result.counts));
    badge(
        ui,
        cx.tr(if result.verified {
            Msg::Verified
        } else {
            Msg::NotVerified
        }),
        result.verified,
        18.0,
    );
    if !result.omitted.is_empty() {
        ui.label(
            RichText::new(format!(
                "{}: {}",
                cx.tr(Msg::OmittedBallots),
                result.omitted.join(", ")
            ))
            .color(good_bad(ui, false)),
        );
    }
    if !result.failed.is_empty() {
        ui.label(cx.tr(Msg::FailedChecks));
        for (check, offending) in &result.failed {
            ui.label(format!("• {}: {}", cx.tr(*check), offending.join(", ")));
        }
    }
    Grid::new("result-table")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (name, v) in &result.table {
                ui.label(name);
                ui.label(cx.tr(*v));
                ui.end_row();
            }
        });
}

impl MinutesPanel {
    /// The preview, the export row and the approvals; the minutes are made only while the
    /// section is open, again when the record or the language changes.
    fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, session: SessionId) {
        let lang = minutes::Lang::from(cx.lang);
        let key = (session, cx.rev, lang);
        if self.made.as_ref().is_none_or(|(k, _)| *k != key) {
            self.made = Some((key, make(cx, session, lang)));
        }
        let Some((_, made)) = &self.made else { return };
        let made = match made {
            Ok(m) => m,
            Err(e) => {
                ui.label(format!("{} {e}", cx.tr(Msg::MinutesFailed)));
                return;
            }
        };
        approvals(ui, cx, made, session);
        let label = ui.label(cx.tr(Msg::MinutesPreview));
        ScrollArea::vertical()
            .id_salt("minutes-preview")
            .max_height(320.0)
            .show(ui, |ui| {
                let mut text: &str = &made.markdown;
                ui.add(
                    TextEdit::multiline(&mut text)
                        .font(TextStyle::Monospace)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            });
        Grid::new("minutes-export").num_columns(2).show(ui, |ui| {
            text_row(ui, cx.tr(Msg::MinutesPath), &mut self.path);
        });
        ui.horizontal(|ui| {
            for (format, msg) in [
                (Format::Pdf, Msg::SavePdf),
                (Format::Html, Msg::SaveHtml),
                (Format::Markdown, Msg::SaveMarkdown),
            ] {
                if ui.button(cx.tr(msg)).clicked() {
                    cx.push(export(cx, made, lang, format, &self.path));
                }
            }
        });
    }
}

/// The minutes of `session` in `lang` as the record gives them now, and their approvals.
fn make(cx: &Cx<'_>, session: SessionId, lang: minutes::Lang) -> Result<Made, String> {
    let me = cx.engine.me();
    cx.engine.read(|r| {
        let m = minutes::minutes(r, &session).map_err(|e| e.to_string())?;
        let markdown = minutes::markdown(&m, lang);
        let may_approve = r.log().state().members.get(&me).is_some_and(|x| {
            [
                crdt_model::Role::Chair,
                crdt_model::Role::DeputyChair,
                crdt_model::Role::Secretary,
            ]
            .into_iter()
            .any(|role| x.roles.has(role))
        });
        Ok(Made {
            hash: m.hash(),
            markdown,
            check: minutes::verify_minutes(r, &session).map_err(|e| e.to_string()),
            minutes: m,
            may_approve,
        })
    })
}

/// What a click on an export button asks for: writing the minutes in `format` to `path`.
fn export(cx: &Cx<'_>, made: &Made, lang: minutes::Lang, format: Format, path: &str) -> Action {
    let path = path.trim();
    if path.is_empty() {
        return Action::Error(cx.tr(Msg::PathRequired).to_string());
    }
    let bytes = match format {
        Format::Markdown => Ok(made.markdown.clone().into_bytes()),
        Format::Html => Ok(minutes::html(&made.minutes, lang).into_bytes()),
        Format::Pdf => minutes::pdf(&made.minutes, lang).map_err(|e| e.to_string()),
    };
    match bytes {
        Ok(bytes) => Action::WriteFile {
            path: path.to_string(),
            bytes,
        },
        Err(e) => Action::Error(e),
    }
}

/// Who approved the minutes, whether the approvals match the record, and the approve button
/// for the chair and the secretary (until they approved these very minutes).
fn approvals(ui: &mut Ui, cx: &mut Cx<'_>, made: &Made, session: SessionId) {
    let check = match &made.check {
        Ok(c) => c,
        Err(e) => {
            ui.label(format!("{} {e}", cx.tr(Msg::MinutesFailed)));
            return;
        }
    };
    ui.horizontal_wrapped(|ui| {
        if check.approved {
            badge(ui, cx.tr(Msg::MinutesApproved), true, 16.0);
        } else {
            ui.label(RichText::new(cx.tr(Msg::MinutesNotApproved)).strong());
        }
        if !check.approvals.is_empty() {
            if check.matches_record {
                badge(ui, cx.tr(Msg::MatchesRecord), true, 16.0);
            } else {
                badge(ui, cx.tr(Msg::DiffersFromRecord), false, 16.0);
            }
        }
    });
    if !check.approved_by.is_empty() {
        let who: Vec<String> = check
            .approved_by
            .iter()
            .map(|(name, role)| format!("{name} ({})", cx.tr(*role)))
            .collect();
        ui.label(format!("{}: {}", cx.tr(Msg::ApprovedBy), who.join(", ")));
    }
    let me = cx.engine.me();
    let mine = check
        .approvals
        .iter()
        .any(|a| a.member == me && a.minutes == made.hash);
    if made.may_approve && !mine && ui.button(cx.tr(Msg::ApproveMinutes)).clicked() {
        cx.run(
            Command::ApproveMinutes {
                session,
                minutes: made.hash,
            },
            After::Nothing,
        );
    }
}

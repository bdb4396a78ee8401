//! The welcome screen, before this device belongs to a council: create one, join one with an
//! invite ticket, or open the demo; and the device's key to give to the secretary.

use egui::{Grid, RichText, TextEdit, Ui};

use super::widgets::{number_row, section, text_row};
use crate::host::{Host, NewCouncil, Preset};
use crate::i18n::{Lang, Msg};

/// What the person chose on the welcome screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WelcomeAct {
    /// Create a council.
    Create(NewCouncil),
    /// Join with this ticket.
    Join(String),
    /// Open the demo.
    Demo,
    /// Switch the language.
    Lang(Lang),
    /// Copy this text.
    Copy(String),
    /// The form is incomplete.
    Incomplete,
}

/// The welcome screen's state: its forms and the device's key.
#[derive(Debug)]
pub(crate) struct Welcome {
    council_name: String,
    my_name: String,
    seats: u32,
    preset: Preset,
    ticket: String,
    my_key: Option<Result<String, String>>,
}

impl Default for Welcome {
    fn default() -> Self {
        Welcome {
            council_name: String::new(),
            my_name: String::new(),
            seats: 34,
            preset: Preset::Ukraine,
            ticket: String::new(),
            my_key: None,
        }
    }
}

impl Welcome {
    /// Draws the screen; returns what the person chose, if anything.
    pub fn ui(&mut self, ui: &mut Ui, lang: Lang, host: &mut dyn Host) -> Option<WelcomeAct> {
        let tr = |m: Msg| lang.tr(m);
        let mut act = None;
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(tr(Msg::WelcomeTitle)).size(28.0).strong());
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    for l in Lang::ALL.into_iter().rev() {
                        if ui.selectable_label(l == lang, l.native_name()).clicked() {
                            act = Some(WelcomeAct::Lang(l));
                        }
                    }
                });
            });
            ui.label(tr(Msg::WelcomeIntro));

            section(ui, tr(Msg::CreateCouncil));
            Grid::new("welcome-create").num_columns(2).show(ui, |ui| {
                text_row(ui, tr(Msg::CouncilName), &mut self.council_name);
                text_row(ui, tr(Msg::YourName), &mut self.my_name);
                number_row(ui, tr(Msg::Seats), &mut self.seats, 1..=1000);
                ui.label(tr(Msg::Preset));
                ui.horizontal(|ui| {
                    ui.radio_value(&mut self.preset, Preset::Ukraine, tr(Msg::PresetUkraine));
                    ui.radio_value(&mut self.preset, Preset::Bulgaria, tr(Msg::PresetBulgaria));
                });
                ui.end_row();
            });
            if ui.button(tr(Msg::Create)).clicked() {
                act = Some(self.new_council());
            }

            section(ui, tr(Msg::JoinCouncil));
            ui.horizontal(|ui| {
                let l = ui.label(tr(Msg::InviteTicket));
                ui.add(
                    TextEdit::multiline(&mut self.ticket)
                        .desired_rows(2)
                        .desired_width(520.0)
                        .font(egui::TextStyle::Monospace),
                )
                .labelled_by(l.id);
            });
            if ui.button(tr(Msg::Join)).clicked() {
                act = Some(WelcomeAct::Join(self.ticket.trim().to_string()));
            }

            section(ui, tr(Msg::TryDemo));
            ui.label(tr(Msg::DemoHint));
            if ui.button(tr(Msg::OpenDemo)).clicked() {
                act = Some(WelcomeAct::Demo);
            }

            section(ui, tr(Msg::YourKey));
            ui.label(tr(Msg::YourKeyHint));
            match self.my_key.get_or_insert_with(|| host.my_key()) {
                Ok(key) => {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(key.as_str()).monospace());
                        if ui.button(tr(Msg::Copy)).clicked() {
                            act = Some(WelcomeAct::Copy(key.clone()));
                        }
                    });
                }
                Err(e) => {
                    ui.colored_label(super::widgets::good_bad(ui, false), e.as_str());
                }
            }
        });
        act
    }

    fn new_council(&self) -> WelcomeAct {
        let council_name = self.council_name.trim().to_string();
        let my_name = self.my_name.trim().to_string();
        if council_name.is_empty() || my_name.is_empty() || self.seats == 0 {
            return WelcomeAct::Incomplete;
        }
        WelcomeAct::Create(NewCouncil {
            council_name,
            my_name,
            seats: self.seats,
            preset: self.preset,
        })
    }
}

//! Settings: this member's key and a backup of it, the relay, the language.

use egui::{Button, Grid, RichText, ScrollArea, Ui, vec2};

use super::widgets::{section, text_row};
use super::{Action, Cx};
use crate::engine::Engine;
use crate::i18n::{Lang, Msg};

/// The settings screen: the fields being edited.
pub(crate) struct Settings {
    backup_path: String,
    relay: String,
}

impl Settings {
    /// The fields as saved on this device.
    pub fn new(engine: &Engine) -> Self {
        Settings {
            backup_path: String::new(),
            relay: engine
                .setting_string(council_sync::SETTING_RELAY)
                .unwrap_or_default(),
        }
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        ScrollArea::vertical().id_salt("settings").show(ui, |ui| {
            ui.label(RichText::new(cx.tr(Msg::NavSettings)).size(24.0).strong());

            section(ui, cx.tr(Msg::Language));
            ui.horizontal(|ui| {
                for l in Lang::ALL {
                    let b = Button::selectable(cx.lang == l, l.native_name())
                        .min_size(vec2(140.0, 34.0));
                    if ui.add(b).clicked() && cx.lang != l {
                        cx.push(Action::SetLang(l));
                    }
                }
            });

            section(ui, cx.tr(Msg::Identity));
            let key = cx.engine.device().member_id().to_string();
            ui.label(cx.tr(Msg::YourKey));
            ui.horizontal(|ui| {
                ui.label(RichText::new(key.as_str()).monospace());
                if ui.button(cx.tr(Msg::Copy)).clicked() {
                    cx.push(Action::Copy(key.clone()));
                }
            });

            section(ui, cx.tr(Msg::Backup));
            ui.label(cx.tr(Msg::BackupWarning));
            Grid::new("backup").num_columns(2).show(ui, |ui| {
                text_row(ui, cx.tr(Msg::BackupPath), &mut self.backup_path);
            });
            if ui.button(cx.tr(Msg::ExportBackup)).clicked() && !self.backup_path.trim().is_empty()
            {
                cx.push(Action::Backup(self.backup_path.clone()));
            }

            section(ui, cx.tr(Msg::Relay));
            Grid::new("relay").num_columns(2).show(ui, |ui| {
                text_row(ui, cx.tr(Msg::RelayUrl), &mut self.relay);
            });
            ui.label(RichText::new(cx.tr(Msg::RelayNote)).italics());
            if ui.button(cx.tr(Msg::Save)).clicked() {
                cx.push(Action::SaveRelay(self.relay.clone()));
            }
        });
    }
}

//! Synchronisation: whether the device is networked and online, who is connected, what it holds
//! and waits for, the last refusals, and the relay.

use egui::{Grid, RichText, ScrollArea, Ui};

use super::Cx;
use super::widgets::{dot, good_bad, section};
use council_sync::net::Link;

use crate::engine::SyncStatus;
use crate::i18n::Msg;

/// The sync screen (it keeps nothing: the shell refreshes the status).
pub(crate) struct SyncView;

impl SyncView {
    /// Draws `status`.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, status: &SyncStatus) {
        ScrollArea::vertical().id_salt("sync").show(ui, |ui| {
            ui.label(RichText::new(cx.tr(Msg::NavSync)).size(24.0).strong());
            let offline = status.offline();
            let (msg, good) = if offline {
                (Msg::Offline, false)
            } else {
                (Msg::Online, true)
            };
            ui.horizontal(|ui| {
                dot(ui, good_bad(ui, good), 18.0);
                ui.label(
                    RichText::new(cx.tr(msg))
                        .size(22.0)
                        .strong()
                        .color(good_bad(ui, good)),
                );
            });
            if offline {
                ui.label(RichText::new(cx.tr(Msg::OfflineSentence)).size(17.0));
            }
            ui.label(cx.tr(if status.networked {
                Msg::Networked
            } else {
                Msg::NotNetworked
            }));
            section(ui, cx.tr(Msg::ConnectedPeers));
            if status.peers.is_empty() {
                ui.label(cx.tr(Msg::NoPeers));
            }
            for p in &status.peers {
                let link = cx.tr(match p.link {
                    Link::Direct => Msg::LinkDirect,
                    Link::Relay => Msg::LinkRelay,
                    Link::Unknown => Msg::LinkUnknown,
                });
                ui.label(format!("• {} ({}) — {link}", p.name, p.id.short()));
            }
            ui.add_space(8.0);
            Grid::new("sync-counts").num_columns(2).show(ui, |ui| {
                ui.label(cx.tr(Msg::ItemsHeld));
                ui.label(status.items.to_string());
                ui.end_row();
                ui.label(cx.tr(Msg::ItemsPending));
                ui.label(status.pending.to_string());
                ui.end_row();
                ui.label(cx.tr(Msg::Relay));
                ui.label(status.relay.as_deref().unwrap_or(cx.tr(Msg::NoRelay)));
                ui.end_row();
            });
            section(ui, cx.tr(Msg::LastRefusals));
            if status.refusals.is_empty() {
                ui.label(cx.tr(Msg::NoRefusals));
            }
            for r in status.refusals.iter().rev() {
                ui.label(RichText::new(r).monospace().small());
            }
        });
    }
}

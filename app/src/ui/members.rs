//! The roster and committees; for the secretary, admitting and removing members and the invite
//! ticket (text and QR code).

use egui::{Grid, RichText, ScrollArea, Ui};

use super::qr::Qr;
use super::widgets::{section, text_row};
use super::{Action, After, Cached, Cx};
use crate::engine::Command;
use crate::i18n::Msg;
use crate::views::{self, MembersView, VoidKind};
use crdt_model::{MemberId, Role, Roles};

/// Roles the secretary may give a new member, in the order offered.
const OFFERED: [Role; 5] = [
    Role::Deputy,
    Role::Chair,
    Role::DeputyChair,
    Role::Secretary,
    Role::Observer,
];

/// The members screen.
pub(crate) struct Members {
    view: Cached<MembersView>,
    invite: Cached<(String, Option<Qr>)>,
    key: String,
    name: String,
    roles: [bool; OFFERED.len()],
}

impl Default for Members {
    fn default() -> Self {
        Members {
            view: Cached::default(),
            invite: Cached::default(),
            key: String::new(),
            name: String::new(),
            roles: [true, false, false, false, false],
        }
    }
}

impl Members {
    /// Empties the add-member form.
    pub fn clear_form(&mut self) {
        self.key.clear();
        self.name.clear();
        self.roles = [true, false, false, false, false];
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let engine = cx.engine;
        let me = engine.me();
        let view = self
            .view
            .get(cx.rev, || engine.read(|r| views::members(r, &me)))
            .clone();
        ScrollArea::vertical().id_salt("members").show(ui, |ui| {
            ui.label(RichText::new(cx.tr(Msg::NavMembers)).size(24.0).strong());
            section(ui, cx.tr(Msg::Roster));
            roster(ui, cx, &view, &me);
            if !view.voided.is_empty() {
                section(ui, cx.tr(Msg::VoidedTitle));
                ui.label(RichText::new(cx.tr(Msg::VoidedHint)).weak());
                for v in &view.voided {
                    let what = match v.kind {
                        VoidKind::Revoked => Msg::VoidRevoked,
                        VoidKind::LostMutual => Msg::VoidLostMutual,
                        VoidKind::DependsOnVoid => Msg::VoidDependsOnVoid,
                        VoidKind::Session => Msg::VoidSession,
                        VoidKind::Edit => Msg::VoidEdit,
                    };
                    ui.label(format!("{}: {}", v.author, cx.tr(what)));
                }
            }
            section(ui, cx.tr(Msg::Committees));
            if view.committees.is_empty() {
                ui.label(cx.tr(Msg::NoCommittees));
            }
            for c in &view.committees {
                ui.group(|ui| {
                    ui.label(RichText::new(&c.name).strong());
                    ui.label(format!(
                        "{}: {}",
                        cx.tr(Msg::CommitteeHead),
                        c.head.as_deref().unwrap_or("—")
                    ));
                    ui.label(format!(
                        "{}: {}",
                        cx.tr(Msg::CommitteeMembers),
                        c.members.join(", ")
                    ));
                });
            }
            if view.may_manage {
                self.add_form(ui, cx);
                self.invite(ui, cx);
            }
        });
    }

    fn add_form(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        section(ui, cx.tr(Msg::AddMember));
        Grid::new("add-member").num_columns(2).show(ui, |ui| {
            text_row(ui, cx.tr(Msg::MemberKey), &mut self.key);
            text_row(ui, cx.tr(Msg::Name), &mut self.name);
            ui.label(cx.tr(Msg::Roles));
            ui.horizontal_wrapped(|ui| {
                for (role, on) in OFFERED.iter().zip(self.roles.iter_mut()) {
                    ui.checkbox(on, cx.tr(*role));
                }
            });
            ui.end_row();
        });
        if ui.button(cx.tr(Msg::AddMember)).clicked() {
            match MemberId::from_hex(self.key.trim()) {
                Ok(member) => {
                    let roles: Vec<Role> = OFFERED
                        .iter()
                        .zip(self.roles)
                        .filter(|(_, on)| *on)
                        .map(|(r, _)| *r)
                        .collect();
                    cx.run(
                        Command::AddMember {
                            member,
                            name: self.name.trim().to_string(),
                            roles: Roles::of(&roles),
                        },
                        After::ClearMember,
                    );
                }
                Err(e) => cx.push(Action::Error(format!("{}: {e}", cx.tr(Msg::MemberKey)))),
            }
        }
    }

    fn invite(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let engine = cx.engine;
        let (ticket, qr) = self.invite.get(cx.rev, || {
            let t = engine.invite_ticket();
            let qr = Qr::new(&t);
            (t, qr)
        });
        section(ui, cx.tr(Msg::Invite));
        ui.label(cx.tr(Msg::InviteHint));
        ui.horizontal(|ui| {
            if ui.button(cx.tr(Msg::Copy)).clicked() {
                cx.push(Action::Copy(ticket.clone()));
            }
        });
        ui.label(RichText::new(ticket.as_str()).monospace().small());
        match qr {
            Some(qr) => qr.show(ui, 340.0),
            None => {
                ui.label(cx.tr(Msg::QrTooLong));
            }
        }
    }
}

fn roster(ui: &mut Ui, cx: &mut Cx<'_>, view: &MembersView, me: &MemberId) {
    Grid::new("roster")
        .num_columns(5)
        .striped(true)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            for h in [Msg::Name, Msg::Roles, Msg::Committees, Msg::Contact] {
                ui.label(RichText::new(cx.tr(h)).strong());
            }
            ui.end_row();
            for m in &view.members {
                let roles: Vec<&str> = m.roles.iter().map(|r| cx.tr(*r)).collect();
                if m.removed {
                    ui.label(
                        RichText::new(format!("{} ({})", m.name, cx.tr(Msg::RemovedMember)))
                            .weak()
                            .strikethrough(),
                    );
                } else {
                    ui.label(&m.name);
                }
                ui.label(roles.join(", "));
                ui.label(m.committees.join(", "));
                ui.label(&m.contact);
                if view.may_manage && !m.removed && m.id != *me {
                    ui.push_id(m.id, |ui| {
                        if ui.button(cx.tr(Msg::Remove)).clicked() {
                            cx.run(Command::RemoveMember { member: m.id }, After::Nothing);
                        }
                    });
                }
                ui.end_row();
            }
        });
}

//! Carrying out commands: check, sign, store, send.

use crdt_model::document::{AgendaItem as DocAgendaItem, Edit, EditError, TextField};
use crdt_model::hash::Hash;
use crdt_model::log::{AmendmentStatus, LogOp, SignedOp};
use crdt_model::replica::Item;
use crdt_model::session::{AgendaItem, Body, SessionId, Statement, StatementKind, VoteRefused};
use crdt_model::{DocId, DocSpec, OpBody};

use super::{Command, CommandError, Engine, SessionAct};

/// What a command made, when the caller needs it (e.g. to open the new draft).
pub type Made = Option<Hash>;

impl Engine {
    /// Carries out `cmd` as this member: refused with the reason when the rules do not allow
    /// it; otherwise signed, stored durably and sent before this returns.
    pub fn run(&self, cmd: Command) -> Result<Made, CommandError> {
        let t = self.now_ms();
        match cmd {
            Command::CreateDraft { title, body } => {
                let id = self.create_doc(DocSpec::Draft { co_authors: vec![] }, t)?;
                self.edit_doc(id, t, |e| {
                    e.set_text(TextField::Title, &title)?;
                    e.set_text(TextField::Body, &body)
                })?;
                Ok(Some(id))
            }
            Command::CreateNote { title, body } => {
                let id = self.create_doc(DocSpec::Note, t)?;
                self.edit_doc(id, t, |e| {
                    e.set_text(TextField::Title, &title)?;
                    e.set_text(TextField::Body, &body)
                })?;
                Ok(Some(id))
            }
            Command::EditText {
                doc,
                field,
                base,
                pos,
                del,
                insert,
            } => {
                self.edit_doc(doc, t, |e| e.splice_from(field, &base, pos, del, &insert))?;
                Ok(None)
            }
            Command::SetDraftStatus {
                draft,
                status,
                committee,
            } => self.log_op(
                OpBody::SetDraftStatus {
                    draft,
                    status,
                    committee,
                },
                t,
            ),
            Command::ProposeAmendment {
                draft,
                from_line,
                to_line,
                text,
                rationale,
            } => {
                let lines = self.body_lines(draft)?;
                if from_line == 0 || to_line + 1 < from_line || to_line as usize > lines {
                    return Err(CommandError::Invalid(format!(
                        "lines {from_line}–{to_line} are not in the draft (it has {lines} lines)"
                    )));
                }
                let spec = DocSpec::Amendment {
                    draft,
                    from_line,
                    to_line,
                };
                let id = self.create_doc(spec, t)?;
                self.edit_doc(id, t, |e| {
                    e.set_text(TextField::Body, &text)?;
                    e.set_text(TextField::Rationale, &rationale)
                })?;
                Ok(Some(id))
            }
            Command::DecideAmendment { amendment, status } => {
                self.log_op(OpBody::SetAmendmentStatus { amendment, status }, t)?;
                if status == AmendmentStatus::Accepted {
                    self.merge_amendment(amendment, t)?;
                }
                Ok(None)
            }
            Command::WriteOpinion {
                draft,
                committee,
                recommendation,
                text,
            } => {
                let id = self.create_doc(DocSpec::Opinion { draft, committee }, t)?;
                self.edit_doc(id, t, |e| {
                    e.set_recommendation(&recommendation)?;
                    e.set_text(TextField::Body, &text)
                })?;
                Ok(Some(id))
            }
            Command::CreateAgenda { label } => {
                let spec = DocSpec::Agenda {
                    label: label.clone(),
                    committee: None,
                };
                let id = self.create_doc(spec, t)?;
                self.edit_doc(id, t, |e| e.set_text(TextField::Title, &label))?;
                Ok(Some(id))
            }
            Command::AgendaAdd { agenda, title, doc } => {
                let len = self.agenda_items(agenda)?.len();
                self.edit_doc(agenda, t, |e| {
                    e.agenda_insert(len, &DocAgendaItem { doc, title })
                })?;
                Ok(None)
            }
            Command::AgendaMove { agenda, from, to } => {
                let items = self.agenda_items(agenda)?;
                let item = items
                    .get(from)
                    .cloned()
                    .ok_or(CommandError::Unknown("agenda item"))?;
                let to = to.min(items.len().saturating_sub(1));
                self.edit_doc(agenda, t, |e| {
                    e.agenda_remove(from)?;
                    e.agenda_insert(to, &item)
                })?;
                Ok(None)
            }
            Command::AgendaRemove { agenda, index } => {
                self.edit_doc(agenda, t, |e| e.agenda_remove(index))?;
                Ok(None)
            }
            Command::PublishAgenda { agenda } => {
                self.edit_doc(agenda, t, |e| e.set_published(true))?;
                Ok(None)
            }
            Command::OpenSession { agenda } => self.open_session(agenda, t),
            Command::Session { session, act } => self.session_act(session, act, t),
            Command::Vote {
                session,
                poll,
                choice,
            } => {
                let key = self.device.key().clone();
                let ballot = self.read(|r| {
                    let s = r
                        .session(&session)
                        .ok_or(CommandError::Unknown("session"))?;
                    s.vote(&key, poll, choice).map_err(|e| match e {
                        VoteRefused::UnknownPoll => CommandError::Unknown("poll"),
                        other => CommandError::NotAllowed(other.to_string()),
                    })
                })?;
                let id = ballot.id();
                self.backend.submit(Item::Ballot(ballot))?;
                Ok(Some(id))
            }
            Command::AddMember {
                member,
                name,
                roles,
            } => self.log_op(
                OpBody::AddMember {
                    member,
                    name,
                    roles,
                },
                t,
            ),
            Command::RemoveMember { member } => self.log_op(OpBody::RemoveMember { member }, t),
            Command::ApproveMinutes { session, minutes } => {
                use crate::minutes::MinutesError;
                let current = self.read(|r| crate::minutes::minutes(r, &session));
                let m = current.map_err(|e| match e {
                    MinutesError::UnknownSession(_) => CommandError::Unknown("session"),
                    other => CommandError::Invalid(other.to_string()),
                })?;
                if m.hash() != minutes {
                    return Err(CommandError::Invalid(
                        "these are not the minutes the session's record gives now; generate \
                         them again and approve those"
                            .into(),
                    ));
                }
                self.log_op(OpBody::ApproveMinutes { session, minutes }, t)
            }
        }
    }

    /// Signs a log operation after checking the author may make it now.
    fn sign_op(&self, body: OpBody, t: u64) -> Result<SignedOp, CommandError> {
        let me = self.me();
        self.read(|r| {
            let log = r.log();
            log.state().authorize(&me, &body)?;
            Ok(LogOp {
                council: log.council_id(),
                author: me,
                parents: log.write_heads(),
                time_ms: t,
                body,
            }
            .sign(self.device.key()))
        })
    }

    fn log_op(&self, body: OpBody, t: u64) -> Result<Made, CommandError> {
        let op = self.sign_op(body, t)?;
        let id = op.id();
        self.backend.submit(Item::Op(op))?;
        Ok(Some(id))
    }

    fn create_doc(&self, spec: DocSpec, t: u64) -> Result<DocId, CommandError> {
        self.log_op(OpBody::CreateDocument { spec }, t)?
            .ok_or(CommandError::Unknown("document"))
    }

    /// Makes one signed change to a document.
    pub(crate) fn edit_doc<R>(
        &self,
        doc: DocId,
        t: u64,
        f: impl FnOnce(&mut Edit<'_, '_>) -> Result<R, EditError>,
    ) -> Result<R, CommandError> {
        let device = &self.device;
        let (r, change) = self.backend.with_node(|n| {
            let (log, d) = n
                .replica_mut()
                .document_mut(&doc)
                .ok_or(CommandError::Unknown("document"))?;
            d.edit(log, device, i64::try_from(t).unwrap_or(i64::MAX), f)
                .map_err(CommandError::from)
        })?;
        if let Some(c) = change {
            self.backend.publish(vec![Item::Change(c)])?;
        }
        Ok(r)
    }

    fn body_lines(&self, draft: DocId) -> Result<usize, CommandError> {
        self.read(|r| {
            let d = r
                .documents()
                .get(&draft)
                .ok_or(CommandError::Unknown("draft"))?;
            Ok(d.text(TextField::Body)?.split('\n').count())
        })
    }

    fn agenda_items(&self, agenda: DocId) -> Result<Vec<DocAgendaItem>, CommandError> {
        self.read(|r| {
            let d = r
                .documents()
                .get(&agenda)
                .ok_or(CommandError::Unknown("agenda"))?;
            Ok(d.agenda()?)
        })
    }

    /// Puts an accepted amendment's text in place of the lines it replaces, when this member
    /// may edit the draft (otherwise its authors or the secretary merge it later).
    fn merge_amendment(&self, amendment: DocId, t: u64) -> Result<(), CommandError> {
        let me = self.me();
        let plan = self.read(|r| {
            let state = r.log().state();
            let Some(meta) = state.documents.get(&amendment) else {
                return Ok(None);
            };
            let DocSpec::Amendment {
                draft,
                from_line,
                to_line,
            } = meta.spec
            else {
                return Ok(None);
            };
            if state.authorize_write(&me, &draft).is_err() {
                return Ok(None);
            }
            let text = r
                .documents()
                .get(&amendment)
                .ok_or(CommandError::Unknown("amendment"))?
                .text(TextField::Body)?;
            let body = r
                .documents()
                .get(&draft)
                .ok_or(CommandError::Unknown("draft"))?
                .text(TextField::Body)?;
            Ok::<_, CommandError>(Some((
                draft,
                replace_lines(&body, from_line, to_line, &text),
            )))
        })?;
        if let Some((draft, merged)) = plan {
            self.edit_doc(draft, t, |e| e.set_text(TextField::Body, &merged))?;
        }
        Ok(())
    }

    fn open_session(&self, agenda: DocId, t: u64) -> Result<Made, CommandError> {
        let me = self.me();
        let open = self.read(|r| {
            let log = r.log();
            let state = log.state();
            let meta = state
                .documents
                .get(&agenda)
                .ok_or(CommandError::Unknown("agenda"))?;
            let DocSpec::Agenda { label, committee } = &meta.spec else {
                return Err(CommandError::Invalid(
                    "this document is not an agenda".into(),
                ));
            };
            let doc = r
                .documents()
                .get(&agenda)
                .ok_or(CommandError::Unknown("agenda"))?;
            if !doc.published() {
                return Err(CommandError::Invalid(
                    "the agenda is not published yet".into(),
                ));
            }
            let items = doc
                .agenda()?
                .into_iter()
                .map(|i| AgendaItem {
                    title: i.title,
                    doc: i.doc,
                })
                .collect();
            Ok(Statement {
                council: log.council_id(),
                session: Hash::default(),
                author: me,
                parents: vec![],
                time_ms: t,
                kind: StatementKind::OpenSession {
                    body: committee.map(Body::Committee).unwrap_or(Body::Council),
                    log_heads: log.write_heads(),
                    label: label.clone(),
                    items,
                },
            }
            .sign(self.device.key()))
        })?;
        let id = open.id();
        self.backend
            .submit(Item::Statement(open))
            .map_err(|e| match e {
                CommandError::Refused(r) => CommandError::NotAllowed(r),
                other => other,
            })?;
        Ok(Some(id))
    }

    fn session_act(
        &self,
        session: SessionId,
        act: SessionAct,
        t: u64,
    ) -> Result<Made, CommandError> {
        let me = self.me();
        let device = &self.device;
        let st = self.backend.with_node(|n| {
            let replica = n.replica_mut();
            let s = replica
                .session(&session)
                .ok_or(CommandError::Unknown("session"))?;
            let chair = s.context().is_chair(&me);
            let need_chair = |what: &str| -> Result<(), CommandError> {
                if chair {
                    Ok(())
                } else {
                    Err(CommandError::NotAllowed(format!(
                        "only the chair may {what}"
                    )))
                }
            };
            let state = s.state();
            let kind = match act {
                SessionAct::Register => StatementKind::Present { member: me },
                SessionAct::Leave => StatementKind::Left { member: me },
                SessionAct::RequestFloor(kind) => {
                    let item = state.current_item.ok_or_else(|| {
                        CommandError::Invalid("no agenda item is being discussed".into())
                    })?;
                    StatementKind::RequestFloor { item, kind }
                }
                SessionAct::Withdraw(request) => StatementKind::WithdrawRequest { request },
                SessionAct::StartItem(item) => {
                    need_chair("start an item")?;
                    StatementKind::StartItem { item }
                }
                SessionAct::EndItem(item) => {
                    need_chair("end an item")?;
                    StatementKind::EndItem { item }
                }
                SessionAct::Grant(request) => {
                    need_chair("give the floor")?;
                    StatementKind::GrantFloor { request }
                }
                SessionAct::EndFloor(request) => StatementKind::EndFloor { request },
                SessionAct::OpenPoll { item, doc, title } => {
                    need_chair("open a poll")?;
                    let agenda_item = state
                        .items
                        .get(item as usize)
                        .ok_or(CommandError::Unknown("agenda item"))?;
                    let doc = doc.or(agenda_item.item.doc).ok_or_else(|| {
                        CommandError::Invalid("this item has no document to vote on".into())
                    })?;
                    let title = title.unwrap_or_else(|| agenda_item.item.title.clone());
                    let version = replica_doc_heads(replica, &doc);
                    StatementKind::OpenPoll(s.poll_open(item, doc, version, &title, None))
                }
                SessionAct::ClosePoll(poll) => {
                    need_chair("close a poll")?;
                    StatementKind::ClosePoll(
                        s.poll_close(&poll).ok_or(CommandError::Unknown("poll"))?,
                    )
                }
                SessionAct::Close => {
                    need_chair("close the session")?;
                    StatementKind::CloseSession
                }
            };
            let s = replica
                .session_mut(&session)
                .ok_or(CommandError::Unknown("session"))?;
            Ok::<_, CommandError>(s.create(device.key(), kind, t)?)
        })?;
        let id = st.id();
        self.backend.publish(vec![Item::Statement(st)])?;
        Ok(Some(id))
    }
}

fn replica_doc_heads(r: &crdt_model::replica::Replica, doc: &DocId) -> Vec<Hash> {
    r.documents()
        .get(doc)
        .map(|d| d.heads().into_iter().map(|h| Hash(h.0)).collect())
        .unwrap_or_default()
}

/// `body` with lines `from..=to` (1-based; `to = from - 1` inserts before `from`) replaced by
/// `text`.
pub fn replace_lines(body: &str, from: u32, to: u32, text: &str) -> String {
    let lines: Vec<&str> = body.split('\n').collect();
    let start = (from as usize).saturating_sub(1).min(lines.len());
    let end = (to as usize).clamp(start, lines.len());
    let mut out: Vec<&str> = lines[..start].to_vec();
    out.extend(text.split('\n'));
    out.extend_from_slice(&lines[end..]);
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::replace_lines;

    #[test]
    fn an_amendment_replaces_exactly_its_lines() {
        let body = "1. Перше\n2. Друге\n3. Третє";
        assert_eq!(
            replace_lines(body, 2, 2, "2. Нове друге"),
            "1. Перше\n2. Нове друге\n3. Третє"
        );
        assert_eq!(
            replace_lines(body, 2, 1, "1а. Вставка"),
            "1. Перше\n1а. Вставка\n2. Друге\n3. Третє"
        );
        assert_eq!(
            replace_lines(body, 3, 3, "3. Кінець\n4. Ще"),
            "1. Перше\n2. Друге\n3. Кінець\n4. Ще"
        );
    }
}

//! The desktop app driven headlessly through its accessibility tree (egui_kittest): what a
//! person clicks and types, checked against both the replica and what the screens show.

use std::path::PathBuf;

use council_app::engine::{Command, Engine, SessionAct};
use council_app::host::{Host, NewCouncil};
use council_app::i18n::Lang;
use council_app::ui::{App, Screen};
use council_app::views;
use council_sync::Node;
use crdt_model::document::TextField;
use crdt_model::replica::Item;
use crdt_model::sample::SampleCouncil;
use crdt_model::session::{Choice, FloorKind, PollId, SessionId};
use crdt_model::{DocId, Genesis, Role, Roles, SecretKey};
use egui::accesskit::{Role as AxRole, Toggled};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

/// A host for tests: councils live in a temporary directory, tickets are decoded for real, and
/// there is no demo.
struct TestHost {
    dir: PathBuf,
    key: SecretKey,
}

impl TestHost {
    fn node(&self, genesis: crdt_model::SignedGenesis) -> Result<Engine, String> {
        let node = Node::create_for(&self.dir.join("me.redb"), genesis, self.key.clone())
            .map_err(|e| e.to_string())?;
        Ok(Engine::local(node))
    }
}

impl Host for TestHost {
    fn open_existing(&mut self) -> Result<Option<Engine>, String> {
        Ok(None)
    }

    fn create_council(&mut self, new: &NewCouncil) -> Result<Engine, String> {
        let genesis = Genesis {
            name: new.council_name.clone(),
            rules: new.preset.rules(new.seats),
            founder: self.key.member_id(),
            founder_name: new.my_name.clone(),
            founder_roles: Roles::of(&[Role::Secretary]),
            created_ms: 1_700_000_000_000,
            nonce: [7; 16],
        }
        .sign(&self.key)
        .map_err(|e| e.to_string())?;
        self.node(genesis)
    }

    fn join(&mut self, ticket: &str) -> Result<Engine, String> {
        let t = council_sync::ticket::Ticket::decode(ticket).map_err(|e| e.to_string())?;
        self.node(t.genesis)
    }

    fn demo(&mut self) -> Result<Engine, String> {
        Err("there is no demo in these tests".into())
    }

    fn my_key(&mut self) -> Result<String, String> {
        Ok(self.key.member_id().to_hex())
    }
}

/// A host for apps that start with a council already.
struct NoHost;

impl Host for NoHost {
    fn open_existing(&mut self) -> Result<Option<Engine>, String> {
        Ok(None)
    }
    fn create_council(&mut self, _: &NewCouncil) -> Result<Engine, String> {
        Err("not here".into())
    }
    fn join(&mut self, _: &str) -> Result<Engine, String> {
        Err("not here".into())
    }
    fn demo(&mut self) -> Result<Engine, String> {
        Err("not here".into())
    }
    fn my_key(&mut self) -> Result<String, String> {
        Err("not here".into())
    }
}

fn harness(host: Box<dyn Host>, engine: Option<Engine>) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| App::new(cc, host, engine).with_language(Lang::En))
}

/// Clicks the field labelled `label` and types `text` into it.
fn type_into(h: &mut Harness<'_, App>, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run();
}

fn click(h: &mut Harness<'_, App>, label: &str) {
    h.get_by_role_and_label(AxRole::Button, label).click();
    h.run();
}

fn shows(h: &Harness<'_, App>, text: &str) -> bool {
    h.query_by_label(text).is_some()
}

/// The sample council (5 seats: the chair and three deputies vote; quorum is 3) with one device
/// per person who acts in a test, each its own store, all offline.
struct Council {
    dir: tempfile::TempDir,
    sample: SampleCouncil,
}

impl Council {
    fn new() -> Self {
        let (sample, _) = SampleCouncil::new(5, 3).expect("sample council");
        Council {
            dir: tempfile::tempdir().expect("dir"),
            sample,
        }
    }

    /// A device for the person holding `key`, with the council's log.
    fn device(&self, key: &SecretKey, file: &str) -> Engine {
        let path = self.dir.path().join(format!("{file}.redb"));
        let mut node =
            Node::create_for(&path, self.sample.genesis.clone(), key.clone()).expect("store");
        for op in &self.sample.ops {
            node.receive(Item::Op(op.clone())).expect("op");
        }
        Engine::local(node)
    }

    fn secretary(&self) -> Engine {
        self.device(&self.sample.secretary, "secretary")
    }
    fn chair(&self) -> Engine {
        self.device(&self.sample.chair, "chair")
    }
    fn deputy(&self, n: usize) -> Engine {
        self.device(&self.sample.deputies[n], &format!("deputy{n}"))
    }
}

/// Everything `from` holds, given to `to` (as a reconnecting peer would).
fn give(from: &Engine, to: &Engine) {
    let items = from.read(|r| r.items());
    to.backend().with_node(|n| {
        for item in items {
            n.receive(item).expect("item");
        }
    });
}

/// Every device ends up holding everything.
fn sync_all(devices: &[&Engine]) {
    for a in devices {
        for b in devices {
            give(a, b);
        }
    }
}

fn run(e: &Engine, cmd: Command) -> crdt_model::Hash {
    e.run(cmd).expect("command").expect("made something")
}

/// The secretary drafts "Про бюджет", puts it on the published agenda "Сесія 12", and the chair
/// opens the session. Returns the draft and the session.
fn open_session(secretary: &Engine, chair: &Engine) -> (DocId, SessionId) {
    let draft = run(
        secretary,
        Command::CreateDraft {
            title: "Про бюджет".into(),
            body: "1. Затвердити бюджет.".into(),
        },
    );
    let agenda = run(
        secretary,
        Command::CreateAgenda {
            label: "Сесія 12".into(),
        },
    );
    secretary
        .run(Command::AgendaAdd {
            agenda,
            title: "Про бюджет".into(),
            doc: Some(draft),
        })
        .expect("add");
    secretary
        .run(Command::PublishAgenda { agenda })
        .expect("publish");
    give(secretary, chair);
    let session = run(chair, Command::OpenSession { agenda });
    (draft, session)
}

fn act(e: &Engine, session: SessionId, act: SessionAct) {
    e.run(Command::Session { session, act })
        .expect("session act");
}

fn session_view(e: &Engine, session: SessionId) -> views::SessionView {
    let me = e.me();
    let now = e.now_ms();
    e.read(|r| views::session(r, &session, &me, now))
        .expect("session view")
}

/// Chair, deputy 1 (index 0) and deputy 2 register; the chair starts item 1 and opens a vote.
fn open_poll(chair: &Engine, d0: &Engine, d1: &Engine, session: SessionId) -> PollId {
    act(d0, session, SessionAct::Register);
    act(d1, session, SessionAct::Register);
    sync_all(&[chair, d0, d1]);
    act(chair, session, SessionAct::Register);
    act(chair, session, SessionAct::StartItem(0));
    act(
        chair,
        session,
        SessionAct::OpenPoll {
            item: 0,
            doc: None,
            title: None,
        },
    );
    sync_all(&[chair, d0, d1]);
    session_view(chair, session).polls[0].id
}

#[test]
fn creating_a_council_on_the_welcome_screen_opens_the_shell_with_its_name() {
    let dir = tempfile::tempdir().expect("dir");
    let key = SecretKey::generate();
    let host = TestHost {
        dir: dir.path().to_path_buf(),
        key: key.clone(),
    };
    let mut h = harness(Box::new(host), None);
    h.run();
    assert!(shows(&h, "Welcome to Council"));
    assert!(
        shows(&h, &key.member_id().to_hex()),
        "the key to give the secretary"
    );

    type_into(&mut h, "Council name", "Броварська міська рада");
    type_into(&mut h, "Your name", "Олена Коваль");
    click(&mut h, "Create");

    let engine = h
        .state()
        .engine()
        .expect("the device now belongs to a council");
    assert_eq!(engine.me(), key.member_id());
    let name = engine.read(|r| r.log().genesis().genesis().name.clone());
    assert_eq!(name, "Броварська міська рада");
    assert_eq!(h.state().screen(), Some(Screen::Dossiers));
    assert!(
        shows(&h, "Броварська міська рада"),
        "the top bar names the council"
    );
    assert!(
        h.query_by_label_contains("Олена Коваль · Secretary")
            .is_some(),
        "the top bar says who I am"
    );
    assert!(shows(&h, "Offline"), "no peer: the indicator says offline");
}

#[test]
fn a_wrong_invite_ticket_shows_the_hosts_error_in_a_banner_that_can_be_dismissed() {
    let dir = tempfile::tempdir().expect("dir");
    let host = TestHost {
        dir: dir.path().to_path_buf(),
        key: SecretKey::generate(),
    };
    let mut h = harness(Box::new(host), None);
    h.run();
    type_into(&mut h, "Invite ticket", "hello, this is not a ticket");
    click(&mut h, "Join");

    assert!(h.state().engine().is_none(), "still on the welcome screen");
    assert_eq!(h.state().errors().len(), 1);
    assert!(h.state().errors()[0].contains("not a Council invite ticket"));
    assert!(
        h.query_by_label_contains("not a Council invite ticket")
            .is_some(),
        "the host's sentence is on screen"
    );
    click(&mut h, "Dismiss");
    assert!(h.state().errors().is_empty());
    assert!(
        h.query_by_label_contains("not a Council invite ticket")
            .is_none()
    );
}

#[test]
fn typing_into_a_draft_changes_its_text_in_the_replica_with_a_signed_change() {
    let council = Council::new();
    let me = council.deputy(0);
    let draft = run(
        &me,
        Command::CreateDraft {
            title: "Про ремонт доріг".into(),
            body: "1. Відремонтувати вулицю.".into(),
        },
    );
    let changes_before = me.read(|r| r.documents()[&draft].changes().len());
    let mut h = harness(Box::new(NoHost), Some(me.clone()));
    h.run();
    h.get_by_label("Про ремонт доріг").click();
    h.run();
    assert!(shows(&h, "Status: Draft"));

    type_into(&mut h, "Draft text, line 1", "Терміново. ");

    let body = me.read(|r| r.documents()[&draft].text(TextField::Body).expect("body"));
    assert!(
        body.contains("Терміново. "),
        "the replica has the typed text: {body:?}"
    );
    assert!(
        body.contains("Відремонтувати"),
        "and keeps the rest: {body:?}"
    );
    let (changes, last_author) = me.read(|r| {
        let d = &r.documents()[&draft];
        (d.changes().len(), d.history().last().map(|c| c.author))
    });
    assert!(changes > changes_before, "a new change was stored");
    assert_eq!(last_author, Some(me.me()), "signed by this member");
    let line = h
        .get_by_label("Draft text, line 1")
        .value()
        .unwrap_or_default();
    assert!(
        line.contains("Терміново. "),
        "the editor shows it: {line:?}"
    );
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
}

#[test]
fn registering_present_shows_in_the_view_and_moves_the_quorum_meter() {
    let council = Council::new();
    let (secretary, chair, me) = (council.secretary(), council.chair(), council.deputy(0));
    let (_, session) = open_session(&secretary, &chair);
    give(&chair, &me);
    give(&secretary, &me);

    let mut h = harness(Box::new(NoHost), Some(me.clone()));
    h.run();
    click(&mut h, "Session");
    assert!(shows(&h, "Сесія 12"));
    assert!(shows(&h, "No quorum"));
    assert!(shows(&h, "Quorum: 0 present, 3 needed (5 seats)"));

    click(&mut h, "I am present");

    assert!(
        session_view(&me, session).present,
        "the replica has my registration"
    );
    assert!(shows(&h, "You are registered present"));
    assert!(shows(&h, "Quorum: 1 present, 3 needed (5 seats)"));
    assert!(
        h.query_by_role_and_label(AxRole::Button, "I am present")
            .is_none(),
        "the button gives way to the registered state"
    );
}

#[test]
fn a_point_of_order_jumps_ahead_of_a_speech_in_the_queue() {
    let council = Council::new();
    let (secretary, chair) = (council.secretary(), council.chair());
    let (me, colleague) = (council.deputy(0), council.deputy(1));
    let (_, session) = open_session(&secretary, &chair);
    act(&chair, session, SessionAct::StartItem(0));
    sync_all(&[&secretary, &chair, &colleague]);
    act(
        &colleague,
        session,
        SessionAct::RequestFloor(FloorKind::Speech),
    );
    sync_all(&[&secretary, &chair, &colleague, &me]);

    let mut h = harness(Box::new(NoHost), Some(me.clone()));
    h.run();
    click(&mut h, "Session");
    assert!(shows(&h, "1. Депутат 2 — Speech"));

    h.get_by_label("Kind of request").click();
    h.run();
    h.get_by_label("Point of order").click();
    h.run();
    click(&mut h, "Request to speak");

    let view = session_view(&me, session);
    assert_eq!(view.queue.len(), 2);
    assert!(view.queue[0].mine, "mine is first");
    assert_eq!(view.queue[0].kind, FloorKind::PointOfOrder);
    assert!(shows(&h, "1. Депутат 1 — Point of order"));
    assert!(shows(&h, "2. Депутат 2 — Speech"));
    assert!(shows(&h, "Your request is in the queue."));
}

#[test]
fn a_vote_can_be_changed_until_close_and_the_latest_ballot_counts() {
    let council = Council::new();
    let (secretary, chair) = (council.secretary(), council.chair());
    let (me, colleague) = (council.deputy(0), council.deputy(1));
    let (_, session) = open_session(&secretary, &chair);
    sync_all(&[&secretary, &chair, &me, &colleague]);
    let poll = open_poll(&chair, &me, &colleague, session);

    let mut h = harness(Box::new(NoHost), Some(me.clone()));
    h.run();
    click(&mut h, "Session");
    assert!(shows(&h, "You have not voted yet."));
    assert!(shows(&h, "Voted: 0 of 3"));

    click(&mut h, "For");
    assert_eq!(
        session_view(&me, session).polls[0].my_choice,
        Some(Choice::For)
    );
    assert!(shows(&h, "Your vote: For"));
    click(&mut h, "Against");

    let view = session_view(&me, session);
    assert_eq!(view.polls[0].my_choice, Some(Choice::Against));
    let mut seqs: Vec<u32> = me.read(|r| {
        r.session(&session)
            .expect("session")
            .ballots(&poll)
            .filter(|b| b.ballot().voter == me.me())
            .map(|b| b.ballot().seq)
            .collect()
    });
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        vec![0, 1],
        "two signed ballots, the second one counts"
    );
    assert!(shows(&h, "Your vote: Against"));
    assert!(shows(&h, "Voted: 1 of 3"));
    let toggled = |label: &str| {
        h.get_by_role_and_label(AxRole::Button, label)
            .accesskit_node()
            .toggled()
    };
    assert_eq!(toggled("Against"), Some(Toggled::True));
    assert_eq!(toggled("For"), Some(Toggled::False));
}

#[test]
fn when_the_chair_closes_the_vote_the_result_shows_as_verified() {
    let council = Council::new();
    let (secretary, chair) = (council.secretary(), council.chair());
    let (d0, d1) = (council.deputy(0), council.deputy(1));
    let (_, session) = open_session(&secretary, &chair);
    sync_all(&[&secretary, &chair, &d0, &d1]);
    let poll = open_poll(&chair, &d0, &d1, session);
    for d in [&d0, &d1] {
        d.run(Command::Vote {
            session,
            poll,
            choice: Choice::For,
        })
        .expect("vote");
    }
    sync_all(&[&chair, &d0, &d1]);

    // The person at the screen is the chair.
    let mut h = harness(Box::new(NoHost), Some(chair.clone()));
    h.run();
    click(&mut h, "Session");
    assert!(shows(&h, "Voted: 2 of 3"));
    click(&mut h, "For");
    click(&mut h, "Close the vote");

    let view = session_view(&chair, session);
    let result = view.polls[0].result.as_ref().expect("a result");
    assert!(result.verified, "{:?}", result.failed);
    assert_eq!(result.counts.for_, 3);
    assert!(shows(&h, "Adopted"));
    assert!(shows(&h, "Verified"));
    assert!(shows(&h, "For: 3, against: 0, abstained: 0"));
    assert!(
        h.query_by_role_and_label(AxRole::Button, "Against")
            .is_none(),
        "no more voting once closed"
    );
}

#[test]
fn switching_the_language_relabels_the_screens_and_is_remembered() {
    let council = Council::new();
    let me = council.deputy(0);
    let mut h = harness(Box::new(NoHost), Some(me.clone()));
    h.run();
    assert!(shows(&h, "Offline"));
    click(&mut h, "Settings");
    click(&mut h, "Українська");

    assert_eq!(h.state().lang(), Lang::Uk);
    assert!(
        h.query_by_role_and_label(AxRole::Button, "Порядок денний")
            .is_some()
    );
    assert!(shows(&h, "Без зв'язку"));
    assert_eq!(
        me.setting_string(council_sync::SETTING_LANGUAGE).as_deref(),
        Some("uk")
    );

    click(&mut h, "Български");
    assert_eq!(h.state().lang(), Lang::Bg);
    assert!(
        h.query_by_role_and_label(AxRole::Button, "Дневен ред")
            .is_some()
    );
    assert!(
        h.query_by_role_and_label(AxRole::Button, "Порядок денний")
            .is_none()
    );
    assert_eq!(
        me.setting_string(council_sync::SETTING_LANGUAGE).as_deref(),
        Some("bg")
    );
}

#[test]
fn a_command_the_rules_refuse_shows_why_in_the_banner() {
    let council = Council::new();
    let me = council.deputy(0);
    let mut h = harness(Box::new(NoHost), Some(me.clone()));
    h.run();
    click(&mut h, "Members");
    assert!(shows(&h, "Депутат 1"));
    assert!(
        h.query_by_role_and_label(AxRole::Button, "Add a member")
            .is_none(),
        "a deputy does not manage the roster"
    );
    click(&mut h, "Agenda");
    type_into(&mut h, "Session label", "Сесія 13");
    click(&mut h, "Create");

    assert_eq!(h.state().errors().len(), 1, "a deputy may not make agendas");
    assert!(h.query_by_label_contains("Not done: not allowed").is_some());
    assert!(me.read(views::agendas).is_empty(), "nothing was signed");
}

#[test]
fn the_secretary_builds_and_publishes_an_agenda_in_order() {
    let council = Council::new();
    let me = council.secretary();
    run(
        &me,
        Command::CreateDraft {
            title: "Про бюджет".into(),
            body: "1. Затвердити.".into(),
        },
    );
    let mut h = harness(Box::new(NoHost), Some(me.clone()));
    h.run();
    click(&mut h, "Agenda");
    type_into(&mut h, "Session label", "Сесія 13");
    click(&mut h, "Create");
    let agenda = me.read(views::agendas).first().expect("an agenda").id;

    h.get_by_label("Dossier to add").click();
    h.run();
    h.get_by_label("Про бюджет").click();
    h.run();
    click(&mut h, "Add a dossier");
    type_into(&mut h, "Item title", "Різне");
    click(&mut h, "Add an item");
    assert!(shows(&h, "2. Різне"));
    h.get_all_by_role_and_label(AxRole::Button, "Move up")
        .nth(1)
        .expect("the second item can move up")
        .click();
    h.run();
    click(&mut h, "Publish");

    let view = me
        .read(|r| views::agenda(r, &agenda, &me.me()))
        .expect("agenda");
    let titles: Vec<&str> = view.items.iter().map(|(_, t, _)| t.as_str()).collect();
    assert_eq!(titles, ["Різне", "Про бюджет"]);
    assert!(view.items[1].2.is_some(), "the dossier is linked");
    assert!(view.published);
    assert!(shows(&h, "1. Різне"));
    assert!(shows(&h, "2. Про бюджет"));
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
}

#[test]
fn accepting_an_amendment_puts_its_text_in_place_of_its_lines() {
    let council = Council::new();
    let (author, colleague) = (council.deputy(0), council.deputy(1));
    let secretary = council.secretary();
    let draft = run(
        &author,
        Command::CreateDraft {
            title: "Про парки".into(),
            body: "1. Облаштувати парк.\n2. Фінансувати з бюджету.".into(),
        },
    );
    give(&author, &colleague);
    run(
        &colleague,
        Command::ProposeAmendment {
            draft,
            from_line: 2,
            to_line: 2,
            text: "2. Фінансувати з резервного фонду.".into(),
            rationale: "Бюджет вичерпано.".into(),
        },
    );
    give(&colleague, &secretary);

    // The secretary decides amendments.
    let mut h = harness(Box::new(NoHost), Some(secretary.clone()));
    h.run();
    h.get_by_label("Про парки").click();
    h.run();
    assert!(shows(&h, "Lines 2–2 · Депутат 2 · Proposed"));
    click(&mut h, "Accept");

    let body = secretary.read(|r| r.documents()[&draft].text(TextField::Body).expect("body"));
    assert_eq!(
        body,
        "1. Облаштувати парк.\n2. Фінансувати з резервного фонду."
    );
    assert!(shows(&h, "Lines 2–2 · Депутат 2 · Accepted"));
    assert_eq!(
        h.query_all_by_label("2. Фінансувати з резервного фонду.")
            .count(),
        2,
        "the editor's line 2 shows the merged text, as the amendment does"
    );
}

#[test]
fn a_colleagues_edit_arriving_from_a_peer_shows_in_the_open_editor() {
    let council = Council::new();
    let (me, secretary) = (council.deputy(0), council.secretary());
    let draft = run(
        &me,
        Command::CreateDraft {
            title: "Про освітлення".into(),
            body: "1. Замінити ліхтарі.".into(),
        },
    );
    give(&me, &secretary);
    let mut h = harness(Box::new(NoHost), Some(me.clone()));
    h.run();
    h.get_by_label("Про освітлення").click();
    h.run();

    let base = secretary.read(|r| r.documents()[&draft].heads());
    secretary
        .run(Command::EditText {
            doc: draft,
            field: TextField::Body,
            base,
            pos: 0,
            del: 0,
            insert: "0. Преамбула.\n".into(),
        })
        .expect("edit");
    give(&secretary, &me);
    h.run();

    // The cursor stays at the start of the text, so line 1 is the one being edited.
    assert_eq!(
        h.get_by_label("Draft text, line 1").value().as_deref(),
        Some("0. Преамбула."),
        "the new first line"
    );
    assert!(shows(&h, "1. Замінити ліхтарі."), "my line moved down");
    assert!(shows(&h, "Editing now: Секретар"));
}

#[test]
fn a_session_the_chair_opens_is_brought_to_the_front() {
    let council = Council::new();
    let (secretary, chair, me) = (council.secretary(), council.chair(), council.deputy(0));
    give(&secretary, &me);
    let mut h = harness(Box::new(NoHost), Some(me.clone()));
    h.run();
    click(&mut h, "Members");
    assert_eq!(h.state().screen(), Some(council_app::ui::Screen::Members));

    // The chair opens a session while this deputy is looking at the roster.
    let (_, _session) = open_session(&secretary, &chair);
    give(&chair, &me);
    give(&secretary, &me);
    h.run();
    assert_eq!(
        h.state().screen(),
        Some(council_app::ui::Screen::Session),
        "the new session comes to the front"
    );
    assert!(shows(&h, "Сесія 12"));

    // Once seen, it is not forced on the person again.
    click(&mut h, "Dossiers");
    h.run();
    assert_eq!(h.state().screen(), Some(council_app::ui::Screen::Dossiers));
}

/// The app of the person holding `engine`, searching with an index in `index`.
fn harness_with_search(engine: Engine, index: PathBuf) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| {
            App::new(cc, Box::new(NoHost), Some(engine))
                .with_language(Lang::En)
                .with_search_dir(&index)
        })
}

#[test]
fn a_cyrillic_word_typed_into_the_search_field_finds_the_draft_and_a_click_opens_it() {
    let council = Council::new();
    let me = council.secretary();
    let draft = run(
        &me,
        Command::CreateDraft {
            title: "Ремонт Шкіл".into(),
            body: "1. Виділити кошти на ремонт шкіл району.".into(),
        },
    );
    let index = tempfile::tempdir().expect("index dir");
    let mut h = harness_with_search(me.clone(), index.path().to_path_buf());
    h.run();
    let service = h.state().search_service().expect("the app searches");
    assert!(
        service.wait_idle(std::time::Duration::from_secs(60)),
        "the index is built"
    );

    // Lower case finds the capitalised title.
    type_into(&mut h, "Search", "шкіл");
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().screen(), Some(Screen::Search));
    assert!(shows(&h, "Ремонт Шкіл"), "the draft is among the hits");
    assert!(!shows(&h, "Nothing found"));

    h.get_by_label("Ремонт Шкіл").click();
    h.run();
    assert_eq!(h.state().screen(), Some(Screen::Dossiers));
    assert!(shows(&h, "Status: Draft"), "draft {draft} is open");
    assert!(h.query_by_label("Draft text, line 1").is_some());
}

#[test]
fn without_a_search_index_the_search_field_is_there_and_says_search_is_unavailable() {
    let council = Council::new();
    let mut h = harness(Box::new(NoHost), Some(council.deputy(0)));
    h.run();
    assert!(h.state().search_service().is_none());
    type_into(&mut h, "Search", "бюджет");
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().screen(), Some(Screen::Search));
    assert!(shows(&h, "Search is not available on this device"));
}

#[test]
fn the_minutes_of_a_session_with_a_closed_vote_show_its_question_and_counts_and_save_as_markdown() {
    use council_app::minutes;

    let council = Council::new();
    let (secretary, chair) = (council.secretary(), council.chair());
    let (d0, d1) = (council.deputy(0), council.deputy(1));
    let (_, session) = open_session(&secretary, &chair);
    sync_all(&[&secretary, &chair, &d0, &d1]);
    let poll = open_poll(&chair, &d0, &d1, session);
    for d in [&d0, &d1] {
        d.run(Command::Vote {
            session,
            poll,
            choice: Choice::For,
        })
        .expect("vote");
    }
    sync_all(&[&chair, &d0, &d1]);
    act(&chair, session, SessionAct::ClosePoll(poll));
    let question = session_view(&chair, session).polls[0].title.clone();
    let expected = chair
        .read(|r| minutes::minutes(r, &session))
        .map(|m| minutes::markdown(&m, minutes::Lang::En))
        .expect("minutes");

    let mut h = harness(Box::new(NoHost), Some(chair.clone()));
    h.run();
    click(&mut h, "Session");
    assert!(
        h.query_by_label("Preview of the minutes").is_none(),
        "the minutes are collapsed at first"
    );
    h.get_by_label("Minutes").click();
    h.run();
    let preview = h
        .get_by_label("Preview of the minutes")
        .accesskit_node()
        .value()
        .expect("the preview's text");
    assert_eq!(preview, expected);
    assert!(preview.contains(&question), "{preview}");
    assert!(
        preview.contains("for 2, against 0, abstained 0"),
        "the counts: {preview}"
    );

    let out = council.dir.path().join("minutes.md");
    let out_str = out.to_str().expect("a UTF-8 path").to_string();
    type_into(&mut h, "Save to (file path)", &out_str);
    click(&mut h, "Save Markdown");
    let written = std::fs::read_to_string(&out).expect("the file is written");
    assert_eq!(written, expected);
    assert!(shows(&h, &format!("Written to {out_str}")));
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
}

#[test]
fn while_the_council_opens_in_the_background_the_window_says_so_then_shows_it() {
    let council = Council::new();
    let me = council.deputy(0);
    let (tx, rx) = std::sync::mpsc::channel();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| {
            App::new(cc, Box::new(NoHost), None)
                .with_language(Lang::En)
                .opening(rx)
        });
    h.step();
    assert!(h.state().is_opening());
    assert!(shows(
        &h,
        "Opening the council on this device: checking every signed item again…"
    ));
    tx.send(Ok(Some(me))).expect("the app waits");
    h.step();
    h.step();
    assert!(!h.state().is_opening());
    assert_eq!(h.state().screen(), Some(council_app::ui::Screen::Dossiers));
}

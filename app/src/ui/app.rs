//! The shell: the welcome screen, then the navigation, the top bar (council, who I am, online or
//! offline), the error banner, and the actions of each frame carried out at its end.

use std::time::Duration;

use egui::{Align, Button, Color32, Layout, RichText, Ui, vec2};

use super::agenda::Agendas;
use super::dossiers::Dossiers;
use super::members::Members;
use super::search::SearchView;
use super::session::Sessions;
use super::settings::Settings;
use super::sync::SyncView;
use super::welcome::{Welcome, WelcomeAct};
use super::widgets::{dot, good_bad};
use super::{Action, After, Cached, Cx};
use crate::engine::{Engine, SyncStatus};
use crate::host::Host;
use crate::i18n::{Lang, Msg};
use crate::search::SearchService;
use crate::views;

/// A screen of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    /// Draft decisions and their dossiers.
    Dossiers,
    /// Agendas of sessions.
    Agenda,
    /// The live session.
    Session,
    /// The roster, committees and invites.
    Members,
    /// The state of synchronisation.
    Sync,
    /// Identity, backup, relay, language.
    Settings,
    /// The hits of the top bar's search field (reached from it, not from the navigation).
    Search,
}

impl Screen {
    /// Every screen, in navigation order.
    pub const ALL: [Screen; 6] = [
        Screen::Dossiers,
        Screen::Agenda,
        Screen::Session,
        Screen::Members,
        Screen::Sync,
        Screen::Settings,
    ];

    fn title(self) -> Msg {
        match self {
            Screen::Dossiers => Msg::NavDossiers,
            Screen::Agenda => Msg::NavAgenda,
            Screen::Session => Msg::NavSession,
            Screen::Members => Msg::NavMembers,
            Screen::Sync => Msg::NavSync,
            Screen::Settings => Msg::NavSettings,
            Screen::Search => Msg::SearchResults,
        }
    }
}

/// Opens the app's window ("Council", 1280×800) and runs it until it is closed. Pass the engine
/// of the council this device already belongs to (from [`Host::open_existing`]), or `None` to
/// start on the welcome screen.
pub fn run_native(host: Box<dyn Host>, engine: Option<Engine>) -> eframe::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Council")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([800.0, 560.0]),
        ..Default::default()
    };
    eframe::run_native(
        "Council",
        options,
        Box::new(move |cc| Ok(Box::new(App::new(cc, host, engine)))),
    )
}

/// The council this device belongs to, being opened off the UI thread (or the reason it could
/// not be, or `None`: it belongs to no council yet).
pub type Opening = std::sync::mpsc::Receiver<Result<Option<Engine>, String>>;

/// Opens the window at once and the device's council behind it: a store holding a whole term
/// is checked item by item again on opening, which takes seconds; the window says so meanwhile.
pub fn run_native_opening(host: Box<dyn Host>, opening: Opening) -> eframe::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Council")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([800.0, 560.0]),
        ..Default::default()
    };
    eframe::run_native(
        "Council",
        options,
        Box::new(move |cc| Ok(Box::new(App::new(cc, host, None).opening(opening)))),
    )
}

/// The desktop app.
pub struct App {
    host: Box<dyn Host>,
    /// The council being opened in the background, until it is.
    opening: Option<Opening>,
    lang: Lang,
    /// The person picked the language (so it is saved once a council exists).
    lang_chosen: bool,
    welcome: Welcome,
    main: Option<Main>,
    errors: Vec<String>,
    notice: Option<String>,
}

/// The screens of a device that belongs to a council.
struct Main {
    engine: Engine,
    screen: Screen,
    shell: Cached<Shell>,
    status: Option<(f64, usize, SyncStatus)>,
    /// Open sessions already brought to the front (`None` before the first frame).
    seen_sessions: Option<std::collections::BTreeSet<crdt_model::session::SessionId>>,
    dossiers: Dossiers,
    agendas: Agendas,
    sessions: Sessions,
    members: Members,
    sync: SyncView,
    settings: Settings,
    /// The search field and screen.
    search: SearchView,
    /// The council's search index, kept up to date from the engine (`None`: no search here).
    search_service: Option<SearchService>,
}

/// What the top bar shows.
struct Shell {
    council: String,
    me: String,
    roles: Vec<crdt_model::Role>,
    /// Sessions open now, newest first.
    live: Vec<crdt_model::session::SessionId>,
}

impl App {
    /// The app, on the welcome screen if `engine` is `None`. Follows the system's light or dark
    /// theme; the language is the one saved on this device, else the environment's.
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        host: Box<dyn Host>,
        engine: Option<Engine>,
    ) -> Self {
        style(&cc.egui_ctx);
        let saved = engine
            .as_ref()
            .and_then(|e| e.setting_string(council_sync::SETTING_LANGUAGE));
        let mut app = App {
            host,
            opening: None,
            lang: Lang::initial(saved.as_deref()),
            lang_chosen: false,
            welcome: Welcome::default(),
            main: engine.map(Main::new),
            errors: Vec::new(),
            notice: None,
        };
        app.start_search();
        app
    }

    /// The same app while the device's council is opened in the background: a waiting screen
    /// until `opening` gives the engine (then the shell) or nothing (then the welcome screen).
    pub fn opening(mut self, opening: Opening) -> Self {
        self.opening = Some(opening);
        self
    }

    /// Whether the council is still being opened.
    pub fn is_opening(&self) -> bool {
        self.opening.is_some()
    }

    fn opening_ui(&mut self, ui: &mut Ui) -> bool {
        let Some(rx) = &self.opening else {
            return false;
        };
        match rx.try_recv() {
            Ok(result) => {
                self.opening = None;
                match result {
                    Ok(Some(engine)) => self.attach(engine),
                    Ok(None) => {}
                    Err(e) => self.errors.push(e),
                }
                ui.ctx().request_repaint();
                false
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.add_space(ui.available_height() / 3.0);
                    ui.vertical_centered(|ui| {
                        ui.spinner();
                        ui.add_space(12.0);
                        ui.label(egui::RichText::new(self.lang.tr(Msg::Opening)).size(20.0));
                    });
                });
                ui.ctx().request_repaint_after(Duration::from_millis(100));
                true
            }
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.opening = None;
                self.errors
                    .push("the council could not be opened (the loader stopped)".into());
                false
            }
        }
    }

    /// The same app searching with an index kept in `dir` (tests give a temporary directory;
    /// the desktop's comes from [`Host::index_dir`]). Does nothing on the welcome screen.
    pub fn with_search_dir(mut self, dir: &std::path::Path) -> Self {
        if let Some(main) = self.main.as_mut()
            && let Err(e) = main.start_search(dir)
        {
            self.errors.push(e);
        }
        self
    }

    /// The search behind the top bar's field, once the device belongs to a council and the
    /// host keeps a search index.
    pub fn search_service(&self) -> Option<&SearchService> {
        self.main.as_ref().and_then(|m| m.search_service.as_ref())
    }

    /// Starts the search if the host keeps an index for the council.
    fn start_search(&mut self) {
        let Some(dir) = self.host.index_dir() else {
            return;
        };
        if let Some(main) = self.main.as_mut()
            && let Err(e) = main.start_search(&dir)
        {
            self.errors.push(e);
        }
    }

    /// The same app in `lang`, without saving it (tests pin the language this way).
    pub fn with_language(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }

    /// The engine, once the device belongs to a council.
    pub fn engine(&self) -> Option<&Engine> {
        self.main.as_ref().map(|m| &m.engine)
    }

    /// The interface language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The screen shown, `None` on the welcome screen.
    pub fn screen(&self) -> Option<Screen> {
        self.main.as_ref().map(|m| m.screen)
    }

    /// Errors shown in the banner (until dismissed).
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    fn attach(&mut self, engine: Engine) {
        let saved = engine
            .setting_string(council_sync::SETTING_LANGUAGE)
            .and_then(|s| Lang::from_code(&s));
        match saved {
            Some(l) if !self.lang_chosen => self.lang = l,
            _ => {
                if let Err(e) =
                    engine.put_setting(council_sync::SETTING_LANGUAGE, Some(self.lang.code()))
                {
                    self.errors.push(e.to_string());
                }
            }
        }
        self.main = Some(Main::new(engine));
        self.start_search();
    }

    fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
        self.lang_chosen = true;
        if let Some(m) = &self.main
            && let Err(e) = m
                .engine
                .put_setting(council_sync::SETTING_LANGUAGE, Some(lang.code()))
        {
            self.errors.push(e.to_string());
        }
    }

    fn welcome_ui(&mut self, ui: &mut Ui) {
        let mut act = None;
        if !self.errors.is_empty() || self.notice.is_some() {
            egui::Panel::top("banner").show(ui, |ui| {
                banner(ui, self.lang, &mut self.errors, &mut self.notice);
            });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            act = self.welcome.ui(ui, self.lang, self.host.as_mut());
        });
        let Some(act) = act else { return };
        let result = match act {
            WelcomeAct::Lang(l) => {
                self.set_lang(l);
                return;
            }
            WelcomeAct::Copy(t) => {
                ui.ctx().copy_text(t);
                self.notice = Some(self.lang.tr(Msg::Copied).to_string());
                return;
            }
            WelcomeAct::Incomplete => Err(self.lang.tr(Msg::NameRequired).to_string()),
            WelcomeAct::Create(new) => self.host.create_council(&new),
            WelcomeAct::Join(ticket) => self.host.join(&ticket),
            WelcomeAct::Demo => self.host.demo(),
        };
        match result {
            Ok(engine) => {
                self.errors.clear();
                self.attach(engine);
            }
            Err(e) => self.errors.push(e),
        }
        ui.ctx().request_repaint();
    }

    /// Carries out the frame's actions, in the order they were queued.
    fn apply(&mut self, ctx: &egui::Context, actions: Vec<Action>) {
        if actions.is_empty() {
            return;
        }
        self.notice = None;
        for action in actions {
            let Some(main) = self.main.as_mut() else {
                return;
            };
            match action {
                Action::Run(cmd, after) => match main.engine.run(cmd) {
                    Ok(made) => main.after(after, made),
                    Err(e) => self.errors.push(e.to_string()),
                },
                Action::EditDraft(splices) => {
                    if let Err(e) = main.dossiers.apply_edits(&main.engine, splices) {
                        self.errors.push(e.to_string());
                    }
                }
                Action::Go(s) => main.screen = s,
                Action::SetLang(l) => self.set_lang(l),
                Action::SaveRelay(url) => {
                    let url = url.trim();
                    let checked = if url.is_empty() {
                        Ok(None)
                    } else {
                        url.parse::<iroh::RelayUrl>()
                            .map(|_| Some(url))
                            .map_err(|e| format!("{url}: {e}"))
                    };
                    match checked.and_then(|u| {
                        main.engine
                            .put_setting(council_sync::SETTING_RELAY, u)
                            .map_err(|e| e.to_string())
                    }) {
                        Ok(()) => self.notice = Some(self.lang.tr(Msg::Saved).to_string()),
                        Err(e) => self.errors.push(e),
                    }
                }
                Action::Backup(path) => {
                    match main.engine.write_backup(std::path::Path::new(path.trim())) {
                        Ok(()) => {
                            self.notice = Some(crate::i18n::backup_written(self.lang, path.trim()))
                        }
                        Err(e) => self.errors.push(e.to_string()),
                    }
                }
                Action::Copy(text) => {
                    ctx.copy_text(text);
                    self.notice = Some(self.lang.tr(Msg::Copied).to_string());
                }
                Action::Error(e) => self.errors.push(e),
                Action::OpenDraft(id) => {
                    main.dossiers.open(id);
                    main.screen = Screen::Dossiers;
                }
                Action::OpenSession(id) => {
                    main.sessions.choose(id);
                    main.screen = Screen::Session;
                }
                Action::OpenAgenda(id) => {
                    main.agendas.created(id);
                    main.screen = Screen::Agenda;
                }
                Action::WriteFile { path, bytes } => {
                    let path = path.trim();
                    match std::fs::write(path, &bytes) {
                        Ok(()) => self.notice = Some(crate::i18n::file_written(self.lang, path)),
                        Err(e) => self.errors.push(format!("{path}: {e}")),
                    }
                }
            }
        }
        ctx.request_repaint();
    }
}

impl Main {
    fn new(engine: Engine) -> Self {
        Main {
            settings: Settings::new(&engine),
            engine,
            screen: Screen::Dossiers,
            shell: Cached::default(),
            status: None,
            seen_sessions: None,
            dossiers: Dossiers::default(),
            agendas: Agendas::default(),
            sessions: Sessions::default(),
            members: Members::default(),
            sync: SyncView,
            search: SearchView::default(),
            search_service: None,
        }
    }

    /// Starts keeping the search index in `dir` up to date from the engine.
    fn start_search(&mut self, dir: &std::path::Path) -> Result<(), String> {
        let service = SearchService::start(dir, &self.engine).map_err(|e| e.to_string())?;
        self.search_service = Some(service);
        Ok(())
    }

    /// Brings a session that has just been opened to the front, as the chair's bell does in the
    /// hall; one already open when the app starts is shown first. Sessions seen once are not
    /// forced on the person again.
    fn follow_sessions(&mut self, open_now: &[crdt_model::session::SessionId]) {
        let first = self.seen_sessions.is_none();
        let seen = self.seen_sessions.get_or_insert_with(Default::default);
        if let Some(new) = open_now.iter().find(|id| !seen.contains(*id))
            && (!first || self.screen == Screen::Dossiers)
        {
            self.sessions.choose(*new);
            self.screen = Screen::Session;
        }
        seen.extend(open_now.iter().copied());
    }

    /// What to do after a command succeeded.
    fn after(&mut self, after: After, made: Option<crdt_model::Hash>) {
        match (after, made) {
            (After::Nothing, _) => {}
            (After::OpenDraft, Some(id)) => {
                self.dossiers.clear_new();
                self.dossiers.open(id);
                self.screen = Screen::Dossiers;
            }
            (After::ClearOpinion, _) => self.dossiers.clear_opinion(),
            (After::ClearAmendment, _) => self.dossiers.clear_amendment(),
            (After::OpenAgenda, Some(id)) => self.agendas.created(id),
            (After::ClearAgendaItem, _) => self.agendas.clear_item(),
            (After::OpenSession, Some(id)) => {
                self.sessions.choose(id);
                self.screen = Screen::Session;
            }
            (After::ClearMember, _) => self.members.clear_form(),
            (_, None) => {}
        }
    }

    /// The sync status, refreshed when items arrive and at least every second.
    fn status(&mut self, now: f64, rev: usize) -> &SyncStatus {
        let fresh = matches!(&self.status, Some((t, r, _)) if *r == rev && now - *t < 1.0);
        if !fresh {
            self.status = None;
        }
        let engine = &self.engine;
        &self
            .status
            .get_or_insert_with(|| (now, rev, engine.sync_status()))
            .2
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if self.opening_ui(ui) {
            return;
        }
        if self.main.is_none() {
            self.welcome_ui(ui);
            ctx.request_repaint_after(Duration::from_secs(1));
            return;
        }
        let lang = self.lang;
        let now = ctx.input(|i| i.time);
        let mut out = Vec::new();
        let mut live = false;
        if let Some(main) = self.main.as_mut() {
            let rev = main.engine.revision();
            let engine = main.engine.clone();
            let shell = main.shell.get(rev, || shell(&engine));
            let (council, me, roles) =
                (shell.council.clone(), shell.me.clone(), shell.roles.clone());
            let open_now = shell.live.clone();
            live = !open_now.is_empty();
            main.follow_sessions(&open_now);
            let offline = main.status(now, rev).offline();
            if let Some(service) = &main.search_service {
                service.refresh(&engine);
            }
            let searchable = main.search_service.is_some();
            egui::Panel::top("top").show(ui, |ui| {
                let bar = TopBar {
                    council: &council,
                    me: &me,
                    roles: &roles,
                    offline,
                    searchable,
                };
                if top_bar(ui, lang, &bar, &mut main.search.field) {
                    main.search.submit();
                    out.push(Action::Go(Screen::Search));
                }
                banner(ui, lang, &mut self.errors, &mut self.notice);
            });
            egui::Panel::left("nav")
                .resizable(false)
                .exact_size(210.0)
                .show(ui, |ui| {
                    ui.add_space(8.0);
                    for s in Screen::ALL {
                        let b = Button::selectable(main.screen == s, lang.tr(s.title()))
                            .min_size(vec2(190.0, 36.0));
                        if ui.add(b).clicked() {
                            out.push(Action::Go(s));
                        }
                    }
                });
            egui::CentralPanel::default().show(ui, |ui| {
                let mut cx = Cx {
                    engine: &engine,
                    lang,
                    rev,
                    out: &mut out,
                };
                match main.screen {
                    Screen::Dossiers => main.dossiers.ui(ui, &mut cx),
                    Screen::Agenda => main.agendas.ui(ui, &mut cx),
                    Screen::Session => main.sessions.ui(ui, &mut cx),
                    Screen::Members => main.members.ui(ui, &mut cx),
                    Screen::Sync => {
                        let status = main.status(now, rev).clone();
                        main.sync.ui(ui, &mut cx, &status);
                    }
                    Screen::Settings => main.settings.ui(ui, &mut cx),
                    Screen::Search => {
                        main.search.ui(ui, &mut cx, main.search_service.as_ref());
                    }
                }
            });
        }
        self.apply(&ctx, out);
        ctx.request_repaint_after(if live {
            Duration::from_millis(250)
        } else {
            Duration::from_secs(1)
        });
    }
}

/// The top bar's data for this member.
fn shell(engine: &Engine) -> Shell {
    let me = engine.me();
    engine.read(|r| {
        let m = views::members(r, &me);
        let row = m.members.iter().find(|row| row.id == me);
        Shell {
            council: m.council.clone(),
            me: row.map(|r| r.name.clone()).unwrap_or_else(|| me.short()),
            roles: row.map(|r| r.roles.clone()).unwrap_or_default(),
            live: views::sessions(r)
                .iter()
                .filter(|s| !s.closed)
                .map(|s| s.id)
                .collect(),
        }
    })
}

/// What the top bar shows this frame.
struct TopBar<'a> {
    council: &'a str,
    me: &'a str,
    roles: &'a [crdt_model::Role],
    offline: bool,
    /// Whether this device can search (else the field says it cannot).
    searchable: bool,
}

/// The council's name, the search field, who I am and whether the device is online. Returns
/// whether Enter was pressed in the search field.
fn top_bar(ui: &mut Ui, lang: Lang, bar: &TopBar<'_>, search: &mut String) -> bool {
    let TopBar {
        council,
        me,
        roles,
        offline,
        searchable,
    } = *bar;
    let mut submitted = false;
    ui.horizontal(|ui| {
        ui.label(RichText::new(council).size(22.0).strong());
        ui.add_space(16.0);
        let label = ui.label(lang.tr(Msg::Search));
        let hint = if searchable {
            lang.tr(Msg::SearchHint)
        } else {
            lang.tr(Msg::SearchUnavailable)
        };
        let field = ui
            .add(
                egui::TextEdit::singleline(search)
                    .desired_width(240.0)
                    .hint_text(hint),
            )
            .labelled_by(label.id)
            .on_hover_text(hint);
        submitted = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            let (msg, good) = if offline {
                (Msg::Offline, false)
            } else {
                (Msg::Online, true)
            };
            let r = ui.label(
                RichText::new(lang.tr(msg))
                    .strong()
                    .size(17.0)
                    .color(good_bad(ui, good)),
            );
            if offline {
                r.on_hover_text(lang.tr(Msg::OfflineShort));
            }
            dot(ui, good_bad(ui, good), 14.0);
            ui.separator();
            let roles: Vec<&str> = roles.iter().map(|r| lang.tr(*r)).collect();
            ui.label(format!(
                "{}: {me} · {}",
                lang.tr(Msg::You),
                roles.join(", ")
            ));
        });
    });
    submitted
}

/// Errors (dismissable) and the last notice.
fn banner(ui: &mut Ui, lang: Lang, errors: &mut Vec<String>, notice: &mut Option<String>) {
    if !errors.is_empty() {
        let fill = if ui.visuals().dark_mode {
            Color32::from_rgb(0x5a, 0x1d, 0x1d)
        } else {
            Color32::from_rgb(0xfd, 0xe2, 0xe1)
        };
        egui::Frame::new()
            .fill(fill)
            .inner_margin(8.0)
            .corner_radius(4.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.vertical(|ui| {
                        for e in errors.iter() {
                            ui.label(
                                RichText::new(format!("{} {e}", lang.tr(Msg::NotDone))).strong(),
                            );
                        }
                    });
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        if ui.button(lang.tr(Msg::Dismiss)).clicked() {
                            errors.clear();
                        }
                    });
                });
            });
    }
    if let Some(n) = notice.as_deref() {
        ui.label(RichText::new(n).color(good_bad(ui, true)));
    }
}

/// The system's light or dark theme, readable sizes, roomy buttons.
fn style(ctx: &egui::Context) {
    use egui::FontFamily::{Monospace, Proportional};
    use egui::{FontId, TextStyle};
    ctx.set_theme(egui::ThemePreference::System);
    ctx.all_styles_mut(|s| {
        s.text_styles = [
            (TextStyle::Heading, FontId::new(22.0, Proportional)),
            (TextStyle::Body, FontId::new(16.0, Proportional)),
            (TextStyle::Button, FontId::new(16.0, Proportional)),
            (TextStyle::Monospace, FontId::new(15.0, Monospace)),
            (TextStyle::Small, FontId::new(12.5, Proportional)),
        ]
        .into();
        s.spacing.item_spacing = vec2(8.0, 6.0);
        s.spacing.button_padding = vec2(10.0, 5.0);
        s.spacing.interact_size.y = 26.0;
    });
}

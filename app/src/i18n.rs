//! The app's three languages: Ukrainian, Bulgarian and English.
//!
//! Every string the screens show is a [`Msg`]; each language is one exhaustive `match` over it
//! (`i18n/en.rs`, `i18n/uk.rs`, `i18n/bg.rs`), so the compiler proves every message is translated
//! in all three. The domain's enums (statuses, choices, roles…) convert into messages, and the
//! few sentences with numbers in them are small functions here.

mod bg;
mod en;
mod uk;

use crdt_model::log::AmendmentStatus;
use crdt_model::rules::Counts;
use crdt_model::session::{CheckName, Choice, FloorKind, ItemStatus, Outcome, VoterResult};
use crdt_model::{DraftStatus, Role};

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Українська.
    Uk,
    /// Български.
    Bg,
    /// English.
    #[default]
    En,
}

impl Lang {
    /// Every language, in the order the settings list them.
    pub const ALL: [Lang; 3] = [Lang::Uk, Lang::Bg, Lang::En];

    /// The code saved in the device's settings (`uk`, `bg`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Uk => "uk",
            Lang::Bg => "bg",
            Lang::En => "en",
        }
    }

    /// The language's own name, the same in every language (so a person finds theirs).
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Uk => "Українська",
            Lang::Bg => "Български",
            Lang::En => "English",
        }
    }

    /// Parses a saved code or a locale such as `uk_UA.UTF-8`; `None` for any other language.
    pub fn from_code(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase();
        let language = code.split(['_', '-', '.', '@']).next().unwrap_or_default();
        Lang::ALL.into_iter().find(|l| l.code() == language)
    }

    /// The language to start in: the saved setting, else the environment's locale (`LC_ALL`,
    /// `LC_MESSAGES`, `LANG`) when it is Ukrainian or Bulgarian, else English.
    pub fn initial(saved: Option<&str>) -> Lang {
        if let Some(l) = saved.and_then(Lang::from_code) {
            return l;
        }
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .and_then(|v| Lang::from_code(&v))
            .unwrap_or_default()
    }

    /// `msg` in this language.
    pub fn tr(self, msg: impl Into<Msg>) -> &'static str {
        msg.into().text(self)
    }
}

/// Declares [`Msg`] and [`Msg::ALL`] from one list, so the list of every message cannot miss one.
macro_rules! messages {
    ($($v:ident,)*) => {
        /// Every message of the interface. Its English text (in `i18n/en.rs`) says what it is.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg {
            $(
                #[doc = concat!("The message `", stringify!($v), "`.")]
                $v,
            )*
        }

        impl Msg {
            /// Every message, in declaration order.
            pub const ALL: &'static [Msg] = &[$(Msg::$v,)*];
        }
    };
}

messages! {
    // The shell.
    NavDossiers,
    NavAgenda,
    NavSession,
    NavMembers,
    NavSync,
    NavSettings,
    Online,
    Offline,
    OfflineShort,
    NotDone,
    Dismiss,
    You,
    Copy,
    Copied,
    Opening,
    Back,
    Save,
    Saved,
    Create,
    Remove,
    Any,
    Name,
    // Welcome.
    WelcomeTitle,
    WelcomeIntro,
    CreateCouncil,
    CouncilName,
    YourName,
    Seats,
    Preset,
    PresetUkraine,
    PresetBulgaria,
    JoinCouncil,
    InviteTicket,
    Join,
    TryDemo,
    DemoHint,
    OpenDemo,
    YourKey,
    YourKeyHint,
    NameRequired,
    // Dossiers and drafts.
    NewDraft,
    Title,
    Text,
    Status,
    Committee,
    Author,
    SearchTitles,
    NoDossiers,
    Opinions,
    Amendments,
    DossierAuthors,
    EditingNow,
    ReadOnlyDraft,
    MoveTo,
    ReferTo,
    Recommendation,
    RecSupport,
    RecReject,
    RecAmend,
    WriteOpinion,
    NoOpinions,
    NoAmendments,
    Rationale,
    Accept,
    Reject,
    ProposeAmendment,
    FromLine,
    ToLine,
    Propose,
    Attachments,
    NoAttachments,
    History,
    NoHistory,
    CompareVersions,
    EarlierVersion,
    LaterVersion,
    // Agendas.
    Agendas,
    NewAgenda,
    SessionLabel,
    NoAgendas,
    Published,
    NotPublished,
    AddDossier,
    AddItem,
    ItemTitle,
    MoveUp,
    MoveDown,
    Publish,
    OpenSession,
    EmptyAgenda,
    PickDossier,
    // The live session.
    Sessions,
    NoSession,
    SessionClosed,
    IAmPresent,
    RegisteredPresent,
    LeaveHall,
    QuorumPresent,
    NoQuorum,
    PresentMembers,
    AgendaItems,
    CurrentItem,
    SpeakersQueue,
    NoSpeakers,
    Speaking,
    NobodySpeaking,
    RequestToSpeak,
    FloorKindLabel,
    Withdraw,
    YourRequestWaiting,
    ChairControls,
    StartItem,
    EndItem,
    GiveFloor,
    EndSpeech,
    OpenPoll,
    ClosePoll,
    CloseSession,
    Vote,
    YourVote,
    NotVotedYet,
    NotEligible,
    VotedMembers,
    NotVotedMembers,
    PollOpen,
    PollClosed,
    Result,
    Verified,
    NotVerified,
    FailedChecks,
    // Members.
    Roster,
    Roles,
    Committees,
    Contact,
    RemovedMember,
    CommitteeHead,
    CommitteeMembers,
    NoCommittees,
    AddMember,
    MemberKey,
    Invite,
    InviteHint,
    QrTooLong,
    VoidedTitle,
    VoidedHint,
    VoidRevoked,
    VoidLostMutual,
    VoidDependsOnVoid,
    VoidSession,
    VoidEdit,
    // Sync.
    Networked,
    NotNetworked,
    ConnectedPeers,
    NoPeers,
    LinkDirect,
    LinkRelay,
    LinkUnknown,
    ItemsHeld,
    ItemsPending,
    LastRefusals,
    NoRefusals,
    Relay,
    NoRelay,
    OfflineSentence,
    // Settings.
    Identity,
    Backup,
    BackupPath,
    ExportBackup,
    BackupWarning,
    BackupWritten,
    RelayUrl,
    RelayNote,
    Language,
    // Search.
    Search,
    SearchResults,
    SearchUnavailable,
    SearchHint,
    Indexing,
    NothingFound,
    SearchFailed,
    FilterAll,
    FilterDrafts,
    FilterDecisions,
    FilterOpinions,
    FilterAmendments,
    FilterMinutes,
    KindDraft,
    KindDecision,
    KindOpinion,
    KindAmendment,
    KindAgenda,
    KindNote,
    KindMinutes,
    // Minutes.
    Minutes,
    MinutesPreview,
    MinutesPath,
    SavePdf,
    SaveHtml,
    SaveMarkdown,
    PathRequired,
    FileWritten,
    MinutesFailed,
    ApproveMinutes,
    MinutesApproved,
    MinutesNotApproved,
    ApprovedBy,
    MatchesRecord,
    DiffersFromRecord,
    // Domain: draft statuses.
    DraftDraft,
    DraftSubmitted,
    DraftInCommittee,
    DraftOnAgenda,
    DraftAdopted,
    DraftRejected,
    DraftWithdrawn,
    DraftReferredBack,
    // Amendment statuses.
    AmendProposed,
    AmendAccepted,
    AmendRejected,
    AmendWithdrawn,
    // Floor kinds.
    FloorSpeech,
    FloorPro,
    FloorContra,
    FloorReply,
    FloorPointOfOrder,
    // Choices.
    ChoiceFor,
    ChoiceAgainst,
    ChoiceAbstain,
    // Outcomes.
    OutcomeAdopted,
    OutcomeNotAdopted,
    // How a member stands in a poll.
    DidNotVote,
    Recused,
    Absent,
    // Roles.
    RoleChair,
    RoleDeputyChair,
    RoleSecretary,
    RoleDeputy,
    RoleObserver,
    RoleReplica,
    // Agenda item statuses.
    ItemWaiting,
    ItemInProgress,
    ItemDone,
    ItemPostponed,
    ItemRemoved,
    // Verification checks.
    CheckOpenStatement,
    CheckSignatures,
    CheckBallotsBoundToPoll,
    CheckEligibility,
    CheckOneVotePerDeputy,
    CheckCloseStatement,
    CheckCloseCommitment,
    CheckCounts,
    CheckOutcome,
    CheckAllBallotsCounted,
    OmittedBallots,
}

impl Msg {
    /// The message in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Uk => uk::text(self),
            Lang::Bg => bg::text(self),
            Lang::En => en::text(self),
        }
    }
}

impl From<DraftStatus> for Msg {
    fn from(s: DraftStatus) -> Msg {
        match s {
            DraftStatus::Draft => Msg::DraftDraft,
            DraftStatus::Submitted => Msg::DraftSubmitted,
            DraftStatus::InCommittee => Msg::DraftInCommittee,
            DraftStatus::OnAgenda => Msg::DraftOnAgenda,
            DraftStatus::Adopted => Msg::DraftAdopted,
            DraftStatus::Rejected => Msg::DraftRejected,
            DraftStatus::Withdrawn => Msg::DraftWithdrawn,
            DraftStatus::ReferredBack => Msg::DraftReferredBack,
        }
    }
}

impl From<AmendmentStatus> for Msg {
    fn from(s: AmendmentStatus) -> Msg {
        match s {
            AmendmentStatus::Proposed => Msg::AmendProposed,
            AmendmentStatus::Accepted => Msg::AmendAccepted,
            AmendmentStatus::Rejected => Msg::AmendRejected,
            AmendmentStatus::Withdrawn => Msg::AmendWithdrawn,
        }
    }
}

impl From<FloorKind> for Msg {
    fn from(k: FloorKind) -> Msg {
        match k {
            FloorKind::Speech => Msg::FloorSpeech,
            FloorKind::Pro => Msg::FloorPro,
            FloorKind::Contra => Msg::FloorContra,
            FloorKind::Reply => Msg::FloorReply,
            FloorKind::PointOfOrder => Msg::FloorPointOfOrder,
        }
    }
}

impl From<Choice> for Msg {
    fn from(c: Choice) -> Msg {
        match c {
            Choice::For => Msg::ChoiceFor,
            Choice::Against => Msg::ChoiceAgainst,
            Choice::Abstain => Msg::ChoiceAbstain,
        }
    }
}

impl From<Outcome> for Msg {
    fn from(o: Outcome) -> Msg {
        match o {
            Outcome::Adopted => Msg::OutcomeAdopted,
            Outcome::NotAdopted => Msg::OutcomeNotAdopted,
        }
    }
}

impl From<VoterResult> for Msg {
    fn from(v: VoterResult) -> Msg {
        match v {
            VoterResult::Voted(c) => c.into(),
            VoterResult::DidNotVote => Msg::DidNotVote,
            VoterResult::Recused => Msg::Recused,
            VoterResult::Absent => Msg::Absent,
        }
    }
}

impl From<Role> for Msg {
    fn from(r: Role) -> Msg {
        match r {
            Role::Chair => Msg::RoleChair,
            Role::DeputyChair => Msg::RoleDeputyChair,
            Role::Secretary => Msg::RoleSecretary,
            Role::Deputy => Msg::RoleDeputy,
            Role::Observer => Msg::RoleObserver,
            Role::Replica => Msg::RoleReplica,
        }
    }
}

impl From<&ItemStatus> for Msg {
    fn from(s: &ItemStatus) -> Msg {
        match s {
            ItemStatus::Waiting => Msg::ItemWaiting,
            ItemStatus::InProgress => Msg::ItemInProgress,
            ItemStatus::Done => Msg::ItemDone,
            ItemStatus::Postponed => Msg::ItemPostponed,
            ItemStatus::Removed { .. } => Msg::ItemRemoved,
        }
    }
}

impl From<CheckName> for Msg {
    fn from(c: CheckName) -> Msg {
        match c {
            CheckName::OpenStatement => Msg::CheckOpenStatement,
            CheckName::Signatures => Msg::CheckSignatures,
            CheckName::BallotsBoundToPoll => Msg::CheckBallotsBoundToPoll,
            CheckName::Eligibility => Msg::CheckEligibility,
            CheckName::OneVotePerDeputy => Msg::CheckOneVotePerDeputy,
            CheckName::CloseStatement => Msg::CheckCloseStatement,
            CheckName::CloseCommitment => Msg::CheckCloseCommitment,
            CheckName::Counts => Msg::CheckCounts,
            CheckName::Outcome => Msg::CheckOutcome,
            CheckName::AllBallotsCounted => Msg::CheckAllBallotsCounted,
        }
    }
}

impl From<crate::search::Kind> for Msg {
    fn from(k: crate::search::Kind) -> Msg {
        use crate::search::Kind;
        match k {
            Kind::Draft => Msg::KindDraft,
            Kind::Decision => Msg::KindDecision,
            Kind::Opinion => Msg::KindOpinion,
            Kind::Amendment => Msg::KindAmendment,
            Kind::Agenda => Msg::KindAgenda,
            Kind::Note => Msg::KindNote,
            Kind::Minutes => Msg::KindMinutes,
        }
    }
}

impl From<crate::search::Status> for Msg {
    fn from(s: crate::search::Status) -> Msg {
        match s {
            crate::search::Status::Draft(s) => s.into(),
            crate::search::Status::Amendment(s) => s.into(),
        }
    }
}

impl From<Lang> for crate::minutes::Lang {
    /// Minutes are written in the interface's language.
    fn from(l: Lang) -> crate::minutes::Lang {
        match l {
            Lang::Uk => crate::minutes::Lang::Uk,
            Lang::Bg => crate::minutes::Lang::Bg,
            Lang::En => crate::minutes::Lang::En,
        }
    }
}

/// A committee's recommendation as stored ("support", "reject", "amend"), in `lang`; any other
/// word is shown as it is.
pub fn recommendation(lang: Lang, stored: &str) -> String {
    match stored {
        "support" => lang.tr(Msg::RecSupport).to_string(),
        "reject" => lang.tr(Msg::RecReject).to_string(),
        "amend" => lang.tr(Msg::RecAmend).to_string(),
        other => other.to_string(),
    }
}

/// "Quorum: 3 present, 3 needed (5 seats)".
pub fn quorum(lang: Lang, present: usize, needed: u32, seats: u32) -> String {
    match lang {
        Lang::Uk => format!("Кворум: присутні {present}, потрібно {needed} (склад ради {seats})"),
        Lang::Bg => {
            format!("Кворум: присъстват {present}, необходими {needed} (общо {seats} съветници)")
        }
        Lang::En => format!("Quorum: {present} present, {needed} needed ({seats} seats)"),
    }
}

/// "For 3, against 1, abstained 0".
pub fn counts(lang: Lang, c: &Counts) -> String {
    let (f, a, b) = (c.for_, c.against, c.abstain);
    match lang {
        Lang::Uk => format!("За: {f}, проти: {a}, утрималися: {b}"),
        Lang::Bg => format!("За: {f}, против: {a}, въздържали се: {b}"),
        Lang::En => format!("For: {f}, against: {a}, abstained: {b}"),
    }
}

/// "Voted: 3 of 4".
pub fn voted_of(lang: Lang, voted: usize, eligible: usize) -> String {
    match lang {
        Lang::Uk => format!("Проголосували: {voted} з {eligible}"),
        Lang::Bg => format!("Гласували: {voted} от {eligible}"),
        Lang::En => format!("Voted: {voted} of {eligible}"),
    }
}

/// "Lines 2–4" (or "Before line 3" for an insertion).
pub fn lines(lang: Lang, from: u32, to: u32) -> String {
    match (lang, to < from) {
        (Lang::Uk, true) => format!("Вставка перед рядком {from}"),
        (Lang::Bg, true) => format!("Вмъкване преди ред {from}"),
        (Lang::En, true) => format!("Insert before line {from}"),
        (Lang::Uk, false) => format!("Рядки {from}–{to}"),
        (Lang::Bg, false) => format!("Редове {from}–{to}"),
        (Lang::En, false) => format!("Lines {from}–{to}"),
    }
}

/// "12 edits" (the size of one change in the history).
pub fn edits(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Uk => format!("змін: {n}"),
        Lang::Bg => format!("промени: {n}"),
        Lang::En => format!("{n} edits"),
    }
}

/// A file size as a person reads it: "512 B", "1.5 KB", "2.0 MB".
pub fn human_size(lang: Lang, bytes: u64) -> String {
    let (b, kb, mb, gb) = match lang {
        Lang::Uk => ("Б", "КБ", "МБ", "ГБ"),
        Lang::Bg => ("Б", "КБ", "МБ", "ГБ"),
        Lang::En => ("B", "KB", "MB", "GB"),
    };
    let x = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} {b}")
    } else if x < 1024.0 * 1024.0 {
        format!("{:.1} {kb}", x / 1024.0)
    } else if x < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} {mb}", x / (1024.0 * 1024.0))
    } else {
        format!("{:.1} {gb}", x / (1024.0 * 1024.0 * 1024.0))
    }
}

/// "Backup written to /path".
pub fn backup_written(lang: Lang, path: &str) -> String {
    format!("{} {path}", lang.tr(Msg::BackupWritten))
}

/// "Written to /path".
pub fn file_written(lang: Lang, path: &str) -> String {
    format!("{} {path}", lang.tr(Msg::FileWritten))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message, so the tests can look at each one in each language.
    fn all() -> Vec<Msg> {
        Msg::ALL.to_vec()
    }

    #[test]
    fn no_message_is_empty_in_any_language() {
        let msgs = all();
        assert!(msgs.len() > 150, "the list of messages is complete");
        for m in msgs {
            for l in Lang::ALL {
                assert!(!m.text(l).trim().is_empty(), "{m:?} is empty in {l:?}");
            }
        }
    }

    #[test]
    fn ukrainian_and_bulgarian_differ_from_english() {
        for m in [
            Msg::NavAgenda,
            Msg::NavDossiers,
            Msg::IAmPresent,
            Msg::ChoiceFor,
            Msg::ChoiceAgainst,
            Msg::ChoiceAbstain,
            Msg::Verified,
            Msg::NewDraft,
            Msg::QuorumPresent,
            Msg::OfflineSentence,
        ] {
            assert_ne!(m.text(Lang::Uk), m.text(Lang::En), "{m:?} in Ukrainian");
            assert_ne!(m.text(Lang::Bg), m.text(Lang::En), "{m:?} in Bulgarian");
        }
        assert_eq!(Lang::Uk.tr(Msg::NavAgenda), "Порядок денний");
        assert_eq!(Lang::Bg.tr(Msg::NavAgenda), "Дневен ред");
        assert_eq!(Lang::Uk.tr(Choice::Abstain), "Утримався");
        assert_eq!(Lang::Bg.tr(Choice::Against), "Против");
    }

    #[test]
    fn every_message_renders_with_the_bundled_fonts() {
        let ctx = egui::Context::default();
        let mut out = ctx.run_ui(egui::RawInput::default(), |_| {});
        out.textures_delta.clear();
        let font = egui::FontId::proportional(16.0);
        let mut missing = Vec::new();
        for m in all() {
            for l in Lang::ALL {
                let text = m.text(l);
                let ok = ctx.fonts_mut(|f| f.has_glyphs(&font, text));
                if !ok {
                    let chars: String = text
                        .chars()
                        .filter(|c| !ctx.fonts_mut(|f| f.has_glyph(&font, *c)))
                        .collect();
                    missing.push(format!("{m:?} in {l:?}: {chars:?}"));
                }
            }
        }
        for l in Lang::ALL {
            let samples = [
                quorum(l, 1, 2, 3),
                counts(l, &Counts::default()),
                lines(l, 1, 2),
                lines(l, 2, 1),
                human_size(l, 5000),
                l.native_name().to_string(),
            ];
            for text in samples {
                if !ctx.fonts_mut(|f| f.has_glyphs(&font, &text)) {
                    let chars: String = text
                        .chars()
                        .filter(|c| !ctx.fonts_mut(|f| f.has_glyph(&font, *c)))
                        .collect();
                    missing.push(format!("{text:?}: {chars:?}"));
                }
            }
        }
        assert!(missing.is_empty(), "glyphs missing: {missing:#?}");
    }

    #[test]
    fn languages_come_from_codes_and_locales() {
        assert_eq!(Lang::from_code("uk"), Some(Lang::Uk));
        assert_eq!(Lang::from_code("uk_UA.UTF-8"), Some(Lang::Uk));
        assert_eq!(Lang::from_code("bg_BG"), Some(Lang::Bg));
        assert_eq!(Lang::from_code("en"), Some(Lang::En));
        assert_eq!(Lang::from_code("C.UTF-8"), None);
        assert_eq!(Lang::initial(Some("bg")), Lang::Bg);
        for l in Lang::ALL {
            assert_eq!(Lang::from_code(l.code()), Some(l));
        }
    }

    #[test]
    fn sizes_read_like_a_person_would_say_them() {
        assert_eq!(human_size(Lang::En, 512), "512 B");
        assert_eq!(human_size(Lang::En, 1536), "1.5 KB");
        assert_eq!(human_size(Lang::Uk, 3 * 1024 * 1024), "3.0 МБ");
    }
}

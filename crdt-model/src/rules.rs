//! The council's rules of procedure, as data: seats, quorum, majorities, speech limits, and who
//! may do what. They live in the genesis record and can be amended by a log operation, so every
//! peer judges every write by the same rules at the same point of the log.

use crate::encoding::{DecodeError, Reader, Writer};
use crate::roles::{Role, Roles};

/// How large a share of a base is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Threshold {
    /// Strictly more than half: `floor(base / 2) + 1`.
    MoreThanHalf = 0,
    /// At least two thirds: `ceil(2 * base / 3)`.
    TwoThirds = 1,
    /// At least three quarters: `ceil(3 * base / 4)`.
    ThreeQuarters = 2,
    /// At least four fifths: `ceil(4 * base / 5)`.
    FourFifths = 3,
    /// All of the base.
    Unanimous = 4,
}

impl Threshold {
    /// Every threshold, in tag order.
    pub const ALL: [Threshold; 5] = [
        Threshold::MoreThanHalf,
        Threshold::TwoThirds,
        Threshold::ThreeQuarters,
        Threshold::FourFifths,
        Threshold::Unanimous,
    ];

    /// The smallest count that meets the threshold over `base`. Never zero: a threshold over an
    /// empty base cannot be met (no poll is adopted by nobody).
    pub fn required(self, base: u32) -> u32 {
        u32::try_from(self.required_wide(u64::from(base))).unwrap_or(u32::MAX)
    }

    /// [`Threshold::required`] over a base that may exceed `u32` (the sum of a hostile close's
    /// stated counts): computed in `u64`, which cannot overflow for any base below `2^61`.
    pub fn required_wide(self, base: u64) -> u64 {
        let b = base.min(1 << 61);
        let r = match self {
            Threshold::MoreThanHalf => b / 2 + 1,
            Threshold::TwoThirds => (2 * b).div_ceil(3),
            Threshold::ThreeQuarters => (3 * b).div_ceil(4),
            Threshold::FourFifths => (4 * b).div_ceil(5),
            Threshold::Unanimous => b,
        };
        r.max(1)
    }

    fn from_tag(tag: u8) -> Result<Self, DecodeError> {
        Threshold::ALL
            .get(tag as usize)
            .copied()
            .ok_or(DecodeError::BadTag {
                what: "threshold",
                tag,
            })
    }

    /// Stable name for the format and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Threshold::MoreThanHalf => "more-than-half",
            Threshold::TwoThirds => "two-thirds",
            Threshold::ThreeQuarters => "three-quarters",
            Threshold::FourFifths => "four-fifths",
            Threshold::Unanimous => "unanimous",
        }
    }
}

/// What the threshold is taken of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Base {
    /// Votes for plus votes against (abstentions do not count).
    VotesForAgainst = 0,
    /// All votes cast, abstentions included.
    VotesCast = 1,
    /// Members of the body present when the poll closes (eligible voters at opening).
    Present = 2,
    /// All seats of the body ("majority of the composition").
    AllSeats = 3,
}

impl Base {
    /// Every base, in tag order.
    pub const ALL: [Base; 4] = [
        Base::VotesForAgainst,
        Base::VotesCast,
        Base::Present,
        Base::AllSeats,
    ];

    fn from_tag(tag: u8) -> Result<Self, DecodeError> {
        Base::ALL
            .get(tag as usize)
            .copied()
            .ok_or(DecodeError::BadTag {
                what: "majority base",
                tag,
            })
    }

    /// Stable name for the format and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Base::VotesForAgainst => "votes-for-against",
            Base::VotesCast => "votes-cast",
            Base::Present => "present",
            Base::AllSeats => "all-seats",
        }
    }
}

/// A majority rule: a threshold of votes *for* over a base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MajorityRule {
    /// The share needed.
    pub threshold: Threshold,
    /// What it is a share of.
    pub base: Base,
}

impl MajorityRule {
    /// The base count for a poll with these counts, in `u64`: the counts come from outside (a
    /// close states them) and their sum can exceed `u32`.
    pub fn base_count(&self, counts: &Counts, present: u32, seats: u32) -> u64 {
        let (f, a, x) = (
            u64::from(counts.for_),
            u64::from(counts.against),
            u64::from(counts.abstain),
        );
        match self.base {
            Base::VotesForAgainst => f + a,
            Base::VotesCast => f + a + x,
            Base::Present => u64::from(present),
            Base::AllSeats => u64::from(seats),
        }
    }

    /// Votes *for* needed, in `u64` (see [`MajorityRule::base_count`]).
    pub fn required_wide(&self, counts: &Counts, present: u32, seats: u32) -> u64 {
        self.threshold
            .required_wide(self.base_count(counts, present, seats))
    }

    /// Votes *for* needed, as shown (at most `u32::MAX`).
    pub fn required(&self, counts: &Counts, present: u32, seats: u32) -> u32 {
        u32::try_from(self.required_wide(counts, present, seats)).unwrap_or(u32::MAX)
    }

    /// Whether a poll with these counts is adopted under this rule.
    pub fn is_met(&self, counts: &Counts, present: u32, seats: u32) -> bool {
        u64::from(counts.for_) >= self.required_wide(counts, present, seats)
    }

    /// Encodes as two bytes: threshold tag, base tag.
    pub fn encode(&self, w: &mut Writer) {
        w.u8(self.threshold as u8).u8(self.base as u8);
    }

    /// Decodes [`MajorityRule::encode`].
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(MajorityRule {
            threshold: Threshold::from_tag(r.u8("threshold")?)?,
            base: Base::from_tag(r.u8("majority base")?)?,
        })
    }
}

/// Counts of a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Counts {
    /// Votes for.
    pub for_: u32,
    /// Votes against.
    pub against: u32,
    /// Abstentions.
    pub abstain: u32,
}

/// The workflow status of a draft decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum DraftStatus {
    /// Being written by its authors.
    Draft = 0,
    /// Submitted to the council by its authors.
    Submitted = 1,
    /// Referred to a committee for an opinion.
    InCommittee = 2,
    /// Put on a session's agenda.
    OnAgenda = 3,
    /// Adopted by a vote: now a decision.
    Adopted = 4,
    /// Rejected by a vote.
    Rejected = 5,
    /// Withdrawn by its authors.
    Withdrawn = 6,
    /// Sent back for rework.
    ReferredBack = 7,
}

impl DraftStatus {
    /// Every status, in tag order.
    pub const ALL: [DraftStatus; 8] = [
        DraftStatus::Draft,
        DraftStatus::Submitted,
        DraftStatus::InCommittee,
        DraftStatus::OnAgenda,
        DraftStatus::Adopted,
        DraftStatus::Rejected,
        DraftStatus::Withdrawn,
        DraftStatus::ReferredBack,
    ];

    /// Decodes a tag.
    pub fn from_tag(tag: u8) -> Result<Self, DecodeError> {
        DraftStatus::ALL
            .get(tag as usize)
            .copied()
            .ok_or(DecodeError::BadTag {
                what: "draft status",
                tag,
            })
    }

    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            DraftStatus::Draft => "draft",
            DraftStatus::Submitted => "submitted",
            DraftStatus::InCommittee => "in-committee",
            DraftStatus::OnAgenda => "on-agenda",
            DraftStatus::Adopted => "adopted",
            DraftStatus::Rejected => "rejected",
            DraftStatus::Withdrawn => "withdrawn",
            DraftStatus::ReferredBack => "referred-back",
        }
    }
}

/// Who may take a step: roles, plus relations to the document that are not roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Who(pub u16);

impl Who {
    /// The draft's authors.
    pub const AUTHORS: u16 = 1 << 8;
    /// The head of the committee the draft is referred to.
    pub const COMMITTEE_HEAD: u16 = 1 << 9;
    /// Bits with a meaning.
    pub const VALID_BITS: u16 = Roles::VALID_BITS as u16 | Self::AUTHORS | Self::COMMITTEE_HEAD;

    /// Holders of any of `roles`, plus the relations in `extra`.
    pub fn roles(roles: &[Role], extra: u16) -> Who {
        Who(u16::from(Roles::of(roles).0) | extra)
    }

    /// The role part.
    pub fn role_set(self) -> Roles {
        Roles((self.0 & 0xff) as u8)
    }

    /// Whether the draft's authors qualify.
    pub fn authors(self) -> bool {
        self.0 & Self::AUTHORS != 0
    }

    /// Whether the referred committee's head qualifies.
    pub fn committee_head(self) -> bool {
        self.0 & Self::COMMITTEE_HEAD != 0
    }
}

/// One allowed move of a draft between statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    /// Status before.
    pub from: DraftStatus,
    /// Status after.
    pub to: DraftStatus,
    /// Who may make it.
    pub who: Who,
}

/// Who may sign each kind of roster and rules operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permissions {
    /// Add a member.
    pub add_member: Roles,
    /// Remove a member.
    pub remove_member: Roles,
    /// Change a member's roles.
    pub set_roles: Roles,
    /// Create committees and set their members and heads.
    pub committees: Roles,
    /// Amend these rules.
    pub amend_rules: Roles,
    /// Accept or reject an amendment (recording the outcome of its vote).
    pub decide_amendments: Roles,
    /// Build and publish agendas.
    pub agenda: Roles,
}

/// Maximum speaking time per kind of request, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpeechLimits {
    /// A speech on the item.
    pub speech: u32,
    /// A speech for.
    pub pro: u32,
    /// A speech against.
    pub contra: u32,
    /// A reply.
    pub reply: u32,
    /// A point of order.
    pub point_of_order: u32,
}

/// The rules of procedure of one council.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rules {
    /// Total seats of the council (its "composition").
    pub seats: u32,
    /// Share of the body's seats that must be present for it to act.
    pub quorum: Threshold,
    /// The majority a poll uses unless it names another.
    pub default_majority: MajorityRule,
    /// Whether the chair may name another majority rule when opening a poll.
    pub allow_poll_override: bool,
    /// Speaking time limits.
    pub speech: SpeechLimits,
    /// Who may sign roster, committee and rules operations.
    pub permissions: Permissions,
    /// The allowed moves of a draft and who may make each.
    pub workflow: Vec<Transition>,
}

const MAX_WORKFLOW: usize = 256;

impl Rules {
    /// Ukrainian practice: quorum and adoption by more than half of the total composition.
    pub fn ukraine(seats: u32) -> Rules {
        Rules {
            seats,
            quorum: Threshold::MoreThanHalf,
            default_majority: MajorityRule {
                threshold: Threshold::MoreThanHalf,
                base: Base::AllSeats,
            },
            allow_poll_override: true,
            speech: SpeechLimits {
                speech: 300,
                pro: 180,
                contra: 180,
                reply: 60,
                point_of_order: 60,
            },
            permissions: Permissions::standard(),
            workflow: standard_workflow(),
        }
    }

    /// Bulgarian practice: quorum of more than half of all councillors, adoption by more than
    /// half of those present.
    pub fn bulgaria(seats: u32) -> Rules {
        Rules {
            default_majority: MajorityRule {
                threshold: Threshold::MoreThanHalf,
                base: Base::Present,
            },
            ..Rules::ukraine(seats)
        }
    }

    /// The transition from `from` to `to`, if the rules allow one.
    pub fn transition(&self, from: DraftStatus, to: DraftStatus) -> Option<&Transition> {
        self.workflow.iter().find(|t| t.from == from && t.to == to)
    }

    /// Members needed present for quorum in a body of `seats`.
    pub fn quorum_needed(&self, seats: u32) -> u32 {
        self.quorum.required(seats)
    }

    /// Canonical encoding (see `docs/format.md`, "Rules").
    pub fn encode(&self, w: &mut Writer) {
        w.u32(self.seats).u8(self.quorum as u8);
        self.default_majority.encode(w);
        w.bool(self.allow_poll_override);
        let s = &self.speech;
        w.u32(s.speech)
            .u32(s.pro)
            .u32(s.contra)
            .u32(s.reply)
            .u32(s.point_of_order);
        let p = &self.permissions;
        for roles in [
            p.add_member,
            p.remove_member,
            p.set_roles,
            p.committees,
            p.amend_rules,
            p.decide_amendments,
            p.agenda,
        ] {
            w.u8(roles.0);
        }
        w.list(&self.workflow, |w, t| {
            w.u8(t.from as u8).u8(t.to as u8).u16(t.who.0);
        });
    }

    /// Decodes [`Rules::encode`], refusing rules no council could work under.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let seats = r.u32("seats")?;
        if seats == 0 {
            return Err(DecodeError::Invalid {
                what: "seats",
                why: "a council has at least one seat",
            });
        }
        let quorum = Threshold::from_tag(r.u8("quorum")?)?;
        let default_majority = MajorityRule::decode(r)?;
        let allow_poll_override = r.bool("allow override")?;
        let speech = SpeechLimits {
            speech: r.u32("speech limit")?,
            pro: r.u32("speech limit")?,
            contra: r.u32("speech limit")?,
            reply: r.u32("speech limit")?,
            point_of_order: r.u32("speech limit")?,
        };
        let mut roles = [Roles::NONE; 7];
        for slot in roles.iter_mut() {
            let b = r.u8("permission roles")?;
            if b & !Roles::VALID_BITS != 0 {
                return Err(DecodeError::BadTag {
                    what: "permission roles",
                    tag: b,
                });
            }
            *slot = Roles(b);
        }
        let permissions = Permissions {
            add_member: roles[0],
            remove_member: roles[1],
            set_roles: roles[2],
            committees: roles[3],
            amend_rules: roles[4],
            decide_amendments: roles[5],
            agenda: roles[6],
        };
        let workflow = r.list("workflow", MAX_WORKFLOW, |r| {
            let from = DraftStatus::from_tag(r.u8("status")?)?;
            let to = DraftStatus::from_tag(r.u8("status")?)?;
            let who = r.u16("who")?;
            if who & !Who::VALID_BITS != 0 {
                return Err(DecodeError::Invalid {
                    what: "workflow",
                    why: "unknown bits in who",
                });
            }
            Ok(Transition {
                from,
                to,
                who: Who(who),
            })
        })?;
        Ok(Rules {
            seats,
            quorum,
            default_majority,
            allow_poll_override,
            speech,
            permissions,
            workflow,
        })
    }
}

impl Permissions {
    /// Secretary and chair keep the roster; the chair amends the rules; chair and secretary
    /// record amendment decisions and build agendas.
    pub fn standard() -> Permissions {
        let sec_chair = Roles::of(&[Role::Secretary, Role::Chair]);
        Permissions {
            add_member: sec_chair,
            remove_member: sec_chair,
            set_roles: sec_chair,
            committees: sec_chair,
            amend_rules: Roles::of(&[Role::Chair]),
            decide_amendments: sec_chair,
            agenda: sec_chair,
        }
    }
}

/// The usual path of a draft: authors submit and withdraw, the secretariat refers it to a
/// committee and puts it on the agenda, the committee head reports it back, the chair records
/// the vote's outcome.
pub fn standard_workflow() -> Vec<Transition> {
    use DraftStatus::*;
    let office = [Role::Secretary, Role::Chair];
    let mut t = vec![];
    let mut add = |from, to, who| t.push(Transition { from, to, who });
    add(Draft, Submitted, Who::roles(&[], Who::AUTHORS));
    add(ReferredBack, Submitted, Who::roles(&[], Who::AUTHORS));
    for from in [Draft, Submitted, InCommittee, OnAgenda, ReferredBack] {
        add(from, Withdrawn, Who::roles(&[], Who::AUTHORS));
    }
    add(Submitted, InCommittee, Who::roles(&office, 0));
    add(ReferredBack, InCommittee, Who::roles(&office, 0));
    add(
        InCommittee,
        OnAgenda,
        Who::roles(&office, Who::COMMITTEE_HEAD),
    );
    add(Submitted, OnAgenda, Who::roles(&office, 0));
    add(
        InCommittee,
        ReferredBack,
        Who::roles(&office, Who::COMMITTEE_HEAD),
    );
    add(OnAgenda, ReferredBack, Who::roles(&office, 0));
    add(OnAgenda, Adopted, Who::roles(&office, 0));
    add(OnAgenda, Rejected, Who::roles(&office, 0));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_thirds_of_35_seats_is_24() {
        assert_eq!(Threshold::TwoThirds.required(35), 24);
    }

    #[test]
    fn more_than_half_of_an_even_base_needs_one_over_half() {
        assert_eq!(Threshold::MoreThanHalf.required(34), 18);
        assert_eq!(Threshold::MoreThanHalf.required(35), 18);
    }

    #[test]
    fn thresholds_over_an_empty_base_cannot_be_met() {
        for t in Threshold::ALL {
            assert_eq!(t.required(0), 1);
        }
    }

    #[test]
    fn three_quarters_and_four_fifths_round_up() {
        assert_eq!(Threshold::ThreeQuarters.required(10), 8);
        assert_eq!(Threshold::FourFifths.required(11), 9);
        assert_eq!(Threshold::FourFifths.required(10), 8);
        assert_eq!(Threshold::Unanimous.required(7), 7);
    }

    #[test]
    fn stated_counts_summing_past_u32_neither_wrap_nor_panic() {
        let huge = Counts {
            for_: u32::MAX,
            against: u32::MAX,
            abstain: u32::MAX,
        };
        for threshold in Threshold::ALL {
            for base in Base::ALL {
                let rule = MajorityRule { threshold, base };
                let wide = rule.required_wide(&huge, u32::MAX, u32::MAX);
                assert!(wide >= 1);
                assert_eq!(
                    rule.required(&huge, u32::MAX, u32::MAX),
                    wide.min(u64::from(u32::MAX)) as u32
                );
                // Over the votes cast (3 × u32::MAX) no threshold is met by u32::MAX votes for.
                if base == Base::VotesCast {
                    assert!(!rule.is_met(&huge, 0, 0), "{}", threshold.name());
                }
            }
        }
    }

    #[test]
    fn rules_round_trip_through_their_encoding() {
        for rules in [Rules::ukraine(34), Rules::bulgaria(51)] {
            let mut w = Writer::new();
            rules.encode(&mut w);
            let bytes = w.finish();
            let mut r = Reader::new(&bytes);
            assert_eq!(Rules::decode(&mut r), Ok(rules));
            assert_eq!(r.finish(), Ok(()));
        }
    }

    #[test]
    fn rules_with_no_seats_are_refused() {
        let mut rules = Rules::ukraine(1);
        rules.seats = 0;
        let mut w = Writer::new();
        rules.encode(&mut w);
        let bytes = w.finish();
        assert!(matches!(
            Rules::decode(&mut Reader::new(&bytes)),
            Err(DecodeError::Invalid { what: "seats", .. })
        ));
    }

    #[test]
    fn majority_of_the_composition_ignores_how_many_voted() {
        let rule = MajorityRule {
            threshold: Threshold::MoreThanHalf,
            base: Base::AllSeats,
        };
        let c = Counts {
            for_: 17,
            against: 0,
            abstain: 0,
        };
        assert!(!rule.is_met(&c, 20, 34));
        let c = Counts { for_: 18, ..c };
        assert!(rule.is_met(&c, 20, 34));
    }
}

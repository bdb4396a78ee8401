//! A small council with fixed keys, for tests, benchmarks and the demo.
//!
//! Keys are derived from fixed seeds so that test vectors and failures are reproducible; a real
//! council always uses [`SecretKey::generate`].

use crate::council::{Genesis, SignedGenesis};
use crate::identity::{Device, DeviceId, MemberId, SecretKey};
use crate::log::{CommitteeId, CouncilLog, OpBody, OpRejected, SignedOp};
use crate::roles::{Role, Roles};
use crate::rules::Rules;

/// A deterministic key for person number `n`.
pub fn key(n: u32) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..4].copy_from_slice(&n.to_be_bytes());
    seed[31] = 0xC0;
    SecretKey::from_bytes(&seed)
}

/// Device number `d` of person `n`.
pub fn device(n: u32, d: u8) -> Device {
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&n.to_be_bytes());
    id[15] = d;
    Device::new(key(n), DeviceId(id))
}

/// A council and the operations that built it.
#[derive(Debug)]
pub struct SampleCouncil {
    /// The genesis.
    pub genesis: SignedGenesis,
    /// The secretary (founder): person 0.
    pub secretary: SecretKey,
    /// The chair: person 1.
    pub chair: SecretKey,
    /// Deputies: persons 2.. (the chair votes too).
    pub deputies: Vec<SecretKey>,
    /// An observer: person 999.
    pub observer: SecretKey,
    /// Committees created, with their members (indexes into `deputies`).
    pub committees: Vec<CommitteeId>,
    /// Every operation, in the order made.
    pub ops: Vec<SignedOp>,
}

impl SampleCouncil {
    /// A council of `seats` seats: a secretary, a chair, `deputies` deputies, an observer, and
    /// two committees (the first half of the deputies, and the second half; the first deputy of
    /// each is its head).
    pub fn new(seats: u32, deputies: u32) -> Result<(Self, CouncilLog), OpRejected> {
        let secretary = key(0);
        let genesis = Genesis {
            name: "Тестова міська рада".into(),
            rules: Rules::ukraine(seats),
            founder: secretary.member_id(),
            founder_name: "Секретар".into(),
            founder_roles: Roles::of(&[Role::Secretary]),
            created_ms: 1_700_000_000_000,
            nonce: [42; 16],
        }
        .sign(&secretary)
        .map_err(|_| OpRejected::WrongCouncil)?;
        let mut log = CouncilLog::new(genesis.clone());
        let chair = key(1);
        let observer = key(999);
        let deputy_keys: Vec<SecretKey> = (2..2 + deputies).map(key).collect();
        let mut ops = vec![];
        let mut t = 1_700_000_000_000u64;
        let mut op = |log: &mut CouncilLog, body: OpBody| -> Result<SignedOp, OpRejected> {
            t += 1000;
            let o = log.create(&secretary, body, t)?;
            ops.push(o.clone());
            Ok(o)
        };
        op(
            &mut log,
            OpBody::AddMember {
                member: chair.member_id(),
                name: "Голова".into(),
                roles: Roles::of(&[Role::Chair, Role::Deputy]),
            },
        )?;
        for (i, d) in deputy_keys.iter().enumerate() {
            op(
                &mut log,
                OpBody::AddMember {
                    member: d.member_id(),
                    name: format!("Депутат {}", i + 1),
                    roles: Roles::of(&[Role::Deputy]),
                },
            )?;
        }
        op(
            &mut log,
            OpBody::AddMember {
                member: observer.member_id(),
                name: "Спостерігач".into(),
                roles: Roles::of(&[Role::Observer]),
            },
        )?;
        let mut committees = vec![];
        let half = deputy_keys.len() / 2;
        for (name, members) in [
            ("Бюджетна комісія", &deputy_keys[..half]),
            ("Комісія з питань освіти", &deputy_keys[half..]),
        ] {
            if members.is_empty() {
                continue;
            }
            let c = op(&mut log, OpBody::CreateCommittee { name: name.into() })?.id();
            let ids: Vec<MemberId> = members.iter().map(SecretKey::member_id).collect();
            op(
                &mut log,
                OpBody::SetCommittee {
                    committee: c,
                    head: ids.first().copied(),
                    members: ids,
                },
            )?;
            committees.push(c);
        }
        Ok((
            SampleCouncil {
                genesis,
                secretary,
                chair,
                deputies: deputy_keys,
                observer,
                committees,
                ops,
            },
            log,
        ))
    }

    /// A fresh log replica holding the same operations.
    pub fn replica(&self) -> Result<CouncilLog, OpRejected> {
        let mut log = CouncilLog::new(self.genesis.clone());
        for op in &self.ops {
            log.insert(op.clone())?;
        }
        Ok(log)
    }
}

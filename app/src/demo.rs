//! The demo council: inside one process, the council's own relay on loopback and a small
//! council of simulated colleagues — a secretary, a chair, fifteen deputies in two committees —
//! each a real peer with its own store, key and iroh endpoint. They really run the protocol:
//! deputies write drafts, a committee gives its opinion, an amendment is proposed, the secretary
//! publishes the agenda, the chair opens the session, colleagues register, ask for the floor and
//! vote with signed ballots, and the chair closes each poll with what their device counted.
//! The person plays one deputy in the app; `council demo --headless` plays nobody and checks
//! that every peer ends with the same verified tally.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use council_relay::{AccessList, CouncilRelay, RelayOptions, RosterGate};
use council_sync::Node;
use council_sync::net::{NetConfig, SyncNode};
use crdt_model::document::TextField;
use crdt_model::replica::{Item, Replica};
use crdt_model::sample::SampleCouncil;
use crdt_model::session::{Choice, FloorKind, Outcome, PollId, SessionId};
use crdt_model::{DocId, DraftStatus, SecretKey};
use thiserror::Error;

use crate::engine::{Command, Engine, SessionAct};

/// Deputies in the demo council (besides the chair, who votes too).
pub const DEPUTIES: u32 = 15;
/// How long any one wait of the demo may take before it gives up with an error.
const PATIENCE: Duration = Duration::from_secs(30);

/// Why the demo could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The sample council could not be built.
    #[error("cannot build the demo council: {0}")]
    Council(String),
    /// A store could not be created.
    #[error("cannot create a demo store in {dir}: {reason}")]
    Store {
        /// Where.
        dir: PathBuf,
        /// Why.
        reason: String,
    },
    /// The network (relay or an endpoint) could not start.
    #[error("cannot start the demo network on loopback: {0}")]
    Network(String),
    /// A simulated colleague's action was refused or timed out.
    #[error("the demo stopped: {0}")]
    Script(String),
}

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Where the peers keep their stores.
    pub dir: PathBuf,
    /// Pause between two simulated actions (zero for tests).
    pub pace: Duration,
    /// Whether the person plays a deputy (`Some(how long the chair waits for their vote)`) or
    /// nobody (`None`, headless).
    pub player: Option<Duration>,
}

/// One simulated colleague (or the person's own deputy).
#[derive(Debug, Clone)]
pub struct Person {
    /// Name on the roster.
    pub name: String,
    /// Their engine.
    pub engine: Engine,
    /// Their network side.
    pub net: SyncNode,
}

/// What every peer holds at the end of a headless run: one line per peer and poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerTally {
    /// The peer's name.
    pub peer: String,
    /// The poll's question.
    pub poll: String,
    /// For, against, abstain.
    pub counts: (u32, u32, u32),
    /// The outcome.
    pub outcome: Option<Outcome>,
    /// Whether the peer's own verification passed.
    pub verified: bool,
}

/// A running demo.
pub struct Demo {
    runtime: Arc<tokio::runtime::Runtime>,
    relay: Option<CouncilRelay>,
    people: Vec<Person>,
    player: Option<Engine>,
    script: Option<tokio::task::JoinHandle<Result<(), DemoError>>>,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo")
            .field("people", &self.people.len())
            .finish()
    }
}

struct Cast {
    council: SampleCouncil,
    secretary: usize,
    chair: usize,
    /// Index in `people` of deputy `i` (0-based among the sample's deputies).
    deputies: Vec<usize>,
    player: Option<usize>,
}

impl Demo {
    /// Starts the relay and every peer, then the script in the background. Returns once every
    /// peer is connected; the person's engine is [`Demo::player`].
    pub fn start(config: DemoConfig) -> Result<Demo, DemoError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| DemoError::Network(e.to_string()))?;
        let runtime = Arc::new(runtime);
        let (council, _) = SampleCouncil::new(DEPUTIES + 1, DEPUTIES)
            .map_err(|e| DemoError::Council(e.to_string()))?;
        let (relay, people) = runtime.block_on(start_peers(&council, &config.dir))?;
        let n = council.deputies.len();
        let cast = Cast {
            council,
            secretary: 0,
            chair: 1,
            deputies: (2..2 + n).collect(),
            player: config.player.map(|_| 2 + 4),
        };
        let player = cast
            .player
            .and_then(|i| people.get(i))
            .map(|p| p.engine.clone());
        let script = runtime.spawn(script(people.clone(), cast, config));
        Ok(Demo {
            runtime,
            relay: Some(relay),
            people,
            player,
            script: Some(script),
        })
    }

    /// The engine of the deputy the person plays.
    pub fn player(&self) -> Option<Engine> {
        self.player.clone()
    }

    /// Every peer of the demo.
    pub fn people(&self) -> &[Person] {
        &self.people
    }

    /// Waits for the script to finish and returns what every peer holds about every closed
    /// poll.
    pub fn finish(mut self) -> Result<Vec<PeerTally>, DemoError> {
        let script = self.script.take();
        let rt = self.runtime.clone();
        rt.block_on(async {
            if let Some(s) = script {
                s.await.map_err(|e| DemoError::Script(e.to_string()))??;
            }
            Ok::<_, DemoError>(())
        })?;
        let tallies = self
            .people
            .iter()
            .flat_map(|p| tallies(&p.name, &p.engine))
            .collect();
        self.stop();
        Ok(tallies)
    }

    /// Stops every peer and the relay.
    pub fn stop(&mut self) {
        let people = std::mem::take(&mut self.people);
        let relay = self.relay.take();
        if let Some(s) = self.script.take() {
            s.abort();
        }
        self.runtime.block_on(async move {
            // All at once: each waits (bounded) for its connection tasks to end.
            let mut all = tokio::task::JoinSet::new();
            for p in people {
                all.spawn(async move { p.net.shutdown().await });
            }
            while all.join_next().await.is_some() {}
            if let Some(r) = relay {
                r.stop().await;
            }
        });
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if !self.people.is_empty() || self.relay.is_some() {
            self.stop();
        }
    }
}

/// What `engine`'s peer holds about every closed poll.
pub fn tallies(peer: &str, engine: &Engine) -> Vec<PeerTally> {
    engine.read(|r| {
        let mut out = vec![];
        for s in r.sessions().values() {
            for p in &s.state().polls {
                if p.close.is_none() {
                    continue;
                }
                if let Some(Ok(rep)) = s.report(&p.id) {
                    out.push(PeerTally {
                        peer: peer.to_string(),
                        poll: p.open.title.clone(),
                        counts: (rep.counts.for_, rep.counts.against, rep.counts.abstain),
                        outcome: rep.outcome,
                        verified: rep.verified(),
                    });
                }
            }
        }
        out
    })
}

async fn start_peers(
    c: &SampleCouncil,
    dir: &Path,
) -> Result<(CouncilRelay, Vec<Person>), DemoError> {
    let log = c.replica().map_err(|e| DemoError::Council(e.to_string()))?;
    let gate = RosterGate::new(AccessList::from_state(log.state()));
    let options = RelayOptions {
        http: (Ipv4Addr::LOCALHOST, 0).into(),
        tls: None,
        public_host: None,
    };
    let relay = CouncilRelay::start(options, gate)
        .await
        .map_err(|e| DemoError::Network(e.to_string()))?;
    let mut keys: Vec<(String, SecretKey)> = vec![
        ("Секретар".into(), c.secretary.clone()),
        ("Голова".into(), c.chair.clone()),
    ];
    for (i, k) in c.deputies.iter().enumerate() {
        keys.push((format!("Депутат {}", i + 1), k.clone()));
    }
    std::fs::create_dir_all(dir).map_err(|e| DemoError::Store {
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut people: Vec<Person> = Vec::new();
    for (i, (name, key)) in keys.into_iter().enumerate() {
        let path = dir.join(format!("peer-{i:02}.redb"));
        let store_err = |e: String| DemoError::Store {
            dir: dir.to_path_buf(),
            reason: e,
        };
        let _ = std::fs::remove_file(&path);
        let mut node = Node::create_for(&path, c.genesis.clone(), key.clone())
            .map_err(|e| store_err(e.to_string()))?;
        for op in &c.ops {
            node.receive(Item::Op(op.clone()))
                .map_err(|e| store_err(e.to_string()))?;
        }
        let config = NetConfig {
            relay: Some(relay.url().clone()),
            bind: (Ipv4Addr::LOCALHOST, 0).into(),
            direct: true,
            lan: false,
        };
        let net = SyncNode::spawn(node, &key, config)
            .await
            .map_err(|e| DemoError::Network(e.to_string()))?;
        // Everyone reaches the secretary's and the chair's devices, which forward what they
        // receive: two hubs, as in a council hall.
        for hub in people.iter().take(2) {
            net.connect(hub.net.addr())
                .await
                .map_err(|e| DemoError::Network(e.to_string()))?;
        }
        people.push(Person {
            name,
            engine: Engine::networked(net.clone()),
            net,
        });
    }
    Ok((relay, people))
}

async fn pause(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

fn act(p: &Person, cmd: Command) -> Result<Option<crdt_model::hash::Hash>, DemoError> {
    p.engine
        .run(cmd)
        .map_err(|e| DemoError::Script(format!("{}: {e}", p.name)))
}

async fn wait_all(
    people: &[Person],
    what: &str,
    cond: impl Fn(&Replica) -> bool + Clone,
) -> Result<(), DemoError> {
    for p in people {
        if !p.net.wait_until(PATIENCE, cond.clone()).await {
            return Err(DemoError::Script(format!(
                "{} did not receive {what}",
                p.name
            )));
        }
    }
    Ok(())
}

const BUDGET: &str = "1. Затвердити бюджет громади на 2027 рік за доходами у сумі 412 500 тис. грн.\n\
2. Затвердити видатки загального фонду у сумі 398 200 тис. грн.\n\
3. Встановити розмір резервного фонду 1 % видатків загального фонду.\n\
4. Контроль за виконанням рішення покласти на постійну комісію з питань бюджету.";
const SCHOOLS: &str = "1. Затвердити програму ремонту закладів загальної середньої освіти на 2027 рік.\n\
2. Фінансувати програму в межах видатків, передбачених бюджетом громади.\n\
3. Управлінню освіти щокварталу звітувати про виконання програми.";
const WASTE: &str = "1. Встановити тарифи на вивезення побутових відходів згідно з додатком.\n\
2. Оприлюднити рішення на офіційному вебсайті ради.";

/// Drafts, an opinion, an amendment and a published agenda, made by the colleagues whose work
/// they are. Returns the agenda.
async fn prepare(people: &[Person], cast: &Cast, pace: Duration) -> Result<DocId, DemoError> {
    let dep = |i: usize| &people[cast.deputies[i]];
    let secretary = &people[cast.secretary];
    let mut drafts = vec![];
    for (who, title, body) in [
        (0, "Про бюджет громади на 2027 рік", BUDGET),
        (2, "Про програму ремонту шкіл", SCHOOLS),
        (8, "Про тарифи на вивезення побутових відходів", WASTE),
    ] {
        let id = act(
            dep(who),
            Command::CreateDraft {
                title: title.into(),
                body: body.into(),
            },
        )?
        .ok_or_else(|| DemoError::Script("a draft was not created".into()))?;
        act(
            dep(who),
            Command::SetDraftStatus {
                draft: id,
                status: DraftStatus::Submitted,
                committee: None,
            },
        )?;
        drafts.push(id);
        pause(pace).await;
    }
    let budget = drafts[0];
    wait_all(people, "the submitted drafts", move |r| {
        r.log()
            .state()
            .documents
            .get(&budget)
            .is_some_and(|m| m.draft_status == DraftStatus::Submitted)
    })
    .await?;
    if let Some(committee) = cast.council.committees.first().copied() {
        act(
            secretary,
            Command::SetDraftStatus {
                draft: budget,
                status: DraftStatus::InCommittee,
                committee: Some(committee),
            },
        )?;
        wait_all(
            &people[cast.deputies[0]..=cast.deputies[0]],
            "the referral",
            move |r| {
                r.log()
                    .state()
                    .documents
                    .get(&budget)
                    .is_some_and(|m| m.referred_to == Some(committee))
            },
        )
        .await?;
        // The first deputy heads the budget committee.
        act(
            dep(0),
            Command::WriteOpinion {
                draft: budget,
                committee,
                recommendation: "support".into(),
                text: "Комісія рекомендує підтримати проєкт рішення з урахуванням поправки \
                       щодо резервного фонду."
                    .into(),
            },
        )?;
        pause(pace).await;
    }
    wait_all(
        &people[cast.deputies[3]..=cast.deputies[3]],
        "the draft text",
        move |r| {
            r.documents()
                .get(&budget)
                .and_then(|d| d.text(TextField::Body).ok())
                .is_some_and(|t| t.lines().count() >= 3)
        },
    )
    .await?;
    act(
        dep(3),
        Command::ProposeAmendment {
            draft: budget,
            from_line: 3,
            to_line: 3,
            text: "3. Встановити розмір резервного фонду 1,5 % видатків загального фонду.".into(),
            rationale: "Потреба у фінансуванні невідкладних заходів зросла.".into(),
        },
    )?;
    pause(pace).await;
    let agenda = act(
        secretary,
        Command::CreateAgenda {
            label: "Сесія 7, пленарне засідання".into(),
        },
    )?
    .ok_or_else(|| DemoError::Script("the agenda was not created".into()))?;
    let titles = [
        "Про бюджет громади на 2027 рік",
        "Про програму ремонту шкіл",
        "Про тарифи на вивезення побутових відходів",
    ];
    let all = drafts.clone();
    wait_all(
        &people[cast.secretary..=cast.secretary],
        "the drafts",
        move |r| all.iter().all(|d| r.documents().contains_key(d)),
    )
    .await?;
    for (d, t) in drafts.iter().zip(titles) {
        act(
            secretary,
            Command::AgendaAdd {
                agenda,
                title: t.into(),
                doc: Some(*d),
            },
        )?;
    }
    act(secretary, Command::PublishAgenda { agenda })?;
    Ok(agenda)
}

fn choice_of(deputy: usize, item: usize) -> Choice {
    match (deputy * 7 + item * 3) % 10 {
        0 => Choice::Against,
        5 => Choice::Abstain,
        _ => Choice::For,
    }
}

async fn script(people: Vec<Person>, cast: Cast, config: DemoConfig) -> Result<(), DemoError> {
    let pace = config.pace;
    let agenda = prepare(&people, &cast, pace).await?;
    let chair = &people[cast.chair];
    wait_all(&people, "the published agenda", move |r| {
        r.documents()
            .get(&agenda)
            .is_some_and(|d| d.published() && d.agenda().is_ok_and(|a| a.len() == 3))
    })
    .await?;
    pause(pace * 4).await;
    let session: SessionId = act(chair, Command::OpenSession { agenda })?
        .ok_or_else(|| DemoError::Script("the session did not open".into()))?;
    wait_all(&people, "the session", move |r| {
        r.session(&session).is_some()
    })
    .await?;
    let say = |p: &Person, act: SessionAct| {
        p.engine
            .run(Command::Session { session, act })
            .map_err(|e| DemoError::Script(format!("{}: {e}", p.name)))
    };
    say(chair, SessionAct::Register)?;
    let colleagues: Vec<usize> = cast
        .deputies
        .iter()
        .copied()
        .filter(|i| Some(*i) != cast.player)
        .collect();
    for &i in &colleagues {
        pause(pace / 2).await;
        say(&people[i], SessionAct::Register)?;
    }
    let expected = colleagues.len() + 1;
    wait_all(
        &people[cast.chair..=cast.chair],
        "the registrations",
        move |r| {
            r.session(&session)
                .is_some_and(|s| s.state().present.len() >= expected)
        },
    )
    .await?;
    let items = if config.player.is_some() { 3 } else { 1 };
    for item in 0..items {
        run_item(&people, &cast, &config, session, item).await?;
    }
    if config.player.is_none() {
        say(chair, SessionAct::Close)?;
        wait_all(&people, "the closing", move |r| {
            r.session(&session).is_some_and(|s| s.state().closed)
        })
        .await?;
    }
    Ok(())
}

async fn run_item(
    people: &[Person],
    cast: &Cast,
    config: &DemoConfig,
    session: SessionId,
    item: usize,
) -> Result<(), DemoError> {
    let pace = config.pace;
    let chair = &people[cast.chair];
    let say = |p: &Person, act: SessionAct| {
        p.engine
            .run(Command::Session { session, act })
            .map_err(|e| DemoError::Script(format!("{}: {e}", p.name)))
    };
    let idx = u32::try_from(item).unwrap_or(0);
    say(chair, SessionAct::StartItem(idx))?;
    pause(pace).await;
    // Two colleagues ask for the floor; one of them on a point of order, which jumps the queue.
    let speakers = [
        (cast.deputies[1], FloorKind::Speech),
        (cast.deputies[5], FloorKind::PointOfOrder),
    ];
    for (who, kind) in speakers {
        let wait = [people[who].clone()];
        wait_all(&wait, "the item", move |r| {
            r.session(&session)
                .is_some_and(|s| s.state().current_item == Some(idx))
        })
        .await?;
        say(&people[who], SessionAct::RequestFloor(kind))?;
        pause(pace).await;
    }
    for _ in 0..2 {
        let next = {
            let chair_node = chair.net.clone();
            chair_node
                .wait_until(PATIENCE, move |r| {
                    r.session(&session)
                        .is_some_and(|s| !s.state().queue().is_empty())
                })
                .await;
            chair.engine.read(|r| {
                r.session(&session)
                    .and_then(|s| s.state().queue().first().map(|q| q.id))
            })
        };
        let Some(request) = next else { break };
        say(chair, SessionAct::Grant(request))?;
        pause(pace * 3).await;
        say(chair, SessionAct::EndFloor(request))?;
    }
    say(
        chair,
        SessionAct::OpenPoll {
            item: idx,
            doc: None,
            title: None,
        },
    )?;
    let poll: PollId = chair
        .engine
        .read(|r| {
            r.session(&session)
                .and_then(|s| s.state().polls.last().map(|p| p.id))
        })
        .ok_or_else(|| DemoError::Script("the poll did not open".into()))?;
    wait_all(people, "the poll", move |r| {
        r.session(&session)
            .is_some_and(|s| s.state().poll(&poll).is_some())
    })
    .await?;
    let mut voters = vec![cast.chair];
    voters.extend(
        cast.deputies
            .iter()
            .copied()
            .filter(|i| Some(*i) != cast.player),
    );
    for (n, &i) in voters.iter().enumerate() {
        pause(pace / 2).await;
        let choice = choice_of(n, item);
        people[i]
            .engine
            .run(Command::Vote {
                session,
                poll,
                choice,
            })
            .map_err(|e| DemoError::Script(format!("{}: {e}", people[i].name)))?;
    }
    // One colleague changes their mind before the close.
    if let Some(&i) = voters.get(3) {
        people[i]
            .engine
            .run(Command::Vote {
                session,
                poll,
                choice: Choice::For,
            })
            .map_err(|e| DemoError::Script(format!("{}: {e}", people[i].name)))?;
    }
    let mut cast_by = voters.clone();
    if let (Some(window), Some(p)) = (config.player, cast.player) {
        let me = people[p].engine.me();
        let eligible = people[p].engine.read(|r| {
            r.session(&session)
                .and_then(|s| s.state().poll(&poll).map(|x| x.open.eligible.contains(&me)))
                .unwrap_or(false)
        });
        if eligible {
            let voted = chair
                .net
                .wait_until(window, move |r| {
                    r.session(&session)
                        .is_some_and(|s| s.ballots(&poll).any(|b| b.ballot().voter == me))
                })
                .await;
            if voted {
                cast_by.push(p);
            }
        }
    }
    // The chair closes only once their device holds every ballot each voter's own device cast:
    // a ballot cast before its voter saw the close and left out of it is an omission, which
    // makes the poll fail verification (format.md §7, check 10).
    let mut wanted = std::collections::BTreeSet::new();
    for &i in &cast_by {
        let me = people[i].engine.me();
        let own: Vec<_> = people[i].engine.read(|r| {
            r.session(&session)
                .map(|s| {
                    s.ballots(&poll)
                        .filter(|b| b.ballot().voter == me)
                        .map(|b| b.id())
                        .collect()
                })
                .unwrap_or_default()
        });
        wanted.extend(own);
    }
    wait_all(&people[cast.chair..=cast.chair], "the ballots", move |r| {
        r.session(&session).is_some_and(|s| {
            let held: std::collections::BTreeSet<_> = s.ballots(&poll).map(|b| b.id()).collect();
            wanted.is_subset(&held)
        })
    })
    .await?;
    pause(pace).await;
    say(chair, SessionAct::ClosePoll(poll))?;
    wait_all(people, "the result", move |r| {
        r.session(&session)
            .and_then(|s| s.state().poll(&poll).map(|p| p.close.is_some()))
            .unwrap_or(false)
    })
    .await?;
    say(chair, SessionAct::EndItem(idx))?;
    pause(pace * 4).await;
    Ok(())
}

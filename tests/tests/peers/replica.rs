//! The always-on replica: the secretary publishes and leaves; a deputy who was away gets the
//! agenda from the replica alone, and the replica cannot write.

use council_tests::{PATIENCE, peer};
use crdt_model::document::{AgendaItem, TextField};
use crdt_model::log::{CouncilLog, DocSpec, OpBody};
use crdt_model::replica::Item;
use crdt_model::sample::{SampleCouncil, device, key};
use crdt_model::{Role, Roles};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deputy_gets_what_the_absent_secretary_published_from_the_replica_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let (c, _) = SampleCouncil::new(20, 6).expect("council");
    let replica_key = key(500);
    let mut log: CouncilLog = c.replica().expect("log");
    let add_replica = log
        .create(
            &c.secretary,
            OpBody::AddMember {
                member: replica_key.member_id(),
                name: "Сервер ради".into(),
                roles: Roles::of(&[Role::Replica]),
            },
            1,
        )
        .expect("secretary adds the replica");

    let replica = peer(&c, &replica_key, dir.path(), "replica", None, true)
        .await
        .expect("replica");
    let secretary = peer(&c, &c.secretary, dir.path(), "secretary", None, true)
        .await
        .expect("secretary");
    for n in [&replica, &secretary] {
        n.with_node(|n| n.receive(Item::Op(add_replica.clone())))
            .expect("valid");
    }
    // The secretary builds and publishes an agenda while connected to the replica.
    secretary
        .connect(replica.addr())
        .await
        .expect("connects to the replica");
    let agenda = secretary.with_node(|n| {
        n.replica_mut()
            .log_mut()
            .create(
                &c.secretary,
                OpBody::CreateDocument {
                    spec: DocSpec::Agenda {
                        label: "Сесія 7".into(),
                        committee: None,
                    },
                },
                2,
            )
            .expect("agenda")
    });
    let agenda_id = agenda.id();
    secretary
        .publish(vec![Item::Op(agenda)])
        .expect("published");
    let change = secretary.with_node(|n| {
        let (log, doc) = n
            .replica_mut()
            .document_mut(&agenda_id)
            .expect("agenda doc");
        doc.edit(log, &device(0, 1), 3, |e| {
            e.set_text(TextField::Title, "Порядок денний сесії 7")?;
            e.agenda_insert(
                0,
                &AgendaItem {
                    doc: None,
                    title: "Про бюджет на 2027 рік".into(),
                },
            )
        })
        .expect("secretary edits")
        .1
        .expect("change")
    });
    secretary
        .publish(vec![Item::Change(change)])
        .expect("published");
    assert!(
        replica
            .wait_until(PATIENCE, move |r| r
                .documents()
                .get(&agenda_id)
                .and_then(|d| d.agenda().ok())
                .is_some_and(|items| items.len() == 1))
            .await
    );
    secretary.shutdown().await;
    drop(secretary);

    // The deputy was away the whole time; it knew the replica from the roster.
    let deputy = peer(&c, &c.deputies[0], dir.path(), "deputy", None, true)
        .await
        .expect("deputy");
    deputy
        .with_node(|n| n.receive(Item::Op(add_replica.clone())))
        .expect("valid");
    deputy
        .connect(replica.addr())
        .await
        .expect("connects to the replica");
    assert!(
        deputy
            .wait_until(PATIENCE, move |r| r
                .documents()
                .get(&agenda_id)
                .and_then(|d| d.agenda().ok())
                .is_some_and(|items| items
                    .first()
                    .is_some_and(|i| i.title == "Про бюджет на 2027 рік")))
            .await
    );

    // The replica holds no write rights: what it signs itself is refused everywhere.
    let forged = replica.with_node(|n| {
        n.replica_mut().log_mut().create(
            &replica_key,
            OpBody::CreateDocument {
                spec: DocSpec::Note,
            },
            4,
        )
    });
    assert!(forged.is_err(), "a replica cannot sign a write");
    deputy.shutdown().await;
    replica.shutdown().await;
}

// Fuzz harness `bundle`: a file handed to `council verify`. `Bundle::parse` reads it strictly;
// when it parses, `Bundle::verify` rebuilds the council from its items and verifies every poll
// against the context the bundle states, and the verdict is rendered as `council verify` prints
// it. A bundle that parses must also write itself out as text that parses again to the same
// text (what `council export` would write for it).
//
// `include!`d inside `mod bundle` (needs the world only for its seeds).

use council_app::bundle::{Bundle, Scope};

/// One input. Nothing may panic; refusals are fine.
pub fn run(data: &[u8]) {
    let Ok(bundle) = Bundle::parse(data) else {
        return;
    };
    let verdict = bundle.verify();
    let _ = verdict.to_json();
    let _ = verdict.passed();
    let _ = verdict.failed();
    let text = bundle.to_text();
    let again = match Bundle::parse(text.as_bytes()) {
        Ok(b) => b,
        Err(e) => panic!("a parsed bundle's own text does not parse: {e}"),
    };
    assert_eq!(
        again.to_text(),
        text,
        "a bundle's text changes when read back"
    );
}

/// Real bundles: the documented example (`docs/example-bundle.json`), passed in, and the sample
/// world's in each export scope, and its council alone.
pub fn seeds(example: &[u8]) -> Vec<(String, Vec<u8>)> {
    let w = super::world::world();
    let r = w.replica();
    let mut out = vec![(
        "seed-docs-example-bundle.json".to_string(),
        example.to_vec(),
    )];
    for (name, scope) in [
        ("everything", Scope::Everything),
        ("polls-only", Scope::PollsOnly),
        ("public", Scope::Public),
    ] {
        out.push((
            format!("seed-world-{name}.json"),
            Bundle::from_replica(&r, scope).to_text().into_bytes(),
        ));
    }
    let bare = crdt_model::replica::Replica::new(w.genesis.clone());
    out.push((
        "seed-genesis-only.json".to_string(),
        Bundle::from_replica(&bare, Scope::Everything)
            .to_text()
            .into_bytes(),
    ));
    out
}

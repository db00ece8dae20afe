//! One action vocabulary: every sign-off action a user may ask for is a
//! `govrt signoff` subcommand of the same name, and the API and web UI route
//! it by that name too (the route parser takes exactly these names).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test loudly"
)]

use clap::CommandFactory;
use govrt::engine::actions::Verb;

#[test]
fn every_signoff_action_is_a_cli_subcommand_of_its_canonical_name() {
    let cli = govrt::cli::Cli::command();
    let signoff = cli
        .find_subcommand("signoff")
        .expect("`govrt signoff` exists");
    let mut subcommands: Vec<&str> = signoff.get_subcommands().map(|c| c.get_name()).collect();
    let mut verbs: Vec<&str> = Verb::REQUESTED.iter().map(|v| v.name()).collect();
    subcommands.sort_unstable();
    verbs.sort_unstable();
    assert_eq!(subcommands, verbs);
}

#[test]
fn the_listed_actions_are_the_requested_ones_in_order() {
    let listed = Verb::listed();
    let names: Vec<&str> = listed.split(", ").collect();
    assert_eq!(names.len(), Verb::REQUESTED.len());
    for (name, verb) in names.iter().zip(Verb::REQUESTED) {
        assert_eq!(Verb::from_name(name), Some(verb));
    }
}

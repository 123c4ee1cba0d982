//! `ferrite-phaser`: the standalone app, and the offline `render`/`params` tool.

fn main() {
    ferrite_plugin_common::main::<ferrite_phaser::FerritePhaser>();
}

//! Memory per plugin instance: everything a plugin allocates for itself (construction plus
//! activation), at the sample rates and block sizes hosts use. Printed for the README
//! (`cargo test --release -p ferrite-tests --test memory -- --nocapture`) and held to a budget.

use ferrite_plugin_common::host::OfflineHost;
use ferrite_test_kit::alloc::count;
use nice_plug::prelude::*;

ferrite_test_kit::counting_allocator!();

/// Bytes one instance of `P` keeps allocated after activation with `layout`, excluding the
/// offline host's own channel buffers (a DAW owns those).
fn instance_bytes<P: Plugin>(layout: AudioIOLayout, sample_rate: f32, max_block: usize) -> isize {
    let (host, counts) = count(|| {
        let mut host = OfflineHost::<P>::new();
        host.activate(layout, sample_rate, max_block).unwrap();
        host
    });
    let channels = layout.main_output_channels.map_or(0, |c| c.get() as usize)
        + layout.aux_input_ports.iter().map(|c| c.get() as usize).sum::<usize>();
    let host_buffers = (channels * max_block * std::mem::size_of::<f32>()) as isize;
    drop(host);
    counts.net_bytes - host_buffers
}

fn report<P: Plugin>(budget_bytes: isize) {
    for layout in P::AUDIO_IO_LAYOUTS {
        for sample_rate in [44_100.0, 192_000.0] {
            for max_block in [512, 4096] {
                let bytes = instance_bytes::<P>(*layout, sample_rate, max_block);
                println!(
                    "{} | {} | {sample_rate} Hz | max block {max_block} | {:.0} KiB",
                    P::NAME,
                    layout.name(),
                    bytes as f64 / 1024.0
                );
                assert!(bytes > 0, "the measurement must see the instance's own buffers");
                assert!(bytes <= budget_bytes, "{}: {bytes} bytes per instance exceeds {budget_bytes}", P::NAME);
            }
        }
    }
}

#[test]
fn ferrite_ring_memory_per_instance_is_small() {
    // The carrier's wavetable bank is shared by every instance in the process; build it first
    // so it is not counted against one instance, and report it on its own.
    ferrite_dsp::carrier::prepare_tables();
    println!("shared carrier wavetables (once per process): {:.0} KiB", ferrite_dsp::carrier::table_memory_bytes() as f64 / 1024.0);
    report::<ferrite_ring::FerriteRing>(1 << 20);
}

#[test]
fn ferrite_vcf_memory_per_instance_is_small() {
    report::<ferrite_vcf::FerriteVcf>(256 << 10);
}

#[test]
fn ferrite_phaser_memory_per_instance_is_small() {
    report::<ferrite_phaser::FerritePhaser>(256 << 10);
}

#[test]
fn ferrite_reverb_memory_per_instance_is_small() {
    // Without an impulse response; a loaded IR adds its convolver (README). The delay networks
    // are sized in seconds, so the memory grows with the sample rate (4.5 MiB at 192 kHz).
    report::<ferrite_reverb::FerriteReverb>(6 << 20);
}

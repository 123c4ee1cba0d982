//! The standalone's `--set` values reach the instance that nice-plug's wrapper creates: they are
//! recorded before the wrapper starts and applied by `FerriteRing::default()`. (A test binary of
//! its own, because the settings are process-wide.)

use ferrite_plugin_common::settings::{parse_setting, set_startup_settings};
use ferrite_ring::FerriteRing;
use nice_plug::prelude::*;

#[test]
fn startup_settings_apply_to_every_new_instance() {
    let params = FerriteRing::default().params();
    let settings = ["drive=6", "model=parker", "carrier_freq=220"]
        .iter()
        .map(|s| parse_setting(params.as_ref(), s).unwrap())
        .collect();
    set_startup_settings(settings);
    let instance = FerriteRing::default();
    let map = instance.params().param_map();
    let plain = |id: &str| {
        let (_, ptr, _) = map.iter().find(|(pid, _, _)| pid == id).unwrap();
        // SAFETY: the pointer belongs to `instance`'s parameters, alive for this test.
        unsafe { ptr.unmodulated_plain_value() }
    };
    assert!((plain("drive") - 6.0).abs() < 1e-4);
    assert_eq!(plain("model"), 1.0, "parker is the second variant");
    assert!((plain("carrier_freq") - 220.0).abs() < 1e-2);
}

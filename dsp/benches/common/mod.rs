//! Timing helpers shared by the benches (each bench includes this module with `mod common;`).
// Each bench uses only some of these helpers.
#![allow(dead_code)]

use std::time::Instant;

/// Median of `values` (the upper middle one for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Median of `runs` values of `measure`, after one more call whose value is discarded (warm-up).
pub fn median_of(runs: usize, mut measure: impl FnMut() -> f64) -> f64 {
    measure();
    median((0..runs).map(|_| measure()).collect())
}

/// Median of `runs` timings of `pass` (after one untimed warm-up pass), seconds.
pub fn median_seconds(runs: usize, mut pass: impl FnMut()) -> f64 {
    median_of(runs, || {
        let start = Instant::now();
        pass();
        start.elapsed().as_secs_f64()
    })
}

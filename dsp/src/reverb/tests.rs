//! Tests shared by the three algorithmic reverbs: each model against its own theory.
use super::freeverb::Freeverb;
use super::hall::Hall;
use super::plate::Plate;
use super::ReverbSettings;

/// The three models behind one interface, so every property is checked on each.
enum Model {
    Freeverb(Freeverb),
    Hall(Hall),
    Plate(Plate),
}

impl Model {
    fn all(sample_rate: f32) -> [Model; 3] {
        [Model::Freeverb(Freeverb::new(sample_rate)), Model::Hall(Hall::new(sample_rate)), Model::Plate(Plate::new(sample_rate))]
    }
    fn name(&self) -> &'static str {
        match self {
            Model::Freeverb(_) => "freeverb",
            Model::Hall(_) => "hall",
            Model::Plate(_) => "plate",
        }
    }
    fn set(&mut self, s: &ReverbSettings) {
        match self {
            Model::Freeverb(m) => m.set_settings(s),
            Model::Hall(m) => m.set_settings(s),
            Model::Plate(m) => m.set_settings(s),
        }
    }
    fn reset(&mut self) {
        match self {
            Model::Freeverb(m) => m.reset(),
            Model::Hall(m) => m.reset(),
            Model::Plate(m) => m.reset(),
        }
    }
    fn process(&mut self, a: &[f32], b: &[f32], c: &mut [f32], d: &mut [f32]) {
        match self {
            Model::Freeverb(m) => m.render(a, b, c, d),
            Model::Hall(m) => m.render(a, b, c, d),
            Model::Plate(m) => m.render(a, b, c, d),
        }
    }
    fn has_subnormal_state(&self) -> bool {
        match self {
            Model::Freeverb(m) => m.has_subnormal_state(),
            Model::Hall(m) => m.has_subnormal_state(),
            Model::Plate(m) => m.has_subnormal_state(),
        }
    }
    /// Run stereo input through the model in blocks of `block`, returning both outputs.
    fn run(&mut self, in_l: &[f32], in_r: &[f32], block: usize) -> (Vec<f32>, Vec<f32>) {
        let n = in_l.len();
        let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
        let mut start = 0;
        while start < n {
            let end = (start + block).min(n);
            self.process(&in_l[start..end], &in_r[start..end], &mut l[start..end], &mut r[start..end]);
            start = end;
        }
        (l, r)
    }
}

/// The response to a mono unit impulse (both inputs 1 at t = 0), `len` samples.
fn impulse_response(m: &mut Model, len: usize) -> (Vec<f32>, Vec<f32>) {
    let mut x = vec![0.0f32; len];
    x[0] = 1.0;
    m.run(&x, &x, 4096)
}

/// Reverberation time from the Schroeder backward integral of the stereo energy `l² + r²`
/// ([`crate::analysis::schroeder_rt60`] between `from_db` and `to_db`, e.g. −5 and −35 for T30).
fn schroeder_rt60(l: &[f32], r: &[f32], sample_rate: f64, from_db: f64, to_db: f64) -> f64 {
    let energy: Vec<f64> = l.iter().zip(r).map(|(&l, &r)| (l as f64).powi(2) + (r as f64).powi(2)).collect();
    crate::analysis::schroeder_rt60(&energy, sample_rate, from_db, to_db).expect("the response decays")
}

fn energy(x: &[f32]) -> f64 {
    x.iter().map(|&v| (v as f64).powi(2)).sum()
}

/// Deterministic white noise in [−1, 1) (xorshift32).
fn noise(seed: u32, len: usize) -> Vec<f32> {
    let mut state = 0x9E37_79B9u32 ^ seed.wrapping_mul(0x85EB_CA6B);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f64 / 2_147_483_648.0 - 1.0) as f32
        })
        .collect()
}

/// Settings whose RT60 is about `decay_s` for every model: Freeverb has no RT60 parameter, so
/// its room size is chosen from its measured RT60 (room 0.75 ≈ 2.4 s at damping 0).
fn settings(decay_s: f32, damping: f32) -> ReverbSettings {
    ReverbSettings { decay_s, size: 0.5, damping, modulation: 0.5, freeze: false }
}

fn freeverb_settings(damping: f32) -> ReverbSettings {
    ReverbSettings { size: 0.75, ..settings(2.0, damping) }
}

/// Settings for `m` with a ~2 s tail.
fn two_second(m: &Model, damping: f32) -> ReverbSettings {
    match m {
        Model::Freeverb(_) => freeverb_settings(damping),
        _ => settings(2.0, damping),
    }
}

/// Power of `l² + r²` per 100 ms-style window of `win` samples.
fn window_energies(l: &[f32], r: &[f32], win: usize) -> Vec<f64> {
    l.chunks(win).zip(r.chunks(win)).filter(|(a, _)| a.len() == win).map(|(a, b)| energy(a) + energy(b)).collect()
}

#[test]
fn hall_and_plate_measured_t30_is_the_set_decay_within_10_percent() {
    // Schroeder T30 of the broadband impulse response (damping 0, so one RT60 exists). The
    // render runs to 1.3·RT60 + 0.3 s, i.e. about −78 dB: truncating the backward integral
    // there changes the −35 dB point of the curve by < 0.01 dB, so no T20 shortcut is needed.
    for sr in [44_100.0f32, 96_000.0] {
        for mut m in Model::all(sr).into_iter().skip(1) {
            for decay in [0.5f32, 2.0, 8.0] {
                m.set(&settings(decay, 0.0));
                m.reset();
                let (l, r) = impulse_response(&mut m, (sr * (decay * 1.3 + 0.3)) as usize);
                let t30 = schroeder_rt60(&l, &r, sr as f64, -5.0, -35.0);
                let err = t30 / decay as f64 - 1.0;
                println!("{} {sr} Hz: decay {decay} s, T30 {t30:.3} s ({:+.1} %)", m.name(), err * 100.0);
                assert!(err.abs() < 0.10, "{} at {sr} Hz: T30 {t30} s for decay {decay} s", m.name());
            }
        }
    }
}

#[test]
fn freeverb_t30_is_the_same_at_every_sample_rate() {
    // The lengths scale with the rate, so the gain per second (and the T30) must not change.
    // Damping 0: with damping the broadband T30 also depends on how much of the spectrum
    // (which decays faster) the rate leaves room for, which is not a property of the model.
    let t30_at = |sr: f32| {
        let mut m = Model::Freeverb(Freeverb::new(sr));
        m.set(&ReverbSettings { size: 0.5, damping: 0.0, ..Default::default() });
        let (l, r) = impulse_response(&mut m, (sr * 2.5) as usize);
        schroeder_rt60(&l, &r, sr as f64, -5.0, -35.0)
    };
    let reference = t30_at(44_100.0);
    for sr in [22_050.0, 48_000.0, 96_000.0, 192_000.0] {
        let t = t30_at(sr);
        println!("freeverb T30 at {sr} Hz: {t:.3} s (44.1 kHz: {reference:.3} s)");
        // Rounding the comb lengths moves each by < 0.5 sample at 22.05 kHz (< 0.1 %).
        assert!((t / reference - 1.0).abs() < 0.02, "{sr} Hz: {t} vs {reference}");
    }
}

/// Jezar's Freeverb written out plainly in f64 from the published source (comb.hpp,
/// allpass.hpp, revmodel.cpp, tuning.h), sharing nothing with the model: per-filter buffers
/// with wrapping indices, 44.1 kHz constants, wet = 1, width = 1, dry = 0.
fn reference_freeverb(room: f64, damp: f64, in_l: &[f32], in_r: &[f32]) -> (Vec<f64>, Vec<f64>) {
    struct Comb {
        buf: Vec<f64>,
        idx: usize,
        store: f64,
    }
    struct Allpass {
        buf: Vec<f64>,
        idx: usize,
    }
    let combs = [1116usize, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
    let allpasses = [556usize, 441, 341, 225];
    let make_combs = |spread: usize| -> Vec<Comb> {
        combs.iter().map(|&n| Comb { buf: vec![0.0; n + spread], idx: 0, store: 0.0 }).collect()
    };
    let make_allpasses =
        |spread: usize| -> Vec<Allpass> { allpasses.iter().map(|&n| Allpass { buf: vec![0.0; n + spread], idx: 0 }).collect() };
    let (mut cl, mut cr, mut al, mut ar) = (make_combs(0), make_combs(23), make_allpasses(0), make_allpasses(23));
    let feedback = room * 0.28 + 0.7;
    let damp1 = damp * 0.4;
    let damp2 = 1.0 - damp1;
    let comb = |c: &mut Comb, x: f64| {
        let out = c.buf[c.idx];
        c.store = out * damp2 + c.store * damp1;
        c.buf[c.idx] = x + c.store * feedback;
        c.idx = (c.idx + 1) % c.buf.len();
        out
    };
    let allpass = |a: &mut Allpass, x: f64| {
        let bufout = a.buf[a.idx];
        let out = -x + bufout;
        a.buf[a.idx] = x + bufout * 0.5;
        a.idx = (a.idx + 1) % a.buf.len();
        out
    };
    let (mut out_l, mut out_r) = (Vec::new(), Vec::new());
    for (&xl, &xr) in in_l.iter().zip(in_r) {
        let input = (xl as f64 + xr as f64) * 0.015;
        let (mut l, mut r) = (0.0, 0.0);
        for c in cl.iter_mut() {
            l += comb(c, input);
        }
        for c in cr.iter_mut() {
            r += comb(c, input);
        }
        for a in al.iter_mut() {
            l = allpass(a, l);
        }
        for a in ar.iter_mut() {
            r = allpass(a, r);
        }
        out_l.push(l * 3.0);
        out_r.push(r * 3.0);
    }
    (out_l, out_r)
}

#[test]
fn freeverb_matches_an_independent_implementation_of_jezars_published_structure() {
    let sr = 44_100.0;
    let len = 44_100;
    // An impulse into the left input only, then a burst of noise: covers the mono sum, both
    // banks, the spread, and the whole first second of recirculation.
    let mut in_l = vec![0.0f32; len];
    in_l[0] = 1.0;
    let burst = noise(7, 2000);
    let mut in_r = vec![0.0f32; len];
    in_r[3000..5000].copy_from_slice(&burst);
    for (room, damp) in [(0.5f32, 0.5f32), (0.9, 0.2), (0.0, 1.0), (1.0, 0.0)] {
        let mut m = Freeverb::new(sr);
        m.set_settings(&ReverbSettings { size: room, damping: damp, ..Default::default() });
        let (mut l, mut r) = (vec![0.0f32; len], vec![0.0f32; len]);
        m.render(&in_l, &in_r, &mut l, &mut r);
        let (rl, rr) = reference_freeverb(room as f64, damp as f64, &in_l, &in_r);
        let peak = rl.iter().chain(&rr).fold(0.0f64, |p, v| p.max(v.abs()));
        let err = l.iter().zip(&rl).chain(r.iter().zip(&rr)).fold(0.0f64, |e, (&a, &b)| e.max((a as f64 - b).abs()));
        println!("room {room} damp {damp}: peak {peak:.4}, max |f32 − f64 reference| {err:.2e}");
        // f32 rounding: each sample is a sum of ~16 comb outputs whose recirculated values carry
        // a relative error of ~ε·(round trips) ≈ 6e-8·40 ≈ 2.4e-6 after one second, so
        // 1e-5 of the peak bounds it with margin. Any structural difference (a length, a
        // sign, a coefficient, the spread) gives errors of the order of the signal itself.
        assert!(err < 1e-5 * peak, "room {room} damp {damp}: error {err} vs peak {peak}");
    }
}

#[test]
fn outputs_for_mono_input_are_decorrelated_and_carry_similar_energy() {
    // 2 s of mono noise, then 1.5 s of silence. Balance: the L/R energy ratio over everything
    // (the steady state while the noise plays dominates, which keeps the estimate's spread
    // small), within ±1 dB. Decorrelation: ρ of the tail from 0.1 s after the input stops. A
    // coherent (mono) wet signal gives |ρ| = 1; the tails are sums of thousands of decaying
    // modes, so the estimate of ρ for independent outputs spreads by a few hundredths
    // (measured |ρ| ≤ 0.09 over output-tap choices): 0.15 leaves room for that and no more.
    let sr = 44_100.0;
    for mut m in Model::all(sr) {
        m.set(&two_second(&m, 0.5));
        let mut x = noise(3, (sr * 3.5) as usize);
        x[(sr * 2.0) as usize..].fill(0.0);
        let (l, r) = m.run(&x, &x, 256);
        let balance_db = 10.0 * (energy(&l) / energy(&r)).log10();
        let tail = (sr * 2.1) as usize..;
        let (tl, tr) = (&l[tail.clone()], &r[tail]);
        let cross: f64 = tl.iter().zip(tr).map(|(&a, &b)| a as f64 * b as f64).sum();
        let rho = cross / (energy(tl) * energy(tr)).sqrt();
        println!("{}: ρ = {rho:.3}, L/R energy {balance_db:+.2} dB", m.name());
        assert!(rho.abs() < 0.15, "{}: correlation {rho}", m.name());
        assert!(balance_db.abs() < 1.0, "{}: L/R balance {balance_db} dB", m.name());
    }
}

#[test]
fn tail_decays_to_exact_zeros_without_ever_holding_a_subnormal() {
    // One second of noise, then 60 s of silence, without FTZ/DAZ (tests run with the default
    // floating-point environment): the per-structure flushes alone must keep every state value
    // normal or zero, and the output must reach exact zeros (600 dB below full scale is 10 RT60
    // at most here, well inside 60 s).
    let sr = 44_100.0;
    for mut m in Model::all(sr) {
        m.set(&two_second(&m, 0.5));
        let x = noise(11, sr as usize);
        let (l, r) = m.run(&x, &x, 512);
        assert!(energy(&l) > 0.0 && energy(&r) > 0.0);
        let silence = vec![0.0f32; sr as usize];
        let mut last = (Vec::new(), Vec::new());
        for second in 0..60 {
            last = m.run(&silence, &silence, 4096);
            let sub = last.0.iter().chain(&last.1).any(|&v| crate::denormal::is_subnormal_f32(v));
            assert!(!sub, "{}: subnormal output in second {second}", m.name());
            assert!(!m.has_subnormal_state(), "{}: subnormal state in second {second}", m.name());
        }
        assert!(last.0.iter().chain(&last.1).all(|&v| v == 0.0), "{}: tail not exactly zero after 60 s", m.name());
    }
}

#[test]
fn short_decay_with_full_damping_still_reverberates_and_decays_to_exact_zeros() {
    // The corner of the settings where the hall's extra high-frequency loss per pass would
    // underflow and its damping pole round to exactly 1, which silences a line for good. With
    // a 0.1 s decay and full damping the network is very dark (measured −23 to −36 dB of the
    // undamped energy at 8 to 384 kHz), but it must still sound: more than −50 dB, where dead
    // lines give −inf. And the tail must still reach exact zeros. (Freeverb has no decay setting; its room size alone sets a decay of
    // seconds, checked elsewhere.)
    for sr in [8_000.0, 44_100.0, 384_000.0] {
        for mut m in Model::all(sr).into_iter().filter(|m| m.name() != "freeverb") {
            let mut energies = [0.0; 2];
            for (damping, e) in [0.0, 1.0].into_iter().zip(energies.iter_mut()) {
                m.reset();
                m.set(&ReverbSettings { decay_s: 0.1, size: 1.0, damping, modulation: 0.5, freeze: false });
                let x = noise(3, (sr / 10.0) as usize);
                let (l, r) = m.run(&x, &x, 512);
                *e = energy(&l) + energy(&r);
                let silence = vec![0.0f32; sr as usize];
                let mut last = (Vec::new(), Vec::new());
                for _ in 0..20 {
                    last = m.run(&silence, &silence, 4096);
                }
                assert!(
                    last.0.iter().chain(&last.1).all(|&v| v == 0.0),
                    "{} at {sr} Hz, damping {damping}: tail not exactly zero after 20 s with decay 0.1 s",
                    m.name()
                );
            }
            let ratio_db = 10.0 * (energies[1] / energies[0]).log10();
            assert!(ratio_db > -50.0, "{} at {sr} Hz: full damping leaves {ratio_db:.1} dB of the reverb", m.name());
        }
    }
}

#[test]
fn freeze_keeps_the_energy_and_ignores_new_input() {
    // Noise for 1 s, then freeze while the noise goes on. Energies of 0.5 s windows from 0.5 s
    // after the switch (the input glide and the last arrivals through the input diffusers are
    // over) to 10.5 s. The loops are lossless (Freeverb exactly, hall and plate up to f32
    // rounding; Freeverb's exactness is checked on its state in `freeverb::tests`), so the
    // energy must not drift: the mean of the last 5 s is within 2 % of the first 5 s (a loss
    // of 0.02 dB/s, an RT60 of 50 minutes, would already fail), and an input leaking in would
    // grow it. Single windows still fluctuate by a few % because the frozen, incommensurate
    // loops beat against each other at the outputs (measured up to 5 % for Freeverb's eight
    // fixed combs): bounded by 6 %.
    let sr = 44_100.0;
    for mut m in Model::all(sr) {
        let s = two_second(&m, 0.5);
        m.set(&s);
        let x = noise(5, sr as usize);
        m.run(&x, &x, 256);
        m.set(&ReverbSettings { freeze: true, ..s });
        let x = noise(6, (sr * 10.5) as usize);
        let (l, r) = m.run(&x, &x, 256);
        let start = (sr * 0.5) as usize;
        let e = window_energies(&l[start..], &r[start..], (sr * 0.5) as usize);
        let (lo, hi) = e.iter().fold((f64::MAX, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
        let n = e.len();
        let drift = e[n / 2..].iter().sum::<f64>() / e[..n / 2].iter().sum::<f64>() - 1.0;
        println!("{}: frozen window energies {lo:.1}..{hi:.1} (ratio {:.4}), drift {:+.3} %", m.name(), hi / lo, drift * 100.0);
        assert!(lo > 0.0 && hi / lo < 1.06, "{}: frozen energy varies {lo}..{hi}", m.name());
        assert!(drift.abs() < 0.02, "{}: frozen energy drifts by {drift}", m.name());
    }
}

#[test]
fn impulse_response_energy_decays_monotonically_in_100_ms_windows() {
    let sr = 44_100.0;
    for mut m in Model::all(sr) {
        for damping in [0.0, 0.5] {
            m.set(&two_second(&m, damping));
            m.reset();
            let (l, r) = impulse_response(&mut m, (sr * 3.0) as usize);
            let e = window_energies(&l, &r, (sr * 0.1) as usize);
            let peak = e.iter().fold(0.0f64, |p, &v| p.max(v));
            // After the build-up (the first 200 ms hold the input diffusion and the first
            // arrivals of every line), down to 60 dB below the loudest window.
            for w in 2..e.len() {
                if e[w - 1] < peak * 1e-6 {
                    break;
                }
                assert!(e[w] < e[w - 1], "{} damping {damping}: window {w} energy {} ≥ {}", m.name(), e[w], e[w - 1]);
            }
        }
    }
}

/// Decay rate (dB per second) of the band `f_lo..f_hi` Hz of a stereo response between `t0`
/// and `t1` seconds: band energies of Hann-windowed 2048-sample frames (hop 1024), least-squares
/// slope of their level in dB.
fn band_decay_db_per_s(l: &[f32], r: &[f32], sr: f64, f_lo: f64, f_hi: f64, t0: f64, t1: f64) -> f64 {
    use realfft::RealFftPlanner;
    const N: usize = 2048;
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(N);
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let (mut sx, mut sy, mut sxx, mut sxy, mut count) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut start = (t0 * sr) as usize;
    while start + N <= ((t1 * sr) as usize).min(l.len()) {
        let mut band = 0.0;
        for ch in [l, r] {
            for (i, v) in input.iter_mut().enumerate() {
                let w = 0.5 - 0.5 * (core::f64::consts::TAU * i as f64 / N as f64).cos();
                *v = ch[start + i] as f64 * w;
            }
            fft.process(&mut input, &mut spectrum).unwrap();
            for (bin, c) in spectrum.iter().enumerate() {
                let f = bin as f64 * sr / N as f64;
                if f >= f_lo && f < f_hi {
                    band += c.norm_sqr();
                }
            }
        }
        let t = (start + N / 2) as f64 / sr;
        let db = 10.0 * band.log10();
        sx += t;
        sy += db;
        sxx += t * t;
        sxy += t * db;
        count += 1.0;
        start += N / 2;
    }
    -(count * sxy - sx * sy) / (count * sxx - sx * sx)
}

#[test]
fn damping_makes_high_frequencies_decay_faster_than_lows() {
    // Decay rates of 200–800 Hz and 4–8 kHz from 0.2 s to 1.2 s of the impulse response. With
    // damping 0 every model decays (nearly) alike in both bands; with damping 1 the highs must
    // decay at least twice as fast (the designs put them 3–10× faster).
    let sr = 44_100.0;
    for mut m in Model::all(sr) {
        let mut rates = [[0.0f64; 2]; 2];
        for (di, damping) in [0.0f32, 1.0].into_iter().enumerate() {
            m.set(&two_second(&m, damping));
            m.reset();
            let (l, r) = impulse_response(&mut m, (sr * 1.3) as usize);
            rates[di][0] = band_decay_db_per_s(&l, &r, sr as f64, 200.0, 800.0, 0.2, 1.2);
            rates[di][1] = band_decay_db_per_s(&l, &r, sr as f64, 4_000.0, 8_000.0, 0.2, 1.2);
            println!("{} damping {damping}: low {:.1} dB/s, high {:.1} dB/s", m.name(), rates[di][0], rates[di][1]);
        }
        assert!(rates[0][1] < 1.25 * rates[0][0], "{}: undamped highs decay too fast: {:?}", m.name(), rates[0]);
        assert!(rates[1][1] > 2.0 * rates[1][0], "{}: damped highs do not decay faster: {:?}", m.name(), rates[1]);
    }
}

#[test]
fn hall_decays_at_the_designed_rt60_in_the_low_mid_and_5_khz_bands() {
    // The hall's filter is designed for RT60 = decay at low frequencies and
    // decay·(1 − 0.9·damping) at 5 kHz. Measure the band decay rates (4.6–5.4 kHz and
    // 300–600 Hz) and compare with 60 dB / RT60, within 15 % (the band is finite and the
    // low-pass keeps falling inside it; the mid band also feels the low-pass a little).
    // The published prediction (`hall::rt60_at`, what the editor draws) is that design.
    let sr = 48_000.0;
    let mut m = Model::Hall(Hall::new(sr));
    for damping in [0.0f32, 0.5, 1.0] {
        let decay = 2.0f32;
        m.set(&settings(decay, damping));
        m.reset();
        let (l, r) = impulse_response(&mut m, (sr * 2.3) as usize);
        let high = band_decay_db_per_s(&l, &r, sr as f64, 4_600.0, 5_400.0, 0.15, 0.15 + 0.8 * (decay * (1.0 - 0.9 * damping)) as f64);
        let low = band_decay_db_per_s(&l, &r, sr as f64, 300.0, 600.0, 0.2, 2.0);
        let want_high = 60.0 / (decay as f64 * (1.0 - 0.9 * damping as f64));
        let want_low = 60.0 / decay as f64;
        println!("hall damping {damping}: 5 kHz {high:.1} dB/s (design {want_high:.1}), 300–600 Hz {low:.1} (design {want_low:.1})");
        assert!((high / want_high - 1.0).abs() < 0.15, "damping {damping}: 5 kHz band {high} vs {want_high} dB/s");
        // At damping 1 the 21 dB per pass needed at 5 kHz puts the one-pole's corner near
        // 400 Hz, inside the low band, so the design says nothing exact about it there (the
        // prediction does: `band_decay_rates_are_the_predicted_ones`).
        if damping <= 0.5 {
            assert!((low / want_low - 1.0).abs() < 0.15, "damping {damping}: low band {low} vs {want_low} dB/s");
        }
        let s = settings(decay, damping);
        let predicted = super::hall::rt60_at(&s, sr, super::hall::HIGH_REFERENCE_HZ as f32) as f64;
        assert!((60.0 / predicted / want_high - 1.0).abs() < 1e-4, "damping {damping}: predicted {predicted} s at 5 kHz");
        let predicted = super::hall::rt60_at(&s, sr, 1.0) as f64;
        assert!((predicted / decay as f64 - 1.0).abs() < 1e-3, "damping {damping}: predicted {predicted} s at 1 Hz");
    }
}

/// The decay rate (dB/s) that `rt60_at` of `m` predicts for the band `f_lo..f_hi`: the mean
/// over the FFT bins `band_decay_db_per_s` sums.
fn predicted_band_rate(m: &Model, s: &ReverbSettings, sr: f32, f_lo: f64, f_hi: f64) -> f64 {
    let rt60_at = match m {
        Model::Freeverb(_) => super::freeverb::rt60_at,
        Model::Hall(_) => super::hall::rt60_at,
        Model::Plate(_) => super::plate::rt60_at,
    };
    let bin = sr as f64 / 2048.0;
    let rates: Vec<f64> = (0..1024)
        .map(|k| k as f64 * bin)
        .filter(|&f| f >= f_lo && f < f_hi)
        .map(|f| 60.0 / rt60_at(s, sr, f as f32) as f64)
        .collect();
    rates.iter().sum::<f64>() / rates.len() as f64
}

#[test]
fn band_decay_rates_are_the_predicted_ones() {
    // The decay against frequency the models publish (`rt60_at`, drawn by the editor) against
    // the decay rates measured in bands of each model's impulse response, within 15 % (as the
    // hall's design test: the bands are finite and a band's energy is a sum of the modes'
    // decays). Low, middle and high bands, damping 0.5 and 1.
    let sr = 44_100.0;
    for mut m in Model::all(sr) {
        for damping in [0.5f32, 1.0] {
            let s = two_second(&m, damping);
            m.set(&s);
            m.reset();
            let (l, r) = impulse_response(&mut m, (sr * 2.6) as usize);
            for (f_lo, f_hi) in [(300.0, 600.0), (1_800.0, 2_200.0), (4_600.0, 5_400.0)] {
                let want = predicted_band_rate(&m, &s, sr, f_lo, f_hi);
                // From 0.15 s over 0.8 of the band's predicted RT60 (about 50 dB), at least 0.3 s.
                let t1 = (0.15 + (0.8 * 60.0 / want).max(0.3)).min(2.5);
                let got = band_decay_db_per_s(&l, &r, sr as f64, f_lo, f_hi, 0.15, t1);
                println!("{} damping {damping} {f_lo}–{f_hi} Hz: measured {got:.1} dB/s, predicted {want:.1}", m.name());
                assert!((got / want - 1.0).abs() < 0.15, "{} damping {damping} {f_lo}–{f_hi} Hz: measured {got} vs predicted {want} dB/s", m.name());
            }
        }
    }
}

#[test]
fn measured_t30_without_damping_is_the_predicted_rt60() {
    // Broadband Schroeder T30 (damping 0: no frequency dependence) against `rt60_at`, within
    // 10 % as the hall's and plate's T30 test: Freeverb for three room sizes (it has no RT60
    // parameter; the prediction averages its combs' rates), the hall and the plate at 1 s.
    for sr in [44_100.0f32, 96_000.0] {
        for mut m in Model::all(sr) {
            let cases: Vec<ReverbSettings> = match m {
                Model::Freeverb(_) => [0.25f32, 0.5, 0.75].map(|size| ReverbSettings { size, ..settings(2.0, 0.0) }).to_vec(),
                _ => vec![settings(1.0, 0.0)],
            };
            for s in cases {
                let rt60_at = match m {
                    Model::Freeverb(_) => super::freeverb::rt60_at,
                    Model::Hall(_) => super::hall::rt60_at,
                    Model::Plate(_) => super::plate::rt60_at,
                };
                let predicted = rt60_at(&s, sr, 1_000.0) as f64;
                m.set(&s);
                m.reset();
                let (l, r) = impulse_response(&mut m, (sr as f64 * (predicted * 1.3 + 0.3)) as usize);
                let t30 = schroeder_rt60(&l, &r, sr as f64, -5.0, -35.0);
                println!("{} {sr} Hz size {}: T30 {t30:.3} s, predicted {predicted:.3} s", m.name(), s.size);
                assert!((t30 / predicted - 1.0).abs() < 0.10, "{} {sr} Hz size {}: T30 {t30} vs predicted {predicted}", m.name(), s.size);
            }
        }
    }
}

#[test]
fn non_finite_input_is_silence_and_huge_or_subnormal_input_stays_bounded_and_recovers() {
    let sr = 44_100.0;
    for mut m in Model::all(sr) {
        let s = ReverbSettings { size: 0.5, ..settings(0.5, 0.5) };
        m.set(&s);
        // 1. NaN and ±inf samples are treated as silence: bit-identical to zeros there.
        let clean = noise(21, 8_192);
        let mut dirty = clean.clone();
        let mut zeroed = clean.clone();
        for i in (0..dirty.len()).step_by(97) {
            dirty[i] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][i % 3];
            zeroed[i] = 0.0;
        }
        let a = m.run(&dirty, &dirty, 64);
        m.reset();
        let b = m.run(&zeroed, &zeroed, 64);
        assert!(a == b, "{}: non-finite input differs from silence", m.name());
        // 2. Huge and subnormal input: finite, bounded output. The input clamp is ±100, the
        // networks' gains are O(10): 1e4 bounds any output.
        m.reset();
        let mut wild = noise(22, 8_192);
        for (i, v) in wild.iter_mut().enumerate() {
            *v = match i % 4 {
                0 => 1e30,
                1 => -1e30,
                2 => 1e-40,
                _ => *v * 1e20,
            };
        }
        let (l, r) = m.run(&wild, &wild, 64);
        let peak = l.iter().chain(&r).fold(0.0f32, |p, v| p.max(v.abs()));
        assert!(l.iter().chain(&r).all(|v| v.is_finite()) && peak < 1e4, "{}: peak {peak}", m.name());
        // 3. Recovery: 20 s of silence is ≥ 15 RT60 here (> 900 dB), so the +40 dBFS tail has
        // decayed to exact zeros (the flushes end it there) and the model is back in its rest
        // state: its output for normal input is then bit-identical to a fresh model's.
        let silence = vec![0.0f32; (sr * 10.0 * 2.0) as usize];
        m.run(&silence, &silence, 4096);
        let x = noise(23, 20_000);
        let after = m.run(&x, &x, 64);
        let mut fresh = Model::all(sr).into_iter().find(|f| f.name() == m.name()).unwrap();
        fresh.set(&s);
        // The fresh model must be at the same LFO phase and write position: run it through the
        // same amount of silence.
        let n = 8_192 + silence.len();
        let pre = vec![0.0f32; n];
        fresh.run(&pre, &pre, 4096);
        let expect = fresh.run(&x, &x, 64);
        let err = after.0.iter().zip(&expect.0).chain(after.1.iter().zip(&expect.1)).fold(0.0f32, |e, (a, b)| e.max((a - b).abs()));
        println!("{}: peak with wild input {peak:.1}, recovery error {err:.2e}", m.name());
        assert!(after == expect, "{}: does not recover: error {err}", m.name());
    }
}

#[test]
fn extreme_settings_changes_every_block_stay_finite_and_bounded() {
    let sr = 48_000.0;
    let extremes = [f32::NAN, -1.0, 0.0, 0.5, 1.0, 1e9, f32::INFINITY, -f32::INFINITY, 1e-30];
    for mut m in Model::all(sr) {
        let x = noise(31, (sr * 4.0) as usize);
        let mut peak = 0.0f32;
        for (b, chunk) in x.chunks(64).enumerate() {
            let pick = |k: usize| extremes[(b * 7 + k * 3 + b / 5) % extremes.len()];
            m.set(&ReverbSettings { decay_s: pick(0), size: pick(1), damping: pick(2), modulation: pick(3), freeze: b % 11 < 3 });
            let (mut l, mut r) = (vec![0.0f32; chunk.len()], vec![0.0f32; chunk.len()]);
            m.process(chunk, chunk, &mut l, &mut r);
            assert!(l.iter().chain(&r).all(|v| v.is_finite()), "{}: non-finite output in block {b}", m.name());
            peak = l.iter().chain(&r).fold(peak, |p, v| p.max(v.abs()));
        }
        println!("{}: peak {peak:.2} under extreme settings", m.name());
        // Full-scale noise into lossless-at-worst networks for 4 s: the energy can only grow by
        // what goes in; 1e3 is far above any reachable level yet catches a blow-up.
        assert!(peak < 1e3, "{}: peak {peak}", m.name());
    }
}

#[test]
fn output_is_bit_identical_for_block_sizes_1_7_64_and_4096() {
    let sr = 44_100.0;
    let mut x = noise(41, (sr * 1.0) as usize);
    x[(sr * 0.5) as usize..].fill(0.0);
    let y = noise(42, x.len());
    for mut m in Model::all(sr) {
        m.set(&two_second(&m, 0.5));
        let mut reference = None;
        for block in [1usize, 7, 64, 4096] {
            m.reset();
            let out = m.run(&x, &y, block);
            match &reference {
                None => reference = Some(out),
                Some(r) => assert!(*r == out, "{}: block {block} differs", m.name()),
            }
        }
    }
}

#[test]
fn hall_and_plate_levels_match_freeverb_within_1_5_db() {
    // The plugin switches algorithms under one set of gain staging, so the impulse-response
    // energy per second of RT60 (the level of a steady reverberant field) must match Freeverb's
    // (room 0.75, its RT60 ≈ 2.4 s) at decay 2 s.
    let sr = 44_100.0;
    let per_rt = |m: &mut Model, s: ReverbSettings| {
        m.set(&s);
        m.reset();
        let (l, r) = impulse_response(m, (sr * 4.0) as usize);
        (energy(&l) + energy(&r)) / schroeder_rt60(&l, &r, sr as f64, -5.0, -35.0)
    };
    let mut all = Model::all(sr);
    let reference = per_rt(&mut all[0], freeverb_settings(0.0));
    for m in all.iter_mut().skip(1) {
        let level = 10.0 * (per_rt(m, settings(2.0, 0.0)) / reference).log10();
        println!("{}: {level:+.2} dB against Freeverb", m.name());
        assert!(level.abs() < 1.5, "{}: {level} dB", m.name());
    }
}

#[test]
fn block_wise_and_sample_by_sample_paths_give_bit_identical_output() {
    // The block-wise paths (sub-blocks, f32x4 lanes) must compute exactly the per-sample
    // arithmetic: same output bits as the sample-by-sample path, through steady settings,
    // size/modulation glides, a freeze toggle and odd blocks, at a low and a high rate (the
    // sub-block limits depend on the rate).
    use super::blocks::tests::per_sample;
    for sr in [22_050.0f32, 96_000.0] {
        // 1.5 s: settled for the first 0.8 s, long enough for signal to have gone round the
        // plate's figure-8 (≈ 0.7 s), so the block-wise paths run on a full network.
        let n = (sr * 1.5) as usize;
        let mut x = noise(51, n);
        x[n / 2..].fill(0.0);
        let y = noise(52, n);
        let script = |m: &mut Model| {
            let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
            let blocks = [37usize, 64, 1, 256, 500, 7];
            let (mut start, mut k) = (0, 0);
            while start < n {
                let end = (start + blocks[k % blocks.len()]).min(n);
                let t = start as f32 / n as f32;
                m.set(&ReverbSettings {
                    decay_s: 1.5,
                    size: if t < 0.7 { 0.5 } else { 0.8 },
                    damping: 0.4,
                    modulation: if t < 0.55 { 0.5 } else { 1.0 },
                    freeze: (0.85..0.95).contains(&t),
                });
                m.process(&x[start..end], &y[start..end], &mut l[start..end], &mut r[start..end]);
                start = end;
                k += 1;
            }
            (l, r)
        };
        let bits = |o: (Vec<f32>, Vec<f32>)| o.0.iter().chain(&o.1).map(|v| v.to_bits()).collect::<Vec<u32>>();
        for i in 0..3 {
            let fresh = || Model::all(sr).into_iter().nth(i).unwrap();
            let reference = bits(per_sample(|| script(&mut fresh())));
            let name = fresh().name();
            assert!(bits(script(&mut fresh())) == reference, "{name} at {sr} Hz: block-wise path differs");
        }
    }
}

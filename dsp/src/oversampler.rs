//! Linear-phase polyphase half-band oversampler (factors 1, 2, 4, 8, 16, 32).
//!
//! # Structure
//!
//! A factor of `2^S` is a cascade of `S` half-band stages. Stage `s` (1-based)
//! converts between `2^(s-1)·fs` and `2^s·fs`, where `fs` is the host rate. The
//! [`Upsampler`] runs stages 1, 2, …, S; the [`Downsampler`] runs S, …, 2, 1.
//! Both directions use the same prototype filter per stage.
//!
//! # Half-band filters
//!
//! Each stage's prototype `h[j]`, `j = 0 … 4K−2`, is a zero-phase half-band
//! filter centred at `c = 2K−1`:
//!
//! ```text
//! h[c] = 1/2,   h[c ± 2m] = 0 (m ≥ 1),   h[c ± (2m−1)] = h_m (m = 1 … K)
//! H(ω) = 1/2 + Σ_{m=1..K} 2·h_m·cos((2m−1)ω),   so   H(ω) + H(π−ω) = 1.
//! ```
//!
//! The last identity is what makes the band split symmetric around a quarter of
//! the stage's high rate: the passband ripple equals the stopband ripple, and a
//! passband edge `ωp` puts the stopband edge at `π − ωp`.
//!
//! **Polyphase split.** Half of all taps are zero, and only one polyphase
//! component carries non-trivial taps. With `g[i] = h[2i]`, `i = 0 … 2K−1`
//! (symmetric: `g[i] = g[2K−1−i]`):
//!
//! * interpolator (zero-stuff by 2, filter with `2h`), for each input `x[n]`:
//!   ```text
//!   y[2n]   = 2·Σ_i g[i]·x[n−i]        (the only FIR: 2K MACs per input sample)
//!   y[2n+1] = x[n−(K−1)]               (the centre tap: a pure delay)
//!   ```
//! * decimator (filter with `h`, keep every second sample, phase `p ∈ {0,1}`):
//!   ```text
//!   p = 0:  z[n] = Σ_i g[i]·w[2(n−i)]   + ½·w[2(n−K)+1]
//!   p = 1:  z[n] = Σ_i g[i]·w[2(n−i)+1] + ½·w[2(n−K+1)]
//!   ```
//!   i.e. only the retained output samples are computed, each with 2K MACs.
//!
//! # Design
//!
//! The odd-tap values `h_m` are designed at construction (f64, then stored as
//! f32) as an **equiripple (minimax) half-band** by the Remez exchange on the
//! one-band problem of Vaidyanathan & Nguyen: minimise
//! `max_{ω∈[0,ωp]} |Σ a_m cos((2m−1)ω) − 1|`, then `h_m = a_m/4`. Only the
//! passband needs to be approximated because the half-band identity mirrors
//! the error into the stopband. Equiripple was chosen over a Kaiser-windowed
//! sinc because at 90 dB with the narrow first-stage transition it needs ~10 %
//! fewer taps (Kaiser's length formula asks for 127 taps where minimax needs
//! 115), and the first stage dominates both the cost and the latency.
//!
//! Spec per stage (host rate `fs`, `F = 20000/44100 ≈ 0.4535`):
//! passband `0 … F·fs`, stopband of stage `s` from `2^(s−1)·fs − F·fs` upwards,
//! i.e. normalised to the stage's high rate: `fp = F/2^s`, `fstop = 1/2 − F/2^s`.
//! That stopband holds every frequency that becomes an image of the band
//! `0 … F·fs` when interpolating (or that folds onto it when decimating). Later
//! stages have wide transition bands and hence very short filters:
//!
//! | stage | rates          | K  | taps (non-zero) | MACs per low-rate sample (2K)  | design stopband | group delay (high-rate samples) |
//! |-------|----------------|----|-----------------|--------------------------------|-----------------|---------------------------------|
//! | 1     | fs ↔ 2fs       | 29 | 115 (59)        | 58                             | 90.19 dB        | 57                              |
//! | 2     | 2fs ↔ 4fs      | 5  | 19 (11)         | 10                             | 97.99 dB        | 9                               |
//! | 3     | 4fs ↔ 8fs      | 3  | 11 (7)          | 6                              | 99.47 dB        | 5                               |
//! | 4     | 8fs ↔ 16fs     | 2  | 7 (5)           | 4                              | 92.46 dB        | 3                               |
//! | 5     | 16fs ↔ 32fs    | 2  | 7 (5)           | 4                              | 116.61 dB       | 3                               |
//!
//! Passband ripple per stage equals the stopband ripple (≤ 3.1·10⁻⁵, i.e.
//! ≤ 0.0003 dB). Measured by the unit tests (f32 taps, f32 processing):
//!
//! | factor | round-trip passband deviation, 0 … 0.4535·fs | worst image rejection (up) | worst alias rejection (down) |
//! |--------|-----------------------------------------------|----------------------------|------------------------------|
//! | 2      | 0.0005 dB                                      | 90.19 dB                   | 90.19 dB                     |
//! | 4      | 0.0008 dB                                      | 90.21 dB                   | 90.21 dB                     |
//! | 8      | 0.0009 dB                                      | 90.21 dB                   | 90.21 dB                     |
//! | 16     | 0.0014 dB                                      | 90.21 dB                   | 90.21 dB                     |
//! | 32     | 0.0014 dB                                      | 90.21 dB                   | 90.21 dB                     |
//!
//! The worst case is always stage 1 at its stopband edge (the image/alias of
//! a tone exactly at 0.4535·fs). `K₁ = 30` would give 92.9 dB for two more
//! host samples of latency; `K₁ = 29` is the smallest that meets 90 dB.
//!
//! # Latency
//!
//! Every stage is linear phase with group delay `c_s = 2K_s − 1` samples at its
//! high rate. Going up, an impulse at host sample `n0` lands at top-rate index
//! `P_S = 2^S·n0 + Σ_s 2^(S−s)·c_s`. Going down, a decimator keeping phase `p`
//! maps a (symmetric) feature at index `q` of its input to `(q + c_s − p)/2`.
//! Each decimator's phase `p_s` is chosen so that this is an integer, which
//! keeps every intermediate response centred on a retained sample, hence
//! symmetric. Phase 1 means "keep the newer sample of each pair", which costs
//! nothing in causality because both samples of a pair are available when the
//! output is computed; it is equivalent to an extra delay of −1 high-rate
//! sample, so no extra delay line is ever needed, and the round trip latency is
//!
//! ```text
//! L(S) = floor( Σ_{s=1..S} c_s / 2^(s−1) )    host samples   (L(0) = 0)
//! ```
//!
//! | factor | 1 | 2  | 4  | 8  | 16 | 32 |
//! |--------|---|----|----|----|----|----|
//! | L      | 0 | 57 | 61 | 62 | 63 | 63 |
//!
//! (the fractional group delays `Σ c_s/2^(s−1)` are 57, 61.5, 62.75, 63.125, 63.3125).
//! See [`round_trip_latency`].
//!
//! # Cost and real-time behaviour
//!
//! Per host sample the factor-4 round trip performs 2·58 + 4·10 = 156 MACs. The
//! FIR kernel computes 16 consecutive outputs at once, each as a strictly
//! sequential sum over a contiguous window of a linear history buffer
//! (`[last 2K−1 inputs | new block]`). Vectorising across outputs rather than
//! across taps needs no re-association, so the compiler vectorises it without
//! fast-math, there are no horizontal sums, and the result is bit-identical to
//! the scalar tail loop, which makes the output independent of the block size.
//!
//! Both structs start at the maximum factor given to `new`; call
//! `set_factor_log2` to pick another one.
//!
//! `process` never allocates, locks or panics: all buffers are sized in `new`
//! for `max_block` host samples at the largest factor, and over-long blocks are
//! clamped (with a `debug_assert!`). NaN/inf only propagate through the FIR
//! histories, which `reset`/`set_factor_log2` zero.
//!
//! Denormals: every filter here is FIR (non-recursive), so a decaying input
//! cannot leave a denormal tail circulating in a feedback path: after at most
//! the filter length the histories hold exactly the (recent) input, so no
//! denormal guard is needed here. Denormal *input* samples cost only what
//! they cost anywhere else in the plugin (FTZ/DAZ, if the host thread sets it,
//! applies here too).
//!
//! The sums are never re-associated and never contracted into FMAs, so the
//! output is bit-identical for any block size and any SIMD width.
//!
//! # References
//!
//! * P. P. Vaidyanathan, *Multirate Systems and Filter Banks*, Prentice Hall,
//!   1993 (polyphase interpolators/decimators, half-band = Nyquist(2) filters).
//! * P. P. Vaidyanathan, T. Q. Nguyen, "A 'trick' for the design of FIR
//!   half-band filters", IEEE Trans. Circuits Syst., CAS-34(3), 1987.
//! * M. G. Bellanger, J. L. Daguet, G. P. Lepagnol, "Interpolation,
//!   extrapolation, and reduction of computation speed in digital filters",
//!   IEEE Trans. ASSP, 22(4), 1974 (cascades of half-band stages).

/// Largest supported factor is 32 (log2 = 5).
pub const MAX_FACTOR_LOG2: usize = 5;

/// Passband edge as a fraction of the host rate: 20 kHz at 44.1 kHz (≈ 0.4535).
const PASSBAND_EDGE: f64 = 20_000.0 / 44_100.0;

/// Number of non-zero odd taps per side `K` of each stage's half-band (stage 1
/// first). Chosen as the smallest `K` whose minimax design reaches 90 dB.
const STAGE_K: [usize; MAX_FACTOR_LOG2] = [29, 5, 3, 2, 2];

/// Outputs computed together by the FIR kernel; 16 f32 accumulators fit in
/// registers on SSE2/AVX/NEON and give enough independent add chains to hide
/// the floating-point add latency.
const LANES: usize = 16;

/// Group delay of stage `s` (0-based) in samples at its high rate.
const fn stage_delay(s: usize) -> u64 {
    2 * STAGE_K[s] as u64 - 1
}

/// Decimator phases (per 0-based stage) and the resulting round-trip latency
/// for a factor of `2^factor_log2`; see the module docs for the derivation.
const fn chain_plan(factor_log2: usize) -> ([u8; MAX_FACTOR_LOG2], u32) {
    let s_max = if factor_log2 > MAX_FACTOR_LOG2 {
        MAX_FACTOR_LOG2
    } else {
        factor_log2
    };
    // Position of the response centre at the top rate for an impulse at host index 0.
    let mut pos: u64 = 0;
    let mut s = 0;
    while s < s_max {
        pos = 2 * pos + stage_delay(s);
        s += 1;
    }
    // Walk down: each decimator adds its group delay, then keeps the phase on which
    // the (symmetric) response centre falls.
    let mut phases = [0u8; MAX_FACTOR_LOG2];
    while s > 0 {
        s -= 1;
        let t = pos + stage_delay(s);
        let p = t & 1;
        phases[s] = p as u8;
        pos = (t - p) / 2;
    }
    (phases, pos as u32)
}

/// Exact round-trip latency (Upsampler then Downsampler at the same factor) in host-rate samples. An integer: 0 at factor 1.
///
/// Values: 0, 57, 61, 62, 63, 63 for `factor_log2` 0…5. Arguments above
/// [`MAX_FACTOR_LOG2`] are clamped to it.
pub const fn round_trip_latency(factor_log2: usize) -> u32 {
    chain_plan(factor_log2).1
}

// ---------------------------------------------------------------------------
// Design (construction time only, f64)
// ---------------------------------------------------------------------------

/// Fills `out[m-1] = cos((2m−1)ω)` for `m = 1 … out.len()` with the Chebyshev
/// recurrence `cos((n+2)ω) = 2cos(2ω)cos(nω) − cos((n−2)ω)` (cheap and exact enough).
fn odd_cosines(w: f64, out: &mut [f64]) {
    let c1 = w.cos();
    let c2 = 2.0 * c1 * c1 - 1.0;
    let (mut prev, mut cur) = (c1, c1); // cos(−ω), cos(ω)
    for o in out.iter_mut() {
        *o = cur;
        let next = 2.0 * c2 * cur - prev;
        prev = cur;
        cur = next;
    }
}

/// Solves the dense `n×n` system `a·x = b` in place (partial pivoting); the
/// solution is left in `b`. Only used on tiny, well-posed Remez systems.
fn solve_in_place(a: &mut [f64], b: &mut [f64], n: usize) {
    for col in 0..n {
        let mut piv = col;
        for r in col + 1..n {
            if a[r * n + col].abs() > a[piv * n + col].abs() {
                piv = r;
            }
        }
        if piv != col {
            for c in 0..n {
                a.swap(col * n + c, piv * n + c);
            }
            b.swap(col, piv);
        }
        let d = a[col * n + col];
        for r in col + 1..n {
            let f = a[r * n + col] / d;
            for c in col..n {
                a[r * n + c] -= f * a[col * n + c];
            }
            b[r] -= f * b[col];
        }
    }
    for r in (0..n).rev() {
        let mut s = b[r];
        for c in r + 1..n {
            s -= a[r * n + c] * b[c];
        }
        b[r] = s / a[r * n + r];
    }
}

/// Picks `count` alternating extrema of `err` (Remez exchange). Returns `None`
/// if fewer than `count` alternations exist (only happens at the f64 noise floor).
fn extremal_set(err: &[f64], count: usize) -> Option<Vec<usize>> {
    let last = err.len() - 1;
    let mut alt: Vec<usize> = Vec::with_capacity(err.len());
    for j in 0..=last {
        let e = err[j];
        let is_ext = if e >= 0.0 {
            (j == 0 || e >= err[j - 1]) && (j == last || e > err[j + 1])
        } else {
            (j == 0 || e <= err[j - 1]) && (j == last || e < err[j + 1])
        };
        if !is_ext {
            continue;
        }
        // Keep signs alternating: of two neighbours with equal sign keep the larger.
        match alt.last_mut() {
            Some(prev) if (err[*prev] >= 0.0) == (e >= 0.0) => {
                if e.abs() > err[*prev].abs() {
                    *prev = j;
                }
            }
            _ => alt.push(j),
        }
    }
    if alt.len() < count {
        return None;
    }
    // Dropping an end point never breaks alternation; drop the smaller one.
    while alt.len() > count {
        if err[alt[0]].abs() < err[alt[alt.len() - 1]].abs() {
            alt.remove(0);
        } else {
            alt.pop();
        }
    }
    Some(alt)
}

/// Minimax half-band design. Returns `h_m`, `m = 1 … k`, the taps at offsets
/// `±(2m−1)` from the centre (the centre is 1/2, even offsets are 0), for a
/// passband edge `pass_edge` in cycles per sample of the filter's rate (< 1/4).
fn design_halfband(k: usize, pass_edge: f64) -> Vec<f64> {
    let wp = 2.0 * core::f64::consts::PI * pass_edge;
    let grid_len = 64 * k + 1;
    let mut basis = vec![0.0; grid_len * k];
    for (j, row) in basis.chunks_exact_mut(k).enumerate() {
        odd_cosines(wp * j as f64 / (grid_len - 1) as f64, row);
    }
    let n = k + 1;
    let mut refs: Vec<usize> = (0..n).map(|i| (grid_len - 1) * i / k).collect();
    let mut a = vec![0.0; k];
    let mut mat = vec![0.0; n * n];
    let mut rhs = vec![0.0; n];
    let mut err = vec![0.0; grid_len];
    for _ in 0..50 {
        // Interpolate the alternating error ±δ on the reference set:
        // Σ a_m cos((2m−1)ω_r) + (−1)^r δ = 1.
        for (r, &j) in refs.iter().enumerate() {
            let row = &mut mat[r * n..(r + 1) * n];
            row[..k].copy_from_slice(&basis[j * k..(j + 1) * k]);
            row[k] = if r % 2 == 0 { 1.0 } else { -1.0 };
            rhs[r] = 1.0;
        }
        solve_in_place(&mut mat, &mut rhs, n);
        a.copy_from_slice(&rhs[..k]);
        let delta = rhs[k].abs();
        let mut emax = 0.0f64;
        for (e, row) in err.iter_mut().zip(basis.chunks_exact(k)) {
            *e = row.iter().zip(&a).map(|(b, c)| b * c).sum::<f64>() - 1.0;
            emax = emax.max(e.abs());
        }
        if emax <= delta * (1.0 + 1e-9) {
            break; // equiripple: the reference error is the true maximum
        }
        match extremal_set(&err, n) {
            Some(r) => refs = r,
            None => break,
        }
    }
    a.iter().map(|am| am / 4.0).collect()
}

/// Polyphase taps `g[i] = h[2i]`, `i = 0 … 2K−1`, of 0-based stage `s`
/// (symmetric, unity-DC-gain prototype, i.e. without the interpolator's ×2).
fn stage_polyphase_taps(s: usize) -> Vec<f64> {
    let k = STAGE_K[s];
    let h = design_halfband(k, PASSBAND_EDGE / (2u64 << s) as f64);
    (0..2 * k)
        .map(|i| if i < k { h[k - 1 - i] } else { h[i - k] })
        .collect()
}

// ---------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------

/// `out[j] = Σ_i taps[i]·x[j+i]` for `j = 0 … LANES−1`, each a sequential sum
/// in tap order (so it is bit-identical to [`fir_one`]). Requires
/// `x.len() ≥ taps.len() + LANES − 1`; `windows` makes the inner loop free of
/// bounds checks and the `j` loop vectorises across outputs.
#[inline(always)]
fn fir_lanes(taps: &[f32], x: &[f32]) -> [f32; LANES] {
    debug_assert!(x.len() + 1 >= taps.len() + LANES);
    let mut acc = [0.0f32; LANES];
    for (&c, w) in taps.iter().zip(x.windows(LANES)) {
        for (a, &v) in acc.iter_mut().zip(w) {
            *a += c * v;
        }
    }
    acc
}

/// Single output `Σ_i taps[i]·x[i]`, same summation order as [`fir_lanes`].
#[inline(always)]
fn fir_one(taps: &[f32], x: &[f32]) -> f32 {
    debug_assert!(x.len() >= taps.len());
    let mut acc = 0.0f32;
    for (&c, &v) in taps.iter().zip(x) {
        acc += c * v;
    }
    acc
}

// ---------------------------------------------------------------------------
// Stages
// ---------------------------------------------------------------------------

/// One ×2 polyphase half-band interpolator.
struct UpStage {
    /// FIR-branch taps `2·g[i]`; the ×2 restores the unity passband gain that zero-stuffing halves.
    taps: Vec<f32>,
    /// `K`: the centre-tap branch is the input delayed by `K−1` samples.
    k: usize,
    /// Linear history `[last 2K−1 inputs | current block]`, so every output's
    /// window is one contiguous slice; sized for the largest block at this rate.
    buf: Vec<f32>,
}

impl UpStage {
    fn new(s: usize, max_in: usize) -> Self {
        let taps: Vec<f32> = stage_polyphase_taps(s)
            .iter()
            .map(|&g| (2.0 * g) as f32)
            .collect();
        let hist = taps.len() - 1;
        Self {
            taps,
            k: STAGE_K[s],
            buf: vec![0.0; hist + max_in],
        }
    }

    fn reset(&mut self) {
        // Only the history is ever read before being written.
        let hist = self.taps.len() - 1;
        self.buf[..hist].fill(0.0);
    }

    /// `output.len() == 2·input.len()`, `input.len() ≤ max_in` (checked by the callers).
    fn process(&mut self, input: &[f32], output: &mut [f32]) {
        let hist = self.taps.len() - 1;
        let n = input.len().min(self.buf.len() - hist).min(output.len() / 2);
        let buf = &mut self.buf[..hist + n];
        buf[hist..].copy_from_slice(&input[..n]);
        let taps = &self.taps[..];
        let k = self.k;

        let mut j = 0;
        let mut out_chunks = output[..2 * n].chunks_exact_mut(2 * LANES);
        for oc in &mut out_chunks {
            let fir = fir_lanes(taps, &buf[j..j + hist + LANES]);
            let delayed = &buf[j + k..j + k + LANES];
            for ((o, &f), &d) in oc.chunks_exact_mut(2).zip(&fir).zip(delayed) {
                o[0] = f;
                o[1] = d;
            }
            j += LANES;
        }
        for o in out_chunks.into_remainder().chunks_exact_mut(2) {
            o[0] = fir_one(taps, &buf[j..j + hist + 1]);
            o[1] = buf[j + k];
            j += 1;
        }
        buf.copy_within(n..n + hist, 0);
    }
}

/// One ÷2 polyphase half-band decimator.
struct DownStage {
    /// FIR-branch taps `g[i]`, the only polyphase component of `h` with non-trivial taps.
    taps: Vec<f32>,
    /// `K`: sets the length of the centre-tap delay history.
    k: usize,
    /// Which sample of each input pair is retained (0 = older, 1 = newer); chosen
    /// per factor so the round trip stays symmetric about an integer latency.
    phase: usize,
    /// Linear history `[last 2K−1 | block]` of the polyphase component that
    /// goes through the FIR taps.
    fir_buf: Vec<f32>,
    /// Linear history `[last K | block]` of the other component, which only
    /// meets the centre tap (½) after a delay of `K` (phase 0) or `K−1` (phase 1).
    ctr_buf: Vec<f32>,
}

impl DownStage {
    fn new(s: usize, max_out: usize) -> Self {
        let taps: Vec<f32> = stage_polyphase_taps(s).iter().map(|&g| g as f32).collect();
        let hist = taps.len() - 1;
        let k = STAGE_K[s];
        Self {
            taps,
            k,
            phase: 0,
            fir_buf: vec![0.0; hist + max_out],
            ctr_buf: vec![0.0; k + max_out],
        }
    }

    fn reset(&mut self) {
        // Only the histories are ever read before being written.
        let hist = self.taps.len() - 1;
        self.fir_buf[..hist].fill(0.0);
        self.ctr_buf[..self.k].fill(0.0);
    }

    /// `input.len() == 2·output.len()`, `output.len() ≤ max_out` (checked by the callers).
    fn process(&mut self, input: &[f32], output: &mut [f32]) {
        let hist = self.taps.len() - 1;
        let k = self.k;
        let n = output
            .len()
            .min(input.len() / 2)
            .min(self.fir_buf.len() - hist);
        let fir_buf = &mut self.fir_buf[..hist + n];
        let ctr_buf = &mut self.ctr_buf[..k + n];
        // De-interleave the two polyphase components into their histories.
        let (fi, ci) = if self.phase == 0 { (0, 1) } else { (1, 0) };
        for ((pair, f), c) in input[..2 * n]
            .chunks_exact(2)
            .zip(&mut fir_buf[hist..])
            .zip(&mut ctr_buf[k..])
        {
            *f = pair[fi];
            *c = pair[ci];
        }
        // Phase 1 keeps the newer sample, whose centre-tap partner is one sample later.
        let ctr = &ctr_buf[self.phase..self.phase + n];
        let taps = &self.taps[..];

        let mut j = 0;
        let mut out_chunks = output[..n].chunks_exact_mut(LANES);
        for oc in &mut out_chunks {
            let fir = fir_lanes(taps, &fir_buf[j..j + hist + LANES]);
            for ((o, &f), &c) in oc.iter_mut().zip(&fir).zip(&ctr[j..j + LANES]) {
                *o = f + 0.5 * c;
            }
            j += LANES;
        }
        for o in out_chunks.into_remainder() {
            *o = fir_one(taps, &fir_buf[j..j + hist + 1]) + 0.5 * ctr[j];
            j += 1;
        }
        fir_buf.copy_within(n..n + hist, 0);
        ctr_buf.copy_within(n..n + k, 0);
    }
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// Cascade of ×2 half-band interpolators: host rate → `factor`·host rate.
pub struct Upsampler {
    /// `stages[s]` converts `2^s·fs → 2^(s+1)·fs`; all built up-front so changing the factor never allocates.
    stages: Vec<UpStage>,
    /// Active factor (log2); the first `factor_log2` stages run.
    factor_log2: usize,
    /// Largest factor (log2) the buffers were sized for.
    max_factor_log2: usize,
    /// Largest host block `process` accepts; longer inputs are clamped.
    max_block: usize,
    /// Ping-pong stage outputs; one of them holds the returned top-rate block.
    buf_a: Vec<f32>,
    /// Second ping-pong buffer (a stage cannot write into its own input).
    buf_b: Vec<f32>,
}

impl Upsampler {
    /// Allocates everything for factors up to 2^max_factor_log2 and host blocks up to max_block samples.
    ///
    /// `max_factor_log2` above [`MAX_FACTOR_LOG2`] is clamped. The factor starts at the maximum.
    pub fn new(max_factor_log2: usize, max_block: usize) -> Self {
        debug_assert!(max_factor_log2 <= MAX_FACTOR_LOG2);
        let max_factor_log2 = max_factor_log2.min(MAX_FACTOR_LOG2);
        let top_len = max_block
            .checked_mul(1 << max_factor_log2)
            .expect("max_block too large");
        Self {
            stages: (0..max_factor_log2)
                .map(|s| UpStage::new(s, max_block << s))
                .collect(),
            factor_log2: max_factor_log2,
            max_factor_log2,
            max_block,
            buf_a: vec![0.0; top_len],
            buf_b: vec![0.0; top_len],
        }
    }

    /// Select the factor (log2, ≤ the max given to new). No allocation. Clears the filter state.
    pub fn set_factor_log2(&mut self, factor_log2: usize) {
        debug_assert!(factor_log2 <= self.max_factor_log2);
        self.factor_log2 = factor_log2.min(self.max_factor_log2);
        self.reset();
    }

    /// Current oversampling factor (1, 2, …, 32).
    pub fn factor(&self) -> usize {
        1 << self.factor_log2
    }

    /// Heap memory held, bytes.
    pub fn memory_bytes(&self) -> usize {
        let stages: usize = self.stages.iter().map(|s| s.taps.len() + s.buf.len()).sum();
        (stages + self.buf_a.len() + self.buf_b.len()) * 4
    }

    /// Zero the filter state, no allocation.
    pub fn reset(&mut self) {
        for st in &mut self.stages {
            st.reset();
        }
    }

    /// Upsample `input` (len ≤ max_block) into an internal buffer and return it (len = input.len() * factor).
    ///
    /// Never allocates or panics. Longer inputs trip a `debug_assert!`; in release
    /// only the first `max_block` samples are processed (the returned slice is
    /// then `max_block · factor` long).
    pub fn process(&mut self, input: &[f32]) -> &[f32] {
        debug_assert!(input.len() <= self.max_block, "block longer than max_block");
        let n = input.len().min(self.max_block);
        let s_count = self.factor_log2;
        if s_count == 0 {
            self.buf_a[..n].copy_from_slice(&input[..n]);
            return &self.buf_a[..n];
        }
        let (mut src, mut dst) = (&mut self.buf_a, &mut self.buf_b);
        self.stages[0].process(&input[..n], &mut src[..2 * n]);
        for s in 1..s_count {
            let len = n << s;
            self.stages[s].process(&src[..len], &mut dst[..2 * len]);
            core::mem::swap(&mut src, &mut dst);
        }
        &src[..n << s_count]
    }
}

/// Cascade of ÷2 half-band decimators: `factor`·host rate → host rate.
pub struct Downsampler {
    /// `stages[s]` converts `2^(s+1)·fs → 2^s·fs`; all built up-front so changing the factor never allocates.
    stages: Vec<DownStage>,
    /// Active factor (log2); stages `factor_log2−1 … 0` run, top rate first.
    factor_log2: usize,
    /// Largest factor (log2) the buffers were sized for.
    max_factor_log2: usize,
    /// Largest host block (output length) `process` accepts; longer blocks are clamped.
    max_block: usize,
    /// Ping-pong intermediate-rate buffers (the last stage writes straight to the caller's output).
    buf_a: Vec<f32>,
    /// Second ping-pong buffer (a stage cannot write into its own input).
    buf_b: Vec<f32>,
}

impl Downsampler {
    /// Allocates everything for factors up to 2^max_factor_log2 and host blocks up to max_block samples.
    ///
    /// `max_factor_log2` above [`MAX_FACTOR_LOG2`] is clamped. The factor starts at the maximum.
    pub fn new(max_factor_log2: usize, max_block: usize) -> Self {
        debug_assert!(max_factor_log2 <= MAX_FACTOR_LOG2);
        let max_factor_log2 = max_factor_log2.min(MAX_FACTOR_LOG2);
        let mid_len = max_block
            .checked_mul(1 << max_factor_log2.saturating_sub(1))
            .expect("max_block too large");
        let mut this = Self {
            stages: (0..max_factor_log2)
                .map(|s| DownStage::new(s, max_block << s))
                .collect(),
            factor_log2: max_factor_log2,
            max_factor_log2,
            max_block,
            buf_a: vec![0.0; mid_len],
            buf_b: vec![0.0; mid_len],
        };
        this.set_factor_log2(max_factor_log2);
        this
    }

    /// Select the factor (log2, ≤ the max given to new). No allocation. Clears the filter state.
    pub fn set_factor_log2(&mut self, factor_log2: usize) {
        debug_assert!(factor_log2 <= self.max_factor_log2);
        self.factor_log2 = factor_log2.min(self.max_factor_log2);
        let (phases, _) = chain_plan(self.factor_log2);
        for (st, &p) in self.stages.iter_mut().zip(&phases) {
            st.phase = p as usize;
        }
        self.reset();
    }

    /// Current oversampling factor (1, 2, …, 32).
    pub fn factor(&self) -> usize {
        1 << self.factor_log2
    }

    /// Heap memory held, bytes.
    pub fn memory_bytes(&self) -> usize {
        let stages: usize = self.stages.iter().map(|s| s.taps.len() + s.fir_buf.len() + s.ctr_buf.len()).sum();
        (stages + self.buf_a.len() + self.buf_b.len()) * 4
    }

    /// Zero the filter state, no allocation.
    pub fn reset(&mut self) {
        for st in &mut self.stages {
            st.reset();
        }
    }

    /// `input.len()` == output.len() * factor. Never allocates.
    ///
    /// Never panics: on a length mismatch or `output.len() > max_block` (which
    /// trip a `debug_assert!`) it produces `min(output.len(), input.len()/factor,
    /// max_block)` samples and zero-fills the rest of `output`.
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) {
        let s_count = self.factor_log2;
        debug_assert_eq!(
            input.len(),
            output.len() << s_count,
            "input.len() != output.len() * factor"
        );
        debug_assert!(
            output.len() <= self.max_block,
            "block longer than max_block"
        );
        let n = output.len().min(input.len() >> s_count).min(self.max_block);
        output[n..].fill(0.0);
        let output = &mut output[..n];
        if s_count == 0 {
            output.copy_from_slice(&input[..n]);
            return;
        }
        let top = s_count - 1;
        if top == 0 {
            self.stages[0].process(&input[..2 * n], output);
            return;
        }
        let (mut src, mut dst) = (&mut self.buf_a, &mut self.buf_b);
        self.stages[top].process(&input[..n << s_count], &mut src[..n << top]);
        for s in (1..top).rev() {
            self.stages[s].process(&src[..n << (s + 1)], &mut dst[..n << s]);
            core::mem::swap(&mut src, &mut dst);
        }
        self.stages[0].process(&src[..2 * n], output);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use realfft::RealFftPlanner;
    use std::f64::consts::PI;

    /// Passband edge used by the tests (the spec's 0.4535·fs, = 20 kHz at 44.1 kHz).
    const EDGE: f64 = 20_000.0 / 44_100.0;

    /// Deterministic white-ish noise in [-1, 1).
    fn noise(len: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..len)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    fn sine(len: usize, freq: f64, amp: f64) -> Vec<f32> {
        (0..len)
            .map(|n| (amp * (2.0 * PI * freq * n as f64).sin()) as f32)
            .collect()
    }

    fn upsample(up: &mut Upsampler, input: &[f32], block: usize) -> Vec<f32> {
        let mut out = Vec::new();
        for chunk in input.chunks(block) {
            out.extend_from_slice(up.process(chunk));
        }
        out
    }

    fn round_trip(
        up: &mut Upsampler,
        down: &mut Downsampler,
        input: &[f32],
        block: usize,
    ) -> Vec<f32> {
        let mut out = Vec::new();
        let mut tmp = vec![0.0f32; block];
        for chunk in input.chunks(block) {
            let o = &mut tmp[..chunk.len()];
            down.process(up.process(chunk), o);
            out.extend_from_slice(o);
        }
        out
    }

    fn new_pair(factor_log2: usize, max_block: usize) -> (Upsampler, Downsampler) {
        (
            Upsampler::new(factor_log2, max_block),
            Downsampler::new(factor_log2, max_block),
        )
    }

    /// Least-squares amplitude of a sine of known frequency (cycles/sample) in `x`,
    /// whose first element is sample index `n0` of the signal.
    fn sine_amplitude(x: &[f32], freq: f64, n0: usize) -> f64 {
        let (mut cc, mut ss, mut cs, mut xc, mut xs) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            let ph = 2.0 * PI * freq * (n0 + i) as f64;
            let (s, c) = ph.sin_cos();
            let v = v as f64;
            cc += c * c;
            ss += s * s;
            cs += c * s;
            xc += v * c;
            xs += v * s;
        }
        let det = cc * ss - cs * cs;
        let a = (xc * ss - xs * cs) / det;
        let b = (xs * cc - xc * cs) / det;
        (a * a + b * b).sqrt()
    }

    /// Power spectrum |X[k]|² of the Kaiser-windowed signal.
    fn power_spectrum(x: &[f32]) -> Vec<f64> {
        // Kaiser, β = 20: sidelobes ≈ −190 dB, far below the 90 dB being measured;
        // main lobe ≈ ±6.5 bins.
        let w = crate::analysis::kaiser_window(x.len(), 20.0);
        let mut planner = RealFftPlanner::<f64>::new();
        let fft = planner.plan_fft_forward(x.len());
        let mut input: Vec<f64> = x.iter().zip(&w).map(|(&v, &w)| v as f64 * w).collect();
        let mut spec = fft.make_output_vec();
        fft.process(&mut input, &mut spec).unwrap();
        spec.iter().map(|c| c.norm_sqr()).collect()
    }

    /// Energy within ±10 bins (the whole Kaiser main lobe) of `freq` (cycles/sample).
    fn tone_energy(ps: &[f64], freq: f64, fft_len: usize) -> f64 {
        let centre = (freq * fft_len as f64).round() as i64;
        let lo = (centre - 10).max(0) as usize;
        let hi = ((centre + 10) as usize).min(ps.len() - 1);
        ps[lo..=hi].iter().sum()
    }

    fn db(x: f64) -> f64 {
        20.0 * x.log10()
    }

    #[test]
    fn latency_table_matches_docs_and_sum_of_group_delays() {
        assert_eq!(
            (0..=MAX_FACTOR_LOG2)
                .map(round_trip_latency)
                .collect::<Vec<_>>(),
            vec![0, 57, 61, 62, 63, 63]
        );
        for s in 0..=MAX_FACTOR_LOG2 {
            let g: f64 = (0..s)
                .map(|i| stage_delay(i) as f64 / (1u64 << i) as f64)
                .sum();
            assert_eq!(round_trip_latency(s), g.floor() as u32);
        }
    }

    #[test]
    fn each_halfband_stage_meets_90db_stopband_and_tiny_ripple() {
        for (s, &k) in STAGE_K.iter().enumerate() {
            let down_taps = DownStage::new(s, 1).taps;
            let up_taps = UpStage::new(s, 1).taps;
            // The interpolator's taps are exactly twice the decimator's (zero-stuffing gain).
            assert!(up_taps.iter().zip(&down_taps).all(|(&u, &d)| u == 2.0 * d));
            let g: Vec<f64> = down_taps.iter().map(|&v| v as f64).collect();
            assert_eq!(g.len(), 2 * k);
            for i in 0..g.len() {
                assert_eq!(g[i], g[g.len() - 1 - i], "taps must be symmetric");
            }
            // h_m = g[k-1+m], H(ω) = 1/2 + Σ 2 h_m cos((2m−1)ω).
            let resp = |w: f64| {
                0.5 + (1..=k)
                    .map(|m| 2.0 * g[k - 1 + m] * ((2 * m - 1) as f64 * w).cos())
                    .sum::<f64>()
            };
            let fp = EDGE / (2u64 << s) as f64;
            let (mut ripple, mut stop) = (0.0f64, 0.0f64);
            for i in 0..=20000 {
                let w = 2.0 * PI * fp * i as f64 / 20000.0;
                ripple = ripple.max((resp(w) - 1.0).abs());
                stop = stop.max(resp(PI - w).abs());
            }
            let ripple_db = db(1.0 + ripple);
            println!(
                "stage {}: K={k} taps={} stopband {:.2} dB, passband ripple ±{:.5} dB",
                s + 1,
                4 * k - 1,
                -db(stop),
                ripple_db
            );
            assert!(
                -db(stop) >= 90.0,
                "stage {} stopband only {} dB",
                s + 1,
                -db(stop)
            );
            assert!(ripple_db <= 0.001);
        }
    }

    #[test]
    fn round_trip_passband_is_flat_within_0_01_db_up_to_0_4535_fs() {
        let len = 8192;
        let skip = 512;
        for s in 1..=MAX_FACTOR_LOG2 {
            let mut worst = 0.0f64;
            let mut freqs: Vec<f64> = (1..=64).map(|i| EDGE * i as f64 / 64.0).collect();
            freqs.extend_from_slice(&[0.0005, 0.002, 0.4535]);
            for &f in &freqs {
                let (mut up, mut down) = new_pair(s, 256);
                let x = sine(len, f, 0.5);
                let y = round_trip(&mut up, &mut down, &x, 256);
                // Compare against the input sine at the same phase (delayed by the latency).
                let lat = round_trip_latency(s) as usize;
                let a = sine_amplitude(&y[skip..], f, skip - lat);
                let dev = db(a / 0.5);
                worst = worst.max(dev.abs());
                assert!(
                    dev.abs() <= 0.01,
                    "factor {}: {f} fs deviates {dev} dB",
                    1 << s
                );
            }
            println!(
                "factor {:2}: max passband deviation {:.5} dB",
                1 << s,
                worst
            );
        }
    }

    #[test]
    fn upsampler_images_are_at_least_90db_down() {
        let fft_len = 1 << 16;
        for s in 1..=MAX_FACTOR_LOG2 {
            let factor = 1usize << s;
            let warm = 256;
            let host_len = fft_len / factor + warm;
            let mut worst = f64::INFINITY;
            for &f in &[0.01, 0.1, 0.2, 0.3, 0.4, EDGE] {
                let mut up = Upsampler::new(s, 512);
                let y = upsample(&mut up, &sine(host_len, f, 1.0), 512);
                let y = &y[warm * factor..];
                assert_eq!(y.len(), fft_len);
                let ps = power_spectrum(y);
                let fund = tone_energy(&ps, f / factor as f64, fft_len);
                // The fundamental itself must come through at unity gain (±0.01 dB).
                let reference = power_spectrum(&sine(fft_len, f / factor as f64, 1.0));
                let ref_e = tone_energy(&reference, f / factor as f64, fft_len);
                assert_abs_diff_eq!(10.0 * (fund / ref_e).log10(), 0.0, epsilon = 0.01);
                // Images m·fs ± f inside the top-rate Nyquist band.
                let half = factor as f64 / 2.0;
                for m in 1..=factor / 2 {
                    for img in [m as f64 - f, m as f64 + f] {
                        if img >= half {
                            continue;
                        }
                        let e = tone_energy(&ps, img / factor as f64, fft_len);
                        let rej = 10.0 * (fund / e).log10();
                        worst = worst.min(rej);
                        assert!(
                            rej >= 90.0,
                            "factor {factor}: image of {f} fs at {img} fs only {rej} dB down"
                        );
                    }
                }
            }
            println!("factor {factor:2}: worst image rejection {worst:.2} dB");
        }
    }

    #[test]
    fn downsampler_aliases_are_at_least_90db_down() {
        let host_len = 8192;
        let warm = 256;
        for s in 1..=MAX_FACTOR_LOG2 {
            let factor = 1usize << s;
            let mut worst = f64::INFINITY;
            for &f in &[0.01, 0.1, 0.2, 0.3, 0.4, EDGE] {
                // Every top-rate frequency that folds onto f in 0 … 0.4535·fs.
                let mut sources: Vec<f64> = (1..=factor / 2).map(|m| m as f64 - f).collect();
                sources.extend((1..factor / 2).map(|m| m as f64 + f));
                for g in sources {
                    let mut down = Downsampler::new(s, 512);
                    let x = sine((host_len + warm) * factor, g / factor as f64, 1.0);
                    let mut y = vec![0.0f32; host_len + warm];
                    for (xi, yo) in x.chunks(512 * factor).zip(y.chunks_mut(512)) {
                        down.process(xi, yo);
                    }
                    let y = &y[warm..];
                    // Everything in the output is the alias: compare RMS to the input's (1/√2).
                    let rms = (y.iter().map(|&v| v as f64 * v as f64).sum::<f64>()
                        / y.len() as f64)
                        .sqrt();
                    let rej = -db(rms * 2f64.sqrt());
                    worst = worst.min(rej);
                    assert!(
                        rej >= 90.0,
                        "factor {factor}: {g} fs aliasing to {f} fs only {rej} dB down"
                    );
                }
            }
            println!("factor {factor:2}: worst alias rejection {worst:.2} dB");
        }
    }

    #[test]
    fn round_trip_impulse_is_symmetric_about_exact_latency() {
        for s in 0..=MAX_FACTOR_LOG2 {
            let lat = round_trip_latency(s) as usize;
            for n0 in [0usize, 1, 5, 100] {
                let mut x = vec![0.0f32; 512];
                x[n0] = 1.0;
                let (mut up, mut down) = new_pair(s, 64);
                let y = round_trip(&mut up, &mut down, &x, 64);
                if s == 0 {
                    assert_eq!(y, x, "factor 1 must be the identity");
                    continue;
                }
                let c = n0 + lat;
                let peak = (0..y.len())
                    .max_by(|&a, &b| y[a].abs().total_cmp(&y[b].abs()))
                    .unwrap();
                assert_eq!(peak, c, "factor {}: peak at {peak}, expected {c}", 1 << s);
                // Symmetric about c (up to f32 rounding), and nothing before n0.
                for d in 1..=c {
                    assert_abs_diff_eq!(y[c + d], y[c - d], epsilon = 1e-6);
                }
                assert!(y[..n0].iter().all(|&v| v == 0.0));
                assert!(y[2 * c - n0 + 1..].iter().all(|&v| v.abs() < 1e-6));
                let dc: f64 = y.iter().map(|&v| v as f64).sum();
                // DC gain = 1 within the ±0.01 dB passband tolerance (equiripple: DC is a ripple peak).
                assert_abs_diff_eq!(db(dc), 0.0, epsilon = 0.01);
            }
        }
    }

    #[test]
    fn output_is_bit_identical_for_block_sizes_1_7_64_512() {
        let x: Vec<f32> = noise(3000, 7)
            .iter()
            .zip(sine(3000, 0.123, 0.5))
            .map(|(a, b)| 0.5 * a + b)
            .collect();
        let same = |a: &[f32], b: &[f32]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
        };
        for s in 0..=MAX_FACTOR_LOG2 {
            let ref_up = upsample(&mut Upsampler::new(s, 512), &x, 512);
            let (mut up, mut down) = new_pair(s, 512);
            let ref_rt = round_trip(&mut up, &mut down, &x, 512);
            for block in [1usize, 7, 64] {
                let u = upsample(&mut Upsampler::new(s, 512), &x, block);
                assert!(
                    same(&u, &ref_up),
                    "upsampler, factor {}, block {block}",
                    1 << s
                );
                let (mut up, mut down) = new_pair(s, 512);
                let rt = round_trip(&mut up, &mut down, &x, block);
                assert!(
                    same(&rt, &ref_rt),
                    "round trip, factor {}, block {block}",
                    1 << s
                );
            }
        }
    }

    #[test]
    fn reset_and_set_factor_clear_all_state_including_nan() {
        let probe: Vec<f32> = sine(700, 0.05, 0.8);
        let mut dirt = noise(600, 3);
        dirt[100] = f32::NAN;
        dirt[200] = f32::INFINITY;
        dirt[300] = f32::NEG_INFINITY;
        for s in 0..=MAX_FACTOR_LOG2 {
            let (mut up, mut down) = new_pair(s, 128);
            let reference = round_trip(&mut up, &mut down, &probe, 128);
            assert!(reference.iter().all(|v| v.is_finite()));

            // Dirty state (including NaN/inf), then reset.
            let (mut up, mut down) = new_pair(s, 128);
            let dirty = round_trip(&mut up, &mut down, &dirt, 128);
            if s > 0 {
                assert!(
                    dirty.iter().any(|v| v.is_nan()),
                    "the test must actually poison the state"
                );
            }
            up.reset();
            down.reset();
            let after = round_trip(&mut up, &mut down, &probe, 128);
            assert!(
                after
                    .iter()
                    .zip(&reference)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "reset, factor {}",
                1 << s
            );

            // Built for the max factor, dirtied at another factor, then switched to s.
            let (mut up, mut down) = new_pair(MAX_FACTOR_LOG2, 128);
            let other = (s + 1) % (MAX_FACTOR_LOG2 + 1);
            up.set_factor_log2(other);
            down.set_factor_log2(other);
            let _ = round_trip(&mut up, &mut down, &dirt, 128);
            up.set_factor_log2(s);
            down.set_factor_log2(s);
            assert_eq!((up.factor(), down.factor()), (1 << s, 1 << s));
            let after = round_trip(&mut up, &mut down, &probe, 128);
            assert!(
                after
                    .iter()
                    .zip(&reference)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "set_factor, factor {}",
                1 << s
            );

            // Same factor re-selected mid-stream also clears.
            let _ = round_trip(&mut up, &mut down, &dirt, 128);
            up.set_factor_log2(s);
            down.set_factor_log2(s);
            let after = round_trip(&mut up, &mut down, &probe, 128);
            assert!(after
                .iter()
                .zip(&reference)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn empty_blocks_are_harmless() {
        for s in 0..=MAX_FACTOR_LOG2 {
            let (mut up, mut down) = new_pair(s, 64);
            assert!(up.process(&[]).is_empty());
            down.process(&[], &mut []);
            let (mut up2, mut down2) = new_pair(s, 64);
            let x = noise(200, 1);
            let a = round_trip(&mut up, &mut down, &x, 64);
            let b = round_trip(&mut up2, &mut down2, &x, 64);
            assert_eq!(a, b);
        }
    }

    /// Over-long blocks are a caller bug: debug builds assert, release builds
    /// clamp to `max_block` without panicking or touching memory out of range.
    #[test]
    #[cfg_attr(debug_assertions, should_panic)]
    fn oversize_blocks_debug_assert_or_clamp() {
        for s in 0..=MAX_FACTOR_LOG2 {
            let (mut up, mut down) = new_pair(s, 16);
            let x = noise(40, 2);
            let u = up.process(&x).to_vec();
            assert_eq!(u.len(), 16 << s);
            let mut y = vec![1.0f32; 40];
            down.process(&u, &mut y);
            assert!(y[16..].iter().all(|&v| v == 0.0));
            let long_in = vec![0.5f32; 40 << s];
            down.process(&long_in, &mut y[..3]);
        }
    }
}

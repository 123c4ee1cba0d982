//! Small pieces the three algorithmic reverbs share: input sanitising, power-of-two delay memory
//! (indexing with a mask instead of a modulo; lane by lane in [`Lanes`], frame by frame in
//! [`Frames8`]), Jezar-style exact-length buffers ([`Rings`]), the allpass-interpolated
//! fractional read used by the modulated delays, a cheap sine-like LFO, the bounded glide used
//! for delay lengths and gains, and the transposes of the block-wise paths (on the crate's one
//! lane type, `crate::simd`'s `f32x4`).

use crate::input::{sanitize, RECURSIVE_INPUT_LIMIT};
use crate::simd::{f32x4, i32x4, LaneOps};

/// What every reverb network's input goes through: [`sanitize`] at
/// [`RECURSIVE_INPUT_LIMIT`] (non-finite → 0, tiny → 0, clamped to ±100), so no subnormal ever
/// enters a network even without DAZ and "huge" input gives a bounded tail.
#[inline(always)]
pub fn sanitize_input(x: f32) -> f32 {
    sanitize(x, RECURSIVE_INPUT_LIMIT)
}

/// True when every sample of both outputs is finite: the per-block last-resort guard.
#[inline]
pub fn all_finite(a: &[f32], b: &[f32]) -> bool {
    // A sum of products with 0 is NaN exactly when some element is NaN or ±inf.
    let mut acc = 0.0f32;
    for (&x, &y) in a.iter().zip(b) {
        acc += x * 0.0 + y * 0.0;
    }
    acc == 0.0
}

/// Delay memory for `lanes` lines of equal power-of-two capacity in one allocation. All lines
/// share the owner's running write position, so a read `d` samples back is
/// `lane·stride + ((pos − d) & mask)`: no modulo, no per-line index, and one mask for all.
#[derive(Clone, Debug)]
pub struct Lanes {
    /// The samples of all lines, line `k` at `k·stride .. (k+1)·stride`.
    buf: Vec<f32>,
    /// Capacity of one line (a power of two).
    stride: usize,
    /// `stride − 1`.
    mask: usize,
    /// Number of lines; `buf.len() == lanes·stride` always.
    lanes: usize,
}

impl Lanes {
    /// `lanes` lines, each able to hold at least `max_delay + 2` samples (a fractional read at
    /// `max_delay` touches `max_delay + 1`).
    pub fn new(lanes: usize, max_delay: usize) -> Self {
        let stride = (max_delay + 2).next_power_of_two();
        let lanes = lanes.max(1);
        Self { buf: vec![0.0; lanes * stride], stride, mask: stride - 1, lanes }
    }

    /// A borrowed view for the duration of one `process` call: its length, stride and mask live
    /// in locals, so the compiler need not reload them after every store into the samples
    /// (which it must assume could alias the owning struct's fields).
    #[inline(always)]
    pub fn view(&mut self) -> LanesView<'_> {
        LanesView { buf: &mut self.buf, stride: self.stride, mask: self.mask, lanes: self.lanes }
    }

    /// Bounds-checked read (for tests and diagnostics; `process` uses [`Self::view`]).
    pub fn peek(&self, lane: usize, pos: usize, delay: usize) -> f32 {
        let i = lane * self.stride + (pos.wrapping_sub(delay) & self.mask);
        if lane < self.lanes {
            self.buf.get(i).copied().unwrap_or(0.0)
        } else {
            0.0
        }
    }

    /// Largest delay a read may use (the capacity less the sample a fractional read adds).
    pub fn max_delay(&self) -> usize {
        self.stride - 2
    }

    /// Clear all lines.
    pub fn reset(&mut self) {
        self.buf.fill(0.0);
    }

    /// Every sample of state, for tests that look for subnormals.
    pub fn samples(&self) -> &[f32] {
        &self.buf
    }

    /// Heap memory held, bytes.
    pub fn memory_bytes(&self) -> usize {
        self.buf.capacity() * core::mem::size_of::<f32>()
    }
}

/// [`Lanes`] borrowed for one block; same layout, `buf.len() == lanes·stride`.
pub struct LanesView<'a> {
    /// The samples of all lines.
    buf: &'a mut [f32],
    /// Capacity of one line (a power of two).
    stride: usize,
    /// `stride − 1`.
    mask: usize,
    /// Number of lines.
    lanes: usize,
}

impl LanesView<'_> {
    /// The sample of line `lane` written `delay` samples before position `pos` (`delay` is taken
    /// modulo the capacity). An out-of-range lane cannot occur in the models (fixed loops) and
    /// reads 0 rather than panic.
    #[inline(always)]
    pub fn read(&self, lane: usize, pos: usize, delay: usize) -> f32 {
        if lane >= self.lanes {
            return 0.0;
        }
        let i = lane * self.stride + (pos.wrapping_sub(delay) & self.mask);
        debug_assert!(i < self.buf.len());
        // SAFETY: `lane < lanes` (checked above; the models' loops use constant lane counts, so
        // the check folds away) and `(…) & mask < stride`, hence `i < lanes·stride`, which is
        // `buf.len()`: `new` allocates exactly that and nothing ever resizes `buf`.
        unsafe { *self.buf.get_unchecked(i) }
    }

    /// Copy `out.len()` consecutive samples of line `lane`, the first at position `start`
    /// (i.e. `out[i]` = the sample `read(lane, start + i, 0)`), handling the wrap with two
    /// copies. Zeros if `lane` is out of range or `out` is longer than the line.
    #[inline(always)]
    pub fn read_span(&self, lane: usize, start: usize, out: &mut [f32]) {
        let s = start & self.mask;
        let first = out.len().min(self.stride - s);
        let base = lane * self.stride;
        match (self.buf.get(base + s..base + s + first), self.buf.get(base..base + out.len() - first)) {
            (Some(a), Some(b)) if lane < self.lanes && out.len() <= self.stride => {
                let (o1, o2) = out.split_at_mut(first);
                o1.copy_from_slice(a);
                o2.copy_from_slice(b);
            }
            _ => out.fill(0.0),
        }
    }

    /// `out[i] += g · read(lane, start + i, 0)` for every `i`, straight from the memory (at
    /// most two contiguous pieces, no copy). Nothing happens if `lane` is out of range or
    /// `out` is longer than the line.
    #[inline(always)]
    pub fn accumulate_span(&self, lane: usize, start: usize, g: f32, out: &mut [f32]) {
        if lane >= self.lanes || out.len() > self.stride {
            return;
        }
        let s = start & self.mask;
        let n = out.len();
        let first = n.min(self.stride - s);
        let base = lane * self.stride;
        let (o1, o2) = out.split_at_mut(first);
        for (o, seg) in [(o1, self.buf.get(base + s..base + s + first)), (o2, self.buf.get(base..base + n - first))] {
            if let Some(seg) = seg {
                for (o, &v) in o.iter_mut().zip(seg) {
                    *o += g * v;
                }
            }
        }
    }

    /// Store `src` (flushed by the caller) in line `lane` at positions `start ..`, wrapping.
    /// Nothing happens if `lane` is out of range or `src` is longer than the line.
    #[inline(always)]
    pub fn write_span(&mut self, lane: usize, start: usize, src: &[f32]) {
        if lane >= self.lanes || src.len() > self.stride {
            return;
        }
        let s = start & self.mask;
        let first = src.len().min(self.stride - s);
        let base = lane * self.stride;
        let (a, b) = src.split_at(first);
        if let Some(d) = self.buf.get_mut(base + s..base + s + first) {
            d.copy_from_slice(a);
        }
        if let Some(d) = self.buf.get_mut(base..base + b.len()) {
            d.copy_from_slice(b);
        }
    }

    /// Capacity of one line.
    #[inline(always)]
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Position mask (`stride − 1`).
    #[inline(always)]
    pub fn mask(&self) -> usize {
        self.mask
    }

    /// Where lane `k` starts in the flat index of [`Self::at`].
    #[inline(always)]
    pub fn base(&self, k: usize) -> usize {
        k * self.stride
    }

    /// The sample at flat index `i` (lane `k` starts at `k·stride`); 0 if out of range.
    #[inline(always)]
    pub fn at(&self, i: usize) -> f32 {
        self.buf.get(i).copied().unwrap_or(0.0)
    }

    /// Store `x` (flushed by the caller) in line `lane` at position `pos`.
    #[inline(always)]
    pub fn write(&mut self, lane: usize, pos: usize, x: f32) {
        if lane >= self.lanes {
            return;
        }
        let i = lane * self.stride + (pos & self.mask);
        debug_assert!(i < self.buf.len());
        // SAFETY: as in `read`: `lane < lanes` and `pos & mask < stride`, so `i < buf.len()`.
        unsafe { *self.buf.get_unchecked_mut(i) = x }
    }
}

/// `N` circular buffers of fixed, exact lengths in one allocation, each with its own index,
/// read and then overwritten at that index (Jezar's `comb`/`allpass` buffers): a buffer of
/// length `D` returns at its index the sample written `D` samples earlier. Because the read and
/// write positions coincide, `b` consecutive samples of a buffer are one contiguous span as
/// long as `b` does not pass the buffer's end ([`Self::room`]), so a block of `b ≤ D` samples
/// can be read, computed and written back as whole slices, which the compiler vectorises.
#[derive(Clone, Debug)]
pub struct Rings<const N: usize> {
    /// The samples of all buffers, buffer `k` at `offset[k] .. offset[k] + len[k]`.
    buf: Vec<f32>,
    /// Start of each buffer in `buf`.
    offset: [usize; N],
    /// Length of each buffer (≥ 1), samples: its delay.
    len: [usize; N],
    /// Current index of each buffer, always `< len[k]`.
    index: [usize; N],
}

impl<const N: usize> Rings<N> {
    /// Buffers of the given lengths (each at least 1), zeroed.
    pub fn new(len: [usize; N]) -> Self {
        let len = len.map(|l| l.max(1));
        let mut offset = [0; N];
        let mut total = 0;
        for (o, &l) in offset.iter_mut().zip(&len) {
            *o = total;
            total += l;
        }
        Self { buf: vec![0.0; total], offset, len, index: [0; N] }
    }

    /// Samples left before buffer `k` wraps, ≥ 1: the longest span [`Self::span`] can return.
    #[inline(always)]
    pub fn room(&self, k: usize) -> usize {
        match (self.len.get(k), self.index.get(k)) {
            (Some(&l), Some(&i)) => l - i,
            _ => 1,
        }
    }

    /// The smallest [`Self::room`] of all buffers.
    #[inline(always)]
    pub fn min_room(&self) -> usize {
        let mut room = usize::MAX;
        for k in 0..N {
            room = room.min(self.len[k] - self.index[k]);
        }
        room
    }

    /// The next `b` samples of buffer `k` (`b ≤ room(k)`): on entry they hold the samples
    /// written `len[k]` samples earlier, and whatever the caller stores replaces them. An empty
    /// slice if `b` is out of range (the models never ask for that).
    #[inline(always)]
    pub fn span(&mut self, k: usize, b: usize) -> &mut [f32] {
        match self.range(k, b) {
            Some(r) => self.buf.get_mut(r).unwrap_or(&mut []),
            None => &mut [],
        }
    }

    /// [`Self::span`] of the four buffers `first .. first + 4` at once; `None` if any is out of
    /// range (the models never ask for that).
    #[inline(always)]
    pub fn spans4(&mut self, first: usize, b: usize) -> Option<[&mut [f32]; 4]> {
        let r = [self.range(first, b)?, self.range(first + 1, b)?, self.range(first + 2, b)?, self.range(first + 3, b)?];
        self.buf.get_disjoint_mut(r).ok()
    }

    /// Where [`Self::span`] of buffer `k` lies in `buf`, if `k` exists and `b ≤ room(k)`.
    #[inline(always)]
    fn range(&self, k: usize, b: usize) -> Option<core::ops::Range<usize>> {
        let (&o, &i, &l) = (self.offset.get(k)?, self.index.get(k)?, self.len.get(k)?);
        (i + b <= l).then_some(o + i..o + i + b)
    }

    /// Move every buffer's index on by `b` (≤ [`Self::min_room`]), wrapping at its end.
    #[inline(always)]
    pub fn advance(&mut self, b: usize) {
        for k in 0..N {
            let i = self.index[k] + b;
            self.index[k] = if i >= self.len[k] { i - self.len[k] } else { i };
        }
    }

    /// Length of buffer `k`.
    pub fn len(&self, k: usize) -> usize {
        self.len.get(k).copied().unwrap_or(0)
    }

    /// The `len(k)` samples of buffer `k` (in storage order): what it holds.
    pub fn contents(&self, k: usize) -> &[f32] {
        match (self.offset.get(k), self.len.get(k)) {
            (Some(&o), Some(&l)) => &self.buf[o..o + l],
            _ => &[],
        }
    }

    /// Clear all buffers and indices.
    pub fn reset(&mut self) {
        self.buf.fill(0.0);
        self.index = [0; N];
    }

    /// Every sample of state, for tests that look for subnormals.
    pub fn samples(&self) -> &[f32] {
        &self.buf
    }

    /// Heap memory held, bytes.
    pub fn memory_bytes(&self) -> usize {
        self.buf.capacity() * core::mem::size_of::<f32>()
    }
}

/// [`allpass_split`] per lane, with the two ring indices the interpolator reads at positions
/// `p[j]`: `newer[j] = (((p[j] − n[j]) & mask) << shift) + base[j]` and `older[j]` likewise for
/// `n[j] + 1`, in wrapping 32-bit arithmetic (the same as [`LanesView::read`]'s for
/// `mask < 2³¹`). Returns `(newer, older, η)`; `n` and η are bit-identical to the scalar
/// function's for every finite `d` below 2³¹.
#[inline(always)]
pub fn split_ring(d: f32x4, p: [i32; 4], mask: i32, shift: u32, base: [i32; 4]) -> ([i32; 4], [i32; 4], f32x4) {
    let d = d.max_by_gt(f32x4::splat(1.5));
    let n = (d - f32x4::splat(0.5)).fast_trunc_int();
    let alpha = d - f32x4::from_i32x4(n);
    let one = f32x4::splat(1.0);
    let eta = (one - alpha) / (one + alpha);
    let (t, m, base) = (i32x4::new(p) - n, i32x4::splat(mask), i32x4::new(base));
    let newer = ((t & m) << shift) + base;
    let older = (((t - i32x4::splat(1)) & m) << shift) + base;
    (newer.to_array(), older.to_array(), eta)
}

/// Ring indices `(((p[j] − delay[j]) & mask) << shift) + base[j]` in wrapping 32-bit
/// arithmetic (the integer half of [`split_ring`], for fixed delays).
#[inline(always)]
pub fn ring_index(p: [i32; 4], delay: [i32; 4], mask: i32, shift: u32, base: [i32; 4]) -> [i32; 4] {
    let t = (i32x4::new(p) - i32x4::new(delay)) & i32x4::splat(mask);
    ((t << shift) + i32x4::new(base)).to_array()
}

/// `rows[i][4·group + j] = cols[j][i]` for `i < rows.len()`: four contiguous signals into one
/// quarter of each 16-lane row (4×4 lane transposes, plain moves for the last `len % 4` rows;
/// a pure data move). Rows beyond the shortest of `cols` are left alone; a `group` above 3
/// does nothing.
#[inline(always)]
pub fn transpose_in(cols: [&[f32]; 4], rows: &mut [[f32; 16]], group: usize) {
    let n = rows.len().min(cols[0].len()).min(cols[1].len()).min(cols[2].len()).min(cols[3].len());
    if group > 3 {
        return;
    }
    let lane = 4 * group;
    let (rows4, _) = rows[..n].as_chunks_mut::<4>();
    let (c0, c1, c2, c3) = (cols[0][..n].as_chunks::<4>().0, cols[1][..n].as_chunks::<4>().0, cols[2][..n].as_chunks::<4>().0, cols[3][..n].as_chunks::<4>().0);
    for ((((r, a), b), c), d) in rows4.iter_mut().zip(c0).zip(c1).zip(c2).zip(c3) {
        let t = f32x4::transpose([f32x4::new(*a), f32x4::new(*b), f32x4::new(*c), f32x4::new(*d)]);
        for (row, v) in r.iter_mut().zip(t) {
            if let Some(quarter) = row.as_chunks_mut::<4>().0.get_mut(group) {
                *quarter = v.to_array();
            }
        }
    }
    for (ii, row) in rows.iter_mut().enumerate().take(n).skip(n & !3) {
        for (j, col) in cols.iter().enumerate() {
            row[lane + j] = col[ii];
        }
    }
}

/// The inverse of [`transpose_in`]: `cols[j][i] = rows[i][4·group + j]`.
#[inline(always)]
pub fn transpose_out(rows: &[[f32; 16]], group: usize, cols: [&mut [f32]; 4]) {
    let n = rows.len().min(cols[0].len()).min(cols[1].len()).min(cols[2].len()).min(cols[3].len());
    if group > 3 {
        return;
    }
    let lane = 4 * group;
    let mut cols = cols;
    {
        let (rows4, _) = rows[..n].as_chunks::<4>();
        let [c0, c1, c2, c3] = &mut cols;
        let (c0, c1, c2, c3) = (c0[..n].as_chunks_mut::<4>().0, c1[..n].as_chunks_mut::<4>().0, c2[..n].as_chunks_mut::<4>().0, c3[..n].as_chunks_mut::<4>().0);
        for ((((r, a), b), c), d) in rows4.iter().zip(c0).zip(c1).zip(c2).zip(c3) {
            let quarter = |row: &[f32; 16]| f32x4::new(row.as_chunks::<4>().0.get(group).copied().unwrap_or_default());
            let t = f32x4::transpose([quarter(&r[0]), quarter(&r[1]), quarter(&r[2]), quarter(&r[3])]);
            for (col, v) in [a, b, c, d].into_iter().zip(t) {
                *col = v.to_array();
            }
        }
    }
    for (ii, row) in rows.iter().enumerate().take(n).skip(n & !3) {
        for (j, col) in cols.iter_mut().enumerate() {
            col[ii] = row[lane + j];
        }
    }
}

/// False in normal builds. Test builds can set it per thread (`tests::per_sample`) to make the
/// models take their sample-by-sample path (sub-blocks of one sample in Freeverb), to check
/// that the block-wise paths give bit-identical results.
#[inline(always)]
pub fn per_sample_only() -> bool {
    #[cfg(test)]
    return tests::PER_SAMPLE.with(|c| c.get());
    #[cfg(not(test))]
    false
}

/// Delay memory for 8 lines of equal power-of-two capacity, stored frame by frame: the 8
/// samples written at one position are adjacent, so a write of all lines is two 4-lane stores,
/// while reads (each line at its own delay) are single loads as with [`Lanes`]. Same running-
/// position convention as [`Lanes`].
#[derive(Clone, Debug)]
pub struct Frames8 {
    /// One row of 8 lanes per position; `buf.len()` is a power of two.
    buf: Vec<[f32; 8]>,
}

impl Frames8 {
    /// Room for reads up to `max_delay + 1` samples back on every line.
    pub fn new(max_delay: usize) -> Self {
        Self { buf: vec![[0.0; 8]; (max_delay + 2).next_power_of_two()] }
    }

    /// Borrowed for one block.
    #[inline(always)]
    pub fn view(&mut self) -> Frames8View<'_> {
        let mask = self.buf.len() - 1;
        Frames8View { buf: &mut self.buf, mask }
    }

    /// Largest delay a read may use.
    pub fn max_delay(&self) -> usize {
        self.buf.len() - 2
    }

    /// Clear all lines.
    pub fn reset(&mut self) {
        self.buf.fill([0.0; 8]);
    }

    /// Every sample of state, for tests that look for subnormals.
    pub fn samples(&self) -> &[f32] {
        self.buf.as_flattened()
    }

    /// Heap memory held, bytes.
    pub fn memory_bytes(&self) -> usize {
        self.buf.capacity() * core::mem::size_of::<[f32; 8]>()
    }
}

/// [`Frames8`] borrowed for one block.
pub struct Frames8View<'a> {
    /// The rows; `buf.len()` is a power of two (`Frames8::new`).
    buf: &'a mut [[f32; 8]],
    /// `buf.len() − 1`.
    mask: usize,
}

impl Frames8View<'_> {
    /// The sample of line `lane` (taken mod 8) written `delay` samples before position `pos`.
    #[inline(always)]
    pub fn read(&self, lane: usize, pos: usize, delay: usize) -> f32 {
        let row = pos.wrapping_sub(delay) & self.mask;
        // SAFETY: `row ≤ mask < buf.len()`, and `lane & 7 < 8`.
        unsafe { *self.buf.get_unchecked(row).get_unchecked(lane & 7) }
    }

    /// Store `x` (flushed by the caller) in line `lane` (mod 8) at position `pos`.
    #[inline(always)]
    pub fn write(&mut self, lane: usize, pos: usize, x: f32) {
        let row = pos & self.mask;
        // SAFETY: as in `read`.
        unsafe { *self.buf.get_unchecked_mut(row).get_unchecked_mut(lane & 7) = x }
    }

    /// Store lines 0–3 and 4–7 (flushed by the caller) at position `pos`.
    #[inline(always)]
    pub fn write_lanes(&mut self, pos: usize, lo: f32x4, hi: f32x4) {
        let row = pos & self.mask;
        // SAFETY: as in `read`.
        let row = unsafe { self.buf.get_unchecked_mut(row) };
        let (a, b) = row.split_at_mut(4);
        if let (Ok(a), Ok(b)) = (<&mut [f32; 4]>::try_from(a), <&mut [f32; 4]>::try_from(b)) {
            *a = lo.to_array();
            *b = hi.to_array();
        }
    }

    /// The sample at flat index `i = row·8 + lane`, the index taken modulo the memory's size
    /// (a power of two), so any `i` is in bounds.
    #[inline(always)]
    pub fn at(&self, i: usize) -> f32 {
        let flat = self.buf.as_flattened();
        let i = i & (flat.len().wrapping_sub(1));
        // SAFETY: `flat.len()` is a non-zero power of two and `i` is masked below it.
        unsafe { *flat.get_unchecked(i) }
    }

    /// The row mask (`rows − 1`).
    #[inline(always)]
    pub fn mask(&self) -> usize {
        self.mask
    }
}

/// Split a fractional delay `d` (≥ 1.5) into the integer part `n` and the allpass-interpolation
/// coefficient η = (1 − α)/(1 + α) with α = d − n kept in [0.5, 1.5), so |η| ≤ 1/3 and the
/// interpolator's pole is well inside the unit circle (Dattorro 1997, "Effect Design Part 1",
/// §5: allpass interpolation has unit magnitude, so modulation neither damps the loop nor
/// changes its RT60, and a frozen loop stays lossless). Returns `(n, η)`.
#[inline(always)]
pub fn allpass_split(d: f32) -> (usize, f32) {
    let d = d.max(1.5);
    // Truncation = floor for positive values. Through i32 because SSE2 converts f32 to i32 in
    // one instruction but has no unsigned conversion; the same result for every d < 2³¹
    // (the callers' delays are bounded by their memories, far below).
    let n = (d - 0.5) as i32 as usize;
    let alpha = d - n as f32;
    (n, (1.0 - alpha) / (1.0 + alpha))
}

/// One step of the first-order allpass interpolator
/// `y[n] = η·(x[n−N] − y[n−1]) + x[n−N−1]`, given the two samples read and the previous output.
#[inline(always)]
pub fn allpass_interpolate(eta: f32, newer: f32, older: f32, previous: f32) -> f32 {
    eta * (newer - previous) + older
}

/// A sine-like LFO shape from a phase in [−1, 1): `4p(1 − |p|)`, which has the sine's peaks
/// (±1 at p = ±½), zeros and a continuous slope at the wrap, at the cost of two multiplies.
/// Its harmonics (−30 dB) are irrelevant for a sub-hertz delay modulation.
#[inline(always)]
pub fn parabolic_sine(phase: f32) -> f32 {
    4.0 * phase * (1.0 - phase.abs())
}

/// Advance an LFO phase in [−1, 1) by `increment` (2·f/fs per sample, < 2) and wrap.
#[inline(always)]
pub fn advance_phase(phase: f32, increment: f32) -> f32 {
    let p = phase + increment;
    if p >= 1.0 {
        p - 2.0
    } else {
        p
    }
}

/// Move `current` towards `target` by at most `step`; lands exactly on `target`.
#[inline(always)]
pub fn glide(current: f32, target: f32, step: f32) -> f32 {
    current + (target - current).clamp(-step, step)
}

/// Largest glide of a delay length, samples per sample (a pitch change of at most 1/32).
const LENGTH_GLIDE: f32 = 1.0 / 32.0;
/// Time for the modulation depth to glide over its full range, seconds.
const DEPTH_GLIDE_S: f32 = 0.1;
/// Time for the input gain to glide on or off when freeze toggles, seconds.
const INPUT_GLIDE_S: f32 = 0.02;

/// The glides of a modulated delay network (the hall and the plate): `N` delay lengths, the
/// modulation excursion and the input gain, each moving towards its target by a bounded step
/// per sample so that `size`, `modulation` and `freeze` changes never click.
#[derive(Clone)]
pub struct Glides<const N: usize> {
    /// Current delay lengths, samples (glide towards `length_target`).
    pub length: [f32; N],
    /// Delay lengths for the current `size`, samples (integers).
    pub length_target: [f32; N],
    /// Current excursion, samples.
    pub depth: f32,
    /// Excursion for the current `modulation`, samples.
    pub depth_target: f32,
    /// Largest excursion change per sample.
    depth_step: f32,
    /// Current input gain.
    pub input_gain: f32,
    /// 1, or 0 in freeze.
    pub input_gain_target: f32,
    /// Largest input-gain change per sample.
    input_gain_step: f32,
}

impl<const N: usize> Glides<N> {
    /// Glides at `sample_rate` for an excursion of at most `max_depth` samples: the depth
    /// crosses its range in [`DEPTH_GLIDE_S`], the input gain in [`INPUT_GLIDE_S`]. Lengths
    /// and depth start at 0, the input gain at 1.
    pub fn new(sample_rate: f32, max_depth: f32) -> Self {
        Self {
            length: [0.0; N],
            length_target: [0.0; N],
            depth: 0.0,
            depth_target: 0.0,
            depth_step: max_depth / (DEPTH_GLIDE_S * sample_rate),
            input_gain: 1.0,
            input_gain_target: 1.0,
            input_gain_step: 1.0 / (INPUT_GLIDE_S * sample_rate),
        }
    }

    /// Jump every glide to its target (after construction or a reset).
    pub fn snap(&mut self) {
        self.length = self.length_target;
        self.depth = self.depth_target;
        self.input_gain = self.input_gain_target;
    }

    /// True when no glide is in progress: the per-sample values are then constants.
    pub fn settled(&self) -> bool {
        self.input_gain == self.input_gain_target && self.depth == self.depth_target && self.length == self.length_target
    }

    /// One sample of the input-gain and excursion glides.
    #[inline(always)]
    pub fn advance_gains(&mut self) {
        self.input_gain = glide(self.input_gain, self.input_gain_target, self.input_gain_step);
        self.depth = glide(self.depth, self.depth_target, self.depth_step);
    }

    /// One sample of length `k`'s glide; returns the new length.
    #[inline(always)]
    pub fn advance_length(&mut self, k: usize) -> f32 {
        self.length[k] = glide(self.length[k], self.length_target[k], LENGTH_GLIDE);
        self.length[k]
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    thread_local! {
        /// Set while [`per_sample`] runs: the models take their sample-by-sample path.
        pub(crate) static PER_SAMPLE: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
    }

    /// Run `f` with the models' block-wise paths switched off on this thread.
    pub(crate) fn per_sample<R>(f: impl FnOnce() -> R) -> R {
        PER_SAMPLE.with(|c| c.set(true));
        let r = f();
        PER_SAMPLE.with(|c| c.set(false));
        r
    }

    #[test]
    fn transposes_move_every_sample_to_its_lane() {
        for n in [0usize, 1, 3, 4, 5, 8, 13, 64] {
            for group in 0..4 {
                let cols: Vec<Vec<f32>> = (0..4).map(|j| (0..n).map(|i| (100 * j + i) as f32).collect()).collect();
                let run = || {
                    let mut rows = vec![[-1.0f32; 16]; n];
                    transpose_in([&cols[0], &cols[1], &cols[2], &cols[3]], &mut rows, group);
                    let mut back = vec![vec![0.0f32; n]; 4];
                    let [a, b, c, d] = &mut back[..] else { unreachable!() };
                    transpose_out(&rows, group, [a, b, c, d]);
                    (rows, back)
                };
                let (rows, back) = run();
                for (i, row) in rows.iter().enumerate() {
                    for (lane, &v) in row.iter().enumerate() {
                        let want = if lane / 4 == group { cols[lane % 4][i] } else { -1.0 };
                        assert_eq!(v, want, "n {n} group {group} row {i} lane {lane}");
                    }
                }
                assert_eq!(back, cols);
            }
        }
    }

    #[test]
    fn allpass_interpolation_of_an_integer_delay_is_exact() {
        // d integer → α = 1 → η = 0 → y = x[n − d].
        let (n, eta) = allpass_split(7.0);
        assert_eq!((n, eta), (6, 0.0));
        assert_eq!(allpass_interpolate(eta, 3.0, -2.0, 5.0), -2.0);
    }

    #[test]
    fn allpass_split_keeps_alpha_in_range_and_the_pole_small() {
        for i in 0..1000 {
            let d = 1.5 + i as f32 * 0.0137;
            let (n, eta) = allpass_split(d);
            let alpha = d - n as f32;
            assert!((0.5..1.5).contains(&alpha) || (alpha - 1.5).abs() < 1e-5, "d {d} α {alpha}");
            assert!(eta.abs() <= 1.0 / 3.0 + 1e-6);
        }
    }

    #[test]
    fn parabolic_sine_has_sine_peaks_zeros_and_is_continuous_at_the_wrap() {
        assert_eq!(parabolic_sine(0.5), 1.0);
        assert_eq!(parabolic_sine(-0.5), -1.0);
        assert_eq!(parabolic_sine(0.0), 0.0);
        assert!(parabolic_sine(0.999_999).abs() < 1e-5 && parabolic_sine(-1.0) == 0.0);
    }

    #[test]
    fn sanitize_input_maps_bad_values_to_safe_ones() {
        assert_eq!(sanitize_input(f32::NAN), 0.0);
        assert_eq!(sanitize_input(f32::INFINITY), 0.0);
        assert_eq!(sanitize_input(1e30), RECURSIVE_INPUT_LIMIT);
        assert_eq!(sanitize_input(-1e30), -RECURSIVE_INPUT_LIMIT);
        assert_eq!(sanitize_input(1e-40), 0.0);
        assert_eq!(sanitize_input(0.25), 0.25);
        assert!(all_finite(&[0.0, 1.0], &[2.0, 3.0]));
        assert!(!all_finite(&[0.0, f32::NAN], &[2.0, 3.0]));
        assert!(!all_finite(&[0.0, 1.0], &[f32::NEG_INFINITY, 3.0]));
    }
}

//! Statistics of the per-sample Newton solvers (the diode-ring circuit and the VCS3 filter).

/// Newton solver statistics, accumulated until the owner takes or resets them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SolverStats {
    /// Number of time steps solved (at the model's rate).
    pub steps: u64,
    /// Total Newton iterations over those steps.
    pub iterations: u64,
    /// Largest number of iterations any one step needed.
    pub max_iterations: u32,
    /// Steps that stopped at the iteration cap without meeting the tolerance.
    pub cap_hits: u64,
}

impl SolverStats {
    /// Add `other` into `self`.
    pub fn merge(&mut self, other: &SolverStats) {
        self.steps += other.steps;
        self.iterations += other.iterations;
        self.max_iterations = self.max_iterations.max(other.max_iterations);
        self.cap_hits += other.cap_hits;
    }

    /// Mean iterations per step (0 with no steps).
    pub fn mean_iterations(&self) -> f64 {
        self.iterations as f64 / self.steps.max(1) as f64
    }
}

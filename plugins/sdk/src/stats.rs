//! Statistics for reproducing intermittent failures and verifying fixes.
//!
//! All functions are pure and total: out-of-range inputs are clamped, never
//! a panic.

/// Runs needed to see at least one failure with probability `confidence`
/// when each run fails independently with probability `rate`:
/// `n = ⌈ln(1−c) / ln(1−p)⌉`.
///
/// ```
/// use cifix_sdk::stats::runs_to_observe;
/// assert_eq!(runs_to_observe(0.10, 0.95), 29);
/// assert_eq!(runs_to_observe(0.05, 0.95), 59);
/// assert_eq!(runs_to_observe(0.01, 0.95), 299);
/// ```
pub fn runs_to_observe(rate: f64, confidence: f64) -> u32 {
    let p = rate.clamp(1e-6, 1.0 - 1e-9);
    let c = confidence.clamp(1e-9, 1.0 - 1e-9);
    if p >= 1.0 - 1e-9 {
        return 1;
    }
    let n = ((1.0 - c).ln() / (1.0 - p).ln()).ceil();
    n.clamp(1.0, u32::MAX as f64) as u32
}

/// Runs without a single failure needed to claim "the failure rate is below
/// `rate` with `confidence`" — the same bound as [`runs_to_observe`], read the
/// other way round.
pub fn runs_to_claim_below(rate: f64, confidence: f64) -> u32 {
    runs_to_observe(rate, confidence)
}

/// The confidence that `runs` runs would show at least one failure when the
/// failure rate is `rate`: `1 − (1−p)^n`.
pub fn confidence_after(runs: u32, rate: f64) -> f64 {
    let p = rate.clamp(0.0, 1.0);
    1.0 - (1.0 - p).powf(runs as f64)
}

/// The 95% Wilson score interval for `failures` out of `runs`.
///
/// ```
/// let (lo, hi) = cifix_sdk::stats::wilson_95(5, 100);
/// assert!((lo - 0.0215).abs() < 1e-3 && (hi - 0.1118).abs() < 1e-3);
/// ```
pub fn wilson_95(failures: u32, runs: u32) -> (f64, f64) {
    wilson(failures, runs, 1.959_963_984_540_054)
}

/// The Wilson score interval for `failures` out of `runs` with normal quantile `z`.
pub fn wilson(failures: u32, runs: u32, z: f64) -> (f64, f64) {
    if runs == 0 {
        return (0.0, 1.0);
    }
    let n = runs as f64;
    let p = (failures.min(runs)) as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) / n) + z2 / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_match_the_formula() {
        assert_eq!(runs_to_observe(0.10, 0.95), 29);
        assert_eq!(runs_to_observe(0.05, 0.95), 59);
        assert_eq!(runs_to_observe(0.01, 0.95), 299);
        assert_eq!(runs_to_observe(0.5, 0.95), 5);
        assert_eq!(runs_to_claim_below(0.01, 0.95), 299);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert_eq!(runs_to_observe(1.0, 0.95), 1);
        assert!(runs_to_observe(0.0, 0.95) > 1_000_000);
        assert_eq!(wilson_95(0, 0), (0.0, 1.0));
        assert_eq!(wilson_95(10, 5).1, 1.0);
    }

    #[test]
    fn wilson_known_values() {
        // 0 of 10: [0, 0.2775]
        let (lo, hi) = wilson_95(0, 10);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 1e-3, "{hi}");
        // 50 of 100: [0.4038, 0.5962]
        let (lo, hi) = wilson_95(50, 100);
        assert!((lo - 0.4038).abs() < 1e-3 && (hi - 0.5962).abs() < 1e-3);
    }

    #[test]
    fn five_passes_let_a_20_percent_flake_through_a_third_of_the_time() {
        let escape = 1.0 - confidence_after(5, 0.20);
        assert!((escape - 0.32768).abs() < 1e-9);
    }
}

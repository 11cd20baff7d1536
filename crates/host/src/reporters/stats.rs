//! `cifix stats`: what all reports in `outputs/` say together.

use std::collections::BTreeMap;
use std::path::Path;

use cifix_model::{AgentStats, DayStats, RunReport, Stats, Status, Timing};

fn timing(mut v: Vec<f64>) -> Option<Timing> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some(Timing {
        n,
        mean: v.iter().sum::<f64>() / n as f64,
        median,
    })
}

/// Load every `*.json` report in `dir` started on or after `since` (`YYYY-MM-DD`).
pub fn load_all(dir: &Path, since: Option<&str>) -> (Vec<RunReport>, Vec<String>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return (out, skipped);
    };
    let mut files: Vec<_> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for f in files {
        match super::markdown::read(&f) {
            Ok(r) if since.is_none_or(|s| r.started.as_str() >= s) => out.push(r),
            Ok(_) => {}
            Err(_) => skipped.push(f.display().to_string()),
        }
    }
    (out, skipped)
}

/// Compute the statistics.
pub fn compute(reports: &[RunReport], skipped: Vec<String>) -> Stats {
    let count = |s: Status| reports.iter().filter(|r| r.status == s).count();
    let (success, partial, failed) = (
        count(Status::Success),
        count(Status::Partial),
        count(Status::Failed),
    );
    let mut by_day: BTreeMap<String, DayStats> = BTreeMap::new();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut sigs: BTreeMap<String, usize> = BTreeMap::new();
    let mut phase_times: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut agent_times: BTreeMap<String, (usize, usize, Vec<f64>)> = BTreeMap::new();
    let mut fix_times = Vec::new();
    for r in reports {
        let day = r.started.get(..10).unwrap_or("unknown").to_string();
        let d = by_day.entry(day).or_default();
        d.runs += 1;
        d.successes += usize::from(r.status == Status::Success);
        if let Some(f) = &r.failure {
            *kinds.entry(f.kind.name().to_string()).or_default() += 1;
            *sigs.entry(f.signature.clone()).or_default() += 1;
        }
        for p in &r.phases {
            phase_times
                .entry(p.name.clone())
                .or_default()
                .push(p.seconds);
        }
        if r.status == Status::Success {
            fix_times.push(r.total_seconds);
        }
        let a = agent_times
            .entry(r.agent.clone().unwrap_or_else(|| "none".into()))
            .or_default();
        a.0 += 1;
        a.1 += usize::from(r.status == Status::Success);
        a.2.push(r.total_seconds);
    }
    for d in by_day.values_mut() {
        d.rate = d.successes as f64 / d.runs as f64;
    }
    let sorted = |m: BTreeMap<String, usize>, n: usize| {
        let mut v: Vec<(String, usize)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    };
    Stats {
        schema_version: cifix_model::SCHEMA_VERSION,
        reports: reports.len(),
        skipped_files: skipped,
        success,
        partial,
        failed,
        success_rate: if reports.is_empty() {
            0.0
        } else {
            success as f64 / reports.len() as f64
        },
        by_day,
        kinds: sorted(kinds, usize::MAX),
        signatures: sorted(sigs, 10),
        phases: phase_times
            .into_iter()
            .filter_map(|(k, v)| timing(v).map(|t| (k, t)))
            .collect(),
        time_to_fix: timing(fix_times),
        agents: agent_times
            .into_iter()
            .map(|(k, (runs, ok, times))| {
                let median_seconds = timing(times).map(|t| t.median).unwrap_or(0.0);
                (
                    k,
                    AgentStats {
                        runs,
                        successes: ok,
                        rate: ok as f64 / runs as f64,
                        median_seconds,
                    },
                )
            })
            .collect(),
    }
}

/// Human-readable rendering.
pub fn render(s: &Stats) -> String {
    let mut out = format!(
        "{} reports: ✅ {}  ⚠️ {}  ❌ {}  (success rate {:.0}%)\n",
        s.reports,
        s.success,
        s.partial,
        s.failed,
        s.success_rate * 100.0
    );
    if !s.by_day.is_empty() {
        out.push_str("\nSuccess rate by day:\n");
        for (d, x) in &s.by_day {
            out.push_str(&format!(
                "  {d}  {:>3}/{:<3} {:>5.0}%\n",
                x.successes,
                x.runs,
                x.rate * 100.0
            ));
        }
    }
    if !s.kinds.is_empty() {
        out.push_str("\nFailure kinds:\n");
        for (k, n) in &s.kinds {
            out.push_str(&format!("  {n:>4}  {k}\n"));
        }
    }
    if !s.signatures.is_empty() {
        out.push_str("\nMost common signatures:\n");
        for (k, n) in &s.signatures {
            out.push_str(&format!(
                "  {n:>4}  {}\n",
                crate::capabilities::process::ellipsize(k, 90)
            ));
        }
    }
    if !s.phases.is_empty() {
        out.push_str("\nSeconds per phase (mean / median):\n");
        for (k, t) in &s.phases {
            out.push_str(&format!(
                "  {k:<12} {:>8.1} / {:<8.1} (n={})\n",
                t.mean, t.median, t.n
            ));
        }
    }
    if let Some(t) = &s.time_to_fix {
        out.push_str(&format!(
            "\nTime to a verified fix: mean {:.1}s, median {:.1}s (n={})\n",
            t.mean, t.median, t.n
        ));
    }
    if !s.agents.is_empty() {
        out.push_str("\nAgents:\n");
        for (k, a) in &s.agents {
            out.push_str(&format!(
                "  {k:<10} {:>3} runs, {:>3.0}% success, median {:.1}s\n",
                a.runs,
                a.rate * 100.0,
                a.median_seconds
            ));
        }
    }
    if !s.skipped_files.is_empty() {
        out.push_str(&format!(
            "\nSkipped {} file(s) that are not cifix reports.\n",
            s.skipped_files.len()
        ));
    }
    out
}

//! What the pipeline tells while it runs. Reporters subscribe through
//! [`EventSink`]; the finished [`RunReport`] comes last, and everything a
//! reporter writes for good (the Markdown report, the JSON, the PR body) is
//! rendered from it.

use cifix_model::{Phase, RunReport};

/// One thing that happened.
#[derive(Debug)]
pub enum Event<'a> {
    /// A phase begins.
    PhaseStarted {
        /// fetch, diagnose, reproduce, fix, publish.
        name: &'static str,
    },
    /// A phase ended (or was skipped).
    PhaseFinished(&'a Phase),
    /// A line worth showing while the run goes on.
    Note(String),
    /// The run is over; this is its record.
    Finished(&'a RunReport),
}

/// A subscriber.
pub trait EventSink {
    /// Called for every event, in order.
    fn event(&mut self, e: &Event<'_>);
}

/// A sink that ignores everything.
#[derive(Debug, Default)]
pub struct Quiet;

impl EventSink for Quiet {
    fn event(&mut self, _: &Event<'_>) {}
}

/// Several sinks, each told every event.
#[derive(Default)]
pub struct Fanout<'a> {
    sinks: Vec<&'a mut dyn EventSink>,
}

impl<'a> Fanout<'a> {
    /// Add a sink.
    pub fn with(mut self, s: &'a mut dyn EventSink) -> Self {
        self.sinks.push(s);
        self
    }
}

impl EventSink for Fanout<'_> {
    fn event(&mut self, e: &Event<'_>) {
        for s in &mut self.sinks {
            s.event(e);
        }
    }
}

/// Records every event's kind, for tests.
#[derive(Debug, Default)]
pub struct Recording {
    /// `started:NAME`, `finished:NAME`, `note`, `done`.
    pub seen: Vec<String>,
}

impl EventSink for Recording {
    fn event(&mut self, e: &Event<'_>) {
        self.seen.push(match e {
            Event::PhaseStarted { name } => format!("started:{name}"),
            Event::PhaseFinished(p) => format!("finished:{}", p.name),
            Event::Note(_) => "note".into(),
            Event::Finished(_) => "done".into(),
        });
    }
}

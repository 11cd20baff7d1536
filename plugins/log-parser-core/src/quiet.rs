//! The fast path: skipping runs of lines that cannot matter without cleaning
//! them or running the recognisers.
//!
//! Most of a big log is passing tests and build noise. While the parser has
//! nothing open (no block collecting lines, no section whose plain lines
//! count), a line can only start a failure if it holds a keyword, looks
//! structural (`path:line`, a numbered item), or is CI structure (`##[`,
//! `$ `, exit messages, Go package lines, path lines). [`scan`] finds the
//! first such line in a chunk with a few byte tests per line and a keyword
//! automaton walked over each line's text (after its timestamp), four lines
//! at a time, and reports how many lines before it can be skipped. It never looks at an unfinished last line: the skipped
//! lines are exactly those the full path would have left without effect. The
//! parser keeps the last few raw and cleans them only if a failure's excerpt
//! starts among them.

use std::collections::HashMap;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};

use crate::clean::timestamp_len;
use crate::text::level_prefix_len;

/// Lines whose keywords are searched together.
const BATCH: usize = 4;

/// Bytes of each line walked per loop iteration in [`Keywords::first_hit`].
const UNROLL: usize = 8;

/// What [`scan`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Skip {
    /// Bytes at the start of the data that hold only skippable lines.
    pub bytes: usize,
    /// Complete lines in those bytes.
    pub lines: u64,
    /// Lines from the start of the data up to and including the line that
    /// must go through the full path (or up to the last complete line when
    /// there is none): the fast path stays off until those are processed.
    pub hold: u64,
}

/// Does a line hold one of a set of keywords (ASCII case-insensitive), the
/// start of a JUnit report (`<testsuite`), or a control byte other than tab
/// (escapes and control bytes change what a line cleans to)?
///
/// The automaton is `aho-corasick`'s DFA, copied into a table made for this
/// one question: a row of 256 entries per state, premultiplied state ids,
/// and every transition into a match going to [`SEEN`], which never leaves.
/// A line holds a keyword exactly when its walk ends in `SEEN`, so the walk
/// needs no test per byte, and a masked index into a table of fixed size
/// needs no bounds check. One walk is a chain of dependent loads, so
/// [`Keywords::first_hit`] walks four lines in lockstep.
pub struct Keywords {
    /// `state + byte` to next state (states premultiplied by 256).
    table: Box<[u32; TABLE]>,
    start: u32,
}

/// Entries in [`Keywords`]' table: room for 512 states.
const TABLE: usize = 1 << 17;

/// The state after a keyword.
const SEEN: u32 = 0;

impl Keywords {
    /// An automaton for `words` and the fixed triggers.
    ///
    /// # Panics
    /// When the automaton has more than 512 states (hundreds of keywords);
    /// the parser's list has under 400 (a test checks).
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Keywords {
        let controls = (0u8..0x20).chain([0x7f]).filter(|&c| c != b'\t');
        let words: Vec<Vec<u8>> = words
            .into_iter()
            .map(|w| w.as_bytes().to_vec())
            .chain([b"<testsuite".to_vec()])
            .chain(controls.map(|c| vec![c]))
            .collect();
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(&words)
            .expect("keyword automaton");
        // Bytes in no keyword (in either case) all act alike: class 0.
        let mut classes = [0u8; 256];
        let mut reps = vec![0u8]; // a byte of each class
        for w in &words {
            for &b in w {
                let b = b.to_ascii_lowercase();
                if classes[usize::from(b)] == 0 {
                    classes[usize::from(b)] = u8::try_from(reps.len()).expect("under 256 classes");
                    classes[usize::from(b.to_ascii_uppercase())] = classes[usize::from(b)];
                    reps.push(b);
                }
            }
        }
        reps[0] = (0..=255u8)
            .find(|&b| classes[usize::from(b)] == 0)
            .expect("some byte is in no keyword");
        let stride = reps.len();
        // Number the DFA's states from the start, breadth first; state 0 is SEEN.
        let start = dfa.start_state(Anchored::No).expect("unanchored start");
        let mut ids: HashMap<StateID, usize> = HashMap::from([(start, 1)]);
        let mut rows: Vec<Vec<usize>> = vec![vec![0; stride], Vec::new()];
        let mut todo = vec![start];
        while let Some(sid) = todo.pop() {
            let row = ids[&sid];
            let mut next = vec![0; stride];
            for (c, &b) in reps.iter().enumerate() {
                let t = dfa.next_state(Anchored::No, sid, b);
                next[c] = if dfa.is_match(t) {
                    0
                } else {
                    *ids.entry(t).or_insert_with(|| {
                        rows.push(Vec::new());
                        todo.push(t);
                        rows.len() - 1
                    })
                };
            }
            rows[row] = next;
        }
        assert!(
            rows.len() * 256 <= TABLE,
            "keyword automaton too big: {} states",
            rows.len()
        );
        let mut table: Box<[u32; TABLE]> = vec![0u32; TABLE]
            .into_boxed_slice()
            .try_into()
            .expect("TABLE entries");
        for (r, row) in rows.iter().enumerate() {
            for b in 0..256 {
                table[r * 256 + b] = (row[usize::from(classes[b])] * 256) as u32;
            }
        }
        Keywords { table, start: 256 }
    }

    #[inline(always)]
    fn step(&self, s: u32, b: u8) -> u32 {
        self.table[(s as usize + usize::from(b)) & (TABLE - 1)]
    }

    /// The state after walking `hay` from `s`.
    fn walk(&self, mut s: u32, hay: &[u8]) -> u32 {
        for &b in hay {
            s = self.step(s, b);
        }
        s
    }

    /// Index of the first of `lines` holding a keyword.
    ///
    /// Never inlined: a small function of its own gets better registers in
    /// the sandbox.
    #[inline(never)]
    fn first_hit(&self, lines: &[&[u8]]) -> Option<usize> {
        if lines.len() != BATCH {
            return lines.iter().position(|l| self.walk(self.start, l) == SEEN);
        }
        let [l0, l1, l2, l3] = [lines[0], lines[1], lines[2], lines[3]];
        let common = l0.len().min(l1.len()).min(l2.len()).min(l3.len());
        let (l0, l1, l2, l3) = (&l0[..common], &l1[..common], &l2[..common], &l3[..common]);
        let [mut s0, mut s1, mut s2, mut s3] = [self.start; BATCH];
        // Blocks of UNROLL bytes: the sandbox checks its deadline on every
        // loop iteration, and values live across that check stay on the
        // stack, so the fewer iterations the better.
        let blocks = l0
            .chunks_exact(UNROLL)
            .zip(l1.chunks_exact(UNROLL))
            .zip(l2.chunks_exact(UNROLL))
            .zip(l3.chunks_exact(UNROLL));
        for (((b0, b1), b2), b3) in blocks {
            for j in 0..UNROLL {
                s0 = self.step(s0, b0[j]);
                s1 = self.step(s1, b1[j]);
                s2 = self.step(s2, b2[j]);
                s3 = self.step(s3, b3[j]);
            }
        }
        let done = common / UNROLL * UNROLL;
        for i in done..common {
            s0 = self.step(s0, l0[i]);
            s1 = self.step(s1, l1[i]);
            s2 = self.step(s2, l2[i]);
            s3 = self.step(s3, l3[i]);
        }
        let s = [s0, s1, s2, s3];
        (0..BATCH).find(|&k| self.walk(s[k], &lines[k][common..]) == SEEN)
    }
}

/// Scan `chunk[at..]`, which starts at a line start, for lines the parser
/// may skip: up to the first line that matters, a line longer than
/// `max_line` bytes, a line ended by `\r`, or the unfinished last line.
pub fn scan(kw: &Keywords, chunk: &[u8], at: usize, max_line: usize) -> Skip {
    let mut n = 0u64; // skippable lines seen
    let mut pos = at; // start of the next line to look at
    // one searcher for all line ends (cheaper than a search per line)
    let mut ends = memchr::memchr2_iter(b'\n', b'\r', &chunk[at..]);
    loop {
        // Up to BATCH lines that are skippable but for keywords.
        let mut batch = [(0usize, &b""[..]); BATCH];
        let mut m = 0;
        let mut next = pos;
        let mut stop = None;
        while m < BATCH {
            let Some(e) = ends.next() else {
                stop = Some(0);
                break;
            };
            let end = at + e;
            let body = (chunk[end] == b'\n')
                .then(|| skippable(&chunk[next..end], max_line))
                .flatten();
            let Some(body) = body else {
                stop = Some(1);
                break;
            };
            batch[m] = (next, body);
            m += 1;
            next = end + 1;
        }
        let bodies: [&[u8]; BATCH] = std::array::from_fn(|k| batch[k].1);
        let clean = match kw.first_hit(&bodies[..m]) {
            Some(j) => {
                stop = Some(1);
                j
            }
            None => m,
        };
        n += clean as u64;
        pos = if clean < m { batch[clean].0 } else { next };
        if let Some(extra) = stop {
            return Skip {
                bytes: pos - at,
                lines: n,
                hold: n + extra,
            };
        }
    }
}

/// Can this raw line (no line break) be skipped, keywords aside? It must
/// clean to something the recognisers and the CI-structure checks ignore.
/// Returns the part of the line keywords are searched in.
#[inline]
fn skippable(raw: &[u8], max_line: usize) -> Option<&[u8]> {
    if raw.len() > max_line {
        return None;
    }
    let mut b = strip_bom(raw);
    b = strip_bom(&b[timestamp_len(b)..]);
    // (control bytes are found with the keywords)
    let b = trim_end(b);
    let s = &b[level_prefix_len(b)..];
    let ind = s.iter().take_while(|c| c.is_ascii_whitespace()).count();
    let t = &s[ind..];
    if t.is_empty() {
        return Some(t);
    }
    if t[0] >= 0x80 {
        // the full path trims Unicode spaces too: let it decide
        return None;
    }
    if crate::parser::state_line(t, ind) {
        return None;
    }
    (!crate::parser::structural(t)).then_some(b)
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(b)
}

fn trim_end(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(data: &[u8]) -> Skip {
        scan(&Keywords::new(["error", "fail"]), data, 0, 4096)
    }

    #[test]
    fn skips_up_to_the_first_line_that_matters() {
        let log = b"a b\nc d\ne f\ng h\nan error here\ni j\n";
        let want = Skip {
            bytes: 16,
            lines: 4,
            hold: 5,
        };
        assert_eq!(run(log), want);
    }

    #[test]
    fn finds_the_first_line_with_a_keyword_in_a_batch() {
        let kw = Keywords::new(["error", "fail"]);
        let long = b"a long line that has no keyword at all, none";
        assert_eq!(kw.first_hit(&[long, b"x", b"ERROR", b"fail"]), Some(2));
        assert_eq!(kw.first_hit(&[b"", long, long, b"it FaIlEd"]), Some(3));
        assert_eq!(kw.first_hit(&[b"error", long, b"fail", long]), Some(0));
        assert_eq!(kw.first_hit(&[long, long, long, long]), None);
        assert_eq!(kw.first_hit(&[long, b"a fail"]), Some(1));
        // a hit after the common length of the four lines
        assert_eq!(kw.first_hit(&[long, b"ab", long, long]), None);
        let tail = b"a long line that has no keyword at all, error";
        assert_eq!(kw.first_hit(&[b"ab", long, tail, long]), Some(2));
        // <testsuite and control bytes are triggers too
        assert_eq!(kw.first_hit(&[long, b"<TestSuite name=x>"]), Some(1));
        assert_eq!(kw.first_hit(&[long, b"\x1b[31mred"]), Some(1));
        assert_eq!(kw.first_hit(&[b"tab\tok", b"bell\x07"]), Some(1));
        assert_eq!(kw.first_hit(&[b"nul\0"]), Some(0));
        // a keyword that ends a line, and one cut short
        assert_eq!(kw.first_hit(&[long, long, long, b"xx fail"]), Some(3));
        assert_eq!(kw.first_hit(&[long, long, long, b"xx fai"]), None);
    }

    #[test]
    fn stops_before_an_unfinished_line_and_at_a_carriage_return() {
        let want = Skip {
            bytes: 8,
            lines: 2,
            hold: 2,
        };
        assert_eq!(run(b"a b\nc d\npartial"), want);
        let want = Skip {
            bytes: 4,
            lines: 1,
            hold: 2,
        };
        assert_eq!(run(b"a b\nc d\r\ne f\n"), want);
    }

    #[test]
    fn the_parser_keywords_fit_the_table() {
        let kw = Keywords::new(crate::detect::KEYWORDS.iter().copied());
        assert_ne!(kw.walk(kw.start, b"test a::b ... ok"), SEEN);
        assert_eq!(kw.walk(kw.start, b"Exception in thread"), SEEN);
    }

    #[test]
    fn structure_and_state_lines_are_not_skipped() {
        // (line, skippable)
        let cases: &[(&[u8], bool)] = &[
            (b"##[group]Run x", false),
            (b"  ::error file=a.py::boom", false),
            (b"$ make test", false),
            (b"src/a.c:12: oops", false),
            (b"1) a numbered item", false),
            (b"/abs/path", false),
            (b"word", false),
            (b"FAIL\tgithub.com/x/y 0.1s", false),
            (b"ok  \tgithub.com/x/y 0.1s", false),
            (b"The command \"make\" exited with 2.", false),
            (b"travis_time:start:0a1b with a space", false),
            (b"2026-06-21T05:34:54.5273610Z 12 things", false),
            (b"test a::b ... ok", true),
            (b"2026-06-21T05:34:54.5273610Z test a::b ... ok", true),
            (b"   ", true),
            (b"  indented words here", true),
            (b"  $ indented, so not a step", true),
            (b"[info] compiled 3 files", true),
        ];
        for &(line, want) in cases {
            let got = skippable(line, 4096).is_some();
            assert_eq!(got, want, "{}", String::from_utf8_lossy(line));
        }
        assert!(skippable(b"a b c d", 3).is_none());
    }
}

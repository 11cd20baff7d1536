//! The capabilities the host lends to plugins, and the one place where a
//! request is checked against what the plugin declared and the user granted.

pub mod agent;
pub mod fs;
pub mod input;
pub mod log;
pub mod process;

use std::fmt;
use std::str::FromStr;

/// A capability, as written in a manifest, a config file or `--allow`.
///
/// - `fs-read`: read files in the target repository;
/// - `fs-write`: write files in the failure folder;
/// - `agent`: hand tasks to the coding agent;
/// - `process:PROGRAM ARG...`: run PROGRAM with matching arguments. PROGRAM is
///   a name or `*`; each ARG is exact or `*` (any one argument); a final `**`
///   allows any remaining arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capability {
    FsRead,
    FsWrite,
    Agent,
    Process(ExecPattern),
}

/// An allow-list entry for programs and their arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecPattern {
    pub program: String,
    pub args: Vec<String>,
}

impl ExecPattern {
    /// Whether `program args...` is allowed by this pattern.
    pub fn matches(&self, program: &str, args: &[String]) -> bool {
        if self.program != "*" && self.program != program {
            return false;
        }
        let mut i = 0;
        for (k, pat) in self.args.iter().enumerate() {
            if pat == "**" && k == self.args.len() - 1 {
                return true;
            }
            match args.get(i) {
                Some(a) if pat == "*" || pat == a => i += 1,
                _ => return false,
            }
        }
        i == args.len()
    }
}

/// A capability string that does not parse.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown capability `{0}`: expected fs-read, fs-write, agent or `process:PROGRAM [ARG|*|**]...`"
)]
pub struct BadCapability(pub String);

impl FromStr for Capability {
    type Err = BadCapability;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        match s {
            "fs-read" => Ok(Capability::FsRead),
            "fs-write" => Ok(Capability::FsWrite),
            "agent" => Ok(Capability::Agent),
            _ => {
                let rest = s
                    .strip_prefix("process:")
                    .ok_or_else(|| BadCapability(s.into()))?;
                let mut words = rest.split_whitespace().map(str::to_string);
                let program = words.next().ok_or_else(|| BadCapability(s.into()))?;
                Ok(Capability::Process(ExecPattern {
                    program,
                    args: words.collect(),
                }))
            }
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Capability::FsRead => f.write_str("fs-read"),
            Capability::FsWrite => f.write_str("fs-write"),
            Capability::Agent => f.write_str("agent"),
            Capability::Process(p) => {
                write!(f, "process:{}", p.program)?;
                for a in &p.args {
                    write!(f, " {a}")?;
                }
                Ok(())
            }
        }
    }
}

/// Something a plugin asks the host to do.
#[derive(Debug, Clone, Copy)]
pub enum Request<'a> {
    FsRead,
    FsWrite,
    Agent,
    Exec {
        program: &'a str,
        args: &'a [String],
    },
}

impl Request<'_> {
    fn allowed_by(&self, cap: &Capability) -> bool {
        match (self, cap) {
            (Request::FsRead, Capability::FsRead)
            | (Request::FsWrite, Capability::FsWrite)
            | (Request::Agent, Capability::Agent) => true,
            (Request::Exec { program, args }, Capability::Process(p)) => p.matches(program, args),
            _ => false,
        }
    }

    fn describe(&self) -> String {
        match self {
            Request::FsRead => "fs-read".into(),
            Request::FsWrite => "fs-write".into(),
            Request::Agent => "agent".into(),
            Request::Exec { program, args } => format!("process:{program} {}", args.join(" ")),
        }
    }
}

/// What a plugin may do: the capabilities it declared, and those the user granted.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    pub declared: Vec<Capability>,
    pub granted: Vec<Capability>,
}

/// A request outside the plugin's grant.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    #[error("`{0}` is not in the plugin's manifest")]
    NotDeclared(String),
    #[error(
        "`{0}` was not granted; allow it with `--allow '{0}'` or in the config file's [grants] table"
    )]
    NotGranted(String),
}

impl Grants {
    /// The single capability check: a request passes only if both a declared
    /// and a granted capability allow it.
    pub fn check(&self, req: Request<'_>) -> Result<(), Denied> {
        if !self.declared.iter().any(|c| req.allowed_by(c)) {
            return Err(Denied::NotDeclared(req.describe()));
        }
        if !self.granted.iter().any(|c| req.allowed_by(c)) {
            return Err(Denied::NotGranted(req.describe()));
        }
        Ok(())
    }

    /// The declared capabilities that the grant covers (for display).
    pub fn effective(&self) -> Vec<&Capability> {
        self.declared
            .iter()
            .filter(|d| self.granted.iter().any(|g| covers(g, d)))
            .collect()
    }
}

/// Whether granting `g` covers everything declared by `d`.
fn covers(g: &Capability, d: &Capability) -> bool {
    match (g, d) {
        (Capability::Process(g), Capability::Process(d)) => {
            (g.program == "*" || g.program == d.program) && {
                let ga = &g.args;
                let da = &d.args;
                if ga.last().map(String::as_str) == Some("**") {
                    let n = ga.len() - 1;
                    da.len() >= n && ga[..n].iter().zip(da).all(|(g, d)| g == "*" || g == d)
                } else {
                    ga.len() == da.len() && ga.iter().zip(da).all(|(g, d)| g == "*" || g == d)
                }
            }
        }
        (g, d) => g == d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(xs: &[&str]) -> Vec<Capability> {
        xs.iter().map(|s| s.parse().unwrap()).collect()
    }
    fn args(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exec_patterns() {
        let p: Capability = "process:pytest * **".parse().unwrap();
        let Capability::Process(p) = p else { panic!() };
        assert!(p.matches("pytest", &args(&["-x"])));
        assert!(p.matches("pytest", &args(&["-x", "a", "b"])));
        assert!(!p.matches("pytest", &args(&[])));
        assert!(!p.matches("rm", &args(&["-x"])));
        let Capability::Process(q) = "process:git status".parse().unwrap() else {
            panic!()
        };
        assert!(q.matches("git", &args(&["status"])));
        assert!(!q.matches("git", &args(&["status", "--x"])));
        assert!(!q.matches("git", &args(&["push"])));
    }

    #[test]
    fn both_declared_and_granted() {
        let g = Grants {
            declared: caps(&["fs-read", "process:pytest **"]),
            granted: caps(&["fs-read", "fs-write"]),
        };
        assert!(g.check(Request::FsRead).is_ok());
        assert!(matches!(
            g.check(Request::FsWrite),
            Err(Denied::NotDeclared(_))
        ));
        let a = args(&["-x"]);
        assert!(matches!(
            g.check(Request::Exec {
                program: "pytest",
                args: &a
            }),
            Err(Denied::NotGranted(_))
        ));
        assert_eq!(g.effective().len(), 1);
    }

    #[test]
    fn bad_capabilities() {
        assert!("fs-delete".parse::<Capability>().is_err());
        assert!("process:".parse::<Capability>().is_err());
        assert_eq!(
            "process:go test **"
                .parse::<Capability>()
                .unwrap()
                .to_string(),
            "process:go test **"
        );
    }
}

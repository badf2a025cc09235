//! `kubectl certificate approve|deny` (pkg/cmd/certificates/).

use super::*;

impl Interp {
    /// `kubectl certificate approve|deny NAME...`: the request gets an
    /// `Approved` (or `Denied`) condition (certificates/certificates.go).
    pub(super) fn certificate(&mut self, args: &Args) -> Outcome {
        let ty = match args.pos.get(1).map(String::as_str) {
            Some("approve") => "Approved",
            Some("deny") => "Denied",
            _ => {
                return skip(
                    Reason::Unsupported,
                    "`kubectl certificate` without approve or deny",
                );
            }
        };
        if args.has(&["f", "filename"]) {
            return skip(Reason::Unsupported, "`kubectl certificate` with -f");
        }
        let names: Vec<String> = args.pos[2..].iter().map(|n| format!("csr/{n}")).collect();
        let a = Args {
            pos: std::iter::once(String::new()).chain(names).collect(),
            flags: args.flags.clone(),
        };
        self.for_targets(&a, 1, None, move |o, _| {
            crate::suggest::model::merge(
                &mut o.extra,
                &json!({"status": {"conditions": [{"type": ty, "status": "True"}]}}),
            );
            Ok(())
        })
    }
}

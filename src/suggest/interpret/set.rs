//! `kubectl set image|env|resources...` (pkg/cmd/set/).

use super::*;

impl Interp {
    /// `kubectl set image KIND/NAME c=image...` (set/set_image.go; `*`
    /// sets every container). Other `set` subcommands are not modelled.
    pub(super) fn set(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        if args.pos.get(1).map(String::as_str) != Some("image") {
            return skip(
                Reason::Unsupported,
                format!(
                    "`kubectl set {}` is not modelled",
                    args.pos.get(1).map(String::as_str).unwrap_or("")
                ),
            );
        }
        let mut images = Vec::new();
        let mut rest = vec![String::new()];
        for p in &args.pos[2..] {
            match p.split_once('=') {
                Some((c, i)) => images.push((c.to_string(), i.to_string())),
                None => rest.push(p.clone()),
            }
        }
        if images.is_empty() {
            return skip(Reason::Unsupported, "`set image` without `container=image`");
        }
        let a = Args {
            pos: rest,
            flags: args.flags.clone(),
        };
        let cause = args.has(&["record"]).then(|| change_cause(args));
        self.for_targets(&a, 1, ns, |o, _| {
            for (c, i) in &images {
                o.set_image(c, i);
            }
            if let Some(c) = &cause {
                o.change_cause = Some(c.clone());
                o.annotations.remove(crate::suggest::model::CHANGE_CAUSE);
            }
            Ok(())
        })
    }
}

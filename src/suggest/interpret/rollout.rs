//! `kubectl rollout undo|restart|...` (pkg/cmd/rollout/).

use super::*;

impl Interp {
    /// `kubectl rollout undo|restart|pause|resume KIND/NAME`
    /// (rollout/rollout_undo.go and polymorphichelpers/rollback.go;
    /// `status` and `history` only read).
    pub(super) fn rollout(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        let sub = args.pos.get(1).cloned().unwrap_or_default();
        let to = args
            .value(&["to-revision"])
            .and_then(|r| r.parse::<u64>().ok())
            .unwrap_or(0);
        match sub.as_str() {
            "undo" => self.for_targets(args, 2, ns, move |o, _| {
                o.undo(to);
                Ok(())
            }),
            // objectrestarter.go: the template's annotation
            // `kubectl.kubernetes.io/restartedAt` is set to now, a new
            // template (so a new ReplicaSet), same containers.
            "restart" => self.for_targets(args, 2, ns, |o, _| {
                o.restarts = o.restarts.saturating_add(1);
                Ok(())
            }),
            "pause" | "resume" => {
                let paused = sub == "pause";
                self.for_targets(args, 2, ns, move |o, _| {
                    crate::suggest::model::merge(
                        &mut o.extra,
                        &json!({"spec": {"paused": paused}}),
                    );
                    Ok(())
                })
            }
            _ => Outcome::ReadOnly,
        }
    }
}

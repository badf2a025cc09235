//! `kubectl autoscale`: a HorizontalPodAutoscaler
//! (pkg/cmd/autoscale/autoscale.go).

use super::*;

impl Interp {
    /// `kubectl autoscale KIND NAME --max=N [--min=N]`: an HPA named after the
    /// resource (autoscale/autoscale.go).
    pub(super) fn autoscale(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let targets = match targets(&args.pos[1..]) {
            Ok(t) => t,
            Err(o) => return o,
        };
        let Some((_, name)) = targets.into_iter().next() else {
            return skip(
                Reason::Unsupported,
                "`kubectl autoscale` without a resource",
            );
        };
        let name = args.value(&["name"]).map(str::to_string).unwrap_or(name);
        let mut hpa = Obj::new("HorizontalPodAutoscaler", "autoscaling/v2", true, ns, &name);
        if let Some(max) = args.value(&["max"]).and_then(|m| m.parse::<i64>().ok()) {
            hpa.extra = json!({"spec": {"maxReplicas": max}});
        }
        let key = hpa.key();
        self.state.upsert(hpa);
        Outcome::Changed(vec![Touch::Object(key)])
    }
}

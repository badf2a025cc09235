//! Pure evaluation: objects (JSON as the API server returns them) and one
//! expectation in, whether it holds and why each object passed or not out.
//! No I/O here, so every rule of `checks.md` is unit-tested directly.
//!
//! Each key means what kubectl means (docs/checking.md, "What each key
//! means"): `phase` is kubectl's STATUS column, `ready` is `kubectl rollout
//! status` for workloads, objects being deleted are not counted, a list in
//! `match` is "these elements are present", and counters the API server
//! omits read as 0.

use std::cmp::Ordering;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::check::quantity;
use crate::check::spec::{CmpOp, Expectation, OwnerSpec, PathSeg, WhereOp, WhereTest};
use crate::kinds::{self, Builtin, Readiness};

/// One object the expectation's kind/namespace/name/selector matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectResult {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub namespace: Option<String>,
    pub name: String,
    /// The conditions this object failed (`phase Pending, want Running`);
    /// empty when it passes and is counted.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub failed: Vec<String>,
}

impl ObjectResult {
    pub fn passes(&self) -> bool {
        self.failed.is_empty()
    }
}

/// The outcome of one expectation against one set of objects.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub holds: bool,
    /// How many objects passed every condition (what `count` counts).
    pub passing: u64,
    pub objects: Vec<ObjectResult>,
    /// The earliest time an object failing only because a container
    /// restarted recently will have settled: the verdict may change then
    /// without any change to the object, so a waiting check looks again.
    pub settles_at: Option<SystemTime>,
}

/// What the evaluation knows beyond the objects themselves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// The API group and Kind the expectation's `kind` resolved to on the
    /// cluster (list items carry no `kind`). `None`: read from the
    /// built-in table, then from the objects.
    pub resolved: Option<(&'a str, &'a str)>,
    /// The Kind a custom `owner:` resolved to on the cluster.
    pub owner_kind: Option<&'a str>,
    /// Objects an owner chain may pass through (the ReplicaSets between a
    /// Deployment and its pods, the Jobs between a CronJob and its pods),
    /// when the engine read them.
    pub owners: &'a [Value],
    /// The time a restarted container's run is measured against (see
    /// [`restarted_recently`]); `None`: the clock, now.
    pub now: Option<SystemTime>,
}

/// Evaluates `exp` against `objects` with what the built-in table knows of
/// its kind (no owner chain): see [`evaluate_in`].
pub fn evaluate(exp: &Expectation, objects: &[Value]) -> Outcome {
    evaluate_in(exp, objects, &Context::default())
}

/// Evaluates `exp` against `objects`: those of the expectation's kind and
/// namespace (the label selector is applied again here, so the result does
/// not depend on the server having filtered).
pub fn evaluate_in(exp: &Expectation, objects: &[Value], ctx: &Context) -> Outcome {
    let builtin = match ctx.resolved {
        Some((group, kind)) => kinds::by_kind(group, kind),
        None => kinds::builtin(&exp.kind),
    };
    let wants_deleting = asks_for_objects_being_deleted(exp);
    let now = ctx.now.unwrap_or_else(SystemTime::now);
    let mut settles_at: Option<SystemTime> = None;
    let mut results = Vec::new();
    for obj in objects {
        let meta = &obj["metadata"];
        let name = meta["name"].as_str().unwrap_or("");
        if let Some(p) = &exp.name
            && !p.matches(name)
        {
            continue;
        }
        if let Some(sel) = &exp.selector
            && !sel.matches_json(meta.get("labels"))
        {
            continue;
        }
        let failed = if being_deleted(obj) && !wants_deleting {
            // kubectl shows it as Terminating; it is on its way out and
            // counts for nothing unless the check asks for it.
            vec!["being deleted (Terminating)".to_string()]
        } else {
            let (failed, settles) = failures(exp, obj, builtin, ctx, now);
            if let Some(t) = settles {
                settles_at = Some(settles_at.map_or(t, |s| s.min(t)));
            }
            failed
        };
        results.push(ObjectResult {
            namespace: meta["namespace"].as_str().map(str::to_string),
            name: name.to_string(),
            failed,
        });
    }
    results.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let passing = results.iter().filter(|o| o.passes()).count() as u64;
    Outcome {
        holds: exp.count.holds(passing),
        passing,
        objects: results,
        settles_at,
    }
}

/// `metadata.deletionTimestamp` is set: the object is being deleted.
pub fn being_deleted(obj: &Value) -> bool {
    !obj["metadata"]["deletionTimestamp"].is_null()
}

/// A check asks for objects being deleted with `phase: Terminating`, or
/// with a `where` test on `metadata.deletionTimestamp`.
pub fn asks_for_objects_being_deleted(exp: &Expectation) -> bool {
    exp.phase.as_deref() == Some("Terminating")
        || exp.r#where.iter().any(|w| {
            w.path.len() >= 2
                && w.path[0] == PathSeg::Key("metadata".into())
                && w.path[1] == PathSeg::Key("deletionTimestamp".into())
        })
}

/// Every condition `obj` fails, phrased for the report, and when a
/// recent container restart alone kept it from `Running`/ready, the time
/// it will have settled.
fn failures(
    exp: &Expectation,
    obj: &Value,
    builtin: Option<&Builtin>,
    ctx: &Context,
    now: SystemTime,
) -> (Vec<String>, Option<SystemTime>) {
    let mut out = Vec::new();
    let is_pod = builtin.is_some_and(|b| b.kind == "Pod");
    // `phase: Running` and `ready: true` on a pod: not while a container
    // is between two crashes (see `restarted_recently`).
    let settling = if is_pod && (exp.phase.as_deref() == Some("Running") || exp.ready == Some(true))
    {
        restarted_recently(obj, now)
    } else {
        None
    };
    let mut settles = None;
    if let Some(want) = &exp.phase
        && let Some(why) = phase_failure(want, obj, builtin)
    {
        out.push(why);
    } else if exp.phase.as_deref() == Some("Running")
        && let Some(r) = &settling
    {
        out.push(format!("phase Running, but {}", r.text));
        settles = Some(r.settles_at);
    }
    if let Some(want) = exp.ready {
        let (mut got, mut why) = readiness_of(builtin.map(|b| b.readiness), obj);
        if got
            && want
            && let Some(r) = &settling
        {
            (got, why) = (false, r.text.clone());
            settles = Some(r.settles_at);
        }
        if got != want {
            out.push(if want {
                format!("not ready ({why})")
            } else {
                format!("ready ({why}), want not ready")
            });
        }
    }
    if let Some(want) = &exp.owner
        && let Some(why) = owner_failure(want, obj, ctx)
    {
        out.push(why);
    }
    if let Some(want) = &exp.matches
        && let Some(diff) = subset_mismatch(want, obj, "")
    {
        out.push(format!("match: {diff}"));
    }
    for w in &exp.r#where {
        if let Some(why) = where_failure(w, obj, builtin) {
            out.push(why);
        }
    }
    // Settling helps only when it is all that fails.
    let settling_only = settles.is_some()
        && out.iter().all(|f| {
            f.starts_with("phase Running, but ") || f.starts_with("not ready (container ")
        });
    (out, settles.filter(|_| settling_only))
}

/// How long a restarted container must have run before its pod counts as
/// `Running` (and ready) again.
pub const SETTLE: Duration = Duration::from_secs(30);

/// A container of the pod that the kubelet restarted less than [`SETTLE`]
/// ago.
#[derive(Debug, Clone, PartialEq)]
pub struct Restart {
    /// `container "app" restarted 5s ago (restarts: 4, last exit: Error)`.
    pub text: String,
    /// When it will have run [`SETTLE`].
    pub settles_at: SystemTime,
}

/// The crash-loop rule. kubectl shows a crash-looping pod as
/// `CrashLoopBackOff` only between two runs; for the seconds each restart
/// runs it shows `1/1 Running 4 (5s ago)` (`printPod` in kubernetes
/// `pkg/printers/internalversion/printers.go`: the RESTARTS column is
/// `restartCount`, with `lastState.terminated.finishedAt` as "(5s ago)").
/// A pod whose container (or sidecar) has `restartCount > 0` and whose
/// last restart (its current `state.running.startedAt`, else
/// `lastState.terminated.finishedAt`) is less than [`SETTLE`] before `now`
/// is not `Running` and not ready for a check: it is what a student sees
/// as a crash loop. A container restarted once long ago (a worker that
/// crashed while its database started) counts as running.
pub fn restarted_recently(pod: &Value, now: SystemTime) -> Option<Restart> {
    let empty = Vec::new();
    let status = &pod["status"];
    let containers = status["containerStatuses"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .chain(status["initContainerStatuses"].as_array().unwrap_or(&empty));
    let mut found: Option<Restart> = None;
    for c in containers {
        let restarts = c["restartCount"].as_i64().unwrap_or(0);
        if restarts <= 0 {
            continue;
        }
        let last = &c["lastState"]["terminated"];
        let at = |v: &Value| v.as_str().and_then(|t| humantime::parse_rfc3339(t).ok());
        let Some(restarted) =
            at(&c["state"]["running"]["startedAt"]).or_else(|| at(&last["finishedAt"]))
        else {
            continue;
        };
        let settles_at = restarted.checked_add(SETTLE).unwrap_or(restarted);
        if settles_at <= now {
            continue;
        }
        let ago = now.duration_since(restarted).unwrap_or_default().as_secs();
        let exit = if last.is_object() {
            format!(", last exit: {}", terminated_word(last, ""))
        } else {
            String::new()
        };
        let text = format!(
            "container {:?} restarted {ago}s ago (restarts: {restarts}{exit}); it counts as running once it has run {}s without restarting",
            str_of(c, "name"),
            SETTLE.as_secs()
        );
        if found.as_ref().is_none_or(|f| settles_at > f.settles_at) {
            found = Some(Restart { text, settles_at });
        }
    }
    found
}

// ---------------------------------------------------------------------------
// phase: kubectl's STATUS column

/// The pod phases (`status.phase`) other than `Running`: `phase: Pending`
/// holds for a pod kubectl shows as `ContainerCreating` (its phase is
/// Pending), `phase: Failed` for one it shows as `Error` or `OOMKilled`.
const POD_PHASES: &[&str] = &["Pending", "Succeeded", "Failed", "Unknown"];

fn phase_failure(want: &str, obj: &Value, builtin: Option<&Builtin>) -> Option<String> {
    let kind = builtin.map(|b| b.kind);
    let shown = status_word(kind, obj);
    let ok = match kind {
        Some("Pod") if POD_PHASES.contains(&want) => {
            shown.as_deref() == Some(want)
                || (obj["status"]["phase"].as_str() == Some(want) && !being_deleted(obj))
        }
        _ => shown.as_deref() == Some(want),
    };
    if ok {
        None
    } else {
        Some(format!(
            "phase {}, want {want}",
            shown.as_deref().unwrap_or("unset")
        ))
    }
}

/// What kubectl's STATUS column shows for `obj`: printPod for pods,
/// printJob for jobs, `Terminating` for persistent volumes (and claims)
/// being deleted, `status.phase` for everything else.
pub fn status_word(kind: Option<&str>, obj: &Value) -> Option<String> {
    match kind {
        Some("Pod") => Some(pod_status(obj)),
        Some("Job") => Some(job_status(obj).to_string()),
        Some("PersistentVolume" | "PersistentVolumeClaim") if being_deleted(obj) => {
            Some("Terminating".into())
        }
        _ => obj["status"]["phase"].as_str().map(str::to_string),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

fn condition_true(obj: &Value, kind: &str) -> Option<bool> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
        .map(|c| c["status"] == "True")
}

fn terminated_word(t: &Value, prefix: &str) -> String {
    match t["reason"].as_str().filter(|r| !r.is_empty()) {
        Some(r) => format!("{prefix}{r}"),
        None => {
            let signal = t["signal"].as_i64().unwrap_or(0);
            if signal != 0 {
                format!("{prefix}Signal:{signal}")
            } else {
                format!("{prefix}ExitCode:{}", t["exitCode"].as_i64().unwrap_or(0))
            }
        }
    }
}

/// kubectl's STATUS column for a pod, restating `printPod` in
/// kubernetes/pkg/printers/internalversion/printers.go: the phase (or
/// `status.reason`, e.g. `Evicted`, `NodeLost`), `SchedulingGated`, the
/// first init container not done (`Init:0/2`, `Init:CrashLoopBackOff`,
/// `Init:Error`), then the last container with a waiting reason
/// (`ContainerCreating`, `CrashLoopBackOff`, `ImagePullBackOff`,
/// `ErrImagePull`) or terminated reason (`Completed`, `Error`,
/// `OOMKilled`, `ExitCode:N`), `Running`/`NotReady` when a container still
/// runs after others completed, and `Terminating` (or `Unknown` for a lost
/// node) once deleted.
pub fn pod_status(pod: &Value) -> String {
    let status = &pod["status"];
    let phase = str_of(status, "phase");
    let mut reason = phase.to_string();
    if !str_of(status, "reason").is_empty() {
        reason = str_of(status, "reason").to_string();
    }
    let empty = Vec::new();
    let conditions = status["conditions"].as_array().unwrap_or(&empty);
    if conditions
        .iter()
        .any(|c| c["type"] == "PodScheduled" && c["reason"] == "SchedulingGated")
    {
        reason = "SchedulingGated".into();
    }
    let init_specs = pod["spec"]["initContainers"].as_array().unwrap_or(&empty);
    // A sidecar: an init container with `restartPolicy: Always`.
    let restartable = |name: &str| {
        init_specs
            .iter()
            .any(|c| c["name"] == name && c["restartPolicy"] == "Always")
    };
    let mut initializing = false;
    let init_statuses = status["initContainerStatuses"].as_array().unwrap_or(&empty);
    for (i, c) in init_statuses.iter().enumerate() {
        let state = &c["state"];
        let terminated = state.get("terminated").filter(|t| t.is_object());
        let waiting = state.get("waiting").filter(|w| w.is_object());
        if terminated.is_some_and(|t| t["exitCode"].as_i64() == Some(0)) {
            continue;
        }
        if restartable(str_of(c, "name")) && c["started"] == true {
            continue;
        }
        if let Some(t) = terminated {
            reason = terminated_word(t, "Init:");
        } else if let Some(w) = waiting
            && !str_of(w, "reason").is_empty()
            && str_of(w, "reason") != "PodInitializing"
        {
            reason = format!("Init:{}", str_of(w, "reason"));
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }
    let initialized = conditions
        .iter()
        .any(|c| c["type"] == "Initialized" && c["status"] == "True");
    if !initializing || initialized {
        let mut has_running = false;
        let statuses = status["containerStatuses"].as_array().unwrap_or(&empty);
        for c in statuses.iter().rev() {
            let state = &c["state"];
            let terminated = state.get("terminated").filter(|t| t.is_object());
            let waiting = state.get("waiting").filter(|w| w.is_object());
            if let Some(w) = waiting
                && !str_of(w, "reason").is_empty()
            {
                reason = str_of(w, "reason").to_string();
            } else if let Some(t) = terminated {
                reason = terminated_word(t, "");
            } else if c["ready"] == true && state.get("running").is_some_and(Value::is_object) {
                has_running = true;
            }
        }
        if reason == "Completed" && has_running {
            reason = if condition_true(pod, "Ready") == Some(true) {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }
    if being_deleted(pod) && str_of(status, "reason") == "NodeLost" {
        reason = "Unknown".into();
    } else if being_deleted(pod) && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".into();
    }
    reason
}

/// kubectl's STATUS column for a Job (`printJob`, same file; kubectl
/// 1.34+ shows `SuccessCriteriaMet`, the condition the job controller sets
/// (1.31+) before `Complete` once a success policy or the completions are
/// met while pods still terminate).
pub fn job_status(job: &Value) -> &'static str {
    let has = |t: &str| condition_true(job, t) == Some(true);
    if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if being_deleted(job) {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else if has("SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else {
        "Running"
    }
}

// ---------------------------------------------------------------------------
// ready

/// `(ready, explanation)` the way kubectl means it, for an object of a kind
/// the built-in table does not know (a custom resource): its `Ready` (or
/// else `Available`) condition.
pub fn readiness(obj: &Value) -> (bool, String) {
    readiness_of(None, obj)
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// `(ready, explanation)` for `obj` under `rule`. Status fields the API
/// server omitted read as 0, as they do for kubectl (Go zero values).
pub fn readiness_of(rule: Option<Readiness>, obj: &Value) -> (bool, String) {
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    let generation = int(&obj["metadata"]["generation"]);
    let spec = &obj["spec"];
    let status = &obj["status"];
    let observed = int(&status["observedGeneration"]);
    match rule {
        Some(Readiness::Deployment) => deployment_rollout(name, generation, spec, status),
        Some(Readiness::DaemonSet) => daemonset_rollout(name, generation, spec, status),
        Some(Readiness::StatefulSet) => statefulset_rollout(name, generation, spec, status),
        Some(Readiness::Replicas) => {
            // kubectl get rs/rc: READY is readyReplicas of spec.replicas.
            let desired = spec["replicas"].as_i64().unwrap_or(1);
            let ready = int(&status["readyReplicas"]);
            if generation > observed {
                (false, "spec update not yet observed".into())
            } else {
                (ready >= desired, format!("{ready}/{desired} ready"))
            }
        }
        Some(Readiness::Job) => {
            // A Job is "ready" once complete: kubectl wait --for=condition=Complete.
            let status = job_status(obj);
            (
                status == "Complete",
                format!("job status {status}, want Complete"),
            )
        }
        Some(Readiness::ReadyCondition) => {
            if being_deleted(obj) {
                return (false, "being deleted".into());
            }
            condition_readiness(obj, &["Ready"])
        }
        Some(Readiness::None) => (false, "this kind has no readiness".into()),
        None => condition_readiness(obj, &["Ready", "Available"]),
    }
}

/// The first of `types` the object reports, as `kubectl wait
/// --for=condition=Ready` reads it (kubectl `pkg/cmd/wait/condition.go`,
/// `checkCondition` and `getObservedGeneration`): a condition written for
/// an older spec does not count. Its generation is the condition's own
/// `observedGeneration`, else `status.observedGeneration`; when that is
/// behind `metadata.generation` (a Certificate edited to generation 2 whose
/// `Ready=True` says `observedGeneration: 1`, a Flux Kustomization whose
/// controller has not reconciled the new spec yet) the object is not ready.
fn condition_readiness(obj: &Value, types: &[&str]) -> (bool, String) {
    if let Some(conds) = obj["status"]["conditions"].as_array() {
        for wanted in types {
            if let Some(c) = conds.iter().find(|c| c["type"] == *wanted) {
                if let Some(generation) = obj["metadata"]["generation"].as_i64()
                    && let Some(observed) = c["observedGeneration"]
                        .as_i64()
                        .or_else(|| obj["status"]["observedGeneration"].as_i64())
                    && observed < generation
                {
                    let s = c["status"].as_str().unwrap_or("Unknown");
                    return (
                        false,
                        format!(
                            "{wanted}={s} is for generation {observed}, the object is at generation {generation}: not yet reconciled"
                        ),
                    );
                }
                let ok = c["status"] == "True";
                let reason = c["reason"].as_str().unwrap_or("");
                let s = c["status"].as_str().unwrap_or("Unknown");
                return (
                    ok,
                    if reason.is_empty() {
                        format!("{wanted}={s}")
                    } else {
                        format!("{wanted}={s}: {reason}")
                    },
                );
            }
        }
    }
    (false, "reports no readiness".into())
}

// The three functions below restate `Status` of DeploymentStatusViewer,
// DaemonSetStatusViewer and StatefulSetStatusViewer in
// kubectl/pkg/polymorphichelpers/rollout_status.go, with kubectl's
// messages (without the trailing "...").

fn deployment_rollout(name: &str, generation: i64, spec: &Value, status: &Value) -> (bool, String) {
    if generation > int(&status["observedGeneration"]) {
        return (
            false,
            "Waiting for deployment spec update to be observed".into(),
        );
    }
    let progress_deadline_exceeded = status["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded")
    });
    if progress_deadline_exceeded {
        return (
            false,
            format!("deployment {name:?} exceeded its progress deadline"),
        );
    }
    let updated = int(&status["updatedReplicas"]);
    let replicas = int(&status["replicas"]);
    let available = int(&status["availableReplicas"]);
    if let Some(want) = spec["replicas"].as_i64()
        && updated < want
    {
        return (
            false,
            format!(
                "Waiting for deployment {name:?} rollout to finish: {updated} out of {want} new replicas have been updated"
            ),
        );
    }
    if replicas > updated {
        return (
            false,
            format!(
                "Waiting for deployment {name:?} rollout to finish: {} old replicas are pending termination",
                replicas.saturating_sub(updated)
            ),
        );
    }
    if available < updated {
        return (
            false,
            format!(
                "Waiting for deployment {name:?} rollout to finish: {available} of {updated} updated replicas are available"
            ),
        );
    }
    (true, format!("deployment {name:?} successfully rolled out"))
}

fn daemonset_rollout(name: &str, generation: i64, spec: &Value, status: &Value) -> (bool, String) {
    if generation > int(&status["observedGeneration"]) {
        return (
            false,
            "Waiting for daemon set spec update to be observed".into(),
        );
    }
    let desired = int(&status["desiredNumberScheduled"]);
    let updated = int(&status["updatedNumberScheduled"]);
    let available = int(&status["numberAvailable"]);
    // kubectl refuses rollout status for `OnDelete` (pods are replaced only
    // when deleted by hand, so "updated" says nothing): there, ready means
    // every scheduled pod is available.
    let on_delete = spec["updateStrategy"]["type"] == "OnDelete";
    if !on_delete && updated < desired {
        return (
            false,
            format!(
                "Waiting for daemon set {name:?} rollout to finish: {updated} out of {desired} new pods have been updated"
            ),
        );
    }
    if available < desired {
        return (
            false,
            format!(
                "Waiting for daemon set {name:?} rollout to finish: {available} of {desired} updated pods are available"
            ),
        );
    }
    (true, format!("daemon set {name:?} successfully rolled out"))
}

fn statefulset_rollout(
    _name: &str,
    generation: i64,
    spec: &Value,
    status: &Value,
) -> (bool, String) {
    let observed = int(&status["observedGeneration"]);
    if observed == 0 || generation > observed {
        return (
            false,
            "Waiting for statefulset spec update to be observed".into(),
        );
    }
    let ready = int(&status["readyReplicas"]);
    let updated = int(&status["updatedReplicas"]);
    if let Some(want) = spec["replicas"].as_i64()
        && ready < want
    {
        return (
            false,
            format!(
                "Waiting for {} pods to be ready",
                want.saturating_sub(ready)
            ),
        );
    }
    let strategy = &spec["updateStrategy"];
    // As for daemon sets, `OnDelete` has no rollout: ready pods suffice.
    if strategy["type"] == "OnDelete" {
        return (true, format!("{ready} pods ready"));
    }
    if strategy["rollingUpdate"].is_object() {
        if let (Some(want), Some(partition)) = (
            spec["replicas"].as_i64(),
            strategy["rollingUpdate"]["partition"].as_i64(),
        ) && updated < want.saturating_sub(partition)
        {
            return (
                false,
                format!(
                    "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated",
                    want.saturating_sub(partition)
                ),
            );
        }
        return (
            true,
            format!("partitioned roll out complete: {updated} new pods have been updated"),
        );
    }
    let update_rev = str_of(status, "updateRevision");
    let current_rev = str_of(status, "currentRevision");
    if update_rev != current_rev {
        return (
            false,
            format!(
                "waiting for statefulset rolling update to complete {updated} pods at revision {update_rev}"
            ),
        );
    }
    (
        true,
        format!(
            "statefulset rolling update complete {} pods at revision {current_rev}",
            int(&status["currentReplicas"])
        ),
    )
}

// ---------------------------------------------------------------------------
// owner

/// The Kind of the object's controller owner, if it has one.
pub fn controller_kind(obj: &Value) -> Option<&str> {
    controller_ref(obj).and_then(|r| r["kind"].as_str())
}

fn controller_ref(obj: &Value) -> Option<&Value> {
    obj["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)
}

/// Follows the controller chain (pod -> ReplicaSet -> Deployment, pod ->
/// Job -> CronJob) through `ctx.owners` until it finds the wanted Kind.
fn owner_failure(want: &OwnerSpec, obj: &Value, ctx: &Context) -> Option<String> {
    let want = match want {
        OwnerSpec::None => {
            return controller_kind(obj).map(|k| format!("owned by a {k}, want no owner"));
        }
        OwnerSpec::Kind(w) => ctx.owner_kind.unwrap_or(w),
    };
    let mut current = obj;
    let mut chain: Vec<String> = Vec::new();
    // Controller chains are short; the bound guards against a cycle.
    for _ in 0..8 {
        let Some(r) = controller_ref(current) else {
            break;
        };
        let kind = r["kind"].as_str().unwrap_or("");
        if kind.eq_ignore_ascii_case(want) {
            return None;
        }
        chain.push(format!("{kind} {}", str_of(r, "name")));
        let uid = str_of(r, "uid");
        let ns = current["metadata"]["namespace"].as_str();
        let next = ctx.owners.iter().find(|o| {
            let m = &o["metadata"];
            if !uid.is_empty() && m["uid"].as_str().is_some() {
                m["uid"].as_str() == Some(uid)
            } else {
                m["name"] == r["name"] && m["namespace"].as_str() == ns
            }
        });
        match next {
            Some(n) => current = n,
            None => break,
        }
    }
    Some(match chain.len() {
        0 => format!("no owner, want a {want}"),
        1 if ctx.owners.is_empty() => {
            format!(
                "owned by a {}, want a {want}",
                controller_kind(obj).unwrap_or("")
            )
        }
        _ => format!("owned by {}, want a {want}", chain.join(" <- ")),
    })
}

// ---------------------------------------------------------------------------
// match

/// `None` when `want` is contained in `got`: maps as subsets, scalars
/// equal by [`compare_scalar`], and a list's given elements each
/// subset-match a distinct element of the object's list, in any order,
/// among others (so a Job's `conditions: [{type: Complete, status:
/// "True"}]` holds next to `SuccessCriteriaMet`). Otherwise where it differs.
fn subset_mismatch(want: &Value, got: &Value, path: &str) -> Option<String> {
    subset_in(want, got, path, Field::default())
}

fn subset_in(want: &Value, got: &Value, path: &str, field: Field) -> Option<String> {
    let here = if path.is_empty() { "." } else { path };
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().find_map(|(k, wv)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            let inner = Field {
                parent: field.key,
                key: Some(k.as_str()),
            };
            match g.get(k) {
                None => Some(format!("{p} missing")),
                Some(gv) => subset_in(wv, gv, &p, inner),
            }
        }),
        (Value::Array(w), Value::Array(g)) => {
            if w.len() > g.len() {
                return Some(format!(
                    "{here} has {} item(s), want at least {}",
                    g.len(),
                    w.len()
                ));
            }
            let fits = |i: usize, j: usize| subset_in(&w[i], &g[j], "", field).is_none();
            match unmatched(w.len(), g.len(), &fits) {
                None => None,
                // One candidate: say precisely where it differs.
                Some(i) if g.len() == 1 => subset_in(&w[i], &g[0], &format!("{path}[0]"), field),
                Some(i) => Some(format!("{here} has no item matching {}", w[i])),
            }
        }
        (w, g) if compare_scalar(w, g, field) == Some(Ordering::Equal) => None,
        (w, g) => Some(format!("{here} is {g}, want {w}")),
    }
}

/// Where a value sits in an object: the key of the map holding it and its
/// own key (`requests` and `cpu` for `spec.containers[0].resources.requests.cpu`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Field<'a> {
    pub parent: Option<&'a str>,
    pub key: Option<&'a str>,
}

impl<'a> Field<'a> {
    /// The field a `where` path names.
    fn of_path(path: &'a [PathSeg]) -> Field<'a> {
        let keys: Vec<&str> = path
            .iter()
            .filter_map(|s| match s {
                PathSeg::Key(k) => Some(k.as_str()),
                PathSeg::Index(_) => None,
            })
            .collect();
        Field {
            key: keys.last().copied(),
            parent: keys.len().checked_sub(2).and_then(|i| keys.get(i).copied()),
        }
    }
}

/// The one rule by which `match` and `where` compare a check's literal
/// (`want`) with what the API server returned (`got`): how `got` orders
/// against `want`, `None` when they cannot be equal.
///
/// - Where the API server keeps a quantity (`resources.requests.cpu`,
///   `capacity.storage`...: `quantity::is_quantity_field`), by value, as
///   `resource.Quantity` compares (apimachinery
///   `pkg/api/resource/quantity.go`, `Cmp`): the server stores `cpu: 0.25`
///   as `"250m"` and `memory: 1024Mi` as `"1Gi"`.
/// - Two numbers by value.
/// - A YAML number or boolean against a string by its text: label and
///   annotation values are always strings (`app: 1` in a check is the
///   label `"1"`), and so are many fields a slide's YAML writes unquoted.
/// - Anything else equal or not.
pub fn compare_scalar(want: &Value, got: &Value, field: Field) -> Option<Ordering> {
    if quantity::is_quantity_field(field.parent, field.key)
        && let (Some(w), Some(g)) = (quantity::of_json(want), quantity::of_json(got))
    {
        return Some(g.cmp_value(&w));
    }
    let text = |v: &Value| match v {
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match (want, got) {
        (Value::Number(w), Value::Number(g)) => match (w.as_i64(), g.as_i64()) {
            (Some(w), Some(g)) => Some(g.cmp(&w)),
            _ => g.as_f64()?.partial_cmp(&w.as_f64()?),
        },
        (Value::String(w), Value::String(g)) => Some(g.as_str().cmp(w.as_str())),
        (Value::String(w), other) => (text(other)? == *w).then_some(Ordering::Equal),
        (other, Value::String(g)) => (text(other)? == *g).then_some(Ordering::Equal),
        (w, g) => (w == g).then_some(Ordering::Equal),
    }
}

/// A wanted element with no distinct partner (Kuhn's augmenting paths on
/// the bipartite "fits" graph), or `None` when all have one.
fn unmatched(wanted: usize, got: usize, fits: &dyn Fn(usize, usize) -> bool) -> Option<usize> {
    fn augment(
        i: usize,
        got: usize,
        fits: &dyn Fn(usize, usize) -> bool,
        seen: &mut [bool],
        partner: &mut [Option<usize>],
    ) -> bool {
        for j in 0..got {
            if seen[j] || !fits(i, j) {
                continue;
            }
            seen[j] = true;
            if partner[j].is_none_or(|k| augment(k, got, fits, seen, partner)) {
                partner[j] = Some(i);
                return true;
            }
        }
        false
    }
    let mut partner = vec![None; got];
    (0..wanted).find(|&i| {
        let mut seen = vec![false; got];
        !augment(i, got, fits, &mut seen, &mut partner)
    })
}

// ---------------------------------------------------------------------------
// where

fn lookup<'a>(obj: &'a Value, path: &[PathSeg]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |v, seg| match seg {
        PathSeg::Key(k) => v.get(k.as_str()),
        PathSeg::Index(i) => v.get(*i),
    })
}

/// `status.<counter>` of a built-in kind: an integer the API server omits
/// when it is 0 (`readyReplicas` after scaling to zero).
fn is_counter(path: &[PathSeg], builtin: Option<&Builtin>) -> bool {
    match (path, builtin) {
        ([PathSeg::Key(s), PathSeg::Key(c)], Some(b)) => {
            s == "status" && b.counters.contains(&c.as_str())
        }
        _ => false,
    }
}

fn where_failure(w: &WhereTest, obj: &Value, builtin: Option<&Builtin>) -> Option<String> {
    let found = lookup(obj, &w.path).filter(|v| !v.is_null());
    let path = path_text(&w.path);
    let zero = Value::from(0);
    let length;
    let (label, got) = if w.length {
        // `len(path)`: items of a list, keys of a map, characters of a
        // string; 0 when absent.
        length = Value::from(match found {
            Some(Value::Array(a)) => a.len(),
            Some(Value::Object(m)) => m.len(),
            Some(Value::String(s)) => s.chars().count(),
            _ => 0,
        });
        (format!("len({path})"), Some(&length))
    } else if found.is_none()
        && matches!(w.test, WhereOp::Compare(..))
        && is_counter(&w.path, builtin)
    {
        (path, Some(&zero))
    } else {
        (path, found)
    };
    match (&w.test, got) {
        (WhereOp::Exists, Some(_)) | (WhereOp::Absent, None) => None,
        (WhereOp::Exists, None) => Some(format!("{label} absent, want it present")),
        (WhereOp::Absent, Some(v)) => Some(format!("{label} is {v}, want it absent")),
        (WhereOp::Compare(op, want), None) => {
            // A missing field is "not equal" to anything.
            if *op == CmpOp::Ne {
                None
            } else {
                Some(format!("{label} absent, want {op} {want}"))
            }
        }
        (WhereOp::Compare(op, want), Some(got)) => {
            // `len(...)` is a count, never a quantity.
            let field = if w.length {
                Field::default()
            } else {
                Field::of_path(&w.path)
            };
            let ord = compare_scalar(want, got, field);
            let ok = match op {
                CmpOp::Eq => ord == Some(Ordering::Equal),
                CmpOp::Ne => ord != Some(Ordering::Equal),
                _ => ord.is_some_and(|o| op.compare(o)),
            };
            if ok {
                None
            } else {
                Some(format!("{label} is {got}, want {op} {want}"))
            }
        }
    }
}

fn path_text(path: &[PathSeg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) if k.contains(['.', '/']) => s.push_str(&format!("[\"{k}\"]")),
            PathSeg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathSeg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::spec;
    use crate::exercise::CheckSource;
    use crate::kinds::Readiness;
    use serde_json::json;

    fn exp(yaml: &str) -> Expectation {
        let c = spec::parse(&CheckSource {
            yaml: yaml.into(),
            file: "t.md".into(),
            line: 1,
        })
        .unwrap();
        c.expect.into_iter().next().unwrap()
    }

    fn pod(name: &str, active: &str, phase: &str, owner: Option<&str>, ready: bool) -> Value {
        let mut p = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default",
                         "labels": {"app": "labeldemo", "isactive": active}},
            "spec": {"containers": [{"name": "c", "image": "alpine"}]},
            "status": {"phase": phase, "conditions": [
                {"type": "Ready", "status": if ready {"True"} else {"False"}}
            ]}
        });
        if let Some(k) = owner {
            p["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": k, "name": "labeldemo-5d4", "uid": "u", "controller": true}]);
        }
        p
    }

    #[test]
    fn phase_owner_and_count() {
        let e = exp(
            "- kind: pods\n  selector: isactive=no\n  count: 1\n  phase: Running\n  owner: none\n",
        );
        let objs = [
            pod("labeldemo-a", "no", "Running", None, true),
            pod("labeldemo-b", "yes", "Running", Some("ReplicaSet"), true),
        ];
        let o = evaluate(&e, &objs);
        assert!(o.holds);
        assert_eq!(o.objects.len(), 1, "selector applied locally");

        let objs = [pod(
            "labeldemo-a",
            "no",
            "Pending",
            Some("ReplicaSet"),
            false,
        )];
        let o = evaluate(&e, &objs);
        assert!(!o.holds);
        assert_eq!(
            o.objects[0].failed,
            vec![
                "phase Pending, want Running",
                "owned by a ReplicaSet, want no owner"
            ]
        );
        assert!(!evaluate(&e, &[]).holds);
    }

    #[test]
    fn count_zero_means_gone_and_default_is_at_least_one() {
        let gone = exp("- kind: pods\n  name: labeldemo-*\n  count: 0\n");
        assert!(gone.count.holds(0));
        assert!(evaluate(&gone, &[]).holds);
        assert!(!evaluate(&gone, &[pod("labeldemo-a", "no", "Running", None, true)]).holds);
        assert!(evaluate(&gone, &[pod("other", "no", "Running", None, true)]).holds);
        let any = exp("- kind: pods\n");
        assert!(!evaluate(&any, &[]).holds);
        let le = exp("- kind: pods\n  count: \"<=1\"\n");
        let two = [
            pod("a", "no", "Running", None, true),
            pod("b", "no", "Running", None, true),
        ];
        assert!(!evaluate(&le, &two).holds);
    }

    #[test]
    fn ready_for_pods_and_workloads() {
        let e = exp("- kind: pods\n  ready: true\n");
        let o = evaluate(&e, &[pod("a", "yes", "Running", None, false)]);
        assert_eq!(o.objects[0].failed, vec!["not ready (Ready=False)"]);
        let ds = json!({"metadata": {"name": "rng", "generation": 1},
                        "spec": {"updateStrategy": {"type": "RollingUpdate"}},
                        "status": {"observedGeneration": 1, "desiredNumberScheduled": 3,
                                   "updatedNumberScheduled": 3, "numberAvailable": 2, "numberReady": 2}});
        assert_eq!(
            readiness_of(Some(Readiness::DaemonSet), &ds),
            (false, "Waiting for daemon set \"rng\" rollout to finish: 2 of 3 updated pods are available".to_string())
        );
        let scaled0 = json!({"metadata": {"name": "w", "generation": 2}, "spec": {"replicas": 0},
                             "status": {"observedGeneration": 2}});
        assert!(readiness_of(Some(Readiness::Deployment), &scaled0).0);
        let cm = json!({"metadata": {"name": "c"}, "data": {}});
        assert!(!readiness(&cm).0);
    }

    fn deployment(generation: i64, status: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "default", "generation": generation},
               "spec": {"replicas": 3}, "status": status})
    }

    #[test]
    fn deployment_ready_is_kubectl_rollout_status() {
        let rule = Some(Readiness::Deployment);
        let done = json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3,
                          "readyReplicas": 3, "availableReplicas": 3});
        assert_eq!(
            readiness_of(rule, &deployment(2, done.clone())),
            (true, "deployment \"web\" successfully rolled out".into())
        );
        // Right after `kubectl set image`: the READY column still says 3/3.
        assert_eq!(
            readiness_of(rule, &deployment(3, done)).1,
            "Waiting for deployment spec update to be observed"
        );
        let mid = json!({"observedGeneration": 3, "replicas": 4, "updatedReplicas": 1,
                         "readyReplicas": 3, "availableReplicas": 3});
        assert_eq!(
            readiness_of(rule, &deployment(3, mid)).1,
            "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated"
        );
        let old = json!({"observedGeneration": 3, "replicas": 4, "updatedReplicas": 3,
                         "readyReplicas": 4, "availableReplicas": 4});
        assert_eq!(
            readiness_of(rule, &deployment(3, old)).1,
            "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination"
        );
        let unavailable = json!({"observedGeneration": 3, "replicas": 3, "updatedReplicas": 3,
                                 "readyReplicas": 2, "availableReplicas": 2});
        assert_eq!(
            readiness_of(rule, &deployment(3, unavailable)).1,
            "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are available"
        );
        let stuck = json!({"observedGeneration": 3, "replicas": 3, "updatedReplicas": 3,
                           "readyReplicas": 3, "availableReplicas": 3,
                           "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]});
        assert_eq!(
            readiness_of(rule, &deployment(3, stuck)),
            (
                false,
                "deployment \"web\" exceeded its progress deadline".into()
            )
        );
        // Through an expectation: the message a student reads.
        let e = exp("- kind: deploy\n  name: web\n  ready: true\n");
        let mid = json!({"observedGeneration": 3, "replicas": 3, "updatedReplicas": 0});
        assert_eq!(
            evaluate(&e, &[deployment(3, mid)]).objects[0].failed,
            vec![
                "not ready (Waiting for deployment \"web\" rollout to finish: 0 out of 3 new replicas have been updated)"
            ]
        );
    }

    #[test]
    fn hostile_numbers_from_a_cluster_do_not_panic() {
        let big = json!({"metadata": {"name": "x", "generation": i64::MAX},
            "spec": {"replicas": i64::MAX, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": i64::MIN}}},
            "status": {"observedGeneration": i64::MAX, "replicas": i64::MAX, "updatedReplicas": i64::MIN,
                       "readyReplicas": i64::MIN, "availableReplicas": "x"}});
        for rule in [
            Readiness::Deployment,
            Readiness::DaemonSet,
            Readiness::StatefulSet,
            Readiness::Replicas,
        ] {
            // No overflow panic; some verdict with a reason.
            assert!(!readiness_of(Some(rule), &big).1.is_empty());
        }
    }

    #[test]
    fn daemonset_and_statefulset_rollouts() {
        let ds = |strategy: &str, updated: i64| {
            json!({"metadata": {"name": "rng", "generation": 2},
                   "spec": {"updateStrategy": {"type": strategy}},
                   "status": {"observedGeneration": 2, "desiredNumberScheduled": 2,
                              "updatedNumberScheduled": updated, "numberAvailable": 2}})
        };
        let rule = Some(Readiness::DaemonSet);
        assert_eq!(
            readiness_of(rule, &ds("RollingUpdate", 1)).1,
            "Waiting for daemon set \"rng\" rollout to finish: 1 out of 2 new pods have been updated"
        );
        assert!(readiness_of(rule, &ds("RollingUpdate", 2)).0);
        assert!(
            readiness_of(rule, &ds("OnDelete", 0)).0,
            "OnDelete: available is enough"
        );
        let sts = |partition: Option<i64>, updated: i64, ready: i64, revs: (&str, &str)| {
            let mut s = json!({"metadata": {"name": "db", "generation": 1},
                   "spec": {"replicas": 3, "updateStrategy": {"type": "RollingUpdate"}},
                   "status": {"observedGeneration": 1, "readyReplicas": ready, "updatedReplicas": updated,
                              "currentReplicas": 3, "currentRevision": revs.0, "updateRevision": revs.1}});
            if let Some(p) = partition {
                s["spec"]["updateStrategy"]["rollingUpdate"] = json!({"partition": p});
            }
            s
        };
        let rule = Some(Readiness::StatefulSet);
        assert_eq!(
            readiness_of(rule, &sts(Some(0), 3, 2, ("a", "a"))).1,
            "Waiting for 1 pods to be ready"
        );
        assert_eq!(
            readiness_of(rule, &sts(Some(1), 1, 3, ("a", "b"))).1,
            "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated"
        );
        assert!(readiness_of(rule, &sts(Some(1), 2, 3, ("a", "b"))).0);
        assert_eq!(
            readiness_of(rule, &sts(None, 1, 3, ("a", "b"))).1,
            "waiting for statefulset rolling update to complete 1 pods at revision b"
        );
        assert!(readiness_of(rule, &sts(None, 3, 3, ("b", "b"))).0);
        let unobserved = json!({"metadata": {"name": "db", "generation": 1}, "spec": {"replicas": 1}, "status": {}});
        assert!(!readiness_of(rule, &unobserved).0);
    }

    #[test]
    fn job_ready_means_complete() {
        let e = exp("- kind: jobs\n  ready: true\n");
        let job =
            |conds: Value| json!({"metadata": {"name": "pi"}, "status": {"conditions": conds}});
        let complete = job(
            json!([{"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}]),
        );
        assert!(evaluate(&e, &[complete]).holds);
        let o = evaluate(&e, &[job(json!([]))]);
        assert_eq!(
            o.objects[0].failed,
            vec!["not ready (job status Running, want Complete)"]
        );
        let e = exp("- kind: jobs\n  phase: Failed\n");
        assert!(evaluate(&e, &[job(json!([{"type": "Failed", "status": "True"}]))]).holds);
    }

    fn with_status(mut p: Value, status: Value) -> Value {
        p["status"] = status;
        p
    }

    #[test]
    fn pod_phase_is_kubectls_status_column() {
        let base = pod("web-1", "yes", "Running", None, true);
        let crash = with_status(
            base.clone(),
            json!({"phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{"name": "c", "ready": false, "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}),
        );
        assert_eq!(pod_status(&crash), "CrashLoopBackOff");
        let running = exp("- kind: pods\n  phase: Running\n");
        assert_eq!(
            evaluate(&running, std::slice::from_ref(&crash)).objects[0].failed,
            vec!["phase CrashLoopBackOff, want Running"]
        );
        assert!(evaluate(&exp("- kind: pods\n  phase: CrashLoopBackOff\n"), &[crash]).holds);

        let cases = [
            (
                json!({"phase": "Pending", "containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}),
                "ImagePullBackOff",
            ),
            (
                json!({"phase": "Pending", "containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "ErrImagePull"}}}]}),
                "ErrImagePull",
            ),
            (
                json!({"phase": "Succeeded", "containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
                "Completed",
            ),
            (
                json!({"phase": "Failed", "containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}),
                "Error",
            ),
            (
                json!({"phase": "Running", "containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}),
                "OOMKilled",
            ),
            (
                json!({"phase": "Failed", "containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 3}}}]}),
                "ExitCode:3",
            ),
            (json!({"phase": "Failed", "reason": "Evicted"}), "Evicted"),
            (
                json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
                "SchedulingGated",
            ),
            (
                json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
                    "containerStatuses": [
                        {"name": "a", "ready": false, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                        {"name": "b", "ready": true, "state": {"running": {}}}]}),
                "NotReady",
            ),
        ];
        for (status, want) in cases {
            assert_eq!(
                pod_status(&with_status(base.clone(), status.clone())),
                want,
                "{status}"
            );
        }
        // `phase: Failed` holds for a pod kubectl shows as Error (its phase is Failed).
        let error = with_status(
            base.clone(),
            json!({"phase": "Failed", "containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}),
        );
        assert!(evaluate(&exp("- kind: pods\n  phase: Failed\n"), &[error]).holds);
    }

    #[test]
    fn init_containers_show_as_init() {
        let mut p = pod("web-1", "yes", "Pending", None, false);
        p["spec"]["initContainers"] = json!([{"name": "i1"}, {"name": "i2"}]);
        let st = |statuses: Value| {
            json!({"phase": "Pending", "initContainerStatuses": statuses,
            "conditions": [{"type": "Initialized", "status": "False"}]})
        };
        let done =
            json!({"name": "i1", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}});
        let running = json!({"name": "i2", "state": {"running": {}}});
        assert_eq!(
            pod_status(&with_status(p.clone(), st(json!([done, running])))),
            "Init:1/2"
        );
        let crash = json!({"name": "i1", "state": {"waiting": {"reason": "CrashLoopBackOff"}}});
        assert_eq!(
            pod_status(&with_status(p.clone(), st(json!([crash])))),
            "Init:CrashLoopBackOff"
        );
        let failed =
            json!({"name": "i1", "state": {"terminated": {"exitCode": 2, "reason": "Error"}}});
        assert_eq!(
            pod_status(&with_status(p.clone(), st(json!([failed])))),
            "Init:Error"
        );
        let signal = json!({"name": "i1", "state": {"terminated": {"exitCode": 137, "signal": 9}}});
        assert_eq!(
            pod_status(&with_status(p.clone(), st(json!([signal])))),
            "Init:Signal:9"
        );
        let waiting = json!({"name": "i1", "state": {"waiting": {"reason": "PodInitializing"}}});
        assert_eq!(
            pod_status(&with_status(p.clone(), st(json!([waiting])))),
            "Init:0/2"
        );
    }

    #[test]
    fn objects_being_deleted_are_not_counted_unless_asked() {
        let mut going = pod("web-4", "yes", "Running", None, true);
        going["metadata"]["deletionTimestamp"] = json!("2026-11-24T06:40:00Z");
        assert_eq!(pod_status(&going), "Terminating");
        let staying: Vec<Value> = (1..=3)
            .map(|i| pod(&format!("web-{i}"), "yes", "Running", None, true))
            .collect();
        let mut all = staying.clone();
        all.push(going.clone());
        let e = exp("- kind: pods\n  count: 3\n  phase: Running\n  ready: true\n");
        let o = evaluate(&e, &all);
        assert!(o.holds, "{o:?}");
        assert_eq!(o.objects[3].failed, vec!["being deleted (Terminating)"]);
        // Asked for: `phase: Terminating`, or a where test on deletionTimestamp.
        let e = exp("- kind: pods\n  phase: Terminating\n  count: 1\n");
        assert!(evaluate(&e, &all).holds);
        let e = exp("- kind: pods\n  where: [metadata.deletionTimestamp exists]\n  count: 1\n");
        assert!(evaluate(&e, &all).holds);
        // `count: 0` "gone": an object being deleted is already gone.
        let e = exp("- kind: pods\n  name: web-4\n  count: 0\n");
        assert!(evaluate(&e, std::slice::from_ref(&going)).holds);
        // ready: true never holds for a pod being deleted, even if asked for.
        let e = exp("- kind: pods\n  phase: Terminating\n  ready: true\n");
        assert_eq!(
            evaluate(&e, &[going]).objects[0].failed,
            vec!["not ready (being deleted)"]
        );
    }

    #[test]
    fn owner_follows_the_controller_chain() {
        let rs = json!({"metadata": {"name": "web-5d4", "namespace": "default", "uid": "rs-uid",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "d-uid", "controller": true}]}});
        let bare_rs =
            json!({"metadata": {"name": "solo", "namespace": "default", "uid": "solo-uid"}});
        let mut p = pod("web-5d4-x", "yes", "Running", None, true);
        p["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d4", "uid": "rs-uid", "controller": true}]);
        let mut orphan_rs_pod = pod("solo-x", "yes", "Running", None, true);
        orphan_rs_pod["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "solo", "uid": "solo-uid", "controller": true}]);
        let owners = [rs, bare_rs];
        let ctx = Context {
            owners: &owners,
            ..Default::default()
        };
        for spelling in ["Deployment", "deploy", "deployments.apps", "deployment"] {
            let e = exp(&format!("- kind: pods\n  owner: {spelling}\n"));
            let o = evaluate_in(&e, &[p.clone(), orphan_rs_pod.clone()], &ctx);
            assert!(o.objects[1].passes(), "{spelling}: {o:?}");
            assert_eq!(
                o.objects[0].failed,
                vec!["owned by ReplicaSet solo, want a Deployment"]
            );
        }
        for spelling in ["rs", "ReplicaSet", "replicasets.apps"] {
            let e = exp(&format!("- kind: pods\n  owner: {spelling}\n"));
            assert!(
                evaluate_in(&e, std::slice::from_ref(&p), &ctx).holds,
                "{spelling}"
            );
        }
        // Without the ReplicaSets the chain stops at the pod's controller.
        let e = exp("- kind: pods\n  owner: Deployment\n");
        assert_eq!(
            evaluate(&e, std::slice::from_ref(&p)).objects[0].failed,
            vec!["owned by a ReplicaSet, want a Deployment"]
        );
    }

    #[test]
    fn missing_counters_read_as_zero() {
        let d = json!({"metadata": {"name": "web", "generation": 2}, "spec": {"replicas": 0},
                       "status": {"observedGeneration": 2}});
        let check = |kind: &str, w: &str| {
            let e = exp(&format!("- kind: {kind}\n  where:\n    - '{w}'\n"));
            evaluate(&e, std::slice::from_ref(&d)).objects[0]
                .failed
                .clone()
        };
        assert!(check("deploy", "status.readyReplicas == 0").is_empty());
        assert!(check("deploy", "status.replicas <= 0").is_empty());
        assert!(check("deploy", "status.availableReplicas < 1").is_empty());
        assert_eq!(
            check("deploy", "status.readyReplicas >= 1"),
            vec!["status.readyReplicas is 0, want >= 1"]
        );
        // Presence tests still see what the API server sent.
        assert!(check("deploy", "status.readyReplicas absent").is_empty());
        // Not a counter of this kind: absent stays absent.
        assert_eq!(
            check("deploy", "status.foo == 0"),
            vec!["status.foo absent, want == 0"]
        );
        let job = json!({"metadata": {"name": "pi"}, "status": {"succeeded": 1}});
        let e = exp(
            "- kind: jobs\n  where: [status.failed == 0, status.active == 0, status.succeeded == 1]\n",
        );
        assert!(evaluate(&e, &[job]).holds);
        let ds = json!({"metadata": {"name": "rng"}, "status": {"desiredNumberScheduled": 0}});
        let e = exp("- kind: ds\n  where: [status.numberReady == 0]\n");
        assert!(evaluate(&e, &[ds]).holds);
    }

    #[test]
    fn list_length_in_where() {
        let p = pod("a", "yes", "Running", None, true);
        let check = |w: &str| {
            let e = exp(&format!("- kind: pods\n  where:\n    - '{w}'\n"));
            evaluate(&e, std::slice::from_ref(&p)).objects[0]
                .failed
                .clone()
        };
        assert!(check("len(spec.containers) == 1").is_empty());
        assert!(check("len(spec.volumes) == 0").is_empty());
        assert_eq!(
            check("len(spec.containers) == 2"),
            vec!["len(spec.containers) is 1, want == 2"]
        );
        assert!(check("len(metadata.labels) >= 2").is_empty());
    }

    #[test]
    fn match_is_a_recursive_subset() {
        let e = exp(
            "- kind: pods\n  match:\n    metadata:\n      labels:\n        app: labeldemo\n    spec:\n      containers:\n        - image: alpine\n",
        );
        assert!(evaluate(&e, &[pod("a", "yes", "Running", None, true)]).holds);
        let e =
            exp("- kind: pods\n  match:\n    spec:\n      containers:\n        - image: nginx\n");
        let o = evaluate(&e, &[pod("a", "yes", "Running", None, true)]);
        assert_eq!(
            o.objects[0].failed,
            vec!["match: spec.containers[0].image is \"alpine\", want \"nginx\""]
        );
        let e = exp("- kind: pods\n  match:\n    spec:\n      nodeName: n1\n");
        let o = evaluate(&e, &[pod("a", "yes", "Running", None, true)]);
        assert_eq!(o.objects[0].failed, vec!["match: spec.nodeName missing"]);
    }

    #[test]
    fn a_list_in_match_means_these_elements_among_others() {
        // A 1.31+ Job: SuccessCriteriaMet next to Complete.
        let job = json!({"metadata": {"name": "pi"}, "status": {"conditions": [
            {"type": "SuccessCriteriaMet", "status": "True"},
            {"type": "Complete", "status": "True"}]}});
        let e = exp(
            "- kind: jobs\n  match:\n    status:\n      conditions:\n        - {type: Complete, status: \"True\"}\n",
        );
        assert!(evaluate(&e, std::slice::from_ref(&job)).holds);
        // A pod's volumes: admission adds kube-api-access-*.
        let mut p = pod("a", "yes", "Running", None, true);
        p["spec"]["volumes"] = json!([
            {"name": "kube-api-access-x2", "projected": {"sources": []}},
            {"name": "conf", "configMap": {"name": "web"}}]);
        let e = exp(
            "- kind: pods\n  match:\n    spec:\n      volumes:\n        - configMap: {name: web}\n",
        );
        assert!(evaluate(&e, std::slice::from_ref(&p)).holds);
        // Each given element needs its own partner.
        let e = exp(
            "- kind: pods\n  match:\n    spec:\n      volumes:\n        - configMap: {name: web}\n        - name: conf\n        - name: conf\n",
        );
        assert_eq!(
            evaluate(&e, std::slice::from_ref(&p)).objects[0].failed,
            vec!["match: spec.volumes has 2 item(s), want at least 3"]
        );
        let e = exp(
            "- kind: pods\n  match:\n    spec:\n      volumes:\n        - configMap: {name: web}\n        - name: kube-api-access-x2\n",
        );
        assert!(evaluate(&e, std::slice::from_ref(&p)).holds, "any order");
        // Two given elements that only one item fits do not both hold.
        let e = exp(
            "- kind: pods\n  match:\n    spec:\n      volumes:\n        - name: conf\n        - configMap: {name: web}\n",
        );
        assert!(
            !evaluate(&e, std::slice::from_ref(&p)).holds,
            "distinct items"
        );
        let e = exp(
            "- kind: pods\n  match:\n    spec:\n      volumes:\n        - configMap: {name: db}\n",
        );
        assert_eq!(
            evaluate(&e, std::slice::from_ref(&p)).objects[0].failed,
            vec!["match: spec.volumes has no item matching {\"configMap\":{\"name\":\"db\"}}"]
        );
        // The exact list: match plus a length test.
        let e = exp(
            "- kind: pods\n  match:\n    spec:\n      volumes:\n        - configMap: {name: web}\n  where: ['len(spec.volumes) == 1']\n",
        );
        assert_eq!(
            evaluate(&e, std::slice::from_ref(&p)).objects[0].failed,
            vec!["len(spec.volumes) is 2, want == 1"]
        );
        // Greedy would fail here: the first wanted element fits both items.
        let got = json!({"a": [{"x": 1, "y": 2}, {"x": 1}]});
        assert_eq!(
            subset_mismatch(&json!({"a": [{"x": 1}, {"y": 2}]}), &got, ""),
            None
        );
    }

    #[test]
    fn where_tests() {
        let d = json!({"metadata": {"name": "rng", "labels": {"app.kubernetes.io/name": "rng"}},
                       "spec": {"replicas": 3}, "status": {"readyReplicas": 2}});
        let check = |w: &str| {
            let e = exp(&format!("- kind: deploy\n  where:\n    - '{w}'\n"));
            evaluate(&e, std::slice::from_ref(&d)).objects[0]
                .failed
                .clone()
        };
        assert!(check("spec.replicas == 3").is_empty());
        assert!(check("spec.replicas >= 3").is_empty());
        assert_eq!(
            check("status.readyReplicas >= 3"),
            vec!["status.readyReplicas is 2, want >= 3"]
        );
        assert!(check("status.unavailableReplicas absent").is_empty());
        assert!(check("metadata.labels[\"app.kubernetes.io/name\"] == rng").is_empty());
        assert_eq!(
            check("metadata.deletionTimestamp exists"),
            vec!["metadata.deletionTimestamp absent, want it present"]
        );
        assert!(check("status.phase != Failed").is_empty());
        assert_eq!(
            check("status.phase == Running"),
            vec!["status.phase absent, want == \"Running\""]
        );
    }
}

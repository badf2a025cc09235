//! The interpreter on short command lines, verb by verb.

use super::*;
use crate::shell::parse as shell;

fn run(interp: &mut Interp, text: &str) -> Vec<Outcome> {
    shell::parse(text)
        .unwrap()
        .iter()
        .map(|c| interp.command(c))
        .collect()
}

fn interp() -> Interp {
    Interp::new(Path::new("/nonexistent"))
}

#[test]
fn args_like_pflag() {
    let w: Vec<String> = [
        "-n",
        "blue",
        "get",
        "-owide",
        "--dry-run",
        "pods",
        "-it",
        "--",
        "sh",
        "-c",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let a = Args::parse(&w, kubectl_takes_value);
    assert_eq!(a.pos, vec!["get", "pods"]);
    assert_eq!(a.value(&["n"]), Some("blue"));
    assert_eq!(a.value(&["o"]), Some("wide"));
    assert!(a.has(&["dry-run"]) && a.has(&["i"]) && a.has(&["t"]));
}

#[test]
fn create_deployment_scale_set_image_undo() {
    let mut i = interp();
    run(
        &mut i,
        "kubectl create deployment worker --image=dockercoins/worker:v0.1\nkubectl scale deploy/worker --replicas 3\nkubectl set image deploy worker worker=dockercoins/worker:v0.2",
    );
    let key = Key {
        kind: "Deployment".into(),
        namespace: String::new(),
        name: "worker".into(),
    };
    let o = &i.state.objects[&key];
    assert_eq!(o.replicas, Some(3));
    assert_eq!(
        o.containers.as_ref().unwrap()[0].image,
        "dockercoins/worker:v0.2"
    );
    run(&mut i, "kubectl rollout undo deployment worker");
    assert_eq!(
        i.state.objects[&key].containers.as_ref().unwrap()[0].image,
        "dockercoins/worker:v0.1"
    );
    run(&mut i, "kubectl delete deployment worker");
    assert!(!i.state.objects.contains_key(&key) && i.state.gone.contains_key(&key));
}

#[test]
fn run_is_a_bare_pod_and_expose_selects_it() {
    let mut i = interp();
    run(
        &mut i,
        "kubectl run pingpong --image alpine ping 127.0.0.1\nkubectl expose pod pingpong --port=80",
    );
    let pod = i.state.objects.values().find(|o| o.kind == "Pod").unwrap();
    assert_eq!(pod.labels["run"].as_deref(), Some("pingpong"));
    let svc = i
        .state
        .objects
        .values()
        .find(|o| o.kind == "Service")
        .unwrap();
    assert_eq!(svc.extra["spec"]["selector"]["run"], "pingpong");
    assert_eq!(svc.extra["spec"]["ports"][0]["port"], 80);
    assert_eq!(
        run(&mut i, "kubectl run x --rm -it --image=alpine -- sh"),
        vec![Outcome::ReadOnly]
    );
}

#[test]
fn namespaces_follow_the_context() {
    let mut i = interp();
    run(
        &mut i,
        "kubectl config set-context --current --namespace=blue\nkubectl create configmap c --from-literal=a=b",
    );
    let cm = i
        .state
        .objects
        .values()
        .find(|o| o.kind == "ConfigMap")
        .unwrap();
    assert_eq!(cm.namespace.as_deref(), Some("blue"));
    run(&mut i, "kns red\nkubectl create namespace green -n ignored");
    assert_eq!(i.state.namespace.as_deref(), Some("red"));
    let ns = i
        .state
        .objects
        .values()
        .find(|o| o.kind == "Namespace")
        .unwrap();
    assert_eq!(ns.namespace, None);
}

#[test]
fn skips_say_why() {
    let mut i = interp();
    let reasons = |o: &[Outcome]| -> Vec<Reason> {
        o.iter()
            .filter_map(|o| match o {
                Outcome::Skipped(s) => Some(s.reason),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        reasons(&run(&mut i, "kubectl apply -f https://x/y.yaml")),
        vec![Reason::Url]
    );
    assert_eq!(
        reasons(&run(&mut i, "kubectl delete pod pingpong-xxxxxxxxxx-yyyyy")),
        vec![Reason::Placeholder]
    );
    assert_eq!(
        reasons(&run(
            &mut i,
            "kubectl create secret tls $DOMAIN --cert=c --key=k"
        )),
        vec![Reason::ShellVariable]
    );
    assert_eq!(
        reasons(&run(&mut i, "kubectl edit service rng")),
        vec![Reason::InteractiveEdit]
    );
    assert_eq!(
        reasons(&run(&mut i, "kubectl apply -f nothere.yaml")),
        vec![Reason::FileNotFound]
    );
    assert_eq!(
        reasons(&run(
            &mut i,
            "kubectl get pods -o yaml | kubectl apply -f -"
        )),
        vec![Reason::Pipe]
    );
    assert!(
        reasons(&run(&mut i, "kubectl get pods $X")).is_empty(),
        "read-only"
    );
    // A literal variable is substituted.
    run(
        &mut i,
        "NAME=web\nkubectl create deployment $NAME --image=nginx",
    );
    assert!(i.state.objects.values().any(|o| o.name == "web"));
}

#[test]
fn selection_variables_and_relabels() {
    let mut i = interp();
    run(
        &mut i,
        "kubectl apply -f - <<EOF\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {app: d, on: \"yes\"}}\n  template:\n    metadata: {labels: {app: d, on: \"yes\"}}\n    spec: {containers: [{name: c, image: alpine}]}\nEOF",
    );
    let out = run(
        &mut i,
        "POD=$(kubectl get pods -l app=d,on=yes -o name)\nkubectl patch $POD -p '{\"metadata\": {\"labels\": {\"on\": \"no\"}}}'",
    );
    assert_eq!(
        out[1],
        Outcome::Changed(vec![Touch::Selection {
            kind: "Pod".into(),
            namespace: None,
            selector: "app=d,on=no".into(),
            count: ">=1"
        }]),
        "the deployment replaces the pod: no count 0 on the old selector"
    );
    let out = run(&mut i, "kubectl label pods -l on=no on=yes --overwrite");
    let Outcome::Changed(t) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(t.len(), 2);
    assert!(matches!(&t[1], Touch::Selection { selector, count: "0", .. } if selector == "on=no"));
}

#[test]
fn dry_run_output_edited_by_sed_then_applied() {
    let mut i = interp();
    let out = run(
        &mut i,
        "kubectl create deployment rng --image=dockercoins/rng:v0.1 --dry-run=client -o yaml > rng.yml\nsed -i -e 's/^kind: Deployment$/kind: DaemonSet/' -e '/replicas:/d' -e '/strategy:/d' -e '/^status:/d' rng.yml\nkubectl apply -f rng.yml",
    );
    assert_eq!(out[0], Outcome::ReadOnly, "dry run");
    assert!(matches!(&out[2], Outcome::Changed(_)), "{out:?}");
    let ds = i
        .state
        .objects
        .values()
        .find(|o| o.kind == "DaemonSet")
        .unwrap();
    assert_eq!(ds.selector.as_ref().unwrap()["app"], "rng");
    assert_eq!(ds.replicas, None);
    assert!(!i.state.objects.values().any(|o| o.kind == "Deployment"));
    // An editor makes the content unknown.
    let out = run(&mut i, "vim rng.yml\nkubectl apply -f rng.yml");
    assert!(matches!(
        &out[1],
        Outcome::Skipped(Skip {
            reason: Reason::FileEdited,
            ..
        })
    ));
}

#[test]
fn all_objects_certificates_and_nodes() {
    let mut i = interp();
    let out = run(
        &mut i,
        "kubectl label namespaces a=b c- --all\nkubectl certificate approve user=jean.doe\nkubectl cordon node2",
    );
    let Outcome::Changed(t) = &out[0] else {
        panic!("{out:?}")
    };
    assert!(matches!(&t[0], Touch::Selection { selector, count: "0", .. } if selector == "a!=b"));
    assert!(matches!(&t[1], Touch::Selection { selector, count: "0", .. } if selector == "c"));
    let csr = i
        .state
        .objects
        .values()
        .find(|o| o.kind == "CertificateSigningRequest")
        .unwrap();
    assert_eq!(csr.extra["status"]["conditions"][0]["type"], "Approved");
    let node = i.state.objects.values().find(|o| o.kind == "Node").unwrap();
    assert_eq!(node.namespace, None);
    assert_eq!(node.extra["spec"]["unschedulable"], true);
    run(&mut i, "kubectl uncordon node2");
    let node = i.state.objects.values().find(|o| o.kind == "Node").unwrap();
    assert!(
        node.extra
            .get("spec")
            .is_none_or(|s| s.get("unschedulable").is_none())
    );
    let e = node.expectations();
    assert_eq!(e[0].r#where, vec!["spec.unschedulable != true"]);
}

#[test]
fn truncated_and_odd_commands_never_panic() {
    let mut i = interp();
    let lines = [
        "kubectl",
        "kubectl -n",
        "kubectl --namespace",
        "kubectl create",
        "kubectl create deployment",
        "kubectl create deployment x",
        "kubectl create secret",
        "kubectl create secret tls",
        "kubectl create service nodeport",
        "kubectl run",
        "kubectl run x",
        "kubectl expose",
        "kubectl expose deploy",
        "kubectl delete",
        "kubectl delete -l",
        "kubectl delete -l a=b",
        "kubectl delete --all",
        "kubectl delete pod/",
        "kubectl delete /x",
        "kubectl scale",
        "kubectl scale deploy/x",
        "kubectl scale deploy/x --replicas=lots",
        "kubectl label",
        "kubectl label pod",
        "kubectl label pod x",
        "kubectl label pod x a-",
        "kubectl label -l a=b",
        "kubectl annotate --all",
        "kubectl set",
        "kubectl set image",
        "kubectl set image deploy/x",
        "kubectl patch",
        "kubectl patch deploy x",
        "kubectl patch deploy x -p '[1'",
        "kubectl patch deploy x -p '[]'",
        "kubectl patch deploy x -p 'null'",
        "kubectl rollout",
        "kubectl rollout undo",
        "kubectl rollout undo deploy/x --to-revision=-1",
        "kubectl autoscale",
        "kubectl certificate",
        "kubectl certificate approve",
        "kubectl cordon",
        "kubectl apply",
        "kubectl apply -f",
        "kubectl apply -f -",
        "kubectl apply -f ../../etc/passwd",
        "kubectl apply -k",
        "kubectl config set-context --current --namespace",
        "helm",
        "helm install",
        "helm install x",
        "helm upgrade",
        "helm uninstall",
        "helm rollback",
        "kns",
        "kubens -",
        "sed -i",
        "sed -i -e",
        "vim",
        "X=",
        "export",
        "=x",
        "$(",
        "`",
        "POD=$(kubectl get pods -o name)",
        "kubectl patch $POD -p '{}'",
        "kubectl label $POD a=b",
    ];
    for l in lines {
        let Ok(cmds) = shell::parse(l) else { continue };
        for c in &cmds {
            let _ = i.command(c);
        }
    }
}

#[test]
fn helm_releases() {
    let mut i = interp();
    let out = run(
        &mut i,
        "helm upgrade --install prometheus prometheus --repo https://x --namespace kube-system --create-namespace",
    );
    let Outcome::Changed(t) = &out[0] else {
        panic!("{out:?}")
    };
    assert!(t.contains(&Touch::HelmRelease {
        namespace: Some("kube-system".into()),
        name: "prometheus".into(),
        present: true
    }));
    assert_eq!(
        run(&mut i, "helm repo add x https://y\nhelm list"),
        vec![Outcome::ReadOnly, Outcome::ReadOnly]
    );
    let out = run(&mut i, "helm uninstall prometheus -n kube-system");
    assert!(
        matches!(&out[0], Outcome::Changed(t) if matches!(&t[0], Touch::HelmRelease { present: false, .. }))
    );
}

//! `kubectl auth can-i --as USER VERB RESOURCE -n NS` answered without a
//! write: a `SelfSubjectAccessReview` is a `create`, which the grader may
//! not send. The question is decided here from the Roles, ClusterRoles,
//! RoleBindings and ClusterRoleBindings the grader can list, the way the
//! RBAC authorizer decides it:
//!
//! - kubernetes/plugin/pkg/auth/authorizer/rbac/rbac.go (`Authorize`:
//!   allowed as soon as one rule of one applicable binding allows; RBAC
//!   never denies, it only has no opinion);
//! - kubernetes/pkg/registry/rbac/validation/rule.go (`VisitRulesFor`:
//!   every ClusterRoleBinding, then the RoleBindings of the request's
//!   namespace; `appliesToUser`: User by name, Group by membership,
//!   ServiceAccount by `system:serviceaccount:NS:NAME`, a subject without
//!   namespace taking the binding's);
//! - kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go (`RuleAllows`,
//!   `VerbMatches`, `APIGroupMatches`, `ResourceMatches` with `*/sub`,
//!   `ResourceNameMatches`);
//! - k8s.io/apiserver/pkg/endpoints/filters/impersonation.go: `--as` a
//!   service account adds the groups `system:serviceaccounts` and
//!   `system:serviceaccounts:NS` unless `--as-group` is given; every
//!   impersonated user but `system:anonymous` is in `system:authenticated`
//!   (unless a group given says otherwise).
//!
//! The question is kubectl's (`extra.rs`, `can_i`): the namespace is sent
//! even for a cluster-scoped resource, so that namespace's RoleBindings
//! apply to it as they do in kube-apiserver.
//!
//! Where the answer can differ from the API server's (docs/checking.md):
//! only RBAC is evaluated (no webhook, ABAC or Node authorizer, and a
//! `system:masters` member is allowed everything as the API server does
//! before any authorizer); aggregated ClusterRoles are read with the rules
//! the aggregation controller already copied into them.

use serde_json::Value;

/// Who is asking.
#[derive(Debug, Clone)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    /// The user the API server sees for `--as NAME --as-group G...`
    /// (k8s.io/apiserver/pkg/endpoints/filters/impersonation.go,
    /// `WithImpersonation`): a service account gets the groups
    /// `system:serviceaccounts` and `system:serviceaccounts:NS` only when no
    /// `--as-group` is given; `system:authenticated` is added unless the
    /// groups name it or `system:unauthenticated`; `system:anonymous` gets
    /// `system:unauthenticated` unless named.
    pub fn impersonated(name: &str, groups: &[String]) -> UserInfo {
        let mut all: Vec<String> = groups.to_vec();
        if groups.is_empty()
            && let Some(rest) = name.strip_prefix("system:serviceaccount:")
            && let Some((ns, _)) = rest.split_once(':')
        {
            all.push("system:serviceaccounts".into());
            all.push(format!("system:serviceaccounts:{ns}"));
        }
        let has = |g: &str| all.iter().any(|x| x == g);
        if name != "system:anonymous" {
            if !has("system:authenticated") && !has("system:unauthenticated") {
                all.push("system:authenticated".into());
            }
        } else if !has("system:unauthenticated") {
            all.push("system:unauthenticated".into());
        }
        UserInfo {
            name: name.to_string(),
            groups: all,
        }
    }
}

/// The request asked about (a resource request; non-resource URLs are not
/// asked by checks).
#[derive(Debug, Clone)]
pub struct Attributes {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: Option<String>,
    pub name: Option<String>,
    /// The namespace asked about: kubectl sends it even for cluster-scoped
    /// resources, and RoleBindings of that namespace then apply. Empty:
    /// all namespaces (`--all-namespaces`).
    pub namespace: String,
}

/// The RBAC objects, as listed (JSON).
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    pub cluster_roles: &'a [Value],
    pub cluster_role_bindings: &'a [Value],
    pub roles: &'a [Value],
    pub role_bindings: &'a [Value],
}

/// Whether `user` may do `attrs`, and which binding and role say so (or
/// why none does).
pub fn authorize(user: &UserInfo, attrs: &Attributes, policy: &Policy) -> (bool, String) {
    // k8s.io/apiserver/pkg/authorization/authorizerfactory: the
    // `system:masters` group is allowed before any authorizer runs.
    if user.groups.iter().any(|g| g == "system:masters") {
        return (true, "member of system:masters".into());
    }
    for b in policy.cluster_role_bindings {
        if applies(user, b, "")
            && let Some(rules) = role_rules(b, "", policy)
            && rules.iter().any(|r| rule_allows(attrs, r))
        {
            return (true, format!("ClusterRoleBinding {}", name(b)));
        }
    }
    if !attrs.namespace.is_empty() {
        for b in policy
            .role_bindings
            .iter()
            .filter(|b| b["metadata"]["namespace"].as_str() == Some(attrs.namespace.as_str()))
        {
            if applies(user, b, &attrs.namespace)
                && let Some(rules) = role_rules(b, &attrs.namespace, policy)
                && rules.iter().any(|r| rule_allows(attrs, r))
            {
                return (
                    true,
                    format!(
                        "RoleBinding {}/{} to {} {}",
                        attrs.namespace,
                        name(b),
                        b["roleRef"]["kind"].as_str().unwrap_or("?"),
                        b["roleRef"]["name"].as_str().unwrap_or("?")
                    ),
                );
            }
        }
    }
    (false, "no RBAC rule allows it".into())
}

fn name(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or("?")
}

/// rule.go `appliesTo`/`appliesToUser`.
fn applies(user: &UserInfo, binding: &Value, namespace: &str) -> bool {
    let Some(subjects) = binding["subjects"].as_array() else {
        return false;
    };
    subjects.iter().any(|s| {
        let sname = s["name"].as_str().unwrap_or("");
        match s["kind"].as_str() {
            Some("User") => user.name == sname,
            Some("Group") => user.groups.iter().any(|g| g == sname),
            Some("ServiceAccount") => {
                let ns = match s["namespace"].as_str() {
                    Some(n) if !n.is_empty() => n,
                    _ => namespace,
                };
                !ns.is_empty() && user.name == format!("system:serviceaccount:{ns}:{sname}")
            }
            _ => false,
        }
    })
}

/// The rules of the role a binding refers to; `None` when it does not exist
/// (the authorizer skips such a binding).
fn role_rules<'a>(binding: &Value, namespace: &str, policy: &Policy<'a>) -> Option<&'a Vec<Value>> {
    let role = binding["roleRef"]["name"].as_str()?;
    let found = match binding["roleRef"]["kind"].as_str()? {
        "ClusterRole" => policy.cluster_roles.iter().find(|r| name(r) == role),
        // A RoleBinding's Role is in the binding's namespace.
        "Role" if !namespace.is_empty() => policy
            .roles
            .iter()
            .find(|r| name(r) == role && r["metadata"]["namespace"].as_str() == Some(namespace)),
        _ => None,
    }?;
    found["rules"].as_array()
}

fn any_or(list: &Value, want: &str) -> bool {
    list.as_array().is_some_and(|l| {
        l.iter()
            .filter_map(Value::as_str)
            .any(|x| x == "*" || x == want)
    })
}

/// evaluation_helpers.go `RuleAllows` for a resource request.
pub fn rule_allows(attrs: &Attributes, rule: &Value) -> bool {
    let combined = match &attrs.subresource {
        Some(s) => format!("{}/{s}", attrs.resource),
        None => attrs.resource.clone(),
    };
    any_or(&rule["verbs"], &attrs.verb)
        && any_or(&rule["apiGroups"], &attrs.group)
        && resource_matches(rule, &combined, attrs.subresource.as_deref())
        && resource_name_matches(rule, attrs.name.as_deref())
}

fn resource_matches(rule: &Value, combined: &str, sub: Option<&str>) -> bool {
    rule["resources"].as_array().is_some_and(|rs| {
        rs.iter().filter_map(Value::as_str).any(|r| {
            r == "*" || r == combined || sub.is_some_and(|s| r.strip_prefix("*/") == Some(s))
        })
    })
}

fn resource_name_matches(rule: &Value, name: Option<&str>) -> bool {
    match rule["resourceNames"].as_array() {
        None => true,
        Some(names) if names.is_empty() => true,
        Some(names) => name.is_some_and(|n| names.iter().any(|x| x.as_str() == Some(n))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(verb: &str, resource: &str, ns: &str) -> Attributes {
        Attributes {
            verb: verb.into(),
            group: String::new(),
            resource: resource.into(),
            subresource: None,
            name: None,
            namespace: ns.into(),
        }
    }

    /// Regression (issue 20): `--as-group` with a service account kept the
    /// account's own groups; the impersonation filter replaces them.
    #[test]
    fn regression_impersonated_groups_as_the_api_server_makes_them() {
        let g = |name: &str, groups: &[&str]| {
            let groups: Vec<String> = groups.iter().map(|s| s.to_string()).collect();
            UserInfo::impersonated(name, &groups).groups
        };
        assert_eq!(
            g("system:serviceaccount:lab:robot", &[]),
            [
                "system:serviceaccounts",
                "system:serviceaccounts:lab",
                "system:authenticated"
            ]
        );
        assert_eq!(
            g("system:serviceaccount:lab:robot", &["dev"]),
            ["dev", "system:authenticated"]
        );
        assert_eq!(
            g("alice", &["system:unauthenticated"]),
            ["system:unauthenticated"]
        );
        assert_eq!(g("system:anonymous", &[]), ["system:unauthenticated"]);
    }

    #[test]
    fn role_binding_to_a_service_account() {
        let roles = [
            json!({"metadata": {"name": "pod-reader", "namespace": "default"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]}),
        ];
        let rbs = [
            json!({"metadata": {"name": "read-pods", "namespace": "default"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "default"}]}),
        ];
        let crs = [json!({"metadata": {"name": "view-logs"},
            "rules": [{"apiGroups": [""], "resources": ["*/log"], "verbs": ["get"]}]})];
        let crbs = [json!({"metadata": {"name": "all-sa-logs"},
            "roleRef": {"kind": "ClusterRole", "name": "view-logs"},
            "subjects": [{"kind": "Group", "name": "system:serviceaccounts:default"}]})];
        let p = Policy {
            cluster_roles: &crs,
            cluster_role_bindings: &crbs,
            roles: &roles,
            role_bindings: &rbs,
        };
        let sa = UserInfo::impersonated("system:serviceaccount:default:default", &[]);
        let (ok, why) = authorize(&sa, &attrs("list", "pods", "default"), &p);
        assert!(ok);
        assert_eq!(why, "RoleBinding default/read-pods to Role pod-reader");
        assert!(!authorize(&sa, &attrs("create", "pods", "default"), &p).0);
        // The binding's namespace is the only one it grants in.
        assert!(!authorize(&sa, &attrs("list", "pods", "kube-system"), &p).0);
        // Another service account of the same namespace is not the subject.
        let other = UserInfo::impersonated("system:serviceaccount:default:robot", &[]);
        assert!(!authorize(&other, &attrs("list", "pods", "default"), &p).0);
        // `*/log` matches the log subresource of pods, through the group.
        let mut logs = attrs("get", "pods", "default");
        logs.subresource = Some("log".into());
        assert_eq!(
            authorize(&other, &logs, &p),
            (true, "ClusterRoleBinding all-sa-logs".to_string())
        );
        // resourceNames restrict to named objects.
        let named = json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["get"], "resourceNames": ["web"]});
        let mut a = attrs("get", "pods", "default");
        assert!(!rule_allows(&a, &named));
        a.name = Some("web".into());
        assert!(rule_allows(&a, &named));
        // A binding to a role that does not exist grants nothing.
        let dangling = [json!({"metadata": {"name": "x", "namespace": "default"},
            "roleRef": {"kind": "Role", "name": "missing"},
            "subjects": [{"kind": "ServiceAccount", "name": "default"}]})];
        let p2 = Policy {
            role_bindings: &dangling,
            ..p
        };
        assert!(!authorize(&sa, &attrs("list", "pods", "default"), &p2).0);
    }
}

//! Objects declared by a manifest (`kubectl apply|create -f`): YAML or JSON,
//! several documents, `kind: List` (and `*List`) flattened as kubectl's
//! resource builder does (k8s.io/cli-runtime/pkg/resource/visitor.go,
//! `FlattenListVisitor`), turned into what the model knows of each object.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{Container, Obj, State};
use crate::error::YamlError;

/// The objects of a manifest text, in order, or why it cannot be read.
pub fn parse(text: &str) -> Result<Vec<Value>, YamlError> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| {
        let t = e.without_snippet().to_string();
        YamlError::new(t.lines().next().unwrap_or("invalid YAML").to_string(), &e)
    })?;
    let mut out = Vec::new();
    for doc in docs {
        flatten(doc, &mut out);
    }
    Ok(out)
}

fn flatten(doc: Value, out: &mut Vec<Value>) {
    let is_list = doc
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && doc.get("items").is_some_and(Value::is_array);
    if is_list {
        if let Some(Value::Array(items)) = doc.get("items") {
            for item in items.clone() {
                flatten(item, out);
            }
        }
    } else if doc.get("kind").is_some_and(Value::is_string) {
        out.push(doc);
    }
}

/// What the model knows of a declared object. `namespace` is the one the
/// command gives (`-n`, or the context's) when the manifest has none.
/// `None` when the object has no name (`generateName`).
pub fn to_obj(doc: &Value, namespace: Option<&str>, state: &State) -> Option<Obj> {
    let kind = doc.get("kind")?.as_str()?;
    let api_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let meta = doc.get("metadata")?;
    let name = meta.get("name")?.as_str()?;
    let namespaced = state.namespaced(kind);
    let ns = meta
        .get("namespace")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| namespace.map(str::to_string));
    let mut obj = Obj::new(kind, api_version, namespaced, ns, name);
    obj.labels = string_map(meta.get("labels"))
        .into_iter()
        .map(|(k, v)| (k, Some(v)))
        .collect();
    let spec = doc.get("spec");
    obj.replicas = spec.and_then(|s| s.get("replicas")).and_then(Value::as_i64);
    let pod_spec = match kind {
        "Pod" => spec,
        "CronJob" => doc.pointer("/spec/jobTemplate/spec/template/spec"),
        _ => doc.pointer("/spec/template/spec"),
    };
    if let Some(list) = pod_spec
        .and_then(|p| p.get("containers"))
        .and_then(Value::as_array)
    {
        let containers: Option<Vec<Container>> = list
            .iter()
            .map(|c| {
                Some(Container {
                    name: c.get("name").and_then(Value::as_str).map(str::to_string),
                    image: c.get("image")?.as_str()?.to_string(),
                })
            })
            .collect();
        obj.containers = containers;
    }
    obj.selector = match kind {
        "Service" => Some(string_map(spec.and_then(|s| s.get("selector")))),
        _ if obj.info().is_some_and(|k| k.workload) => {
            let sel = spec.and_then(|s| s.get("selector"));
            // apps/v1 selectors are `matchLabels`; ReplicationControllers
            // (and old extensions/v1beta1 objects) use a plain map.
            match sel.and_then(|s| s.get("matchLabels")) {
                Some(m) => Some(string_map(Some(m))),
                None if sel.is_some_and(|s| s.get("matchExpressions").is_none()) => {
                    Some(string_map(sel))
                }
                None => doc
                    .pointer("/spec/template/metadata/labels")
                    .map(|l| string_map(Some(l))),
            }
        }
        _ => None,
    };
    if let Some(Value::Object(data)) = doc.get("data") {
        obj.data_keys = data.keys().cloned().collect();
    }
    if let Some(Value::Object(data)) = doc.get("stringData") {
        obj.data_keys.extend(data.keys().cloned());
    }
    let mut extra = serde_json::Map::new();
    match kind {
        "Service" => {
            let mut sp = serde_json::Map::new();
            for key in ["type", "selector"] {
                if let Some(v) = spec.and_then(|s| s.get(key)).filter(|v| !v.is_null()) {
                    sp.insert(key.into(), v.clone());
                }
            }
            if !sp.is_empty() {
                extra.insert("spec".into(), Value::Object(sp));
            }
        }
        "CronJob" => {
            if let Some(t) = spec.and_then(|s| s.get("schedule")) {
                extra.insert("spec".into(), serde_json::json!({"schedule": t}));
            }
        }
        "Secret" => {
            if let Some(t) = doc.get("type") {
                extra.insert("type".into(), t.clone());
            }
        }
        _ => {}
    }
    obj.extra = Value::Object(extra);
    Some(obj)
}

/// An object named by the API server (`metadata.generateName`): found by
/// its labels, if it has any.
pub fn generated(
    doc: &Value,
    namespace: Option<&str>,
    state: &State,
) -> Option<super::model::Touch> {
    let kind = doc.get("kind")?.as_str()?;
    let meta = doc.get("metadata")?;
    meta.get("generateName")?;
    let labels = string_map(meta.get("labels"));
    if labels.is_empty() {
        return None;
    }
    // An empty label value is selected by the label's existence.
    let selector = labels
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.clone()
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    let namespaced = state.namespaced(kind);
    let ns = meta
        .get("namespace")
        .and_then(Value::as_str)
        .or(namespace)
        .filter(|_| namespaced)
        .map(str::to_string);
    let api = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = if crate::kinds::by_kind_name(kind).is_some() || api.is_empty() {
        kind.to_string()
    } else {
        format!("{api}/{kind}")
    };
    Some(super::model::Touch::Selection {
        kind,
        namespace: ns,
        selector,
        count: ">=1",
    })
}

/// A CustomResourceDefinition's Kind and whether it is namespaced.
pub fn custom_kind(doc: &Value) -> Option<(String, bool)> {
    if doc.get("kind")?.as_str()? != "CustomResourceDefinition" {
        return None;
    }
    let kind = doc.pointer("/spec/names/kind")?.as_str()?.to_string();
    let scope = doc.pointer("/spec/scope").and_then(Value::as_str);
    Some((kind, scope != Some("Cluster")))
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    Some((k.clone(), s))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_lists_are_flattened() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- kind: ConfigMap\n  metadata: {name: a}\n- kind: Secret\n  metadata: {name: b}\n---\n---\nkind: Namespace\nmetadata:\n  name: c\n";
        let objs = parse(text).unwrap();
        let names: Vec<&str> = objs
            .iter()
            .map(|o| o["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["a", "b", "c"]);
        assert!(parse("kind: [").is_err());
    }

    #[test]
    fn deployment_fields() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web, isactive: \"yes\"}\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx\n";
        let doc = &parse(text).unwrap()[0];
        let o = to_obj(doc, Some("blue"), &State::default()).unwrap();
        assert_eq!(o.namespace.as_deref(), Some("blue"));
        assert_eq!(o.replicas, Some(2));
        assert_eq!(o.selector.as_ref().unwrap()["isactive"], "yes");
        assert_eq!(o.containers.as_ref().unwrap()[0].image, "nginx");
        let ns = &parse("kind: Namespace\nmetadata: {name: x}\n").unwrap()[0];
        let o = to_obj(ns, Some("blue"), &State::default()).unwrap();
        assert_eq!(o.namespace, None, "cluster-scoped");
    }
}

//! Lint of code blocks whose rendered text differs from their source
//! (`src/lint/shown.rs`): each rule on a deck holding its defect, and
//! none on the intended uses of the same syntax.

use std::path::PathBuf;

use labdeck::deck::LoadOptions;
use labdeck::diagnostic::Diagnostic;
use labdeck::lint::lint_decks;

fn lint(chapter: &str) -> (tempfile::TempDir, Vec<Diagnostic>) {
    let dir = tempfile::tempdir().unwrap();
    let slides = dir.path().join("slides");
    std::fs::create_dir_all(&slides).unwrap();
    std::fs::write(slides.join("c.md"), chapter).unwrap();
    let manifest: PathBuf = slides.join("deck.yml");
    std::fs::write(&manifest, "title: T\ncontent:\n- c.md\n").unwrap();
    let all = lint_decks(&[manifest], &LoadOptions::default());
    (dir, all)
}

fn found(all: &[Diagnostic]) -> Vec<(&'static str, usize)> {
    let mut v: Vec<_> = all
        .iter()
        .filter(|d| d.location.file.ends_with("c.md"))
        .map(|d| (d.code, d.location.line))
        .collect();
    v.sort();
    v
}

#[test]
fn rendering_changes_are_found_at_their_line() {
    let chapter = "# Shown\n\n\
- Apply:\n  ```bash\n  kubectl apply -f - <<EOF\n  metadata:\n    name: x\n  EOF\n  ```\n\n\
- Broken:\n  ```bash\n  kubectl create -f - <<EOF\n  a: [1\n  EOF\n  ```\n\n\
- Script:\n  ```bash\n  cat > x.py <<EOF\n  if x:\n      y()\n  EOF\n  ```\n\n\
```bash\nkill `cat /tmp/pid`\n* kubectl get pods\n```\n\n\
- YAML:\n  ```yaml\n  a:\n    b: 1\n  ```\n";
    let (_d, all) = lint(chapter);
    assert_eq!(
        found(&all),
        [
            ("backticks-stripped", 27),
            ("highlight-marker", 28),
            ("indentation-lost", 22),
            ("invalid-yaml", 14),
            ("yaml-changed", 6),
            ("yaml-changed", 33),
        ],
        "{all:#?}"
    );
}

#[test]
fn intended_highlights_and_illustrations_are_not_reported() {
    let chapter = "# Fine\n\n\
```bash\ncurl http://`X.X.X.X`:8080\nssh `user`@`A.B.C.D`\n```\n\n\
```yaml\n- host: cheddar.`A.B.C.D`.nip.io\n```\n\n\
```yaml\napiVersion: xxx\n  (more fields here)\n```\n\n\
- Indented as a whole:\n  ```yaml\n      env:\n      - name: A\n        value: b\n  ```\n\n\
- Continuation lines:\n  ```bash\n  TOKEN=$(kubectl get secret \\\n          | jq -r .data.token)\n  ```\n";
    let (_d, all) = lint(chapter);
    assert_eq!(found(&all), [], "{all:#?}");
}

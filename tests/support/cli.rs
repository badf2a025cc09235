//! Running the real `labdeck` binary from a test.

use std::path::Path;

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `labdeck ARGS` in the crate root (so `slides/...` paths work), with
/// `NO_COLOR` set and no `KUBECONFIG` from the environment.
pub async fn labdeck(args: &[&str]) -> Output {
    labdeck_env(args, None).await
}

/// Same, with `KUBECONFIG` set to `kubeconfig` when given.
pub async fn labdeck_env(args: &[&str], kubeconfig: Option<&str>) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_labdeck"));
    cmd.args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG");
    if let Some(k) = kubeconfig {
        cmd.env("KUBECONFIG", k);
    }
    let out = cmd.output().await.expect("run labdeck");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

//! Project tasks: `cargo xtask test` is the one test command (CI runs exactly it).
//!
//! `test` makes sure a Vulkan driver exists (installing Mesa's software driver, lavapipe, on
//! Debian/Ubuntu as root when there is none; otherwise it names the command to run), pins
//! `WGPU_BACKEND=vulkan` on Linux, and runs every test of the workspace in release mode.

use std::path::Path;
use std::process::{exit, Command};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask test [-- <cargo test arguments>]");
            exit(2);
        }
    }
}

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn run(cmd: &mut Command) {
    eprintln!("xtask: running {cmd:?}");
    let status = cmd
        .status()
        .unwrap_or_else(|e| fail(&format!("could not start {cmd:?}: {e}")));
    if !status.success() {
        fail(&format!("{cmd:?} failed ({status})"));
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("xtask: {msg}");
    exit(1)
}

fn test(extra: &[String]) {
    let root = workspace_root();
    if !root.join("../shared/golden/README.md").is_file()
        && std::env::var_os("OMNIMOE_GOLDEN_DIR").is_none()
    {
        fail(&format!(
            "the golden files are missing: expected {} (check out shared/ beside the repository, \
             or set OMNIMOE_GOLDEN_DIR)",
            root.join("../shared/golden").display()
        ));
    }
    let mut cmd = Command::new(env!("CARGO"));
    if cfg!(target_os = "linux") {
        ensure_vulkan_driver();
        if std::env::var_os("WGPU_BACKEND").is_none() {
            cmd.env("WGPU_BACKEND", "vulkan");
        }
        // Mesa's window-system code complains on every device without it; compute needs none.
        if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
            let dir = std::env::temp_dir().join("omnimoe-xdg");
            let _ = std::fs::create_dir_all(&dir);
            cmd.env("XDG_RUNTIME_DIR", dir);
        }
    }
    cmd.current_dir(root)
        .args(["test", "--workspace", "--release"])
        .args(extra);
    run(&mut cmd);
}

/// Vulkan ICD manifests, where the loader looks for drivers.
fn vulkan_drivers() -> Vec<String> {
    let mut found = Vec::new();
    for var in ["VK_DRIVER_FILES", "VK_ICD_FILENAMES"] {
        if let Some(v) = std::env::var_os(var) {
            found.push(format!("{var}={}", v.to_string_lossy()));
        }
    }
    for dir in [
        "/usr/share/vulkan/icd.d",
        "/etc/vulkan/icd.d",
        "/usr/local/share/vulkan/icd.d",
    ] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            found.extend(
                entries
                    .flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                    .map(|e| e.path().display().to_string()),
            );
        }
    }
    found
}

fn ensure_vulkan_driver() {
    let drivers = vulkan_drivers();
    let loader = [
        "/usr/lib/x86_64-linux-gnu/libvulkan.so.1",
        "/usr/lib/aarch64-linux-gnu/libvulkan.so.1",
        "/usr/lib/libvulkan.so.1",
        "/usr/lib64/libvulkan.so.1",
    ]
    .iter()
    .any(|p| Path::new(p).exists());
    if !drivers.is_empty() && loader {
        eprintln!("xtask: Vulkan drivers: {}", drivers.join(", "));
        return;
    }
    const FIX: &str = "apt-get install -y mesa-vulkan-drivers";
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let apt = Path::new("/usr/bin/apt-get").exists();
    if !(root && apt) {
        fail(&format!(
            "no Vulkan driver found, and the GPU tests need one. Install your GPU's Vulkan driver, or \
             the software one: `sudo {FIX}` (Debian/Ubuntu), then run `cargo xtask test` again."
        ));
    }
    eprintln!("xtask: no Vulkan driver found; installing Mesa's software driver (lavapipe)");
    run(Command::new("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive"));
    run(Command::new("apt-get")
        .args([
            "install",
            "-y",
            "--no-install-recommends",
            "mesa-vulkan-drivers",
            "libvulkan1",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive"));
    if vulkan_drivers().is_empty() {
        fail(&format!(
            "`{FIX}` ran but no Vulkan driver manifest appeared"
        ));
    }
}

//! The `kv` binary: `serve` on an ephemeral loopback port, `set`, `get` and
//! `delete` against it, ctrl-c (SIGINT) and SIGTERM stop it with success; with
//! `--data-dir`, what one server acknowledged a server started after it on the
//! same directory serves, even after a kill -9; bad flags are clap errors with
//! exit status 2.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};

mod temp_dir;

use temp_dir::TempDir;

const KV: &str = env!("CARGO_BIN_EXE_kv");

/// Kills the server if a check fails before it is stopped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `kv serve` on 127.0.0.1:0, with `flags`, and reads the address it
/// bound from its log; a thread keeps reading the log so the server never
/// writes to a closed pipe.
fn serve(flags: &[&str]) -> (Server, SocketAddr) {
    let mut child = Command::new(KV)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(flags)
        .stderr(Stdio::piped())
        .spawn()
        .expect("kv starts");
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    let (found, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if let Some(rest) = line.split("address=").nth(1) {
                let address = rest.split_whitespace().next().unwrap_or_default();
                let _ = found.send(address.parse::<SocketAddr>());
            }
        }
    });
    let address = address
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("kv serve logs its address")
        .expect("the logged address parses");
    (server, address)
}

fn kv(args: &[&str]) -> Output {
    Command::new(KV).args(args).output().expect("kv runs")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn serve_then_set_get_delete_then_ctrl_c() {
    let (mut server, address) = serve(&[]);
    let address = address.to_string();
    let at = ["--server", address.as_str()];
    assert_eq!(
        stdout(&kv(&[&["get", "color"][..], &at].concat())),
        "(not found)\n"
    );
    assert_eq!(
        stdout(&kv(&[&["set", "color", "blue"][..], &at].concat())),
        "OK\n"
    );
    assert_eq!(
        stdout(&kv(&[&["get", "color"][..], &at].concat())),
        "blue\n"
    );
    assert_eq!(
        stdout(&kv(&[&["delete", "color"][..], &at].concat())),
        "OK\n"
    );
    assert_eq!(
        stdout(&kv(&[&["delete", "color"][..], &at].concat())),
        "(not found)\n"
    );

    let pid = server.0.id().to_string();
    let signalled = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(signalled.success());
    let status = server.0.wait().unwrap();
    assert!(status.success(), "kv serve after ctrl-c: {status}");
}

#[test]
fn sigterm_stops_the_server_gracefully_as_ctrl_c_does() {
    // Regression test (issue 19): SIGTERM, what systemd and Kubernetes send,
    // killed the server without the drain SIGINT gets.
    let (mut server, address) = serve(&[]);
    let address = address.to_string();
    let at = ["--server", address.as_str()];
    assert_eq!(
        stdout(&kv(&[&["set", "color", "blue"][..], &at].concat())),
        "OK\n"
    );
    let pid = server.0.id().to_string();
    let signalled = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(signalled.success());
    let status = server.0.wait().unwrap();
    assert!(status.success(), "kv serve after SIGTERM: {status}");
}

#[test]
fn a_durable_server_serves_what_the_last_one_acknowledged_after_a_kill() {
    let dir = TempDir::new("cli");
    let data_dir = dir
        .path()
        .join("created-by-kv")
        .to_str()
        .unwrap()
        .to_string();
    let (server, address) = serve(&["--data-dir", &data_dir]);
    let address = address.to_string();
    let at = ["--server", address.as_str()];
    assert_eq!(
        stdout(&kv(&[&["set", "color", "blue"][..], &at].concat())),
        "OK\n"
    );
    drop(server); // kill -9

    let (_server, address) = serve(&["--data-dir", &data_dir]);
    let address = address.to_string();
    let at = ["--server", address.as_str()];
    assert_eq!(
        stdout(&kv(&[&["get", "color"][..], &at].concat())),
        "blue\n"
    );
}

#[test]
fn a_client_without_a_server_fails_with_a_message() {
    // Port 1 on loopback: nothing listens there in a test environment.
    let output = kv(&["get", "color", "--server", "127.0.0.1:1"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("could not connect to 127.0.0.1:1"),
        "{stderr}"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        &["serve", "--listen", "not-an-address"][..],
        &["get"],
        &["set", "only-a-key"],
        &["frobnicate"],
        &["get", "k", "--bogus"],
    ] {
        let output = kv(args);
        assert_eq!(output.status.code(), Some(2), "kv {args:?}: {output:?}");
    }
}

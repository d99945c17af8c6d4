//! `fake-synthflow`: runs the fake Synthflow API on a local port until interrupted.
//!
//! ```sh
//! cargo run -p fake-synthflow -- --port 8181 --api-key test-key --workspace-id ws_local
//! ```
//! Inspect what it received at `GET /__fake/requests`, and its numbers and agents at
//! `GET /__fake/state`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use fake_synthflow::FakeSynthflow;

const USAGE: &str = "usage: fake-synthflow [--host 127.0.0.1] [--port 8181] \
                     [--api-key test-key] [--workspace-id ws_local]";

#[tokio::main]
async fn main() -> ExitCode {
    let mut host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut port: u16 = 8181;
    let mut api_key = "test-key".to_owned();
    let mut workspace_id = "ws_local".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        let parsed = match (flag.as_str(), value) {
            ("--host", Some(v)) => v.parse().map(|v| host = v).is_ok(),
            ("--port", Some(v)) => v.parse().map(|v| port = v).is_ok(),
            ("--api-key", Some(v)) => {
                api_key = v;
                true
            }
            ("--workspace-id", Some(v)) => {
                workspace_id = v;
                true
            }
            _ => false,
        };
        if !parsed {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let fake = match FakeSynthflow::bind(SocketAddr::new(host, port), &api_key, &workspace_id).await
    {
        Ok(fake) => fake,
        Err(error) => {
            eprintln!("fake-synthflow: cannot listen on {host}:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "fake Synthflow API at {} (API key {api_key:?}, workspace {workspace_id:?}); Ctrl-C stops it",
        fake.base_url()
    );
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}

//! A `moto_server` on loopback, started by tests and stopped when they end.
//!
//! moto (<https://docs.getmoto.org/en/latest/docs/server_mode.html>) emulates AWS Secrets
//! Manager and DynamoDB over HTTP. The functions reach it through the real AWS SDK by setting
//! `AWS_ENDPOINT_URL_SECRETS_MANAGER` and `AWS_ENDPOINT_URL_DYNAMODB` ([`MotoServer::env`]);
//! tests seed it through [`MotoServer::client`] and [`MotoServer::dynamodb`] and count the calls
//! it received from its request recording.
//!
//! The executable is found through `MOTO_SERVER`, then `PATH`, then the project's `.venv/bin`
//! (which `make test` creates).

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};

/// Region the server and clients use.
pub const REGION: &str = "us-east-1";

/// A running `moto_server`. Dropping it stops the server; so does the test process ending,
/// even without a drop (the server's stdin is a pipe from this process).
pub struct MotoServer {
    child: Child,
    addr: SocketAddr,
    recording: PathBuf,
    _dir: TempDir,
}

impl MotoServer {
    /// Starts a server on a free loopback port and waits until it accepts connections.
    ///
    /// # Panics
    /// When `moto_server` cannot be found or does not come up within 30 s: the tests that
    /// need it cannot run without it.
    pub fn start() -> MotoServer {
        let exe = find_moto_server();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let dir = TempDir::new();
        let recording = dir.0.join("recording.jsonl");
        std::fs::write(&recording, "").expect("recording file");
        // The shell waits for this process to close the pipe, then stops the server.
        let script = format!(
            "'{}' -H 127.0.0.1 -p {port} </dev/null >'{}' 2>&1 & server=$!; cat >/dev/null; kill $server; wait $server",
            exe.display(),
            dir.0.join("server.log").display()
        );
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .env("MOTO_ENABLE_RECORDING", "True")
            .env("MOTO_RECORDER_FILEPATH", &recording)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("sh runs");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start on {addr}; its log:\n{}",
                std::fs::read_to_string(dir.0.join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        MotoServer {
            child,
            addr,
            recording,
            _dir: dir,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Environment that points the AWS SDK of a function at this server, with dummy
    /// credentials and no instance-metadata probing.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", self.endpoint()),
            ("AWS_ENDPOINT_URL_DYNAMODB", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// A Secrets Manager client talking to this server.
    pub fn client(&self) -> aws_sdk_secretsmanager::Client {
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
            .endpoint_url(self.endpoint())
            .build();
        aws_sdk_secretsmanager::Client::from_conf(config)
    }

    /// A DynamoDB client talking to this server.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::from_conf(self.dynamodb_config().build())
    }

    /// The configuration of [`MotoServer::dynamodb`], for a test that sets more on it
    /// (timeouts, another endpoint).
    pub fn dynamodb_config(&self) -> aws_sdk_dynamodb::config::Builder {
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new(REGION))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "moto",
            ))
            .endpoint_url(self.endpoint())
    }

    /// Creates an on-demand table keyed by the string attribute `key`, with DynamoDB's TTL on
    /// the attribute `ttl_attribute`, as `template.yaml` declares the call-context table.
    pub async fn create_table(&self, name: &str, key: &str, ttl_attribute: &str) {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
            TimeToLiveSpecification,
        };
        let client = self.dynamodb();
        client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(key)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("attribute definition"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(key)
                    .key_type(KeyType::Hash)
                    .build()
                    .expect("key schema"),
            )
            .send()
            .await
            .expect("CreateTable");
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(ttl_attribute)
                    .enabled(true)
                    .build()
                    .expect("TTL specification"),
            )
            .send()
            .await
            .expect("UpdateTimeToLive");
    }

    /// Creates a secret holding `secret_string`; returns its ARN.
    pub async fn create_secret(&self, name: &str, secret_string: &str) -> String {
        let out = self
            .client()
            .create_secret()
            .name(name)
            .secret_string(secret_string)
            .send()
            .await
            .expect("CreateSecret");
        out.arn().expect("an ARN").to_owned()
    }

    /// Stores a new current value (what a rotation does).
    pub async fn put_secret_value(&self, name: &str, secret_string: &str) {
        self.client()
            .put_secret_value()
            .secret_id(name)
            .secret_string(secret_string)
            .send()
            .await
            .expect("PutSecretValue");
    }

    /// How many requests for `operation` (e.g. `GetSecretValue`, `PutItem`) the server has
    /// received, whichever the service (both speak JSON with an `X-Amz-Target` of
    /// `<service>.<operation>`).
    pub fn calls(&self, operation: &str) -> usize {
        let target = format!(".{operation}\"");
        let file = std::fs::File::open(&self.recording).expect("recording");
        BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter(|line| line.contains(&target))
            .count()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn find_moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("moto_server"))
            .find(|p| p.is_file())
    });
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server");
    on_path.or_else(|| venv.is_file().then_some(venv)).expect(
        "moto_server not found: run the tests with `make test`, which installs it into .venv",
    )
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("moto-harness-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

//! Test support shared by every integration test: the moto process, the front server and a
//! command builder that runs the real binary against them with a clean environment.

pub mod front;
pub mod inprocess;
pub mod sandbox;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use front::{FrontServer, Rule};

pub const ACCOUNT: &str = "123456789012";

/// The moto server of one test, on a free loopback port, stopped by PID when dropped.
pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    pub fn start() -> Moto {
        let program = moto_server_path();
        assert!(
            program.exists(),
            "{} is missing: run `bash scripts/emulator-setup.sh` (or the README's test command) first",
            program.display()
        );
        let mut child = Process::new(&program)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start moto_server");
        // Werkzeug prints " * Running on http://127.0.0.1:PORT" on stderr once it listens.
        let stderr = child.stderr.take().expect("moto stderr");
        let (found, port) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(url) = line.split("Running on ").nth(1) {
                    let _ = found.send(url.trim().to_string());
                    sent = true;
                }
                // Keep draining so moto never blocks on a full pipe.
            }
        });
        match port.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => Moto { child, url },
            Err(_) => {
                let _ = child.kill();
                panic!("moto_server did not report its port within 60 s");
            }
        }
    }

    /// moto's IAM through the SDK's typed client: what seeds each test's account.
    pub fn iam(&self) -> aws_sdk_iam::Client {
        let config = aws_sdk_iam::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIDSEED", "seed", None, None, "seed",
            ))
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn moto_server_path() -> PathBuf {
    match std::env::var_os("MOTO_SERVER") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/emulator/venv/bin/moto_server"),
    }
}

pub fn fixture(relative: &str) -> front::Fixture {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative);
    front::Fixture::from_file(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// IAM's simulation as it answers a principal allowed everything, except `deny` (a fixture)
/// for the requests whose decoded form contains `matching`
/// (`ResourceArns.member.1=<arn>`, `ActionNames.member.1=aws-marketplace:Subscribe`).
/// DescribeOrganization's answer for an account in no organization.
pub fn not_in_organization() -> front::Rule {
    front::Rule::Fixture(
        fixture("organizations/DescribeOrganization.not-in-use.json")
            .with_status(400)
            .with_header("x-amzn-errortype", "AWSOrganizationsNotInUseException"),
    )
}

pub fn simulation_denying(matching: &str, deny: &str) -> front::Rule {
    front::Rule::Match(
        vec![(matching.to_string(), front::Rule::Fixture(fixture(deny)))],
        Box::new(front::Rule::Fixture(fixture(
            "iam/SimulatePrincipalPolicy.allowed.xml",
        ))),
    )
}

/// An error as Bedrock (REST-JSON) sends it: status, `x-amzn-errortype` and a message.
pub fn rest_error(status: u16, code: &str, message: &str) -> front::Fixture {
    front::Fixture {
        status,
        content_type: "application/json".into(),
        headers: vec![("x-amzn-errortype".into(), code.into())],
        body: serde_json::json!({ "message": message }).to_string().into(),
    }
}

/// Sends one seeding request to moto and waits for it; moto refusing it fails the test.
fn seed<T, E: std::fmt::Debug>(request: impl std::future::Future<Output = Result<T, E>>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(request)
        .expect("moto accepts the seed request")
}

/// moto plus the front server, and a developer's credentials in moto: the IAM user `dev`.
pub struct Emulator {
    pub front: FrontServer,
    pub moto: Option<Moto>,
    pub access_key_id: String,
    pub secret_access_key: String,
    home: tempfile::TempDir,
    // Dropped last: the front server's tasks run on it.
    _runtime: tokio::runtime::Runtime,
}

impl Emulator {
    /// moto with the IAM user `dev` and an access key of its own, behind the front server.
    pub fn start() -> Emulator {
        let moto = Moto::start();
        let iam = moto.iam();
        let key = seed(async {
            iam.create_user()
                .user_name("dev")
                .path("/team/")
                .send()
                .await?;
            Ok::<_, aws_sdk_iam::Error>(iam.create_access_key().user_name("dev").send().await?)
        })
        .access_key
        .expect("moto returns the new key");
        let upstream = Some(moto.url.clone());
        Self::with(
            Some(moto),
            upstream,
            key.access_key_id,
            key.secret_access_key,
        )
    }

    /// The front server alone: STS and IAM need a rule (fixture or fault) in each test. The
    /// account is in no organization, as moto's is until one is created.
    pub fn front_only() -> Emulator {
        let emulator = Self::with(
            None,
            None,
            "AKIAFRONTONLY0000000".into(),
            "front-only-secret-key-0000000000000000000".into(),
        );
        emulator.on("organizations:DescribeOrganization", not_in_organization());
        emulator
    }

    fn with(
        moto: Option<Moto>,
        upstream: Option<String>,
        access_key_id: String,
        secret_access_key: String,
    ) -> Emulator {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let front = runtime
            .block_on(FrontServer::start(0, upstream))
            .expect("start the front server");
        // What moto lacks comes from the default account of tests/fixtures/account.json: the
        // current Claude catalog, profiles per geography, quotas, and a probe Bedrock answers
        // as it should. Tests swap in their own rules on top.
        let account = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/account.json");
        for (operation, rule) in front::load_scenario(&account).expect("the account scenario loads")
        {
            front.on(&operation, rule);
        }
        Emulator {
            front,
            moto,
            access_key_id,
            secret_access_key,
            home: tempfile::tempdir().unwrap(),
            _runtime: runtime,
        }
    }

    fn iam(&self) -> aws_sdk_iam::Client {
        self.moto.as_ref().expect("this test needs moto").iam()
    }

    /// A customer-managed policy in moto, attached to the user `dev`.
    pub fn attach_to_dev(&self, name: &str, document: &serde_json::Value) {
        let iam = self.iam();
        seed(async {
            let policy = iam
                .create_policy()
                .policy_name(name)
                .policy_document(document.to_string())
                .send()
                .await?;
            let arn = policy.policy.and_then(|p| p.arn).unwrap_or_default();
            iam.attach_user_policy()
                .user_name("dev")
                .policy_arn(arn)
                .send()
                .await?;
            Ok::<_, aws_sdk_iam::Error>(())
        });
    }

    /// An inline policy of the user `dev` in moto.
    pub fn put_dev_inline(&self, name: &str, document: &serde_json::Value) {
        let iam = self.iam();
        seed(
            iam.put_user_policy()
                .user_name("dev")
                .policy_name(name)
                .policy_document(document.to_string())
                .send(),
        );
    }

    /// Another IAM user in moto, with an access key of its own: (key ID, secret).
    pub fn user_with_key(&self, name: &str) -> (String, String) {
        let iam = self.iam();
        let key = seed(async {
            iam.create_user().user_name(name).send().await?;
            Ok::<_, aws_sdk_iam::Error>(iam.create_access_key().user_name(name).send().await?)
        })
        .access_key
        .expect("moto returns the new key");
        (key.access_key_id, key.secret_access_key)
    }

    /// A role in moto that anyone in the account may assume.
    pub fn create_role(&self, name: &str, path: &str) {
        let trust = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"}]
        });
        let iam = self.iam();
        seed(
            iam.create_role()
                .role_name(name)
                .path(path)
                .assume_role_policy_document(trust.to_string())
                .send(),
        );
    }

    pub fn on(&self, operation: &str, rule: Rule) -> &Self {
        self.front.on(operation, rule);
        self
    }

    /// `work` run with an SDK configuration that talks to moto directly (past the front
    /// server), as a test seeds or inspects it.
    pub fn on_moto<T, F: std::future::Future<Output = T>>(
        &self,
        region: &str,
        work: impl FnOnce(aws_types::SdkConfig) -> F,
    ) -> T {
        let url = self
            .moto
            .as_ref()
            .expect("this test needs moto")
            .url
            .clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .endpoint_url(url)
                .region(aws_config::Region::new(region.to_string()))
                .credentials_provider(aws_credential_types::Credentials::new(
                    "test", "test", None, None, "test",
                ))
                .load()
                .await;
            work(config).await
        })
    }

    /// Claude Code's user settings (`~/.claude/settings.json` in this test's HOME).
    pub fn claude_settings(&self, settings: &serde_json::Value) {
        let path = self.home().join(".claude/settings.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, settings.to_string()).unwrap();
    }

    /// An empty HOME for this test, where tests may write ~/.aws files.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The binary, with nothing from the developer's own AWS setup: an empty HOME, no
    /// instance metadata, every AWS endpoint pointed at the front server, and the `dev`
    /// user's keys.
    pub fn cmd(&self) -> Command {
        let mut cmd = self.bare_cmd();
        cmd.env("AWS_ACCESS_KEY_ID", &self.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret_access_key)
            .env("AWS_REGION", "us-east-1");
        cmd
    }

    /// As `cmd`, but with no credentials and no region.
    pub fn bare_cmd(&self) -> Command {
        let mut cmd = Command::from_std(self.bare_std_cmd());
        cmd.timeout(Duration::from_secs(120));
        cmd
    }

    /// As `cmd`, for a test that talks to the process while it runs (`mcp`).
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = self.bare_std_cmd();
        cmd.env("AWS_ACCESS_KEY_ID", &self.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret_access_key)
            .env("AWS_REGION", "us-east-1");
        cmd
    }

    fn bare_std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("bedrock-preflight"));
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            if name.starts_with("AWS_")
                || name == "NO_COLOR"
                || name == "RUST_LOG"
                || name.starts_with("CLAUDE_")
                || name.starts_with("ANTHROPIC_")
            {
                cmd.env_remove(&name);
            }
        }
        cmd.env("HOME", self.home())
            .env("AWS_CONFIG_FILE", self.home().join(".aws/config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home().join(".aws/credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", self.front.url());
        cmd
    }
}

//! `policy render --format cloudformation|terraform` for every template and several model and
//! region sets: the CloudFormation passes AWS's linter (cfn-lint) with no error, the Terraform
//! parses as HCL2 (python-hcl2, as Terraform's own grammar is not at hand), and the documents
//! in both are the JSON render's, to the character.

use std::path::Path;
use std::process::Command;

use bedrock_preflight::policy::iac;
use hcl::eval::{Context, Evaluate};
use serde_json::Value;

use crate::Run;
use crate::support::Emulator;

fn policy(emulator: &Emulator, args: &[&str]) -> Run {
    Run::of(emulator.cmd().arg("policy").args(args))
}

fn tool(name: &str) -> std::path::PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/emulator/iac-venv/bin")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `bash scripts/emulator-setup.sh` (or the README's test command) first",
        path.display()
    );
    path
}

/// Each template with the flags it needs, for several models and regions.
fn renders() -> Vec<(&'static str, Vec<&'static str>)> {
    let sets: [&[&str]; 3] = [
        &["--model", "sonnet", "--region", "us-east-1"],
        &[
            "--model",
            "sonnet",
            "--model",
            "haiku",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
        ],
        &[
            "--model",
            "global.anthropic.claude-sonnet-4-6",
            "--region",
            "ap-northeast-1",
        ],
    ];
    let mut renders = Vec::new();
    for set in sets {
        for name in ["claude-invoke", "claude-code"] {
            renders.push((name, set.to_vec()));
        }
    }
    renders.push(("preflight-readonly", Vec::new()));
    renders.push(("deny-long-term-api-keys", Vec::new()));
    renders.push((
        "invocation-logging-role",
        vec![
            "--var",
            "log_group=bedrock-invocations",
            "--region",
            "us-east-1",
        ],
    ));
    renders.push((
        "invocation-logging-role",
        vec![
            "--var",
            "log_group=bedrock-invocations",
            "--var",
            "bucket=team-invocation-logs",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
        ],
    ));
    renders.push(("audit-role", Vec::new()));
    renders.push(("audit-role", vec!["--var", "external_id=org-audit-7"]));
    renders
}

fn render(emulator: &Emulator, name: &str, args: &[&str], format: &str) -> String {
    let run = policy(
        emulator,
        &[&["render", name, "--format", format][..], args].concat(),
    );
    assert_eq!(run.code, 0, "{name} {args:?} {format}: {}", run.stderr);
    run.stdout
}

/// The value of `expression` as Terraform would compute it, with each variable at its
/// default and the partition `aws`.
fn evaluated(body: &hcl::Body, expression: &hcl::Expression) -> Value {
    let mut variables = hcl::Map::new();
    for block in body.blocks().filter(|b| b.identifier() == "variable") {
        let name = block.labels()[0].as_str().to_string();
        let default = block
            .body()
            .attributes()
            .find(|a| a.key() == "default")
            .map(|a| a.expr().evaluate(&Context::new()).unwrap())
            .unwrap();
        variables.insert(name, default);
    }
    let mut context = Context::new();
    context.declare_var("var", hcl::Value::Object(variables));
    context.declare_var(
        "data",
        hcl::value!({ aws_partition = { current = { partition = "aws" } } }),
    );
    let hcl::Expression::FuncCall(call) = expression else {
        panic!("not jsonencode(...): {expression:?}");
    };
    assert_eq!(call.name.to_string(), "jsonencode");
    let value = call.args[0].evaluate(&context).unwrap();
    serde_json::to_value(value).unwrap()
}

fn attribute<'a>(body: &'a hcl::Body, resource: &str, key: &str) -> &'a hcl::Expression {
    body.blocks()
        .find(|b| {
            b.identifier() == "resource" && b.labels().first().map(|l| l.as_str()) == Some(resource)
        })
        .and_then(|b| b.body().attributes().find(|a| a.key() == key))
        .map(|a| a.expr())
        .unwrap_or_else(|| panic!("no {resource}.{key}"))
}

#[test]
fn every_template_renders_as_linted_cloudformation_and_parsed_terraform_of_the_same_document() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let (cfn_lint, python) = (tool("cfn-lint"), tool("python"));
    let mut stacks = Vec::new();
    for (i, (name, args)) in renders().iter().enumerate() {
        let json: Value = serde_json::from_str(&render(&emulator, name, args, "json")).unwrap();
        // A role's JSON render holds its permissions and its trust policy.
        let permissions = json.get("PolicyDocument").cloned().unwrap_or(json.clone());

        let stack = dir.path().join(format!("{name}-{i}.json"));
        let cloudformation = render(&emulator, name, args, "cloudformation");
        // Its documents, parameters at their defaults, are the JSON render's.
        let created = iac::from_cloudformation(&serde_json::from_str(&cloudformation).unwrap())
            .unwrap_or_else(|e| panic!("{name} {args:?}: {e}\n{cloudformation}"));
        assert_eq!(created.policy, permissions, "{name} {args:?}");
        assert_eq!(
            created.trust.as_ref(),
            json.get("AssumeRolePolicyDocument"),
            "{name} {args:?}"
        );
        std::fs::write(&stack, cloudformation).unwrap();
        stacks.push(stack.clone());

        let text = render(&emulator, name, args, "terraform");
        let file = dir.path().join(format!("{name}-{i}.tf"));
        std::fs::write(&file, &text).unwrap();
        let parsed = Command::new(&python)
            .args(["-c", "import hcl2, sys; hcl2.load(open(sys.argv[1]))"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            parsed.status.success(),
            "{name} {args:?}: python-hcl2: {}\n{text}",
            String::from_utf8_lossy(&parsed.stderr)
        );
        let body: hcl::Body = hcl::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let managed = text.contains("\"managed-by\" = \"bedrock-preflight\"");
        assert!(managed, "{name}: tagged as policy apply tags\n{text}");
        match json.get("AssumeRolePolicyDocument") {
            None => {
                let document = evaluated(&body, attribute(&body, "aws_iam_policy", "policy"));
                assert_eq!(document, permissions, "{name} {args:?}\n{text}");
                for kind in ["role", "user", "group"] {
                    attribute(
                        &body,
                        &format!("aws_iam_{kind}_policy_attachment"),
                        "for_each",
                    );
                }
            }
            Some(trust) => {
                let document = evaluated(&body, attribute(&body, "aws_iam_role_policy", "policy"));
                assert_eq!(document, permissions, "{name} {args:?}\n{text}");
                let assumed = evaluated(
                    &body,
                    attribute(&body, "aws_iam_role", "assume_role_policy"),
                );
                assert_eq!(&assumed, trust, "{name} {args:?}\n{text}");
            }
        }
        // validate reads the infrastructure code back to the same verdict as the policy.
        let plain = dir.path().join(format!("{name}-{i}.policy.json"));
        std::fs::write(&plain, permissions.to_string()).unwrap();
        let scope: Vec<&str> = args
            .chunks(2)
            .filter(|pair| pair[0] != "--var")
            .flatten()
            .copied()
            .collect();
        let verdict = |file: &Path| {
            let run = policy(
                &emulator,
                &[
                    &["validate", file.to_str().unwrap(), "--output", "json"][..],
                    &scope,
                ]
                .concat(),
            );
            let validation: Value = serde_json::from_str(&run.stdout)
                .unwrap_or_else(|e| panic!("{}: {e}: {}", file.display(), run.stderr));
            (run.code, validation["problems"].as_array().map(Vec::len))
        };
        let expected = verdict(&plain);
        assert_eq!(
            verdict(&stack),
            expected,
            "{name} {args:?}: the CloudFormation"
        );
        assert_eq!(verdict(&file), expected, "{name} {args:?}: the Terraform");
    }
    let lint = Command::new(&cfn_lint).args(&stacks).output().unwrap();
    // cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational.
    let code = lint.status.code().unwrap_or(2);
    assert_eq!(
        code & 2,
        0,
        "cfn-lint found errors:\n{}",
        String::from_utf8_lossy(&lint.stdout)
    );
}

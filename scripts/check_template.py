#!/usr/bin/env python3
"""Checks template.yaml as AWS will deploy it, by running the SAM translator (offline) and
reading the IAM roles and routes it produces:

- each function's role allows exactly `secretsmanager:GetSecretValue` on its own secrets
  (plus Lambda's basic logging policy), and `kms:Decrypt` only under the condition that a
  key is given, only through Secrets Manager;
- only redirect-call has routes, exactly these on the HTTP API: GET and POST /redirect_call,
  POST /refer, POST /dial_status, GET and POST /fallback; provision has none;
- signature validation is always on for redirect-call;
- the outputs give the webhook URL and the provisioning function's name.

    python scripts/check_template.py [template.yaml]
"""

import copy
import json
import logging
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
SECRET_ARN = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"

# Function → (secret ARNs it may read unconditionally, conditional ones as (condition, ARN)).
EXPECTED_SECRETS = {
    "RedirectCallFunction": ([SECRET_ARN + "${TwilioSecretId}-??????"], []),
    "ProvisionFunction": (
        [SECRET_ARN + "${SynthflowSecretId}-??????"],
        [("HasTrunkSecretPrefix", SECRET_ARN + "${TrunkSecretPrefix}*")],
    ),
}


# The routes of redirect-call, and no others.
EXPECTED_ROUTES = [
    ("GET", "/redirect_call"),
    ("POST", "/redirect_call"),
    ("POST", "/refer"),
    ("POST", "/dial_status"),
    ("GET", "/fallback"),
    ("POST", "/fallback"),
]


class NoManagedPolicies:
    """The translator asks for AWS managed policy ARNs only for names it cannot map itself."""

    def load(self):
        return {}


def translate(template_text):
    template = yaml_parse(template_text)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/key"  # as sam validate does
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return template, transform(copy.deepcopy(template), {}, NoManagedPolicies())


def sub_text(value):
    """The text of an Fn::Sub, its own variables substituted (or a plain string)."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        if isinstance(sub, str):
            return sub
        text, variables = sub
        for name, replacement in variables.items():
            text = text.replace("${" + name + "}", str(sub_text(replacement)))
        return text
    return value


def role_statements(role):
    """(condition or None, statement) for every inline policy statement of the role."""
    for policy in role["Properties"].get("Policies", []):
        condition = None
        if "Fn::If" in policy:
            condition, policy, otherwise = policy["Fn::If"]
            assert otherwise == {"Ref": "AWS::NoValue"}, otherwise
        for statement in policy["PolicyDocument"]["Statement"]:
            yield condition, statement


def check(template_text):
    errors = []
    source, out = translate(template_text)
    resources = out["Resources"]

    for function, (secrets, conditional) in EXPECTED_SECRETS.items():
        role = resources[resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]]
        managed = role["Properties"].get("ManagedPolicyArns", [])
        if [sub_text(a) for a in managed] != [BASIC_EXECUTION]:
            errors.append(f"{function}: managed policies {managed}, expected only AWSLambdaBasicExecutionRole")
        got_secrets, got_conditional, kms = [], [], []
        for condition, statement in role_statements(role):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resource = sub_text(statement["Resource"])
            if statement.get("Effect") != "Allow":
                errors.append(f"{function}: unexpected statement {statement}")
            elif actions == ["secretsmanager:GetSecretValue"]:
                (got_conditional.append((condition, resource)) if condition else got_secrets.append(resource))
            elif actions == ["kms:Decrypt"]:
                kms.append((condition, statement))
            else:
                errors.append(f"{function}: grants {actions} on {resource}")
        if sorted(got_secrets) != sorted(secrets):
            errors.append(f"{function}: GetSecretValue on {got_secrets}, expected {secrets}")
        if sorted(got_conditional) != sorted(conditional):
            errors.append(f"{function}: conditional GetSecretValue {got_conditional}, expected {conditional}")
        if len(kms) != 1 or kms[0][0] != "HasSecretsKmsKey":
            errors.append(f"{function}: kms:Decrypt must be granted once, under HasSecretsKmsKey: {kms}")
        else:
            statement = kms[0][1]
            via = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
            if statement["Resource"] != {"Ref": "SecretsKmsKeyArn"} or sub_text(via) != "secretsmanager.${AWS::Region}.amazonaws.com":
                errors.append(f"{function}: kms:Decrypt must be on SecretsKmsKeyArn via Secrets Manager: {statement}")

    routes = sorted(
        (r["Properties"]["RouteKey"], r["Properties"]["Target"]["Fn::Join"][1][-1]["Ref"]
         if isinstance(r["Properties"]["Target"], dict) and "Fn::Join" in r["Properties"]["Target"] else json.dumps(r["Properties"]["Target"]))
        for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Route"
    )
    integrations = {
        name: json.dumps(r["Properties"])
        for name, r in resources.items() if r["Type"] == "AWS::ApiGatewayV2::Integration"
    }
    api_body = json.dumps({k: v for k, v in resources.items() if v["Type"] == "AWS::ApiGatewayV2::Api"})
    api = next(v for v in resources.values() if v["Type"] == "AWS::ApiGatewayV2::Api")
    paths = api["Properties"]["Body"]["paths"]
    declared = sorted((method.upper(), path) for path, ops in paths.items() for method in ops)
    if declared != sorted(EXPECTED_ROUTES):
        errors.append(f"HTTP API routes {declared}, expected exactly {sorted(EXPECTED_ROUTES)}")
    if "ProvisionFunction" in api_body or any("ProvisionFunction" in i for i in integrations.values()):
        errors.append("ProvisionFunction must have no public route")
    if routes:
        errors.append(f"unexpected explicit routes: {routes}")
    if source["Resources"]["ProvisionFunction"]["Properties"].get("Events"):
        errors.append("ProvisionFunction must have no events")
    permissions = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    if any(p["Properties"]["FunctionName"] != {"Ref": "RedirectCallFunction"} for p in permissions):
        errors.append(f"only RedirectCallFunction may be invoked by API Gateway: {permissions}")

    variables = resources["RedirectCallFunction"]["Properties"]["Environment"]["Variables"]
    if variables.get("TWILIO_SIGNATURE_VALIDATION") != "on":
        errors.append("TWILIO_SIGNATURE_VALIDATION must be on in the template")
    outputs = out.get("Outputs", {})
    webhook = sub_text(outputs.get("RedirectCallWebhookUrl", {}).get("Value"))
    if not (isinstance(webhook, str) and webhook.startswith("https://${ServerlessHttpApi}.execute-api.") and webhook.endswith("/redirect_call")):
        errors.append(f"RedirectCallWebhookUrl output: {webhook!r}")
    fallback = sub_text(outputs.get("RedirectCallFallbackUrl", {}).get("Value"))
    if not (isinstance(fallback, str) and fallback.endswith("/fallback")):
        errors.append(f"RedirectCallFallbackUrl output: {fallback!r}")
    if outputs.get("ProvisionFunctionName", {}).get("Value") != {"Ref": "ProvisionFunction"}:
        errors.append("ProvisionFunctionName output missing")
    return errors


def main():
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # "unpublished metrics" noise
    path = sys.argv[1] if len(sys.argv) > 1 else "template.yaml"
    with open(path) as f:
        errors = check(f.read())
    for error in errors:
        print(f"{path}: {error}", file=sys.stderr)
    if not errors:
        print(f"{path}: least-privilege policies, routes and outputs as expected")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

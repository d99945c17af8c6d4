#!/usr/bin/env python3
"""Checks template.yaml as AWS will deploy it, by running the SAM translator (offline) and
reading the IAM roles and routes it produces:

- each function's role allows exactly `secretsmanager:GetSecretValue` on its own secrets
  (plus Lambda's basic logging policy), and `kms:Decrypt` only under the condition that a
  key is given, only through Secrets Manager;
- on the call-context table, redirect-call may only `dynamodb:PutItem` and call-context only
  `dynamodb:GetItem`; provision has no grant on it; any other action, resource or statement
  is an error;
- the table is on-demand, keyed by CallSid, with TTL on expires_at and point-in-time recovery;
  both functions that use it are given its name;
- the HTTP API has exactly these routes: GET and POST /redirect_call, POST /refer,
  POST /dial_status, GET and POST /fallback to redirect-call; GET and POST /call_context to
  call-context; provision has none;
- signature validation is always on for redirect-call;
- the outputs give the webhook, fallback and call-context URLs and the provisioning
  function's name.

    python scripts/check_template.py [template.yaml]
    python scripts/check_template.py --self-test   # each kind of extra grant is caught
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
    "CallContextFunction": ([SECRET_ARN + "${CallContextSecretId}-??????"], []),
}

TABLE_ARN = {"Fn::GetAtt": ["CallContextTable", "Arn"]}
# Function → the DynamoDB actions it may take, each on the call-context table only.
EXPECTED_DYNAMODB = {
    "RedirectCallFunction": ["dynamodb:PutItem"],
    "CallContextFunction": ["dynamodb:GetItem"],
    "ProvisionFunction": [],
}


# The routes of the HTTP API and the function each invokes, and no others.
EXPECTED_ROUTES = [
    ("GET", "/redirect_call", "RedirectCallFunction"),
    ("POST", "/redirect_call", "RedirectCallFunction"),
    ("POST", "/refer", "RedirectCallFunction"),
    ("POST", "/dial_status", "RedirectCallFunction"),
    ("GET", "/fallback", "RedirectCallFunction"),
    ("POST", "/fallback", "RedirectCallFunction"),
    ("GET", "/call_context", "CallContextFunction"),
    ("POST", "/call_context", "CallContextFunction"),
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


def integrated_function(operation):
    """The function an OpenAPI operation of the HTTP API invokes (its integration URI)."""
    uri = json.dumps(operation.get("x-amazon-apigateway-integration", {}).get("uri"))
    names = [name for name in EXPECTED_SECRETS if "${" + name + ".Arn}" in uri]
    return names[0] if len(names) == 1 else uri


def check(template_text):
    errors = []
    source, out = translate(template_text)
    resources = out["Resources"]

    for function, (secrets, conditional) in EXPECTED_SECRETS.items():
        role = resources[resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]]
        managed = role["Properties"].get("ManagedPolicyArns", [])
        if [sub_text(a) for a in managed] != [BASIC_EXECUTION]:
            errors.append(f"{function}: managed policies {managed}, expected only AWSLambdaBasicExecutionRole")
        got_secrets, got_conditional, kms, dynamodb = [], [], [], []
        for condition, statement in role_statements(role):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resource = sub_text(statement["Resource"])
            if statement.get("Effect") != "Allow":
                errors.append(f"{function}: unexpected statement {statement}")
            elif actions == ["secretsmanager:GetSecretValue"]:
                (got_conditional.append((condition, resource)) if condition else got_secrets.append(resource))
            elif actions == ["kms:Decrypt"]:
                kms.append((condition, statement))
            elif all(a.startswith("dynamodb:") for a in actions) and not condition:
                if statement["Resource"] != TABLE_ARN or set(statement) - {"Effect", "Action", "Resource"}:
                    errors.append(f"{function}: {actions} on {statement['Resource']}, expected the call-context table alone")
                dynamodb.extend(actions)
            else:
                errors.append(f"{function}: grants {actions} on {resource}")
        if sorted(got_secrets) != sorted(secrets):
            errors.append(f"{function}: GetSecretValue on {got_secrets}, expected {secrets}")
        if sorted(got_conditional) != sorted(conditional):
            errors.append(f"{function}: conditional GetSecretValue {got_conditional}, expected {conditional}")
        if sorted(dynamodb) != EXPECTED_DYNAMODB[function]:
            errors.append(f"{function}: DynamoDB actions {dynamodb}, expected {EXPECTED_DYNAMODB[function]}")
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
    declared = sorted(
        (method.upper(), path, integrated_function(op))
        for path, ops in paths.items() for method, op in ops.items()
    )
    if declared != sorted(EXPECTED_ROUTES):
        errors.append(f"HTTP API routes {declared}, expected exactly {sorted(EXPECTED_ROUTES)}")
    if "ProvisionFunction" in api_body or any("ProvisionFunction" in i for i in integrations.values()):
        errors.append("ProvisionFunction must have no public route")
    if routes:
        errors.append(f"unexpected explicit routes: {routes}")
    if source["Resources"]["ProvisionFunction"]["Properties"].get("Events"):
        errors.append("ProvisionFunction must have no events")
    permissions = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    public = [{"Ref": "RedirectCallFunction"}, {"Ref": "CallContextFunction"}]
    if any(p["Properties"]["FunctionName"] not in public for p in permissions):
        errors.append(f"only RedirectCallFunction and CallContextFunction may be invoked by API Gateway: {permissions}")

    table = source["Resources"].get("CallContextTable", {})
    expected_table = {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "CallSid", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "CallSid", "KeyType": "HASH"}],
        "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    }
    if table.get("Type") != "AWS::DynamoDB::Table" or table.get("Properties") != expected_table:
        errors.append(f"CallContextTable: {table}, expected a table with exactly {expected_table}")
    for function in ("RedirectCallFunction", "CallContextFunction"):
        env = resources[function]["Properties"]["Environment"]["Variables"]
        if env.get("CALL_CONTEXT_TABLE") != {"Ref": "CallContextTable"}:
            errors.append(f"{function}: CALL_CONTEXT_TABLE must name CallContextTable")

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
    call_context = sub_text(outputs.get("CallContextUrl", {}).get("Value"))
    if not (isinstance(call_context, str) and call_context.endswith("/call_context")):
        errors.append(f"CallContextUrl output: {call_context!r}")
    if outputs.get("ProvisionFunctionName", {}).get("Value") != {"Ref": "ProvisionFunction"}:
        errors.append("ProvisionFunctionName output missing")
    return errors


# Edits of template.yaml that each grant or expose more than they should: the check must fail
# on every one. (what, text replaced, replacement)
PUT_ITEM = """              Action: dynamodb:PutItem
              Resource: !GetAtt CallContextTable.Arn"""
GET_ITEM = """              Action: dynamodb:GetItem
              Resource: !GetAtt CallContextTable.Arn"""
MUTATIONS = [
    ("redirect-call may also read", PUT_ITEM, PUT_ITEM.replace("dynamodb:PutItem", "[dynamodb:PutItem, dynamodb:GetItem]")),
    ("redirect-call may scan", PUT_ITEM, PUT_ITEM.replace("dynamodb:PutItem", "dynamodb:Scan")),
    ("call-context may write", GET_ITEM, GET_ITEM.replace("dynamodb:GetItem", "[dynamodb:GetItem, dynamodb:PutItem]")),
    ("call-context may query", GET_ITEM, GET_ITEM.replace("dynamodb:GetItem", "dynamodb:Query")),
    ("any table", GET_ITEM, GET_ITEM.replace("!GetAtt CallContextTable.Arn", '"*"')),
    ("the table's indexes", PUT_ITEM, PUT_ITEM.replace("!GetAtt CallContextTable.Arn", '!Sub "${CallContextTable.Arn}/*"')),
    ("a SAM policy template", "        - AWSSecretsManagerGetSecretValuePolicy:\n            SecretArn: !Sub \"arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${CallContextSecretId}-??????\"",
     "        - DynamoDBCrudPolicy:\n            TableName: !Ref CallContextTable\n        - AWSSecretsManagerGetSecretValuePolicy:\n            SecretArn: !Sub \"arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${CallContextSecretId}-??????\""),
    ("another secret", "${CallContextSecretId}-??????", "${TwilioSecretId}-??????"),
    ("no TTL", "        AttributeName: expires_at\n        Enabled: true", "        AttributeName: expires_at\n        Enabled: false"),
    ("no point-in-time recovery", "PointInTimeRecoveryEnabled: true", "PointInTimeRecoveryEnabled: false"),
    ("a route to the wrong function", "            Path: /call_context\n            Method: GET", "            Path: /call_context_get\n            Method: GET"),
]


def self_test(path):
    with open(path) as f:
        text = f.read()
    failures = []
    for what, old, new in MUTATIONS:
        if text.count(old) < 1:
            failures.append(f"{what}: the text to replace is not in {path}")
            continue
        if not check(text.replace(old, new, 1)):
            failures.append(f"{what}: not caught")
    for failure in failures:
        print(f"check_template self-test: {failure}", file=sys.stderr)
    if not failures:
        print(f"check_template self-test: all {len(MUTATIONS)} extra grants and changes caught")
    return 1 if failures else 0


def main():
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # "unpublished metrics" noise
    if sys.argv[1:2] == ["--self-test"]:
        return self_test(sys.argv[2] if len(sys.argv) > 2 else "template.yaml")
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

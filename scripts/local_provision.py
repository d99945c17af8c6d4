#!/usr/bin/env python3
"""Seeds a local moto_server with the secrets `make run-provision` needs: Synthflow's API
credentials for the fake Synthflow server, and the SIP trunk credentials that
events/provision.json names.

    python scripts/local_provision.py --endpoint http://127.0.0.1:5055 \
        --synthflow-secret-id ID --api-key KEY --workspace-id WS --trunk-secret-id ID
"""

import argparse
import json
import time

import boto3


def local_client(endpoint):
    """A Secrets Manager client for the moto_server at `endpoint`."""
    return boto3.client(
        "secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test")


def wait_until_up(client):
    """moto_server takes a moment to start listening."""
    give_up_at = time.monotonic() + 30
    while True:
        try:
            client.list_secrets()
            return
        except Exception:
            if time.monotonic() > give_up_at:
                raise
            time.sleep(0.2)


def store(client, secret_id, value):
    """Creates the secret, or gives it a new value."""
    text = json.dumps(value)
    try:
        client.create_secret(Name=secret_id, SecretString=text)
    except client.exceptions.ResourceExistsException:
        client.put_secret_value(SecretId=secret_id, SecretString=text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--synthflow-secret-id", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--workspace-id", required=True)
    parser.add_argument("--trunk-secret-id", required=True)
    args = parser.parse_args()
    client = local_client(args.endpoint)
    wait_until_up(client)
    store(client, args.synthflow_secret_id,
          {"api_key": args.api_key, "workspace_id": args.workspace_id})
    store(client, args.trunk_secret_id,
          {"username": "acme-pbx", "password": "local-trunk-password-not-a-secret"})


if __name__ == "__main__":
    main()

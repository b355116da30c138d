#!/usr/bin/env python3
"""Writes the seed corpora into fuzz/corpus/<target>/ from the project's
shared test data (../shared/fixtures and ../shared/vectors, or
$TOWER_WEBHOOKS_SHARED). Nothing it writes is committed: fuzz/corpus is
ignored. Standard library only."""

import base64
import hashlib
import hmac
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("TOWER_WEBHOOKS_SHARED") or os.path.join(HERE, "..", "..", "shared")
CORPUS = os.path.join(HERE, "corpus")
# Must match CONTROL_LEN in fuzz_targets/layer.rs.
CONTROL_LEN = 128


def fail(message):
    print(f"seed: {message}", file=sys.stderr)
    sys.exit(1)


def write(target, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main():
    fixtures = os.path.join(SHARED, "fixtures")
    vectors = os.path.join(SHARED, "vectors", "provider_vectors.json")
    if not os.path.isdir(fixtures) or not os.path.isfile(vectors):
        fail(f"test data not found under {SHARED} (set TOWER_WEBHOOKS_SHARED)")

    bodies = []
    for provider in ("github", "gitlab"):
        folder = os.path.join(fixtures, provider)
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), "rb") as f:
                bodies.append(f.read())
    if not bodies:
        fail(f"no fixtures under {fixtures}")
    with open(vectors) as f:
        provider_vectors = json.load(f)

    # signature_headers: real GitHub headers, and Standard Webhooks lists.
    secret = b"It's a Secret to Everybody"
    for vector in provider_vectors["github"]:
        write("signature_headers", vector["x_hub_signature_256"].encode())
    for body in bodies:
        write("signature_headers", b"sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest().encode())
    entries = [v["expected"] for v in provider_vectors["standard_webhooks"]]
    for entry in entries:
        write("signature_headers", entry.encode())
    write("signature_headers", " ".join(entries).encode())
    write("signature_headers", ("v1a,xyz " + entries[0]).encode())

    # instance_origin: the origins the fixtures name, as found and varied.
    origins = set()
    for body in bodies:
        for match in re.finditer(rb"https?://[A-Za-z0-9.\-\[\]:]+", body):
            origins.add(match.group(0))
    for origin in sorted(origins):
        write("instance_origin", origin)
        write("instance_origin", origin.upper() + b"/")
        write("instance_origin", origin + b":443")
    write("instance_origin", b"https://[::1]:8443")

    # layer: a zero control prefix (a correctly signed POST, one frame) and
    # each fixture body; plus the documented GitHub example.
    for body in bodies:
        write("layer", bytes(CONTROL_LEN) + body)
    for vector in provider_vectors["github"]:
        write("layer", bytes(CONTROL_LEN) + vector["payload"].encode())

    for target in ("signature_headers", "instance_origin", "layer"):
        count = len(os.listdir(os.path.join(CORPUS, target)))
        print(f"seed: {target}: {count} files")


if __name__ == "__main__":
    main()

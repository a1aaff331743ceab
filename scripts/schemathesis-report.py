"""Counts, from schemathesis' HAR report, the 2xx answers of every write operation of the API and
fails when an operation that creates something never succeeded: a fuzzer that only ever gets 422
on a create tests nothing behind the validation.

    schemathesis-report.py OPENAPI.json REPORT.har
"""
import json
import re
import sys
from collections import Counter
from urllib.parse import urlparse

# Each must have at least one 2xx in the run (those taking a file or an If-Match are left out:
# the fuzzer cannot produce a valid FatturaPA file or know an ETag).
MUST_CREATE = [
    ("POST", "/api/v1/calls"),
    ("POST", "/api/v1/projects"),
    ("POST", "/api/v1/projects/{id}/entities"),
    ("POST", "/api/v1/projects/{id}/expenses"),
    ("POST", "/api/v1/projects/{id}/variations"),
    ("POST", "/api/v1/projects/{id}/extensions"),
    ("POST", "/api/v1/projects/{id}/milestones"),
    ("POST", "/api/v1/projects/{id}/tranches"),
    ("POST", "/api/v1/projects/{id}/narrative"),
    ("POST", "/api/v1/projects/{id}/indicators"),
    ("POST", "/api/v1/users"),
]


def main(openapi_path, har_path):
    paths = json.load(open(openapi_path))["paths"]
    templates = []
    for template, operations in paths.items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")) + "$"
        for method in operations:
            templates.append((method.upper(), template, re.compile(pattern)))
    ok, total = Counter(), Counter()
    for entry in json.load(open(har_path))["log"]["entries"]:
        method = entry["request"]["method"].upper()
        path = urlparse(entry["request"]["url"]).path
        status = entry["response"]["status"]
        for m, template, regex in templates:
            if m == method and regex.match(path):
                total[(m, template)] += 1
                if 200 <= status < 300:
                    ok[(m, template)] += 1
                break
    print("Operazioni di scrittura: risposte 2xx / richieste")
    for m, template, _ in sorted(templates, key=lambda t: (t[1], t[0])):
        if m in ("POST", "PUT", "PATCH", "DELETE"):
            print(f"  {m:6} {template}: {ok[(m, template)]} / {total[(m, template)]}")
    missing = [op for op in MUST_CREATE if ok[op] == 0]
    if missing:
        for m, template in missing:
            print(f"nessuna creazione riuscita: {m} {template}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

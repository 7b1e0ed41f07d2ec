#!/usr/bin/python3
"""Validates JSON objects, one a line on stdin, against a JSON Schema (draft 2020-12).
Usage: json_schema_check.py SCHEMA < LINES. Exit 0 when every line is valid, 1 with the first errors listed."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1], encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
n = 0
for line in sys.stdin:
    if not line.strip():
        continue
    n += 1
    errors = list(validator.iter_errors(json.loads(line)))
    if errors:
        # oneOf hides the reason: report it against each branch
        for branch in schema.get("oneOf", []):
            sub = dict(schema, **branch)
            sub.pop("oneOf")
            for e in list(jsonschema.Draft202012Validator(sub).iter_errors(json.loads(line)))[:4]:
                print(f"line {n} vs {branch['$ref']}: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
        sys.exit(1)
print(f"{n} objects valid")
sys.exit(0 if n else 1)

#!/usr/bin/env python3
"""Validates omnistore --json outputs against Resources/schemas.

    validate.py SCHEMA_DIR NAME FILE [NAME FILE ...]

Every schema in SCHEMA_DIR (NAME.schema.json) is checked against the JSON
Schema 2020-12 meta-schema and registered under its $id, so $refs between the
files resolve without any network access. Each FILE must hold exactly one JSON
document (no duplicate keys, no NaN or Infinity) valid against the schema
NAME. Every error is printed; the exit code is 1 if there was any.
"""

import json
import os
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def strict_object(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle, object_pairs_hook=strict_object, parse_constant=refuse_constant)


def describe(error, indent="  "):
    message = error.message if len(error.message) <= 300 else error.message[:300] + "..."
    lines = [f"{indent}at {error.json_path}: {message}"]
    for sub in sorted(error.context or [], key=lambda e: list(e.relative_schema_path)):
        lines.append(f"{indent}  - (branch {list(sub.relative_schema_path)[:1]}) at {sub.json_path}: {sub.message}")
    return lines


def main(argv):
    if len(argv) < 4 or len(argv) % 2 != 0:
        print(__doc__.strip(), file=sys.stderr)
        return 64
    schema_dir, pairs = argv[1], argv[2:]
    schemas = {}
    problems = []
    for file_name in sorted(os.listdir(schema_dir)):
        if not file_name.endswith(".schema.json"):
            continue
        name = file_name[: -len(".schema.json")]
        try:
            schema = load(os.path.join(schema_dir, file_name))
            Draft202012Validator.check_schema(schema)
        except Exception as error:  # noqa: BLE001 - reported, not raised
            problems.append(f"schema {file_name} is not a valid JSON Schema 2020-12: {error}")
            continue
        schemas[name] = schema
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
        for schema in schemas.values()
        if "$id" in schema
    )
    checked = 0
    for name, path in zip(pairs[0::2], pairs[1::2]):
        if name not in schemas:
            problems.append(f"{path}: no schema named {name!r} in {schema_dir}")
            continue
        try:
            instance = load(path)
        except Exception as error:  # noqa: BLE001
            problems.append(f"{path}: not one JSON document: {error}")
            continue
        validator = Draft202012Validator(
            schemas[name], registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        errors = sorted(validator.iter_errors(instance), key=lambda e: (list(e.absolute_path), e.message))
        if errors:
            problems.append(f"{path}: {len(errors)} error(s) against {name}.schema.json:")
            for error in errors:
                problems.extend(describe(error))
        checked += 1
    for line in problems:
        print(line)
    print(f"validated {checked} document(s) against {len(schemas)} schema(s): "
          f"{'ok' if not problems else 'FAILED'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

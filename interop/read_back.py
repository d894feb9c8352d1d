#!/usr/bin/env python3
"""Read items at a DynamoDB endpoint through each Python library and compare with the fixtures.

The other side (e.g. dynorm, through `dynorm serve`) writes the items of the fixtures in
`fixtures/` into the tables `storm-table`, `test-dynamojo` and `dq-table`; this script then

  1. reads each item raw (low-level GetItem) and compares it with the fixture's item byte for byte,
  2. reads it through the library's own read API (STORM `objects.get`, dynamojo `fetch`,
     dynamo_query `get_record`) and compares the values with what the library returned when it
     wrote the item itself (`library_read` / the deserialised fixture item),

and prints "N passed, M failed" (exit status 1 on any failure).

The models are the fixtures' own `model.source` texts, executed here, so both scripts use exactly
the same declarations.

    python interop/read_back.py --endpoint http://127.0.0.1:8000 [--create-tables]
    python interop/read_back.py --endpoint URL --write library   # the library writes, then checks
    python interop/read_back.py --endpoint URL --write raw       # put the fixture items, then check
    python interop/read_back.py --self-test                      # moto server in-process + --write library

`--write library --no-check` is the other direction: leave items written by the Python libraries
for the Rust side to read. Several fixtures share a key (e.g. all dynamojo incidents are
acct-1/inc-1), so a harness on the other side goes one case at a time:

    python interop/read_back.py --endpoint URL --list                 # name, table, key, item
    <write the item of case NAME>; python interop/read_back.py --endpoint URL --case NAME
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import decimal
import json
import os
import socket
import sys
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"

for _k, _v in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}.items():
    os.environ.setdefault(_k, _v)

import boto3  # noqa: E402
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer  # noqa: E402

STORM_TABLE = "storm-table"
DYNAMOJO_TABLE = "test-dynamojo"
DQ_TABLE = "dq-table"

TD = TypeDeserializer()
TS = TypeSerializer()


def load(library: str, case: str) -> Dict[str, Any]:
    return json.loads((FIXTURES / library / f"{case}.json").read_text())


def wire(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode()
    if isinstance(v, dict):
        return {k: wire(x) for k, x in v.items()}
    if isinstance(v, list):
        return [wire(x) for x in v]
    return v


def from_wire(item: Dict[str, Any]) -> Dict[str, Any]:
    """Fixture item (B as base64 text) → what boto3's low-level client takes (B as bytes)."""

    def conv(av: Dict[str, Any]) -> Dict[str, Any]:
        (t, v), = av.items()
        if t == "B":
            return {"B": base64.b64decode(v)}
        if t == "BS":
            return {"BS": [base64.b64decode(x) for x in v]}
        if t == "M":
            return {"M": {k: conv(x) for k, x in v.items()}}
        if t == "L":
            return {"L": [conv(x) for x in v]}
        return {t: v}

    return {k: conv(v) for k, v in item.items()}


def unjson(v: Any) -> Any:
    """Fixture `input` values back to Python (inverse of capture.jsonable)."""
    if isinstance(v, dict):
        if set(v) == {"$decimal"}:
            return decimal.Decimal(v["$decimal"])
        if set(v) == {"$set"}:
            return set(unjson(x) for x in v["$set"])
        if set(v) == {"$bytes_b64"}:
            return base64.b64decode(v["$bytes_b64"])
        return {k: unjson(x) for k, x in v.items()}
    if isinstance(v, list):
        return [unjson(x) for x in v]
    return v


def norm(v: Any) -> Any:
    """Comparable plain value: integral numbers as int, other Decimals as text, sets sorted."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, decimal.Decimal)):
        d = decimal.Decimal(v)
        return int(d) if d == d.to_integral_value() else str(d.normalize())
    if isinstance(v, float):
        return norm(decimal.Decimal(repr(v)))
    if isinstance(v, Binary):
        return {"$bytes_b64": base64.b64encode(v.value).decode()}
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes_b64": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, (set, frozenset)):
        return {"$set": sorted(json.dumps(norm(x), sort_keys=True) for x in v)}
    if isinstance(v, dict):
        if set(v) == {"$decimal"}:
            return norm(decimal.Decimal(v["$decimal"]))
        if set(v) == {"$set"}:
            return norm(set(json.dumps(x) if not isinstance(x, str) else x for x in v["$set"]))
        if set(v) == {"$bytes_b64"}:
            return v
        return {str(k): norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    return repr(v)


class Check:
    def __init__(self, name: str, write: Callable[[], None], raw_key: Tuple[str, Dict[str, Any]],
                 expected_item: Dict[str, Any], read: Callable[[], Any], expected_read: Any) -> None:
        self.name = name
        self.write = write
        self.raw_key = raw_key
        self.expected_item = expected_item
        self.read = read
        self.expected_read = expected_read


class World:
    def __init__(self, endpoint: str) -> None:
        kw = dict(region_name="us-east-1", endpoint_url=endpoint)
        self.client = boto3.client("dynamodb", **kw)
        self.resource = boto3.resource("dynamodb", **kw)
        self.raw = boto3.client("dynamodb", **kw)

    def put_raw(self, table: str, item: Dict[str, Any]) -> None:
        self.raw.put_item(TableName=table, Item=from_wire(item))

    def get_raw(self, table: str, key: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        it = self.raw.get_item(TableName=table, Key=from_wire(key), ConsistentRead=True).get("Item")
        return wire(it) if it is not None else None

    def create_tables(self) -> None:
        existing = set(self.raw.list_tables()["TableNames"])
        inputs = [
            load("single-table-orm", "create_table")["create_table_input"],
            load("dynamojo", "create_table")["create_table_input"],
            next(c["params"] for c in load("dynamo_query", "create_table")["provisioned"]["requests"]
                 if c["operation"] == "CreateTable"),
        ]
        for inp in inputs:
            if inp["TableName"] not in existing:
                self.raw.create_table(**inp)
                self.raw.get_waiter("table_exists").wait(TableName=inp["TableName"])


def run_source(lines: List[str], ns: Dict[str, Any]) -> None:
    """Execute a fixture's model text (without this file's `from __future__` flags)."""
    ns.setdefault("__name__", "fixture_models")
    exec(compile("\n".join(lines), "<fixture model>", "exec", dont_inherit=True), ns)


def key_of(item: Dict[str, Any], names: List[str]) -> Dict[str, Any]:
    return {n: item[n] for n in names}


# --------------------------------------------------------------------------------------------


def storm_checks(w: World) -> List[Check]:
    from single_table_orm import connection
    from single_table_orm.fields import Field
    from single_table_orm.models import Model

    connection.table._current_table = STORM_TABLE
    connection.table.client = w.client

    def classes(source: List[str]) -> Dict[str, Any]:
        ns: Dict[str, Any] = {"Model": Model, "Field": Field}
        run_source(source, ns)  # the fixture's own model text
        return {k: v for k, v in ns.items() if isinstance(v, type) and issubclass(v, Model) and v is not Model}

    checks: List[Check] = []

    def add(name: str, cls: Any, values: Dict[str, Any], item: Dict[str, Any], expected: Any) -> None:
        key = {f: values[f] for f in cls._pk_attributes + cls._sk_attributes}
        checks.append(Check(
            name=name,
            write=lambda: cls(**values).save(),
            raw_key=(STORM_TABLE, key_of(item, ["PK", "SK"])),
            expected_item=item,
            read=lambda: norm(cls.objects.get(**key).to_json()),
            expected_read=norm(unjson(expected)),
        ))

    for case in ("tenant_integration_ordinary", "tenant_integration_hash_in_values",
                 "tenant_integration_empty_strings", "tenant_integration_none_optional"):
        fx = load("single-table-orm", case)
        cls = classes(fx["model"]["source"])["TenantIntegration"]
        add(f"single-table-orm/{case}", cls, unjson(fx["input"]), fx["items"][0], fx["library_read"]["value"])
    fx = load("single-table-orm", "wiki_integration")
    cl = classes(fx["model"]["source"])
    for name, res in sorted(fx["results"].items()):
        add(f"single-table-orm/wiki_integration/{name}", cl[name], unjson(fx["input"]), res["items"][0], fx["input"])
    fx = load("single-table-orm", "keys_from_flags")
    cl = classes(fx["model"]["source"])
    for name in ("TestModel", "User"):
        c = fx["cases"][name]
        add(f"single-table-orm/keys_from_flags/{name}", cl[name], unjson(c["input"]), c["items"][0], c["input"])
    return checks


def dynamojo_checks(w: World) -> List[Check]:
    from typing import Optional as Opt

    from dynamojo import DynamojoBase, DynamojoConfig, IndexMap, JoinedAttribute, get_indexes

    indexes = get_indexes(DYNAMOJO_TABLE, dynamo_client=w.raw)
    ns_base = {
        "DynamojoBase": DynamojoBase, "DynamojoConfig": DynamojoConfig, "IndexMap": IndexMap,
        "JoinedAttribute": JoinedAttribute, "Opt": Opt, "configs": {}, "env": SimpleNamespace(client=w.client),
        "indexes": indexes, "DYNAMOJO_TABLE": DYNAMOJO_TABLE,
    }
    checks: List[Check] = []
    for case in ("incident_ordinary", "incident_tilde_in_values", "incident_none_fields",
                 "alarm_store_aliases_false", "camel_case_types"):
        fx = load("dynamojo", case)
        ns = dict(ns_base)
        run_source(fx["model"]["source"], ns)
        cls = ns[fx["model"]["class"]]
        item = fx["items"][0]
        values = unjson(fx["input"])
        pk, sk = item["pk"]["S"], item["sk"]["S"]

        def write(cls: Any = cls, values: Dict[str, Any] = values) -> None:
            asyncio.run(cls(**values).save(fail_on_exists=False))

        def read(cls: Any = cls, pk: str = pk, sk: str = sk) -> Any:
            got = asyncio.run(cls.fetch(pk, sk))
            return norm(got.model_dump() if got is not None else None)

        checks.append(Check(f"dynamojo/{case}", write, (DYNAMOJO_TABLE, key_of(item, ["pk", "sk"])), item,
                            read, norm(unjson(fx["library_read"]["value"]))))
    return checks


def dynamo_query_checks(w: World) -> List[Check]:
    from typing import Any as _Any

    from dynamo_query import DynamoRecord, DynamoTable
    from dynamo_query.dynamo_table_index import DynamoTableIndex
    from freezegun import freeze_time

    fx = load("dynamo_query", "upsert_record")
    ns: Dict[str, Any] = {"DynamoRecord": DynamoRecord, "DynamoTable": DynamoTable,
                          "DynamoTableIndex": DynamoTableIndex, "Optional": Optional, "Any": _Any,
                          "resource": w.resource, "DQ_TABLE": DQ_TABLE}
    run_source(fx["model"]["source"], ns)
    loose = ns["LooseTable"]()

    items: List[Tuple[str, Dict[str, Any]]] = []
    for case in ("upsert_record", "batch_upsert_records"):
        for it in load("dynamo_query", case)["steps"][-1]["items_after"]:
            items.append((case, it))
    items.append(("types", load("dynamo_query", "types")["items"][0]))

    checks: List[Check] = []
    for case, item in items:
        value = {k: TD.deserialize(v) for k, v in from_wire(item).items()}

        def write(value: Dict[str, Any] = value) -> None:
            record = {k: v for k, v in value.items() if k not in ("pk", "sk", "dt_created", "dt_modified")}
            with freeze_time(value["dt_created"]):
                loose.upsert_record(dict(record))
            if value["dt_modified"] != value["dt_created"]:
                with freeze_time(value["dt_modified"]):
                    loose.upsert_record(dict(record))

        def read(value: Dict[str, Any] = value) -> Any:
            got = loose.get_record({"project_id": value["project_id"], "email": value["email"]})
            return norm(dict(got) if got is not None else None)

        checks.append(Check(f"dynamo_query/{case}/{item['sk']['S']}", write,
                            (DQ_TABLE, key_of(item, ["pk", "sk"])), item, read, norm(value)))
    return checks


# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sets_sorted(value: Any) -> Any:
    """DynamoDB JSON with every SS/NS/BS sorted: DynamoDB keeps no set order, and Python's set
    iteration order (how the libraries serialise sets) changes with PYTHONHASHSEED."""
    if isinstance(value, dict):
        return {k: (sorted(v) if k in ("SS", "NS", "BS") and isinstance(v, list) else sets_sorted(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [sets_sorted(v) for v in value]
    return value


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", help="DynamoDB endpoint URL, e.g. http://127.0.0.1:8000")
    ap.add_argument("--self-test", action="store_true",
                    help="start moto's server in-process (unless --endpoint is given), create the tables, "
                    "write with the libraries and check")
    ap.add_argument("--write", choices=["none", "library", "raw"], default=None,
                    help="who writes the items before the check (default: none, i.e. someone else did)")
    ap.add_argument("--no-check", action="store_true", help="only write")
    ap.add_argument("--create-tables", action="store_true", help="create the three tables if missing")
    ap.add_argument("--only", choices=["single-table-orm", "dynamojo", "dynamo_query"], action="append")
    ap.add_argument("--case", action="append",
                    help="only checks whose name contains this text (repeatable); several fixtures share keys, "
                    "so when another program writes the items, write and check one case at a time")
    ap.add_argument("--list", action="store_true",
                    help="print the checks as JSON lines (name, table, key, item) and exit; needs --endpoint "
                    "or --self-test only to build the models")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    server = None
    endpoint = args.endpoint
    write = args.write or ("library" if args.self_test else "none")
    if args.self_test and not endpoint:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)

        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        endpoint = f"http://127.0.0.1:{port}"
    if not endpoint:
        ap.error("--endpoint is required (or --self-test)")

    try:
        w = World(endpoint)
        if args.create_tables or args.self_test:
            w.create_tables()
        only = set(args.only or ["single-table-orm", "dynamojo", "dynamo_query"])
        checks: List[Check] = []
        if "single-table-orm" in only:
            checks += storm_checks(w)
        if "dynamojo" in only:
            checks += dynamojo_checks(w)
        if "dynamo_query" in only:
            checks += dynamo_query_checks(w)

        if args.case:
            checks = [c for c in checks if any(sub in c.name for sub in args.case)]
        if args.list:
            for c in checks:
                print(json.dumps({"name": c.name, "table": c.raw_key[0], "key": c.raw_key[1],
                                  "item": c.expected_item}, sort_keys=True))
            return 0

        passed = failed = 0
        for c in checks:
            problems: List[str] = []
            try:
                if write == "library":
                    c.write()
                elif write == "raw":
                    w.put_raw(c.raw_key[0], c.expected_item)
                if args.no_check:
                    continue
                got_item = w.get_raw(*c.raw_key)
                if sets_sorted(got_item) != sets_sorted(c.expected_item):
                    problems.append("stored item differs:\n  expected " + json.dumps(c.expected_item, sort_keys=True)
                                    + "\n  got      " + json.dumps(got_item, sort_keys=True))
                got_read = c.read()
                if got_read != c.expected_read:
                    problems.append("library read differs:\n  expected " + json.dumps(c.expected_read, sort_keys=True)
                                    + "\n  got      " + json.dumps(got_read, sort_keys=True))
            except BaseException as e:  # DynamoTableError is a BaseException
                if isinstance(e, KeyboardInterrupt):
                    raise
                problems.append(f"{type(e).__name__}: {e}")
                if args.verbose:
                    traceback.print_exc()
            if args.no_check:
                continue
            if problems:
                failed += 1
                print(f"FAIL {c.name}")
                for p in problems:
                    print("  " + p.replace("\n", "\n  "))
            else:
                passed += 1
                if args.verbose:
                    print(f"ok   {c.name}")
        if args.no_check:
            print(f"wrote {len(checks)} items with {write}")
            return 0
        print(f"{passed} passed, {failed} failed")
        return 1 if failed else 0
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())

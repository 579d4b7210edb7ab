"""The SQL shortcuts are sure: what SQL accepts, the reference accepts; what it rejects, the reference rejects.

Checked on generated values against the reference implementations themselves
(Frictionless' field readers, Python's `strptime`, `Decimal`, `int`, `json`,
and pydantic for schema v1).
"""

from __future__ import annotations

import json
import random
import string
from datetime import datetime
from decimal import Decimal, InvalidOperation

import pytest

from pipeline.quality import cells
from pipeline.quality.compile import literal
from pipeline.warehouse import connect

RNG_SEED = 20261128
PRINTABLE = string.ascii_letters + string.digits + string.punctuation
ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"


@pytest.fixture(scope="module")
def con():
    con = connect(":memory:")
    cells.register(con)
    yield con
    con.close()


def load(con, values: list[str]) -> None:
    con.execute("create or replace temp table candidates as "
                "select n, x from unnest(?::varchar[]) with ordinality as t(x, n)", [values])


def sql_flags(con, values: list[str], expression: str) -> list[bool]:
    """`expression` (over `x`) for each value, in order."""
    load(con, values)
    return [bool(v) for (v,) in con.execute(f"select coalesce({expression}, false) from candidates order by n").fetchall()]


def frictionless_ok(field: str, value: str) -> bool:
    reader, _ = cells._readers("structures" if field != "lien_mobilisation" else "services", field)
    return not reader(value)[1]


def label(rng: random.Random) -> str:
    inner = "".join(rng.choice(string.ascii_letters + string.digits + "-") for _ in range(rng.randint(0, 8)))
    edge = string.ascii_letters + string.digits
    return rng.choice(edge) + (inner + rng.choice(edge) if inner or rng.random() < 0.5 else "")


def emails(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        atoms = ["".join(rng.choice(ATEXT) for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(1, 3))]
        domain = ".".join(label(rng) for _ in range(rng.randint(1, 3)))
        tld = rng.choice(["fr", "org", "com", "test", "invalid", "paris", "local", "c0m", "f", "bzh"])
        value = ".".join(atoms) + "@" + domain + "." + tld
        mutation = rng.random()
        if mutation < 0.15:
            value = value.replace("@", "@@", 1)
        elif mutation < 0.3:
            value = "".join(rng.choice(PRINTABLE) for _ in range(rng.randint(1, 20)))
        elif mutation < 0.4:
            value = value.replace(".", "..", 1)
        out.append(value)
    return out


def test_email_shortcuts(con):
    rng = random.Random(RNG_SEED)
    values = emails(rng, 3000)
    fast = sql_flags(con, values, "email_fast(x)")
    reject = sql_flags(con, values, "email_reject(x)")
    assert sum(fast) > 500 and sum(reject) > 300
    for value, is_fast, is_reject in zip(values, fast, reject):
        if is_fast:
            assert frictionless_ok("courriel", value) and cells.v1_email_ok(value), value
        if is_reject:
            assert not frictionless_ok("courriel", value), value


def urls(rng: random.Random, n: int) -> list[str]:
    chars = string.ascii_letters + string.digits + "._~!$&'()*+,;=:@/-%?#"
    out = []
    for _ in range(n):
        host = ".".join(label(rng) for _ in range(rng.randint(1, 3))) + "." + rng.choice(["fr", "org", "gouv.fr", "c0m"])
        path = "".join(rng.choice(chars) for _ in range(rng.randint(0, 25)))
        value = rng.choice(["https://", "http://", "HTTP://", "ftp://", "", "https:/"]) + host + "/" + path
        if rng.random() < 0.2:
            value = "".join(rng.choice(PRINTABLE + " ") for _ in range(rng.randint(1, 30)))
        out.append(value)
    return out


def test_url_shortcuts(con):
    rng = random.Random(RNG_SEED + 1)
    values = urls(rng, 3000)
    fast = sql_flags(con, values, "url_fast(x)")
    decided = sql_flags(con, values, "not contains(x, '@')")
    scheme = sql_flags(con, values, "uri_has_scheme(x)")
    assert sum(fast) > 300
    for value, is_fast, is_decided, has_scheme in zip(values, fast, decided, scheme):
        if is_fast:
            assert frictionless_ok("lien_source", value) and cells.v1_url_ok(value), value
        if is_decided:  # the Table Schema's uri format, decided in SQL: is there a scheme
            reader, _ = cells._readers("structures", "site_web")
            assert (not reader(value)[1] or "pattern" in reader(value)[1]) == has_scheme, value


def strptime_date(value: str):
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None


def test_dates_read_as_strptime_does(con):
    rng = random.Random(RNG_SEED + 2)
    values = []
    for _ in range(4000):
        parts = [str(rng.randint(0, 2100)).zfill(rng.choice([1, 4, 4, 4])), str(rng.randint(0, 14)),
                 str(rng.randint(0, 33))]
        parts = [p.zfill(2) if rng.random() < 0.5 else p for p in parts]
        value = "-".join(parts)
        if rng.random() < 0.15:
            value = "".join(rng.choice(string.digits + "-/T:") for _ in range(rng.randint(4, 12)))
        values.append(value)
    values += ["0000-01-01", "0001-01-01", "2024-02-29", "2023-02-29", "2025-2-5", "2025-12-31"]
    printable = sql_flags(con, values, f"regexp_full_match(x, {literal(cells.PRINTABLE)})")
    load(con, values)
    ours = [d for (d,) in con.execute("select date_of(x) from candidates order by n").fetchall()]
    for value, decided, date_value in zip(values, printable, ours):
        if decided:
            assert date_value == strptime_date(value), value


def test_number_and_integer_rejections_are_sure(con):
    rng = random.Random(RNG_SEED + 3)
    alphabet = string.digits * 3 + "+-._eE,xn aifNI"
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(4000)]
    values += ["NaN", "inf", "-Infinity", "sNaN12", "1_000", "1e5", "3,5", "12 km"]
    number_fast = sql_flags(con, values, f"regexp_full_match(x, {literal(cells.NUMBER_FAST)})")
    number_reject = sql_flags(con, values, "number_reject(x)")
    integer_fast = sql_flags(con, values, f"regexp_full_match(x, {literal(cells.INTEGER_FAST)})")
    integer_reject = sql_flags(con, values, "integer_reject(x)")
    for value, nf, nr, i_f, i_r in zip(values, number_fast, number_reject, integer_fast, integer_reject):
        try:
            Decimal(value.strip())
            decimal_ok = True
        except InvalidOperation:
            decimal_ok = False
        try:
            int(value.strip())
            int_ok = True
        except ValueError:
            int_ok = False
        assert not (nf and not decimal_ok) and not (nr and decimal_ok), value
        assert not (i_f and not int_ok) and not (i_r and int_ok), value
    assert sum(number_reject) > 1000 and sum(integer_reject) > 1000
    assert sum(number_fast) > 300 and sum(integer_fast) > 300


def test_array_shortcuts(con):
    rng = random.Random(RNG_SEED + 4)
    pieces = ['"a"', '"sante--addictions"', "5", "null", '""', '"x\\"y"', ",", " ", "[", "]", "{", "}", '"é"']
    values = []
    items = ['"a"', '"sante--addictions"', "5", "null", '""', '"x\\"y"', '"é"', '"tab\there"']
    for _ in range(3000):
        if rng.random() < 0.5:
            inner = rng.choice(["", " ", "\n"]).join(
                rng.choice(items) + rng.choice(["", " "]) + "," for _ in range(rng.randint(0, 3)))
            values.append("[" + inner + rng.choice(items) + rng.choice(["]", " ]", "]x"]))
            continue
        inner = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))
        values.append(rng.choice(["[", " [", "", "x["]) + inner + rng.choice(["]", "] ", "", "]]"]))
    fast = sql_flags(con, values, f"regexp_full_match(x, {literal(cells.ARRAY_FAST)})")
    reject = sql_flags(con, values, "array_reject(x)")
    load(con, values)
    parsed = [v for (v,) in con.execute("select case when regexp_full_match(x, "
                                        f"{literal(cells.ARRAY_FAST)}) then from_json(x, '[\"VARCHAR\"]') end "
                                        "from candidates order by n").fetchall()]
    for value, is_fast, is_reject, items in zip(values, fast, reject, parsed):
        try:
            loaded = json.loads(value)
        except ValueError:
            loaded = None
        if is_fast:
            assert isinstance(loaded, list) and loaded == items, value
        if is_reject:
            assert not isinstance(loaded, list), value
    assert sum(fast) > 200 and sum(reject) > 200

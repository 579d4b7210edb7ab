"""Raw payloads parse as the standard library parses them, only faster."""

import json

import pytest

from pipeline.sources import fastjson


def test_orjson_answers_the_usual_payload() -> None:
    text = '{"nom": "Café « Solidaire »", "n": 3, "x": 1.5, "l": [null, true]}'
    assert fastjson.loads(text.encode()) == json.loads(text)
    assert fastjson.dumps(json.loads(text)) == '{"nom":"Café « Solidaire »","n":3,"x":1.5,"l":[null,true]}'


def test_what_orjson_refuses_is_read_as_json_reads_it() -> None:
    big = '{"id": 123456789012345678901234567890, "x": NaN}'
    value = fastjson.loads(big.encode())
    assert value["id"] == 123456789012345678901234567890
    assert value["x"] != value["x"]  # NaN
    assert fastjson.dumps({"id": 2**70}) == '{"id":1180591620717411303424}'


def test_errors_are_the_standard_librarys() -> None:
    with pytest.raises(json.JSONDecodeError) as error:
        fastjson.loads(b'[{"a": 1},\n {"a": ]')
    assert (error.value.lineno, error.value.colno) == (2, 8)
    with pytest.raises(UnicodeDecodeError) as bad:
        fastjson.loads(b'["\xff"]')
    assert bad.value.start == 2

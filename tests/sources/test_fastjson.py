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


def test_raw_json_loads_in_chunks_as_arrow_splits_it_past_2_gb() -> None:
    """Arrow hands back the texts of a payload past 2 GB as several chunks: each becomes JSON cells."""
    import duckdb
    import pyarrow as pa

    from pipeline.sources.collect import json_column

    texts = pa.chunked_array([pa.array(['{"a": 1}', '{"a": "é"}']), pa.array(['[1, 2]'])])
    with duckdb.connect() as con:
        con.register("incoming", pa.table({"data": json_column(texts)}))
        con.execute("create table raw (data json)")
        con.execute("insert into raw select data from incoming")
        assert con.execute("select data ->> '$.a', json_type(data) from raw").fetchall() == [
            ("1", "OBJECT"), ("é", "OBJECT"), (None, "ARRAY")]
        con.register("single", pa.table({"data": json_column(pa.array(['{"b": true}']))}))
        assert con.execute("select data ->> 'b' from single").fetchall() == [("true",)]

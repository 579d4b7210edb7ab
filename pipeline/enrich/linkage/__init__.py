"""Record linkage of structures with splink (Fellegi–Sunter) on DuckDB.

- `records(con, input, output)`: linkage records from schema-v1 structures
  (`records.sql`: normalised name and address, E.164 phone, SIREN, domains).
- `settings()`: the comparisons and blocking rules; `train()` estimates the
  m and u probabilities without labels (u by random sampling, m by EM) and
  `model.json` keeps the result, so runs are quick and deterministic.
- `predict()`: scored pairs above the threshold, with the fields that agreed.

The prior (splink's `probability_two_random_records_match`) is stored as the
expected number of matches per record and scaled to the size of the data at
prediction time: national data and the small samples then get the same
evidence threshold for the same pair.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
import splink.comparison_level_library as cll
import splink.comparison_library as cl

from pipeline import enrich

HERE = Path(__file__).resolve().parent
MODEL_PATH = HERE / "model.json"
# Pairs at or above this probability are matches (chosen on bench/bench_enrich.py, see bench/RESULTS.md).
THRESHOLD = 0.5
# Blocking on a name's word within a postal code skips words more structures than this share there.
MAX_BLOCK = 25
COMPARED = ("nom", "lieu", "siret", "telephone", "courriel", "domaine")
INPUT_COLUMNS = ("unique_id", "source", "nom", "nom_tokens", "adresse", "voie", "numero", "code_insee", "code_postal",
                 "latitude", "longitude", "siret", "siren", "telephone", "courriel", "domaine_courriel", "domaine_web")

logging.getLogger("splink").setLevel(logging.WARNING)


def records(con: duckdb.DuckDBPyConnection, source_table: str, output: str) -> None:
    """Linkage records (`output`) from a table of schema-v1 structures."""
    enrich.prepare(con)
    sql = (HERE / "records.sql").read_text(encoding="utf-8")
    con.execute(sql.replace("{input}", source_table).replace("{output}", output)
                .replace("{max_block}", str(MAX_BLOCK)))


def _name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="nom",
        comparison_levels=[
            cll.NullLevel("nom"),
            cll.CustomLevel("nom_l = nom_r", "identical"),
            cll.CustomLevel("damerau_levenshtein(nom_l, nom_r) <= 2 and least(length(nom_l), length(nom_r)) >= 8",
                            "a typo apart"),
            cll.CustomLevel("enrich_jaccard(nom_tokens_l, nom_tokens_r) >= 0.75", "most words"),
            cll.CustomLevel("enrich_jaccard(nom_tokens_l, nom_tokens_r) >= 0.5", "half the words"),
            cll.CustomLevel("enrich_jaccard(nom_tokens_l, nom_tokens_r) >= 0.25", "some words"),
            cll.ElseLevel(),
        ],
    )


SAME_ADDRESS = ("(adresse_l = adresse_r or (numero_l = numero_r "
                "and jaro_winkler_similarity(voie_l, voie_r) >= 0.88))")
KM = "enrich_km(latitude_l, longitude_l, latitude_r, longitude_r)"


def _place() -> cl.CustomComparison:
    """Address and coordinates as one piece of evidence: both say "same place", and counting them
    twice would make two structures of one building look like one."""
    return cl.CustomComparison(
        output_column_name="lieu",
        comparison_levels=[
            cll.CustomLevel("(adresse_l is null or adresse_r is null) and (latitude_l is null or latitude_r is null)",
                            "null").configure(is_null_level=True),
            cll.CustomLevel(f"{SAME_ADDRESS} and coalesce({KM} <= 0.3, true)", "same address"),
            cll.CustomLevel(f"{KM} <= 0.05", "within 50 m"),
            cll.CustomLevel(f"{SAME_ADDRESS} or {KM} <= 0.3 "
                            "or jaro_winkler_similarity(adresse_l, adresse_r) >= 0.8", "close"),
            cll.CustomLevel(f"{KM} <= 2", "within 2 km"),
            cll.ElseLevel(),
        ],
    )


def _domain() -> cl.CustomComparison:
    """Same website, or an e-mail at the structure's own domain (consumer mail domains are dropped)."""
    return cl.CustomComparison(
        output_column_name="domaine",
        comparison_levels=[
            cll.CustomLevel("coalesce(domaine_web_l, domaine_courriel_l) is null "
                            "or coalesce(domaine_web_r, domaine_courriel_r) is null", "null").configure(is_null_level=True),
            cll.CustomLevel("domaine_web_l = domaine_web_r", "same website"),
            cll.CustomLevel("domaine_courriel_l = domaine_courriel_r or domaine_web_l = domaine_courriel_r "
                            "or domaine_courriel_l = domaine_web_r", "same e-mail or web domain"),
            cll.ElseLevel(),
        ],
    )


def settings(link_type: str = "dedupe_only") -> SettingsCreator:
    """Comparisons and the blocking rules that make the pairs to score."""
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=[
            _name(),
            _place(),
            cl.CustomComparison(
                output_column_name="siret",
                comparison_levels=[
                    cll.NullLevel("siret"),
                    cll.ExactMatchLevel("siret"),
                    cll.ExactMatchLevel("siren"),
                    cll.ElseLevel(),
                ],
            ),
            cl.ExactMatch("telephone").configure(term_frequency_adjustments=True),
            cl.ExactMatch("courriel").configure(term_frequency_adjustments=True),
            _domain(),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("code_postal", "nom_rares", arrays_to_explode=["nom_rares"]),
            block_on("code_postal", "voie"),
            block_on("code_postal", "telephone"),
            block_on("siret"),
            block_on("siren", "code_insee"),
            block_on("courriel"),
        ],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
        additional_columns_to_retain=["source"],
    )


@dataclass(frozen=True)
class Model:
    """Trained splink settings and the expected number of matches per record."""

    splink: dict[str, Any]
    matches_per_record: float

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "Model":
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["splink"], data["matches_per_record"])

    def save(self, path: Path = MODEL_PATH) -> None:
        data = {"matches_per_record": self.matches_per_record, "splink": self.splink}
        path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")

    def for_data(self, link_type: str, left: int, right: int | None = None) -> dict[str, Any]:
        """Splink settings for data of this size: the prior scaled from matches per record."""
        pairs_per_record = (right if link_type == "link_only" else left - 1) or 1
        prior = min(0.5, self.matches_per_record / max(pairs_per_record, 1))
        return {**self.splink, "link_type": link_type, "probability_two_random_records_match": prior}


def _strip_runtime(settings_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings_dict.items() if k not in ("linker_uid", "sql_dialect")}


def _smooth(trained: dict[str, Any], floor: float = 0.02) -> dict[str, Any]:
    """No single disagreement proves a non-match (producers make mistakes): every m is at least `floor`."""
    for comparison in trained["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if "m_probability" in level]
        raised = [max(level["m_probability"], floor) for level in levels]
        for level, m in zip(levels, raised):
            level["m_probability"] = m / sum(raised)
    return trained


def train(con: duckdb.DuckDBPyConnection, table: str, seed: int = 1) -> Model:
    """Estimate the model without labels on linkage records in `table` (dedupe)."""
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register(table), settings(), log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("siret", "code_postal"), block_on("telephone", "code_postal"), block_on("courriel")], recall=0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    # Each session learns from pairs that agree on something the others compare: pairs of the same name
    # teach what a match's address and contacts look like, pairs of the same phone what its name looks like
    # (several structures of one building share an address, rarely a name and a phone).
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("nom", "code_postal"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("telephone"))
    trained = _smooth(_strip_runtime(linker.misc.save_model_to_json(overwrite=True)))
    count = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    return Model(trained, round(trained["probability_two_random_records_match"] * (count - 1), 6))


def predict(con: duckdb.DuckDBPyConnection, tables: list[str], output: str, model: Model | None = None,
            threshold: float = THRESHOLD) -> int:
    """Scored pairs at or above `threshold` into `output`: one table = duplicates, two = left/right links.

    `output` has left_id, right_id, left_source, right_source, match_probability
    (6 decimals) and agreeing_fields (the compared fields whose evidence was for
    a match), sorted.
    """
    model = model or Model.load()
    sizes = [con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in tables]
    link_type = "dedupe_only" if len(tables) == 1 else "link_only"
    db_api = DuckDBAPI(connection=con)
    frames = [db_api.register(t) for t in tables]
    linker = Linker(frames if len(frames) > 1 else frames[0],
                    model.for_data(link_type, sizes[0], sizes[1] if len(sizes) > 1 else None), log_level=None)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    agreeing = ", ".join(f"case when mw_{c} > 0 then '{c}' end" for c in COMPARED)
    if link_type == "link_only":
        left_tag = con.execute(f"select source_dataset_l from {predictions.physical_name} limit 1").fetchall()
        # splink puts the first registered table on the left when it can; order is made explicit below
        order = "source_dataset_l = " + (f"'{frames[0].templated_name}'" if left_tag else "''")
        ids = (f"case when {order} then unique_id_l else unique_id_r end as left_id, "
               f"case when {order} then unique_id_r else unique_id_l end as right_id, "
               f"case when {order} then source_l else source_r end as left_source, "
               f"case when {order} then source_r else source_l end as right_source")
    else:
        ids = "unique_id_l as left_id, unique_id_r as right_id, source_l as left_source, source_r as right_source"
    con.execute(
        f"create or replace table {output} as "
        f"select {ids}, round(match_probability, 6) as match_probability, "
        f"list_filter([{agreeing}], lambda x: x is not null) as agreeing_fields "
        f"from {predictions.physical_name} order by left_id, right_id"
    )
    linker.table_management.delete_tables_created_by_splink_from_db()
    return con.execute(f"select count(*) from {output}").fetchall()[0][0]

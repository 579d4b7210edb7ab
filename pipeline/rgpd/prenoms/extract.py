"""Rebuild `prenoms.csv` from Jörg Michael's first-name dictionary (`nam_dict.txt`).

Usage: python pipeline/rgpd/prenoms/extract.py PATH/TO/nam_dict.txt
The dictionary ships in the `gender-guesser` 0.4.0 wheel (gender_guesser/data/nam_dict.txt).
Keeps every name of 3 letters or more, lower-cased without accents, one per line, sorted.
"""

from __future__ import annotations

import csv
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent


def fold(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("+", "-")


def main(source: Path) -> None:
    names: set[str] = set()
    with source.open(encoding="utf-8") as handle:
        for line in handle:
            if line[:1] in "#=" or len(line) < 31:
                continue
            name = fold(line.split()[1])
            if len(name) >= 3 and all(c.isalpha() or c in "-'" for c in name):
                names.add(name)
    with (HERE / "prenoms.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["prenom"])
        writer.writerows([n] for n in sorted(names))


if __name__ == "__main__":
    main(Path(sys.argv[1]))

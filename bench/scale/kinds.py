"""Kinds of structures: how they are named, their typology code, whether they carry their commune's SIREN.

Name patterns use `{c}` (the commune), `{w}` (a word of the social field) and
`{p}` (a person or place name, as in "Centre social Louise Michel").
Typology codes are source values of `pipeline/sources/vocab/typologies.csv`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.scale import world


@dataclass(frozen=True)
class Kind:
    patterns: tuple[str, ...]
    typologie: str
    communal: bool = False  # a service of the commune itself: SIRET of the commune's SIREN


KINDS = {
    "ccas": Kind(("CCAS de {c}", "Centre communal d'action sociale de {c}", "CCAS {c}"), "CCAS", communal=True),
    "mairie": Kind(("Mairie de {c}", "Ville de {c}", "Hôtel de ville de {c}"), "MUNI", communal=True),
    "mission-locale": Kind(("Mission locale de {c}", "Mission locale {c} et environs", "Mission locale du pays de {c}"),
                           "ML"),
    "centre-social": Kind(("Centre social {p}", "Centre social de {c}", "Maison de quartier {p}", "Espace de vie sociale {c}"),
                          "CS"),
    "association": Kind(("Association {w} {c}", "{w} Insertion", "Les Amis de {p}", "{w} Solidarité {c}", "Asso {w}"),
                        "ASSO"),
    "france-services": Kind(("France services {c}", "France services de {c}", "Espace France services {c}"), "RFS"),
    "numerique": Kind(("Espace public numérique de {c}", "Médiathèque {p}", "Médiathèque de {c}", "Cyber-base {c}",
                       "Fab lab {w} {c}", "Tiers-lieu {p}"), "EPN"),
    "iae": Kind(("Chantier d'insertion {w}", "{w} Emploi", "Régie de quartier {c}", "Atelier {w} {c}",
                 "Ressourcerie {w}", "Jardins de {p}"), "ACI"),
    "alimentaire": Kind(("Restos du cœur {c}", "Secours populaire {c}", "Épicerie solidaire {p}", "Banque alimentaire {c}",
                         "Distribution alimentaire {p}", "Secours catholique {c}"), "ASSO"),
    "accueil-de-jour": Kind(("Accueil de jour {p}", "Halte de nuit {c}", "Bains-douches {c}", "Boutique solidarité {c}",
                             "CHRS {p}"), "CHRS"),
    "departement": Kind(("Maison départementale des solidarités de {c}", "Centre médico-social de {c}",
                         "Espace départemental des solidarités {c}"), "MDS"),
    "plie": Kind(("PLIE de {c}", "Maison de l'emploi de {c}", "Cap emploi {c}"), "PLIE"),
    "france-travail": Kind(("Agence France Travail {C}",), "FT"),
    "sante": Kind(("CMP adultes {c}", "Centre médico-psychologique {p}", "CMP enfants et adolescents {c}"), "CMP"),
    "esat": Kind(("ESAT {p}", "ESAT de {c}", "Établissement et service d'aide par le travail {w}"), "ESAT"),
    "mdph": Kind(("Maison départementale des personnes handicapées",), "MDPH"),
}

WORDS = ("Avenir", "Tremplin", "Passerelle", "Horizon", "Rebond", "Élan", "Trait d'union", "Solidarité", "Entraide",
         "Parcours", "Relais", "Envol", "Boussole", "Réussir", "Ensemble", "Accueil", "Renaissance", "Cap",
         "Emmaüs", "Le Pont", "La Clé", "Agir", "Partage", "Initiative", "Lien")
PEOPLE = ("Louise Michel", "Jean Moulin", "Simone Veil", "Victor Hugo", "Nelson Mandela", "Jacques Prévert",
          "Aimé Césaire", "Marie Curie", "Olympe de Gouges", "des Tilleuls", "du Centre", "des Quatre Vents",
          "Jules Verne", "Saint-Exupéry", "Rosa Parks", "Lucie Aubrac", "les Acacias", "la Fontaine")


def name(kind: str, commune: world.Commune, rng: random.Random) -> str:
    pattern = rng.choice(KINDS[kind].patterns)
    return pattern.format(c=commune.nom, C=commune.nom.upper(), w=rng.choice(WORDS), p=rng.choice(PEOPLE))


def draw(key: str, kind: str, rng: random.Random, commune: world.Commune | None = None,
         siret_share: float = 0.8) -> world.Place:
    """A new place of a kind, in a commune drawn by population unless given."""
    commune = commune or world.draw_commune(rng)
    communal = KINDS[kind].communal and commune.siren
    return world.make_place(key, kind, name(kind, commune, rng), commune, rng,
                            siren=commune.siren if communal else None, siret_share=siret_share)


def pick(mix: dict[str, float], rng: random.Random) -> str:
    """A kind drawn from a {kind: weight} mix."""
    return rng.choices(list(mix), weights=list(mix.values()))[0]

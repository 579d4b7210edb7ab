"""Kinds of structures: how they are named, their typology code, whether they carry their commune's SIREN.

Name patterns use `{c}` (the commune), `{w}` (a word of the social field) and
`{p}` (a person or place name, as in "Centre social Louise Michel").
Typology codes are source values of `pipeline/sources/vocab/typologies.csv`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.scale import world

if TYPE_CHECKING:
    from bench.scale.base import Context


@dataclass(frozen=True)
class Kind:
    patterns: tuple[str, ...]
    typologie: str
    communal: bool = False  # a service of the commune itself: SIRET of the commune's SIREN
    single: bool = False  # at most one per commune (the CCAS, the mairie…): two sources naming it mean one place


KINDS = {
    "ccas": Kind(("CCAS de {c}", "Centre communal d'action sociale de {c}", "CCAS {c}"), "CCAS", single=True),
    "mairie": Kind(("Mairie de {c}", "Ville de {c}", "Hôtel de ville de {c}"), "MUNI", communal=True, single=True),
    "mission-locale": Kind(("Mission locale de {c}", "Mission locale {c} et environs", "Mission locale du pays de {c}"),
                           "ML", single=True),
    "centre-social": Kind(("Centre social {p}", "Centre social de {c}", "Maison de quartier {p}", "Espace de vie sociale {c}"),
                          "CS"),
    "association": Kind(("Association {w} {c}", "{w} Insertion", "Les Amis de {p}", "{w} Solidarité {c}", "Asso {w}"),
                        "ASSO"),
    "france-services": Kind(("France services {c}", "France services de {c}", "Espace France services {c}"), "RFS", single=True),
    "numerique": Kind(("Espace public numérique de {c}", "Médiathèque {p}", "Médiathèque de {c}", "Cyber-base {c}",
                       "Fab lab {w} {c}", "Tiers-lieu {p}"), "EPN"),
    "iae": Kind(("Chantier d'insertion {w}", "{w} Emploi", "Régie de quartier {c}", "Atelier {w} {c}",
                 "Ressourcerie {w}", "Jardins de {p}"), "ACI"),
    "alimentaire": Kind(("Restos du cœur {c}", "Secours populaire {c}", "Épicerie solidaire {p}", "Banque alimentaire {c}",
                         "Distribution alimentaire {p}", "Secours catholique {c}"), "ASSO"),
    "accueil-de-jour": Kind(("Accueil de jour {p}", "Halte de nuit {c}", "Bains-douches {c}", "Boutique solidarité {c}",
                             "CHRS {p}"), "CHRS"),
    "departement": Kind(("Maison départementale des solidarités de {c}", "Centre médico-social de {c}",
                         "Espace départemental des solidarités {c}"), "MDS", single=True),
    "plie": Kind(("PLIE de {c}", "Maison de l'emploi de {c}", "Cap emploi {c}"), "PLIE"),
    "france-travail": Kind(("Agence France Travail {C}",), "FT", single=True),
    "sante": Kind(("CMP adultes {c}", "Centre médico-psychologique {p}", "CMP enfants et adolescents {c}"), "CMP"),
    "esat": Kind(("ESAT {p}", "ESAT de {c}", "Établissement et service d'aide par le travail {w}"), "ESAT"),
    "mdph": Kind(("Maison départementale des personnes handicapées",), "MDPH", single=True),
}

WORDS = ("Avenir", "Tremplin", "Passerelle", "Horizon", "Rebond", "Élan", "Trait d'union", "Solidarité", "Entraide",
         "Parcours", "Relais", "Envol", "Boussole", "Réussir", "Ensemble", "Accueil", "Renaissance", "Cap",
         "Emmaüs", "Le Pont", "La Clé", "Agir", "Partage", "Initiative", "Lien", "Escale", "Amitié", "Main tendue",
         "Archipel", "Sésame", "Tandem", "Étape", "Boussole", "Carrefour", "Coup de pouce", "Épi", "Fil d'Ariane",
         "Graine", "Oasis", "Phare", "Racines", "Regain", "Ricochet", "Sillon", "Tremplin jeunes", "Trajectoire",
         "Vivre ensemble", "Ailes", "Arc-en-ciel", "Atelier", "Bouge", "Cocagne", "Déclic", "Essor", "Fraternité")
PEOPLE = ("Louise Michel", "Jean Moulin", "Simone Veil", "Victor Hugo", "Nelson Mandela", "Jacques Prévert",
          "Aimé Césaire", "Marie Curie", "Olympe de Gouges", "des Tilleuls", "du Centre", "des Quatre Vents",
          "Jules Verne", "Saint-Exupéry", "Rosa Parks", "Lucie Aubrac", "les Acacias", "la Fontaine", "Pablo Neruda",
          "Gisèle Halimi", "Jean Jaurès", "Germaine Tillion", "Frida Kahlo", "Martin Luther King", "Joséphine Baker",
          "Albert Camus", "George Sand", "Colette", "Léo Lagrange", "Paul Éluard", "des Cèdres", "du Parc",
          "de la Gare", "du Marché", "des Peupliers", "Bel Air", "Beauséjour", "les Mimosas", "le Moulin", "la Source")
SITES = ("antenne Nord", "antenne Sud", "site 2", "quartier Est", "annexe", "permanence du centre", "antenne Ouest")


def name(kind: str, commune: world.Commune, rng: random.Random) -> str:
    pattern = rng.choice(KINDS[kind].patterns)
    return pattern.format(c=commune.nom, C=commune.nom.upper(), w=rng.choice(WORDS), p=rng.choice(PEOPLE))


def draw(ctx: "Context", source: str, kind: str, siret_share: float = 0.8) -> world.Place:
    """A place of a kind in a commune drawn by population, as `source` knows it.

    A place is one per name and commune (one per commune for the CCAS, the
    mairie…): when another source already holds it, this source gets the same
    place as it writes it (a true duplicate across sources); when this source
    already holds it, the new one lies in another commune, or (a big city
    drawn again and again) is an association there, or an antenna.
    """
    rng = ctx.rng
    commune = world.draw_commune(rng)
    for attempt in range(6):
        if attempt == 4 and KINDS[kind].single:
            kind = "association"
        elif 0 < attempt < 4:
            commune = world.draw_commune(rng)
        spec = KINDS[kind]
        nom = name(kind, commune, rng)
        # One per commune: Paris, Lyon and Marseille have one CCAS, not one per arrondissement.
        key = (kind, commune.commune_code) if spec.single else (nom.lower(), commune.code_insee)
        owners, place = ctx.registry.get(key, (set(), None))
        if place is None:
            break
        if source not in owners:  # known to other sources, not yet to this one: the same place
            owners.add(source)
            return world.as_written_elsewhere(place, rng)
    else:
        nom = f"{nom} ({rng.choice(SITES)})"
        key = (nom.lower(), commune.code_insee)
    communal = spec.communal and commune.siren
    place = world.make_place(f"{source}:{len(ctx.registry)}", kind, nom, commune, rng,
                             siren=commune.siren if communal else None, siret_share=siret_share)
    ctx.registry[key] = ({source}, place)
    return place


def pick(mix: dict[str, float], rng: random.Random) -> str:
    """A kind drawn from a {kind: weight} mix."""
    return rng.choices(list(mix), weights=list(mix.values()))[0]

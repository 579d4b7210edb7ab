"""France Travail: its agencies, from the Référentiel des agences API (OAuth2 client credentials).

Structures only. The national service catalogue that the real pipeline
cross-joins with every agency lives in a separate Grist document (other
credentials, no public sample), so it is not part of this source.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.http import HttpClient
from pipeline.sources.base import FillRate, RawFile, Source, SourceError


class FranceTravail(Source):
    name = "france-travail"
    title = "France Travail : référentiel des agences"
    producer = "France Travail"
    licence = "etalab-2.0"
    homepage = "https://francetravail.io/data/api/referentiel-agences"
    protocol = (
        "OAuth2 client_credentials (POST formulaire au point de jeton), puis JSON des agences "
        "(GET …/agences?horaire=true) avec l'en-tête Authorization: Bearer"
    )
    streams = ("agences",)
    entities = ("structures",)
    settings = {
        "url": "https://api.francetravail.io/partenaire/referentielagences/v1/agences?horaire=true",
        "token_url": "https://entreprise.francetravail.fr/connexion/oauth2/access_token?realm=/partenaire",
        "scope": "api_referentielagencesv1 organisationpe",
    }
    credentials = {"client_id": "FRANCE_TRAVAIL_CLIENT_ID", "client_secret": "FRANCE_TRAVAIL_CLIENT_SECRET"}
    fill_rates = (
        FillRate("structures", "siret", 0.9),
        FillRate("structures", "adresse", 0.9),
        FillRate("structures", "horaires_accueil", 0.5),
    )

    def fetch(self, http: HttpClient) -> Iterator[RawFile]:
        token = self.access_token(http)
        url = self.setting("url")
        response = http.get(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        yield RawFile.from_response("agences-0001.json", "agences", response)

    def access_token(self, http: HttpClient) -> str:
        """A token from the client-credentials grant; the token answer itself is never archived."""
        client_id = self.credential("client_id")
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": self.credential("client_secret"),
            "scope": f"application_{client_id} {self.setting('scope')}",
        }
        url = self.setting("token_url")
        response = http.post(url, data=form, headers={"Accept": "application/json"})
        try:
            token = response.json().get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token.strip():
            raise SourceError(f"{self.name}: the token endpoint {url} answered HTTP {response.status_code} "
                              "without an access_token")
        return token.strip()


SOURCE = FranceTravail()

"""The producers' habits that make real data hard: HTML, odd codes, and a share of plainly invalid values.

Two kinds of noise: what a good pipeline repairs or reads through (HTML in
descriptions, a postal code that lost its leading zero in a spreadsheet, an
arrondissement code, a phone written with dots) and invalid values the
schema refuses (an e-mail without domain, a 13-digit SIRET, a date of 1999, a
web site without scheme), which must end in quarantine, never in the files.
"""

from __future__ import annotations

import html as html_lib
import random
from datetime import date, timedelta


class Noise:
    def __init__(self, rng: random.Random, invalid_share: float):
        self.rng = rng
        self.invalid_share = invalid_share

    def chance(self, share: float) -> bool:
        return self.rng.random() < share

    def invalid(self) -> bool:
        """Whether this value is one of the ~1% invalid ones."""
        return self.rng.random() < self.invalid_share

    def html(self, text: str) -> str:
        """The text as a rich-text editor saves it: paragraphs, line breaks, bold, sometimes entities or a script."""
        if not text:
            return text
        sentences = [s.strip() for s in text.replace("\n", ". ").split(". ") if s.strip()]
        body = "".join(f"<p>{s.rstrip('.')}.</p>" for s in sentences) or f"<p>{text}</p>"
        roll = self.rng.random()
        if roll < 0.3:
            body = body.replace("</p><p>", "<br/>", 1)
        elif roll < 0.5:
            body = f"<div><strong>{sentences[0] if sentences else text}</strong></div>{body}"
        elif roll < 0.6:
            body = html_lib.escape(body, quote=False).replace("&lt;", "<").replace("&gt;", ">")
            body = body.replace("é", "&#233;").replace("è", "&#232;").replace("’", "&#8217;")
        elif roll < 0.62:
            body += "<script>alert('x')</script>"
        return body

    def email(self, email: str) -> str:
        if not email:
            return email
        local, _, domain = email.partition("@")
        return self.rng.choice((f"{local}@", f"{local} at {domain}", f"{local}@@{domain}", f"{local}@{domain.split('.')[0]}",
                                f"{email};{email}"))

    def siret(self, siret: str) -> str:
        return self.rng.choice((siret[:13] if siret else "1234567890123", (siret or "12345678901234")[:9] + " 000AB"))

    def url(self, url: str) -> str:
        return (url or "https://www.example.fr").split("://", 1)[-1].replace("www.", "www ", 1 if self.chance(0.3) else 0)

    def old_date(self) -> date:
        """A date the schema refuses (before 2000), as legacy exports hold."""
        return date(1970, 1, 1) + timedelta(days=self.rng.randrange(365 * 29))

    def postal_code(self, code: str) -> str:
        """A postal code the schema refuses: one digit short (a spreadsheet ate the zero) or with letters."""
        return self.rng.choice((code.lstrip("0")[:4] or "1000", code[:2] + "O" + code[3:], f"{code} CEDEX"))

    def odd_insee(self, code_insee: str, commune_code: str, postal_code: str) -> str:
        """A code INSEE as producers really give it: the arrondissement, the parent, or the postal code by mistake."""
        return self.rng.choice((code_insee, commune_code, postal_code))

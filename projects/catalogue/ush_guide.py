"""Parser for the USH guide « 10 000 logements accompagnés » (September 2015).

The seed file ``ush-guide-10000-logements-accompagnes-2015.txt`` is an
OCR / markdown-ish export of the PDF guide.  It holds, after a synthesis part,
92 project monographs ("fiches") grouped by the categories of the guide's
typology::

    1    coordination partenariale
    2.1  accès            2.2  maintien            2.3  accès et maintien
    3.1  santé mentale    3.2  femmes victimes de violences conjugales
    3.3  jeunes en insertion                       3.4  gens du voyage
    3.5  sortants d'incarcération                  3.6  personnes âgées isolées

This module is pure Python (no Django import).  ``parse_guide(text)`` returns a
``Guide`` or raises ``GuideParseError`` listing every problem found, each with
the 1-based line number of the file.

How a fiche is laid out
-----------------------
A fiche always has the same three parts, but the export renders them in several
layouts (tab-separated table rows, or one label / value per line, or a mix):

1. a header: the carriers line ("GRAND LYON HABITAT EN PARTENARIAT AVEC
   L'AHSo") and the number + title ("1.4. PROJET PLACE : ...").  In the tab
   layout both sit on one line; otherwise the carriers are the paragraph just
   above the number line (sometimes in bold markdown over two lines);
2. an "info block": territory, "Nbre de ménages accompagnés", "Nbre de
   logements mobilisés", "Accès et / ou maintien";
3. a body of labelled rows: Nature du projet, Objectifs, Profil des ménages,
   Statut d'occupation, Nature de l'accompagnement, Nature de l'offre, Moyens
   mis en œuvre, Coût global du projet, Durée du projet, Contact.

Every quirk of the source handled here is commented where it is handled; the
short list: renumbered fiches (``RENUMBERED_FICHES``), numbers without their
trailing dot, a title glued to its number, missing labels (orphan paragraphs,
a duration that ran into the Contact cell), stray table cells, a contact that
ran into the Durée cell, bold two-line carriers, ``<div>`` boxes around the
territory, tab-separated tables vs one-per-line layouts, and the per-category
summary tables (N° / Localisation / Organisme / Page) that are not fiches.

Counting rule (from the guide)
------------------------------
A target stated "par an" or "en file active" counts figure × duration in years
(upper bound of a range); otherwise the figure itself.  With that rule the
per-category counts and household sums equal the guide's own typology table,
which ``parse_guide`` checks.

Privacy
-------
Contact rows (names, e-mails) are dropped entirely.  Every kept text is also
scrubbed of e-mail addresses, phone numbers, "Firstname LASTNAME - e-mail"
fragments and of every contact name read from the Contact rows, because the
source sometimes lets a contact run into a neighbouring cell.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

__all__ = [
    "CarrierEntry",
    "ProjectEntry",
    "Guide",
    "GuideParseError",
    "parse_guide",
    "RENUMBERED_FICHES",
    "CARRIER_KIND_OVERRIDES",
]


# ---------------------------------------------------------------------------
# Public data model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CarrierEntry:
    """An organisation named in a fiche's carriers header."""

    name: str  # organisation name as printed, cleaned and re-cased
    kind: str  # "landlord" | "association" | "landlord_group" | "other"
    role: str  # "lead" (organisme Hlm porteur) | "partner"


@dataclass(frozen=True)
class ProjectEntry:
    """One project monograph ("fiche") of the guide."""

    number: str  # canonical number without trailing dot, e.g. "2.3.19"
    printed_number: str  # as printed, e.g. "6.7."
    category: str  # "1", "2.1", ..., "3.6"
    title: str
    carriers_text: str  # the header naming carriers, as printed (no markdown)
    carriers: tuple[CarrierEntry, ...]
    territory_text: str
    departements: tuple[str, ...]  # INSEE codes ("69", "2A", "973"...)
    households_text: str  # as printed, e.g. "30 par an", "90"
    households_figure: int  # the figure as printed (upper bound of a range)
    households_basis: str  # "total" | "per_year" | "active_file"
    households_target: int  # counted with the guide's rule
    units_text: str
    units: int | None
    access_or_maintain: str
    nature: str
    objectives: str
    household_profile: str
    occupancy_status: str
    support: str
    offer: str
    means: str
    cost_text: str
    duration_text: str
    duration_years: float | None  # longest duration mentioned (upper bound)
    line: int  # 1-based line where the fiche starts (its carriers line)


@dataclass(frozen=True)
class Guide:
    projects: tuple[ProjectEntry, ...]
    # As printed in "Répartition des projets par thématique", leaf categories
    # only: {"1": (8, 520), "2.1": (19, 908), ...}
    typology_table: dict[str, tuple[int, int]]

    def project(self, number: str) -> ProjectEntry:
        """Return the fiche with this canonical number (KeyError if absent)."""
        for project in self.projects:
            if project.number == number:
                return project
        raise KeyError(number)


class GuideParseError(Exception):
    """The guide is malformed or truncated.

    ``errors`` is a list of ``(line number, French message)``; ``str(error)``
    lists them one per line as ``"ligne N : message"``.
    """

    def __init__(self, errors: Sequence[tuple[int, str]]):
        self.errors: list[tuple[int, str]] = sorted(errors, key=lambda e: e[0])
        super().__init__(
            "\n".join(f"ligne {line} : {message}" for line, message in self.errors)
        )


# ---------------------------------------------------------------------------
# Explicit override tables (every entry documents the printed text)
# ---------------------------------------------------------------------------

# (category, number as printed without trailing dot) -> real number.
RENUMBERED_FICHES: dict[tuple[str, str], str] = {
    # Last fiche of section 2.3 (Emmaüs Habitat, Nanterre, "PROJET SOCIAL SUR UN
    # IMMEUBLE PLUS / PLAI") is printed "6.7."; the section's summary table
    # lists it as "2.3.19 Nanterre Emmaüs Habitat p.47".
    ("2.3", "6.7"): "2.3.19",
    # The Toit et Joie fiche is printed "3.1.14." right after 3.1.12; the
    # summary table of section 3.1 lists it as "3.1.13 Ile-de-France Toit et
    # Joie p.56" and there is no other 3.1.13.
    ("3.1", "3.1.14"): "3.1.13",
}

# Folded organisation name -> kind, for names the keyword heuristic gets wrong.
CARRIER_KIND_OVERRIDES: dict[str, str] = {
    # "Droit de Cité Habitat" is an association (partner of Efidis, 3.2.1),
    # although its name contains "Habitat".
    "droit de cite habitat": "association",
    # "Habitat Jeunes Développement (membre UNHAJ)" manages youth residences
    # for Habitat Guyanais (3.3.6): an association despite "Habitat".
    "habitat jeunes developpement": "association",
    # "La Maison du Logement" (3.2.3, Dax) is an association despite "Logement".
    "la maison du logement": "association",
    # Aralis is the association managing the foyers of GIE Est Habitat (2.1.17:
    # "sorties de foyers et résidences sociales d'Aralis").
    "aralis": "association",
    # RSF (Résidence Sociale de France) is I3F's social-housing subsidiary
    # (2.2.5: "I3F et sa filiale RSF"), listed among the partners.
    "rsf": "landlord",
    # "LE GIC" (3.3.1) is an Action Logement collector, not an association.
    "gic": "other",
}

# Items of a carriers header that merely describe the previous name.
CARRIER_APPOSITIONS: frozenset[str] = frozenset(
    {
        # 2.3.17 "LOGISENS, OPH DU DEPARTEMENT DU CANTAL": Logisens *is* the OPH
        # of the Cantal, a single landlord.
        "oph du departement du cantal",
    }
)

# Multi-word names containing " et " that must not be split on " et ".
PROTECTED_NAMES: tuple[str, ...] = (
    "habitat et humanisme",
    "cooperation et famille",
    "marne et chanterine habitat",
    "maine et loire habitat",
    "opac de saone et loire",
    "toit et joie",
)


# ---------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------

_SPECIAL_FOLDS = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "’": "'", "‘": "'", "ʼ": "'"}


@lru_cache(maxsize=None)
def _fold_char(ch: str) -> str:
    """Lower-case, accent-free form of one character (œ -> oe)."""
    if ch in _SPECIAL_FOLDS:
        return _SPECIAL_FOLDS[ch]
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def fold(text: str) -> str:
    """Accent- and case-insensitive form of ``text`` used for every comparison."""
    return "".join(_fold_char(c) for c in text)


def _fold_same_length(text: str) -> str:
    """Like ``fold`` but one output character per input character (for masks)."""
    return "".join((_fold_char(c) or " ")[0] for c in text)


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` plus, for each folded character, its index in ``text``."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        chars.append(folded)
        index.extend([i] * len(folded))
    return "".join(chars), index


def _words_key(text: str) -> str:
    """Folded text reduced to alphanumeric words separated by single spaces."""
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


_TAG_RE = re.compile(r"</?[A-Za-z][^>]*>|<https?://[^>]*>")
_WS_RE = re.compile(r"\s+")


def _clean(text: str) -> str:
    """Remove HTML tags (<div>, <ul>, <i>...), markdown bold and extra spaces."""
    text = _TAG_RE.sub(" ", text)
    text = text.replace("**", " ")
    text = _WS_RE.sub(" ", text).strip()
    return text.replace(" ,", ",")


def _mostly_upper(text: str, ratio: float = 0.8) -> bool:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 3:
        return False
    return sum(c.isupper() for c in letters) / len(letters) >= ratio


# ---------------------------------------------------------------------------
# Privacy: e-mails, phone numbers, contact names
# ---------------------------------------------------------------------------

_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_EMAIL_RE = re.compile(_EMAIL)
# French phone numbers: 01 40 75 78 41, 01.40.75.78.41, +33 1 40 75 78 41...
_PHONE_RE = re.compile(r"(?<![\d,.])(?:\+33\s?(?:\(0\)\s?)?|0)[1-9](?:[\s.\-]?\d{2}){4}(?!\d)")
_UPPER = "A-ZÀ-ÖØ-ÞŒ"
_LOWER = "a-zß-öø-ÿœ"
# "Etienne FABRIS - e.fabris@..." : first name(s), SURNAME, separator, e-mail.
_PERSON_EMAIL_RE = re.compile(
    rf"(?:(?:[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)*\s+){{1,3}}"
    rf"[{_UPPER}][{_UPPER}'-]+(?:\s+[{_UPPER}][{_UPPER}'-]+)*\s*[-–—,:]?\s*)?{_EMAIL}"
)
_DANGLING_SEPARATORS = " -–—,;:/"


class _Scrubber:
    """Removes personal data from any text kept in the output."""

    def __init__(self, names: Iterable[str] = ()):
        alternatives = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
        self.names_re = (
            re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if alternatives else None
        )

    def __call__(self, text: str) -> str:
        original = text
        text = _PERSON_EMAIL_RE.sub(" ", text)
        text = _EMAIL_RE.sub(" ", text)
        text = _PHONE_RE.sub(" ", text)
        if self.names_re is not None:
            text = self.names_re.sub(" ", text)
        text = _WS_RE.sub(" ", text).strip()
        if text != _WS_RE.sub(" ", original).strip():
            # Something was removed: drop the separators it leaves behind.
            text = text.strip(_DANGLING_SEPARATORS)
        return text


def _contact_names(contact_value: str) -> list[str]:
    """Person names found in a Contact row ("Corinne BERTRAND - c@x.fr ...")."""
    text = _DURATION_LEAD_RE.sub(" ", contact_value)  # 3.3.3: "2 ans Baptiste ..."
    text = _EMAIL_RE.sub(" | ", text)
    names = []
    for chunk in re.split(r"\|| / |\s[-–—]\s?|,|;|\bet\b", text):
        chunk = chunk.strip(_DANGLING_SEPARATORS + " ")
        words = chunk.split()
        if len(words) >= 2 and any(w.isupper() and len(w) > 1 for w in words):
            names.append(chunk)
    return names


# ---------------------------------------------------------------------------
# Numbers and durations
# ---------------------------------------------------------------------------

_NUMBER_WORDS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6}
_NUM = r"\d+(?:[,.]\d+)?|un|une|deux|trois|quatre|cinq|six"
# "3 ans", "18 mois", "un an", "2 à 3 ans", "1 an renouvelable"...
_DURATION_RE = re.compile(
    rf"(?<![\w,.])({_NUM})\s*(?:(?:à|-|–)\s*({_NUM})\s*)?(ans?|années?|mois)\b", re.IGNORECASE
)
# A duration at the very start of a cell (used when it ran into another cell).
_DURATION_LEAD_RE = re.compile(
    rf"^\s*(?:{_NUM})\s*(?:(?:à|-)\s*(?:{_NUM})\s*)?(?:ans?|années?|mois)\b"
    r"(?:\s*\(?(?:renouvelable|reconductible)s?\)?)?",
    re.IGNORECASE,
)
# A figure, possibly with thousands separated by (narrow no-break) spaces,
# optionally followed by "à N" (range: the upper bound counts).
_FIGURE_RE = re.compile(r"(\d{1,3}(?:[\u00a0\u202f ]\d{3})+|\d+)(?:\s*(?:à|-|–)\s*(\d+))?")


def _to_number(token: str) -> float:
    token = token.lower()
    if token in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[token])
    return float(token.replace(",", "."))


def _duration_years(text: str) -> float | None:
    """Longest duration mentioned, in years ("18 mois" -> 1.5).

    Upper bound of a range ("2 à 3 ans" -> 3) and of several mentions ("1 an
    reconductible sur 3 ans" -> 3).  "1 an, reconductible une à deux fois"
    stays 1: "une à deux fois" is not a duration.
    """
    best: float | None = None
    for match in _DURATION_RE.finditer(text):
        value = _to_number(match.group(2) or match.group(1))
        years = value / 12 if match.group(3).lower() == "mois" else value
        best = years if best is None else max(best, years)
    return best


def _first_figure(text: str) -> int | None:
    """First figure of ``text`` outside parentheses (upper bound of a range)."""
    match = _FIGURE_RE.search(re.sub(r"\([^)]*\)", " ", text))
    if not match:
        return None
    token = match.group(2) or match.group(1)
    return int(re.sub(r"\D", "", token))


def _households_basis(text: str) -> str:
    """"per_year" / "active_file" / "total" from the households text.

    Parentheses are ignored: "20 (10 par an)" states a total of 20 (2.2.10),
    "22 (11 en accès et 11 en maintien)" a total of 22 (3.1.1).
    """
    main = fold(re.sub(r"\([^)]*\)", " ", text))
    if "file active" in main:
        return "active_file"
    if re.search(r"\bpar an\b", main):
        return "per_year"
    return "total"


def _int_cell(text: str) -> int | None:
    compact = re.sub(r"[\s\u00a0\u202f]", "", text)
    return int(compact) if compact.isdigit() else None


# ---------------------------------------------------------------------------
# Départements
# ---------------------------------------------------------------------------

DEPARTEMENTS: dict[str, str] = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes", "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes",
    "09": "Ariège", "10": "Aube", "11": "Aude", "12": "Aveyron",
    "13": "Bouches-du-Rhône", "14": "Calvados", "15": "Cantal", "16": "Charente",
    "17": "Charente-Maritime", "18": "Cher", "19": "Corrèze", "2A": "Corse-du-Sud",
    "2B": "Haute-Corse", "21": "Côte-d'Or", "22": "Côtes-d'Armor", "23": "Creuse",
    "24": "Dordogne", "25": "Doubs", "26": "Drôme", "27": "Eure", "28": "Eure-et-Loir",
    "29": "Finistère", "30": "Gard", "31": "Haute-Garonne", "32": "Gers",
    "33": "Gironde", "34": "Hérault", "35": "Ille-et-Vilaine", "36": "Indre",
    "37": "Indre-et-Loire", "38": "Isère", "39": "Jura", "40": "Landes",
    "41": "Loir-et-Cher", "42": "Loire", "43": "Haute-Loire", "44": "Loire-Atlantique",
    "45": "Loiret", "46": "Lot", "47": "Lot-et-Garonne", "48": "Lozère",
    "49": "Maine-et-Loire", "50": "Manche", "51": "Marne", "52": "Haute-Marne",
    "53": "Mayenne", "54": "Meurthe-et-Moselle", "55": "Meuse", "56": "Morbihan",
    "57": "Moselle", "58": "Nièvre", "59": "Nord", "60": "Oise", "61": "Orne",
    "62": "Pas-de-Calais", "63": "Puy-de-Dôme", "64": "Pyrénées-Atlantiques",
    "65": "Hautes-Pyrénées", "66": "Pyrénées-Orientales", "67": "Bas-Rhin",
    "68": "Haut-Rhin", "69": "Rhône", "70": "Haute-Saône", "71": "Saône-et-Loire",
    "72": "Sarthe", "73": "Savoie", "74": "Haute-Savoie", "75": "Paris",
    "76": "Seine-Maritime", "77": "Seine-et-Marne", "78": "Yvelines",
    "79": "Deux-Sèvres", "80": "Somme", "81": "Tarn", "82": "Tarn-et-Garonne",
    "83": "Var", "84": "Vaucluse", "85": "Vendée", "86": "Vienne",
    "87": "Haute-Vienne", "88": "Vosges", "89": "Yonne", "90": "Territoire de Belfort",
    "91": "Essonne", "92": "Hauts-de-Seine", "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne", "95": "Val-d'Oise", "971": "Guadeloupe",
    "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte",
}

# Cities (and their adjectives) named in the guide's territories.
KNOWN_CITIES: dict[str, str] = {
    "brest": "29", "le havre": "76", "valentigney": "25", "la seyne sur mer": "83",
    "cholet": "49", "bayonne": "64", "brioude": "43", "saint florine": "43",
    "sainte florine": "43", "aurillac": "15", "annecy": "74",
    # 2.1.12 prints "Anancy, Haute-Savoie": a typo for Annecy.
    "anancy": "74",
    "strasbourg": "67", "paris": "75", "metz": "57", "mazamet": "81",
    "maubeuge": "59", "plaine commune": "93", "orleans": "45", "orleanaise": "45",
    "schweighouse sur moder": "67", "carcassonne": "11", "thionville": "57",
    "douai": "59", "tourcoing": "59", "avignon": "84", "mont de marsan": "40",
    "montoise": "40", "rouen": "76", "chartres": "28", "reims": "51", "macon": "71",
    "saintes": "17", "lille": "59", "bordeaux": "33", "muret": "31", "muretain": "31",
    "caen": "14", "nanterre": "92", "marseille": "13", "saint nazaire": "44",
    "lyon": "69", "lyonnaise": "69", "dax": "40", "aubervilliers": "93",
    "nevers": "58", "arras": "62", "poitiers": "86", "le puy en velay": "43",
    "toulouse": "31", "dijon": "21", "cayenne": "973", "chateauroux": "36",
    "rennes": "35",
}

# Paris' "petite couronne" is Hauts-de-Seine, Seine-Saint-Denis, Val-de-Marne.
_GROUPS_OF_DEPARTEMENTS = {"petite couronne": ("92", "93", "94")}

# Region names are removed before matching: "Nord Pas de Calais" must not
# yield Nord (59) nor Pas-de-Calais (62), "Haute-Normandie" nothing.
_REGIONS = (
    "ile de france", "nord pas de calais", "haute normandie", "basse normandie",
    "normandie", "champagne ardenne", "centre val de loire", "centre", "bretagne",
    "pays de la loire", "provence alpes cote d azur", "auvergne rhone alpes",
    "rhone alpes", "auvergne", "nouvelle aquitaine", "aquitaine", "midi pyrenees",
    "languedoc roussillon", "occitanie", "lorraine", "alsace", "grand est",
    "bourgogne", "franche comte", "picardie", "limousin", "poitou charentes",
    "hauts de france",
)

_PLACE_INDEX: list[tuple[str, tuple[str, ...]]] = sorted(
    [(_words_key(name), (code,)) for code, name in DEPARTEMENTS.items()]
    + [(_words_key(name), (code,)) for name, code in KNOWN_CITIES.items()]
    + [(key, codes) for key, codes in _GROUPS_OF_DEPARTEMENTS.items()],
    key=lambda item: len(item[0]),
    reverse=True,
)


def _departements(territory: str) -> tuple[str, ...]:
    """INSEE codes identifiable in a territory text, in order of appearance.

    Département names, known city names and explicit codes ("92, 93, 95")
    count; regions alone ("Ile-de-France") give nothing; "hors Paris" excludes.
    Longest names are matched first and consumed, so "Haute-Loire" does not
    also yield Loire and "Bouches-du-Rhône" does not also yield Rhône.
    """
    text = f" {_words_key(territory)} "
    text = re.sub(r" hors [a-z]+(?: [a-z]+)?", " ", text)  # "(hors Paris)"
    for region in _REGIONS:
        text = text.replace(f" {region} ", " " * (len(region) + 1) + " ")
    found: list[tuple[int, str]] = []
    for key, codes in _PLACE_INDEX:
        needle = f" {key} "
        start = text.find(needle)
        while start != -1:
            found.extend((start + i / 10, code) for i, code in enumerate(codes))
            text = text[:start] + " " * len(needle) + text[start + len(needle):]
            start = text.find(needle)
    for match in re.finditer(r"(?<= )(\d{2,3}|2a|2b)(?= )", text):
        code = match.group(1).upper()
        if code in DEPARTEMENTS:
            found.append((match.start(), code))
    ordered: list[str] = []
    for _, code in sorted(found):
        if code not in ordered:
            ordered.append(code)
    return tuple(ordered)


# ---------------------------------------------------------------------------
# Source lines
# ---------------------------------------------------------------------------


@dataclass
class _Line:
    no: int  # 1-based line number
    raw: str
    cells: list[str]  # cleaned tab-separated cells (may be empty strings)
    boxed: list[bool]  # the raw cell was a <div> box (territory box)

    @property
    def blank(self) -> bool:
        return not any(self.cells)

    @property
    def nonempty(self) -> list[str]:
        return [c for c in self.cells if c]

    @property
    def text(self) -> str:
        return " ".join(self.nonempty)


def _split_lines(text: str) -> list[_Line]:
    lines = []
    for no, raw in enumerate(text.splitlines(), start=1):
        raw_cells = raw.split("\t")
        lines.append(
            _Line(
                no=no,
                raw=raw,
                cells=[_clean(c) for c in raw_cells],
                boxed=["<div" in c.lower() for c in raw_cells],
            )
        )
    return lines


# Body labels (folded) -> field.
_BODY_LABELS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^nature du projet$"), "nature"),
    (re.compile(r"^objectifs?$"), "objectives"),
    (re.compile(r"^profil des menages$"), "household_profile"),
    (re.compile(r"^statut d'occupation$"), "occupancy_status"),
    (re.compile(r"^nature de l'accompagnement$"), "support"),
    (re.compile(r"^nature de l'offre$"), "offer"),
    (re.compile(r"^moyens mis en oeuvre$"), "means"),
    # "Coût global du projet", "Coût global du projet / an", "Coût du projet".
    (re.compile(r"^cout (?:global )?du projet(?: / an)?$"), "cost"),
    # "Durée du projet" or just "Durée" (2.2.2, 2.2.7, 3.4.1).
    (re.compile(r"^duree(?: du projet)?$"), "duration"),
    (re.compile(r"^contacts?$"), "contact"),
]
# Canonical order of the body rows; used to place paragraphs whose label is
# missing in the source.
_BODY_ORDER = [
    "nature", "objectives", "household_profile", "occupancy_status", "support",
    "offer", "means", "cost", "duration", "contact",
]

# French names of the rows, for error messages.
_FIELD_NAMES_FR = {
    "nature": "« Nature du projet »", "objectives": "« Objectifs »",
    "household_profile": "« Profil des ménages »", "occupancy_status": "« Statut d'occupation »",
    "support": "« Nature de l'accompagnement »", "offer": "« Nature de l'offre »",
    "means": "« Moyens mis en œuvre »", "cost": "« Coût global du projet »",
    "duration": "« Durée du projet »", "contact": "« Contact »",
}

_INFO_LABEL_RE = re.compile(
    r"(?P<households>Nbre de m[ée]nages accompagn[ée]s)"
    r"|(?P<units>Nbre de logements mobilis[ée]s)"
    r"|(?P<access>Acc[èe]s et\s*/\s*ou maintien(?: dans le logement)?)",
    re.IGNORECASE,
)


def _body_label(line: _Line) -> str | None:
    cells = line.nonempty
    if not cells:
        return None
    head = fold(cells[0]).rstrip(" :")
    for pattern, name in _BODY_LABELS:
        if pattern.match(head):
            return name
    return None


# ---------------------------------------------------------------------------
# Typology table ("Répartition des projets par thématique")
# ---------------------------------------------------------------------------


@dataclass
class _Typology:
    leaves: dict[str, tuple[int, int]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # leaf -> table line
    total: tuple[int, int] | None = None
    total_line: int = 1


def _parse_typology(lines: list[_Line], errors: list[tuple[int, str]]) -> _Typology:
    """Read the typology table of the synthesis part.

    Rows not starting with "➤" are top-level categories numbered 1, 2, 3 in
    order; "➤" rows are their sub-categories (2.1, 2.2...).  A top-level row
    without sub-rows is itself a leaf (category 1).  Parent rows must equal the
    sum of their children and the "Total" row the sum of the top-level rows.
    """
    typology = _Typology()
    anchor = next(
        (l for l in lines if "repartition des projets par thematique" in fold(l.raw)), None
    )
    if anchor is None:
        errors.append((1, "tableau « Répartition des projets par thématique » introuvable"))
        return typology

    rows: list[tuple[int, str, int, int]] = []
    for line in lines[anchor.no:anchor.no + 40]:
        cells = line.nonempty
        values = [_int_cell(c) for c in cells[-2:]] if len(cells) >= 3 else [None]
        if len(cells) >= 3 and None not in values:
            rows.append((line.no, cells[0], values[0], values[1]))
        elif rows and not line.blank:
            break  # first line after the table
    if not rows:
        errors.append((anchor.no, "tableau de répartition des projets vide ou illisible"))
        return typology

    tops: list[dict] = []
    for no, label, count, households in rows:
        if fold(label).startswith("total"):
            typology.total, typology.total_line = (count, households), no
        elif label.lstrip().startswith(("➤", "-", "•", ">")):
            if not tops:
                errors.append((no, "sous-thématique sans thématique parente"))
                continue
            tops[-1]["children"].append((no, count, households))
        else:
            tops.append({"line": no, "value": (count, households), "children": []})

    for t_index, top in enumerate(tops, start=1):
        if not top["children"]:
            key = str(t_index)
            typology.leaves[key], typology.lines[key] = top["value"], top["line"]
            continue
        for c_index, (no, count, households) in enumerate(top["children"], start=1):
            key = f"{t_index}.{c_index}"
            typology.leaves[key], typology.lines[key] = (count, households), no
        sums = tuple(sum(child[i] for child in top["children"]) for i in (1, 2))
        if sums != top["value"]:
            errors.append(
                (top["line"], f"thématique {t_index} : {top['value']} imprimé, "
                              f"somme des sous-thématiques {sums}")
            )
    if typology.total is None:
        errors.append((rows[-1][0], "ligne « Total » absente du tableau de répartition"))
    else:
        sums = tuple(sum(top["value"][i] for top in tops) for i in (0, 1))
        if sums != typology.total:
            errors.append(
                (typology.total_line,
                 f"total imprimé {typology.total} différent de la somme des thématiques {sums}")
            )
    return typology


# ---------------------------------------------------------------------------
# Re-casing organisation names printed in capitals
# ---------------------------------------------------------------------------

_PARTICLES = {"de", "du", "des", "la", "le", "les", "et", "aux", "au", "en", "pour", "sur", "sous"}
# Acronyms that also exist as ordinary lower-case words ("sa", "pact"...) or
# that the guide never spells in running text.
_KNOWN_ACRONYMS = {
    "sa", "esh", "oph", "opac", "gic", "apsi", "apuis", "ahs", "chrs", "ccas", "chu",
    "gie", "affil", "scic", "icf", "edf", "rsf", "sos", "pact", "cal", "hd", "ceas", "afeji",
}


class _Recaser:
    """Re-cases names printed in capitals using the guide's own spellings.

    The carriers headers are in capitals without accents ("GRAND LYON HABITAT",
    "LA FONDATION DE L'ARMEE DU SALUT") while the summary tables and running
    text spell the same names normally ("Grand Lyon Habitat", "Fondation de
    l'Armée du Salut").  A whole-name match in mixed-case text wins; otherwise
    each word takes its most frequent capitalised spelling in the guide (words
    mostly written in capitals there, like "CCAS" or "FREHA", stay acronyms);
    unknown words are title-cased.
    """

    def __init__(self, lines: list[_Line]):
        self.words: dict[str, Counter[str]] = {}
        kept = []
        for line in lines:
            text = line.text
            if not text or "@" in text or _mostly_upper(text, 0.6):
                continue  # carriers headers, contact rows
            if _body_label(line) == "contact":
                continue
            kept.append(text)
            for word in re.findall(rf"[{_UPPER}{_LOWER}]+", text):
                self.words.setdefault(fold(word), Counter())[word] += 1
        # One searchable text; lines are separated by "\n" so that no match
        # spans two lines.
        self.text = "\n".join(kept)
        self.folded, self.index = _fold_with_map(self.text)

    def phrase(self, name: str) -> str | None:
        words = re.findall(r"[a-z0-9]+", fold(name))
        if not words:
            return None
        # The pattern starts with a literal (fast scan); the word boundary
        # before it is checked by hand.
        pattern = re.compile(r"[ '\-]+".join(map(re.escape, words)) + r"(?![a-z0-9])")
        spellings: Counter[str] = Counter()
        for match in pattern.finditer(self.folded):
            if match.start() and self.folded[match.start() - 1].isalnum():
                continue
            spelled = self.text[self.index[match.start()]:self.index[match.end() - 1] + 1]
            if spelled[:1].isupper():
                spellings[spelled] += 1
        if not spellings:
            return None

        def capitalised_words(spelled: str) -> int:
            # "Reims Habitat" (summary table) beats "Reims habitat" (running text).
            words = [w for w in re.findall(r"\w+", spelled) if fold(w) not in _PARTICLES]
            return sum(w[:1].isupper() for w in words)

        return max(spellings, key=lambda s: (capitalised_words(s), spellings[s]))

    def word(self, word: str, first: bool) -> str:
        key = fold(word)
        if any(c.isdigit() for c in word):
            return word.upper()  # "3F", "PACT13", "CLIC7"
        if key in _KNOWN_ACRONYMS:
            return word.upper()
        if key in ("st", "ste"):
            return key.capitalize()  # "ST-NAZAIRE" -> "St-Nazaire"
        if key in _PARTICLES and not first:
            return key
        spellings = self.words.get(key, Counter())
        upper = sum(n for s, n in spellings.items() if s.isupper() and len(s) > 1)
        if upper and upper > sum(spellings.values()) - upper:
            return word.upper()
        capitalised = [(n, s) for s, n in spellings.items() if s[:1].isupper() and not s.isupper()]
        if capitalised:
            return max(capitalised)[1]
        lower = [(n, s) for s, n in spellings.items() if s.islower()]
        if lower:
            spelled = max(lower)[1]
            return spelled[:1].upper() + spelled[1:]
        if not re.search(r"[aeiouy]", key):
            return word.upper()  # "FH", "HD": no vowel, an acronym
        return word[:1].upper() + word[1:].lower()

    def __call__(self, name: str) -> str:
        if not _mostly_upper(name, 0.95):
            return name  # already printed in mixed case ("AHSo", "Groupement ... GALILE")
        spelled = self.phrase(name)
        if spelled:
            return spelled
        out = []
        # Tokens: words, with elided articles ("D'", "L'") and hyphen parts.
        for i, token in enumerate(name.split()):
            parts = re.split(r"(['’\-])", token)
            rebuilt = ""
            for part in parts:
                if part in ("'", "’", "-") or not part:
                    rebuilt += part
                    continue
                elided = part.lower() in ("d", "l") and parts.index(part) == 0 and len(parts) > 1
                if elided:
                    rebuilt += part.lower() if (i or rebuilt) else part.upper()
                else:
                    rebuilt += self.word(part, first=(i == 0 and not rebuilt))
            out.append(rebuilt)
        return " ".join(out)


# ---------------------------------------------------------------------------
# Carriers
# ---------------------------------------------------------------------------

_CONNECTOR_RE = re.compile(
    r"\s*[,–—-]?\s*\b(?:en\s+partenariat\s+avec|en\s+lien\s+avec|avec)\b\s*:?\s*", re.IGNORECASE
)
_LIST_SEPARATOR_RE = re.compile(r"\s*,\s*|\s+/\s+|\s+[–—-]\s+|\s+et\s+", re.IGNORECASE)
_GENERIC_ITEM_RE = re.compile(
    r"^(?:les?\s+)?(?:\d+|un|une|deux|trois|quatre|cinq|plusieurs)\s+"
    r"(?:associations?|collectivites?|bailleurs?|organismes?|partenaires?)\b"
)
_ASSOCIATION_PREFIX_RE = re.compile(r"^(?:l'\s*|les?\s+)?(associations?)\s+", re.IGNORECASE)
_ARTICLE_RE = re.compile(r"^(?:(le|la|les)\s+|(l)'\s*)", re.IGNORECASE)
# After an article, these words show a common noun: the article is dropped
# ("LE CCAS" -> "CCAS", "LA FONDATION ..." -> "Fondation ..."), whereas it is
# kept in proper names ("Le Relais", "La Nantaise d'Habitations").
_COMMON_NOUNS = {
    "association", "fondation", "collectif", "centre", "groupement", "ville", "foyer",
    "communaute", "commune", "mairie", "conseil",
}

_OTHER_RE = re.compile(
    r"\bccas\b|\bcasvp\b|centre d'action sociale|\bsiao\b|conseil (?:departemental|general|regional)"
    r"|\bville de\b|^(?:la |les )?communes?\b|\bmairie\b|\bchu\b|\bchs\b|\bcmp\b|hopital|centre hospitalier"
    r"|\bedf\b|\bclic\d*\b|\brpsm\b|atelier sante ville|groupement (?:social )?de cooperation"
    r"|\bspip\b|\bcaf\b|\betat\b"
)
_GROUP_RE = re.compile(
    r"^gie\b|\baffil\b|^groupe\b|groupement.*bailleurs?|collectif.*bailleurs?|inter ?bailleurs"
)
_ASSOCIATION_RE = re.compile(
    r"\bassociations?\b|\bfondation\b|armee du salut|habitat et humanisme|\bfreha\b|\bpact\w*"
    r"|\bchrs\b|\bcal\b|solidarit|insertion|\bcollectif\b|foyer d'accueil"
)
_LANDLORD_RE = re.compile(
    r"habitat|logement|logis|\boph\b|\bopac\b|\besh\b|\bhlm\b|immobiliere|residence|\b3f\b"
    r"|\bsa\b|habitation"
)


def _group_hints(summary_rows: Iterable["_SummaryRow"]) -> set[str]:
    """Names the summary tables describe as groups of landlords.

    E.g. "ADO Habitat 35 (collectif de bailleurs d'Ille-et-Vilaine)", "GIE Est
    Habitat (groupement de bailleurs sociaux)", "Habitat Réuni (groupement de
    bailleurs)".
    """
    hints = set()
    for row in summary_rows:
        match = re.match(r"^(.*?)\s*[(,]\s*(?:collectif|groupement)\b", fold(row.organisation))
        if match:
            hints.add(_words_key(match.group(1)))
    return hints


def _classify(name: str, segment: str, explicit: str | None, group_hints: set[str]) -> str:
    """Kind of an organisation: override table, then keyword heuristic.

    Order: explicit override table; "l'association X" prefix; public / health
    bodies ("other"); groups of landlords; associations; landlords; finally
    the segment decides (the porteur segment lists organismes Hlm, the
    partner segment associations).
    """
    key = _words_key(name)
    folded = fold(name)
    for candidate in (key, _words_key(_ARTICLE_RE.sub("", name))):
        if candidate in CARRIER_KIND_OVERRIDES:
            return CARRIER_KIND_OVERRIDES[candidate]
    if explicit:
        return explicit
    if _OTHER_RE.search(folded):
        return "other"
    if key in group_hints or _GROUP_RE.search(folded):
        return "landlord_group"
    if _ASSOCIATION_RE.search(folded):
        return "association"
    if _LANDLORD_RE.search(folded):
        return "landlord"
    return "landlord" if segment == "lead" else "association"


def _mask(text: str) -> str:
    """Same-length copy of ``text`` where separators must not split.

    Parenthesised text and the " et " of protected names are masked.
    """
    folded = _fold_same_length(text)
    masked = list(folded)
    depth = 0
    for i, ch in enumerate(folded):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth:
            masked[i] = "_"
    for name in PROTECTED_NAMES:
        for match in re.finditer(r"\b" + re.escape(name) + r"\b", folded):
            for i in range(match.start(), match.end()):
                if masked[i] == " ":
                    masked[i] = "_"
    return "".join(masked)


def _split_list(text: str) -> list[str]:
    """Split "A, B ET C / D" outside parentheses and protected names."""
    masked = _mask(text)
    items, last = [], 0
    for match in _LIST_SEPARATOR_RE.finditer(masked):
        items.append(text[last:match.start()])
        last = match.end()
    items.append(text[last:])
    return [i.strip(" .;:") for i in items if i.strip(" .;:")]


def _split_paren(item: str) -> tuple[str, str]:
    match = re.match(r"^(.*?)\s*\((.*)\)\s*$", item)
    return (match.group(1), match.group(2)) if match else (item, "")


@dataclass
class _CarrierContext:
    recase: _Recaser
    scrub: _Scrubber
    group_hints: set[str]


def _carrier_name(item: str, ctx: _CarrierContext) -> tuple[str, str | None, bool]:
    """Clean one carriers item: (name, explicit kind, plural association prefix)."""
    item = item.replace("«", " ").replace("»", " ").replace('"', " ")
    item = _WS_RE.sub(" ", item).strip(" .;:")
    explicit, plural = None, False
    # Drop a leading article before "association(s)" and the word itself:
    # "L'ASSOCIATION JULIENNE JAVEL" -> "JULIENNE JAVEL" (an association).
    article = _ARTICLE_RE.match(item)
    rest = item[article.end():] if article else item
    prefix = _ASSOCIATION_PREFIX_RE.match(rest)
    if prefix:
        explicit, plural = "association", prefix.group(1).lower().endswith("s")
        item = rest[prefix.end():]
        article = _ARTICLE_RE.match(item)
        rest = item[article.end():] if article else item
    if article:
        recased_rest = ctx.recase(rest)
        first_word = recased_rest.split()[0] if recased_rest.split() else ""
        # "AHSo", "CCAS", "CHRS": starts with two capitals, an acronym.
        is_acronym = re.match(rf"[{_UPPER}0-9]{{2}}", first_word) is not None
        if is_acronym or fold(first_word) in _COMMON_NOUNS:
            name = recased_rest  # "LE CCAS DE CAEN" -> "CCAS de Caen"
        else:
            name = ctx.recase(item)  # keep the article: "Le Relais"
    else:
        name = ctx.recase(item)
    name = name[:1].upper() + name[1:] if name[:1].islower() else name
    return ctx.scrub(name), explicit, plural


def _parse_carriers(
    carriers_text: str, table_organisation: str | None, ctx: _CarrierContext
) -> tuple[CarrierEntry, ...]:
    """Split a carriers header into organisations with kind and role.

    "A, B ET C EN PARTENARIAT AVEC D ET E": the part before the connector
    ("en partenariat avec", "en lien avec", "avec") names the porteurs, the
    part after it the partners.  Group syntax "GIE X : A ET B", "AFFIL POUR A,
    B", "GROUPE 3F (A, B)" lists members, who are carriers too.  Other
    parentheses expand an acronym ("AHS (HABITAT SOCIAL HOTELIER)") and are
    dropped.  Generic mentions ("4 ASSOCIATIONS") name no organisation.
    A landlord (or group) of the porteur part is "lead", anything else is a
    "partner".
    """
    text = _WS_RE.sub(" ", carriers_text).strip()
    match = _CONNECTOR_RE.search(text)
    segments = [("lead", text[:match.start()] if match else text)]
    if match:
        segments.append(("partner", text[match.end():]))

    entries: list[CarrierEntry] = []
    seen: set[str] = set()

    def add(name: str, kind: str, segment: str) -> None:
        key = _words_key(name)
        if not key or key in seen:
            return
        seen.add(key)
        role = "lead" if segment == "lead" and kind in ("landlord", "landlord_group") else "partner"
        entries.append(CarrierEntry(name=name, kind=kind, role=role))

    def handle_items(items: list[str], segment: str) -> None:
        sticky_kind = None  # "LES ASSOCIATIONS A ET B": both are associations
        for raw_item in items:
            head, paren = _split_paren(raw_item)
            key = _words_key(head)
            if not key or _GENERIC_ITEM_RE.match(key) or key in CARRIER_APPOSITIONS:
                continue
            name, explicit, plural = _carrier_name(head, ctx)
            if plural:
                sticky_kind = "association"
            explicit = explicit or sticky_kind
            paren_folded = fold(paren)
            if paren and re.search(r"groupement|collectif", paren_folded) and "bailleur" in paren_folded:
                # "HABITAT REUNI (GROUPEMENT INTER BAILLEURS)": describes a group.
                add(name, "landlord_group", segment)
                continue
            kind = _classify(name, segment, explicit, ctx.group_hints)
            add(name, kind, segment)
            if paren and kind == "landlord_group":
                # "GROUPE 3F (IMMOBILIERE 3F, EST HABITAT CONSTRUCTION...)": members.
                handle_items(_split_list(paren), segment)

    for segment, part in segments:
        # Group syntax with ":" or "POUR": "GIE EST HABITAT : EST METROPOLE
        # HABITAT ET ASSOCIATION ALYNEA", "AFFIL POUR LOGEMENT FRANCILIEN, ...".
        group = re.match(r"^(.+?)\s*(?::|\bpour\b)\s*(.+)$", part, re.IGNORECASE)
        if group and _GROUP_RE.search(fold(group.group(1).strip())):
            part = f"{group.group(1).strip()} ({group.group(2).strip()})"
        handle_items(_split_list(part), segment)

    if not any(e.role == "lead" for e in entries) and table_organisation:
        # "LES TROIS BAILLEURS SOCIAUX DU DEPARTEMENT DE LA MAYENNE" (2.1.5)
        # names no landlord: the section summary table does ("Mayenne Habitat,
        # Méduane Habitat et Logis Familial Mayennais").
        for item in _split_list(table_organisation):
            head, _ = _split_paren(item)
            name = ctx.scrub(head.strip())
            kind = _classify(name, "lead", None, ctx.group_hints)
            add(name, kind, "lead")
        # Leads first, as in the header.
        entries.sort(key=lambda e: e.role != "lead")
    return tuple(entries)


# ---------------------------------------------------------------------------
# Document structure
# ---------------------------------------------------------------------------


@dataclass
class _SummaryRow:
    number: str
    location: str
    organisation: str
    line: int


@dataclass
class _Header:
    """A fiche number line found in the document."""

    line_index: int  # index in the lines list
    cell_index: int
    cell_text: str
    category: str | None


_TOP_HEADING_RE = re.compile(r"^projets de categorie\s+(\d+)\s*:?")
_SUB_HEADING_RE = re.compile(r"^(\d+(?:\.\d+)+)\.?\s*:\s*\S")
_FICHE_NUMBER_RE = re.compile(r"^(\d+(?:\.\d+)+)(\.?)\s*(.*)$")
_TABLE_ROW_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)+\.?$")
_PAGE_RE = re.compile(r"^p\.?\s*\d+$", re.IGNORECASE)


def _is_table_header(line: _Line) -> bool:
    cells = line.nonempty
    return (
        len(cells) >= 3
        and fold(cells[0]).rstrip(".") in ("n°", "no", "n", "numero")
        and fold(cells[1]).startswith("localisation")
    )


def _header_match(line: _Line) -> tuple[int, str] | None:
    """(cell index, cell text) of a fiche number + title, if the line has one.

    A fiche number has at least two components ("1.4", "2.3.19") and is
    followed, in the same cell, by a title in capitals.  The summary-table
    rows (number alone in its cell), the sub-category headings ("2.1. : ...")
    and the "- 2.1. Accompagnement ..." lists do not qualify.
    """
    if _body_label(line) or _INFO_LABEL_RE.search(line.text):
        return None
    for j, cell in enumerate(line.cells):
        match = _FICHE_NUMBER_RE.match(cell)
        if not match:
            continue
        title = match.group(3)
        if title and not title.startswith(":") and _mostly_upper(title):
            return j, cell
    return None


@dataclass
class _Document:
    headers: list[_Header] = field(default_factory=list)
    # category -> (heading line number)
    categories: dict[str, int] = field(default_factory=dict)
    summary: dict[str, list[_SummaryRow]] = field(default_factory=dict)
    # line indexes that end a fiche (headings, summary tables)
    boundaries: list[int] = field(default_factory=list)


def _scan(lines: list[_Line], errors: list[tuple[int, str]]) -> _Document:
    """First pass: category headings, summary tables and fiche number lines."""
    doc = _Document()
    start = next(
        (i for i, l in enumerate(lines) if l.cells and _TOP_HEADING_RE.match(fold(l.cells[0]))),
        None,
    )
    if start is None:
        errors.append((1, "aucune section « Projets de catégorie » trouvée"))
        return doc

    category: str | None = None
    in_table = False
    for i in range(start, len(lines)):
        line = lines[i]
        first = line.nonempty[0] if line.nonempty else ""
        top = _TOP_HEADING_RE.match(fold(first))
        sub = _SUB_HEADING_RE.match(first)
        if top:
            category = top.group(1)
            doc.categories.setdefault(category, line.no)
            doc.boundaries.append(i)
            in_table = False
            continue
        if sub:
            category = sub.group(1)
            if category in doc.categories and doc.categories[category] != line.no:
                errors.append((line.no, f"catégorie {category} en double"))
            doc.categories[category] = line.no
            doc.boundaries.append(i)
            in_table = False
            continue
        if _is_table_header(line):
            # Summary table "N° / Localisation / Organisme Hlm porteur / Page":
            # not fiches, but its rows are used to cross-check the numbers.
            in_table = True
            doc.boundaries.append(i)
            continue
        if in_table:
            cells = line.nonempty
            if len(cells) >= 3 and _TABLE_ROW_NUMBER_RE.match(cells[0]) and _PAGE_RE.match(cells[-1]):
                row = _SummaryRow(cells[0].rstrip("."), cells[1], " ".join(cells[2:-1]), line.no)
                doc.summary.setdefault(category or "?", []).append(row)
                doc.boundaries.append(i)
                continue
            in_table = False
        found = _header_match(line)
        if found:
            doc.headers.append(_Header(i, found[0], found[1], category))
    return doc


# ---------------------------------------------------------------------------
# Fiche parsing
# ---------------------------------------------------------------------------


@dataclass
class _Draft:
    """A fiche being parsed; turned into a ProjectEntry when complete."""

    line: int
    category: str | None
    number: str = ""
    printed_number: str = ""
    title: str = ""
    carriers_text: str = ""
    territory_text: str = ""
    households_text: str = ""
    households_line: int = 0
    units_text: str = ""
    access: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    field_lines: dict[str, int] = field(default_factory=dict)
    households_target: int | None = None


def _canonical_number(
    digits: str, cell: str, category: str | None, line_no: int, errors: list[tuple[int, str]]
) -> tuple[str, str, str]:
    """(number, printed number, title) of a fiche number cell."""
    match = _FICHE_NUMBER_RE.match(cell)
    assert match is not None
    printed = match.group(1) + match.group(2)
    title = match.group(3).strip()
    if category is None:
        errors.append((line_no, f"fiche {printed} hors de toute catégorie"))
        return digits, printed, title
    if (category, digits) in RENUMBERED_FICHES:
        # Misprinted numbers: see RENUMBERED_FICHES.
        return RENUMBERED_FICHES[(category, digits)], printed, title
    expected = category.count(".") + 2  # "1" -> 1.x ; "2.1" -> 2.1.x
    parts = digits.split(".")
    prefix = category.split(".")
    if len(parts) > expected and parts[: expected - 1] == prefix:
        # Title glued to its number: "2.3.4.10 000 LOGEMENTS ACCOMPAGNES" is
        # fiche 2.3.4 titled "10 000 LOGEMENTS ACCOMPAGNES".
        number = ".".join(parts[:expected])
        return number, number + ".", cell[len(number):].lstrip(". ").strip()
    if len(parts) != expected or parts[:-1] != prefix:
        errors.append(
            (line_no, f"numéro de fiche {printed} incohérent avec la catégorie {category}")
        )
    return digits, printed, title


def _carriers_block(lines: list[_Line], header: _Header, floor: int) -> tuple[int, str]:
    """(start index, carriers text) of a fiche whose number line is ``header``.

    Tab layout: the carriers are the cells before the number cell.  Otherwise
    they are the paragraph right above the number line (blank lines skipped),
    e.g. the bold "**EMMAÜS HABITAT EN PARTENARIAT AVEC\\nFREHA, HABITAT ET
    HUMANISME**" on two lines.  ``floor`` is the first index the block may use.
    """
    line = lines[header.line_index]
    before = [c for c in line.cells[: header.cell_index] if c]
    if before:
        return header.line_index, " ".join(before)
    i = header.line_index - 1
    while i >= floor and lines[i].blank:
        i -= 1
    end = i
    while i >= floor and not lines[i].blank:
        i -= 1
    start = i + 1
    if start > end:
        return header.line_index, ""
    return start, " ".join(lines[k].text for k in range(start, end + 1))


def _title_end(lines: list[_Line], header: _Header, stop: int) -> int:
    """Index of the last line of a title printed in bold over several lines.

    "**2.2.5. UN ACCOMPAGNEMENT ADAPTE A TOUS POUR" continues on the next line
    up to the closing "**".
    """
    raw = lines[header.line_index].raw.split("\t")[header.cell_index].strip()
    if not raw.startswith("**") or raw.count("**") % 2 == 0:
        return header.line_index
    for k in range(header.line_index + 1, stop):
        if "**" in lines[k].raw:
            return k
    return header.line_index


def _parse_info(block: list[_Line], draft: _Draft) -> None:
    """Territory, households, units and access rows before the body.

    The rows come in every layout: one cell holding all three labels, one
    label per line with the value in the next cell or on the next line, the
    territory in a <div> box or a plain cell.  All cells are cut into a stream
    of labels and texts; the texts before the first label are territory
    candidates, the texts after a label its value.
    """
    stream: list[tuple[str, str, int, bool]] = []  # (kind, text, line, boxed)
    for line in block:
        for cell, boxed in zip(line.cells, line.boxed):
            if not cell:
                continue
            position = 0
            for match in _INFO_LABEL_RE.finditer(cell):
                before = cell[position:match.start()].strip(" :?")
                if before:
                    stream.append(("text", before, line.no, boxed))
                stream.append((match.lastgroup or "", match.group(), line.no, False))
                position = match.end()
            rest = cell[position:].strip(" :?") if position else cell
            if rest:
                stream.append(("text", rest, line.no, boxed))

    first_label = next((k for k, item in enumerate(stream) if item[0] != "text"), len(stream))
    places = stream[:first_label]
    # A <div> box holds the territory; other loose cells before the labels are
    # stray (3.4.1 repeats "Nouveau Logis Provençal GROUPE SNI" there).
    boxed = [p for p in places if p[3]]
    draft.territory_text = " ".join(p[1] for p in (boxed or places))

    values: dict[str, tuple[list[str], int]] = {}
    current = None
    for kind, text, line_no, _ in stream[first_label:]:
        if kind != "text":
            current = kind
            values.setdefault(kind, ([], line_no))
        elif current:
            values[current][0].append(text)
    households, draft.households_line = values.get("households", ([], 0))
    draft.households_text = " ".join(households)
    draft.units_text = " ".join(values.get("units", ([], 0))[0])
    draft.access = _clean_access(" ".join(values.get("access", ([], 0))[0]))


def _clean_access(value: str) -> str:
    """Clean the "Accès et / ou maintien" value.

    Stray cells repeating the figures come first in 3.4.1 ("144 126 Maintien
    dans le logement") and 3.4.2 ("2 2 Accès au logement").  A value that
    restarts with a capitalised "Accès"/"Maintien" holds a repeated cell: 2.3.10
    "accès et maintien" + "Accès et maintien dans le logement", 2.1.18 "accès
    et maintien" + "Accès au logement"; the last restart is the printed value.
    """
    value = re.sub(r"^[\d\s?]+", "", value).strip()
    starts = [m.start() for m in re.finditer(r"\b(?:Accès|Maintien)\b", value)]
    if starts and starts[-1] > 0:
        value = value[starts[-1]:]
    return value


def _parse_body(body: list[_Line], draft: _Draft) -> None:
    """Labelled rows of the body, whatever the layout.

    A row is a label cell followed by its value in the next cells (tab
    layout) or in the following paragraph (one-per-line layout).  A further
    paragraph without a label is an orphan: when labels are missing between
    the current row and the next one (2.2.7 has no "Moyens mis en œuvre"
    label before "Réalisation de l'accompagnement social ..."), it fills the
    first missing one; otherwise it continues the current value (2.2.8).
    """
    sequence = [label for label in map(_body_label, body) if label]
    present = set(sequence)
    paragraphs: dict[str, list[list[str]]] = {}
    current: str | None = None
    position = -1  # index in ``sequence`` of the last label seen
    open_paragraph: list[str] | None = None

    for line in body:
        label = _body_label(line)
        if label:
            position += 1
            current = label
            paragraphs.setdefault(label, [])
            draft.field_lines.setdefault(label, line.no)
            inline = " ".join(line.nonempty[1:])
            open_paragraph = [inline] if inline else None
            if open_paragraph:
                paragraphs[label].append(open_paragraph)
            continue
        if line.blank:
            open_paragraph = None
            continue
        if current is None:
            continue  # nothing before the first label once the info block is cut
        if open_paragraph is not None:
            open_paragraph.append(line.text)
            continue
        if paragraphs[current]:
            following = sequence[position + 1] if position + 1 < len(sequence) else None
            lo = _BODY_ORDER.index(current)
            hi = _BODY_ORDER.index(following) if following else len(_BODY_ORDER)
            gap = [k for k in _BODY_ORDER[lo + 1:hi] if k not in present and k not in paragraphs]
            if gap:
                current = gap[0]
                paragraphs[current] = []
                draft.field_lines[current] = line.no
        open_paragraph = [line.text]
        paragraphs[current].append(open_paragraph)

    for key, paras in paragraphs.items():
        draft.fields[key] = _WS_RE.sub(" ", " ".join(" ".join(p) for p in paras)).strip()


def _split_fiches(lines: list[_Line], doc: _Document) -> list[tuple[_Header, int, int]]:
    """(header, start index, end index exclusive) of every fiche."""
    spans = []
    floor = 0
    boundaries = sorted(doc.boundaries)
    starts: list[int] = []
    for header in doc.headers:
        floor = max([floor] + [b + 1 for b in boundaries if b < header.line_index])
        start, _ = _carriers_block(lines, header, floor)
        starts.append(start)
        floor = header.line_index + 1
    for k, header in enumerate(doc.headers):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        after = [b for b in boundaries if b > header.line_index]
        if after:
            end = min(end, after[0])
        spans.append((header, starts[k], end))
    return spans


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def parse_guide(text: str) -> Guide:
    """Parse the whole guide; raise GuideParseError listing every problem."""
    errors: list[tuple[int, str]] = []
    lines = _split_lines(text)
    typology = _parse_typology(lines, errors)
    doc = _scan(lines, errors)
    spans = _split_fiches(lines, doc)

    # --- first pass over the fiches: structure and raw values -------------
    drafts: list[_Draft] = []
    contact_names: list[str] = []
    for header, start, end in spans:
        line = lines[header.line_index]
        draft = _Draft(line=lines[start].no, category=header.category)
        digits = _FICHE_NUMBER_RE.match(header.cell_text).group(1)  # type: ignore[union-attr]
        draft.number, draft.printed_number, draft.title = _canonical_number(
            digits, header.cell_text, header.category, line.no, errors
        )
        _, draft.carriers_text = _carriers_block(lines, header, start)
        title_end = _title_end(lines, header, end)
        for k in range(header.line_index + 1, title_end + 1):
            draft.title = f"{draft.title} {lines[k].text}".strip()

        rest = lines[title_end + 1:end]
        first_body = next((k for k, l in enumerate(rest) if _body_label(l)), len(rest))
        _parse_info(rest[:first_body], draft)
        _parse_body(rest[first_body:], draft)

        contact = draft.fields.pop("contact", "")
        contact_names.extend(_contact_names(contact))
        if not draft.fields.get("duration"):
            # 3.3.3: the "Durée du projet" label is missing and the duration
            # ran into the Contact cell ("Contact  2 ans Baptiste B... – ...").
            lead = _DURATION_LEAD_RE.match(contact)
            if lead:
                draft.fields["duration"] = lead.group(0).strip()
                draft.field_lines["duration"] = draft.field_lines.get("contact", draft.line)
        drafts.append(draft)

    scrub = _Scrubber(contact_names)
    recaser = _Recaser(lines)
    all_rows = [row for rows in doc.summary.values() for row in rows]
    ctx = _CarrierContext(recase=recaser, scrub=scrub, group_hints=_group_hints(all_rows))
    table_by_number = {row.number: row for row in all_rows}

    # --- second pass: typed values, checks --------------------------------
    projects: list[ProjectEntry] = []
    seen_numbers: dict[str, int] = {}
    for draft in drafts:
        where = draft.line
        problems_before = len(errors)
        if draft.number in seen_numbers:
            errors.append(
                (where, f"numéro de fiche {draft.number} en double (déjà ligne {seen_numbers[draft.number]})")
            )
        seen_numbers.setdefault(draft.number, where)
        if not draft.title:
            errors.append((where, f"fiche {draft.number} : titre absent"))
        if not draft.carriers_text:
            errors.append((where, f"fiche {draft.number} : porteurs absents"))
        if not draft.territory_text:
            errors.append((where, f"fiche {draft.number} : territoire absent"))
        # The guide itself omits at most two rows in a fiche (1.3 has neither
        # "Statut d'occupation" nor "Nature de l'accompagnement"); more missing
        # rows mean a damaged or truncated fiche.
        missing = [k for k in _BODY_ORDER[:-1] if not draft.fields.get(k)]
        if len(missing) > 2:
            errors.append(
                (where, f"fiche {draft.number} incomplète (tronquée ?) : rubriques absentes "
                        f"{', '.join(_FIELD_NAMES_FR[k] for k in missing)}")
            )

        duration_text = scrub(draft.fields.get("duration", ""))
        duration_years = _duration_years(duration_text)
        households_text = scrub(draft.households_text)
        figure = _first_figure(households_text)
        basis = _households_basis(households_text)
        if figure is None:
            errors.append(
                (draft.households_line or where,
                 f"fiche {draft.number} : nombre de ménages accompagnés absent")
            )
        elif basis != "total" and duration_years is None:
            errors.append(
                (draft.field_lines.get("duration", where),
                 f"fiche {draft.number} : cible « {households_text} » sans durée de projet")
            )
        else:
            factor = duration_years if basis != "total" else 1
            draft.households_target = round(figure * factor)  # type: ignore[operator]

        table_row = table_by_number.get(draft.number)
        carriers = _parse_carriers(
            scrub(draft.carriers_text), table_row.organisation if table_row else None, ctx
        )
        if draft.carriers_text and not any(c.role == "lead" for c in carriers):
            errors.append((where, f"fiche {draft.number} : aucun organisme Hlm porteur identifié"))

        if len(errors) > problems_before or draft.households_target is None:
            continue
        units_text = scrub(draft.units_text)
        projects.append(
            ProjectEntry(
                number=draft.number,
                printed_number=draft.printed_number,
                category=draft.category or "",
                title=scrub(draft.title),
                carriers_text=scrub(draft.carriers_text),
                carriers=carriers,
                territory_text=scrub(draft.territory_text),
                departements=_departements(draft.territory_text),
                households_text=households_text,
                households_figure=figure,  # type: ignore[arg-type]
                households_basis=basis,
                households_target=draft.households_target,
                units_text=units_text,
                units=_first_figure(units_text),
                access_or_maintain=scrub(draft.access),
                nature=scrub(draft.fields.get("nature", "")),
                objectives=scrub(draft.fields.get("objectives", "")),
                household_profile=scrub(draft.fields.get("household_profile", "")),
                occupancy_status=scrub(draft.fields.get("occupancy_status", "")),
                support=scrub(draft.fields.get("support", "")),
                offer=scrub(draft.fields.get("offer", "")),
                means=scrub(draft.fields.get("means", "")),
                cost_text=scrub(draft.fields.get("cost", "")),
                duration_text=duration_text,
                duration_years=duration_years,
                line=draft.line,
            )
        )

    _check_totals(drafts, doc, typology, errors)
    if errors:
        raise GuideParseError(errors)
    return Guide(projects=tuple(projects), typology_table=dict(typology.leaves))


def _check_totals(
    drafts: list[_Draft], doc: _Document, typology: _Typology, errors: list[tuple[int, str]]
) -> None:
    """Compare the fiches with the typology table and the summary tables."""
    by_category: dict[str, list[_Draft]] = {}
    for draft in drafts:
        by_category.setdefault(draft.category or "?", []).append(draft)

    for category, (count, households) in typology.leaves.items():
        where = doc.categories.get(category, typology.lines.get(category, 1))
        found = by_category.get(category, [])
        if category not in doc.categories:
            errors.append((where, f"catégorie {category} introuvable dans les monographies"))
        if len(found) != count:
            errors.append(
                (where, f"catégorie {category} : {len(found)} fiches trouvées, {count} attendues "
                        f"d'après le tableau de répartition (ligne {typology.lines.get(category)})")
            )
        total = sum(d.households_target or 0 for d in found)
        if found and total != households:
            errors.append(
                (where, f"catégorie {category} : {total} ménages comptés, {households} attendus "
                        f"d'après le tableau de répartition (ligne {typology.lines.get(category)})")
            )
        rows = doc.summary.get(category)
        if rows is not None and found:
            listed = [row.number for row in rows]
            numbers = [d.number for d in found]
            if sorted(listed) != sorted(numbers):
                errors.append(
                    (rows[0].line, f"catégorie {category} : le sommaire liste {', '.join(listed)} "
                                   f"mais les fiches sont {', '.join(numbers)}")
                )
        if found:
            # Numbers run 1..n within a category.
            expected = [f"{category}.{k}" for k in range(1, len(found) + 1)]
            if sorted(d.number for d in found) != sorted(expected):
                errors.append((where, f"catégorie {category} : numérotation non continue"))

    for category, found in by_category.items():
        if category not in typology.leaves and typology.leaves:
            errors.append(
                (found[0].line, f"catégorie {category} absente du tableau de répartition")
            )

    if typology.total is not None:
        count, households = typology.total
        total_target = sum(d.households_target or 0 for d in drafts)
        if len(drafts) != count:
            errors.append(
                (typology.total_line, f"{len(drafts)} fiches trouvées, {count} attendues au total")
            )
        if total_target != households:
            errors.append(
                (typology.total_line, f"{total_target} ménages comptés, {households} attendus au total")
            )

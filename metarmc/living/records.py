"""Bibliographic records from the files databases export: MEDLINE, RIS and ClinicalTrials.gov CSV.

Each reader turns one export file into normalised :class:`Record` objects and a list of
:class:`ImportProblem` (``file:line: what was expected``) for the records it could not read;
a malformed record never stops the rest of the file from importing.

- PubMed/MEDLINE tagged text (``.nbib``, ``.txt``): ``PMID- ...`` starts a record, a tag is
  four characters padded with spaces before ``- ``, continuation lines are indented six spaces.
- RIS (Embase, Web of Science, CENTRAL, most reference managers): ``TY  - `` starts a record,
  ``ER  - `` ends it, a tag is two characters, two spaces, a hyphen and a space.
- ClinicalTrials.gov's CSV download (the website's "Download" and the API's ``format=csv``):
  one study a row, columns ``NCT Number``, ``Study Title``, ``Study URL``, ``First Posted`` ...

References
----------
National Library of Medicine. MEDLINE/PubMed data element (field) descriptions.
RIS format specification (Research Information Systems, 2011 revision).
ClinicalTrials.gov. Download study records (CSV) / API v2 ``format=csv``.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ImportProblem", "Imported", "Record", "normal_doi", "normal_title", "read_export", "surname"]

#: Registry identifiers recognised in a record (the NCT number first: it is the one ClinicalTrials.gov uses).
REGISTRY_ID = re.compile(
    r"\b(NCT\d{8}|ISRCTN\d{8}|ACTRN\d{14}|ChiCTR[-\w]*\d{4,}|IRCT\d{6,}N\d+|jRCT\d{10}|UMIN\d{9}|"
    r"CTRI/\d{4}/\d+/\d+|EUCTR\d{4}-\d{6}-\d{2}|\d{4}-\d{6}-\d{2}(?=\D|$))"
)
_DOI = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(1[89]\d{2}|20\d{2}|2100)(?!\d)")
_NCT = re.compile(r"NCT\d{8}")
#: Letters NFKD does not reduce to ASCII.
_FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "ł": "l", "Ł": "L", "đ": "d",
                       "Đ": "D", "þ": "th", "œ": "oe", "Œ": "OE", "ı": "i"})


# --------------------------------------------------------------------------- normalisation


def _ascii(text: str) -> str:
    """``text`` without accents (``Jørgensen`` -> ``Jorgensen``)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normal_title(title: str) -> str:
    """A title reduced for comparison: ASCII, lower case, letters and digits separated by one space.

    Examples
    --------
    >>> normal_title("Jørgensen's IVIG trial: a randomised, double-blind, placebo-controlled study.")
    'jorgensen s ivig trial a randomised double blind placebo controlled study'
    """
    return " ".join(re.sub(r"[^a-z0-9]+", " ", _ascii(title.casefold()).casefold()).split())


def normal_doi(raw: str) -> str:
    """A DOI as ``10.xxxx/...`` in lower case (DOIs are case-insensitive), without URL, ``doi:`` or ``[doi]``.

    Examples
    --------
    >>> normal_doi("http://dx.doi.org/10.1111/1471-0528.13192 [doi]")
    '10.1111/1471-0528.13192'
    >>> normal_doi("not a doi")
    ''
    """
    found = _DOI.search(raw.replace(" [doi]", ""))
    return found.group(0).rstrip(".,;").casefold() if found else ""


def surname(author: str) -> str:
    """The family name of an author as databases print it, reduced like :func:`normal_title`.

    ``Christiansen, Ole B`` (MEDLINE FAU, RIS), ``Christiansen OB`` (MEDLINE AU), ``Christiansen
    O.B.`` (Embase) and ``Jørgensen MM`` all give the part before the comma or the initials.

    Examples
    --------
    >>> [surname(a) for a in ("Christiansen, Ole B", "Christiansen OB", "Christiansen O.B.", "Jørgensen MM")]
    ['christiansen', 'christiansen', 'christiansen', 'jorgensen']
    """
    name = author.split(",")[0].strip()
    words = name.split()
    if len(words) > 1 and re.fullmatch(r"(?:[A-Z]\.?-?){1,4}", words[-1]):
        words = words[:-1]
    return normal_title(" ".join(words))


def _year(text: str) -> int | None:
    found = _YEAR.search(text)
    return int(found.group(0)) if found else None


def _registry_ids(texts) -> str:
    """The registry identifiers named in ``texts``, unique, ``; ``-separated (NCT numbers first)."""
    ids = dict.fromkeys(match.group(0) for text in texts for match in REGISTRY_ID.finditer(text))
    return "; ".join(sorted(ids, key=lambda id_: (not id_.startswith("NCT"), list(ids).index(id_))))


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class ImportProblem:
    """A record of an export file that could not be read: ``file:line: what was expected``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Record:
    """One normalised bibliographic or registry record.

    Parameters
    ----------
    source : str
        A :data:`metarmc.data.SOURCES` name (``pubmed``, ``embase``, ``ctgov`` ...).
    accession : str
        The database's own identifier of the record (PMID, Embase or WoS accession, CENTRAL
        ``CN-`` number, NCT number), or a digest of the record's text when it has none.
    title, authors, year, journal, doi, pmid, registry_id, publication_type
        As normalised by the readers (DOI lower case without prefix; registry ids ``; ``-joined).
    file, line : str, int
        Where the record starts in the export file.
    """

    source: str
    accession: str
    title: str
    authors: tuple[str, ...] = ()
    year: int | None = None
    journal: str = ""
    doi: str = ""
    pmid: str = ""
    registry_id: str = ""
    publication_type: str = ""
    file: str = ""
    line: int = 0

    @property
    def record_id(self) -> str:
        """``source:accession``: the record's key in the screening log (stable across re-imports)."""
        return f"{self.source}:{re.sub(r'[^A-Za-z0-9._-]+', '-', self.accession).strip('-')}"

    @property
    def first_author(self) -> str:
        """The first author's family name, normalised (``""`` without authors)."""
        return surname(self.authors[0]) if self.authors else ""

    def __repr__(self) -> str:
        return f"Record({self.record_id}, {self.year}, {self.title[:50]!r})"


@dataclass(frozen=True)
class Imported:
    """What one export file gave: the records read, and the problems of those that could not be."""

    file: str
    format: str
    records: tuple[Record, ...]
    problems: tuple[ImportProblem, ...] = field(default=())

    def __repr__(self) -> str:
        return f"Imported({self.file}: {self.format}, {len(self.records)} records, {len(self.problems)} problems)"


def _digest(*parts) -> str:
    """A short stable digest of a record's identifying text (for records without an accession)."""
    return "h" + hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:12]


# --------------------------------------------------------------------------- tagged text


@dataclass
class _Tagged:
    """A record of a tagged format being read: where it starts and its fields in order."""

    line: int
    fields: list[tuple[str, str]] = field(default_factory=list)

    def all(self, *tags: str) -> list[str]:
        return [value for tag, value in self.fields if tag in tags]

    def first(self, *tags: str) -> str:
        for tag in tags:  # the tags in order of preference
            values = self.all(tag)
            if values:
                return values[0]
        return ""


_MEDLINE_LINE = re.compile(r"([A-Z][A-Z0-9]{1,3}) {0,3}- ?(.*)")
_RIS_LINE = re.compile(r"([A-Z][A-Z0-9])  - ?(.*)")


def _medline(path: Path, lines: list[str]) -> Imported:
    records, problems, current = [], [], None

    def finish(tagged: _Tagged | None):
        if tagged is not None:
            _collect(path, tagged, _medline_record, records, problems)

    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n\r")
        if not line.strip():
            finish(current)
            current = None
            continue
        if line.startswith("      ") and current is not None and current.fields:
            tag, value = current.fields[-1]
            current.fields[-1] = (tag, f"{value} {line.strip()}")
            continue
        match = _MEDLINE_LINE.fullmatch(line)
        if match is None or len(line) < 6 or line[4:6] != "- ":
            problems.append(ImportProblem(path.name, number, "expected a MEDLINE line 'TAG - value' (tag padded "
                                          f"to four characters) or a continuation indented six spaces; found {line!r}"))
            current = current or _Tagged(number)
            current.fields.append(("!!", line))  # poisons the record: reported once, then skipped
            continue
        current = current or _Tagged(number)
        current.fields.append((match.group(1), match.group(2).strip()))
    finish(current)
    return Imported(path.name, "medline", tuple(records), tuple(problems))


def _collect(path: Path, tagged: _Tagged, build, records: list, problems: list) -> None:
    """Build one record, or note why it cannot be (a record holding a malformed line is skipped)."""
    if any(tag == "!!" for tag, _ in tagged.fields):
        return
    try:
        records.append(build(path, tagged))
    except ValueError as error:
        problems.append(ImportProblem(path.name, tagged.line, str(error)))


def _medline_record(path: Path, tagged: _Tagged) -> Record:
    tag, value = tagged.fields[0]
    if tag != "PMID":
        raise ValueError(f"expected a record to start with 'PMID- '; found '{tag}- {value}'")
    pmid = value
    if not re.fullmatch(r"\d{1,9}", pmid):
        raise ValueError(f"expected the PMID to be digits; found {pmid!r}")
    title = tagged.first("TI", "BTI")
    if not title:
        raise ValueError(f"expected a TI- (title) line in record PMID {pmid}; found none")
    ids = tagged.all("AID", "LID")
    return Record(
        source="pubmed", accession=pmid, title=title.rstrip("."),
        authors=tuple(tagged.all("FAU") or tagged.all("AU")), year=_year(tagged.first("DP")),
        journal=tagged.first("JT", "TA"), doi=next((normal_doi(i) for i in ids if i.endswith("[doi]")), ""),
        pmid=pmid, registry_id=_registry_ids(tagged.all("SI", "AB")),
        publication_type="; ".join(tagged.all("PT")).casefold(), file=path.name, line=tagged.line)


#: RIS reference types (TY) and what they are called in the screening log.
RIS_TYPES = {"JOUR": "journal article", "ABST": "abstract", "CONF": "conference proceeding",
             "CPAPER": "conference paper", "CHAP": "book chapter", "BOOK": "book", "THES": "thesis",
             "RPRT": "report", "GEN": "generic", "ELEC": "web page", "DATA": "dataset"}


def _ris(path: Path, lines: list[str], source: str | None) -> Imported:
    records, problems, current = [], [], None
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n\r")
        if not line.strip():
            continue
        match = _RIS_LINE.fullmatch(line.rstrip())
        if match is None:
            if current is not None and current.fields and not re.match(r"[A-Z][A-Z0-9] {0,3}-", line):
                tag, value = current.fields[-1]  # a wrapped line continues the field before it
                current.fields[-1] = (tag, f"{value} {line.strip()}")
                continue
            problems.append(ImportProblem(path.name, number, "expected an RIS line 'TG  - value' (two characters, "
                                          f"two spaces, a hyphen, a space); found {line!r}"))
            if current is not None:
                current.fields.append(("!!", line))
            continue
        tag, value = match.group(1), match.group(2).strip()
        if tag == "TY":
            if current is not None:
                problems.append(ImportProblem(path.name, current.line, "expected 'ER  - ' to end the record "
                                              f"starting here; found the next 'TY  - ' on line {number}"))
            current = _Tagged(number, [(tag, value)])
        elif current is None:
            problems.append(ImportProblem(path.name, number, f"expected 'TY  - ' to start a record; found {line!r}"))
        elif tag == "ER":
            _collect(path, current, lambda p, t: _ris_record(p, t, source), records, problems)
            current = None
        else:
            current.fields.append((tag, value))
    if current is not None:
        problems.append(ImportProblem(path.name, current.line, "expected 'ER  - ' to end the record starting here; "
                                      "found the end of the file"))
    return Imported(path.name, "ris", tuple(records), tuple(problems))


def _ris_source(tagged: _Tagged, accession: str) -> str:
    """The database a RIS record came from: its DB tag, or the form of its accession number."""
    database = tagged.first("DB").casefold()
    for name, source in (("embase", "embase"), ("web of science", "wos"), ("cochrane", "central"),
                         ("central", "central"), ("medline", "pubmed"), ("pubmed", "pubmed")):
        if name in database:
            return source
    if accession.startswith("WOS:"):
        return "wos"
    if accession.startswith("CN-"):
        return "central"
    if re.fullmatch(r"L\d{6,}", accession):
        return "embase"
    return "other"


def _ris_record(path: Path, tagged: _Tagged, source: str | None) -> Record:
    title = tagged.first("TI", "T1", "CT", "BT")
    if not title:
        raise ValueError("expected a TI or T1 (title) line in the record starting here; found none")
    accession = tagged.first("AN", "U2", "ID", "UI", "M1")
    source = source or _ris_source(tagged, accession)
    authors = tuple(tagged.all("AU", "A1"))
    year = _year(tagged.first("PY", "Y1", "DA", "Y2"))
    if not accession:
        accession = _digest(normal_title(title), year, authors[:1])
    accession = accession.removeprefix("WOS:")
    pmid = next((value for value in tagged.all("C2", "PM", "PMID") if re.fullmatch(r"\d{1,9}", value)), "")
    kinds = [RIS_TYPES.get(tagged.first("TY"), tagged.first("TY").casefold()), *tagged.all("M3", "PT")]
    return Record(
        source=source, accession=accession, title=title.rstrip("."), authors=authors, year=year,
        journal=tagged.first("T2", "JO", "JF", "JA", "J2"), doi=normal_doi(tagged.first("DO", "DI", "L3")),
        pmid=pmid, registry_id=_registry_ids(tagged.all("AB", "N2", "N1", "KW", "TI", "T1")),
        publication_type="; ".join(dict.fromkeys(k.casefold() for k in kinds if k)), file=path.name,
        line=tagged.line)


# --------------------------------------------------------------------------- ClinicalTrials.gov CSV

#: Columns of ClinicalTrials.gov's CSV download that the reader uses (the others are ignored).
CTGOV_COLUMNS = {"id": "NCT Number", "title": "Study Title", "status": "Study Status", "type": "Study Type",
                 "posted": "First Posted", "results": "Results First Posted"}
CTGOV_REQUIRED = ("id", "title")


def _ctgov(path: Path, text: str) -> Imported:
    rows = csv.reader(text.splitlines(keepends=True))
    header = next(rows, None)
    if header is None or CTGOV_COLUMNS["id"] not in header:
        return Imported(path.name, "ctgov", (), (ImportProblem(
            path.name, 1, f"expected a ClinicalTrials.gov CSV header with {', '.join(CTGOV_COLUMNS.values())}; "
            f"found {', '.join(header or ['an empty file'])}"),))
    missing = [CTGOV_COLUMNS[name] for name in CTGOV_REQUIRED if CTGOV_COLUMNS[name] not in header]
    if missing:
        return Imported(path.name, "ctgov", (), (ImportProblem(
            path.name, 1, f"expected the column(s) {', '.join(missing)} in the header; found none"),))
    records, problems, line = [], [], 2
    for cells in rows:
        start, line = line, rows.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append(ImportProblem(path.name, start, f"expected {len(header)} fields, as in the header; "
                                          f"found {len(cells)}"))
            continue
        row = {name: cells[header.index(column)].strip() if column in header else ""
               for name, column in CTGOV_COLUMNS.items()}
        if not _NCT.fullmatch(row["id"]):
            problems.append(ImportProblem(path.name, start, "expected an NCT Number (NCT and 8 digits); "
                                          f"found {row['id']!r}"))
            continue
        if not row["title"]:
            problems.append(ImportProblem(path.name, start, f"expected a Study Title for {row['id']}; found none"))
            continue
        has_results = "results posted" if row["results"] else "no results posted"
        records.append(Record(
            source="ctgov", accession=row["id"], title=row["title"], authors=(), year=_year(row["posted"]),
            journal="ClinicalTrials.gov", registry_id=row["id"],
            publication_type="; ".join(filter(None, ["registry record", row["type"].casefold(),
                                                     row["status"].casefold(), has_results])),
            file=path.name, line=start))
    return Imported(path.name, "ctgov", tuple(records), tuple(problems))


# --------------------------------------------------------------------------- any export


def detect_format(text: str) -> str | None:
    """``medline``, ``ris``, ``ctgov`` or None, from the first non-blank line of an export."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.startswith("PMID-"):
        return "medline"
    if re.match(r"TY  -", first.lstrip("\ufeff")):
        return "ris"
    if "NCT Number" in first:
        return "ctgov"
    return None


def read_export(path: str | Path, *, source: str | None = None) -> Imported:
    """Read one export file, whatever its format (told from its content, not its name).

    Parameters
    ----------
    path : str or Path
        A MEDLINE (``.nbib``/``.txt``), RIS (``.ris``) or ClinicalTrials.gov CSV export.
    source : str, optional
        The database an RIS file came from (a :data:`metarmc.data.SOURCES` name); by default
        it is told from each record's ``DB`` tag or the form of its accession number.

    Returns
    -------
    Imported
        The records read and, for each record that could not be, a problem ``file:line: ...``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> export = pathlib.Path(tempfile.mkdtemp()) / "pubmed.nbib"
    >>> _ = export.write_text("PMID- 25412569\\nDP  - 2015 Mar\\nTI  - Intravenous immunoglobulin treatment\\n"
    ...                       "      for secondary recurrent miscarriage.\\nFAU - Christiansen, Ole B\\n"
    ...                       "SI  - ClinicalTrials.gov/NCT00722475\\nAID - 10.1111/1471-0528.13192 [doi]\\n")
    >>> record = read_export(export).records[0]
    >>> record.record_id, record.year, record.first_author, record.doi, record.registry_id
    ('pubmed:25412569', 2015, 'christiansen', '10.1111/1471-0528.13192', 'NCT00722475')
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return Imported(path.name, "unknown", (), (ImportProblem(path.name, 1, f"expected a readable UTF-8 text "
                                                                 f"export; found {error}"),))
    kind = detect_format(text)
    if kind == "medline":
        return _medline(path, text.splitlines())
    if kind == "ris":
        return _ris(path, text.splitlines(), source)
    if kind == "ctgov":
        return _ctgov(path, text)
    first = next((line for line in text.splitlines() if line.strip()), "an empty file")
    return Imported(path.name, "unknown", (), (ImportProblem(
        path.name, 1, "expected a PubMed/MEDLINE ('PMID- '), RIS ('TY  - ') or ClinicalTrials.gov CSV "
        f"('NCT Number' header) export; found {first[:60]!r}"),))


"""A class's answers: a CSV with a header ``student,answer`` (``answer_x,answer_y`` ... for
several variables of ``wrt``), or a folder of one text file per student (``ID.txt``, one
variable). Read as data only; each answer's text is checked later, one at a time, so that a
bad answer costs its student a verdict, not the class its grades."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from workbench.derivation_file import read_file
from workbench.errors import DataError, UserError
from workbench.grading_key import student_id

MAX_BYTES = 64 * 1024 * 1024
MAX_STUDENTS = 100_000
MAX_ANSWER = 20_000


@dataclass(frozen=True)
class Answer:
    """One student's answer: ``texts`` by variable of ``wrt``, as written; ``where`` the line
    of the CSV or the file it came from."""

    student: str
    texts: dict
    where: str


def read_answers(path: str | Path, wrt: list[str]) -> list[Answer]:
    """The answers in ``path`` (a CSV file or a folder), in their order; a :class:`DataError`
    naming the file and line when the table itself is malformed (a missing column, a student
    named twice). An answer too long is kept, and refused when graded."""
    path = Path(path)
    if path.is_dir():
        return _folder(path, wrt)
    if not path.exists():
        raise DataError(f"{path} does not exist; expected a CSV file or a folder of answers",
                        "ANSWERS")
    try:
        text = read_file(path, MAX_BYTES).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", str(path)) from None
    except UserError as exc:              # read_file's: not a regular file, too big
        raise DataError(exc.message, str(path)) from None
    return _csv(text, path, wrt)


def _columns(wrt: list[str]) -> list[str]:
    return ["answer"] if len(wrt) == 1 else [f"answer_{w}" for w in wrt]


def _csv(text: str, path: Path, wrt: list[str]) -> list[Answer]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise DataError("empty file; expected a header such as student,answer", str(path)) \
            from None
    except csv.Error as exc:
        raise DataError(f"CSV: {exc}", f"{path}:1") from None
    wanted = ["student", *_columns(wrt)]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise DataError(f"missing column {missing[0]!r}: the header must name "
                        f"{','.join(wanted)}", f"{path}:1")
    index = {c: header.index(c) for c in wanted}
    out, seen = [], {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(out) >= MAX_STUDENTS:
                raise DataError(f"more than {MAX_STUDENTS:,} students", f"{path}:{line}")
            cells = {c: row[i] if i < len(row) else "" for c, i in index.items()}
            student = student_id(cells["student"], f"{path}:{line}")
            if student in seen:
                raise DataError(f"student {student!r} appears twice (first on line "
                                f"{seen[student]})", f"{path}:{line}")
            seen[student] = line
            texts = {w: cells[c] for w, c in zip(wrt, _columns(wrt))}
            out.append(Answer(student, texts, f"{path.name}:{line}"))
    except csv.Error as exc:
        raise DataError(f"CSV: {exc}", f"{path}:{reader.line_num}") from None
    if not out:
        raise DataError("no answers: the file has a header only", str(path))
    return out


def _folder(path: Path, wrt: list[str]) -> list[Answer]:
    if len(wrt) != 1:
        raise DataError(f"a folder of answers is for one variable; with {', '.join(wrt)} "
                        f"give a CSV with columns student,{','.join(_columns(wrt))}", str(path))
    files = sorted(p for p in path.iterdir() if p.suffix in (".txt", ".tex") and p.is_file())
    if not files:
        raise DataError("no .txt or .tex file: expected one answer file per student",
                        str(path))
    if len(files) > MAX_STUDENTS:
        raise DataError(f"more than {MAX_STUDENTS:,} students", str(path))
    out, seen = [], set()
    for f in files:
        student = student_id(f.stem, str(f))
        if student in seen:
            raise DataError(f"student {student!r} has two answer files", str(f))
        seen.add(student)
        raw = f.read_bytes()[:MAX_ANSWER * 4 + 1]
        text = raw.decode("utf-8", errors="replace")
        out.append(Answer(student, {wrt[0]: text}, f.name))
    return out


__all__ = ["Answer", "MAX_ANSWER", "read_answers"]

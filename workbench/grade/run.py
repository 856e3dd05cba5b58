"""Grading a class: every answer read, the distinct ones checked (in a pool of processes,
each under its time budget), the results kept in a journal as they come (an interrupted
class resumes where it stopped), then the gradebook, pages and summary written.

Determinism: an answer's result depends only on the key, the student's variant and what the
answer reads to (checks are seeded), and the files are written from the results in the order
of the answers, so any ``jobs`` gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from workbench.atomic import check_output_dir
from workbench.errors import SchemaError
from workbench.grade.answers import read_answers
from workbench.grade.check import check_reading, read_answer, score
from workbench.grade.feedback import feedback
from workbench.grading_key import load_key
from workbench.progress import Progress

JOURNAL = ".grade-journal.jsonl"


@dataclass
class Graded:
    """A student's line of the gradebook, and what their page shows."""

    student: str
    score: float
    max_score: float
    verdict: str
    level: str
    mistake: str
    feedback: str
    answer: dict
    variant: dict
    result: dict


def grade_class(key_path, answers_path, output, jobs: int = 1, lang: str = "en",
                progress: bool | None = None) -> list[Graded]:
    """Grade the answers in ``answers_path`` against the key ``key_path`` and write the
    gradebook, pages and summary into ``output``; the graded lines, in the answers' order."""
    from workbench.grade.output import write_all
    out = check_output_dir(output)
    key = load_key(key_path)
    if key.variant(key.values_for("")).kind != "gradient":
        raise SchemaError("grade checks gradients; this key has a Jacobian or a Hessian",
                          str(key_path))
    answers = read_answers(answers_path, key.wrt)
    readings, todo = [], {}
    for a in answers:
        values = key.values_for(a.student)
        reading = read_answer(a.texts, key.variant(values))
        job = _job_id(key, values, reading.token) if reading.steps and \
            not reading.error and not reading.shape_error else None
        readings.append((a, values, reading, job))
        if job is not None and job not in todo:
            todo[job] = (str(key.path), sorted(values.items()), reading.steps)
    out.mkdir(parents=True, exist_ok=True)
    journal = out / JOURNAL
    done = _read_journal(journal)
    _run([(job, *todo[job]) for job in todo if job not in done], jobs, journal, done, progress)
    graded = [_graded(a, values, reading, done.get(job), key.grading, lang)
              for a, values, reading, job in readings]
    write_all(out, graded, key, lang)
    return graded


def _job_id(key, values: dict, token: str) -> str:
    text = json.dumps([key.digest, asdict(key.grading), sorted(values.items()), token])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _read_journal(path: Path) -> dict:
    """Results already found (a last line cut by an interruption is left out)."""
    done = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                item = json.loads(line)
                done[item["job"]] = item["result"]
            except (ValueError, KeyError, TypeError):
                continue
    return done


def _run(work: list, jobs: int, journal: Path, done: dict, progress) -> None:
    if not work:
        return
    with Progress(len(work), "grade", unit="answer", enabled=progress) as bar, \
            open(journal, "a", encoding="utf-8") as fh:
        for job, result in _results(work, jobs):
            line = json.dumps({"job": job, "result": result}, sort_keys=True, default=str)
            done[job] = json.loads(line)["result"]    # as a resumed run reads it back
            fh.write(line + "\n")
            fh.flush()
            bar.update()


def _results(work: list, jobs: int):
    if jobs <= 1 or len(work) == 1:
        for item in work:
            yield item[0], _work(item)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(min(jobs, len(work)), multiprocessing.get_context(method)) as pool:
        yield from zip((item[0] for item in work), pool.map(_work, work, chunksize=1))


_KEYS: dict = {}


def _work(item) -> dict:
    """One distinct answer, checked (in a worker: the key loaded once per process). A bug
    of ours costs this answer its verdict, not the class its grades."""
    _, path, values, steps = item
    try:
        if path not in _KEYS:
            _KEYS[path] = load_key(path)
        key = _KEYS[path]
        return check_reading(key.variant(dict(values)), steps, key.grading)
    except Exception as exc:  # noqa: BLE001 - recorded as undecided, with its name
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        return {"verdict": "undecided", "level": "undecided", "mistake": "",
                "reasons": [f"internal error: {type(exc).__name__}: {str(exc)[:200]}"]}


def _graded(a, values: dict, reading, result: dict | None, grading, lang: str) -> Graded:
    if reading.error:
        result = {"verdict": "unreadable", "level": "", "mistake": "", "error": reading.error}
    elif reading.shape_error:
        result = {"verdict": "mismatch", "level": "confirmed", "mistake": "shape",
                  "error": reading.shape_error}
    result = dict(result or {"verdict": "undecided", "level": "undecided", "mistake": "",
                             "reasons": ["not checked"]})
    mistake = f"step-{result['step']}" if result.get("step") else result.get("mistake", "")
    return Graded(a.student, score(result, grading), round(grading.points, 2),
                  result["verdict"], result.get("level", ""), mistake,
                  feedback(result, lang), dict(a.texts), dict(values), result)


__all__ = ["Graded", "JOURNAL", "grade_class"]

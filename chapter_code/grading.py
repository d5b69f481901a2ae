"""The graded-exercise pipeline: otter-grader's assign and run, driven from Python.

Instructor notebooks live in ``notebooks/exercises/NAME.ipynb`` (otter's v1 format); the student
version that readers download is ``notebooks/exercises/student/NAME.ipynb``, regenerated with
``python -m chapter_code.grading assign``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXERCISES = Path(__file__).resolve().parent.parent / "notebooks" / "exercises"


def instructor_notebooks() -> list[Path]:
    """The instructor notebooks, one per exercise."""
    return sorted(EXERCISES.glob("*.ipynb"))


def assign(instructor: Path, out_dir: Path) -> tuple[Path, Path]:
    """Run ``otter assign``; returns ``(student_notebook, autograder_zip)`` inside ``out_dir``."""
    instructor = Path(instructor).resolve()
    if not instructor.is_file():
        raise FileNotFoundError(f"instructor notebook {instructor} does not exist")
    out_dir = Path(out_dir).resolve()
    subprocess.run(["otter", "assign", instructor.name, str(out_dir)], cwd=instructor.parent,
                   check=True, capture_output=True, text=True)
    student = out_dir / "student" / instructor.name
    (autograder,) = (out_dir / "autograder").glob("*-autograder_*.zip")
    return student, autograder


def grade(autograder: Path, submission: Path) -> tuple[float, float]:
    """Grade one notebook with ``otter run``; returns ``(score, max_score)`` over questions."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["otter", "run", "--no-logo", "-a", str(autograder), "-o", tmp,
                        str(submission)], check=True, capture_output=True, text=True)
        tests = json.loads((Path(tmp) / "results.json").read_text())["tests"]
    scored = [t for t in tests if t.get("max_score") is not None]
    return sum(t["score"] for t in scored), sum(t["max_score"] for t in scored)


def student_sources(notebook: Path) -> list[tuple[str, str]]:
    """``(cell_type, source)`` of every cell: what a student sees, without otter's metadata."""
    cells = json.loads(Path(notebook).read_text())["cells"]
    return [(c["cell_type"], "".join(c["source"])) for c in cells]


def main(argv: list[str] | None = None) -> int:
    """``python -m chapter_code.grading assign [NAME ...]``: regenerate the student notebooks
    (all of them, or only the exercises named, e.g. ``ucb1``)."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "assign":
        print("usage: python -m chapter_code.grading assign [NAME ...]", file=sys.stderr)
        return 2
    known = {path.stem: path for path in instructor_notebooks()}
    unknown = [name for name in args[1:] if name not in known]
    if unknown:
        print(f"unknown exercise(s) {', '.join(unknown)}; known: {', '.join(known)}",
              file=sys.stderr)
        return 2
    target = EXERCISES / "student"
    target.mkdir(exist_ok=True)
    for name in args[1:] or list(known):
        instructor = known[name]
        with tempfile.TemporaryDirectory() as tmp:
            student, _ = assign(instructor, Path(tmp) / "dist")
            shutil.copy(student, target / instructor.name)
        print(f"wrote {target / instructor.name}")
    return 0

if __name__ == "__main__":
    sys.exit(main())

"""Every exercise: the solution scores full marks, the blank student version scores zero on
every question (so no test is vacuous), and the committed student notebook is up to date."""

from pathlib import Path

import pytest

from chapter_code.grading import EXERCISES, assign, grade, instructor_notebooks, student_sources

pytestmark = pytest.mark.grading


@pytest.fixture(scope="module", params=instructor_notebooks(), ids=lambda p: p.stem)
def assigned(request, tmp_path_factory) -> tuple[Path, Path, Path]:
    out = tmp_path_factory.mktemp(request.param.stem) / "dist"
    student, autograder = assign(request.param, out)
    return request.param, student, autograder


def test_there_is_at_least_one_exercise():
    assert instructor_notebooks()


def test_solution_scores_full_marks(assigned):
    _, _, autograder = assigned
    solution = autograder.parent / autograder.name.split("-autograder_")[0]
    score, max_score = grade(autograder, solution.with_suffix(".ipynb"))
    assert max_score > 0 and score == max_score


def test_blank_student_version_scores_zero(assigned):
    _, student, autograder = assigned
    score, max_score = grade(autograder, student)
    assert max_score > 0 and score == 0


def test_committed_student_notebook_matches_a_fresh_assign(assigned):
    instructor, student, _ = assigned
    committed = EXERCISES / "student" / instructor.name
    assert committed.is_file(), "run `python -m chapter_code.grading assign`"
    assert student_sources(committed) == student_sources(student), (
        "student notebook is stale: run `python -m chapter_code.grading assign`")


def test_assign_refuses_an_unknown_exercise_name(capsys):
    from chapter_code import grading

    assert grading.main(["assign", "no_such_exercise"]) == 2
    assert "no_such_exercise" in capsys.readouterr().err

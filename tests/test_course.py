"""The course catalogue, the index explorer and the notebook-times table it reads."""
import json

import pytest

from companion.lab import course


def test_catalogue_is_consistent():
    nums = [c.number for c in course.CHAPTERS]
    assert nums == list(range(1, 19))
    assert len({c.file for c in course.CHAPTERS}) == 18
    for c in course.CHAPTERS:
        assert c.file.startswith(f"{c.number:02d}_") and c.file.endswith(".ipynb")
        assert all(b < c.number for b in c.builds_on), "a chapter builds on a later one"
        assert c.title and c.promise and c.notes


def test_prerequisites_are_transitive_and_ordered():
    assert course.prerequisites(1) == []
    assert course.prerequisites(3) == [1, 2]
    assert course.prerequisites(11) == [1, 2, 3, 4, 5, 9, 10]
    assert course.depth(1) == 0 and course.depth(3) == 2
    with pytest.raises(KeyError, match="no chapter 19"):
        course.by_number(19)


def test_next_links_follow_the_course_and_close_the_loop():
    assert course.next_link(course.by_number(1)) == \
        "**Next:** [02 Gradient descent](02_gradient_descent.ipynb)"
    assert course.next_link(course.by_number(12)) == \
        "**Next:** [13 Sequence to sequence, and attention](13_attention.ipynb)"
    assert course.next_link(course.by_number(14)) == \
        "**Next:** [15 The transformer at equal budgets](15_transformer_budgets.ipynb)"
    assert course.next_link(course.by_number(16)) == \
        "**Next:** [17 The date translators at equal budgets](17_translators_at_equal_budgets.ipynb)"
    assert course.next_link(course.by_number(17)) == \
        "**Next:** [18 The transformer translator](18_transformer_translator.ipynb)"
    assert "00_index.ipynb" in course.next_link(course.by_number(18))


def test_run_times_read_the_benchmark_table(tmp_path):
    assert course.run_times(tmp_path / "missing.json") == {}
    f = tmp_path / "t.json"
    f.write_text(json.dumps({"notebooks": [{"notebook": "01_perceptron.ipynb", "seconds": 12.5}]}))
    assert course.run_times(f) == {"01_perceptron.ipynb": 12.5}


def test_explore_chapter_summarises_and_sums_the_path(tmp_path):
    times = {"01_perceptron.ipynb": 10.0, "02_gradient_descent.ipynb": 20.0,
             "03_shallow_networks.ipynb": 30.0}
    r = course.explore_chapter(3, times, folder=tmp_path)
    assert r["prerequisites"] == [1, 2] and r["seconds"] == 30.0 and r["path_seconds"] == 60.0
    assert "builds on: 02" in r["summary"] and "not written yet" in r["summary"]
    assert "not measured yet" in course.explore_chapter(4, times, folder=tmp_path)["summary"]


def test_index_explorer_redraws_when_the_chapter_changes():
    import ipywidgets as widgets
    import matplotlib
    matplotlib.use("Agg")
    from companion.lab.explorer import Explorer
    ex = Explorer(course.explore_chapter, course.draw_chapter,
                  {"chapter": widgets.Dropdown(options=course.chapter_options(), value=1)})
    assert ex.result["chapter"] == 1 and ex.result["prerequisites"] == []
    r = ex.update(chapter=8)
    assert r["prerequisites"] == [1, 2, 3, 4, 5, 7]
    assert "companion-explorer" in ex.box._dom_classes


def test_plots_draw_without_data():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ax = course.plot_run_times({})
    assert "make bench" in ax.texts[0].get_text()
    ax = course.plot_run_times({"01_perceptron.ipynb": 70.0, "02_gradient_descent.ipynb": 5.0})
    assert len(ax.patches) == 2
    ax = course.course_map(highlight=12)
    assert sum(t.get_text()[:2].isdigit() for t in ax.texts) == len(course.CHAPTERS)
    plt.close("all")

"""requirements/lock.txt pins every dependency of `.[all]`, within pyproject's lower bounds, and
`make setup` installs from it (requirements/lock.py regenerates it)."""
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def _direct_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    specs = list(project["dependencies"])
    for extra in re.findall(r"companion\[([^\]]+)\]", " ".join(extras["all"])):
        for name in extra.split(","):
            specs += extras[name.strip()]
    return [Requirement(s) for s in specs if not s.startswith("companion[")]


def test_every_direct_dependency_is_pinned_within_its_bounds():
    pins = _pins()
    reqs = _direct_requirements()
    assert len(reqs) >= 15
    for req in reqs:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} (pyproject) has no pin in requirements/lock.txt"
        assert req.specifier.contains(pins[name]), \
            f"{req.name}=={pins[name]} in the lock is outside pyproject's {req.specifier}"


def test_lock_holds_exact_pins_only_and_no_installer_tools():
    lines = [x for x in LOCK.read_text().splitlines() if x.strip() and not x.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9_.+!-]+", x) for x in lines), lines
    names = [canonicalize_name(x.split("==")[0]) for x in lines]
    assert len(names) == len(set(names))
    assert not {"pip", "setuptools", "wheel", "companion"} & set(names)


def test_make_setup_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert "LOCK   := requirements/lock.txt" in makefile
    assert "pip install -c $(LOCK) -e '.[all]'" in makefile

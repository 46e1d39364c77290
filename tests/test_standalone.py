"""A clone of the repository alone must pass its own test command.

The steering folder of shared cases exists only beside the steering checkout; a test,
benchmark or CI script that reads it fails on collection in anyone else's clone (issue 12, item 0). Its cases are copied
into tests/data/ instead.
"""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# A path that climbs out of the repository into a sibling folder named shared.
OUTSIDE = re.compile(r"""\.\./shared|parents?\[\d\]\.parent\s*/\s*["']shared""")


def test_no_test_benchmark_or_ci_file_reads_beside_the_repository():
    offenders = []
    for folder in ("tests", "benchmarks", ".ci"):
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and path.suffix in {".py", ""} and path != Path(__file__).resolve():
                if OUTSIDE.search(path.read_text(errors="replace")):
                    offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


def test_the_sample_corpus_is_inside_the_repository():
    corpus = REPO / "tests" / "data" / "policies"
    assert (corpus / "expected.json").is_file()
    assert len(list(corpus.glob("*.yaml"))) >= 10

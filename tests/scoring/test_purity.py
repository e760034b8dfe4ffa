"""scoring/ is pure: of the project it imports only domain/ (and itself); no SQL, no UI. Only the command-line
hand-over (__main__.py) may reach upward."""
import ast
from pathlib import Path

SCORING = Path(__file__).resolve().parents[2] / "scoring"
PROJECT = ("data", "services", "components", "pages", "app", "cli", "bench", "tests")
FORBIDDEN_LIBS = ("sqlalchemy", "streamlit", "plotly", "pydeck", "openpyxl")


def test_scoring_imports_only_domain_of_the_project():
    files = [p for p in sorted(SCORING.glob("*.py")) if p.name != "__main__.py"]
    assert len(files) >= 8
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for n in names:
                top = n.split(".")[0]
                assert top not in PROJECT + FORBIDDEN_LIBS, f"scoring/{path.name} imports {n}"

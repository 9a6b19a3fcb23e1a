"""The docs cannot drift: docs/api.md lists every operation of the OpenAPI spec, and every relative link resolves."""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API_DOC = ROOT / "docs" / "api.md"
BEGIN = "<!-- endpoints: generated from /openapi.json by tests/test_docs_endpoints.py; do not edit by hand -->"
END = "<!-- endpoints: end -->"
REGENERATE = ".venv/bin/python tests/test_docs_endpoints.py"
METHODS = ("get", "post", "put", "patch", "delete")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def endpoint_list(spec: dict) -> str:
    """The endpoint section of docs/api.md: one list per tag, in the spec's order, each operation with its summary."""
    by_tag: dict[str, list[str]] = {}
    for path, operations in spec["paths"].items():
        for method in METHODS:
            if method in operations:
                operation = operations[method]
                tag = (operation.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append(f"- `{method.upper()} {path}`: {operation.get('summary', '')}")
    sections = [f"### {tag}\n\n" + "\n".join(lines) for tag, lines in by_tag.items()]
    return "\n\n".join(sections)


def documented_list(text: str) -> str:
    """What docs/api.md holds between the markers."""
    assert BEGIN in text and END in text, f"docs/api.md lost its markers: {BEGIN} ... {END}"
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def regenerate(spec: dict) -> None:
    """Write the endpoint list from the spec into docs/api.md, between the markers."""
    text = API_DOC.read_text()
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    API_DOC.write_text(f"{head}{BEGIN}\n\n{endpoint_list(spec)}\n\n{END}{tail}")


def test_reader_reads_every_endpoint_of_the_spec_in_api_doc(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    expected = endpoint_list(response.get_json())
    assert documented_list(API_DOC.read_text()) == expected, (
        f"docs/api.md's endpoint list differs from /openapi.json: run `{REGENERATE}` and commit the result")


def test_generated_list_names_every_operation_once(client):
    spec = client.get("/openapi.json").get_json()
    listed = [line for line in endpoint_list(spec).splitlines() if line.startswith("- `")]
    operations = [(m, p) for p, ops in spec["paths"].items() for m in METHODS if m in ops]
    assert len(listed) == len(operations) == len(set(listed)) > 50
    assert "- `POST /api/v1/challenges/{challenge_id}/submissions`: Submit a solution" in "\n".join(listed)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a markdown file, duplicates numbered as GitHub does."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", strip_fences(path.read_text()), flags=re.M):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def strip_fences(text: str) -> str:
    """The text without fenced code blocks, whose lines are neither headings nor links."""
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def strip_code(text: str) -> str:
    """The text without fenced code blocks or inline code, where brackets are not links."""
    return re.sub(r"`[^`\n]*`", "", strip_fences(text))


def markdown_files() -> list[Path]:
    """The README, every docs page and the benchmarks' README."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """The relative links of a markdown file whose file or anchor does not exist."""
    broken = []
    for target in LINK.findall(strip_code(path.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:|/", target):  # absolute URLs and server paths are not files
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{path.relative_to(root)}: {target} (no such file)")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{path.relative_to(root)}: {target} (no such heading)")
    return broken


def test_reader_follows_every_relative_link_in_the_docs_to_a_file_and_heading():
    files = markdown_files()
    assert all(path.exists() for path in files)
    assert [broken for path in files for broken in broken_links(path)] == []


def test_link_checker_reports_a_missing_file_and_a_missing_heading(tmp_path):
    (tmp_path / "other.md").write_text("# A `code` heading: here\n\n## Twice\n\n## Twice\n")
    page = tmp_path / "page.md"
    page.write_text("[ok](other.md#a-code-heading-here) [ok](other.md#twice-1) [web](https://example.org/x)\n"
                    "[gone](missing.md) [bad](other.md#nowhere) `[code](not-a-link.md)`\n")
    assert broken_links(page, tmp_path) == ["page.md: missing.md (no such file)", "page.md: other.md#nowhere (no such heading)"]


if __name__ == "__main__":  # regenerate docs/api.md's endpoint list from the spec
    sys.path.insert(0, str(ROOT))
    from challenges import create_app
    from config import TestConfig

    regenerate(create_app(TestConfig).test_client().get("/openapi.json").get_json())
    print(f"Wrote the endpoint list of {API_DOC.relative_to(ROOT)}.")

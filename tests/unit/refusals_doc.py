"""docs/refusals.md, made from the tests themselves: every parametrized bad-input case of the site
file's unit tests and of the Molecule scenarios is one row (where it is refused, the input, the
words the refusal must contain). test_refusals_doc.py fails when the page is not current; rewrite it with
    python tests/unit/refusals_doc.py --write
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "refusals.md"
# The tests whose cases are refusals: each case's last argument is the fragment(s) the message must hold.
SOURCES = [
    ("site file (onprem.wandb.site)", "tests/unit/test_site_inventory.py",
     ("test_bad_site_files_are_refused_naming_the_problem", "test_day2_mistakes_are_refused_naming_the_key")),
    ("onprem.wandb.common", "extensions/molecule/common/tests/test_common.py", ("test_bad_input_fails_before_any_change",)),
    ("onprem.wandb.mysql", "extensions/molecule/mysql/tests/test_mysql.py", ("test_bad_input_fails_before_any_change",)),
    ("onprem.wandb.mysql day 2", "extensions/molecule/mysql/tests/test_mysql_day2.py", ("test_bad_day2_input_fails_before_any_change",)),
    ("onprem.wandb.minio", "extensions/molecule/minio/tests/test_minio.py", ("test_bad_input_fails_before_any_change",)),
    ("onprem.wandb.redis", "extensions/molecule/redis/tests/test_redis.py", ("test_bad_input_fails_before_any_change",)),
    ("onprem.wandb.nginx_proxy", "extensions/molecule/nginx_proxy/tests/test_nginx_proxy.py", ("test_bad_input_fails_before_nginx_is_touched",)),
    ("onprem.wandb.nginx_proxy (ACME)", "extensions/molecule/nginx_proxy_acme/tests/test_acme.py", ("test_bad_acme_input_fails_before_any_change",)),
    ("onprem.wandb.wandb_operator", "extensions/molecule/wandb_operator/tests/test_wandb_operator.py",
     ("test_bad_input_is_refused_before_anything_is_applied", "test_bad_ca_files_are_refused")),
]


def _cell(text: str) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= 220 else text[:217] + "..."


def _text(node) -> str:
    try:
        return str(ast.literal_eval(node))
    except ValueError:  # an f-string or a name: shown as written
        return ast.unparse(node)


def _fragments(node) -> list:
    items = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
    return [_text(item) for item in items]


def cases(path: Path, tests: tuple) -> list:
    """(test, id, input, fragments) of every parametrized case of the named tests."""
    found = []
    tree = ast.parse(path.read_text())
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name in tests):
        for decorator in function.decorator_list:
            if not (isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("parametrize")):
                continue
            for index, item in enumerate(decorator.args[1].elts):
                case_id = "case %d" % (index + 1)
                if isinstance(item, ast.Call):  # pytest.param(..., id=...)
                    args = item.args
                    case_id = next((ast.literal_eval(k.value) for k in item.keywords if k.arg == "id"), case_id)
                else:
                    args = item.elts
                found.append((function.name, case_id, ", ".join(ast.unparse(a) for a in args[:-1]), _fragments(args[-1])))
    return found


CORPUS = ROOT / "tests" / "unit" / "plugins" / "inventory" / "site_corpus"


def corpus_cases() -> list:
    """(file, class, defect, expected key paths) of every file of the broken site-file corpus."""
    found = []
    for path in sorted(list(CORPUS.glob("[0-9]*.yml")) + list(CORPUS.glob("[0-9]*.yml.in"))):
        fields = {}
        for line in path.read_text().splitlines():
            if not line.startswith("#"):
                break
            key, _sep, value = line[1:].strip().partition(":")
            fields.setdefault(key.strip(), []).append(value.strip())
        found.append((path.name, fields.get("class", [""])[0], fields.get("defect", [""])[0], fields.get("expect", [])))
    return found


def render() -> str:
    rows, counts = [], []
    for where, source, tests in SOURCES:
        found = cases(ROOT / source, tests)
        missing = [test for test in tests if test not in {case[0] for case in found}]
        if missing:
            raise SystemExit("%s: no parametrized cases found for %s" % (source, ", ".join(missing)))
        counts.append("%s %d" % (where, len(found)))
        for test, case_id, given, fragments in found:
            rows.append("| %d | %s | `%s` | %s | `%s::%s` %s |" % (
                len(rows) + 1, _cell(where), _cell(given) or "(nothing)", _cell(" ... ".join(fragments)),
                source, test, case_id))
    corpus = corpus_cases()
    counts.append("broken site files (tests/unit/plugins/inventory/site_corpus) %d" % len(corpus))
    for name, kind, defect, expect in corpus:
        rows.append("| %d | site file, %s | %s | names %s | `site_corpus/%s` |" % (
            len(rows) + 1, _cell(kind), _cell(defect), _cell(", ".join("`%s`" % key for key in expect)), name))
    head = [
        "# Refusals",
        "",
        "Every bad input the collection refuses **before any host changes**, with the words its message must",
        "contain (each names the variable, the value found and what is allowed). Each row is one test case;",
        "this page is made from the tests (`python tests/unit/refusals_doc.py --write`) and a unit test fails",
        "when it is not current. Site-file cases are refused by the inventory plugin before Ansible has a",
        "host; role cases fail in the role's validation tasks (checked by `assert_rejected_before_change`: no",
        "task that could change a host ran, 0 changed) and, through `onprem.wandb.site`, in the preflight",
        "play that checks every host of the site first. The broken site files of the corpus are each refused",
        "by `ansible-inventory` and `ansible-playbook` with a message naming every key path listed, no secret",
        "value, in under 2 s (`tests/unit/plugins/inventory/test_site_corpus.py`).",
        "",
        "**%d refusals**: %s." % (len(rows), ", ".join(counts)),
        "",
        "| # | refused by | input | the message says | test |",
        "|---|---|---|---|---|",
    ]
    return "\n".join(head + rows) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        DOC.write_text(render())
    else:
        sys.stdout.write(render())

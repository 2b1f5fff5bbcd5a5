"""Rendering prompts: depth semantics, formats, templates and determinism."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cdspec
from cdspec import BUILTIN_KINDS, PromptTemplate, Task, TemplateError, render
from cdspec._mustache import compile_template
from cdspec.prompts import contract_summary, markdown_to_text

from .strategies import tasks

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = cdspec.load_task(ROOT / "examples" / "library" / "task.yaml")


def sentences(task: Task, names: list[str]) -> list[str]:
    """The sentences the constraints of the named layers state."""
    return [BUILTIN_KINDS.sentence(c.kind, c.params, c.text) for name in names for c in task.layer(name).constraints]


def test_depth_states_exactly_the_first_k_layers() -> None:
    """At depth k the prompt states every constraint of the first k layers and none of the rest."""
    stack = [layer.name for layer in LIBRARY.stack]
    for k in range(len(stack) + 1):
        prompt = render(LIBRARY, depth=k)
        assert prompt.layers == tuple(stack[:k])
        assert prompt.depth == k
        assert prompt.constraint_ids == tuple(c.id for name in stack[:k] for c in LIBRARY.layer(name).constraints)
        for sentence in sentences(LIBRARY, stack[:k]):
            assert sentence in prompt.text
        for sentence in sentences(LIBRARY, stack[k:]):
            assert sentence not in prompt.text


def test_depth_zero_is_the_contract_and_the_instruction() -> None:
    """Depth 0 has the contract, the goal and the target, and no requirements section."""
    prompt = render(LIBRARY, depth=0)
    assert "openapi: 3.0.3" in prompt.text
    assert LIBRARY.goal.strip().split("\n")[0] in prompt.text
    assert "flask" in prompt.text
    assert "## Requirements" not in prompt.text
    assert prompt.constraint_ids == ()


def test_layers_select_and_order() -> None:
    """layers=[...] renders exactly those layers in that order, with one MUST line each."""
    prompt = render(LIBRARY, layers=["postgres", "orm", "architecture"])
    assert prompt.layers == ("postgres", "orm", "architecture")
    text = prompt.text
    positions = [text.index(f"## {LIBRARY.layer(n).heading}") for n in prompt.layers]
    assert positions == sorted(positions)
    requirements = text.split("## Requirements")[1].split("\n## ")[0]
    assert [line for line in requirements.splitlines() if line.startswith("- ")] == [
        f"- {LIBRARY.layer(n).summary}" for n in prompt.layers
    ]
    with pytest.raises(cdspec.CompositionError):
        render(LIBRARY, layers=["orm"])
    with pytest.raises(ValueError, match="not both"):
        render(LIBRARY, depth=1, layers=["architecture"])


def test_formats() -> None:
    """Markdown, plain text and chat messages carry the same content."""
    markdown = render(LIBRARY, depth=2)
    text = render(LIBRARY, depth=2, format="text")
    messages = render(LIBRARY, depth=2, format="messages")
    assert "## " not in text.text
    assert "```" not in text.text
    assert "Requirements\n------------" in text.text
    assert [m["role"] for m in messages.messages] == ["system", "user"]
    assert messages.messages[1]["content"] == markdown.text
    assert "python backend engineer" in messages.messages[0]["content"]
    assert str(messages).startswith("[system]\n")
    assert str(markdown) == markdown.text
    assert len({markdown.fingerprint, text.fingerprint, messages.fingerprint}) == 3


def test_contract_summary_lists_every_operation_and_used_schema() -> None:
    """The summary names each operation once and defines each schema it uses."""
    summary = contract_summary(LIBRARY.contract)
    for op in LIBRARY.contract.operations:
        assert summary.count(f"{op.key}  {op.operation_id}") == 1
    assert "\nSchemas:\n" in summary
    assert "  Error: {" in summary
    prompt = render(LIBRARY, depth=0, contract="summary")
    assert summary in prompt.text
    assert "openapi: 3.0.3" not in prompt.text


def test_custom_template_by_object_and_by_name() -> None:
    """A template from Python or from the task renders with the same fields."""
    body = (
        "{{task.title}} in {{target.framework}}:\n"
        "{{#layers}}\n* {{name}} ({{#constraints}}{{id}} {{/constraints}})\n{{/layers}}"
    )
    mine = PromptTemplate("terse", body)
    prompt = render(LIBRARY, depth=2, template=mine)
    assert prompt.text.splitlines()[0] == "Library lending API in flask:"
    assert prompt.text.splitlines()[1].startswith("* architecture (architecture.layer-dirs ")
    assert prompt.template == "terse"
    assert [m["role"] for m in prompt.messages] == ["user"]  # no system part
    with_own = attrs.evolve(LIBRARY, templates=[mine])
    assert render(with_own, depth=2, template="terse").text == prompt.text


def test_template_errors_name_the_field_and_what_exists() -> None:
    """A missing field, a malformed template or an unknown name is a TemplateError."""
    with pytest.raises(TemplateError, match=r"no field 'titel' in 'task.titel' \(fields there: feature, goal, id"):
        render(LIBRARY, template=PromptTemplate("bad", "{{task.titel}}"))
    with pytest.raises(TemplateError, match=r"template 'bad':2: \{\{#layers\}\} is never closed"):
        render(LIBRARY, template=PromptTemplate("bad", "x\n{{#layers}}\n"))
    with pytest.raises(TemplateError, match=r"no such template \(known: default"):
        render(LIBRARY, template="fancy")


def test_templates_cannot_reach_python() -> None:
    """Names are looked up in plain mappings only: no attributes, no calls."""
    template = compile_template("{{x.__class__}}{{x.upper}}", name="t")
    with pytest.raises(TemplateError, match="no field '__class__'"):
        template.render({"x": "text"})
    assert compile_template("{{a}}|{{b}}|{{c}}", name="t").render({"a": None, "b": True, "c": [1, 2]}) == "|true|1, 2"


def test_markdown_to_text() -> None:
    """Headings are underlined and code blocks indented, nothing else changes."""
    assert markdown_to_text("# T\n\n## S\n\n```yaml\na: 1\n```\n- x") == "T\n=\n\nS\n-\n\n    a: 1\n- x"


PROBE = """
import cdspec
task = cdspec.load_task("examples/library/task.yaml")
for depth in range(task.depth + 1):
    for fmt in ("markdown", "text", "messages"):
        p = cdspec.render(task, depth=depth, format=fmt)
        print(p.fingerprint, len(p.text))
"""


def test_byte_identical_across_processes() -> None:
    """The same task renders to the same bytes whatever the hash seed."""
    outputs = {
        seed: subprocess.run(
            [sys.executable, "-c", PROBE],
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs["1"] == outputs["2"]
    assert outputs["1"].count("\n") == 3 * (LIBRARY.depth + 1)


@given(tasks(), st.data())
def test_rendering_states_the_stack_and_only_it(task: Task, data: st.DataObject) -> None:
    """For any task and depth, the prompt states exactly the stack's first k constraints."""
    k = data.draw(st.integers(min_value=0, max_value=task.depth))
    prompt = render(task, depth=k, format=data.draw(st.sampled_from(["markdown", "text", "messages"])))
    shallow = task.at_depth(k)
    assert prompt.constraint_ids == tuple(c.id for c in shallow.constraints)
    assert prompt.layers == tuple(layer.name for layer in shallow.stack)
    assert render(task, depth=k, format=prompt.format) == prompt


def test_template_output_has_a_budget() -> None:
    """Sections nested in sections multiply; past the budget rendering stops with an error."""
    template = compile_template("{{#xs}}" * 6 + "x" + "{{/xs}}" * 6, name="nest")
    assert len(template.render({"xs": [1, 2]})) == 2**6
    with pytest.raises(TemplateError, match="passes 1000 characters"):
        template.render({"xs": list(range(4))}, max_chars=1000)


def test_mappings_are_not_printed() -> None:
    """Printing a mapping (or a list of them) is an error, not a Python repr in a prompt."""
    with pytest.raises(TemplateError, match=r"\{\{target\}\} is not a value to print"):
        render(LIBRARY, template=PromptTemplate("bad", "{{target}}"))
    with pytest.raises(TemplateError, match="is not a value to print"):
        render(LIBRARY, template=PromptTemplate("bad", "{{layers}}"))


def test_blank_lines_are_tidied_outside_code_blocks_only() -> None:
    """Runs of blank lines collapse in prose, but the contract in a code block stays exact."""
    template = PromptTemplate("t", "a\n\n\n\nb\n```yaml\n{{task.goal}}\n```\n")
    task = attrs.evolve(LIBRARY, goal="first\n\n\nafter")
    assert render(task, depth=0, template=template).text == "a\n\nb\n```yaml\nfirst\n\n\nafter\n```\n"


def test_malformed_templates_fail_when_made_or_loaded(tmp_path: Path) -> None:
    """A broken template is refused when built, and a task file holding one names the field."""
    with pytest.raises(TemplateError, match="never closed"):
        PromptTemplate("bad", "{{#layers}} never closed")
    task_file = tmp_path / "task.yaml"
    task_file.write_text(
        cdspec.dump_task(LIBRARY.at_depth(0)) + "templates:\n  - name: bad\n    body: |\n      ok\n      {{#layers}}\n",
        encoding="utf-8",
    )
    with pytest.raises(cdspec.LoadError) as info:
        cdspec.load_task(task_file)
    (problem,) = info.value.problems
    assert problem.pointer == "/templates/0/body"
    assert problem.message == "line 2 of the template: {{#layers}} is never closed"
    assert problem.line is not None

"""The one YAML loader: safe tags only, bounded aliases, nesting, expansion and size."""

from __future__ import annotations

import pytest

from seawall import yamlsafe
from seawall.yamlsafe import YAMLError, load_yaml, load_yaml_documents

BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.fixture(params=[True, False], ids=["libyaml", "python"])
def parser(request, monkeypatch):
    if request.param and not yamlsafe.HAVE_LIBYAML:
        pytest.fail("PyYAML was built without LibYAML")
    monkeypatch.setattr(yamlsafe, "HAVE_LIBYAML", request.param)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (BOMB, "expand"),
        ("[" * 100_000, "nested"),
        ("a: \x03", "invalid YAML"),
        ("!!python/object/apply:os.system ['true']", "invalid YAML"),
        ("a: [1, 2", "invalid YAML"),
    ],
)
def test_hostile_yaml_is_refused(parser, text, words):
    with pytest.raises(YAMLError) as info:
        load_yaml(text, "evil.yaml")
    assert words in str(info.value)


def test_size_limit(parser):
    with pytest.raises(YAMLError, match="over the 100-byte limit"):
        load_yaml("a: " + "x" * 200, "big.yaml", limit=100)


def test_ordinary_aliases_and_documents(parser):
    assert load_yaml("base: &b {x: 1}\nother: *b\n") == {"base": {"x": 1}, "other": {"x": 1}}
    assert list(load_yaml_documents("a: 1\n---\nb: 2\n")) == [{"a": 1}, {"b": 2}]

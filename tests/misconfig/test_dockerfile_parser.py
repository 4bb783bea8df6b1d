"""The Dockerfile parser on the constructs the brief lists, and multi-stage awareness of the checks."""

from __future__ import annotations

from seawall.misconfig.dockerfile import parse_dockerfile, split_words, substitute
from seawall.misconfig.engine import run_checks
from seawall.misconfig.loader import parse_dockerfile_object
from seawall.misconfig.registry import all_checks


def test_continuations_comments_and_line_ranges() -> None:
    df = parse_dockerfile(
        "FROM debian:12.7\n"
        "RUN apt-get update \\\n"
        "# a comment inside the continuation\n"
        "\n"
        "    && apt-get install -y curl\n"
        "USER app\n"
    )
    run = df.instructions[1]
    assert run.cmd == "RUN"
    assert (run.start_line, run.end_line) == (2, 5)
    assert "apt-get install -y curl" in run.args
    assert df.instructions[2].start_line == 6


def test_escape_directive_backtick() -> None:
    df = parse_dockerfile(
        "# escape=`\nFROM mcr.microsoft.com/windows:ltsc2022\nRUN dir `\n    c:\\\nUSER app\n"
    )
    assert df.escape == "`"
    assert df.instructions[1].args == "dir c:\\"
    assert df.instructions[1].end_line == 4
    assert df.instructions[2].cmd == "USER"


def test_heredocs_several_and_with_dash() -> None:
    text = (
        "FROM alpine:3.20\n"
        "RUN <<EOF\n"
        "apk add curl | sh\n"
        "EOF\n"
        "COPY <<-'A' /a <<B /b\n"
        "\tfirst\n"
        "\tA\n"
        "second\n"
        "B\n"
        "USER app\n"
    )
    df = parse_dockerfile(text)
    run, copy, user = df.instructions[1:]
    assert run.heredocs[0].body == "apk add curl | sh"
    assert (run.start_line, run.end_line) == (2, 4)
    assert [h.body for h in copy.heredocs] == ["first", "second"]
    assert user.cmd == "USER" and user.start_line == 10


def test_arg_and_env_substitution() -> None:
    df = parse_dockerfile(
        "ARG BASE=debian\nARG TAG\nFROM ${BASE}:${TAG:-12.7} AS build\nENV DIR=/srv\nWORKDIR $DIR/app\n"
        "FROM $BASE:${UNSET}\n"
    )
    assert df.stages[0].base == "debian:12.7"
    assert df.instructions[-2].args == "/srv/app"
    assert df.stages[1].base == "debian:${UNSET}"  # unknown stays visible: checks treat it as unknown
    assert substitute("${A:+yes}-$B", {"A": "1"}) == "yes-$B"


def test_multi_stage_from_references_and_forms() -> None:
    df = parse_dockerfile(
        'FROM golang:1.23 AS build\nRUN ["go", "build"]\nFROM build AS test\nFROM gcr.io/distroless/static:nonroot\n'
        "COPY --from=build --chown=65532 /out /app\nCMD /app\n"
    )
    assert [s.alias for s in df.stages] == ["build", "test", ""]
    assert df.stages[1].parent == 0 and df.stages[2].parent is None
    assert df.instructions[1].json_form == ("go", "build")
    copy = df.instructions[4]
    assert copy.flag("from") == "build" and copy.flag("chown") == "65532"
    assert df.instructions[5].json_form is None
    assert [s.index for s in df.final_chain()] == [2]


def test_unknown_instruction_is_a_warning_not_an_error() -> None:
    df = parse_dockerfile("FROM debian:12.7\nFROBNICATE now\nUSER app\n", "X/Dockerfile")
    assert any("unknown instructions: FROBNICATE" in w for w in df.warnings)
    assert df.instructions[-1].cmd == "USER"


def test_unbalanced_quotes_never_fail() -> None:
    assert split_words('LABEL foo="bar baz') == ["LABEL", "foo=bar baz"]
    df = parse_dockerfile('FROM base\n\nLABEL foo="bar baz\n')
    assert df.instructions[1].cmd == "LABEL"


def _ids(text: str) -> set[str]:
    return {f.check.id for f in run_checks([parse_dockerfile_object(text, "Dockerfile")], all_checks())}


def test_builder_stage_root_and_caches_do_not_count() -> None:
    """A root builder with apt caches, copied selectively into a non-root final stage, is not root."""
    ids = _ids(
        "FROM debian:12.7 AS build\nUSER root\nRUN apt-get update && apt-get install -y gcc=4:12 make=4.3-4\n"
        'FROM gcr.io/distroless/static:nonroot\nCOPY --from=build /out /app\nHEALTHCHECK CMD ["/app", "-h"]\n'
        'USER 65532\nENTRYPOINT ["/app"]\n'
    )
    assert not ids & {"DS001", "DS002", "DS008", "DS009", "DS039"}


def test_final_stage_inherits_user_from_its_parent_stage() -> None:
    ids = _ids('FROM debian:12.7 AS base\nUSER app\nFROM base\nHEALTHCHECK CMD true\nCMD ["x"]\n')
    assert "DS002" not in ids
    ids = _ids('FROM debian:12.7 AS base\nUSER root\nFROM base\nHEALTHCHECK CMD true\nCMD ["x"]\n')
    assert "DS001" in ids


def test_world_writable_scratch_and_sticky_directories_are_quiet() -> None:
    assert "DS026" not in _ids("FROM debian:12.7\nRUN chmod 1777 /var/www/html\nUSER app\n")
    assert "DS026" not in _ids(
        'FROM debian:12.7\nRUN d="$(mktemp -d)" && chmod 777 "$d" && rm -rf "$d"\nUSER app\n'
    )
    assert "DS026" in _ids("FROM debian:12.7\nRUN chmod -R o+w /srv\nUSER app\n")


def test_findings_carry_the_instruction_path_of_the_cel_view() -> None:
    obj = parse_dockerfile_object(
        "FROM golang:1.23 AS build\nRUN make\nFROM debian:12.7\nEXPOSE 22\nUSER app\n", "D"
    )
    [finding] = [f for f in run_checks([obj], all_checks()) if f.check.id == "DS021"]
    assert finding.json_path == "stages[1].instructions[1]"
    assert (finding.start_line, finding.end_line) == (4, 4)

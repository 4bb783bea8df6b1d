"""Secrets in images through the real CLI: every layer, deleted files, the image config, JSON and SARIF."""

from __future__ import annotations

import json

from contentcli import run_seawall
from imagetools import Entry, SyntheticImage, files, layer_tar, sha256, write_oci_layout

AWS_KEY = "AKIA" + "QZ2T7Y4W6V3X5R2L"
GH_TOKEN = "ghp_" + "k7Qm2Xp9Lr4Tn8Vb3Wc6Yd1Ze5Af0Gh2Jk4M"
ENV_FILE = f"# app settings\nREGION=eu-west-1\nAWS_ACCESS_KEY_ID={AWS_KEY}\n"


def secret_image(tmp_path):
    base = layer_tar(files({"etc/os-release": 'ID=debian\nVERSION_ID="12"\n', "app/run.sh": "echo hi\n"}))
    added = layer_tar(files({"app/.env": ENV_FILE, "app/config.yaml": "debug: true\n"}))
    removed = layer_tar([Entry("app/.wh..env")])
    image = SyntheticImage(
        [base, added, removed],
        created_by=["base", "COPY . /app", "RUN rm /app/.env"],
        config_extra={
            "config": {"Env": ["PATH=/usr/bin", f"GITHUB_TOKEN={GH_TOKEN}"], "Labels": {"team": "core"}}
        },
    )
    layout = write_oci_layout(tmp_path / "oci", image)
    return layout, [sha256(layer) for layer in (base, added, removed)]


def test_secret_deleted_in_a_later_layer_is_reported_with_its_layer(tmp_path):
    layout, diff_ids = secret_image(tmp_path)
    proc = run_seawall(tmp_path, "image", "--input", str(layout), "--scanners", "secret", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    by_target = {r["Target"]: r for r in report["Results"] if r["Class"] == "secret"}
    assert set(by_target) == {"app/.env", "image config: Env"}
    (secret,) = by_target["app/.env"]["Secrets"]
    assert secret["RuleID"] == "aws-access-key-id"
    assert secret["Category"] == "AWS"
    assert secret["Severity"] == "CRITICAL"
    assert secret["Title"] == "AWS Access Key ID"
    assert (secret["StartLine"], secret["EndLine"]) == (3, 3)
    assert secret["Match"] == "AWS_ACCESS_KEY_ID=A" + "*" * 18 + "L"
    assert secret["Layer"]["DiffID"] == diff_ids[1]
    assert secret["Layer"]["CreatedBy"] == "COPY . /app"
    assert secret["Deleted"] is True
    cause = [line for line in secret["Code"]["Lines"] if line["IsCause"]]
    assert [line["Number"] for line in cause] == [3]
    assert AWS_KEY not in proc.stdout and GH_TOKEN not in proc.stdout


def test_secret_in_image_config_environment(tmp_path):
    layout, _ = secret_image(tmp_path)
    proc = run_seawall(tmp_path, "image", "--input", str(layout), "--scanners", "secret", "-f", "json")
    report = json.loads(proc.stdout)
    (env,) = [r for r in report["Results"] if r["Target"] == "image config: Env"]
    assert [s["RuleID"] for s in env["Secrets"]] == ["github-pat"]
    assert env["Secrets"][0]["StartLine"] == 2
    assert "Deleted" not in env["Secrets"][0]


def test_sarif_and_table_carry_masked_secrets(tmp_path):
    layout, _ = secret_image(tmp_path)
    proc = run_seawall(tmp_path, "image", "--input", str(layout), "--scanners", "secret", "-f", "sarif")
    assert proc.returncode == 0, proc.stderr
    sarif = json.loads(proc.stdout)
    results = sarif["runs"][0]["results"]
    located = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results
    }
    assert ("aws-access-key-id", "app/.env") in located
    aws = next(r for r in results if r["ruleId"] == "aws-access-key-id")
    assert aws["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert "deleted in a later layer" in aws["message"]["text"]
    assert AWS_KEY not in proc.stdout
    table = run_seawall(tmp_path, "image", "--input", str(layout), "--scanners", "secret")
    assert "aws-access-key-id" in table.stdout and AWS_KEY not in table.stdout


def test_exit_code_and_severity_filter_apply_to_secrets(tmp_path):
    layout, _ = secret_image(tmp_path)
    args = ("image", "--input", str(layout), "--scanners", "secret", "-f", "json")
    failing = run_seawall(tmp_path, *args, "--exit-code", "5")
    assert failing.returncode == 5
    critical = json.loads(run_seawall(tmp_path, *args, "--severity", "CRITICAL").stdout)
    rules = [s["RuleID"] for r in critical["Results"] for s in r.get("Secrets", [])]
    assert rules == ["aws-access-key-id", "github-pat"]


def test_secret_scanner_off_means_no_secret_analysis(tmp_path):
    layout, _ = secret_image(tmp_path)
    proc = run_seawall(tmp_path, "image", "--input", str(layout), "--scanners", "malware", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert not [r for r in json.loads(proc.stdout)["Results"] if r["Class"] == "secret"]


def test_bad_secret_config_is_a_one_line_error(tmp_path):
    layout, _ = secret_image(tmp_path)
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("rules:\n  - id: x\n    regex: '([a-z'\n")
    proc = run_seawall(tmp_path, "image", "--input", str(layout), "--secret-config", str(cfg))
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "invalid regular expression" in lines[0], proc.stderr


def test_secrets_in_labels_and_history_are_found_and_masked(tmp_path):
    token = "glpat-" + "Xc4Vb8Nm2Lk6Jh0Gf3Ds"
    image = SyntheticImage(
        [layer_tar(files({"etc/hostname": "x\n", "srv/key.txt": f"{AWS_KEY}\n"}))],
        created_by=[f"RUN docker login -u ci -p S3cr3t-Pw0rd-41 registry.example.org && echo {token}"],
        config_extra={"config": {"Labels": {"ci.token": token, "team": "core"}}},
    )
    layout = write_oci_layout(tmp_path / "oci", image)
    proc = run_seawall(tmp_path, "image", "--input", str(layout), "--scanners", "secret", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    found = {(r["Target"], s["RuleID"]) for r in report["Results"] for s in r.get("Secrets", [])}
    assert ("image config: Labels", "gitlab-pat") in found
    assert ("image config: History", "gitlab-pat") in found
    assert ("image config: History", "private-registry-password") in found
    (in_file,) = [s for r in report["Results"] if r["Target"] == "srv/key.txt" for s in r["Secrets"]]
    assert "S3cr3t-Pw0rd-41" not in in_file["Layer"]["CreatedBy"]
    assert in_file["Layer"]["CreatedBy"].startswith("RUN docker login -u ci -p S")
    assert "S3cr3t-Pw0rd-41" not in proc.stdout and token not in proc.stdout
    config = report["Metadata"]["ImageConfig"]
    assert token not in json.dumps(config) and "S3cr3t-Pw0rd-41" not in json.dumps(config)
    assert config["config"]["Labels"]["team"] == "core"


def test_rootfs_directory_is_scanned_for_secrets(tmp_path):
    root = tmp_path / "root"
    (root / "etc/app").mkdir(parents=True)
    (root / "etc/app/settings.ini").write_text(f"[aws]\nkey = {AWS_KEY}\n")
    (root / "usr/share/doc/app").mkdir(parents=True)
    (root / "usr/share/doc/app/example.conf").write_text(f"key = {AWS_KEY}\n")
    proc = run_seawall(tmp_path, "rootfs", str(root), "--scanners", "secret", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    targets = [r["Target"] for r in report["Results"] if r["Class"] == "secret"]
    assert targets == ["etc/app/settings.ini"]


def test_cached_layers_give_the_same_findings_and_config_changes_rescan(tmp_path):
    layout, _ = secret_image(tmp_path)
    args = ("image", "--input", str(layout), "--scanners", "secret", "-f", "json")
    first = json.loads(run_seawall(tmp_path, *args).stdout)
    second = json.loads(run_seawall(tmp_path, *args).stdout)  # same cache directory: layers from cache
    assert [r for r in first["Results"] if r["Class"] == "secret"] == [
        r for r in second["Results"] if r["Class"] == "secret"
    ]
    cfg = tmp_path / "only-github.yaml"
    cfg.write_text("enable-builtin-rules: [github-pat]\n")
    narrowed = json.loads(run_seawall(tmp_path, *args, "--secret-config", str(cfg)).stdout)
    rules = {s["RuleID"] for r in narrowed["Results"] for s in r.get("Secrets", [])}
    assert "aws-access-key-id" not in rules  # the cached layer results of the built-in set were not reused
    assert "github-pat" in rules  # the image config is scanned with the same rule set
    cfg.write_text("disable-rules: [github-pat]\n")
    without = json.loads(run_seawall(tmp_path, *args, "--secret-config", str(cfg)).stdout)
    assert "github-pat" not in {s["RuleID"] for r in without["Results"] for s in r.get("Secrets", [])}

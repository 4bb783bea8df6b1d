"""The secret engine with the built-in rule set: provider rules, allow rules, masking, noise controls."""

from __future__ import annotations

import base64
import json
import random
import string

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from seawall.errors import UsageError
from seawall.scan.secrets.config import load_secret_config, parse_secret_config
from seawall.scan.secrets.engine import SecretEngine, mask, shannon_entropy
from seawall.scan.secrets.rules import BUILTIN_RULES

RNG = random.Random(6)
ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def openssh_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()


PEM = rsa_pem()
SA_JSON = json.dumps(
    {"type": "service_account", "project_id": "p-1", "private_key_id": rand(40), "private_key": PEM}, indent=2
)
DOCKER_AUTH = base64.b64encode(b"robot:" + rand(24).encode()).decode()
JWT = jwt.encode({"sub": "1234567890", "name": "svc", "iat": 1516239022}, rand(32), algorithm="HS256")

# (rule id, file name, content, the secret that must not appear unmasked)
SAMPLES = [
    ("aws-access-key-id", "app.env", "AWS_ACCESS_KEY_ID={k}\n", "AKIA" + rand(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")),
    ("aws-secret-access-key", "creds", "aws_secret_access_key = {k}\n", rand(40, ALNUM + "+/")),
    ("gcp-api-key", "maps.js", 'const k = "{k}";\n', "AIza" + rand(35)),
    ("github-pat", "ci.sh", "export GH=ghp_{k}\n", rand(36)),
    ("github-fine-grained-pat", "ci.sh", "export GH=github_pat_{k}\n", rand(82, ALNUM + "_")),
    ("gitlab-pat", "ci.yml", "token: glpat-{k}\n", rand(20)),
    ("slack-token", "bot.py", 'SLACK = "xoxb-{k}"\n', f"{rand(11, string.digits)}-{rand(13, string.digits)}-{rand(24)}"),
    ("slack-webhook-url", "hook.txt", "url=https://hooks.slack.com/services/{k}\n", f"T{rand(8)}/B{rand(8)}/{rand(24)}"),
    ("stripe-secret-key", "pay.rb", 'Stripe.api_key = "sk_live_{k}"\n', rand(24)),
    ("twilio-api-key", "sms.py", 'twilio_key = "SK{k}"\n', rand(32, "0123456789abcdef")),
    ("sendgrid-api-key", "mail.php", '$k = "SG.{k}";\n', f"{rand(22)}.{rand(43)}"),
    ("npm-access-token", ".npmrc", "//registry.npmjs.org/:_authToken=npm_{k}\n", rand(36)),
    ("pypi-upload-token", ".pypirc", "password = pypi-AgEIcHlwaS5vcmc{k}\n", rand(60)),
    ("docker-config-auth", "config.json", '{{"auths": {{"registry.example.org": {{"auth": "{k}"}}}}}}\n', DOCKER_AUTH),
    ("azure-storage-connection-string", "app.config",
     "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={k}==;EndpointSuffix=core.windows.net\n", rand(86, ALNUM + "+/")),
    ("gcp-service-account", "sa.json", "{k}", SA_JSON),
    ("private-key", "id_rsa", "{k}", PEM),
    ("private-key", "id_ed25519", "{k}", openssh_key()),
    ("jwt-token", "session.txt", "cookie={k}\n", JWT),
    ("url-credentials", "db.ini", "url = postgres://app:{k}@db.internal:5432/app\n", rand(18)),
    ("generic-password", "settings.ini", "db_password = {k}\n", rand(14) + "!7"),
    ("kubeconfig-token", "kubeconfig",
     "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: {k}\n", rand(40)),
    ("kubeconfig-client-key", "kubeconfig",
     "users:\n- name: a\n  user:\n    client-key-data: {k}\n", base64.b64encode(PEM.encode()).decode()),
]  # fmt: skip


@pytest.fixture(scope="module")
def engine() -> SecretEngine:
    return SecretEngine()


def test_there_are_at_least_80_builtin_rules_with_unique_ids():
    ids = [r.id for r in BUILTIN_RULES]
    assert len(ids) >= 80
    assert len(set(ids)) == len(ids)
    assert all(r.keywords for r in BUILTIN_RULES), "every built-in rule has prefilter keywords"


@pytest.mark.parametrize(
    ("rule_id", "name", "template", "secret"), SAMPLES, ids=[f"{s[0]}-{s[1]}" for s in SAMPLES]
)
def test_provider_rule_finds_and_masks(engine, rule_id, name, template, secret):
    text = template.format(k=secret)
    found = engine.scan(name, text)
    assert [m.rule_id for m in found] == [rule_id], found
    m = found[0]
    core = secret.strip().splitlines()[1] if secret.startswith("-----") else secret
    for field in (m.match, *m.context):
        assert core not in field, f"unmasked secret in {field!r}"
    assert m.start_line >= 1 and m.end_line >= m.start_line


def test_private_key_spans_begin_to_end_line_and_keeps_markers(engine):
    text = "# deploy key\n" + PEM + "tail\n"
    (m,) = engine.scan("deploy.pem", text)
    assert m.start_line == 2
    assert m.end_line == 1 + len(PEM.strip().splitlines())
    assert m.match == "-----BEGIN RSA PRIVATE KEY-----"
    body = [c for c in m.context if c.startswith("3: ")]
    assert body and set(body[0][3:]) == {"*"}


def test_mask_keeps_only_the_first_and_last_characters():
    assert mask("AKIAIOSFODNN7EXAMPL3") == "A" + "*" * 18 + "3"
    assert mask("short") == "*****"


def test_shannon_entropy():
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("abcd") == 2


@pytest.mark.parametrize(
    "text",
    [
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",  # AWS's documented example key
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        "password = ${DB_PASSWORD}\n",  # a reference, not a value
        "password: {{ .Values.password }}\n",
        "password = changeme123!\n",
        "api_token = xxxxxxxxxxxxxxxxxxxxxxxx\n",
        "db_password = hunter2-and-7  # pragma: allowlist secret\n",  # inline allow marker
        "const token = getTokenFromHeader(request);\n",  # code, not a literal
        "sha256_digest = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n",
        "user_password = not-a-password-just-words\n",
        '{"public": true, "volumes": [{"secret": {"secretName": "default-token-g2sp7"}}]}\n',  # a reference
        "password_file = /run/secrets/db-7f3a9c1e\n",
        "password: Zx9!kLm2Qp7rT4  # checkov:skip=CKV_SECRET_6 test secret\n",
    ],
)
def test_allow_rules_and_plausibility_checks_keep_it_quiet(engine, text):
    assert engine.scan("settings.conf", text) == []


def test_the_key_next_to_the_value_decides_not_words_earlier_on_the_line(engine):
    line = '{"public": true, "hash": "x", "client_secret": "Zx9kLm2Qp7rT4vW8yB3n"}\n'
    assert [m.rule_id for m in engine.scan("app.json", line)] == ["generic-secret"]


def test_generic_rules_skip_minified_bundles_but_provider_rules_do_not(engine):
    line = "var a=1;" * 200
    generic = line + 'var password="Zx9!kLm2Qp7rT4";' + line
    assert engine.scan("static/app.min.js", generic) == []
    assert engine.scan("static/app.js", generic) == []  # minified by its long first line
    key = line + 'var k="ghp_' + rand(36) + '";' + line
    assert [m.rule_id for m in engine.scan("static/app.min.js", key)] == ["github-pat"]
    (m,) = engine.scan("static/app.min.js", key)
    assert len(m.match) <= 203  # huge minified lines are cut in the report


def test_path_allow_rules(engine):
    key = "AKIA" + rand(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    text = f"aws = '{key}'\n"
    assert engine.scan("src/settings.py", text)
    for path in ("package-lock.json", "node_modules/x/index.js", "usr/share/doc/x/README", "a/b.js.map"):
        assert engine.scan(path, text) == [], path


def test_config_adds_rules_and_disables_allow_rules(tmp_path):
    cfg = tmp_path / "secret.yaml"
    cfg.write_text(
        """
rules:
  - id: internal-token
    category: Internal
    title: Internal service token
    severity: HIGH
    keywords: [itk_]
    regex: (?P<key>itk_)(?P<secret>[0-9a-f]{24})
allow-rules:
  - id: staging
    description: staging keys are public
    regex: ^itk_?0000
disable-rules: [jwt-token]
disable-allow-rules: [dependency-dirs]
"""
    )
    config = load_secret_config(cfg)
    engine = SecretEngine(config.rules, config.allow_rules)
    assert config.fingerprint != "builtin"
    found = engine.scan("svc.conf", "t = itk_9a3f0c7e21b84d5f6a0b9c8d\n")
    assert [(m.rule_id, m.severity) for m in found] == [("internal-token", "HIGH")]
    assert engine.scan("svc.conf", f"x = {JWT}\n") == []
    key = "ghp_" + rand(36)
    assert [m.rule_id for m in engine.scan("node_modules/x/a.js", f"k='{key}'\n")] == ["github-pat"]


def test_enable_builtin_rules_keeps_only_those():
    config = parse_secret_config({"enable-builtin-rules": ["github-pat"]}, "t")
    assert [r.id for r in config.rules] == ["github-pat"]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"rules": [{"id": "x", "regex": "([a-z"}]}, "invalid regular expression"),
        ({"rules": [{"regex": "abc"}]}, "id is required"),
        ({"rules": [{"id": "x", "regex": "a", "severity": "SEVERE"}]}, "severity must be"),
        ({"rulez": []}, "unknown key 'rulez'"),
        ({"enable-builtin-rules": ["no-such-rule"]}, "unknown rule"),
        ({"allow-rules": [{"id": "a"}]}, "needs a regex or a path"),
    ],
)
def test_bad_config_is_a_clear_error(data, words):
    with pytest.raises(UsageError, match=words):
        parse_secret_config(data, "secret.yaml")


def test_bad_yaml_file_is_a_clear_error(tmp_path):
    cfg = tmp_path / "s.yaml"
    cfg.write_text("rules: [\n")
    with pytest.raises(Exception) as info:
        load_secret_config(cfg)
    assert "s.yaml" in str(info.value)


def test_many_keys_in_one_file_are_capped(engine):
    text = "".join(f"k{i} = 'ghp_{rand(36)}'\n" for i in range(100))
    assert len(engine.scan("keys.txt", text)) == 20


@pytest.mark.timeout(120)  # a guard against regex blow-ups, not a speed assertion
@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN RSA PRIVATE KEY-----\n" * 60_000,  # BEGIN without END, repeated
        '"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----' * 30_000,
        "PuTTY-User-Key-File-2: ssh-rsa\nPrivate-Lines: 14\n" + "QUFB" * 500_000,
        "http://user:" * 150_000,
        ("token=" + "a1B2" * 10) * 40_000,
    ],
    ids=["pem-begin", "gcp-fragments", "putty-no-mac", "url-fragments", "one-line-tokens"],
)
def test_hostile_files_end_quickly_with_bounded_findings(engine, text):
    assert len(engine.scan("hostile.txt", text)) <= 20 * len(BUILTIN_RULES)


@pytest.mark.parametrize(
    ("begin", "headers"),
    [
        ("PGP PRIVATE KEY BLOCK", "Version: GnuPG v2\n\n"),
        ("ENCRYPTED PRIVATE KEY", ""),
        ("EC PRIVATE KEY", "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0F1E2D3C4B5A6978\n\n"),
    ],
)
def test_pgp_encrypted_and_headed_key_blocks(engine, begin, headers):
    body = base64.encodebytes(RNG.randbytes(600)).decode()
    text = f"-----BEGIN {begin}-----\n{headers}{body}=Ab3x\n-----END {begin}-----\n"
    (m,) = engine.scan("key.asc", text)
    assert (m.rule_id, m.start_line, m.end_line) == ("private-key", 1, len(text.splitlines()))
    assert body.splitlines()[0] not in "\n".join(m.context)

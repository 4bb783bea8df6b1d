"""The rule and allow-rule types, and the built-in rule set (written for Seawall, kept as data).

A rule is: lowercase keywords for the prefilter (a rule's regex runs only when one of them occurs in
the file), a regex whose ``secret`` group (or whole match) is the secret, an optional minimum Shannon
entropy of the secret, and rule-specific allow patterns. ``generic`` rules (no fixed prefix, e.g.
``password = ...``) are the noisy kind: they are not run on minified or vendored bundles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    """One secret rule."""

    id: str
    category: str
    title: str
    severity: str
    regex: str
    keywords: tuple[str, ...]
    entropy: float = 0.0
    generic: bool = False
    allow: tuple[str, ...] = ()  # regexes on the secret value that make a match not a secret
    multiline: bool = False  # the secret spans lines (private key blocks)
    secret_group: str = "secret"  # the named group holding the secret; the whole match when absent
    path: str = ""  # only files whose path matches this regex (custom rules)
    allow_paths: tuple[str, ...] = ()  # files whose path matches one of these are skipped for this rule
    # Where a match can lie around a keyword hit: (chars before the keyword's end, chars after). None:
    # anywhere in the file (custom rules, and rules whose keyword may be far from the secret).
    window: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class AllowRule:
    """A global allow rule: a secret matching ``regex``, or a file matching ``path``, is not reported."""

    id: str
    description: str = ""
    regex: str = ""
    path: str = ""


def _r(
    id: str,
    category: str,
    title: str,
    severity: str,
    regex: str,
    keywords: str,
    entropy: float = 0.0,
    **kw: object,
) -> Rule:
    # Built-in rules have their keyword at or just before the secret: search near the hits only.
    kw.setdefault("window", (MULTILINE_WINDOW if kw.get("multiline") else LINE_WINDOW))
    return Rule(id, category, title, severity, regex, tuple(keywords.split()), entropy, **kw)  # type: ignore[arg-type]


LINE_WINDOW = (320, 1024)
MULTILINE_WINDOW = (320, 20_480)


# Secret-shaped pieces used by several rules.
_B = r"(?:^|[^0-9A-Za-z_\-])"  # a left boundary that also accepts quotes, '=', ':' and line starts
_E = r"(?![0-9A-Za-z_\-])"  # the right boundary
_ASSIGN = r"""["']?\s*(?:=|:=|:|=>|,)\s*["'`]?"""  # key = value, key: value, "key": "value", key => value
_HEX = "0-9a-fA-F"
_B64 = "0-9A-Za-z+/"

BUILTIN_RULES: tuple[Rule, ...] = (
    # --- AWS ---
    _r(
        "aws-access-key-id",
        "AWS",
        "AWS Access Key ID",
        "CRITICAL",
        _B + r"(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})" + _E,
        "akia asia abia acca a3t",
    ),
    _r(
        "aws-secret-access-key",
        "AWS",
        "AWS Secret Access Key",
        "CRITICAL",
        r"(?i)aws_?(?:secret)?_?(?:access)?_?key"
        + r"""\w*["']?\s*(?:=|:|=>)\s*["']?"""
        + r"(?P<secret>["
        + _B64
        + r"]{40})"
        + r"(?![0-9A-Za-z+/=])",
        "aws_secret awssecret secret_access_key secretaccesskey aws_key",
        3.5,
    ),
    _r(
        "aws-session-token",
        "AWS",
        "AWS Session Token",
        "HIGH",
        r"(?i)aws_?session_?token" + _ASSIGN + r"(?P<secret>[" + _B64 + r"=]{100,})",
        "aws_session_token awssessiontoken",
    ),
    _r(
        "aws-account-id",
        "AWS",
        "AWS Account ID",
        "LOW",
        r"(?i)aws_?account_?id" + _ASSIGN + r"(?P<secret>[0-9]{4}-?[0-9]{4}-?[0-9]{4})" + _E,
        "aws_account_id awsaccountid",
    ),
    _r(
        "aws-mws-key",
        "AWS",
        "Amazon MWS Auth Token",
        "HIGH",
        r"(?P<secret>amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        "amzn.mws",
    ),
    # --- Google Cloud ---
    _r(
        "gcp-service-account",
        "GCP",
        "Google Cloud service account key (private key in JSON)",
        "CRITICAL",
        # Anchored on "private_key" (found near the "service_account" keyword): no unbounded gap to
        # scan, so a file of repeated fragments stays linear.
        r'"private_key"\s*:\s*"'
        r"(?P<secret>-----BEGIN (?:RSA )?PRIVATE KEY-----[^\"]{64,8192}?"
        r"-----END (?:RSA )?PRIVATE KEY-----(?:\\n)?)",
        "service_account",
        multiline=True,
    ),
    _r(
        "gcp-api-key",
        "GCP",
        "Google API key",
        "HIGH",
        _B + r"(?P<secret>AIza[0-9A-Za-z_\-]{35})" + _E,
        "aiza",
    ),
    _r(
        "gcp-oauth-client-secret",
        "GCP",
        "Google OAuth client secret",
        "HIGH",
        _B + r"(?P<secret>GOCSPX-[0-9A-Za-z_\-]{28})" + _E,
        "gocspx-",
    ),
    _r(
        "gcp-oauth-access-token",
        "GCP",
        "Google OAuth access token",
        "HIGH",
        _B + r"(?P<secret>ya29\.[0-9A-Za-z_\-]{30,})" + _E,
        "ya29.",
    ),
    # --- Azure ---
    _r(
        "azure-storage-connection-string",
        "Azure",
        "Azure storage account key in a connection string",
        "CRITICAL",
        r"(?i)AccountKey=(?P<secret>[" + _B64 + r"]{86}==)",
        "accountkey=",
    ),
    _r(
        "azure-sas-token",
        "Azure",
        "Azure shared access signature",
        "HIGH",
        r"(?i)[?&]sig=(?P<secret>[0-9A-Za-z%+/]{43,}(?:%3D|=))",
        "sig=",
        allow=(r"(?i)xxxx",),
    ),
    _r(
        "azure-ad-client-secret",
        "Azure",
        "Azure AD client secret",
        "HIGH",
        _B + r"(?P<secret>[0-9A-Za-z_~.\-]{3}[0-9]Q~[0-9A-Za-z_~.\-]{31,34})" + r"(?![0-9A-Za-z_~.\-])",
        "q~",
        3.0,
    ),
    _r(
        "azure-devops-pat",
        "Azure",
        "Azure DevOps personal access token",
        "HIGH",
        r"(?i)(?:azure|ado|devops)\w*(?:pat|token)\w*" + _ASSIGN + r"(?P<secret>[a-z2-7]{52})" + _E,
        "azure devops ado_",
        3.5,
    ),
    # --- GitHub ---
    _r(
        "github-pat",
        "GitHub",
        "GitHub personal access token",
        "CRITICAL",
        _B + r"(?P<secret>ghp_[0-9A-Za-z]{36})" + _E,
        "ghp_",
    ),
    _r(
        "github-fine-grained-pat",
        "GitHub",
        "GitHub fine-grained personal access token",
        "CRITICAL",
        _B + r"(?P<secret>github_pat_[0-9A-Za-z_]{82})" + _E,
        "github_pat_",
    ),
    _r(
        "github-oauth",
        "GitHub",
        "GitHub OAuth access token",
        "CRITICAL",
        _B + r"(?P<secret>gho_[0-9A-Za-z]{36})" + _E,
        "gho_",
    ),
    _r(
        "github-app-token",
        "GitHub",
        "GitHub App token",
        "CRITICAL",
        _B + r"(?P<secret>(?:ghu|ghs)_[0-9A-Za-z]{36})" + _E,
        "ghu_ ghs_",
    ),
    _r(
        "github-refresh-token",
        "GitHub",
        "GitHub refresh token",
        "CRITICAL",
        _B + r"(?P<secret>ghr_[0-9A-Za-z]{36,76})" + _E,
        "ghr_",
    ),
    # --- GitLab ---
    _r(
        "gitlab-pat",
        "GitLab",
        "GitLab personal access token",
        "CRITICAL",
        _B + r"(?P<secret>glpat-[0-9A-Za-z_\-]{20,})" + _E,
        "glpat-",
    ),
    _r(
        "gitlab-pipeline-trigger-token",
        "GitLab",
        "GitLab pipeline trigger token",
        "HIGH",
        _B + r"(?P<secret>glptt-[0-9a-f]{40})" + _E,
        "glptt-",
    ),
    _r(
        "gitlab-runner-token",
        "GitLab",
        "GitLab runner registration or authentication token",
        "HIGH",
        _B + r"(?P<secret>(?:GR1348941|glrt-)[0-9A-Za-z_\-]{20,})" + _E,
        "gr1348941 glrt-",
    ),
    _r(
        "gitlab-deploy-token",
        "GitLab",
        "GitLab deploy token",
        "HIGH",
        _B + r"(?P<secret>gldt-[0-9A-Za-z_\-]{20,})" + _E,
        "gldt-",
    ),
    _r(
        "gitlab-feed-token",
        "GitLab",
        "GitLab feed or incoming-mail token",
        "MEDIUM",
        _B + r"(?P<secret>(?:glft|glimt)-[0-9A-Za-z_\-]{20,})" + _E,
        "glft- glimt-",
    ),
    _r(
        "gitlab-oauth-secret",
        "GitLab",
        "GitLab OAuth application secret",
        "HIGH",
        _B + r"(?P<secret>gloas-[0-9A-Za-z_\-]{64})" + _E,
        "gloas-",
    ),
    # --- Chat ---
    _r(
        "slack-token",
        "Slack",
        "Slack token",
        "HIGH",
        _B + r"(?P<secret>xox[baprseo]-[0-9]{8,14}-[0-9A-Za-z\-]{8,80})" + _E,
        "xoxb- xoxa- xoxp- xoxr- xoxs- xoxe- xoxo-",
    ),
    _r(
        "slack-app-token",
        "Slack",
        "Slack app-level token",
        "HIGH",
        _B + r"(?P<secret>xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{32,})" + _E,
        "xapp-",
    ),
    _r(
        "slack-webhook-url",
        "Slack",
        "Slack incoming webhook URL",
        "MEDIUM",
        r"(?P<secret>https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9+/]{40,})",
        "hooks.slack.com",
    ),
    _r(
        "discord-webhook-url",
        "Discord",
        "Discord webhook URL",
        "MEDIUM",
        r"(?P<secret>https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[0-9A-Za-z_\-]{60,})",
        "discord.com/api/webhooks discordapp.com/api/webhooks",
    ),
    _r(
        "discord-bot-token",
        "Discord",
        "Discord bot token",
        "HIGH",
        r"(?i)discord\w*(?:token|secret)\w*"
        + _ASSIGN
        + r"(?P<secret>[MNO][0-9A-Za-z_\-]{23,25}\.[0-9A-Za-z_\-]{6}\.[0-9A-Za-z_\-]{27,38})",
        "discord",
    ),
    _r(
        "telegram-bot-token",
        "Telegram",
        "Telegram bot token",
        "HIGH",
        r"(?i)(?:telegram|tgbot|bot_?token)\w*" + _ASSIGN + r"(?P<secret>\d{8,10}:AA[0-9A-Za-z_\-]{33})" + _E,
        "telegram tgbot bot_token bottoken",
    ),
    _r(
        "microsoft-teams-webhook",
        "Microsoft",
        "Microsoft Teams incoming webhook",
        "MEDIUM",
        r"(?P<secret>https://[a-z0-9]+\.webhook\.office\.com/webhookb2/[0-9a-f\-]{36}@[0-9a-f\-]{36}"
        r"/IncomingWebhook/[0-9a-f]{32}/[0-9a-f\-]{36})",
        "webhook.office.com",
    ),
    # --- Payments ---
    _r(
        "stripe-secret-key",
        "Stripe",
        "Stripe secret or restricted key",
        "CRITICAL",
        _B + r"(?P<secret>(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{20,99})" + _E,
        "sk_live_ sk_test_ rk_live_ rk_test_",
    ),
    _r(
        "stripe-webhook-secret",
        "Stripe",
        "Stripe webhook signing secret",
        "HIGH",
        _B + r"(?P<secret>whsec_[0-9A-Za-z]{32,})" + _E,
        "whsec_",
    ),
    _r(
        "square-access-token",
        "Square",
        "Square access token",
        "HIGH",
        _B + r"(?P<secret>(?:EAAA|sq0atp-)[0-9A-Za-z_\-]{22,60})" + _E,
        "sq0atp- eaaa",
        3.5,
    ),
    _r(
        "square-oauth-secret",
        "Square",
        "Square OAuth secret",
        "HIGH",
        _B + r"(?P<secret>sq0csp-[0-9A-Za-z_\-]{43})" + _E,
        "sq0csp-",
    ),
    _r(
        "paypal-braintree-token",
        "PayPal",
        "PayPal Braintree access token",
        "HIGH",
        r"(?P<secret>access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})",
        "access_token$production$",
    ),
    _r(
        "shopify-token",
        "Shopify",
        "Shopify access token or shared secret",
        "HIGH",
        _B + r"(?P<secret>shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32})" + _E,
        "shpat_ shpca_ shppa_ shpss_",
    ),
    _r(
        "flutterwave-secret-key",
        "Flutterwave",
        "Flutterwave secret key",
        "HIGH",
        _B + r"(?P<secret>FLWSECK(?:_TEST)?-[0-9a-h]{32}-X)" + _E,
        "flwseck",
    ),
    # --- Messaging and email ---
    _r(
        "twilio-api-key",
        "Twilio",
        "Twilio API key",
        "HIGH",
        _B + r"(?P<secret>SK[0-9a-fA-F]{32})" + _E,
        "twilio",
        3.0,
        window=None,
        allow=(r"^SK0{32}$",),
    ),
    _r(
        "twilio-auth-token",
        "Twilio",
        "Twilio auth token",
        "HIGH",
        r"(?i)twilio\w*(?:auth)?_?token\w*" + _ASSIGN + r"(?P<secret>[0-9a-f]{32})" + _E,
        "twilio",
        3.0,
    ),
    _r(
        "sendgrid-api-key",
        "SendGrid",
        "SendGrid API key",
        "CRITICAL",
        _B + r"(?P<secret>SG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43})" + _E,
        "sg.",
    ),
    _r(
        "mailgun-api-key",
        "Mailgun",
        "Mailgun API key",
        "HIGH",
        _B + r"(?P<secret>key-[0-9a-f]{32})" + _E,
        "key-",
        3.0,
    ),
    _r(
        "mailchimp-api-key",
        "Mailchimp",
        "Mailchimp API key",
        "HIGH",
        _B + r"(?P<secret>[0-9a-f]{32}-us\d{1,2})" + _E,
        "-us",
        3.0,
    ),
    _r(
        "postmark-server-token",
        "Postmark",
        "Postmark server token",
        "MEDIUM",
        r"(?i)postmark\w*"
        + _ASSIGN
        + r"(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        "postmark",
    ),
    # --- Package registries ---
    _r(
        "npm-access-token",
        "npm",
        "npm access token",
        "CRITICAL",
        _B + r"(?P<secret>npm_[0-9A-Za-z]{36})" + _E,
        "npm_",
    ),
    _r(
        "npmrc-auth-token",
        "npm",
        "npm registry auth token in .npmrc",
        "HIGH",
        r"(?i)(?:^|\s|/)[^\s]*:_authToken\s*=\s*(?P<secret>[0-9A-Za-z_\-+/=.]{20,})",
        "_authtoken",
        3.0,
        allow=(r"^\$\{",),
    ),
    _r(
        "npmrc-auth",
        "npm",
        "npm registry basic auth (_auth) in .npmrc",
        "HIGH",
        r"(?i)(?:^|:)_auth\s*=\s*(?P<secret>[" + _B64 + r"]{16,}={0,2})",
        "_auth",
        3.0,
    ),
    _r(
        "pypi-upload-token",
        "PyPI",
        "PyPI upload token",
        "CRITICAL",
        _B + r"(?P<secret>pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_\-]{50,})" + _E,
        "pypi-ageichlwas5vcmc",
    ),
    _r(
        "rubygems-api-key",
        "RubyGems",
        "RubyGems API key",
        "HIGH",
        _B + r"(?P<secret>rubygems_[0-9a-f]{48})" + _E,
        "rubygems_",
    ),
    _r(
        "nuget-api-key",
        "NuGet",
        "NuGet API key",
        "HIGH",
        _B + r"(?P<secret>oy2[a-z0-9]{43})" + _E,
        "oy2",
        3.5,
    ),
    _r(
        "docker-hub-pat",
        "Docker",
        "Docker Hub personal access token",
        "HIGH",
        _B + r"(?P<secret>dckr_pat_[0-9A-Za-z_\-]{27})" + _E,
        "dckr_pat_",
    ),
    _r(
        "docker-config-auth",
        "Docker",
        "Registry credentials in a Docker config (auths)",
        "HIGH",
        r'"auths"\s*:\s*\{[\s\S]{0,4000}?"auth"\s*:\s*"(?P<secret>[' + _B64 + r"]{8,}={0,2})\"",
        '"auths"',
        multiline=True,
    ),
    _r(
        "artifactory-token",
        "JFrog",
        "JFrog Artifactory API key or reference token",
        "HIGH",
        _B + r"(?P<secret>(?:AKCp[0-9A-Za-z]{69}|cmVmdGtu[0-9A-Za-z]{56}))" + _E,
        "akcp cmvmdgtu",
    ),
    _r(
        "hashicorp-vault-token",
        "HashiCorp",
        "HashiCorp Vault token",
        "CRITICAL",
        _B + r"(?P<secret>hv[sb]\.[0-9A-Za-z_\-]{90,120})" + _E,
        "hvs. hvb.",
    ),
    _r(
        "terraform-cloud-token",
        "HashiCorp",
        "Terraform Cloud API token",
        "HIGH",
        _B + r"(?P<secret>[0-9A-Za-z]{14}\.atlasv1\.[0-9A-Za-z_\-=]{60,70})" + _E,
        "atlasv1",
    ),
    # --- Kubernetes ---
    _r(
        "kubeconfig-token",
        "Kubernetes",
        "Kubernetes bearer token in a kubeconfig",
        "HIGH",
        r"(?ms)^users:\s*$.{0,2000}?^\s+token:\s*[\"']?(?P<secret>[0-9A-Za-z_\-.:=]{20,})",
        "users:",
        3.0,
        allow=(r"^\$", r"^<"),
    ),
    _r(
        "kubeconfig-client-key",
        "Kubernetes",
        "Client private key in a kubeconfig",
        "CRITICAL",
        r"(?m)^\s*client-key-data:\s*[\"']?(?P<secret>LS0tLS1CRUdJTi[" + _B64 + r"=]{40,})",
        "client-key-data",
    ),
    _r(
        "kubeconfig-password",
        "Kubernetes",
        "Basic-auth password in a kubeconfig",
        "HIGH",
        r"(?ms)^users:.*?^\s+password:\s*[\"']?(?P<secret>[^\s\"']{6,})",
        "users:",
        multiline=True,
    ),
    # --- Private keys and certificates ---
    _r(
        "private-key",
        "PrivateKey",
        "Asymmetric private key",
        "HIGH",
        # The body cannot contain "-----", so a BEGIN without an END stops at the next marker instead
        # of searching 16 KiB ahead (a file of repeated BEGIN lines would otherwise take minutes).
        r"-----BEGIN[ A-Z0-9]{0,30} PRIVATE KEY(?: BLOCK)?-----"
        r"(?P<secret>(?:[A-Za-z0-9+/=\s:,.\"_\\()]|-(?!----)){32,16384}?)"
        r"-----END[ A-Z0-9]{0,30} PRIVATE KEY(?: BLOCK)?-----",
        "key----- block-----",
        multiline=True,
        allow=(r"(?i)\.\.\.|<[a-z ]+>|x{16}",),
    ),
    _r(
        "putty-private-key",
        "PrivateKey",
        "PuTTY private key",
        "HIGH",
        r"(?P<secret>PuTTY-User-Key-File-\d: [^\n]{1,100}\n(?:[^\n]{0,200}\n){0,60}?Private-Lines: \d+\s+"
        r"[A-Za-z0-9+/=\s]{40,8192}?Private-MAC: [0-9a-f]+)",
        "putty-user-key-file",
        multiline=True,
    ),
    _r(
        "age-secret-key",
        "PrivateKey",
        "age encryption secret key",
        "CRITICAL",
        _B + r"(?P<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})" + _E,
        "age-secret-key-1",
    ),
    # --- Tokens with well-known shapes ---
    _r(
        "jwt-token",
        "JWT",
        "JSON Web Token",
        "MEDIUM",
        _B + r"(?P<secret>eyJ[0-9A-Za-z_\-]{10,}\.eyJ[0-9A-Za-z_\-]{10,}\.[0-9A-Za-z_\-]{16,})" + _E,
        "eyj",
    ),
    _r(
        "url-credentials",
        "Credentials",
        "Credentials embedded in a URL",
        "HIGH",
        r"(?i)\b(?:https?|ftp|ssh|git|s3|smtps?|amqps?|redis|rediss|mongodb(?:\+srv)?|postgres(?:ql)?|mysql|mssql"
        r"|jdbc:[a-z]+|ldaps?|sftp)://[^\s:/@\"'<>]{1,64}:(?P<secret>[^\s:/@\"'<>$\{\}%]{3,128})@[0-9A-Za-z.\-_\[\]]+",
        "://",
        allow=(
            r"(?i)^(?:password|passw(?:or)?d|pass|pwd|secret|changeme|xxx+|\*+|test|example|dummy|none|null)$",
            r"^<.*>$",
        ),
    ),
    _r(
        "basic-auth-header",
        "Credentials",
        "HTTP basic authorization header",
        "MEDIUM",
        r"(?i)authorization\s*[:=]\s*[\"']?basic\s+(?P<secret>["
        + _B64
        + r"]{12,}={0,2})"
        + r"(?!["
        + _B64
        + r"])",
        "basic ",
        3.0,
    ),
    _r(
        "bearer-token",
        "Credentials",
        "HTTP bearer token",
        "MEDIUM",
        r"(?i)authorization\s*[:=]\s*[\"']?bearer\s+(?P<secret>[0-9A-Za-z_\-.~+/]{24,}={0,2})",
        "bearer ",
        3.5,
        generic=True,
    ),
    # --- SaaS and developer tools ---
    _r(
        "openai-api-key",
        "OpenAI",
        "OpenAI API key",
        "HIGH",
        _B + r"(?P<secret>sk-(?:proj-|svcacct-|admin-)?[0-9A-Za-z_\-]{20,}T3BlbkFJ[0-9A-Za-z_\-]{20,})" + _E,
        "t3blbkfj",
    ),
    _r(
        "anthropic-api-key",
        "Anthropic",
        "Anthropic API key",
        "HIGH",
        _B + r"(?P<secret>sk-ant-(?:api|admin)\d\d-[0-9A-Za-z_\-]{80,})" + _E,
        "sk-ant-",
    ),
    _r(
        "huggingface-token",
        "HuggingFace",
        "Hugging Face access token",
        "HIGH",
        _B + r"(?P<secret>hf_[A-Za-z]{34})" + _E,
        "hf_",
        3.5,
    ),
    _r(
        "atlassian-api-token",
        "Atlassian",
        "Atlassian API token",
        "HIGH",
        _B + r"(?P<secret>ATATT3[0-9A-Za-z_\-=]{180,})" + _E,
        "atatt3",
    ),
    _r(
        "bitbucket-app-password",
        "Atlassian",
        "Bitbucket app password",
        "HIGH",
        _B + r"(?P<secret>ATBB[0-9A-Za-z]{28,32})" + _E,
        "atbb",
        3.5,
    ),
    _r(
        "digitalocean-token",
        "DigitalOcean",
        "DigitalOcean token",
        "HIGH",
        _B + r"(?P<secret>do[opr]_v1_[0-9a-f]{64})" + _E,
        "dop_v1_ doo_v1_ dor_v1_",
    ),
    _r(
        "heroku-api-key",
        "Heroku",
        "Heroku API key",
        "HIGH",
        r"(?i)heroku\w*(?:key|token|secret)\w*"
        + _ASSIGN
        + r"(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        "heroku",
    ),
    _r(
        "heroku-api-key-v2",
        "Heroku",
        "Heroku API key",
        "HIGH",
        _B + r"(?P<secret>HRKU-AA[0-9A-Za-z_\-]{58})" + _E,
        "hrku-aa",
    ),
    _r(
        "datadog-api-key",
        "Datadog",
        "Datadog API or application key",
        "HIGH",
        r"(?i)(?:datadog|dd)_?(?:api|app(?:lication)?)_?key"
        + _ASSIGN
        + r"(?P<secret>[0-9a-f]{32}(?:[0-9a-f]{8})?)"
        + _E,
        "datadog dd_api dd_app ddapi ddapp",
        3.0,
    ),
    _r(
        "new-relic-key",
        "NewRelic",
        "New Relic API key",
        "HIGH",
        _B + r"(?P<secret>NR(?:AK|AA|II|JS)-[0-9A-Za-z]{27})" + _E,
        "nrak- nraa- nrii- nrjs-",
    ),
    _r(
        "sentry-auth-token",
        "Sentry",
        "Sentry auth token",
        "HIGH",
        _B + r"(?P<secret>sntr[ysu]_[0-9A-Za-z_\-=+/]{40,})" + _E,
        "sntrys_ sntryu_ sntrus_",
    ),
    _r(
        "grafana-token",
        "Grafana",
        "Grafana API key or service account token",
        "HIGH",
        _B + r"(?P<secret>(?:glsa_[0-9A-Za-z]{32}_[0-9a-f]{8}|glc_[0-9A-Za-z+/]{32,}={0,2}))" + _E,
        "glsa_ glc_",
    ),
    _r(
        "pulumi-token",
        "Pulumi",
        "Pulumi access token",
        "HIGH",
        _B + r"(?P<secret>pul-[0-9a-f]{40})" + _E,
        "pul-",
    ),
    _r(
        "doppler-token",
        "Doppler",
        "Doppler token",
        "HIGH",
        _B + r"(?P<secret>dp\.(?:pt|st|sa|ct|scim|audit)\.[0-9A-Za-z]{40,44})" + _E,
        "dp.pt. dp.st. dp.sa. dp.ct.",
    ),
    _r(
        "linear-api-key",
        "Linear",
        "Linear API key",
        "HIGH",
        _B + r"(?P<secret>lin_api_[0-9A-Za-z]{40})" + _E,
        "lin_api_",
    ),
    _r(
        "notion-token",
        "Notion",
        "Notion integration token",
        "HIGH",
        _B + r"(?P<secret>(?:secret_[0-9A-Za-z]{43}|ntn_[0-9]{11}[0-9A-Za-z]{35}))" + _E,
        "secret_ ntn_",
        4.0,
    ),
    _r(
        "asana-token",
        "Asana",
        "Asana personal access token",
        "MEDIUM",
        r"(?i)asana\w*" + _ASSIGN + r"(?P<secret>[0-9]/[0-9]{16}:[0-9a-f]{32})",
        "asana",
    ),
    _r(
        "dropbox-token",
        "Dropbox",
        "Dropbox access token",
        "HIGH",
        _B + r"(?P<secret>sl\.[0-9A-Za-z_\-]{130,})" + _E,
        "sl.",
    ),
    _r(
        "shippo-token",
        "Shippo",
        "Shippo API token",
        "MEDIUM",
        _B + r"(?P<secret>shippo_(?:live|test)_[0-9a-f]{40})" + _E,
        "shippo_",
    ),
    _r(
        "planetscale-token",
        "PlanetScale",
        "PlanetScale token or password",
        "HIGH",
        _B + r"(?P<secret>pscale_(?:tkn|oauth|pw)_[0-9A-Za-z_\-.=]{32,64})" + _E,
        "pscale_",
    ),
    _r(
        "databricks-token",
        "Databricks",
        "Databricks API token",
        "HIGH",
        _B + r"(?P<secret>dapi[0-9a-h]{32}(?:-\d)?)" + _E,
        "dapi",
        3.0,
    ),
    _r(
        "contentful-token",
        "Contentful",
        "Contentful delivery or management token",
        "MEDIUM",
        _B + r"(?P<secret>CFPAT-[0-9A-Za-z_\-]{43})" + _E,
        "cfpat-",
    ),
    _r(
        "okta-api-token",
        "Okta",
        "Okta API token",
        "HIGH",
        r"(?i)okta\w*(?:token|key)\w*" + _ASSIGN + r"(?P<secret>00[0-9A-Za-z_\-]{40})" + _E,
        "okta",
        3.5,
    ),
    _r(
        "facebook-access-token",
        "Facebook",
        "Facebook access token",
        "HIGH",
        _B + r"(?P<secret>EAACEdEose0cBA[0-9A-Za-z]{20,})" + _E,
        "eaacedeose0cba",
    ),
    _r(
        "twitter-bearer-token",
        "Twitter",
        "Twitter/X bearer token",
        "HIGH",
        _B + r"(?P<secret>A{22}[0-9A-Za-z%]{80,})" + _E,
        "aaaaaaaaaaaaaaaaaaaaaa",
    ),
    _r(
        "mapbox-token",
        "Mapbox",
        "Mapbox secret token",
        "MEDIUM",
        _B + r"(?P<secret>sk\.eyJ[0-9A-Za-z_\-]{50,}\.[0-9A-Za-z_\-]{20,})" + _E,
        "sk.eyj",
    ),
    _r(
        "alibaba-access-key-id",
        "Alibaba",
        "Alibaba Cloud AccessKey ID",
        "HIGH",
        _B + r"(?P<secret>LTAI[0-9A-Za-z]{20})" + _E,
        "ltai",
        3.0,
    ),
    _r(
        "tencent-secret-id",
        "Tencent",
        "Tencent Cloud SecretId",
        "HIGH",
        _B + r"(?P<secret>AKID[0-9A-Za-z]{32})" + _E,
        "akid",
        3.5,
    ),
    _r(
        "ibm-cloud-api-key",
        "IBM",
        "IBM Cloud API key",
        "HIGH",
        r"(?i)(?:ibm|bluemix)\w*(?:api)?_?key\w*" + _ASSIGN + r"(?P<secret>[0-9A-Za-z_\-]{44})" + _E,
        "ibm bluemix",
        3.5,
    ),
    _r(
        "cloudflare-api-token",
        "Cloudflare",
        "Cloudflare API token or key",
        "HIGH",
        r"(?i)cloudflare\w*(?:token|key)\w*" + _ASSIGN + r"(?P<secret>[0-9A-Za-z_\-]{37,40})" + _E,
        "cloudflare",
        3.5,
    ),
    _r(
        "fastly-api-token",
        "Fastly",
        "Fastly API token",
        "HIGH",
        r"(?i)fastly\w*(?:token|key)\w*" + _ASSIGN + r"(?P<secret>[0-9A-Za-z_\-]{32})" + _E,
        "fastly",
        3.5,
    ),
    _r(
        "algolia-admin-key",
        "Algolia",
        "Algolia admin API key",
        "MEDIUM",
        r"(?i)algolia\w*(?:admin|api)\w*key\w*" + _ASSIGN + r"(?P<secret>[0-9a-f]{32})" + _E,
        "algolia",
        3.0,
    ),
    _r(
        "circleci-token",
        "CircleCI",
        "CircleCI personal token",
        "HIGH",
        _B + r"(?P<secret>CCIPAT_[0-9A-Za-z]{22}_[0-9a-f]{40})" + _E,
        "ccipat_",
    ),
    _r(
        "private-registry-password",
        "Credentials",
        "Registry password on a docker login command line",
        "HIGH",
        r"docker\s+login\b[^\n]*?\s(?:-p|--password)[ =][\"']?(?P<secret>[^\s\"'$]{6,})",
        "docker login",
    ),
    _r(
        "database-connection-password",
        "Credentials",
        "Password in a database connection string",
        "HIGH",
        r"(?i)(?:Server|Data Source|Host|Uid|User ID|Database|Initial Catalog)=[^;\n\"']{1,200};"
        r"[^\n\"']{0,200}?(?:Password|Pwd)=(?P<secret>[^;\s\"'$\{]{6,64})(?=;|\s|[\"']|$)",
        "password= pwd=",
        2.5,
        allow=(r"(?i)^(?:password|\*+|xxx+|changeme|secret|<.*>)$",),
    ),
    # --- Generic assignments (entropy-gated, the noisy kind) ---
    _r(
        "generic-password",
        "Generic",
        "Password assignment",
        "MEDIUM",
        r"(?i)(?:password|passwd|passphrase|pwd)[a-z0-9_\-]*[\"']?"
        r"\s*(?:=|:=|:|=>)\s*(?:!!binary\s+)?[\"'`]?(?P<secret>[^\s\"'`<>,;()\[\]{}$%]{8,128})",
        "password passwd passphrase pwd",
        3.0,
        generic=True,
    ),
    _r(
        "generic-secret",
        "Generic",
        "Secret, token or API key assignment",
        "MEDIUM",
        r"(?i)(?:secret|token|api[_\-]?key|access[_\-]?key|auth[_\-]?key"
        r"|private[_\-]?key|client[_\-]?secret|credential)s?[a-z0-9_\-]*[\"']?"
        r"\s*(?:=|:=|:|=>)\s*(?:!!binary\s+)?[\"'`]?(?P<secret>[0-9A-Za-z_\-+/=.~]{16,256})(?![0-9A-Za-z_\-+/=.~])",
        "secret token apikey api_key api-key access_key accesskey auth_key authkey private_key credential",
        3.5,
        generic=True,
    ),
)

# A quoted, very random value assigned to a name ending in "key" (apiKey, signing_key, key).
BUILTIN_RULES += (
    _r(
        "generic-key",
        "Generic",
        "High-entropy key assignment",
        "MEDIUM",
        r"(?i)key[\"']?\s*(?:=|:=|:|=>)\s*[\"'`]"
        r"(?P<secret>[0-9A-Za-z_\-+/=.~]{20,256})(?=[\"'`])",
        "key",
        4.3,
        generic=True,
    ),
)

# Placeholders and documented example values: a match whose secret fits one of these is not reported.
BUILTIN_ALLOW_RULES: tuple[AllowRule, ...] = (
    AllowRule(
        "aws-example-keys",
        "AWS documentation example keys",
        regex=r"^(?:AKIAIOSFODNN7EXAMPLE|"
        r"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY|AKIAI44QH8DHBEXAMPLE|"
        r"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY)$",
    ),
    AllowRule(
        "example-marker",
        "values that say they are examples",
        regex=r"(?i)example|sample|dummy|fake|placeholder"
        r"|redacted|changeme|change_me|your[_\-]?(?:key|token|secret|password)|insert|replace|^[:_\-$%{]*passw",
    ),
    AllowRule("test-marker", "values made of repeated TEST", regex=r"(?i)(?:test){2,}"),
    AllowRule("masked", "masked or repeated characters", regex=r"^(.)\1{5,}|x{6,}|X{6,}|\*{4,}|\.{3}"),
    AllowRule(
        "templated", "template and variable references", regex=r"^(?:\$|%\(|\{\{|<%|@|#\{)|\$\{|\{\{|\}\}"
    ),
    AllowRule(
        "sequential", "keyboard and counting sequences", regex=r"(?i)0123456789|123456789|abcdefghij|qwerty"
    ),
    AllowRule(
        "lock-files",
        "package lock files hold hashes, not secrets",
        path=r"(?:^|/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|go\.sum|Cargo\.lock"
        r"|poetry\.lock|Pipfile\.lock|uv\.lock|pdm\.lock|composer\.lock|Gemfile\.lock|packages\.lock\.json"
        r"|gradle\.lockfile|\.terraform\.lock\.hcl)$",
    ),
    AllowRule(
        "package-test-fixtures",
        "test fixtures and examples shipped inside installed packages",
        path=r"(?:^|/)(?:node_modules|site-packages|dist-packages|vendor|gems|\.cargo/registry|go/pkg/mod)/"
        r"(?:.*/)?(?:tests?|__tests__|spec|specs|fixtures?|testdata|test_data|examples?|docs?)/",
    ),
    AllowRule(
        "python-package-docs",
        "example values in installed SDK documentation data",
        path=r"(?:^|/)(?:botocore/data|boto3/examples|awscli/examples|aws-sdk/apis)/"
        r"|\.(?:examples|paginators)\.json$",
    ),
    AllowRule(
        "package-docs",
        "documentation, tests and type declarations shipped inside installed packages",
        path=r"(?:^|/)(?:node_modules|site-packages|dist-packages|vendor|gems)/.*\.(?:md|markdown|rst|adoc)$"
        r"|(?:^|/)(?:node_modules|site-packages|dist-packages|vendor|gems)/(?:.*/)?"
        r"(?:tests?|specs?)(?:[_.\-][^/]*)?\.[a-z]+$"
        r"|(?:^|/)(?:node_modules|site-packages|dist-packages|vendor|gems)/.*[_.\-](?:test|spec)\.[a-z]+$"
        r"|\.d\.[cm]?ts$",
    ),
    AllowRule("source-maps", "source maps repeat the bundle they describe", path=r"\.(?:js|css)\.map$"),
    AllowRule(
        "os-package-dirs",
        "files installed by the distribution's packages (documentation, libraries, headers, data)",
        path=r"^usr/(?:share|include|lib|lib32|lib64|libx32|libexec)/",
    ),
    AllowRule(
        "dependency-dirs",
        "third-party dependency trees (their authors' files, not the application's secrets)",
        path=r"(?:^|/)(?:node_modules|bower_components|jspm_packages|site-packages|dist-packages|vendor)/"
        r"|^usr/local/go/|^opt/yarn-v[0-9.]+/",
    ),
)

# Names of files whose content is usually a minified or vendored bundle: only provider-specific rules run.
MINIFIED_SUFFIXES = (".min.js", ".min.mjs", ".min.css", ".bundle.js", ".chunk.js")


def validate_regex(pattern: str, where: str) -> re.Pattern[str]:
    """Compile ``pattern``, turning a syntax error into a clear one-line message."""
    from seawall.errors import UsageError

    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"{where}: invalid regular expression: {exc}") from exc

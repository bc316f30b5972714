# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site file's typed schema, and the checks that need nothing but the file itself.

The schema is the onprem.wandb.site doc fragment (plugins/doc_fragments/site.py), read here in the
argument-spec vocabulary ansible-doc shows: type, required, choices, elements, suboptions. It is
applied strictly, as YAML typed it: ansible-core's ArgumentSpecValidator converts ('yes' -> True,
3306 -> '3306'), which is right for a module's parameters and wrong for a site file, where
`endpoints.mysql: 3306` is a mistake to name, not a host "3306" to accept. What that vocabulary
cannot say (URLs, host[:port], S3 bucket names, CIDRs, calendars, ranges) is FORMATS, one table
keyed by the same paths. Role variables in vars/group_vars/host_vars are a module's parameters, so
they go through ansible-core's own ArgumentSpecValidator against the roles' meta/argument_specs.yml.

Every message names the key path, the value (unless it looks secret) and what is allowed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import ipaddress
import os
import re

from ansible_collections.onprem.wandb.plugins.doc_fragments.site import ModuleDocFragment

_SCHEMA = []
_ROLE_SPECS = []
_TYPE_PHRASES = {"str": "a string", "int": "a whole number", "bool": "true or false", "list": "a list",
                 "dict": "a mapping", "path": "a path", "raw": "a value"}
_IPV4 = re.compile(r"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$")
_HOST_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def schema():
    """The site file's options (the doc fragment's, parsed once)."""
    if not _SCHEMA:
        import yaml  # a dependency of ansible-core, imported late so sanity's import test loads the module without it

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when there: the schema is a long document
        _SCHEMA.append(yaml.load(ModuleDocFragment.DOCUMENTATION, Loader=loader)["options"])
    return _SCHEMA[0]


def option(path):
    """The schema entry of a dotted key path (None when the schema has no such key)."""
    options, entry = schema(), None
    for part in path.split("."):
        entry = (options or {}).get(part)
        if entry is None:
            return None
        options = entry.get("suboptions")
    return entry


# ---------------------------------------------------------------------------------------------------
# Secrets inside values: never printed, refused where plain text would be a secret in the site file.
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/@\s]*:([^/@\s]+)@")
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
# user:password@host[:port] without a scheme (restic's sftp:user@host:/path has no password, and is not this).
_HOST_PASSWORD = re.compile(r"^(?!sftp:)[A-Za-z0-9._%+-]+:([^/@\s]+)@[A-Za-z0-9.\[\]:-]+$")
_AWS_KEY = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")


def secret_kind(value):
    """What kind of secret a string holds ('a password inside a URL', 'a PEM private key', ...), or None."""
    if not isinstance(value, str):
        return None
    match = _URL_PASSWORD.search(value)
    if match and not re.match(r"^\{\{.*\}\}$", match.group(1)):
        return "a password inside a URL"
    if _HOST_PASSWORD.match(value):
        return "a password inside a host address"
    pem = _PEM.search(value)
    if pem and "PRIVATE KEY" in pem.group(1):
        return "a PEM private key"
    if pem:
        return "PEM text (%s)" % pem.group(1).lower()
    if _AWS_KEY.search(value):
        return "an AWS access key id"
    return None


# Values an example or a tutorial gives, never a site's secret.
_SAMPLE_SECRETS = frozenset((
    "changeme", "change-me", "change_me", "password", "passw0rd", "password123", "secret", "secret123", "admin",
    "administrator", "root", "toor", "test", "testing", "example", "default", "letmein", "welcome", "qwerty",
    "123456", "12345678", "minioadmin", "minio123", "minio", "wandb", "redis", "mysql", "replaceme", "replace-me",
    "xxx", "xxxx", "todo", "fixme", "dummy", "sample",
))


def placeholder_kind(value):
    """Why VALUE is a placeholder rather than a secret ('a REPLACE: placeholder', ...), or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.match(r"^(REPLACE|CHANGE|TODO|FIXME)\b", text, re.IGNORECASE) or re.match(r"^<[^<>]*>$", text):
        return "still the example vault's placeholder text"
    if text.lower() in _SAMPLE_SECRETS or re.match(r"^(change ?me|password|secret)[0-9!._-]*$", text, re.IGNORECASE):
        return "a well-known sample value, not a secret"
    return None


def show(value):
    """A value as a message may print it: never one that looks secret, never a page long."""
    kind = secret_kind(value)
    if kind:
        return "<%s, not shown>" % kind
    if isinstance(value, (dict, list)):
        inner = list(value.values() if isinstance(value, dict) else value)
        if any(secret_kind(v) for v in inner if isinstance(v, str)):
            return "<a %s holding a secret, not shown>" % ("mapping" if isinstance(value, dict) else "list")
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def strings(value, where=""):
    """(path, string) of every string in a value, keys of mappings included, at any depth."""
    stack = [(where, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                child = "%s.%s" % (path, key) if path else str(key)
                if isinstance(key, str):
                    yield child, key
                stack.append((child, inner))
        elif isinstance(item, list):
            stack.extend(("%s[%d]" % (path, index), inner) for index, inner in enumerate(item))
        elif isinstance(item, str):
            yield path, item


def secret_problems(spec):
    """Every string of the site file that holds a secret in plain text, named by its key and kind, never its value."""
    problems = []
    for path, text in strings(spec):
        kind = secret_kind(text)
        if kind is None:
            continue
        if kind.startswith("PEM text"):
            problems.append("%s holds %s: give the path of a PEM file on the controller, not its text" % (path, kind))
        else:
            problems.append("%s holds %s in plain text: secrets belong in the vault (a vaulted variable the site's "
                            "secrets name, or '{{ vault_<name> }}'); credentials for a URL go in their own secret, "
                            "not in the URL" % (path, kind))
    return problems


def secret_values(spec):
    """The secret-looking strings of a site file, so no message, whatever made it, can print them."""
    return set(text for _path, text in strings(spec) if secret_kind(text))


def redact(problems, spec, extra=()):
    """problems with every secret-looking string of spec (and extra) replaced by a placeholder."""
    values = sorted(secret_values(spec) | set(v for v in extra if isinstance(v, str) and len(v) >= 4), key=len, reverse=True)
    cleaned = []
    for problem in problems:
        for value in values:
            problem = problem.replace(repr(value), "<secret, not shown>").replace(value, "<secret, not shown>")
        cleaned.append(problem)
    return cleaned


# ---------------------------------------------------------------------------------------------------
# Formats and ranges: what the argument-spec vocabulary cannot say. Each returns None or what is allowed.
def _templated(value):
    return isinstance(value, str) and "{{" in value


def host_name_problem(name, allow_localhost=False):
    """Why NAME cannot be a host of the site (None when it can): an RFC 1123 name or an IPv4 address,
    never the controller's own loopback (the roles put it in URLs, certificates, MINIO_VOLUMES)."""
    if not isinstance(name, str) or not name:
        return "a host name must be a non-empty string, got %s" % show(name)
    if ":" in name:
        return ("%r is an IPv6 address: name the host (mysql1.example.com) and give the address as its "
                "ansible_host in host_vars, so URLs and certificates carry the name" % name)
    if not allow_localhost and (name.lower().rstrip(".") in ("localhost", "localhost.localdomain") or name.startswith("127.")):
        return ("%r is this machine's loopback: every component host is a server the others reach by name; give the "
                "host's name (and ansible_connection: local in host_vars when the controller is that server)" % name)
    if _IPV4.match(name):
        return None
    if len(name) > 253 or not all(_HOST_LABEL.match(label) for label in name.rstrip(".").split(".")):
        return ("%r is not a host name (RFC 1123: letters, digits and '-' in dot-separated labels of 1-63 "
                "characters; give another address as ansible_host in host_vars)" % name)
    return None


def url_parts(url):
    """(scheme, host, port, path) of an absolute URL, or a string saying what is wrong with it."""
    match = re.match(r"^([a-z][a-z0-9+.-]*)://([^/?#\s]*)([^\s]*)$", url or "")
    if not match:
        return "a URL with its scheme (https://host)"
    scheme, authority, rest = match.groups()
    if "@" in authority:
        return "a URL without a user name or password in it (credentials belong in the vault)"
    host_port = re.match(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?$", authority)
    if not host_port:
        return "a URL whose host is a name or an address, with an optional port 1-65535"
    port = int(host_port.group(2)) if host_port.group(2) else (443 if scheme == "https" else 80)
    if not 1 <= port <= 65535:
        return "a URL with a port 1-65535 (port %d is none)" % port
    return scheme, host_port.group(1), port, rest


def _base_url(schemes, what):
    def check(value):
        parts = url_parts(value)
        if isinstance(parts, str):
            return "must be %s: %s" % (what, parts)
        if parts[0] not in schemes:
            return "must be %s with the scheme %s" % (what, " or ".join(s + "://" for s in schemes))
        if parts[3] not in ("", "/"):
            return "must be %s without a path, query or fragment" % what
        problem = host_name_problem(parts[1].strip("[]"), allow_localhost=True) if not parts[1].startswith("[") else None
        if problem:
            return "must be %s with a host name: %s" % (what, problem)
        return None
    return check


def host_port(value, default_port):
    """(host, port) of 'host[:port]', or a string saying what is allowed."""
    match = re.match(r"^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$", value)
    allowed = "host or host:port with a port 1-65535 (db1.example.com:%d)" % default_port
    if not match:
        return "must be %s" % allowed
    port = int(match.group(2)) if match.group(2) else default_port
    if not 1 <= port <= 65535:
        return "must be %s; port %d is none" % (allowed, port)
    if not match.group(1).startswith("[") and host_name_problem(match.group(1), allow_localhost=True):
        return "must be %s: %s" % (allowed, host_name_problem(match.group(1), allow_localhost=True))
    return match.group(1), port


def _host_port_format(default_port):
    def check(value):
        parts = host_port(value, default_port)
        return parts if isinstance(parts, str) else None
    return check


def bucket_problem(name):
    """Why NAME is not an S3 bucket name by AWS's general-purpose bucket naming rules (None when it is)."""
    rules = ("an S3 bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or "
             "digit, no '..', not an IPv4 address, no prefix xn--, sthree- or amzn-s3-demo-, no suffix -s3alias or --ol-s3")
    if not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", name) or ".." in name or _IPV4.match(name) \
            or name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(("-s3alias", "--ol-s3")):
        return "must be %s" % rules
    return None


def _path(value):
    if value.startswith(("/", "~/")) and "\n" not in value:
        return None
    return "must be an absolute path on the controller (/srv/pki/site-ca.crt or ~/...)"


def _site(value):
    return None if re.match(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", value) else \
        "must be a short lower-case name (letters, digits, '-', 1-63 characters, not starting or ending with '-')"


def _domain(value):
    if re.match(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$", value) \
            and not value.rsplit(".", 1)[-1].isdigit():
        return None
    return "must be a DNS domain in lower case (example.com)"


def _range(low, high):
    def check(value):
        return None if low <= value <= high else "must be %d to %d" % (low, high)
    return check


_REPOSITORY = re.compile(r"^(s3|rest):(https?)://(?:[^@/]*@)?(\[[^\]]+\]|[^:/@]+)(:[0-9]{1,5})?(/\S*)?$|^sftp:(?://)?[^@/\s]+@(\[[^\]]+\]|[^:/@\s]+):\S+$")


def repository_problem(value):
    """Why a restic repository is not one the backups can use (None when it is)."""
    match = _REPOSITORY.match(value)
    allowed = ("must be a restic repository on another host (s3:https://HOST/bucket/path, rest:https://HOST/path, "
               "sftp:user@HOST:/path)")
    if not match:
        return allowed
    if match.group(2) == "http":
        return "%s: over https, not http (the dumps and the repository's credentials would cross the network in clear)" % allowed
    if match.group(4) and not 1 <= int(match.group(4)[1:]) <= 65535:
        return "%s with a port 1-65535" % allowed
    return None


def repository_host(value):
    """The host of a restic repository (lower case), or None."""
    match = _REPOSITORY.match(value)
    if not match:
        return None
    return (match.group(3) or match.group(6) or "").lower().strip("[]") or None


# systemd.time(7) calendar events: the shorthands, or [weekdays] [date] [time] [timezone].
_CAL_SHORT = {"minutely", "hourly", "daily", "monthly", "weekly", "yearly", "annually", "quarterly", "semiannually"}
_DOW = r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_DOW_PART = re.compile(r"^%s(\.\.%s)?(,%s(\.\.%s)?)*$" % (_DOW, _DOW, _DOW, _DOW), re.IGNORECASE)


def _cal_field(text, low, high):
    """One calendar component: *, or a comma list of values, ranges a..b and repetitions a/step."""
    for item in text.split(","):
        match = re.match(r"^(\*|[0-9]+(?:\.\.[0-9]+)?)(?:/([0-9]+))?$", item)
        if not match:
            return False
        if match.group(1) != "*":
            values = [int(v) for v in match.group(1).split("..")]
            if any(v < low or v > high for v in values) or (len(values) == 2 and values[0] > values[1]):
                return False
        if match.group(2) is not None and int(match.group(2)) == 0:
            return False
    return True


def calendar_problem(value):
    """Why VALUE is not a systemd calendar expression (None when it is); see systemd.time(7)."""
    allowed = "must be a systemd calendar expression (daily, *-*-* 02:30:00, Mon..Fri 03:00; systemd.time(7))"
    words = value.split()
    if len(words) == 1 and words[0].lower() in _CAL_SHORT:
        return None
    if words and _DOW_PART.match(words[0]):
        words = words[1:]
    if words and "-" in words[0] and ":" not in words[0]:
        parts = words.pop(0).replace("~", "-").split("-")
        if len(parts) == 2:
            parts = ["*"] + parts
        ranges = ((1970, 2199), (1, 12), (1, 31))
        if len(parts) != 3 or not all(_cal_field(part, low, high) for part, (low, high) in zip(parts, ranges)):
            return allowed
    if words and ":" in words[0]:
        parts = words.pop(0).split(":")
        if len(parts) == 2:
            parts.append("00")
        ranges = ((0, 23), (0, 59), (0, 59))
        parts[-1] = parts[-1].split(".")[0]  # seconds may carry a fraction
        if len(parts) != 3 or not all(_cal_field(part, low, high) for part, (low, high) in zip(parts, ranges)):
            return allowed
    if words and len(words) < len(value.split()) and (words[0] == "UTC" or "/" in words[0]) and len(words) == 1:
        words = []  # a time zone after the rest
    if words or not value.strip() or value.split()[0].lower() in _CAL_SHORT:
        return allowed
    return None


def cidr_problem(value):
    """Why VALUE is not the IPv4 network W&B's pods reach MySQL from (None when it is)."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        return "must be an IPv4 network as address/prefix without host bits (10.0.4.0/24): %s" % error
    if "/" not in value or network.prefixlen == 0:
        return ("must be a network narrower than every address (10.0.4.0/24): without it the W&B MySQL user takes "
                "connections from anywhere ('%')")
    if network.is_loopback:
        return ("must be the network W&B's pods reach MySQL from (10.0.4.0/24); a loopback network would let the W&B "
                "MySQL user connect from the MySQL host itself only")
    return None


def _admin_host(value):
    return None if value in ("localhost", "127.0.0.1") else host_name_problem(value)


FORMATS = {
    "site": _site,
    "domain": _domain,
    "url": _base_url(("https",), "the base URL users open W&B at (https://wandb.example.com)"),
    "endpoints.object_store": _base_url(("https", "http"), "the object store's base URL (https://s3.example.com)"),
    "endpoints.bucket": bucket_problem,
    "endpoints.mysql": _host_port_format(3306),
    "endpoints.redis": _host_port_format(6379),
    "endpoints.ca_bundle": _path,
    "components.mysql.backup.repository": repository_problem,
    "components.mysql.backup.ca_bundle": _path,
    "components.mysql.backup.keep_daily": _range(7, 3650),
    "components.mysql.backup.keep_weekly": _range(0, 520),
    "components.mysql.backup.keep_monthly": _range(0, 1200),
    "components.mysql.backup.schedule": calendar_problem,
    "components.mysql.tls.certificate": _path,
    "components.mysql.tls.key": _path,
    "components.mysql.tls.ca": _path,
    "components.redis.tls.certificate": _path,
    "components.redis.tls.key": _path,
    "components.redis.tls.ca": _path,
    "components.minio.port": _range(1, 65535),
    "components.kubernetes.admin_host": _admin_host,
    "components.kubernetes.kubeconfig": _path,
    "components.kubernetes.client_cidr": cidr_problem,
}


# ---------------------------------------------------------------------------------------------------
def _type_ok(value, kind):
    if kind in ("str", "path"):
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list)
    if kind == "dict":
        return isinstance(value, dict)
    return True


def nearest(name, known):
    """' (did you mean X?)' for the closest known name, or ''."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.7)
    return " (did you mean %s?)" % close[0] if close else ""


def _first_sentence(entry):
    description = entry.get("description") or ""
    text = " ".join(description if isinstance(description, list) else [description])
    sentence = re.sub(r"[A-Z]\(([^)]*)\)", r"\1", text.split(". ", maxsplit=1)[0]).rstrip(".")
    first = sentence.split(" ", 1)[0]
    return sentence[0].lower() + sentence[1:] if first in ("The", "A", "An", "Where", "When", "Which") else sentence


def schema_problems(data, options=None, where=""):
    """Every way DATA differs from the schema: unknown keys, missing keys, types, choices, formats."""
    options = schema() if options is None else options
    if not isinstance(data, dict):
        return ["%s must be a mapping (%s), got %s" % (where or "the site file", ", ".join(sorted(options)), show(data))]
    problems = []
    for key in data:
        if key not in options:
            path = "%s.%s" % (where, key) if where else str(key)
            problems.append("%s is not a key of %s%s; allowed: %s"
                            % (path, where or "the site file", nearest(key, options), ", ".join(sorted(options))))
    for key, entry in options.items():
        path = "%s.%s" % (where, key) if where else key
        value = data.get(key)
        if value is None:
            if entry.get("required") and where == "secrets":
                problems.append("%s is missing: name the vaulted variable that holds %s (vault_%s)" % (path, _first_sentence(entry), key))
            elif entry.get("required"):
                problems.append("%s is missing: %s (%s)" % (path, _first_sentence(entry), _TYPE_PHRASES[entry.get("type", "str")]))
            continue
        kind = entry.get("type", "str")
        if not _type_ok(value, kind):
            keys = " of %s" % ", ".join(sorted(entry["suboptions"])) if entry.get("suboptions") else ""
            problems.append("%s must be %s%s, got %s: %s" % (path, _TYPE_PHRASES[kind], keys, show(value), _first_sentence(entry)))
            continue
        if entry.get("choices") and value not in entry["choices"]:
            problems.append("%s must be one of %s, got %s" % (path, ", ".join(map(str, entry["choices"])), show(value)))
            continue
        if kind == "list" and entry.get("elements"):
            wrong = [i for i, item in enumerate(value) if not _type_ok(item, entry["elements"])]
            if wrong:
                problems.append("%s must be a list of %ss (%s); item %d is %s" % (
                    path, _TYPE_PHRASES[entry["elements"]][2:], _first_sentence(entry), wrong[0] + 1, show(value[wrong[0]])))
                continue
        if kind == "dict" and entry.get("suboptions"):
            problems.extend(schema_problems(value, entry["suboptions"], path))
            continue
        check = FORMATS.get(path)
        if check is not None and not _templated(value) and secret_kind(value) is None:
            reason = check(value)
            if reason:
                problems.append("%s %s, got %s" % (path, reason, show(value)))
    return problems


# ---------------------------------------------------------------------------------------------------
# Role variables in vars, group_vars and host_vars: checked against the roles' own argument specs.
def role_specs():
    """{variable: (role, its argument spec)} over every entry point of every role of the collection."""
    if not _ROLE_SPECS:
        import yaml

        roles = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")
        specs = {}
        for role in sorted(os.listdir(roles)) if os.path.isdir(roles) else []:
            path = os.path.join(roles, role, "meta", "argument_specs.yml")
            if not os.path.exists(path):
                continue
            with open(path) as handle:
                loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when there: 7 spec files per parse
                entry_points = (yaml.load(handle, Loader=loader) or {}).get("argument_specs") or {}
            for name in sorted(entry_points, key=lambda point: point != "main"):
                for variable, spec in (entry_points[name].get("options") or {}).items():
                    specs.setdefault(variable, (role, spec))
        _ROLE_SPECS.append(specs)
    return _ROLE_SPECS[0]


def role_value_problem(variable, value):
    """What is wrong with VALUE for the role variable (ansible-core's ArgumentSpecValidator), or None."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    role, spec = role_specs()[variable]
    if _templated(value) or type(value).__name__ in ("AnsibleVaultEncryptedUnicode", "EncryptedString"):
        return None
    spec = dict(spec, required=False)
    spec.pop("default", None)
    result = ArgumentSpecValidator({variable: spec}).validate({variable: value})
    if not result.error_messages:
        return None
    message = result.error_messages[0]
    allowed = _TYPE_PHRASES.get(spec.get("type", "str"), spec.get("type"))
    if spec.get("choices"):
        allowed = "one of %s" % ", ".join(map(str, spec["choices"]))
    return "is %s: the %s role takes %s (%s)" % (show(value), role, allowed, message.split(". ")[0])

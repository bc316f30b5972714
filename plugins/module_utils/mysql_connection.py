# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by the collection's MySQL modules (see doc fragment
onprem.wandb.mysql_connection) and a PyMySQL connect() that turns failures into clear messages."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible_collections.onprem.wandb.plugins.module_utils.address_override import connect_to

try:
    import pymysql

    HAS_PYMYSQL = True
    PYMYSQL_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - reported by the module
    HAS_PYMYSQL = False
    PYMYSQL_IMPORT_ERROR = traceback.format_exc()


def peer_certificate(connection):
    """The server's certificate (DER) when the connection is TLS, else None."""
    sock = getattr(connection, "_sock", None)
    getpeercert = getattr(sock, "getpeercert", None)
    return getpeercert(binary_form=True) if getpeercert else None


def mysql_connection_argument_spec():
    """The argument spec every MySQL module of the collection starts from."""
    return dict(
        login_host=dict(type="str", default="localhost"),
        login_port=dict(type="int", default=3306),
        login_unix_socket=dict(type="path"),
        login_user=dict(type="str"),
        login_password=dict(type="str", no_log=True),
        ca_cert=dict(type="path", aliases=["ssl_ca"]),
        client_cert=dict(type="path", aliases=["ssl_cert"]),
        client_key=dict(type="path", aliases=["ssl_key"]),
        check_hostname=dict(type="bool", default=True),
        connect_address=dict(type="str"),
        connect_timeout=dict(type="int", default=10),
    )


def describe_target(params):
    """'user@socket' or 'user@host:port' for messages; never includes the password."""
    user = params.get("login_user") or "(current OS user)"
    if params.get("login_unix_socket"):
        return "%s@%s" % (user, params["login_unix_socket"])
    return "%s@%s:%s" % (user, params.get("login_host"), params.get("login_port"))


class MySQLConnectError(Exception):
    """Connecting failed; the message says where and why, without secrets."""


def mysql_connect(params):
    """Open a PyMySQL connection from the shared options. Raises MySQLConnectError."""
    if not HAS_PYMYSQL:
        raise MySQLConnectError("PyMySQL is required on the host that runs this module "
                                "(Debian: python3-pymysql; pip: PyMySQL)")
    kwargs = dict(connect_timeout=params.get("connect_timeout", 10), autocommit=True)
    if params.get("login_user"):
        kwargs["user"] = params["login_user"]
    else:
        import getpass  # pylint: disable=import-outside-toplevel

        kwargs["user"] = getpass.getuser()
    if params.get("login_password") is not None:
        kwargs["password"] = params["login_password"]
    if params.get("login_unix_socket"):
        kwargs["unix_socket"] = params["login_unix_socket"]
    else:
        kwargs["host"] = params.get("login_host") or "localhost"
        kwargs["port"] = params.get("login_port") or 3306
    if params.get("ca_cert") or params.get("client_cert"):
        ssl = {"check_hostname": params.get("check_hostname", True)}
        if params.get("ca_cert"):
            ssl["ca"] = params["ca_cert"]
        if params.get("client_cert"):
            ssl["cert"] = params["client_cert"]
        if params.get("client_key"):
            ssl["key"] = params["client_key"]
        kwargs["ssl"] = ssl
    try:
        # Connect to the given address for login_host's name (TLS still verifies the name).
        with connect_to(kwargs.get("host"), params.get("connect_address")):
            return pymysql.connect(**kwargs)
    except Exception as exc:  # pylint: disable=broad-except
        raise MySQLConnectError("cannot connect to MySQL as %s: %s" % (describe_target(params), exc))

# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options of the collection's MySQL modules."""

    DOCUMENTATION = r"""
options:
  login_host:
    description:
      - Host name or address of the MySQL server. Ignored when O(login_unix_socket) is set.
    type: str
    default: localhost
  login_port:
    description:
      - TCP port of the MySQL server.
    type: int
    default: 3306
  login_unix_socket:
    description:
      - Path of the server's Unix socket; when set, the module connects through it instead of TCP.
    type: path
  login_user:
    description:
      - User to connect as. Defaults to the operating-system user running the module
        (with O(login_unix_socket), that is how C(auth_socket) accounts such as root log in).
    type: str
  login_password:
    description:
      - Password of O(login_user). Never logged.
    type: str
  ca_cert:
    description:
      - CA certificate (PEM) that verifies the server; setting it turns TLS on.
    type: path
    aliases: [ssl_ca]
  client_cert:
    description:
      - Client certificate (PEM) for servers that require one.
    type: path
    aliases: [ssl_cert]
  client_key:
    description:
      - Private key (PEM) of O(client_cert).
    type: path
    aliases: [ssl_key]
  check_hostname:
    description:
      - Whether the server certificate's name must match O(login_host) when TLS is used.
    type: bool
    default: true
  connect_address:
    description:
      - Address to connect to for O(login_host)'s name, like C(curl --resolve) (before DNS is live, or
        where only the servers resolve the name); the TLS certificate is still checked against O(login_host).
    type: str
  connect_timeout:
    description:
      - Seconds to wait for the connection.
    type: int
    default: 10
requirements:
  - PyMySQL on the host that runs the module
"""

# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The contract every check module of the collection shares: report, or fail on a failed check."""

    DOCUMENTATION = r"""
options:
  fail_on_failure:
    description:
      - Fail the task when a requirement is not met. With V(false) the task only reports
        RV(passed) and RV(failures), for a caller that collects several checks (like the verify report).
    type: bool
    default: true
attributes:
  diff_mode:
    support: none
    description: A check configures nothing, so there is no diff.
"""

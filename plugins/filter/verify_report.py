# -*- coding: utf-8 -*-
# Copyright: onprem.wandb contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: verify_report
short_description: Render verify report lines as a checklist, Markdown or a JSON-ready report
version_added: 0.1.0
description:
  - Renders the lines of P(onprem.wandb.verify_lines#filter) as a checklist (a line per check with a
    mark and a one-line reason, then the verdict), as the summary C(verify.yml) prints (a line per
    component with its worst mark and counts, every check that did not pass in full, where the report
    is, the verdict), as a Markdown report (a table per component) or as the JSON report (summary,
    context and every line).
  - The lines are rendered in a stable order whatever order the hosts answered in, so two runs
    against the same site give the same report - by component (V(mysql), V(minio), V(redis),
    V(proxy), V(operator), then any other by name), then by target; a target's checks keep their order.
  - The verdict fails when a required check failed, when a required check task did not run, when a
    host or component in O(expected) wrote no line, or when no check ran at all.
options:
  _input:
    description: The report lines.
    type: list
    elements: dict
    required: true
  format:
    description: C(text), C(summary), C(markdown) or C(json) (a dict, for P(ansible.builtin.to_nice_json#filter)).
    type: str
    default: text
    choices: [text, summary, markdown, json]
  title:
    description: The report's title.
    type: str
    default: W&B infrastructure verify
  context:
    description: What the report is about (site, URL, ...), shown at the top of the Markdown and JSON reports.
    type: dict
    default: {}
  expected:
    description:
      - What should have reported, a mapping of each component to its C(hosts) and C(each) (true when
        every host reports its own lines). A component without a line, or (C(each=true)) a host without
        a line of its own, adds a failed C(run) line naming it, because an unreachable host writes no
        line and the report must not pass on what remains.
    type: dict
    default: {}
  report_path:
    description: With C(summary), where the whole report is (printed before the verdict).
    type: str
author:
  - onprem.wandb maintainers (@onprem)
"""

EXAMPLES = r"""
- name: Print the checklist
  ansible.builtin.debug:
    msg: "{{ (lines | onprem.wandb.verify_report('text')).splitlines() }}"

- name: Print a line per component and what did not pass
  ansible.builtin.debug:
    msg: "{{ (lines | onprem.wandb.verify_report('summary', report_path='/tmp/verify.md')).splitlines() }}"

- name: Write the Markdown report
  ansible.builtin.copy:
    content: "{{ lines | onprem.wandb.verify_report('markdown', context={'site': 'example'}) }}"
    dest: /tmp/verify.md
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The checklist, summary or Markdown text, or the report dict (C(title), C(context), C(summary), C(verdict), C(checks)).
  type: raw
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.wandb.plugins.plugin_utils.report import (
    MARKS,
    ordered,
    render_markdown,
    render_summary,
    render_text,
    report,
    unanswered,
)

LINE_KEYS = ("component", "target", "check", "status", "reason")


def verify_report(lines, format="text", title="W&B infrastructure verify", context=None, expected=None,  # pylint: disable=redefined-builtin
                  report_path=None):
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise AnsibleFilterError("verify_report: the input must be a list of verify_lines dicts")
    for line in lines:
        missing = [key for key in LINE_KEYS if key not in line]
        if missing or line["status"] not in MARKS:
            raise AnsibleFilterError("verify_report: %r is not a verify_lines line (missing %s or unknown status)"
                                     % (line, ", ".join(missing) or "nothing"))
    if expected is not None and not isinstance(expected, dict):
        raise AnsibleFilterError("verify_report: expected must map components to {hosts, each}, got %r" % (expected,))
    lines = [dict(line) for line in lines]
    lines = ordered(lines + unanswered(lines, expected))
    if format == "text":
        return render_text(lines, title)
    if format == "summary":
        return render_summary(lines, title, report_path)
    if format == "markdown":
        return render_markdown(lines, title, context)
    if format == "json":
        return report(lines, title, context)
    raise AnsibleFilterError("verify_report: format must be text, summary, markdown or json, got %r" % (format,))


class FilterModule(object):
    def filters(self):
        return {"verify_report": verify_report}

#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: LGPL-2.1-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: apply
short_description: Apply firewall changes through backstopd, behind a commit-confirm timer
version_added: 0.1.0
description:
  - Applies changes in iptables syntax (or the default-deny recipe) as one Backstop
    transaction on the target. Unless M(backstop.firewall.confirm) confirms it before
    its deadline, the target's C(backstopd) rolls it back by itself, even when the
    connection that applied it is gone.
  - Before applying, the daemon checks that the change keeps the established inbound
    connections, new connections from the admin addresses to the management ports, and
    loopback working; a change that fails this pre-flight check is refused unless
    C(force) is set.
  - Changes that already hold are left out (see C(changes)); when nothing is left, no
    transaction is made and the task reports C(changed=false).
  - Returns at once (C(backstopctl apply --no-wait)); confirm in a later task, after
    a C(ansible.builtin.meta) C(reset_connection) task, so that the confirmation proves a NEW connection works.
    The role C(backstop.firewall.safe_change) does this.
options:
  changes:
    description:
      - The changes, one per item, in iptables syntax without the program name, e.g.
        C(-A INPUT -p tcp --dport 443 -j ACCEPT), C(-P INPUT DROP), C(-N svc).
        A leading C(-4) or C(-6) restricts a change to one family.
      - They are normalized by C(backstopctl preview) first. A change already holding is
        not applied again; C(-A)/C(-I) hold when the same rule is in the chain (at any
        position), C(-P) when the chain has that policy, C(-N) when the chain exists,
        C(-D) with a rule when the rule is absent. Other changes (C(-D) by number, C(-F),
        C(-X), C(-R), tables other than filter) are always applied.
    type: list
    elements: str
  default_deny:
    description:
      - Apply the default-deny recipe instead of C(changes) (C(backstopctl
        default-deny)) - the stateful ESTABLISHED,RELATED rule first, loopback, one
        accept per C(allow) entry, the ICMPv6 types neighbour discovery needs, then the
        INPUT policy DROP. The daemon leaves out rules already present; when nothing
        needs to change, the task reports C(changed=false).
    type: bool
    default: false
  allow:
    description:
      - With C(default_deny), the ports to keep open, C(PORT/PROTO) such as C(22/tcp),
        passed to C(backstopctl default-deny --allow) as they are. Service names such as
        C(ssh) are passed through as well and work with a C(backstopctl) that resolves
        them. The daemon's default is C(22/tcp) when none is given.
      - In check mode, a service name is previewed as the port the target's services
        database (C(/etc/services)) gives it.
    type: list
    elements: str
    default: []
  timeout:
    description:
      - Seconds until the automatic rollback unless confirmed (C(s), C(m), C(h) suffixes
        accepted). C(0) applies without a timer and needs the separate
        apply-unconfirmed authorization; avoid it in a rollout.
    type: str
    default: '120'
  strict:
    description:
      - The confirmation must come through a NEW management connection (C(--strict)).
    type: bool
    default: false
  force:
    description:
      - Apply even if the pre-flight lockout check finds a risk (C(--force)). The timer
        still runs, so the daemon rolls the change back if it did cut the management
        access and nobody can confirm.
    type: bool
    default: false
  save:
    description:
      - Save the rules (for the next boot) once the transaction is confirmed (C(--save)).
    type: bool
    default: false
extends_documentation_fragment:
  - backstop.firewall.backstopctl
attributes:
  check_mode:
    support: full
    description: Previews the change (C(backstopctl preview), or C(backstopctl default-deny --dry-run)) with the pre-flight result; changes nothing.
  diff_mode:
    support: full
    description: The C(iptables -S) lines of both families before and after.
seealso:
  - module: backstop.firewall.confirm
author:
  - Backstop contributors
'''

EXAMPLES = r'''
- name: Open HTTPS behind a 2-minute timer
  backstop.firewall.apply:
    changes:
      - -A INPUT -p tcp --dport 443 -j ACCEPT
    timeout: 2m
    save: true
  register: fw

- name: Default deny, keeping SSH and HTTPS open; strict confirmation
  backstop.firewall.apply:
    default_deny: true
    allow: [22/tcp, 443/tcp]
    strict: true
    save: true
  register: fw

- name: The confirmation must come over a new connection
  ansible.builtin.meta: reset_connection

- name: Confirm
  backstop.firewall.confirm:
    transaction: "{{ fw.transaction_id }}"
  when: fw is changed
'''

RETURN = r'''
transaction_id:
  description: Id of the transaction made, for M(backstop.firewall.confirm). Absent when nothing changed.
  returned: changed and not check mode
  type: int
  sample: 3
transaction:
  description: Object path of the transaction.
  returned: changed and not check mode
  type: str
  sample: /org/backstop/Firewall1/Transaction/3
deadline_usec:
  description: When the daemon rolls the transaction back unless confirmed (CLOCK_REALTIME microseconds).
  returned: changed and not check mode
  type: int
strict:
  description: Whether the confirmation must come from a new connection.
  returned: changed and not check mode
  type: bool
commands:
  description: The changes made (or, in check mode, that would be made), as iptables/ip6tables commands.
  returned: always
  type: list
  elements: str
  sample: ["iptables -A INPUT -p tcp -m tcp --dport 443 -j ACCEPT"]
preflight:
  description: The pre-flight (lockout) analysis of the preview; C(passed) false when it found connections or probes the change would cut.
  returned: when a preview was made (check mode, or C(changes) given)
  type: dict
  sample: {"passed": true, "lockout": []}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.backstop.firewall.plugins.module_utils.backstopctl import (
    Backstopctl, as_change, command_holds, rules_diff)

def preview(ctl, changes):
    """backstopctl preview: (commands, result texts, preflight)."""
    rc, doc, err = ctl.run('preview', ['--'] + changes, ok=(0, 4))
    return preview_result(rc, doc)


def preview_default_deny(ctl, allow):
    """backstopctl default-deny --dry-run: the daemon's own recipe on the
    target's tables (only what is missing), as preview() returns it."""
    args = ['--dry-run']
    for entry in allow:
        args += ['--allow', entry]
    rc, doc, err = ctl.run('default-deny', args, ok=(0, 4))
    return preview_result(rc, doc)


def preview_result(rc, doc):
    doc = doc or {}
    lockout = doc.get('lockout', [])
    return (doc.get('commands', []), doc.get('result', {}),
            {'passed': rc == 0 and not lockout, 'lockout': lockout})


def apply_and_exit(module, ctl, before, result, missing=None):
    """Apply MISSING (normalized commands), or the default-deny recipe."""
    p = module.params
    args = ['--no-wait', '--timeout', p['timeout']]
    for flag in ('strict', 'force', 'save'):
        if p[flag]:
            args.append('--' + flag)
    if p['default_deny']:
        for entry in p['allow']:
            args += ['--allow', entry]
        rc, doc, err = ctl.run('default-deny', args)
    else:
        rc, doc, err = ctl.run('apply', args + ['--'] + [as_change(c) for c in missing])
    doc = doc or {}
    if not doc.get('transaction'):
        # The daemon found nothing to do (default-deny "unchanged").
        result['diff'] = rules_diff(before, before)
        module.exit_json(**result)

    result.update(changed=True, transaction_id=doc.get('id'), transaction=doc.get('transaction'),
                  deadline_usec=doc.get('deadline_usec'), strict=doc.get('strict', p['strict']),
                  commands=doc.get('changes', []), state=doc.get('state'),
                  diff=rules_diff(before, ctl.rules_text()))
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            changes=dict(type='list', elements='str'),
            default_deny=dict(type='bool', default=False),
            allow=dict(type='list', elements='str', default=[]),
            timeout=dict(type='str', default='120'),
            strict=dict(type='bool', default=False),
            force=dict(type='bool', default=False),
            save=dict(type='bool', default=False),
            backstopctl=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    # default_deny: false may come with changes (a role passes both), so the
    # two are checked here rather than as mutually exclusive parameters.
    if p['default_deny'] and p['changes']:
        module.fail_json(msg='give either changes or default_deny: true, not both')
    if not p['default_deny'] and not p['changes']:
        module.fail_json(msg='give changes (a non-empty list), or default_deny: true')
    if p['allow'] and not p['default_deny']:
        module.fail_json(msg='allow is for default_deny: true; give the rules as changes otherwise')

    ctl = Backstopctl(module)
    before = ctl.rules_text()
    result = dict(changed=False, commands=[])

    if p['default_deny']:
        if not module.check_mode:
            # The daemon itself leaves out what holds already, and says "unchanged".
            apply_and_exit(module, ctl, before, result)
        # The daemon's preview of the recipe lists only what is missing.
        missing, after, preflight = preview_default_deny(ctl, p['allow'])
    else:
        # What would change, from the daemon's own normalization of the changes.
        commands, after, preflight = preview(ctl, p['changes'])
        missing = [c for c in commands if not command_holds(c, before)]
        if missing and len(missing) < len(commands):
            commands, after, preflight = preview(ctl, [as_change(c) for c in missing])
    result['preflight'] = preflight
    if not missing:
        result['diff'] = rules_diff(before, before)
        module.exit_json(**result)

    if module.check_mode:
        result.update(changed=True, commands=missing, diff=rules_diff(before, after))
        if not preflight['passed'] and not p['force']:
            module.fail_json(msg='the pre-flight check would refuse this change (lockout risk); '
                                 'force: true applies it anyway', **result)
        module.exit_json(**result)

    apply_and_exit(module, ctl, before, result, missing)


if __name__ == '__main__':
    main()

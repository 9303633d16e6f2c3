#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: LGPL-2.1-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: confirm
short_description: Confirm a pending Backstop transaction, so that the daemon keeps it
version_added: 0.1.0
description:
  - Confirms a transaction made by M(backstop.firewall.apply) (C(backstopctl confirm));
    its changes stay, and are saved if it was applied with C(save).
  - Run it after a C(ansible.builtin.meta) C(reset_connection) task, so that it runs over
    a NEW SSH connection, which proves that management access still works. For a strict transaction this is
    required; the daemon checks the C(SSH_CONNECTION) of the module's session (passed by
    C(backstopctl)) and that the module runs inside that session.
  - If the target cannot be reached, the task fails as unreachable and nothing is
    confirmed; the target's daemon rolls the change back at its deadline.
options:
  transaction:
    description:
      - Id (e.g. C(3)) or object path of the transaction to confirm, as
        M(backstop.firewall.apply) returned it. Give it in a rollout - a transaction that
        was rolled back meanwhile then fails the task instead of passing for "nothing
        pending".
      - Without it, the pending transaction is confirmed; when none is pending, the task
        reports C(changed=false).
    type: str
  save:
    description:
      - After confirming, save the running rules for the next boot (C(backstopctl save)),
        for a transaction that was not applied with C(save).
    type: bool
    default: false
extends_documentation_fragment:
  - backstop.firewall.backstopctl
attributes:
  check_mode:
    support: full
    description: Reports whether a transaction is pending; confirms nothing.
  diff_mode:
    support: none
seealso:
  - module: backstop.firewall.apply
author:
  - Backstop contributors
'''

EXAMPLES = r'''
- name: Apply behind the timer
  backstop.firewall.apply:
    changes: ["-A INPUT -p tcp --dport 443 -j ACCEPT"]
    strict: true
  register: fw

- name: Reconnect
  ansible.builtin.meta: reset_connection

- name: Confirm over the new connection
  backstop.firewall.confirm:
    transaction: "{{ fw.transaction_id }}"
    save: true
  when: fw is changed
'''

RETURN = r'''
transaction_id:
  description: Id of the transaction confirmed.
  returned: changed
  type: int
  sample: 3
transaction:
  description: Object path of the transaction confirmed.
  returned: changed
  type: str
state:
  description: The transaction's state after the call (C(confirmed)).
  returned: changed and not check mode
  type: str
  sample: confirmed
saved:
  description: Whether the running rules equal the saved ones after the call (the daemon's RulesSaved).
  returned: changed and not check mode
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.backstop.firewall.plugins.module_utils.backstopctl import Backstopctl

PATH_PREFIX = '/org/backstop/Firewall1/Transaction/'


def transaction_id(value):
    """'3' or '/org/backstop/Firewall1/Transaction/3' -> 3; None if neither."""
    text = value[len(PATH_PREFIX):] if value.startswith(PATH_PREFIX) else value
    return int(text) if text.isdigit() else None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            transaction=dict(type='str'),
            save=dict(type='bool', default=False),
            backstopctl=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    wanted = module.params['transaction']
    wanted_id = None
    if wanted is not None:
        wanted_id = transaction_id(wanted)
        if wanted_id is None:
            module.fail_json(msg='transaction %r is neither an id nor %sID' % (wanted, PATH_PREFIX))

    ctl = Backstopctl(module)
    pending = ctl.pending_transaction()
    if pending is None and wanted_id is None:
        module.exit_json(changed=False, msg='no transaction is pending')
    if wanted_id is not None and (pending is None or pending.get('Id') != wanted_id):
        # Rolled back (its timer ran out, or someone rolled it back), or never made.
        module.fail_json(msg='transaction %d is not pending (rolled back by its timer, or already '
                             'ended); %s' % (wanted_id, 'transaction %s is pending' % pending.get('Id')
                                              if pending else 'none is pending'),
                         pending=pending)

    tx_id = pending.get('Id')
    result = dict(changed=True, transaction_id=tx_id, transaction=PATH_PREFIX + str(tx_id))
    if module.check_mode:
        module.exit_json(**result)

    rc, doc, err = ctl.run('confirm', [str(tx_id)])
    result['state'] = (doc or {}).get('state')
    if module.params['save']:
        ctl.run('save')
    result['saved'] = ctl.status().get('manager', {}).get('RulesSaved')
    module.exit_json(**result)


if __name__ == '__main__':
    main()

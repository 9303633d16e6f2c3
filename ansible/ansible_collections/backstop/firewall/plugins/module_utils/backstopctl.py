# -*- coding: utf-8 -*-
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Running backstopctl --json on the target, and reading what it says.

The modules never touch netfilter: backstopd does, and backstopctl is its
client. Errors are the daemon's, as backstopctl prints them on stderr; the
exit status says what kind (backstopctl(1), EXIT STATUS)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import shlex

# backstopctl(1), EXIT STATUS
EXIT_MEANING = {
    1: 'failed',
    2: 'invalid change or usage',
    3: 'rolled back',
    4: 'lockout risk (refused by the pre-flight check)',
    5: 'not authorized',
    6: 'backstopd unreachable',
    7: 'busy (another transaction is pending, or the xtables lock is held)',
    8: 'strict confirmation rejected (it must come from a NEW SSH connection)',
}

FAMILIES = ('ipv4', 'ipv6')
PROGRAM_FAMILY = {'iptables': 'ipv4', 'ip6tables': 'ipv6'}
FAMILY_FLAG = {'ipv4': '-4', 'ipv6': '-6'}


class Backstopctl(object):
    def __init__(self, module):
        self.module = module
        path = module.params.get('backstopctl')
        if not path:
            path = module.get_bin_path('backstopctl', required=True,
                                       opt_dirs=['/usr/sbin', '/usr/local/sbin', '/usr/local/bin'])
        self.path = path

    def run(self, verb, args=(), ok=(0,)):
        """backstopctl --json VERB ARGS: (rc, parsed JSON or None, stderr).
        A status outside ok fails the module with the daemon's message."""
        cmd = [self.path, '--json', '--no-ask-password', verb] + list(args)
        rc, out, err = self.module.run_command(cmd)
        if rc not in ok:
            self.fail(verb, rc, out, err)
        doc = None
        if out.strip():
            try:
                doc = json.loads(out)
            except ValueError:
                self.module.fail_json(msg='backstopctl %s printed no JSON document' % verb,
                                      rc=rc, stdout=out, stderr=err, cmd=cmd)
        return rc, doc, err

    def fail(self, verb, rc, out, err):
        message = err.strip() or out.strip() or 'no message'
        self.module.fail_json(
            msg='backstopctl %s: %s (exit %d, %s)' % (verb, message, rc,
                                                     EXIT_MEANING.get(rc, 'unknown status')),
            rc=rc, stdout=out, stderr=err)

    def rules_text(self):
        """{'ipv4': 'iptables -S text', 'ipv6': ...}; a family the host lacks is ''."""
        texts = {}
        for family in FAMILIES:
            rc, doc, err = self.run('rules', [FAMILY_FLAG[family]], ok=(0, 1))
            texts[family] = doc.get('text', '') if rc == 0 and doc else ''
        return texts

    def pending_transaction(self):
        """The pending transaction's properties (Id, State, ...), or None."""
        rc, doc, err = self.run('status')
        return (doc or {}).get('transaction')

    def status(self):
        return self.run('status')[1] or {}


def rules_diff(before, after):
    """A diff for Ansible's --diff: the iptables -S lines of both families."""
    def joined(texts):
        return ''.join('# %s\n%s' % (family, texts.get(family, '')) for family in FAMILIES)
    return {'before': joined(before), 'after': joined(after),
            'before_header': 'rules before', 'after_header': 'rules after'}


def _lines(text):
    return [shlex.split(line) for line in text.splitlines() if line.strip()]


def command_holds(command, texts):
    """Does COMMAND ('iptables -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', as
    backstopctl preview normalizes it) already hold in the current rules?

    -A/-I: the rule is in the chain (anywhere: presence, not position);
    -P: the chain has that policy; -N: the chain exists; -D with a rule spec:
    the rule is absent. Anything else (-D by number, -F, -X, -R, another
    table than filter) is never taken as holding: it is applied."""
    words = shlex.split(command)
    if len(words) < 3 or words[0] not in PROGRAM_FAMILY:
        return False
    lines = _lines(texts.get(PROGRAM_FAMILY[words[0]], ''))
    op, chain, rest = words[1], words[2], words[3:]
    if op in ('-A', '--append'):
        return ['-A', chain] + rest in lines
    if op in ('-I', '--insert'):
        if rest and rest[0].isdigit():
            rest = rest[1:]
        return ['-A', chain] + rest in lines
    if op in ('-P', '--policy'):
        return ['-P', chain] + rest in lines
    if op in ('-N', '--new-chain'):
        return ['-N', chain] in lines
    if op in ('-D', '--delete') and rest and not rest[0].isdigit():
        return ['-A', chain] + rest not in lines
    return False


def as_change(command):
    """'ip6tables -A INPUT ...' -> '-6 -A INPUT ...' (a change for one family)."""
    program, rest = command.split(' ', 1)
    return '%s %s' % (FAMILY_FLAG[PROGRAM_FAMILY[program]], rest)

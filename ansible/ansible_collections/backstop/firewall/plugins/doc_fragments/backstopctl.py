# -*- coding: utf-8 -*-
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The option every module of backstop.firewall takes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r'''
options:
  backstopctl:
    description:
      - Path of the C(backstopctl) program on the target.
      - By default it is looked up on the C(PATH) and in the usual sbin directories.
    type: path
notes:
  - The modules run C(backstopctl --json --no-ask-password) on the target. They need
    a running C(backstopd) on the target's system bus and the right to call it (root,
    or what the polkit policy grants).
  - C(SSH_CONNECTION) of the module's own SSH session is passed to the daemon (C(backstopctl)
    reads it from the environment), so that the session counts as management access in
    the lockout check, and a strict confirmation can be verified. With C(become), keep
    C(SSH_CONNECTION) in the environment (sudo's C(env_keep)).
'''

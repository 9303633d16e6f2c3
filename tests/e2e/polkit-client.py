#!/usr/bin/python3
"""One client process making several calls to backstopd, as the panel does
(one process for the whole session), each allowing interactive
authorization, with pkttyagent registered for this process as backstopctl
starts it (the agent asks on the terminal).

    polkit-client.py STEP...

STEP is "apply:TIMEOUT:CHANGE" (Apply of one change in iptables syntax
with that timeout; TIMEOUT 0 needs the apply-unconfirmed action too) or
"confirm" (Confirm of the transaction of the last apply). Prints one line
per step, "STEP ok" or "STEP error NAME: MESSAGE", and stops at the first
error; exits 0 when every step succeeded, 1 otherwise."""
import os
import subprocess
import sys

from gi.repository import Gio, GLib

NAME = 'org.backstop.Firewall1'
PATH = '/org/backstop/Firewall1'
# the daemon waits up to 300 s for polkit while it may ask for a password
TIMEOUT_MS = 300 * 1000


def call(bus, path, interface, method, args):
    return bus.call_sync(NAME, path, interface, method, args, None,
                         Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION, TIMEOUT_MS, None)


def start_agent():
    """pkttyagent for this process (its parent), the one agent polkitd
    asks for it (not --fallback: polkitd uses a fallback agent only for a
    subject in a logind session); returns once registered (it closes the
    notify fd then)."""
    r, w = os.pipe()
    agent = subprocess.Popen(['pkttyagent', '--notify-fd', str(w)], pass_fds=[w])
    os.close(w)
    os.read(r, 1)
    os.close(r)
    return agent


def main():
    agent = start_agent()
    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    transaction = None
    ok = True
    for step in sys.argv[1:]:
        try:
            if step.startswith('apply:'):
                _, timeout, change = step.split(':', 2)
                options = {'timeout': GLib.Variant('u', int(timeout))}
                reply = call(bus, PATH, NAME, 'Apply', GLib.Variant('(asa{sv})', ([change], options)))
                transaction = reply.unpack()[0]
            elif step == 'confirm':
                call(bus, transaction, NAME + '.Transaction', 'Confirm', GLib.Variant('(a{sv})', ({},)))
            else:
                raise SystemExit(f'unknown step {step}')
            print(f'{step} ok', flush=True)
        except GLib.Error as e:
            print(f'{step} error {Gio.DBusError.get_remote_error(e)}: {e.message}', flush=True)
            ok = False
            break
    agent.terminate()
    agent.wait()
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())

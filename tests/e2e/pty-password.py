#!/usr/bin/python3
"""Runs a command on a pseudo-terminal of its own, as a user at a terminal
would, and types the password whenever a polkit text agent (pkttyagent,
which backstopctl starts when its stdin is a terminal) asks for one.

    pty-password.py PASSWORD-FILE CMD [ARG...]

The password is the first line of PASSWORD-FILE (not on the command line,
where any user could read it). When the agent offers several identities,
the one of the user running this script is chosen. Everything the command
and its agent print is copied to stdout; the exit status is the command's.
Each prompt shows in that output as pkttyagent's own line
"==== AUTHENTICATING FOR ACTION ====", which the caller counts."""
import os
import pty
import pwd
import re
import sys
import termios
import time

PROMPT = re.compile(rb'Password: ?$')
CHOOSE = re.compile(rb'Choose identity to authenticate as \(1-\d+\): ?$')


def type_secret(fd, secret):
    """Types secret once the agent has turned echo off: it flushes the
    terminal's input when it does (TCSAFLUSH), which would eat what was
    typed earlier."""
    while termios.tcgetattr(fd)[3] & termios.ECHO:
        time.sleep(0.01)
    os.write(fd, secret + b'\n')


def main():
    with open(sys.argv[1], 'rb') as f:
        password = f.readline().rstrip(b'\n')
    me = pwd.getpwuid(os.getuid()).pw_name.encode()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[2], sys.argv[2:])
    pending = b''  # output since the last answer
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the last process on the terminal closed it
            break
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        pending += data
        if PROMPT.search(pending):
            type_secret(fd, password)
            pending = b''
        elif CHOOSE.search(pending):
            # lines " N.  user" or " N.  Full Name (user)"
            found = re.search(rb'(\d+)\.\s+(?:[^\n]*\()?' + re.escape(me) + rb'\)?\r?$', pending, re.M)
            os.write(fd, (found.group(1) if found else b'1') + b'\n')
            pending = b''
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) & 0xff


if __name__ == '__main__':
    sys.exit(main())

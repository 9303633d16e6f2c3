#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Check an oracle corpus against the real iptables-legacy, in a private
network namespace with a private xtables lock file (never the host's).

  check-corpus.py v4|v6 FILE [--bad]

Good corpus: every line must be accepted; prints each line with the -S
line iptables-legacy stores for it. Bad corpus (--bad): every line must be
refused; prints iptables' error. Exit status 1 when any line misbehaves.
Lines are split like a shell would, without any expansion (shlex), which
is what bs_split_words does."""

import os
import shlex
import subprocess
import sys
import tempfile


def reexec_in_namespace():
        fd, lock = tempfile.mkstemp(prefix="xtables-lock-")
        os.close(fd)
        env = dict(os.environ, BS_ORACLE_NS="1", XTABLES_LOCKFILE=lock)
        try:
                return subprocess.run(["unshare", "-n", sys.executable] + sys.argv, env=env).returncode
        finally:
                os.unlink(lock)


def read_corpus(path):
        chains, lines = [], []
        with open(path, encoding="utf-8") as f:
                for n, raw in enumerate(f, 1):
                        raw = raw.rstrip("\n")
                        if raw.startswith("#chains:"):
                                chains += raw[len("#chains:"):].split()
                                continue
                        if not raw.strip() or raw.startswith("#"):
                                continue
                        chain, sep, rule = raw.partition("\t")
                        if not sep:
                                sys.exit(f"{path}:{n}: no TAB after the chain name")
                        lines.append((n, chain, rule))
        return chains, lines


def main():
        if os.environ.get("BS_ORACLE_NS") != "1":
                return reexec_in_namespace()
        family, path = sys.argv[1], sys.argv[2]
        bad = "--bad" in sys.argv[3:]
        ipt = "ip6tables-legacy" if family == "v6" else "iptables-legacy"
        chains, lines = read_corpus(path)
        for c in chains:
                subprocess.run([ipt, "-N", c], check=True)
        failures = 0
        for n, chain, rule in lines:
                for c in ["INPUT", "FORWARD", "OUTPUT"] + chains:
                        subprocess.run([ipt, "-F", c], check=True)
                try:
                        words = shlex.split(rule)
                except ValueError as e:
                        words = None
                        err = str(e)
                if words is not None:
                        p = subprocess.run([ipt, "-A", chain] + words, capture_output=True, text=True)
                        err = p.stderr.strip().replace("\n", " | ")
                        ok = p.returncode == 0
                else:
                        ok = False
                if bad:
                        print(f"{'BAD ' if not ok else 'ACCEPTED'}\t{n}\t{chain}\t{rule}\t{err}")
                        failures += ok
                        continue
                if not ok:
                        print(f"REFUSED\t{n}\t{chain}\t{rule}\t{err}")
                        failures += 1
                        continue
                out = subprocess.run([ipt, "-S", chain], capture_output=True, text=True, check=True).stdout
                stored = [l for l in out.splitlines() if l.startswith("-A ")]
                print(f"OK\t{n}\t{chain}\t{rule}\n\t=> {' || '.join(stored)}")
        return 1 if failures else 0


if __name__ == "__main__":
        sys.exit(main())

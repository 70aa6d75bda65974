#!/usr/bin/env python3
"""Executes a program with a clean signal state (used by scripts/sip/common.sh).

    spawn.py [--setsid] [--pdeathsig PARENT_PID] -- PROGRAM [ARG...]

Before exec: every signal back to its default disposition (an ignored signal stays ignored
across exec, and `cmd &` in a script ignores SIGINT/SIGQUIT), an empty signal mask (a blocked
mask is inherited across fork and exec, so a peer started by a parent that blocks SIGTERM could
never be stopped), optionally a new session (the launcher then signals the whole process
group), and optionally PR_SET_PDEATHSIG=SIGTERM so the kernel sends SIGTERM to the program when
the launcher (PARENT_PID, which must be our parent) dies, even by SIGKILL. The death signal
survives exec for non-setuid programs.
"""
import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main():
    args = sys.argv[1:]
    setsid = False
    parent = None
    while args:
        arg = args.pop(0)
        if arg == "--":
            break
        if arg == "--setsid":
            setsid = True
        elif arg == "--pdeathsig":
            parent = int(args.pop(0))
        else:
            sys.exit(f"spawn.py: unknown option {arg}")
    if not args:
        sys.exit("usage: spawn.py [--setsid] [--pdeathsig PARENT_PID] -- PROGRAM [ARG...]")

    for signum in range(1, signal.NSIG):
        if signum in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(signum, signal.SIG_DFL)
        except (OSError, ValueError, RuntimeError):
            pass  # reserved real-time signals and the like
    signal.pthread_sigmask(signal.SIG_SETMASK, [])

    if setsid:
        os.setsid()
    if parent is not None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            sys.exit(f"spawn.py: prctl: {os.strerror(ctypes.get_errno())}")
        if os.getppid() != parent:  # the launcher died before prctl took effect
            sys.exit(1)

    try:
        os.execvp(args[0], args)
    except OSError as error:
        sys.exit(f"spawn.py: {args[0]}: {error.strerror}")


main()

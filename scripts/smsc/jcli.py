#!/usr/bin/env python3
"""Feeds commands to Jasmin's jCli console (telnet) and checks the answers.

    jcli.py HOST PORT USERNAME PASSWORD < commands

Each stdin line is one jCli command. A line `!expect TEXT` checks that the answer to the
previous command contains TEXT. Blank lines and lines starting with `#` are skipped.
The whole transcript goes to stderr; exits 1 on a failed expectation or a timeout.
Standard library only (telnetlib is deprecated), so any Python 3 runs it.
"""
import re
import socket
import sys
import time

IAC = 255
PROMPT = re.compile(rb"(jcli : |> |Username: |Password: )$")


class JCli:
    def __init__(self, host, port, timeout=15.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.buffer = b""

    def _strip_telnet(self, data):
        # Drops telnet negotiation (IAC cmd opt, IAC SB ... IAC SE) and agrees to every option
        # (jCli asks for ECHO both ways and logs a traceback when refused).
        out = bytearray()
        i = 0
        while i < len(data):
            b = data[i]
            if b == IAC and i + 1 < len(data):
                cmd = data[i + 1]
                if cmd in (251, 252, 253, 254) and i + 2 < len(data):  # WILL WONT DO DONT
                    opt = data[i + 2]
                    if cmd == 253:  # DO -> WILL
                        self.sock.sendall(bytes([IAC, 251, opt]))
                    elif cmd == 251:  # WILL -> DO
                        self.sock.sendall(bytes([IAC, 253, opt]))
                    i += 3
                    continue
                if cmd == 250:  # SB ... IAC SE
                    end = data.find(bytes([IAC, 240]), i)
                    i = len(data) if end < 0 else end + 2
                    continue
                if cmd == IAC:
                    out.append(IAC)
                i += 2
                continue
            out.append(b)
            i += 1
        return bytes(out)

    def read_prompt(self):
        deadline = time.monotonic() + self.timeout
        while not PROMPT.search(self.buffer):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no jCli prompt; got %r" % self.buffer[-300:])
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("jCli closed the connection; got %r" % self.buffer[-300:])
            self.buffer += self._strip_telnet(chunk)
        text = self.buffer.decode("utf-8", "replace")
        self.buffer = b""
        return text

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")


def main():
    host, port, username, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    cli = JCli(host, port)
    log = sys.stderr
    # jCli sends nothing until the client has sent a line.
    cli.send("")
    answer = cli.read_prompt()
    if answer.endswith("Username: "):
        cli.send(username)
        cli.read_prompt()
        cli.send(password)
        answer = cli.read_prompt()
        if "Incorrect" in answer or not answer.endswith("jcli : "):
            log.write(answer)
            sys.exit("jcli.py: login failed")
    last = ""
    for raw in sys.stdin:
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("!expect "):
            wanted = line[len("!expect "):]
            if wanted not in last:
                log.write("jcli.py: expected %r in the answer to the last command\n" % wanted)
                sys.exit(1)
            continue
        cli.send(line)
        last = cli.read_prompt()
        log.write(last.replace("\r", "") + "\n")  # jCli echoes the command itself
    cli.send("quit")
    cli.sock.close()


if __name__ == "__main__":
    main()

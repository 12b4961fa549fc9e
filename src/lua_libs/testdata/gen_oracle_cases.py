#!/usr/bin/env python3
"""Regenerates oracle_cases.txt from redis-server 7.0.15.

Usage: gen_oracle_cases.py PORT oracle_cases.src oracle_cases.txt

Each line of the .src file is a Lua expression, or after `!` a function
body; `--` lines are comments. Each case runs through EVAL on the
redis-server listening on 127.0.0.1:PORT, wrapped by oracle_prelude.lua's
`run` (pcall, then every result rendered as text); the output file holds
the prelude, then `case<TAB>reply` lines that src/lua_libs/mod.rs replays.
"""
import os, socket, sys

HERE = os.path.dirname(os.path.abspath(__file__))
PRELUDE = open(os.path.join(HERE, 'oracle_prelude.lua')).read().strip()

def resp(sock, args):
    out = b'*%d\r\n' % len(args)
    for a in args:
        out += b'$%d\r\n%s\r\n' % (len(a), a)
    sock.sendall(out)
    f = sock.makefile('rb')
    line = f.readline()
    if line.startswith(b'$'):
        n = int(line[1:])
        if n < 0:
            return 'NIL'
        data = f.read(n + 2)[:-2]
        return data
    return b'!' + line.rstrip(b'\r\n')

def main():
    port = int(sys.argv[1])
    src, dst = sys.argv[2], sys.argv[3]
    out = [b'PRELUDE\t' + PRELUDE.encode()]
    for raw in open(src, 'rb').read().split(b'\n'):
        if not raw.strip() or raw.startswith(b'--'):
            continue
        case = raw
        body = case[1:] if case.startswith(b'!') else b'return ' + case
        script = PRELUDE.encode() + b' return run(function() ' + body + b' end)'
        s = socket.create_connection(('127.0.0.1', port))
        r = resp(s, [b'EVAL', script, b'0'])
        s.close()
        assert b'\t' not in r and b'\n' not in r, (case, r)
        out.append(case + b'\t' + r)
    open(dst, 'wb').write(b'\n'.join(out) + b'\n')

main()

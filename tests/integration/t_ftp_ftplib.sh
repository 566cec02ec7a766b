#!/usr/bin/env bash
# FTP (RFC 959) through the TAP with the kernel as the peer, driven by Python's ftplib in passive
# and in active mode: login, PWD, CWD, LIST, NLST, SIZE, MDTM, RETR of a 20 MB file compared by
# SHA-256, REST (a restarted RETR), and the refusals: traversal out of the root, PORT naming
# another address (FTP bounce, RFC 2577), a privileged port, commands before login, a line over
# 512 bytes, CR inside an argument, failed logins. Six sessions transfer at once. The session's
# data connection is closed when the session ends.
set -u
. "$(dirname "$0")/lib.sh"
ts_init ftp_ftplib
"$TS_BIN" up --help 2>&1 | grep -q -- --ftp-root || { echo "SKIP: this tapstack has no FTP server"; exit 77; }
ROOT=$TS_LOGDIR/ftp_ftplib.root
trap 'rc=$?; rm -rf "$ROOT"; (exit $rc); ts_cleanup' EXIT
rm -rf "$ROOT"
mkdir -p "$ROOT/pub/sub" "$ROOT/empty"
head -c $((20 << 20)) /dev/urandom >"$ROOT/pub/big.bin"
printf 'hello\nworld\n' >"$ROOT/pub/hello.txt"
head -c 3000000 /dev/urandom >"$ROOT/pub/sub/3m.bin"
ts_start --ftp-root "$ROOT"

ts_ns timeout 200 python3 - "$ROOT" <<'PY' || ts_fail "ftplib checks failed"
import ftplib, hashlib, os, socket, sys, time
root = sys.argv[1]
HOST = "10.0.0.2"

def sha(path, offset=0):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(offset)
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

def fetch(ftp, name, rest=None):
    h = hashlib.sha256()
    n = [0]
    def cb(b):
        h.update(b); n[0] += len(b)
    ftp.retrbinary("RETR " + name, cb, blocksize=1 << 16, rest=rest)
    return h.hexdigest(), n[0]

def expect_perm(fn, code, what):
    try:
        r = fn()
    except ftplib.error_perm as e:
        if not str(e).startswith(code):
            sys.exit(f"{what}: got {e}, want {code}")
        print(f"{what}: refused ({str(e).strip()})")
        return
    sys.exit(f"{what}: accepted ({r!r})")

def session(passive):
    mode = "passive" if passive else "active"
    ftp = ftplib.FTP()
    ftp.connect(HOST, 21, timeout=30)
    print(mode, "welcome:", ftp.getwelcome())
    expect_perm(lambda: ftp.sendcmd("PWD"), "530", f"{mode}: PWD before login")
    ftp.login()                            # anonymous
    ftp.set_pasv(passive)
    assert ftp.pwd() == "/", ftp.pwd()
    ftp.cwd("pub")
    assert ftp.pwd() == "/pub", ftp.pwd()
    lines = []
    ftp.retrlines("LIST", lines.append)
    print(f"{mode} LIST:", *lines, sep="\n  ")
    names = sorted(l.split()[-1] for l in lines)
    assert names == ["big.bin", "hello.txt", "sub"], names
    big = [l for l in lines if l.endswith(" big.bin")][0]
    assert big.startswith("-rw") and big.split()[4] == str(20 << 20), big
    assert [l for l in lines if l.endswith(" sub")][0].startswith("d"), lines
    assert sorted(ftp.nlst()) == ["big.bin", "hello.txt", "sub"], ftp.nlst()
    ftp.voidcmd("TYPE I")
    assert ftp.size("big.bin") == 20 << 20
    assert ftp.sendcmd("MDTM hello.txt").startswith("213 20")
    # ASCII: LF becomes CRLF on the wire, ftplib hands back the lines
    got = []
    ftp.retrlines("RETR hello.txt", got.append)
    assert got == ["hello", "world"], got
    t = time.monotonic()
    name, want = ("big.bin", sha(f"{root}/pub/big.bin")) if passive else ("sub/3m.bin", sha(f"{root}/pub/sub/3m.bin"))
    h, n = fetch(ftp, name)
    dt = time.monotonic() - t
    if h != want:
        sys.exit(f"{mode}: RETR {name}: {n} bytes, hash differs")
    print(f"{mode}: RETR {name}: {n} bytes in {dt:.2f} s ({n / dt / 1e6:.1f} MB/s), SHA-256 equal")
    off = 12345 if passive else 1000000
    h, n = fetch(ftp, name, rest=off)
    if h != sha(f"{root}/pub/{name}", off):
        sys.exit(f"{mode}: REST {off} + RETR {name}: hash differs ({n} bytes)")
    print(f"{mode}: REST {off} + RETR {name}: {n} bytes, SHA-256 equal")
    # traversal
    ftp.cwd("/")
    expect_perm(lambda: ftp.cwd(".."), "550", f"{mode}: CWD .. at the root")
    expect_perm(lambda: ftp.retrbinary("RETR ../../../../etc/passwd", lambda b: None), "550", f"{mode}: RETR ../../etc/passwd")
    expect_perm(lambda: ftp.size("/../etc/passwd"), "550", f"{mode}: SIZE /../etc/passwd")
    expect_perm(lambda: ftp.cwd("/pub/../../.."), "550", f"{mode}: CWD /pub/../../..")
    # read-only server
    expect_perm(lambda: ftp.mkd("x"), "550", f"{mode}: MKD on a read-only server")
    # FTP bounce and privileged ports
    expect_perm(lambda: ftp.sendcmd("PORT 10,0,0,99,200,10"), "500", f"{mode}: PORT to another address")
    expect_perm(lambda: ftp.sendcmd("EPRT |1|192.0.2.1|5000|"), "500", f"{mode}: EPRT to another address")
    expect_perm(lambda: ftp.sendcmd("PORT 10,0,0,1,0,80"), "500", f"{mode}: PORT to port 80")
    expect_perm(lambda: ftp.sendcmd("PORT 10,0,0,1,4"), "501", f"{mode}: PORT with five numbers")
    ftp.quit()

session(True)
session(False)

# Several conversations at once: 6 sessions, each with its own data connection (4 passive,
# 2 active), transferring at the same time.
import threading
want3 = sha(f"{root}/pub/sub/3m.bin")
results = {}
def parallel(i):
    try:
        ftp = ftplib.FTP()
        ftp.connect(HOST, 21, timeout=60)
        ftp.login()
        ftp.set_pasv(i < 4)
        h, n = fetch(ftp, "pub/sub/3m.bin")
        ftp.quit()
        results[i] = (h == want3, n)
    except Exception as e:
        results[i] = (False, repr(e))
threads = [threading.Thread(target=parallel, args=(i,)) for i in range(6)]
t = time.monotonic()
for th in threads: th.start()
for th in threads: th.join(90)
dt = time.monotonic() - t
if len(results) != 6 or not all(ok for ok, _ in results.values()):
    sys.exit(f"parallel sessions: {results}")
print(f"6 sessions at once (4 passive, 2 active): 6 x 3 MB in {dt:.2f} s, all SHA-256 equal")

# Raw control connection: hostile lines.
def raw():
    s = socket.create_connection((HOST, 21), timeout=10)
    f = s.makefile("rb")
    def reply():
        line = f.readline().decode()
        first = line
        if line[3:4] == "-":
            while not line.startswith(first[:3] + " "):
                line = f.readline().decode()
        return first.strip() if first[3:4] == " " else line.strip()
    return s, f, reply

s, f, reply = raw()
assert reply().startswith("220")
s.sendall(b"NOOP " + b"A" * 600 + b"\r\nNOOP\r\n")
r1, r2 = reply(), reply()
assert r1.startswith("500") and r2.startswith("200"), (r1, r2)
print("600-byte line:", r1, "/ next:", r2)
s.sendall(b"USER a\rb\r\n")
r = reply(); assert r.startswith("501"), r
print("CR inside an argument:", r)
s.sendall(b"LIST\r\n")
r = reply(); assert r.startswith("530"), r
for i in range(3):
    s.sendall(b"USER anonymous-not\r\nPASS x\r\n")
    reply(); r = reply()
    print("bad login", i + 1, r)
assert r.startswith("421"), r
assert f.readline() == b"", "connection still open after the failed-login limit"
s.close()

# A session whose client vanishes mid-transfer: the server must close the data connection too.
s, f, reply = raw()
reply()
s.sendall(b"USER anonymous\r\nPASS x\r\nTYPE I\r\nEPSV\r\n")
reply(); reply(); reply()
r = reply(); assert r.startswith("229"), r
port = int(r.split("|||")[1].split("|")[0])
d = socket.create_connection((HOST, port), timeout=10)
s.sendall(b"RETR pub/big.bin\r\n")
assert reply().startswith("150")
d.recv(1000)
s.close()                                  # the control connection goes away
deadline = time.monotonic() + 20
total = 0
d.settimeout(5)
try:
    while time.monotonic() < deadline:
        b = d.recv(1 << 16)
        if not b:
            break
        total += len(b)
    else:
        sys.exit("data connection still open 20 s after its session ended")
except (ConnectionResetError, socket.timeout) as e:
    if isinstance(e, socket.timeout):
        sys.exit("data connection neither closed nor reset after its session ended")
print(f"data connection closed with its session (after {total} more bytes)")
print("all ftplib checks passed")
PY
ts_log "ftplib passive and active ok"
ts_stop
echo "PASS"

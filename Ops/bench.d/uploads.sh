# Large uploads and resident memory (docs/API.md, "Request bodies that are refused early"):
#   1. 8 parallel 200 MB uploads without a token, and 8 with a driver's: answered from their head — the
#      server's RSS must not move (it used to read every body in full first: 363 MB -> 1.53 GB).
#   2. 4 parallel 200 MB uploads an admin may make (read in full, then refused by the importer as no CSV):
#      RSS after them, and again after glibc's malloc_trim(0) is called in the process (gdb). If trimming
#      gives the memory back, what stayed was the allocator's free lists, not a buffer the server kept.
set -euo pipefail
PORT=18093
WORK=$(mktemp -d /tmp/planogram-uploads.XXXXXX)
export PLANOGRAM_SECRET="bench-secret-0123456789abcdef"
"$BIN/planogram-live" serve --port $PORT --db "$WORK/u.db" --fixtures "$ROOT/Fixtures/demo" --web "$ROOT/Web" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print int($2/1024)}' /proc/$SERVER/status; }
ensure_apt gdb
python3 - "$PORT" "$WORK" "$BIN/planogram-live" "$SERVER" > "$BENCH_OUT/uploads.md" <<'PY'
import os, socket, subprocess, sys, threading, time
port, work, binary, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"): return int(line.split()[1]) // 1024
def token(role):
    return subprocess.run([binary, "token", "--role", role, "--sub", "bench-" + role], capture_output=True, text=True, check=True).stdout.strip()
SIZE = 200 * 1000 * 1000
CHUNK = b"x" * (1 << 20)
def upload(auth, out, i, deadline=120):
    s = socket.create_connection(("127.0.0.1", port), timeout=deadline)
    head = f"POST /api/import?file=sales.csv HTTP/1.1\r\nHost: b\r\nContent-Type: text/csv\r\nContent-Length: {SIZE}\r\n{auth}\r\n"
    s.sendall(head.encode())
    sent, t0, status = 0, time.time(), None
    s.setblocking(False)
    buf = b""
    while sent < SIZE and time.time() - t0 < deadline:
        try:
            sent += s.send(CHUNK[: min(len(CHUNK), SIZE - sent)])
        except BlockingIOError:
            time.sleep(0.001)
        except (BrokenPipeError, ConnectionResetError):
            break
        try:
            buf += s.recv(65536)
            if buf.startswith(b"HTTP/1.1 "): break
        except (BlockingIOError, ConnectionResetError):
            pass
    s.setblocking(True)
    s.settimeout(deadline)
    try:
        while b"\r\n" not in buf:
            more = s.recv(65536)
            if not more: break
            buf += more
    except OSError:
        pass
    out[i] = (buf.split(b"\r\n")[0].decode(errors="replace"), sent)
    s.close()
def wave(auth, n):
    out = [None] * n
    ts = [threading.Thread(target=upload, args=(auth, out, i)) for i in range(n)]
    peak = rss()
    for t in ts: t.start()
    while any(t.is_alive() for t in ts):
        peak = max(peak, rss()); time.sleep(0.05)
    return out, peak
base = rss()
rows = [("at rest", base, "")]
out, peak = wave("", 8)
rows.append(("8 x 200 MB, no token: peak", peak, f"{out[0][0]}; {max(o[1] for o in out) / 1e6:.0f} MB at most sent before the answer"))
out, peak = wave(f"Authorization: Bearer {token('driver')}\r\n", 8)
rows.append(("8 x 200 MB, driver: peak", peak, f"{out[0][0]}; {max(o[1] for o in out) / 1e6:.0f} MB at most sent before the answer"))
out, peak = wave(f"Authorization: Bearer {token('admin')}\r\n", 4)
rows.append(("4 x 200 MB, admin (read, then refused by the importer): peak", peak, out[0][0]))
time.sleep(2)
after = rss()
rows.append(("after them", after, ""))
out, peak2 = wave(f"Authorization: Bearer {token('admin')}\r\n", 4)
time.sleep(2)
after2 = rss()
rows.append(("4 x 200 MB more, admin: peak", peak2, out[0][0]))
rows.append(("after the second wave", after2, "a buffer kept per upload would add to this"))
subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "call (int) malloc_trim(0)"], capture_output=True, timeout=120)
time.sleep(1)
trimmed = rss()
rows.append(("after malloc_trim(0) in the process", trimmed, ""))
print("### Large uploads and resident memory (MB)\n")
print("| moment | RSS MB | answer |\n|---|---|---|")
for r in rows: print(f"| {r[0]} | {r[1]} | {r[2]} |")
print(f"\nAfter the first admin wave RSS stayed {after - base} MB above rest, after the second {after2 - base} MB "
      f"(a buffer kept per upload would have added about 800 MB); glibc's malloc_trim(0) then gave back {after2 - trimmed} MB, "
      f"leaving {trimmed - base} MB above rest.")
PY
cat "$BENCH_OUT/uploads.md"

"""One failover, measured through nginx (Ops/bench cluster): a watched session with an editor sending an
op every 20 ms; the node holding it is killed with SIGKILL; reports the time from the kill to the first
event the watcher gets on its new stream, and to the first acknowledged op, and checks that the watcher
saw every op once. Prints one JSON line; the killed node's index on stderr's last line."""
import http.client, json, os, signal, socket, sys, threading, time

port, token, cluster_dir, device = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
H = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

def call(method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, json.dumps(body) if body is not None else None, H)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        return r.status, (json.loads(data) if data else {})
    except ValueError:  # nginx's own pages (502) are HTML
        return r.status, {}

status, opened = call("POST", f"/api/sessions?device_id={device}&cabinet_index=0", {"device_id": device, "cabinet_index": 0})
sid = opened["session_id"]
_, snap = call("GET", f"/api/sessions/{sid}")
slot = snap["planogram"]["slots"][0]["slot"]
start_seq = snap["seq"]

state = {"ops": [], "first_event_after_kill": None, "last_id": None, "stop": False, "stop_editor": False}
killed_at = [None]

def watcher():
    deadline = time.time() + 60
    while time.time() < deadline and not state["stop"]:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            head = f"GET /api/sessions/{sid}/events HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer {token}\r\n"
            if state["last_id"]: head += f"Last-Event-ID: {state['last_id']}\r\n"
            s.sendall((head + "\r\n").encode())
            after_kill = killed_at[0] is not None
            buf = b""
            while not state["stop"]:
                chunk = s.recv(65536)
                if not chunk: break
                buf += chunk
                while b"\n\n" in buf:
                    frame, buf = buf.split(b"\n\n", 1)
                    ev, eid = None, None
                    for line in frame.decode(errors="replace").split("\n"):
                        if line.startswith("event: "): ev = line[7:]
                        elif line.startswith("id: "): eid = line[4:]
                    if eid: state["last_id"] = eid
                    if after_kill and ev and state["first_event_after_kill"] is None:
                        state["first_event_after_kill"] = time.time()
                    if ev == "op" and eid: state["ops"].append(int(eid))
            s.close()
        except OSError:
            time.sleep(0.02)

acked = {}
first_ack_after_kill = [None]
def editor():
    i = 0
    while not state["stop_editor"] and i < 3000:
        cid = f"fo-{time.time_ns()}-{i}"
        for _ in range(200):
            try:
                st, body = call("POST", f"/api/sessions/{sid}/ops", {"client_op_id": cid, "base_version": 0,
                                "op": {"type": "set_capacity", "slot": slot, "capacity": 1 + i % 20}})
                if st == 200:
                    acked[cid] = body["seq"]
                    if killed_at[0] and first_ack_after_kill[0] is None: first_ack_after_kill[0] = time.time()
                    break
            except OSError:
                pass
            time.sleep(0.02)
        i += 1
        time.sleep(0.02)

tw, te = threading.Thread(target=watcher), threading.Thread(target=editor)
tw.start(); te.start()
time.sleep(1.5)
_, listing = call("GET", "/api/sessions")
holder = next(s["node"] for s in listing["sessions"] if s["session_id"] == sid)
index = int(holder.replace("node", ""))
pid = int(open(os.path.join(cluster_dir, f"node{index}.pid")).read())
killed_at[0] = time.time()
os.kill(pid, signal.SIGKILL)
time.sleep(2.5)
state["stop_editor"] = True
te.join()
top = max(acked.values()) if acked else start_seq
deadline = time.time() + 5
while time.time() < deadline and (not state["ops"] or state["ops"][-1] < top): time.sleep(0.02)
state["stop"] = True
tw.join(timeout=5)
seen = state["ops"]
expected = list(range(start_seq + 1, top + 1))
print(json.dumps({
    "victim": holder,
    "to_first_event_ms": round((state["first_event_after_kill"] - killed_at[0]) * 1000, 1) if state["first_event_after_kill"] else None,
    "to_first_ack_ms": round((first_ack_after_kill[0] - killed_at[0]) * 1000, 1) if first_ack_after_kill[0] else None,
    "acked": len(acked), "watcher_complete": seen[:len(expected)] == expected and len(seen) >= len(expected),
}))
print(index, file=sys.stderr)

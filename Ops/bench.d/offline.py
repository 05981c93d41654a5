"""Ops/bench offline: 20 stops finished offline on a phone, the network back, every visit recorded exactly once.

Reuses the browser suite's server and browser helpers (Tests/Browser/test_web.py). One bounded run: a fleet of 60
machines, the busiest planned day, 20 stops; the wait for the outbox to empty is capped at 60 s."""
import json
import os
import sqlite3
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tests", "Browser"))
import test_web as w  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

out = sys.argv[1]
STOPS = 20
subprocess.check_call([w.BINARY, "fixtures", "--out", os.path.join(w.WORK, "fleet"), "--devices", "60", "--days", "56",
                       "--seed", "11"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
server = w.Server(w.free_port())
server.start()
driver = None
try:
    eve = w.token("driver", "eve", "Eve")
    plan = w.call(server, "GET", "/api/service-plan?days=7", eve)
    counts = {}
    for v in plan["visits"]:
        counts[v["date"]] = counts.get(v["date"], 0) + 1
    date = max(counts, key=counts.get)
    if counts[date] < STOPS:
        raise SystemExit(f"the busiest day has {counts[date]} visits, fewer than {STOPS}")
    driver = w.browser(width=390, height=844, mobile=True)
    driver.get(server.base + "/")
    driver.execute_script("localStorage.setItem('planogram.token', arguments[0])", eve)
    driver.get(server.base + f"/#/driver?date={date}")
    def wait(cond, t=30):
        # The list is drawn anew as stops finish: an element found a moment ago may be gone; look again.
        return w.WebDriverWait(driver, t, ignored_exceptions=[StaleElementReferenceException]).until(lambda d: cond(d))
    wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#stops .stop"))
    wait(lambda d: d.execute_script("return !!navigator.serviceWorker.controller"))
    driver.refresh()
    stops = wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#stops .stop"))
    devices = [s.get_attribute("data-device") for s in stops][:STOPS]
    server.stop()
    t_offline = time.time()
    for device in devices:
        # Tick every line and finish the stop in one script: the page may redraw between two selenium calls.
        wait(lambda d: d.execute_script("""
            const stop = document.querySelector(`.stop[data-device="${arguments[0]}"]`);
            if (!stop) return false;
            for (const b of stop.querySelectorAll('.pick input')) b.checked = true;
            const button = stop.querySelector('button.primary');
            button.scrollIntoView({block: 'center'});
            button.click();
            return true;""", device))
        wait(lambda d: "done" in d.find_element(By.CSS_SELECTOR, f'.stop[data-device="{device}"]').get_attribute("class"))
    wait(lambda d: d.find_element(By.ID, "outbox").get_attribute("data-waiting") == str(len(devices)))
    ticking = time.time() - t_offline
    server.start()  # returns once /readyz answers
    t_ready = time.time()
    wait(lambda d: d.find_element(By.ID, "outbox").get_attribute("data-waiting") == "0", 60)
    sync = time.time() - t_ready
    db = sqlite3.connect(os.path.join(w.WORK, "p.db"))
    once = [db.execute("SELECT count(*) FROM visits WHERE visit_id = ?", (f"{d}@{date}",)).fetchone()[0] for d in devices]
    db.close()
    result = {"stops": len(devices), "date": date, "offline_seconds": round(ticking, 2), "sync_seconds": round(sync, 2),
              "recorded_once": sum(1 for n in once if n == 1), "missing": sum(1 for n in once if n == 0),
              "duplicated": sum(1 for n in once if n > 1)}
    with open(os.path.join(out, "offline.json"), "w") as f:
        json.dump(result, f)
    with open(os.path.join(out, "offline.md"), "w") as f:
        f.write("## The driver's day offline\n\n")
        f.write(f"- {result['stops']} stops finished without the server on {date} ({result['offline_seconds']} s of ticking); "
                f"the server back, **every visit in the store {result['sync_seconds']} s after it was ready** (target < 5 s): "
                f"{result['recorded_once']} recorded once, {result['missing']} missing, {result['duplicated']} twice.\n")
    print(json.dumps(result))
finally:
    if driver:
        driver.quit()
    server.stop()

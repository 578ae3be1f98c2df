#!/usr/bin/env python3
"""Masthead's benchmark driver. Run it through `bash bench/run.sh`, which
installs what it needs, builds the release binary and then calls this.

What it does, per backend (SQLite always, PostgreSQL with --postgres):
  1. makes a 200-article demo publication in a temporary directory,
  2. switches the per-network meter off (network_quota: null) so that
     wrk's anonymous readers, all from 127.0.0.1, are not cut by it,
  3. serves it, checks each scenario's page with curl, copies the exact
     bytes into an nginx root, and measures Masthead and nginx side by side
     with wrk (same threads, connections and duration),
  4. records cold start (exec of `masthead serve` to the first 200 on
     /readyz) and resident memory.
Then (SQLite) it grows a copy of the database to 1,000 / 10,000 / 100,000
articles and measures cold start, memory and uncached random article pages.
Results are written into docs/BENCHMARKS.md between generated markers.

Standard library only; talks to PostgreSQL through psql.
"""

import argparse
import datetime as dt
import email
import email.policy
import glob
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "BENCHMARKS.md"

THREADS = 2
CONNECTIONS = 64

# Targets (docs/BENCHMARKS.md explains where they come from).
TARGET_RATIO = 0.5      # article pages: at least half of nginx's rate
TARGET_P99_MS = 10.0    # article pages: p99 under 10 ms at 64 connections
TARGET_COLD_S = 1.0     # exec to first 200 on /readyz
TARGET_RSS_MB = 150.0   # resident memory after the runs

FAILURES = []


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fail(msg):
    FAILURES.append(msg)
    log("FAILED: " + msg)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- HTTP (curl)

class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name-lower, value)
        self.body = body

    def header(self, name):
        return [v for k, v in self.headers if k == name.lower()]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def curl(url, jar=None, cookie=None, data=None, tmp="/tmp"):
    """One request with curl; never follows redirects."""
    hfile = os.path.join(tmp, "curl.headers")
    bfile = os.path.join(tmp, "curl.body")
    cmd = ["curl", "-sS", "-o", bfile, "-D", hfile, "-w", "%{http_code}", "--max-time", "20"]
    if jar:
        cmd += ["-c", jar, "-b", jar]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    if data is not None:
        for k, v in data.items():
            cmd += ["--data-urlencode", f"{k}={v}"]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    status = int(out.stdout.strip() or 0)
    headers = []
    if os.path.exists(hfile):
        for line in open(hfile, "rb").read().decode("latin-1").splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                headers.append((k.strip().lower(), v.strip()))
    body = open(bfile, "rb").read() if os.path.exists(bfile) else b""
    return Resp(status, headers, body)


def jar_cookie(jar, name):
    """A cookie's value from a curl cookie jar (HttpOnly lines included)."""
    for line in open(jar).read().splitlines():
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_"):]
        elif line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 7 and parts[5] == name:
            return parts[6]
    return None


# ---------------------------------------------------------------- wrk

def _ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not m:
        return None
    n, u = float(m.group(1)), m.group(2)
    return {"us": n / 1000, "ms": n, "s": n * 1000, "m": n * 60000}[u]


def wrk(url, duration, cookie=None, script=None, warmup=1, outdir=None, label="run"):
    base = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}"]
    extra = []
    if cookie:
        extra += ["-H", f"Cookie: {cookie}"]
    if script:
        extra += ["-s", script]
    if warmup:
        subprocess.run(base + [f"-d{warmup}s"] + extra + [url], capture_output=True, timeout=warmup + 30)
    out = subprocess.run(base + [f"-d{duration}s", "--latency"] + extra + [url],
                         capture_output=True, text=True, timeout=duration + 60).stdout
    if outdir:
        Path(outdir, f"wrk-{label}.txt").write_text(out)
    r = {"raw": out}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else 0.0
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        r[f"p{pct}"] = _ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    r["socket_errors"] = m.group(1).strip() if m else ""
    m = re.search(r"Transfer/sec:\s+(\S+)", out)
    r["transfer"] = m.group(1) if m else ""
    return r


def perf_profile(pid, url, seconds, cookie, outdir, label):
    """Runs wrk for `seconds` with perf sampling the server; returns the
    summary of bench/perf_summary.py (share of CPU per Masthead function)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import perf_summary
    data = os.path.join(outdir, f"perf-{label}.data")
    rec = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "499", "-g", "--call-graph", "dwarf,8192",
                            "-p", str(pid), "-o", data, "--", "sleep", str(seconds)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    w = wrk(url, seconds, cookie=cookie, warmup=0)
    rec.wait(timeout=seconds + 60)
    script = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True, timeout=300).stdout
    os.unlink(data)
    n, rows = perf_summary.summarize(script.splitlines(), top=14)
    text = f"{label}: {w['rps']:.0f} req/s under perf, {n} samples\n" + "".join(f"  {pct:5.1f}%  {name}\n" for name, pct in rows)
    Path(outdir, f"perf-{label}.txt").write_text(text)
    return text


# ---------------------------------------------------------------- databases

def ts(t):
    """A UTC timestamp as sqlx writes DateTime<Utc> into SQLite (RFC 3339,
    `2026-11-29T13:00:00+00:00`), so that text comparisons in SQL agree
    with the rows Masthead wrote; PostgreSQL reads it as timestamptz."""
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def q(v):
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


class SqliteDb:
    kind = "sqlite"

    def __init__(self, path):
        self.path = path

    def rows(self, sql):
        with sqlite3.connect(self.path, timeout=30) as c:
            return c.execute(sql).fetchall()

    def run(self, sql):
        c = sqlite3.connect(self.path, timeout=30)
        try:
            c.executescript(sql)
            c.commit()
        finally:
            c.close()


class PgDb:
    kind = "postgres"

    def __init__(self, url):
        self.url = url

    def rows(self, sql):
        out = subprocess.run(["psql", self.url, "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"psql: {out.stderr.strip()}")
        return [tuple(line.split("\t")) for line in out.stdout.splitlines() if line != ""]

    def run(self, sql):
        self.rows(sql)


# ---------------------------------------------------------------- Masthead

class Masthead:
    def __init__(self, binary, env, port, logfile):
        self.binary, self.env, self.port, self.logfile = binary, env, port, logfile
        self.proc = None

    def start(self, timeout=30.0):
        """Starts `masthead serve`; returns seconds from exec to the first 200 on /readyz."""
        logf = open(self.logfile, "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=logf, stderr=logf)
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"masthead serve exited with {self.proc.returncode}; see {self.logfile}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/readyz")
                status = c.getresponse().status
                c.close()
                if status == 200:
                    return time.monotonic() - t0
            except OSError:
                pass
            time.sleep(0.002)
        raise RuntimeError(f"masthead serve not ready after {timeout}s; see {self.logfile}")

    def memory(self):
        out = {}
        for line in open(f"/proc/{self.proc.pid}/status"):
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) / 1024.0  # MiB
        return out

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return None
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        return time.monotonic() - t0


def cold_starts(binary, env, port, logfile, n=3):
    times = []
    for _ in range(n):
        m = Masthead(binary, env, port, logfile)
        try:
            times.append(m.start())
        finally:
            m.stop()
    return times


def wait_jobs(db, timeout=120):
    """Waits for the demo's image renditions (run by serve's embedded worker),
    so they do not share the CPU with the measurements."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        n = int(db.rows("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")[0][0])
        if n == 0:
            return time.monotonic() - t0
        time.sleep(0.5)
    fail(f"{db.kind}: jobs still pending after {timeout}s; measuring anyway")
    return None


# ---------------------------------------------------------------- nginx

class Nginx:
    def __init__(self, tmp):
        self.root = tempfile.mkdtemp(prefix="masthead-bench-www-")
        os.chmod(self.root, 0o755)
        self.dir = os.path.join(tmp, "nginx")
        os.makedirs(self.dir)
        self.port = free_port()
        self.proc = None

    def put(self, name, body):
        p = os.path.join(self.root, name)
        with open(p, "wb") as f:
            f.write(body)
        os.chmod(p, 0o644)
        return f"http://127.0.0.1:{self.port}/{name}"

    def start(self):
        d = self.dir
        conf = f"""
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type text/html;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.root};
    }}
}}
"""
        Path(d, "nginx.conf").write_text(conf)
        self.proc = subprocess.Popen(["nginx", "-c", f"{d}/nginx.conf", "-p", d],
                                     stdout=subprocess.DEVNULL, stderr=open(f"{d}/stderr.log", "wb"))
        t0 = time.monotonic()
        while time.monotonic() - t0 < 10:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("nginx did not start: " + Path(d, "stderr.log").read_text())
                time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.root, ignore_errors=True)


# ---------------------------------------------------------------- the run

def machine():
    model = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    def ver(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except Exception:
            return "?"
    return {
        "date": subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip(),
        "nproc": os.cpu_count(),
        "model": model,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": os.uname().release,
        "wrk": ver(["wrk", "-v"]),
        "nginx": ver(["nginx", "-v"]),
        "loadavg": open("/proc/loadavg").read().split()[0],
    }


def paywall_without_network_meter(db):
    rows = db.rows("SELECT value FROM settings WHERE key = 'paywall'")
    pw = json.loads(rows[0][0]) if rows else {}
    pw.setdefault("meter", {})["network_quota"] = None
    value = json.dumps(pw)
    db.run(f"UPDATE settings SET value = {q(value)} WHERE key = 'paywall'")
    return pw


def sign_in(base, tmp, data_dir, email_addr):
    """The emailed-link sign-in, as a browser does it; returns mh_session."""
    jar = os.path.join(tmp, "reader.jar")
    r = curl(f"{base}/login", jar=jar, tmp=tmp)
    m = re.search(r'name="csrf" value="([^"]+)"', r.text)
    if r.status != 200 or not m:
        raise RuntimeError(f"GET /login: {r.status}, csrf field {'found' if m else 'missing'}")
    before = set(glob.glob(os.path.join(data_dir, "mail", "**", "*.eml"), recursive=True))
    r = curl(f"{base}/login/link", jar=jar, data={"email": email_addr, "csrf": m.group(1), "next": "/account"}, tmp=tmp)
    if r.status not in (302, 303):
        raise RuntimeError(f"POST /login/link: {r.status}: {r.text[:300]}")
    token = None
    for _ in range(100):
        new = sorted(set(glob.glob(os.path.join(data_dir, "mail", "**", "*.eml"), recursive=True)) - before, key=os.path.getmtime)
        if new:
            msg = email.message_from_bytes(open(new[-1], "rb").read(), policy=email.policy.default)
            texts = [p.get_content() for p in msg.walk() if p.get_content_maintype() == "text"]
            for t in texts:
                m2 = re.search(r"/login/verify\?token=([A-Za-z0-9_\-]+)", t)
                if m2:
                    token = m2.group(1)
                    break
            if token:
                break
        time.sleep(0.05)
    if not token:
        raise RuntimeError(f"no sign-in mail with a /login/verify link under {data_dir}/mail")
    r = curl(f"{base}/login/verify?token={token}&next=/account", jar=jar, tmp=tmp)
    m = re.search(r'name="csrf" value="([^"]+)"', r.text)
    if r.status != 200 or not m:
        raise RuntimeError(f"GET /login/verify: {r.status}")
    r = curl(f"{base}/login/verify", jar=jar, data={"token": token, "csrf": m.group(1), "next": "/account"}, tmp=tmp)
    session = jar_cookie(jar, "mh_session")
    if r.status not in (302, 303) or not session:
        raise RuntimeError(f"POST /login/verify: {r.status}, mh_session {'set' if session else 'missing'}")
    return session


def subscribe(db, email_addr):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    reader_id = db.rows(f"SELECT id FROM readers WHERE email = {q(email_addr)}")[0][0]
    plan_id = db.rows("SELECT id FROM plans WHERE slug = 'monthly'")[0][0]
    db.run(
        "INSERT INTO subscriptions (reader_id, plan_id, provider, provider_customer_id, provider_subscription_id, status, "
        "current_period_end, cancel_at_period_end, created_at, updated_at) VALUES "
        f"({reader_id}, {plan_id}, 'demo', 'bench-customer', {q(f'bench-{os.getpid()}-{time.time_ns()}')}, 'active', "
        f"{q(ts(now + dt.timedelta(days=30)))}, FALSE, {q(ts(now))}, {q(ts(now))})"
    )
    return int(reader_id)


SCENARIOS = [
    ("a", "article, free, anonymous"),
    ("b", "article, metered, anonymous under quota (meter read recorded)"),
    ("c", "article, metered, over quota (cut + offer)"),
    ("d", "article, metered, subscriber signed in"),
    ("e", "home page, anonymous"),
    ("f", "topic page, anonymous"),
    ("g", "RSS feed of the site"),
    ("h", "Content API: article listing (JSON, content key)"),
]


def run_backend(kind, args, binary, tmp, nginx, mach):
    log(f"=== {kind} ===")
    res = {"backend": kind, "machine": mach, "scenarios": {}, "notes": []}
    data_dir = os.path.join(tmp, kind)
    os.makedirs(data_dir)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if kind == "sqlite":
        db_path = os.path.join(data_dir, "masthead.db")
        url = f"sqlite:{db_path}"
        db = SqliteDb(db_path)
    else:
        url = f"postgres://postgres@127.0.0.1:5432/{args.pg_db}"
        db = PgDb(url)
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("MASTHEAD_"):
            del env[k]
    env.update({
        "MASTHEAD_DATA_DIR": data_dir,
        "MASTHEAD_DATABASE_URL": url,
        "MASTHEAD_LOG_LEVEL": "warn",
        "MASTHEAD_LISTEN": f"127.0.0.1:{port}",
    })
    res["env"] = {k: v for k, v in env.items() if k.startswith("MASTHEAD_") and k != "MASTHEAD_DATA_DIR"}
    logfile = os.path.join(tmp, f"{kind}-serve.log")

    t0 = time.monotonic()
    out = subprocess.run([binary, "demo", "--no-serve", "--articles", str(args.articles)], env=env,
                         capture_output=True, text=True, timeout=300, cwd=tmp)
    res["demo_seconds"] = round(time.monotonic() - t0, 1)
    if out.returncode != 0:
        raise RuntimeError(f"masthead demo failed: {out.stderr.strip()[-500:]}")
    log(f"demo built in {res['demo_seconds']} s")
    paywall_without_network_meter(db)

    srv = Masthead(binary, env, port, logfile)
    res["cold_start_first"] = srv.start()
    try:
        waited = wait_jobs(db)
        log(f"serving on {base}; first start {res['cold_start_first']*1000:.0f} ms; renditions done after {waited and round(waited, 1)} s")

        # Articles: newest first, so none is past the archive age.
        rows = db.rows("SELECT slug, access FROM articles WHERE status = 'published' ORDER BY published_at DESC, id DESC LIMIT 120")
        free = [s for s, a in rows if a == "free"]
        metered = [s for s, a in rows if a == "metered"]
        if not free or len(metered) < 4:
            raise RuntimeError("the demo has too few recent free/metered articles")
        art = lambda s: f"{base}/article/{s}"

        free_slug = None
        for s in free:
            r = curl(art(s), tmp=tmp)
            if r.status == 200 and 'data-access="free"' in r.text and 'class="offer"' not in r.text:
                free_slug = s
                break
        m_under, m_first, m_cut, m_sub = metered[0], metered[1], metered[2], metered[3]

        # d: a subscriber
        email_addr = f"bench-{os.getpid()}@example.org"
        session = None
        try:
            session = sign_in(base, tmp, data_dir, email_addr)
            subscribe(db, email_addr)
        except Exception as e:
            fail(f"{kind}: signing in a subscriber: {e}")

        # c: a browser that has used its free article
        jar = os.path.join(tmp, f"{kind}-anon.jar")
        r = curl(art(m_first), jar=jar, tmp=tmp)
        anon = jar_cookie(jar, "mh_anon")
        if r.status != 200 or not anon:
            fail(f"{kind}: reading {m_first} gave {r.status} and {'a' if anon else 'no'} mh_anon cookie")

        # f: the topic with the most published articles
        topic = db.rows("SELECT t.slug FROM topics t JOIN article_topics x ON x.topic_id = t.id "
                        "GROUP BY t.slug ORDER BY COUNT(*) DESC, t.slug LIMIT 1")[0][0]
        # h: a content key made the way an operator makes one
        key_out = subprocess.run([binary, "token", "create", "--kind", "content", "--name", "Bench"], env=env,
                                 capture_output=True, text=True, timeout=60, cwd=tmp)
        content_key = key_out.stdout.strip().splitlines()[-1] if key_out.returncode == 0 and key_out.stdout.strip() else None
        if not content_key:
            fail(f"{kind}: masthead token create failed: {key_out.stderr.strip()[-300:]}")

        plan = {
            "f": (f"{base}/topic/{topic}", None, f"/topic/{topic}"),
            "g": (f"{base}/feed.xml", None, "/feed.xml"),
            "h": (f"{base}/api/content/articles?key={content_key}" if content_key else None, None, "/api/content/articles"),
            "a": (art(free_slug) if free_slug else None, None, free_slug),
            "b": (art(m_under), None, m_under),
            "c": (art(m_cut), f"mh_anon={anon}" if anon else None, m_cut),
            "d": (art(m_sub), f"mh_session={session}" if session else None, m_sub),
            "e": (f"{base}/", None, "/"),
        }

        def check(key, r):
            t = r.text
            if r.status != 200:
                return f"status {r.status}"
            if key == "a":
                return None if 'data-access="free"' in t and 'class="offer"' not in t else "not a full free article"
            if key == "b":
                if "This is your last free article" not in t:
                    return "no 'This is your last free article' banner"
                if not r.header("set-cookie") or not any("mh_anon=" in c for c in r.header("set-cookie")):
                    return "no mh_anon cookie set"
                if not any("private" in c for c in r.header("cache-control")):
                    return "Cache-Control is not private"
                return None
            if key == "c":
                return None if 'class="offer"' in t else "no offer (class=\"offer\") on the page"
            if key == "d":
                if 'class="offer"' in t:
                    return "the subscriber got the cut page with the offer"
                return None if 'data-access="metered"' in t else "not the metered article"
            if key == "f":
                return None if t.count('<article') >= 5 or t.count('class="teaser') >= 5 else "fewer than five teasers on the topic page"
            if key == "g":
                return None if "<rss" in t and t.count("<item>") >= 10 else "not an RSS feed with items"
            if key == "h":
                try:
                    doc = json.loads(t)
                except ValueError:
                    return "not JSON"
                items = doc.get("articles") or doc.get("data") or doc.get("items") or []
                return None if len(items) >= 5 else f"fewer than five articles in the listing: {list(doc)[:5]}"
            return None

        for key, label in SCENARIOS:
            u, cookie, what = plan[key]
            sc = {"label": label, "path": what}
            res["scenarios"][key] = sc
            if u is None or (key in ("c", "d") and cookie is None):
                sc["error"] = "no page to measure (setup failed)"
                fail(f"{kind} {key}: {sc['error']}")
                continue
            r = curl(u, cookie=cookie, tmp=tmp)
            problem = check(key, r)
            if problem:
                sc["error"] = problem
                fail(f"{kind} {key} ({u}): {problem}")
                continue
            sc["bytes"] = len(r.body)
            static = nginx.put(f"{kind}-{key}.html", r.body)
            log(f"{key}: {label}: {u} ({len(r.body)} bytes)")
            sc["masthead"] = wrk(u, args.duration, cookie=cookie, outdir=tmp, label=f"{kind}-{key}-masthead")
            sc["nginx"] = wrk(static, args.duration, outdir=tmp, label=f"{kind}-{key}-nginx")
            mh, ng = sc["masthead"], sc["nginx"]
            sc["ratio"] = mh["rps"] / ng["rps"] if ng["rps"] else 0.0
            log(f"   masthead {mh['rps']:.0f} req/s p50 {mh['p50']} ms p99 {mh['p99']} ms | nginx {ng['rps']:.0f} req/s "
                f"p99 {ng['p99']} ms | ratio {sc['ratio']:.2f}")
            if mh["non2xx"] or mh["socket_errors"]:
                fail(f"{kind} {key}: wrk saw {mh['non2xx']} non-2xx responses, socket errors: {mh['socket_errors'] or 'none'}")
            # The page stays what it was checked to be after the run.
            problem = check(key, curl(u, cookie=cookie, tmp=tmp))
            if problem:
                fail(f"{kind} {key} after the run: {problem}")

        res["memory"] = srv.memory()
        res["meter_rows"] = int(db.rows("SELECT COUNT(*) FROM meter_reads")[0][0])
        log(f"memory after the runs: {res['memory']}; meter_reads rows: {res['meter_rows']}")
        if args.perf:
            # After the measurements, so that perf does not disturb them.
            res["perf"] = {}
            for key, _ in SCENARIOS:
                u, cookie, _ = plan[key]
                if "masthead" in res["scenarios"][key]:
                    res["perf"][key] = perf_profile(srv.proc.pid, u, 5, cookie, tmp, f"{kind}-{key}")
                    print(res["perf"][key], flush=True)
    finally:
        res["shutdown_seconds"] = srv.stop()
    res["cold_starts"] = cold_starts(binary, env, port, logfile, n=3)
    log(f"cold starts: {[round(t * 1000) for t in res['cold_starts']]} ms")
    res["db_path"] = db.path if kind == "sqlite" else None
    res["env_full"] = env
    return res


def grow_sqlite(path, target):
    """Copies the demo's articles (and their author, topic and region links)
    with new ids and slugs until the database holds `target` articles.
    Copies are whole rows: same body, status, access and publication time."""
    c = sqlite3.connect(path, timeout=60)
    try:
        cols = [r[1] for r in c.execute("PRAGMA table_info(articles)")]
        orig = c.execute("SELECT COUNT(*), MAX(id) FROM articles WHERE slug NOT LIKE '%-copy-%'").fetchone()
        n_orig, max_orig = orig
        stride = max_orig + 1
        have = c.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        if have >= target:
            return have
        k_from = have // n_orig            # copies 1..k_from-1 exist already
        k_to = -(-target // n_orig) - 1    # last copy number needed
        sel = ", ".join(
            f"a.id + n.k * {stride}" if col == "id" else ("a.slug || '-copy-' || n.k" if col == "slug" else f"a.{col}")
            for col in cols
        )
        cte = f"WITH RECURSIVE n(k) AS (SELECT {k_from} UNION ALL SELECT k + 1 FROM n WHERE k < {k_to}) "
        c.execute("PRAGMA synchronous = OFF")
        c.execute("BEGIN")
        c.execute(f"{cte} INSERT INTO articles ({', '.join(cols)}) SELECT {sel} FROM articles a, n WHERE a.id < {stride}")
        for table, col in (("article_authors", "author_id"), ("article_topics", "topic_id"), ("article_regions", "region_id")):
            c.execute(
                f"{cte} INSERT INTO {table} (article_id, {col}, position) "
                f"SELECT t.article_id + n.k * {stride}, t.{col}, t.position FROM {table} t, n WHERE t.article_id < {stride}"
            )
        c.execute("COMMIT")
        c.execute("ANALYZE")
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return c.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    finally:
        c.close()


def run_scale(args, binary, tmp, base_res):
    """Cold start, memory and uncached article pages as the archive grows."""
    log("=== archive size (SQLite) ===")
    out = {"machine": base_res["machine"], "rows": [], "notes": []}
    src = base_res["db_path"]
    path = os.path.join(tmp, "scale.db")
    s = sqlite3.connect(src)
    d = sqlite3.connect(path)
    s.backup(d)
    s.close()
    d.close()
    env = dict(base_res["env_full"])
    port = free_port()
    env["MASTHEAD_DATABASE_URL"] = f"sqlite:{path}"
    env["MASTHEAD_LISTEN"] = f"127.0.0.1:{port}"
    base = f"http://127.0.0.1:{port}"
    logfile = os.path.join(tmp, "scale-serve.log")
    sizes = [args.articles] + [n for n in args.scales if n > args.articles]
    deadline = time.monotonic() + args.scale_budget
    for n in sizes:
        if time.monotonic() > deadline:
            out["notes"].append(f"stopped before {n:,} articles: the scale budget ({args.scale_budget} s) was used up")
            break
        t0 = time.monotonic()
        have = grow_sqlite(path, n)
        grow_s = time.monotonic() - t0
        size_mb = os.path.getsize(path) / 1048576
        log(f"{have:,} articles ({size_mb:.0f} MB, grown in {grow_s:.1f} s)")
        colds = cold_starts(binary, env, port, logfile, n=3)
        srv = Masthead(binary, env, port, logfile)
        srv.start()
        row = {"articles": have, "db_mb": size_mb, "grow_s": grow_s, "cold": colds}
        try:
            # The home page, first render (not cached yet).
            t1 = time.monotonic()
            r = curl(f"{base}/", tmp=tmp)
            row["home_first_ms"] = (time.monotonic() - t1) * 1000
            if r.status != 200:
                fail(f"scale {have}: home page {r.status}")
            # Random articles across the whole archive: almost every request
            # misses the page cache and reads the database.
            slugs = [x[0] for x in sqlite3.connect(path).execute(
                "SELECT slug FROM articles WHERE status = 'published' ORDER BY random() LIMIT 20000").fetchall()]
            script = os.path.join(tmp, f"random-{have}.lua")
            with open(script, "w") as f:
                f.write("paths = {\n")
                for sl in slugs:
                    f.write(f'  "/article/{sl}",\n')
                f.write("}\nmath.randomseed(os.time())\n"
                        "request = function()\n  return wrk.format(\"GET\", paths[math.random(#paths)])\nend\n")
            row["random"] = wrk(f"{base}/", args.scale_duration, script=script, warmup=0, outdir=tmp, label=f"scale-{have}")
            row["distinct_paths"] = len(slugs)
            row["memory"] = srv.memory()
            log(f"   cold {[round(t * 1000) for t in colds]} ms, home first render {row['home_first_ms']:.0f} ms, random articles "
                f"{row['random']['rps']:.0f} req/s p99 {row['random']['p99']} ms, RSS {row['memory'].get('VmRSS', 0):.0f} MiB")
            if row["random"]["non2xx"]:
                fail(f"scale {have}: {row['random']['non2xx']} non-2xx responses on random articles")
        finally:
            srv.stop()
        out["rows"].append(row)
    return out


# ---------------------------------------------------------------- report

def fmt_ms(v):
    return "–" if v is None else (f"{v:.2f}" if v < 10 else f"{v:.1f}")


def ok(b):
    return "met" if b else "**missed**"


def machine_line(m):
    return (f"{m['date']} · {m['nproc']} × {m['model']} · {m['ram_gb']} GB RAM · Linux {m['kernel']} · "
            f"{m['wrk']} · {m['nginx']} · load average at start {m['loadavg']}")


def backend_section(res, args):
    m = res["machine"]
    name = {"sqlite": "SQLite", "postgres": "PostgreSQL 127.0.0.1:5432"}[res["backend"]]
    L = []
    L.append(f"### {name}\n")
    L.append(f"- Command: `bash bench/run.sh{' --postgres' if res['backend'] == 'postgres' else ''}` "
             f"(wrk -t{THREADS} -c{CONNECTIONS} -d{args.duration}s --latency, after a 1 s warm-up; nginx serves the same bytes)")
    L.append(f"- Machine: {machine_line(m)}")
    L.append(f"- Masthead: `masthead demo --no-serve --articles {args.articles}` ({res['demo_seconds']} s), then "
             f"`masthead serve` with MASTHEAD_PAGE_CACHE_SECONDS unset (default 30), MASTHEAD_LOG_LEVEL=warn, "
             f"paywall `network_quota: null`\n")
    L.append("| scenario | Masthead req/s | p50 ms | p99 ms | nginx req/s | p50 ms | p99 ms | Masthead / nginx | page bytes |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key, label in SCENARIOS:
        sc = res["scenarios"].get(key, {"label": label, "error": "not run"})
        if "error" in sc:
            L.append(f"| {key}. {label} | check failed: {sc['error']} | | | | | | | |")
            continue
        mh, ng = sc["masthead"], sc["nginx"]
        L.append(f"| {key}. {label} | {mh['rps']:,.0f} | {fmt_ms(mh['p50'])} | {fmt_ms(mh['p99'])} | {ng['rps']:,.0f} | "
                 f"{fmt_ms(ng['p50'])} | {fmt_ms(ng['p99'])} | {sc['ratio']:.2f} | {sc['bytes']:,} |")
    cold = res["cold_starts"]
    mem = res.get("memory", {})
    L.append("")
    L.append(f"Cold start (exec of `masthead serve` to the first 200 on /readyz): first {res['cold_start_first']*1000:.0f} ms, "
             f"then {', '.join(f'{t*1000:.0f}' for t in cold)} ms (median {statistics.median(cold)*1000:.0f} ms). "
             f"Resident memory after the runs: VmRSS {mem.get('VmRSS', 0):.1f} MiB (peak VmHWM {mem.get('VmHWM', 0):.1f} MiB). "
             f"Meter rows written during the run: {res.get('meter_rows', 0):,}. "
             f"Graceful shutdown: {res['shutdown_seconds'] and round(res['shutdown_seconds'] * 1000)} ms.\n")
    L.append("| target | result | |")
    L.append("| --- | --- | --- |")
    for key in ("a", "b", "c", "d"):
        sc = res["scenarios"].get(key, {})
        if "masthead" not in sc:
            L.append(f"| {key}: ≥ {TARGET_RATIO:.0%} of nginx's rate; p99 < {TARGET_P99_MS:.0f} ms | not measured | **missed** |")
            continue
        r, p99 = sc["ratio"], sc["masthead"]["p99"] or 1e9
        L.append(f"| {key}: ≥ {TARGET_RATIO:.0%} of nginx's rate; p99 < {TARGET_P99_MS:.0f} ms | {r:.0%}; p99 {fmt_ms(p99)} ms | "
                 f"{ok(r >= TARGET_RATIO)}; {ok(p99 < TARGET_P99_MS)} |")
    med = statistics.median(cold)
    L.append(f"| cold start < {TARGET_COLD_S:.0f} s | {med*1000:.0f} ms (median of 3) | {ok(med < TARGET_COLD_S)} |")
    rss = mem.get("VmRSS", 1e9)
    L.append(f"| RSS < {TARGET_RSS_MB:.0f} MB | {rss:.1f} MiB | {ok(rss < TARGET_RSS_MB)} |")
    return "\n".join(L) + "\n"


def scale_section(sc, args):
    L = ["### Archive size (SQLite)\n"]
    L.append(f"- Command: `bash bench/run.sh` (sizes: {', '.join(f'{n:,}' for n in args.scales)}; "
             f"random articles: wrk -t{THREADS} -c{CONNECTIONS} -d{args.scale_duration}s with a Lua script picking uniformly among "
             f"up to 20,000 random published slugs, no cookies)")
    L.append(f"- Machine: {machine_line(sc['machine'])}")
    L.append("- The demo's 200 articles are copied in SQL (`INSERT … SELECT` with `slug || '-copy-' || n` and new ids), "
             "together with their `article_authors`, `article_topics` and `article_regions` rows; bodies, access levels "
             "and publication times are the originals', so about 70 % of copies are metered and many are past the "
             "archive age (their pages are cut). `slug_history`, media and meter rows are not copied.\n")
    L.append("| articles | database | grow time | cold start (3 runs) | home, first render | random articles req/s | p50 ms | p99 ms | VmRSS after |")
    L.append("| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in sc["rows"]:
        rnd = r["random"]
        L.append(f"| {r['articles']:,} | {r['db_mb']:.0f} MB | {r['grow_s']:.1f} s | {', '.join(f'{t*1000:.0f}' for t in r['cold'])} ms | "
                 f"{r['home_first_ms']:.0f} ms | {rnd['rps']:,.0f} | {fmt_ms(rnd['p50'])} | {fmt_ms(rnd['p99'])} | "
                 f"{r['memory'].get('VmRSS', 0):.1f} MiB |")
    for n in sc["notes"]:
        L.append(f"\n{n}")
    if sc["rows"]:
        worst_cold = max(max(r["cold"]) for r in sc["rows"])
        worst_rss = max(r["memory"].get("VmRSS", 0) for r in sc["rows"])
        L.append(f"\nTargets at every size: cold start < 1 s: {ok(worst_cold < TARGET_COLD_S)} (worst {worst_cold*1000:.0f} ms); "
                 f"RSS < 150 MB: {ok(worst_rss < TARGET_RSS_MB)} (worst {worst_rss:.1f} MiB).")
    return "\n".join(L) + "\n"


def replace_section(text, name, body):
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{body}{end}"
    if start in text and end in text:
        return text[: text.index(start)] + block + text[text.index(end) + len(end):]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--postgres", action="store_true", help="also measure on PostgreSQL (127.0.0.1:5432, user postgres)")
    ap.add_argument("--no-sqlite", action="store_true", help="skip the SQLite runs (and the archive-size runs)")
    ap.add_argument("--pg-db", default=f"masthead_bench_{os.getpid()}")
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--scales", default="1000,10000,100000", help="archive sizes to grow to; empty to skip")
    ap.add_argument("--scale-duration", type=int, default=5)
    ap.add_argument("--scale-budget", type=int, default=120, help="seconds after which no bigger size is started")
    ap.add_argument("--no-write", action="store_true", help="do not touch docs/BENCHMARKS.md")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--perf", action="store_true",
                    help="after measuring, profile each scenario for 5 s with perf (linux-perf) and print where the CPU goes")
    args = ap.parse_args()
    args.scales = [int(x) for x in args.scales.split(",") if x.strip()]

    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="masthead-bench-")
    log(f"working in {tmp}")
    mach = machine()
    nginx = Nginx(tmp)
    nginx.start()
    results = {}
    try:
        if not args.no_sqlite:
            results["sqlite"] = run_backend("sqlite", args, args.binary, tmp, nginx, mach)
            if args.scales:
                results["scale"] = run_scale(args, args.binary, tmp, results["sqlite"])
        if args.postgres:
            created = False
            try:
                pg_admin = "postgres://postgres@127.0.0.1:5432/postgres"
                PgDb(pg_admin).run(f"CREATE DATABASE {args.pg_db}")
                created = True
                results["postgres"] = run_backend("postgres", args, args.binary, tmp, nginx, mach)
            except Exception as e:
                fail(f"postgres: {e}")
            finally:
                if created:
                    PgDb(pg_admin).run(f"DROP DATABASE IF EXISTS {args.pg_db} WITH (FORCE)")
    except Exception as e:
        fail(str(e))
    finally:
        nginx.stop()

    if not args.no_write and DOC.exists():
        text = DOC.read_text()
        if "sqlite" in results:
            text = replace_section(text, "sqlite", backend_section(results["sqlite"], args))
        if "postgres" in results:
            text = replace_section(text, "postgres", backend_section(results["postgres"], args))
        if "scale" in results:
            text = replace_section(text, "scale", scale_section(results["scale"], args))
        DOC.write_text(text)
        log(f"wrote {DOC.relative_to(ROOT)}")
    elif not args.no_write:
        log(f"{DOC} is missing; not writing results")
    # A copy of everything measured, for whoever wants the raw numbers.
    for r in results.values():
        r.pop("env_full", None)
        for sc in r.get("scenarios", {}).values():
            for side in ("masthead", "nginx"):
                if side in sc:
                    sc[side].pop("raw", None)
        for row in r.get("rows", []):
            row["random"].pop("raw", None)
    Path(tmp, "results.json").write_text(json.dumps(results, indent=2, default=str))
    log(f"raw results: {tmp}/results.json (wrk outputs alongside)")
    if not args.keep:
        for p in Path(tmp).iterdir():
            if p.name != "results.json" and not p.name.startswith("wrk-") and not p.name.endswith(".log"):
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    log(f"done in {time.monotonic() - started:.0f} s" + (f" with {len(FAILURES)} failure(s):" if FAILURES else ""))
    for f in FAILURES:
        print("  - " + f)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

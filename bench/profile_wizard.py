"""Where a family's time goes: cProfile of one login and one two-child wizard, in-process.

``python -m bench.profile_wizard`` (not part of ``python -m bench``): the production
settings (``DEBUG=0``) on a fresh SQLite file ``.bench/profile.sqlite3`` (tuned as
in the load bench), Django's
test client over "HTTPS", the same answers as the load bench. Prints the wall
time of each part, the time spent in a few families of functions (password
hashing, template rendering, SQL, forms), and the top functions by own time;
the full listing goes to ``.bench/profile_wizard.txt``. Celery is eager here, so
the validation includes the confirmation email and its recap PDF, which the
worker renders in the load bench.
"""

import cProfile
import io
import os
import pstats
import re
import secrets
import shutil
import sqlite3
import sys
import time

from . import ROOT
from .bench_load import sqlite_url

BENCH_DIR = ROOT / ".bench"
DATABASE = BENCH_DIR / "profile.sqlite3"
# (label, pattern on "file:line(function)") — cumulative time of the outermost match.
FAMILIES = [
    ("Argon2 (login)", r"_argon2_cffi_bindings"),
    ("ORM queries (build+run+fetch)", r"db/models/sql/compiler\.py:\d+\(execute_sql\)"),
    ("  of which SQL execute", r"db/backends/utils\.py:\d+\(_execute\)"),
    ("DB commits", r"backends/base/base\.py:\d+\(_commit\)"),
    ("template rendering", r"template/backends/django\.py:\d+\(render\)"),
    ("session save", r"sessions/backends/db\.py:\d+\(save\)"),
    (
        "wizard: revalidate stored steps",
        r"reinscription/wizard/views\.py:\d+\(first_incomplete_step\)",
    ),
    ("wizard: recap summary+estimate", r"reinscription/wizard/summary\.py:\d+\(build_summary\)"),
    ("wizard: submit (done)", r"reinscription/wizard/views\.py:\d+\(done\)"),
    ("  of which recap PDF (eager here)", r"weasyprint/__init__\.py:\d+\(write_pdf\)"),
]


def configure() -> None:
    BENCH_DIR.mkdir(exist_ok=True)
    for leftover in BENCH_DIR.glob("profile.sqlite3*"):
        leftover.unlink()
    # A new database reuses ids: recap PDFs left by a previous run would not be rendered.
    shutil.rmtree(BENCH_DIR / "profile-media", ignore_errors=True)
    sqlite3.connect(DATABASE).execute("PRAGMA journal_mode=WAL").close()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="conservatoire.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=sqlite_url(DATABASE),
        MEDIA_ROOT=str(BENCH_DIR / "profile-media"),
        EMAIL_URL="memorymail://",
        LOG_LEVEL="WARNING",
    )
    for name in ("CELERY_BROKER_URL", "AWS_STORAGE_BUCKET_NAME"):
        os.environ.pop(name, None)


def family_journey(client, identifier: str, password: str) -> dict[str, float]:
    from .loadgen import STEPS, STUDENT_LINK, form_fields, step_payload

    times = {}
    start = time.perf_counter()
    page = client.get("/compte/connexion/", secure=True)
    values, _radios = form_fields(page.content.decode(), ("csrfmiddlewaretoken",))
    values.update(username=identifier, password=password)
    response = client.post("/compte/connexion/", values, secure=True)
    assert response.status_code == 302, response.status_code
    times["login"] = time.perf_counter() - start
    start = time.perf_counter()
    space = client.get("/espace/", secure=True).content.decode()
    for student_id in dict.fromkeys(STUDENT_LINK.findall(space)):
        path = client.get(f"/espace/eleves/{student_id}/reinscription/", secure=True)["location"]
        for step in STEPS:
            page = client.get(path, secure=True)
            assert page.status_code == 200, (path, page.status_code)
            payload = step_payload(page.content.decode(), step, student_id)
            response = client.post(path, payload, secure=True)
            assert response.status_code == 302, (path, response.status_code)
            path = response["location"]
        assert client.get(path, secure=True).status_code == 200
    times["wizard"] = time.perf_counter() - start
    return times


def outermost_cumulative(stats: pstats.Stats, pattern: str) -> float:
    """Cumulative time of the functions matching ``pattern``, not counting nested calls."""
    regex = re.compile(pattern)
    matching = {func for func in stats.stats if regex.search(f"{func[0]}:{func[1]}({func[2]})")}
    total = 0.0
    for func in matching:
        _cc, _nc, _tt, _ct, callers = stats.stats[func]
        for caller, (_c1, _c2, _t, cumulative) in callers.items():
            if caller not in matching:
                total += cumulative
    return total


def main() -> int:
    configure()
    import django
    from django.core.management import call_command

    django.setup()
    from django.test import Client

    from reinscription.demo import LOAD_PASSWORD, seed_demo

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    seed_demo(load_families=4)
    # Warm-up (imports, template compilation) with a one-child family, then the
    # profiled run with charge-00001 (two children: 1 + 1 % 2).
    # One client throughout: each new test client loads the middleware again, and
    # WhiteNoise's scan of the static files would pass for the login page's cost.
    client = Client()
    family_journey(client, "charge-00002", LOAD_PASSWORD)
    client.cookies.clear()
    profiler = cProfile.Profile()
    profiler.enable()
    times = family_journey(client, "charge-00001", LOAD_PASSWORD)
    profiler.disable()

    stats = pstats.Stats(profiler)
    total = sum(times.values())
    print(
        f"login {times['login'] * 1000:.0f} ms, wizard (2 children, 31 requests) "
        f"{times['wizard'] * 1000:.0f} ms, under cProfile"
    )
    for label, pattern in FAMILIES:
        seconds = outermost_cumulative(stats, pattern)
        print(f"  {label:<30} {seconds * 1000:8.0f} ms  {seconds / total:6.1%}")
    output = io.StringIO()
    pstats.Stats(profiler, stream=output).sort_stats("tottime").print_stats(40)
    pstats.Stats(profiler, stream=output).sort_stats("cumulative").print_stats(60)
    (BENCH_DIR / "profile_wizard.txt").write_text(output.getvalue())
    print("Top functions by own time:")
    output = io.StringIO()
    pstats.Stats(profiler, stream=output).sort_stats("tottime").print_stats(15)
    lines = output.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print("\n".join(lines[start : start + 16]))
    print(f"Full listing: {(BENCH_DIR / 'profile_wizard.txt').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

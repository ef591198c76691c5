"""The campaign-opening load generator: simulated families on asyncio + aiohttp.

Each simulated family logs in, opens the family space, then for every child
goes through the wizard's seven steps as a browser would (GET the page, POST
the form it shows, follow the redirect) and validates. ``concurrency`` families
are in flight at any time; no family starts after ``seconds``, and every request
has a timeout, so a run always ends.

The server runs the production settings behind no proxy: like a TLS-terminating
proxy, every request carries ``X-Forwarded-Proto: https`` over plain HTTP on
loopback, and the cookie jar treats the server as a secure origin — so it returns
the ``Secure`` ``__Host-`` cookies, and ``Origin``/``Referer`` name the
``https://`` address, as a browser's would for the CSRF checks.

aiohttp rather than httpx: the client shares the server's two cores, and httpx
spent about 4 ms of CPU per request (a fifth of the machine at saturation).
"""

import asyncio
import html
import re
import statistics
import time
from dataclasses import dataclass, field

import aiohttp

STEPS = [
    "choix",
    "coordonnees",
    "reglement",
    "autorisations",
    "documents",
    "cours",
    "recapitulatif",
]
PHONE = "06 12 34 56 78"
# What a family types; radio groups not listed here get their first option.
ANSWERS = {
    "choix": {"decision": "reenrol"},
    "coordonnees": {
        "emergency_contact_name": "Mamie Charge",
        "emergency_contact_phone": PHONE,
        "emergency_contact_relation": "grand-mère",
    },
    "reglement": {"bank_changed": "no"},
    "autorisations": {"image_rights": "yes", "outing_authorisation": "no"},
    "documents": {},
    "cours": {},
    "recapitulatif": {"accept_rules": "on"},
}
STUDENT_LINK = re.compile(r'href="/espace/eleves/(\d+)/reinscription/"')
TAG = re.compile(r"<(input|textarea|select)\b([^>]*)>", re.I)
ATTR = re.compile(r'([\w:-]+)(?:\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s>]+)))?')
TEXTAREA_BODY = re.compile(r"(.*?)</textarea>", re.S | re.I)
SELECT_BODY = re.compile(r"(.*?)</select>", re.S | re.I)
OPTION = re.compile(r"<option\b([^>]*)>", re.I)
ERROR_ITEM = re.compile(r'<div class="alert alert-danger".*?</div>', re.S)


def plain_url(base_url: str) -> str:
    """The ``http://`` address the client really talks to, for an ``https://`` one."""
    return "http://" + base_url.removeprefix("https://")


def connector(concurrency: int) -> aiohttp.TCPConnector:
    """One connection pool shared by every simulated browser."""
    return aiohttp.TCPConnector(limit=concurrency * 2, force_close=False)


def session(base_url: str, pool: aiohttp.TCPConnector) -> aiohttp.ClientSession:
    """A browser: its own cookie jar (the server as a secure origin), the shared pool."""
    plain = plain_url(base_url)
    return aiohttp.ClientSession(
        base_url=plain,
        connector=pool,
        connector_owner=False,
        cookie_jar=aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[plain]),
        timeout=aiohttp.ClientTimeout(total=30),
        headers={
            "Accept-Language": "fr",
            "User-Agent": "conservatoire-bench",
            "X-Forwarded-Proto": "https",
        },
    )


def attributes(text: str) -> dict[str, str]:
    return {
        match[1].lower(): html.unescape(match[2] or match[3] or match[4] or "")
        for match in ATTR.finditer(text)
    }


def form_fields(page: str, prefixes: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """The values a browser would submit for the fields named ``<prefix>…``, and the
    first option of every radio group (to answer the questions nobody pre-answered)."""
    values: dict[str, str] = {}
    first_radio: dict[str, str] = {}
    for match in TAG.finditer(page):
        tag, attrs = match[1].lower(), attributes(match[2])
        name = attrs.get("name", "")
        if not name.startswith(prefixes):
            continue
        if tag == "textarea":
            body = TEXTAREA_BODY.match(page, match.end())
            values[name] = html.unescape(body[1]).removeprefix("\n") if body else ""
        elif tag == "select":
            body = SELECT_BODY.match(page, match.end())
            options = [attributes(o) for o in OPTION.findall(body[1])] if body else []
            chosen = next((o for o in options if "selected" in o), options[0] if options else {})
            values[name] = chosen.get("value", "")
        else:
            kind = attrs.get("type", "text").lower()
            if kind in ("radio", "checkbox"):
                if kind == "radio":
                    first_radio.setdefault(name, attrs.get("value", "on"))
                if "checked" in attrs:
                    values[name] = attrs.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                values[name] = attrs.get("value", "")
    return values, first_radio


def step_payload(page: str, step: str, student_id: str) -> dict[str, str]:
    management = f"reenrolment_{student_id}-"
    values, first_radio = form_fields(page, (f"{step}-", management, "csrfmiddlewaretoken"))
    for name, value in first_radio.items():
        values.setdefault(name, value)
    values.update({f"{step}-{key}": value for key, value in ANSWERS[step].items()})
    for name in values:
        if name.endswith("_mobile") and not values[name]:
            values[name] = PHONE
    if step == "reglement":  # half the families by direct debit, bank unchanged
        monthly = int(student_id) % 2 == 1
        values["reglement-payment_mode"] = "monthly" if monthly else "once"
        if not monthly:
            values.pop("reglement-bank_changed", None)
    return values


@dataclass
class Stats:
    timings: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    completed: list[float] = field(default_factory=list)  # family end times (perf_counter)
    reenrolments: int = 0

    def add(self, kind: str, seconds: float) -> None:
        self.timings.setdefault(kind, []).append(seconds * 1000)

    def quantile(self, kind: str, q: float) -> float:
        values = sorted(self.timings.get(kind, []))
        if not values:
            return float("nan")
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


class Failure(Exception):
    pass


@dataclass
class Page:
    status: int
    location: str
    text: str


class Browser:
    """One family's browser: its own cookie jar, the shared connection pool."""

    def __init__(self, base_url: str, pool: aiohttp.TCPConnector, stats: Stats):
        self.base_url = base_url  # https://…, as the browser believes
        self.stats = stats
        self.client = session(base_url, pool)

    async def request(self, kind: str, method: str, path: str, expect: int, data=None) -> Page:
        headers = {}
        if method == "POST":  # as a browser posting the page's own form
            headers = {"Origin": self.base_url, "Referer": self.base_url + path}
        start = time.perf_counter()
        try:
            async with self.client.request(
                method, path, data=data, headers=headers, allow_redirects=False
            ) as response:
                page = Page(response.status, response.headers.get("location", ""), "")
                page.text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise Failure(f"{method} {path}: {type(error).__name__} {error}") from error
        self.stats.add(kind, time.perf_counter() - start)
        if page.status != expect:
            detail = ERROR_ITEM.search(page.text)
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", detail[0])) if detail else ""
            raise Failure(f"{method} {path}: {page.status} (expected {expect}) {text}")
        return page

    async def login(self, identifier: str, password: str) -> None:
        page = await self.request("page", "GET", "/compte/connexion/", 200)
        values, _radios = form_fields(page.text, ("csrfmiddlewaretoken",))
        values.update(username=identifier, password=password)
        response = await self.request("login", "POST", "/compte/connexion/", 302, data=values)
        if response.location != "/espace/":
            raise Failure(f"login of {identifier} went to {response.location}")

    async def reenrol(self, student_id: str) -> None:
        response = await self.request(
            "step", "GET", f"/espace/eleves/{student_id}/reinscription/", 302
        )
        path = response.location
        for index, step in enumerate(STEPS):
            if not path.endswith(f"/reinscription/{step}/"):
                raise Failure(f"student {student_id}: expected step {step}, sent to {path}")
            page = await self.request("step", "GET", path, 200)
            payload = step_payload(page.text, step, student_id)
            response = await self.request("step", "POST", path, 302, data=payload)
            path = response.location
            if index == len(STEPS) - 1 and not path.endswith("/recapitulatif/"):
                raise Failure(f"student {student_id}: validation went to {path}")
        await self.request("page", "GET", path, 200)  # the validated recap and its message
        self.stats.reenrolments += 1

    async def family(self, identifier: str, password: str) -> None:
        await self.login(identifier, password)
        space = await self.request("page", "GET", "/espace/", 200)
        students = list(dict.fromkeys(STUDENT_LINK.findall(space.text)))
        if not students:
            raise Failure(f"{identifier}: no student to re-enrol on the family space")
        for student_id in students:
            await self.reenrol(student_id)

    async def aclose(self) -> None:
        await self.client.close()  # the shared pool stays open


@dataclass
class LoadResult:
    stats: Stats
    started: float
    saturated_until: float  # the first moment a simulated family found no more work
    ended: float

    def families_per_minute(self) -> float:
        """Completed families per minute while every slot was busy (first fifth skipped)."""
        window_start = self.started + (self.saturated_until - self.started) / 5
        done = [t for t in self.stats.completed if window_start <= t <= self.saturated_until]
        seconds = self.saturated_until - window_start
        if len(done) < 5 or seconds <= 0:  # too short to have a steady state
            seconds = self.ended - self.started
            done = self.stats.completed
        return len(done) / seconds * 60 if seconds > 0 else 0.0


async def run_families(
    base_url: str,
    families: list[tuple[str, str]],
    *,
    concurrency: int,
    seconds: float,
    stats: Stats | None = None,
) -> LoadResult:
    """Run ``families`` (identifier, password) with ``concurrency`` in flight, start
    none after ``seconds``; a family's failure is counted and the run goes on."""
    stats = stats or Stats()
    pool = connector(concurrency)
    queue = list(reversed(families))
    started = time.perf_counter()
    deadline = started + seconds
    saturated_until: list[float] = []

    async def simulated_family() -> None:
        while True:
            if not queue or time.perf_counter() > deadline:
                saturated_until.append(time.perf_counter())
                return
            identifier, password = queue.pop()
            browser = Browser(base_url, pool, stats)
            try:
                await browser.family(identifier, password)
                stats.completed.append(time.perf_counter())
            except Failure as error:
                stats.errors.append(str(error))
            except Exception as error:  # an unexpected page: count it, go on
                stats.errors.append(f"{identifier}: {type(error).__name__}: {error}")
            finally:
                await browser.aclose()

    try:
        await asyncio.wait_for(
            asyncio.gather(*(simulated_family() for _ in range(concurrency))),
            timeout=seconds + 120,
        )
    except TimeoutError:
        stats.errors.append("load: stopped by the overall timeout")
    finally:
        await pool.close()
    ended = time.perf_counter()
    return LoadResult(stats, started, min(saturated_until, default=ended), ended)


async def run_baseline(base_url: str, *, concurrency: int, seconds: float) -> Stats:
    """``concurrency`` anonymous browsers load the baseline page for ``seconds``
    (each browser's first request, which creates its session, is not counted)."""
    stats = Stats()
    pool = connector(concurrency)
    deadline = time.perf_counter() + seconds

    async def browser_loop() -> None:
        browser = Browser(base_url, pool, Stats())
        try:
            await browser.request("first", "GET", "/bench/baseline/", 200)
            browser.stats = stats
            while time.perf_counter() < deadline:
                await browser.request("baseline", "GET", "/bench/baseline/", 200)
        except Failure as error:
            stats.errors.append(str(error))
        finally:
            await browser.aclose()

    try:
        await asyncio.wait_for(
            asyncio.gather(*(browser_loop() for _ in range(concurrency))), timeout=seconds + 60
        )
    finally:
        await pool.close()
    return stats


async def wait_until_up(base_url: str, seconds: float, alive) -> None:
    """Poll /healthz until it answers 200 (or fail after ``seconds``)."""
    pool = connector(1)
    deadline = time.perf_counter() + seconds
    try:
        async with session(base_url, pool) as client:
            while time.perf_counter() < deadline:
                if not alive():
                    raise RuntimeError("the server exited while starting (see .bench/*.log)")
                try:
                    async with client.get("/healthz", allow_redirects=False) as response:
                        if response.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.2)
    finally:
        await pool.close()
    raise RuntimeError(f"the server did not answer /healthz within {seconds:.0f} s")

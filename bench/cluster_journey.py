"""The simulated family, through the balancer: :class:`ClusterBrowser` records which
instance served each request, uploads a document and reads it back, downloads the recap
PDF; :func:`run_families`, :func:`lockout_across_instances` and
:func:`draft_across_instances` drive it. See :mod:`bench.cluster`.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

from .loadgen import (
    ERROR_ITEM,
    STEPS,
    TAG,
    Browser,
    Failure,
    Page,
    Stats,
    attributes,
    connector,
    form_fields,
    step_payload,
)

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
UPLOAD_ACTION = 'action="/documents/envoyer/"'
DOWNLOAD_LINK = re.compile(r'href="(/documents/fichiers/\d+/)"[^>]*>([^<]*)<')
# A one-page PDF, small enough to be read back whole: what a family scans.
UPLOADED_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

# --- The simulated family, through the balancer ----------------------------------------------


@dataclass
class Answer(Page):
    """A response as :class:`Page`, with its bytes and the instance that served it."""

    body: bytes = b""
    served_by: str = ""


@dataclass
class ClusterStats(Stats):
    served: Counter = field(default_factory=Counter)  # requests per instance
    sequences: list[list[str]] = field(default_factory=list)  # each browser's instances
    uploads: int = 0
    downloads: int = 0  # uploaded documents read back, recap PDFs downloaded

    def switch_share(self) -> float:
        """Of a browser's consecutive requests, the share served by different instances."""
        pairs = [(a, b) for seq in self.sequences for a, b in zip(seq, seq[1:], strict=False)]
        return sum(a != b for a, b in pairs) / len(pairs) if pairs else 0.0

    def all_timings(self) -> list[float]:
        return [value for values in self.timings.values() for value in values]


class ClusterBrowser(Browser):
    """:class:`bench.loadgen.Browser` through HAProxy: each response's ``X-Served-By`` is
    recorded; before step 5 the family uploads a document on "Mes documents" and reads
    it back; after the validation it downloads the recap PDF."""

    def __init__(self, base_url: str, pool: aiohttp.TCPConnector, stats: ClusterStats):
        super().__init__(base_url, pool, stats)
        self.served: list[str] = []
        stats.sequences.append(self.served)
        self.uploaded = False
        self.identifier = ""

    async def family(self, identifier: str, password: str) -> None:
        self.identifier = identifier
        await super().family(identifier, password)

    async def request(self, kind, method, path, expect, data=None) -> Answer:
        headers = {}
        if method == "POST":  # as a browser posting the page's own form
            headers = {"Origin": self.base_url, "Referer": self.base_url + path}
        start = time.perf_counter()
        try:
            async with self.client.request(
                method, path, data=data, headers=headers, allow_redirects=False
            ) as response:
                body = await response.read()
                answer = Answer(
                    response.status,
                    response.headers.get("location", ""),
                    "",
                    body,
                    response.headers.get("X-Served-By", ""),
                )
                if not response.content_type.startswith("application/"):
                    answer.text = body.decode(response.charset or "utf-8", "replace")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise Failure(f"{method} {path}: {type(error).__name__} {error}") from error
        self.stats.add(kind, time.perf_counter() - start)
        self.stats.served[answer.served_by or "?"] += 1
        self.served.append(answer.served_by or "?")
        if expect is not None and answer.status != expect:
            detail = ERROR_ITEM.search(answer.text)
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", detail[0])) if detail else ""
            raise Failure(
                f"{method} {path} on {answer.served_by}: {answer.status} (expected {expect}) {text}"
            )
        return answer

    async def upload(self, identifier: str) -> None:
        """On "Mes documents", send :data:`UPLOADED_PDF` with the upload form (its first
        file field), follow the redirect and download the file back."""
        page = await self.request("page", "GET", "/documents/", 200)
        form = next(
            (m for m in FORM.finditer(page.text) if UPLOAD_ACTION in m[1] and "file" in m[2]),
            None,
        )
        if form is None:  # nothing requested from this family (a non-resident one)
            return
        data = aiohttp.FormData()
        file_field = ""
        for tag in TAG.finditer(form[2]):
            attrs = attributes(tag[2])
            kind, name = attrs.get("type", "text").lower(), attrs.get("name", "")
            if not name or tag[1].lower() != "input":
                continue
            if kind == "file":
                file_field = file_field or name
            elif kind not in ("submit", "button", "checkbox", "radio"):
                data.add_field(name, attrs.get("value", ""))
        filename = f"justificatif-{identifier}.pdf"
        data.add_field(file_field, UPLOADED_PDF, filename=filename, content_type="application/pdf")
        sent = await self.request("upload", "POST", "/documents/envoyer/", 302, data=data)
        shown = await self.request("page", "GET", sent.location.split("#", 1)[0], 200)
        links = DOWNLOAD_LINK.findall(shown.text)
        link = next((href for href, text in links if filename in text), None)
        if link is None:
            raise Failure(f"{identifier}: {filename} is not listed after the upload")
        stored = await self.request("download", "GET", html.unescape(link), 200)
        if stored.body != UPLOADED_PDF:
            raise Failure(f"{identifier}: the document read back from {stored.served_by} differs")
        self.stats.uploads += 1
        self.stats.downloads += 1
        self.uploaded = True

    async def reenrol(self, student_id: str) -> None:
        """:meth:`Browser.reenrol`, with an upload before step 5 (once per family) and
        the recap PDF downloaded after the validation."""
        response = await self.request(
            "step", "GET", f"/espace/eleves/{student_id}/reinscription/", 302
        )
        path = response.location
        for index, step in enumerate(STEPS):
            if not path.endswith(f"/reinscription/{step}/"):
                raise Failure(f"student {student_id}: expected step {step}, sent to {path}")
            if step == "documents" and not self.uploaded:
                # Between two steps, on "Mes documents" (then back to step 5).
                await self.upload(self.identifier)
            page = (await self.request("step", "GET", path, 200)).text
            payload = step_payload(page, step, student_id)
            response = await self.request("step", "POST", path, 302, data=payload)
            path = response.location
            if index == len(STEPS) - 1 and not path.endswith("/recapitulatif/"):
                raise Failure(f"student {student_id}: validation went to {path}")
        await self.request("page", "GET", path, 200)  # the validated recap and its message
        pdf = await self.request(
            "download", "GET", f"/espace/eleves/{student_id}/recapitulatif.pdf", 200
        )
        if not pdf.body.startswith(b"%PDF-"):
            raise Failure(f"student {student_id}: the recap download is not a PDF")
        self.stats.downloads += 1
        self.stats.reenrolments += 1

    async def failed_logins(self, identifier: str, count: int) -> list[Answer]:
        """``count`` logins with a wrong password (any answer is recorded)."""
        page = await self.request("page", "GET", "/compte/connexion/", 200)
        values, _radios = form_fields(page.text, ("csrfmiddlewaretoken",))
        answers = []
        for attempt in range(count):
            data = {**values, "username": identifier, "password": f"wrong-{attempt}"}
            answers.append(await self.request("login", "POST", "/compte/connexion/", None, data))
        return answers

    async def login_answer(self, identifier: str, password: str) -> Answer:
        page = await self.request("page", "GET", "/compte/connexion/", None)
        values, _radios = form_fields(page.text, ("csrfmiddlewaretoken",))
        data = {**values, "username": identifier, "password": password}
        return await self.request("login", "POST", "/compte/connexion/", None, data)


@dataclass
class ClusterRun:
    stats: ClusterStats
    started: float
    ended: float

    @property
    def seconds(self) -> float:
        return self.ended - self.started


async def run_families(
    base_url: str, families: list[tuple[str, str]], *, concurrency: int, seconds: float
) -> ClusterRun:
    """Like :func:`bench.loadgen.run_families`, with :class:`ClusterBrowser`: ``concurrency``
    families in flight, none started after ``seconds``, a failure counted and the run
    goes on."""
    stats = ClusterStats()
    pool = connector(concurrency)
    queue = list(reversed(families))
    started = time.perf_counter()
    deadline = started + seconds

    async def simulated_family() -> None:
        while queue and time.perf_counter() <= deadline:
            identifier, password = queue.pop()
            browser = ClusterBrowser(base_url, pool, stats)
            try:
                await browser.family(identifier, password)
                stats.completed.append(time.perf_counter())
            except Failure as error:
                stats.errors.append(f"{identifier}: {error}")
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
    return ClusterRun(stats, started, time.perf_counter())


async def lockout_across_instances(base_url: str, identifier: str, password: str) -> dict:
    """Five wrong passwords (the limit), then the right one: refused if the failures
    were counted across the instances that received them."""
    pool = connector(1)
    browser = ClusterBrowser(base_url, pool, ClusterStats())
    try:
        failures = await browser.failed_logins(identifier, 5)
        right = await browser.login_answer(identifier, password)
    finally:
        await browser.aclose()
        await pool.close()
    return {
        "failures_by_instance": dict(Counter(a.served_by for a in failures)),
        "failure_statuses": [a.status for a in failures],
        "right_password_status": right.status,
        "right_password_served_by": right.served_by,
        "right_password_location": right.location,
    }


async def draft_across_instances(base_url: str, identifier: str, password: str) -> dict:
    """Log in, answer step 1 on one instance; the next page, on the other, is step 2."""
    pool = connector(1)
    stats = ClusterStats()
    browser = ClusterBrowser(base_url, pool, stats)
    try:
        await browser.login(identifier, password)
        space = await browser.request("page", "GET", "/espace/", 200)
        student = re.search(r'href="/espace/eleves/(\d+)/reinscription/"', space.text)[1]
        start = await browser.request(
            "step", "GET", f"/espace/eleves/{student}/reinscription/", 302
        )
        page = await browser.request("step", "GET", start.location, 200)
        saved = await browser.request(
            "step", "POST", start.location, 302, data=step_payload(page.text, "choix", student)
        )
        shown = await browser.request("step", "GET", saved.location, 200)
    finally:
        await browser.aclose()
        await pool.close()
    return {
        "student": student,
        "saved_by": saved.served_by,
        "next_step": saved.location,
        "next_served_by": shown.served_by,
        "sequence": browser.served,
    }

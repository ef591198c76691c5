"""The HTML inspector of this suite sees what a browser would run (the checks mean something)."""

import pytest

from tests.security.conftest import IMG, JS, SCRIPT, assert_no_injection, inspect_html

INJECTED = [
    f"<p>{SCRIPT}</p>",
    f'<input value="{IMG}">',
    f'<a href="{JS}">x</a>',
    '<a href=" JaVaScRiPt:alert(1)">x</a>',
    "<svg><script>alert(1)</script></svg>",
    '<body onload="alert(1)">',
    '<form action="javascript:alert(1)"></form>',
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
]


@pytest.mark.parametrize("html", INJECTED)
def test_an_injection_is_caught(html):
    with pytest.raises(AssertionError):
        assert_no_injection(html, "probe")


def test_escaped_text_is_text():
    report = assert_no_injection(
        '<p>&lt;script&gt;alert("xss-1")&lt;/script&gt;</p><input value="&quot;&gt;&lt;img">'
        '<script src="/static/x.js"></script><p>javascript:alert("xss-3")</p>',
        "probe",
    )
    assert SCRIPT in report.text
    assert JS in report.text
    assert report.resources == ["/static/x.js"]
    assert inspect_html('<p style="color: red">x</p>').style_attributes

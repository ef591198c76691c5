"""Say which Debian packages to install when a system library is missing."""

import ctypes.util
import sys

PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"

try:
    import weasyprint  # noqa: F401
except OSError as exc:  # Pango or its friends are missing
    print(
        "WeasyPrint cannot load its system libraries "
        f"({exc.__class__.__name__}: {str(exc).splitlines()[0]}).\n"
        f"Install them with:  sudo apt-get install -y {PANGO_PACKAGES}",
        file=sys.stderr,
    )
    sys.exit(1)


def harfbuzz_subset() -> bool:
    """WeasyPrint's own test: libharfbuzz-subset loaded and HarfBuzz 4.1 or later."""
    try:
        from weasyprint.text.ffi import harfbuzz, harfbuzz_subset
    except ImportError:  # another WeasyPrint layout: the library is what matters
        return ctypes.util.find_library("harfbuzz-subset") is not None
    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


if not harfbuzz_subset():
    print(
        "Warning: libharfbuzz-subset is missing (or HarfBuzz is older than 4.1): WeasyPrint "
        "subsets fonts with fontTools instead, several times slower (a recap PDF, a ZIP of "
        "recaps).\n"
        "Install it with:  sudo apt-get install -y libharfbuzz-subset0",
        file=sys.stderr,
    )

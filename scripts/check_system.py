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

if ctypes.util.find_library("harfbuzz-subset") is None:
    print(
        "Warning: libharfbuzz-subset is missing: WeasyPrint subsets fonts with fontTools "
        "instead, far slower.\n"
        "Install it with:  sudo apt-get install -y libharfbuzz-subset0",
        file=sys.stderr,
    )

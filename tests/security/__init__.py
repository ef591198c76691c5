"""The security suite (issue 8, item 3): one test per case, or where the case is tested.

- Another family's student, re-enrolment, document, recap PDF, wizard: 404 —
  test_other_familys_objects.py (and each app's own tests).
- Extra POST fields ignored — test_extra_post_fields.py.
- Every POST without a CSRF token refused — test_csrf.py (walks every URL pattern).
- Hostile free text stays text in family pages, admin, emails, PDFs — test_hostile_text.py.
- The PDF renderer reads no file outside static and calls no network —
  test_pdf_fetches_nothing.py (and tests/billing/test_pdf_fetcher.py).
- The temporary password in no log, task argument or broker message —
  test_temporary_password_secrecy.py (Redis, real worker) and tests/accounts/test_secrets.py.
- Login and reset throttling — tests/accounts/test_login_throttling.py (5 failures lock
  the identifier from that address for 15 minutes, case-insensitive, the emailed password
  too) and tests/accounts/test_reset_throttling.py (3 emails an hour per account, 10
  requests an hour per address, a forged X-Forwarded-For does not dodge it).
- Cookie flags, HTTPS redirect, HSTS, CSP in production settings — test_production_settings.py;
  pages compatible with the CSP (no inline script or style) — test_content_security_policy.py.
- Staff exports escape cells starting with = + - @ — tests/billing/test_exports.py
  (``test_escape_cell``, ``test_the_debits_csv_is_french_and_escaped``) and
  tests/staff/test_exports.py (planning CSV and XLSX, families without answer).
"""

"""The re-enrolment wizard, one module per job.

- :mod:`.views`: :class:`ReenrolmentWizard`, the steps, their order and who may reach them,
  the validation;
- :mod:`.storage`: :class:`DraftStorage`, formtools' storage kept in a ``WizardDraft`` row;
- :mod:`.summary`: :func:`build_summary`, what the recap shows, from the steps' cleaned data;
- :mod:`.details`: step 2 (the family's details) kept true to the stored values;
- :mod:`.documents`: step 5's table and its files, stored at once (never in the draft);
- :mod:`.courses_form`: step 6's form and how its answer is stored;
- :mod:`.courses`: what step 6 shows around its fields (courses and formula, in words).
"""

from .views import STEP_NAMES, STEP_TITLES, STEPS, ReenrolmentWizard

__all__ = ["STEPS", "STEP_NAMES", "STEP_TITLES", "ReenrolmentWizard"]

"""The models of the ``reinscription`` app, one module per subject.

Django finds an app's models in ``<app>.models``: every model is imported here
(so this package is the app's models module), and ``from reinscription.models
import X`` keeps working whatever module defines ``X``.
"""

from .campaign import Campaign, CampaignQuerySet
from .catalogue import Course, CourseSlot, Discipline, Enrolment, EnrolmentCourse, Weekday
from .reenrolment import Reenrolment, ReenrolmentSnapshot, WizardDraft
from .staff import CampaignStudent, ExportJob, ReminderSent

__all__ = [
    "Campaign",
    "CampaignQuerySet",
    "CampaignStudent",
    "Course",
    "CourseSlot",
    "Discipline",
    "Enrolment",
    "EnrolmentCourse",
    "ExportJob",
    "Reenrolment",
    "ReenrolmentSnapshot",
    "ReminderSent",
    "Weekday",
    "WizardDraft",
]

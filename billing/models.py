"""Formulas (what a student pays for), tariff grids and their brackets."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Formula(models.Model):
    """A priced formula: Éveil artistique, cursus musique, danse, théâtre…"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("formula")
        verbose_name_plural = _("formulas")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

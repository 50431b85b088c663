"""Signals for the apps that depend on structures (which knows nothing of them)."""

from django.dispatch import Signal

# Sent by the FINESS import after EG rows changed département: ``etablissement_ids`` (a list of EG ids).
# The offers app copies the new département onto the offers of those EG's trees.
etablissements_relocated = Signal()

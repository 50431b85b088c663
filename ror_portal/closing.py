"""What a closing date says, the same for a structure and an offer (every app may import this module)."""

from django.utils import timezone


def is_closed(closed_on):
    """Closed today: a closing date today or before (a later one is only planned)."""
    return closed_on is not None and closed_on <= timezone.localdate()


def closing_label(closed_on):
    """ "Fermée depuis le 30/11/2026", "Fermeture prévue le …", or "" without a closing date."""
    if closed_on is None:
        return ""
    if is_closed(closed_on):
        return f"Fermée depuis le {closed_on:%d/%m/%Y}"
    return f"Fermeture prévue le {closed_on:%d/%m/%Y}"

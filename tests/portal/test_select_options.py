"""The select options of the DSFR fields (structures/templatetags/portal_forms.py), built in Python."""

from django import forms

from structures.templatetags.portal_forms import select_options


class Choice(forms.Form):
    field = forms.ChoiceField(choices=[("", "Tous"), ("81", "81 – Tarn"), ("<b>", "<script>x</script>")])


def test_the_submitted_value_is_selected_and_labels_are_escaped():
    html = select_options(Choice({"field": "81"})["field"])

    assert html == (
        '<option value="">Tous</option>'
        '<option value="81" selected>81 – Tarn</option>'
        '<option value="&lt;b&gt;">&lt;script&gt;x&lt;/script&gt;</option>'
    )


def test_without_a_value_the_empty_choice_is_selected():
    assert select_options(Choice()["field"]).startswith('<option value="" selected>Tous</option>')

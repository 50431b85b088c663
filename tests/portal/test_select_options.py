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


def test_option_attributes_and_checkboxes_are_escaped():
    from structures.templatetags.portal_forms import checkbox_options

    class Many(forms.Form):
        field = forms.MultipleChoiceField(choices=[('a"b', "<i>x</i>"), ("2", "Deux")])

    form = Choice({"field": "81"})
    form.fields["field"].widget.option_attrs = {"81": {"data-champs": '01 "02"'}}

    assert '<option value="81" data-champs="01 &quot;02&quot;" selected>' in select_options(form["field"])
    boxes = checkbox_options(Many({"field": ["2"]})["field"])
    assert 'value="a&quot;b">' in boxes and "&lt;i&gt;x&lt;/i&gt; (a&quot;b)" in boxes
    assert 'id="id_field-2" name="field" value="2" checked>' in boxes

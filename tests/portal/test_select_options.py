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


def test_a_field_group_has_its_label_control_and_error_escaped_and_linked():
    from django.template import Context

    from structures.templatetags.portal_forms import field_group

    class Filter(forms.Form):
        q = forms.CharField(label="Nom <ou> FINESS", max_length=3, help_text="3 & plus")
        choice = Choice.base_fields["field"]

    bound = Filter({"q": '"<script>', "choice": "81"})
    bound.is_valid()

    text_group = field_group(Context(), bound["q"])
    select_group = field_group(Context(), bound["choice"])

    assert text_group.startswith('<div class="fr-input-group fr-input-group--error">')
    label = '<label class="fr-label" for="id_q">Nom &lt;ou&gt; FINESS *<span class="fr-hint-text">3 &amp; plus</span>'
    assert label in text_group
    assert 'value="&quot;&lt;script&gt;" aria-describedby="id_q-erreur"' in text_group and "<script>" not in text_group
    assert '<p class="fr-error-text" id="id_q-erreur">' in text_group
    assert select_group.startswith('<div class="fr-select-group">') and "fr-select-group--error" not in select_group
    assert '<select class="fr-select" id="id_choice" name="choice"><option value="">Tous</option>' in select_group
    assert '<option value="81" selected>' in select_group


def test_hidden_fields_write_what_django_writes():
    from django.forms import formset_factory

    from structures.templatetags.portal_forms import hidden_fields

    class Versioned(forms.Form):
        version = forms.IntegerField(widget=forms.HiddenInput(attrs={"data-x": 'a"b', "data-on": True}))
        empty = forms.CharField(widget=forms.HiddenInput, required=False)

    formset = formset_factory(Versioned, extra=2)(prefix="telecoms")
    bound = Versioned(initial={"version": 7})

    assert hidden_fields(formset.management_form) == "".join(str(f) for f in formset.management_form.hidden_fields())
    assert hidden_fields(bound["version"]) == str(bound["version"])
    assert hidden_fields(bound) == str(bound["version"]) + str(bound["empty"])
    assert hidden_fields(Versioned({"version": '"><script>'})["version"]) == str(
        Versioned({"version": '"><script>'})["version"]
    )

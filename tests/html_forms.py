"""What a browser would submit: the fields of a form as rendered in a page (not ``form.initial``)."""

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.found = False
        self.data = []
        self.select = None
        self.select_options = []
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            wanted = not self.found if self.form_id is None else attrs.get("id") == self.form_id
            if wanted:
                self.inside = self.found = True
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.append((name, attrs.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self.data.append((name, attrs.get("value", "")))
        elif tag == "select" and name and "disabled" not in attrs:
            self.select = (name, "multiple" in attrs)
            self.select_options = []
        elif tag == "option" and self.select is not None:
            self.select_options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and name and "disabled" not in attrs:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self.select is not None:
            name, multiple = self.select
            chosen = [value for value, selected in self.select_options if selected]
            if not chosen and not multiple and self.select_options:
                chosen = [self.select_options[0][0]]
            self.data.extend((name, value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.data.append((self.textarea[0], self.textarea[1].removeprefix("\n")))
            self.textarea = None


def form_fields(html, form_id=None):
    """The (name, value) pairs a browser submits for the form ``form_id`` (the first form when None)."""
    parser = _FormParser(form_id)
    parser.feed(html)
    if not parser.found:
        raise AssertionError(f"No form {form_id!r} in the page.")
    return parser.data


def form_dict(html, form_id=None, **changes):
    """``form_fields`` as a dict for the test client (lists for repeated names), with ``changes`` applied."""
    data = {}
    for name, value in form_fields(html, form_id):
        data.setdefault(name, []).append(value)
    data = {name: values if len(values) > 1 else values[0] for name, values in data.items()}
    return data | changes

"""Read the POST forms of a page as a browser would submit them (for tests that post what the page shows)."""

from html.parser import HTMLParser


class Form:
    def __init__(self, action, attrs):
        self.action = action
        self.attrs = attrs
        self.fields = []  # (name, value) in document order, as submitted (checked boxes, selected options)
        self.buttons = []  # (name, value) of the named submit buttons

    def data(self, button=None):
        """The submitted pairs as a dict of lists, with ``button`` (or the first named submit button)."""
        data = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        chosen = button or (self.buttons[0] if self.buttons else None)
        if chosen:
            data.setdefault(chosen[0], []).append(chosen[1])
        return data

    @property
    def names(self):
        return list(dict.fromkeys([name for name, _ in self.fields] + [name for name, _ in self.buttons]))


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.form, self.select, self.options, self.textarea = [], None, None, [], None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            if attrs.get("method", "get").lower() == "post":
                self.form = Form(attrs.get("action", ""), attrs)
                self.forms.append(self.form)
            return
        if self.form is None or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "image", "button"):
                self.form.buttons.append((name, attrs.get("value", "")))
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.form.fields.append((name, attrs.get("value", "on")))
            elif kind != "file":
                self.form.fields.append((name, attrs.get("value", "")))
        elif tag == "button" and name and attrs.get("type", "submit").lower() == "submit":
            self.form.buttons.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self.select, self.options = (name, "multiple" in attrs), []
        elif tag == "option" and self.select:
            self.options.append([attrs.get("value"), "selected" in attrs, ""])
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data
        elif self.select and self.options and self.options[-1][0] is None:
            self.options[-1][2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea" and self.textarea is not None:
            self.form.fields.append((self.textarea[0], self.textarea[1].removeprefix("\n")))
            self.textarea = None
        elif tag == "select" and self.select:
            name, multiple = self.select
            values = [value if value is not None else text.strip() for value, _, text in self.options]
            chosen = [values[i] for i, (_, selected, _) in enumerate(self.options) if selected]
            if not multiple and not chosen and values:
                chosen = values[:1]
            self.form.fields.extend((name, value) for value in chosen)
            self.select = None


def post_forms(html):
    """Every ``<form method="post">`` of ``html``."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_data(html, form_id=None, **changes):
    """What a browser submits for the POST form ``form_id`` (the first one when None), clicking its first named
    submit button, with ``changes`` applied."""
    forms = [form for form in post_forms(html) if form_id is None or form.attrs.get("id") == form_id]
    if not forms:
        raise AssertionError(f"No POST form {form_id!r} in the page.")
    return forms[0].data() | changes

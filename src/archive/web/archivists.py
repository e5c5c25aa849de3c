"""The archivists' area: sign in, upload and review files, edit, restrict, delete, restore.

Every route here requires a signed-in archivist (see `require_archivist`);
every form carries a CSRF token (Flask-WTF). Changes go through `Editor`, so
each is validated, versioned, audited and indexed in one way.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urljoin, urlsplit, urlunsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from .. import ingest
from ..citation import without_bidi_controls
from ..corpus import parse_date
from ..document import Document, Event
from ..editing import Editor
from ..errors import ArchiveError
from ..extract import Limits
from ..fields import CHOICES, DOCUMENT_FIELDS, Field, value_label
from ..history import History
from ..i18n import N_, gettext
from ..users import Users
from . import current_archivist, service, sessions

bp = Blueprint("archivists", __name__, url_prefix="/<lang>/archivists")


@bp.context_processor
def _document_fields() -> dict:
    return {"document_fields": [spec.name for spec in DOCUMENT_FIELDS]}


#: Endpoints of this blueprint that a visitor may open without signing in.
OPEN_ENDPOINTS = frozenset({"archivists.login"})


@bp.before_request
def require_archivist():
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if current_archivist() is None:
        return redirect(url_for(".login", lang=g.lang, next=request.full_path))
    return None


def _(message: str, **params) -> str:
    return gettext(message, g.lang, **params)


# --- Forms ----------------------------------------------------------------------------


class LoginForm(FlaskForm):
    name = StringField(N_("Name"), validators=[DataRequired(), Length(max=32)])
    password = PasswordField(N_("Password"), validators=[DataRequired(), Length(max=1024)])


class UploadForm(FlaskForm):
    file = FileField(N_("File (.pdf, .docx, .html, .md, .txt)"), validators=[FileRequired()])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def _form_field(spec: Field):
    """The form field of a row of `fields.DOCUMENT_FIELDS`."""
    validators = [DataRequired()] if spec.required else []
    if spec.max_length:
        validators.append(Length(max=spec.max_length))
    if spec.form == "choice":
        values = CHOICES[spec.choices]
        return SelectField(spec.label, choices=["", *values] if spec.blank else list(values))
    kind = TextAreaField if spec.area else StringField
    return kind(spec.label, validators=validators)


class _Described(FlaskForm):
    """A form whose choices are shown by their labels in the page's language."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for spec in DOCUMENT_FIELDS:
            if spec.form == "choice":
                labelled = [(v, value_label(spec.name, v, g.lang)) for v in CHOICES[spec.choices]]
                self[spec.name].choices = [("", ""), *labelled] if spec.blank else labelled


#: The description of a document, one field per row of `fields.DOCUMENT_FIELDS`.
DocumentForm = type(
    "DocumentForm", (_Described,), {spec.name: _form_field(spec) for spec in DOCUMENT_FIELDS}
)


class ReviewForm(DocumentForm):
    keep_one_copy = BooleanField(N_("Keep one copy of the repeated text"), default=True)
    token = HiddenField()


def _words(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in value.replace(",", " ").split() if v))


def _events(value: str) -> tuple[Event, ...]:
    events = []
    for number, line in enumerate(value.splitlines(), 1):
        if not line.strip():
            continue
        date, _, event = line.partition(":")
        if not event.strip() or parse_date(date.strip())[0] is None:
            raise ArchiveError(
                N_("events: line {number}: write 'YYYY-MM-DD: what happened'"), number=number
            )
        events.append(Event(date.strip(), event.strip()))
    return tuple(events)


def _read(spec: Field, value: str):
    """A field's value as the `Document` holds it, from what the form sent."""
    if spec.form == "words":
        words = _words(value)
        return tuple(w.upper() for w in words) if spec.upper else words
    if spec.form == "lines":
        return tuple(line.strip() for line in value.splitlines() if line.strip())
    if spec.form == "events":
        return _events(value)
    if spec.form == "body":
        return value.replace("\r\n", "\n").strip()
    if spec.form == "choice":
        return value or (None if spec.blank else value)
    value = value.strip()
    return value if spec.required else value or None


def _shown(spec: Field, value) -> str:
    """A `Document`'s value of a field as the form shows it."""
    if spec.form == "events":
        return "\n".join(f"{e.date}: {e.event}" for e in value)
    if spec.form in ("words", "lines"):
        return ("\n" if spec.area else " ").join(value)
    return value or ""


def document_from_form(form: DocumentForm) -> Document:
    """A `Document` from the form's fields (validation is `Editor`'s job)."""
    return Document(
        **{spec.name: _read(spec, form[spec.name].data or "") for spec in DOCUMENT_FIELDS}
    )


def fill_form(form: DocumentForm, document: Document) -> None:
    for spec in DOCUMENT_FIELDS:
        form[spec.name].data = _shown(spec, getattr(document, spec.name))


def editor() -> Editor:
    """An editor for this request, with the server's registry (its names are
    built once, not on every change)."""
    found = service()
    return Editor(found.home, current_archivist().name, current_app.config, found.registry)


def limits() -> Limits:
    return Limits.from_settings(current_app.config)


# --- Signing in and out ------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        name, address = form.name.data.strip(), request.remote_addr or "?"
        throttle = current_app.extensions["archive.throttle"]
        wait = throttle.attempt(name, address)  # counted as failed unless it succeeds
        if wait:
            flash(_("Too many failed attempts; try again in {seconds} seconds.", seconds=wait))
            return (
                render_template("archivists/login.html", form=form),
                429,
                {"Retry-After": str(wait)},
            )
        user = Users(service().home).verify(name, form.password.data)
        if user is None:
            throttle.failed(name, address, counted=True)
            flash(_("Wrong name or password, or the account is disabled."))
            status = 401
        else:
            throttle.succeeded(name, address)
            session.clear()  # a fresh session: no fixation
            session["archivist"] = user.name
            session["session"] = sessions().start(user.name)
            session.permanent = True
            target = same_site_path(request.args.get("next", ""))
            return redirect(target or url_for(".dashboard", lang=g.lang))
    elif request.method == "POST":
        status = 400
    return render_template("archivists/login.html", form=form), status


#: Control characters and space: browsers strip them from both ends of a URL.
_URL_ENDS = "".join(map(chr, range(0x21)))


def same_site_path(target: str) -> str | None:
    """`target` as a path on this site, or None when it is empty or leads elsewhere.

    It is read as a browser reads it (tabs and newlines dropped, ends trimmed,
    backslashes taken as slashes), resolved against this site's address and
    kept only if scheme and host are still this site's. The answer is rebuilt
    from the parsed path and query, so that nothing a browser would read as
    ``//host`` (a tab between two slashes, ``/.//host``) reaches the Location.
    """
    for char in "\t\n\r":
        target = target.replace(char, "")
    target = target.strip(_URL_ENDS).replace("\\", "/")
    if not target or any(ord(char) < 0x20 or char == "\x7f" for char in target):
        return None
    site = urlsplit(request.host_url)
    found = urlsplit(urljoin(request.host_url, target))
    if (found.scheme, found.netloc) != (site.scheme, site.netloc):
        return None
    return urlunsplit(("", "", "/" + found.path.lstrip("/"), found.query, ""))


@bp.route("/logout", methods=["POST"])
def logout():
    if ActionForm().validate_on_submit():
        if session.get("session"):
            sessions().end(session["session"])  # a kept copy of the cookie opens nothing
        session.clear()
    return redirect(url_for("public.home", lang=g.lang))


# --- Dashboard, upload and review ------------------------------------------------------------


@bp.route("/")
def dashboard():
    history = History(service().corpus)
    restricted = service().restricted_documents()
    return render_template(
        "archivists/dashboard.html",
        upload=UploadForm(),
        audit=history.audit(limit=20),
        restricted=restricted,
    )


@bp.route("/upload", methods=["POST"])
def upload():
    form = UploadForm()
    stored = request.files.get("file")
    try:
        # The name is a label only: files are stored under names made from their content.
        # Without bidirectional controls, "scan\u202efdp.exe" cannot pass for a PDF.
        given = without_bidi_controls(stored.filename or "") if stored is not None else ""
        name = given.replace("\\", "/").rsplit("/", 1)[-1][-200:] or "upload"
        if not given or not form.validate_on_submit():
            if given:  # a file was chosen, but it is empty
                raise ArchiveError(N_("{file}: the file is empty"), file=given)
            raise ArchiveError(N_("file: choose a file to upload"))
        data = stored.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
    finally:
        if stored is not None:
            stored.close()
    found = ingest.review(service(), data, name, limits())  # refuse bad files before staging
    staging = ingest.Staging(service().home)
    token = staging.put(data, name, current_archivist().name, found.extracted)
    return redirect(url_for(".review", lang=g.lang, token=token))


@bp.route("/review/<token>", methods=["GET", "POST"])
def review(token: str):
    staging = ingest.Staging(service().home)
    data, name = staging.get(token, current_archivist().name)
    found = ingest.review(service(), data, name, limits(), token, staging.extracted(token))
    form = ReviewForm()
    if request.method == "GET":
        proposed = found.proposal.document
        if found.proposal.deduplicated_body:  # offered with one copy; untick to keep all
            proposed = replace(proposed, body=found.proposal.deduplicated_body)
        if found.translations:
            proposed = replace(proposed, translations=tuple(c.id for c in found.translations))
        fill_form(form, proposed)
        form.token.data = token
    elif form.validate_on_submit():
        try:
            document = document_from_form(form)
            repeated = found.proposal.deduplicated_body
            if repeated and not form.keep_one_copy.data and _same_text(document.body, repeated):
                document = replace(document, body=found.proposal.document.body)
            saved = editor().add(document, original=(name, data))
        except ArchiveError as error:  # the form stays filled in, with what to fix
            flash(error.render(g.lang))
            page = render_template(
                "archivists/review.html", form=form, review=found, discard=ActionForm()
            )
            return page, error.status
        staging.drop(token)
        _report(saved)
        return redirect(url_for("public.document", lang=g.lang, doc_id=saved.document.id))
    status = 400 if request.method == "POST" else 200
    page = render_template("archivists/review.html", form=form, review=found, discard=ActionForm())
    return page, status


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


@bp.route("/review/<token>/discard", methods=["POST"])
def discard(token: str):
    staging = ingest.Staging(service().home)
    staging.get(token, current_archivist().name)  # NotFound unless it is this archivist's
    if ActionForm().validate_on_submit():
        staging.drop(token)
    return redirect(url_for(".dashboard", lang=g.lang))


# --- Editing, access, deletion, history ---------------------------------------------------------


@bp.route("/documents/<doc_id>/edit", methods=["GET", "POST"])
def edit(doc_id: str):
    form = DocumentForm()
    if request.method == "GET":
        fill_form(form, editor().current(doc_id))
    elif form.validate_on_submit():
        try:
            saved = editor().update(doc_id, document_from_form(form))
        except ArchiveError as error:  # the form stays filled in, with what to fix
            flash(error.render(g.lang))
            return render_template("archivists/edit.html", form=form, doc_id=doc_id), error.status
        _report(saved)
        return redirect(url_for("public.document", lang=g.lang, doc_id=doc_id))
    status = 400 if request.method == "POST" else 200
    return render_template("archivists/edit.html", form=form, doc_id=doc_id), status


@bp.route("/documents/<doc_id>/access", methods=["POST"])
def access(doc_id: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    wanted = request.form.get("access", "")
    if wanted not in CHOICES["access"]:
        raise ArchiveError(N_("access: must be public or restricted"))
    _report(editor().set_access(doc_id, wanted))
    return redirect(url_for("public.document", lang=g.lang, doc_id=doc_id))


@bp.route("/documents/<doc_id>/delete", methods=["POST"])
def delete(doc_id: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    editor().delete(doc_id)
    flash(_("Deleted. Its text is kept in the history and can be restored."))
    return redirect(url_for(".history", lang=g.lang, doc_id=doc_id))


@bp.route("/documents/<doc_id>/history")
def history(doc_id: str):
    kept = History(service().corpus)
    return render_template(
        "archivists/history.html",
        doc_id=doc_id,
        versions=kept.versions(doc_id),
        audit=kept.audit(doc_id),
        form=ActionForm(),
    )


@bp.route("/documents/<doc_id>/history/<version>")
def version(doc_id: str, version: str):
    text = History(service().corpus).read(doc_id, version).decode("utf-8", "replace")
    return render_template(
        "archivists/version.html", doc_id=doc_id, version=version, text=text, form=ActionForm()
    )


@bp.route("/documents/<doc_id>/history/<version>/restore", methods=["POST"])
def restore(doc_id: str, version: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    _report(editor().restore(doc_id, version))
    return redirect(url_for("public.document", lang=g.lang, doc_id=doc_id))


@bp.route("/audit")
def audit():
    return render_template(
        "archivists/audit.html", audit=History(service().corpus).audit(limit=500)
    )


def _report(saved) -> None:
    if not saved.indexed:
        flash(_("Saved in the corpus, but the index could not be updated: run 'archive index'."))
    else:
        flash(_("Saved."))

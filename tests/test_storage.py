"""The production static storage gives the manifest's URLs, computed once per name."""

import json

import pytest

from ror_portal.storage import CachedManifestStaticFilesStorage


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "a.css").write_text("a")
    manifest = {"paths": {"css/a.css": "css/a.0123456789ab.css"}, "version": "1.1", "hash": "x"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return CachedManifestStaticFilesStorage(location=tmp_path, base_url="/static/")


def test_urls_are_the_manifests_and_read_it_once(storage, monkeypatch):
    assert storage.url("css/a.css") == "/static/css/a.0123456789ab.css"
    monkeypatch.setattr(storage, "hashed_files", {})  # a second lookup would not find it any more
    assert storage.url("css/a.css") == "/static/css/a.0123456789ab.css"


def test_a_name_missing_from_the_manifest_still_fails_and_is_not_cached(storage):
    with pytest.raises(ValueError):
        storage.url("css/absent.css")
    with pytest.raises(ValueError):
        storage.url("css/absent.css")

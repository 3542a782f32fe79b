"""Registering a data source through the API: one body schema per kind, so the schema says
what each needs; only what lives on the server (a directory, the database) is refused 422."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import bearer


def test_each_kind_has_its_own_body_and_live_checks_name_the_field(
    api: TestClient, admin_key: str, tmp_path: Path
) -> None:
    h = bearer(admin_key)

    def post(body: dict[str, object]) -> tuple[int, list[dict[str, str]]]:
        answer = api.post("/api/v1/sources", json=body, headers=h)
        details = answer.json()["error"]["details"] if answer.status_code >= 400 else []
        return answer.status_code, details

    made = api.post("/api/v1/sources", json={"name": "exports", "kind": "files",
                                             "root": str(tmp_path), "tenants": ["operator"]},
                    headers=h)
    assert made.status_code == 201, made.text
    assert made.json()["root"] == str(tmp_path.resolve())
    assert made.json()["tenants"] == ["operator"]

    # what the schema says: the kind's own fields, required ones named without the kind's tag
    assert post({"name": "x", "kind": "files"}) == (422, [{"field": "root",
                                                            "reason": "is required"}])
    assert post({"name": "x", "kind": "sql"}) == (422, [{"field": "url", "reason": "is required"}])
    assert post({"name": "x", "kind": "files", "root": str(tmp_path), "url": "sqlite://"}) == (
        422, [{"field": "url", "reason": "unknown field"}])
    assert post({"name": "x", "kind": "pigeon"})[1][0]["field"] == "kind"
    assert post({"name": "x", "kind": "files", "root": "relative/dir"}) == (
        422, [{"field": "root", "reason": "must be an absolute directory path"}])

    # what only the server knows
    missing = tmp_path / "not-there"
    assert post({"name": "x", "kind": "files", "root": str(missing)}) == (
        422, [{"field": "root", "reason": f"{missing} is not a directory on this server"}])
    status, details = post({"name": "x", "kind": "sql", "url": "mysql://db/x"})
    assert status == 422 and details[0]["field"] == "url"
    assert post({"name": "Exports", "kind": "files", "root": str(tmp_path)})[0] == 409

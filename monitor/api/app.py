"""The FastAPI application of `dxq api`: read endpoints over the store's queries, and the
two actions (acknowledge, run now) through monitor.actions with the dashboard's rules.

Errors are JSON `{"detail": …}`: 401 without a valid token, 403 without the role, 404 for an
unknown integration or alert, 409 when the alert is not firing, 422 for a malformed body,
503 while the results store does not answer (one line, no traceback)."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from monitor import actions
from monitor.access import Viewer
from monitor.api import views
from monitor.api.callers import Refusal, identify, may_act
from monitor.config.model import Config
from store import alert_state
from store.errors import StoreError, UnknownAlert
from store.store import ResultStore

log = logging.getLogger(__name__)

AlertState = Literal["firing", "acknowledged", "resolved"]


class AcknowledgeBody(BaseModel):
    """What `POST /alerts/{id}/acknowledge` takes."""

    model_config = ConfigDict(extra="forbid")
    comment: str = Field(default="", max_length=2000)


def _caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Viewer:
    """The caller of this request, or 401."""
    who = identify(request.app.state.config, authorization)
    if isinstance(who, Refusal):
        raise _refused(who)
    return who


Caller = Annotated[Viewer, Depends(_caller)]


def create_app(config: Config, store: ResultStore) -> FastAPI:
    """The API over one monitor file and its results store."""
    app = FastAPI(
        title="dxq",
        summary="Data-exchange quality: integrations, runs and alerts",
        version="1",
    )
    app.state.config = config

    @app.exception_handler(StoreError)
    def _store_down(request: Request, exc: StoreError) -> JSONResponse:
        log.warning("api: %s %s: results store: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": f"results database unavailable: {exc}"}, status_code=503)

    def known(name: str) -> str:
        if name not in config.integrations:
            raise HTTPException(404, f"no integration named '{name}' in the monitor file")
        return name

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        with store.reading() as connection:
            connection.execute(sa.text("SELECT 1"))
        return {"status": "ok"}

    @app.get("/api/v1/integrations")
    def list_integrations(_: Caller) -> list[dict[str, Any]]:
        return views.integrations(config, store)

    @app.get("/api/v1/integrations/{name}")
    def get_integration(name: str, _: Caller) -> dict[str, Any]:
        return views.integration(config, store, known(name))

    @app.get("/api/v1/integrations/{name}/runs")
    def list_runs(
        name: str, _: Caller, limit: Annotated[int, Query(ge=1, le=500)] = 20
    ) -> list[dict[str, Any]]:
        return views.runs(store, known(name), limit)

    @app.post("/api/v1/integrations/{name}/runs", status_code=202)
    def run_now(name: str, who: Caller) -> dict[str, Any]:
        known(name)
        _require(may_act(config, who))
        if not who.may_run():
            raise HTTPException(403, f"'{who.actor}' may not run integrations: not an owner")
        try:
            request_id = actions.run_now(store, name, who.actor)
        except actions.ActionFailed as exc:
            raise HTTPException(409, str(exc)) from exc
        return {"request_id": request_id, "integration": name, "requested_by": who.actor}

    @app.get("/api/v1/alerts")
    def list_alerts(
        _: Caller, state: Annotated[list[AlertState] | None, Query()] = None
    ) -> list[dict[str, Any]]:
        return views.alerts(store, state or [])

    @app.post("/api/v1/alerts/{alert_id}/acknowledge")
    def acknowledge(alert_id: int, body: AcknowledgeBody, who: Caller) -> dict[str, Any]:
        _require(may_act(config, who))
        try:
            with store.reading() as connection:
                alert = alert_state.alert_by_id(connection, alert_id)
        except UnknownAlert as exc:
            raise HTTPException(404, str(exc)) from exc
        spec = config.integrations.get(alert.integration)
        owners = list(spec.owners) if spec else []
        if not who.may_respond(owners):
            raise HTTPException(
                403, f"'{who.actor}' may not acknowledge alerts of {alert.integration}"
            )
        try:
            message = actions.acknowledge(store, alert_id, who.actor, body.comment)
        except actions.ActionFailed as exc:
            raise HTTPException(409, str(exc)) from exc
        return {"id": alert_id, "state": "acknowledged", "message": message}

    return app


def _refused(refusal: Refusal) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
    return HTTPException(refusal.status, refusal.detail, headers=headers)


def _require(refusal: Refusal | None) -> None:
    if refusal is not None:
        raise _refused(refusal)

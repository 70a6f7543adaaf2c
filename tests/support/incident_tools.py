"""Loopback stand-ins for PagerDuty, Opsgenie and Jira that check the documented request
shapes (paths, headers, auth, required fields, sizes) and keep the state the real services
keep (incidents by dedup_key, alerts by alias, issues by label), with scripted faults.

- PagerDuty Events API v2: POST /v2/enqueue, routing_key of 32 characters, event_action
  trigger|acknowledge|resolve, dedup_key (at most 255) required to acknowledge and resolve,
  payload.summary (1-1024), source and severity (critical|error|warning|info) to trigger; 202.
- Opsgenie Alert API: `Authorization: GenieKey KEY`; POST /v2/alerts (message 1-130, alias at
  most 512; an open alert with the same alias is deduplicated), POST
  /v2/alerts/{alias}/acknowledge|close|notes?identifierType=alias; 202.
- Jira Cloud REST v3: basic auth email:api_token; POST /rest/api/3/issue (project key, issue
  type name, one-line summary at most 255, ADF description, labels without blanks) 201;
  GET /rest/api/3/search/jql?jql=labels = "L"; POST /rest/api/3/issue/{key}/comment (ADF
  body) 201; GET and POST /rest/api/3/issue/{key}/transitions 200/204.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Answer = tuple[int, dict[str, str]]


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int


@dataclass
class Incident:
    dedup_key: str
    status: str  # triggered | acknowledged | resolved
    summary: str
    severity: str
    events: int = 1


@dataclass
class OpsAlert:
    alias: str
    message: str
    status: str  # open | closed
    acknowledged: bool = False
    count: int = 1
    notes: list[str] = field(default_factory=list)


@dataclass
class Issue:
    key: str
    summary: str
    labels: list[str]
    status: str = "To Do"
    comments: list[str] = field(default_factory=list)


@dataclass
class IncidentTools:
    """State and log of the three services; `fail(prefix, …answers)` scripts faults for the
    next requests whose path starts with prefix."""

    url: str = ""
    routing_key: str = "R" * 32
    genie_key: str = "genie-key-0123456789"
    jira_email: str = "bot@example.com"
    jira_token: str = "jira-token-0123456789"
    jira_project: str = "DQ"
    calls: list[Call] = field(default_factory=list)
    incidents: dict[str, list[Incident]] = field(default_factory=dict)
    alerts: dict[str, list[OpsAlert]] = field(default_factory=dict)
    issues: dict[str, Issue] = field(default_factory=dict)
    faults: list[tuple[str, Answer]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def fail(self, prefix: str, *answers: Answer) -> None:
        with self.lock:
            self.faults.extend((prefix, a) for a in answers)

    def fault_for(self, path: str) -> Answer | None:
        with self.lock:
            for i, (prefix, answer) in enumerate(self.faults):
                if path.startswith(prefix):
                    del self.faults[i]
                    return answer
        return None

    def open_incidents(self) -> list[Incident]:
        return [i for history in self.incidents.values() for i in history if i.status != "resolved"]

    # PagerDuty -------------------------------------------------------------------------------
    def pagerduty(self, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        errors = []
        if "application/json" not in headers.get("content-type", ""):
            errors.append("Content-Type must be application/json")
        if not isinstance(body, dict):
            return 400, {"status": "invalid event", "message": "Event object is invalid"}
        if body.get("routing_key") != self.routing_key:
            if not isinstance(body.get("routing_key"), str) or len(body["routing_key"]) != 32:
                errors.append("'routing_key' must be 32 characters")
            else:
                return 400, {"status": "invalid event", "message": "Invalid routing key"}
        action = body.get("event_action")
        if action not in ("trigger", "acknowledge", "resolve"):
            errors.append("'event_action' is invalid")
        key = body.get("dedup_key")
        if key is not None and (not isinstance(key, str) or not 0 < len(key) <= 255):
            errors.append("'dedup_key' must be 1-255 characters")
        if action in ("acknowledge", "resolve") and not key:
            errors.append("'dedup_key' is required for acknowledge and resolve")
        payload = body.get("payload")
        if action == "trigger":
            if not isinstance(payload, dict):
                errors.append("'payload' is missing")
            else:
                summary = payload.get("summary")
                if not isinstance(summary, str) or not 0 < len(summary) <= 1024:
                    errors.append("'payload.summary' must be 1-1024 characters")
                if not payload.get("source"):
                    errors.append("'payload.source' is missing")
                if payload.get("severity") not in ("critical", "error", "warning", "info"):
                    errors.append("'payload.severity' is invalid")
        if errors:
            return 400, {
                "status": "invalid event",
                "message": "Event object is invalid",
                "errors": errors,
            }
        with self.lock:
            history = self.incidents.setdefault(key or f"auto-{next(self._numbers)}", [])
            current = history[-1] if history and history[-1].status != "resolved" else None
            if action == "trigger":
                if current is None:
                    history.append(
                        Incident(key, "triggered", payload["summary"], payload["severity"])
                    )
                else:
                    current.events += 1
            elif current is not None:
                current.status = "acknowledged" if action == "acknowledge" else "resolved"
        return 202, {"status": "success", "message": "Event processed", "dedup_key": key}

    # Opsgenie --------------------------------------------------------------------------------
    def opsgenie(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        if headers.get("authorization") != f"GenieKey {self.genie_key}":
            return 401, {"message": "Could not authenticate", "took": 0.0, "requestId": "x"}
        if not isinstance(body, dict):
            return 422, {"message": "Request body is not processable", "took": 0.0}
        accepted = {
            "result": "Request will be processed",
            "took": 0.01,
            "requestId": f"req-{next(self._numbers)}",
        }
        if path == "/v2/alerts":
            message = body.get("message")
            if not isinstance(message, str) or not 0 < len(message) <= 130:
                return 422, {"message": "message must be 1-130 characters", "took": 0.0}
            alias = body.get("alias") or message
            if len(alias) > 512:
                return 422, {"message": "alias must be at most 512 characters", "took": 0.0}
            with self.lock:
                history = self.alerts.setdefault(alias, [])
                if history and history[-1].status == "open":
                    history[-1].count += 1
                else:
                    history.append(OpsAlert(alias, message, "open"))
            return 202, accepted
        match = re.fullmatch(r"/v2/alerts/([^/]+)/(acknowledge|close|notes)", path)
        if not match or query.get("identifierType") != ["alias"]:
            return 404, {"message": "no such endpoint", "took": 0.0}
        alias, action = unquote(match.group(1)), match.group(2)
        if action == "notes" and not body.get("note"):
            return 422, {"message": "note is required", "took": 0.0}
        with self.lock:
            history = self.alerts.get(alias, [])
            current = history[-1] if history and history[-1].status == "open" else None
            if current is not None:
                if action == "acknowledge":
                    current.acknowledged = True
                elif action == "close":
                    current.status = "closed"
                else:
                    current.notes.append(str(body["note"]))
        return 202, accepted

    # Jira ------------------------------------------------------------------------------------
    def jira(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: Any,
    ) -> tuple[int, Any]:
        expected = base64.b64encode(f"{self.jira_email}:{self.jira_token}".encode()).decode()
        if headers.get("authorization") != f"Basic {expected}":
            return 401, {"errorMessages": ["You are not authenticated."]}
        if method == "POST" and path == "/rest/api/3/issue":
            fields = body.get("fields", {}) if isinstance(body, dict) else {}
            errors = {}
            if fields.get("project", {}).get("key") != self.jira_project:
                errors["project"] = "valid project is required"
            if not fields.get("issuetype", {}).get("name"):
                errors["issuetype"] = "Specify an issue type"
            summary = fields.get("summary")
            if not isinstance(summary, str) or not 0 < len(summary) <= 255 or "\n" in summary:
                errors["summary"] = "Summary must be one line of at most 255 characters."
            if not _is_adf(fields.get("description")):
                errors["description"] = "Operation value must be an Atlassian Document."
            labels = fields.get("labels", [])
            if any(not isinstance(x, str) or " " in x for x in labels):
                errors["labels"] = "Labels cannot contain spaces."
            if errors:
                return 400, {"errorMessages": [], "errors": errors}
            with self.lock:
                key = f"{self.jira_project}-{next(self._numbers)}"
                self.issues[key] = Issue(key, summary, list(labels))
            return 201, {"id": key.split("-")[1], "key": key, "self": f"{self.url}/issue/{key}"}
        if method == "GET" and path == "/rest/api/3/search/jql":
            jql = query.get("jql", [""])[0]
            match = re.fullmatch(r'labels = "([^"]+)"(?: ORDER BY created DESC)?', jql)
            if not match:
                return 400, {"errorMessages": [f"unsupported JQL in this stand-in: {jql}"]}
            with self.lock:
                found = [i for i in self.issues.values() if match.group(1) in i.labels]
            issues = [{"key": i.key, "fields": {"status": {"name": i.status}}} for i in found]
            return 200, {"issues": issues[::-1], "isLast": True}
        match = re.fullmatch(r"/rest/api/3/issue/([A-Z]+-\d+)/(comment|transitions)", path)
        if not match or match.group(1) not in self.issues:
            return 404, {"errorMessages": ["Issue does not exist or you do not have permission."]}
        issue = self.issues[match.group(1)]
        if match.group(2) == "comment" and method == "POST":
            if not isinstance(body, dict) or not _is_adf(body.get("body")):
                return 400, {"errorMessages": ["Comment body must be an Atlassian Document."]}
            issue.comments.append(_adf_text(body["body"]))
            return 201, {"id": str(len(issue.comments))}
        if match.group(2) == "transitions" and method == "GET":
            return 200, {
                "transitions": [
                    {"id": "11", "name": "To Do", "to": {"statusCategory": {"key": "new"}}},
                    {"id": "31", "name": "Done", "to": {"statusCategory": {"key": "done"}}},
                ]
            }
        if match.group(2) == "transitions" and method == "POST":
            wanted = (body or {}).get("transition", {}).get("id")
            if wanted not in ("11", "31"):
                return 400, {"errorMessages": ["Transition id is not valid for this issue."]}
            issue.status = "Done" if wanted == "31" else "To Do"
            return 204, None
        return 405, {"errorMessages": ["method not allowed"]}


def _is_adf(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and doc.get("type") == "doc"
        and doc.get("version") == 1
        and isinstance(doc.get("content"), list)
    )


def _adf_text(doc: Any) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                out.append(str(node.get("text", "")))
            for child in node.get("content", []) or []:
                walk(child)

    walk(doc)
    return " ".join(out)


@contextmanager
def incident_tools() -> Iterator[IncidentTools]:
    """The three services on one loopback port: /v2/enqueue (PagerDuty), /v2/alerts
    (Opsgenie), /rest/api/3 (Jira)."""
    tools = IncidentTools()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = "<not json>"
            fault = tools.fault_for(parts.path)
            if fault is not None:
                status, extra = fault
                payload: Any = {"message": "scripted fault"}
            else:
                extra = {}
                query = parse_qs(parts.query)
                if parts.path == "/v2/enqueue" and method == "POST":
                    status, payload = tools.pagerduty(headers, body)
                elif parts.path.startswith("/v2/alerts") and method == "POST":
                    status, payload = tools.opsgenie(parts.path, query, headers, body)
                elif parts.path.startswith("/rest/api/3/"):
                    status, payload = tools.jira(method, parts.path, query, headers, body)
                else:
                    status, payload = 404, {"message": "not found"}
            with tools.lock:
                tools.calls.append(Call(method, parts.path, headers, body, status))
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            self._serve("POST")

        def do_GET(self) -> None:
            self._serve("GET")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tools.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tools
    finally:
        server.shutdown()
        server.server_close()

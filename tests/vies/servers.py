"""A local stand-in for VIES's REST API, on 127.0.0.1, speaking its JSON; never the internet.

POST {base}/check-vat-number and GET {base}/ms/{country}/vat/{number}, answered from the
numbers it is given (`known`), recording every call and how many ran at once, and failing on
request: an error code (in VIES's two shapes), a slow answer, a malformed one.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BASE_PATH = "/taxation_customs/vies/rest-api"
REQUEST_DATE = "2026-12-07T09:15:02.123Z"


@dataclass
class Call:
    method: str
    path: str
    body: dict | None


@dataclass
class Company:
    name: str = "---"
    address: str = "---"


@dataclass
class Trouble:
    """What the next answer(s) do instead: `code` (a VIES error), `delay` (seconds before
    answering), `raw` (these bytes as the body), each `count` times."""

    code: str | None = None
    delay: float = 0.0
    raw: bytes | None = None
    status: int = 200
    count: int = 1


@dataclass
class _State:
    known: dict[str, Company] = field(default_factory=dict)
    troubles: list[Trouble] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    running: int = 0
    most_at_once: int = 0
    delay: float = 0.0  # before every answer
    served: int = 0


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def _serve(self, method: str):
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        with self.server.lock:
            state.calls.append(Call(method, self.path, body))
            state.running += 1
            state.most_at_once = max(state.most_at_once, state.running)
            trouble = None
            if state.troubles:
                trouble = state.troubles[0]
                trouble.count -= 1
                if trouble.count <= 0:
                    state.troubles.pop(0)
            delay = state.delay
        try:
            time.sleep(delay + (trouble.delay if trouble else 0.0))
            status, answer = self._answer(method, body, trouble)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout)
        finally:
            with self.server.lock:
                state.running -= 1
                state.served += 1

    def _answer(self, method: str, body: dict | None, trouble: Trouble | None):
        if trouble and trouble.raw is not None:
            return trouble.status, trouble.raw
        if method == "POST":
            if self.path != f"{BASE_PATH}/check-vat-number":
                return 404, b'{"error": "not found"}'
            expected = {"countryCode", "vatNumber", "requesterMemberStateCode", "requesterNumber"}
            if not isinstance(body, dict) or set(body) - expected or not body.get("countryCode"):
                return 400, _wrappers("INVALID_INPUT")
            country, number = body["countryCode"], body["vatNumber"]
            if trouble and trouble.code:
                # The POST answers a failure with its errorWrappers, and an HTTP error status.
                return trouble.status if trouble.status != 200 else 500, _wrappers(trouble.code)
            company = self.server.state.known.get(f"{country}{number}")
            requester = body.get("requesterNumber")
            return 200, json.dumps(
                {
                    "countryCode": country,
                    "vatNumber": number,
                    "requestDate": REQUEST_DATE,
                    "valid": company is not None,
                    "requestIdentifier": f"WAPIAAAAZ{len(self.server.state.calls):08d}"
                    if requester
                    else "",
                    "name": company.name if company else "---",
                    "address": company.address if company else "---",
                    "traderName": "",
                    "traderStreet": "",
                    "traderPostalCode": "",
                    "traderCity": "",
                    "traderCompanyType": "",
                    "traderNameMatch": "NOT_PROCESSED",
                    "traderStreetMatch": "NOT_PROCESSED",
                    "traderPostalCodeMatch": "NOT_PROCESSED",
                    "traderCityMatch": "NOT_PROCESSED",
                    "traderCompanyTypeMatch": "NOT_PROCESSED",
                }
            ).encode()
        parts = self.path.removeprefix(BASE_PATH).strip("/").split("/")
        if len(parts) != 4 or parts[0] != "ms" or parts[2] != "vat":
            return 404, b'{"error": "not found"}'
        country, number = parts[1], parts[3]
        company = self.server.state.known.get(f"{country}{number}")
        user_error = trouble.code if trouble and trouble.code else None
        if user_error is None:
            user_error = "VALID" if company else "INVALID"
        return 200, json.dumps(
            {
                "isValid": company is not None and user_error == "VALID",
                "requestDate": REQUEST_DATE,
                "userError": user_error,
                "name": company.name if company else "---",
                "address": company.address if company else "---",
                "requestIdentifier": "",
                "originalVatNumber": number,
                "vatNumber": number,
                "viesApproximate": {"name": "---", "street": "---", "matchName": 3},
            }
        ).encode()


def _wrappers(code: str) -> bytes:
    return json.dumps(
        {"actionSucceed": False, "errorWrappers": [{"error": code, "message": None}]}
    ).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = _State()
        self.lock = threading.Lock()


class LocalVies:
    def __init__(self):
        self.server = _Server()
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{BASE_PATH}"

    def start(self) -> "LocalVies":
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread = None

    def knows(self, vat: str, name: str = "---", address: str = "---") -> None:
        """VIES answers `vat` ("BE0403019261") as valid, with this name and address."""
        with self.server.lock:
            self.server.state.known[vat] = Company(name, address)

    def trouble(self, **kwargs) -> None:
        with self.server.lock:
            self.server.state.troubles.append(Trouble(**kwargs))

    def slow_down(self, seconds: float) -> None:
        with self.server.lock:
            self.server.state.delay = seconds

    @property
    def calls(self) -> list[Call]:
        with self.server.lock:
            return list(self.server.state.calls)

    @property
    def most_at_once(self) -> int:
        with self.server.lock:
            return self.server.state.most_at_once

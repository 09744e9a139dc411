import argparse
import importlib
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def resource_path(relative):
    """Path of a bundled data file, frozen or not."""
    base = getattr(sys, "_MEIPASS", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(base, relative)


def load_services():
    with open(resource_path(os.path.join("app", "services.json")), encoding="utf-8") as f:
        return json.load(f)


class Handler(BaseHTTPRequestHandler):
    services = {}

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/api/health":
            self._send(200, {"status": "ok", "frozen": bool(getattr(sys, "frozen", False))})
        elif self.path.startswith("/api/services/"):
            name = self.path.rsplit("/", 1)[-1]
            spec = self.services.get(name)
            if spec is None:
                self._send(404, {"error": f"no service {name}"})
                return
            # Loaded by name: PyInstaller needs it as a hidden import.
            module = importlib.import_module(spec["module"])
            self._send(200, {"service": name, "result": module.run(spec["input"])})
        else:
            self._send(404, {"error": "not found"})

    def log_message(self, fmt, *args):
        sys.stderr.write("api: " + (fmt % args) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="api", description="Example sidecar HTTP API")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    Handler.services = load_services()
    server = ThreadingHTTPServer((args.host, args.port), Handler)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"api: listening on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0

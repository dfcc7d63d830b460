"""A stand-alone stub SMS gateway (the contract of docs/outreach.md) that a test can kill and start again:
`python -m outreach.tests.sms_gateway PORT DIR`. Each request is appended to DIR/requests.log; a client_ref
seen for the first time is "sent" (appended to DIR/sent.log, flushed to disk before answering) and answered
"accepted"; a client_ref already in sent.log — also across restarts — is answered "duplicate" and not sent again."""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path


def serve(port, folder):
    folder = Path(folder)
    sent_log = folder / "sent.log"
    sent = set(sent_log.read_text().split("\n")) if sent_log.exists() else set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            ref = body.get("client_ref", "")
            with open(folder / "requests.log", "a") as fh:
                fh.write(ref + "\n")
            if not ref or not body.get("to"):
                return self.answer(400, {"error": "client_ref and to are required"})
            if ref in sent:
                return self.answer(200, {"status": "duplicate", "id": ref})
            time.sleep(0.02)  # a gateway takes a moment per message
            with open(sent_log, "a") as fh:
                fh.write(ref + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            sent.add(ref)
            self.answer(202, {"status": "accepted", "id": ref})

        def answer(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    HTTPServer.allow_reuse_address = True
    server = HTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])

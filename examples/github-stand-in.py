#!/usr/bin/env python3
"""A local stand-in for the GitHub API's pull-request endpoint, for the demo.

Answers POST /repos/OWNER/REPO/pulls with 201 and a pull-request object shaped
like GitHub's (number, html_url, draft, head, base), PATCH /repos/OWNER/REPO/pulls/N
(the body cifix writes once the run is over) with 200, and logs each request.
Usage: github-stand-in.py PORT_FILE  (writes the port it listens on)."""
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        parts = self.path.strip("/").split("/")
        if len(parts) == 4 and parts[0] == "repos" and parts[3] == "pulls":
            owner, repo = parts[1], parts[2]
            pr = {"number": 1, "html_url": f"http://127.0.0.1:{self.server.server_port}/{owner}/{repo}/pull/1",
                  "draft": bool(body.get("draft")), "state": "open", "title": body.get("title"),
                  "head": {"ref": body.get("head")}, "base": {"ref": body.get("base")}}
            out = json.dumps(pr).encode()
            self.send_response(201)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            print(f"stand-in: draft PR #{pr['number']} {body.get('head')} -> {body.get('base')}: {body.get('title')}", file=sys.stderr)
        else:
            self.send_response(404)
            self.end_headers()

    def do_PATCH(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        parts = self.path.strip("/").split("/")
        if len(parts) == 5 and parts[0] == "repos" and parts[3] == "pulls":
            owner, repo, n = parts[1], parts[2], int(parts[4])
            pr = {"number": n, "html_url": f"http://127.0.0.1:{self.server.server_port}/{owner}/{repo}/pull/{n}",
                  "draft": True, "state": "open", "body": body.get("body")}
            out = json.dumps(pr).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            print(f"stand-in: PR #{n} body updated ({len(body.get('body') or '')} characters)", file=sys.stderr)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *a):
        pass

srv = HTTPServer(("127.0.0.1", 0), Handler)
open(sys.argv[1], "w").write(str(srv.server_port))
srv.serve_forever()

#!/usr/bin/env python3
"""A bot signing the way HTX's API does (signature version 2); standard library only.

  KEYWARD_URL=http://localhost:8081 SIGNING_HOST=api.example.com ACCESS_KEY=KW... SECRET_KEY=... python3 htx_bot.py

SIGNING_HOST is the host the verifier is told clients sign (schemes.htx.host), as HTX clients
sign the public API host whatever address they connect to.
"""
import base64, datetime, hashlib, hmac, os, sys, urllib.error, urllib.parse, urllib.request

def accounts():
    path = "/v1/account/accounts"
    params = {"AccessKeyId": os.environ["ACCESS_KEY"], "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "Timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")}
    query = "&".join(f"{k}={urllib.parse.quote(v, safe='')}" for k, v in sorted(params.items()))
    text = "\n".join(["GET", os.environ.get("SIGNING_HOST", "localhost:8081").lower(), path, query])
    mac = hmac.new(os.environ["SECRET_KEY"].encode(), text.encode(), hashlib.sha256).digest()
    query += "&Signature=" + urllib.parse.quote(base64.b64encode(mac).decode(), safe="")
    return urllib.request.Request(os.environ.get("KEYWARD_URL", "http://localhost:8081") + path + "?" + query)

if __name__ == "__main__":
    try:
        with urllib.request.urlopen(accounts()) as r:
            print(r.status, r.read().decode())
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode()); sys.exit(1)

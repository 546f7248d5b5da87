#!/usr/bin/env python3
"""A bot signing with Keyward's own scheme (docs/api.md, "Request signing"); standard library only.

  KEYWARD_URL=http://localhost:8081 ACCESS_KEY=KW... SECRET_KEY=... python3 keyward_bot.py

ACCESS_KEY and SECRET_KEY are the key's Secret's accessKey and secretKey (mount it with envFrom).
"""
import base64, hashlib, hmac, os, sys, time, urllib.error, urllib.parse, urllib.request

def canonical_query(query):
    # Each name and value decoded, then encoded the RFC 3986 way; sorted by name, then value.
    pairs = []
    for part in filter(None, query.split("&")):
        name, _, value = part.partition("=")
        enc = lambda s: urllib.parse.quote(urllib.parse.unquote(s), safe="-_.~")
        pairs.append((enc(name), enc(value)))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))

def signed(method, path, query="", body=b""):
    ts = str(int(time.time() * 1000))
    text = "\n".join([ts, method, path, canonical_query(query), hashlib.sha256(body).hexdigest()])
    mac = hmac.new(os.environ["SECRET_KEY"].encode(), text.encode(), hashlib.sha256).digest()
    url = os.environ.get("KEYWARD_URL", "http://localhost:8081") + path + ("?" + query if query else "")
    return urllib.request.Request(url, data=body or None, method=method, headers={
        "KW-ACCESS-KEY": os.environ["ACCESS_KEY"], "KW-TIMESTAMP": ts,
        "KW-SIGNATURE": base64.b64encode(mac).decode(), "KW-RECV-WINDOW": "5000"})

if __name__ == "__main__":
    try:
        with urllib.request.urlopen(signed("GET", "/api/v1/account/balances", "asset=BTC")) as r:
            print(r.status, r.read().decode())
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode()); sys.exit(1)

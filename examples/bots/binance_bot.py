#!/usr/bin/env python3
"""A bot signing the way Binance's API does (HMAC-SHA256, hex); standard library only.

  KEYWARD_URL=http://localhost:8081 ACCESS_KEY=KW... SECRET_KEY=... python3 binance_bot.py
"""
import hashlib, hmac, os, sys, time, urllib.error, urllib.parse, urllib.request

def order():
    params = urllib.parse.urlencode({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
        "timeInForce": "GTC", "quantity": "0.01", "price": "50000",
        "recvWindow": "5000", "timestamp": str(int(time.time() * 1000))})
    # The signature covers the query string and the body exactly as sent.
    sig = hmac.new(os.environ["SECRET_KEY"].encode(), params.encode(), hashlib.sha256).hexdigest()
    body = (params + "&signature=" + sig).encode()
    return urllib.request.Request(os.environ.get("KEYWARD_URL", "http://localhost:8081") + "/api/v3/order",
        data=body, method="POST", headers={"X-MBX-APIKEY": os.environ["ACCESS_KEY"],
        "Content-Type": "application/x-www-form-urlencoded"})

if __name__ == "__main__":
    try:
        with urllib.request.urlopen(order()) as r:
            print(r.status, r.read().decode())
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode()); sys.exit(1)

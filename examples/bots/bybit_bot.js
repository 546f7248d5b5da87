#!/usr/bin/env node
// A bot signing the way Bybit's v5 API does (HMAC-SHA256, hex); Node's standard library only
// (Node 18 or later).
//
//   KEYWARD_URL=http://localhost:8081 ACCESS_KEY=KW... SECRET_KEY=... node bybit_bot.js
const crypto = require("crypto");

async function createOrder() {
  const body = JSON.stringify({ category: "spot", symbol: "BTCUSDT", side: "Buy",
    orderType: "Limit", qty: "0.01", price: "50000" });
  const ts = Date.now().toString();
  const recvWindow = "5000";
  // timestamp + API key + recv window + the raw body (the raw query string for a GET).
  const sign = crypto.createHmac("sha256", process.env.SECRET_KEY)
    .update(ts + process.env.ACCESS_KEY + recvWindow + body).digest("hex");
  const base = process.env.KEYWARD_URL || "http://localhost:8081";
  const res = await fetch(base + "/v5/order/create", { method: "POST", body, headers: {
    "X-BAPI-API-KEY": process.env.ACCESS_KEY, "X-BAPI-TIMESTAMP": ts,
    "X-BAPI-RECV-WINDOW": recvWindow, "X-BAPI-SIGN": sign, "X-BAPI-SIGN-TYPE": "2",
    "Content-Type": "application/json" } });
  console.log(res.status, await res.text());
  process.exitCode = res.ok ? 0 : 1;
}
createOrder();

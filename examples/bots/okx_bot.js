#!/usr/bin/env node
// A bot signing the way OKX's API does (HMAC-SHA256, base64, with the key's passphrase); Node's
// standard library only (Node 18 or later).
//
//   KEYWARD_URL=http://localhost:8081 ACCESS_KEY=KW... SECRET_KEY=... PASSPHRASE=... node okx_bot.js
//
// PASSPHRASE is the Secret's passphrase: the ApiKey needs spec.passphrase: true.
const crypto = require("crypto");

async function balance() {
  const requestPath = "/api/v5/account/balance?ccy=BTC";
  const ts = new Date().toISOString(); // 2026-12-01T09:08:57.715Z
  const sign = crypto.createHmac("sha256", process.env.SECRET_KEY)
    .update(ts + "GET" + requestPath + "").digest("base64");
  const base = process.env.KEYWARD_URL || "http://localhost:8081";
  const res = await fetch(base + requestPath, { headers: {
    "OK-ACCESS-KEY": process.env.ACCESS_KEY, "OK-ACCESS-SIGN": sign,
    "OK-ACCESS-TIMESTAMP": ts, "OK-ACCESS-PASSPHRASE": process.env.PASSPHRASE } });
  console.log(res.status, await res.text());
  process.exitCode = res.ok ? 0 : 1;
}
balance();

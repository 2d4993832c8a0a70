// sipwarden dashboard: polls the admin API, follows /api/events, draws the rate charts.
// No build step and no third-party code. Every value from the server is put on the page with
// textContent (never innerHTML): user agents, accounts and reasons come from the network.
"use strict";

const POLL_MS = 5000;
const RATES_MS = 10000;
const MAX_EVENTS = 200;
const OFFENCES = new Set(["auth_failure", "drop", "reject", "ban", "unban", "lock", "unlock", "fraud_alert"]);
const PALETTE = ["#2f6f8f", "#c9733b", "#4f9a6e", "#8e6bb3", "#b3433b", "#b7991f", "#5b7fb3", "#7a8794"];
const STATUS_COLOURS = { "1xx": "#7a8794", "2xx": "#2e7d5b", "3xx": "#5b7fb3", "4xx": "#b7791f", "5xx": "#b3433b", "6xx": "#8e6bb3" };

const $ = (id) => document.getElementById(id);

function token() {
  return sessionStorage.getItem("sipwarden-token") || "";
}

function headers(extra) {
  const h = Object.assign({ Accept: "application/json" }, extra || {});
  if (token()) h.Authorization = "Bearer " + token();
  return h;
}

async function api(method, path, body) {
  const init = { method, headers: headers(body ? { "Content-Type": "application/json" } : {}) };
  if (body) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (response.status === 401) {
    $("login").hidden = false;
    throw new Error("unauthorized");
  }
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

// -- formatting ---------------------------------------------------------------------------

function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour12: false });
}

function duration(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds / 3600) % 24;
  const m = Math.floor(seconds / 60) % 60, s = seconds % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  return m ? `${m}m ${s}s` : `${s}s`;
}

function until(ban) {
  if (ban.until === null || ban.until === undefined) return "until lifted";
  return "in " + duration(ban.until - Date.now() / 1000);
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  return td;
}

function fill(tableId, rows, build) {
  const body = $(tableId).querySelector("tbody");
  const trs = rows.map((row) => {
    const tr = document.createElement("tr");
    for (const td of build(row)) tr.appendChild(td);
    return tr;
  });
  body.replaceChildren(...trs);
  $(tableId + "-empty").hidden = rows.length > 0;
}

// -- panels ---------------------------------------------------------------------------------

async function loadStatus() {
  const s = await api("GET", "/api/status");
  $("version").textContent = "v" + s.version;
  $("count-registrations").textContent = s.registrations;
  $("count-calls").textContent = s.calls;
  $("count-transactions").textContent = s.transactions;
  $("count-bans").textContent = s.bans;
  $("uptime").textContent = duration(s.uptime);
}

async function loadRegistrations() {
  const q = encodeURIComponent($("search").value.trim());
  const data = await api("GET", `/api/registrations?limit=200&search=${q}`);
  fill("registrations", data.items, (r) => [
    cell(r.aor, "mono"), cell(r.contact, "mono"), cell(r.source, "mono"),
    cell(r.expires ? "in " + duration(r.expires - Date.now() / 1000) : ""), cell(r.user_agent),
  ]);
}

async function loadCalls() {
  const data = await api("GET", "/api/calls");
  fill("calls", data.items, (c) => [
    cell(c.caller, "mono"), cell(c.callee, "mono"), cell(c.state),
    cell(duration(Date.now() / 1000 - (c.answered || c.started))), cell(c.source, "mono"),
  ]);
}

async function loadBans() {
  const data = await api("GET", "/api/bans");
  fill("bans", data.items, (b) => {
    const lift = document.createElement("button");
    lift.textContent = "Lift";
    lift.title = "lift the ban on " + b.ip;
    lift.addEventListener("click", () => liftBan(b.ip, lift));
    const action = document.createElement("td");
    action.className = "num";
    action.appendChild(lift);
    return [cell(b.ip, "mono"), cell(b.reason), cell(until(b)), action];
  });
  $("count-bans").textContent = data.count;
}

async function liftBan(ip, button) {
  button.disabled = true;
  try {
    await api("DELETE", "/api/bans/" + encodeURIComponent(ip));
  } catch (error) {
    button.disabled = false;
    button.title = error.message;
  }
  await loadBans();
}

async function loadOffenders() {
  const data = await api("GET", "/api/offenders?limit=10");
  fill("offenders", data.items, (o) => [cell(o.source, "mono"), cell(o.events, "num")]);
}

async function loadGateways() {
  const data = await api("GET", "/api/gateways");
  fill("gateways", data.items, (g) => {
    const state = document.createElement("td");
    state.className = "nowrap";
    const dot = document.createElement("span");
    dot.className = "dot " + (g.up ? "on" : "down");
    state.append(dot, " " + (g.up ? "up" : "down"));
    const history = document.createElement("td");
    const spark = document.createElement("span");
    spark.className = "spark";
    for (const point of (g.history || []).slice(-40)) {
      const bar = document.createElement("span");
      bar.className = point.up ? "up" : "down";
      bar.title = clock(point.at) + (point.up ? " up" : " down");
      spark.appendChild(bar);
    }
    history.appendChild(spark);
    const latency = g.latency === null || g.latency === undefined ? "–" : (g.latency * 1000).toFixed(0) + " ms";
    return [cell(g.name + (g.address ? " " + g.address : ""), "mono"), state, cell(latency, "num"), history];
  });
}

async function loadNodes() {
  const data = await api("GET", "/api/nodes");
  fill("nodes", data.items, (n) => {
    const name = cell(n.name, "mono");
    name.title = (n.listeners || []).join(", ");
    const state = document.createElement("td");
    state.className = "nowrap";
    const dot = document.createElement("span");
    dot.className = "dot " + (n.alive ? "on" : "down");
    state.append(dot, " " + (n.alive ? "alive" : "silent"));
    const problems = Object.entries(n.health || {}).filter(([, value]) => value !== "ok");
    const health = problems.length ? problems.map(([k, v]) => k + ": " + v).join("; ") : "ok";
    const ago = duration(Date.now() / 1000 - n.last_seen) + " ago";
    return [name, state, cell(health), cell(ago, "num nowrap"), cell(n.version)];
  });
}

// -- events (Server-Sent Events read with fetch, so the token can go in a header) ---------

function showEvent(event) {
  if (!OFFENCES.has(event.kind)) return;
  const li = document.createElement("li");
  const time = document.createElement("time");
  time.textContent = clock(event.at);
  const badge = document.createElement("span");
  badge.className = "badge " + event.kind;
  badge.textContent = event.kind.replace("_", " ");
  const what = document.createElement("span");
  const parts = [event.reason, event.source, event.account].filter((p) => p);
  what.textContent = parts.join(" · ");
  what.className = "mono";
  li.append(time, badge, what);
  const list = $("events");
  list.prepend(li);
  while (list.children.length > MAX_EVENTS) list.lastChild.remove();
  $("events-empty").hidden = true;
}

function onEvent(kind, event) {
  showEvent(event);
  if (kind === "ban" || kind === "unban") loadBans().catch(() => {});
  if (OFFENCES.has(kind)) later(loadOffenders);
  if (kind === "register" || kind === "unregister") later(loadRegistrations);
  if (kind === "call_start" || kind === "call_end") later(loadCalls);
}

const pending = new Map();
function later(load) {
  if (pending.has(load)) return;
  pending.set(load, setTimeout(() => { pending.delete(load); load().catch(() => {}); }, 300));
}

function setLive(on, text) {
  $("live-dot").className = "dot " + (on ? "on" : "off");
  $("live-text").textContent = text;
}

async function follow() {
  for (;;) {
    try {
      const response = await fetch("/api/events?backlog=50", { headers: headers({ Accept: "text/event-stream" }) });
      if (response.status === 401) $("login").hidden = false;
      if (!response.ok) throw new Error(response.statusText);
      setLive(true, "live");
      await readStream(response.body.getReader());
    } catch (error) {
      // fall through to the retry below
    }
    setLive(false, "reconnecting");
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

async function readStream(reader) {
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      dispatch(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}

function dispatch(block) {
  let kind = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) kind = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  if (!data.length || kind === "missed") return;
  try {
    onEvent(kind, JSON.parse(data.join("\n")));
  } catch (error) {
    // a malformed message is skipped
  }
}

// -- rate charts (canvas, drawn by hand) ----------------------------------------------------

function drawChart(canvasId, legendId, times, series, colourOf) {
  const canvas = $(canvasId);
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  const style = getComputedStyle(document.body);
  const muted = style.getPropertyValue("--muted").trim() || "#888";
  const line = style.getPropertyValue("--line").trim() || "#ddd";
  const names = Object.keys(series).filter((n) => series[n].some((v) => v > 0));
  let top = 0;
  for (const n of names) top = Math.max(top, ...series[n]);
  top = niceCeiling(top);
  const left = 40, right = 8, upper = 8, lower = 20;
  const w = width - left - right, h = height - upper - lower;
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = muted;
  g.strokeStyle = line;
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = upper + h - (h * i) / 4;
    g.beginPath(); g.moveTo(left, y + 0.5); g.lineTo(left + w, y + 0.5); g.stroke();
    g.textAlign = "right";
    g.fillText(format(top * i / 4), left - 6, y + 4);
  }
  ["-60 min", "-45", "-30", "-15", "now"].forEach((label, i) => {
    g.textAlign = i === 4 ? "right" : "center";
    g.fillText(label, left + (w * i) / 4, height - 4);
  });
  const points = 360;  // one hour of 10 s steps
  const legend = $(legendId);
  legend.replaceChildren();
  names.forEach((name, index) => {
    const values = series[name].slice(-points);
    const colour = colourOf(name, index);
    g.strokeStyle = colour;
    g.lineWidth = 1.6;
    g.beginPath();
    values.forEach((v, i) => {
      const x = left + w - ((values.length - 1 - i) / (points - 1)) * w;
      const y = upper + h - (top ? (v / top) * h : 0);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
    const item = document.createElement("li");
    const swatch = document.createElement("i");
    swatch.style.background = colour;
    item.append(swatch, `${name} ${format(values[values.length - 1] || 0)}/s`);
    legend.appendChild(item);
  });
  if (!names.length) {
    const item = document.createElement("li");
    item.textContent = "no traffic yet";
    legend.appendChild(item);
  }
}

function niceCeiling(value) {
  if (value <= 0) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function format(value) {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2).replace(/\.?0+$/, "") || "0";
}

let lastRates = null;
async function loadRates() {
  lastRates = await api("GET", "/api/rates");
  drawRates();
}

function drawRates() {
  if (!lastRates) return;
  drawChart("chart-requests", "legend-requests", lastRates.times, lastRates.requests || {},
    (name, i) => PALETTE[i % PALETTE.length]);
  drawChart("chart-responses", "legend-responses", lastRates.times, lastRates.responses || {},
    (name, i) => STATUS_COLOURS[name] || PALETTE[i % PALETTE.length]);
}

// -- start ------------------------------------------------------------------------------------

async function refresh() {
  const loads = [loadStatus, loadRegistrations, loadCalls, loadBans, loadOffenders, loadGateways, loadNodes];
  await Promise.allSettled(loads.map((load) => load()));
  $("updated").textContent = "updated " + clock(Date.now() / 1000);
}

function every(ms, load) {
  load().catch(() => {});
  setInterval(() => { if (!document.hidden) load().catch(() => {}); }, ms);
}

function start() {
  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("sipwarden-token", $("token").value.trim());
    $("login").hidden = true;
    refresh();
    loadRates().catch(() => {});
  });
  $("search").addEventListener("input", () => later(loadRegistrations));
  $("ban-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const ip = $("ban-ip").value.trim();
    const seconds = $("ban-seconds").value ? Number($("ban-seconds").value) : null;
    if (!ip) return;
    try {
      await api("POST", "/api/bans", { ip, seconds, reason: "admin" });
      $("ban-ip").value = "";
    } catch (error) {
      $("ban-ip").title = error.message;
    }
    loadBans().catch(() => {});
  });
  window.addEventListener("resize", drawRates);
  every(POLL_MS, refresh);
  every(RATES_MS, loadRates);
  follow();
}

document.addEventListener("DOMContentLoaded", start);

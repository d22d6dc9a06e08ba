// Blind listening test page: start a session, fetch each pair's two clips from its one endpoint, play them with the
// shared synth (synth.js), send the pick. Which clip is real is never sent to the page. No build step.
"use strict";

const $ = (id) => document.getElementById(id);
let session = null;      // { session, pairs: [id...] }
let index = 0;           // current pair
let clips = null;        // { A: clip, B: clip }
let played = { A: false, B: false };
let playing = null;      // { stop(), ... } of what is sounding
let progressTimer = 0;
let prefetched = null;   // { index, result: Promise<{ body } | { error }> } of the next pair, fetched while this one plays

function setStatus(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

async function problem(res) {
  const p = await res.json().catch(() => ({}));
  const fields = p.errors ? " " + Object.entries(p.errors).map(([k, v]) => `${k}: ${v.join(" ")}`).join("; ") : "";
  return `${res.status} ${p.title ?? res.statusText}.${fields}${p.detail ? " " + p.detail : ""}`;
}

async function init() {
  const res = await fetch("/v1/listening", { cache: "no-store" });
  if (!res.ok) { $("shape").textContent = await problem(res); return; }
  const info = await res.json();
  $("shape").textContent = `${info.pairsPerSession} pairs, each excerpt ${info.excerptSeconds} seconds.`;
  $("start").disabled = false;
}

async function start() {
  $("start").disabled = true;
  setStatus("Starting a session…");
  const res = await fetch("/v1/listening/sessions", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ listener: $("listener").value }),
  });
  if (!res.ok) { setStatus(await problem(res), true); $("start").disabled = false; return; }
  session = await res.json();
  index = 0;
  prefetched = null;
  $("intro").hidden = true; $("done").hidden = true; $("pair").hidden = false;
  await loadPair();
}

async function loadPair() {
  stop();
  clips = null;
  played = { A: false, B: false };
  for (const id of ["playA", "playB", "pickA", "pickB"]) $(id).disabled = true;
  for (const id of ["barA", "barB"]) $(id).style.width = "0";
  $("progress").textContent = `Pair ${index + 1} of ${session.pairs.length}`;
  setStatus("Preparing the pair…");
  const result = prefetched && prefetched.index === index ? await prefetched.result : await fetchPair(index);
  prefetched = null;
  if (result.error) { setStatus(result.error + " Reload the page to try again.", true); return; }
  const body = result.body;
  // The next pair is generated while the listener listens to this one.
  if (index + 1 < session.pairs.length) prefetched = { index: index + 1, result: fetchPair(index + 1) };
  clips = {};
  for (const c of body.clips) clips[c.label] = c;
  $("playA").disabled = false; $("playB").disabled = false;
  setStatus("Listen to A and B.");
  window.musicgenListening = { pair: index, clips: body.clips.map((c) => ({ label: c.label, notes: c.notes ? c.notes.length : 0, seconds: c.seconds })) };
}

async function fetchPair(i) {
  try {
    const res = await fetch(`/v1/listening/pairs/${encodeURIComponent(session.pairs[i])}`, { cache: "no-store" });
    return res.ok ? { body: await res.json() } : { error: await problem(res) };
  } catch (e) {
    return { error: "Could not reach the service: " + e };
  }
}

function play(label) {
  stop();
  const clip = clips[label];
  if (clip.notes) {
    playing = MusicGenSynth.play(clip.notes);
  } else if (clip.data) {
    // A renderer that sends audio (format other than "notes"): play it with an audio element.
    const el = new Audio(`data:${clip.mediaType};base64,${clip.data}`);
    el.play();
    playing = { stop() { el.pause(); }, remainingMs() { return clip.seconds * 1000 + 200; } };
  }
  played[label] = true;
  $("stop").disabled = false;
  const began = performance.now(), total = Math.max(0.1, clip.seconds) * 1000;
  const bar = $("bar" + label);
  const handle = playing;
  progressTimer = setInterval(() => {
    const f = Math.min(1, (performance.now() - began) / total);
    bar.style.width = `${(f * 100).toFixed(1)}%`;
    if (f >= 1 && playing === handle) stop();
  }, 100);
  setStatus(`Playing ${label}…`);
  if (played.A && played.B) { $("pickA").disabled = false; $("pickB").disabled = false; }
}

function stop() {
  if (progressTimer) { clearInterval(progressTimer); progressTimer = 0; }
  if (playing) { playing.stop(); playing = null; }
  $("stop").disabled = true;
}

async function pick(label) {
  stop();
  $("pickA").disabled = true; $("pickB").disabled = true;
  const res = await fetch(`/v1/listening/pairs/${encodeURIComponent(session.pairs[index])}/answer`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ choice: label }),
  });
  if (!res.ok) { setStatus(await problem(res), true); return; }
  const progress = await res.json();
  if (progress.finished) {
    $("pair").hidden = true; $("done").hidden = false;
    $("result").textContent = `You picked the real excerpt in ${progress.correct} of ${progress.pairs} pairs.`;
    setStatus(`Session finished: ${progress.answered} answers stored.`);
    return;
  }
  index++;
  await loadPair();
}

$("start").addEventListener("click", start);
$("again").addEventListener("click", () => { $("done").hidden = true; $("intro").hidden = false; $("start").disabled = false; setStatus(""); });
$("playA").addEventListener("click", () => play("A"));
$("playB").addEventListener("click", () => play("B"));
$("stop").addEventListener("click", stop);
$("pickA").addEventListener("click", () => pick("A"));
$("pickB").addEventListener("click", () => pick("B"));
init().catch((e) => setStatus("Could not reach the service: " + e, true));

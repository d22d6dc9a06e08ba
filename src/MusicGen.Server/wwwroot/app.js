// MusicGen web page: settings -> POST /v1/generate/stream (SSE over fetch), piano roll as notes arrive, download of
// the .mid from the final event. Play: where the server renders audio (GET /v1/audio), the piece's MIDI (from the
// final event: nothing is generated again) sent to POST /v1/render and the WAV played in an <audio> element;
// elsewhere the page's own Web Audio synth (synth.js). No build step.
"use strict";

const $ = (id) => document.getElementById(id);
const roll = $("roll");
const ctx2d = roll.getContext("2d");
let notes = [];          // { pitch, start, end, velocity, drum } in seconds
let midiUrl = null;
let audio = null;        // the synth handle of what is playing
let running = null;      // AbortController of the stream in progress
let rendering = null;    // GET /v1/audio when the server renders audio (FluidSynth), else null (the page's synth plays)
let lastMidi = null;     // the finished piece's MIDI file (bytes of the final event): what Play renders
let renderedUrl = null;  // object URL of the finished piece's rendered WAV

async function loadAudio() {
  const mode = $("audioMode");
  try {
    const r = await (await fetch("/v1/audio")).json();
    rendering = r.available ? r : null;
    mode.textContent = r.available ? `audio: FluidSynth (${r.soundFont})` : "audio: browser synth";
    mode.title = r.available ? "Play renders the piece on the server (POST /v1/render)" : `The server cannot render audio: ${r.reason}`;
    mode.classList.toggle("ok", r.available);
  } catch (e) {
    rendering = null;
    mode.textContent = "audio: browser synth";
    mode.title = "Could not ask the server about audio: " + e;
  }
}

async function loadModels() {
  try {
    const res = await fetch("/v1/models");
    const body = await res.json();
    const select = $("model");
    select.innerHTML = "";
    for (const m of body.models) {
      const opt = document.createElement("option");
      opt.value = m.name;
      opt.textContent = `${m.name}${m.version ? " v" + m.version : ""} (${m.architecture ?? m.state}${m.tokenizer ? ", " + m.tokenizer : ""})`;
      opt.disabled = m.state !== "active";
      if (m.isDefault) opt.selected = true;
      select.appendChild(opt);
    }
  } catch (e) {
    setStatus("Could not list models: " + e, true);
  }
  try {
    const r = await fetch("/readyz");
    $("ready").textContent = r.ok ? "ready" : "loading";
    $("ready").classList.toggle("ok", r.ok);
    if (!r.ok) setTimeout(loadModels, 2000);
  } catch { /* keep the last state */ }
}

function setStatus(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

function draw() {
  const w = roll.width, h = roll.height;
  ctx2d.fillStyle = "#0b0d10";
  ctx2d.fillRect(0, 0, w, h);
  if (notes.length === 0) return;
  let lo = 127, hi = 0, end = 1;
  for (const n of notes) { lo = Math.min(lo, n.pitch); hi = Math.max(hi, n.pitch); end = Math.max(end, n.end); }
  lo = Math.max(0, lo - 2); hi = Math.min(127, hi + 2);
  const rows = hi - lo + 1, rowH = h / rows, xs = w / end;
  ctx2d.fillStyle = "#151a20";
  for (let p = lo; p <= hi; p++) if ([1, 3, 6, 8, 10].includes(p % 12)) ctx2d.fillRect(0, h - (p - lo + 1) * rowH, w, rowH);
  for (const n of notes) {
    const a = 0.35 + 0.65 * (n.velocity / 127);
    ctx2d.fillStyle = n.drum ? `rgba(160,160,255,${a})` : `rgba(255,179,71,${a})`;
    ctx2d.fillRect(n.start * xs, h - (n.pitch - lo + 1) * rowH, Math.max(2, (n.end - n.start) * xs - 1), Math.max(2, rowH - 1));
  }
}

function addNote(n) {
  notes.push({ pitch: n.pitch, start: n.start, end: n.end, velocity: n.velocity, drum: n.drum });
  $("noteCount").textContent = notes.length;
}

// The generation options (GET /v1/options): defaults and limits of the controls above, and a control for every
// option without one (under "More options"), so the page offers every option the API has.
let options = [];
async function loadOptions() {
  options = await (await fetch("/v1/options")).json();
  const more = $("moreOptions");
  more.innerHTML = "";
  for (const o of options) {
    const own = document.querySelector(`[data-option~="${o.name}"]`);
    if (own) {
      own.title = o.description + (o.range ? ` Allowed: ${o.range}.` : "");
      if (own.type === "number" && o.name !== "seed" && !own.dataset.option.includes(" ")) {
        if (o.minimum !== null && !o.minimumExclusive) own.min = o.minimum;
        if (o.maximum !== null && !o.maximumExclusive) own.max = o.maximum;
        // A sampling field left empty ("model's") is not sent, so the model package's own default applies.
        if (o.default !== null && own.placeholder !== "model's") own.value = o.default;
      }
      if (own.id === "length" && o.name === "tokens") own.value = o.default;
      continue;
    }
    const label = document.createElement("label");
    label.title = o.description + (o.range ? ` Allowed: ${o.range}.` : "");
    let input;
    if (o.kind === "boolean") {
      label.className = "check";
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = o.default === true;
      label.append(input, " " + o.name);
    } else {
      input = document.createElement("input");
      input.type = o.kind === "integer" || o.kind === "number" ? "number" : "text";
      if (input.type === "number") input.step = o.kind === "integer" ? "1" : "any";
      if (o.default !== null) input.value = o.default;
      input.placeholder = o.kind === "tokenbias" ? "EOS=-1000 Pitch_60=2" : o.kind === "textlist" ? "Tempo_120 TimeSig_3/4" : "";
      label.append(o.name, input);
    }
    input.name = o.name;
    input.dataset.option = o.name;
    input.dataset.kind = o.kind;
    more.appendChild(label);
  }
}

function requestBody() {
  const body = { model: $("model").value || undefined };
  const len = parseFloat($("length").value);
  if (!Number.isNaN(len)) body[$("unit").value] = $("unit").value === "seconds" ? len : Math.round(len);
  for (const k of ["temperature", "topP", "repetitionPenalty"]) {
    const v = parseFloat($(k).value);
    if (!Number.isNaN(v)) body[k] = v;
  }
  const k = parseInt($("topK").value, 10);
  if (!Number.isNaN(k)) body.topK = k;
  const seed = parseInt($("seed").value, 10);
  if (!Number.isNaN(seed)) body.seed = seed;
  if ($("greedy").checked) body.greedy = true;
  // "More options": only the ones changed from their default are sent.
  for (const o of options) {
    const input = $("moreOptions").querySelector(`[data-option="${o.name}"]`);
    if (!input) continue;
    if (o.kind === "boolean") { if (input.checked !== (o.default === true)) body[o.name] = input.checked; continue; }
    const text = input.value.trim();
    if (text === "" || text === String(o.default ?? "")) continue;
    if (o.kind === "integer") body[o.name] = Number.isInteger(Number(text)) ? Number(text) : text;
    else if (o.kind === "number") body[o.name] = Number.isNaN(Number(text)) ? text : Number(text);
    else if (o.kind === "textlist") body[o.name] = text.split(/[\s,]+/).filter((t) => t);
    else if (o.kind === "tokenbias") body[o.name] = Object.fromEntries(text.split(/[\s,]+/).filter((t) => t).map((p) => [p.slice(0, p.lastIndexOf("=")), Number(p.slice(p.lastIndexOf("=") + 1))]));
    else body[o.name] = text;
  }
  return body;
}

async function primerBase64() {
  const f = $("primer").files[0];
  if (!f) return undefined;
  const bytes = new Uint8Array(await f.arrayBuffer());
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

async function generate(ev) {
  ev.preventDefault();
  if (running) running.abort();
  stopPlayback();
  notes = []; draw();
  $("noteCount").textContent = "0"; $("tokenCount").textContent = "0"; $("tps").textContent = "–";
  setDownload(null);
  setRendered(null);
  lastMidi = null;
  $("play").disabled = true;
  const body = requestBody();
  const primer = await primerBase64();
  if (primer) body.primer = primer;
  running = new AbortController();
  $("generate").disabled = true;
  setStatus("Generating…");
  try {
    const res = await fetch("/v1/generate/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify(body),
      signal: running.signal,
    });
    if (!res.ok) {
      const p = await res.json().catch(() => ({}));
      const fields = p.errors ? " " + Object.entries(p.errors).map(([k, v]) => `${k}: ${v.join(" ")}`).join("; ") : "";
      setStatus(`${res.status} ${p.title ?? res.statusText}.${fields}${p.detail ? " " + p.detail : ""}`, true);
      return;
    }
    await readEvents(res.body, onEvent);
  } catch (e) {
    if (e.name !== "AbortError") setStatus("Failed: " + e, true);
  } finally {
    $("generate").disabled = false;
    running = null;
  }
}

let tokens = 0;
let redraw = 0;
function onEvent(type, data) {
  switch (type) {
    case "start":
      tokens = 0;
      setStatus(`Generating with ${data.model} v${data.version} (seed ${data.seed})…`);
      break;
    case "token":
      tokens++;
      if (tokens % 8 === 0) $("tokenCount").textContent = tokens;
      break;
    case "note":
      addNote(data);
      if (!redraw) redraw = requestAnimationFrame(() => { redraw = 0; draw(); });
      break;
    case "done": {
      notes = [];
      for (const n of data.notes) addNote(n);
      draw();
      $("tokenCount").textContent = data.tokens;
      $("tps").textContent = data.timing.tokensPerSecond.toFixed(0);
      const bytes = Uint8Array.from(atob(data.midi), (c) => c.charCodeAt(0));
      lastMidi = bytes;
      setDownload(URL.createObjectURL(new Blob([bytes], { type: "audio/midi" })), `musicgen-${data.model}-${data.seed}.mid`);
      $("play").disabled = notes.length === 0;
      setStatus(`Done: ${data.notes.length} notes, ${data.tokens} tokens (${data.finishReason}), ${data.timing.totalSeconds.toFixed(2)} s.`);
      break;
    }
    case "error":
      setStatus(`${data.status} ${data.title}: ${data.detail}`, true);
      break;
  }
}

// Minimal SSE parser over a fetch body (EventSource cannot POST).
async function readEvents(stream, handler) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let sep;
    while ((sep = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, sep);
      buffer = buffer.slice(sep + 2);
      let type = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) type = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trim();
      }
      if (data) handler(type, JSON.parse(data));
    }
  }
}

function setDownload(url, name) {
  const a = $("download");
  if (midiUrl) URL.revokeObjectURL(midiUrl);
  midiUrl = url;
  if (url) { a.href = url; a.download = name; a.classList.remove("disabled"); a.removeAttribute("aria-disabled"); }
  else { a.removeAttribute("href"); a.classList.add("disabled"); a.setAttribute("aria-disabled", "true"); }
}

function setRendered(url) {
  if (renderedUrl) URL.revokeObjectURL(renderedUrl);
  renderedUrl = url;
  const player = $("player");
  if (!url) { player.pause(); player.removeAttribute("src"); player.hidden = true; }
}

// Play: the server's rendering of the piece where it has one, else the page's own synth.
async function play() {
  stopPlayback();
  if (rendering && lastMidi) {
    try {
      await playRendered();
      return;
    } catch (e) {
      setStatus(`Could not play the rendered audio (${e.message}); playing with the browser synth.`, true);
    }
  }
  playSynth();
}

// The piece's MIDI rendered by the server (POST /v1/render, FluidSynth), played in <audio>; rendered once per piece.
async function playRendered() {
  const player = $("player");
  if (!renderedUrl) {
    setStatus("Rendering with FluidSynth…");
    $("play").disabled = true;
    const midi = lastMidi;
    try {
      const res = await fetch("/v1/render?format=wav", {
        method: "POST",
        headers: { "Content-Type": "audio/midi", "Accept": "audio/wav" },
        body: midi,
      });
      if (!res.ok) {
        const p = await res.json().catch(() => ({}));
        throw new Error(`${res.status} ${p.title ?? res.statusText}${p.detail ? ": " + p.detail : ""}`);
      }
      const blob = await res.blob();
      if (midi !== lastMidi) return; // a new piece was asked for meanwhile
      setRendered(URL.createObjectURL(blob));
      player.src = renderedUrl;
    } finally {
      $("play").disabled = notes.length === 0;
    }
  }
  player.hidden = false;
  player.currentTime = 0;
  await player.play();
  const handle = { stop() { player.pause(); } };
  audio = handle;
  player.onended = () => { if (audio === handle) stopPlayback(); };
  $("stop").disabled = false;
  window.musicgenPlayback = { rendered: true, src: player.src, duration: player.duration };
  setStatus(`Playing the rendered audio (FluidSynth, ${player.duration.toFixed(1)} s).`);
}

// Playback through the shared synth (synth.js).
function playSynth() {
  const handle = MusicGenSynth.play(notes);
  audio = handle;
  $("stop").disabled = false;
  setStatus(`Playing ${notes.length} notes…`);
  window.musicgenPlayback = { notes: notes.length, state: handle.ac.state, scheduled: handle.nodes.length };
  setTimeout(() => { if (audio === handle) stopPlayback(); }, handle.remainingMs());
}

function stopPlayback() {
  if (!audio) return;
  audio.stop();
  audio = null;
  $("stop").disabled = true;
}

$("settings").addEventListener("submit", generate);
$("play").addEventListener("click", play);
$("stop").addEventListener("click", stopPlayback);
$("greedy").addEventListener("change", () => { $("temperature").disabled = $("greedy").checked; });
loadModels();
loadAudio();
loadOptions().catch((e) => setStatus("Could not list the options: " + e, true));
draw();

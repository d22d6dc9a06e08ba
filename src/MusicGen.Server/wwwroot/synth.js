// The pages' Web Audio synth: one triangle oscillator per note through a short attack/decay envelope; drums as
// noise bursts. Notes are { pitch, start, end, velocity, drum } with times in seconds. No build step.
"use strict";

window.MusicGenSynth = {
  // Schedules every note from now; returns { ac, nodes, last, remainingMs(), stop() }.
  play(notes) {
    const ac = new (window.AudioContext || window.webkitAudioContext)();
    const master = ac.createGain();
    master.gain.value = 0.2;
    master.connect(ac.destination);
    const t0 = ac.currentTime + 0.1;
    const nodes = [];
    let last = t0;
    for (const n of notes) {
      const start = t0 + n.start, end = t0 + Math.max(n.end, n.start + 0.05);
      const g = ac.createGain();
      const peak = 0.1 + 0.5 * (n.velocity / 127);
      g.gain.setValueAtTime(0, start);
      g.gain.linearRampToValueAtTime(peak, start + 0.01);
      g.gain.exponentialRampToValueAtTime(peak * 0.4, Math.max(start + 0.02, end - 0.02));
      g.gain.linearRampToValueAtTime(0, end + 0.05);
      g.connect(master);
      let src;
      if (n.drum) {
        const buf = ac.createBuffer(1, ac.sampleRate * 0.1, ac.sampleRate);
        const d = buf.getChannelData(0);
        for (let i = 0; i < d.length; i++) d[i] = (Math.random() * 2 - 1) * (1 - i / d.length);
        src = ac.createBufferSource();
        src.buffer = buf;
      } else {
        src = ac.createOscillator();
        src.type = "triangle";
        src.frequency.value = 440 * Math.pow(2, (n.pitch - 69) / 12);
      }
      src.connect(g);
      src.start(start);
      src.stop(end + 0.1);
      nodes.push(src);
      last = Math.max(last, end + 0.1);
    }
    return {
      ac, nodes, last,
      remainingMs() { return (last - ac.currentTime) * 1000 + 200; },
      stop() {
        for (const n of nodes) { try { n.stop(); } catch { /* already stopped */ } }
        ac.close();
      },
    };
  },
};
